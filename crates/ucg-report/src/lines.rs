//! Line charts with markers: several series of `y` against `x`.

use plotters::coord::Shift;
use plotters::prelude::{DrawingArea, DrawingBackend};

use crate::axis::{Axis, Fit, ScaledRange, fit_x_with_data_ticks};
use crate::error::Result;
use crate::figure::impl_figure;
use crate::frame::{
    Axes, Glyph, LegendEntry, draw_frame, draw_note, draw_polyline, draw_series_marker,
    tick_targets,
};
use crate::sanitize::clean_points;
use crate::style::{FigureSize, Fonts, REFERENCE_COLOR, SeriesStyle};

/// One series of a [`LineChart`]: named `(x, y)` points, joined in the given order.
#[derive(Clone, Debug, PartialEq)]
pub struct LineSeries {
    /// Legend name.
    pub name: String,
    /// Points, joined in this order (sort them by `x` first if that is what you mean).
    pub points: Vec<(f64, f64)>,
    /// Colour, marker and dash.
    pub style: SeriesStyle,
}

/// Several series of `y` against `x`, drawn as lines with markers, optional log axes.
///
/// Points with a NaN/infinite coordinate, or a coordinate `<= 0` on a log axis, are skipped
/// (with a warning) and their neighbours joined. When the x axis has no explicit ticks and
/// the data have at most 8 distinct x values (a sweep such as D = 10, 50, 100, 300), those
/// values are the labelled ticks.
///
/// ```no_run
/// use ucg_report::{Axis, Figure, LineChart, SeriesStyle};
/// let k = [2.0_f64, 5.0, 10.0, 50.0, 100.0];
/// let chart = LineChart::new("Meeting time against K", Axis::log("K"), Axis::log("meeting time τ").with_unit("iterations"))
///     .series("C-ISIR mean", k.iter().map(|&k| (k, 20.0 / k.sqrt())))
///     .series_styled("C-ISIR 99% quantile", k.iter().map(|&k| (k, 90.0 / k.sqrt())), SeriesStyle::nth(0).dashed());
/// let saved = chart.save("results/tau_vs_k")?;
/// # Ok::<(), ucg_report::ReportError>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct LineChart {
    title: String,
    x: Axis,
    y: Axis,
    series: Vec<LineSeries>,
    markers: bool,
    reference: Option<f64>,
    reference_label: Option<String>,
    size: FigureSize,
}

impl LineChart {
    /// An empty chart with markers on, no reference line and the default size.
    pub fn new(title: impl Into<String>, x: Axis, y: Axis) -> Self {
        Self {
            title: title.into(),
            x,
            y,
            series: Vec::new(),
            markers: true,
            reference: None,
            reference_label: None,
            size: FigureSize::default(),
        }
    }

    /// Adds a series with the next default style ([`SeriesStyle::nth`]).
    pub fn series(
        self,
        name: impl Into<String>,
        points: impl IntoIterator<Item = (f64, f64)>,
    ) -> Self {
        let style = SeriesStyle::nth(self.series.len());
        self.series_styled(name, points, style)
    }

    /// Adds a series with an explicit style (e.g. the same colour, dashed, for a quantile).
    pub fn series_styled(
        mut self,
        name: impl Into<String>,
        points: impl IntoIterator<Item = (f64, f64)>,
        style: SeriesStyle,
    ) -> Self {
        self.series.push(LineSeries {
            name: name.into(),
            points: points.into_iter().collect(),
            style,
        });
        self
    }

    /// Draws markers at the points (default `true`).
    pub fn with_markers(mut self, markers: bool) -> Self {
        self.markers = markers;
        self
    }

    /// Draws a dashed horizontal reference line at `y` (default `None`).
    pub fn with_reference_line(mut self, y: Option<f64>) -> Self {
        self.reference = y;
        self
    }

    /// Names the reference line in the legend (a dashed grey entry), e.g. `"Bonferroni bound 5.69"`;
    /// without a name the line has no legend entry.
    pub fn with_reference_label(mut self, label: impl Into<String>) -> Self {
        self.reference_label = Some(label.into());
        self
    }

    /// The body of [`Figure::draw_on`](crate::Figure::draw_on).
    fn draw<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        fonts: &Fonts,
    ) -> Result<Vec<String>> {
        let (x_ticks, y_ticks) = tick_targets(self.size);
        let mut warnings = Vec::new();
        let scales = (self.x.scale, self.y.scale);
        let cleaned: Vec<Vec<(f64, f64)>> = self
            .series
            .iter()
            .map(|s| {
                let what = format!("series '{}'", s.name);
                let pts = clean_points(&s.points, scales, &what, &mut warnings);
                if pts.is_empty() {
                    warnings.push(format!("{what}: no points to draw"));
                }
                pts
            })
            .collect();
        let xs: Vec<f64> = cleaned.iter().flatten().map(|p| p.0).collect();
        let ys: Vec<f64> = cleaned.iter().flatten().map(|p| p.1).collect();
        let reference = self.reference.filter(|&r| self.y.accepts(r));
        let x = fit_x_with_data_ticks(&self.x, &xs, &xs, Fit::ticks(x_ticks), &mut warnings);
        let y_fit = Fit::ticks(y_ticks);
        let y = ScaledRange::fit(&self.y, &ys, reference.as_slice(), y_fit, &mut warnings);

        let mut legend: Vec<LegendEntry> = self
            .series
            .iter()
            .map(|s| {
                let glyph = Glyph::Line {
                    dashed: s.style.dashed,
                    marker: self.markers.then_some(s.style.marker),
                    width: fonts.line_width(),
                };
                LegendEntry::new(&s.name, s.style.rgb(), glyph)
            })
            .collect();
        if let (Some(_), Some(label)) = (reference, &self.reference_label) {
            let glyph = Glyph::Line {
                dashed: true,
                marker: None,
                width: fonts.line_width(),
            };
            legend.push(LegendEntry::new(label, REFERENCE_COLOR, glyph));
        }
        let axes = Axes::numeric(x, y, &self.x, &self.y);
        let mut chart = draw_frame(area, fonts, &self.title, &legend, axes, reference)?;
        for (s, pts) in self.series.iter().zip(&cleaned) {
            draw_polyline(&mut chart, fonts, pts, s.style.rgb(), s.style.dashed)?;
            if self.markers {
                for &p in pts {
                    draw_series_marker(&chart, fonts, p, s.style)?;
                }
            }
        }
        if xs.is_empty() {
            draw_note(&chart, fonts, "no data")?;
        }
        Ok(warnings)
    }
}

impl_figure!(LineChart);
