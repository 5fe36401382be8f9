//! Comparing unbiased estimators by their cost per unit of variance.
//!
//! Averaging `n` independent draws of an unbiased estimator with variance `V` and cost `C` per draw costs
//! `nC` and leaves variance `V/n`, so the **inefficiency** `V × C` is what to compare (Glynn & Whitt 1992;
//! Jacob, O'Leary & Atchadé 2020 §3): the smaller product reaches a given accuracy for less work. Both
//! factors are measured from draws, so each comes with a standard error ([`WithError`]), and their
//! product and ratios carry the errors of independent factors to first order (the delta method:
//! relative errors add in quadrature). Heavy-tailed draws (a coupled estimator's rare long runs) make the
//! mean rest on a few values; [`median_of_means`] is a robust companion that shows it. Against a biased
//! estimator, [`break_even`] gives the budget from which the unbiased one has the smaller error.
//!
//! # Example
//! ```
//! use ucg_estimators::efficiency::{WithError, median_of_means};
//!
//! let variance = WithError::mean_of(&[4.0, 6.0, 5.0, 5.0]); // 5 ± 0.41
//! let cost = WithError { value: 100.0, se: 0.0 };
//! let inefficiency = variance.times(cost);
//! assert_eq!(inefficiency.value, 500.0);
//! assert!((inefficiency.relative() - variance.relative()).abs() < 1e-12);
//! assert_eq!(median_of_means(&[1.0, 3.0, 100.0, 100.0, 2.0, 2.0], 2), 2.0);
//! ```

#[cfg(feature = "serde")]
use serde::{Deserialize, Serialize};

/// A value with its standard error.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct WithError {
    /// The estimate.
    pub value: f64,
    /// Its standard error.
    pub se: f64,
}

impl WithError {
    /// The mean of `values` and its standard error `sd/√n` (NaN error below two values).
    pub fn mean_of(values: &[f64]) -> WithError {
        let n = values.len() as f64;
        let mean = values.iter().sum::<f64>() / n;
        let se = if values.len() < 2 {
            f64::NAN
        } else {
            let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
            (var / n).sqrt()
        };
        WithError { value: mean, se }
    }

    /// The product of two independent estimates; relative error `√(r_a² + r_b²)` to first order.
    pub fn times(self, other: WithError) -> WithError {
        let value = self.value * other.value;
        WithError {
            value,
            se: value.abs() * self.relative().hypot(other.relative()),
        }
    }

    /// The ratio of two independent estimates; relative error `√(r_a² + r_b²)` to first order.
    pub fn over(self, other: WithError) -> WithError {
        let value = self.value / other.value;
        WithError {
            value,
            se: value.abs() * self.relative().hypot(other.relative()),
        }
    }

    /// `mean(a) / mean(b)` for paired draws `(a_r, b_r)` (two estimators run on the same replicates),
    /// with the delta-method standard error `sd(a − R b) / (√n |mean(b)|)`, which accounts for their
    /// correlation (pairs beyond the shorter slice are left out; NaN error below two pairs).
    pub fn paired_ratio(a: &[f64], b: &[f64]) -> WithError {
        let n = a.len().min(b.len());
        let mean = |v: &[f64]| v[..n].iter().sum::<f64>() / n as f64;
        let value = mean(a) / mean(b);
        let residuals: Vec<f64> = a[..n].iter().zip(b).map(|(x, y)| x - value * y).collect();
        let spread = WithError::mean_of(&residuals).se;
        WithError {
            value,
            se: spread / mean(b).abs(),
        }
    }

    /// The share `successes / trials` with its binomial standard error `√(p(1 − p)/n)` (NaN for no
    /// trials).
    pub fn proportion(successes: u64, trials: u64) -> WithError {
        let n = trials as f64;
        let p = successes as f64 / n;
        WithError {
            value: p,
            se: (p * (1.0 - p) / n).sqrt(),
        }
    }

    /// The relative error `se / |value|`.
    pub fn relative(self) -> f64 {
        self.se / self.value.abs()
    }
}

/// The median of the means of consecutive groups of `group` values (a last, shorter group left out;
/// NaN when there is no full group). Under heavy tails it sits well below the plain mean when the mean
/// rests on a few large values.
pub fn median_of_means(values: &[f64], group: usize) -> f64 {
    let mut means: Vec<f64> = values
        .chunks_exact(group.max(1))
        .map(|c| c.iter().sum::<f64>() / c.len() as f64)
        .collect();
    if means.is_empty() {
        return f64::NAN;
    }
    means.sort_by(f64::total_cmp);
    let n = means.len();
    if n % 2 == 1 {
        means[n / 2]
    } else {
        0.5 * (means[n / 2 - 1] + means[n / 2])
    }
}

/// The **break-even** budget of a less biased but noisier estimator `a` against `b`: averaging `n` draws
/// (an optimiser's steps, roughly) leaves a mean squared error `bias² + V/n`, so `a` is the better one
/// from
///
/// ```text
/// n* = (V_a − V_b) / (bias²_b − bias²_a)
/// ```
///
/// on. With `V` in variance × seconds per draw, `n*` is in seconds. `Some(0)` when `a` is at least as
/// good at every budget; `None` when an input is not finite or `a`'s bias is not the smaller one, so that
/// `a` is not the better one at large budgets (it still is at small ones when its variance is the
/// smaller).
///
/// # Example
/// ```
/// use ucg_estimators::efficiency::break_even;
/// // An unbiased estimator with 40× the variance of one whose bias² is 4 per unit of its variance.
/// assert_eq!(break_even(0.0, 40.0, 4.0, 1.0), Some(9.75));
/// assert_eq!(break_even(5.0, 40.0, 4.0, 1.0), None);
/// ```
pub fn break_even(bias2_a: f64, variance_a: f64, bias2_b: f64, variance_b: f64) -> Option<f64> {
    let inputs = [bias2_a, variance_a, bias2_b, variance_b];
    if inputs.iter().any(|v| !v.is_finite()) {
        return None;
    }
    let (gain, extra) = (bias2_b - bias2_a, variance_a - variance_b);
    if extra <= 0.0 && gain >= 0.0 {
        Some(0.0)
    } else if gain <= 0.0 {
        None
    } else {
        Some(extra / gain)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn by_hand() {
        // Groups (1, 2), (3, 10), (5, 6): means 1.5, 6.5, 5.5; the 7 left out.
        assert_eq!(
            median_of_means(&[1.0, 2.0, 3.0, 10.0, 5.0, 6.0, 7.0], 2),
            5.5
        );
        assert_eq!(median_of_means(&[1.0, 3.0, 5.0, 7.0], 2), 4.0);
        // bias² 0 + 10/n = 1 + 1/n at n = 9.
        assert_eq!(break_even(0.0, 10.0, 1.0, 1.0), Some(9.0));
        assert_eq!(break_even(0.0, 1.0, 1.0, 2.0), Some(0.0));
        assert_eq!(break_even(1.0, 10.0, 1.0, 1.0), None);
        assert_eq!(break_even(0.0, f64::NAN, 1.0, 1.0), None);
        assert!(median_of_means(&[1.0], 2).is_nan());
        let m = WithError::mean_of(&[1.0, 2.0, 3.0, 6.0]);
        assert_eq!(m.value, 3.0);
        // Sample variance (4 + 1 + 0 + 9) / 3 = 14/3, over n = 4.
        assert!((m.se - (14.0f64 / 12.0).sqrt()).abs() < 1e-12);
        assert!(WithError::mean_of(&[2.0]).se.is_nan());
        // Paired ratio: residuals a − 2b = (0, 1, −1, 0) around the ratio 2.
        let r = WithError::paired_ratio(&[2.0, 5.0, 5.0, 8.0], &[1.0, 2.0, 3.0, 4.0]);
        assert_eq!(r.value, 2.0);
        let residual_se = (2.0f64 / 3.0 / 4.0).sqrt();
        assert!((r.se - residual_se / 2.5).abs() < 1e-12);
        let p = WithError::proportion(1, 4);
        assert_eq!(p.value, 0.25);
        assert!((p.se - (0.25f64 * 0.75 / 4.0).sqrt()).abs() < 1e-12);
        assert!(WithError::proportion(0, 0).se.is_nan());
        // Proportional pairs: the ratio is exact whatever the spread.
        let b = [1.0, 10.0, 3.0, 100.0];
        let a: Vec<f64> = b.iter().map(|x| 0.5 * x).collect();
        let r = WithError::paired_ratio(&a, &b);
        assert!((r.value - 0.5).abs() < 1e-15 && r.se < 1e-15);
        let (a, b) = (
            WithError {
                value: 2.0,
                se: 0.2,
            },
            WithError {
                value: 4.0,
                se: 0.8,
            },
        );
        let product = a.times(b);
        assert_eq!(product.value, 8.0);
        assert!((product.se - 8.0 * 0.1f64.hypot(0.2)).abs() < 1e-12);
        let ratio = a.over(b);
        assert_eq!(ratio.value, 0.5);
        assert!((ratio.se - 0.5 * 0.1f64.hypot(0.2)).abs() < 1e-12);
        assert_eq!(
            WithError {
                value: -4.0,
                se: 1.0
            }
            .relative(),
            0.25
        );
    }
}
