//! The crate's error type.

use thiserror::Error;

/// Errors from constructing or stepping kernels and couplings.
///
/// Kernels validate their parameters at construction and the values a target returns at every step, so
/// a bad setting or a numerical failure surfaces as one of these variants instead of a panic or a NaN.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum CouplingError {
    /// A parameter is outside its valid range (for example `K < 2` or `β ∉ [0, 1)`).
    #[error("invalid parameter `{name}`: {reason}")]
    InvalidParameter {
        /// The parameter's name.
        name: &'static str,
        /// Why the value is rejected, including the value itself.
        reason: String,
    },
    /// Two objects that must agree in size do not.
    #[error("dimension mismatch for {what}: expected {expected}, found {found}")]
    DimensionMismatch {
        /// What was being compared.
        what: &'static str,
        /// The size required.
        expected: usize,
        /// The size given.
        found: usize,
    },
    /// A target returned a log-weight or log-density that is NaN or `+∞`, or every log-weight was `−∞`.
    #[error("target returned an invalid log-weight ({value}) at index {index}")]
    NonFiniteLogWeight {
        /// Index of the offending particle (or 0 for a scalar log-density).
        index: usize,
        /// The value returned.
        value: f64,
    },
    /// A distribution's weights are all zero, negative or not finite.
    #[error("invalid weights: {0}")]
    InvalidWeights(String),
}

/// Shorthand for results of this crate.
pub type Result<T> = std::result::Result<T, CouplingError>;

pub(crate) fn invalid(name: &'static str, reason: impl Into<String>) -> CouplingError {
    CouplingError::InvalidParameter {
        name,
        reason: reason.into(),
    }
}
