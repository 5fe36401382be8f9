//! β's warm-up for C-ISIR-DISIR in the PPCA study: the warm-up itself is
//! [`PpcaProblem::warm_up_beta`] (`ucg-train`; the policy, `common_prefix_average` and
//! `BetaAdapter::frozen`, is in `ucg_estimators::beta`); this module gives each problem of the study its
//! stream, its progress bar and its record.
//!
//! β must stay fixed within a run for the estimator to be unbiased, and the replicates must be i.i.d. for
//! the unbiasedness check, so β is adapted only here (`docs/method.md` §3), globally for all points of a
//! problem, and every replicate then uses the frozen β.

use serde::{Deserialize, Serialize};
use ucg_estimators::pilot::{PilotChoice, pilot_beta};
use ucg_estimators::seeding::derive_seed;
use ucg_train::ppca::{CoupledKernelKind, CoupledSettings, PpcaProblem};

use super::cells::{Stream, Sweep, stream_seed};
use super::config::{BetaChoice, Config};
use crate::AnyResult;
use crate::progress::Ui;

/// How β was chosen for one problem and `K`: the warm-up's trajectory and frozen value, a fixed value
/// (trajectory of one value), or a pilot's measurements and choice.
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
    /// The β used by every replicate: the warm-up's average of the trajectory's second half, the
    /// fixed value, or the pilot's choice.
    pub beta: f64,
    /// The pilot's measurements, when a pilot chose β.
    #[serde(default)]
    pub pilot: Option<PilotChoice>,
}

/// Chooses C-ISIR-DISIR's β for `problem` at `k` as `config.beta` says: the ESS rule's warm-up
/// ([`warm_up_beta`]), the fixed value, or a pilot ([`pilot_beta`]).
///
/// # Errors
/// Invalid settings or a failing kernel.
pub fn choose_beta(
    problem: &PpcaProblem<'_>,
    sweep: Sweep,
    d: usize,
    k: usize,
    config: &Config,
    ui: &Ui,
) -> AnyResult<BetaRecord> {
    let fixed = |beta: f64, pilot: Option<PilotChoice>| BetaRecord {
        sweep,
        d,
        k,
        trajectory: vec![beta],
        beta,
        pilot,
    };
    match &config.beta {
        BetaChoice::Ess => warm_up_beta(problem, sweep, d, k, config, ui),
        BetaChoice::Fixed(beta) => Ok(fixed(*beta, None)),
        BetaChoice::Pilot(p) => {
            let seed = derive_seed(
                problem_seed(config, sweep, d),
                (k as u64) << 32 | PILOT_STREAM,
            );
            let lag = config.lag.settings()?;
            let bar = ui.bar(
                (p.candidates.len() * p.replicates) as u64,
                format!("β pilot D={d} K={k}"),
            );
            let choice = pilot_beta(&p.candidates, p.replicates, |beta, r| -> AnyResult<_> {
                let settings = CoupledSettings {
                    kernel: CoupledKernelKind::IsirDisir { beta },
                    k,
                    lag,
                };
                let estimate = problem.coupled_gradient(&settings, derive_seed(seed, r))?;
                bar.inc(1);
                Ok((
                    estimate.gradient.to_vec(),
                    (estimate.particle_sets * k) as f64,
                ))
            })?;
            bar.finish_and_clear();
            let best = &choice.measures[choice.best];
            ui.note(format!(
                "D = {d}, K = {k}: the pilot chose β = {} (variance × cost {:.3e} ± {:.1e}{})",
                best.beta,
                best.inefficiency,
                best.inefficiency_se,
                if choice.is_clear() {
                    ""
                } else {
                    "; not clearly better than every other candidate"
                }
            ));
            Ok(fixed(choice.best_beta(), Some(choice)))
        }
    }
}

/// The warm-up stream of the problem (`sweep`, `d`); each `K` (and the pilot) derives its own from it.
fn problem_seed(config: &Config, sweep: Sweep, d: usize) -> u64 {
    derive_seed(stream_seed(config, Stream::Warmup, d), sweep as u64)
}

/// Sub-stream of the pilot's seeds (beside the warm-up's, which use `k` alone).
const PILOT_STREAM: u64 = 0x9170;

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
    let seed = derive_seed(problem_seed(config, sweep, d), k as u64);
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
        pilot: None,
    })
}

/// The frozen β of the problem (`sweep`, `d`) at `k`, if warmed up.
pub fn find_beta(records: &[BetaRecord], sweep: Sweep, d: usize, k: usize) -> Option<f64> {
    records
        .iter()
        .find(|b| b.sweep == sweep && b.d == d && b.k == k)
        .map(|b| b.beta)
}
