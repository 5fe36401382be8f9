//! Axis descriptions ([`Axis`], [`Scale`]) and the one coordinate type every figure uses.
//!
//! All figures draw on `ScaledRange × ScaledRange`, a plotters coordinate that maps either
//! linearly or logarithmically, carries its own tick positions (major ticks are labelled,
//! minor ticks only get light grid lines) and formats its own tick labels. Category axes
//! (box plots, bar charts) are the same type with integer positions `0..n` and names.

use std::ops::Range;

use plotters::coord::ranged1d::{KeyPointHint, NoDefaultFormatting, Ranged, ValueFormatter};

use crate::format::{format_number_sig, format_scientific};

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

    /// The text drawn along the axis: the label, then the unit in parentheses if any.
    pub fn description(&self) -> String {
        match &self.unit {
            Some(u) if !u.is_empty() => format!("{} ({u})", self.label),
            _ => self.label.clone(),
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

/// `10³`, `10⁻⁴` or `2×10⁵` (falls back to general formatting for other mantissas).
fn format_power_of_ten(v: f64) -> String {
    if !(v.is_finite() && v > 0.0) {
        return format_number_sig(v, 3);
    }
    let d = v.log10().floor();
    let m = v / 10f64.powf(d);
    let (m, d) = if (m - 10.0).abs() < 1e-6 {
        (1.0, d + 1.0)
    } else {
        (m, d)
    };
    let mr = m.round();
    if (m - mr).abs() > 1e-6 {
        return format_number_sig(v, 3);
    }
    const SUP: [char; 10] = ['⁰', '¹', '²', '³', '⁴', '⁵', '⁶', '⁷', '⁸', '⁹'];
    let mut exp = String::new();
    if d < 0.0 {
        exp.push('⁻');
    }
    for ch in format!("{}", d.abs() as i64).chars() {
        exp.push(SUP[ch.to_digit(10).unwrap_or(0) as usize]);
    }
    if mr == 1.0 {
        format!("10{exp}")
    } else {
        format!("{}×10{exp}", mr as i64)
    }
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

fn within(v: f64, lo: f64, hi: f64) -> bool {
    let eps = 1e-9 * (hi - lo).abs().max(f64::MIN_POSITIVE);
    v >= lo - eps && v <= hi + eps
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

/// A 1-2-5 step giving about `target` intervals over `span`.
fn nice_step(span: f64, target: usize) -> f64 {
    let raw = span / target.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let norm = raw / mag;
    let m = if norm < 1.5 {
        1.0
    } else if norm < 3.5 {
        2.0
    } else if norm < 7.5 {
        5.0
    } else {
        10.0
    };
    m * mag
}

/// Major ticks at multiples of a nice step, minor ticks halfway between; returns the step.
fn linear_ticks(lo: f64, hi: f64, target: usize) -> (Vec<f64>, Vec<f64>, f64) {
    let step = nice_step(hi - lo, target);
    if !(step.is_finite() && step > 0.0) {
        return (vec![lo, hi], Vec::new(), hi - lo);
    }
    let first = (lo / step).ceil() as i64;
    let last = (hi / step).floor() as i64;
    let mut major = Vec::new();
    let mut minor = Vec::new();
    for k in (first - 1)..=(last.min(first + 1000)) {
        let v = k as f64 * step;
        if within(v, lo, hi) {
            major.push(v);
        }
        let m = (k as f64 + 0.5) * step;
        if within(m, lo, hi) {
            minor.push(m);
        }
    }
    (major, minor, step)
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

/// Ticks at `m × 10^d` for the densest multiple set (1–9, then 1-2-5, then decades, with
/// a stride of several decades on very long ranges) giving at most `target + 1` labelled
/// ticks; the other multiples of 1–9 become minor ticks. Falls back to linear ticks when
/// fewer than two would be labelled (ranges much shorter than a decade).
fn log_ticks(lo: f64, hi: f64, target: usize) -> (Vec<f64>, Vec<f64>) {
    let decades = (hi / lo).log10();
    let d0 = lo.log10().floor() as i32;
    let d1 = hi.log10().ceil() as i32;
    let candidates = |multiples: &[u32], stride: i32| -> Vec<f64> {
        let mut v = Vec::new();
        for d in d0..=d1 {
            for &m in multiples {
                let x = f64::from(m) * 10f64.powi(d);
                if within(x, lo, hi) && (m != 1 || d.rem_euclid(stride) == 0) {
                    v.push(x);
                }
            }
        }
        v
    };
    let limit = target + 1;
    let all: &[u32] = &[1, 2, 3, 4, 5, 6, 7, 8, 9];
    let mut major = Vec::new();
    for multiples in [all, &[1, 2, 5], &[1]] {
        major = candidates(multiples, 1);
        if major.len() <= limit {
            break;
        }
    }
    if major.len() > limit {
        let stride = (decades / limit as f64).ceil().max(1.0) as i32;
        major = candidates(&[1], stride);
    }
    let minor: Vec<f64> = if decades <= 8.0 {
        candidates(all, 1)
    } else {
        candidates(&[1], 1)
    }
    .into_iter()
    .filter(|v| !major.contains(v))
    .collect();
    if major.len() < 2 {
        let (lin_major, _, _) = linear_ticks(lo, hi, target);
        let lin_major: Vec<f64> = lin_major.into_iter().filter(|v| *v > 0.0).collect();
        if lin_major.len() >= 2 {
            let minor = minor
                .into_iter()
                .filter(|v| !lin_major.contains(v))
                .collect();
            return (lin_major, minor);
        }
    }
    (major, minor)
}

/// The distinct data values as ticks when there are few of them (sweeps such as
/// K = 2, 5, 10, 50, 100), dropping ticks closer than 6% of the axis length to the
/// previous one; `None` for fewer than 2 or more than 8 distinct values.
fn data_ticks(scale: Scale, xs: &[f64]) -> Option<Vec<f64>> {
    const MAX_TICKS: usize = 8;
    const MIN_FRAC: f64 = 0.06;
    let mut distinct: Vec<f64> = xs.iter().copied().filter(|&v| accepts(scale, v)).collect();
    distinct.sort_by(f64::total_cmp);
    distinct.dedup();
    if distinct.len() < 2 || distinct.len() > MAX_TICKS {
        return None;
    }
    let span = to_linear(scale, distinct[distinct.len() - 1]) - to_linear(scale, distinct[0]);
    let mut kept: Vec<f64> = Vec::new();
    for v in distinct {
        match kept.last() {
            Some(&p) if to_linear(scale, v) - to_linear(scale, p) < MIN_FRAC * span => {}
            _ => kept.push(v),
        }
    }
    Some(kept)
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
        assert_eq!(format_power_of_ten(2e-4), "2×10⁻⁴");
        assert_eq!(format_power_of_ten(1e-12), "10⁻¹²");
        assert_eq!(format_power_of_ten(3.5e7), "3.5e7");
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

    #[test]
    fn data_ticks_for_sweeps() {
        let t = data_ticks(Scale::Log, &[2.0, 5.0, 10.0, 50.0, 100.0, 2.0]).unwrap();
        assert_eq!(t, [2.0, 5.0, 10.0, 50.0, 100.0]);
        assert!(data_ticks(Scale::Linear, &[1.0]).is_none());
        let t = data_ticks(Scale::Linear, &[0.0, 0.1, 100.0]).unwrap();
        assert_eq!(t, [0.0, 100.0]);
    }
}
