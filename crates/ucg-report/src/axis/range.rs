//! [`ScaledRange`], the coordinate type every figure draws on, and fitting a range to the data.
//!
//! A `ScaledRange` maps linearly or logarithmically, carries its own tick positions (major ticks are
//! labelled, minor ticks only get light grid lines) and formats its own tick labels. Category axes
//! (box plots, bar charts) are the same type with integer positions `0..n` and names.

use std::ops::Range;

use plotters::coord::ranged1d::{KeyPointHint, NoDefaultFormatting, Ranged, ValueFormatter};

use super::ticks::{data_ticks, format_power_of_ten, linear_ticks, log_ticks, within};
use super::{Axis, Scale, accepts, from_linear, to_linear};
use crate::format::{format_number_sig, format_scientific};

/// How to fit an automatic range around the data.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Fit {
    /// Start the range exactly at zero when all data are `>= 0` (bars, linear counts).
    pub anchor_zero: bool,
    /// Lower end of the range on a log axis when `anchor_zero` is set (bars grow from here).
    pub log_floor: Option<f64>,
    /// Extra room above the data, as a fraction of the span (labels above bars).
    pub top_room: f64,
    /// Approximate number of labelled ticks wanted.
    pub target_ticks: usize,
}

impl Fit {
    /// The default fit (data plus a 5% margin) with about `target_ticks` labelled ticks.
    pub fn ticks(target_ticks: usize) -> Self {
        Self {
            target_ticks,
            ..Self::default()
        }
    }
}

/// A resolved axis: range, scale, ticks and their labels. Implements plotters' [`Ranged`].
#[derive(Clone, Debug)]
pub(crate) struct ScaledRange {
    lo: f64,
    hi: f64,
    scale: Scale,
    major: Vec<f64>,
    minor: Vec<f64>,
    labels: TickLabels,
}

#[derive(Clone, Debug)]
enum TickLabels {
    /// Fixed-point with this many decimals.
    Fixed(usize),
    /// Scientific with this many significant digits.
    Scientific(usize),
    /// [`format_number_sig`] with this many significant digits.
    General(usize),
    /// Powers of ten with superscript exponents: `10³`, `2×10⁻⁴`.
    Powers,
    /// Category names at integer positions.
    Names(Vec<String>),
}

impl ScaledRange {
    /// Fits `axis` to `data` (values already valid for the axis scale) and `extra` values
    /// that must also be visible (reference lines). Pushes a warning for an unusable fixed
    /// range.
    pub fn fit(
        axis: &Axis,
        data: &[f64],
        extra: &[f64],
        fit: Fit,
        warnings: &mut Vec<String>,
    ) -> Self {
        let scale = axis.scale;
        let (lo, hi) = match axis.range {
            Some((lo, hi)) if lo < hi && accepts(scale, lo) && accepts(scale, hi) => (lo, hi),
            Some((lo, hi)) => {
                warnings.push(format!(
                    "axis '{}': ignored unusable fixed range ({lo}, {hi})",
                    axis.label
                ));
                auto_range(scale, data, extra, fit)
            }
            None => auto_range(scale, data, extra, fit),
        };
        let target = fit.target_ticks.max(2);
        let user_ticks: Vec<f64> = axis
            .ticks
            .iter()
            .flatten()
            .copied()
            .filter(|&t| accepts(scale, t) && within(t, lo, hi))
            .collect();
        if user_ticks.is_empty() {
            Self::with_auto_ticks(lo, hi, scale, target)
        } else {
            let mut major = user_ticks;
            major.sort_by(f64::total_cmp);
            major.dedup();
            Self {
                lo,
                hi,
                scale,
                major,
                minor: Vec::new(),
                labels: TickLabels::General(4),
            }
        }
    }

    /// A range `lo..hi` (must be valid for `scale`) with automatic ticks.
    pub fn with_auto_ticks(lo: f64, hi: f64, scale: Scale, target: usize) -> Self {
        let (major, minor, labels) = match scale {
            Scale::Linear => {
                let (major, minor, step) = linear_ticks(lo, hi, target);
                (major, minor, linear_labels(lo, hi, step))
            }
            Scale::Log => {
                let (major, minor) = log_ticks(lo, hi, target);
                // Plain numbers while they stay short, powers of ten beyond.
                let plain = major.iter().all(|&v| (1e-2..=1e4).contains(&v));
                let labels = if plain {
                    TickLabels::General(3)
                } else {
                    TickLabels::Powers
                };
                (major, minor, labels)
            }
        };
        Self {
            lo,
            hi,
            scale,
            major,
            minor,
            labels,
        }
    }

    /// A category axis: positions `0..names.len()` labelled with `names`, range ±0.5 around.
    pub fn categories(names: Vec<String>) -> Self {
        let n = names.len().max(1);
        Self {
            lo: -0.5,
            hi: n as f64 - 0.5,
            scale: Scale::Linear,
            major: (0..names.len()).map(|i| i as f64).collect(),
            minor: Vec::new(),
            labels: TickLabels::Names(names),
        }
    }

    /// Lower end of the range.
    pub fn lo(&self) -> f64 {
        self.lo
    }

    /// Upper end of the range.
    pub fn hi(&self) -> f64 {
        self.hi
    }

    /// Transform to the space where the axis is linear (`log10` on a log axis).
    pub fn to_linear(&self, v: f64) -> f64 {
        to_linear(self.scale, v)
    }

    /// Labels of the major ticks, as drawn.
    pub fn major_labels(&self) -> Vec<String> {
        self.major.iter().map(|v| self.label(*v)).collect()
    }

    /// The label drawn at tick value `v`.
    pub fn label(&self, v: f64) -> String {
        match &self.labels {
            TickLabels::Fixed(d) => format!("{:.*}", d, snap_zero(v, self.hi - self.lo)),
            TickLabels::Scientific(sig) => format_scientific(snap_zero(v, self.hi - self.lo), *sig),
            TickLabels::General(sig) => format_number_sig(v, *sig),
            TickLabels::Powers => format_power_of_ten(v),
            TickLabels::Names(names) => {
                let i = v.round();
                if i >= 0.0 && (i as usize) < names.len() {
                    names[i as usize].clone()
                } else {
                    String::new()
                }
            }
        }
    }
}

impl Ranged for ScaledRange {
    type FormatOption = NoDefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let (a, b) = (self.to_linear(self.lo), self.to_linear(self.hi));
        // Clamp into the range: nothing is ever drawn outside the plotting area.
        let v = if value.is_nan() {
            self.lo
        } else {
            value.clamp(self.lo, self.hi)
        };
        let frac = (self.to_linear(v) - a) / (b - a);
        let px = f64::from(limit.0) + frac * f64::from(limit.1 - limit.0);
        px.round() as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            self.minor.clone()
        } else {
            self.major.clone()
        }
    }

    fn range(&self) -> Range<f64> {
        self.lo..self.hi
    }
}

impl ValueFormatter<f64> for ScaledRange {
    fn format_ext(&self, value: &f64) -> String {
        self.label(*value)
    }
}

fn snap_zero(v: f64, span: f64) -> f64 {
    if v.abs() < 1e-9 * span.abs() { 0.0 } else { v }
}

/// Range covering `data` and `extra` with a 5% margin (in the axis's linear space); pads
/// a zero-width range; `(0, 1)` or `(1, 10)` when there is nothing to show.
fn auto_range(scale: Scale, data: &[f64], extra: &[f64], fit: Fit) -> (f64, f64) {
    let mut lo = f64::INFINITY;
    let mut hi = f64::NEG_INFINITY;
    for &v in data.iter().chain(extra) {
        if accepts(scale, v) {
            lo = lo.min(v);
            hi = hi.max(v);
        }
    }
    if fit.anchor_zero && scale == Scale::Linear && hi.is_finite() {
        lo = lo.min(0.0);
        hi = hi.max(0.0);
    }
    if let (true, Scale::Log, Some(floor)) = (fit.anchor_zero, scale, fit.log_floor)
        && hi.is_finite()
    {
        lo = lo.min(floor);
    }
    if !(lo.is_finite() && hi.is_finite()) {
        return match scale {
            Scale::Linear => (0.0, 1.0),
            Scale::Log => (1.0, 10.0),
        };
    }
    let (mut a, mut b) = (to_linear(scale, lo), to_linear(scale, hi));
    if b - a <= 1e-12 * a.abs().max(b.abs()).max(f64::MIN_POSITIVE) {
        // All values equal: pad symmetrically.
        let pad = match scale {
            Scale::Linear if a == 0.0 => 1.0,
            Scale::Linear => 0.1 * a.abs(),
            Scale::Log => 0.5,
        };
        a -= pad;
        b += pad;
    } else {
        let span = b - a;
        let anchored_low = fit.anchor_zero
            && match scale {
                Scale::Linear => lo == 0.0,
                Scale::Log => fit.log_floor == Some(lo),
            };
        if !anchored_low {
            a -= 0.05 * span;
        }
        b += (0.05 + fit.top_room.max(0.0)) * span;
    }
    (from_linear(scale, a), from_linear(scale, b))
}

fn linear_labels(lo: f64, hi: f64, step: f64) -> TickLabels {
    let max_abs = lo.abs().max(hi.abs());
    if !(1e-3..1e6).contains(&max_abs) {
        let sig = (max_abs.log10().floor() - step.log10().floor() + 1.0).clamp(1.0, 6.0);
        TickLabels::Scientific(sig as usize)
    } else {
        let decimals = (-step.log10() - 1e-9).ceil().clamp(0.0, 12.0);
        TickLabels::Fixed(decimals as usize)
    }
}

/// Fits an x axis to `range_data` like [`ScaledRange::fit`], but when the caller set no
/// ticks and `tick_data` has at most 8 distinct values, labels exactly those values.
pub(crate) fn fit_x_with_data_ticks(
    axis: &Axis,
    range_data: &[f64],
    tick_data: &[f64],
    fit: Fit,
    warnings: &mut Vec<String>,
) -> ScaledRange {
    if axis.ticks.is_none()
        && let Some(ticks) = data_ticks(axis.scale, tick_data)
    {
        let axis = axis.clone().with_ticks(ticks);
        return ScaledRange::fit(&axis, range_data, &[], fit, warnings);
    }
    ScaledRange::fit(axis, range_data, &[], fit, warnings)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fit(axis: &Axis, data: &[f64]) -> ScaledRange {
        let mut w = Vec::new();
        ScaledRange::fit(axis, data, &[], Fit::ticks(6), &mut w)
    }

    #[test]
    fn linear_auto_range_and_labels() {
        let r = fit(&Axis::new("y"), &[0.0, 10.0]);
        assert!((r.lo() + 0.5).abs() < 1e-12 && (r.hi() - 10.5).abs() < 1e-12);
        assert_eq!(r.major_labels(), ["0", "2", "4", "6", "8", "10"]);
        let r = fit(&Axis::new("y"), &[-0.013, 0.021]);
        assert!(
            r.major_labels().contains(&"0.000".to_owned())
                || r.major_labels().contains(&"0.00".to_owned())
        );
    }

    #[test]
    fn equal_values_are_padded() {
        let r = fit(&Axis::new("y"), &[3.0, 3.0]);
        assert!(r.lo() < 3.0 && r.hi() > 3.0);
        let r = fit(&Axis::new("y"), &[0.0]);
        assert_eq!((r.lo(), r.hi()), (-1.0, 1.0));
        let r = fit(&Axis::log("y"), &[5.0]);
        assert!(r.lo() < 5.0 && r.hi() > 5.0 && r.lo() > 0.0);
        let r = fit(&Axis::new("y"), &[]);
        assert_eq!((r.lo(), r.hi()), (0.0, 1.0));
    }

    #[test]
    fn log_ticks_by_span() {
        let r = ScaledRange::with_auto_ticks(1.0, 1e6, Scale::Log, 6);
        assert_eq!(
            r.major_labels(),
            ["10⁰", "10¹", "10²", "10³", "10⁴", "10⁵", "10⁶"]
        );
        let r = ScaledRange::with_auto_ticks(1.0, 1e4, Scale::Log, 6);
        assert_eq!(r.major_labels(), ["1", "10", "100", "1000", "10000"]);
        let r = ScaledRange::with_auto_ticks(2.0, 100.0, Scale::Log, 6);
        assert_eq!(r.major_labels(), ["2", "5", "10", "20", "50", "100"]);
        let r = ScaledRange::with_auto_ticks(1e-12, 1.0, Scale::Log, 6);
        assert!(r.major.len() <= 8 && r.major.len() >= 4, "{:?}", r.major);
        let r = ScaledRange::with_auto_ticks(0.45, 3.2, Scale::Log, 6);
        assert_eq!(r.major_labels(), ["0.5", "1", "2"]);
        let r = ScaledRange::with_auto_ticks(3.0, 9.5, Scale::Log, 6);
        assert_eq!(r.major_labels(), ["3", "4", "5", "6", "7", "8", "9"]);
        let r = ScaledRange::with_auto_ticks(100.0, 120.0, Scale::Log, 6);
        assert!(r.major.len() >= 2);
    }

    #[test]
    fn fixed_range_validation_and_user_ticks() {
        let mut w = Vec::new();
        let axis = Axis::log("K")
            .with_range(-1.0, 10.0)
            .with_ticks([2.0, 5.0, 1e9]);
        let r = ScaledRange::fit(&axis, &[2.0, 5.0], &[], Fit::default(), &mut w);
        assert_eq!(w.len(), 1);
        assert_eq!(r.major_labels(), ["2", "5"]);
    }

    #[test]
    fn mapping_clamps() {
        let r = ScaledRange::with_auto_ticks(1.0, 100.0, Scale::Log, 5);
        assert_eq!(r.map(&10.0, (0, 100)), 50);
        assert_eq!(r.map(&-3.0, (0, 100)), 0);
        assert_eq!(r.map(&1e9, (0, 100)), 100);
        assert_eq!(r.map(&f64::NAN, (0, 100)), 0);
    }

    #[test]
    fn categories() {
        let r = ScaledRange::categories(vec!["a".into(), "b".into()]);
        assert_eq!(r.major_labels(), ["a", "b"]);
        assert_eq!(r.label(7.0), "");
    }
}
