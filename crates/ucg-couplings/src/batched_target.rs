//! Importance targets for many data points at once: the log-weights of many proposal sets, each
//! belonging to one point, in one call.
//!
//! A driver that advances one pair of ISIR-family chains per data point (see the pieces in
//! [`crate::isir::SubStep`]) collects every chain's proposal set and asks for all their log-weights
//! together. For a neural model this is one large matrix product instead of many small ones: every set
//! has `noise_dim` rows, so the requests stack side by side into one `noise_dim × Σ K` matrix, with the
//! point index of each column telling the model which data point's encoder and decoder terms to use.

use crate::error::{CouplingError, Result};
use crate::target::ImportanceTarget;
use nalgebra::DMatrix;

/// One proposal set to evaluate: the data point it belongs to and its particles (`noise_dim × K`).
pub type SetRequest<'a> = (usize, &'a DMatrix<f64>);

/// Importance targets of points `0..points()`, all in noise coordinates of the same dimension, evaluated
/// in batches (the batched counterpart of [`ImportanceTarget`]).
pub trait BatchedImportanceTarget {
    /// Number of data points.
    fn points(&self) -> usize;

    /// Dimension of one particle's noise vector (the same for every point).
    fn noise_dim(&self) -> usize;

    /// For each request `(n, noise)` in order, writes `log w_n(ξ_k)` for the columns `ξ_k` of `noise` into
    /// the next `noise.ncols()` entries of `out`, so `out.len()` is the total number of columns. Results
    /// must not depend on how requests are grouped into calls. As for [`ImportanceTarget`],
    /// `−∞` is allowed and kernels reject NaN and `+∞`.
    ///
    /// # Errors
    /// [`check_requests`] failures (a point out of range, a set of the wrong dimension, `out` of the wrong
    /// length) and the model's own failures.
    fn log_weights_batch(&self, requests: &[SetRequest<'_>], out: &mut [f64]) -> Result<()>;
}

/// Checks requests against a batched target's shape: every point index below `points`, every set with
/// `noise_dim` rows, and `out_len` equal to the total number of columns. Implementations call it first.
///
/// # Errors
/// [`CouplingError::DimensionMismatch`] for the first violation.
pub fn check_requests(
    points: usize,
    noise_dim: usize,
    requests: &[SetRequest<'_>],
    out_len: usize,
) -> Result<()> {
    let mut columns = 0;
    for &(n, noise) in requests {
        if n >= points {
            return Err(CouplingError::DimensionMismatch {
                what: "point index (expected: the number of points, above it)",
                expected: points,
                found: n,
            });
        }
        if noise.nrows() != noise_dim {
            return Err(CouplingError::DimensionMismatch {
                what: "particle dimension",
                expected: noise_dim,
                found: noise.nrows(),
            });
        }
        columns += noise.ncols();
    }
    if columns != out_len {
        return Err(CouplingError::DimensionMismatch {
            what: "length of the log-weight buffer",
            expected: columns,
            found: out_len,
        });
    }
    Ok(())
}

impl<T: BatchedImportanceTarget + ?Sized> BatchedImportanceTarget for &T {
    fn points(&self) -> usize {
        (**self).points()
    }
    fn noise_dim(&self) -> usize {
        (**self).noise_dim()
    }
    fn log_weights_batch(&self, requests: &[SetRequest<'_>], out: &mut [f64]) -> Result<()> {
        (**self).log_weights_batch(requests, out)
    }
}

/// One point of a batched target, seen as an ordinary [`ImportanceTarget`] (each call is a batch of one
/// request), so that per-point code (initial draws, the kernels' own steps) can run on a batched target.
///
/// # Example
/// ```
/// use nalgebra::DMatrix;
/// use ucg_couplings::{BatchedImportanceTarget, ImportanceTarget, PointTarget, SetRequest};
///
/// /// Point n has log w(ξ) = n ξ.
/// struct Scaled;
/// impl BatchedImportanceTarget for Scaled {
///     fn points(&self) -> usize { 3 }
///     fn noise_dim(&self) -> usize { 1 }
///     fn log_weights_batch(&self, req: &[SetRequest<'_>], out: &mut [f64]) -> ucg_couplings::Result<()> {
///         ucg_couplings::check_requests(3, 1, req, out.len())?;
///         let values = req.iter().flat_map(|&(n, m)| m.iter().map(move |v| n as f64 * v));
///         out.iter_mut().zip(values).for_each(|(o, v)| *o = v);
///         Ok(())
///     }
/// }
/// let point = PointTarget::new(&Scaled, 2)?;
/// let mut out = [0.0; 2];
/// point.log_weights(&DMatrix::from_row_slice(1, 2, &[1.0, -1.0]), &mut out)?;
/// assert_eq!(out, [2.0, -2.0]);
/// # Ok::<(), ucg_couplings::CouplingError>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct PointTarget<'a, T: ?Sized> {
    batch: &'a T,
    point: usize,
}

impl<'a, T: BatchedImportanceTarget + ?Sized> PointTarget<'a, T> {
    /// Point `point` of `batch`.
    ///
    /// # Errors
    /// `point ≥ batch.points()`.
    pub fn new(batch: &'a T, point: usize) -> Result<Self> {
        if point >= batch.points() {
            return Err(CouplingError::DimensionMismatch {
                what: "point index (expected: the number of points, above it)",
                expected: batch.points(),
                found: point,
            });
        }
        Ok(PointTarget { batch, point })
    }
    /// The point's index.
    pub fn point(&self) -> usize {
        self.point
    }
}

impl<T: BatchedImportanceTarget + ?Sized> ImportanceTarget for PointTarget<'_, T> {
    fn noise_dim(&self) -> usize {
        self.batch.noise_dim()
    }
    fn log_weights(&self, noise: &DMatrix<f64>, out: &mut [f64]) -> Result<()> {
        self.batch.log_weights_batch(&[(self.point, noise)], out)
    }
}
