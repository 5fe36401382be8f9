//! Same-wall-time runs: how many steps IWAE trains when it is given the coupled run's time.
//!
//! Seconds are comparable only when they are measured in one sitting, on the same machine, under the
//! same load. So the coupled run's job, before the coupled run trains, times a few steps of it and of
//! every run to be matched against it, back to back, from the same starting model ([`TIMINGS_FILE`] in
//! the coupled run's folder, with the load average at the time). When the coupled run has finished,
//! its time is estimated as
//!
//! ```text
//! reference seconds = (its particle evaluations, summed over its steps) × (its probe's seconds per evaluation)
//! ```
//!
//! — the evaluations are counted, not timed, so the estimate does not depend on what else ran while the
//! coupled run trained — and a matched run trains `round(reference seconds / its probe's seconds per
//! step)` steps ([`WALL_TIME_FILE`] in its folder, with every input of the division). A matched run
//! therefore needs only the coupled run's records: a later sitting, even on another machine, trains it
//! from a records-only folder (`--timings-from`), and no timing is compared across sittings.
//!
//! The estimate leaves out the part of a coupled step that does not grow with its evaluations (the
//! encoder's IWAE gradient, about one IWAE-K step): a small fraction of a coupled step, which makes the
//! matched runs slightly shorter than the coupled run, never longer.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use ucg_files::RunFolder;
use ucg_train::vae::TrainConfig;

use super::data::StudyData;
use super::plan::{Role, Unit};
use super::records;
use super::unit::{run_dir, run_folder};
use crate::AnyResult;
use crate::progress::Ui;

/// The file in the coupled run's folder that keeps the probes of its job.
pub const TIMINGS_FILE: &str = "timings.json";

/// The file in a same-wall-time run's folder that keeps how its length was fixed.
pub const WALL_TIME_FILE: &str = "walltime.json";

/// Timed steps of a probe, at least (after one untimed step).
pub const PROBE_STEPS: usize = 10;

/// Seconds a probe times at least: a cheap step is repeated until its median is steady.
pub const PROBE_SECONDS: f64 = 5.0;

/// Timed steps of a probe, at most.
pub const PROBE_MAX_STEPS: usize = 2_000;

/// A few steps of one run, timed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Probe {
    /// The run probed (a unit name).
    pub run: String,
    /// Timed steps.
    pub steps: usize,
    /// Median seconds of a step.
    pub seconds_per_step: f64,
    /// Mean particle evaluations of a step.
    pub evaluations_per_step: f64,
}

impl Probe {
    /// Seconds per particle evaluation: the median step's seconds over the mean step's evaluations.
    pub fn seconds_per_evaluation(&self) -> f64 {
        self.seconds_per_step / self.evaluations_per_step
    }
}

/// The probes of one coupled run's job, taken back to back.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Timings {
    /// The one-minute load average when the probes began (`None` where the system does not say).
    pub load_average: Option<f64>,
    /// Worker threads of the probes (the runs' own).
    pub threads: usize,
    /// The coupled run's probe first, then one per run matched against it.
    pub probes: Vec<Probe>,
}

impl Timings {
    /// The probe of run `name`.
    pub fn probe(&self, name: &str) -> Option<&Probe> {
        self.probes.iter().find(|p| p.run == name)
    }
}

/// How a same-wall-time run's length was fixed ([`WALL_TIME_FILE`], written once before it runs, so a
/// resumed or repeated run trains exactly as many steps).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WallTime {
    /// The run it is matched against.
    pub against: String,
    /// That run's particle evaluations over all its steps.
    pub reference_evaluations: u64,
    /// Seconds per evaluation of that run's probe.
    pub reference_seconds_per_evaluation: f64,
    /// `reference_evaluations × reference_seconds_per_evaluation`.
    pub reference_seconds: f64,
    /// Median seconds of a step of this run, from its probe in the same sitting.
    pub seconds_per_step: f64,
    /// Load average when the probes began.
    pub load_average: Option<f64>,
    /// `round(reference_seconds / seconds_per_step)`, at least 1.
    pub target_steps: usize,
    /// Epochs of the run.
    pub epochs: usize,
    /// Steps per epoch (`epochs × steps_per_epoch ≥ target_steps`, by less than one epoch).
    pub steps_per_epoch: usize,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

/// The one-minute load average (Linux's `/proc/loadavg`), `None` elsewhere.
fn load_average() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/loadavg").ok()?;
    text.split_whitespace().next()?.parse().ok()
}

/// Times steps of the run `tc` from its starting point, on its first minibatch: one untimed step, then
/// at least [`PROBE_STEPS`] and [`PROBE_SECONDS`], at most [`PROBE_MAX_STEPS`]. The steps are thrown
/// away; the run itself is not affected.
///
/// # Errors
/// Training failures.
pub fn probe(name: &str, tc: &TrainConfig, data: &StudyData) -> AnyResult<Probe> {
    let mut one_epoch = tc.clone();
    one_epoch.epochs = 1;
    let mut trainer = ucg_train::vae::Trainer::new(one_epoch, data.pixels)?;
    let x = data.train.first_minibatch(tc.seed, tc.batch, tc.batch)?;
    let mut rng = ucg_estimators::seeding::stream(tc.seed, u64::MAX);
    trainer.step(&x, tc.batch, &mut rng)?;
    let (mut seconds, mut evaluations) = (Vec::new(), 0u64);
    while seconds.len() < PROBE_MAX_STEPS
        && (seconds.len() < PROBE_STEPS || seconds.iter().sum::<f64>() < PROBE_SECONDS)
    {
        let record = trainer.step(&x, tc.batch, &mut rng)?;
        seconds.push(record.seconds);
        let chains = record.chains.as_ref().map_or(0, |c| c.evaluations);
        evaluations += record.evaluations_outside_chains + chains;
    }
    let steps = seconds.len();
    Ok(Probe {
        run: name.to_string(),
        steps,
        seconds_per_step: median(seconds),
        evaluations_per_step: evaluations as f64 / steps as f64,
    })
}

/// The runs matched against `unit` in the plan (empty for a run no other is timed against).
pub fn matched_against<'a>(plan: &'a [Unit], unit: &Unit) -> Vec<&'a Unit> {
    plan.iter()
        .filter(|u| u.role == Role::SameWallTime && u.timed_against.as_deref() == Some(&unit.name))
        .collect()
}

/// Takes the probes of `unit`'s job (itself, then each matched run, configured by `configure`) unless
/// its folder has them (saying so on `ui`); nothing when no run is matched against `unit`.
///
/// # Errors
/// Training or file failures.
pub fn ensure_timings(
    study: &RunFolder,
    plan: &[Unit],
    unit: &Unit,
    tc: &TrainConfig,
    data: &StudyData,
    ui: &Ui,
    configure: impl Fn(&Unit) -> AnyResult<TrainConfig>,
) -> AnyResult<()> {
    let matched = matched_against(plan, unit);
    let run = run_folder(study, &unit.name);
    if matched.is_empty() || run.path(TIMINGS_FILE).is_file() {
        return Ok(());
    }
    ui.note(format!(
        "{}: timing its steps and those of the runs given its wall time (keep the machine quiet)",
        unit.name
    ));
    let mut timings = Timings {
        load_average: load_average(),
        threads: rayon::current_num_threads(),
        probes: vec![probe(&unit.name, tc, data)?],
    };
    for m in matched {
        timings.probes.push(probe(&m.name, &configure(m)?, data)?);
    }
    ucg_report::write_json(run.file(TIMINGS_FILE)?, &timings)?;
    Ok(())
}

/// Where the records of run `against` are: the study's own folder when it holds its probes, else
/// `timings_from` (a merged or records-only folder of the same study).
fn reference_dir(out: &Path, timings_from: Option<&Path>, against: &str) -> AnyResult<PathBuf> {
    let own = run_dir(out, against);
    if own.join(TIMINGS_FILE).is_file() {
        return Ok(own);
    }
    match timings_from {
        Some(dir) if run_dir(dir, against).join(TIMINGS_FILE).is_file() => {
            Ok(run_dir(dir, against))
        }
        Some(dir) => Err(format!(
            "{} has no {TIMINGS_FILE} of run {against}: give a folder where {against} was run",
            dir.display()
        )
        .into()),
        None => Err(format!(
            "run {against}, which this run is timed against, is not in {}: run its shard first, or \
             give its records with --timings-from",
            out.display()
        )
        .into()),
    }
}

/// Fixes (or reads back) the length of the same-wall-time run `unit`, from the records of the run it
/// is timed against (in the study's folder, or in `timings_from`). `whole_epoch` is the number of
/// steps of a pass over the training data.
///
/// # Errors
/// The reference run missing, unfinished or without probes; unusable timings; file failures.
pub fn wall_time(
    study: &RunFolder,
    unit: &Unit,
    plan: &[Unit],
    whole_epoch: usize,
    timings_from: Option<&Path>,
) -> AnyResult<WallTime> {
    let run = run_folder(study, &unit.name);
    let path = run.path(WALL_TIME_FILE);
    if path.is_file() {
        return Ok(ucg_report::read_json(&path)?);
    }
    let against = unit
        .timed_against
        .as_deref()
        .ok_or_else(|| format!("{} is timed against no run", unit.name))?;
    let reference = plan
        .iter()
        .find(|u| u.name == against)
        .ok_or_else(|| format!("{}: no run {against} to be timed against", unit.name))?;
    let dir = reference_dir(&study.dir(), timings_from, against)?;
    let timings: Timings = ucg_report::read_json(dir.join(TIMINGS_FILE))?;
    let steps = records::steps(&dir)?;
    let planned = reference.epochs * reference.steps_per_epoch.unwrap_or(whole_epoch);
    if steps.len() != planned {
        return Err(format!(
            "{against} has recorded {} of its {planned} steps in {}: finish it first",
            steps.len(),
            dir.display()
        )
        .into());
    }
    let missing = |name: &str| format!("{}: no probe of {name}", dir.join(TIMINGS_FILE).display());
    let reference_probe = timings.probe(against).ok_or_else(|| missing(against))?;
    let own_probe = timings
        .probe(&unit.name)
        .ok_or_else(|| missing(&unit.name))?;
    let reference_evaluations: u64 = steps.iter().map(|s| s.evaluations).sum();
    let reference_seconds_per_evaluation = reference_probe.seconds_per_evaluation();
    let reference_seconds = reference_evaluations as f64 * reference_seconds_per_evaluation;
    let seconds_per_step = own_probe.seconds_per_step;
    if !(seconds_per_step > 0.0 && reference_seconds.is_finite() && reference_seconds > 0.0) {
        return Err(format!("{}: no usable timings to match", unit.name).into());
    }
    let target_steps = ((reference_seconds / seconds_per_step).round() as usize).max(1);
    let epochs_ref = reference.epochs.max(1);
    let steps_per_epoch = target_steps.div_ceil(epochs_ref).min(whole_epoch.max(1));
    let w = WallTime {
        against: against.to_string(),
        reference_evaluations,
        reference_seconds_per_evaluation,
        reference_seconds,
        seconds_per_step,
        load_average: timings.load_average,
        target_steps,
        epochs: target_steps.div_ceil(steps_per_epoch),
        steps_per_epoch,
    };
    ucg_report::write_json(run.file(WALL_TIME_FILE)?, &w)?;
    Ok(w)
}
