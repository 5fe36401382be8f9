//! The crate's error type.

use thiserror::Error;

/// Errors from constructing or stepping kernels and couplings.
///
/// Kernels validate their parameters at construction and the values a target returns at every step, so
/// a bad setting or a numerical failure surfaces as one of these variants instead of a panic or a NaN.
///
/// Kernels and targets written outside this crate report their own failures through
/// [`CouplingError::Source`] (see [`CouplingError::source_error`]); the enum is `#[non_exhaustive]` so that
/// new variants can be added without breaking matches.
#[derive(Debug, Error)]
#[non_exhaustive]
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
    /// A failure of user code (a target, a kernel or an initial law defined outside this crate), carried
    /// with its own error as the source.
    #[error("{0}")]
    Source(#[source] Box<dyn std::error::Error + Send + Sync + 'static>),
}

impl CouplingError {
    /// Wraps an error of user code (a target that could not evaluate a particle, a kernel whose
    /// proposal failed) so that it passes through kernels and estimators unchanged.
    ///
    /// ```
    /// use ucg_couplings::CouplingError;
    /// let e = CouplingError::source_error(std::io::Error::other("decoder weights missing"));
    /// assert_eq!(e.to_string(), "decoder weights missing");
    /// assert!(std::error::Error::source(&e).is_some());
    /// ```
    pub fn source_error(
        error: impl Into<Box<dyn std::error::Error + Send + Sync + 'static>>,
    ) -> Self {
        CouplingError::Source(error.into())
    }
}

/// Shorthand for results of this crate.
pub type Result<T> = std::result::Result<T, CouplingError>;

pub(crate) fn invalid(name: &'static str, reason: impl Into<String>) -> CouplingError {
    CouplingError::InvalidParameter {
        name,
        reason: reason.into(),
    }
}
