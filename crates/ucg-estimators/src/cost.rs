//! What a run of the lagged estimator costs, read off its meeting time, and the cap that keeps
//! truncation within a budget.
//!
//! A run with lag `L`, window end `m` and cap `c` that meets at `τ` applies the kernel `L` times to the
//! first chain alone, then to both chains (two applications per iteration) until `t = max(L, min(τ, c))`,
//! then carries the first chain alone on to `m`:
//!
//! ```text
//! cost(τ) = L + 2 (t − L) + max(0, m − t)        kernel applications
//! ```
//!
//! Meeting times recorded with a generous cap therefore give the expected cost of *any* smaller cap
//! ([`expected_run_cost`]), so a cap can be chosen after the fact. A capped run is biased, so the cap is
//! chosen from a budget: [`cap_for_budget`] is the smallest cap that would have stopped at most a given
//! share of the replicates (a replicate with several runs is stopped when its longest run is).
//!
//! # Example
//! ```
//! use ucg_estimators::cost::{cap_for_budget, expected_run_cost, lagged_run_cost};
//! use ucg_estimators::meeting_counts::MeetingCounts;
//!
//! // Lag 10, window end 10: a run that meets at 15 does 10 single and 5 coupled iterations.
//! assert_eq!(lagged_run_cost(15, 1_000, 10, 10), 20.0);
//! let mut meeting = MeetingCounts::default();
//! meeting.counts.insert(12, 3);
//! meeting.counts.insert(40, 1);
//! // (3 × 14 + 1 × 70) / 4 runs; with the cap at 20 the long run costs 30.
//! assert_eq!(expected_run_cost(&meeting, 1_000, 10, 10), 28.0);
//! assert_eq!(expected_run_cost(&meeting, 20, 10, 10), 18.0);
//! // 100 replicates whose longest runs met at 1..=100: at most 1% may be stopped.
//! let longest: Vec<usize> = (1..=100).collect();
//! assert_eq!(cap_for_budget(&longest, 0.01, 1_000), Some(99));
//! ```

use crate::meeting_counts::MeetingCounts;

/// Kernel applications of one run with lag `lag` and window end `m` that meets at `tau`, stopped at
/// `cap`: `L + 2(t − L) + max(0, m − t)` with `t = max(L, min(τ, cap))`.
pub fn lagged_run_cost(tau: usize, cap: usize, lag: usize, m: usize) -> f64 {
    let t = tau.min(cap).max(lag);
    (lag + 2 * (t - lag) + m.saturating_sub(t)) as f64
}

/// Mean kernel applications per run of the runs whose meeting times are `meeting`, had the cap been
/// `cap` (0 for no runs).
pub fn expected_run_cost(meeting: &MeetingCounts, cap: usize, lag: usize, m: usize) -> f64 {
    let runs = meeting.runs().max(1) as f64;
    let total: f64 = meeting
        .counts
        .iter()
        .map(|(&tau, &count)| count as f64 * lagged_run_cost(tau, cap, lag, m))
        .sum();
    total / runs
}

/// The smallest cap `c` such that at most `budget · R` of the `R` replicates' longest meeting times
/// `longest` exceed `c`; `None` for no replicates, or when that `c` is not below `recorded_cap` (the
/// cap the meeting times were recorded with, beyond which they cannot tell).
pub fn cap_for_budget(longest: &[usize], budget: f64, recorded_cap: usize) -> Option<usize> {
    let mut t = longest.to_vec();
    t.sort_unstable();
    let allowed = (budget * t.len() as f64).floor() as usize;
    let c = *t.get(t.len().checked_sub(allowed + 1)?)?;
    (c < recorded_cap).then_some(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_counts_coupled_iterations_twice_and_stops_at_the_cap() {
        // Meets before the lag: L single steps, nothing coupled, nothing after (m = L).
        assert_eq!(lagged_run_cost(3, 100, 10, 10), 10.0);
        assert_eq!(lagged_run_cost(15, 100, 10, 10), 20.0);
        assert_eq!(lagged_run_cost(500, 100, 10, 10), 190.0);
        // A window end beyond the meeting: the first chain carries on alone.
        assert_eq!(lagged_run_cost(15, 100, 10, 30), 35.0);
        let mut m = MeetingCounts::default();
        m.counts.insert(15, 2);
        m.counts.insert(500, 1);
        m.capped = 1;
        assert_eq!(
            expected_run_cost(&m, 100, 10, 10),
            (2.0 * 20.0 + 190.0) / 3.0
        );
        assert_eq!(
            expected_run_cost(&MeetingCounts::default(), 100, 10, 10),
            0.0
        );
    }

    #[test]
    fn the_cap_for_a_budget_is_an_order_statistic() {
        let mut t: Vec<usize> = (1..=200).collect();
        assert_eq!(cap_for_budget(&t, 0.01, 1000), Some(198));
        t.reverse();
        assert_eq!(cap_for_budget(&t, 0.01, 1000), Some(198));
        t[0] = 5000;
        t[1] = 5000;
        t[2] = 5000;
        assert_eq!(cap_for_budget(&t, 0.01, 1000), None);
        assert_eq!(cap_for_budget(&[], 0.01, 1000), None);
    }
}
