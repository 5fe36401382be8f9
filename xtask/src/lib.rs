//! Project tasks of the ucg workspace, behind `cargo xtask`: command-line parsing ([`cli`]) and
//! dispatch to the libraries that do the work.
//!
//! - [`ppca`]: `reproduce ppca` and `merge`, carried out by `ucg_experiments::ppca`;
//! - [`vae`]: `reproduce vae` and the VAE side of `merge`, carried out by `ucg_experiments::vae`;
//! - [`train`]: `train vae`, training the MLP VAE (the logic is in `ucg_train::vae`);
//! - [`eval`]: `eval vae`, the test log-likelihood of a trained VAE (the logic is in `ucg_train::eval`);
//! - [`data`]: `data <which>`, finding or fetching a data set with `ucg_data`;
//! - [`output`]: lines on standard output that survive `| head`.

pub mod cli;
pub mod data;
pub mod eval;
pub mod output;
pub mod ppca;
pub mod train;
pub mod vae;

pub use ucg_experiments::{AnyError, AnyResult};
