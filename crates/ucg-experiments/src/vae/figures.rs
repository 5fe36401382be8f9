//! The study's figures (PNG and SVG, through `ucg-report`): training curves (the paper's Fig. 3 / 7),
//! meeting-time histograms of C-ISIR against C-ISIR-DISIR (Fig. 4 / 8) and the cost of a step.

use ucg_files::RunFolder;
use ucg_report::{Axis, BarChart, Figure, Histogram, LineChart};

use super::plan::Role;
use super::summary::{RunSummary, Summary, all_meetings};
use super::unit::run_dir;
use crate::AnyResult;
use ucg_estimators::EstimatorKind;

/// The runs of each block: `(title, runs)` with the block's title `mnist D = 20, seed 2021`.
pub fn blocks(summary: &Summary) -> Vec<(String, Vec<&RunSummary>)> {
    let mut out: Vec<(String, Vec<&RunSummary>)> = Vec::new();
    for r in &summary.runs {
        let title = format!(
            "{} D = {}, seed {}",
            r.unit.dataset.name(),
            r.unit.latent,
            r.unit.seed
        );
        match out.iter_mut().find(|(t, _)| *t == title) {
            Some((_, runs)) => runs.push(r),
            None => out.push((title, vec![r])),
        }
    }
    out
}

/// A run's name within its block (`coupled-isir-disir`, `pretrain-iwae`, …).
pub fn short(r: &RunSummary) -> String {
    let prefix = format!(
        "{}-d{}-s{}-",
        r.unit.dataset.name(),
        r.unit.latent,
        r.unit.seed
    );
    r.unit.name.trim_start_matches(&prefix).to_string()
}

/// Writes every figure into the folder's `figures/` and returns the stems written (relative to it).
///
/// # Errors
/// Unreadable run folders, a figure's file that the study did not write, or drawing failures.
pub fn write_figures(summary: &Summary, folder: &RunFolder) -> AnyResult<Vec<String>> {
    // The figures' warnings only list skipped non-finite values (an epoch without chains has no τ),
    // which the report's tables show anyway.
    let out = folder.dir();
    let mut written = Vec::new();
    for (b, (title, runs)) in blocks(summary).into_iter().enumerate() {
        let continued: Vec<&&RunSummary> = runs
            .iter()
            .filter(|r| r.unit.role != Role::Pretrain)
            .collect();
        let mut by_epoch = LineChart::new(
            format!("Test IWAE-K bound during training, {title}"),
            Axis::new("epoch of the run"),
            Axis::new("test bound").with_unit("nats"),
        );
        let mut by_time = LineChart::new(
            format!("Test IWAE-K bound against training time, {title}"),
            Axis::new("training time").with_unit("s"),
            Axis::new("test bound").with_unit("nats"),
        );
        for r in &continued {
            by_epoch = by_epoch.series(
                short(r),
                r.per_epoch.iter().map(|e| (e.epoch as f64, e.test_bound)),
            );
            let mut t = 0.0;
            by_time = by_time.series(
                short(r),
                r.per_epoch.iter().map(|e| {
                    t += e.seconds;
                    (t, e.test_bound)
                }),
            );
        }
        let stem = format!("figures/curves-epoch-{b}");
        let _drawn = by_epoch.save(crate::folder::figure(folder, &stem)?)?;
        written.push(stem);
        let stem = format!("figures/curves-time-{b}");
        let _drawn = by_time.save(crate::folder::figure(folder, &stem)?)?;
        written.push(stem);

        let mut hist = Histogram::new(
            format!("Meeting times, {title}"),
            "meeting time τ (capped pairs at the cap)",
        );
        let mut any = false;
        for r in runs
            .iter()
            .filter(|r| r.unit.role == Role::Main && r.unit.estimator.is_coupled())
        {
            hist = hist.series(
                r.unit.estimator.label(),
                all_meetings(&run_dir(&out, &r.unit.name))?.values(),
            );
            any = true;
        }
        if any {
            let stem = format!("figures/meeting-times-{b}");
            let _drawn = hist.save(crate::folder::figure(folder, &stem)?)?;
            written.push(stem);
        }

        if let Some(iwae) = iwae_seconds_per_step(&runs) {
            let cost = BarChart::new(
                format!("Seconds per step relative to an IWAE step, {title}"),
                Axis::log("× IWAE step"),
            )
            .bars(
                continued
                    .iter()
                    .map(|r| (short(r), r.seconds_per_step / iwae)),
            )
            .with_value_labels(true);
            let stem = format!("figures/cost-{b}");
            let _drawn = cost.save(crate::folder::figure(folder, &stem)?)?;
            written.push(stem);
        }
    }
    Ok(written)
}

/// Seconds of an IWAE step in a block: the pretrain's, else the IWAE run's.
pub fn iwae_seconds_per_step(runs: &[&RunSummary]) -> Option<f64> {
    let of = |role| {
        runs.iter()
            .find(|r| r.unit.role == role && r.unit.estimator == EstimatorKind::Iwae)
            .map(|r| r.seconds_per_step)
    };
    of(Role::Pretrain).or_else(|| of(Role::Main))
}

/// Particle evaluations of an IWAE step in a block.
pub fn iwae_evaluations_per_step(runs: &[&RunSummary]) -> Option<f64> {
    runs.iter()
        .find(|r| r.unit.estimator == EstimatorKind::Iwae)
        .map(|r| r.evaluations_per_step)
}
