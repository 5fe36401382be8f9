//! A PPCA batch with a fixed encoder: the object every gradient estimator runs on.

use crate::error::Result;
use nalgebra::{DMatrix, DVector};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use ucg_estimators::LaggedRun;
use ucg_models::encoder::LinearGaussianEncoder;
use ucg_models::ppca::{BatchStats, PointStats, Ppca, PpcaGradient, PpcaPoint, PpcaTarget};

/// A PPCA model, a fixed encoder and a `P × N` batch, with every point's importance target prepared once
/// (`O(DP)` per point) so that estimators only pay `O(D²)` per particle.
pub struct PpcaProblem<'a> {
    pub(crate) model: &'a Ppca,
    pub(crate) x: &'a DMatrix<f64>,
    pub(crate) targets: Vec<PpcaTarget<'a>>,
}

/// A batch-gradient estimate with what it cost.
#[derive(Clone, Debug)]
pub struct BatchGradient {
    /// The estimate of `∇θ Σ_n log p(x_n)`.
    pub gradient: PpcaGradient,
    /// For coupled estimators, each point's run (meeting time, cost, cap flag); empty for baselines.
    pub runs: Vec<LaggedRun>,
    /// For coupled estimators, each point's ESS after every step of its leading chain.
    pub ess_traces: Vec<Vec<f64>>,
    /// Proposal sets whose log-weights were evaluated (each set is `K` particles).
    pub particle_sets: usize,
}

/// Per-point cost figures of a batch estimate, for reports.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunTotals {
    /// Sum of kernel applications over points.
    pub cost: usize,
    /// Number of points whose run hit the cap.
    pub capped: usize,
}

impl BatchGradient {
    /// Totals over the batch's runs.
    pub fn totals(&self) -> RunTotals {
        RunTotals {
            cost: self.runs.iter().map(|r| r.cost).sum(),
            capped: self.runs.iter().filter(|r| r.capped).count(),
        }
    }
}

impl<'a> PpcaProblem<'a> {
    /// Prepares the batch `x` (`P × N`) for `model` with proposal `encoder` (in parallel over points).
    ///
    /// # Errors
    /// Shape mismatches or non-finite data.
    pub fn new(
        model: &'a Ppca,
        encoder: &LinearGaussianEncoder,
        x: &'a DMatrix<f64>,
    ) -> Result<Self> {
        let targets = (0..x.ncols())
            .into_par_iter()
            .map(|n| {
                let xn: DVector<f64> = x.column(n).into_owned();
                Ok(PpcaTarget::new(PpcaPoint::new(model, &xn)?, encoder, &xn)?)
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(PpcaProblem { model, x, targets })
    }

    /// The model.
    pub fn model(&self) -> &'a Ppca {
        self.model
    }
    /// Number of points `N`.
    pub fn len(&self) -> usize {
        self.targets.len()
    }
    /// Whether the batch is empty.
    pub fn is_empty(&self) -> bool {
        self.targets.is_empty()
    }
    /// The prepared target of point `n`.
    pub fn target(&self, n: usize) -> &PpcaTarget<'a> {
        &self.targets[n]
    }
    /// The exact gradient `∇θ Σ_n log p(x_n)`.
    ///
    /// # Errors
    /// Model errors.
    pub fn exact_gradient(&self) -> Result<PpcaGradient> {
        Ok(self.model.log_likelihood_gradient(self.x)?)
    }

    /// Assembles `Σ_n Σ_k c_nk ∇θ log p(x_n, z_nk)` from per-point statistics. `S2 = Σ c z zᵀ` is computed
    /// in parallel over fixed chunks of points and summed in chunk order, so the result does not depend on
    /// the number of threads.
    pub(crate) fn assemble(&self, stats: &[PointStats]) -> Result<PpcaGradient> {
        const CHUNK: usize = 8;
        let d = self.model.latent_dim();
        let parts: Vec<DMatrix<f64>> = stats
            .par_chunks(CHUNK)
            .map(|chunk| {
                let mut all = PointStats::new(d);
                for s in chunk {
                    all.merge(s)?;
                }
                Ok(all.second_moment())
            })
            .collect::<Result<Vec<_>>>()?;
        let mut s2 = DMatrix::zeros(d, d);
        for p in &parts {
            s2 += p;
        }
        let s0 = DVector::from_iterator(stats.len(), stats.iter().map(|s| s.total_coefficient()));
        let mut s1 = DMatrix::zeros(d, stats.len());
        for (mut col, s) in s1.column_iter_mut().zip(stats) {
            col.copy_from(s.first_moment());
        }
        Ok(self
            .model
            .gradient_from_stats(self.x, &BatchStats { s0, s1, s2 })?)
    }
}
