//! Writing data files atomically, by the workspace's one atomic writer (`ucg_files::atomic`): a reader
//! sees either no file or the complete file, and two writers racing to produce the same file both
//! succeed.

use std::path::Path;

use crate::DataError;

/// Writes `bytes` to `path` atomically, creating the parent folder if needed.
///
/// # Errors
/// I/O failures, as [`DataError::Io`] naming the file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), DataError> {
    ucg_files::write_atomic(path, bytes).map_err(DataError::from)
}
