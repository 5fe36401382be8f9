//! Dropping values a figure cannot show (NaN, ±inf, `<= 0` on a log axis), with a warning.

use crate::axis::{Scale, accepts};

/// Counts of values dropped from one series.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Dropped {
    /// NaN or infinite values.
    pub non_finite: usize,
    /// Finite values `<= 0` on a log axis.
    pub non_positive: usize,
}

impl Dropped {
    /// Counts `v` as dropped if it cannot be placed on an axis of `scale`; returns whether
    /// it is kept.
    pub fn check(&mut self, scale: Scale, v: f64) -> bool {
        if accepts(scale, v) {
            true
        } else {
            if v.is_finite() {
                self.non_positive += 1;
            } else {
                self.non_finite += 1;
            }
            false
        }
    }

    /// Pushes a warning naming `what` (e.g. `series 'IWAE'`) if anything was dropped.
    pub fn warn(&self, what: &str, warnings: &mut Vec<String>) {
        if self.non_finite > 0 {
            warnings.push(format!(
                "{what}: skipped {} non-finite value(s)",
                self.non_finite
            ));
        }
        if self.non_positive > 0 {
            warnings.push(format!(
                "{what}: skipped {} value(s) <= 0 that a log axis cannot show",
                self.non_positive
            ));
        }
    }
}

/// The values of `values` valid on an axis of `scale`, warning about the rest.
pub(crate) fn clean_values(
    values: &[f64],
    scale: Scale,
    what: &str,
    warnings: &mut Vec<String>,
) -> Vec<f64> {
    let mut dropped = Dropped::default();
    let kept = values
        .iter()
        .copied()
        .filter(|&v| dropped.check(scale, v))
        .collect();
    dropped.warn(what, warnings);
    kept
}

/// The points of `points` whose coordinates are valid on axes of `(x_scale, y_scale)`.
pub(crate) fn clean_points(
    points: &[(f64, f64)],
    (x_scale, y_scale): (Scale, Scale),
    what: &str,
    warnings: &mut Vec<String>,
) -> Vec<(f64, f64)> {
    let mut dropped = Dropped::default();
    let kept = points
        .iter()
        .copied()
        .filter(|&(x, y)| dropped.check(x_scale, x) && dropped.check(y_scale, y))
        .collect();
    dropped.warn(what, warnings);
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drops_and_warns() {
        let mut w = Vec::new();
        let v = clean_values(
            &[1.0, f64::NAN, -2.0, 0.0, f64::INFINITY],
            Scale::Log,
            "s",
            &mut w,
        );
        assert_eq!(v, [1.0]);
        assert_eq!(w.len(), 2);
        let mut w = Vec::new();
        let p = clean_points(
            &[(1.0, 2.0), (f64::NAN, 1.0)],
            (Scale::Linear, Scale::Linear),
            "s",
            &mut w,
        );
        assert_eq!(p, [(1.0, 2.0)]);
        assert_eq!(w, ["s: skipped 1 non-finite value(s)"]);
    }
}
