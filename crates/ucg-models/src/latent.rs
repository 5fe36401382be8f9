//! The view of a latent-variable model that evaluation needs (IWAE-k bounds, annealed importance
//! sampling), shared by PPCA and the VAE so that evaluation code is written once.
//!
//! A model `p(x, z) = N(z; 0, I_D) p(x | z)` with a diagonal-Gaussian encoder `q(z | x) = N(μ(x), diag σ(x)²)`,
//! bound to a fixed set of data points (for example a test set). Calls are batched over many
//! (data point, latent) pairs so that a neural model can evaluate them with large matrix products.

use crate::Result;
use crate::error::check_len;
use nalgebra::DMatrix;

/// A latent-variable model bound to `num_points()` data points, evaluated in batches.
///
/// Contract:
/// 1. `latent_dim()` is `D ≥ 1`; every `z` passed in has `D` rows.
/// 2. [`LatentModel::log_joint`] writes `log p(x_{points[j]}, z_j)` (normalised: the prior's and the
///    likelihood's constants included) for every column `z_j`; with `grad`, also `∇_z log p(x, z_j)`.
/// 3. Failures (a point index out of range, mismatched sizes, a non-finite result) are errors, not panics.
pub trait LatentModel: Sync {
    /// Dimension `D` of the latent variable.
    fn latent_dim(&self) -> usize;

    /// Number of data points the model is bound to.
    fn num_points(&self) -> usize;

    /// Mean `μ(x_n)` and standard deviation `σ(x_n)` of the encoder `q(z | x_n)`, written into `mean` and
    /// `sd` (each of length `D`).
    ///
    /// # Errors
    /// `point ≥ num_points()` or slices of the wrong length.
    fn encode(&self, point: usize, mean: &mut [f64], sd: &mut [f64]) -> Result<()>;

    /// `log p(x_{points[j]}, z_j)` into `log_joint[j]` for each column `z_j` of `z` (`D × J`, `J =
    /// points.len() = log_joint.len()`), and, when `grad` is given (`D × J`), `∇_z log p(x_{points[j]}, z_j)`
    /// into its column `j`.
    ///
    /// # Errors
    /// Mismatched sizes, a point index out of range, or a non-finite result.
    fn log_joint(
        &self,
        points: &[usize],
        z: &DMatrix<f64>,
        log_joint: &mut [f64],
        grad: Option<&mut DMatrix<f64>>,
    ) -> Result<()>;
}

/// The size checks of [`LatentModel::log_joint`]'s arguments for a model of latent dimension `d`, which every
/// implementation makes first: `z` is `d × J` with `J = points.len() = log_joint.len()`, and the gradient,
/// when asked for, has `z`'s shape.
///
/// # Errors
/// [`crate::ModelError::DimensionMismatch`] naming the argument that does not fit.
pub fn check_log_joint_args(
    d: usize,
    points: &[usize],
    z: &DMatrix<f64>,
    log_joint: &[f64],
    grad: Option<&DMatrix<f64>>,
) -> Result<()> {
    check_len("rows of z (latent dimension D)", d, z.nrows())?;
    check_len("columns of z (number of points)", points.len(), z.ncols())?;
    check_len("log-joint output", points.len(), log_joint.len())?;
    if let Some(g) = grad {
        check_len("rows of the gradient", d, g.nrows())?;
        check_len("columns of the gradient", points.len(), g.ncols())?;
    }
    Ok(())
}
