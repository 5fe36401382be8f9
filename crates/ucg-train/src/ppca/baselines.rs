//! The biased baselines for PPCA: ELBO and IWAE gradients of a batch.

use super::problem::{BatchGradient, PpcaProblem};
use crate::error::Result;
use rayon::prelude::*;
use ucg_estimators::baselines::{elbo_coefficients, importance_set};
use ucg_estimators::seeding::stream;
use ucg_models::ppca::PointStats;

impl PpcaProblem<'_> {
    /// The IWAE gradient `Σ_n Σ_k w̃_nk ∇θ log p(x_n, z_nk)` with `K = k` fresh particles per point
    /// (point `n` uses the stream `stream(seed, n)`). Biased, with bias `O(1/K)`.
    ///
    /// # Errors
    /// `k = 0` or invalid log-weights.
    pub fn iwae_gradient(&self, k: usize, seed: u64) -> Result<BatchGradient> {
        self.importance_gradient(k, seed, false)
    }

    /// The ELBO gradient `Σ_n (1/K) Σ_k ∇θ log p(x_n, z_nk)`, `z_nk ~ q(· | x_n)`. Biased unless `q` is the
    /// exact posterior.
    ///
    /// # Errors
    /// `k = 0` or invalid log-weights.
    pub fn elbo_gradient(&self, k: usize, seed: u64) -> Result<BatchGradient> {
        self.importance_gradient(k, seed, true)
    }

    fn importance_gradient(&self, k: usize, seed: u64, elbo: bool) -> Result<BatchGradient> {
        let d = self.model.latent_dim();
        let stats = (0..self.len())
            .into_par_iter()
            .map(|n| {
                let target = &self.targets[n];
                let set = importance_set(target, k, &mut stream(seed, n as u64))?;
                let coeffs = if elbo {
                    elbo_coefficients(k)
                } else {
                    set.weights
                };
                let mut s = PointStats::new(d);
                s.push_set(&set.noise, &coeffs, 1.0)?;
                Ok(s)
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(BatchGradient {
            gradient: self.assemble(&stats)?,
            runs: Vec::new(),
            ess_traces: Vec::new(),
            particle_sets: self.len(),
        })
    }
}
