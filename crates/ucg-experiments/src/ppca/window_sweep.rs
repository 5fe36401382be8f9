//! The window sweep (`cargo xtask reproduce ppca --sweep window`): both coupled estimators on the main
//! problem for a grid of windows `(k, m)` of `H_{k:m}`, each measured by the total variance of the batch
//! gradient, its cost, variance × cost and the unbiasedness check.
//!
//! The grid comes from a short pilot per estimator: `k` is `t0` (the paper's) and `k` near the pilot's
//! quantiles of the meeting time `τ` (Jacob, O'Leary & Atchadé suggest a high quantile), `m` is
//! `k + L − 1` (the paper's form) and multiples of `k`. Every window of an estimator comes from the same
//! replicates: one run per point to the largest `m` gives every window's estimate
//! ([`PpcaProblem::coupled_gradient_windows`]), and both estimators use the same replicate seeds. The
//! folder is resumable like the β sweep's. Numbers, report and figures: [`window_sweep_summary`](super::window_sweep_summary).

use crate::ppca::cells::file_slug;
use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use ucg_estimators::LagSettings;
use ucg_estimators::seeding::derive_seed;
use ucg_estimators::summary::Moments;
use ucg_files::RunFolder;
use ucg_report::{read_json, write_json};
use ucg_train::ppca::{CoupledKernelKind, PpcaProblem};

use super::beta_sweep::{SweepReplicate, reduce};
use super::cells::{EstimatorKind, Stream, stream_seed};
use super::config::{BetaChoice, Config};
use super::layout::{Layout, PeriodicSave};
use super::meeting::{MeetingCounts, MeetingStats};
use super::setup::{FitRecord, OpenedSweep, open_sweep};
use super::window_sweep_summary::{WindowSweepSummary, write_window_outputs};
use crate::AnyResult;
use crate::progress::Ui;

/// How often a running estimator's checkpoint is written (it holds every window's moments: tens of MB).
const CHECKPOINT_EVERY: Duration = Duration::from_secs(60);

/// Sub-stream of the replicate seeds shared by both estimators.
const WINDOW_STREAM: u64 = 0x3A1D;
/// Sub-stream of the pilot's seeds (apart from the replicates, so the grid does not depend on them).
const PILOT_STREAM: u64 = 0x9170;

/// What the window sweep measures.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WindowSweepSettings {
    /// Replicates (batch estimates) per estimator; every window of an estimator uses all of them.
    pub replicates: u64,
    /// Batch runs of the pilot per estimator (meeting times only).
    pub pilot_replicates: u64,
    /// Quantiles of the pilot's meeting times at which `k` is placed (besides `t0`).
    pub quantiles: Vec<f64>,
    /// Multiples `c` giving `m = c·k` (besides `m = k + L − 1`).
    pub multiples: Vec<usize>,
    /// The largest `m` of the grid (windows beyond it are left out: a run costs at least `m` steps per
    /// point).
    pub longest: usize,
}

impl WindowSweepSettings {
    /// `k` at `t0` and near the 50 %, 90 % and 99 % quantiles of τ from a 20-run pilot; `m ∈ {k + L − 1,
    /// 2k, 5k, 10k}` up to 2,000; `replicates` per estimator.
    pub fn standard(replicates: u64) -> Self {
        WindowSweepSettings {
            replicates,
            pilot_replicates: 20,
            quantiles: vec![0.5, 0.9, 0.99],
            multiples: vec![2, 5, 10],
            longest: 2000,
        }
    }

    /// Checks the settings.
    ///
    /// # Errors
    /// Fewer than 2 replicates, no pilot, a quantile outside `(0, 1)`, a zero multiple, a longest window
    /// shorter than the paper's or beyond the cap, or a study whose β is not fixed.
    pub fn validate(&self, config: &Config) -> AnyResult<()> {
        if self.replicates < 2 || self.pilot_replicates == 0 {
            return Err(format!(
                "the window sweep needs at least 2 replicates and a pilot, got {} and {}",
                self.replicates, self.pilot_replicates
            )
            .into());
        }
        if self.quantiles.iter().any(|q| !(*q > 0.0 && *q < 1.0)) || self.multiples.contains(&0) {
            return Err(format!(
                "quantiles must lie in (0, 1) and multiples be positive, got {:?} and {:?}",
                self.quantiles, self.multiples
            )
            .into());
        }
        let paper = config.lag.settings()?;
        if self.longest < paper.m() || self.longest > paper.max_iter() {
            return Err(format!(
                "the longest window must lie between the paper's m = {} and the cap {}, got {}",
                paper.m(),
                paper.max_iter(),
                self.longest
            )
            .into());
        }
        fixed_beta(config)?;
        Ok(())
    }
}

/// C-ISIR-DISIR's β: the study's fixed one.
fn fixed_beta(config: &Config) -> AnyResult<f64> {
    match config.beta {
        BetaChoice::Fixed(b) => Ok(b),
        BetaChoice::Ess => Err(
            "the window sweep runs C-ISIR-DISIR at a fixed β (--beta VALUE), not the ESS rule"
                .into(),
        ),
        BetaChoice::Pilot(_) => Err(
            "the window sweep runs C-ISIR-DISIR at a fixed β (--beta VALUE), not a pilot".into(),
        ),
    }
}

/// The two coupled estimators and their kernels.
pub fn coupled_estimators(config: &Config) -> AnyResult<[(EstimatorKind, CoupledKernelKind); 2]> {
    Ok([
        (EstimatorKind::CoupledIsir, CoupledKernelKind::Isir),
        (
            EstimatorKind::CoupledIsirDisir,
            CoupledKernelKind::IsirDisir {
                beta: fixed_beta(config)?,
            },
        ),
    ])
}

/// The window starts: `t0` and the meeting-time quantiles rounded (at least `t0`), ascending, distinct.
pub fn window_starts(t0: usize, quantiles: &[f64]) -> Vec<usize> {
    let mut ks: Vec<usize> = std::iter::once(t0)
        .chain(quantiles.iter().map(|q| (q.round() as usize).max(t0)))
        .collect();
    ks.sort_unstable();
    ks.dedup();
    ks
}

/// The windows `(k, m)` for the starts `ks`: `m = k + L − 1` and `m = c·k` for each multiple `c`, kept
/// when `k ≤ m ≤ longest`, distinct, in `(k, m)` order.
pub fn window_grid(
    ks: &[usize],
    lag: usize,
    multiples: &[usize],
    longest: usize,
) -> Vec<(usize, usize)> {
    let mut grid: Vec<(usize, usize)> = ks
        .iter()
        .flat_map(|&k| {
            std::iter::once(k + lag - 1)
                .chain(multiples.iter().map(move |c| c * k))
                .filter(move |&m| m >= k && m <= longest)
                .map(move |m| (k, m))
        })
        .collect();
    grid.sort_unstable();
    grid.dedup();
    grid
}

/// One estimator's pilot: its meeting times at the paper's window and the grid they give.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PilotRecord {
    /// The estimator.
    pub estimator: EstimatorKind,
    /// Meeting times of every point of every pilot run.
    pub meeting: MeetingStats,
    /// The quantiles of τ at the settings' levels.
    pub quantiles: Vec<f64>,
    /// The windows `(k, m)` of the sweep.
    pub windows: Vec<(usize, usize)>,
}

/// What the sweep computed before its replicates (`setup.json`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WindowSetup {
    /// The main problem's encoder fit.
    pub fit: FitRecord,
    /// Each estimator's pilot, C-ISIR first.
    pub pilots: Vec<PilotRecord>,
}

/// The folder's record of the settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WindowSweepRecord {
    /// The study's settings.
    pub config: Config,
    /// The sweep's.
    pub sweep: WindowSweepSettings,
}

/// One estimator's running statistics over its finished replicates, for every window.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WindowCheckpoint {
    /// The estimator.
    pub estimator: EstimatorKind,
    /// The windows `(k, m)`.
    pub windows: Vec<(usize, usize)>,
    /// Per window, every finished replicate in order.
    pub replicates: Vec<Vec<SweepReplicate>>,
    /// Per window, the componentwise moments of `estimate − exact`.
    pub errors: Vec<Moments>,
    /// Meeting times of every point of every replicate (the same for every window).
    pub meeting: MeetingCounts,
}

/// The seed of replicate `r`, the same for both estimators.
pub fn window_seed(config: &Config, r: u64) -> u64 {
    let base = stream_seed(config, Stream::Replicates, config.latent_dim);
    derive_seed(derive_seed(base, WINDOW_STREAM), r)
}

/// The lag settings of window `(k, m)` with the study's lag and cap.
pub fn window_settings(config: &Config, (k, m): (usize, usize)) -> AnyResult<LagSettings> {
    Ok(LagSettings::new(config.lag.lag, k, m, config.lag.max_iter)?)
}

/// Runs (or resumes) the window sweep of `config`'s main problem into `out`, then writes its summary,
/// report and figures; returns the summary.
///
/// # Errors
/// Invalid settings, unreadable data, a folder holding another sweep, or failing estimators.
pub fn run_window_sweep(
    config: &Config,
    sweep: &WindowSweepSettings,
    out: &Path,
    ui: &Ui,
    command: &str,
) -> AnyResult<WindowSweepSummary> {
    config.validate()?;
    sweep.validate(config)?;
    let record = WindowSweepRecord {
        config: config.clone(),
        sweep: sweep.clone(),
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
        "window sweep",
        |s: &WindowSetup| &s.fit,
        ui,
        command,
    )?;
    let problem = main.problem()?;
    let exact = problem.exact_gradient()?.to_vec();
    let setup = match cached {
        Some(s) => s,
        None => {
            let pilots = coupled_estimators(config)?
                .into_iter()
                .map(|(estimator, kind)| pilot(config, sweep, &problem, estimator, kind, ui))
                .collect::<AnyResult<Vec<_>>>()?;
            let s = WindowSetup {
                fit: main.fit.clone(),
                pilots,
            };
            write_json(folder.file_path(&layout.setup())?, &s)?;
            s
        }
    };
    let context = Context {
        config,
        sweep,
        problem: &problem,
        exact: &exact,
        layout: &layout,
        folder: &folder,
        ui,
    };
    let mut done = Vec::new();
    for ((estimator, kind), pilot) in coupled_estimators(config)?.into_iter().zip(&setup.pilots) {
        done.push(run_estimator(&context, estimator, kind, pilot)?);
    }
    write_window_outputs(&folder, config, sweep, &setup, &done, command, ui)
}

/// The pilot of one estimator: meeting times at the paper's window, their quantiles, the grid.
fn pilot(
    config: &Config,
    sweep: &WindowSweepSettings,
    problem: &PpcaProblem<'_>,
    estimator: EstimatorKind,
    kind: CoupledKernelKind,
    ui: &Ui,
) -> AnyResult<PilotRecord> {
    let base = derive_seed(window_seed(config, 0), PILOT_STREAM);
    let seeds: Vec<u64> = (0..sweep.pilot_replicates)
        .map(|r| derive_seed(base, r))
        .collect();
    let bar = ui.bar(1, format!("pilot {}", estimator.label()));
    let runs = problem.meeting_runs(kind, config.main_k, &config.lag.settings()?, &seeds)?;
    bar.finish_and_clear();
    let meeting = MeetingCounts::from_runs(runs.iter().flatten());
    let quantiles = sweep
        .quantiles
        .iter()
        .map(|&q| {
            meeting
                .quantile(q)
                .ok_or("the pilot recorded no meeting time")
        })
        .collect::<Result<Vec<f64>, _>>()?;
    let ks = window_starts(config.lag.t0, &quantiles);
    let windows = window_grid(&ks, config.lag.lag, &sweep.multiples, sweep.longest);
    Ok(PilotRecord {
        estimator,
        meeting: meeting.summary()?,
        quantiles,
        windows,
    })
}

/// What every estimator's run shares: the settings, the problem, its exact gradient, the folder.
struct Context<'a> {
    config: &'a Config,
    sweep: &'a WindowSweepSettings,
    problem: &'a PpcaProblem<'a>,
    exact: &'a [f64],
    layout: &'a Layout,
    folder: &'a RunFolder,
    ui: &'a Ui,
}

/// Runs the replicates of one estimator not done yet, checkpointing as it goes; returns the complete
/// checkpoint.
fn run_estimator(
    context: &Context<'_>,
    estimator: EstimatorKind,
    kind: CoupledKernelKind,
    pilot: &PilotRecord,
) -> AnyResult<WindowCheckpoint> {
    let Context {
        config,
        sweep,
        problem,
        exact,
        layout,
        folder,
        ui,
    } = *context;
    let path = layout.checkpoint(file_slug(estimator));
    let windows = &pilot.windows;
    let mut checkpoint = if path.exists() {
        let c: WindowCheckpoint = read_json(&path)?;
        if c.estimator != estimator || &c.windows != windows {
            return Err(format!("checkpoint {} does not match this sweep", path.display()).into());
        }
        c
    } else {
        WindowCheckpoint {
            estimator,
            windows: windows.clone(),
            replicates: vec![Vec::new(); windows.len()],
            errors: vec![Moments::new(exact.len()); windows.len()],
            meeting: MeetingCounts::default(),
        }
    };
    let first = checkpoint.replicates[0].len() as u64;
    if first >= sweep.replicates {
        return Ok(checkpoint);
    }
    let settings = windows
        .iter()
        .map(|&w| window_settings(config, w))
        .collect::<AnyResult<Vec<_>>>()?;
    let bar = ui.bar(
        sweep.replicates,
        format!("{} ({} windows)", estimator.label(), windows.len()),
    );
    bar.set_position(first);
    let mut save = PeriodicSave::new(folder, path, CHECKPOINT_EVERY)?;
    for r in first..sweep.replicates {
        let estimates = problem.coupled_gradient_windows(
            kind,
            config.main_k,
            &settings,
            window_seed(config, r),
        )?;
        for (w, estimate) in estimates.iter().enumerate() {
            let (replicate, errors) = reduce(estimate, exact, config.main_k);
            checkpoint.errors[w].push(&errors)?;
            checkpoint.replicates[w].push(replicate);
        }
        // The chains, hence the meeting times, are those of every window.
        for run in &estimates[0].runs {
            checkpoint.meeting.push(run);
        }
        save.tick(&checkpoint)?;
        bar.inc(1);
    }
    save.finish(&checkpoint)?;
    bar.finish();
    Ok(checkpoint)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_grid_holds_the_paper_window_and_the_multiples() {
        let ks = window_starts(1, &[11.6, 40.2, 151.0]);
        assert_eq!(ks, [1, 12, 40, 151]);
        let grid = window_grid(&ks, 10, &[2, 5, 10], 1000);
        assert!(grid.contains(&(1, 10)), "the paper's window");
        // k = 1: m = 10 twice (k + L − 1 and 10k), 2 and 5: three windows.
        assert_eq!(
            grid.iter().filter(|w| w.0 == 1).collect::<Vec<_>>(),
            [&(1, 2), &(1, 5), &(1, 10)]
        );
        assert!(grid.contains(&(151, 160)) && grid.contains(&(151, 755)));
        assert!(!grid.iter().any(|w| w.1 > 1000), "longest");
        assert!(grid.windows(2).all(|p| p[0] < p[1]));
        // Quantiles below t0 collapse onto it.
        assert_eq!(window_starts(3, &[0.4, 2.0]), [3]);
    }

    #[test]
    fn a_tiny_sweep_writes_its_outputs_and_resumes_to_the_same_summary() {
        let dir = tempfile::tempdir().unwrap();
        let config = Config {
            beta: BetaChoice::Fixed(0.0),
            ..Config::tiny(3)
        };
        let sweep = WindowSweepSettings {
            replicates: 4,
            pilot_replicates: 3,
            longest: 60,
            ..WindowSweepSettings::standard(4)
        };
        let ui = Ui::quiet();
        let a = run_window_sweep(&config, &sweep, dir.path(), &ui, "test").unwrap();
        assert_eq!(a.estimators.len(), 2);
        for e in &a.estimators {
            assert!(e.paper().is_some(), "the paper's window is in the grid");
            assert!(e.windows.iter().all(|w| w.replicates == 4));
            assert!(e.window(e.best).is_some());
            // Longer windows cost more: every run reaches m.
            let cost =
                |w: &super::super::window_sweep_summary::WindowSummary| w.efficiency.cost.value;
            let (short, long) = (e.windows.first().unwrap(), e.windows.last().unwrap());
            assert!(cost(long) > cost(short), "{e:?}");
        }
        for file in [
            "summary.json",
            "report.md",
            "figures/window_inefficiency_c-isir.svg",
            "figures/window_inefficiency_c-isir-disir.png",
        ] {
            assert!(dir.path().join(file).exists(), "{file}");
        }
        let b = run_window_sweep(&config, &sweep, dir.path(), &ui, "test").unwrap();
        assert_eq!(a, b);
        let other = WindowSweepSettings {
            replicates: 5,
            ..sweep
        };
        assert!(run_window_sweep(&config, &other, dir.path(), &ui, "test").is_err());
    }

    #[test]
    fn bad_settings_are_refused() {
        let c = Config::tiny(1);
        assert!(
            WindowSweepSettings::standard(3).validate(&c).is_err(),
            "tiny's β is the ESS rule"
        );
        let c = Config {
            beta: BetaChoice::Fixed(0.0),
            ..Config::tiny(1)
        };
        let ok = WindowSweepSettings {
            longest: 100,
            ..WindowSweepSettings::standard(3)
        };
        ok.validate(&c).unwrap();
        for bad in [
            WindowSweepSettings {
                replicates: 1,
                ..ok.clone()
            },
            WindowSweepSettings {
                quantiles: vec![1.0],
                ..ok.clone()
            },
            WindowSweepSettings {
                multiples: vec![0],
                ..ok.clone()
            },
            WindowSweepSettings {
                longest: 5,
                ..ok.clone()
            },
            WindowSweepSettings {
                longest: 201,
                ..ok.clone()
            },
        ] {
            assert!(bad.validate(&c).is_err(), "{bad:?}");
        }
    }
}
