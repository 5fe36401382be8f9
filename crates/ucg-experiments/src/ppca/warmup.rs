//! β's warm-up for C-ISIR-DISIR in the PPCA study: the warm-up itself is
//! [`PpcaProblem::warm_up_beta`] (`ucg-train`; the policy, `common_prefix_average` and
//! `BetaAdapter::frozen`, is in `ucg_estimators::beta`); this module gives each problem of the study its
//! stream, its progress bar and its record.
//!
//! β must stay fixed within a run for the estimator to be unbiased, and the replicates must be i.i.d. for
//! the unbiasedness check, so β is adapted only here (`docs/method.md` §3), globally for all points of a
//! problem, and every replicate then uses the frozen β.

use serde::{Deserialize, Serialize};
use ucg_estimators::seeding::derive_seed;
use ucg_train::ppca::PpcaProblem;

use super::cells::{Stream, Sweep, stream_seed};
use super::config::Config;
use crate::AnyResult;
use crate::progress::Ui;

/// β's trajectory during one warm-up and the frozen value.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BetaRecord {
    /// The problem's part of the study.
    pub sweep: Sweep,
    /// Latent dimension.
    pub d: usize,
    /// Particles per set.
    pub k: usize,
    /// β before the first run and after each run.
    pub trajectory: Vec<f64>,
    /// The frozen β used by every replicate: the average of the trajectory's second half.
    pub beta: f64,
}

/// Runs `config.warmup.runs` C-ISIR-DISIR batch estimates on `problem` in sequence, each with the current
/// β, updating β from the run's averaged ESS trace after it.
///
/// # Errors
/// Invalid settings or a failing kernel.
pub fn warm_up_beta(
    problem: &PpcaProblem<'_>,
    sweep: Sweep,
    d: usize,
    k: usize,
    config: &Config,
    ui: &Ui,
) -> AnyResult<BetaRecord> {
    let seed = derive_seed(
        derive_seed(stream_seed(config, Stream::Warmup, d), sweep as u64),
        k as u64,
    );
    let bar = ui.bar(config.warmup.runs as u64, format!("β warm-up D={d} K={k}"));
    let warmup = problem.warm_up_beta(
        config.warmup.adapter(k)?,
        config.lag.settings()?,
        config.warmup.runs,
        seed,
        || bar.inc(1),
    )?;
    bar.finish_and_clear();
    ui.note(format!(
        "D = {d}, K = {k}: β frozen at {:.4} (average of the second half of {} warm-up runs)",
        warmup.beta, config.warmup.runs
    ));
    Ok(BetaRecord {
        sweep,
        d,
        k,
        trajectory: warmup.trajectory,
        beta: warmup.beta,
    })
}

/// The frozen β of the problem (`sweep`, `d`) at `k`, if warmed up.
pub fn find_beta(records: &[BetaRecord], sweep: Sweep, d: usize, k: usize) -> Option<f64> {
    records
        .iter()
        .find(|b| b.sweep == sweep && b.d == d && b.k == k)
        .map(|b| b.beta)
}
