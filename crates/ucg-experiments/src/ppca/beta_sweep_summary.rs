//! The β sweep's numbers (`summary.json`), its report (`report.md`) and its figures.
//!
//! For each point: the meeting-time distribution over every point-run, the share of replicates touched by
//! truncation (a replicate with a capped chain is biased), the total variance of the batch-gradient
//! estimate (the trace of its covariance over replicates), the mean cost in particle evaluations, and the
//! inefficiency `variance × cost`, each with a standard error; and the cap at which at most 1 % of the
//! replicates would have been touched, with the kernel applications that cap costs.

use serde::{Deserialize, Serialize};
use ucg_estimators::cost::{cap_for_budget, expected_run_cost};
use ucg_estimators::summary::Moments;
use ucg_report::{
    Axis, ErrorBarChart, ErrorPoint, MarkdownTable, format_number_sig, write_json, write_text,
};

use super::beta_sweep::{
    BetaSweepSettings, PointCheckpoint, SweepPoint, SweepReplicate, SweepSetup,
};
use super::config::Config;
use super::figures::save_figure;
use super::meeting::MeetingStats;
use crate::AnyResult;
use crate::progress::Ui;
use ucg_files::RunFolder;

/// The largest share of replicates with a capped chain that the study accepts: beyond it, truncation
/// would be a visible part of the estimate.
pub const TRUNCATION_BUDGET: f64 = 0.01;

pub use ucg_estimators::efficiency::WithError;

/// One point's numbers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PointSummary {
    /// The point.
    pub point: SweepPoint,
    /// Display label.
    pub label: String,
    /// Replicates (batch estimates).
    pub replicates: u64,
    /// Meeting times of every point-run (capped runs at the cap).
    pub meeting: MeetingStats,
    /// Replicates containing at least one capped chain.
    pub touched_replicates: u64,
    /// Their share, with its binomial standard error.
    pub touched_fraction: WithError,
    /// Trace of the covariance of the batch-gradient estimate over replicates; its standard error is that
    /// of the mean of `‖estimate − exact‖²`, which estimates the same quantity for an unbiased estimator.
    pub total_variance: WithError,
    /// Particle log-weight evaluations per batch estimate.
    pub cost: WithError,
    /// `total_variance × cost`; the standard error combines the two relative errors as if independent.
    pub inefficiency: WithError,
    /// The smallest cap at which at most [`TRUNCATION_BUDGET`] of these replicates would have had a capped
    /// chain; `None` when that needs more than the sweep's own cap.
    pub cap_for_budget: Option<usize>,
    /// Kernel applications per batch estimate with the study's cap (from the meeting times).
    pub kernel_applications_study_cap: f64,
    /// Kernel applications per batch estimate with [`PointSummary::cap_for_budget`].
    pub kernel_applications_budget_cap: Option<f64>,
}

/// Everything the sweep measured.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BetaSweepSummary {
    /// The command that wrote it.
    pub command: String,
    /// The study's settings.
    pub config: Config,
    /// The sweep's settings.
    pub sweep: BetaSweepSettings,
    /// The ESS rule's warm-up trajectory and frozen β.
    pub ess_trajectory: Vec<f64>,
    /// Every point, C-ISIR first, then the fixed β ascending, then the ESS rule.
    pub points: Vec<PointSummary>,
    /// The C-ISIR-DISIR point with the smallest inefficiency.
    pub best: Option<String>,
    /// The fixed β whose total variance lies more than two standard errors below C-ISIR's.
    pub betas_reducing_variance: Vec<f64>,
}

/// What replicated estimates cost and how much they vary: the measures every sweep reports.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Efficiency {
    /// Trace of the covariance of the batch-gradient estimate over replicates; its standard error is that
    /// of the mean of `‖estimate − exact‖²`, which estimates the same quantity for an unbiased estimator.
    pub total_variance: WithError,
    /// Particle log-weight evaluations per batch estimate.
    pub cost: WithError,
    /// `total_variance × cost`; the standard error combines the two relative errors as if independent.
    pub inefficiency: WithError,
    /// Replicates containing at least one capped chain.
    pub touched_replicates: u64,
    /// Their share, with its binomial standard error.
    pub touched_fraction: WithError,
}

impl Efficiency {
    /// The measures of `replicates`, whose errors `estimate − exact` have the moments `errors`.
    pub fn measure(errors: &Moments, replicates: &[SweepReplicate]) -> Self {
        let touched = replicates.iter().filter(|x| x.capped_points > 0).count() as u64;
        let variance = errors.variance().iter().sum::<f64>();
        let squared_errors: Vec<f64> = replicates.iter().map(|x| x.squared_error).collect();
        let mse = WithError::mean_of(&squared_errors);
        let total_variance = WithError {
            value: variance,
            se: mse.se,
        };
        let costs: Vec<f64> = replicates
            .iter()
            .map(|x| x.particle_evaluations as f64)
            .collect();
        let cost = WithError::mean_of(&costs);
        Efficiency {
            total_variance,
            cost,
            inefficiency: total_variance.times(cost),
            touched_replicates: touched,
            touched_fraction: WithError::proportion(touched, replicates.len() as u64),
        }
    }
}

/// Summarises one point.
///
/// # Errors
/// A point without replicates.
pub fn summarise_point(
    c: &PointCheckpoint,
    config: &Config,
    sweep: &BetaSweepSettings,
) -> AnyResult<PointSummary> {
    let r = c.replicates.len() as u64;
    if r < 2 {
        return Err(format!("{}: fewer than 2 replicates", c.point.label()).into());
    }
    let e = Efficiency::measure(&c.errors, &c.replicates);
    let tau_max: Vec<usize> = c.replicates.iter().map(|x| x.tau_max).collect();
    let cap = cap_for_budget(&tau_max, TRUNCATION_BUDGET, sweep.max_iter);
    let lag = config.lag.lag;
    let m = config.lag.t0 + lag - 1;
    let cost_at = |cap| expected_run_cost(&c.meeting, cap, lag, m) * config.points as f64;
    Ok(PointSummary {
        point: c.point,
        label: c.point.label(),
        replicates: r,
        meeting: c.meeting.summary()?,
        touched_replicates: e.touched_replicates,
        touched_fraction: e.touched_fraction,
        total_variance: e.total_variance,
        cost: e.cost,
        inefficiency: e.inefficiency,
        cap_for_budget: cap,
        kernel_applications_study_cap: cost_at(config.lag.max_iter),
        kernel_applications_budget_cap: cap.map(cost_at),
    })
}

/// Summarises the sweep, writes `summary.json`, `report.md` and the figures into `out`.
///
/// # Errors
/// Points without replicates, or I/O errors.
pub fn write_sweep_outputs(
    folder: &RunFolder,
    config: &Config,
    sweep: &BetaSweepSettings,
    setup: &SweepSetup,
    points: &[PointCheckpoint],
    command: &str,
    ui: &Ui,
) -> AnyResult<BetaSweepSummary> {
    let points = points
        .iter()
        .map(|c| summarise_point(c, config, sweep))
        .collect::<AnyResult<Vec<_>>>()?;
    let disir = || points.iter().filter(|p| p.point.beta().is_some());
    let best = disir()
        .min_by(|a, b| a.inefficiency.value.total_cmp(&b.inefficiency.value))
        .map(|p| p.label.clone());
    let reference = points
        .iter()
        .find(|p| p.point == SweepPoint::CIsir)
        .map(|p| p.total_variance);
    let betas_reducing_variance = match reference {
        Some(r) => disir()
            .filter(|p| matches!(p.point, SweepPoint::Fixed { .. }))
            .filter(|p| {
                let se = p.total_variance.se.hypot(r.se);
                p.total_variance.value < r.value - 2.0 * se
            })
            .filter_map(|p| p.point.beta())
            .collect(),
        None => Vec::new(),
    };
    let summary = BetaSweepSummary {
        command: command.to_string(),
        config: config.clone(),
        sweep: sweep.clone(),
        ess_trajectory: setup.ess_rule.trajectory.clone(),
        points,
        best,
        betas_reducing_variance,
    };
    write_json(folder.file("summary.json")?, &summary)?;
    let figures = draw_figures(folder, &summary, ui)?;
    write_text(folder.file("report.md")?, &report(&summary, &figures))?;
    Ok(summary)
}

/// `value ± se` with 3 and 2 significant digits.
pub fn fmt_with_error(v: WithError) -> String {
    format!(
        "{} ± {}",
        format_number_sig(v.value, 3),
        format_number_sig(v.se, 2)
    )
}

/// The report section on the β sweep (markdown), with links to `figures`.
pub fn report(s: &BetaSweepSummary, figures: &[(String, String)]) -> String {
    let c = &s.config;
    let mut out = format!(
        "# β sweep: C-ISIR-DISIR against β (K = {}, D = {}, N = {})\n\n\
         Command: `{}`. {} replicates per point, the same replicate seeds for every point (common random \
         numbers); cap {} iterations (the study's is {}); t0 = {}, L = {}. The ESS rule's β is the one its \
         warm-up froze ({} runs from β0 = {}).\n\n",
        c.main_k,
        c.latent_dim,
        c.points,
        s.command,
        s.sweep.replicates,
        s.sweep.max_iter,
        c.lag.max_iter,
        c.lag.t0,
        c.lag.lag,
        c.warmup.runs,
        c.warmup.beta0,
    );
    let mut table = MarkdownTable::new([
        "point",
        "mean τ",
        "q99 τ",
        "capped runs",
        "replicates touched",
        "total variance",
        "cost (particle evals)",
        "variance × cost",
        "cap for ≤ 1 % touched",
        "kernel apps at that cap / at the study's cap",
    ]);
    for p in &s.points {
        let ratio = p.kernel_applications_budget_cap.map_or("—".into(), |k| {
            format!("{:.2}", k / p.kernel_applications_study_cap)
        });
        table.push_row([
            p.label.clone(),
            format_number_sig(p.meeting.mean, 3),
            format_number_sig(p.meeting.q99, 3),
            format!("{} / {}", p.meeting.capped, p.meeting.runs),
            format!(
                "{} / {} ({:.1} %)",
                p.touched_replicates,
                p.replicates,
                100.0 * p.touched_fraction.value
            ),
            fmt_with_error(p.total_variance),
            fmt_with_error(p.cost),
            fmt_with_error(p.inefficiency),
            p.cap_for_budget
                .map_or(format!("> {}", s.sweep.max_iter), |c| c.to_string()),
            ratio,
        ]);
    }
    out.push_str(&table.to_markdown());
    out.push_str(
        "\nA replicate is *touched* when one of its chains hit the cap: its estimate is truncated, hence \
         biased. The total variance is the trace of the estimate's covariance over replicates (± the \
         standard error of the mean squared error, which estimates it for an unbiased estimator); cost is \
         the mean number of particle log-weight evaluations per batch estimate; the cap for ≤ 1 % touched \
         is read off the replicates' largest meeting times, and its cost ratio off the meeting-time \
         distribution.\n\n",
    );
    out.push_str(&findings(s));
    for (stem, caption) in figures {
        out.push_str(&format!("\n![{caption}]({stem}.png)\n\n{caption}\n"));
    }
    out
}

/// The plain sentences of the report.
pub fn findings(s: &BetaSweepSummary) -> String {
    let mut out = String::new();
    let cisir = s.points.iter().find(|p| p.point == SweepPoint::CIsir);
    let best = s
        .points
        .iter()
        .filter(|p| p.point.beta().is_some())
        .min_by(|a, b| a.inefficiency.value.total_cmp(&b.inefficiency.value));
    if let (Some(c), Some(b)) = (cisir, best) {
        out.push_str(&format!(
            "- Smallest inefficiency among the C-ISIR-DISIR points: {} ({}), against C-ISIR's {} \
             (ratio {:.2}).\n",
            b.label,
            fmt_with_error(b.inefficiency),
            fmt_with_error(c.inefficiency),
            b.inefficiency.value / c.inefficiency.value,
        ));
    }
    if let Some(ess) = s
        .points
        .iter()
        .find(|p| matches!(p.point, SweepPoint::EssRule { .. }))
    {
        out.push_str(&format!(
            "- The ESS = 0.3 K rule lands at β = {:.4}: inefficiency {}, {} of {} replicates touched by \
             truncation.\n",
            ess.point.beta().unwrap_or(f64::NAN),
            fmt_with_error(ess.inefficiency),
            ess.touched_replicates,
            ess.replicates
        ));
    }
    if s.betas_reducing_variance.is_empty() {
        out.push_str(
            "- **No β reproduces \"DISIR reduces the variance\" on PPCA**: no fixed β gives C-ISIR-DISIR a \
             total variance more than two standard errors below C-ISIR's.\n",
        );
    } else {
        out.push_str(&format!(
            "- DISIR reduces the total variance below C-ISIR's (by more than two standard errors) at β ∈ \
             {:?}.\n",
            s.betas_reducing_variance
        ));
    }
    out
}

/// One error-bar chart of a metric against β: the fixed-β points, the ESS rule, the smallest
/// inefficiency marked, C-ISIR as the reference line.
fn metric_chart(
    s: &BetaSweepSummary,
    title: &str,
    y: Axis,
    metric: impl Fn(&PointSummary) -> WithError,
) -> ErrorBarChart {
    let point = |p: &PointSummary| {
        let v = metric(p);
        ErrorPoint::new(p.point.beta().unwrap_or(0.0), v.value, 2.0 * v.se)
    };
    let fixed: Vec<ErrorPoint> = s
        .points
        .iter()
        .filter(|p| matches!(p.point, SweepPoint::Fixed { .. }))
        .map(point)
        .collect();
    let ess: Vec<ErrorPoint> = s
        .points
        .iter()
        .filter(|p| matches!(p.point, SweepPoint::EssRule { .. }))
        .map(point)
        .collect();
    let best: Vec<ErrorPoint> = s
        .points
        .iter()
        .filter(|p| Some(&p.label) == s.best.as_ref())
        .map(point)
        .collect();
    let reference = s
        .points
        .iter()
        .find(|p| p.point == SweepPoint::CIsir)
        .map(|p| metric(p).value);
    ErrorBarChart::new(title, Axis::new("DISIR's β"), y)
        .series("C-ISIR-DISIR, fixed β", fixed)
        .series("ESS = 0.3 K rule", ess)
        .series("smallest variance × cost", best)
        .with_reference_line(reference)
        .with_dodge(0.0)
}

/// Draws the sweep's figures into `dir`; returns `(stem relative to the folder, caption)` pairs.
fn draw_figures(
    folder: &RunFolder,
    s: &BetaSweepSummary,
    ui: &Ui,
) -> AnyResult<Vec<(String, String)>> {
    let charts = [
        (
            "beta_sweep_inefficiency",
            metric_chart(
                s,
                "Inefficiency of C-ISIR-DISIR against β (±2 s.e.)",
                Axis::log("total variance × particle evaluations"),
                |p| p.inefficiency,
            ),
            "Variance × cost of C-ISIR-DISIR against β (±2 s.e.); the dashed line is C-ISIR's. The ESS \
             rule's β and the smallest inefficiency are marked.",
        ),
        (
            "beta_sweep_variance",
            metric_chart(
                s,
                "Total variance of C-ISIR-DISIR against β (±2 s.e.)",
                Axis::log("trace of the covariance of the batch gradient"),
                |p| p.total_variance,
            ),
            "Total variance (trace of the covariance over replicates) against β; the dashed line is \
             C-ISIR's. DISIR reduces the variance where a point lies clearly below it.",
        ),
        (
            "beta_sweep_truncation",
            metric_chart(
                s,
                "Replicates touched by truncation against β (±2 s.e.)",
                Axis::new("share of replicates with a capped chain"),
                |p| p.touched_fraction,
            ),
            "Share of replicates containing a chain stopped by the sweep's cap, against β; the dashed line \
             is C-ISIR's.",
        ),
    ];
    let mut out = Vec::new();
    for (name, chart, caption) in charts {
        out.push((save_figure(folder, name, chart, ui)?, caption.to_string()));
    }
    Ok(out)
}
