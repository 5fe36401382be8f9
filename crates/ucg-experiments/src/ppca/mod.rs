//! The paper's PPCA experiment (`docs/method.md` §7) and its meeting-time analysis.
//!
//! The pipeline ([`experiment::run_study`]) takes a [`config::Config`] (which includes the data source) and
//! an output folder, so tests run it at tiny sizes on synthetic data. Its parts, in the order a run uses
//! them:
//!
//! - settings: [`config`] (presets and validation), [`source`] (the data points), [`cells`] (the grid of
//!   estimators, `K` and `D`, and every seed);
//! - the run: [`setup`] (model and encoder fit), [`warmup`] (β of C-ISIR-DISIR), [`replicate`] (one
//!   estimate reduced to its row), [`checkpoint`] and [`meeting`] (running statistics), [`store`] and
//!   [`layout`] (the results folder, resuming), [`rows`] (checking `replicates.csv`), [`merge`] (shards);
//! - the outputs: [`summary`] (every number), [`verdict`] (the unbiasedness verdicts), [`findings`] (one
//!   sentence each), [`report`] (`report.md`), [`figures`], all written by [`outputs`];
//! - the β sweep (`--sweep beta`, its own folder): [`beta_sweep`] (the run) and [`beta_sweep_summary`]
//!   (its numbers, report and figures);
//! - the window sweep (`--sweep window`): [`window_sweep`] (the run) and [`window_sweep_summary`];
//! - the meeting-time tails by data point (`--sweep tails`): [`tails`] (the run) and [`tails_summary`].

pub mod beta_sweep;
pub mod beta_sweep_summary;
pub mod cells;
pub mod checkpoint;
pub mod config;
pub mod experiment;
pub mod figures;
pub mod findings;
pub mod layout;
pub mod meeting;
pub mod merge;
pub mod outputs;
pub mod replicate;
pub mod report;
pub mod rows;
pub mod setup;
pub mod source;
pub mod store;
pub mod summary;
pub mod tails;
pub mod tails_summary;
pub mod verdict;
pub mod warmup;
pub mod window_sweep;
pub mod window_sweep_summary;

#[cfg(test)]
mod smoke;
#[cfg(test)]
pub(crate) mod test_support;
