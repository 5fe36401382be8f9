//! The lagged coupling estimator with coupled random-walk MH on a Gaussian target: unbiased for the mean
//! and the second moment, from a starting law far from the target; the TV bound decreases in `t`.

use ucg_couplings::LogDensity;
use ucg_couplings::rwmh::{Rwmh, RwmhState};
use ucg_estimators::meeting::{sample_meeting_time, tv_upper_bound};
use ucg_estimators::replicates::run_replicates;
use ucg_estimators::summary::{Moments, bonferroni_z};
use ucg_estimators::{LagSettings, estimate_vector};

/// `N(1.5, 0.8²)` in one dimension.
struct Gaussian;
const MEAN: f64 = 1.5;
const SD: f64 = 0.8;

impl LogDensity for Gaussian {
    fn dim(&self) -> usize {
        1
    }
    fn log_density(&self, x: &[f64]) -> ucg_couplings::Result<f64> {
        Ok(-0.5 * ((x[0] - MEAN) / SD).powi(2))
    }
}

fn h(s: &RwmhState, out: &mut [f64]) -> ucg_estimators::Result<()> {
    let x = s.position()[0];
    out.copy_from_slice(&[x, x * x]);
    Ok(())
}

#[test]
fn coupled_rwmh_estimates_are_unbiased_for_mean_and_second_moment() {
    // Start far out in the tail: N(−4, 1).
    let kernel = Rwmh::new(Gaussian, 1.0)
        .unwrap()
        .with_initial_normal(vec![-4.0], 1.0)
        .unwrap();
    let exact = [MEAN, SD * SD + MEAN * MEAN];
    let configs = [(1usize, 0usize, 0usize), (1, 10, 40), (4, 3, 17)];
    let zmax = bonferroni_z(1e-3, configs.len() * exact.len()).unwrap();
    for (ci, &(lag, k, m)) in configs.iter().enumerate() {
        let settings = LagSettings::new(lag, k, m, 100_000).unwrap();
        let estimates = run_replicates(31 + ci as u64, 0, 40_000, |_, rng| {
            estimate_vector(&kernel, h, 2, &settings, rng)
        })
        .unwrap();
        let mut mom = Moments::new(2);
        for e in &estimates {
            assert!(!e.run.capped);
            mom.push(&e.value()).unwrap();
        }
        for (j, z) in mom.z_scores(&exact).unwrap().iter().enumerate() {
            assert!(
                z.abs() < zmax,
                "L={lag} k={k} m={m} moment {j}: {} ± {} vs {}, z = {z}",
                mom.mean()[j],
                mom.standard_error()[j],
                exact[j]
            );
        }
    }
}

#[test]
fn rwmh_tv_bound_decreases_to_zero() {
    let kernel = Rwmh::new(Gaussian, 1.0)
        .unwrap()
        .with_initial_normal(vec![-4.0], 1.0)
        .unwrap();
    let lag = 10;
    let taus: Vec<usize> = run_replicates(7, 0, 5_000, |_, rng| {
        let m = sample_meeting_time(&kernel, lag, 100_000, rng)?;
        Ok(m.tau)
    })
    .unwrap();
    let bounds: Vec<f64> = (0..200)
        .map(|t| tv_upper_bound(&taus, lag, t).unwrap())
        .collect();
    assert!(bounds.windows(2).all(|w| w[1] <= w[0]));
    assert!(
        bounds[0] > 0.5,
        "starting in the tail, the chain is far from stationarity at t = 0"
    );
    assert!(bounds[199] < 0.01);
}
