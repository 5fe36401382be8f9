//! Bar charts by category (e.g. the inefficiency, variance × cost, of each estimator).

use plotters::coord::Shift;
use plotters::prelude::{DrawingArea, DrawingBackend, EmptyElement, Rectangle, Text};
use plotters::style::Color;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::axis::{Axis, Fit, Scale, ScaledRange};
use crate::error::{Result, draw_err};
use crate::figure::Figure;
use crate::format::format_number_sig;
use crate::frame::{Axes, LegendEntry, build_chart, draw_note, layout, tick_targets};
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

    /// Sets the size in pixels (default 900 × 600).
    pub fn with_size(mut self, width: u32, height: u32) -> Self {
        self.size = FigureSize::new(width, height);
        self
    }
}

impl Figure for BarChart {
    fn title(&self) -> &str {
        &self.title
    }

    fn size(&self) -> FigureSize {
        self.size
    }

    fn draw_on<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<Vec<String>> {
        let fonts = Fonts::for_size(self.size);
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
            target_ticks: y_ticks,
            anchor_zero: true,
            log_floor: floor.is_finite().then_some(floor),
            top_room: if self.value_labels { 0.08 } else { 0.0 },
        };
        let y = ScaledRange::fit(&self.y, &values, &[], y_fit, &mut warnings);
        let base = match self.y.scale {
            Scale::Linear => 0.0,
            Scale::Log => y.lo(),
        };
        let x = ScaledRange::categories(self.bars.iter().map(|(n, _)| n.clone()).collect());

        let plot = layout(area, &fonts, &self.title, &[] as &[LegendEntry])?;
        let axes = Axes {
            x,
            y,
            x_desc: self.x_label.clone(),
            y_desc: self.y.description(),
            x_grid: false,
        };
        let chart = build_chart(&plot, &fonts, None, axes)?;
        let label_style = Fonts::text(fonts.tick);
        let gap = fonts.px(4);
        for (i, v) in shown.iter().enumerate() {
            let Some(v) = *v else { continue };
            let color = palette_color(i);
            let c = i as f64;
            let rect = [(c - 0.3, base), (c + 0.3, v)];
            let area = chart.plotting_area();
            area.draw(&Rectangle::new(rect, color.mix(0.75).filled()))
                .map_err(draw_err)?;
            area.draw(&Rectangle::new(
                rect,
                color.stroke_width(fonts.px(1.5) as u32),
            ))
            .map_err(draw_err)?;
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
            draw_note(&chart, &fonts, "no data")?;
        }
        Ok(warnings)
    }
}
