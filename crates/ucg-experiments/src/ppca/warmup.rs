//! β's warm-up for C-ISIR-DISIR: sequential estimator runs adapting β between runs, then β is frozen.
//!
//! β must stay fixed within a run for the estimator to be unbiased, and the replicates must be i.i.d. for
//! the unbiasedness check, so β is adapted only here (`docs/method.md` §3, the ISIR-DISIR kernel: target ESS 0.3 K, one update per
//! iteration of the leading chain, with the ESS averaged over the points), globally for all points of a
//! problem, and every replicate then uses the frozen β ([`frozen_beta`]). Only the iterations that
//! every point reaches drive the updates (see [`common_prefix_average`]).

use serde::{Deserialize, Serialize};
use ucg_estimators::beta::{BetaAdapter, average_traces};
use ucg_estimators::seeding::derive_seed;
use ucg_train::ppca::{CoupledKernelKind, CoupledSettings, PpcaProblem};

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
    let mut adapter = BetaAdapter::new(config.warmup.beta0, k)?;
    let seed = derive_seed(
        derive_seed(stream_seed(config, Stream::Warmup, d), sweep as u64),
        k as u64,
    );
    let bar = ui.bar(config.warmup.runs as u64, format!("β warm-up D={d} K={k}"));
    for run in 0..config.warmup.runs {
        let settings = CoupledSettings {
            kernel: CoupledKernelKind::IsirDisir {
                beta: adapter.beta(),
            },
            k,
            lag: config.lag.settings()?,
        };
        let estimate = problem.coupled_gradient(&settings, derive_seed(seed, run as u64))?;
        adapter.update(&common_prefix_average(&estimate.ess_traces));
        bar.inc(1);
    }
    bar.finish_and_clear();
    let beta = frozen_beta(adapter.trajectory());
    ui.note(format!(
        "D = {d}, K = {k}: β frozen at {beta:.4} (average of the second half of {} warm-up runs)",
        config.warmup.runs
    ));
    Ok(BetaRecord {
        sweep,
        d,
        k,
        trajectory: adapter.trajectory().to_vec(),
        beta,
    })
}

/// The ESS averaged over all points at each iteration that every point's run reaches (the first
/// `min_n len(trace_n)` iterations; at least `t0 + L − 1`).
///
/// The paper's update applied to every iteration of the longest run (averaging over the points still
/// running) makes β jump between its bounds from one run to the next: β is fixed within a run, so the
/// hundreds of iterations of the slowest point add up same-sign updates with no feedback. Restricting
/// the updates to the common iterations keeps one update per iteration, each averaged over all `N`
/// points, and lets β settle.
pub fn common_prefix_average(traces: &[Vec<f64>]) -> Vec<f64> {
    let common = traces.iter().map(Vec::len).min().unwrap_or(0);
    let mut avg = average_traces(traces);
    avg.truncate(common);
    avg
}

/// The β to freeze: the average of the second half of the trajectory (Polyak–Ruppert averaging), which
/// settles where the last value of an oscillating adaptation would be arbitrary.
pub fn frozen_beta(trajectory: &[f64]) -> f64 {
    let tail = &trajectory[trajectory.len() / 2..];
    tail.iter().sum::<f64>() / tail.len().max(1) as f64
}

/// The frozen β of the problem (`sweep`, `d`) at `k`, if warmed up.
pub fn find_beta(records: &[BetaRecord], sweep: Sweep, d: usize, k: usize) -> Option<f64> {
    records
        .iter()
        .find(|b| b.sweep == sweep && b.d == d && b.k == k)
        .map(|b| b.beta)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_iterations_every_point_reaches_count() {
        let avg = common_prefix_average(&[vec![1.0, 3.0, 5.0], vec![3.0, 5.0]]);
        assert_eq!(avg, vec![2.0, 4.0]);
        assert!(common_prefix_average(&[]).is_empty());
    }

    #[test]
    fn frozen_beta_averages_the_second_half() {
        assert_eq!(frozen_beta(&[0.5, 1.0, 0.0, 1.0, 0.0]), 1.0 / 3.0);
        assert_eq!(frozen_beta(&[0.5]), 0.5);
    }
}
