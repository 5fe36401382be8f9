//! The lagged estimator's bookkeeping, exactly: on a deterministic "chain" whose paths and meeting time are
//! known in closed form, `H_{k:m}`, its two parts, the meeting time, the iteration count and the cost must
//! equal the formulas of docs/method.md §5 to rounding, with the weights `v_t` counted independently of
//! `LagSettings::weight`.

use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use std::cell::Cell;
use ucg_couplings::{CoupledKernel, InitialLaw, MarkovKernel, Result as CResult};
use ucg_estimators::meeting::{MeetingTime, sample_meeting_time};
use ucg_estimators::{LagSettings, estimate_vector};

/// `X` moves by +1 per step; coupled, `X` moves by +1 and `Y` by +2, so lagged chains started at
/// `X_0 = 0` and `Y_0 = y0` meet when `t = y0 + 2(t − L)`, i.e. at `τ = 2L − y0`. The initial law returns
/// `0` and `y0` alternately (the estimators draw `X_0` first, then `Y_0`).
struct Drift {
    y0: i64,
    draws: Cell<u64>,
}

impl Drift {
    fn new(y0: i64) -> Self {
        Drift {
            y0,
            draws: Cell::new(0),
        }
    }
}

impl MarkovKernel for Drift {
    type State = i64;
    fn step<R: Rng + ?Sized>(&self, s: &mut i64, _: &mut R) -> CResult<()> {
        *s += 1;
        Ok(())
    }
}

impl CoupledKernel for Drift {
    fn coupled_step<R: Rng + ?Sized>(&self, x: &mut i64, y: &mut i64, _: &mut R) -> CResult<bool> {
        *x += 1;
        *y += 2;
        Ok(x == y)
    }
}

impl InitialLaw for Drift {
    fn sample_initial<R: Rng + ?Sized>(&self, _: &mut R) -> CResult<i64> {
        let n = self.draws.get();
        self.draws.set(n + 1);
        Ok(if n.is_multiple_of(2) { 0 } else { self.y0 })
    }
}

/// `v_t = #{j ≥ 1 : k ≤ t − jL ≤ m}`, counted.
fn counted_weight(t: usize, lag: usize, k: usize, m: usize) -> f64 {
    (1..=t / lag)
        .filter(|j| (k..=m).contains(&(t - j * lag)))
        .count() as f64
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * b.abs().max(1.0)
}

#[test]
fn estimate_parts_meeting_time_and_cost_follow_the_formulas() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(0);
    // (L, k, m, y0): windows before, around and after τ = 2L − y0, k = 0 included, and k = m.
    for (lag, k, m, y0) in [
        (2, 1, 4, -3),
        (1, 0, 9, -2),
        (3, 2, 2, -4),
        (2, 3, 12, -5),
        (4, 0, 6, 4),
    ] {
        let kernel = Drift::new(y0);
        let settings = LagSettings::new(lag, k, m, 1000).unwrap();
        let est = estimate_vector(
            &kernel,
            |s: &i64, out: &mut [f64]| {
                out[0] = *s as f64;
                out[1] = (*s as f64).powi(2);
                Ok(())
            },
            2,
            &settings,
            &mut rng,
        )
        .unwrap();
        let tau = (2 * lag as i64 - y0).max(lag as i64) as usize;
        let what = format!("L={lag} k={k} m={m} τ={tau}");
        assert_eq!(est.run.meeting_time, Some(tau), "{what}");
        assert_eq!(est.run.iterations, m.max(tau), "{what}");
        assert_eq!(
            est.run.cost,
            lag + 2 * (tau - lag) + m.saturating_sub(tau),
            "{what}"
        );
        assert!(!est.run.capped);

        let inv = 1.0 / (m - k + 1) as f64;
        let x = |t: usize| t as f64;
        let y = |s: usize| (y0 + 2 * s as i64) as f64;
        let h = |v: f64| [v, v * v];
        let (mut mcmc, mut bias) = ([0.0; 2], [0.0; 2]);
        for t in k..=m {
            (0..2).for_each(|i| mcmc[i] += inv * h(x(t))[i]);
        }
        for t in k + lag..tau {
            let c = counted_weight(t, lag, k, m) * inv;
            (0..2).for_each(|i| bias[i] += c * (h(x(t))[i] - h(y(t - lag))[i]));
        }
        for i in 0..2 {
            assert!(
                close(est.mcmc[i], mcmc[i]),
                "{what}: mcmc {:?} vs {mcmc:?}",
                est.mcmc
            );
            assert!(
                close(est.bias_correction[i], bias[i]),
                "{what}: bias {:?} vs {bias:?}",
                est.bias_correction
            );
            assert!(close(est.value()[i], mcmc[i] + bias[i]), "{what}: value");
        }
    }
}

#[test]
fn a_capped_run_stops_at_the_cap_and_says_so() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(0);
    // τ = 7 beyond the cap 5.
    let settings = LagSettings::new(2, 1, 4, 5).unwrap();
    let est = estimate_vector(
        &Drift::new(-3),
        |s: &i64, out: &mut [f64]| {
            out[0] = *s as f64;
            Ok(())
        },
        1,
        &settings,
        &mut rng,
    )
    .unwrap();
    assert_eq!(est.run.meeting_time, None);
    assert!(est.run.capped);
    assert_eq!((est.run.iterations, est.run.cost), (5, 2 + 2 * 3));
}

#[test]
fn meeting_times_follow_the_closed_form_and_the_cap() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(0);
    let mut tau = |lag, max_iter, y0| sample_meeting_time(&Drift::new(y0), lag, max_iter, &mut rng);
    let met = |tau| MeetingTime { tau, capped: false };
    assert_eq!(tau(2, 100, -3).unwrap(), met(7));
    assert_eq!(tau(2, 7, -3).unwrap(), met(7));
    assert_eq!(
        tau(2, 6, -3).unwrap(),
        MeetingTime {
            tau: 6,
            capped: true
        }
    );
    assert_eq!(tau(5, 100, -1).unwrap(), met(11));
    // Chains that start together meet at t = L, and a cap equal to the lag is allowed.
    assert_eq!(tau(3, 3, 3).unwrap(), met(3));
    assert_eq!(
        tau(3, 3, 0).unwrap(),
        MeetingTime {
            tau: 3,
            capped: true
        }
    );
    assert!(tau(0, 10, 0).is_err());
    assert!(tau(4, 3, 0).is_err());
}

#[test]
fn single_chain_time_average_sends_the_window_and_every_step() {
    use ucg_estimators::baselines::time_average;
    use ucg_estimators::{Event, Part};
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(0);
    for (k, m) in [(0, 0), (0, 3), (2, 6), (5, 5)] {
        let (mut terms, mut steps) = (Vec::new(), Vec::new());
        let cost = time_average(&Drift::new(0), k, m, &mut rng, |ev| {
            match ev {
                Event::Term {
                    state,
                    coefficient,
                    part,
                } => {
                    assert_eq!(part, Part::Mcmc);
                    terms.push((*state, coefficient));
                }
                Event::Step { t, x } => steps.push((t, *x)),
                Event::Difference { .. } => panic!("a single chain has no bias correction"),
            }
            Ok(())
        })
        .unwrap();
        assert_eq!(cost, m);
        let inv = 1.0 / (m - k + 1) as f64;
        let expected: Vec<(i64, f64)> = (k..=m).map(|t| (t as i64, inv)).collect();
        assert_eq!(terms, expected, "k={k} m={m}");
        let expected: Vec<(usize, i64)> = (1..=m).map(|t| (t, t as i64)).collect();
        assert_eq!(steps, expected, "k={k} m={m}");
    }
    assert!(time_average(&Drift::new(0), 3, 2, &mut rng, |_| Ok(())).is_err());
}
