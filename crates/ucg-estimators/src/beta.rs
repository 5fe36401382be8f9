//! Adapting DISIR's correlation β between estimator runs (docs/method.md §3).
//!
//! The paper targets an effective sample size of `0.3 K` for the DISIR step with the update
//! `β ← clip(β − 0.01 (ESS − 0.3 K), 10⁻⁶, 1 − 10⁻⁶)`, one per kernel step ([`BetaRule::Linear`]). β must
//! stay fixed *within* a run (both chains, every iteration) or the estimator loses its unbiasedness, so
//! the ESS of every step is recorded during a run and the updates are applied, in order, after it.
//!
//! The paper's rule is unstable in two regimes the PPCA study meets. When the target ESS is reached only
//! very close to β = 1 (D = 300), steps of fixed size in β overshoot: β climbs to its upper bound, where
//! the DISIR particles coincide and the ESS jumps to `K`, and the next run's updates throw it back by
//! `0.01 · 0.7 K` per step; it cycles. And the step grows with `K` (±0.35 per step at K = 50), so for
//! large `K` β jumps between its bounds. [`BetaRule::LogComplement`] adapts `u = ln(1 − β)` by
//! `rate · (mean ESS/K − target)` once per run: steps are relative to the distance from 1, do not grow
//! with `K`, and do not pile up over a long run (β is fixed within a run, so its steps all measure the same
//! thing).
//!
//! ```
//! use ucg_estimators::beta::BetaAdapter;
//! // The ESS reaches 0.3 K only for 1 − β ≈ 10⁻³, and is K at the bound (as for PPCA at D = 300).
//! let ess = |beta: f64| 1.0 + 9.0 * (-(1.0 - beta) / 1e-3).exp();
//! let mut stable = BetaAdapter::stable(0.5, 10)?;
//! for _ in 0..200 {
//!     stable.update(&[ess(stable.beta()); 10]);
//! }
//! assert!((ess(stable.beta()) - 3.0).abs() < 0.3);
//! # Ok::<(), ucg_estimators::EstimatorError>(())
//! ```

use crate::error::{Result, invalid};
#[cfg(feature = "serde")]
use serde::{Deserialize, Serialize};

/// How one recorded ESS moves β.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub enum BetaRule {
    /// The paper's `β ← β − rate · (ESS − target · K)`.
    #[default]
    Linear,
    /// Once per run, `ln(1 − β) ← ln(1 − β) + rate · (ESS̄ / K − target)` with `ESS̄` the run's mean ESS:
    /// stable near β = 1, for any `K` and any run length.
    LogComplement,
}

/// Global β adaptation with a recorded trajectory.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct BetaAdapter {
    beta: f64,
    k: usize,
    target_fraction: f64,
    rate: f64,
    trajectory: Vec<f64>,
    #[cfg_attr(feature = "serde", serde(default))]
    rule: BetaRule,
}

impl BetaAdapter {
    /// Bounds on β.
    pub const BOUNDS: (f64, f64) = (1e-6, 1.0 - 1e-6);

    /// The paper's adaptation (target ESS `0.3 K`, rate `0.01`) from an initial `beta` for `K = k`.
    ///
    /// # Errors
    /// As [`BetaAdapter::with_target`].
    pub fn new(beta: f64, k: usize) -> Result<Self> {
        Self::with_target(beta, k, 0.3, 0.01)
    }
    /// The stable adaptation ([`BetaRule::LogComplement`], target ESS `0.3 K`, rate
    /// [`BetaAdapter::STABLE_RATE`]) from an initial `beta` for `K = k`.
    ///
    /// # Errors
    /// As [`BetaAdapter::with_target`].
    pub fn stable(beta: f64, k: usize) -> Result<Self> {
        Ok(Self::with_target(beta, k, 0.3, Self::STABLE_RATE)?.with_rule(BetaRule::LogComplement))
    }
    /// The stable rule's step: one update per run, from the run's mean ESS, so `ln(1 − β)` moves by at
    /// most `0.7` (`1 − β` by a factor of 2 at most) per run whatever its length.
    pub const STABLE_RATE: f64 = 1.0;
    /// The same adaptation with the update rule `rule`.
    pub fn with_rule(mut self, rule: BetaRule) -> Self {
        self.rule = rule;
        self
    }
    /// The update rule.
    pub fn rule(&self) -> BetaRule {
        self.rule
    }
    /// Particles per set `K`.
    pub fn k(&self) -> usize {
        self.k
    }
    /// Adaptation towards ESS `target_fraction · K` with step size `rate`; the initial `beta` is clipped
    /// to [`BetaAdapter::BOUNDS`].
    ///
    /// # Errors
    /// `beta ∉ [0, 1)` (NaN included), `k < 2`, `target_fraction ∉ (0, 1]`, or `rate` not finite and
    /// positive.
    pub fn with_target(beta: f64, k: usize, target_fraction: f64, rate: f64) -> Result<Self> {
        if !(0.0..1.0).contains(&beta) {
            return Err(invalid("beta", format!("must lie in [0, 1), got {beta}")));
        }
        if k < 2 {
            return Err(invalid("K", format!("need at least 2 particles, got {k}")));
        }
        if !(target_fraction > 0.0 && target_fraction <= 1.0) {
            return Err(invalid(
                "target_fraction",
                format!("must lie in (0, 1], got {target_fraction}"),
            ));
        }
        if !(rate.is_finite() && rate > 0.0) {
            return Err(invalid(
                "rate",
                format!("must be finite and positive, got {rate}"),
            ));
        }
        let beta = beta.clamp(Self::BOUNDS.0, Self::BOUNDS.1);
        Ok(BetaAdapter {
            beta,
            k,
            target_fraction,
            rate,
            trajectory: vec![beta],
            rule: BetaRule::Linear,
        })
    }
    /// The current β (use it for the whole next run).
    pub fn beta(&self) -> f64 {
        self.beta
    }
    /// Every value β has taken, starting with the initial one.
    pub fn trajectory(&self) -> &[f64] {
        &self.trajectory
    }
    /// The β to freeze after a warm-up: the average of the trajectory's second half (Polyak–Ruppert
    /// averaging), which settles where the last value of an oscillating adaptation would be arbitrary.
    pub fn frozen(&self) -> f64 {
        let tail = &self.trajectory[self.trajectory.len() / 2..];
        tail.iter().sum::<f64>() / tail.len().max(1) as f64
    }

    /// Applies one update per recorded ESS, in order (call after a run, before the next).
    pub fn update(&mut self, ess_per_step: &[f64]) {
        let k = self.k as f64;
        let target = self.target_fraction * k;
        let (lo, hi) = Self::BOUNDS;
        let finite = || ess_per_step.iter().copied().filter(|e| e.is_finite());
        match self.rule {
            BetaRule::Linear => {
                for ess in finite() {
                    self.beta = (self.beta - self.rate * (ess - target)).clamp(lo, hi);
                }
            }
            BetaRule::LogComplement => {
                // β was fixed during the run, so its steps measured one ESS curve at one β: their mean is one
                // observation, and applying them one by one would add hundreds of same-sign steps without
                // feedback when the run is long.
                let (sum, n) = finite().fold((0.0, 0usize), |(s, n), e| (s + e, n + 1));
                if n > 0 {
                    let ess = sum / n as f64;
                    // u = ln(1 − β) within the bounds' image [ln(1 − hi), ln(1 − lo)].
                    let u = (-self.beta).ln_1p() + self.rate * (ess / k - self.target_fraction);
                    let u = u.clamp((-hi).ln_1p(), (-lo).ln_1p());
                    self.beta = (-u.exp_m1()).clamp(lo, hi);
                }
            }
        }
        self.trajectory.push(self.beta);
    }
}

/// The ESS averaged over all points at each iteration that every point's run reaches (the first
/// `min_n len(trace_n)` iterations).
///
/// The paper's update applied to every iteration of the longest run (averaging over the points still
/// running) makes β jump between its bounds from one run to the next: β is fixed within a run, so the
/// hundreds of iterations of the slowest point add up same-sign updates with no feedback. Restricting
/// the updates to the common iterations keeps one update per iteration, each averaged over all points,
/// and lets β settle.
pub fn common_prefix_average(traces: &[Vec<f64>]) -> Vec<f64> {
    let common = traces.iter().map(Vec::len).min().unwrap_or(0);
    let mut avg = average_traces(traces);
    avg.truncate(common);
    avg
}

/// Averages per-point ESS traces by iteration over the points still running at that iteration
/// (`traces[n][t]` is point `n`'s ESS at its iteration `t + 1`).
pub fn average_traces(traces: &[Vec<f64>]) -> Vec<f64> {
    let len = traces.iter().map(Vec::len).max().unwrap_or(0);
    (0..len)
        .map(|t| {
            let (s, c) = traces
                .iter()
                .filter_map(|tr| tr.get(t))
                .fold((0.0, 0usize), |(s, c), v| (s + v, c + 1));
            s / c as f64
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn beta_moves_towards_the_target_ess_and_stays_in_bounds() {
        let mut a = BetaAdapter::new(0.5, 10).unwrap();
        a.update(&[8.0, 8.0]); // ESS too high: β decreases by 0.05 twice
        assert!((a.beta() - 0.4).abs() < 1e-12);
        a.update(&[1.0; 100]); // ESS too low for long: β saturates below 1
        assert_eq!(a.beta(), BetaAdapter::BOUNDS.1);
        assert_eq!(a.trajectory().len(), 3);
    }

    /// An ESS that reaches 0.3 K only for 1 − β ≈ 1.5·10⁻³ and is K at the upper bound (PPCA at D = 300).
    fn ess_near_one(beta: f64) -> f64 {
        1.0 + 9.0 * (-(1.0 - beta) / 1e-3).exp()
    }

    /// Runs of 10 steps each at the current β, as a warm-up makes them.
    fn adapt(mut a: BetaAdapter, runs: usize, ess: impl Fn(f64) -> f64) -> BetaAdapter {
        for _ in 0..runs {
            a.update(&[ess(a.beta()); 10]);
        }
        a
    }

    #[test]
    fn the_papers_rule_cycles_where_the_target_is_near_one() {
        let a = adapt(BetaAdapter::new(0.5, 10).unwrap(), 60, ess_near_one);
        let tail = &a.trajectory()[30..];
        let (lo, hi) = tail
            .iter()
            .fold((1.0f64, 0.0f64), |(l, h), &b| (l.min(b), h.max(b)));
        assert!(hi - lo > 0.5, "expected a cycle, got [{lo}, {hi}]");
    }

    #[test]
    fn the_stable_rule_settles_where_the_target_is_near_one() {
        let a = adapt(BetaAdapter::stable(0.5, 10).unwrap(), 200, ess_near_one);
        assert_eq!(a.rule(), BetaRule::LogComplement);
        // Every value of the second half within 10 % of the root's 1 − β (ESS = 3 at 1 − β = 1e-3 ln 4.5).
        let root = 1e-3 * 4.5f64.ln();
        for &b in &a.trajectory()[100..] {
            assert!(((1.0 - b) / root - 1.0).abs() < 0.1, "1 − β = {}", 1.0 - b);
        }
        assert!(((1.0 - a.frozen()) / root - 1.0).abs() < 0.05);
    }

    #[test]
    fn the_stable_rule_settles_for_large_k_and_stays_in_bounds() {
        // K = 50, ESS rising linearly in β from 1 to K: the target 15 is at β = 14/49.
        let ess = |b: f64| 1.0 + 49.0 * b;
        let a = adapt(BetaAdapter::stable(0.9, 50).unwrap(), 200, ess);
        assert!((a.beta() - 14.0 / 49.0).abs() < 0.01, "β = {}", a.beta());
        let mut b = BetaAdapter::stable(0.5, 10).unwrap();
        for _ in 0..100 {
            b.update(&[0.0]);
        }
        assert_eq!(b.beta(), BetaAdapter::BOUNDS.1);
        for _ in 0..100 {
            b.update(&[10.0]);
        }
        assert_eq!(b.beta(), BetaAdapter::BOUNDS.0);
    }

    #[test]
    fn the_stable_rule_makes_one_update_per_run_however_long() {
        // A long run at a too-small ESS moves ln(1 − β) by rate · 0.3 once, not once per step.
        let mut a = BetaAdapter::stable(0.5, 10).unwrap();
        a.update(&[0.0; 1000]);
        let expected = 1.0 - (0.5f64.ln() - 0.3).exp();
        assert!((a.beta() - expected).abs() < 1e-12, "β = {}", a.beta());
        a.update(&[]);
        assert!((a.beta() - expected).abs() < 1e-12);
    }

    #[test]
    fn only_iterations_every_point_reaches_count() {
        let avg = common_prefix_average(&[vec![1.0, 3.0, 5.0], vec![3.0, 5.0]]);
        assert_eq!(avg, vec![2.0, 4.0]);
        assert!(common_prefix_average(&[]).is_empty());
    }

    #[test]
    fn frozen_beta_averages_the_second_half() {
        let mut a = BetaAdapter::with_target(0.5, 10, 0.3, 0.1).unwrap();
        assert_eq!(a.frozen(), 0.5);
        // ESS 5 against the target 3: each update lowers β by 0.2.
        a.update(&[5.0]);
        a.update(&[5.0]);
        let t = a.trajectory().to_vec();
        assert_eq!(t.len(), 3);
        assert!((a.frozen() - (t[1] + t[2]) / 2.0).abs() < 1e-15);
    }

    #[test]
    fn invalid_settings_are_rejected() {
        for beta in [f64::NAN, -0.1, 1.0, f64::INFINITY] {
            assert!(BetaAdapter::new(beta, 10).is_err(), "beta = {beta}");
        }
        assert!(BetaAdapter::new(0.5, 1).is_err());
        assert!(BetaAdapter::with_target(0.5, 10, 0.0, 0.01).is_err());
        assert!(BetaAdapter::with_target(0.5, 10, 0.3, f64::NAN).is_err());
    }

    #[test]
    fn traces_average_over_running_points() {
        let avg = average_traces(&[vec![1.0, 3.0], vec![3.0]]);
        assert_eq!(avg, vec![2.0, 3.0]);
    }
}
