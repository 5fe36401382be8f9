//! The figures of a results folder, each as PNG and SVG under `figures/`.

use std::collections::BTreeMap;

use ucg_files::RunFolder;
use ucg_report::{
    Axis, BarChart, BoxPlot, ErrorBarChart, ErrorPoint, Figure, Histogram, HistogramLayout,
    LineChart, SeriesStyle,
};

use super::cells::{EstimatorKind, Sweep};
use super::checkpoint::CellCheckpoint;
use super::config::BetaChoice;
use super::meeting::MeetingCounts;
use super::replicate::ReplicateRow;
use super::summary::{CellSummary, ComponentSummary, Summary, UnbiasednessCheck};
use super::verdict::MIN_REPLICATES_FOR_VERDICT;
use crate::AnyResult;
use crate::progress::Ui;

/// A figure written to the results folder.
#[derive(Clone, Debug, PartialEq)]
pub struct FigureInfo {
    /// Path without extension, relative to the results folder (`figures/intercept_error`).
    pub stem: String,
    /// Title.
    pub title: String,
    /// What it shows, for the report.
    pub caption: String,
}

/// Box plots with more values than this per box are drawn without outliers (small SVGs).
const MAX_OUTLIER_VALUES: usize = 5_000;

/// The same colour and marker for an estimator in every figure.
fn style(e: EstimatorKind) -> SeriesStyle {
    SeriesStyle::nth(e as usize)
}

struct Saver<'a> {
    folder: &'a RunFolder,
    ui: &'a Ui,
    out: Vec<FigureInfo>,
}

impl Saver<'_> {
    fn save(&mut self, name: &str, figure: impl Figure, caption: String) -> AnyResult<()> {
        let title = figure.title().to_string();
        let stem = save_figure(self.folder, name, figure, self.ui)?;
        self.out.push(FigureInfo {
            stem,
            title,
            caption,
        });
        Ok(())
    }
}

/// Writes `figure` as `figures/name.png` and `.svg` in the claimed `folder`, notes its warnings on `ui`,
/// and returns its stem relative to the folder (`figures/name`).
///
/// # Errors
/// Drawing or I/O failures, or a file of that name that the run did not write.
pub fn save_figure(
    folder: &RunFolder,
    name: &str,
    figure: impl Figure,
    ui: &Ui,
) -> AnyResult<String> {
    let stem = format!("figures/{name}");
    let saved = figure.save(crate::folder::figure(folder, &stem)?)?;
    for w in &saved.warnings {
        ui.note(format!("figure {name}: {w}"));
    }
    Ok(stem)
}

/// Draws every figure the results allow; returns them in report order.
///
/// # Errors
/// Drawing or I/O failures.
pub fn draw_all(
    folder: &RunFolder,
    summary: &Summary,
    rows: &[ReplicateRow],
    checkpoints: &BTreeMap<String, CellCheckpoint>,
    ui: &Ui,
) -> AnyResult<Vec<FigureInfo>> {
    let mut s = Saver {
        folder,
        ui,
        out: Vec::new(),
    };
    error_boxes(&mut s, summary, rows)?;
    bias_against_k(&mut s, summary)?;
    meeting_times(&mut s, summary, checkpoints)?;
    inefficiency(&mut s, summary)?;
    setup_figures(&mut s, summary)?;
    Ok(s.out)
}

fn cell_rows<'a>(rows: &'a [ReplicateRow], cell: &CellSummary) -> Vec<&'a ReplicateRow> {
    rows.iter().filter(|r| r.cell == cell.id).collect()
}

fn error_boxes(s: &mut Saver<'_>, summary: &Summary, rows: &[ReplicateRow]) -> AnyResult<()> {
    let cells = summary.main_cells();
    if cells.is_empty() {
        return Ok(());
    }
    let c = &summary.config;
    let replicates = cells.iter().map(|c| c.replicates).max().unwrap_or(0);
    let setting = format!("K = {}, D = {}, N = {}", c.main_k, c.latent_dim, c.points);
    let boxes = |title: String, y: Axis, value: &dyn Fn(&ReplicateRow) -> Option<f64>| {
        let mut plot = BoxPlot::new(title, y)
            .with_x_label("estimator")
            .with_outliers(replicates as usize <= MAX_OUTLIER_VALUES);
        for cell in &cells {
            let values = cell_rows(rows, cell).into_iter().filter_map(value);
            plot = plot.group(cell.name.clone(), values);
        }
        plot
    };
    let components = [
        (
            "intercept_error",
            c.components.intercept_label(),
            "the paper's Fig. 2",
            &(|r: &ReplicateRow| r.error_intercept) as &dyn Fn(&ReplicateRow) -> Option<f64>,
        ),
        (
            "weight_error",
            c.components.weight_label(),
            "the paper's Fig. 5",
            &|r: &ReplicateRow| r.error_weight,
        ),
    ];
    for (name, label, paper, value) in components {
        let plot = boxes(
            format!("Signed error of the gradient's {label} component ({setting})"),
            Axis::new(format!("estimate − exact gradient at {label}")),
            value,
        );
        s.save(
            name,
            plot,
            format!(
                "Signed error of the batch-gradient estimate at {label} over the replicates of each \
                 estimator ({setting}; {paper}). Boxes: quartiles and median; diamonds: means; dashed: zero."
            ),
        )?;
    }
    let plot = boxes(
        format!("Relative absolute error over all components ({setting})"),
        Axis::log("mean |estimate − exact| / mean |exact|"),
        &|r: &ReplicateRow| r.relative_abs_error,
    )
    .with_reference_line(None);
    s.save(
        "relative_error",
        plot,
        format!(
            "Relative absolute error of each replicate, averaged over all {} components as \
             Σ_j |error_j| / Σ_j |exact_j| (a per-component ratio would be dominated by components whose \
             exact gradient is near zero); the paper's Fig. 6.",
            summary.setup.exact.components
        ),
    )
}

/// Selects one of the shown components from a cell's check.
type PickComponent = fn(&UnbiasednessCheck) -> &ComponentSummary;

fn component_points(summary: &Summary, e: EstimatorKind, pick: PickComponent) -> Vec<ErrorPoint> {
    summary
        .by_k(e)
        .iter()
        .filter_map(|c| {
            let x = pick(c.check.as_ref()?);
            Some(ErrorPoint::new(
                c.cell.k as f64,
                x.mean_error,
                2.0 * x.standard_error,
            ))
        })
        .collect()
}

const BIASED_AND_COUPLED: [EstimatorKind; 3] = [
    EstimatorKind::Iwae,
    EstimatorKind::CoupledIsir,
    EstimatorKind::CoupledIsirDisir,
];

fn bias_against_k(s: &mut Saver<'_>, summary: &Summary) -> AnyResult<()> {
    let c = &summary.config;
    if summary.by_k(EstimatorKind::Iwae).len() < 2 {
        return Ok(());
    }
    let picks: [(&str, String, PickComponent); 2] = [
        ("bias_vs_k_intercept", c.components.intercept_label(), |x| {
            &x.intercept
        }),
        ("bias_vs_k_weight", c.components.weight_label(), |x| {
            &x.weight
        }),
    ];
    for (name, label, pick) in picks {
        let mut chart = ErrorBarChart::new(
            format!("Mean signed error at {label} against K (±2 s.e.)"),
            Axis::log("particles per set K"),
            Axis::new(format!("mean error at {label}")),
        );
        for e in BIASED_AND_COUPLED {
            chart = chart.series_styled(e.label(), component_points(summary, e, pick), style(e));
        }
        s.save(
            name,
            chart,
            format!(
                "Mean signed error of the batch gradient at {label} over the replicates, with ±2 standard \
                 errors, against K (D = {}, N = {}). An unbiased estimator's bars cover zero at every K; \
                 IWAE's bias shrinks as K grows.",
                c.latent_dim, c.points
            ),
        )?;
    }
    let mut chart = LineChart::new(
        "Largest |z| over all gradient components against K",
        Axis::log("particles per set K"),
        Axis::log("max_j |mean error_j / s.e._j|"),
    )
    .with_reference_line(Some(summary.bonferroni_bound))
    .with_reference_label(format!("Bonferroni bound {:.2}", summary.bonferroni_bound));
    for e in BIASED_AND_COUPLED {
        let points: Vec<(f64, f64)> = summary
            .by_k(e)
            .iter()
            .filter_map(|c| Some((c.cell.k as f64, c.check.as_ref()?.max_abs_z)))
            .collect();
        chart = chart.series_styled(e.label(), points, style(e));
    }
    s.save(
        "max_z_vs_k",
        chart,
        format!(
            "The unbiasedness check against K: the largest |z_j| over all {} components (z_j = mean signed \
             error / its standard error). Dashed grey (in the legend): the Bonferroni bound {:.2} for a \
             family-wise level of {}; above it, bias is detected (with at least {} replicates; see the report's \
             settings). This summary makes IWAE's convergence visible on one scale even \
             though single components are noisy; it also grows with the number of replicates for a biased \
             estimator, so compare K at equal replicates.",
            summary.setup.exact.components,
            summary.bonferroni_bound,
            summary.config.alpha,
            MIN_REPLICATES_FOR_VERDICT
        ),
    )
}

fn meeting_lines(
    title: &str,
    x: Axis,
    series: &dyn Fn(EstimatorKind) -> Vec<(f64, f64, f64)>,
) -> LineChart {
    let mut chart = LineChart::new(
        title,
        x,
        Axis::log("meeting time τ").with_unit("iterations"),
    );
    for e in [EstimatorKind::CoupledIsir, EstimatorKind::CoupledIsirDisir] {
        let points = series(e);
        chart = chart
            .series_styled(
                format!("{} mean", e.label()),
                points.iter().map(|p| (p.0, p.1)).collect::<Vec<_>>(),
                style(e),
            )
            .series_styled(
                format!("{} 99% quantile", e.label()),
                points.iter().map(|p| (p.0, p.2)).collect::<Vec<_>>(),
                style(e).dashed(),
            );
    }
    chart
}

fn meeting_times(
    s: &mut Saver<'_>,
    summary: &Summary,
    checkpoints: &BTreeMap<String, CellCheckpoint>,
) -> AnyResult<()> {
    let c = &summary.config;
    let coupled = [EstimatorKind::CoupledIsir, EstimatorKind::CoupledIsirDisir];
    let main: Vec<&CellSummary> = coupled
        .iter()
        .filter_map(|&e| summary.find(Sweep::Gradient, e, c.main_k, c.latent_dim))
        .collect();
    if !main.is_empty() {
        let mut hist = Histogram::new(
            format!(
                "Meeting times (K = {}, D = {}, all points and replicates)",
                c.main_k, c.latent_dim
            ),
            "meeting time τ (iterations)",
        )
        .with_layout(HistogramLayout::Panels);
        for cell in &main {
            let values = checkpoints
                .get(&cell.id)
                .map(|k| k.meeting.values())
                .unwrap_or_default();
            hist = hist.series(cell.name.clone(), values);
        }
        s.save(
            "meeting_histogram",
            hist,
            format!(
                "Meeting times τ of every point's pair of chains over all replicates, log counts (L = {}, \
                 t0 = {}); runs capped at {} iterations count at the cap.",
                c.lag.lag, c.lag.t0, c.lag.max_iter
            ),
        )?;
        meeting_survival(
            s,
            &main,
            checkpoints,
            c.main_k,
            c.latent_dim,
            c.lag.max_iter,
        )?;
    }
    let stats = |cells: Vec<&CellSummary>, x: fn(&CellSummary) -> f64| -> Vec<(f64, f64, f64)> {
        cells
            .iter()
            .filter_map(|cell| {
                let m = cell.meeting.as_ref()?;
                Some((x(cell), m.mean, m.q99))
            })
            .collect()
    };
    if summary.by_k(EstimatorKind::CoupledIsir).len() > 1 {
        let chart = meeting_lines(
            &format!("Meeting time against K (D = {})", c.latent_dim),
            Axis::log("particles per set K"),
            &|e| stats(summary.by_k(e), |c| c.cell.k as f64),
        );
        s.save(
            "meeting_vs_k",
            chart,
            format!(
                "Mean (solid) and 99% quantile (dashed) of the meeting time against K, main problem \
                 (D = {}, N = {}).",
                c.latent_dim, c.points
            ),
        )?;
    }
    if !summary.by_d(EstimatorKind::CoupledIsir).is_empty() {
        let chart = meeting_lines(
            &format!(
                "Meeting time against the latent dimension (K = {})",
                c.main_k
            ),
            Axis::log("latent dimension D"),
            &|e| stats(summary.by_d(e), |c| c.cell.d as f64),
        );
        s.save(
            "meeting_vs_d",
            chart,
            format!(
                "Mean (solid) and 99% quantile (dashed) of the meeting time against D (K = {}): one problem \
                 per D on the first {} points, its encoder fitted like the main one; meeting times only.",
                c.main_k, c.dimension_sweep.points
            ),
        )?;
    }
    Ok(())
}

/// The empirical survival function `P(τ > t)` of `meeting` as points to draw on a log scale: zero
/// survival (past the largest τ) cannot be drawn there, so it is left out.
pub fn survival_points(meeting: &MeetingCounts) -> Vec<(f64, f64)> {
    meeting
        .survival()
        .into_iter()
        .filter(|&(_, p)| p > 0.0)
        .map(|(t, p)| (t as f64, p))
        .collect()
}

/// The tail of the meeting-time distribution: the empirical survival function `P(τ > t)` on a log scale, one
/// curve per coupled estimator (all points and replicates), which shows how often a cap at `t` would truncate.
fn meeting_survival(
    s: &mut Saver<'_>,
    cells: &[&CellSummary],
    checkpoints: &BTreeMap<String, CellCheckpoint>,
    k: usize,
    d: usize,
    cap: usize,
) -> AnyResult<()> {
    let mut chart = LineChart::new(
        format!("Meeting-time tail (K = {k}, D = {d})"),
        Axis::new("t").with_unit("iterations"),
        Axis::log("P(τ > t)"),
    );
    let mut any = false;
    for cell in cells {
        let Some(checkpoint) = checkpoints.get(&cell.id) else {
            continue;
        };
        let points = survival_points(&checkpoint.meeting);
        if points.is_empty() {
            continue;
        }
        any = true;
        chart = chart.series_styled(cell.name.clone(), points, style(cell.cell.estimator));
    }
    if !any {
        return Ok(());
    }
    s.save(
        "meeting_survival",
        chart,
        format!(
            "Empirical survival function P(τ > t) of every point's meeting time over all replicates, log scale; \
             the curve's value at the cap ({cap} iterations) is the fraction of chains a run truncates."
        ),
    )
}

fn inefficiency(s: &mut Saver<'_>, summary: &Summary) -> AnyResult<()> {
    let bars: Vec<(String, f64)> = summary
        .main_cells()
        .iter()
        .filter_map(|c| Some((c.name.clone(), c.inefficiency?)))
        .collect();
    if bars.is_empty() {
        return Ok(());
    }
    let chart = BarChart::new(
        format!(
            "Inefficiency: variance × cost (K = {})",
            summary.config.main_k
        ),
        Axis::log("total variance × particle evaluations"),
    )
    .with_x_label("estimator")
    .bars(bars);
    s.save(
        "inefficiency",
        chart,
        "Inefficiency of each estimator: the variance of the batch-gradient estimate summed over all \
         components (the trace of its covariance) times its mean cost in particle log-weight evaluations. \
         Lower is better; it ignores bias, which only the coupled estimators do not have."
            .into(),
    )
}

fn setup_figures(s: &mut Saver<'_>, summary: &Summary) -> AnyResult<()> {
    let fit = &summary.setup.main_fit;
    let steps = fit.bound_trace.len();
    if steps > 0 {
        let chart = LineChart::new(
            format!("Encoder fit (D = {}, N = {})", fit.d, fit.points),
            Axis::new("Adam step"),
            Axis::log("exact log-likelihood − IWAE bound").with_unit("nats per point"),
        )
        .with_markers(false)
        .series_styled(
            format!("gap to IWAE-{}, per step", summary.config.fit.k),
            fit.bound_trace
                .iter()
                .enumerate()
                .map(|(i, &b)| (i as f64 + 1.0, fit.log_likelihood - b))
                .collect::<Vec<_>>(),
            SeriesStyle::nth(0),
        );
        s.save(
            "encoder_fit",
            chart,
            format!(
                "Fitting the linear Gaussian encoder on the IWAE bound (K = {}, DReG gradients, Adam with \
                 learning rate {}); the model θ stays fixed. The gap to the exact log-likelihood (log scale; an \
                 estimate above the exact value cannot be drawn). Final bound {:.3} ± {:.3} against the exact \
                 log-likelihood {:.3} nats per point.",
                summary.config.fit.k,
                summary.config.fit.learning_rate,
                fit.bound,
                fit.bound_se,
                fit.log_likelihood
            ),
        )?;
    }
    let c = &summary.config;
    let panels = [
        (
            Sweep::Gradient,
            "beta_warmup_k",
            format!(
                "β during the warm-up of C-ISIR-DISIR (D = {}, N = {})",
                c.latent_dim, c.points
            ),
        ),
        (
            Sweep::Dimension,
            "beta_warmup_d",
            format!(
                "β during the warm-up of C-ISIR-DISIR (K = {}, N = {}, dimension sweep)",
                c.main_k, c.dimension_sweep.points
            ),
        ),
    ];
    for (sweep, name, title) in panels {
        let records: Vec<_> = summary
            .setup
            .betas
            .iter()
            .filter(|b| b.sweep == sweep)
            .collect();
        // A fixed β or a pilot's choice has no trajectory to draw.
        if records.is_empty() || c.beta != BetaChoice::Ess {
            continue;
        }
        let mut chart = LineChart::new(title, Axis::new("warm-up run"), Axis::new("β"));
        for (i, b) in records.iter().enumerate() {
            let label = match sweep {
                Sweep::Gradient => format!("K = {} (frozen {:.3})", b.k, b.beta),
                Sweep::Dimension => format!("D = {} (frozen {:.3})", b.d, b.beta),
            };
            let points: Vec<(f64, f64)> = b
                .trajectory
                .iter()
                .enumerate()
                .map(|(i, &v)| (i as f64, v))
                .collect();
            chart = chart.series_styled(label, points, SeriesStyle::nth(i));
        }
        s.save(
            name,
            chart,
            format!(
                "β's trajectory during the warm-up ({} sequential C-ISIR-DISIR batch runs from β = {}, \
                 updated after each run towards ESS = 0.3 K from the ESS averaged over all points at the \
                 iterations every point reaches); the average of the second half is frozen for every \
                 replicate (legend).",
                c.warmup.runs, c.warmup.beta0
            ),
        )?;
    }
    Ok(())
}
