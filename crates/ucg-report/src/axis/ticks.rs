//! Tick algorithms: 1-2-5 steps on linear axes, multiples of decades on log axes, the data values of a
//! sweep, and labels in powers of ten.

use super::{Scale, accepts, to_linear};
use crate::format::format_number_sig;

pub(super) fn within(v: f64, lo: f64, hi: f64) -> bool {
    let eps = 1e-9 * (hi - lo).abs().max(f64::MIN_POSITIVE);
    v >= lo - eps && v <= hi + eps
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
pub(super) fn linear_ticks(lo: f64, hi: f64, target: usize) -> (Vec<f64>, Vec<f64>, f64) {
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

/// Ticks at `m × 10^d` for the densest multiple set (1–9, then 1-2-5, then decades, with
/// a stride of several decades on very long ranges) giving at most `target + 1` labelled
/// ticks; the other multiples of 1–9 become minor ticks. Falls back to linear ticks when
/// fewer than two would be labelled (ranges much shorter than a decade).
pub(super) fn log_ticks(lo: f64, hi: f64, target: usize) -> (Vec<f64>, Vec<f64>) {
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
pub(super) fn data_ticks(scale: Scale, xs: &[f64]) -> Option<Vec<f64>> {
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

/// `10³`, `10⁻⁴` or `2×10⁵` (falls back to general formatting for other mantissas).
pub(super) fn format_power_of_ten(v: f64) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn powers_of_ten() {
        assert_eq!(format_power_of_ten(2e-4), "2×10⁻⁴");
        assert_eq!(format_power_of_ten(1e-12), "10⁻¹²");
        assert_eq!(format_power_of_ten(3.5e7), "3.5e7");
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
