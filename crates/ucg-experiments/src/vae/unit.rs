//! Running one unit of the plan: an ordinary `ucg_train::vae::run` folder under `OUT/runs/<name>/`
//! (resumed when its checkpoint is there), then the evaluation of its final model on the study's test
//! images, one CSV line per point (`eval-iwae.csv`, `eval-ais.csv`), skipped when already written.

use std::path::{Path, PathBuf};

use ucg_files::RunFolder;
use ucg_models::vae::VaeOnData;
use ucg_train::eval::{AisSettings, IwaeSettings, PointEstimates, Progress, SigmoidSchedule};
use ucg_train::vae::run::{CHECKPOINT_FILE, MODEL_FILE};
use ucg_train::vae::{InitialParameters, TrainConfig};

use super::config::{Config, EvalConfig};
use super::data::StudyData;
use super::plan::{Role, Unit};
use super::records::{self, PointRow};
use super::walltime;
use crate::AnyResult;
use crate::beta_choice::{BetaChoice, PilotSettings};
use crate::progress::Ui;
use ucg_estimators::EstimatorKind;

/// Seed of the evaluation's streams: the same for every model, so that models are compared on common
/// random numbers (point `n` uses the stream `(EVAL_SEED, n)`).
pub const EVAL_SEED: u64 = 0x5eed_e7a1;

/// Points of the minibatch on which a β pilot measures (the first ones of the run's first minibatch):
/// variance and cost both add over points, so a few rank the candidates as the whole minibatch would.
pub const PILOT_POINTS: usize = 25;

/// The file in a run's folder that keeps its pilot's measurements and choice.
pub const PILOT_FILE: &str = "pilot.json";

/// The folder of unit `name`.
pub fn run_dir(out: &Path, name: &str) -> PathBuf {
    out.join("runs").join(name)
}

/// The view of unit `name`'s folder in the study's claimed folder.
pub fn run_folder(study: &RunFolder, name: &str) -> RunFolder {
    study.at(Path::new("runs").join(name))
}

/// The training settings of `unit` before any measurement: the study's, with the unit's length,
/// learning rate and particles, starting from its pretrain's checkpoint in `out`.
///
/// # Errors
/// A pretrain checkpoint missing or unreadable.
pub fn train_config(config: &Config, unit: &Unit, out: &Path) -> AnyResult<TrainConfig> {
    let mut tc = config.train_config(unit.estimator, unit.latent, unit.seed);
    (tc.epochs, tc.steps_per_epoch) = (unit.epochs, unit.steps_per_epoch);
    if let Some(lr) = unit.learning_rate {
        tc.learning_rate = lr;
    }
    if let Some(k) = unit.particles {
        tc.k = k;
    }
    if let Some(from) = &unit.from {
        let ckpt = run_dir(out, from).join(CHECKPOINT_FILE);
        tc.init = Some(InitialParameters::of_file(&ckpt)?);
    }
    Ok(tc)
}

/// Where a shard's inputs come from beyond the study's folder.
#[derive(Clone, Copy, Debug, Default)]
pub struct Inputs<'a> {
    /// A folder (merged or records-only) holding the records of the runs that same-wall-time runs
    /// are timed against, for a shard that does not run them itself.
    pub timings_from: Option<&'a Path>,
}

/// What the runs of a shard share: the settings, the plan, the claimed folder, the inputs from outside
/// it, and where to report progress.
#[derive(Clone, Copy)]
pub struct Shared<'a> {
    /// The study's settings.
    pub config: &'a Config,
    /// Every unit of the study ([`super::plan::units`]).
    pub plan: &'a [Unit],
    /// The study's claimed folder.
    pub study: &'a RunFolder,
    /// Inputs from outside the folder.
    pub inputs: Inputs<'a>,
    /// Progress bars and notes.
    pub ui: &'a Ui,
}

/// Trains `unit` (resuming its folder) and, with `evaluate`, evaluates its final model.
///
/// # Errors
/// A pretrain missing from the folder, training, evaluation or file failures.
pub fn run_unit(
    shared: Shared<'_>,
    unit: &Unit,
    data: &StudyData,
    evaluate: bool,
) -> AnyResult<()> {
    let Shared {
        config,
        plan,
        study,
        inputs,
        ui,
    } = shared;
    let out = &study.dir();
    let run = run_folder(study, &unit.name);
    let dir = run.dir();
    let mut tc = train_config(config, unit, out)?;
    if unit.role == Role::SameWallTime {
        let whole_epoch = data.train.len() / config.batch;
        let w = walltime::wall_time(study, unit, plan, whole_epoch, inputs.timings_from)?;
        (tc.epochs, tc.steps_per_epoch) = (w.epochs, Some(w.steps_per_epoch));
    }
    if let (BetaChoice::Pilot(p), EstimatorKind::CoupledIsirDisir) = (&config.beta, unit.estimator)
    {
        let choice = pilot(p, &tc, data, &run, ui)?;
        tc.coupled.beta = ucg_train::vae::BetaPolicy::Fixed(choice.best_beta());
    }
    walltime::ensure_timings(study, plan, unit, &tc, data, ui, |m| {
        train_config(config, m, out)
    })?;
    let mut resolved = unit.clone();
    (resolved.epochs, resolved.steps_per_epoch) = (tc.epochs, tc.steps_per_epoch);
    ucg_report::write_json(run.file("unit.json")?, &resolved)?;
    let resume = dir.join(CHECKPOINT_FILE).is_file();
    let note = |r: &ucg_train::vae::EpochRecord| {
        ui.note(format!(
            "{}: epoch {} test bound {:.3}, {:.1} s",
            unit.name, r.epoch, r.test_bound, r.seconds
        ));
    };
    let mut progress = super::bars::epoch_bars(ui, format!("{} ", unit.name), note);
    ucg_train::vae::run(tc, &data.train, &run, resume, &mut progress)?;
    if !evaluate {
        return Ok(());
    }
    evaluate_unit(&config.eval, &run, data, ui)
}

/// C-ISIR-DISIR's β for the run `tc` by a pilot on the model it starts from (its initial parameters, or
/// its random initialisation) and the first [`PILOT_POINTS`] points of its first minibatch; read back from
/// [`PILOT_FILE`] when the run already chose, so a resumed run keeps its β.
fn pilot(
    settings: &PilotSettings,
    tc: &ucg_train::vae::TrainConfig,
    data: &StudyData,
    run: &RunFolder,
    ui: &Ui,
) -> AnyResult<ucg_estimators::pilot::PilotChoice> {
    let path = run.path(PILOT_FILE);
    if path.is_file() {
        return Ok(ucg_report::read_json(&path)?);
    }
    let shape = ucg_models::vae::VaeShape::new(data.pixels, tc.hidden, tc.latent)?;
    let model = match &tc.init {
        Some(init) => init.load_model(shape)?,
        None => ucg_models::vae::Vae::new(shape, tc.seed),
    };
    let points = PILOT_POINTS.min(tc.batch).min(data.train.len());
    let x = data.train.first_minibatch(tc.seed, tc.batch, points)?;
    ui.note(format!(
        "β pilot: {} coupled gradients of {points} points at each β of {:?}",
        settings.replicates, settings.candidates
    ));
    let choice = ucg_train::vae::pilot::pilot_coupled_beta(
        &model,
        &x,
        points,
        tc.k,
        &tc.coupled.lag_settings()?,
        &settings.candidates,
        settings.replicates,
        tc.seed,
    )?;
    ui.note(format!(
        "β pilot: β = {} ({})",
        choice.best_beta(),
        if choice.is_clear() {
            "clearly the most efficient"
        } else {
            "not separated from every other candidate by 2 s.e."
        }
    ));
    ucg_report::write_json(run.file(PILOT_FILE)?, &choice)?;
    Ok(choice)
}

/// The evaluation settings' methods: `("iwae", points)`, with AIS points `("ais", points)`, and with
/// training points [`TRAIN_IWAE`] (the IWAE bound on the first training images).
pub fn methods(eval: &EvalConfig) -> Vec<(&'static str, usize)> {
    let mut m = vec![("iwae", eval.iwae_points)];
    if eval.ais_points > 0 {
        m.push(("ais", eval.ais_points));
    }
    if eval.train_points > 0 {
        m.push((TRAIN_IWAE, eval.train_points));
    }
    m
}

/// The method name of the IWAE bound on training images.
pub const TRAIN_IWAE: &str = "train-iwae";

/// Evaluates the model in `run` by every method not yet done.
fn evaluate_unit(eval: &EvalConfig, run: &RunFolder, data: &StudyData, ui: &Ui) -> AnyResult<()> {
    let dir = &run.dir();
    for (method, points) in methods(eval) {
        let file = records::eval_file(dir, method);
        if file.is_file() {
            continue;
        }
        let file = run.file(records::eval_file_name(method))?;
        let (images, which) = if method == TRAIN_IWAE {
            (data.first_train_images(points), "training")
        } else {
            (
                data.test.get(..points * data.pixels).map(<[f32]>::to_vec),
                "test",
            )
        };
        let Some(images) = images else {
            return Err(format!(
                "evaluation on {points} {which} images; the data set has fewer (test: {})",
                data.test_len()
            )
            .into());
        };
        let model = ucg_models::vae::file::load::<f32>(&dir.join(MODEL_FILE))?;
        let bound = VaeOnData::new(model, images)?;
        let indices: Vec<usize> = (0..points).collect();
        let bar = ui.bar(0, format!("{method} on {points} {which} images"));
        let hook = |p: Progress| {
            bar.set_length(p.total);
            bar.set_position(p.done);
        };
        let estimates: PointEstimates = if method != "ais" {
            let s = IwaeSettings::new(eval.iwae_k)?;
            ucg_train::eval::iwae_bound(&bound, &indices, &s, EVAL_SEED, Some(&hook))?
        } else {
            let s = AisSettings::paper()
                .with_chains(eval.ais_chains)?
                .with_schedule(SigmoidSchedule::new(eval.ais_steps, 4.0)?)
                .with_leapfrog_steps(eval.ais_leapfrog)?;
            ucg_train::eval::ais(&bound, &indices, &s, EVAL_SEED, Some(&hook))?.estimates
        };
        bar.finish_and_clear();
        let rows =
            estimates
                .points()
                .iter()
                .zip(estimates.values())
                .map(|(&point, &log_likelihood)| PointRow {
                    point,
                    log_likelihood,
                });
        ucg_report::write_csv(&file, rows)?;
    }
    Ok(())
}
