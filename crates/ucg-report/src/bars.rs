//! Bar charts by category (e.g. the inefficiency, variance × cost, of each estimator).

use plotters::coord::Shift;
use plotters::prelude::{DrawingArea, DrawingBackend, EmptyElement, Text};
use plotters::style::Color;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::axis::{Axis, Fit, Scale, ScaledRange};
use crate::error::{Result, draw_err};
use crate::figure::impl_figure;
use crate::format::format_number_sig;
use crate::frame::{Axes, draw_frame, draw_note, draw_outlined_rect, tick_targets};
use crate::sanitize::Dropped;
use crate::style::{FigureSize, Fonts, palette_color};

/// One bar per category, with the value printed above it; linear or log value axis.
///
/// On a linear axis bars grow from 0 (down for negative values); on a log axis they grow
/// from the bottom of the plot, and values `<= 0` cannot be shown. Bars whose value cannot
/// be shown are left out with a warning, keeping their slot and name.
///
/// ```no_run
/// use ucg_report::{Axis, BarChart, Figure};
/// let saved = BarChart::new("Inefficiency: variance × cost", Axis::log("variance × cost").with_unit("gradient evaluations"))
///     .with_x_label("estimator")
///     .bar("IWAE", 1.2e3)
///     .bar("C-ISIR", 8.5e3)
///     .bar("C-ISIR-DISIR", 2.1e3)
///     .save("results/inefficiency")?;
/// # Ok::<(), ucg_report::ReportError>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct BarChart {
    title: String,
    x_label: String,
    y: Axis,
    bars: Vec<(String, f64)>,
    value_labels: bool,
    size: FigureSize,
}

impl BarChart {
    /// An empty bar chart with value labels on, no x label and the default size.
    pub fn new(title: impl Into<String>, y: Axis) -> Self {
        Self {
            title: title.into(),
            x_label: String::new(),
            y,
            bars: Vec::new(),
            value_labels: true,
            size: FigureSize::default(),
        }
    }

    /// Adds a bar.
    pub fn bar(mut self, name: impl Into<String>, value: f64) -> Self {
        self.bars.push((name.into(), value));
        self
    }

    /// Adds several bars.
    pub fn bars<S: Into<String>>(mut self, bars: impl IntoIterator<Item = (S, f64)>) -> Self {
        self.bars
            .extend(bars.into_iter().map(|(n, v)| (n.into(), v)));
        self
    }

    /// Sets the label under the category axis (default none).
    pub fn with_x_label(mut self, label: impl Into<String>) -> Self {
        self.x_label = label.into();
        self
    }

    /// Prints each value (4 significant digits) above its bar (default `true`).
    pub fn with_value_labels(mut self, show: bool) -> Self {
        self.value_labels = show;
        self
    }

    /// The body of [`Figure::draw_on`](crate::Figure::draw_on).
    fn draw<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        fonts: &Fonts,
    ) -> Result<Vec<String>> {
        let (_, y_ticks) = tick_targets(self.size);
        let mut warnings = Vec::new();
        let shown: Vec<Option<f64>> = self
            .bars
            .iter()
            .map(|(name, v)| {
                let mut dropped = Dropped::default();
                let ok = dropped.check(self.y.scale, *v);
                dropped.warn(&format!("bar '{name}'"), &mut warnings);
                ok.then_some(*v)
            })
            .collect();
        let values: Vec<f64> = shown.iter().flatten().copied().collect();
        // Bars on a log axis grow from the decade below the smallest value (at least a
        // factor 1.5 below it, so the shortest bar stays visible).
        let min = values.iter().copied().fold(f64::INFINITY, f64::min);
        let floor = 10f64.powf((min / 1.5).log10().floor());
        let y_fit = Fit {
            anchor_zero: true,
            log_floor: floor.is_finite().then_some(floor),
            top_room: if self.value_labels { 0.08 } else { 0.0 },
            ..Fit::ticks(y_ticks)
        };
        let y = ScaledRange::fit(&self.y, &values, &[], y_fit, &mut warnings);
        let base = match self.y.scale {
            Scale::Linear => 0.0,
            Scale::Log => y.lo(),
        };
        let names = self.bars.iter().map(|(n, _)| n.clone()).collect();
        let axes = Axes::categories(names, &self.x_label, y, &self.y);
        let chart = draw_frame(area, fonts, &self.title, &[], axes, None)?;
        let label_style = Fonts::text(fonts.tick);
        let gap = fonts.px(4);
        for (i, v) in shown.iter().enumerate() {
            let Some(v) = *v else { continue };
            let color = palette_color(i);
            let c = i as f64;
            let rect = [(c - 0.3, base), (c + 0.3, v)];
            let area = chart.plotting_area();
            let outline = color.stroke_width(fonts.px(1.5) as u32);
            draw_outlined_rect(area, rect, color.mix(0.75).filled(), outline)?;
            if self.value_labels {
                let (vpos, dy) = if v >= base {
                    (VPos::Bottom, -gap)
                } else {
                    (VPos::Top, gap)
                };
                let style = label_style.clone().pos(Pos::new(HPos::Center, vpos));
                let text = Text::new(format_number_sig(v, 4), (0, dy), style);
                area.draw(&(EmptyElement::at((c, v)) + text))
                    .map_err(draw_err)?;
            }
        }
        if values.is_empty() {
            draw_note(&chart, fonts, "no data")?;
        }
        Ok(warnings)
    }
}

impl_figure!(BarChart);
