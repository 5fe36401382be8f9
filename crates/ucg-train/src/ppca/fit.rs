//! Fitting PPCA's linear Gaussian encoder on the IWAE bound with DReG gradients.

use crate::error::Result;
use crate::optim::Optimizer;
use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};
use ucg_estimators::seeding::stream;
use ucg_models::encoder::LinearGaussianEncoder;
use ucg_models::ppca::Ppca;

/// What a fit did: the bound's stochastic estimate at every step (per data point).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FitReport {
    /// The IWAE bound estimate per point, `(1/N) Σ_n log((1/K) Σ_k w_nk)`, at each step.
    pub bound_trace: Vec<f64>,
}

/// Maximises the IWAE bound with `K = k` particles over the batch `x` (`P × N`) for `steps` optimiser steps
/// from `encoder`, with DReG gradients; step `s` uses the stream `stream(seed, s)`. `progress(s, bound)` is
/// called after every step (for progress bars).
///
/// # Errors
/// Shape mismatches, `k = 0`, or a non-finite gradient.
pub fn fit_encoder_iwae(
    model: &Ppca,
    encoder: &mut LinearGaussianEncoder,
    x: &DMatrix<f64>,
    k: usize,
    steps: usize,
    optimizer: &mut dyn Optimizer,
    seed: u64,
    mut progress: impl FnMut(usize, f64),
) -> Result<FitReport> {
    let n = x.ncols().max(1) as f64;
    let mut params = encoder.to_flat();
    let mut bound_trace = Vec::with_capacity(steps);
    for s in 0..steps {
        let (bound, grad) =
            model.iwae_encoder_gradient(encoder, x, k, &mut stream(seed, s as u64))?;
        let neg: Vec<f64> = grad.to_flat().iter().map(|g| -g / n).collect();
        optimizer.step(&mut params, &neg)?;
        encoder.set_flat(&params)?;
        bound_trace.push(bound / n);
        progress(s, bound / n);
    }
    Ok(FitReport { bound_trace })
}
