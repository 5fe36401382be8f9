//! The crate's error type.

use std::path::PathBuf;

/// Everything that can go wrong while claiming an output folder or writing into it.
///
/// Every variant names the folder or file it is about and reads as one line a user can act on.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FilesError {
    /// An operating-system error while reading or writing a file.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder concerned.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },

    /// The output path exists and is not a folder.
    #[error(
        "{0} is a file, not a folder: give the path of a folder for the results (it is created if needed)"
    )]
    NotAFolder(PathBuf),

    /// Another process holds the folder's lock.
    #[error(
        "{folder} is in use by another run ({holder}); wait for it to finish or choose another folder"
    )]
    InUse {
        /// The folder.
        folder: PathBuf,
        /// What the holder wrote about itself (process id, start time, command).
        holder: String,
    },

    /// A non-empty folder that no run of this tool wrote.
    #[error(
        "{folder} is not empty and is not a results folder of this tool (it holds {found}): nothing in it \
         is touched; give a new or empty folder"
    )]
    NotARun {
        /// The folder.
        folder: PathBuf,
        /// A few of the entries found, for the message.
        found: String,
    },

    /// A folder that holds a run of another kind.
    #[error("{folder} holds a {found}, not a {wanted}; choose another folder")]
    OtherKind {
        /// The folder.
        folder: PathBuf,
        /// The kind recorded in the folder.
        found: String,
        /// The kind this command writes.
        wanted: String,
    },

    /// A folder that holds files of a run claimed at an enclosing folder (a study's training run).
    #[error(
        "{folder} is part of the {kind} in {run}; run the command that wrote {run} instead, or choose \
         another folder"
    )]
    PartOfRun {
        /// The folder asked for.
        folder: PathBuf,
        /// The enclosing run's folder.
        run: PathBuf,
        /// Its kind.
        kind: String,
    },

    /// A file in a run's folder that the run did not write (a user's file): it is never replaced or deleted.
    #[error(
        "{0} was not written by this tool, and would be replaced: move it elsewhere or choose another folder"
    )]
    NotOurs(PathBuf),

    /// A record of written files that cannot be read.
    #[error(
        "{path}: not a record of written files ({reason}); the folder's files are left as they are"
    )]
    BadRecord {
        /// The record's path.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
}

impl FilesError {
    /// An I/O error about `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        FilesError::Io {
            path: path.into(),
            source,
        }
    }
}
