//! The paper's experiments as a library, behind `cargo xtask reproduce …` and `cargo xtask merge`.
//!
//! - [`ppca`]: the PPCA experiment (unbiasedness of the coupled gradient estimators against the exact
//!   gradient, IWAE's bias against K, meeting times against K and D, inefficiency): settings and
//!   presets, the resumable and shardable run, merging shards, the summary, the report and figures;
//! - [`vae`]: the VAE experiment (ELBO, IWAE and the coupled unbiased gradients on binarised MNIST,
//!   the paper's Table 1): presets, a plan of resumable runs, shards, evaluation, summary, report;
//! - [`beta_choice`]: how both studies choose C-ISIR-DISIR's β (ESS rule, fixed, pilot);
//! - [`differences`]: naming the settings in which a folder's run differs from the one asked for;
//! - [`folder`]: claiming a study's output folder (one writer, only its own files replaced) and its figures;
//! - [`shard`]: splitting a run's replicates between processes;
//! - [`progress`]: progress bars and status lines, silenced in tests.
//!
//! A run writes a results folder (`run.json`, `setup.json`, `replicates.csv`, `checkpoints/`,
//! `summary.json`, `report.md`, `figures/`); the same settings and seed give the same results whatever
//! the number of threads, and an interrupted run resumes where it stopped.
//!
//! # Example
//!
//! A tiny PPCA study on synthetic data (seconds), then its verdict:
//!
//! ```no_run
//! use ucg_experiments::ppca::{config::Config, experiment::run_study, verdict::verdict_lines};
//! use ucg_experiments::{progress::Ui, shard::Shard};
//!
//! # fn main() -> ucg_experiments::AnyResult<()> {
//! let out = std::env::temp_dir().join("ucg-ppca-tiny");
//! let summary = run_study(&Config::tiny(1), Shard::WHOLE, &out, &Ui::quiet(), "example")?;
//! for line in verdict_lines(&summary) {
//!     println!("{line}");
//! }
//! assert!(out.join("report.md").exists());
//! # Ok(()) }
//! ```

pub mod beta_choice;
pub mod differences;
pub mod folder;
pub mod ppca;
pub mod progress;
pub mod shard;
pub mod vae;

/// Errors of the experiments: any error that can cross threads, reported on one line by `cargo xtask`.
pub type AnyError = Box<dyn std::error::Error + Send + Sync>;
/// Results of the experiments.
pub type AnyResult<T> = Result<T, AnyError>;
