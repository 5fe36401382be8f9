//! β's warm-up for C-ISIR-DISIR on a PPCA problem: sequential batch estimates adapting β between runs, then
//! a frozen β.
//!
//! β must stay fixed within a run for the estimator to be unbiased, and replicates must be i.i.d. for an
//! unbiasedness check, so β is adapted only here (docs/method.md §3: target ESS 0.3 K, one update per
//! iteration of the leading chain, with the ESS averaged over the points that every run reaches,
//! [`common_prefix_average`]), globally for all points, and frozen afterwards ([`BetaAdapter::frozen`]).

use super::coupled::{CoupledKernelKind, CoupledSettings};
use super::problem::PpcaProblem;
use crate::error::Result;
use ucg_estimators::LagSettings;
use ucg_estimators::beta::{BetaAdapter, common_prefix_average};
use ucg_estimators::seeding::derive_seed;

/// The outcome of a warm-up: β before the first run and after each run, and the frozen value.
#[derive(Clone, Debug, PartialEq)]
pub struct BetaWarmup {
    /// β before the first run and after each run.
    pub trajectory: Vec<f64>,
    /// The β every later run uses: the average of the trajectory's second half.
    pub beta: f64,
}

impl PpcaProblem<'_> {
    /// Runs `runs` C-ISIR-DISIR batch estimates in sequence, run `r` on the stream `derive_seed(seed, r)`
    /// with the current β of `adapter` (its `K`, initial β and rule: [`BetaAdapter::new`] for the paper's,
    /// [`BetaAdapter::stable`] for the stable one), updating β from the run's common-prefix ESS trace
    /// after it; `after_run` is called after each run (for a progress bar).
    ///
    /// # Errors
    /// A failing kernel.
    pub fn warm_up_beta(
        &self,
        mut adapter: BetaAdapter,
        lag: LagSettings,
        runs: usize,
        seed: u64,
        mut after_run: impl FnMut(),
    ) -> Result<BetaWarmup> {
        let k = adapter.k();
        for run in 0..runs {
            let settings = CoupledSettings {
                kernel: CoupledKernelKind::IsirDisir {
                    beta: adapter.beta(),
                },
                k,
                lag,
            };
            let estimate = self.coupled_gradient(&settings, derive_seed(seed, run as u64))?;
            adapter.update(&common_prefix_average(&estimate.ess_traces));
            after_run();
        }
        Ok(BetaWarmup {
            trajectory: adapter.trajectory().to_vec(),
            beta: adapter.frozen(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nalgebra::DMatrix;
    use ucg_models::ppca::Ppca;

    #[test]
    fn warm_up_moves_beta_towards_the_target_ess_and_is_reproducible() {
        let model = Ppca::random(3, 8, 0.5, 3).unwrap();
        let encoder = model.posterior_encoder(1.5).unwrap();
        let x = DMatrix::from_fn(8, 4, |i, j| f64::from(u8::from((i + j) % 3 == 0)));
        let problem = PpcaProblem::new(&model, &encoder, &x).unwrap();
        let lag = LagSettings::paper(1, 3, 1000).unwrap();
        let mut calls = 0;
        let paper = BetaAdapter::new(0.5, 5).unwrap();
        let a = problem
            .warm_up_beta(paper.clone(), lag, 6, 11, || calls += 1)
            .unwrap();
        assert_eq!(calls, 6);
        assert_eq!(a.trajectory.len(), 7);
        assert_eq!(a.trajectory[0], 0.5);
        assert!(a.trajectory.iter().all(|b| (0.0..1.0).contains(b)));
        assert!(
            a.trajectory.windows(2).any(|w| w[0] != w[1]),
            "β never moved"
        );
        let b = problem.warm_up_beta(paper, lag, 6, 11, || {}).unwrap();
        assert_eq!(a, b);
        let stable = BetaAdapter::stable(0.5, 5).unwrap();
        let c = problem.warm_up_beta(stable, lag, 6, 11, || {}).unwrap();
        assert!(c.trajectory.iter().all(|b| (0.0..1.0).contains(b)));
        assert_ne!(a.trajectory, c.trajectory, "the rule must matter");
    }
}
