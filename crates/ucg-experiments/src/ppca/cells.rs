//! The grid of a run: which estimator runs at which `K` and `D`, how many replicates, with which seeds.

use serde::{Deserialize, Serialize};
use ucg_estimators::seeding::derive_seed;
use ucg_train::ppca::{BatchGradient, CoupledKernelKind, CoupledSettings, PpcaProblem};

use super::config::Config;
use crate::AnyResult;

pub use ucg_estimators::EstimatorKind;

/// The batch-gradient estimators the PPCA study compares, in report order: ELBO and IWAE (biased),
/// C-ISIR and C-ISIR-DISIR (β adapted before the run, then fixed; unbiased).
pub const STUDY_ESTIMATORS: [EstimatorKind; 4] = [
    EstimatorKind::Elbo,
    EstimatorKind::Iwae,
    EstimatorKind::CoupledIsir,
    EstimatorKind::CoupledIsirDisir,
];

/// The estimator's part of the study's file and cell names (`elbo`, `iwae`, `c-isir`, `c-isir-disir`):
/// the names the study's folders were first written with, kept so that they resume.
pub fn file_slug(estimator: EstimatorKind) -> &'static str {
    match estimator {
        EstimatorKind::CoupledIsir => "c-isir",
        EstimatorKind::CoupledIsirDisir => "c-isir-disir",
        other => other.name(),
    }
}

/// One batch estimate of `estimator` on `problem` with `k` particles per set (and `beta` for
/// C-ISIR-DISIR).
///
/// # Errors
/// An estimator the study does not compare (SUMO), invalid settings or a failing kernel.
pub fn estimate(
    estimator: EstimatorKind,
    problem: &PpcaProblem<'_>,
    k: usize,
    beta: Option<f64>,
    config: &Config,
    seed: u64,
) -> AnyResult<BatchGradient> {
    let coupled = |kernel| -> AnyResult<BatchGradient> {
        let settings = CoupledSettings {
            kernel,
            k,
            lag: config.lag.settings()?,
        };
        Ok(problem.coupled_gradient(&settings, seed)?)
    };
    match estimator {
        EstimatorKind::Elbo => Ok(problem.elbo_gradient(k, seed)?),
        EstimatorKind::Iwae => Ok(problem.iwae_gradient(k, seed)?),
        EstimatorKind::CoupledIsir => coupled(CoupledKernelKind::Isir),
        EstimatorKind::CoupledIsirDisir => {
            let beta = beta.ok_or("C-ISIR-DISIR needs a β (run the warm-up first)")?;
            coupled(CoupledKernelKind::IsirDisir { beta })
        }
        EstimatorKind::Sumo => {
            Err("the PPCA study compares ELBO, IWAE, C-ISIR and C-ISIR-DISIR".into())
        }
    }
}

/// Which part of the study a cell belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sweep {
    /// The main problem (`N` points, main `D`): gradients checked against the exact one.
    Gradient,
    /// A problem of the dimension sweep: meeting times only.
    Dimension,
}

/// One estimator at one `K` on one problem, with its number of replicates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Cell {
    /// The part of the study.
    pub sweep: Sweep,
    /// The estimator.
    pub estimator: EstimatorKind,
    /// Particles per set.
    pub k: usize,
    /// Latent dimension of the problem.
    pub d: usize,
    /// Replicates of the whole run (all shards).
    pub replicates: u64,
}

/// Named sub-streams of the master seed.
#[derive(Clone, Copy, Debug)]
#[repr(u64)]
pub enum Stream {
    /// The model's parameters θ.
    Model = 1,
    /// The encoder fit's particles.
    Fit = 2,
    /// The fitted bound's evaluation.
    FitEval = 3,
    /// β's warm-up runs.
    Warmup = 4,
    /// The replicates.
    Replicates = 5,
}

/// The seed of sub-stream `stream` of `config.seed`, for the problem of latent dimension `d`.
pub fn stream_seed(config: &Config, stream: Stream, d: usize) -> u64 {
    derive_seed(derive_seed(config.seed, stream as u64), d as u64)
}

impl Cell {
    /// Stable identifier, used for checkpoint files and CSV rows (`main-iwae-k2-d100`,
    /// `dsweep-c-isir-k10-d300`).
    pub fn id(&self) -> String {
        let part = match self.sweep {
            Sweep::Gradient => "main",
            Sweep::Dimension => "dsweep",
        };
        format!(
            "{part}-{}-k{}-d{}",
            file_slug(self.estimator),
            self.k,
            self.d
        )
    }

    /// The seed of replicate `r` (independent of shards and threads).
    pub fn replicate_seed(&self, config: &Config, r: u64) -> u64 {
        let base = stream_seed(config, Stream::Replicates, self.d);
        let cell = derive_seed(
            derive_seed(base, self.sweep as u64),
            (self.estimator as u64) << 32 | self.k as u64,
        );
        derive_seed(cell, r)
    }
}

impl Config {
    /// The cells of the main problem: the four estimators at the main `K` first, then IWAE (with the main
    /// number of replicates) and the coupled estimators (with the sweep's) at the other `K` (ascending).
    pub fn gradient_cells(&self) -> Vec<Cell> {
        let cell = |estimator, k, replicates| Cell {
            sweep: Sweep::Gradient,
            estimator,
            k,
            d: self.latent_dim,
            replicates,
        };
        let mut cells: Vec<Cell> = STUDY_ESTIMATORS
            .iter()
            .map(|&e| cell(e, self.main_k, self.replicates))
            .collect();
        // IWAE is cheap: it gets the main number of replicates at every K, so that its bias check is
        // comparable across K.
        for k in self.all_ks().into_iter().filter(|&k| k != self.main_k) {
            cells.push(cell(EstimatorKind::Iwae, k, self.replicates));
            for e in [EstimatorKind::CoupledIsir, EstimatorKind::CoupledIsirDisir] {
                cells.push(cell(e, k, self.sweep_replicates));
            }
        }
        cells
    }

    /// The cells of the dimension sweep: both coupled estimators at the main `K` for every `D`.
    pub fn dimension_cells(&self) -> Vec<Cell> {
        let sweep = &self.dimension_sweep;
        sweep
            .dims
            .iter()
            .flat_map(|&d| {
                [EstimatorKind::CoupledIsir, EstimatorKind::CoupledIsirDisir].map(|estimator| {
                    Cell {
                        sweep: Sweep::Dimension,
                        estimator,
                        k: self.main_k,
                        d,
                        replicates: sweep.replicates,
                    }
                })
            })
            .collect()
    }

    /// Every cell, gradient cells first.
    pub fn cells(&self) -> Vec<Cell> {
        let mut all = self.gradient_cells();
        all.extend(self.dimension_cells());
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn cells_have_unique_ids_and_seeds() {
        let c = Config::default_preset(7);
        let cells = c.cells();
        assert_eq!(cells.len(), 4 + 3 * 4 + 2 * 4);
        let ids: HashSet<String> = cells.iter().map(Cell::id).collect();
        assert_eq!(ids.len(), cells.len());
        let seeds: HashSet<u64> = cells
            .iter()
            .flat_map(|cell| (0..3).map(|r| cell.replicate_seed(&c, r)))
            .collect();
        assert_eq!(seeds.len(), 3 * cells.len());
        assert_eq!(cells[0].id(), "main-elbo-k10-d100");
        assert_eq!(cells[0].replicates, 500);
    }
}
