//! The crate's error type.

use thiserror::Error;

/// Errors from training and gradient estimation.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum TrainError {
    /// A model failed (bad shapes, non-finite values).
    #[error(transparent)]
    Model(#[from] ucg_models::ModelError),
    /// A kernel failed.
    #[error(transparent)]
    Kernel(#[from] ucg_couplings::CouplingError),
    /// An estimator failed.
    #[error(transparent)]
    Estimator(#[from] ucg_estimators::EstimatorError),
    /// A data set cannot be read or fetched.
    #[error("{0}")]
    Data(String),
    /// A file cannot be read or written, or is not a usable checkpoint.
    #[error("{path}: {reason}")]
    File {
        /// The file.
        path: String,
        /// What went wrong.
        reason: String,
    },
    /// An output folder that cannot be used as asked (another kind of run, a user's files, in use by
    /// another process).
    #[error("{path}: {reason}")]
    Folder {
        /// The folder.
        path: String,
        /// Why it cannot be used.
        reason: String,
    },
    /// An output folder that cannot be claimed, with the folder's own message (which names it).
    #[error("{message}")]
    OutputFolder {
        /// The folder.
        path: String,
        /// What is wrong, naming the folder.
        message: String,
    },
    /// An invalid setting.
    #[error("invalid setting `{name}`: {reason}")]
    InvalidSetting {
        /// The setting's name.
        name: &'static str,
        /// Why it is rejected.
        reason: String,
    },
}

/// Shorthand for results of this crate.
pub type Result<T> = std::result::Result<T, TrainError>;
