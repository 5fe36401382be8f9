//! Biased baselines on the same targets, for comparisons on identical footing: importance-sampling sets for
//! the ELBO and IWAE gradients, and the single-chain time average.
//!
//! For a latent-variable model, with `z_k = g(ξ_k)` and `ξ_k ~ N(0, I)`:
//! - ELBO gradient: `(1/K) Σ_k ∇θ log p(x, z_k)` — coefficients [`elbo_coefficients`];
//! - IWAE gradient: `Σ_k w̃_k ∇θ log p(x, z_k)` — coefficients `w̃`, [`ImportanceSet::weights`].
//!
//! Both are biased for `∇θ log p(x)` (the IWAE one by `O(1/K)`).

use crate::error::Result;
use crate::lagged::{Event, Part};
use nalgebra::DMatrix;
use rand::Rng;
use rand_distr::{Distribution, StandardNormal};
use ucg_couplings::weights::normalize_log_weights;
use ucg_couplings::{ImportanceTarget, InitialLaw};

/// `K` independent particles `ξ_k ~ N(0, I)` with their log-weights and self-normalised weights.
#[derive(Clone, Debug)]
pub struct ImportanceSet {
    /// The particles, one per column (`noise_dim × K`).
    pub noise: DMatrix<f64>,
    /// `log w(ξ_k)`.
    pub log_weights: Vec<f64>,
    /// `w̃_k`.
    pub weights: Vec<f64>,
    /// `log((1/K) Σ_k w_k)`, the IWAE bound's estimate for this set.
    pub log_mean_weight: f64,
}

/// Draws an [`ImportanceSet`] of `k` particles.
///
/// # Errors
/// `k = 0` or invalid log-weights.
pub fn importance_set<T, R>(target: &T, k: usize, rng: &mut R) -> Result<ImportanceSet>
where
    T: ImportanceTarget + ?Sized,
    R: Rng + ?Sized,
{
    if k == 0 {
        return Err(crate::error::invalid("K", "need at least one particle"));
    }
    let noise = DMatrix::from_fn(target.noise_dim(), k, |_, _| StandardNormal.sample(rng));
    let mut log_weights = vec![0.0; k];
    target.log_weights(&noise, &mut log_weights)?;
    let mut weights = vec![0.0; k];
    let lse = normalize_log_weights(&log_weights, &mut weights)?;
    Ok(ImportanceSet {
        noise,
        log_weights,
        weights,
        log_mean_weight: lse - (k as f64).ln(),
    })
}

/// The ELBO gradient's coefficients: `1/K` for every particle.
pub fn elbo_coefficients(k: usize) -> Vec<f64> {
    vec![1.0 / k.max(1) as f64; k]
}

/// The single-chain time average `(1/(m−k+1)) Σ_{t=k}^{m} h(X_t)` (biased for finite `k`), with the same
/// sink protocol as [`crate::run_lagged`], started from the kernel's [`InitialLaw`]; returns the cost `m`
/// in kernel applications.
///
/// # Errors
/// `k > m`, or kernel and sink failures.
pub fn time_average<K, R, S>(
    kernel: &K,
    k: usize,
    m: usize,
    rng: &mut R,
    mut sink: S,
) -> Result<usize>
where
    K: InitialLaw,
    R: Rng + ?Sized,
    S: FnMut(Event<'_, K::State>) -> Result<()>,
{
    if k > m {
        return Err(crate::error::invalid(
            "k",
            format!("k = {k} exceeds m = {m}"),
        ));
    }
    let inv = 1.0 / (m - k + 1) as f64;
    let mut x = kernel.sample_initial(rng)?;
    for t in 0..=m {
        if t > 0 {
            kernel.step(&mut x, rng)?;
            sink(Event::Step { t, x: &x })?;
        }
        if t >= k {
            sink(Event::Term {
                state: &x,
                coefficient: inv,
                part: Part::Mcmc,
            })?;
        }
    }
    Ok(m)
}
