//! The study's outputs: `gradients.csv`, `report.md`, and the figures `along-training` (IWAE-10's squared
//! bias against each estimator's variance by epoch) and `break-even` (on the last snapshot).

use ucg_files::RunFolder;
use ucg_report::{Axis, BarChart, Figure, LineChart, format_number_sig, write_text};
use ucg_train::vae::coupled_efficiency::WithError;
use ucg_train::vae::theta_gradient::{BreakEven, GradientComparison, ThetaGradient};

use super::{GradientsStudy, Snapshot};
use crate::AnyResult;
use crate::folder::figure;
use crate::progress::Ui;
use crate::vae::efficiency::{BATCH, DATA_SEED};

pub(super) fn write_outputs(
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

/// A break-even budget as the report shows it: `70 ± 12`, `never`, `unresolved`.
fn break_even_cell(value: BreakEven) -> String {
    match value {
        BreakEven::Never => "never".into(),
        BreakEven::Unresolved => "unresolved".into(),
        BreakEven::At(n) if n.value == 0.0 => "0".into(),
        BreakEven::At(n) => format!(
            "{} ± {}",
            format_number_sig(n.value, 2),
            format_number_sig(n.se, 1)
        ),
    }
}

/// A break-even budget in the CSV: the number, `never` or `unresolved`, and its error (empty without a
/// number).
fn break_even_csv(value: BreakEven) -> String {
    match value {
        BreakEven::Never => "never,".into(),
        BreakEven::Unresolved => "unresolved,".into(),
        BreakEven::At(n) => format!("{},{}", n.value, n.se),
    }
}

fn csv(snapshots: &[Snapshot]) -> String {
    let mut out = String::from(
        "epoch,estimator,unbiased,draws,squared_bias,squared_bias_se,variance,variance_se,\
         variance_median_of_means,mean_squared_error,evaluations,seconds,capped,gradient_norm2,\
         reference_particles,break_even_steps_vs_iwae10,break_even_steps_vs_iwae10_se,\
         break_even_seconds_vs_iwae10,break_even_seconds_vs_iwae10_se,\
         break_even_steps_vs_cost_matched_iwae,break_even_steps_vs_cost_matched_iwae_se\n",
    );
    for s in snapshots {
        let (base, matched) = (s.baseline(), s.cost_matched());
        for c in &s.comparisons {
            out.push_str(&format!(
                "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n",
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
                s.reference_particles,
                base.map_or_else(|| ",".into(), |b| break_even_csv(c.break_even_steps(b))),
                base.map_or_else(|| ",".into(), |b| break_even_csv(c.break_even_seconds(b))),
                matched.map_or_else(|| ",".into(), |m| break_even_csv(c.break_even_steps(m))),
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
    let flags = format!(
        "--epochs {} --draws {} --reference-particles {} --reference-draws {} --seed {}",
        study
            .epochs
            .iter()
            .map(usize::to_string)
            .collect::<Vec<_>>()
            .join(","),
        study.draws,
        study.reference_particles,
        study.reference_draws,
        study.seed
    );
    s.push_str(&format!(
        "IWAE trained on statically binarised {} (D = {}, hidden width {}, K = 10, batch 100, RMSProp \
         5·10⁻⁴, seed {}); after each epoch of {:?}, the θ-gradient of the first minibatch of master seed \
         {DATA_SEED} ({BATCH} training images, summed over them) drawn {} times by each estimator and {} \
         times by the reference, SNIS with max({}, 10 × the cost-matched K) particles per point. Written by \
         `cargo xtask reproduce vae-gradients {flags}`.\n\n",
        study.dataset.name(),
        study.latent,
        study.hidden,
        study.train_seed,
        study.epochs,
        study.draws,
        study.reference_draws,
        study.reference_particles,
    ));
    s.push_str(
        "How to read it: bias² is `‖E g − ∇‖²` against the reference, without the draws' noise floor \
         (negative values are noise around 0); tr Var is per draw, with the median of means of groups of \
         four beside it (well below the mean: a heavy tail the draws barely sample); break-even is the \
         number of averaged steps (or seconds of them) from which an estimator's `bias² + tr Var / n` is \
         below IWAE-10's (or the cost-matched IWAE's), with its error; \"never\" when its bias is larger by \
         more than two standard errors, \"unresolved\" when the bias² difference is within two. The \
         seconds leave out the minibatch's own variance, which favours the slower estimator. Capped \
         coupled pairs are truncated (biased) estimates and are counted.\n\n",
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
            "\n## Epoch {}\n\n‖∇‖² = {}; the reference SNIS-{}'s tr Var per draw {}.\n\n",
            snap.epoch,
            sig(snap.gradient_norm2),
            snap.reference_particles,
            sig(snap.reference_variance)
        ));
        s.push_str(
            "| estimator | bias² | tr Var | median of means | bias² + tr Var | evaluations | seconds | \
             capped | break-even vs IWAE-10: steps / seconds | vs cost-matched IWAE: steps |\n\
             |:--|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n",
        );
        let base = snap.baseline();
        let matched = snap.cost_matched();
        let against = |other: Option<&GradientComparison>,
                       c: &GradientComparison,
                       seconds: bool| match other {
            Some(o) if o.estimator != c.estimator => {
                let steps = break_even_cell(c.break_even_steps(o));
                if seconds {
                    format!("{steps} / {}", break_even_cell(c.break_even_seconds(o)))
                } else {
                    steps
                }
            }
            _ => "–".into(),
        };
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
                against(base, c, true),
                against(matched, c, false),
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
                        let n = c.break_even_steps(base).value()?;
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
    use crate::vae::gradients::{GradientsStudy, Snapshot, training_coupled};
    use ucg_train::vae::coupled_efficiency::WithError;

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
            reference_particles: 6000,
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
        // (7e7 − 1e5) / (2e4 − 1e4) = 6990 and (3e7 − 1e5) / 2e4 = 1495. Errors by the delta method:
        // relative errors 0.10 (variances) and 0.10, 0.22, 0.11 (bias² differences) in quadrature.
        assert!(
            text.contains(
                "| 1 | 4e6 | 1e6 ± 100000 (0.50) | IWAE-600, 20000 ± 2000 | 7e7 / 70 ± 10 / 6990 ± 1713 | \
                 3e7 / 29 ± 4 / 1495 ± 225 |"
            ),
            "{text}"
        );
        // IWAE-10 is not compared with itself; a bias² difference within two errors is unresolved.
        assert!(text.contains("| 1000 | 0.5 | 0 | – | never |"), "{text}");
        assert!(
            text.contains("| C-ISIR-DISIR K=10 L=10 (1,10) β=0 |"),
            "{text}"
        );
        assert!(text.contains("| 0 | never / never | never |"), "{text}");
        let table = csv(&snaps);
        assert_eq!(table.lines().count(), 1 + 2 * 5);
        let iwae = table.lines().nth(3).unwrap();
        assert!(
            iwae.starts_with("1,IWAE-10,false,8,")
                && iwae.ends_with(",6000,unresolved,,unresolved,,never,"),
            "{iwae}"
        );
        assert!(
            table
                .lines()
                .nth(4)
                .unwrap()
                .ends_with(",never,,never,,never,")
        );
    }
}
