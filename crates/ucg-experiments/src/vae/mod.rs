//! The VAE experiment (`docs/vae/README.md`): VAEs on binarised MNIST (and Fashion-MNIST)
//! trained by ELBO, IWAE and the unbiased coupled gradients (C-ISIR-DISIR, C-ISIR), each final model
//! evaluated on the same test points, compared by paired differences, beside the paper's Table 1.
//!
//! - [`config`]: settings and presets ([`config::Config::quick_preset`], `default_preset`,
//!   `small_preset`, `full_preset`); [`overrides`]: a preset's settings changed from the command line;
//! - [`plan`]: the runs (units) and their split between shards;
//! - [`data`]: the images; [`unit`]: one run and its evaluation; [`records`]: reading a run's files;
//! - [`walltime`]: the probes that fix how long a same-wall-time run trains;
//! - [`study`]: the whole study ([`study::run_study`]) and its outputs ([`study::write_outputs`]);
//! - [`summary`], [`report`], [`figures`]: `summary.json`, `report.md`, `figures/`;
//! - [`merge`]: putting shards' folders together; [`bars`]: progress bars of a training run;
//! - [`efficiency`]: the coupled gradient's variance × cost by configuration; [`gradients`]: every
//!   θ-estimator against a reference gradient along IWAE training (bias, variance, break-even).
//!
//! A results folder holds `config.json`, `runs/<name>/` (each an ordinary `ucg_train::vae::run` folder
//! plus `unit.json`, `eval-iwae.csv`, `eval-ais.csv` `timings.json` for the coupled run that others are timed against and `walltime.json` for each
//! of those),
//! `summary.json`, `report.md` and `figures/`.
//!
//! # Example
//! ```no_run
//! use ucg_experiments::vae::{config::Config, report::verdict_lines, study::run_study};
//! use ucg_experiments::{progress::Ui, shard::Shard};
//!
//! # fn main() -> ucg_experiments::AnyResult<()> {
//! let out = std::env::temp_dir().join("ucg-vae-quick");
//! let summary = run_study(&Config::quick_preset(1), Shard::WHOLE, &out, &Ui::quiet(), "example")?;
//! for line in verdict_lines(&summary) {
//!     println!("{line}");
//! }
//! # Ok(()) }
//! ```

pub mod bars;
pub mod config;
pub mod data;
pub mod efficiency;
pub mod figures;
pub mod gradients;
pub mod merge;
pub mod overrides;
pub mod plan;
pub mod records;
pub mod report;
pub mod study;
pub mod summary;
pub mod unit;
pub mod walltime;
