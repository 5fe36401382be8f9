//! The meeting-time tails by data point (`cargo xtask reproduce ppca --sweep tails`): for each coupled
//! estimator at the main problem and the paper's window, many batch runs of meeting times only, counted per
//! data point, next to each point's encoder gap `KL(q(z | x_n) ‖ p(z | x_n))`.
//!
//! It answers where the cap bites: whether the capped chains come from a few data points, and whether
//! those are the points the fitted encoder approximates worst. The folder is resumable (per-estimator
//! checkpoints of the counts). Numbers, report and figures: [`tails_summary`](super::tails_summary).

use crate::ppca::cells::file_slug;
use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use ucg_estimators::seeding::derive_seed;
use ucg_report::{read_json, write_json};

use super::cells::EstimatorKind;
use super::config::Config;
use super::layout::PeriodicSave;
use super::meeting::MeetingCounts;
use super::setup::{FitRecord, OpenedSweep, open_sweep};
use super::tails_summary::{TailsSummary, write_tails_outputs};
use super::window_sweep::{coupled_estimators, window_seed};
use crate::AnyResult;
use crate::progress::Ui;

/// How often a running estimator's checkpoint is written.
const CHECKPOINT_EVERY: Duration = Duration::from_secs(30);

/// Sub-stream of the tails' replicate seeds (apart from the window sweep's).
const TAILS_STREAM: u64 = 0x7A15;

/// Batch runs per call of the estimator: all their `(run, point)` pairs share one parallel loop.
const CHUNK: u64 = 50;

/// What the tails study measures.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TailsSettings {
    /// Batch runs (each gives one meeting time per data point) per estimator.
    pub replicates: u64,
    /// How many of the worst data points (largest mean τ) are shown apart.
    pub worst: usize,
}

impl TailsSettings {
    /// `replicates` batch runs per estimator, the 5 worst points shown apart.
    pub fn standard(replicates: u64) -> Self {
        TailsSettings {
            replicates,
            worst: 5,
        }
    }

    /// Checks the settings.
    ///
    /// # Errors
    /// Fewer than 2 runs, no worst point, or more worst points than the batch has.
    pub fn validate(&self, config: &Config) -> AnyResult<()> {
        if self.replicates < 2 || self.worst == 0 || self.worst > config.points {
            return Err(format!(
                "the tails study needs at least 2 runs and 1..={} worst points, got {} and {}",
                config.points, self.replicates, self.worst
            )
            .into());
        }
        Ok(())
    }
}

/// One estimator's counts over its finished runs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TailsCheckpoint {
    /// The estimator.
    pub estimator: EstimatorKind,
    /// Finished batch runs.
    pub runs: u64,
    /// Runs with at least one capped chain.
    pub touched_runs: u64,
    /// Each data point's meeting times.
    pub per_point: Vec<MeetingCounts>,
}

/// What the study computed before its runs (`setup.json`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TailsSetup {
    /// The main problem's encoder fit.
    pub fit: FitRecord,
    /// Each point's encoder gap `KL(q(z | x_n) ‖ p(z | x_n))` in nats.
    pub gaps: Vec<f64>,
}

/// The folder's record of the settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TailsRecord {
    /// The study's settings.
    pub config: Config,
    /// The tails study's.
    pub tails: TailsSettings,
}

/// The seed of run `r`, the same for both estimators.
pub fn tails_seed(config: &Config, r: u64) -> u64 {
    derive_seed(derive_seed(window_seed(config, 0), TAILS_STREAM), r)
}

/// Runs (or resumes) the tails study of `config`'s main problem into `out`, then writes its summary,
/// report and figures; returns the summary.
///
/// # Errors
/// Invalid settings, unreadable data, a folder holding another study, or failing estimators.
pub fn run_tails(
    config: &Config,
    tails: &TailsSettings,
    out: &Path,
    ui: &Ui,
    command: &str,
) -> AnyResult<TailsSummary> {
    config.validate()?;
    tails.validate(config)?;
    let record = TailsRecord {
        config: config.clone(),
        tails: tails.clone(),
    };
    let OpenedSweep {
        folder,
        layout,
        cached,
        main,
    } = open_sweep(
        config,
        out,
        &record,
        "tails study",
        |s: &TailsSetup| &s.fit,
        ui,
        command,
    )?;
    let setup = match cached {
        Some(s) => s,
        None => {
            let s = TailsSetup {
                fit: main.fit.clone(),
                gaps: main.model.encoder_gaps(&main.encoder, &main.x)?,
            };
            write_json(folder.file_path(&layout.setup())?, &s)?;
            s
        }
    };
    let problem = main.problem()?;
    let lag = config.lag.settings()?;
    let mut done = Vec::new();
    for (estimator, kind) in coupled_estimators(config)? {
        let path = layout.checkpoint(file_slug(estimator));
        let mut c = if path.exists() {
            let c: TailsCheckpoint = read_json(&path)?;
            if c.estimator != estimator || c.per_point.len() != config.points {
                return Err(
                    format!("checkpoint {} does not match this study", path.display()).into(),
                );
            }
            c
        } else {
            TailsCheckpoint {
                estimator,
                runs: 0,
                touched_runs: 0,
                per_point: vec![MeetingCounts::default(); config.points],
            }
        };
        let bar = ui.bar(
            tails.replicates,
            format!("{} meeting times", estimator.label()),
        );
        bar.set_position(c.runs);
        let mut save = PeriodicSave::new(&folder, path, CHECKPOINT_EVERY)?;
        while c.runs < tails.replicates {
            let end = (c.runs + CHUNK).min(tails.replicates);
            let seeds: Vec<u64> = (c.runs..end).map(|r| tails_seed(config, r)).collect();
            for runs in problem.meeting_runs(kind, config.main_k, &lag, &seeds)? {
                c.touched_runs += u64::from(runs.iter().any(|r| r.capped));
                for (counts, run) in c.per_point.iter_mut().zip(&runs) {
                    counts.push(run);
                }
            }
            bar.inc(end - c.runs);
            c.runs = end;
            save.tick(&c)?;
        }
        save.finish(&c)?;
        bar.finish();
        done.push(c);
    }
    write_tails_outputs(&folder, config, tails, &setup, &done, command, ui)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ppca::config::BetaChoice;

    #[test]
    fn a_tiny_study_counts_every_point_and_resumes_to_the_same_summary() {
        let dir = tempfile::tempdir().unwrap();
        let config = Config {
            beta: BetaChoice::Fixed(0.0),
            ..Config::tiny(3)
        };
        let tails = TailsSettings {
            replicates: 60,
            worst: 2,
        };
        let ui = Ui::quiet();
        let a = run_tails(&config, &tails, dir.path(), &ui, "test").unwrap();
        assert_eq!(a.estimators.len(), 2);
        for e in &a.estimators {
            assert_eq!(e.runs, 60);
            assert_eq!(e.all.runs, 60 * config.points as u64);
            assert_eq!(e.points.len(), config.points);
            assert!(e.points.iter().all(|p| p.gap > 0.0 && p.meeting.runs == 60));
            // The worst points come first, by mean τ.
            let worst: Vec<f64> = e.worst.iter().map(|&n| e.points[n].meeting.mean).collect();
            assert!(worst.windows(2).all(|w| w[0] >= w[1]));
            assert!(e.points.iter().all(|p| p.meeting.mean <= worst[0]));
        }
        for file in ["summary.json", "report.md", "figures/tails_gap.svg"] {
            assert!(dir.path().join(file).exists(), "{file}");
        }
        let b = run_tails(&config, &tails, dir.path(), &ui, "test").unwrap();
        assert_eq!(a, b);
        assert!(TailsSettings::standard(1).validate(&config).is_err());
        assert!(
            TailsSettings {
                replicates: 5,
                worst: 6
            }
            .validate(&config)
            .is_err()
        );
    }
}
