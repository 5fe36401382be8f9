//! Targets: unnormalised log-densities, and importance targets for the ISIR family.

use crate::error::Result;
use nalgebra::DMatrix;

/// An unnormalised log-density `log π(x) + const` on `ℝ^dim` (for random-walk MH and similar kernels).
pub trait LogDensity {
    /// Dimension of the state.
    fn dim(&self) -> usize;
    /// `log π(x)` up to an additive constant; `−∞` outside the support.
    ///
    /// # Errors
    /// A target that cannot evaluate `x` returns its own failure, usually wrapped with
    /// [`CouplingError::source_error`](crate::CouplingError::source_error); kernels pass it on unchanged.
    fn log_density(&self, x: &[f64]) -> Result<f64>;
}

/// A target for importance-sampling kernels (ISIR, DISIR, PIMH) written in *noise coordinates*:
/// particles are standard-normal vectors `ξ ∈ ℝ^noise_dim`, and the target density is
/// `π(ξ) ∝ w(ξ) N(ξ; 0, I)`, so `log_weights` returns `log w(ξ)` (for a latent-variable model with a
/// reparameterised proposal `z = g(ξ)`, `log w = log p(x, z) − log q(z | x)`).
///
/// A whole proposal set is evaluated in one call so that models can batch the linear algebra.
pub trait ImportanceTarget {
    /// Dimension of one particle's noise vector.
    fn noise_dim(&self) -> usize;

    /// Writes `log w(ξ_k)` into `out[k]` for each column `ξ_k` of `noise` (`noise_dim × K`).
    ///
    /// `out.len()` equals `noise.ncols()`. Implementations may return `−∞` for a particle of zero weight;
    /// kernels reject NaN and `+∞`.
    ///
    /// # Errors
    /// A target that cannot evaluate the set returns its own failure, usually wrapped with
    /// [`CouplingError::source_error`](crate::CouplingError::source_error); kernels pass it on unchanged.
    fn log_weights(&self, noise: &DMatrix<f64>, out: &mut [f64]) -> Result<()>;
}

impl<T: ImportanceTarget + ?Sized> ImportanceTarget for &T {
    fn noise_dim(&self) -> usize {
        (**self).noise_dim()
    }
    fn log_weights(&self, noise: &DMatrix<f64>, out: &mut [f64]) -> Result<()> {
        (**self).log_weights(noise, out)
    }
}

impl<T: LogDensity + ?Sized> LogDensity for &T {
    fn dim(&self) -> usize {
        (**self).dim()
    }
    fn log_density(&self, x: &[f64]) -> Result<f64> {
        (**self).log_density(x)
    }
}
