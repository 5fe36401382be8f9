//! Project tasks of the ucg workspace, behind `cargo xtask`:
//!
//! - [`ppca`]: `reproduce ppca`, the paper's PPCA experiment with figures and a report;
//! - [`train`]: `train vae`, training the MLP VAE (the logic is in `ucg_train::vae`);
//! - [`merge`]: `merge`, combining the shards of a run;
//! - [`data`]: `data <which>`, finding or fetching a data set.
//!
//! The command line is in [`cli`]; progress bars in [`progress`].

pub mod cli;
pub mod data;
pub mod merge;
pub mod ppca;
pub mod progress;
pub mod train;

/// Errors of the tasks: anything displayable, reported on one line by the binary.
pub type AnyError = Box<dyn std::error::Error>;
/// Results of the tasks.
pub type AnyResult<T> = Result<T, AnyError>;
