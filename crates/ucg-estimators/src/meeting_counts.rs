//! Meeting times of many runs kept as counts: small, mergeable across shards, with exact quantiles and the
//! survival function `P(τ > t)` that shows a distribution's tail.

use crate::LaggedRun;
use crate::error::{EstimatorError, Result};
use crate::summary::MeetingSummary;
#[cfg(feature = "serde")]
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How often each meeting time `τ` occurred; a capped run counts at the iteration where it stopped and is
/// also counted apart (its true `τ` is larger).
///
/// # Example
/// ```
/// use ucg_estimators::{LaggedRun, meeting_counts::MeetingCounts};
/// let run = |tau: usize, capped: bool| LaggedRun {
///     meeting_time: (!capped).then_some(tau), iterations: tau, cost: 0, capped,
/// };
/// let mut shard_a = MeetingCounts::default();
/// shard_a.push(&run(12, false));
/// let mut shard_b = MeetingCounts::default();
/// shard_b.push(&run(1000, true));
/// shard_a.merge(&shard_b);
/// let s = shard_a.summary()?;
/// assert_eq!((s.runs, s.capped, s.max), (2, 1, 1000.0));
/// assert_eq!(shard_a.survival(), vec![(12, 0.5), (1000, 0.0)]);
/// # Ok::<(), ucg_estimators::EstimatorError>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct MeetingCounts {
    /// `τ → count` over all runs (capped runs at the iteration they stopped).
    pub counts: BTreeMap<usize, u64>,
    /// Runs that hit the cap before meeting.
    pub capped: u64,
}

impl MeetingCounts {
    /// Counts the meeting times of `runs`.
    pub fn from_runs<'a>(runs: impl IntoIterator<Item = &'a LaggedRun>) -> Self {
        let mut counts = MeetingCounts::default();
        runs.into_iter().for_each(|r| counts.push(r));
        counts
    }

    /// Adds one run.
    pub fn push(&mut self, run: &LaggedRun) {
        let tau = run.meeting_time.unwrap_or(run.iterations);
        *self.counts.entry(tau).or_insert(0) += 1;
        self.capped += u64::from(run.capped);
    }

    /// Adds another set of counts (e.g. from another shard).
    pub fn merge(&mut self, other: &MeetingCounts) {
        for (&tau, &c) in &other.counts {
            *self.counts.entry(tau).or_insert(0) += c;
        }
        self.capped += other.capped;
    }

    /// Number of runs.
    pub fn runs(&self) -> u64 {
        self.counts.values().sum()
    }

    /// Every meeting time, in increasing order (for histograms).
    pub fn values(&self) -> Vec<f64> {
        self.counts
            .iter()
            .flat_map(|(&tau, &c)| std::iter::repeat_n(tau as f64, c as usize))
            .collect()
    }

    /// The `i`-th smallest meeting time (0-based), if there are more than `i`.
    fn order_statistic(&self, i: u64) -> Option<f64> {
        let mut seen = 0;
        for (&tau, &c) in &self.counts {
            seen += c;
            if i < seen {
                return Some(tau as f64);
            }
        }
        None
    }

    /// Quantile `q ∈ [0, 1]` interpolating between order statistics (type 7, as
    /// [`crate::summary::quantile`]); `None` without runs.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        let n = self.runs();
        if n == 0 {
            return None;
        }
        let h = q.clamp(0.0, 1.0) * (n - 1) as f64;
        let (lo, hi) = (h.floor() as u64, h.ceil() as u64);
        let (a, b) = (self.order_statistic(lo)?, self.order_statistic(hi)?);
        Some(a + (h - lo as f64) * (b - a))
    }

    /// The empirical survival function at every observed `τ`: `(t, P̂(τ > t))`, non-increasing, ending at 0.
    /// Capped runs count at their cap, so the curve's last step hides how far beyond the cap they would
    /// have gone: read it with [`MeetingCounts::capped`].
    pub fn survival(&self) -> Vec<(usize, f64)> {
        let n = self.runs() as f64;
        let mut at_most = 0u64;
        self.counts
            .iter()
            .map(|(&tau, &c)| {
                at_most += c;
                (tau, (n - at_most as f64) / n)
            })
            .collect()
    }

    /// The summary: mean, quantiles, maximum and capped count.
    ///
    /// # Errors
    /// No runs.
    pub fn summary(&self) -> Result<MeetingSummary> {
        let runs = self.runs();
        let too_few = || EstimatorError::TooFew {
            what: "a meeting-time summary",
            need: 1,
            got: 0,
        };
        let quantile = |q| self.quantile(q).ok_or_else(too_few);
        let total: f64 = self.counts.iter().map(|(&t, &c)| t as f64 * c as f64).sum();
        Ok(MeetingSummary {
            runs,
            mean: total / runs.max(1) as f64,
            median: quantile(0.5)?,
            q90: quantile(0.9)?,
            q99: quantile(0.99)?,
            max: *self.counts.keys().next_back().ok_or_else(too_few)? as f64,
            capped: self.capped,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::summary::quantile;

    #[test]
    fn the_mean_weights_each_meeting_time_by_its_count() {
        let m = MeetingCounts {
            counts: BTreeMap::from([(2, 3), (5, 1)]),
            capped: 0,
        };
        // (3 · 2 + 1 · 5) / 4.
        assert_eq!(m.summary().unwrap().mean, 2.75);
    }

    fn run(tau: usize, capped: bool) -> LaggedRun {
        LaggedRun {
            meeting_time: (!capped).then_some(tau),
            iterations: tau,
            cost: 0,
            capped,
        }
    }

    #[test]
    fn quantiles_match_the_sorted_sample_and_the_direct_summary() {
        let taus = [11, 12, 12, 15, 30, 11, 11, 90, 13, 12];
        let runs: Vec<LaggedRun> = taus.iter().map(|&t| run(t, false)).collect();
        let m = MeetingCounts::from_runs(&runs);
        let v: Vec<f64> = taus.iter().map(|&t| t as f64).collect();
        for q in [0.0, 0.1, 0.5, 0.9, 0.99, 1.0] {
            assert_eq!(m.quantile(q), Some(quantile(&v, q).unwrap()), "q = {q}");
        }
        let s = m.summary().unwrap();
        assert_eq!(s, MeetingSummary::from_runs(&runs).unwrap());
        assert_eq!((s.runs, s.max, s.capped), (10, 90.0, 0));
        assert_eq!(m.values().len(), 10);
        let surv = m.survival();
        assert_eq!(surv.first(), Some(&(11, 0.7)));
        assert_eq!(surv.last(), Some(&(90, 0.0)));
        assert!(surv.windows(2).all(|w| w[0].1 >= w[1].1));
    }

    #[test]
    fn capped_runs_count_at_the_cap_and_merge() {
        let mut a = MeetingCounts::default();
        a.push(&run(20, false));
        let mut b = MeetingCounts::default();
        b.push(&run(1000, true));
        a.merge(&b);
        assert_eq!((a.runs(), a.capped), (2, 1));
        assert_eq!(a.summary().unwrap().max, 1000.0);
        assert!(MeetingCounts::default().summary().is_err());
    }
}
