//! Histograms of integer-valued data (e.g. meeting times) with integer bins, log counts
//! by default, several series overlaid or in stacked panels.

use plotters::coord::Shift;
use plotters::prelude::{DrawingArea, DrawingBackend, PathElement, Rectangle};
use plotters::style::Color;

use crate::axis::{Axis, Fit, Scale, ScaledRange};
use crate::error::{Result, draw_err};
use crate::figure::impl_figure;
use crate::frame::{Axes, Glyph, LegendEntry, build_chart, draw_note, layout, tick_targets};
use crate::sanitize::clean_values;
use crate::style::{FigureSize, Fonts, palette_color};

/// How several histogram series share the figure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum HistogramLayout {
    /// All series on one plot, semi-transparent with outlines (best for 2–3 series).
    #[default]
    Overlaid,
    /// One panel per series, stacked vertically with the same x and y ranges.
    Panels,
}

/// Integer bins: bin `k` holds the integers `start + k·width ..= start + (k+1)·width − 1`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IntegerBins {
    /// First integer of bin 0 (a multiple of `width`).
    pub start: i64,
    /// Integers per bin (at least 1).
    pub width: u64,
    /// Count per bin.
    pub counts: Vec<u64>,
}

impl IntegerBins {
    /// Counts `values` (rounded to the nearest integer; NaN/±inf and values outside
    /// `min..=max` ignored) into bins of `width` integers aligned at multiples of `width`,
    /// covering `min..=max`.
    pub fn count(values: &[f64], width: u64, min: i64, max: i64) -> Self {
        let w = width.max(1) as i64;
        let start = min.div_euclid(w) * w;
        let n = if max >= start {
            ((max - start) / w + 1) as usize
        } else {
            0
        };
        let mut counts = vec![0u64; n];
        for &v in values.iter().filter(|v| v.is_finite()) {
            let r = v.round();
            // Values outside min..=max are not counted (compared as f64: no overflow).
            if r < start as f64 || r > max as f64 {
                continue;
            }
            let i = ((r as i64 - start) / w) as usize;
            if i < n {
                counts[i] += 1;
            }
        }
        Self {
            start,
            width: w as u64,
            counts,
        }
    }

    /// The x extent `(left, right)` of bin `k` when drawn: centred on its integers, so bins
    /// of width 1 are centred on their value.
    pub fn edges(&self, k: usize) -> (f64, f64) {
        let left = self.start as f64 + (k as u64 * self.width) as f64 - 0.5;
        (left, left + self.width as f64)
    }
}

/// The smallest bin width in 1, 2, 5, 10, 20, 50, … giving at most `max_bins` bins.
pub(crate) fn auto_bin_width(min: i64, max: i64, max_bins: usize) -> u64 {
    let span = (max - min).unsigned_abs() + 1;
    let max_bins = max_bins.max(1) as u64;
    let mut mag = 1u64;
    loop {
        for m in [1, 2, 5] {
            let w = m * mag;
            // Alignment at multiples of w can add one bin.
            if span.div_ceil(w) < max_bins || mag > u64::MAX / 100 {
                return w;
            }
        }
        mag *= 10;
    }
}

/// Histogram of one or more integer-valued samples.
///
/// Values are rounded to the nearest integer; bins are integer ranges of a common width
/// (chosen from 1, 2, 5, 10, … so there are at most [`with_max_bins`](Self::with_max_bins)
/// bins, or fixed with [`with_bin_width`](Self::with_bin_width)). Counts use a log axis by
/// default, so rare long meeting times stay visible; empty bins are not drawn. NaN/±inf
/// values are skipped with a warning.
///
/// ```no_run
/// use ucg_report::{Figure, Histogram, HistogramLayout};
/// let tau_a: Vec<f64> = vec![1.0, 1.0, 2.0, 3.0, 3.0, 8.0];
/// let tau_b: Vec<f64> = vec![1.0, 1.0, 1.0, 2.0];
/// let saved = Histogram::new("Meeting times", "meeting time τ (iterations)")
///     .series("C-ISIR", tau_a)
///     .series("C-ISIR-DISIR", tau_b)
///     .with_layout(HistogramLayout::Overlaid)
///     .save("results/meeting_times")?;
/// # Ok::<(), ucg_report::ReportError>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Histogram {
    title: String,
    x_label: String,
    series: Vec<(String, Vec<f64>)>,
    log_counts: bool,
    bin_width: Option<u64>,
    max_bins: usize,
    layout: HistogramLayout,
    size: FigureSize,
}

impl Histogram {
    /// An empty histogram: log counts, automatic bins (at most 60), overlaid, default size.
    pub fn new(title: impl Into<String>, x_label: impl Into<String>) -> Self {
        Self {
            title: title.into(),
            x_label: x_label.into(),
            series: Vec::new(),
            log_counts: true,
            bin_width: None,
            max_bins: 60,
            layout: HistogramLayout::Overlaid,
            size: FigureSize::default(),
        }
    }

    /// Adds a sample (e.g. the meeting times of one estimator).
    pub fn series(
        mut self,
        name: impl Into<String>,
        values: impl IntoIterator<Item = f64>,
    ) -> Self {
        self.series
            .push((name.into(), values.into_iter().collect()));
        self
    }

    /// Log-scaled counts (default `true`) or linear counts from zero.
    pub fn with_log_counts(mut self, log: bool) -> Self {
        self.log_counts = log;
        self
    }

    /// Fixes the bin width in integers (0 is treated as 1).
    pub fn with_bin_width(mut self, width: u64) -> Self {
        self.bin_width = Some(width.max(1));
        self
    }

    /// Upper bound on the number of bins when the width is automatic (default 60).
    pub fn with_max_bins(mut self, max_bins: usize) -> Self {
        self.max_bins = max_bins.max(1);
        self
    }

    /// Overlaid (default) or stacked panels.
    pub fn with_layout(mut self, layout: HistogramLayout) -> Self {
        self.layout = layout;
        self
    }

    /// The bins of every series (same start and width), and warnings about skipped values.
    pub fn bins(&self) -> (Vec<IntegerBins>, Vec<String>) {
        let mut warnings = Vec::new();
        let cleaned: Vec<Vec<f64>> = self
            .series
            .iter()
            .map(|(name, v)| {
                let what = format!("series '{name}'");
                let c = clean_values(v, Scale::Linear, &what, &mut warnings);
                if c.is_empty() {
                    warnings.push(format!("{what}: no values to count"));
                }
                c
            })
            .collect();
        // Clamp to a range where i64 arithmetic is exact and safe.
        const LIMIT: f64 = 1e15;
        let mut clamped = 0;
        let cleaned: Vec<Vec<f64>> = cleaned
            .into_iter()
            .map(|c| {
                c.into_iter()
                    .map(|v| {
                        if v.abs() > LIMIT {
                            clamped += 1;
                        }
                        v.clamp(-LIMIT, LIMIT)
                    })
                    .collect()
            })
            .collect();
        if clamped > 0 {
            warnings.push(format!("{clamped} value(s) beyond ±1e15 counted at ±1e15"));
        }
        let (mut min, mut max) = (i64::MAX, i64::MIN);
        for v in cleaned.iter().flatten() {
            let r = v.round() as i64;
            min = min.min(r);
            max = max.max(r);
        }
        if min > max {
            (min, max) = (0, 0);
        }
        let width = self
            .bin_width
            .unwrap_or_else(|| auto_bin_width(min, max, self.max_bins));
        // Never more than about 100,000 bins, whatever the caller asked for.
        let width = width.max(((max - min) as u64).div_ceil(100_000).max(1));
        let bins = cleaned
            .iter()
            .map(|c| IntegerBins::count(c, width, min, max))
            .collect();
        (bins, warnings)
    }

    /// The body of [`Figure::draw_on`](crate::Figure::draw_on).
    fn draw<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        fonts: &Fonts,
    ) -> Result<Vec<String>> {
        let (bins, mut warnings) = self.bins();
        let count_axis = if self.log_counts {
            Axis::log("count")
        } else {
            Axis::new("count")
        };
        let counts: Vec<f64> = bins
            .iter()
            .flat_map(|b| b.counts.iter().filter(|&&c| c > 0).map(|&c| c as f64))
            .collect();
        let edges: Vec<f64> = bins
            .iter()
            .flat_map(|b| {
                let n = b.counts.len();
                (n > 0)
                    .then(|| [b.edges(0).0, b.edges(n - 1).1])
                    .into_iter()
                    .flatten()
            })
            .collect();
        let panels = match self.layout {
            HistogramLayout::Overlaid => 1,
            HistogramLayout::Panels => self.series.len().max(1),
        };
        let (x_ticks, y_ticks) = tick_targets(self.size);
        let y_ticks = (y_ticks / panels).max(4);
        let x_axis = Axis::new(self.x_label.clone());
        let y_fit = Fit {
            anchor_zero: true,
            log_floor: Some(0.5),
            ..Fit::ticks(y_ticks)
        };
        let x = ScaledRange::fit(&x_axis, &edges, &[], Fit::ticks(x_ticks), &mut warnings);
        let y = ScaledRange::fit(&count_axis, &counts, &[], y_fit, &mut warnings);
        let y_floor = y.lo();

        let legend: Vec<LegendEntry> = match self.layout {
            HistogramLayout::Overlaid => self
                .series
                .iter()
                .enumerate()
                .map(|(i, (name, _))| LegendEntry::new(name, palette_color(i), Glyph::Fill))
                .collect(),
            HistogramLayout::Panels => Vec::new(),
        };
        let plot = layout(area, fonts, &self.title, &legend)?;
        let areas = if panels == 1 {
            vec![plot]
        } else {
            plot.split_evenly((panels, 1))
        };
        let groups: Vec<Vec<usize>> = match self.layout {
            HistogramLayout::Overlaid => vec![(0..self.series.len()).collect()],
            HistogramLayout::Panels => (0..self.series.len()).map(|i| vec![i]).collect(),
        };
        for (p, panel) in areas.iter().enumerate() {
            let members = groups.get(p).cloned().unwrap_or_default();
            let caption = match self.layout {
                HistogramLayout::Panels => members.first().map(|&i| self.series[i].0.as_str()),
                HistogramLayout::Overlaid => None,
            };
            let axes = Axes::numeric(x.clone(), y.clone(), &x_axis, &count_axis);
            let chart = build_chart(panel, fonts, caption, axes)?;
            for &i in &members {
                let color = palette_color(i);
                let b = &bins[i];
                let area = chart.plotting_area();
                // Light fill per non-empty bin, then step outlines, so overlaid series stay
                // distinguishable.
                for (k, &c) in b.counts.iter().enumerate().filter(|(_, c)| **c > 0) {
                    let (l, r) = b.edges(k);
                    area.draw(&Rectangle::new(
                        [(l, y_floor), (r, c as f64)],
                        color.mix(0.3).filled(),
                    ))
                    .map_err(draw_err)?;
                }
                // One closed step outline per run of non-empty bins.
                let mut runs: Vec<Vec<(f64, f64)>> = Vec::new();
                let mut current: Vec<(f64, f64)> = Vec::new();
                for (k, &c) in b.counts.iter().enumerate() {
                    let (l, r) = b.edges(k);
                    if c > 0 {
                        if current.is_empty() {
                            current.push((l, y_floor));
                        }
                        current.extend([(l, c as f64), (r, c as f64)]);
                    } else if let Some(&(end, _)) = current.last() {
                        current.push((end, y_floor));
                        runs.push(std::mem::take(&mut current));
                    }
                }
                if let Some(&(end, _)) = current.last() {
                    current.push((end, y_floor));
                    runs.push(current);
                }
                for run in runs {
                    area.draw(&PathElement::new(
                        run,
                        color.stroke_width(fonts.px(2) as u32),
                    ))
                    .map_err(draw_err)?;
                }
            }
            if members
                .iter()
                .all(|&i| bins[i].counts.iter().all(|&c| c == 0))
            {
                draw_note(&chart, fonts, "no data")?;
            }
        }
        Ok(warnings)
    }
}

impl_figure!(Histogram);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_bins() {
        let b = IntegerBins::count(&[1.0, 1.2, 2.0, 7.0, f64::NAN], 1, 1, 7);
        assert_eq!(b.start, 1);
        assert_eq!(b.counts, [2, 1, 0, 0, 0, 0, 1]);
        assert_eq!(b.edges(0), (0.5, 1.5));
        let b = IntegerBins::count(&[1.0, 4.0, 5.0, 9.0], 5, 1, 9);
        assert_eq!((b.start, b.counts.clone()), (0, vec![2, 2]));
        assert_eq!(b.edges(1), (4.5, 9.5));
        let b = IntegerBins::count(&[-3.0, -1.0], 2, -3, -1);
        assert_eq!((b.start, b.counts.clone()), (-4, vec![1, 1]));
    }

    #[test]
    fn automatic_width() {
        assert_eq!(auto_bin_width(1, 30, 60), 1);
        assert_eq!(auto_bin_width(1, 100, 60), 2);
        assert_eq!(auto_bin_width(0, 10_000, 60), 200);
        assert_eq!(auto_bin_width(5, 5, 60), 1);
    }
}
