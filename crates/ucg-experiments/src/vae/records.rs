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

/// The file of a run's per-point evaluation by `method` (`iwae` or `ais`).
pub fn eval_file(dir: &Path, method: &str) -> std::path::PathBuf {
    dir.join(format!("eval-{method}.csv"))
}

/// A run's per-point evaluation by `method`, if done.
///
/// # Errors
/// A malformed file.
pub fn evaluation(dir: &Path, method: &str) -> AnyResult<Option<Vec<PointRow>>> {
    let path = eval_file(dir, method);
    if path.is_file() {
        read(&path).map(Some)
    } else {
        Ok(None)
    }
}
