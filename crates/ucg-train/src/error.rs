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
    /// Data that cannot be used as asked (for example a minibatch larger than the data set).
    #[error(transparent)]
    Data(#[from] ucg_data::DataError),
    /// A data set in a folder cannot be read, fetched or cached.
    #[error("{set} in {}: {source}", dir.display())]
    DataSet {
        /// The data set's name.
        set: &'static str,
        /// The folder it is read from.
        dir: std::path::PathBuf,
        /// What went wrong.
        #[source]
        source: ucg_data::DataError,
    },
    /// A file cannot be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: std::path::PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// A file that cannot be used as asked: missing, damaged, of another format, written under other
    /// settings, or in the way of a new run.
    #[error("{path}: {reason}")]
    UnusableFile {
        /// The file.
        path: String,
        /// Why it cannot be used.
        reason: String,
    },
    /// Training diverged: a quantity that must be finite is not (lower the learning rate).
    #[error("training diverged: {what} not finite")]
    Diverged {
        /// What is not finite.
        what: String,
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

impl TrainError {
    /// An I/O failure on `path`.
    pub(crate) fn io(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> TrainError + '_ {
        move |source| TrainError::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    /// A failure of the output folder `folder`: I/O keeps its source; the folder's own messages (which
    /// name it) are kept whole.
    pub(crate) fn of_folder(
        folder: &std::path::Path,
    ) -> impl FnOnce(ucg_files::FilesError) -> TrainError + '_ {
        move |e| match e {
            ucg_files::FilesError::Io { path, source } => TrainError::Io { path, source },
            other => TrainError::OutputFolder {
                path: folder.display().to_string(),
                message: other.to_string(),
            },
        }
    }
}
