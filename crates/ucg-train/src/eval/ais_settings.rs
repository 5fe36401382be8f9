//! Settings of annealed importance sampling, valid by construction.

use super::annealed::AisStart;
use super::schedule::SigmoidSchedule;
use super::step_size::StepSizeAdaptation;
use crate::error::{Result, TrainError};

/// Settings of [`super::ais`]; every value is checked when set, so a value of this type is always valid.
///
/// [`AisSettings::paper`] (also the [`Default`]) are the paper's: 16 chains, 10,000 annealing steps with
/// the sigmoid schedule (`δ = 4`), one HMC trajectory of 10 leapfrog steps per transition, step size
/// adapted towards acceptance 0.65 from `0.05` — with two departures documented on the setters: AIS
/// starts from the encoder ([`AisStart::Encoder`]) and the step size is tuned on 4 pilot chains per point
/// ([`StepSizeAdaptation::Pilot`]) so that the estimate stays unbiased.
///
/// # Example
/// ```
/// use ucg_train::eval::{AisSettings, AisStart, SigmoidSchedule, StepSizeAdaptation};
///
/// let quick = AisSettings::paper()
///     .with_chains(8)?
///     .with_schedule(SigmoidSchedule::new(500, 4.0)?)
///     .with_adaptation(StepSizeAdaptation::Online)?
///     .with_start(AisStart::Prior);
/// assert_eq!(quick.schedule().steps(), 500);
/// assert!(AisSettings::paper().with_target_acceptance(1.5).is_err());
/// # Ok::<(), ucg_train::TrainError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AisSettings {
    chains: usize,
    schedule: SigmoidSchedule,
    leapfrog_steps: usize,
    initial_step_size: f64,
    target_acceptance: f64,
    adaptation: StepSizeAdaptation,
    start: AisStart,
    points_per_batch: usize,
}

impl Default for AisSettings {
    fn default() -> Self {
        Self::paper()
    }
}

fn invalid(name: &'static str, reason: String) -> TrainError {
    TrainError::InvalidSetting { name, reason }
}

impl AisSettings {
    /// The paper's settings (see the type's documentation), 64 points per batch.
    pub fn paper() -> Self {
        AisSettings {
            chains: 16,
            schedule: SigmoidSchedule::new(10_000, 4.0).expect("valid schedule"),
            leapfrog_steps: 10,
            initial_step_size: 0.05,
            target_acceptance: 0.65,
            adaptation: StepSizeAdaptation::Pilot { chains: 4 },
            start: AisStart::Encoder,
            points_per_batch: 64,
        }
    }

    /// Estimating chains per point (`≥ 1`); the estimate is the log-mean-exp of their log-weights.
    ///
    /// # Errors
    /// Zero chains.
    pub fn with_chains(mut self, chains: usize) -> Result<Self> {
        if chains == 0 {
            return Err(invalid("chains", "need at least one chain".into()));
        }
        self.chains = chains;
        Ok(self)
    }

    /// The annealing schedule (its number of steps is the number of intermediate distributions).
    pub fn with_schedule(mut self, schedule: SigmoidSchedule) -> Self {
        self.schedule = schedule;
        self
    }

    /// Leapfrog steps per HMC transition (`≥ 1`).
    ///
    /// # Errors
    /// Zero steps.
    pub fn with_leapfrog_steps(mut self, steps: usize) -> Result<Self> {
        if steps == 0 {
            return Err(invalid("leapfrog_steps", "need at least one".into()));
        }
        self.leapfrog_steps = steps;
        Ok(self)
    }

    /// The step size of the first transition (and of all of them with [`StepSizeAdaptation::Fixed`]).
    ///
    /// # Errors
    /// Not positive and finite.
    pub fn with_initial_step_size(mut self, step_size: f64) -> Result<Self> {
        if !(step_size > 0.0 && step_size.is_finite()) {
            return Err(invalid(
                "initial_step_size",
                format!("must be positive and finite, got {step_size}"),
            ));
        }
        self.initial_step_size = step_size;
        Ok(self)
    }

    /// The acceptance rate the step size is adapted towards, in `(0, 1)`.
    ///
    /// # Errors
    /// Outside `(0, 1)`.
    pub fn with_target_acceptance(mut self, target: f64) -> Result<Self> {
        if !(target > 0.0 && target < 1.0) {
            return Err(invalid(
                "target_acceptance",
                format!("must be in (0, 1), got {target}"),
            ));
        }
        self.target_acceptance = target;
        Ok(self)
    }

    /// How the step size is adapted.
    ///
    /// # Errors
    /// [`StepSizeAdaptation::Pilot`] with zero chains.
    pub fn with_adaptation(mut self, adaptation: StepSizeAdaptation) -> Result<Self> {
        self.adaptation = adaptation.validate()?;
        Ok(self)
    }

    /// The start density: the encoder (default: for a trained model much closer to the posterior, so
    /// far fewer annealing steps reach a given accuracy) or the prior (Wu et al. 2017).
    pub fn with_start(mut self, start: AisStart) -> Self {
        self.start = start;
        self
    }

    /// Points whose chains share one batched model evaluation per leapfrog step (`≥ 1`); with `C`
    /// chains and `C_p` pilot chains the batch has `points_per_batch · (C + C_p)` columns. Batches run in
    /// parallel; the results do not depend on this setting's interplay with the number of threads.
    ///
    /// # Errors
    /// Zero.
    pub fn with_points_per_batch(mut self, points: usize) -> Result<Self> {
        if points == 0 {
            return Err(invalid("points_per_batch", "need at least one".into()));
        }
        self.points_per_batch = points;
        Ok(self)
    }

    /// Estimating chains per point.
    pub fn chains(&self) -> usize {
        self.chains
    }
    /// The annealing schedule.
    pub fn schedule(&self) -> SigmoidSchedule {
        self.schedule
    }
    /// Leapfrog steps per transition.
    pub fn leapfrog_steps(&self) -> usize {
        self.leapfrog_steps
    }
    /// The first transition's step size.
    pub fn initial_step_size(&self) -> f64 {
        self.initial_step_size
    }
    /// The target acceptance rate.
    pub fn target_acceptance(&self) -> f64 {
        self.target_acceptance
    }
    /// The step-size adaptation.
    pub fn adaptation(&self) -> StepSizeAdaptation {
        self.adaptation
    }
    /// The start density.
    pub fn start(&self) -> AisStart {
        self.start
    }
    /// Points per batched evaluation.
    pub fn points_per_batch(&self) -> usize {
        self.points_per_batch
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paper_defaults() {
        let s = AisSettings::default();
        assert_eq!(s, AisSettings::paper());
        assert_eq!(
            (s.chains(), s.schedule().steps(), s.leapfrog_steps()),
            (16, 10_000, 10)
        );
        assert_eq!(s.target_acceptance(), 0.65);
        assert_eq!(s.start(), AisStart::Encoder);
    }

    #[test]
    fn invalid_values_are_rejected() {
        let s = AisSettings::paper();
        assert!(s.with_chains(0).is_err());
        assert!(s.with_leapfrog_steps(0).is_err());
        assert!(s.with_initial_step_size(0.0).is_err());
        assert!(s.with_initial_step_size(f64::NAN).is_err());
        assert!(s.with_target_acceptance(0.0).is_err());
        assert!(s.with_target_acceptance(1.0).is_err());
        assert!(s.with_target_acceptance(f64::NAN).is_err());
        assert!(
            s.with_adaptation(StepSizeAdaptation::Pilot { chains: 0 })
                .is_err()
        );
        assert!(s.with_points_per_batch(0).is_err());
        assert_eq!(s.with_chains(3).unwrap().chains(), 3);
    }
}
