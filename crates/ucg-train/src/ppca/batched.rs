//! The unbiased PPCA batch gradient through the batched lagged driver: the same estimator as
//! [`PpcaProblem::coupled_gradient`], with all points' chains advanced together and one batched
//! evaluation per (D)ISIR sub-step.

use super::coupled::{Acc, CoupledKernelKind, CoupledSettings, PointOutcome, sink};
use super::problem::{BatchGradient, PpcaProblem};
use crate::error::Result;
use ucg_couplings::isir::IsirSchedule;
use ucg_estimators::batched::run_lagged_batched;
use ucg_models::ppca::DiagonalPpcaBatch;

impl PpcaProblem<'_> {
    /// The unbiased estimate of `∇θ Σ_n log p(x_n)` computed with
    /// [`ucg_estimators::batched::run_lagged_batched`]: point `n` on stream `stream(seed, n)` with the
    /// same kernel, sink and accumulation as [`PpcaProblem::coupled_gradient`], so the result (gradient,
    /// runs, ESS traces, particle sets) is bit-identical to it for the same seed.
    ///
    /// # Errors
    /// Invalid `K` or β, or kernel failures.
    pub fn coupled_gradient_batched(
        &self,
        settings: &CoupledSettings,
        seed: u64,
    ) -> Result<BatchGradient> {
        let k = settings.k;
        let schedule = match settings.kernel {
            CoupledKernelKind::Isir => IsirSchedule::isir(k)?,
            CoupledKernelKind::IsirDisir { beta } => IsirSchedule::isir_disir(k, beta)?,
        };
        let target = DiagonalPpcaBatch::new(&self.targets)?;
        let d = self.model.latent_dim();
        let accumulators = (0..self.len()).map(|_| Acc::new(d)).collect();
        let runs = run_lagged_batched(
            &target,
            &schedule,
            &settings.lag,
            seed,
            accumulators,
            |_, acc, ev| sink(acc, ev),
        )?;
        let points = runs
            .into_iter()
            .map(|p| PointOutcome {
                run: p.run,
                stats: p.accumulator.stats,
                ess: p.accumulator.ess,
                evaluations: p.evaluations,
            })
            .collect();
        self.gradient_from_points(points, k)
    }
}
