//! The annealed densities `f_β(z) = q0(z)^{1−β} p(x, z)^β` of a batch of chains, and their positions with
//! cached log-densities and gradients.

use super::points::checked_encoding;
use crate::error::{Result, TrainError};
use nalgebra::DMatrix;
use rand_distr::{Distribution, StandardNormal};
use ucg_estimators::seeding::StreamRng;
use ucg_models::{LatentModel, ModelError};

const LN_2PI: f64 = 1.837_877_066_409_345_5;

/// Where annealed importance sampling starts: the normalised density `q0(z)` that is annealed towards
/// the posterior `p(z | x) ∝ p(x, z)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum AisStart {
    /// The model's encoder `q(z | x)` ([`LatentModel::encode`]): close to the posterior for a trained
    /// model, so fewer intermediate distributions are needed.
    #[default]
    Encoder,
    /// The prior `N(0, I)`, as in Wu et al. (2017): independent of the encoder, so the estimate does not
    /// inherit its failures, at the price of a longer path.
    Prior,
}

/// Chains' positions `z` (one per column) with `log p(x, z)`, `log q0(z)` and their gradients in `z`.
#[derive(Clone, Debug)]
pub(crate) struct Positions {
    pub(crate) z: DMatrix<f64>,
    pub(crate) log_p: Vec<f64>,
    pub(crate) grad_p: DMatrix<f64>,
    pub(crate) log_base: Vec<f64>,
    pub(crate) grad_base: DMatrix<f64>,
}

impl Positions {
    /// Copies column `j` of `other` into column `j` of `self`.
    pub(crate) fn copy_column(&mut self, j: usize, other: &Positions) {
        self.z.set_column(j, &other.z.column(j));
        self.grad_p.set_column(j, &other.grad_p.column(j));
        self.grad_base.set_column(j, &other.grad_base.column(j));
        self.log_p[j] = other.log_p[j];
        self.log_base[j] = other.log_base[j];
    }

    /// `log f_β(z_j) = (1 − β) log q0(z_j) + β log p(x, z_j)`.
    pub(crate) fn log_annealed(&self, j: usize, beta: f64) -> f64 {
        (1.0 - beta) * self.log_base[j] + beta * self.log_p[j]
    }

    /// `∂ log f_β / ∂z` at component `(i, j)`.
    pub(crate) fn grad_annealed(&self, i: usize, j: usize, beta: f64) -> f64 {
        (1.0 - beta) * self.grad_base[(i, j)] + beta * self.grad_p[(i, j)]
    }
}

/// A batch of chains for a block of points: `copies` consecutive columns per point, each with the start
/// density `q0` of its point.
pub(crate) struct AnnealedBatch<'m, M: ?Sized> {
    model: &'m M,
    columns: Vec<usize>,
    copies: usize,
    base_mean: DMatrix<f64>,
    base_sd: DMatrix<f64>,
    base_log_const: Vec<f64>,
}

impl<'m, M: LatentModel + ?Sized> AnnealedBatch<'m, M> {
    /// Chains for `points`, `copies` per point, starting from `start`.
    pub(crate) fn new(
        model: &'m M,
        points: &[usize],
        copies: usize,
        start: AisStart,
    ) -> Result<Self> {
        let d = model.latent_dim();
        let columns: Vec<usize> = points
            .iter()
            .flat_map(|&n| std::iter::repeat_n(n, copies))
            .collect();
        let mut base_mean = DMatrix::zeros(d, columns.len());
        let mut base_sd = DMatrix::from_element(d, columns.len(), 1.0);
        if start == AisStart::Encoder {
            let (mut mean, mut sd) = (vec![0.0; d], vec![0.0; d]);
            for (i, &n) in points.iter().enumerate() {
                checked_encoding(model, n, &mut mean, &mut sd)?;
                for c in i * copies..(i + 1) * copies {
                    base_mean.column_mut(c).copy_from_slice(&mean);
                    base_sd.column_mut(c).copy_from_slice(&sd);
                }
            }
        }
        let base_log_const = base_sd
            .column_iter()
            .map(|s| -s.iter().map(|v| v.ln()).sum::<f64>() - 0.5 * d as f64 * LN_2PI)
            .collect();
        Ok(AnnealedBatch {
            model,
            columns,
            copies,
            base_mean,
            base_sd,
            base_log_const,
        })
    }

    /// Number of columns (chains).
    pub(crate) fn len(&self) -> usize {
        self.columns.len()
    }
    /// Latent dimension `D`.
    pub(crate) fn dim(&self) -> usize {
        self.base_mean.nrows()
    }
    /// Columns per point.
    pub(crate) fn copies(&self) -> usize {
        self.copies
    }

    /// Exact draws from `q0` (point `i`'s columns from `rngs[i]`), evaluated.
    ///
    /// # Errors
    /// The model fails on the draws (a draw from `q0` must have a finite `log p(x, z)`).
    pub(crate) fn sample_start(&self, rngs: &mut [StreamRng]) -> Result<Positions> {
        let (d, j) = (self.dim(), self.len());
        let mut z = DMatrix::zeros(d, j);
        for (c, mut col) in z.column_iter_mut().enumerate() {
            let rng = &mut rngs[c / self.copies];
            for (i, v) in col.iter_mut().enumerate() {
                let xi: f64 = StandardNormal.sample(rng);
                *v = self.base_mean[(i, c)] + self.base_sd[(i, c)] * xi;
            }
        }
        let mut positions = Positions {
            z,
            log_p: vec![0.0; j],
            grad_p: DMatrix::zeros(d, j),
            log_base: vec![0.0; j],
            grad_base: DMatrix::zeros(d, j),
        };
        self.model.log_joint(
            &self.columns,
            &positions.z,
            &mut positions.log_p,
            Some(&mut positions.grad_p),
        )?;
        self.evaluate_base(&mut positions);
        Ok(positions)
    }

    /// Evaluates every term at the positions `pos.z`. A column whose `log p(x, z)` is not finite (an HMC
    /// trajectory that diverged) is marked in `diverged` and gets `log p = −∞`, rather than failing the
    /// whole batch; the caller rejects it.
    ///
    /// # Errors
    /// Any model error other than a non-finite value.
    pub(crate) fn evaluate(&self, pos: &mut Positions, diverged: &mut [bool]) -> Result<()> {
        match self
            .model
            .log_joint(&self.columns, &pos.z, &mut pos.log_p, Some(&mut pos.grad_p))
        {
            Ok(()) => {}
            Err(ModelError::NonFinite { .. }) => self.evaluate_columns(pos, diverged)?,
            Err(e) => return Err(TrainError::from(e)),
        }
        self.evaluate_base(pos);
        Ok(())
    }

    /// The slow path of [`AnnealedBatch::evaluate`]: one column at a time, to find the divergent ones.
    fn evaluate_columns(&self, pos: &mut Positions, diverged: &mut [bool]) -> Result<()> {
        let d = self.dim();
        let mut log_p = [0.0];
        let mut grad = DMatrix::zeros(d, 1);
        for j in 0..self.len() {
            let z = DMatrix::from_column_slice(d, 1, pos.z.column(j).as_slice());
            match self
                .model
                .log_joint(&self.columns[j..j + 1], &z, &mut log_p, Some(&mut grad))
            {
                Ok(()) => {
                    pos.log_p[j] = log_p[0];
                    pos.grad_p.set_column(j, &grad.column(0));
                }
                Err(ModelError::NonFinite { .. }) => {
                    diverged[j] = true;
                    pos.log_p[j] = f64::NEG_INFINITY;
                    pos.grad_p.column_mut(j).fill(0.0);
                }
                Err(e) => return Err(TrainError::from(e)),
            }
        }
        Ok(())
    }

    /// `log q0(z)` and `∇ log q0(z) = −(z − μ) / σ²` for every column.
    fn evaluate_base(&self, pos: &mut Positions) {
        for j in 0..self.len() {
            let mut half_norm = 0.0;
            for i in 0..self.dim() {
                let s = self.base_sd[(i, j)];
                let xi = (pos.z[(i, j)] - self.base_mean[(i, j)]) / s;
                half_norm += 0.5 * xi * xi;
                pos.grad_base[(i, j)] = -xi / s;
            }
            pos.log_base[j] = self.base_log_const[j] - half_norm;
        }
    }
}
