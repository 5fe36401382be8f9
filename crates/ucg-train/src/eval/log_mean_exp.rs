//! A streaming, numerically stable `log (1/n) Σ_i exp(a_i)`.

/// Accumulates `log Σ_i exp(a_i)` over values pushed one at a time, rescaling by the running maximum so
/// that nothing overflows; [`LogMeanExp::value`] returns `log (1/n) Σ_i exp(a_i)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct LogMeanExp {
    max: f64,
    scaled_sum: f64,
    count: u64,
}

impl LogMeanExp {
    /// No values yet.
    pub(crate) fn new() -> Self {
        LogMeanExp {
            max: f64::NEG_INFINITY,
            scaled_sum: 0.0,
            count: 0,
        }
    }

    /// Adds `a` (`−∞` counts as a zero term; NaN or `+∞` make the value non-finite, which callers reject).
    pub(crate) fn push(&mut self, a: f64) {
        self.count += 1;
        if a.is_nan() || a == f64::INFINITY {
            self.max = f64::NAN;
            return;
        }
        if a > self.max {
            self.scaled_sum = self.scaled_sum * (self.max - a).exp() + 1.0;
            self.max = a;
        } else if a > f64::NEG_INFINITY {
            self.scaled_sum += (a - self.max).exp();
        }
    }

    /// `log (1/n) Σ_i exp(a_i)`; `−∞` if nothing positive was pushed, NaN after a NaN or `+∞`.
    pub(crate) fn value(&self) -> f64 {
        if self.count == 0 || self.max == f64::NEG_INFINITY {
            return f64::NEG_INFINITY;
        }
        self.max + self.scaled_sum.ln() - (self.count as f64).ln()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_direct_formula_and_does_not_overflow() {
        let a = [-3.0, 2.5, 0.0, -1e3, 1.0];
        let mut acc = LogMeanExp::new();
        a.iter().for_each(|&v| acc.push(v));
        let direct = (a.iter().map(|v| v.exp()).sum::<f64>() / 5.0).ln();
        assert!((acc.value() - direct).abs() < 1e-14);
        let mut big = LogMeanExp::new();
        [1e4, 1e4 + 2f64.ln()].iter().for_each(|&v| big.push(v));
        assert!((big.value() - (1e4 + 1.5f64.ln())).abs() < 1e-9);
    }

    #[test]
    fn degenerate_inputs() {
        assert_eq!(LogMeanExp::new().value(), f64::NEG_INFINITY);
        let mut acc = LogMeanExp::new();
        acc.push(f64::NEG_INFINITY);
        acc.push(0.0);
        assert!((acc.value() - 0.5f64.ln()).abs() < 1e-15);
        acc.push(f64::NAN);
        assert!(acc.value().is_nan());
        acc.push(1.0);
        assert!(acc.value().is_nan());
    }
}
