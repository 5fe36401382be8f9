//! Box plots by category, with whiskers, outliers, means and a reference line.

use plotters::coord::Shift;
use plotters::prelude::{DrawingArea, DrawingBackend, PathElement};
use plotters::style::{BLACK, Color};

use crate::axis::{Axis, Fit, ScaledRange};
use crate::error::{Result, draw_err};
use crate::figure::impl_figure;
use crate::frame::{
    Axes, Glyph, LegendEntry, draw_frame, draw_marker, draw_note, draw_outlined_rect, tick_targets,
};
use crate::sanitize::clean_values;
use crate::style::{FigureSize, Fonts, Marker, palette_color};

/// Where the whiskers of a box end.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Whiskers {
    /// Tukey's rule: at the most extreme values within 1.5 × IQR of the box; values beyond
    /// are outliers.
    #[default]
    Tukey,
    /// At the minimum and maximum; there are no outliers.
    MinMax,
}

/// Summary of one box: quartiles (linear interpolation between order statistics, as R's
/// default `type = 7`), mean, whisker ends and outliers.
#[derive(Clone, Debug, PartialEq)]
pub struct BoxStats {
    /// Number of values summarised.
    pub n: usize,
    /// First quartile (25%).
    pub q1: f64,
    /// Median.
    pub median: f64,
    /// Third quartile (75%).
    pub q3: f64,
    /// Arithmetic mean.
    pub mean: f64,
    /// Lower whisker end.
    pub lower_whisker: f64,
    /// Upper whisker end.
    pub upper_whisker: f64,
    /// Values beyond the whiskers, sorted.
    pub outliers: Vec<f64>,
}

impl BoxStats {
    /// Summarises the finite values of `values` (NaN/±inf are ignored); `None` if there
    /// are none.
    ///
    /// ```
    /// use ucg_report::{BoxStats, Whiskers};
    /// let s = BoxStats::compute(&[1.0, 2.0, 3.0, 4.0, 100.0], Whiskers::Tukey).unwrap();
    /// assert_eq!((s.q1, s.median, s.q3), (2.0, 3.0, 4.0));
    /// assert_eq!((s.lower_whisker, s.upper_whisker), (1.0, 4.0));
    /// assert_eq!(s.outliers, [100.0]);
    /// ```
    pub fn compute(values: &[f64], whiskers: Whiskers) -> Option<Self> {
        let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
        if v.is_empty() {
            return None;
        }
        v.sort_by(f64::total_cmp);
        let n = v.len();
        let q = |p: f64| {
            let h = p * (n - 1) as f64;
            let (lo, hi) = (h.floor() as usize, h.ceil() as usize);
            v[lo] + (h - lo as f64) * (v[hi] - v[lo])
        };
        let (q1, median, q3) = (q(0.25), q(0.5), q(0.75));
        let mean = v.iter().sum::<f64>() / n as f64;
        let (lower_whisker, upper_whisker, outliers) = match whiskers {
            Whiskers::MinMax => (v[0], v[n - 1], Vec::new()),
            Whiskers::Tukey => {
                let iqr = q3 - q1;
                let (lo_fence, hi_fence) = (q1 - 1.5 * iqr, q3 + 1.5 * iqr);
                let inside = |x: &&f64| **x >= lo_fence && **x <= hi_fence;
                let lw = v.iter().find(inside).copied().unwrap_or(q1);
                let uw = v.iter().rev().find(inside).copied().unwrap_or(q3);
                let out = v
                    .iter()
                    .copied()
                    .filter(|x| *x < lo_fence || *x > hi_fence)
                    .collect();
                (lw, uw, out)
            }
        };
        Some(Self {
            n,
            q1,
            median,
            q3,
            mean,
            lower_whisker,
            upper_whisker,
            outliers,
        })
    }
}

/// Box plots of several samples side by side, one per category (e.g. per estimator).
///
/// Each box spans the quartiles with a line at the median; whiskers follow [`Whiskers`]
/// (Tukey's 1.5 × IQR by default, outliers drawn as hollow circles); the mean is a diamond.
/// A dashed reference line (default at 0) marks the target. NaN/±inf values, and values
/// `<= 0` on a log axis, are skipped with a warning. With hundreds of thousands of values
/// per box, consider [`with_outliers(false)`](Self::with_outliers) to keep the SVG small.
///
/// ```no_run
/// use ucg_report::{Axis, BoxPlot, Figure};
/// let saved = BoxPlot::new("Signed error of one intercept component", Axis::new("signed error"))
///     .with_x_label("estimator")
///     .group("ELBO", vec![0.30, 0.35, 0.28, 0.4])
///     .group("IWAE", vec![0.05, 0.07, 0.02, 0.09])
///     .group("C-ISIR", vec![-0.1, 0.1, 0.02, -0.03])
///     .save("results/fig2_boxplot")?;
/// # Ok::<(), ucg_report::ReportError>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct BoxPlot {
    title: String,
    x_label: String,
    y: Axis,
    groups: Vec<(String, Vec<f64>)>,
    whiskers: Whiskers,
    outliers: bool,
    mean: bool,
    reference: Option<f64>,
    size: FigureSize,
}

impl BoxPlot {
    /// An empty box plot: Tukey whiskers, outliers and means shown, reference line at 0,
    /// no x label, default size.
    pub fn new(title: impl Into<String>, y: Axis) -> Self {
        Self {
            title: title.into(),
            x_label: String::new(),
            y,
            groups: Vec::new(),
            whiskers: Whiskers::Tukey,
            outliers: true,
            mean: true,
            reference: Some(0.0),
            size: FigureSize::default(),
        }
    }

    /// Adds a category and its sample.
    pub fn group(mut self, name: impl Into<String>, values: impl IntoIterator<Item = f64>) -> Self {
        self.groups
            .push((name.into(), values.into_iter().collect()));
        self
    }

    /// Sets the label under the category axis (default none).
    pub fn with_x_label(mut self, label: impl Into<String>) -> Self {
        self.x_label = label.into();
        self
    }

    /// Sets the whisker rule (default [`Whiskers::Tukey`]).
    pub fn with_whiskers(mut self, whiskers: Whiskers) -> Self {
        self.whiskers = whiskers;
        self
    }

    /// Draws outliers beyond Tukey whiskers (default `true`).
    pub fn with_outliers(mut self, show: bool) -> Self {
        self.outliers = show;
        self
    }

    /// Marks the mean of each sample with a diamond (default `true`).
    pub fn with_mean(mut self, show: bool) -> Self {
        self.mean = show;
        self
    }

    /// Sets the horizontal reference line (default `Some(0.0)`; `None` for none).
    pub fn with_reference_line(mut self, y: Option<f64>) -> Self {
        self.reference = y;
        self
    }

    /// The summary of every group (in order) and warnings about skipped values.
    pub fn stats(&self) -> (Vec<Option<BoxStats>>, Vec<String>) {
        let mut warnings = Vec::new();
        let stats = self
            .groups
            .iter()
            .map(|(name, values)| {
                let what = format!("group '{name}'");
                let kept = clean_values(values, self.y.scale, &what, &mut warnings);
                let s = BoxStats::compute(&kept, self.whiskers);
                if s.is_none() {
                    warnings.push(format!("{what}: no values to draw"));
                }
                s
            })
            .collect();
        (stats, warnings)
    }

    /// The body of [`Figure::draw_on`](crate::Figure::draw_on).
    fn draw<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        fonts: &Fonts,
    ) -> Result<Vec<String>> {
        let (_, y_ticks) = tick_targets(self.size);
        let (stats, mut warnings) = self.stats();
        let show_outliers = self.outliers && self.whiskers == Whiskers::Tukey;
        let mut ys = Vec::new();
        for s in stats.iter().flatten() {
            ys.extend([s.lower_whisker, s.upper_whisker, s.mean]);
            if show_outliers {
                ys.extend(&s.outliers);
            }
        }
        let reference = self.reference.filter(|&r| self.y.accepts(r));
        let y_fit = Fit::ticks(y_ticks);
        let y = ScaledRange::fit(&self.y, &ys, reference.as_slice(), y_fit, &mut warnings);

        let ink = BLACK.mix(0.85).to_rgba();
        let ink = plotters::style::RGBColor(ink.0, ink.1, ink.2);
        let mut legend = vec![LegendEntry::new(
            "median",
            ink,
            Glyph::Line {
                dashed: false,
                marker: None,
                width: fonts.px(3) as u32,
            },
        )];
        if self.mean {
            legend.push(LegendEntry::new(
                "mean",
                ink,
                Glyph::Point {
                    marker: Marker::Diamond,
                    filled: true,
                },
            ));
        }
        if show_outliers && stats.iter().flatten().any(|s| !s.outliers.is_empty()) {
            legend.push(LegendEntry::new(
                "outliers (> 1.5 IQR)",
                ink,
                Glyph::Point {
                    marker: Marker::Circle,
                    filled: false,
                },
            ));
        }
        let names = self.groups.iter().map(|(n, _)| n.clone()).collect();
        let axes = Axes::categories(names, &self.x_label, y, &self.y);
        let chart = draw_frame(area, fonts, &self.title, &legend, axes, reference)?;
        let half_box = 0.25;
        let half_cap = 0.12;
        for (i, s) in stats.iter().enumerate() {
            let Some(s) = s else { continue };
            let color = palette_color(i);
            let c = i as f64;
            let line = color.stroke_width(fonts.px(2) as u32);
            let area = chart.plotting_area();
            let whisker_lines = [
                vec![(c, s.q3), (c, s.upper_whisker)],
                vec![(c, s.q1), (c, s.lower_whisker)],
                vec![
                    (c - half_cap, s.upper_whisker),
                    (c + half_cap, s.upper_whisker),
                ],
                vec![
                    (c - half_cap, s.lower_whisker),
                    (c + half_cap, s.lower_whisker),
                ],
            ];
            for w in whisker_lines {
                area.draw(&PathElement::new(w, line)).map_err(draw_err)?;
            }
            let rect = [(c - half_box, s.q1), (c + half_box, s.q3)];
            draw_outlined_rect(area, rect, color.mix(0.25).filled(), line)?;
            area.draw(&PathElement::new(
                vec![(c - half_box, s.median), (c + half_box, s.median)],
                ink.stroke_width(fonts.px(3) as u32),
            ))
            .map_err(draw_err)?;
            if show_outliers {
                for &o in &s.outliers {
                    draw_marker(area, (c, o), Marker::Circle, fonts.px(3.5), color, false)?;
                }
            }
            if self.mean {
                draw_marker(area, (c, s.mean), Marker::Diamond, fonts.px(5), ink, true)?;
            }
        }
        if stats.iter().all(Option::is_none) {
            draw_note(&chart, fonts, "no data")?;
        }
        Ok(warnings)
    }
}

impl_figure!(BoxPlot);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quartiles_interpolate() {
        let s = BoxStats::compute(&[4.0, 1.0, 3.0, 2.0], Whiskers::MinMax).unwrap();
        assert_eq!((s.q1, s.median, s.q3), (1.75, 2.5, 3.25));
        assert_eq!((s.lower_whisker, s.upper_whisker), (1.0, 4.0));
        assert!(s.outliers.is_empty());
        assert_eq!(s.mean, 2.5);
    }

    #[test]
    fn single_and_empty() {
        let s = BoxStats::compute(&[f64::NAN, 7.0], Whiskers::Tukey).unwrap();
        assert_eq!(
            (s.n, s.q1, s.q3, s.lower_whisker, s.upper_whisker),
            (1, 7.0, 7.0, 7.0, 7.0)
        );
        assert!(BoxStats::compute(&[f64::NAN], Whiskers::Tukey).is_none());
        assert!(BoxStats::compute(&[], Whiskers::Tukey).is_none());
    }

    #[test]
    fn tukey_outliers_both_sides() {
        let mut v: Vec<f64> = (0..20).map(f64::from).collect();
        v.extend([-100.0, 100.0]);
        let s = BoxStats::compute(&v, Whiskers::Tukey).unwrap();
        assert_eq!(s.outliers, [-100.0, 100.0]);
        assert_eq!((s.lower_whisker, s.upper_whisker), (0.0, 19.0));
    }
}
