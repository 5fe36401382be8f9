//! A PPCA batch with a fixed encoder: the object every gradient estimator runs on.

use crate::error::Result;
use nalgebra::{DMatrix, DVector};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use ucg_estimators::LaggedRun;
use ucg_models::encoder::LinearGaussianEncoder;
use ucg_models::ppca::{BatchStats, DiagonalPpcaTarget, PointStats, Ppca, PpcaGradient, PpcaPoint};

/// A PPCA model, a fixed encoder and a `P × N` batch, with every point's importance target prepared once
/// in rotated noise coordinates ([`DiagonalPpcaTarget`]: `O(DP + D³)` per point) so that estimators pay
/// `O(D)` per particle; weighted particles are accumulated in the same coordinates and turned into latent
/// moments once per point.
pub struct PpcaProblem<'a> {
    pub(crate) model: &'a Ppca,
    pub(crate) x: &'a DMatrix<f64>,
    pub(crate) targets: Vec<DiagonalPpcaTarget>,
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
        let prepare = |n: usize, like: Option<&DiagonalPpcaTarget>| -> Result<DiagonalPpcaTarget> {
            let xn: DVector<f64> = x.column(n).into_owned();
            let point = PpcaPoint::new(model, &xn)?;
            Ok(match like {
                Some(first) => DiagonalPpcaTarget::new_like(first, &point, encoder, &xn)?,
                None => DiagonalPpcaTarget::new(&point, encoder, &xn)?,
            })
        };
        let mut targets = Vec::with_capacity(x.ncols());
        if x.ncols() > 0 {
            // Points whose encoder scale equals the first point's share its rotation.
            let first = prepare(0, None)?;
            let rest = (1..x.ncols())
                .into_par_iter()
                .map(|n| prepare(n, Some(&first)))
                .collect::<Result<Vec<_>>>()?;
            targets.push(first);
            targets.extend(rest);
        }
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
    pub fn target(&self, n: usize) -> &DiagonalPpcaTarget {
        &self.targets[n]
    }
    /// The exact gradient `∇θ Σ_n log p(x_n)`.
    ///
    /// # Errors
    /// Model errors.
    pub fn exact_gradient(&self) -> Result<PpcaGradient> {
        Ok(self.model.log_likelihood_gradient(self.x)?)
    }

    /// Assembles `Σ_n Σ_k c_nk ∇θ log p(x_n, z_nk)` from per-point statistics accumulated in rotated noise
    /// coordinates. Each point's latent moments are computed in parallel and summed in point order, so the
    /// result does not depend on the number of threads.
    pub(crate) fn assemble(&self, stats: &[PointStats]) -> Result<PpcaGradient> {
        let d = self.model.latent_dim();
        let parts = stats
            .par_iter()
            .zip(&self.targets)
            .map(|(s, t)| Ok(t.latent_moments_parts(s)?))
            .collect::<Result<Vec<_>>>()?;
        let mut s2 = DMatrix::zeros(d, d);
        let mut s1 = DMatrix::zeros(d, stats.len());
        let mut s0 = DVector::zeros(stats.len());
        // Rotated second moments of points sharing the first point's basis are summed and rotated back
        // once; the others are rotated back one by one.
        let mut shared = DMatrix::zeros(d, d);
        for (n, part) in parts.iter().enumerate() {
            s0[n] = part.total;
            s1.set_column(n, &part.first);
            s2 += &part.low_rank;
            if self.targets[n].shares_basis_with(&self.targets[0]) {
                shared += &part.rotated_second;
            } else {
                s2 += self.targets[n].rotate_back(&part.rotated_second);
            }
        }
        if let Some(first) = self.targets.first() {
            s2 += first.rotate_back(&shared);
        }
        Ok(self
            .model
            .gradient_from_stats(self.x, &BatchStats { s0, s1, s2 })?)
    }
}
