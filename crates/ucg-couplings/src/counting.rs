//! Counting the particles a kernel evaluates, where the evaluations happen.
//!
//! The cost of an ISIR-family or PIMH estimate is set by how many particles the target evaluates, which
//! depends on the kernel's internals (a coupled ISIR step evaluates one set for both chains; a coupled DISIR
//! step two). Rather than have callers re-derive that, kernels wrap their target in a [`CountingTarget`] and
//! report the count.

use crate::error::Result;
use crate::target::ImportanceTarget;
use nalgebra::DMatrix;
use std::sync::atomic::{AtomicU64, Ordering};

/// An [`ImportanceTarget`] that counts the particles (columns) it is asked to evaluate.
///
/// The count is an atomic, so a kernel shared between threads counts every thread's evaluations; it does
/// not influence any result, so determinism is unaffected.
///
/// # Example
/// ```
/// use nalgebra::DMatrix;
/// use ucg_couplings::{CountingTarget, ImportanceTarget};
///
/// struct Flat;
/// impl ImportanceTarget for Flat {
///     fn noise_dim(&self) -> usize { 1 }
///     fn log_weights(&self, _: &DMatrix<f64>, out: &mut [f64]) -> ucg_couplings::Result<()> {
///         out.fill(0.0);
///         Ok(())
///     }
/// }
/// let counted = CountingTarget::new(Flat);
/// counted.log_weights(&DMatrix::zeros(1, 7), &mut [0.0; 7])?;
/// assert_eq!(counted.evaluations(), 7);
/// # Ok::<(), ucg_couplings::CouplingError>(())
/// ```
#[derive(Debug)]
pub struct CountingTarget<T> {
    target: T,
    evaluations: AtomicU64,
}

impl<T> CountingTarget<T> {
    /// Wraps `target` with a count of zero.
    pub fn new(target: T) -> Self {
        CountingTarget {
            target,
            evaluations: AtomicU64::new(0),
        }
    }
    /// The wrapped target.
    pub fn inner(&self) -> &T {
        &self.target
    }
    /// Particles evaluated since construction (or the last [`CountingTarget::reset`]).
    pub fn evaluations(&self) -> u64 {
        self.evaluations.load(Ordering::Relaxed)
    }
    /// Sets the count back to zero and returns what it was.
    pub fn reset(&self) -> u64 {
        self.evaluations.swap(0, Ordering::Relaxed)
    }
}

impl<T: Clone> Clone for CountingTarget<T> {
    /// A copy of the target with its own count, starting from the current value.
    fn clone(&self) -> Self {
        CountingTarget {
            target: self.target.clone(),
            evaluations: AtomicU64::new(self.evaluations()),
        }
    }
}

impl<T: ImportanceTarget> ImportanceTarget for CountingTarget<T> {
    fn noise_dim(&self) -> usize {
        self.target.noise_dim()
    }
    fn log_weights(&self, noise: &DMatrix<f64>, out: &mut [f64]) -> Result<()> {
        self.evaluations
            .fetch_add(noise.ncols() as u64, Ordering::Relaxed);
        self.target.log_weights(noise, out)
    }
}
