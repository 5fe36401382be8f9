//! The window sweep's numbers (`summary.json`), its report (`report.md`) and its figures.
//!
//! For each estimator and window `(k, m)`: the total variance of the batch gradient, its cost in particle
//! evaluations, variance × cost (each with a standard error), the largest `|z|` of the estimate's mean
//! against the exact gradient with its Bonferroni bound (`H_{k:m}` is unbiased for every `k ≤ m`, so this
//! is a check), and the share of replicates touched by the cap. Then the best window, its gain over the
//! paper's `(t0, t0 + L − 1)`, and how the windows Jacob, O'Leary & Atchadé advise (`k` at a high quantile
//! of τ, `m` several times `k`) compare.

use serde::{Deserialize, Serialize};
use ucg_estimators::summary::bonferroni_z;
use ucg_report::{
    Axis, ErrorBarChart, ErrorPoint, MarkdownTable, format_number_sig, write_json, write_text,
};

use super::beta_sweep::SweepReplicate;
use super::beta_sweep_summary::{Efficiency, WithError, fmt_with_error};
use super::config::Config;
use super::figures::save_figure;
use super::verdict::Verdict;
use super::window_sweep::{PilotRecord, WindowCheckpoint, WindowSetup, WindowSweepSettings};
use crate::AnyResult;
use crate::progress::Ui;
use ucg_files::RunFolder;

/// The smallest multiple `m / k` that counts as "several times k" in Jacob, O'Leary & Atchadé's advice.
pub const SEVERAL: usize = 5;

/// One window's numbers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WindowSummary {
    /// First iteration of the time average.
    pub k: usize,
    /// Last iteration.
    pub m: usize,
    /// Whether this is the paper's window `(t0, t0 + L − 1)`.
    pub paper: bool,
    /// Replicates.
    pub replicates: u64,
    /// Variance, cost, inefficiency, truncation.
    pub efficiency: Efficiency,
    /// Inefficiency relative to the paper's window, as the ratio of the mean squared errors (the total
    /// variance of an unbiased estimator) times the ratio of the costs, with a paired standard error.
    pub relative_to_paper: Option<WithError>,
    /// `max_j |z_j|` of the mean error over all components.
    pub max_abs_z: f64,
    /// The verdict against the Bonferroni bound.
    pub verdict: Verdict,
}

/// One estimator's windows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EstimatorWindows {
    /// Display name.
    pub estimator: String,
    /// The pilot that placed the grid.
    pub pilot: PilotRecord,
    /// Every window in `(k, m)` order.
    pub windows: Vec<WindowSummary>,
    /// The window of smallest inefficiency.
    pub best: (usize, usize),
    /// The advised window (`k` at the highest pilot quantile's start, `m ≥` [`SEVERAL`]`·k`) of smallest
    /// inefficiency, if the grid has one.
    pub advised: Option<(usize, usize)>,
}

/// Everything the sweep measured.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WindowSweepSummary {
    /// The command that wrote it.
    pub command: String,
    /// The study's settings.
    pub config: Config,
    /// The sweep's.
    pub sweep: WindowSweepSettings,
    /// The Bonferroni bound on `max |z|` at the study's family-wise level.
    pub bound: f64,
    /// C-ISIR, then C-ISIR-DISIR.
    pub estimators: Vec<EstimatorWindows>,
}

impl EstimatorWindows {
    /// The window `(k, m)`.
    pub fn window(&self, w: (usize, usize)) -> Option<&WindowSummary> {
        self.windows.iter().find(|s| (s.k, s.m) == w)
    }
    /// The paper's window.
    pub fn paper(&self) -> Option<&WindowSummary> {
        self.windows.iter().find(|s| s.paper)
    }
}

fn cost_of(r: &SweepReplicate) -> f64 {
    r.particle_evaluations as f64
}

/// Summarises one estimator's checkpoint.
///
/// # Errors
/// Fewer than 2 replicates, or an inconsistent checkpoint.
pub fn summarise_estimator(
    c: &WindowCheckpoint,
    pilot: &PilotRecord,
    config: &Config,
    bound: f64,
) -> AnyResult<EstimatorWindows> {
    let paper = (config.lag.t0, config.lag.t0 + config.lag.lag - 1);
    let mut windows = Vec::with_capacity(c.windows.len());
    for (w, &(k, m)) in c.windows.iter().enumerate() {
        let replicates = &c.replicates[w];
        if replicates.len() < 2 {
            return Err(format!(
                "{} window ({k}, {m}): fewer than 2 replicates",
                c.estimator.label()
            )
            .into());
        }
        let zeros = vec![0.0; c.errors[w].dim()];
        let max_abs_z = c.errors[w]
            .z_scores(&zeros)?
            .iter()
            .fold(0.0f64, |a, z| a.max(z.abs()));
        let r = replicates.len() as u64;
        windows.push(WindowSummary {
            k,
            m,
            paper: (k, m) == paper,
            replicates: r,
            efficiency: Efficiency::measure(&c.errors[w], replicates),
            relative_to_paper: None,
            max_abs_z,
            verdict: Verdict::judge(r, max_abs_z, bound),
        });
    }
    if let Some(p) = c.windows.iter().position(|&w| w == paper) {
        let column = |w: usize, f: fn(&SweepReplicate) -> f64| -> Vec<f64> {
            c.replicates[w].iter().map(f).collect()
        };
        let (errors_p, cost_p) = (column(p, |r| r.squared_error), column(p, cost_of));
        for (w, summary) in windows.iter_mut().enumerate() {
            let errors = WithError::paired_ratio(&column(w, |r| r.squared_error), &errors_p);
            let cost = WithError::paired_ratio(&column(w, cost_of), &cost_p);
            summary.relative_to_paper = Some(errors.times(cost));
        }
    }
    let by_inefficiency = |a: &&WindowSummary, b: &&WindowSummary| {
        a.efficiency
            .inefficiency
            .value
            .total_cmp(&b.efficiency.inefficiency.value)
    };
    let best = windows
        .iter()
        .min_by(by_inefficiency)
        .map(|w| (w.k, w.m))
        .ok_or("no window")?;
    let high_k = windows.iter().map(|w| w.k).max().unwrap_or(0);
    let advised = windows
        .iter()
        .filter(|w| w.k == high_k && w.k > config.lag.t0 && w.m >= SEVERAL * w.k)
        .min_by(by_inefficiency)
        .map(|w| (w.k, w.m));
    Ok(EstimatorWindows {
        estimator: c.estimator.label().to_string(),
        pilot: pilot.clone(),
        windows,
        best,
        advised,
    })
}

/// Summarises the sweep, writes `summary.json`, `report.md` and the figures into `out`.
///
/// # Errors
/// Checkpoints without replicates, or I/O errors.
pub fn write_window_outputs(
    folder: &RunFolder,
    config: &Config,
    sweep: &WindowSweepSettings,
    setup: &WindowSetup,
    done: &[WindowCheckpoint],
    command: &str,
    ui: &Ui,
) -> AnyResult<WindowSweepSummary> {
    let components = done
        .first()
        .map_or(1, |c| c.errors.first().map_or(1, |e| e.dim()));
    let bound = bonferroni_z(config.alpha, components.max(1))?;
    let estimators = done
        .iter()
        .zip(&setup.pilots)
        .map(|(c, p)| summarise_estimator(c, p, config, bound))
        .collect::<AnyResult<Vec<_>>>()?;
    let summary = WindowSweepSummary {
        command: command.to_string(),
        config: config.clone(),
        sweep: sweep.clone(),
        bound,
        estimators,
    };
    write_json(folder.file("summary.json")?, &summary)?;
    let figures = draw_figures(folder, &summary, ui)?;
    write_text(folder.file("report.md")?, &report(&summary, &figures))?;
    Ok(summary)
}

/// The report (markdown), with links to `figures`.
pub fn report(s: &WindowSweepSummary, figures: &[(String, String)]) -> String {
    let c = &s.config;
    let mut out = format!(
        "# Window sweep: H_{{k:m}} against (k, m) (K = {}, D = {}, N = {})\n\n\
         Command: `{}`. {} replicates per estimator, every window of an estimator computed from the same \
         runs (one run per point to the largest m), both estimators on the same replicate seeds; L = {}, \
         cap {} iterations, C-ISIR-DISIR at the study's β. The grid: k = t0 = {} and k at the {:?} \
         quantiles of τ from a {}-run pilot (meeting times only), m ∈ {{k + L − 1}} ∪ {{c·k : c ∈ {:?}}} up \
         to {}. The check of each window compares the largest |z| over {} components with the Bonferroni \
         bound {:.2} (family-wise level {}).\n\n",
        c.main_k,
        c.latent_dim,
        c.points,
        s.command,
        s.sweep.replicates,
        c.lag.lag,
        c.lag.max_iter,
        c.lag.t0,
        s.sweep.quantiles,
        s.sweep.pilot_replicates,
        s.sweep.multiples,
        s.sweep.longest,
        c.components_count(),
        s.bound,
        c.alpha,
    );
    for e in &s.estimators {
        out.push_str(&format!(
            "## {}\n\nPilot: mean τ {}, quantiles {} → windows {:?}.\n\n",
            e.estimator,
            format_number_sig(e.pilot.meeting.mean, 3),
            e.pilot
                .quantiles
                .iter()
                .zip(&s.sweep.quantiles)
                .map(|(v, q)| format!("q{} = {}", q * 100.0, format_number_sig(*v, 3)))
                .collect::<Vec<_>>()
                .join(", "),
            e.pilot.windows,
        ));
        let mut table = MarkdownTable::new([
            "k",
            "m",
            "total variance",
            "cost (particle evals)",
            "variance × cost",
            "÷ paper's",
            "max |z|",
            "check",
            "replicates touched",
        ]);
        for w in &e.windows {
            let mark = if w.paper {
                " (paper)"
            } else if (w.k, w.m) == e.best {
                " (best)"
            } else {
                ""
            };
            table.push_row([
                w.k.to_string(),
                format!("{}{mark}", w.m),
                fmt_with_error(w.efficiency.total_variance),
                fmt_with_error(w.efficiency.cost),
                fmt_with_error(w.efficiency.inefficiency),
                w.relative_to_paper.map_or("—".into(), fmt_with_error),
                format!("{:.2}", w.max_abs_z),
                w.verdict.describe().to_string(),
                format!("{} / {}", w.efficiency.touched_replicates, w.replicates),
            ]);
        }
        out.push_str(&table.to_markdown());
        out.push('\n');
        out.push_str(&findings(s, e));
        out.push('\n');
    }
    out.push_str(
        "The total variance is the trace of the estimate's covariance over replicates (± the standard error \
         of the mean squared error); cost is the mean number of particle log-weight evaluations per batch \
         estimate; the ratio to the paper's window is that of the mean squared errors (the total variance of an \
         unbiased estimator) times that of the costs, with a paired standard error (both windows come from \
         the same runs, so their errors are correlated). A replicate is *touched* when \
         one of its chains hit the cap; all windows share the chains, hence the count.\n",
    );
    for (stem, caption) in figures {
        out.push_str(&format!("\n![{caption}]({stem}.png)\n\n{caption}\n"));
    }
    out
}

/// The plain sentences for one estimator.
pub fn findings(s: &WindowSweepSummary, e: &EstimatorWindows) -> String {
    let mut out = String::new();
    let (Some(best), Some(paper)) = (e.window(e.best), e.paper()) else {
        return out;
    };
    let rel = best.relative_to_paper.unwrap_or(WithError {
        value: 1.0,
        se: 0.0,
    });
    out.push_str(&format!(
        "- Smallest variance × cost: (k, m) = ({}, {}), {}, against the paper's (k, m) = ({}, {}) at {}: \
         ratio {}{}.\n",
        best.k,
        best.m,
        fmt_with_error(best.efficiency.inefficiency),
        paper.k,
        paper.m,
        fmt_with_error(paper.efficiency.inefficiency),
        fmt_with_error(rel),
        if (best.k, best.m) == (paper.k, paper.m) {
            " (the paper's window is the best)"
        } else if rel.value + 2.0 * rel.se < 1.0 {
            " (more than two standard errors below 1)"
        } else {
            " (within two standard errors of 1: no clear gain)"
        },
    ));
    match e.advised.and_then(|w| e.window(w)) {
        Some(a) => {
            let r = a.relative_to_paper.unwrap_or(rel);
            let verdict = if r.value - 2.0 * r.se > 1.0 {
                "loses to the paper's window by more than two standard errors"
            } else if r.value + 2.0 * r.se < 1.0 {
                "beats the paper's window by more than two standard errors"
            } else {
                "is within two standard errors of the paper's window"
            };
            out.push_str(&format!(
                "- Jacob, O'Leary & Atchadé's advice (k near the {}% quantile of τ, m ≥ {}k): its best window \
                 (k, m) = ({}, {}) has variance × cost {}, {} × the paper's: the advice {verdict} on PPCA.\n",
                s.sweep.quantiles.last().map_or(0.0, |q| q * 100.0),
                SEVERAL,
                a.k,
                a.m,
                fmt_with_error(a.efficiency.inefficiency),
                fmt_with_error(r),
            ));
        }
        None => out.push_str(&format!(
            "- The grid holds no window with k at the highest quantile and m ≥ {SEVERAL}k (raise --longest).\n"
        )),
    }
    let flagged: Vec<String> = e
        .windows
        .iter()
        .filter(|w| w.verdict == Verdict::BiasDetected)
        .map(|w| format!("({}, {})", w.k, w.m))
        .collect();
    let judged = e
        .windows
        .iter()
        .all(|w| w.verdict != Verdict::TooFewReplicates);
    out.push_str(&if !judged {
        format!(
            "- Unbiasedness check: too few replicates to judge (fewer than {}).\n",
            super::verdict::MIN_REPLICATES_FOR_VERDICT
        )
    } else if flagged.is_empty() {
        format!(
            "- Unbiasedness check: no window's largest |z| exceeds the bound {:.2} (largest {:.2}).\n",
            s.bound,
            e.windows.iter().map(|w| w.max_abs_z).fold(0.0, f64::max)
        )
    } else {
        format!("- Unbiasedness check: |z| above the bound at {}.\n", flagged.join(", "))
    });
    out
}

/// A metric against `m`, one series per `k`, the paper's window and the best marked, a reference line at
/// `reference`.
fn window_chart(
    e: &EstimatorWindows,
    title: String,
    y: Axis,
    metric: impl Fn(&WindowSummary) -> Option<WithError>,
    reference: Option<f64>,
) -> ErrorBarChart {
    let point = |w: &WindowSummary| {
        let v = metric(w)?;
        Some(ErrorPoint::new(w.m as f64, v.value, 2.0 * v.se))
    };
    let mut ks: Vec<usize> = e.windows.iter().map(|w| w.k).collect();
    ks.dedup();
    let mut chart = ErrorBarChart::new(
        title,
        Axis::log("m (last iteration of the time average)"),
        y,
    )
    .with_lines(true)
    .with_dodge(0.0)
    .with_reference_line(reference);
    for k in ks {
        chart = chart.series(
            format!("k = {k}"),
            e.windows
                .iter()
                .filter(|w| w.k == k)
                .filter_map(point)
                .collect::<Vec<_>>(),
        );
    }
    let paper: Vec<ErrorPoint> = e.paper().and_then(point).into_iter().collect();
    let best: Vec<ErrorPoint> = e.window(e.best).and_then(point).into_iter().collect();
    chart
        .series("paper's (k, m) = (t0, t0 + L − 1)", paper)
        .series("smallest variance × cost", best)
}

/// Draws the sweep's figures into `dir`; returns `(stem relative to the folder, caption)` pairs.
fn draw_figures(
    folder: &RunFolder,
    s: &WindowSweepSummary,
    ui: &Ui,
) -> AnyResult<Vec<(String, String)>> {
    let mut out = Vec::new();
    for e in &s.estimators {
        let slug = e.estimator.to_lowercase().replace(' ', "-");
        let chart = window_chart(
            e,
            format!("{}: variance × cost against m (±2 s.e.)", e.estimator),
            Axis::log("total variance × particle evaluations"),
            |w| Some(w.efficiency.inefficiency),
            e.paper().map(|w| w.efficiency.inefficiency.value),
        );
        out.push((
            save_figure(folder, &format!("window_inefficiency_{slug}"), chart, ui)?,
            format!(
                "{}: variance × cost of H_{{k:m}} against m for each k (log-log, ±2 s.e.); the dashed line \
                 is the paper's window's.",
                e.estimator
            ),
        ));
        let chart = window_chart(
            e,
            format!(
                "{}: variance × cost ÷ the paper's window's (±2 paired s.e.)",
                e.estimator
            ),
            Axis::log("ratio to (k, m) = (t0, t0 + L − 1)"),
            |w| w.relative_to_paper,
            Some(1.0),
        );
        out.push((
            save_figure(folder, &format!("window_ratio_{slug}"), chart, ui)?,
            format!(
                "{}: variance × cost of each window divided by the paper's, with ±2 paired standard errors \
                 (the windows share their runs, so their ratio is much better determined than either value).",
                e.estimator
            ),
        ));
    }
    Ok(out)
}
