//! Independent replicates in parallel, with one deterministic stream per replicate.

use crate::error::Result;
use crate::seeding::{StreamRng, stream};
use rayon::prelude::*;

/// Runs `f(r, rng_r)` for replicates `r = first..first + count` in parallel (rayon), each with the stream
/// `stream(seed, r)`, and returns the results in replicate order. The results do not depend on the
/// number of threads; sharding a large run over seed ranges (`first`) gives the same replicates as one run.
///
/// # Errors
/// The first error (in replicate order) of any replicate.
pub fn run_replicates<T, F>(seed: u64, first: u64, count: u64, f: F) -> Result<Vec<T>>
where
    T: Send,
    F: Fn(u64, &mut StreamRng) -> Result<T> + Sync,
{
    (first..first + count)
        .into_par_iter()
        .map(|r| f(r, &mut stream(seed, r)))
        .collect()
}
