//! Every θ-gradient estimator a user could train with, as one value that draws a gradient of a fixed
//! model on a fixed minibatch, and the statistics that compare them with a reference gradient.
//!
//! The estimators ([`ThetaGradient`]): the ELBO and IWAE (SNIS) with `K` encoder particles — for θ,
//! "IWAE-K" and "SNIS-K" are the same estimator, `Σ_b Σ_k w̃_{bk} ∇_θ log p(x_b, z_{bk})`, whatever trains
//! the encoder — SUMO from `IWAE_m`, and the coupled chains in any configuration. A draw of each is
//! compared with draws of a high-accuracy reference (SNIS with thousands of particles) by
//! [`compare`]: the squared bias `‖E g − ∇‖²` (estimated without the upward bias of the draws' noise,
//! [`squared_distance_of_means`]), the variance per draw `tr Var g` with a robust companion, and the cost
//! in particle evaluations and seconds. [`GradientComparison::break_even_steps`] turns two of them into
//! the number of averaged steps from which the less biased one has the smaller error, with its error, or
//! says that the data cannot tell ([`BreakEven`]).

use std::time::Instant;

use serde::{Deserialize, Serialize};
use ucg_estimators::efficiency::{WithError, break_even, median_of_means};
use ucg_estimators::sumo::Sumo;
use ucg_models::vae::{Vae, VaeBatchTarget, VaeWorkspace};

use super::coupled::{CoupledConfig, coupled_terms, decoder_gradient_of_terms};
use super::coupled_efficiency::{EfficiencySettings, MEDIAN_OF_MEANS_GROUP};
use super::gradient_study::{
    elbo_gradient, mean_and_total_variance, snis_gradient, squared_distance_of_means,
};
use super::sumo::{add_sumo_gradient, default_survival};
use crate::{Result, TrainError};

/// A θ-gradient estimator of a fixed model and minibatch.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "estimator")]
pub enum ThetaGradient {
    /// The ELBO's gradient with `particles` encoder particles per point (biased).
    Elbo {
        /// `K`.
        particles: usize,
    },
    /// IWAE's (SNIS's) θ-gradient with `particles` encoder particles per point (biased by `O(1/K)`).
    Iwae {
        /// `K`.
        particles: usize,
    },
    /// SUMO from `IWAE_first` with the training roulette ([`default_survival`]; unbiased).
    Sumo {
        /// `m`.
        first: usize,
    },
    /// The coupled chains (unbiased up to capped pairs).
    Coupled(EfficiencySettings),
}

/// One draw of an estimator: the minibatch's summed θ-gradient and what it cost.
#[derive(Clone, Debug, PartialEq)]
pub struct GradientDraw {
    /// `Σ_b` of the points' estimates of `∇_θ log p(x_b)`.
    pub gradient: Vec<f64>,
    /// Particle evaluations.
    pub evaluations: u64,
    /// Coupled pairs stopped by the cap (0 for the others).
    pub capped: usize,
    /// Wall-clock seconds of the draw.
    pub seconds: f64,
}

impl ThetaGradient {
    /// A short label: `IWAE-10`, `ELBO-10`, `SUMO-10`, `C-ISIR-DISIR K=10 L=10 (1,10) β=0`,
    /// `C-ISIR K=5 L=40 (1,40) cap=4000`.
    pub fn label(&self) -> String {
        match self {
            ThetaGradient::Elbo { particles } => format!("ELBO-{particles}"),
            ThetaGradient::Iwae { particles } => format!("IWAE-{particles}"),
            ThetaGradient::Sumo { first } => format!("SUMO-{first}"),
            ThetaGradient::Coupled(s) => match s.kind {
                super::CoupledKernelKind::IsirDisir => format!("C-ISIR-DISIR {}", s.label()),
                super::CoupledKernelKind::Isir => s.label(),
            },
        }
    }

    /// Whether the estimator is unbiased for `∇_θ log p(x)` (SUMO, and the coupled chains when no pair
    /// is capped).
    pub fn is_unbiased(&self) -> bool {
        matches!(self, ThetaGradient::Sumo { .. } | ThetaGradient::Coupled(_))
    }

    /// Draws the θ-gradient of `model` on the minibatch `x` (`batch` points) with the streams of `seed`.
    ///
    /// # Errors
    /// Invalid settings, model or kernel failures.
    pub fn draw(
        &self,
        model: &Vae<f32>,
        x: &[f32],
        batch: usize,
        seed: u64,
    ) -> Result<GradientDraw> {
        let start = Instant::now();
        let chunk = CoupledConfig::default().chunk;
        let (gradient, evaluations, capped) = match *self {
            ThetaGradient::Elbo { particles } => (
                elbo_gradient(model, x, batch, particles, seed)?,
                (batch * particles) as u64,
                0,
            ),
            ThetaGradient::Iwae { particles } => (
                snis_gradient(model, x, batch, particles, seed)?,
                (batch * particles) as u64,
                0,
            ),
            ThetaGradient::Sumo { first } => {
                let sumo = Sumo::new(first, default_survival()).map_err(|e| {
                    TrainError::InvalidSetting {
                        name: "SUMO",
                        reason: e.to_string(),
                    }
                })?;
                let target = VaeBatchTarget::new(model, x, batch)?;
                let mut grad = vec![0.0f32; model.decoder_params().len()];
                let draw = add_sumo_gradient(
                    &target,
                    &sumo,
                    seed,
                    chunk,
                    &mut grad,
                    &mut VaeWorkspace::new(),
                )?;
                (widen(grad), draw.evaluations, 0)
            }
            ThetaGradient::Coupled(settings) => {
                let encoded = VaeBatchTarget::new(model, x, batch)?;
                let target = settings.proposal(&encoded, seed)?;
                let outcomes = coupled_terms(
                    &target,
                    &settings.schedule()?,
                    &settings.lag_settings()?,
                    seed,
                )?;
                let mut evaluations = (settings.fit_particles * batch) as u64;
                let mut capped = 0;
                let mut terms = Vec::with_capacity(outcomes.len());
                for (t, run, e) in outcomes {
                    evaluations += e;
                    capped += usize::from(run.capped);
                    terms.push(t);
                }
                let mut grad = vec![0.0f32; model.decoder_params().len()];
                decoder_gradient_of_terms(
                    &target,
                    &terms,
                    chunk,
                    &mut grad,
                    &mut VaeWorkspace::new(),
                )?;
                (widen(grad), evaluations, capped)
            }
        };
        Ok(GradientDraw {
            gradient,
            evaluations,
            capped,
            seconds: start.elapsed().as_secs_f64(),
        })
    }
}

fn widen(v: Vec<f32>) -> Vec<f64> {
    v.into_iter().map(f64::from).collect()
}

/// How one estimator's draws compare with a reference's.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GradientComparison {
    /// The estimator.
    pub estimator: ThetaGradient,
    /// Its draws.
    pub draws: usize,
    /// `‖E g − E g_ref‖²`: the squared bias against the reference (whose own bias is negligible by
    /// construction), with its jackknife error; can be negative by noise.
    pub squared_bias: WithError,
    /// `tr Var g` per draw, with the error of the mean of the draws' contributions.
    pub variance: WithError,
    /// The median of means (groups of [`MEDIAN_OF_MEANS_GROUP`]) of those contributions.
    pub variance_median_of_means: f64,
    /// Particle evaluations per draw.
    pub evaluations: WithError,
    /// Seconds per draw.
    pub seconds: WithError,
    /// Capped pairs over all draws.
    pub capped: usize,
}

impl GradientComparison {
    /// The mean squared error of one draw, `bias² + tr Var` (errors added in quadrature).
    pub fn mean_squared_error(&self) -> WithError {
        WithError {
            value: self.squared_bias.value.max(0.0) + self.variance.value,
            se: self.squared_bias.se.hypot(self.variance.se),
        }
    }

    /// Steps (averaged draws) from which `self` has the smaller error than `other` ([`break_even`], with
    /// an error by the delta method). A negative measured bias² counts as 0. The minibatch's own
    /// variance, common to both, cancels.
    pub fn break_even_steps(&self, other: &GradientComparison) -> BreakEven {
        BreakEven::of(self, other, self.variance, other.variance)
    }

    /// Seconds of averaged draws from which `self` has the smaller error than `other` at equal time:
    /// [`GradientComparison::break_even_steps`] with variances × seconds per draw. It leaves out the
    /// minibatch's own variance, which does not cancel here and would add `V_data (t_self − t_other)`:
    /// for a slower `self`, a lower bound.
    pub fn break_even_seconds(&self, other: &GradientComparison) -> BreakEven {
        BreakEven::of(
            self,
            other,
            self.variance.times(self.seconds),
            other.variance.times(other.seconds),
        )
    }
}

/// When a less biased estimator catches up with another (see [`break_even`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum BreakEven {
    /// Its bias² is not smaller, by more than two standard errors: it never catches up at large
    /// budgets (it may still be the better one at small budgets, when its variance is the smaller).
    Never,
    /// The bias² difference is within two standard errors of 0: the data cannot tell.
    Unresolved,
    /// From this budget on, with its error.
    At(WithError),
}

impl BreakEven {
    fn of(
        a: &GradientComparison,
        b: &GradientComparison,
        variance_a: WithError,
        variance_b: WithError,
    ) -> BreakEven {
        let gain = WithError {
            value: b.squared_bias.value.max(0.0) - a.squared_bias.value.max(0.0),
            se: a.squared_bias.se.hypot(b.squared_bias.se),
        };
        if !(gain.value.is_finite() && gain.se.is_finite()) {
            return BreakEven::Unresolved;
        }
        if gain.value.abs() < 2.0 * gain.se {
            return BreakEven::Unresolved;
        }
        match break_even(
            a.squared_bias.value.max(0.0),
            variance_a.value,
            b.squared_bias.value.max(0.0),
            variance_b.value,
        ) {
            None => BreakEven::Never,
            Some(0.0) => BreakEven::At(WithError {
                value: 0.0,
                se: 0.0,
            }),
            Some(n) => {
                let extra = WithError {
                    value: variance_a.value - variance_b.value,
                    se: variance_a.se.hypot(variance_b.se),
                };
                BreakEven::At(WithError {
                    value: n,
                    se: n * extra.relative().hypot(gain.relative()),
                })
            }
        }
    }

    /// The budget, when there is one.
    pub fn value(self) -> Option<f64> {
        match self {
            BreakEven::At(n) => Some(n.value),
            _ => None,
        }
    }
}

/// Compares `draws` of `estimator` with `reference` draws (see the [module documentation](self)).
///
/// # Errors
/// Fewer than [`MEDIAN_OF_MEANS_GROUP`] draws or fewer than 3 reference draws, vectors of different
/// lengths.
pub fn compare(
    estimator: ThetaGradient,
    draws: &[GradientDraw],
    reference: &[Vec<f64>],
) -> Result<GradientComparison> {
    if draws.len() < MEDIAN_OF_MEANS_GROUP.max(3) {
        return Err(TrainError::InvalidSetting {
            name: "draws",
            reason: format!(
                "{} draws of {} (need at least {})",
                draws.len(),
                estimator.label(),
                MEDIAN_OF_MEANS_GROUP.max(3)
            ),
        });
    }
    let gradients: Vec<Vec<f64>> = draws.iter().map(|d| d.gradient.clone()).collect();
    let (bias2, bias2_se) = squared_distance_of_means(&gradients, reference)?;
    let (mean, _) = mean_and_total_variance(&gradients)?;
    let n = draws.len() as f64;
    // tr Var = Σ_r ‖g_r − ḡ‖² / (n − 1): the mean of the contributions n/(n−1) ‖g_r − ḡ‖².
    let contributions: Vec<f64> = gradients
        .iter()
        .map(|g| {
            n / (n - 1.0)
                * g.iter()
                    .zip(&mean)
                    .map(|(v, m)| (v - m).powi(2))
                    .sum::<f64>()
        })
        .collect();
    let of =
        |f: fn(&GradientDraw) -> f64| WithError::mean_of(&draws.iter().map(f).collect::<Vec<_>>());
    Ok(GradientComparison {
        estimator,
        draws: draws.len(),
        squared_bias: WithError {
            value: bias2,
            se: bias2_se,
        },
        variance: WithError::mean_of(&contributions),
        variance_median_of_means: median_of_means(&contributions, MEDIAN_OF_MEANS_GROUP),
        evaluations: of(|d| d.evaluations as f64),
        seconds: of(|d| d.seconds),
        capped: draws.iter().map(|d| d.capped).sum(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ucg_models::vae::VaeShape;

    fn draw(g: Vec<f64>) -> GradientDraw {
        GradientDraw {
            gradient: g,
            evaluations: 10,
            capped: 0,
            seconds: 1.0,
        }
    }

    /// Draws `(2, 1) + (±1, 0)` against a reference `(±1, 0)`, by hand: `‖ḡ − ḡ_ref‖² = 5`, less each
    /// side's noise floor `(8/7)/8`; the variance per draw is `8/7` (the sample variance of ±1).
    #[test]
    fn comparison_by_hand() {
        let signs = [1.0, -1.0, 1.0, -1.0, 1.0, -1.0, 1.0, -1.0];
        let draws: Vec<GradientDraw> = signs.iter().map(|s| draw(vec![2.0 + s, 1.0])).collect();
        let reference: Vec<Vec<f64>> = signs.iter().map(|s| vec![*s, 0.0]).collect();
        let c = compare(ThetaGradient::Iwae { particles: 10 }, &draws, &reference).unwrap();
        // ‖ḡ − ḡ_ref‖² = 4 + 1 = 5; each side's tr Var = 8/7, over 8 draws: 5 − 2/7.
        assert!((c.squared_bias.value - (5.0 - 2.0 / 7.0)).abs() < 1e-12);
        // Contributions n/(n−1)·1 = 8/7 each.
        assert!((c.variance.value - 8.0 / 7.0).abs() < 1e-12);
        assert!((c.variance_median_of_means - 8.0 / 7.0).abs() < 1e-12);
        assert_eq!(c.evaluations.value, 10.0);
        let unbiased = GradientComparison {
            squared_bias: WithError {
                value: -0.1,
                se: 0.1,
            },
            variance: WithError {
                value: 10.0,
                se: 1.0,
            },
            ..c.clone()
        };
        let n = unbiased.break_even_steps(&c).value().unwrap();
        assert!((n - (10.0 - 8.0 / 7.0) / (5.0 - 2.0 / 7.0)).abs() < 1e-12);
        assert_eq!(c.break_even_steps(&unbiased), BreakEven::Never);
        assert_eq!(c.break_even_steps(&c), BreakEven::Unresolved);
        let noisy = GradientComparison {
            squared_bias: WithError {
                value: 4.0,
                se: 2.0,
            },
            ..c.clone()
        };
        assert_eq!(unbiased.break_even_steps(&noisy), BreakEven::Unresolved);
        assert!(
            compare(
                ThetaGradient::Elbo { particles: 1 },
                &draws[..2],
                &reference
            )
            .is_err()
        );
    }

    /// Each estimator draws a gradient of the decoder's size, deterministically for a seed, with its
    /// cost; the ELBO and IWAE coincide with `K = 1`.
    #[test]
    fn every_estimator_draws() {
        let vae = Vae::<f32>::new(VaeShape::new(12, 6, 2).unwrap(), 3);
        let x: Vec<f32> = (0..12 * 4).map(|i| (i % 3 == 0) as u8 as f32).collect();
        let coupled = EfficiencySettings {
            kind: super::super::CoupledKernelKind::Isir,
            particles: 4,
            beta: 0.0,
            lag: 2,
            k: 1,
            m: 2,
            cap: 500,
            proposal_scale: 1.0,
            fit_particles: 0,
        };
        for e in [
            ThetaGradient::Elbo { particles: 3 },
            ThetaGradient::Iwae { particles: 3 },
            ThetaGradient::Sumo { first: 2 },
            ThetaGradient::Coupled(coupled),
        ] {
            let a = e.draw(&vae, &x, 4, 5).unwrap();
            let b = e.draw(&vae, &x, 4, 5).unwrap();
            assert_eq!(a.gradient, b.gradient, "{}", e.label());
            assert_eq!(a.gradient.len(), vae.decoder_params().len());
            assert!(a.evaluations >= 4 * 2, "{}", e.label());
            assert!(a.gradient.iter().all(|v| v.is_finite()));
        }
        let elbo = ThetaGradient::Elbo { particles: 1 }
            .draw(&vae, &x, 4, 7)
            .unwrap();
        let iwae = ThetaGradient::Iwae { particles: 1 }
            .draw(&vae, &x, 4, 7)
            .unwrap();
        assert_eq!(elbo.gradient, iwae.gradient);
    }
}
