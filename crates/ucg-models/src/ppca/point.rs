//! One data point's precomputed quantities, for `O(D²)` log-joint evaluations of many particles.

use super::gradient::PpcaGradient;
use super::model::Ppca;
use super::stats::PointStats;
use crate::error::{Result, check_finite, check_len};
use nalgebra::{DMatrix, DVector};

/// A data point `x` prepared for particle evaluations: `r = x − θ0`, `a = θ1 r` and `rᵀ r`, computed once
/// at `O(DP)`. Then, with `G = θ1 θ1ᵀ`,
/// `log p(x, z) = c − ½ zᵀ z − (rᵀ r − 2 aᵀ z + zᵀ G z) / (2σ²)` costs `O(D²)` per particle.
#[derive(Clone, Debug)]
pub struct PpcaPoint<'a> {
    model: &'a Ppca,
    r: DVector<f64>,
    a: DVector<f64>,
    rr: f64,
}

impl<'a> PpcaPoint<'a> {
    /// Prepares data point `x` (length `P`).
    ///
    /// # Errors
    /// Wrong length or non-finite data.
    pub fn new(model: &'a Ppca, x: &DVector<f64>) -> Result<Self> {
        check_len("data dimension P", model.data_dim(), x.len())?;
        check_finite("data point", x.iter())?;
        let r = x - model.theta0();
        let a = model.theta1() * &r;
        let rr = r.norm_squared();
        Ok(PpcaPoint { model, r, a, rr })
    }

    /// The model.
    pub fn model(&self) -> &'a Ppca {
        self.model
    }
    /// `a = θ1 (x − θ0)` (length `D`).
    pub fn projected_residual(&self) -> &DVector<f64> {
        &self.a
    }

    /// Writes `log p(x, z_k)` for each column `z_k` of `z` (`D × K`) into `out`.
    ///
    /// # Panics
    /// If `z` does not have `D` rows or `out.len() != K` (callers inside the crate guarantee both; use
    /// [`Ppca::log_joint`] for checked single evaluations).
    pub fn log_joint_particles(&self, z: &DMatrix<f64>, out: &mut [f64]) {
        assert_eq!(z.nrows(), self.model.latent_dim());
        assert_eq!(z.ncols(), out.len());
        let gz = self.model.gram() * z;
        let c = self.model.log_joint_const();
        let inv2s = 0.5 / self.model.sigma2();
        for (k, o) in out.iter_mut().enumerate() {
            let zk = z.column(k);
            let quad = self.rr - 2.0 * self.a.dot(&zk) + zk.dot(&gz.column(k));
            *o = c - 0.5 * zk.norm_squared() - inv2s * quad;
        }
    }

    /// `∂ log p(x, z_k) / ∂z_k = −z_k + (a − G z_k) / σ²` for each column of `z` (`D × K`).
    pub fn score_particles(&self, z: &DMatrix<f64>) -> DMatrix<f64> {
        let s2 = self.model.sigma2();
        let mut out = self.model.gram() * z;
        for (mut o, zk) in out.column_iter_mut().zip(z.column_iter()) {
            o.zip_apply(&self.a, |g, a| *g = (a - *g) / s2);
            o -= zk;
        }
        out
    }

    /// `Σ_k c_k ∇θ log p(x, z_k)` from the weighted sufficient statistics `Σ c_k`, `Σ c_k z_k` and
    /// `Σ c_k z_k z_kᵀ` of `stats`: `∇θ0 = (s0 r − θ1ᵀ s1)/σ²`, `∇θ1 = (s1 rᵀ − S2 θ1)/σ²`.
    ///
    /// # Errors
    /// `stats` built for another latent dimension.
    pub fn gradient_from_stats(&self, stats: &PointStats) -> Result<PpcaGradient> {
        check_len(
            "latent dimension of the statistics",
            self.model.latent_dim(),
            stats.latent_dim(),
        )?;
        let s2 = self.model.sigma2();
        let (s0, s1) = (stats.total_coefficient(), stats.first_moment());
        let mut theta0 = &self.r * s0;
        theta0.gemv_tr(-1.0, self.model.theta1(), s1, 1.0);
        theta0 /= s2;
        let mut theta1 = stats.second_moment() * self.model.theta1();
        theta1 *= -1.0;
        theta1.ger(1.0, s1, &self.r, 1.0);
        theta1 /= s2;
        Ok(PpcaGradient { theta0, theta1 })
    }
}
