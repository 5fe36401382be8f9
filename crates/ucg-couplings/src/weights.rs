//! Numerically stable operations on log-weights: log-sum-exp, self-normalisation, effective sample size.

use crate::error::{CouplingError, Result};

/// `log Σ_k exp(a_k)`, computed stably; `−∞` for an empty slice or when every entry is `−∞`.
pub fn log_sum_exp(a: &[f64]) -> f64 {
    let m = a.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if m == f64::NEG_INFINITY || m.is_nan() {
        return m;
    }
    m + a.iter().map(|&x| (x - m).exp()).sum::<f64>().ln()
}

/// Self-normalised weights `w̃_k = exp(a_k − log Σ_j exp(a_j))`, written into `out`; returns `log Σ_j exp(a_j)`.
///
/// # Errors
/// [`CouplingError::NonFiniteLogWeight`] when an entry is NaN or `+∞`, or when every entry is `−∞`
/// (no particle has positive weight).
pub fn normalize_log_weights(log_w: &[f64], out: &mut [f64]) -> Result<f64> {
    debug_assert_eq!(log_w.len(), out.len());
    let mut m = f64::NEG_INFINITY;
    for (i, &a) in log_w.iter().enumerate() {
        if a.is_nan() || a == f64::INFINITY {
            return Err(CouplingError::NonFiniteLogWeight { index: i, value: a });
        }
        m = m.max(a);
    }
    if m == f64::NEG_INFINITY {
        return Err(CouplingError::NonFiniteLogWeight { index: 0, value: m });
    }
    let mut s = 0.0;
    for (o, &a) in out.iter_mut().zip(log_w) {
        *o = (a - m).exp();
        s += *o;
    }
    let inv = 1.0 / s;
    out.iter_mut().for_each(|o| *o *= inv);
    Ok(m + s.ln())
}

/// Effective sample size `1 / Σ_k w̃_k²` of normalised weights (between 1 and K).
pub fn effective_sample_size(normalized: &[f64]) -> f64 {
    1.0 / normalized.iter().map(|w| w * w).sum::<f64>()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_sum_exp_is_stable_for_large_values() {
        let v = [1000.0, 1000.0];
        assert!((log_sum_exp(&v) - (1000.0 + 2f64.ln())).abs() < 1e-12);
        assert_eq!(log_sum_exp(&[]), f64::NEG_INFINITY);
    }

    #[test]
    fn normalisation_rejects_nan_and_all_minus_infinity() {
        let mut out = [0.0; 2];
        assert!(normalize_log_weights(&[f64::NAN, 0.0], &mut out).is_err());
        assert!(normalize_log_weights(&[f64::NEG_INFINITY; 2], &mut out).is_err());
        let lse = normalize_log_weights(&[0.0, f64::NEG_INFINITY], &mut out).unwrap();
        assert_eq!(out, [1.0, 0.0]);
        assert_eq!(lse, 0.0);
    }

    #[test]
    fn ess_ranges_from_one_to_k() {
        assert_eq!(effective_sample_size(&[1.0, 0.0, 0.0]), 1.0);
        assert!((effective_sample_size(&[0.25; 4]) - 4.0).abs() < 1e-12);
    }
}
