//! The lagged coupling estimator on a finite-state chain whose stationary expectation is known exactly.

use rand::Rng;
use ucg_couplings::maximal::categorical::{maximal_coupling, sample_categorical};
use ucg_couplings::{CoupledKernel, InitialLaw, MarkovKernel, Result as CResult, WithInitial};
use ucg_estimators::replicates::run_replicates;
use ucg_estimators::summary::{Moments, bonferroni_z};
use ucg_estimators::{LagSettings, estimate_vector};

/// A Markov chain on `{0, 1, 2}` with transition matrix rows `p[i]`, coupled by maximal couplings of rows.
struct FiniteChain {
    p: [[f64; 3]; 3],
}

impl MarkovKernel for FiniteChain {
    type State = usize;
    fn step<R: Rng + ?Sized>(&self, s: &mut usize, rng: &mut R) -> CResult<()> {
        *s = sample_categorical(&self.p[*s], rng)?;
        Ok(())
    }
}

impl CoupledKernel for FiniteChain {
    fn coupled_step<R: Rng + ?Sized>(
        &self,
        x: &mut usize,
        y: &mut usize,
        rng: &mut R,
    ) -> CResult<bool> {
        let (i, j) = maximal_coupling(&self.p[*x], &self.p[*y], rng)?;
        *x = i;
        *y = j;
        Ok(i == j)
    }
}

impl InitialLaw for FiniteChain {
    /// The point mass on state 0, far from stationarity.
    fn sample_initial<R: Rng + ?Sized>(&self, _: &mut R) -> CResult<usize> {
        Ok(0)
    }
}

/// A slowly mixing chain started far from stationarity, so that the bias correction carries real weight.
const CHAIN: FiniteChain = FiniteChain {
    p: [[0.90, 0.08, 0.02], [0.10, 0.80, 0.10], [0.05, 0.15, 0.80]],
};

fn h(s: &usize) -> Vec<f64> {
    vec![f64::from(*s == 0), f64::from(*s == 2), (*s as f64).powi(2)]
}

/// `h` written into a caller's buffer, as `estimate_vector` takes it.
fn h_into(s: &usize, out: &mut [f64]) -> ucg_estimators::Result<()> {
    out.copy_from_slice(&h(s));
    Ok(())
}

/// One step of the chain's law: `law · P`.
fn propagate(law: [f64; 3]) -> [f64; 3] {
    let mut next = [0.0; 3];
    for i in 0..3 {
        for j in 0..3 {
            next[j] += law[i] * CHAIN.p[i][j];
        }
    }
    next
}

/// The stationary distribution, by power iteration.
fn stationary() -> [f64; 3] {
    (0..10_000).fold([1.0 / 3.0; 3], |law, _| propagate(law))
}

/// `E_π[h]`.
fn exact() -> Vec<f64> {
    let pi = stationary();
    let mut e = vec![0.0; 3];
    for (s, &w) in pi.iter().enumerate() {
        for (ei, hi) in e.iter_mut().zip(h(&s)) {
            *ei += w * hi;
        }
    }
    e
}

/// `(lag, k, m)` settings: `k = m = 0`, `L = 1`, and `L > 1` with `k`, `m` not aligned to `L`.
const SETTINGS: [(usize, usize, usize); 5] =
    [(1, 0, 0), (1, 2, 6), (3, 2, 9), (4, 1, 5), (5, 0, 12)];
const REPLICATES: u64 = 100_000;

#[test]
fn lagged_estimator_is_unbiased_for_several_lags_and_windows() {
    let exact = exact();
    let zmax = bonferroni_z(1e-3, SETTINGS.len() * exact.len()).unwrap();
    for (si, &(lag, k, m)) in SETTINGS.iter().enumerate() {
        let settings = LagSettings::new(lag, k, m, 100_000).unwrap();
        let estimates = run_replicates(1000 + si as u64, 0, REPLICATES, |_, rng| {
            estimate_vector(&CHAIN, h_into, 3, &settings, rng)
        })
        .unwrap();
        let mut mom = Moments::new(3);
        for e in &estimates {
            assert!(!e.run.capped);
            assert_eq!(
                e.run.cost,
                lag + 2 * (e.run.meeting_time.unwrap() - lag)
                    + m.saturating_sub(e.run.meeting_time.unwrap())
            );
            mom.push(&e.value()).unwrap();
        }
        let z = mom.z_scores(&exact).unwrap();
        for (j, zj) in z.iter().enumerate() {
            assert!(
                zj.abs() < zmax,
                "L={lag} k={k} m={m} component {j}: mean {} ± {} vs exact {}, z = {zj}",
                mom.mean()[j],
                mom.standard_error()[j],
                exact[j]
            );
        }
    }
}

/// The test above has power: the same replicates with the weight `⌈(t − k)/L⌉` in place of `v_t` (a bug
/// seen in public code) are detectably biased. Trajectories are recorded and both estimators computed from
/// them, so only the weight differs.
#[test]
fn a_wrong_bias_correction_weight_is_detected() {
    let exact = exact();
    let (lag, k, m) = (3, 2, 9);
    let settings = LagSettings::new(lag, k, m, 100_000).unwrap();
    let runs = run_replicates(77, 0, REPLICATES, |_, rng| {
        // Record X_t and Y_{t−L} through the terms' states: rerun the chains directly instead.
        let mut x = 0usize;
        let mut xs = vec![x];
        for _ in 0..lag {
            CHAIN.step(&mut x, rng)?;
            xs.push(x);
        }
        let mut y = 0usize;
        let mut ys = vec![y];
        let mut tau = if x == y { Some(lag) } else { None };
        let mut t = lag;
        while tau.is_none() || t < m {
            t += 1;
            if tau.is_none() {
                if CHAIN.coupled_step(&mut x, &mut y, rng)? {
                    tau = Some(t);
                }
                ys.push(y);
            } else {
                CHAIN.step(&mut x, rng)?;
            }
            xs.push(x);
        }
        Ok((xs, ys, tau.unwrap()))
    })
    .unwrap();
    let estimate = |weight: &dyn Fn(usize) -> f64| {
        let mut mom = Moments::new(3);
        for (xs, ys, tau) in &runs {
            let mut v = vec![0.0; 3];
            for t in k..=m {
                v.iter_mut()
                    .zip(h(&xs[t]))
                    .for_each(|(a, b)| *a += b / (m - k + 1) as f64);
            }
            for t in k + lag..*tau {
                let c = weight(t) / (m - k + 1) as f64;
                for ((a, hx), hy) in v.iter_mut().zip(h(&xs[t])).zip(h(&ys[t - lag])) {
                    *a += c * (hx - hy);
                }
            }
            mom.push(&v).unwrap();
        }
        mom.z_scores(&exact).unwrap()
    };
    let zmax = bonferroni_z(1e-3, 3).unwrap();
    let right = estimate(&|t| settings.weight(t) as f64);
    assert!(
        right.iter().all(|z| z.abs() < zmax),
        "correct weights: z = {right:?}"
    );
    let wrong = estimate(&|t| (t - k).div_ceil(lag) as f64);
    assert!(
        wrong.iter().any(|z| z.abs() > zmax),
        "wrong weights went undetected: z = {wrong:?}"
    );
}

/// The lagged meeting-time bound on the total-variation distance (Biswas, Jacob & Vanetti 2019) is
/// non-increasing in `t` and never significantly below the exact distance `‖δ_0 Pᵗ − π‖_TV`.
#[test]
fn tv_bound_dominates_the_exact_distance() {
    use ucg_estimators::meeting::{sample_meeting_time, tv_upper_bound};
    let pi = stationary();
    for lag in [1usize, 5] {
        let taus: Vec<usize> = run_replicates(500 + lag as u64, 0, 40_000, |_, rng| {
            let m = sample_meeting_time(&CHAIN, lag, 100_000, rng)?;
            assert!(!m.capped);
            Ok(m.tau)
        })
        .unwrap();
        let mut law = [1.0, 0.0, 0.0];
        let mut previous = f64::INFINITY;
        for t in 0..40 {
            let exact_tv = 0.5 * law.iter().zip(&pi).map(|(a, b)| (a - b).abs()).sum::<f64>();
            let bound = tv_upper_bound(&taus, lag, t).unwrap();
            let per: Vec<f64> = taus
                .iter()
                .map(|&tau| tau.saturating_sub(lag + t).div_ceil(lag) as f64)
                .collect();
            let var = per.iter().map(|v| (v - bound).powi(2)).sum::<f64>() / (per.len() - 1) as f64;
            let se = (var / per.len() as f64).sqrt();
            assert!(bound <= previous, "L={lag}: bound increased at t={t}");
            assert!(
                bound + 4.5 * se >= exact_tv,
                "L={lag} t={t}: bound {bound} ± {se} below exact TV {exact_tv}"
            );
            previous = bound;
            law = propagate(law);
        }
        assert!(
            tv_upper_bound(&taus, lag, 0).unwrap() > 0.1,
            "the bound should be informative at t = 0"
        );
    }
}

/// The single-chain time average is the biased baseline: started at stationarity it is unbiased, started
/// at the point mass on state 0 with a short burn-in it is detectably biased.
#[test]
fn single_chain_time_average_is_biased_unless_started_at_stationarity() {
    use ucg_couplings::maximal::categorical::sample_categorical;
    use ucg_estimators::baselines::time_average;
    use ucg_estimators::{Event, Part};
    let exact = exact();
    let pi = stationary();
    let zmax = bonferroni_z(1e-3, 2 * exact.len()).unwrap();
    let run = |from_stationarity: bool, seed: u64| {
        let values = run_replicates(seed, 0, 50_000, |_, rng| {
            let mut v = vec![0.0; 3];
            let started = WithInitial::new(CHAIN, |r: &mut dyn Rng| {
                if from_stationarity {
                    sample_categorical(&pi, r)
                } else {
                    Ok(0)
                }
            });
            time_average(&started, 2, 10, rng, |ev| {
                if let Event::Term {
                    state,
                    coefficient,
                    part,
                } = ev
                {
                    assert_eq!(part, Part::Mcmc);
                    v.iter_mut()
                        .zip(h(state))
                        .for_each(|(a, b)| *a += coefficient * b);
                }
                Ok(())
            })?;
            Ok(v)
        })
        .unwrap();
        let mut mom = Moments::new(3);
        values.iter().for_each(|v| mom.push(v).unwrap());
        mom.z_scores(&exact).unwrap()
    };
    let stationary_z = run(true, 61);
    assert!(
        stationary_z.iter().all(|z| z.abs() < zmax),
        "{stationary_z:?}"
    );
    let biased_z = run(false, 62);
    assert!(biased_z.iter().any(|z| z.abs() > zmax), "{biased_z:?}");
}
