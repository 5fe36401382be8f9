//! The PPCA model: parameters, exact marginal likelihood, exact gradient, exact posterior.

use super::gradient::PpcaGradient;
use super::stats::BatchStats;
use crate::encoder::LinearGaussianEncoder;
use crate::error::{ModelError, Result, check_finite, check_len};
use nalgebra::{Cholesky, DMatrix, DVector, Dyn};
use rand::SeedableRng;
use rand_distr::{Distribution, Normal};
use rand_xoshiro::Xoshiro256PlusPlus;

const LN_2PI: f64 = 1.837_877_066_409_345_5;

/// Probabilistic PCA `p(x, z) = N(z; 0, I_D) N(x; θ0 + θ1ᵀ z, σ² I_P)` with `θ0 ∈ ℝ^P`, `θ1 ∈ ℝ^{D×P}`.
///
/// The marginal is `x ~ N(θ0, Σ)`, `Σ = θ1ᵀ θ1 + σ² I_P`, and the posterior is
/// `z | x ~ N(M⁻¹ θ1 r, σ² M⁻¹)` with `M = θ1 θ1ᵀ + σ² I_D` and `r = x − θ0`. Everything is computed through
/// `M` (Woodbury: `Σ⁻¹ = σ⁻²(I − θ1ᵀ M⁻¹ θ1)`, `log det Σ = (P − D) log σ² + log det M`), so the cost per
/// point is `O(DP)` and no `P × P` matrix is ever formed. The Gram matrix `G = θ1 θ1ᵀ` and the Cholesky
/// factor of `M` are computed once at construction.
#[derive(Clone, Debug)]
pub struct Ppca {
    theta0: DVector<f64>,
    theta1: DMatrix<f64>,
    sigma2: f64,
    gram: DMatrix<f64>,
    chol_m: Cholesky<f64, Dyn>,
    log_det_sigma: f64,
}

impl Ppca {
    /// A model from explicit parameters: `theta0` of length `P`, `theta1` of shape `D × P`, noise variance
    /// `sigma2 > 0`.
    ///
    /// # Errors
    /// Mismatched dimensions, `D = 0` or `P = 0`, non-finite entries, or `sigma2` not positive and finite.
    pub fn new(theta0: DVector<f64>, theta1: DMatrix<f64>, sigma2: f64) -> Result<Self> {
        check_len(
            "θ0 length (P = columns of θ1)",
            theta1.ncols(),
            theta0.len(),
        )?;
        if theta1.nrows() == 0 || theta1.ncols() == 0 {
            return Err(ModelError::InvalidParameter {
                name: "theta1",
                reason: format!(
                    "shape {}×{} has a zero dimension",
                    theta1.nrows(),
                    theta1.ncols()
                ),
            });
        }
        if !(sigma2 > 0.0 && sigma2.is_finite()) {
            return Err(ModelError::InvalidParameter {
                name: "sigma2",
                reason: format!("must be positive and finite, got {sigma2}"),
            });
        }
        check_finite("θ0", theta0.iter())?;
        check_finite("θ1", theta1.iter())?;
        let gram = &theta1 * theta1.transpose();
        let mut m = gram.clone();
        for i in 0..m.nrows() {
            m[(i, i)] += sigma2;
        }
        let chol_m = Cholesky::new(m).ok_or(ModelError::NotPositiveDefinite {
            what: "M = θ1 θ1ᵀ + σ² I",
        })?;
        let log_det_m = 2.0
            * chol_m
                .l_dirty()
                .diagonal()
                .iter()
                .map(|v| v.ln())
                .sum::<f64>();
        let (d, p) = theta1.shape();
        let log_det_sigma = (p as f64 - d as f64) * sigma2.ln() + log_det_m;
        Ok(Ppca {
            theta0,
            theta1,
            sigma2,
            gram,
            chol_m,
            log_det_sigma,
        })
    }

    /// A random model for experiments: `θ0` entries `N(0, 0.1²)` and `θ1` entries `N(0, 1/P)`, drawn
    /// from a `Xoshiro256++` stream seeded with `seed` (`θ0` first, then `θ1` column by column).
    ///
    /// # Errors
    /// As [`Ppca::new`] (zero dimensions, invalid `sigma2`).
    pub fn random(d: usize, p: usize, sigma2: f64, seed: u64) -> Result<Self> {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let n0 = Normal::new(0.0, 0.1).expect("valid normal");
        let n1 = Normal::new(0.0, 1.0 / (p.max(1) as f64).sqrt()).expect("valid normal");
        let theta0 = DVector::from_fn(p, |_, _| n0.sample(&mut rng));
        let theta1 = DMatrix::from_fn(d, p, |_, _| n1.sample(&mut rng));
        Self::new(theta0, theta1, sigma2)
    }

    /// Latent dimension `D`.
    pub fn latent_dim(&self) -> usize {
        self.theta1.nrows()
    }
    /// Data dimension `P`.
    pub fn data_dim(&self) -> usize {
        self.theta1.ncols()
    }
    /// Intercept `θ0` (length `P`).
    pub fn theta0(&self) -> &DVector<f64> {
        &self.theta0
    }
    /// Loadings `θ1` (`D × P`).
    pub fn theta1(&self) -> &DMatrix<f64> {
        &self.theta1
    }
    /// Noise variance `σ²`.
    pub fn sigma2(&self) -> f64 {
        self.sigma2
    }
    /// Gram matrix `G = θ1 θ1ᵀ` (`D × D`).
    pub fn gram(&self) -> &DMatrix<f64> {
        &self.gram
    }

    /// Checks that `x` is a `P × N` batch of finite values.
    pub(crate) fn check_batch(&self, x: &DMatrix<f64>) -> Result<()> {
        check_len(
            "data dimension P (rows of the batch)",
            self.data_dim(),
            x.nrows(),
        )?;
        check_finite("data batch", x.iter())
    }

    /// Residuals `R = X − θ0 1ᵀ` (`P × N`).
    pub(crate) fn residuals(&self, x: &DMatrix<f64>) -> DMatrix<f64> {
        let mut r = x.clone();
        for mut col in r.column_iter_mut() {
            col -= &self.theta0;
        }
        r
    }

    /// Exact `Σ_n log p(x_n)` for a `P × N` batch (one point per column).
    ///
    /// `log p(x) = −½ [P log 2π + log det Σ + rᵀ Σ⁻¹ r]`, with
    /// `rᵀ Σ⁻¹ r = σ⁻² (rᵀ r − aᵀ M⁻¹ a)` and `a = θ1 r`.
    ///
    /// # Errors
    /// Wrong number of rows or non-finite data.
    pub fn log_likelihood(&self, x: &DMatrix<f64>) -> Result<f64> {
        Ok(self.log_likelihood_points(x)?.sum())
    }

    /// Exact `log p(x_n)` of every column of a `P × N` batch.
    ///
    /// # Errors
    /// As [`Ppca::log_likelihood`].
    pub fn log_likelihood_points(&self, x: &DMatrix<f64>) -> Result<DVector<f64>> {
        self.check_batch(x)?;
        let r = self.residuals(x);
        let a = &self.theta1 * &r;
        let m_inv_a = self.chol_m.solve(&a);
        let p = self.data_dim() as f64;
        Ok(DVector::from_fn(x.ncols(), |n, _| {
            let quad =
                (r.column(n).norm_squared() - a.column(n).dot(&m_inv_a.column(n))) / self.sigma2;
            -0.5 * (p * LN_2PI + self.log_det_sigma + quad)
        }))
    }

    /// Exact gradient of `Σ_n log p(x_n)` with respect to `θ0` and `θ1`:
    /// `∇θ0 = Σ_n Σ⁻¹ r_n` and `∇θ1 = θ1 Σ_n (Σ⁻¹ r_n r_nᵀ Σ⁻¹ − Σ⁻¹)`.
    ///
    /// Computed as `∇θ1 = (M⁻¹ A) Uᵀ − N M⁻¹ θ1` with `A = θ1 R` and `U = Σ⁻¹ R = σ⁻² (R − θ1ᵀ M⁻¹ A)`,
    /// using `θ1 Σ⁻¹ = M⁻¹ θ1` and `θ1 U = M⁻¹ A`; the cost is `O(DPN + D²P)`.
    ///
    /// # Errors
    /// As [`Ppca::log_likelihood`].
    pub fn log_likelihood_gradient(&self, x: &DMatrix<f64>) -> Result<PpcaGradient> {
        self.check_batch(x)?;
        let n = x.ncols() as f64;
        let r = self.residuals(x);
        let m_inv_a = self.chol_m.solve(&(&self.theta1 * &r));
        let mut u = r;
        u.gemm_tr(-1.0, &self.theta1, &m_inv_a, 1.0);
        u /= self.sigma2;
        let theta0 = u.column_sum();
        let mut theta1 = self.chol_m.solve(&self.theta1);
        theta1 *= -n;
        theta1.gemm(1.0, &m_inv_a, &u.transpose(), 1.0);
        Ok(PpcaGradient { theta0, theta1 })
    }

    /// The exact posterior `z | x ~ N(M⁻¹ θ1 r, σ² M⁻¹)` of one point: returns (mean, covariance).
    ///
    /// # Errors
    /// Wrong length or non-finite data.
    pub fn posterior(&self, x: &DVector<f64>) -> Result<(DVector<f64>, DMatrix<f64>)> {
        check_len("data dimension P", self.data_dim(), x.len())?;
        check_finite("data point", x.iter())?;
        let mean = self.chol_m.solve(&(&self.theta1 * (x - &self.theta0)));
        let mut cov = self.chol_m.inverse();
        cov *= self.sigma2;
        Ok((mean, cov))
    }

    /// `log p(x, z) = log N(z; 0, I) + log N(x; θ0 + θ1ᵀ z, σ² I)` for one point and one latent, directly
    /// (`O(DP)`; for many particles use [`super::PpcaPoint`], which costs `O(D²)` each).
    ///
    /// # Errors
    /// Wrong lengths or non-finite values.
    pub fn log_joint(&self, x: &DVector<f64>, z: &DVector<f64>) -> Result<f64> {
        check_len("data dimension P", self.data_dim(), x.len())?;
        check_len("latent dimension D", self.latent_dim(), z.len())?;
        check_finite("data point", x.iter())?;
        check_finite("latent", z.iter())?;
        let (d, p) = (self.latent_dim() as f64, self.data_dim() as f64);
        let resid = x - &self.theta0 - self.theta1.tr_mul(z);
        Ok(-0.5 * (z.norm_squared() + d * LN_2PI)
            - 0.5 * (resid.norm_squared() / self.sigma2 + p * (LN_2PI + self.sigma2.ln())))
    }

    /// `∇θ log p(x, z)` for one point and one latent:
    /// `∇θ0 = (x − θ0 − θ1ᵀ z) / σ²`, `∇θ1 = z (x − θ0 − θ1ᵀ z)ᵀ / σ²`.
    ///
    /// # Errors
    /// As [`Ppca::log_joint`].
    pub fn log_joint_gradient(&self, x: &DVector<f64>, z: &DVector<f64>) -> Result<PpcaGradient> {
        check_len("data dimension P", self.data_dim(), x.len())?;
        check_len("latent dimension D", self.latent_dim(), z.len())?;
        check_finite("data point", x.iter())?;
        check_finite("latent", z.iter())?;
        let resid = (x - &self.theta0 - self.theta1.tr_mul(z)) / self.sigma2;
        let theta1 = z * resid.transpose();
        Ok(PpcaGradient {
            theta0: resid,
            theta1,
        })
    }

    /// `Σ_n Σ_k c_nk ∇θ log p(x_n, z_nk)` for a `P × N` batch from its weighted sufficient statistics:
    /// `∇θ0 = (R s0 − θ1ᵀ Σ_n s1_n) / σ²` and `∇θ1 = (S1 Rᵀ − S2 θ1) / σ²`, with `R = X − θ0 1ᵀ`.
    ///
    /// # Errors
    /// A batch or statistics of the wrong shape, or non-finite data.
    pub fn gradient_from_stats(
        &self,
        x: &DMatrix<f64>,
        stats: &BatchStats,
    ) -> Result<PpcaGradient> {
        self.check_batch(x)?;
        let d = self.latent_dim();
        check_len(
            "number of points in the statistics (s0)",
            x.ncols(),
            stats.s0.len(),
        )?;
        check_len(
            "number of points in the statistics (s1)",
            x.ncols(),
            stats.s1.ncols(),
        )?;
        check_len("latent dimension of s1", d, stats.s1.nrows())?;
        check_len("latent dimension of S2", d, stats.s2.nrows())?;
        check_len("latent dimension of S2", d, stats.s2.ncols())?;
        let r = self.residuals(x);
        let mut theta0 = &r * &stats.s0;
        let s1_total = stats.s1.column_sum();
        theta0.gemv_tr(-1.0, &self.theta1, &s1_total, 1.0);
        theta0 /= self.sigma2;
        let mut theta1 = &stats.s2 * &self.theta1;
        theta1 *= -1.0;
        theta1.gemm(1.0, &stats.s1, &r.transpose(), 1.0);
        theta1 /= self.sigma2;
        Ok(PpcaGradient { theta0, theta1 })
    }

    /// The Gaussian encoder `q(z | x) = N(s · μ_post(x), s² diag(σ²_post))`: the exact posterior mean
    /// (linear in `x`: `M⁻¹ θ1 (x − θ0)`) and `scale` times the exact posterior marginal standard
    /// deviations (which do not depend on `x`). `scale = 1` gives the best diagonal approximation in
    /// means and marginal variances; the benchmarks use `scale = 1.2`.
    ///
    /// # Errors
    /// `scale` not positive and finite.
    pub fn posterior_encoder(&self, scale: f64) -> Result<LinearGaussianEncoder> {
        if !(scale > 0.0 && scale.is_finite()) {
            return Err(ModelError::InvalidParameter {
                name: "scale",
                reason: format!("must be positive and finite, got {scale}"),
            });
        }
        let w_mu = self.chol_m.solve(&self.theta1);
        let b_mu = -(&w_mu * &self.theta0);
        let cov = self.chol_m.inverse() * self.sigma2;
        let b_ls = DVector::from_fn(self.latent_dim(), |i, _| (scale * cov[(i, i)].sqrt()).ln());
        let w_ls = DMatrix::zeros(self.latent_dim(), self.data_dim());
        LinearGaussianEncoder::new(w_mu, b_mu, w_ls, b_ls)
    }

    /// `log N(x; θ0 + θ1ᵀ z, σ² I)`'s constant `−½ P (log 2π + log σ²)` plus the prior's `−½ D log 2π`.
    pub(crate) fn log_joint_const(&self) -> f64 {
        let (d, p) = (self.latent_dim() as f64, self.data_dim() as f64);
        -0.5 * (d * LN_2PI + p * (LN_2PI + self.sigma2.ln()))
    }
}
