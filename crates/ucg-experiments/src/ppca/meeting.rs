//! Meeting times of many points and replicates, kept as counts (mergeable, small), with exact quantiles.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use ucg_estimators::LaggedRun;

/// How often each meeting time `τ` occurred; capped runs count at the cap and are also counted apart.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MeetingCounts {
    /// `τ → count` over all runs (capped runs at the iteration they stopped).
    pub counts: BTreeMap<usize, u64>,
    /// Runs that hit the cap before meeting.
    pub capped: u64,
}

/// Summary of a meeting-time distribution.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MeetingStats {
    /// Runs (one per point and replicate).
    pub runs: u64,
    /// Mean `τ` (capped runs at their cap: a lower bound when some are capped).
    pub mean: f64,
    /// Median.
    pub median: f64,
    /// 90% quantile.
    pub q90: f64,
    /// 99% quantile.
    pub q99: f64,
    /// Maximum.
    pub max: f64,
    /// Runs that hit the cap.
    pub capped: u64,
}

impl MeetingCounts {
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
    /// `ucg_estimators::summary::quantile`); `None` without runs.
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

    /// The summary, or `None` without runs.
    pub fn stats(&self) -> Option<MeetingStats> {
        let runs = self.runs();
        if runs == 0 {
            return None;
        }
        let total: f64 = self.counts.iter().map(|(&t, &c)| t as f64 * c as f64).sum();
        Some(MeetingStats {
            runs,
            mean: total / runs as f64,
            median: self.quantile(0.5)?,
            q90: self.quantile(0.9)?,
            q99: self.quantile(0.99)?,
            max: *self.counts.keys().next_back()? as f64,
            capped: self.capped,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ucg_estimators::summary::quantile;

    fn run(tau: usize, capped: bool) -> LaggedRun {
        LaggedRun {
            meeting_time: (!capped).then_some(tau),
            iterations: tau,
            cost: 0,
            capped,
        }
    }

    #[test]
    fn quantiles_match_the_sorted_sample() {
        let taus = [11, 12, 12, 15, 30, 11, 11, 90, 13, 12];
        let mut m = MeetingCounts::default();
        for &t in &taus {
            m.push(&run(t, false));
        }
        let v: Vec<f64> = taus.iter().map(|&t| t as f64).collect();
        for q in [0.0, 0.1, 0.5, 0.9, 0.99, 1.0] {
            assert_eq!(m.quantile(q), Some(quantile(&v, q).unwrap()), "q = {q}");
        }
        let s = m.stats().unwrap();
        assert_eq!((s.runs, s.max, s.capped), (10, 90.0, 0));
        assert!((s.mean - v.iter().sum::<f64>() / 10.0).abs() < 1e-12);
        assert_eq!(m.values().len(), 10);
    }

    #[test]
    fn capped_runs_count_at_the_cap_and_merge() {
        let mut a = MeetingCounts::default();
        a.push(&run(20, false));
        let mut b = MeetingCounts::default();
        b.push(&run(1000, true));
        a.merge(&b);
        assert_eq!((a.runs(), a.capped), (2, 1));
        assert_eq!(a.stats().unwrap().max, 1000.0);
        assert!(MeetingCounts::default().stats().is_none());
    }
}
