//! Every θ-gradient estimator on the same model, along one IWAE training run
//! (`cargo xtask reproduce vae-gradients`; `docs/vae/gradients/`): when does IWAE's bias dominate, and
//! which unbiased estimator pays off first?
//!
//! The study trains IWAE (the paper's settings at `D` = [`GradientsStudy::latent`]) and keeps its
//! parameters after each epoch of [`GradientsStudy::epochs`] (`snapshots/epoch-NNN.bin`). On each
//! snapshot and the minibatch of `reproduce vae-efficiency` (the first of master seed 2021, 100 images) it draws a high-accuracy reference (SNIS with thousands of particles)
//! and every estimator of [`estimators`], and compares them
//! ([`ucg_train::vae::theta_gradient::compare`]): squared bias, variance per draw, cost, and the
//! break-even number of steps against IWAE-10. Each (snapshot, estimator) is saved as
//! `measurements/epoch-NNN/<slug>.json` as soon as it is done, so an interrupted study resumes where it
//! stopped; the training run resumes from its checkpoint. The study then writes `gradients.csv`,
//! `report.md` and two figures: the squared bias of IWAE-10 against each estimator's variance along
//! training, and the break-even steps on the last snapshot.

use std::path::Path;

use serde::{Deserialize, Serialize};
use ucg_files::RunFolder;
use ucg_models::vae::Vae;
use ucg_report::{
    Axis, BarChart, Figure, LineChart, format_number_sig, read_json, write_json, write_text,
};
use ucg_train::vae::coupled_efficiency::{EfficiencySettings, WithError};
use ucg_train::vae::theta_gradient::{GradientComparison, ThetaGradient, compare};
use ucg_train::vae::{Binarization, CoupledKernelKind, EstimatorKind, TrainConfig, VaeData};

use super::config::DatasetKind;

use super::efficiency::{BATCH, DATA_SEED, MIN_DRAWS};
use crate::AnyResult;
use crate::folder::{claim, figure};
use crate::progress::Ui;

/// The kind of the study's folder (see [`ucg_files::RunFolder`]).
pub const KIND: &str = "vae-gradients";

/// The particles of the IWAE-10 baseline every estimator is compared with.
pub const BASELINE_PARTICLES: usize = 10;

/// What the study measures.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GradientsStudy {
    /// The data set (statically binarised with seed 1).
    #[serde(default = "mnist")]
    pub dataset: DatasetKind,
    /// Hidden width `H` of the trained model.
    #[serde(default = "paper_hidden")]
    pub hidden: usize,
    /// Latent dimension `D` of the trained model.
    pub latent: usize,
    /// The epochs after which the model is measured, ascending.
    pub epochs: Vec<usize>,
    /// Master seed of the IWAE training run.
    pub train_seed: u64,
    /// Draws per estimator.
    pub draws: usize,
    /// Particles of the SNIS reference.
    pub reference_particles: usize,
    /// Draws of the reference.
    pub reference_draws: usize,
    /// Seed of the draws (draw `r` of every estimator uses `seed + r`; the reference's seeds follow).
    pub seed: u64,
}

fn mnist() -> DatasetKind {
    DatasetKind::Mnist
}

fn paper_hidden() -> usize {
    200
}

/// Test images of the training run's per-epoch bound.
const CURVE_POINTS: usize = 1000;

impl GradientsStudy {
    /// The protocol of `docs/vae/gradients/`: `D = 20`, epochs 1, 5, 20, 50, 100, 64 draws, SNIS-2,000
    /// × 8 as the reference.
    pub fn standard() -> Self {
        GradientsStudy {
            dataset: DatasetKind::Mnist,
            hidden: paper_hidden(),
            latent: 20,
            epochs: vec![1, 5, 20, 50, 100],
            train_seed: 2021,
            draws: 64,
            reference_particles: 2000,
            reference_draws: 8,
            seed: 1,
        }
    }

    /// Checks the settings before any work.
    ///
    /// # Errors
    /// No epochs, epochs not strictly ascending or 0, too few draws, a reference with fewer than 3 draws
    /// or fewer particles than the largest IWAE compared.
    pub fn validate(&self) -> AnyResult<()> {
        if self.epochs.is_empty() || self.epochs[0] == 0 {
            return Err("--epochs needs at least one epoch ≥ 1".into());
        }
        if self.epochs.windows(2).any(|w| w[0] >= w[1]) {
            return Err(format!("--epochs must be ascending, got {:?}", self.epochs).into());
        }
        if self.draws < MIN_DRAWS {
            return Err(format!(
                "--draws {} is too few: a variance and its error need at least {MIN_DRAWS} draws",
                self.draws
            )
            .into());
        }
        if self.reference_draws < 3 {
            return Err(format!(
                "--reference-draws {}: the reference's noise is removed from the bias with at least 3 draws",
                self.reference_draws
            )
            .into());
        }
        if self.reference_particles < 10 * LARGEST_IWAE {
            return Err(format!(
                "--reference-particles {}: the reference must have at least ten times the particles of \
                 the largest IWAE compared ({LARGEST_IWAE})",
                self.reference_particles
            )
            .into());
        }
        Ok(())
    }
}

/// The largest fixed IWAE of [`estimators`].
const LARGEST_IWAE: usize = 100;

/// The coupled estimator of training (C-ISIR-DISIR, `K = 10`, `L = 10`, window (1, 10), β = 0, cap
/// 1,000), whose cost per point sets the cost-matched IWAE's `K`.
pub fn training_coupled() -> EfficiencySettings {
    EfficiencySettings {
        kind: CoupledKernelKind::IsirDisir,
        particles: 10,
        beta: 0.0,
        lag: 10,
        k: 1,
        m: 10,
        cap: 1000,
        proposal_scale: 1.0,
        fit_particles: 0,
    }
}

/// The estimators compared, in order: the training coupled estimator first (its cost fixes the
/// cost-matched IWAE, `matched_particles`, when known), the paper's β = 0.9, C-ISIR with the settings
/// that measured best in `docs/vae/coupled-efficiency.md` (`K = 5`, `L = 40`, cap 4,000), SUMO from
/// IWAE-10, then the ELBO, IWAE-10, IWAE-100 and the cost-matched IWAE.
pub fn estimators(matched_particles: Option<usize>) -> Vec<ThetaGradient> {
    let coupled = training_coupled();
    let mut out = vec![
        ThetaGradient::Coupled(coupled),
        ThetaGradient::Coupled(EfficiencySettings {
            beta: 0.9,
            ..coupled
        }),
        ThetaGradient::Coupled(EfficiencySettings {
            kind: CoupledKernelKind::Isir,
            particles: 5,
            lag: 40,
            m: 40,
            cap: 4000,
            ..coupled
        }),
        ThetaGradient::Sumo {
            first: BASELINE_PARTICLES,
        },
        ThetaGradient::Elbo {
            particles: BASELINE_PARTICLES,
        },
        ThetaGradient::Iwae {
            particles: BASELINE_PARTICLES,
        },
        ThetaGradient::Iwae {
            particles: LARGEST_IWAE,
        },
    ];
    if let Some(k) = matched_particles.filter(|&k| k > LARGEST_IWAE) {
        out.push(ThetaGradient::Iwae { particles: k });
    }
    out
}

/// A file-name slug: `iwae-10`, `sumo-10`, `coupled-isir-disir-K10-L10-k1-m10-b0-cap1000`.
pub fn slug(e: &ThetaGradient) -> String {
    match e {
        ThetaGradient::Coupled(s) => format!("coupled-{}", super::efficiency::slug(s)),
        other => other.label().to_lowercase(),
    }
}

/// One estimator's saved comparison, with what it was measured on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Saved {
    /// MD5 of the snapshot's parameter bytes.
    model: String,
    study: GradientsStudy,
    comparison: GradientComparison,
}

/// What one snapshot's measurement found.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// The epoch.
    pub epoch: usize,
    /// `‖E g_ref‖²` with the reference's noise floor removed: the squared norm of the true gradient.
    pub gradient_norm2: f64,
    /// The reference's `tr Var` per draw.
    pub reference_variance: f64,
    /// Every estimator's comparison, in the order of [`estimators`].
    pub comparisons: Vec<GradientComparison>,
}

impl Snapshot {
    /// The IWAE-10 baseline's comparison.
    pub fn baseline(&self) -> Option<&GradientComparison> {
        self.comparisons.iter().find(|c| {
            c.estimator
                == ThetaGradient::Iwae {
                    particles: BASELINE_PARTICLES,
                }
        })
    }

    /// The cost-matched IWAE's comparison (IWAE with the training coupled step's evaluations per point).
    pub fn cost_matched(&self) -> Option<&GradientComparison> {
        self.comparisons.iter().find(|c| {
            matches!(c.estimator, ThetaGradient::Iwae { particles } if particles > LARGEST_IWAE)
        })
    }
}

/// Runs the study into `out` (resuming what is there) and writes its outputs; returns the snapshots'
/// measurements.
///
/// # Errors
/// Invalid settings, MNIST unavailable, a folder that is not this study's, training or estimator
/// failures.
pub fn run_gradients_study(
    study: &GradientsStudy,
    out: &Path,
    ui: &Ui,
    command: &str,
) -> AnyResult<Vec<Snapshot>> {
    study.validate()?;
    let curve_points = match study.dataset {
        DatasetKind::Synthetic => 20,
        _ => CURVE_POINTS,
    };
    let data = super::data::load(study.dataset, 1, None, curve_points)?.train;
    let x = data.first_minibatch(DATA_SEED, BATCH, BATCH)?;
    let folder = claim(out, KIND, command, |_| None)?;
    let mut snapshots = Vec::new();
    for &epoch in &study.epochs {
        let model = snapshot(study, epoch, &data, &folder, ui)?;
        snapshots.push(measure_snapshot(study, epoch, &model, &x, &folder, ui)?);
        write_outputs(study, &snapshots, &folder, ui)?;
    }
    Ok(snapshots)
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
fn snapshot(
    study: &GradientsStudy,
    epoch: usize,
    data: &VaeData,
    folder: &RunFolder,
    ui: &Ui,
) -> AnyResult<Vae<f32>> {
    let name = format!("snapshots/epoch-{epoch:03}.bin");
    let path = folder.file(&name)?;
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
    let mut progress = super::bars::epoch_bars(ui, "IWAE training ".into(), note);
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
) -> AnyResult<Vec<ucg_train::vae::theta_gradient::GradientDraw>> {
    let bar = ui.bar(draws as u64, what);
    let mut out = Vec::with_capacity(draws);
    for r in 0..draws {
        out.push(estimator.draw(model, x, BATCH, seed + r as u64)?);
        bar.set_position(r as u64 + 1);
    }
    bar.finish();
    Ok(out)
}

/// Measures every estimator on one snapshot (each kept when saved earlier with the same settings on
/// the same parameters).
fn measure_snapshot(
    study: &GradientsStudy,
    epoch: usize,
    model: &Vae<f32>,
    x: &[f32],
    folder: &RunFolder,
    ui: &Ui,
) -> AnyResult<Snapshot> {
    let digest = ucg_data::digest::md5_hex(&ucg_models::vae::file::to_bytes(model));
    let reference_estimator = ThetaGradient::Iwae {
        particles: study.reference_particles,
    };
    let reference: Vec<Vec<f64>> = draws_of(
        &reference_estimator,
        model,
        x,
        study.reference_draws,
        study.seed + study.draws as u64,
        ui,
        format!("epoch {epoch}: reference {}", reference_estimator.label()),
    )?
    .into_iter()
    .map(|d| d.gradient)
    .collect();
    let (reference_mean, reference_variance) =
        ucg_train::vae::gradient_study::mean_and_total_variance(&reference)?;
    let gradient_norm2 = reference_mean.iter().map(|v| v * v).sum::<f64>()
        - reference_variance / reference.len() as f64;

    let mut comparisons: Vec<GradientComparison> = Vec::new();
    let mut matched = None;
    let mut i = 0;
    loop {
        let list = estimators(matched);
        let Some(estimator) = list.get(i).copied() else {
            break;
        };
        i += 1;
        let path = folder.file(format!(
            "measurements/epoch-{epoch:03}/{}.json",
            slug(&estimator)
        ))?;
        let comparison = match read_json::<Saved>(&path) {
            Ok(saved) if saved.model == digest && saved.study == *study => {
                ui.note(format!(
                    "epoch {epoch}: {} measured earlier, kept",
                    estimator.label()
                ));
                saved.comparison
            }
            _ => {
                let draws = draws_of(
                    &estimator,
                    model,
                    x,
                    study.draws,
                    study.seed,
                    ui,
                    format!("epoch {epoch}: {}", estimator.label()),
                )?;
                let comparison = compare(estimator, &draws, &reference)?;
                write_json(
                    &path,
                    &Saved {
                        model: digest.clone(),
                        study: study.clone(),
                        comparison: comparison.clone(),
                    },
                )?;
                comparison
            }
        };
        if estimator == ThetaGradient::Coupled(training_coupled()) {
            matched = Some((comparison.evaluations.value / BATCH as f64).round() as usize);
        }
        comparisons.push(comparison);
    }
    Ok(Snapshot {
        epoch,
        gradient_norm2,
        reference_variance,
        comparisons,
    })
}

fn write_outputs(
    study: &GradientsStudy,
    snapshots: &[Snapshot],
    folder: &RunFolder,
    ui: &Ui,
) -> AnyResult<()> {
    write_text(folder.file("gradients.csv")?, &csv(snapshots))?;
    write_text(folder.file("report.md")?, &report(study, snapshots))?;
    save_figure(
        folder,
        "figures/along-training",
        &along_training(snapshots),
        ui,
    )?;
    save_figure(
        folder,
        "figures/break-even",
        &break_even_chart(snapshots),
        ui,
    )?;
    Ok(())
}

fn save_figure(folder: &RunFolder, stem: &str, chart: &impl Figure, ui: &Ui) -> AnyResult<()> {
    let saved = chart
        .save(figure(folder, stem)?)
        .map_err(|e| format!("figure {stem}: {e}"))?;
    saved.warnings.iter().for_each(|w| ui.note(w));
    Ok(())
}

fn break_even_cell(value: Option<f64>) -> String {
    match value {
        None => "never".into(),
        Some(v) => format_number_sig(v, 2),
    }
}

fn csv(snapshots: &[Snapshot]) -> String {
    let mut out = String::from(
        "epoch,estimator,unbiased,draws,squared_bias,squared_bias_se,variance,variance_se,\
         variance_median_of_means,mean_squared_error,evaluations,seconds,capped,gradient_norm2,\
         break_even_steps_vs_iwae10,break_even_seconds_vs_iwae10,break_even_steps_vs_cost_matched_iwae\n",
    );
    for s in snapshots {
        let (base, matched) = (s.baseline(), s.cost_matched());
        for c in &s.comparisons {
            let cell = |v: Option<f64>| v.map_or_else(|| "never".to_string(), |v| v.to_string());
            out.push_str(&format!(
                "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n",
                s.epoch,
                c.estimator.label(),
                c.estimator.is_unbiased(),
                c.draws,
                c.squared_bias.value,
                c.squared_bias.se,
                c.variance.value,
                c.variance.se,
                c.variance_median_of_means,
                c.mean_squared_error().value,
                c.evaluations.value,
                c.seconds.value,
                c.capped,
                s.gradient_norm2,
                base.map_or_else(String::new, |b| cell(c.break_even_steps(b))),
                base.map_or_else(String::new, |b| cell(c.break_even_seconds(b))),
                matched.map_or_else(String::new, |m| cell(c.break_even_steps(m))),
            ));
        }
    }
    out
}

fn sig(x: f64) -> String {
    format_number_sig(x, 3)
}

fn pm(x: WithError) -> String {
    format!("{} ± {}", sig(x.value), format_number_sig(x.se, 2))
}

fn report(study: &GradientsStudy, snapshots: &[Snapshot]) -> String {
    let mut s = String::from("# Every θ-gradient estimator along IWAE training\n\n");
    s.push_str(&format!(
        "IWAE trained on statically binarised MNIST (D = {}, K = 10, batch 100, RMSProp 5·10⁻⁴, seed {}); \
         after each epoch of {:?}, the θ-gradient of the first minibatch of master seed {DATA_SEED} \
         ({BATCH} training images, summed over them) drawn {} times by each estimator and {} times by the \
         reference SNIS-{}. Written by `cargo xtask reproduce vae-gradients --epochs {} --draws {}`.\n\n",
        study.latent,
        study.train_seed,
        study.epochs,
        study.draws,
        study.reference_draws,
        study.reference_particles,
        study
            .epochs
            .iter()
            .map(usize::to_string)
            .collect::<Vec<_>>()
            .join(","),
        study.draws
    ));
    s.push_str(
        "How to read it: bias² is `‖E g − ∇‖²` against the reference, without the draws' noise floor \
         (negative values are noise around 0); tr Var is per draw, with the median of means of groups of \
         four beside it (well below the mean: a heavy tail the draws barely sample); break-even is the \
         number of averaged steps (or seconds of them) from which an estimator's `bias² + tr Var / n` is \
         below IWAE-10's, \"never\" when its bias is not the smaller. Capped coupled pairs are truncated \
         (biased) estimates and are counted.\n\n",
    );
    s.push_str(
        "## Along training\n\nPer unbiased estimator: its tr Var per draw, then the break-even steps against IWAE-10 and \
         against the cost-matched IWAE (whose step evaluates as many particles as the training coupled step's).\n\n\
         | epoch | ‖∇‖² | IWAE-10 bias² (relative bias) | cost-matched IWAE: K, bias² |",
    );
    let unbiased: Vec<&GradientComparison> = snapshots
        .first()
        .map(|f| {
            f.comparisons
                .iter()
                .filter(|c| c.estimator.is_unbiased())
                .collect()
        })
        .unwrap_or_default();
    for c in &unbiased {
        s.push_str(&format!(
            " {}: tr Var / vs IWAE-10 / vs matched |",
            c.estimator.label()
        ));
    }
    s.push_str("\n|--:|--:|--:|--:|");
    s.push_str(&"--:|".repeat(unbiased.len()));
    s.push('\n');
    for snap in snapshots {
        let Some(base) = snap.baseline() else {
            continue;
        };
        let matched = snap.cost_matched();
        s.push_str(&format!(
            "| {} | {} | {} ({:.2}) | {} |",
            snap.epoch,
            sig(snap.gradient_norm2),
            pm(base.squared_bias),
            (base.squared_bias.value.max(0.0) / snap.gradient_norm2).sqrt(),
            matched.map_or_else(
                || "–".into(),
                |m| format!("{}, {}", m.estimator.label(), pm(m.squared_bias))
            )
        ));
        for u in &unbiased {
            match snap.comparisons.iter().find(|c| c.estimator == u.estimator) {
                Some(c) => s.push_str(&format!(
                    " {} / {} / {} |",
                    sig(c.variance.value),
                    break_even_cell(c.break_even_steps(base)),
                    matched.map_or_else(|| "–".into(), |m| break_even_cell(c.break_even_steps(m)))
                )),
                None => s.push_str(" – |"),
            }
        }
        s.push('\n');
    }
    for snap in snapshots {
        s.push_str(&format!(
            "\n## Epoch {}\n\n‖∇‖² = {}; the reference's tr Var per draw {}.\n\n",
            snap.epoch,
            sig(snap.gradient_norm2),
            sig(snap.reference_variance)
        ));
        s.push_str(
            "| estimator | bias² | tr Var | median of means | bias² + tr Var | evaluations | seconds | \
             capped | break-even vs IWAE-10: steps / seconds | vs cost-matched IWAE: steps |\n\
             |:--|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n",
        );
        let base = snap.baseline();
        let matched = snap.cost_matched();
        for c in &snap.comparisons {
            s.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
                c.estimator.label(),
                pm(c.squared_bias),
                pm(c.variance),
                sig(c.variance_median_of_means),
                sig(c.mean_squared_error().value),
                sig(c.evaluations.value),
                format_number_sig(c.seconds.value, 2),
                c.capped,
                base.map_or_else(
                    || "–".into(),
                    |b| format!(
                        "{} / {}",
                        break_even_cell(c.break_even_steps(b)),
                        break_even_cell(c.break_even_seconds(b))
                    )
                ),
                matched.map_or_else(|| "–".into(), |m| break_even_cell(c.break_even_steps(m))),
            ));
        }
    }
    s
}

/// IWAE-10's squared bias against each unbiased estimator's variance (and IWAE-10's own), by epoch.
fn along_training(snapshots: &[Snapshot]) -> LineChart {
    let mut chart = LineChart::new(
        "IWAE-10's squared bias against the variance of each estimator, along IWAE training",
        Axis::log("epoch"),
        Axis::log("squared norm (per draw)"),
    )
    .with_size(1100, 650);
    let bias: Vec<(f64, f64)> = snapshots
        .iter()
        .filter_map(|s| Some((s.epoch as f64, s.baseline()?.squared_bias.value)))
        .filter(|&(_, v)| v > 0.0)
        .collect();
    chart = chart.series("IWAE-10 bias²", bias);
    let norm: Vec<(f64, f64)> = snapshots
        .iter()
        .map(|s| (s.epoch as f64, s.gradient_norm2))
        .filter(|&(_, v)| v > 0.0)
        .collect();
    chart = chart.series("‖∇θ log p‖² (reference)", norm);
    let Some(first) = snapshots.first() else {
        return chart;
    };
    for c in first.comparisons.iter().filter(|c| {
        c.estimator.is_unbiased() || c.estimator == ThetaGradient::Iwae { particles: 10 }
    }) {
        let points: Vec<(f64, f64)> = snapshots
            .iter()
            .filter_map(|s| {
                let m = s.comparisons.iter().find(|m| m.estimator == c.estimator)?;
                Some((s.epoch as f64, m.variance.value))
            })
            .collect();
        chart = chart.series(format!("{} tr Var", c.estimator.label()), points);
    }
    chart
}

/// Break-even steps against IWAE-10 on the last snapshot (estimators that never break even left out).
fn break_even_chart(snapshots: &[Snapshot]) -> BarChart {
    let last = snapshots.last();
    let epoch = last.map_or(0, |s| s.epoch);
    let bars: Vec<(String, f64)> = last
        .and_then(|s| {
            let base = s.baseline()?;
            Some(
                s.comparisons
                    .iter()
                    .filter_map(|c| {
                        let n = c.break_even_steps(base)?;
                        (n > 0.0).then(|| (c.estimator.label(), n))
                    })
                    .collect(),
            )
        })
        .unwrap_or_default();
    BarChart::new(
        format!("Steps from which an estimator beats IWAE-10's error, epoch {epoch}"),
        Axis::log("break-even steps"),
    )
    .with_x_label("estimator (\"never\" ones left out)")
    .with_size(1100, 600)
    .bars(bars)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_are_checked_and_slugs_are_distinct() {
        GradientsStudy::standard().validate().unwrap();
        for bad in [
            GradientsStudy {
                epochs: vec![],
                ..GradientsStudy::standard()
            },
            GradientsStudy {
                epochs: vec![5, 5],
                ..GradientsStudy::standard()
            },
            GradientsStudy {
                draws: 4,
                ..GradientsStudy::standard()
            },
            GradientsStudy {
                reference_particles: 100,
                ..GradientsStudy::standard()
            },
        ] {
            assert!(bad.validate().is_err(), "{bad:?}");
        }
        let list = estimators(Some(640));
        let mut slugs: Vec<String> = list.iter().map(slug).collect();
        assert_eq!(slugs.len(), 8);
        slugs.sort();
        slugs.dedup();
        assert_eq!(slugs.len(), 8);
        assert_eq!(estimators(Some(50)).len(), 7);
        assert_eq!(list[0], ThetaGradient::Coupled(training_coupled()));
        let json = serde_json::to_string(&list).unwrap();
        assert_eq!(
            serde_json::from_str::<Vec<ThetaGradient>>(&json).unwrap(),
            list
        );
    }

    fn comparison(estimator: ThetaGradient, bias2: f64, variance: f64) -> GradientComparison {
        let e = |value: f64| WithError {
            value,
            se: 0.1 * value.abs(),
        };
        GradientComparison {
            estimator,
            draws: 8,
            squared_bias: e(bias2),
            variance: e(variance),
            variance_median_of_means: 0.5 * variance,
            evaluations: e(1000.0),
            seconds: e(0.5),
            capped: 0,
        }
    }

    #[test]
    fn outputs_name_every_estimator_and_the_break_even() {
        let snap = |epoch| Snapshot {
            epoch,
            gradient_norm2: 4e6,
            reference_variance: 2e5,
            comparisons: vec![
                comparison(ThetaGradient::Coupled(training_coupled()), 1e4, 7e7),
                comparison(ThetaGradient::Sumo { first: 10 }, -1e4, 3e7),
                comparison(ThetaGradient::Iwae { particles: 10 }, 1e6, 9e5),
                comparison(ThetaGradient::Elbo { particles: 10 }, 2e6, 5e5),
                comparison(ThetaGradient::Iwae { particles: 600 }, 2e4, 1e5),
            ],
        };
        let snaps = vec![snap(1), snap(5)];
        let text = report(&GradientsStudy::standard(), &snaps);
        // (7e7 − 9e5) / (1e6 − 1e4) = 69.8; SUMO's negative bias² counts as 0: (3e7 − 9e5) / 1e6 = 29.1;
        // the ELBO, more biased than IWAE-10, never breaks even. Against the cost-matched IWAE-600:
        // (7e7 − 1e5) / (2e4 − 1e4) = 6990 and (3e7 − 1e5) / 2e4 = 1495.
        assert!(
            text.contains(
                "| 1 | 4e6 | 1e6 ± 100000 (0.50) | IWAE-600, 20000 ± 2000 | 7e7 / 70 / 6990 | 3e7 / 29 / 1495 |"
            ),
            "{text}"
        );
        assert!(
            text.contains("| C-ISIR-DISIR K=10 L=10 (1,10) β=0 |"),
            "{text}"
        );
        assert!(text.contains("| 0 | never / never | never |"), "{text}");
        let table = csv(&snaps);
        assert_eq!(table.lines().count(), 1 + 2 * 5);
        let iwae = table.lines().nth(3).unwrap();
        assert!(
            iwae.starts_with("1,IWAE-10,false,8,") && iwae.ends_with(",0,0,never"),
            "{iwae}"
        );
        assert!(
            table
                .lines()
                .nth(4)
                .unwrap()
                .ends_with(",never,never,never")
        );
    }
}
