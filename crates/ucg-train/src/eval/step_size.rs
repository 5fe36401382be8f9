//! Adapting the HMC step size of AIS towards a target acceptance rate without biasing the estimate
//! (the argument is in the [`eval`](crate::eval) module documentation).

use crate::error::{Result, TrainError};
use serde::{Deserialize, Serialize};

/// How the HMC step size evolves across the transitions of an AIS run (one step size per data point,
/// shared by that point's chains).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum StepSizeAdaptation {
    /// The initial step size throughout.
    Fixed,
    /// Adapted on `chains` extra pilot chains per point whose weights are discarded: unbiased (see the
    /// [module documentation](crate::eval#step-size-adaptation-without-bias)).
    Pilot {
        /// Pilot chains per point (at least 1).
        chains: usize,
    },
    /// Adapted on the estimating chains themselves, as in Wu et al. (2017): no extra cost, but the
    /// estimate is no longer exactly unbiased.
    Online,
}

impl StepSizeAdaptation {
    /// Checks the setting.
    ///
    /// # Errors
    /// `Pilot` with no chains.
    pub(crate) fn validate(self) -> Result<Self> {
        match self {
            StepSizeAdaptation::Pilot { chains: 0 } => Err(TrainError::InvalidSetting {
                name: "adaptation",
                reason: "pilot adaptation needs at least one pilot chain".into(),
            }),
            other => Ok(other),
        }
    }

    /// Extra chains per point that this adaptation runs.
    pub(crate) fn pilot_chains(self) -> usize {
        match self {
            StepSizeAdaptation::Pilot { chains } => chains,
            _ => 0,
        }
    }
}

/// The step-size controller of one point: an exponential moving average `ā ← 0.9 ā + 0.1 a_t` of the
/// mean acceptance probability `a_t` of the adapting chains (started at the target), and a multiplicative
/// update `ε ← 1.02 ε` if `ā > target`, `ε ← 0.98 ε` otherwise (the rule of the HMC code that Wu et al.
/// 2017 build on). Acceptance *probabilities* rather than accept/reject indicators make the average less
/// noisy.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct StepSizeController {
    step_size: f64,
    average_acceptance: f64,
    target: f64,
}

const AVERAGE_DECAY: f64 = 0.9;
const INCREASE: f64 = 1.02;
const DECREASE: f64 = 0.98;

impl StepSizeController {
    /// Starts at `step_size` with target acceptance `target ∈ (0, 1)` (validated by the settings).
    pub(crate) fn new(step_size: f64, target: f64) -> Self {
        StepSizeController {
            step_size,
            average_acceptance: target,
            target,
        }
    }

    /// The current step size.
    pub(crate) fn step_size(&self) -> f64 {
        self.step_size
    }

    /// Takes the adapting chains' acceptance probabilities of the last transition into account.
    pub(crate) fn update(&mut self, acceptances: &[f64]) {
        if acceptances.is_empty() {
            return;
        }
        let a = acceptances.iter().sum::<f64>() / acceptances.len() as f64;
        self.average_acceptance =
            AVERAGE_DECAY * self.average_acceptance + (1.0 - AVERAGE_DECAY) * a;
        self.step_size *= if self.average_acceptance > self.target {
            INCREASE
        } else {
            DECREASE
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controller_moves_towards_the_target() {
        let mut c = StepSizeController::new(0.1, 0.65);
        c.update(&[1.0, 1.0]);
        assert!((c.step_size() - 0.102).abs() < 1e-15);
        let mut c = StepSizeController::new(0.1, 0.65);
        c.update(&[0.0, 0.5]);
        assert!((c.step_size() - 0.098).abs() < 1e-15);
        c.update(&[]);
        assert!((c.step_size() - 0.098).abs() < 1e-15);
    }

    #[test]
    fn pilot_needs_chains() {
        assert!(StepSizeAdaptation::Pilot { chains: 0 }.validate().is_err());
        assert_eq!(StepSizeAdaptation::Pilot { chains: 3 }.pilot_chains(), 3);
        assert_eq!(StepSizeAdaptation::Online.pilot_chains(), 0);
    }
}
