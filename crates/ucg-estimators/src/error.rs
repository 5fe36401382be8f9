//! The crate's error type.

use thiserror::Error;
use ucg_couplings::CouplingError;

/// Errors from estimator settings or from the kernels they run.
///
/// Failures of user code (targets, kernels, initial laws) arrive as [`CouplingError::Source`] inside
/// [`EstimatorError::Kernel`], with their own error as the source.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum EstimatorError {
    /// Invalid settings (for example `k > m` or a lag of zero).
    #[error("invalid setting `{name}`: {reason}")]
    InvalidSetting {
        /// The setting's name.
        name: &'static str,
        /// Why it is rejected.
        reason: String,
    },
    /// A kernel or target failed.
    #[error(transparent)]
    Kernel(#[from] CouplingError),
    /// The function `h` (the sink) failed, with its own error as the source.
    #[error("accumulating h failed: {0}")]
    Sink(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// Not enough data for a summary.
    #[error("not enough values for {what}: need {need}, got {got}")]
    TooFew {
        /// The summary requested.
        what: &'static str,
        /// The minimum count.
        need: usize,
        /// The count given.
        got: usize,
    },
}

impl EstimatorError {
    /// A failure of the function `h` (the sink), keeping `error` as the source.
    pub fn sink(error: impl std::error::Error + Send + Sync + 'static) -> Self {
        EstimatorError::Sink(Box::new(error))
    }
}

/// Shorthand for results of this crate.
pub type Result<T> = std::result::Result<T, EstimatorError>;

pub(crate) fn invalid(name: &'static str, reason: impl Into<String>) -> EstimatorError {
    EstimatorError::InvalidSetting {
        name,
        reason: reason.into(),
    }
}
