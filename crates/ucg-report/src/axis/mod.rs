//! Axis descriptions ([`Axis`], [`Scale`]) and the one coordinate type every figure uses.
//!
//! - this module: the public description of an axis (label, unit, scale, optional range and ticks)
//!   and the value transforms shared by the rest;
//! - [`range`]: [`ScaledRange`], the plotters coordinate all figures draw on (linear or logarithmic,
//!   carrying its own ticks and tick labels; category axes are the same type with integer positions
//!   `0..n` and names), and how a range is fitted to the data;
//! - [`ticks`]: the tick algorithms (1-2-5 steps, decades, data values of a sweep).

mod range;
mod ticks;

pub(crate) use range::{Fit, ScaledRange, fit_x_with_data_ticks};

/// How values map to positions along an axis.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Scale {
    /// Equal distances for equal differences.
    #[default]
    Linear,
    /// Equal distances for equal ratios (base 10). Values `<= 0` cannot be shown and are
    /// skipped with a warning.
    Log,
}

/// Description of one axis: its label, unit, scale, and optionally a fixed range and ticks.
///
/// ```
/// use ucg_report::{Axis, Scale};
/// let k = Axis::log("number of particles K").with_ticks([2.0, 5.0, 10.0, 50.0, 100.0]);
/// let t = Axis::new("wall time").with_unit("s").with_range(0.0, 10.0);
/// assert_eq!(t.description(), "wall time (s)");
/// assert_eq!(k.description(), "number of particles K (log scale)");
/// assert_eq!(k.scale, Scale::Log);
/// ```
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Axis {
    /// Axis label, e.g. `"signed error"`.
    pub label: String,
    /// Unit appended to the label in parentheses, e.g. `"s"`.
    pub unit: Option<String>,
    /// Linear or logarithmic.
    pub scale: Scale,
    /// Fixed `(low, high)` range; `None` fits the data with a 5% margin. An invalid range
    /// (not finite, `low >= high`, or `low <= 0` on a log axis) is ignored with a warning.
    /// Values outside a fixed range are drawn at its edge.
    pub range: Option<(f64, f64)>,
    /// Labelled tick positions; `None` chooses "nice" ticks (1-2-5 steps, or decades on a
    /// log axis). Ticks outside the range are dropped.
    pub ticks: Option<Vec<f64>>,
}

impl Axis {
    /// A linear axis labelled `label`.
    pub fn new(label: impl Into<String>) -> Self {
        Self {
            label: label.into(),
            ..Self::default()
        }
    }

    /// A logarithmic axis labelled `label`.
    pub fn log(label: impl Into<String>) -> Self {
        Self::new(label).with_scale(Scale::Log)
    }

    /// Sets the unit shown after the label, e.g. `"s"` gives `"label (s)"`.
    pub fn with_unit(mut self, unit: impl Into<String>) -> Self {
        self.unit = Some(unit.into());
        self
    }

    /// Sets the scale.
    pub fn with_scale(mut self, scale: Scale) -> Self {
        self.scale = scale;
        self
    }

    /// Fixes the range to `low..=high` instead of fitting the data.
    pub fn with_range(mut self, low: f64, high: f64) -> Self {
        self.range = Some((low, high));
        self
    }

    /// Sets the labelled tick positions, e.g. the values of K in a sweep.
    pub fn with_ticks(mut self, ticks: impl IntoIterator<Item = f64>) -> Self {
        self.ticks = Some(ticks.into_iter().collect());
        self
    }

    /// The text drawn along the axis: the label, then in parentheses the unit if any and, on a log axis,
    /// "log scale" (a reader must not take decades for equal steps).
    pub fn description(&self) -> String {
        let mut notes: Vec<&str> = Vec::new();
        if let Some(u) = self.unit.as_deref().filter(|u| !u.is_empty()) {
            notes.push(u);
        }
        if self.scale == Scale::Log {
            notes.push("log scale");
        }
        if notes.is_empty() {
            self.label.clone()
        } else {
            format!("{} ({})", self.label, notes.join(", "))
        }
    }

    /// Whether `v` can be placed on this axis (finite, and positive on a log axis).
    pub fn accepts(&self, v: f64) -> bool {
        accepts(self.scale, v)
    }
}

/// Whether `v` can be placed on an axis of `scale`.
pub(crate) fn accepts(scale: Scale, v: f64) -> bool {
    v.is_finite() && (scale == Scale::Linear || v > 0.0)
}

pub(crate) fn to_linear(scale: Scale, v: f64) -> f64 {
    match scale {
        Scale::Linear => v,
        Scale::Log => v.log10(),
    }
}

pub(crate) fn from_linear(scale: Scale, t: f64) -> f64 {
    match scale {
        Scale::Linear => t,
        Scale::Log => 10f64.powf(t),
    }
}
