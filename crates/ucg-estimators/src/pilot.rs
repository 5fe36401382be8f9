//! Choosing DISIR's β by measured efficiency: a short pilot runs the estimator a few times at each
//! candidate β and keeps the one with the smallest inefficiency, the total variance of the estimate
//! (the trace of its covariance) times its mean cost.
//!
//! The pilot knows nothing of the model: the caller's closure runs one estimate at a given β and returns
//! the estimate vector and its cost (particle evaluations, seconds, whatever the caller wants to pay
//! for). Pass the same seed for replicate `r` at every β (common random numbers) so that the comparison
//! is not blurred by independent noise. β must stay fixed within each estimate, and the chosen β is then
//! used, fixed, for every later estimate, so the estimator stays unbiased.
//!
//! ```
//! use ucg_estimators::pilot::pilot_beta;
//! // A toy estimator whose variance falls and whose cost rises with β.
//! let choice = pilot_beta(&[0.0, 0.5, 0.9], 50, |beta, r| {
//!     let noise = if r % 2 == 0 { 1.0 } else { -1.0 };
//!     let sd = 1.0 - 0.5 * beta;
//!     Ok::<_, ucg_estimators::EstimatorError>((vec![sd * noise], 1.0 + 10.0 * beta))
//! })?;
//! assert_eq!(choice.best_beta(), 0.0);
//! # Ok::<(), ucg_estimators::EstimatorError>(())
//! ```

use crate::efficiency::WithError;
use crate::error::{EstimatorError, invalid};
#[cfg(feature = "serde")]
use serde::{Deserialize, Serialize};

/// What the pilot measured at one candidate β.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct PilotMeasure {
    /// The candidate.
    pub beta: f64,
    /// Estimates run.
    pub replicates: usize,
    /// Trace of the sample covariance of the estimates.
    pub total_variance: f64,
    /// Its standard error: that of the mean of `‖x_r − x̄‖²`, scaled like the trace.
    pub total_variance_se: f64,
    /// Mean cost per estimate.
    pub cost: f64,
    /// Its standard error.
    pub cost_se: f64,
    /// `total_variance × cost`.
    pub inefficiency: f64,
    /// Its standard error (delta method, the two relative errors combined as if independent).
    pub inefficiency_se: f64,
}

/// The pilot's measurements and its choice.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct PilotChoice {
    /// One measurement per candidate, in the order given.
    pub measures: Vec<PilotMeasure>,
    /// Index of the candidate with the smallest inefficiency.
    pub best: usize,
}

impl PilotChoice {
    /// The chosen β.
    pub fn best_beta(&self) -> f64 {
        self.measures[self.best].beta
    }
    /// Whether the choice is clear: every other candidate's inefficiency lies more than two combined
    /// standard errors above the best one's. When it is not, more pilot replicates would be needed to
    /// tell the candidates apart (the choice is then among statistically equivalent ones).
    pub fn is_clear(&self) -> bool {
        let b = &self.measures[self.best];
        self.measures.iter().enumerate().all(|(i, m)| {
            i == self.best
                || m.inefficiency - b.inefficiency
                    > 2.0 * m.inefficiency_se.hypot(b.inefficiency_se)
        })
    }
}

/// Measures one candidate from its estimates and costs.
///
/// # Errors
/// Fewer than two estimates, estimates of different or zero dimension, or non-finite values.
pub fn measure(
    beta: f64,
    estimates: &[Vec<f64>],
    costs: &[f64],
) -> Result<PilotMeasure, EstimatorError> {
    let r = estimates.len();
    if r < 2 || costs.len() != r {
        return Err(EstimatorError::TooFew {
            what: "a pilot measurement",
            need: 2,
            got: r.min(costs.len()),
        });
    }
    let dim = estimates[0].len();
    if dim == 0 || estimates.iter().any(|e| e.len() != dim) {
        return Err(invalid(
            "estimates",
            "the pilot's estimates must share one positive dimension",
        ));
    }
    let finite = |v: &[f64]| v.iter().all(|x| x.is_finite());
    if !finite(costs) || estimates.iter().any(|e| !finite(e)) {
        return Err(invalid(
            "estimates",
            "the pilot got a non-finite estimate or cost",
        ));
    }
    let n = r as f64;
    let mut mean = vec![0.0; dim];
    for e in estimates {
        for (m, x) in mean.iter_mut().zip(e) {
            *m += x / n;
        }
    }
    // ‖x_r − x̄‖² summed over r is (r − 1) × the trace of the sample covariance.
    let spread: Vec<f64> = estimates
        .iter()
        .map(|e| e.iter().zip(&mean).map(|(x, m)| (x - m).powi(2)).sum())
        .collect();
    let scale = n / (n - 1.0);
    let spread = WithError::mean_of(&spread);
    let (d_mean, d_se) = (spread.value, spread.se);
    let cost = WithError::mean_of(costs);
    let (cost, cost_se) = (cost.value, cost.se);
    let total_variance = d_mean * scale;
    let total_variance_se = d_se * scale;
    let inefficiency = total_variance * cost;
    let rel = |v: f64, se: f64| if v > 0.0 { se / v } else { 0.0 };
    let inefficiency_se =
        inefficiency * rel(total_variance, total_variance_se).hypot(rel(cost, cost_se));
    Ok(PilotMeasure {
        beta,
        replicates: r,
        total_variance,
        total_variance_se,
        cost,
        cost_se,
        inefficiency,
        inefficiency_se,
    })
}

/// Runs `replicates` estimates at every candidate β with `run(beta, r)` (which returns the estimate
/// vector and its cost; give replicate `r` the same seed at every β) and picks the β with the smallest
/// measured inefficiency.
///
/// # Errors
/// No candidate, a candidate outside `[0, 1)`, fewer than two replicates, an error from `run`, or
/// estimates that cannot be measured ([`measure`]).
pub fn pilot_beta<E: From<EstimatorError>>(
    candidates: &[f64],
    replicates: usize,
    mut run: impl FnMut(f64, u64) -> Result<(Vec<f64>, f64), E>,
) -> Result<PilotChoice, E> {
    if candidates.is_empty() || candidates.iter().any(|b| !(0.0..1.0).contains(b)) {
        return Err(invalid(
            "candidates",
            format!("need candidate β values in [0, 1), got {candidates:?}"),
        )
        .into());
    }
    if replicates < 2 {
        return Err(invalid(
            "replicates",
            format!("a pilot needs at least 2 replicates per β, got {replicates}"),
        )
        .into());
    }
    let mut measures = Vec::with_capacity(candidates.len());
    for &beta in candidates {
        let mut estimates = Vec::with_capacity(replicates);
        let mut costs = Vec::with_capacity(replicates);
        for r in 0..replicates as u64 {
            let (e, c) = run(beta, r)?;
            estimates.push(e);
            costs.push(c);
        }
        measures.push(measure(beta, &estimates, &costs)?);
    }
    let best = measures
        .iter()
        .enumerate()
        .min_by(|a, b| a.1.inefficiency.total_cmp(&b.1.inefficiency))
        .map_or(0, |(i, _)| i);
    Ok(PilotChoice { measures, best })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seeding::stream;
    use rand_distr::{Distribution, StandardNormal};

    #[test]
    fn a_measure_by_hand() {
        // Means (2, 1); squared distances 2, 2, 4 (mean 8/3, standard error 2/3); × r/(r−1) = 3/2 gives
        // the trace of the sample covariance, 1 + 3 = 4, with standard error 1. Costs: mean 20, standard
        // error √(100/3). Inefficiency 80, standard error 80 · hypot(1/4, √(100/3)/20).
        let m = measure(
            0.3,
            &[vec![1.0, 0.0], vec![3.0, 0.0], vec![2.0, 3.0]],
            &[10.0, 20.0, 30.0],
        )
        .unwrap();
        let close = |a: f64, b: f64| (a - b).abs() < 1e-12 * b.abs().max(1.0);
        assert_eq!((m.beta, m.replicates), (0.3, 3));
        assert!(close(m.total_variance, 4.0), "{}", m.total_variance);
        assert!(close(m.total_variance_se, 1.0), "{}", m.total_variance_se);
        assert!(close(m.cost, 20.0) && close(m.cost_se, (100.0f64 / 3.0).sqrt()));
        assert!(close(m.inefficiency, 80.0));
        let se = 80.0 * 0.25f64.hypot((100.0f64 / 3.0).sqrt() / 20.0);
        assert!(close(m.inefficiency_se, se), "{} {se}", m.inefficiency_se);
        // No spread: no relative error to propagate (not 0/0).
        let flat = measure(0.0, &[vec![1.0], vec![1.0]], &[5.0, 7.0]).unwrap();
        assert_eq!((flat.total_variance, flat.inefficiency_se), (0.0, 0.0));
        // Two estimates are enough; fewer, or costs that do not match, are refused.
        assert!(measure(0.0, &[vec![1.0], vec![2.0]], &[1.0, 1.0]).is_ok());
        assert!(measure(0.0, &[vec![1.0]], &[1.0]).is_err());
        assert!(measure(0.0, &[], &[]).is_err());
        assert!(measure(0.0, &[vec![1.0], vec![2.0], vec![3.0]], &[1.0, 1.0]).is_err());
    }

    #[test]
    fn a_choice_is_clear_only_beyond_two_combined_standard_errors() {
        let at = |inefficiency: f64, inefficiency_se: f64| PilotMeasure {
            beta: 0.0,
            replicates: 2,
            total_variance: 1.0,
            total_variance_se: 0.0,
            cost: inefficiency,
            cost_se: 0.0,
            inefficiency,
            inefficiency_se,
        };
        // hypot(3, 4) = 5: the boundary is a difference of exactly 10.
        let choice = |other: f64| PilotChoice {
            measures: vec![at(10.0, 4.0), at(other, 3.0)],
            best: 0,
        };
        assert!(!choice(20.0).is_clear());
        assert!(choice(20.5).is_clear());
        assert!(!choice(15.0).is_clear());
    }

    #[test]
    fn two_replicates_are_enough_and_fewer_are_refused_by_name() {
        let run = |beta: f64, r: u64| -> Result<(Vec<f64>, f64), EstimatorError> {
            Ok((vec![beta + r as f64], 1.0))
        };
        assert!(pilot_beta(&[0.0, 0.5], 2, run).is_ok());
        for few in [0, 1] {
            let err = pilot_beta(&[0.0], few, run).unwrap_err().to_string();
            assert!(err.contains("at least 2 replicates"), "{few}: {err}");
        }
    }

    /// An estimator of dimension 20 with standard deviation `sd(β)` per component and cost `cost(β)`;
    /// replicate `r` draws from `stream(7, r)` at every β (common random numbers).
    fn toy(
        sd: impl Fn(f64) -> f64,
        cost: impl Fn(f64) -> f64,
    ) -> impl FnMut(f64, u64) -> Result<(Vec<f64>, f64), EstimatorError> {
        move |beta, r| {
            let mut rng = stream(7, r);
            let e = (0..20)
                .map(|_| {
                    sd(beta)
                        * <StandardNormal as Distribution<f64>>::sample(&StandardNormal, &mut rng)
                })
                .collect();
            Ok((e, cost(beta)))
        }
    }

    #[test]
    fn the_measured_variance_is_within_its_standard_error() {
        // Trace of the covariance: 20 · 2² = 80. With 400 replicates its s.e. is about 80·√(2/20/400) ≈ 1.3;
        // 4 s.e. covers the estimate except with probability 6e-5.
        let m = pilot_beta(&[0.5], 400, toy(|_| 2.0, |_| 3.0)).unwrap();
        let p = &m.measures[0];
        assert!(
            (p.total_variance - 80.0).abs() < 4.0 * p.total_variance_se,
            "{p:?}"
        );
        assert!((p.total_variance_se / 80.0 - (2.0f64 / 20.0 / 400.0).sqrt()).abs() < 0.005);
        assert_eq!(
            (p.cost, p.cost_se, p.inefficiency),
            (3.0, 0.0, 3.0 * p.total_variance)
        );
    }

    #[test]
    fn the_smallest_inefficiency_wins_not_the_smallest_variance() {
        // Inefficiency ∝ (1.5 − β)² (1 + 4β): 2.25 at β = 0, 3.17 at 0.3, 3 at 0.5, 1.66 at 0.9, so 0.9
        // wins though its cost is the largest, and 0.3 loses though its variance is below β = 0's.
        let c = pilot_beta(
            &[0.0, 0.3, 0.5, 0.9],
            200,
            toy(|b| 1.5 - b, |b| 1.0 + 4.0 * b),
        )
        .unwrap();
        assert_eq!(c.best_beta(), 0.9);
        assert!(c.is_clear(), "{:?}", c.measures);
        // Same variance, cost rising with β: β = 0 wins though its variance is not the smallest sample.
        let c = pilot_beta(&[0.0, 0.3, 0.9], 200, toy(|_| 1.0, |b| 1.0 + 4.0 * b)).unwrap();
        assert_eq!(c.best_beta(), 0.0);
    }

    #[test]
    fn a_close_call_is_not_clear() {
        let c = pilot_beta(&[0.0, 0.1], 30, toy(|b| 1.0 + 0.01 * b, |_| 1.0)).unwrap();
        assert!(!c.is_clear());
    }

    #[test]
    fn bad_pilots_are_refused() {
        let ok = |_: f64, _: u64| Ok::<_, EstimatorError>((vec![1.0], 1.0));
        assert!(pilot_beta(&[], 5, ok).is_err());
        assert!(pilot_beta(&[1.0], 5, ok).is_err());
        assert!(pilot_beta(&[f64::NAN], 5, ok).is_err());
        assert!(pilot_beta(&[0.5], 1, ok).is_err());
        let nan = |_: f64, _: u64| Ok::<_, EstimatorError>((vec![f64::NAN], 1.0));
        assert!(pilot_beta(&[0.5], 5, nan).is_err());
        let ragged = |_: f64, r: u64| Ok::<_, EstimatorError>((vec![1.0; 1 + r as usize], 1.0));
        assert!(pilot_beta(&[0.5], 5, ragged).is_err());
    }
}
