//! `summary.json`: per run, what it trained and how well its final model does, and the paired
//! differences between models over the same test points.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use ucg_estimators::meeting_counts::MeetingCounts;

use super::config::Config;
use super::plan::{Role, Unit, units};
use super::records::{self, PointRow};
use super::unit::{TRAIN_IWAE, methods, run_dir};
use crate::AnyResult;

/// A mean over test points with its standard error.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    /// `iwae-<k>` or `ais`.
    pub method: String,
    /// Test points.
    pub points: usize,
    /// Mean over points.
    pub mean: f64,
    /// Standard error of the mean (NaN for one point).
    pub se: f64,
    /// Points whose estimate is not finite (a diverged model; the mean is then NaN).
    #[serde(default)]
    pub non_finite: usize,
}

/// One epoch of a run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EpochSummary {
    /// 1-based epoch.
    pub epoch: usize,
    /// IWAE-K bound on the curve's test images.
    pub test_bound: f64,
    /// Training seconds.
    pub seconds: f64,
    /// Coupled pairs run.
    pub chains: u64,
    /// Pairs capped.
    pub capped: u64,
    /// Mean meeting time (capped pairs at the cap; NaN without chains).
    pub mean_tau: f64,
    /// Median meeting time.
    pub median_tau: f64,
    /// 99% quantile of the meeting time.
    pub q99_tau: f64,
}

/// One run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    /// The unit (folder name, data set, estimator, `D`, seed, role, epochs, steps per epoch).
    pub unit: Unit,
    /// Epochs completed.
    pub epochs: usize,
    /// SGD steps taken.
    pub steps: usize,
    /// Log-likelihood by each method: on test images, and for `train-iwae-k` on training images.
    pub test: Vec<Estimate>,
    /// Per epoch.
    pub per_epoch: Vec<EpochSummary>,
    /// β of every step (coupled runs; empty otherwise).
    pub beta: Vec<f64>,
    /// Mean training seconds per epoch.
    pub seconds_per_epoch: f64,
    /// Mean seconds per step.
    pub seconds_per_step: f64,
    /// Mean particle evaluations per step.
    pub evaluations_per_step: f64,
    /// Training seconds in total.
    pub seconds: f64,
}

/// `a − b` over the test points both were evaluated on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PairedDifference {
    /// Run `a`.
    pub a: String,
    /// Run `b`.
    pub b: String,
    /// The method.
    pub method: String,
    /// Common points.
    pub points: usize,
    /// Mean of `a − b`.
    pub mean: f64,
    /// Its standard error.
    pub se: f64,
    /// The runs among `a` and `b` whose estimates are not all finite (diverged models): then there is no
    /// difference to report.
    #[serde(default)]
    pub diverged: Vec<String>,
}

/// The fewest common points on which a paired difference is judged: below it the standard error is too
/// unreliable for a verdict.
pub const MIN_POINTS_FOR_VERDICT: usize = 20;

/// What a paired difference `a − b` shows.
#[derive(Clone, Debug, PartialEq)]
pub enum Finding {
    /// `a` is better: z > 2.
    Beats,
    /// `a` is worse: z < −2.
    Worse,
    /// |z| ≤ 2.
    NoDifference,
    /// A model's estimates are not finite: these runs diverged.
    Diverged(Vec<String>),
    /// Fewer than [`MIN_POINTS_FOR_VERDICT`] common points.
    TooFewPoints,
}

impl PairedDifference {
    /// `mean / se`.
    pub fn z(&self) -> f64 {
        self.mean / self.se
    }

    /// The verdict, or why there is none.
    pub fn finding(&self) -> Finding {
        if !self.diverged.is_empty() {
            return Finding::Diverged(self.diverged.clone());
        }
        if self.points < MIN_POINTS_FOR_VERDICT {
            return Finding::TooFewPoints;
        }
        let z = self.z();
        if z > 2.0 {
            Finding::Beats
        } else if z < -2.0 {
            Finding::Worse
        } else {
            Finding::NoDifference
        }
    }
}

/// The whole study's summary.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// The settings.
    pub config: Config,
    /// The command that wrote it.
    pub command: String,
    /// Every run found in the folder, in plan order.
    pub runs: Vec<RunSummary>,
    /// C-ISIR-DISIR (and C-ISIR) against every other model of the same block, by each method.
    pub differences: Vec<PairedDifference>,
    /// The runs of the plan not evaluated in this folder (another shard's, or not run yet).
    #[serde(default)]
    pub missing: Vec<String>,
}

fn mean_se(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    if v.len() < 2 {
        return (mean, f64::NAN);
    }
    let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, (var / n).sqrt())
}

/// The paired difference `a − b` over common points.
pub fn paired(a: &[PointRow], b: &[PointRow]) -> Option<(usize, f64, f64)> {
    let bmap: BTreeMap<usize, f64> = b.iter().map(|r| (r.point, r.log_likelihood)).collect();
    let d: Vec<f64> = a
        .iter()
        .filter_map(|r| bmap.get(&r.point).map(|v| r.log_likelihood - v))
        .collect();
    if d.is_empty() {
        return None;
    }
    let (m, se) = mean_se(&d);
    Some((d.len(), m, se))
}

fn label(config: &Config, method: &str) -> String {
    match method {
        "iwae" => format!("iwae-{}", config.eval.iwae_k),
        TRAIN_IWAE => format!("{TRAIN_IWAE}-{}", config.eval.iwae_k),
        _ => method.to_string(),
    }
}

fn run_summary(config: &Config, unit: &Unit, dir: &Path) -> AnyResult<RunSummary> {
    let epochs = records::epochs(dir)?;
    let steps = records::steps(dir)?;
    let meetings = records::meetings(dir, &steps)?;
    let mut test = Vec::new();
    for (method, points) in methods(&config.eval) {
        if let Some(rows) = records::evaluation(dir, method, points)? {
            let v: Vec<f64> = rows.iter().map(|r| r.log_likelihood).collect();
            let non_finite = v.iter().filter(|x| !x.is_finite()).count();
            let (mean, se) = if non_finite > 0 {
                (f64::NAN, f64::NAN)
            } else {
                mean_se(&v)
            };
            test.push(Estimate {
                method: label(config, method),
                points: v.len(),
                mean,
                se,
                non_finite,
            });
        }
    }
    let per_epoch = epochs
        .iter()
        .map(|e| {
            let m = meetings.get(&e.epoch).cloned().unwrap_or_default();
            let s = m.summary().ok();
            let q = |f: fn(&ucg_estimators::summary::MeetingSummary) -> f64| {
                s.as_ref().map_or(f64::NAN, f)
            };
            EpochSummary {
                epoch: e.epoch,
                test_bound: e.test_iwae_bound,
                seconds: e.seconds,
                chains: m.runs(),
                capped: m.capped,
                mean_tau: q(|s| s.mean),
                median_tau: q(|s| s.median),
                q99_tau: q(|s| s.q99),
            }
        })
        .collect();
    let n = steps.len().max(1) as f64;
    let seconds: f64 = steps.iter().map(|s| s.step_seconds).sum();
    Ok(RunSummary {
        unit: ucg_report::read_json(dir.join("unit.json")).unwrap_or_else(|_| unit.clone()),
        epochs: epochs.len(),
        steps: steps.len(),
        test,
        per_epoch,
        beta: steps.iter().filter_map(|s| s.beta).collect(),
        seconds_per_epoch: epochs.iter().map(|e| e.seconds).sum::<f64>()
            / epochs.len().max(1) as f64,
        seconds_per_step: seconds / n,
        evaluations_per_step: steps.iter().map(|s| s.evaluations as f64).sum::<f64>() / n,
        seconds,
    })
}

/// All meeting times of a run folder (every epoch merged).
///
/// # Errors
/// Missing or malformed files.
pub fn all_meetings(dir: &Path) -> AnyResult<MeetingCounts> {
    let steps = records::steps(dir)?;
    let mut all = MeetingCounts::default();
    for m in records::meetings(dir, &steps)?.values() {
        all.merge(m);
    }
    Ok(all)
}

/// The summary of the runs in `out` (those of the plan whose final model has been evaluated).
///
/// # Errors
/// Malformed files.
pub fn summarise(config: &Config, out: &Path, command: &str) -> AnyResult<Summary> {
    let plan = units(config);
    let mut runs = Vec::new();
    let mut missing = Vec::new();
    for u in &plan {
        let dir = run_dir(out, &u.name);
        if records::evaluation(&dir, "iwae", config.eval.iwae_points)?.is_some() {
            runs.push(run_summary(config, u, &dir)?);
        } else {
            missing.push(u.name.clone());
        }
    }
    let mut differences = Vec::new();
    for a in runs
        .iter()
        .filter(|r| r.unit.role == Role::Main && r.unit.estimator.is_unbiased())
    {
        // Two unbiased estimators are compared once, not once from each side.
        let same_block = |b: &&RunSummary| {
            b.unit.name != a.unit.name
                && !(b.unit.estimator.is_unbiased() && b.unit.name < a.unit.name)
                && (b.unit.dataset, b.unit.latent, b.unit.seed)
                    == (a.unit.dataset, a.unit.latent, a.unit.seed)
        };
        for b in runs.iter().filter(same_block) {
            for (method, count) in methods(&config.eval) {
                let (ra, rb) = (
                    records::evaluation(&run_dir(out, &a.unit.name), method, count)?,
                    records::evaluation(&run_dir(out, &b.unit.name), method, count)?,
                );
                if let (Some(ra), Some(rb)) = (ra, rb)
                    && let Some((points, mean, se)) = paired(&ra, &rb)
                {
                    let finite =
                        |rows: &[PointRow]| rows.iter().all(|r| r.log_likelihood.is_finite());
                    let diverged: Vec<String> = [(&a.unit.name, &ra), (&b.unit.name, &rb)]
                        .into_iter()
                        .filter(|(_, rows)| !finite(rows))
                        .map(|(name, _)| name.clone())
                        .collect();
                    let (mean, se) = if diverged.is_empty() {
                        (mean, se)
                    } else {
                        (f64::NAN, f64::NAN)
                    };
                    differences.push(PairedDifference {
                        a: a.unit.name.clone(),
                        b: b.unit.name.clone(),
                        method: label(config, method),
                        points,
                        mean,
                        se,
                        diverged,
                    });
                }
            }
        }
    }
    Ok(Summary {
        config: config.clone(),
        command: command.to_string(),
        runs,
        differences,
        missing,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paired_differences_use_common_points() {
        let rows = |v: &[(usize, f64)]| {
            v.iter()
                .map(|&(point, log_likelihood)| PointRow {
                    point,
                    log_likelihood,
                })
                .collect::<Vec<_>>()
        };
        let a = rows(&[(0, -90.0), (1, -80.0), (2, -70.0)]);
        let b = rows(&[(1, -81.0), (2, -73.0), (5, 0.0)]);
        let (n, m, se) = paired(&a, &b).unwrap();
        assert_eq!(n, 2);
        assert!((m - 2.0).abs() < 1e-12 && (se - 1.0).abs() < 1e-12);
        assert!(paired(&a, &rows(&[(9, 0.0)])).is_none());
    }
}
