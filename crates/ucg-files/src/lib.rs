//! # ucg-files
//!
//! Output folders that never lose a user's files:
//!
//! * [`atomic`]: whole files written atomically (temporary file, sync, rename), with temporaries named so
//!   that a killed writer's leftovers can be removed without guessing;
//! * [`lock`]: one writer per folder, by an operating-system lock that a crash cannot leave stuck;
//! * [`run_folder`]: a run's folder, claimed only when it is new, empty or this tool's own run of the same
//!   kind, with a record of every file the run wrote: only those are ever replaced or deleted.
//!
//! ```
//! use ucg_files::{RunFolder, write_atomic};
//!
//! let tmp = tempfile::tempdir()?;
//! let run = RunFolder::claim(&tmp.path().join("results"), "PPCA study", "cargo xtask reproduce ppca")?;
//! write_atomic(&run.file("summary.json")?, b"{}")?;
//! write_atomic(&run.at("figures").file("bias.svg")?, b"<svg/>")?;
//! assert_eq!(run.written().len(), 2);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod atomic;
pub mod error;
pub mod lock;
pub mod run_folder;

pub use atomic::{remove_temporaries, write_atomic, write_atomic_with};
pub use error::FilesError;
pub use lock::FolderLock;
pub use run_folder::RunFolder;
