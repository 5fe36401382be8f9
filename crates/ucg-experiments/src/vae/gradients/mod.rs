//! Every θ-gradient estimator on the same model, along one IWAE training run
//! (`cargo xtask reproduce vae-gradients`; `docs/vae/gradients/`): when does IWAE's bias dominate, and
//! which unbiased estimator pays off first?
//!
//! The study trains IWAE (the paper's settings at `D` = [`GradientsStudy::latent`]) and keeps its
//! parameters after each epoch of [`GradientsStudy::epochs`] (`snapshots/epoch-NNN.bin`), then measures
//! the last snapshot (the trained model) and the others in order. On each
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
use ucg_train::vae::CoupledKernelKind;
use ucg_train::vae::coupled_efficiency::EfficiencySettings;
use ucg_train::vae::theta_gradient::{GradientComparison, ThetaGradient};

use super::config::DatasetKind;
use super::efficiency::{BATCH, DATA_SEED, MIN_DRAWS};
use crate::AnyResult;
use crate::folder::claim;
use crate::progress::Ui;

mod measure;
mod outputs;

pub use ucg_train::vae::theta_gradient::BreakEven;

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
/// 1,000; the baseline of `reproduce vae-efficiency`), whose cost per point sets the cost-matched IWAE's
/// `K`.
pub fn training_coupled() -> EfficiencySettings {
    super::efficiency::baseline()
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

/// What one snapshot's measurement found.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// The epoch.
    pub epoch: usize,
    /// `‖E g_ref‖²` with the reference's noise floor removed: the squared norm of the true gradient.
    pub gradient_norm2: f64,
    /// The reference's `tr Var` per draw.
    pub reference_variance: f64,
    /// The reference's particles per point.
    pub reference_particles: usize,
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
/// Invalid settings, MNIST unavailable, a folder that is not this study's or holds a training run of
/// other settings, training or estimator failures.
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
    measure::check_training(study, &folder)?;
    // Every snapshot first (training is the cheap part, and a snapshot can only be saved while the run
    // passes its epoch), then the measurements, the last epoch (the trained model) first.
    let models = study
        .epochs
        .iter()
        .map(|&epoch| measure::snapshot(study, epoch, &data, &folder, ui))
        .collect::<AnyResult<Vec<_>>>()?;
    let mut order: Vec<usize> = (0..study.epochs.len()).collect();
    order.rotate_right(1);
    let mut snapshots: Vec<Snapshot> = Vec::new();
    for i in order {
        let epoch = study.epochs[i];
        snapshots.push(measure::measure_snapshot(
            study, epoch, &models[i], &x, &folder, ui,
        )?);
        snapshots.sort_by_key(|s| s.epoch);
        outputs::write_outputs(study, &snapshots, &folder, ui)?;
    }
    Ok(snapshots)
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
}
