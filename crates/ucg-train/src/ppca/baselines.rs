//! The importance-sampling gradients of a batch for PPCA: the biased ELBO and IWAE, and the unbiased SUMO.

use super::problem::{BatchGradient, PpcaProblem};
use crate::error::Result;
use nalgebra::DMatrix;
use rayon::prelude::*;
use ucg_estimators::baselines::{elbo_coefficients, importance_set};
use ucg_estimators::seeding::{StreamRng, stream};
use ucg_estimators::sumo::{Sumo, sumo_set};
use ucg_models::ppca::DiagonalPpcaTarget;
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
        self.gradient_of_sets(seed, |target, rng| {
            let set = importance_set(target, k, rng)?;
            let coefficients = if elbo {
                elbo_coefficients(k)
            } else {
                set.weights
            };
            Ok((set.noise, coefficients))
        })
    }

    /// SUMO's gradient `Σ_n Σ_i c_ni ∇θ log p(x_n, z_ni)` from `m + N_n` particles `z_ni ~ q(· | x_n)`
    /// per point ([`ucg_estimators::sumo`]): unbiased for the exact gradient, at a random cost.
    ///
    /// # Errors
    /// Invalid log-weights.
    pub fn sumo_gradient(&self, sumo: &Sumo, seed: u64) -> Result<BatchGradient> {
        self.gradient_of_sets(seed, |target, rng| {
            let set = sumo_set(target, sumo, rng)?;
            Ok((set.noise, set.coefficients))
        })
    }

    /// `Σ_n Σ_i c_ni ∇θ log p(x_n, z_ni)` for one set of particles and coefficients per point, drawn by
    /// `set` from the point's stream `stream(seed, n)`.
    fn gradient_of_sets<F>(&self, seed: u64, set: F) -> Result<BatchGradient>
    where
        F: Fn(
                &DiagonalPpcaTarget,
                &mut StreamRng,
            ) -> ucg_estimators::Result<(DMatrix<f64>, Vec<f64>)>
            + Sync,
    {
        let d = self.model.latent_dim();
        let stats = (0..self.len())
            .into_par_iter()
            .map(|n| {
                let (noise, coefficients) = set(&self.targets[n], &mut stream(seed, n as u64))?;
                let mut s = PointStats::new(d);
                s.push_set(&noise, &coefficients, 1.0)?;
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
