//! `report.md`: the verdicts (does C-ISIR-DISIR beat IWAE and ELBO, by how much, ± what), a table laid
//! out like the paper's Table 1 with its numbers beside ours, costs and meeting times, and the figures.

use ucg_report::{MarkdownTable, format_number};

use super::config::DatasetKind;
use super::figures::{blocks, iwae_evaluations_per_step, iwae_seconds_per_step, short};
use super::plan::Role;
use super::summary::{Finding, MIN_POINTS_FOR_VERDICT, PairedDifference, Summary};
use super::unit::{PILOT_POINTS, TRAIN_IWAE};
use crate::beta_choice::BetaChoice;
use ucg_estimators::EstimatorKind;

/// The paper's test log-likelihood (Ruiz et al. 2021, Table 1; `docs/method.md` §8) for an estimator
/// trained on `dataset` at latent dimension `latent`, as printed there.
pub fn paper_value(
    dataset: DatasetKind,
    latent: usize,
    estimator: EstimatorKind,
) -> Option<&'static str> {
    use EstimatorKind::*;
    Some(match (dataset, latent, estimator) {
        (DatasetKind::Mnist, 20, Elbo) => "−90.05 ± 0.21",
        (DatasetKind::Mnist, 100, Elbo) => "−89.96 ± 0.14",
        (DatasetKind::Mnist, 300, Elbo) => "−90.63 ± 0.12",
        (DatasetKind::Mnist, 20, Iwae) => "−88.06 ± 0.08",
        (DatasetKind::Mnist, 100, Iwae) => "−88.07 ± 0.06",
        (DatasetKind::Mnist, 300, Iwae) => "−89.05 ± 0.08",
        (DatasetKind::Mnist, 20, CoupledIsirDisir) => "−87.29 ± 0.08",
        (DatasetKind::Mnist, 100, CoupledIsirDisir) => "−86.75 ± 0.10",
        (DatasetKind::Mnist, 300, CoupledIsirDisir) => "−88.10 ± 0.08",
        (DatasetKind::Mnist, 20, CoupledIsir) => "−90.70 ± 0.08",
        (DatasetKind::FashionMnist, 100, Elbo) => "−173.36",
        (DatasetKind::FashionMnist, 100, Iwae) => "−170.50",
        (DatasetKind::FashionMnist, 100, CoupledIsirDisir) => "−168.19 (IWAE then C-ISIR-DISIR)",
        _ => return None,
    })
}

fn pm(mean: f64, se: f64) -> String {
    if se.is_nan() {
        format_number(mean)
    } else {
        format!("{} ± {}", format_number(mean), format_number(se))
    }
}

/// One plain sentence per paired difference: whether the coupled model beats the other, by how much, or
/// why there is no verdict (a diverged model, too few points).
pub fn verdict(d: &PairedDifference) -> String {
    let z = d.z();
    let what = match d.finding() {
        Finding::Beats => "beats",
        Finding::Worse => "is worse than",
        Finding::NoDifference => "cannot be told apart from",
        Finding::Diverged(runs) => {
            return format!(
                "{} against {} ({}): no verdict, {} diverged (non-finite log-likelihoods)",
                d.a,
                d.b,
                d.method,
                runs.join(" and ")
            );
        }
        Finding::TooFewPoints => {
            return format!(
                "{} against {} ({}): no verdict on {} points (at least {MIN_POINTS_FOR_VERDICT} are \
                 needed); a − b = {}",
                d.a,
                d.b,
                d.method,
                d.points,
                pm(d.mean, d.se)
            );
        }
    };
    let images = if d.method.starts_with(TRAIN_IWAE) {
        "training"
    } else {
        "test"
    };
    format!(
        "{} {what} {} by {} nats (paired over {} {images} points, {}; z = {:.1})",
        d.a,
        d.b,
        pm(d.mean, d.se),
        d.points,
        d.method,
        z
    )
}

/// The verdict lines (for the terminal and the report).
pub fn verdict_lines(summary: &Summary) -> Vec<String> {
    summary.differences.iter().map(verdict).collect()
}

/// The report's Markdown text; `figures` are the stems written.
pub fn report_markdown(summary: &Summary, figures: &[String]) -> String {
    let c = &summary.config;
    let mut s = String::new();
    s.push_str("# VAE: unbiased gradients against ELBO and IWAE\n\n");
    s.push_str(&format!(
        "Written by `{}` (preset `{}`). Settings: K = {}, batch {}, hidden width {}{}, RMSProp {}{}, β {}, \
         cap {}; evaluation IWAE-{} on the first {} test images{}{}, common random numbers for every model. \
         Protocol: `docs/vae/README.md`.\n\n",
        summary.command,
        c.preset,
        c.k,
        c.batch,
        c.hidden,
        c.train_subset.map_or(String::new(), |n| format!(
            ", trained on the first {n} training images"
        )),
        c.learning_rate,
        c.blocks
            .iter()
            .find_map(|b| b.continuation_learning_rate)
            .map_or(String::new(), |lr| format!(
                " (continuations from the pretrain: {lr})"
            )),
        match &c.beta {
            BetaChoice::Ess => "by the ESS rule from 0.9".to_string(),
            BetaChoice::Fixed(b) => b.to_string(),
            BetaChoice::Pilot(p) => format!(
                "by a pilot per run ({} coupled gradients of {} points at each of {:?}; \
                 the smallest variance × cost wins; `runs/*/pilot.json`)",
                p.replicates,
                PILOT_POINTS.min(c.batch),
                p.candidates
            ),
        },
        c.cap,
        c.eval.iwae_k,
        c.eval.iwae_points,
        if c.eval.ais_points == 0 {
            ", no AIS".to_string()
        } else {
            format!(
                " and AIS ({} chains, {} steps, {} leapfrog) on the first {}",
                c.eval.ais_chains, c.eval.ais_steps, c.eval.ais_leapfrog, c.eval.ais_points
            )
        },
        if c.eval.train_points == 0 {
            String::new()
        } else {
            format!(", and IWAE-{} on the first {} training images", c.eval.iwae_k, c.eval.train_points)
        }
    ));
    if !summary.missing.is_empty() {
        s.push_str(&format!(
            "**Partial results**: {} of the plan's {} runs are not evaluated in this folder ({}); run the \
             other shards and merge them.\n\n",
            summary.missing.len(),
            summary.missing.len() + summary.runs.len(),
            summary.missing.join(", ")
        ));
    }
    s.push_str("## Verdict\n\nDifferences are paired over the same test (or, for `train-iwae`, training) points (a − b in nats, ± one standard error); \"beats\" needs z > 2, \"is worse than\" z < −2.\n\n");
    if summary.differences.is_empty() {
        s.push_str("No coupled run has been evaluated yet.\n");
    } else {
        let mut t = MarkdownTable::new(["a", "b", "method", "points", "a − b", "z", "verdict"]);
        for d in &summary.differences {
            t.push_row([
                d.a.clone(),
                d.b.clone(),
                d.method.clone(),
                d.points.to_string(),
                pm(d.mean, d.se),
                format!("{:.1}", d.z()),
                match d.finding() {
                    Finding::Beats => "a beats b".to_string(),
                    Finding::Worse => "a is worse".to_string(),
                    Finding::NoDifference => "no difference detected".to_string(),
                    Finding::Diverged(runs) => format!("none: {} diverged", runs.join(", ")),
                    Finding::TooFewPoints => {
                        format!("none: fewer than {MIN_POINTS_FOR_VERDICT} points")
                    }
                },
            ]);
        }
        s.push_str(&t.to_markdown());
    }
    s.push_str("\n## Test log-likelihood (laid out like the paper's Table 1)\n\n");
    s.push_str("Paper values: Ruiz et al. 2021, Table 1 (as quoted in `docs/method.md` §8), after 300 epochs from scratch; ours follow this run's protocol, which is much shorter unless the preset is `full`.\n\n");
    let train = c.eval.train_points > 0;
    let mut header = vec![
        "data",
        "D",
        "run",
        "epochs × steps",
        "ours: IWAE-k",
        "ours: AIS",
    ];
    if train {
        header.push("ours: IWAE-k on training images");
    }
    header.push("paper");
    let mut t = MarkdownTable::new(header);
    for r in &summary.runs {
        let by = |prefix: &str| {
            r.test
                .iter()
                .find(|e| e.method.starts_with(prefix))
                .map_or("–".to_string(), |e| pm(e.mean, e.se))
        };
        let paper = match r.unit.role {
            // The paper ran IWAE with K = 10 only.
            Role::Main if r.unit.particles.is_none() => {
                paper_value(r.unit.dataset, r.unit.latent, r.unit.estimator)
            }
            _ => None,
        };
        let mut row = vec![
            r.unit.dataset.name().to_string(),
            r.unit.latent.to_string(),
            short(r),
            format!(
                "{} × {}",
                r.epochs,
                r.unit
                    .steps_per_epoch
                    .map_or("all".to_string(), |n| n.to_string())
            ),
            by("iwae"),
            by("ais"),
        ];
        if train {
            row.push(by(TRAIN_IWAE));
        }
        row.push(paper.unwrap_or("–").to_string());
        t.push_row(row);
    }
    s.push_str(&t.to_markdown());
    s.push_str("\n## Cost and meeting times\n\nCost relative to an IWAE step measured in the same block (the pretrain's mean seconds per step, else the IWAE run's). τ over all the run's pairs; capped pairs count at the cap.\n\n");
    for (title, runs) in blocks(summary) {
        s.push_str(&format!("### {title}\n\n"));
        let (iwae_s, iwae_e) = (
            iwae_seconds_per_step(&runs),
            iwae_evaluations_per_step(&runs),
        );
        let mut t = MarkdownTable::new([
            "run",
            "steps",
            "s / step",
            "× IWAE step",
            "evaluations / step",
            "× IWAE",
            "mean τ",
            "median τ (last epoch)",
            "q99 τ (last epoch)",
            "capped / pairs",
            "final β",
        ]);
        for r in &runs {
            let chains: u64 = r.per_epoch.iter().map(|e| e.chains).sum();
            let capped: u64 = r.per_epoch.iter().map(|e| e.capped).sum();
            let last = r.per_epoch.last();
            let tau_mean = if chains > 0 {
                let total: f64 = r
                    .per_epoch
                    .iter()
                    .map(|e| e.mean_tau * e.chains as f64)
                    .filter(|v| v.is_finite())
                    .sum();
                format_number(total / chains as f64)
            } else {
                "–".into()
            };
            let opt = |v: Option<f64>| {
                v.filter(|x| x.is_finite())
                    .map_or("–".into(), format_number)
            };
            t.push_row([
                short(r),
                r.steps.to_string(),
                format_number(r.seconds_per_step),
                opt(iwae_s.map(|i| r.seconds_per_step / i)),
                format_number(r.evaluations_per_step),
                opt(iwae_e.map(|i| r.evaluations_per_step / i)),
                tau_mean,
                opt(last.map(|e| e.median_tau)),
                opt(last.map(|e| e.q99_tau)),
                if chains > 0 {
                    format!("{capped} / {chains}")
                } else {
                    "–".into()
                },
                opt(r.beta.last().copied()),
            ]);
        }
        s.push_str(&t.to_markdown());
        s.push('\n');
        for r in runs
            .iter()
            .filter(|r| r.per_epoch.iter().any(|e| e.chains > 0))
        {
            s.push_str(&format!("Meeting times per epoch of `{}`:\n\n", short(r)));
            let mut t = MarkdownTable::new([
                "epoch",
                "pairs",
                "capped",
                "mean τ",
                "median τ",
                "q99 τ",
                "test bound",
                "seconds",
            ]);
            for e in &r.per_epoch {
                t.push_row([
                    e.epoch.to_string(),
                    e.chains.to_string(),
                    e.capped.to_string(),
                    format_number(e.mean_tau),
                    format_number(e.median_tau),
                    format_number(e.q99_tau),
                    format_number(e.test_bound),
                    format_number(e.seconds),
                ]);
            }
            s.push_str(&t.to_markdown());
            s.push('\n');
        }
    }
    s.push_str("## Figures\n\n");
    for f in figures {
        s.push_str(&format!("![{f}]({f}.png)\n\n"));
    }
    s
}
