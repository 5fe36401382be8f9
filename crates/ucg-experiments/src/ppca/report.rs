//! `report.md`: the settings, a table per estimator, the figures, and one sentence per finding.

use crate::ppca::cells::STUDY_ESTIMATORS;
use std::fmt::Write;

use ucg_report::{MarkdownTable, format_number as num, format_plus_minus, format_thousands as int};

use super::cells::EstimatorKind;
use super::config::{BetaChoice, Config};
use super::figures::FigureInfo;
use super::findings::findings;
use super::summary::{CellSummary, ComponentSummary, Summary};
use super::verdict::{AcceptanceVerdict, MIN_REPLICATES_FOR_VERDICT, Verdict};
use crate::shard::Shard;
use ucg_estimators::beta::BetaRule;

fn opt(v: Option<f64>) -> String {
    v.map_or_else(|| "–".into(), num)
}

/// The report of `summary` with its `figures` (paths relative to the report).
pub fn render(summary: &Summary, figures: &[FigureInfo]) -> String {
    let mut md = String::new();
    let c = &summary.config;
    let _ = writeln!(
        md,
        "# PPCA: unbiased gradient estimates from coupled Markov chains\n"
    );
    let shards = if summary.shards == [Shard::WHOLE] {
        String::new()
    } else {
        format!(
            ", shards {}",
            summary
                .shards
                .iter()
                .map(|s| s.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    let _ = writeln!(
        md,
        "Produced by `{}` ({} preset{shards}). Every number and figure below comes from that command; \
         `summary.json` holds them in machine-readable form.\n",
        summary.command, c.preset
    );
    if !summary.complete {
        let _ = writeln!(
            md,
            "**Partial results**: not every planned replicate is included (see the R columns).\n"
        );
    }
    settings(&mut md, summary);
    fits(&mut md, summary);
    acceptance(&mut md, summary);
    let _ = writeln!(md, "## Results by estimator\n");
    for e in STUDY_ESTIMATORS {
        estimator_tables(&mut md, summary, e);
    }
    dimension_table(&mut md, summary);
    inefficiency_table(&mut md, summary);
    let _ = writeln!(md, "## Figures\n");
    for f in figures {
        let _ = writeln!(
            md,
            "### {}\n\n![{}]({}.png)\n\n{} ([SVG]({}.svg))\n",
            f.title, f.title, f.stem, f.caption, f.stem
        );
    }
    let _ = writeln!(md, "## Findings\n");
    for f in findings(summary) {
        let _ = writeln!(md, "- {f}");
    }
    let _ = writeln!(
        md,
        "\n## Files\n\nIn the output folder of the run: `summary.json` (every number above), `figures/` (PNG and \
         SVG), `replicates.csv` (one row per replicate: cell, estimator, K, D, replicate, seed, β, signed \
         errors at {} and {}, relative absolute error, mean and max meeting time over the batch, capped \
         points, kernel applications, particle evaluations, wall seconds), `checkpoints/` (per cell: \
         componentwise moments of the error and meeting-time counts, for resuming and merging), \
         `run.json` and `setup.json` (settings, fits, β warm-ups).",
        c.components.intercept_label(),
        c.components.weight_label()
    );
    md
}

fn settings(md: &mut String, s: &Summary) {
    let c = &s.config;
    let p = c.pixels();
    let ks: Vec<String> = c.all_ks().iter().map(|k| k.to_string()).collect();
    let dims: Vec<String> = c
        .dimension_sweep
        .dims
        .iter()
        .map(|d| d.to_string())
        .collect();
    let _ = writeln!(md, "## Settings\n");
    let lines = [
        format!(
            "Model: PPCA p(x, z) = N(z; 0, I_D) N(x; θ0 + θ1ᵀz, σ² I_P) with D = {}, P = {p}, σ² = {}; θ0 ~ N(0, 0.1²) \
             and θ1 ~ N(0, 1/P) entrywise, drawn once from seed {} and never fitted.",
            c.latent_dim, c.sigma2, c.seed
        ),
        format!("Data: N = {} points, {}.", c.points, c.data.describe()),
        format!(
            "Encoder: q(z | x) = N(W_μ x + b_μ, diag exp(2 (W_s x + b_s))), fitted from the prior by maximising the \
             IWAE bound with K = {} (DReG gradients, Adam, learning rate {}, {} steps), then held fixed.",
            c.fit.k, c.fit.learning_rate, c.fit.steps
        ),
        format!(
            "Estimators of the batch gradient ∇θ Σ_n log p(x_n): ELBO, IWAE, C-ISIR (ISIR kernel, β = 0) and \
             C-ISIR-DISIR (ISIR step then DISIR step). The coupled ones are the lagged estimator with t0 = {}, \
             L = {}, one pair of chains per point, capped at {} iterations (capped runs are counted, never hidden).",
            c.lag.t0, c.lag.lag, c.lag.max_iter
        ),
        match &c.beta {
            BetaChoice::Ess => ess_rule_setting(c),
            BetaChoice::Fixed(beta) => format!(
                "β: fixed at {beta} for every K and D (chosen by the β sweep, `--sweep beta`: at K = 10, D = 100 it \
                 has the smallest variance × cost and, with the cap, keeps truncated replicates at about 1%; \
                 `--beta ess` restores the paper's ESS rule)."
            ),
            BetaChoice::Pilot(p) => format!(
                "β: chosen per problem and K by a pilot of {} batch estimates at each of {:?}, keeping the smallest \
                 measured variance × cost, then fixed for every replicate.",
                p.replicates, p.candidates
            ),
        },
        format!(
            "Replicates (one replicate = one batch-gradient estimate over all N points): {} per estimator at K = {}, \
             and for IWAE at every K ∈ {{{}}}; {} for each coupled estimator at the other K; ELBO at K = {} only.",
            int(c.replicates),
            c.main_k,
            ks.join(", "),
            int(c.sweep_replicates),
            c.main_k
        ),
        format!(
            "Dimension sweep (meeting times only): D ∈ {{{}}}, K = {}, the first {} points, one problem per D with its \
             encoder fitted the same way, {} batch runs per kernel.",
            dims.join(", "),
            c.main_k,
            c.dimension_sweep.points,
            int(c.dimension_sweep.replicates)
        ),
        format!(
            "Unbiasedness check: for every one of the P + D·P = {} components, z_j = (mean signed error_j) / (its \
             standard error) against the exact gradient; no bias is detected when max_j |z_j| ≤ {:.3}, the \
             Bonferroni bound for a family-wise level of {} (two-sided). The bound assumes normal z_j, which \
             needs many replicates (with R replicates z_j is closer to Student's t with R − 1 degrees of freedom, \
             whose tails are far heavier): a cell with fewer than {} replicates is reported as \"too few \
             replicates to judge\".",
            int(c.components_count() as u64),
            s.bonferroni_bound,
            c.alpha,
            MIN_REPLICATES_FOR_VERDICT
        ),
        format!(
            "Components shown: the intercept {} (pixel {} = row {}, column {} of the 28 × 28 image when P = 784: \
             the centre) and the weight {}; chosen before running, not from the results.",
            c.components.intercept_label(),
            c.components.pixel,
            c.components.pixel / 28,
            c.components.pixel % 28,
            c.components.weight_label()
        ),
        "Costs: particle evaluations = proposal sets × K (log-weights computed); kernel applications = \
         single-chain steps plus two per coupled step, summed over the points (the cost of the lagged \
         estimator, the project's `docs/method.md` §5); wall seconds of one batch estimate on this machine."
            .to_string(),
    ];
    for l in lines {
        let _ = writeln!(md, "- {l}");
    }
    md.push('\n');
}

fn fits(md: &mut String, s: &Summary) {
    let _ = writeln!(md, "## Encoder fits\n");
    let mut t = MarkdownTable::new([
        "problem",
        "D",
        "N",
        "fitted IWAE bound / point",
        "exact log-likelihood / point",
        "gap (nats)",
    ]);
    let main = std::iter::once(("main", &s.setup.main_fit));
    let sweep = s
        .setup
        .dimension_fits
        .iter()
        .map(|f| ("dimension sweep", f));
    for (name, f) in main.chain(sweep) {
        t.push_row([
            name.to_string(),
            f.d.to_string(),
            f.points.to_string(),
            format_plus_minus(f.bound, f.bound_se),
            num(f.log_likelihood),
            num(f.log_likelihood - f.bound),
        ]);
    }
    let _ = writeln!(md, "{t}");
}

fn verdict(ok: bool) -> &'static str {
    if ok { "yes" } else { "**no**" }
}

/// The "≤ bound" column: yes, **no**, or too few replicates to judge.
fn within_bound(v: Verdict) -> &'static str {
    match v {
        Verdict::NoBiasDetected => "yes",
        Verdict::BiasDetected => "**no**",
        Verdict::TooFewReplicates => "too few R",
    }
}

fn acceptance(md: &mut String, s: &Summary) {
    let a = &s.acceptance;
    let _ = writeln!(md, "## Acceptance\n");
    let _ = writeln!(
        md,
        "The check must pass where it should and fail where it should: the run is accepted when both coupled \
         estimators show no bias at any K and IWAE, whose bias is largest at the smallest K, is detected as \
         biased at K = 2 (the paper's reference results, the project's `docs/method.md` §8). Each of these \
         cells needs at least {MIN_REPLICATES_FOR_VERDICT} replicates to be judged.\n"
    );
    if a.verdict != AcceptanceVerdict::TooFewReplicates {
        let _ = writeln!(
            md,
            "- Both coupled estimators keep every |z_j| within {:.3} at every K: {}.",
            s.bonferroni_bound,
            verdict(a.coupled_within_bound)
        );
        match a.iwae_k2_max_abs_z {
            Some(z) => {
                let _ = writeln!(
                    md,
                    "- IWAE at K = 2 fails the same check: {} (max |z| = {}, {}× the bound).",
                    verdict(a.iwae_k2_detected == Some(true)),
                    num(z),
                    num(z / s.bonferroni_bound)
                );
            }
            None => {
                let _ = writeln!(md, "- IWAE at K = 2 was not run.");
            }
        }
    }
    let _ = writeln!(
        md,
        "- Overall: {}.\n",
        match a.verdict {
            AcceptanceVerdict::Passed => "**passed**",
            AcceptanceVerdict::NotPassed => "**not passed**",
            AcceptanceVerdict::TooFewReplicates => "**too few replicates to judge**",
        }
    );
}

fn component_cell(x: &ComponentSummary) -> [String; 2] {
    [format_plus_minus(x.mean_error, x.standard_error), num(x.z)]
}

fn estimator_tables(md: &mut String, s: &Summary, e: EstimatorKind) {
    let cells = s.by_k(e);
    if cells.is_empty() {
        return;
    }
    let c = &s.config;
    let _ = writeln!(md, "### {}\n", e.label());
    let (il, wl) = (c.components.intercept_label(), c.components.weight_label());
    let mut t = MarkdownTable::new([
        "K".to_string(),
        "R".into(),
        format!("mean error {il} ± s.e."),
        format!("z {il}"),
        format!("mean error {wl} ± s.e."),
        format!("z {wl}"),
        "max |z| (component)".into(),
        "≤ bound".into(),
        "rel. abs. error".into(),
        "particle evals".into(),
        "wall s / estimate".into(),
    ]);
    for cell in &cells {
        let mut row = vec![cell.cell.k.to_string(), int(cell.replicates)];
        match &cell.check {
            Some(x) => {
                row.extend(component_cell(&x.intercept));
                row.extend(component_cell(&x.weight));
                row.push(format!("{} ({})", num(x.max_abs_z), x.argmax));
                row.push(within_bound(x.verdict).into());
                row.push(num(x.relative_abs_error));
            }
            None => row.extend(std::iter::repeat_n("–".to_string(), 7)),
        }
        row.push(num(cell.cost.particle_evaluations));
        row.push(num(cell.cost.wall_seconds));
        t.push_row(row);
    }
    let _ = writeln!(md, "{t}");
    if e.is_coupled() {
        let _ = writeln!(md, "{}", truncation_sentence(&cells, c.lag.max_iter));
        let _ = writeln!(md, "{}", meeting_table(&cells, "K", |c| c.cell.k));
    }
}

/// A plain sentence, next to the z-test, on how many replicates a capped (truncated, hence biased) chain
/// touched in each cell, and what a passed z-test then means.
fn truncation_sentence(cells: &[&CellSummary], cap: usize) -> String {
    let parts: Vec<String> = cells
        .iter()
        .map(|cell| {
            let share = cell.capped_replicates as f64 / cell.replicates.max(1) as f64;
            format!(
                "K = {}: {} of {} ({:.1}%)",
                cell.cell.k,
                int(cell.capped_replicates),
                int(cell.replicates),
                100.0 * share
            )
        })
        .collect();
    let touched = cells.iter().any(|c| c.capped_replicates > 0);
    let meaning = if touched {
        "A replicate with a chain stopped at the cap is truncated, hence biased; where such replicates are \
         common, \"within the bound\" says only that the truncation bias is below what these replicates can \
         detect, not that it is absent."
    } else {
        "No replicate was truncated, so the z-test checks the estimator itself."
    };
    format!(
        "Replicates containing at least one chain capped at {cap} iterations: {}. {meaning}\n",
        parts.join("; ")
    )
}

fn meeting_table(
    cells: &[&CellSummary],
    key: &str,
    value: fn(&CellSummary) -> usize,
) -> MarkdownTable {
    let mut t = MarkdownTable::new([
        key,
        "N",
        "R",
        "β",
        "τ mean",
        "τ median",
        "τ 90%",
        "τ 99%",
        "τ max",
        "capped points",
        "capped replicates",
        "kernel applications",
    ]);
    for cell in cells {
        let m = cell.meeting.as_ref();
        t.push_row([
            value(cell).to_string(),
            cell.points.to_string(),
            int(cell.replicates),
            opt(cell.beta),
            opt(m.map(|m| m.mean)),
            opt(m.map(|m| m.median)),
            opt(m.map(|m| m.q90)),
            opt(m.map(|m| m.q99)),
            opt(m.map(|m| m.max)),
            m.map_or("–".into(), |m| {
                format!("{} of {}", int(m.capped), int(m.runs))
            }),
            int(cell.capped_replicates),
            num(cell.cost.kernel_applications),
        ]);
    }
    t
}

fn dimension_table(md: &mut String, s: &Summary) {
    let _ = writeln!(md, "### Meeting times against the latent dimension\n");
    if [EstimatorKind::CoupledIsir, EstimatorKind::CoupledIsirDisir]
        .iter()
        .all(|&e| s.by_d(e).is_empty())
    {
        let _ = writeln!(md, "Not run: these settings have no dimension sweep.\n");
    }
    for e in [EstimatorKind::CoupledIsir, EstimatorKind::CoupledIsirDisir] {
        let cells = s.by_d(e);
        if !cells.is_empty() {
            let _ = writeln!(
                md,
                "{} (K = {}):\n\n{}",
                e.label(),
                s.config.main_k,
                meeting_table(&cells, "D", |c| c.cell.d)
            );
        }
    }
}

fn inefficiency_table(md: &mut String, s: &Summary) {
    let _ = writeln!(md, "### Inefficiency at K = {}\n", s.config.main_k);
    let mut t = MarkdownTable::new([
        "estimator",
        "squared bias (est.)",
        "total variance",
        "particle evals",
        "variance × evals",
        "wall s",
        "variance × wall s",
    ]);
    for c in s.main_cells() {
        t.push_row([
            c.name.clone(),
            opt(c.check.as_ref().map(|x| x.squared_bias)),
            opt(c.check.as_ref().map(|x| x.total_variance)),
            num(c.cost.particle_evaluations),
            opt(c.inefficiency),
            num(c.cost.wall_seconds),
            opt(c.inefficiency_wall),
        ]);
    }
    let _ = writeln!(
        md,
        "Total variance: the variance of the estimate summed over all components (the trace of its covariance). \
         Squared bias: Σ_j (mean error_j² − variance_j / R), an unbiased estimate of the summed squared bias (noise \
         around zero for an unbiased estimator); the mean squared error is their sum.\n\n{t}"
    );
}

/// The settings line for the ESS rule's warm-up.
fn ess_rule_setting(c: &Config) -> String {
    let rule = match c.warmup.rule {
        BetaRule::Linear => "the paper's update towards ESS = 0.3 K, one per iteration",
        BetaRule::LogComplement => {
            "the stable update of ln(1 − β) towards ESS = 0.3 K, one per run from the run's mean ESS"
        }
    };
    format!(
        "β: global per problem and K, adapted during a warm-up of {} sequential C-ISIR-DISIR runs from β = {} \
         ({rule}, applied between runs, from the ESS averaged \
         over all points at the iterations every point's run reaches), then frozen at the average of the second half \
         of its trajectory: every replicate uses the same β, so replicates are i.i.d. Where the DISIR step's ESS \
         only reaches 0.3 K very close to β = 1, the rule oscillates (see the β figure) and the average is a \
         compromise, not a converged value. At K = 2 the target ESS 0.6 is below the smallest possible ESS (1), \
         so β goes to its lower bound 1e-6 and the DISIR step becomes a second ISIR step.",
        c.warmup.runs, c.warmup.beta0
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ppca::test_support::tiny_summary;

    #[test]
    fn a_run_without_a_dimension_sweep_says_so_instead_of_an_empty_section() {
        let mut summary = tiny_summary();
        let with = render(&summary, &[]);
        assert!(!with.contains("Not run: these settings have no dimension sweep"));
        summary
            .cells
            .retain(|c| c.cell.sweep != crate::ppca::cells::Sweep::Dimension);
        let without = render(&summary, &[]);
        assert!(without.contains("Not run: these settings have no dimension sweep"));
    }

    #[test]
    fn truncation_is_stated_next_to_every_coupled_z_test() {
        let summary = tiny_summary();
        let md = render(&summary, &[]);
        let coupled = [EstimatorKind::CoupledIsir, EstimatorKind::CoupledIsirDisir]
            .iter()
            .filter(|&&e| !summary.by_k(e).is_empty())
            .count();
        assert!(coupled > 0, "the tiny run has coupled cells");
        assert_eq!(
            md.matches("Replicates containing at least one chain capped at")
                .count(),
            coupled
        );
        let mut cell = summary.by_k(EstimatorKind::CoupledIsirDisir)[0].clone();
        cell.capped_replicates = 3;
        cell.replicates = 4;
        let line = truncation_sentence(&[&cell], 1000);
        assert!(
            line.contains("3 of 4 (75.0%)") && line.contains("truncated, hence biased"),
            "{line}"
        );
    }

    #[test]
    fn the_report_cites_what_a_reader_can_look_up() {
        let md = render(&tiny_summary(), &[]);
        assert!(md.contains("`docs/method.md` §5") && md.contains("`docs/method.md` §8"));
        assert!(
            !md.contains("issue 6") && !md.contains(" method.md"),
            "uncitable reference"
        );
    }

    #[test]
    fn too_few_replicates_are_not_judged_in_the_report() {
        let mut s = tiny_summary();
        let md = render(&s, &[]);
        assert!(md.contains("- Overall: **too few replicates to judge**."));
        assert!(
            md.contains("| too few R "),
            "the ≤ bound column says why there is no verdict"
        );
        assert!(!md.contains("**no**") && !md.contains("**not passed**"));
        // With enough replicates the verdicts are shown.
        s.acceptance.verdict = AcceptanceVerdict::NotPassed;
        let md = render(&s, &[]);
        assert!(
            md.contains("- Overall: **not passed**.") && md.contains("- Both coupled estimators")
        );
    }

    #[test]
    fn failures_and_partial_results_are_said_so() {
        let mut s = tiny_summary();
        s.acceptance.verdict = AcceptanceVerdict::NotPassed;
        s.complete = false;
        let md = render(&s, &[]);
        assert!(md.contains("**not passed**") && md.contains("**Partial results**"));
        assert!(md.contains("### C-ISIR-DISIR"));
    }
}
