//! The tails study's numbers (`summary.json`), report (`report.md`) and figures: per coupled estimator,
//! the survival function of τ over all points and for the worst points, each point's mean τ and capped
//! count beside its encoder gap, and how concentrated the capped chains are.

use crate::ppca::cells::file_slug;
use serde::{Deserialize, Serialize};
use ucg_report::{
    Axis, ErrorBarChart, ErrorPoint, LineChart, MarkdownTable, SeriesStyle, format_number_sig,
    write_json, write_text,
};

use super::beta_sweep_summary::WithError;
use super::config::Config;
use super::figures::{save_figure, survival_points};
use super::meeting::{MeetingCounts, MeetingStats};
use super::tails::{TailsCheckpoint, TailsSettings, TailsSetup};
use crate::AnyResult;
use crate::progress::Ui;
use ucg_files::RunFolder;

/// The share of the data points (the worst ones) on which the concentration of capped chains is measured.
pub const CONCENTRATION_SHARE: f64 = 0.05;

/// One data point's meeting times and encoder gap.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PointTail {
    /// The point's index in the batch.
    pub point: usize,
    /// Its encoder gap `KL(q ‖ posterior)` in nats.
    pub gap: f64,
    /// Its meeting times (capped runs at the cap).
    pub meeting: MeetingStats,
}

/// One estimator's tails.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EstimatorTails {
    /// Display name.
    pub estimator: String,
    /// Batch runs.
    pub runs: u64,
    /// Share of runs with a capped chain (± binomial s.e.).
    pub touched_fraction: WithError,
    /// Meeting times over every point and run.
    pub all: MeetingStats,
    /// Every point, in batch order.
    pub points: Vec<PointTail>,
    /// The worst points (largest mean τ), worst first.
    pub worst: Vec<usize>,
    /// Points with at least one capped chain.
    pub points_with_capped: usize,
    /// Share of the capped chains on the [`CONCENTRATION_SHARE`] of points with the most of them (`None`
    /// without capped chains).
    pub capped_share_on_top: Option<f64>,
    /// Spearman's rank correlation between the points' encoder gaps and mean meeting times.
    pub gap_tau_correlation: f64,
    /// The slope of `log P(τ > t)` against `log t` over the tail ([`tail_slope`]): a geometric tail
    /// bends down on these axes, a power law `P(τ > t) ∝ t^slope` is a straight line.
    pub tail_slope: Option<f64>,
}

/// Everything the study measured.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TailsSummary {
    /// The command that wrote it.
    pub command: String,
    /// The study's settings.
    pub config: Config,
    /// The tails study's.
    pub tails: TailsSettings,
    /// C-ISIR, then C-ISIR-DISIR.
    pub estimators: Vec<EstimatorTails>,
}

/// Ranks `1..=n` of `values`, ties sharing their average rank.
pub fn average_ranks(values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut ranks = vec![0.0; values.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && values[order[j + 1]] == values[order[i]] {
            j += 1;
        }
        let rank = (i + j) as f64 / 2.0 + 1.0;
        for &o in &order[i..=j] {
            ranks[o] = rank;
        }
        i = j + 1;
    }
    ranks
}

/// Spearman's rank correlation of `a` and `b` (Pearson's on average ranks); NaN when either is constant.
pub fn spearman(a: &[f64], b: &[f64]) -> f64 {
    let (ra, rb) = (average_ranks(a), average_ranks(b));
    let n = ra.len().min(rb.len()) as f64;
    let (ma, mb) = (ra.iter().sum::<f64>() / n, rb.iter().sum::<f64>() / n);
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (x, y) in ra.iter().zip(&rb) {
        sab += (x - ma) * (y - mb);
        saa += (x - ma) * (x - ma);
        sbb += (y - mb) * (y - mb);
    }
    sab / (saa * sbb).sqrt()
}

/// Share of `capped` (per point) held by the `ceil(share · n)` points with the most; `None` without any.
pub fn top_share(capped: &[u64], share: f64) -> Option<f64> {
    let total: u64 = capped.iter().sum();
    if total == 0 {
        return None;
    }
    let mut sorted = capped.to_vec();
    sorted.sort_unstable_by(|a, b| b.cmp(a));
    let top = ((share * capped.len() as f64).ceil() as usize).max(1);
    Some(sorted.iter().take(top).sum::<u64>() as f64 / total as f64)
}

/// The least-squares slope of `log P(τ > t)` on `log t` over the tail of `meeting`: from its 90 % quantile
/// to the largest `t` still exceeded by at least [`TAIL_MIN_RUNS`] runs (so the estimate rests on
/// counts, not on single runs); `None` with fewer than 3 such points.
pub fn tail_slope(meeting: &MeetingCounts) -> Option<f64> {
    let runs = meeting.runs() as f64;
    let start = meeting.quantile(0.9)?;
    let points: Vec<(f64, f64)> = meeting
        .survival()
        .into_iter()
        .filter(|&(t, p)| t as f64 >= start && p * runs >= TAIL_MIN_RUNS)
        .map(|(t, p)| ((t as f64).ln(), p.ln()))
        .collect();
    if points.len() < 3 {
        return None;
    }
    let n = points.len() as f64;
    let (mx, my) = (
        points.iter().map(|p| p.0).sum::<f64>() / n,
        points.iter().map(|p| p.1).sum::<f64>() / n,
    );
    let sxy: f64 = points.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    let sxx: f64 = points.iter().map(|p| (p.0 - mx).powi(2)).sum();
    Some(sxy / sxx)
}

/// The fewest runs beyond `t` for `t` to enter [`tail_slope`]'s fit.
pub const TAIL_MIN_RUNS: f64 = 20.0;

/// Summarises one estimator.
///
/// # Errors
/// No runs.
pub fn summarise_tails(
    c: &TailsCheckpoint,
    gaps: &[f64],
    worst: usize,
) -> AnyResult<EstimatorTails> {
    let mut all = MeetingCounts::default();
    let mut points = Vec::with_capacity(c.per_point.len());
    for (n, (counts, &gap)) in c.per_point.iter().zip(gaps).enumerate() {
        all.merge(counts);
        points.push(PointTail {
            point: n,
            gap,
            meeting: counts.summary()?,
        });
    }
    let mut order: Vec<usize> = (0..points.len()).collect();
    order.sort_by(|&a, &b| points[b].meeting.mean.total_cmp(&points[a].meeting.mean));
    order.truncate(worst);
    let capped: Vec<u64> = points.iter().map(|p| p.meeting.capped).collect();
    let taus: Vec<f64> = points.iter().map(|p| p.meeting.mean).collect();
    let p = c.touched_runs as f64 / c.runs.max(1) as f64;
    Ok(EstimatorTails {
        estimator: c.estimator.label().to_string(),
        runs: c.runs,
        touched_fraction: WithError {
            value: p,
            se: (p * (1.0 - p) / c.runs.max(1) as f64).sqrt(),
        },
        all: all.summary()?,
        worst: order,
        points_with_capped: capped.iter().filter(|&&c| c > 0).count(),
        capped_share_on_top: top_share(&capped, CONCENTRATION_SHARE),
        gap_tau_correlation: spearman(gaps, &taus),
        tail_slope: tail_slope(&all),
        points,
    })
}

/// Summarises the study, writes `summary.json`, `report.md` and the figures into `out`.
///
/// # Errors
/// Checkpoints without runs, or I/O errors.
pub fn write_tails_outputs(
    folder: &RunFolder,
    config: &Config,
    tails: &TailsSettings,
    setup: &TailsSetup,
    done: &[TailsCheckpoint],
    command: &str,
    ui: &Ui,
) -> AnyResult<TailsSummary> {
    let estimators = done
        .iter()
        .map(|c| summarise_tails(c, &setup.gaps, tails.worst))
        .collect::<AnyResult<Vec<_>>>()?;
    let summary = TailsSummary {
        command: command.to_string(),
        config: config.clone(),
        tails: tails.clone(),
        estimators,
    };
    write_json(folder.file("summary.json")?, &summary)?;
    let figures = draw_figures(folder, &summary, done, ui)?;
    write_text(
        folder.file("report.md")?,
        &report(&summary, &setup.gaps, &figures),
    )?;
    Ok(summary)
}

/// The report (markdown), with links to `figures`.
pub fn report(s: &TailsSummary, gaps: &[f64], figures: &[(String, String)]) -> String {
    let c = &s.config;
    let mut sorted = gaps.to_vec();
    sorted.sort_by(f64::total_cmp);
    let median_gap = sorted.get(sorted.len() / 2).copied().unwrap_or(f64::NAN);
    let mut out = format!(
        "# Meeting-time tails by data point (K = {}, D = {}, N = {})\n\n\
         Command: `{}`. {} batch runs per coupled estimator (meeting times only; each run gives one τ per \
         data point), both estimators on the same seeds; t0 = {}, L = {}, cap {} iterations, C-ISIR-DISIR at \
         the study's β. Each point's encoder gap is KL(q(z | x_n) ‖ p(z | x_n)) of the fitted linear encoder, \
         in closed form (median over the points {} nats, range {} to {}).\n\n",
        c.main_k,
        c.latent_dim,
        c.points,
        s.command,
        s.tails.replicates,
        c.lag.t0,
        c.lag.lag,
        c.lag.max_iter,
        format_number_sig(median_gap, 3),
        format_number_sig(sorted.first().copied().unwrap_or(f64::NAN), 3),
        format_number_sig(sorted.last().copied().unwrap_or(f64::NAN), 3),
    );
    for e in &s.estimators {
        out.push_str(&format!(
            "## {}\n\nAll points: mean τ {}, 99% quantile {}, largest {}; {} of {} chains capped, {} of {} \
             runs ({:.2} % ± {:.2} %) touched by the cap.\n\n",
            e.estimator,
            format_number_sig(e.all.mean, 3),
            format_number_sig(e.all.q99, 3),
            e.all.max,
            e.all.capped,
            e.all.runs,
            (e.touched_fraction.value * e.runs as f64).round(),
            e.runs,
            100.0 * e.touched_fraction.value,
            100.0 * e.touched_fraction.se,
        ));
        let mut table = MarkdownTable::new([
            "point",
            "encoder gap (nats)",
            "gap rank (1 = largest)",
            "mean τ",
            "q99 τ",
            "largest τ",
            "capped chains",
        ]);
        let gap_rank = |n: usize| gaps.iter().filter(|&&g| g > gaps[n]).count() + 1;
        for &n in &e.worst {
            let p = &e.points[n];
            table.push_row([
                n.to_string(),
                format_number_sig(p.gap, 3),
                gap_rank(n).to_string(),
                format_number_sig(p.meeting.mean, 3),
                format_number_sig(p.meeting.q99, 3),
                p.meeting.max.to_string(),
                format!("{} / {}", p.meeting.capped, p.meeting.runs),
            ]);
        }
        out.push_str(&format!(
            "The {} points with the largest mean τ:\n\n{}\n",
            e.worst.len(),
            table.to_markdown()
        ));
        out.push_str(&tail_findings(e));
        out.push('\n');
    }
    for (stem, caption) in figures {
        out.push_str(&format!("\n![{caption}]({stem}.png)\n\n{caption}\n"));
    }
    out
}

/// The plain sentences for one estimator.
pub fn tail_findings(e: &EstimatorTails) -> String {
    let mut out = format!(
        "- Encoder gap against mean τ over the {} points: Spearman's rank correlation {:.2}.\n",
        e.points.len(),
        e.gap_tau_correlation
    );
    if let Some(slope) = e.tail_slope {
        out.push_str(&format!(
            "- Tail shape: from the 90 % quantile on (while at least 20 runs lie beyond t), log P(τ > t) \
             against log t is close to a line of slope {slope:.2}: over the observed range the tail looks like a power law P(τ > t) ∝ t^{slope:.2}, \
             not a geometric tail (which bends down on log-log axes){}.\n",
            if slope > -2.0 {
                "; were it to continue past the cap, τ would have no finite variance (slope above −2)"
            } else {
                ""
            }
        ));
    }
    match e.capped_share_on_top {
        Some(share) => out.push_str(&format!(
            "- Capped chains: {} on {} distinct points; the {:.0} % of points with the most hold {:.0} % of \
             them.\n",
            e.all.capped,
            e.points_with_capped,
            100.0 * CONCENTRATION_SHARE,
            100.0 * share
        )),
        None => out.push_str("- No chain hit the cap.\n"),
    }
    out
}

/// Survival of τ over all points and for the worst points, one chart per estimator.
fn survival_chart(e: &EstimatorTails, c: &TailsCheckpoint) -> LineChart {
    let mut all = MeetingCounts::default();
    c.per_point.iter().for_each(|p| all.merge(p));
    let mut chart = LineChart::new(
        format!(
            "{}: meeting-time tail, all points and the worst",
            e.estimator
        ),
        Axis::log("t").with_unit("iterations"),
        Axis::log("P(τ > t)"),
    )
    .with_markers(false)
    .series_styled("all points", survival_points(&all), SeriesStyle::nth(0));
    for (i, &n) in e.worst.iter().enumerate() {
        chart = chart.series_styled(
            format!("point {n} (gap {})", format_number_sig(e.points[n].gap, 3)),
            survival_points(&c.per_point[n]),
            SeriesStyle::nth(i + 1).dashed(),
        );
    }
    chart
}

/// Mean τ against the encoder gap, one point per data point and estimator.
fn gap_chart(s: &TailsSummary) -> ErrorBarChart {
    let mut chart = ErrorBarChart::new(
        "Mean meeting time against the encoder gap, per data point",
        Axis::new("encoder gap KL(q ‖ posterior)").with_unit("nats"),
        Axis::log("mean τ over runs"),
    )
    .with_lines(false)
    .with_dodge(0.0)
    .with_reference_line(None);
    for e in &s.estimators {
        chart = chart.series(
            e.estimator.clone(),
            e.points
                .iter()
                .map(|p| ErrorPoint::new(p.gap, p.meeting.mean, 0.0))
                .collect::<Vec<_>>(),
        );
    }
    chart
}

/// Draws the figures into `dir`; returns `(stem relative to the folder, caption)` pairs.
fn draw_figures(
    folder: &RunFolder,
    s: &TailsSummary,
    done: &[TailsCheckpoint],
    ui: &Ui,
) -> AnyResult<Vec<(String, String)>> {
    let mut out = Vec::new();
    for (e, c) in s.estimators.iter().zip(done) {
        let name = format!("tails_survival_{}", file_slug(c.estimator));
        out.push((
            save_figure(folder, &name, survival_chart(e, c), ui)?,
            format!(
                "{}: empirical survival function P(τ > t) over all points (solid) and for the {} points with \
                 the largest mean τ (dashed), log-log; a curve's last value at the cap is its share of capped \
                 chains.",
                e.estimator,
                e.worst.len()
            ),
        ));
    }
    out.push((
        save_figure(folder, "tails_gap", gap_chart(s), ui)?,
        "Each data point's mean meeting time (log scale) against its encoder gap, for both coupled \
         estimators."
            .into(),
    ));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_average_ties_and_spearman_sees_monotone_relations() {
        assert_eq!(average_ranks(&[3.0, 1.0, 3.0, 2.0]), [3.5, 1.0, 3.5, 2.0]);
        let a = [1.0, 2.0, 3.0, 4.0, 5.0];
        let b = [1.0, 4.0, 9.0, 16.0, 100.0];
        assert!((spearman(&a, &b) - 1.0).abs() < 1e-12);
        let reversed: Vec<f64> = b.iter().rev().copied().collect();
        assert!((spearman(&a, &reversed) + 1.0).abs() < 1e-12);
        assert!(spearman(&a, &[2.0; 5]).is_nan());
    }

    #[test]
    fn tail_slope_recovers_a_power_law() {
        // P(τ > t) = (10 / t)^1.5 for t ≥ 10, on a grid of counts.
        let mut m = MeetingCounts::default();
        let total = 1_000_000.0;
        let survival = |t: f64| (10.0 / t).powf(1.5);
        for t in 10..20_000usize {
            // Differences of the rounded survival counts, so that the counts' survival is exact.
            let beyond = |t: f64| (total * survival(t)).round() as u64;
            let c = beyond(t as f64) - beyond(t as f64 + 1.0);
            if c > 0 {
                m.counts.insert(t + 1, c);
            }
        }
        // The runs beyond the grid, far out (as a cap would hold them).
        m.counts
            .insert(1_000_000, (total * survival(20_000.0)).round() as u64);
        let slope = tail_slope(&m).unwrap();
        assert!((slope + 1.5).abs() < 0.05, "{slope}");
        assert_eq!(tail_slope(&MeetingCounts::default()), None);
    }

    #[test]
    fn top_share_counts_the_largest_points() {
        // 20 points: 5 % is one point, which holds 6 of the 10 capped chains.
        let mut capped = vec![0u64; 20];
        capped[3] = 6;
        capped[7] = 4;
        assert_eq!(top_share(&capped, 0.05), Some(0.6));
        assert_eq!(top_share(&[0, 0], 0.05), None);
    }
}
