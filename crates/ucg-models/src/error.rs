//! The crate's error type.

use thiserror::Error;

/// Errors for invalid model parameters or inputs.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum ModelError {
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
    /// An input contains NaN or an infinity.
    #[error("{what} contains a non-finite value")]
    NonFinite {
        /// The offending input.
        what: &'static str,
    },
    /// A parameter is outside its valid range.
    #[error("invalid parameter `{name}`: {reason}")]
    InvalidParameter {
        /// The parameter's name.
        name: &'static str,
        /// Why the value is rejected.
        reason: String,
    },
    /// A parameter file that cannot be used: truncated, corrupted, of another version, type or shape.
    #[error("parameter file {what}: {reason}")]
    InvalidFile {
        /// The file (or "bytes" for an in-memory buffer).
        what: String,
        /// Why it is rejected.
        reason: String,
    },
    /// A matrix that must be symmetric positive definite is not (numerically).
    #[error("{what} is not positive definite")]
    NotPositiveDefinite {
        /// The matrix concerned.
        what: &'static str,
    },
}

/// Shorthand for results of this crate.
pub type Result<T> = std::result::Result<T, ModelError>;

pub(crate) fn check_len(what: &'static str, expected: usize, found: usize) -> Result<()> {
    if expected == found {
        Ok(())
    } else {
        Err(ModelError::DimensionMismatch {
            what,
            expected,
            found,
        })
    }
}

pub(crate) fn check_finite<'a>(
    what: &'static str,
    v: impl IntoIterator<Item = &'a f64>,
) -> Result<()> {
    if v.into_iter().all(|x| x.is_finite()) {
        Ok(())
    } else {
        Err(ModelError::NonFinite { what })
    }
}
