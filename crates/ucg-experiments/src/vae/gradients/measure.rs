//! The study's measurements: the IWAE run's snapshots, and on each every estimator against a reference,
//! each saved as soon as it is done and kept when the study resumes.
//!
//! A saved measurement is kept only when it was made on the same parameters (their MD5) with the same
//! settings (the study's, the list of epochs aside) and the same reference size; the training run's
//! identity is recorded in `training.json`, and a folder holding a run of other settings is refused. The
//! reference's size is `max(--reference-particles, 10 K)` for the cost-matched IWAE-K, so that it stays an
//! order of magnitude more accurate than every estimator it judges; it is drawn only when something is
//! measured, and its summary is saved beside the measurements.

use serde::{Deserialize, Serialize};
use ucg_files::RunFolder;
use ucg_models::vae::Vae;
use ucg_report::{read_json, write_json};
use ucg_train::vae::gradient_study::mean_and_total_variance;
use ucg_train::vae::theta_gradient::{GradientComparison, GradientDraw, ThetaGradient, compare};
use ucg_train::vae::{Binarization, EstimatorKind, TrainConfig, VaeData};

use super::{GradientsStudy, Snapshot, estimators, slug, training_coupled};
use crate::AnyResult;
use crate::progress::Ui;
use crate::vae::config::DatasetKind;
use crate::vae::efficiency::BATCH;

/// What identifies the IWAE training run, recorded in `training.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Training {
    dataset: DatasetKind,
    hidden: usize,
    latent: usize,
    train_seed: u64,
}

impl Training {
    fn of(study: &GradientsStudy) -> Self {
        Training {
            dataset: study.dataset,
            hidden: study.hidden,
            latent: study.latent,
            train_seed: study.train_seed,
        }
    }
}

/// Refuses a folder whose training run has other settings than `study`'s, and records them in a
/// folder that has none yet.
pub(super) fn check_training(study: &GradientsStudy, folder: &RunFolder) -> AnyResult<()> {
    let path = folder.file("training.json")?;
    let wanted = Training::of(study);
    if path.is_file() {
        let found: Training = read_json(&path)?;
        if found != wanted {
            return Err(format!(
                "{} holds an IWAE run of other settings ({found:?}; this command asks for {wanted:?}): \
                 give another --out",
                folder.dir().display()
            )
            .into());
        }
        return Ok(());
    }
    Ok(write_json(&path, &wanted)?)
}

/// The IWAE training run's settings (the paper's, trained to `epochs`).
fn train_config(study: &GradientsStudy, epochs: usize, curve_points: usize) -> TrainConfig {
    let mut c = TrainConfig::paper(EstimatorKind::Iwae, study.latent, epochs);
    c.hidden = study.hidden;
    c.binarization = Binarization::Static { seed: 1 };
    c.seed = study.train_seed;
    c.test_points = curve_points;
    c
}

/// The model after `epoch` epochs: the saved snapshot, or the training run continued to `epoch` and
/// saved.
pub(super) fn snapshot(
    study: &GradientsStudy,
    epoch: usize,
    data: &VaeData,
    folder: &RunFolder,
    ui: &Ui,
) -> AnyResult<Vae<f32>> {
    let path = folder.file(format!("snapshots/epoch-{epoch:03}.bin"))?;
    if path.is_file() {
        return Ok(ucg_models::vae::file::load(&path)?);
    }
    let run = folder.at("iwae");
    let resume = run.path(ucg_train::vae::run::CHECKPOINT_FILE).is_file();
    let note = |r: &ucg_train::vae::EpochRecord| {
        ui.note(format!(
            "IWAE training: epoch {} test bound {:.3}, {:.1} s",
            r.epoch, r.test_bound, r.seconds
        ));
    };
    let mut progress = crate::vae::bars::epoch_bars(ui, "IWAE training ".into(), note);
    let trainer = ucg_train::vae::run(
        train_config(study, epoch, data.test().len() / data.dim()),
        data,
        &run,
        resume,
        &mut progress,
    )?;
    if trainer.epoch() != epoch {
        return Err(format!(
            "the IWAE run in {} is at epoch {}, past the snapshot at epoch {epoch} that was never saved; \
             move that folder away to train again",
            run.dir().display(),
            trainer.epoch()
        )
        .into());
    }
    ucg_files::write_atomic(&path, &ucg_models::vae::file::to_bytes(trainer.model()))?;
    Ok(trainer.model().clone())
}

/// Draws `draws` gradients of `estimator` (draw `r` on seed `seed + r`), with a progress bar.
fn draws_of(
    estimator: &ThetaGradient,
    model: &Vae<f32>,
    x: &[f32],
    draws: usize,
    seed: u64,
    ui: &Ui,
    what: String,
) -> AnyResult<Vec<GradientDraw>> {
    let bar = ui.bar(draws as u64, what);
    let mut out = Vec::with_capacity(draws);
    for r in 0..draws {
        out.push(estimator.draw(model, x, BATCH, seed + r as u64)?);
        bar.set_position(r as u64 + 1);
    }
    bar.finish();
    Ok(out)
}

/// One estimator's saved comparison, with what it was measured on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Saved {
    /// MD5 of the snapshot's parameter bytes.
    model: String,
    /// The study's settings, its epochs left out.
    settings: GradientsStudy,
    /// Particles of the reference it was compared with.
    reference_particles: usize,
    comparison: GradientComparison,
}

/// The reference's summary on one snapshot.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct ReferenceSummary {
    model: String,
    settings: GradientsStudy,
    particles: usize,
    gradient_norm2: f64,
    variance: f64,
}

/// The settings a measurement depends on: the study's, its list of epochs aside (measuring more epochs
/// later keeps what was measured).
fn settings(study: &GradientsStudy) -> GradientsStudy {
    GradientsStudy {
        epochs: Vec::new(),
        ..study.clone()
    }
}

/// The reference's draws, drawn on first use.
struct Reference<'a> {
    study: &'a GradientsStudy,
    model: &'a Vae<f32>,
    x: &'a [f32],
    particles: usize,
    draws: Option<Vec<Vec<f64>>>,
}

impl Reference<'_> {
    fn draws(&mut self, epoch: usize, ui: &Ui) -> AnyResult<&[Vec<f64>]> {
        if self.draws.is_none() {
            let estimator = ThetaGradient::Iwae {
                particles: self.particles,
            };
            let draws = draws_of(
                &estimator,
                self.model,
                self.x,
                self.study.reference_draws,
                self.study.seed + self.study.draws as u64,
                ui,
                format!("epoch {epoch}: reference SNIS-{}", self.particles),
            )?;
            self.draws = Some(draws.into_iter().map(|d| d.gradient).collect());
        }
        Ok(self.draws.as_deref().unwrap_or_default())
    }
}

/// Measures every estimator on one snapshot (each kept when saved earlier on the same parameters with
/// the same settings and reference).
pub(super) fn measure_snapshot(
    study: &GradientsStudy,
    epoch: usize,
    model: &Vae<f32>,
    x: &[f32],
    folder: &RunFolder,
    ui: &Ui,
) -> AnyResult<Snapshot> {
    let digest = ucg_data::digest::md5_hex(&ucg_models::vae::file::to_bytes(model));
    let key = settings(study);
    let dir = format!("measurements/epoch-{epoch:03}");
    let load = |estimator: &ThetaGradient, reference_particles: Option<usize>| {
        let path = folder.path(format!("{dir}/{}.json", slug(estimator)));
        read_json::<Saved>(&path).ok().filter(|s| {
            s.model == digest
                && s.settings == key
                && s.comparison.estimator == *estimator
                && reference_particles.is_none_or(|p| s.reference_particles == p)
        })
    };

    // The training coupled estimator first: its cost per point sets the cost-matched IWAE's K, and
    // that sets the reference's size.
    let coupled = ThetaGradient::Coupled(training_coupled());
    let saved_coupled = load(&coupled, None);
    let mut coupled_draws = None;
    let evaluations = match &saved_coupled {
        Some(s) => s.comparison.evaluations.value,
        None => {
            let draws = draws_of(
                &coupled,
                model,
                x,
                study.draws,
                study.seed,
                ui,
                format!("epoch {epoch}: {}", coupled.label()),
            )?;
            let mean = draws.iter().map(|d| d.evaluations as f64).sum::<f64>() / draws.len() as f64;
            coupled_draws = Some(draws);
            mean
        }
    };
    let matched = (evaluations / BATCH as f64).round() as usize;
    let particles = study.reference_particles.max(10 * matched);
    let mut reference = Reference {
        study,
        model,
        x,
        particles,
        draws: None,
    };

    let mut comparisons = Vec::new();
    for estimator in estimators(Some(matched)) {
        let comparison = match load(&estimator, Some(particles)) {
            Some(saved) => {
                ui.note(format!(
                    "epoch {epoch}: {} measured earlier, kept",
                    estimator.label()
                ));
                saved.comparison
            }
            None => {
                let draws = match (estimator == coupled, coupled_draws.take()) {
                    (true, Some(d)) => d,
                    _ => draws_of(
                        &estimator,
                        model,
                        x,
                        study.draws,
                        study.seed,
                        ui,
                        format!("epoch {epoch}: {}", estimator.label()),
                    )?,
                };
                let comparison = compare(estimator, &draws, reference.draws(epoch, ui)?)?;
                write_json(
                    folder.file(format!("{dir}/{}.json", slug(&estimator)))?,
                    &Saved {
                        model: digest.clone(),
                        settings: key.clone(),
                        reference_particles: particles,
                        comparison: comparison.clone(),
                    },
                )?;
                comparison
            }
        };
        comparisons.push(comparison);
    }

    let summary_path = folder.file(format!("{dir}/reference.json"))?;
    let saved_summary = read_json::<ReferenceSummary>(&summary_path)
        .ok()
        .filter(|s| s.model == digest && s.settings == key && s.particles == particles);
    let summary = match (saved_summary, reference.draws.is_some()) {
        (Some(s), false) => s,
        _ => {
            let draws = reference.draws(epoch, ui)?;
            let (mean, variance) = mean_and_total_variance(draws)?;
            let summary = ReferenceSummary {
                model: digest.clone(),
                settings: key.clone(),
                particles,
                gradient_norm2: mean.iter().map(|v| v * v).sum::<f64>()
                    - variance / draws.len() as f64,
                variance,
            };
            write_json(&summary_path, &summary)?;
            summary
        }
    };
    Ok(Snapshot {
        epoch,
        gradient_norm2: summary.gradient_norm2,
        reference_variance: summary.variance,
        reference_particles: particles,
        comparisons,
    })
}
