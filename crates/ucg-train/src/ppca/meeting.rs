//! Meeting times alone: the coupled chains of every point without accumulating any gradient.

use super::coupled::CoupledKernelKind;
use super::problem::PpcaProblem;
use crate::error::Result;
use ucg_estimators::{LagSettings, LaggedRun};

impl PpcaProblem<'_> {
    /// Each point's run (meeting time, iterations, cost, cap flag) of the lagged estimator with `kind`'s
    /// kernel, `K = k` particles and the settings `lag`, for each of `seeds`: the runs of
    /// [`PpcaProblem::coupled_gradients`] with the same arguments, bit for bit, at the cost of the chains
    /// alone (nothing is accumulated). One vector per seed, in point order.
    ///
    /// # Errors
    /// Invalid `K` or β, or kernel failures.
    pub fn meeting_runs(
        &self,
        kind: CoupledKernelKind,
        k: usize,
        lag: &LagSettings,
        seeds: &[u64],
    ) -> Result<Vec<Vec<LaggedRun>>> {
        let runs = self.run_points_with(kind, k, lag, seeds, || (), |_, _, _| Ok(()))?;
        Ok(runs
            .into_iter()
            .map(|points| points.into_iter().map(|p| p.run).collect())
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ppca::CoupledSettings;
    use nalgebra::DMatrix;
    use ucg_models::ppca::Ppca;

    #[test]
    fn meeting_runs_are_the_gradient_runs() {
        let model = Ppca::random(3, 8, 0.5, 3).unwrap();
        let encoder = model.posterior_encoder(1.6).unwrap();
        let x = DMatrix::from_fn(8, 4, |i, j| f64::from(u8::from((i + j) % 3 == 0)));
        let problem = PpcaProblem::new(&model, &encoder, &x).unwrap();
        let settings = CoupledSettings {
            kernel: CoupledKernelKind::IsirDisir { beta: 0.3 },
            k: 4,
            lag: LagSettings::paper(1, 3, 300).unwrap(),
        };
        let seeds = [5, 9];
        let runs = problem
            .meeting_runs(settings.kernel, settings.k, &settings.lag, &seeds)
            .unwrap();
        let full = problem.coupled_gradients(&settings, &seeds).unwrap();
        for (r, f) in runs.iter().zip(&full) {
            assert_eq!(r, &f.runs);
        }
    }
}
