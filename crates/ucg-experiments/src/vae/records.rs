//! Reading a run folder's files back: `metrics.csv`, `steps.csv`, `meetings.csv` (written by
//! `ucg_train::vae::run`) and the per-point evaluations (`eval-<method>.csv`, written here).

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use ucg_estimators::meeting_counts::MeetingCounts;

use crate::AnyResult;

/// One line of `metrics.csv`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct EpochRow {
    /// 1-based epoch.
    pub epoch: usize,
    /// Training objective.
    pub train_bound: f64,
    /// IWAE-K bound on the curve's test images.
    pub test_iwae_bound: f64,
    /// Training seconds of the epoch.
    pub seconds: f64,
}

/// One line of `steps.csv`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct StepRow {
    /// 1-based epoch.
    pub epoch: usize,
    /// 1-based step within the epoch.
    pub step: usize,
    /// β (coupled runs).
    pub beta: Option<f64>,
    /// Pairs run.
    pub chains: u64,
    /// Pairs capped.
    pub capped: u64,
    /// Particle evaluations.
    pub evaluations: u64,
    /// Seconds of the θ-estimator's own work.
    pub theta_seconds: f64,
    /// Seconds of the step.
    pub step_seconds: f64,
}

/// One test point's estimate of `log p(x)`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PointRow {
    /// Index of the test image.
    pub point: usize,
    /// The estimate.
    pub log_likelihood: f64,
}

#[derive(Deserialize)]
struct MeetingRow {
    epoch: usize,
    tau: usize,
    count: u64,
}

fn read<T: serde::de::DeserializeOwned>(path: &Path) -> AnyResult<Vec<T>> {
    ucg_report::read_csv(path).map_err(|e| format!("{}: {e}", path.display()).into())
}

/// The epochs of a run folder.
///
/// # Errors
/// A missing or malformed file.
pub fn epochs(dir: &Path) -> AnyResult<Vec<EpochRow>> {
    read(&dir.join(ucg_train::vae::run::METRICS_FILE))
}

/// The steps of a run folder.
///
/// # Errors
/// A missing or malformed file.
pub fn steps(dir: &Path) -> AnyResult<Vec<StepRow>> {
    read(&dir.join(ucg_train::vae::run::STEPS_FILE))
}

/// The meeting times of a run folder per epoch (epoch → counts, capped pairs from `steps`).
///
/// # Errors
/// A missing or malformed file.
pub fn meetings(dir: &Path, steps: &[StepRow]) -> AnyResult<BTreeMap<usize, MeetingCounts>> {
    let mut out: BTreeMap<usize, MeetingCounts> = BTreeMap::new();
    for r in read::<MeetingRow>(&dir.join(ucg_train::vae::run::MEETINGS_FILE))? {
        *out.entry(r.epoch)
            .or_default()
            .counts
            .entry(r.tau)
            .or_insert(0) += r.count;
    }
    for s in steps {
        if let Some(m) = out.get_mut(&s.epoch) {
            m.capped += s.capped;
        }
    }
    Ok(out)
}

/// The name of a run's per-point evaluation file by `method` (`iwae`, `ais` or `train-iwae`).
pub fn eval_file_name(method: &str) -> String {
    format!("eval-{method}.csv")
}

/// The file of a run's per-point evaluation by `method`.
pub fn eval_file(dir: &Path, method: &str) -> std::path::PathBuf {
    dir.join(eval_file_name(method))
}

/// A run's per-point evaluation by `method` on `points` points, if done: checked on reading, so that a
/// damaged file is never summarised as if it were whole. Non-finite estimates are kept (a diverged model
/// is reported as diverged, by the summary).
///
/// # Errors
/// A malformed file, or one that does not hold exactly points `0..points` in order.
pub fn evaluation(dir: &Path, method: &str, points: usize) -> AnyResult<Option<Vec<PointRow>>> {
    let path = eval_file(dir, method);
    if !path.is_file() {
        return Ok(None);
    }
    let rows: Vec<PointRow> = ucg_report::read_csv(&path).map_err(|e| {
        format!(
            "{e} (a damaged file); delete {} and rerun the same command to evaluate again",
            path.display()
        )
    })?;
    let misplaced = rows.iter().enumerate().find(|(i, r)| r.point != *i);
    if rows.len() != points || misplaced.is_some() {
        let what = match misplaced {
            Some((i, r)) => format!(
                "line {} holds point {} where point {i} belongs",
                i + 2,
                r.point
            ),
            None => format!("{} points where the study evaluates {points}", rows.len()),
        };
        return Err(format!(
            "{}: {what} (a damaged or foreign file); delete it and rerun the same command to evaluate \
             again",
            path.display()
        )
        .into());
    }
    Ok(Some(rows))
}
