//! A cell's running statistics over its finished replicates, checkpointed for resuming and merging.

use serde::{Deserialize, Serialize};
use ucg_estimators::LaggedRun;
use ucg_estimators::summary::Moments;

use super::cells::Cell;
use super::meeting::MeetingCounts;
use crate::AnyResult;

/// Replicates `first..end` of a cell, of which `first..next` are done.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplicateRange {
    /// First replicate.
    pub first: u64,
    /// First replicate not done.
    pub next: u64,
    /// End of the range.
    pub end: u64,
}

/// A cell's running statistics over its finished replicates.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CellCheckpoint {
    /// The cell.
    pub cell: Cell,
    /// Its replicate ranges (one per shard).
    pub ranges: Vec<ReplicateRange>,
    /// Componentwise moments of the signed error `estimate − exact` (dimension 0 for meeting-only cells).
    pub errors: Moments,
    /// Meeting times of every point of every replicate (coupled estimators).
    pub meeting: MeetingCounts,
}

impl CellCheckpoint {
    /// An empty checkpoint for replicates `first..end`, with error moments of dimension `dim`.
    pub fn new(cell: Cell, (first, end): (u64, u64), dim: usize) -> Self {
        CellCheckpoint {
            cell,
            ranges: vec![ReplicateRange {
                first,
                next: first,
                end,
            }],
            errors: Moments::new(dim),
            meeting: MeetingCounts::default(),
        }
    }
    /// Replicates done.
    pub fn done(&self) -> u64 {
        self.ranges.iter().map(|r| r.next - r.first).sum()
    }
    /// Replicates planned in these ranges.
    pub fn planned(&self) -> u64 {
        self.ranges.iter().map(|r| r.end - r.first).sum()
    }
    /// Whether replicate `r` is done.
    pub fn contains(&self, r: u64) -> bool {
        self.ranges.iter().any(|x| (x.first..x.next).contains(&r))
    }
    /// Whether every planned replicate is done.
    pub fn is_complete(&self) -> bool {
        self.ranges.iter().all(|r| r.next == r.end)
    }
    /// The next replicate of a single-range (unmerged) checkpoint.
    pub fn next(&self) -> u64 {
        self.ranges.first().map_or(0, |r| r.next)
    }

    /// Records the replicate `self.next()`: its error vector (if checked) and its runs.
    ///
    /// # Errors
    /// An error vector of the wrong dimension, or a merged checkpoint.
    pub fn record(&mut self, errors: Option<&[f64]>, runs: &[LaggedRun]) -> AnyResult<()> {
        let [range] = self.ranges.as_mut_slice() else {
            return Err("cannot add replicates to merged results".into());
        };
        if range.next >= range.end {
            return Err(format!("{}: all replicates are already done", self.cell.id()).into());
        }
        if let Some(e) = errors {
            self.errors.push(e)?;
        }
        for run in runs {
            self.meeting.push(run);
        }
        range.next += 1;
        Ok(())
    }

    /// Adds another shard's checkpoint of the same cell.
    ///
    /// # Errors
    /// Different cells or dimensions, or overlapping replicate ranges.
    pub fn merge(&mut self, other: &CellCheckpoint) -> AnyResult<()> {
        if other.cell != self.cell {
            return Err(format!("cannot merge {} with {}", other.cell.id(), self.cell.id()).into());
        }
        for r in &other.ranges {
            if self
                .ranges
                .iter()
                .any(|s| r.first < s.end && s.first < r.end)
            {
                return Err(format!(
                    "{}: replicates {}..{} appear in two shards",
                    self.cell.id(),
                    r.first,
                    r.end
                )
                .into());
            }
        }
        self.errors.merge(&other.errors)?;
        self.meeting.merge(&other.meeting);
        self.ranges.extend(other.ranges.iter().copied());
        self.ranges.sort_by_key(|r| r.first);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ppca::cells::{EstimatorKind, Sweep};

    fn cell() -> Cell {
        Cell {
            sweep: Sweep::Gradient,
            estimator: EstimatorKind::CoupledIsir,
            k: 5,
            d: 3,
            replicates: 4,
        }
    }

    fn run(tau: usize) -> LaggedRun {
        LaggedRun {
            meeting_time: Some(tau),
            iterations: tau,
            cost: 2 * tau,
            capped: false,
        }
    }

    #[test]
    fn checkpoints_record_and_merge_disjoint_ranges() {
        let mut a = CellCheckpoint::new(cell(), (0, 2), 2);
        let mut b = CellCheckpoint::new(cell(), (2, 4), 2);
        a.record(Some(&[1.0, 2.0]), &[run(11)]).unwrap();
        a.record(Some(&[3.0, 2.0]), &[run(12)]).unwrap();
        assert!(a.record(Some(&[0.0, 0.0]), &[]).is_err());
        b.record(Some(&[5.0, 2.0]), &[run(13), run(14)]).unwrap();
        assert!(a.is_complete() && !b.is_complete());
        assert!(a.contains(1) && !b.contains(3));
        let mut m = a.clone();
        m.merge(&b).unwrap();
        assert_eq!((m.done(), m.planned(), m.meeting.runs()), (3, 4, 4));
        assert_eq!(m.errors.mean(), &[3.0, 2.0]);
        assert!(m.merge(&b).is_err(), "overlapping ranges must be refused");
        assert!(m.record(Some(&[0.0, 0.0]), &[]).is_err());
    }
}
