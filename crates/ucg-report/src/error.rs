//! The crate's error type.

use std::path::PathBuf;

/// Everything that can go wrong while writing a figure, a table or a record file.
///
/// Bad *data* (NaN, infinities, empty series, non-positive values on a log axis) is never an
/// error: figures skip such values and report them as warnings in
/// [`SavedFigure::warnings`](crate::SavedFigure::warnings).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReportError {
    /// Creating a directory, or reading or writing a file, failed.
    #[error("I/O error on {}: {source}", path.display())]
    Io {
        /// The file or directory involved.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// plotters failed while drawing or encoding a figure.
    #[error("drawing failed: {0}")]
    Draw(String),
    /// The bundled font could not be parsed or registered with plotters.
    #[error("the bundled DejaVu Sans font could not be registered with plotters")]
    Font,
    /// The requested figure size is outside the accepted range.
    #[error(
        "invalid figure size {width}x{height}: each side must be between {min} and {max} pixels"
    )]
    InvalidSize {
        /// Requested width in pixels.
        width: u32,
        /// Requested height in pixels.
        height: u32,
        /// Smallest accepted side.
        min: u32,
        /// Largest accepted side.
        max: u32,
    },
    /// Serialising or parsing CSV failed.
    #[error("CSV error on {}: {source}", path.display())]
    Csv {
        /// The CSV file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: csv::Error,
    },
    /// Serialising or parsing JSON failed.
    #[error("JSON error on {}: {source}", path.display())]
    Json {
        /// The JSON file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: serde_json::Error,
    },
    /// A file the run may not write (see `ucg_files::RunFolder`).
    #[error(transparent)]
    Files(ucg_files::FilesError),
}

impl From<ucg_files::FilesError> for ReportError {
    fn from(e: ucg_files::FilesError) -> Self {
        match e {
            ucg_files::FilesError::Io { path, source } => ReportError::Io { path, source },
            other => ReportError::Files(other),
        }
    }
}

/// `Result` with [`ReportError`] as the default error type.
pub type Result<T, E = ReportError> = std::result::Result<T, E>;

/// Converts any plotters error into [`ReportError::Draw`].
pub(crate) fn draw_err<E: std::fmt::Display>(e: E) -> ReportError {
    ReportError::Draw(e.to_string())
}

/// Builds a [`ReportError::Io`] for `path`.
pub(crate) fn io_err(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> ReportError {
    let path = path.into();
    move |source| ReportError::Io { path, source }
}
