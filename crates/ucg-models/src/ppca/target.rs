//! PPCA's posterior as an importance target for the ISIR family (the glue between models and kernels).

use super::point::PpcaPoint;
use super::stats::PointStats;
use crate::encoder::LinearGaussianEncoder;
use crate::error::Result;
use nalgebra::{DMatrix, DVector};
use ucg_couplings::ImportanceTarget;

/// The posterior `p(z | x)` of one data point, in the noise coordinates of the encoder:
/// `z = μ + σ ⊙ ξ` with `(μ, σ)` the encoder's outputs at `x`, and
/// `log w(ξ) = log p(x, z) − log q(z | x)`. Kernels of `ucg-couplings` run on it directly.
#[derive(Clone, Debug)]
pub struct PpcaTarget<'a> {
    point: PpcaPoint<'a>,
    mu: DVector<f64>,
    sigma: DVector<f64>,
    log_q_const: f64,
}

impl<'a> PpcaTarget<'a> {
    /// The target for data point `x` with proposal `q(· | x)` from `encoder`.
    ///
    /// # Errors
    /// Dimension mismatches between model, encoder and `x`, or non-finite data.
    pub fn new(
        point: PpcaPoint<'a>,
        encoder: &LinearGaussianEncoder,
        x: &DVector<f64>,
    ) -> Result<Self> {
        crate::error::check_len(
            "encoder latent dimension",
            point.model().latent_dim(),
            encoder.latent_dim(),
        )?;
        let (mu, sigma) = encoder.mean_and_scale(x)?;
        let log_q_const = encoder.log_q_const(&sigma);
        Ok(PpcaTarget {
            point,
            mu,
            sigma,
            log_q_const,
        })
    }

    /// The prepared data point.
    pub fn point(&self) -> &PpcaPoint<'a> {
        &self.point
    }
    /// The proposal's mean `μ(x)`.
    pub fn mean(&self) -> &DVector<f64> {
        &self.mu
    }
    /// The proposal's standard deviations `σ(x)`.
    pub fn scale(&self) -> &DVector<f64> {
        &self.sigma
    }

    /// Latents `z_k = μ + σ ⊙ ξ_k` of a set of noise vectors (`D × K`).
    pub fn latents(&self, noise: &DMatrix<f64>) -> DMatrix<f64> {
        let mut z = noise.clone();
        for mut col in z.column_iter_mut() {
            col.component_mul_assign(&self.sigma);
            col += &self.mu;
        }
        z
    }

    /// Records the set `noise` with coefficients `scale · weights[k]` into `stats` (the Rao-Blackwellised
    /// `h = Σ_k w̃_k ∇θ log p(x, z_k)` of a state, multiplied by the estimator's coefficient `scale`).
    ///
    /// # Errors
    /// Shape mismatches.
    pub fn accumulate(
        &self,
        stats: &mut PointStats,
        noise: &DMatrix<f64>,
        weights: &[f64],
        scale: f64,
    ) -> Result<()> {
        stats.push_set(&self.latents(noise), weights, scale)
    }

    /// `log w(ξ_k) = log p(x, z_k) − log q(z_k | x)` into `out[k]` for each column of `noise`; PPCA's
    /// weights cannot fail, so this is the infallible form of [`ImportanceTarget::log_weights`].
    pub fn log_weights_into(&self, noise: &DMatrix<f64>, out: &mut [f64]) {
        let z = self.latents(noise);
        self.point.log_joint_particles(&z, out);
        for (o, xi) in out.iter_mut().zip(noise.column_iter()) {
            *o -= self.log_q_const - 0.5 * xi.norm_squared();
        }
    }
}

impl ImportanceTarget for PpcaTarget<'_> {
    fn noise_dim(&self) -> usize {
        self.mu.len()
    }

    fn log_weights(&self, noise: &DMatrix<f64>, out: &mut [f64]) -> ucg_couplings::Result<()> {
        self.log_weights_into(noise, out);
        Ok(())
    }
}
