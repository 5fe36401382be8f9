//! What another MCMC project does with this crate, through the public API only: its own target (a
//! Student-t), its own coupled kernel (an independence sampler whose chains share proposals and uniforms),
//! its own initial law and its own errors, and an unbiased estimate checked by a z-test.

use rand::{Rng, RngExt};
use rand_distr::StandardNormal;
use ucg_couplings::{
    CoupledKernel, CouplingError, InitialLaw, MarkovKernel, Result as CResult, move_as_one,
};
use ucg_estimators::replicates::run_replicates;
use ucg_estimators::summary::{Moments, bonferroni_z};
use ucg_estimators::{EstimatorError, LagSettings, estimate_vector};

/// Student-t with `nu` degrees of freedom: mean 0, variance `nu / (nu − 2)`.
struct StudentT {
    nu: f64,
}

/// The user's own failure, for a point the target refuses.
#[derive(Debug, thiserror::Error)]
#[error("the target refuses x = {0}")]
struct Refused(f64);

impl StudentT {
    fn log_density(&self, x: f64) -> CResult<f64> {
        if !x.is_finite() {
            return Err(CouplingError::source_error(Refused(x)));
        }
        Ok(-0.5 * (self.nu + 1.0) * (1.0 + x * x / self.nu).ln())
    }
}

/// Independence Metropolis-Hastings with proposal `N(0, s²)`; coupled, the two chains share the proposal
/// and the acceptance uniform, so they meet as soon as both accept.
struct Independence {
    target: StudentT,
    s: f64,
    start: f64,
}

impl Independence {
    fn log_proposal(&self, x: f64) -> f64 {
        -0.5 * (x / self.s).powi(2)
    }
    fn log_ratio(&self, from: f64, to: f64) -> CResult<f64> {
        Ok(
            self.target.log_density(to)? - self.target.log_density(from)? + self.log_proposal(from)
                - self.log_proposal(to),
        )
    }
}

impl MarkovKernel for Independence {
    type State = f64;
    fn step<R: Rng + ?Sized>(&self, x: &mut f64, rng: &mut R) -> CResult<()> {
        let proposal = self.s * rng.sample::<f64, _>(StandardNormal);
        if rng.random::<f64>().ln() < self.log_ratio(*x, proposal)? {
            *x = proposal;
        }
        Ok(())
    }
}

impl CoupledKernel for Independence {
    fn coupled_step<R: Rng + ?Sized>(
        &self,
        x: &mut f64,
        y: &mut f64,
        rng: &mut R,
    ) -> CResult<bool> {
        if move_as_one(x, y, |s| self.step(s, rng))? {
            return Ok(true);
        }
        let proposal = self.s * rng.sample::<f64, _>(StandardNormal);
        let log_u = rng.random::<f64>().ln();
        for state in [&mut *x, &mut *y] {
            if log_u < self.log_ratio(*state, proposal)? {
                *state = proposal;
            }
        }
        Ok(x.to_bits() == y.to_bits())
    }
}

impl InitialLaw for Independence {
    /// `N(start, 1)`: far in the tail, so the bias correction carries weight.
    fn sample_initial<R: Rng + ?Sized>(&self, rng: &mut R) -> CResult<f64> {
        Ok(self.start + rng.sample::<f64, _>(StandardNormal))
    }
}

fn moments(x: &f64, out: &mut [f64]) -> ucg_estimators::Result<()> {
    out.copy_from_slice(&[*x, x * x]);
    Ok(())
}

#[test]
fn a_user_defined_coupled_kernel_gives_unbiased_estimates() {
    let nu = 5.0;
    let kernel = Independence {
        target: StudentT { nu },
        s: 2.0,
        start: 6.0,
    };
    let exact = [0.0, nu / (nu - 2.0)];
    let settings = [
        LagSettings::new(1, 0, 0, 100_000).unwrap(),
        LagSettings::new(2, 3, 10, 100_000).unwrap(),
    ];
    let zmax = bonferroni_z(1e-3, settings.len() * exact.len()).unwrap();
    for (i, lag) in settings.iter().enumerate() {
        let estimates = run_replicates(70 + i as u64, 0, 40_000, |_, rng| {
            estimate_vector(&kernel, moments, 2, lag, rng)
        })
        .unwrap();
        let mut mom = Moments::new(2);
        for e in &estimates {
            assert!(!e.run.capped);
            mom.push(&e.value()).unwrap();
        }
        let z = mom.z_scores(&exact).unwrap();
        eprintln!("{lag:?}: mean {:?}, z = {z:?}", mom.mean());
        assert!(
            z.iter().all(|z| z.abs() < zmax),
            "{lag:?}: z = {z:?} (bound {zmax})"
        );
    }
}

#[test]
fn the_users_own_error_reaches_the_caller_with_its_source() {
    let kernel = Independence {
        target: StudentT { nu: 5.0 },
        s: 2.0,
        start: f64::INFINITY,
    };
    let lag = LagSettings::paper(1, 2, 100).unwrap();
    let mut rng = ucg_estimators::seeding::stream(1, 0);
    let err = estimate_vector(&kernel, moments, 2, &lag, &mut rng).unwrap_err();
    let EstimatorError::Kernel(inner) = &err else {
        panic!("expected a kernel error, got {err:?}");
    };
    let source = std::error::Error::source(inner).expect("the user's error is the source");
    assert!(source.downcast_ref::<Refused>().is_some(), "{source}");
}
