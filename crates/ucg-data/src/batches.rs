//! Minibatches of indices for a training loop: a fixed batch size, optional shuffling with a seed (a fresh
//! order each epoch, from the stream `(seed, epoch)`, so a run resumed at epoch `e` sees the same batches),
//! an optional subset of the data, and a choice to drop or keep a last, smaller batch.
//!
//! ```
//! use ucg_data::Minibatches;
//! let batches = Minibatches::new(10, 4)?.shuffle(7).drop_last(true);
//! let epoch0: Vec<Vec<usize>> = batches.epoch(0).collect();
//! assert_eq!(epoch0.len(), 2);
//! assert!(epoch0.iter().all(|b| b.len() == 4));
//! # Ok::<(), ucg_data::DataError>(())
//! ```

use crate::{DataError, rng};

/// A plan of minibatches over the indices `0..n` (or a subset of them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Minibatches {
    n: usize,
    pool: Vec<usize>,
    batch_size: usize,
    seed: Option<u64>,
    drop_last: bool,
}

impl Minibatches {
    /// Batches of `batch_size` over all of `0..n`, in order, keeping a last smaller batch. Fails if
    /// `batch_size` is 0.
    pub fn new(n: usize, batch_size: usize) -> Result<Self, DataError> {
        if batch_size == 0 {
            return Err(DataError::InvalidArgument(
                "batch size must be positive".into(),
            ));
        }
        Ok(Minibatches {
            n,
            pool: (0..n).collect(),
            batch_size,
            seed: None,
            drop_last: false,
        })
    }

    /// Shuffles the order every epoch, with the random stream `(seed, epoch)`.
    pub fn shuffle(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// Whether to drop a last batch smaller than the batch size (default: keep it).
    pub fn drop_last(mut self, drop: bool) -> Self {
        self.drop_last = drop;
        self
    }

    /// Uses only these indices (each below `n`; repeats are allowed), instead of all of `0..n`.
    pub fn subset(mut self, indices: Vec<usize>) -> Result<Self, DataError> {
        if let Some(&bad) = indices.iter().find(|&&i| i >= self.n) {
            return Err(DataError::InvalidArgument(format!(
                "subset index {bad} out of range 0..{}",
                self.n
            )));
        }
        self.pool = indices;
        Ok(self)
    }

    /// Uses only the first `k` indices `0..k`; fails if `k > n`.
    pub fn first(self, k: usize) -> Result<Self, DataError> {
        if k > self.n {
            return Err(DataError::InvalidArgument(format!(
                "cannot take the first {k} of {} items",
                self.n
            )));
        }
        self.subset((0..k).collect())
    }

    /// The indices an epoch draws from.
    pub fn pool(&self) -> &[usize] {
        &self.pool
    }

    /// The batch size.
    pub fn batch_size(&self) -> usize {
        self.batch_size
    }

    /// The number of batches in an epoch.
    pub fn batches_per_epoch(&self) -> usize {
        if self.drop_last {
            self.pool.len() / self.batch_size
        } else {
            self.pool.len().div_ceil(self.batch_size)
        }
    }

    /// The order of the pool in epoch `epoch`: shuffled by Fisher–Yates with the stream `(seed, epoch)` if a
    /// seed was given, else unchanged.
    pub fn order(&self, epoch: u64) -> Vec<usize> {
        let mut order = self.pool.clone();
        if let Some(seed) = self.seed {
            let mut r = rng::stream(seed, epoch);
            for i in (1..order.len()).rev() {
                let j = rng::below(&mut r, i as u64 + 1) as usize;
                order.swap(i, j);
            }
        }
        order
    }

    /// The batches of epoch `epoch`.
    pub fn epoch(&self, epoch: u64) -> EpochBatches {
        EpochBatches {
            order: self.order(epoch),
            next: 0,
            batch_size: self.batch_size,
            drop_last: self.drop_last,
        }
    }
}

/// The batches of one epoch, each a `Vec` of indices.
#[derive(Debug, Clone)]
pub struct EpochBatches {
    order: Vec<usize>,
    next: usize,
    batch_size: usize,
    drop_last: bool,
}

impl Iterator for EpochBatches {
    type Item = Vec<usize>;

    fn next(&mut self) -> Option<Vec<usize>> {
        let rest = self.order.len() - self.next;
        if rest == 0 || (self.drop_last && rest < self.batch_size) {
            return None;
        }
        let end = self.next + rest.min(self.batch_size);
        let batch = self.order[self.next..end].to_vec();
        self.next = end;
        Some(batch)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let rest = self.order.len() - self.next;
        let n = if self.drop_last {
            rest / self.batch_size
        } else {
            rest.div_ceil(self.batch_size)
        };
        (n, Some(n))
    }
}

impl ExactSizeIterator for EpochBatches {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unshuffled_batches_keep_or_drop_the_last() {
        let keep: Vec<_> = Minibatches::new(7, 3).unwrap().epoch(0).collect();
        assert_eq!(keep, vec![vec![0, 1, 2], vec![3, 4, 5], vec![6]]);
        let m = Minibatches::new(7, 3).unwrap().drop_last(true);
        assert_eq!(m.batches_per_epoch(), 2);
        assert_eq!(m.epoch(0).len(), 2);
        assert_eq!(m.epoch(0).flatten().count(), 6);
        assert!(Minibatches::new(7, 0).is_err());
        assert_eq!(Minibatches::new(0, 2).unwrap().epoch(0).count(), 0);
    }

    #[test]
    fn shuffled_epochs_are_permutations_reproducible_and_different() {
        let m = Minibatches::new(100, 10).unwrap().shuffle(42);
        let e0: Vec<usize> = m.epoch(0).flatten().collect();
        let mut sorted = e0.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..100).collect::<Vec<_>>());
        assert_eq!(e0, m.epoch(0).flatten().collect::<Vec<_>>());
        assert_ne!(e0, m.epoch(1).flatten().collect::<Vec<_>>());
        assert_ne!(e0, (0..100).collect::<Vec<_>>());
        let other = Minibatches::new(100, 10).unwrap().shuffle(43);
        assert_ne!(e0, other.epoch(0).flatten().collect::<Vec<_>>());
    }

    #[test]
    fn subsets_restrict_the_pool() {
        let m = Minibatches::new(50, 4)
            .unwrap()
            .first(10)
            .unwrap()
            .shuffle(1);
        let all: Vec<usize> = m.epoch(3).flatten().collect();
        assert_eq!(all.len(), 10);
        assert!(all.iter().all(|&i| i < 10));
        assert!(Minibatches::new(50, 4).unwrap().first(51).is_err());
        let s = Minibatches::new(50, 2)
            .unwrap()
            .subset(vec![49, 3, 3])
            .unwrap();
        assert_eq!(s.epoch(0).collect::<Vec<_>>(), vec![vec![49, 3], vec![3]]);
        assert!(Minibatches::new(50, 2).unwrap().subset(vec![50]).is_err());
    }

    #[test]
    fn shuffle_is_close_to_uniform_on_first_position() {
        // Over 6000 epochs of 3 items, each item comes first about 2000 times (sd ≈ 36.5; allow 5 sd).
        let m = Minibatches::new(3, 3).unwrap().shuffle(9);
        let mut counts = [0usize; 3];
        for e in 0..6000 {
            counts[m.order(e)[0]] += 1;
        }
        for c in counts {
            assert!((c as i64 - 2000).abs() < 183, "{counts:?}");
        }
    }
}
