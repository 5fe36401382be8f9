//! The diagonal Gaussian encoder `q_φ(z | x) = N(μ(x), diag σ(x)²)` with `μ(x) = W_μ x + b_μ` and
//! `log σ(x) = W_s x + b_s`, reparameterised as `z = μ(x) + σ(x) ⊙ ξ`, `ξ ~ N(0, I)`.

use crate::error::{ModelError, Result, check_finite, check_len};
use nalgebra::{DMatrix, DVector};

const LN_2PI: f64 = 1.837_877_066_409_345_5;

/// A diagonal Gaussian encoder whose mean and log-scale are affine in `x`.
///
/// The same type holds a gradient with respect to the encoder's parameters (see
/// [`LinearGaussianEncoder::dreg_gradient`]); [`LinearGaussianEncoder::to_flat`] and
/// [`LinearGaussianEncoder::set_flat`] expose the parameters as one vector (`W_μ`, `b_μ`, `W_s`, `b_s`,
/// matrices column-major) for optimisers.
#[derive(Clone, Debug, PartialEq)]
pub struct LinearGaussianEncoder {
    /// `W_μ` (`D × P`).
    pub w_mu: DMatrix<f64>,
    /// `b_μ` (length `D`).
    pub b_mu: DVector<f64>,
    /// `W_s` (`D × P`), the log-scale's weights.
    pub w_ls: DMatrix<f64>,
    /// `b_s` (length `D`), the log-scale's bias.
    pub b_ls: DVector<f64>,
}

impl LinearGaussianEncoder {
    /// An encoder from its parameters.
    ///
    /// # Errors
    /// Inconsistent shapes or non-finite entries.
    pub fn new(
        w_mu: DMatrix<f64>,
        b_mu: DVector<f64>,
        w_ls: DMatrix<f64>,
        b_ls: DVector<f64>,
    ) -> Result<Self> {
        let (d, p) = w_mu.shape();
        check_len("rows of W_s", d, w_ls.nrows())?;
        check_len("columns of W_s", p, w_ls.ncols())?;
        check_len("length of b_μ", d, b_mu.len())?;
        check_len("length of b_s", d, b_ls.len())?;
        for (what, v) in [("W_μ", w_mu.as_slice()), ("b_μ", b_mu.as_slice())] {
            check_finite(what, v)?;
        }
        for (what, v) in [("W_s", w_ls.as_slice()), ("b_s", b_ls.as_slice())] {
            check_finite(what, v)?;
        }
        Ok(LinearGaussianEncoder {
            w_mu,
            b_mu,
            w_ls,
            b_ls,
        })
    }

    /// The encoder equal to the prior `N(0, I)` for every `x` (all parameters zero).
    pub fn prior(d: usize, p: usize) -> Self {
        LinearGaussianEncoder {
            w_mu: DMatrix::zeros(d, p),
            b_mu: DVector::zeros(d),
            w_ls: DMatrix::zeros(d, p),
            b_ls: DVector::zeros(d),
        }
    }

    /// Latent dimension `D`.
    pub fn latent_dim(&self) -> usize {
        self.w_mu.nrows()
    }
    /// Data dimension `P`.
    pub fn data_dim(&self) -> usize {
        self.w_mu.ncols()
    }

    /// `(μ(x), σ(x))`.
    ///
    /// # Errors
    /// Wrong length or non-finite `x`, or a scale that under- or overflows.
    pub fn mean_and_scale(&self, x: &DVector<f64>) -> Result<(DVector<f64>, DVector<f64>)> {
        check_len("data dimension P", self.data_dim(), x.len())?;
        check_finite("data point", x.iter())?;
        let mu = &self.w_mu * x + &self.b_mu;
        let sigma = (&self.w_ls * x + &self.b_ls).map(f64::exp);
        if sigma.iter().any(|s| !(s.is_finite() && *s > 0.0)) {
            return Err(ModelError::NonFinite {
                what: "encoder scale exp(W_s x + b_s)",
            });
        }
        Ok((mu, sigma))
    }

    /// `−Σ_d log σ_d − (D/2) log 2π`, so that `log q(z | x) = const − ½ |ξ|²` with `ξ = (z − μ)/σ`.
    pub fn log_q_const(&self, sigma: &DVector<f64>) -> f64 {
        -sigma.iter().map(|s| s.ln()).sum::<f64>() - 0.5 * sigma.len() as f64 * LN_2PI
    }

    /// `log q(z | x)`.
    ///
    /// # Errors
    /// Shape mismatches or non-finite values.
    pub fn log_q(&self, x: &DVector<f64>, z: &DVector<f64>) -> Result<f64> {
        check_len("latent dimension D", self.latent_dim(), z.len())?;
        check_finite("latent", z.iter())?;
        let (mu, sigma) = self.mean_and_scale(x)?;
        let xi = (z - mu).component_div(&sigma);
        Ok(self.log_q_const(&sigma) - 0.5 * xi.norm_squared())
    }

    /// The doubly-reparameterised (DReG) estimate of the IWAE bound's gradient with respect to the encoder
    /// (Tucker et al. 2019): `Σ_k w̃_k² (∂ log w_k / ∂z_k)(∂z_k / ∂φ)`.
    ///
    /// Inputs for one data point `x`: the noise `ξ_k` (columns of `noise`), the scale `σ(x)`, the scores
    /// `∂ log w_k / ∂z_k` with `q`'s parameters held constant (columns of `score`, which equal
    /// `∂ log p(x, z_k)/∂z_k + ξ_k / σ`), and the log-weights. With `∂z/∂μ = I` and
    /// `∂z/∂ log σ = σ ⊙ ξ`: `g_μ = Σ_k w̃_k² s_k`, `g_s = Σ_k w̃_k² s_k ⊙ σ ⊙ ξ_k`, and the parameter
    /// gradients are `(g_μ xᵀ, g_μ, g_s xᵀ, g_s)`.
    ///
    /// # Errors
    /// Shape mismatches.
    pub fn dreg_gradient(
        &self,
        x: &DVector<f64>,
        noise: &DMatrix<f64>,
        sigma: &DVector<f64>,
        score: &DMatrix<f64>,
        log_w: &[f64],
    ) -> Result<LinearGaussianEncoder> {
        let d = self.latent_dim();
        check_len("data dimension P", self.data_dim(), x.len())?;
        check_len("noise rows", d, noise.nrows())?;
        check_len("score rows", d, score.nrows())?;
        check_len("score columns", noise.ncols(), score.ncols())?;
        check_len("number of log-weights", noise.ncols(), log_w.len())?;
        check_finite("log-weights", log_w)?;
        let m = log_w.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let total: f64 = log_w.iter().map(|l| (l - m).exp()).sum();
        let mut g_mu = DVector::zeros(d);
        let mut g_ls = DVector::zeros(d);
        for (k, &l) in log_w.iter().enumerate() {
            let wt = (l - m).exp() / total;
            let w2 = wt * wt;
            g_mu.axpy(w2, &score.column(k), 1.0);
            for i in 0..d {
                g_ls[i] += w2 * score[(i, k)] * sigma[i] * noise[(i, k)];
            }
        }
        Ok(LinearGaussianEncoder {
            w_mu: &g_mu * x.transpose(),
            b_mu: g_mu,
            w_ls: &g_ls * x.transpose(),
            b_ls: g_ls,
        })
    }

    /// All parameters as one vector: `W_μ`, `b_μ`, `W_s`, `b_s` (matrices column-major).
    pub fn to_flat(&self) -> Vec<f64> {
        [
            self.w_mu.as_slice(),
            self.b_mu.as_slice(),
            self.w_ls.as_slice(),
            self.b_ls.as_slice(),
        ]
        .concat()
    }

    /// Overwrites the parameters from a vector laid out as [`LinearGaussianEncoder::to_flat`].
    ///
    /// # Errors
    /// Wrong length or non-finite values (the encoder is left unchanged).
    pub fn set_flat(&mut self, flat: &[f64]) -> Result<()> {
        check_len("flat parameter vector", self.to_flat().len(), flat.len())?;
        check_finite("flat parameter vector", flat)?;
        let mut rest = flat;
        for dst in [
            self.w_mu.as_mut_slice(),
            self.b_mu.as_mut_slice(),
            self.w_ls.as_mut_slice(),
            self.b_ls.as_mut_slice(),
        ] {
            let (head, tail) = rest.split_at(dst.len());
            dst.copy_from_slice(head);
            rest = tail;
        }
        Ok(())
    }
}
