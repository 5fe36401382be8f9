//! One replicate: a batch-gradient estimate reduced to its CSV row and its error vector.

use serde::{Deserialize, Serialize};
use ucg_train::ppca::BatchGradient;

use super::cells::Cell;

/// The exact gradient an estimate is compared with, and the components shown.
#[derive(Clone, Copy, Debug)]
pub struct Reference<'a> {
    /// The exact gradient, flattened (`θ0`, then `θ1` column-major).
    pub exact: &'a [f64],
    /// Mean absolute exact component (the relative absolute error's denominator).
    pub mean_abs: f64,
    /// Flat index of the intercept component shown.
    pub intercept: usize,
    /// Flat index of the weight component shown.
    pub weight: usize,
}

/// One row of `replicates.csv`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReplicateRow {
    /// The cell's identifier.
    pub cell: String,
    /// The estimator's name.
    pub estimator: String,
    /// Particles per set.
    pub k: usize,
    /// Latent dimension.
    pub d: usize,
    /// Replicate index within the cell.
    pub replicate: u64,
    /// The estimator call's seed.
    pub seed: u64,
    /// DISIR's β (C-ISIR-DISIR only).
    pub beta: Option<f64>,
    /// Signed error of the intercept component.
    pub error_intercept: Option<f64>,
    /// Signed error of the weight component.
    pub error_weight: Option<f64>,
    /// Mean absolute error over all components divided by the mean absolute exact component.
    pub relative_abs_error: Option<f64>,
    /// Mean meeting time over the batch's points (capped points at the cap).
    pub tau_mean: Option<f64>,
    /// Largest meeting time over the batch's points.
    pub tau_max: Option<usize>,
    /// Points whose run hit the cap.
    pub capped_points: usize,
    /// Kernel applications summed over points (a coupled step counts two; 0 for ELBO and IWAE).
    pub kernel_applications: usize,
    /// Particles whose log-weight was evaluated (proposal sets × K).
    pub particle_evaluations: usize,
    /// Wall-clock seconds of the estimate.
    pub wall_seconds: f64,
}

/// A replicate's row and, when checked against the exact gradient, its error vector.
pub struct Measured {
    /// The CSV row.
    pub row: ReplicateRow,
    /// `estimate − exact`, componentwise.
    pub errors: Option<Vec<f64>>,
}

/// Reduces replicate `replicate` (seed `seed`) of `cell` to its row and error vector.
pub fn measure(
    cell: &Cell,
    replicate: u64,
    seed: u64,
    beta: Option<f64>,
    estimate: &BatchGradient,
    reference: Option<&Reference<'_>>,
    wall_seconds: f64,
) -> Measured {
    let errors = reference.map(|r| {
        let mut e = estimate.gradient.to_vec();
        for (v, x) in e.iter_mut().zip(r.exact) {
            *v -= x;
        }
        e
    });
    let picked = |i: usize| errors.as_ref().map(|e| e[i]);
    let relative_abs_error = errors
        .as_ref()
        .zip(reference)
        .map(|(e, r)| e.iter().map(|v| v.abs()).sum::<f64>() / e.len() as f64 / r.mean_abs);
    let taus: Vec<usize> = estimate
        .runs
        .iter()
        .map(|r| r.meeting_time.unwrap_or(r.iterations))
        .collect();
    let totals = estimate.totals();
    let row = ReplicateRow {
        cell: cell.id(),
        estimator: cell.estimator.label().into(),
        k: cell.k,
        d: cell.d,
        replicate,
        seed,
        beta,
        error_intercept: reference.and_then(|r| picked(r.intercept)),
        error_weight: reference.and_then(|r| picked(r.weight)),
        relative_abs_error,
        tau_mean: (!taus.is_empty()).then(|| taus.iter().sum::<usize>() as f64 / taus.len() as f64),
        tau_max: taus.iter().copied().max(),
        capped_points: totals.capped,
        kernel_applications: totals.cost,
        particle_evaluations: estimate.particle_sets * cell.k,
        wall_seconds,
    };
    Measured { row, errors }
}
