//! The β sweep (`cargo xtask reproduce ppca --sweep beta`): C-ISIR-DISIR on the main problem for a grid
//! of fixed β and for the ESS rule's β, next to C-ISIR, each measured by its meeting times, its
//! truncation, the total variance of the batch-gradient estimate and its cost.
//!
//! Every point of the sweep uses the same replicate seeds (common random numbers), so differences between
//! β are not blurred by independent noise. The folder is resumable: each point's running statistics are
//! checkpointed to `checkpoints/<point>.json` and a restart with the same settings continues from there.
//! The numbers, the figures and the report section are in
//! [`beta_sweep_summary`](super::beta_sweep_summary).

use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use ucg_estimators::seeding::derive_seed;
use ucg_estimators::summary::Moments;
use ucg_files::RunFolder;
use ucg_report::{read_json, write_json};
use ucg_train::ppca::{BatchGradient, CoupledKernelKind, CoupledSettings, PpcaProblem};

use super::beta_sweep_summary::{BetaSweepSummary, write_sweep_outputs};
use super::cells::{Stream, Sweep, stream_seed};
use super::config::Config;
use super::layout::{Layout, PeriodicSave};
use super::meeting::MeetingCounts;
use super::setup::{FitRecord, OpenedSweep, open_sweep};
use super::warmup::{BetaRecord, warm_up_beta};
use crate::AnyResult;
use crate::progress::Ui;

/// How often a running point's checkpoint is written.
const CHECKPOINT_EVERY: Duration = Duration::from_secs(15);

/// Sub-stream of the replicate seeds shared by every point of the sweep.
const SWEEP_STREAM: u64 = 0xBE7A;

/// What the sweep measures: the fixed β of C-ISIR-DISIR, the replicates per point and the cap.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BetaSweepSettings {
    /// The fixed β values (each in `[0, 1)`).
    pub betas: Vec<f64>,
    /// Replicates (batch estimates) per point.
    pub replicates: u64,
    /// The cap on a pair's iterations: larger than the study's so that the sweep sees the tail that a
    /// smaller cap would cut (the cap needed for ≤ 1 % truncated replicates is read off it).
    pub max_iter: usize,
}

impl BetaSweepSettings {
    /// The grid `β ∈ {0, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95}` with `replicates` per point and a cap of
    /// 3,000 iterations.
    pub fn standard(replicates: u64) -> Self {
        BetaSweepSettings {
            betas: vec![0.0, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95],
            replicates,
            max_iter: 3000,
        }
    }

    /// Checks the settings.
    ///
    /// # Errors
    /// No β, a β outside `[0, 1)`, fewer than 2 replicates, or a cap below the study's window.
    pub fn validate(&self, config: &Config) -> AnyResult<()> {
        if self.betas.is_empty() || self.betas.iter().any(|b| !(0.0..1.0).contains(b)) {
            return Err(
                format!("the β sweep needs β values in [0, 1), got {:?}", self.betas).into(),
            );
        }
        if self.replicates < 2 {
            return Err(format!(
                "the β sweep needs at least 2 replicates per point, got {}",
                self.replicates
            )
            .into());
        }
        let lag = super::config::LagConfig {
            max_iter: self.max_iter,
            ..config.lag
        };
        lag.settings()?;
        Ok(())
    }
}

/// One point of the sweep: an estimator and its β.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum SweepPoint {
    /// C-ISIR (the reference DISIR should improve on).
    CIsir,
    /// C-ISIR-DISIR with a fixed β.
    Fixed {
        /// DISIR's β.
        beta: f64,
    },
    /// C-ISIR-DISIR with the β the ESS rule's warm-up froze.
    EssRule {
        /// The frozen β.
        beta: f64,
    },
}

impl SweepPoint {
    /// Identifier used for checkpoint files (`c-isir`, `beta-0.9`, `ess-rule`).
    pub fn id(&self) -> String {
        match self {
            SweepPoint::CIsir => "c-isir".into(),
            SweepPoint::Fixed { beta } => format!("beta-{beta}"),
            SweepPoint::EssRule { .. } => "ess-rule".into(),
        }
    }
    /// Display label.
    pub fn label(&self) -> String {
        match self {
            SweepPoint::CIsir => "C-ISIR".into(),
            SweepPoint::Fixed { beta } => format!("C-ISIR-DISIR β = {beta}"),
            SweepPoint::EssRule { beta } => format!("C-ISIR-DISIR ESS rule (β = {beta:.4})"),
        }
    }
    /// DISIR's β, if any.
    pub fn beta(&self) -> Option<f64> {
        match *self {
            SweepPoint::CIsir => None,
            SweepPoint::Fixed { beta } | SweepPoint::EssRule { beta } => Some(beta),
        }
    }
    /// The coupled kernel.
    pub fn kernel(&self) -> CoupledKernelKind {
        match self.beta() {
            None => CoupledKernelKind::Isir,
            Some(beta) => CoupledKernelKind::IsirDisir { beta },
        }
    }
}

/// One replicate of a sweep point, reduced to what the summary needs.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepReplicate {
    /// Largest meeting time over the batch's points (a capped point at the cap).
    pub tau_max: usize,
    /// Points whose run hit the cap.
    pub capped_points: usize,
    /// Particles whose log-weight was evaluated for this estimate.
    pub particle_evaluations: u64,
    /// `‖estimate − exact‖²` over all gradient components.
    pub squared_error: f64,
}

/// A sweep point's running statistics over its finished replicates.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PointCheckpoint {
    /// The point.
    pub point: SweepPoint,
    /// Every finished replicate, in order.
    pub replicates: Vec<SweepReplicate>,
    /// Componentwise moments of `estimate − exact`.
    pub errors: Moments,
    /// Meeting times of every point of every replicate.
    pub meeting: MeetingCounts,
}

/// The sweep folder's record of its settings and of what was computed before the replicates.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepRecord {
    /// The study's settings (problem, encoder fit, warm-up).
    pub config: Config,
    /// The sweep's settings.
    pub sweep: BetaSweepSettings,
}

/// What the sweep computed before its replicates (`setup.json`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepSetup {
    /// The main problem's encoder fit.
    pub fit: FitRecord,
    /// The ESS rule's warm-up at the main `K`.
    pub ess_rule: BetaRecord,
}

/// The seed of replicate `r`, the same for every point of the sweep.
pub fn sweep_seed(config: &Config, r: u64) -> u64 {
    let base = stream_seed(config, Stream::Replicates, config.latent_dim);
    derive_seed(derive_seed(base, SWEEP_STREAM), r)
}

/// Reduces one estimate to its sweep record and its error vector.
pub fn reduce(estimate: &BatchGradient, exact: &[f64], k: usize) -> (SweepReplicate, Vec<f64>) {
    let errors: Vec<f64> = estimate
        .gradient
        .to_vec()
        .iter()
        .zip(exact)
        .map(|(g, x)| g - x)
        .collect();
    let replicate = SweepReplicate {
        tau_max: estimate
            .runs
            .iter()
            .map(|r| r.meeting_time.unwrap_or(r.iterations))
            .max()
            .unwrap_or(0),
        capped_points: estimate.totals().capped,
        particle_evaluations: (estimate.particle_sets * k) as u64,
        squared_error: errors.iter().map(|e| e * e).sum(),
    };
    (replicate, errors)
}

/// Runs (or resumes) the β sweep of `config`'s main problem into `out`, then writes its summary
/// (`summary.json`), report (`report.md`) and figures; returns the summary.
///
/// # Errors
/// Invalid settings, unreadable data, a folder holding another sweep, or failing estimators.
pub fn run_beta_sweep(
    config: &Config,
    sweep: &BetaSweepSettings,
    out: &Path,
    ui: &Ui,
    command: &str,
) -> AnyResult<BetaSweepSummary> {
    config.validate()?;
    sweep.validate(config)?;
    let record = SweepRecord {
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
        "β sweep",
        |s: &SweepSetup| &s.fit,
        ui,
        command,
    )?;
    let problem = main.problem()?;
    let exact = problem.exact_gradient()?.to_vec();
    let setup = match cached {
        Some(s) => s,
        None => {
            let ess_rule = warm_up_beta(
                &problem,
                Sweep::Gradient,
                config.latent_dim,
                config.main_k,
                config,
                ui,
            )?;
            let s = SweepSetup {
                fit: main.fit.clone(),
                ess_rule,
            };
            write_json(folder.file_path(&layout.setup())?, &s)?;
            s
        }
    };
    let points = sweep_points(sweep, setup.ess_rule.beta);
    let mut done = Vec::with_capacity(points.len());
    for point in points {
        done.push(run_point(
            config, sweep, point, &problem, &exact, &layout, &folder, ui,
        )?);
    }
    write_sweep_outputs(&folder, config, sweep, &setup, &done, command, ui)
}

/// The points of the sweep in report order: C-ISIR, the fixed β ascending, the ESS rule's β.
pub fn sweep_points(sweep: &BetaSweepSettings, ess_beta: f64) -> Vec<SweepPoint> {
    let mut betas = sweep.betas.clone();
    betas.sort_by(f64::total_cmp);
    betas.dedup();
    std::iter::once(SweepPoint::CIsir)
        .chain(betas.into_iter().map(|beta| SweepPoint::Fixed { beta }))
        .chain(std::iter::once(SweepPoint::EssRule { beta: ess_beta }))
        .collect()
}

/// Runs the replicates of `point` not done yet, checkpointing as it goes; returns the complete
/// checkpoint.
fn run_point(
    config: &Config,
    sweep: &BetaSweepSettings,
    point: SweepPoint,
    problem: &PpcaProblem<'_>,
    exact: &[f64],
    layout: &Layout,
    folder: &RunFolder,
    ui: &Ui,
) -> AnyResult<PointCheckpoint> {
    let path = layout.checkpoint(&point.id());
    let mut checkpoint = if path.exists() {
        let c: PointCheckpoint = read_json(&path)?;
        if c.point != point || c.errors.dim() != exact.len() {
            return Err(format!("checkpoint {} does not match this sweep", path.display()).into());
        }
        c
    } else {
        PointCheckpoint {
            point,
            replicates: Vec::new(),
            errors: Moments::new(exact.len()),
            meeting: MeetingCounts::default(),
        }
    };
    let first = checkpoint.replicates.len() as u64;
    if first >= sweep.replicates {
        return Ok(checkpoint);
    }
    let settings = CoupledSettings {
        kernel: point.kernel(),
        k: config.main_k,
        lag: super::config::LagConfig {
            max_iter: sweep.max_iter,
            ..config.lag
        }
        .settings()?,
    };
    let bar = ui.bar(sweep.replicates, point.label());
    bar.set_position(first);
    let mut save = PeriodicSave::new(folder, path, CHECKPOINT_EVERY)?;
    for r in first..sweep.replicates {
        let estimate = problem.coupled_gradient(&settings, sweep_seed(config, r))?;
        let (replicate, errors) = reduce(&estimate, exact, config.main_k);
        checkpoint.errors.push(&errors)?;
        for run in &estimate.runs {
            checkpoint.meeting.push(run);
        }
        checkpoint.replicates.push(replicate);
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
    fn points_come_in_report_order_with_distinct_ids() {
        let s = BetaSweepSettings {
            betas: vec![0.9, 0.0, 0.9],
            replicates: 3,
            max_iter: 100,
        };
        let points = sweep_points(&s, 0.42);
        let ids: Vec<String> = points.iter().map(SweepPoint::id).collect();
        assert_eq!(ids, ["c-isir", "beta-0", "beta-0.9", "ess-rule"]);
        assert_eq!(points[3].beta(), Some(0.42));
        assert_eq!(points[0].kernel(), CoupledKernelKind::Isir);
    }

    #[test]
    fn a_tiny_sweep_writes_its_outputs_and_resumes_to_the_same_summary() {
        let dir = tempfile::tempdir().unwrap();
        let config = Config::tiny(3);
        let sweep = BetaSweepSettings {
            betas: vec![0.0, 0.5],
            replicates: 4,
            max_iter: 200,
        };
        let ui = Ui::quiet();
        let a = run_beta_sweep(&config, &sweep, dir.path(), &ui, "test").unwrap();
        assert_eq!(a.points.len(), 4);
        assert!(a.points.iter().all(|p| p.replicates == 4));
        for file in [
            "summary.json",
            "report.md",
            "figures/beta_sweep_inefficiency.svg",
        ] {
            assert!(dir.path().join(file).exists(), "{file}");
        }
        // A finished sweep reruns from its checkpoints to the same numbers.
        let b = run_beta_sweep(&config, &sweep, dir.path(), &ui, "test").unwrap();
        assert_eq!(a, b);
        let other = BetaSweepSettings {
            replicates: 5,
            ..sweep
        };
        assert!(run_beta_sweep(&config, &other, dir.path(), &ui, "test").is_err());
    }

    #[test]
    fn bad_sweeps_are_refused() {
        let c = Config::tiny(1);
        assert!(BetaSweepSettings::standard(3).validate(&c).is_ok());
        let mut s = BetaSweepSettings::standard(3);
        s.betas.push(1.0);
        assert!(s.validate(&c).is_err());
        let mut s = BetaSweepSettings::standard(1);
        assert!(s.validate(&c).is_err());
        s.replicates = 3;
        s.max_iter = 1;
        assert!(s.validate(&c).is_err());
    }
}
