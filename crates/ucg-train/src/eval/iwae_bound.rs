//! The importance-weighted bound (described in the [`eval`](crate::eval) module documentation).

use super::estimates::PointEstimates;
use super::log_mean_exp::LogMeanExp;
use super::points::{check_points, checked_encoding};
use super::progress::{ProgressCounter, ProgressHook};
use crate::error::{Result, TrainError};
use nalgebra::DMatrix;
use rand_distr::{Distribution, StandardNormal};
use rayon::prelude::*;
use ucg_estimators::seeding::{StreamRng, stream};
use ucg_models::LatentModel;

const LN_2PI: f64 = 1.837_877_066_409_345_5;

/// Settings of [`iwae_bound`], valid by construction: the number of samples `k` per point and the largest
/// number of columns of one [`LatentModel::log_joint`] call.
///
/// # Example
/// ```
/// use ucg_train::eval::IwaeSettings;
///
/// let settings = IwaeSettings::new(5000)?.with_batch_columns(2048)?;
/// assert_eq!((settings.k(), settings.batch_columns()), (5000, 2048));
/// assert_eq!(IwaeSettings::default().k(), 5000);
/// assert!(IwaeSettings::new(0).is_err());
/// # Ok::<(), ucg_train::TrainError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IwaeSettings {
    k: usize,
    batch_columns: usize,
}

impl Default for IwaeSettings {
    /// `k = 5,000` samples per point, batches of 4,096 columns.
    fn default() -> Self {
        IwaeSettings {
            k: 5000,
            batch_columns: 4096,
        }
    }
}

impl IwaeSettings {
    /// `k ≥ 1` samples per point, batches of 4,096 columns.
    ///
    /// # Errors
    /// `k = 0`.
    pub fn new(k: usize) -> Result<Self> {
        if k == 0 {
            return Err(TrainError::InvalidSetting {
                name: "k",
                reason: "need at least one sample".into(),
            });
        }
        Ok(IwaeSettings {
            k,
            ..Self::default()
        })
    }

    /// At most `columns ≥ 1` (point, sample) pairs per batched model evaluation.
    ///
    /// # Errors
    /// `columns = 0`.
    pub fn with_batch_columns(mut self, columns: usize) -> Result<Self> {
        if columns == 0 {
            return Err(TrainError::InvalidSetting {
                name: "batch_columns",
                reason: "need at least one column".into(),
            });
        }
        self.batch_columns = columns;
        Ok(self)
    }

    /// Samples per point.
    pub fn k(&self) -> usize {
        self.k
    }
    /// Columns per batched evaluation.
    pub fn batch_columns(&self) -> usize {
        self.batch_columns
    }
}

/// One estimate of the IWAE bound `log (1/k) Σ_j p(x_n, z_j) / q(z_j | x_n)` for each `n` in `points`
/// (see the [module documentation](crate::eval#the-iwae-bound)). Progress is counted in samples (`points.len() · k` in all).
///
/// # Errors
/// No points, an index out of range, a model error, or an encoder with a non-finite or non-positive
/// standard deviation.
///
/// # Example
/// ```
/// use nalgebra::DMatrix;
/// use ucg_models::ppca::{Ppca, PpcaLatentModel};
/// use ucg_train::eval::{IwaeSettings, iwae_bound};
///
/// let model = Ppca::random(2, 5, 0.5, 1)?;
/// let encoder = model.posterior_encoder(1.5)?;
/// let x = DMatrix::from_fn(5, 3, |i, j| (i as f64 - j as f64) / 4.0);
/// let bound = PpcaLatentModel::new(&model, &encoder, &x)?;
/// let result = iwae_bound(&bound, &[0, 1, 2], &IwaeSettings::new(1000)?, 7, None)?;
/// let exact: f64 = bound.exact_log_likelihood().iter().sum::<f64>() / 3.0;
/// assert!((result.mean() - exact).abs() < 0.05); // L_1000 is close to log p(x) here
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn iwae_bound<M: LatentModel + ?Sized>(
    model: &M,
    points: &[usize],
    settings: &IwaeSettings,
    seed: u64,
    progress: Option<ProgressHook<'_>>,
) -> Result<PointEstimates> {
    check_points(model, points)?;
    let k = settings.k();
    let points_per_batch = (settings.batch_columns() / k).max(1);
    let counter = ProgressCounter::new((points.len() as u64).saturating_mul(k as u64), progress);
    let blocks: Vec<Result<Vec<f64>>> = points
        .par_chunks(points_per_batch)
        .map(|block| iwae_block(model, block, settings, seed, &counter))
        .collect();
    let mut values = Vec::with_capacity(points.len());
    for block in blocks {
        values.extend(block?);
    }
    PointEstimates::new(points.to_vec(), values)
}

/// The bound for one batch of points; see [`iwae_bound`].
fn iwae_block<M: LatentModel + ?Sized>(
    model: &M,
    points: &[usize],
    settings: &IwaeSettings,
    seed: u64,
    counter: &ProgressCounter<'_>,
) -> Result<Vec<f64>> {
    let d = model.latent_dim();
    let k = settings.k();
    let chunk = k.min(settings.batch_columns());
    let mut rngs: Vec<StreamRng> = points.iter().map(|&n| stream(seed, n as u64)).collect();
    let mut means = Vec::with_capacity(points.len());
    let mut sds = Vec::with_capacity(points.len());
    let mut log_q_consts = Vec::with_capacity(points.len());
    for &n in points {
        let (mut mean, mut sd) = (vec![0.0; d], vec![0.0; d]);
        checked_encoding(model, n, &mut mean, &mut sd)?;
        log_q_consts.push(-sd.iter().map(|s| s.ln()).sum::<f64>() - 0.5 * d as f64 * LN_2PI);
        means.push(mean);
        sds.push(sd);
    }
    let mut accumulators = vec![LogMeanExp::new(); points.len()];
    let mut done = 0;
    while done < k {
        let len = chunk.min(k - done);
        let columns: Vec<usize> = points
            .iter()
            .flat_map(|&n| std::iter::repeat_n(n, len))
            .collect();
        let mut z = DMatrix::zeros(d, columns.len());
        let mut log_q = vec![0.0; columns.len()];
        for (j, mut col) in z.column_iter_mut().enumerate() {
            let i = j / len;
            let mut half_norm = 0.0;
            for (r, v) in col.iter_mut().enumerate() {
                let xi: f64 = StandardNormal.sample(&mut rngs[i]);
                half_norm += 0.5 * xi * xi;
                *v = means[i][r] + sds[i][r] * xi;
            }
            log_q[j] = log_q_consts[i] - half_norm;
        }
        let mut log_p = vec![0.0; columns.len()];
        model.log_joint(&columns, &z, &mut log_p, None)?;
        for (j, (lp, lq)) in log_p.iter().zip(&log_q).enumerate() {
            accumulators[j / len].push(lp - lq);
        }
        done += len;
        counter.advance((len * points.len()) as u64);
    }
    Ok(accumulators.iter().map(LogMeanExp::value).collect())
}
