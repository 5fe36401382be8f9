//! The sigmoid annealing schedule `0 = β_0 < β_1 < … < β_T = 1` of Grosse et al. (2015), as used for AIS by
//! Wu et al. (2017).

use crate::error::{Result, TrainError};

/// The sigmoid schedule with `T` steps and radius `δ`: `β̃_t = s(δ (2t/T − 1))` with `s` the logistic
/// function, rescaled to `β_t = (β̃_t − β̃_0) / (β̃_T − β̃_0)`, so that `β_0 = 0` and `β_T = 1` exactly.
///
/// Compared with a linear schedule it spends more intermediate distributions near both ends, where the
/// annealed densities change fastest relative to each other; `δ = 4` is the common choice.
///
/// # Example
/// ```
/// use ucg_train::eval::SigmoidSchedule;
///
/// let schedule = SigmoidSchedule::new(1000, 4.0)?;
/// let betas = schedule.betas();
/// assert_eq!((betas[0], betas[1000]), (0.0, 1.0));
/// assert!((betas[500] - 0.5).abs() < 1e-12); // symmetric about the middle
/// # Ok::<(), ucg_train::TrainError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SigmoidSchedule {
    steps: usize,
    radius: f64,
}

impl SigmoidSchedule {
    /// `steps = T ≥ 1` annealing steps (`T + 1` distributions, the first and last included), radius
    /// `δ > 0`.
    ///
    /// # Errors
    /// `steps = 0`, or `radius` not positive and finite.
    pub fn new(steps: usize, radius: f64) -> Result<Self> {
        if steps == 0 {
            return Err(TrainError::InvalidSetting {
                name: "steps",
                reason: "need at least one annealing step".into(),
            });
        }
        if !(radius > 0.0 && radius.is_finite()) {
            return Err(TrainError::InvalidSetting {
                name: "radius",
                reason: format!("must be positive and finite, got {radius}"),
            });
        }
        Ok(SigmoidSchedule { steps, radius })
    }

    /// The number of annealing steps `T`.
    pub fn steps(&self) -> usize {
        self.steps
    }
    /// The radius `δ`.
    pub fn radius(&self) -> f64 {
        self.radius
    }

    /// `β_0, …, β_T`: non-decreasing, `β_0 = 0` and `β_T = 1` exactly.
    pub fn betas(&self) -> Vec<f64> {
        let t = self.steps as f64;
        let sigmoid = |u: f64| 1.0 / (1.0 + (-u).exp());
        let raw: Vec<f64> = (0..=self.steps)
            .map(|i| sigmoid(self.radius * (2.0 * i as f64 / t - 1.0)))
            .collect();
        let (lo, hi) = (raw[0], raw[self.steps]);
        let mut betas: Vec<f64> = raw.iter().map(|b| (b - lo) / (hi - lo)).collect();
        // Rounding must not leave the endpoints a few ulps away from 0 and 1.
        betas[0] = 0.0;
        betas[self.steps] = 1.0;
        betas
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_monotone_and_symmetric() {
        for (steps, radius) in [(1, 4.0), (2, 0.1), (7, 4.0), (10_000, 4.0), (5, 30.0)] {
            let b = SigmoidSchedule::new(steps, radius).unwrap().betas();
            assert_eq!(b.len(), steps + 1);
            assert_eq!((b[0], b[steps]), (0.0, 1.0));
            assert!(b.windows(2).all(|w| w[0] <= w[1]));
            for i in 0..=steps {
                assert!((b[i] + b[steps - i] - 1.0).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn sigmoid_values_and_small_radius_limit() {
        // T = 2: the middle value is exactly one half; T = 4, δ = 4: β_1 = (s(−2) − s(−4)) / (s(4) − s(−4)).
        let s = |u: f64| 1.0 / (1.0 + (-u).exp());
        let b = SigmoidSchedule::new(4, 4.0).unwrap().betas();
        let expected = (s(-2.0) - s(-4.0)) / (s(4.0) - s(-4.0));
        assert!((b[1] - expected).abs() < 1e-15);
        // As δ → 0 the schedule becomes linear.
        let lin = SigmoidSchedule::new(10, 1e-4).unwrap().betas();
        for (i, v) in lin.iter().enumerate() {
            assert!((v - i as f64 / 10.0).abs() < 1e-6);
        }
    }

    #[test]
    fn invalid_settings() {
        assert!(SigmoidSchedule::new(0, 4.0).is_err());
        assert!(SigmoidSchedule::new(10, 0.0).is_err());
        assert!(SigmoidSchedule::new(10, f64::NAN).is_err());
        assert!(SigmoidSchedule::new(10, f64::INFINITY).is_err());
    }
}
