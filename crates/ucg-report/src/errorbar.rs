//! Error-bar charts: several series of (x, mean ± half-width) against x.

use plotters::coord::Shift;
use plotters::prelude::{DrawingArea, DrawingBackend, EmptyElement, PathElement};
use plotters::style::Color;

use crate::axis::{Axis, Fit, Scale, ScaledRange, fit_x_with_data_ticks, from_linear, to_linear};
use crate::error::{Result, draw_err};
use crate::figure::impl_figure;
use crate::frame::{
    Axes, Glyph, LegendEntry, draw_frame, draw_note, draw_polyline, draw_series_marker,
    tick_targets,
};
use crate::sanitize::Dropped;
use crate::style::{FigureSize, Fonts, SeriesStyle};

/// One point of an [`ErrorBarChart`]: a mean at `x` with a bar from `mean - half_width` to
/// `mean + half_width` (e.g. two standard errors).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ErrorPoint {
    /// Position on the x axis.
    pub x: f64,
    /// The central value (drawn as a marker).
    pub mean: f64,
    /// Half the bar's length; a negative value is used as its absolute value, a NaN or
    /// infinite one draws the marker without a bar.
    pub half_width: f64,
}

impl ErrorPoint {
    /// A point at `x` with value `mean ± half_width`.
    pub const fn new(x: f64, mean: f64, half_width: f64) -> Self {
        Self {
            x,
            mean,
            half_width,
        }
    }
}

/// One series of an [`ErrorBarChart`].
#[derive(Clone, Debug, PartialEq)]
pub struct ErrorSeries {
    /// Legend name.
    pub name: String,
    /// The points, joined in this order when [`ErrorBarChart::with_lines`] is on.
    pub points: Vec<ErrorPoint>,
    /// Colour, marker and dash of the joining line.
    pub style: SeriesStyle,
}

/// Means with error bars for several series against a shared x axis (linear or log).
///
/// Series are dodged horizontally (in the axis's own linear or log space) so bars at the
/// same x do not overlap; a dashed reference line (default at 0) shows the target value.
/// When the x axis has no explicit ticks and there are at most 8 distinct x values, those
/// values are the labelled ticks. Points whose x or mean cannot be shown are skipped with a
/// warning; bar ends outside the plot are clipped at its edge.
///
/// ```no_run
/// use ucg_report::{Axis, ErrorBarChart, ErrorPoint, Figure};
/// let ks = [2.0, 5.0, 10.0, 50.0, 100.0];
/// let chart = ErrorBarChart::new("Bias against K", Axis::log("number of particles K"), Axis::new("mean signed error"))
///     .series("IWAE", ks.iter().map(|&k| ErrorPoint::new(k, -1.0 / k, 0.02)))
///     .series("C-ISIR", ks.iter().map(|&k| ErrorPoint::new(k, 0.0, 0.03)));
/// let saved = chart.save("results/bias_vs_k")?;
/// # Ok::<(), ucg_report::ReportError>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct ErrorBarChart {
    title: String,
    x: Axis,
    y: Axis,
    series: Vec<ErrorSeries>,
    reference: Option<f64>,
    dodge: f64,
    lines: bool,
    size: FigureSize,
}

impl ErrorBarChart {
    /// An empty chart: reference line at 0, dodge 0.3, thin joining lines, default size.
    pub fn new(title: impl Into<String>, x: Axis, y: Axis) -> Self {
        Self {
            title: title.into(),
            x,
            y,
            series: Vec::new(),
            reference: Some(0.0),
            dodge: 0.3,
            lines: true,
            size: FigureSize::default(),
        }
    }

    /// Adds a series with the next default style ([`SeriesStyle::nth`]).
    pub fn series(
        self,
        name: impl Into<String>,
        points: impl IntoIterator<Item = ErrorPoint>,
    ) -> Self {
        let style = SeriesStyle::nth(self.series.len());
        self.series_styled(name, points, style)
    }

    /// Adds a series with an explicit style.
    pub fn series_styled(
        mut self,
        name: impl Into<String>,
        points: impl IntoIterator<Item = ErrorPoint>,
        style: SeriesStyle,
    ) -> Self {
        self.series.push(ErrorSeries {
            name: name.into(),
            points: points.into_iter().collect(),
            style,
        });
        self
    }

    /// Sets the horizontal reference line (default `Some(0.0)`; `None` for none).
    pub fn with_reference_line(mut self, y: Option<f64>) -> Self {
        self.reference = y;
        self
    }

    /// Sets the dodge: all series at one x spread over this fraction of the smallest gap
    /// between distinct x values (default 0.3; 0 puts them on top of each other).
    pub fn with_dodge(mut self, fraction: f64) -> Self {
        self.dodge = if fraction.is_finite() {
            fraction.clamp(0.0, 0.9)
        } else {
            0.0
        };
        self
    }

    /// Joins each series' means with a thin line (default `true`).
    pub fn with_lines(mut self, lines: bool) -> Self {
        self.lines = lines;
        self
    }

    /// Offsets (in the x axis's linear space) of each series, centred on 0.
    fn dodge_offsets(&self, xs: &[f64]) -> Vec<f64> {
        let n = self.series.len();
        if n < 2 || self.dodge == 0.0 {
            return vec![0.0; n];
        }
        let mut ts: Vec<f64> = xs.iter().map(|&x| to_linear(self.x.scale, x)).collect();
        ts.sort_by(f64::total_cmp);
        ts.dedup();
        let min_gap = ts
            .windows(2)
            .map(|w| w[1] - w[0])
            .fold(f64::INFINITY, f64::min);
        let gap = if min_gap.is_finite() && min_gap > 0.0 {
            min_gap
        } else {
            // A single x value: dodge relative to its magnitude (or 1 around zero).
            match ts.first() {
                Some(&t) if self.x.scale == Scale::Linear && t != 0.0 => 0.2 * t.abs(),
                Some(_) if self.x.scale == Scale::Log => 0.2,
                _ => 1.0,
            }
        };
        let step = self.dodge * gap / (n - 1) as f64;
        (0..n)
            .map(|i| (i as f64 - (n - 1) as f64 / 2.0) * step)
            .collect()
    }
}

/// A cleaned point: dodged x, mean, and the bar ends if it has a bar.
struct Placed {
    x: f64,
    mean: f64,
    bar: Option<(f64, f64)>,
}

impl ErrorBarChart {
    /// The body of [`Figure::draw_on`](crate::Figure::draw_on).
    fn draw<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        fonts: &Fonts,
    ) -> Result<Vec<String>> {
        let (x_ticks, y_ticks) = tick_targets(self.size);
        let mut warnings = Vec::new();
        let (xs_scale, ys_scale) = (self.x.scale, self.y.scale);

        // Keep points whose x and mean are drawable.
        let kept: Vec<Vec<ErrorPoint>> = self
            .series
            .iter()
            .map(|s| {
                let what = format!("series '{}'", s.name);
                let mut dropped = Dropped::default();
                let pts: Vec<ErrorPoint> = s
                    .points
                    .iter()
                    .copied()
                    .filter(|p| dropped.check(xs_scale, p.x) && dropped.check(ys_scale, p.mean))
                    .collect();
                dropped.warn(&what, &mut warnings);
                let no_bar = pts.iter().filter(|p| !p.half_width.is_finite()).count();
                if no_bar > 0 {
                    warnings.push(format!(
                        "{what}: {no_bar} point(s) with a non-finite half-width drawn without a bar"
                    ));
                }
                if pts.is_empty() {
                    warnings.push(format!("{what}: no points to draw"));
                }
                pts
            })
            .collect();
        let raw_xs: Vec<f64> = kept.iter().flatten().map(|p| p.x).collect();
        let offsets = self.dodge_offsets(&raw_xs);
        let placed: Vec<Vec<Placed>> = kept
            .iter()
            .zip(&offsets)
            .map(|(pts, &off)| {
                pts.iter()
                    .map(|p| {
                        let h = p.half_width.abs();
                        Placed {
                            x: from_linear(xs_scale, to_linear(xs_scale, p.x) + off),
                            mean: p.mean,
                            bar: h.is_finite().then_some((p.mean - h, p.mean + h)),
                        }
                    })
                    .collect()
            })
            .collect();

        let xs: Vec<f64> = placed.iter().flatten().map(|p| p.x).collect();
        let mut ys: Vec<f64> = Vec::new();
        for p in placed.iter().flatten() {
            ys.push(p.mean);
            if let Some((lo, hi)) = p.bar {
                ys.extend([lo, hi].into_iter().filter(|&v| self.y.accepts(v)));
            }
        }
        let reference = self.reference.filter(|&r| self.y.accepts(r));
        // Ticks at the undodged x values of a sweep, range around the dodged ones.
        let x_fit = Fit::ticks(x_ticks);
        let x_range = fit_x_with_data_ticks(&self.x, &xs, &raw_xs, x_fit, &mut warnings);
        let y_fit = Fit::ticks(y_ticks);
        let y_range = ScaledRange::fit(&self.y, &ys, reference.as_slice(), y_fit, &mut warnings);
        let (y_lo, y_hi) = (y_range.lo(), y_range.hi());

        let legend: Vec<LegendEntry> = self
            .series
            .iter()
            .map(|s| {
                LegendEntry::new(
                    &s.name,
                    s.style.rgb(),
                    Glyph::ErrorBar {
                        marker: s.style.marker,
                    },
                )
            })
            .collect();
        let axes = Axes::numeric(x_range, y_range, &self.x, &self.y);
        let mut chart = draw_frame(area, fonts, &self.title, &legend, axes, reference)?;
        let cap = fonts.px(6);
        for (s, pts) in self.series.iter().zip(&placed) {
            let color = s.style.rgb();
            if self.lines {
                let line: Vec<(f64, f64)> = pts.iter().map(|p| (p.x, p.mean)).collect();
                let thin = fonts.px(1.2) as u32;
                let style = color.mix(0.6).stroke_width(thin);
                if s.style.dashed {
                    draw_polyline(&mut chart, fonts, &line, color, true)?;
                } else if line.len() >= 2 {
                    chart
                        .plotting_area()
                        .draw(&PathElement::new(line, style))
                        .map_err(draw_err)?;
                }
            }
            let bar_style = color.stroke_width(fonts.px(2) as u32);
            for p in pts {
                if let Some((lo, hi)) = p.bar {
                    let area = chart.plotting_area();
                    area.draw(&PathElement::new(vec![(p.x, lo), (p.x, hi)], bar_style))
                        .map_err(draw_err)?;
                    // Caps only at ends inside the plot; clipped ends stay open.
                    let visible = |v: f64| self.y.accepts(v) && v >= y_lo && v <= y_hi;
                    for end in [lo, hi].into_iter().filter(|&v| visible(v)) {
                        area.draw(
                            &(EmptyElement::at((p.x, end))
                                + PathElement::new(vec![(-cap, 0), (cap, 0)], bar_style)),
                        )
                        .map_err(draw_err)?;
                    }
                }
                draw_series_marker(&chart, fonts, (p.x, p.mean), s.style)?;
            }
        }
        if xs.is_empty() {
            draw_note(&chart, fonts, "no data")?;
        }
        Ok(warnings)
    }
}

impl_figure!(ErrorBarChart);
