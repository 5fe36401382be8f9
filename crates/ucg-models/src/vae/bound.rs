//! The VAE bound to data: the views the kernels and the evaluators need.
//!
//! - [`VaePointTarget`]: one data point as a [`ucg_couplings::ImportanceTarget`] in noise coordinates,
//!   `z = μ(x) + σ(x) ⊙ ξ`, `log w(ξ) = log p(x, z) − log q(z | x)`, so the ISIR family runs on it unchanged.
//! - [`VaeOnData`]: the model bound to a set of images as a [`crate::LatentModel`] (IWAE-k, AIS).

use super::model::{Vae, VaeWorkspace};
use crate::error::{ModelError, Result, check_len};
use crate::latent::{LatentModel, check_log_joint_args};
use nalgebra::DMatrix;
use ucg_couplings::ImportanceTarget;

/// One data point of a VAE as an importance target in noise coordinates.
#[derive(Clone, Debug)]
pub struct VaePointTarget<'a> {
    model: &'a Vae<f32>,
    x: Vec<f32>,
    mu: Vec<f32>,
    sigma: Vec<f32>,
}

impl<'a> VaePointTarget<'a> {
    /// The target of data point `x` (length `P`).
    ///
    /// # Errors
    /// `x` of the wrong length or non-finite.
    pub fn new(model: &'a Vae<f32>, x: &[f32]) -> Result<Self> {
        let mut ws = VaeWorkspace::new();
        model.encode(x, 1, &mut ws)?;
        Ok(VaePointTarget {
            model,
            x: x.to_vec(),
            mu: ws.mu().to_vec(),
            sigma: ws.sigma().to_vec(),
        })
    }

    /// `μ(x)`.
    pub fn mu(&self) -> &[f32] {
        &self.mu
    }

    /// `σ(x)`.
    pub fn sigma(&self) -> &[f32] {
        &self.sigma
    }

    /// `log w(ξ_k)` for each column of `noise` (`D × K`) into `out`.
    ///
    /// # Errors
    /// Mismatched sizes or a non-finite result.
    pub fn try_log_weights(&self, noise: &DMatrix<f64>, out: &mut [f64]) -> Result<()> {
        let d = self.mu.len();
        check_len("rows of the noise", d, noise.nrows())?;
        check_len("output", noise.ncols(), out.len())?;
        let k = noise.ncols();
        let mut z = Vec::with_capacity(d * k);
        for col in noise.column_iter() {
            z.extend((0..d).map(|i| self.mu[i] + self.sigma[i] * col[i] as f32));
        }
        let mut lj = vec![0.0f32; k];
        let mut ws = VaeWorkspace::new();
        self.model
            .log_joint(&self.x, &vec![0; k], &z, &mut lj, None, &mut ws)?;
        let log_det: f64 = self.sigma.iter().map(|&s| f64::from(s).ln()).sum();
        let half_ln_2pi = 0.5 * (2.0 * std::f64::consts::PI).ln();
        for (j, o) in out.iter_mut().enumerate() {
            let xi2: f64 = noise.column(j).iter().map(|v| v * v).sum();
            // log q(z | x) = −½|ξ|² − Σ log σ − (D/2) log 2π.
            *o = f64::from(lj[j]) + 0.5 * xi2 + log_det + d as f64 * half_ln_2pi;
        }
        Ok(())
    }
}

impl ImportanceTarget for VaePointTarget<'_> {
    fn noise_dim(&self) -> usize {
        self.mu.len()
    }

    /// A failure of the model (a shape mismatch, a non-finite result) reaches the kernel as
    /// [`ucg_couplings::CouplingError::Source`], with the model's error as its source.
    fn log_weights(&self, noise: &DMatrix<f64>, out: &mut [f64]) -> ucg_couplings::Result<()> {
        self.try_log_weights(noise, out)
            .map_err(ucg_couplings::CouplingError::source_error)
    }
}

/// A VAE bound to `n` data points (`P × n`, column-major `f32`) for evaluation.
#[derive(Clone, Debug)]
pub struct VaeOnData {
    model: Vae<f32>,
    x: Vec<f32>,
    n: usize,
}

impl VaeOnData {
    /// Binds `model` to the images `x` (`P × n`, column-major: image `i` is `x[iP..(i+1)P]`).
    ///
    /// # Errors
    /// `x.len()` not a multiple of `P`, or non-finite.
    pub fn new(model: Vae<f32>, x: Vec<f32>) -> Result<Self> {
        let p = model.shape().data_dim;
        if !x.len().is_multiple_of(p) {
            return Err(ModelError::InvalidParameter {
                name: "x",
                reason: format!(
                    "length {} is not a multiple of the data dimension {p}",
                    x.len()
                ),
            });
        }
        super::model::check_all_finite("x", &x)?;
        let n = x.len() / p;
        Ok(VaeOnData { model, x, n })
    }

    /// The model.
    pub fn model(&self) -> &Vae<f32> {
        &self.model
    }
}

impl LatentModel for VaeOnData {
    fn latent_dim(&self) -> usize {
        self.model.shape().latent
    }

    fn num_points(&self) -> usize {
        self.n
    }

    fn encode(&self, point: usize, mean: &mut [f64], sd: &mut [f64]) -> Result<()> {
        let (p, d) = (self.model.shape().data_dim, self.latent_dim());
        if point >= self.n {
            return Err(ModelError::InvalidParameter {
                name: "point",
                reason: format!("{point} out of range 0..{}", self.n),
            });
        }
        check_len("mean", d, mean.len())?;
        check_len("sd", d, sd.len())?;
        let mut ws = VaeWorkspace::new();
        self.model
            .encode(&self.x[point * p..(point + 1) * p], 1, &mut ws)?;
        mean.iter_mut()
            .zip(ws.mu())
            .for_each(|(m, &v)| *m = f64::from(v));
        sd.iter_mut()
            .zip(ws.sigma())
            .for_each(|(s, &v)| *s = f64::from(v));
        Ok(())
    }

    fn log_joint(
        &self,
        points: &[usize],
        z: &DMatrix<f64>,
        log_joint: &mut [f64],
        grad: Option<&mut DMatrix<f64>>,
    ) -> Result<()> {
        let d = self.latent_dim();
        check_log_joint_args(d, points, z, log_joint, grad.as_deref())?;
        let zf: Vec<f32> = z.iter().map(|&v| v as f32).collect();
        let mut out = vec![0.0f32; points.len()];
        let mut ws = VaeWorkspace::new();
        match grad {
            Some(g) => {
                check_len("rows of grad", d, g.nrows())?;
                check_len("columns of grad", points.len(), g.ncols())?;
                let mut gf = vec![0.0f32; zf.len()];
                self.model
                    .log_joint(&self.x, points, &zf, &mut out, Some(&mut gf), &mut ws)?;
                g.iter_mut().zip(&gf).for_each(|(a, &b)| *a = f64::from(b));
            }
            None => self
                .model
                .log_joint(&self.x, points, &zf, &mut out, None, &mut ws)?,
        }
        log_joint
            .iter_mut()
            .zip(&out)
            .for_each(|(a, &b)| *a = f64::from(b));
        Ok(())
    }
}
