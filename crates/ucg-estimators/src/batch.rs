//! One independent pair of coupled chains per data point, run in parallel.

use crate::error::Result;
use crate::lagged::{Event, LagSettings, LaggedRun, run_lagged};
use crate::seeding::stream;
use rayon::prelude::*;
use ucg_couplings::{CoupledKernel, InitialLaw};

/// The outcome for one data point: its accumulator (what the sink built from the terms) and its run.
#[derive(Clone, Debug)]
pub struct PointRun<A> {
    /// The accumulator after the run.
    pub accumulator: A,
    /// Meeting time, cost and cap flag of the point's run.
    pub run: LaggedRun,
}

/// Runs the lagged coupling estimator independently for points `0..n_points` in parallel (rayon), point
/// `n` with kernel and accumulator `build(n)` (chains started from the kernel's [`InitialLaw`]) and the stream `stream(seed, n)`, feeding every event to
/// `sink(kernel, accumulator, event)`. Results come back in point order and do not depend on the number
/// of threads. For a gradient, the batch estimate is the sum of the points' estimates.
///
/// # Errors
/// The first error in point order.
pub fn run_points<K, A, B, S>(
    n_points: usize,
    seed: u64,
    settings: &LagSettings,
    build: B,
    sink: S,
) -> Result<Vec<PointRun<A>>>
where
    K: CoupledKernel + InitialLaw,
    K::State: PartialEq,
    A: Send,
    B: Fn(usize) -> Result<(K, A)> + Sync,
    S: Fn(&K, &mut A, Event<'_, K::State>) -> Result<()> + Sync,
{
    (0..n_points)
        .into_par_iter()
        .map(|n| {
            let (kernel, mut acc) = build(n)?;
            let mut rng = stream(seed, n as u64);
            let run = run_lagged(&kernel, settings, &mut rng, |ev| {
                sink(&kernel, &mut acc, ev)
            })?;
            Ok(PointRun {
                accumulator: acc,
                run,
            })
        })
        .collect()
}
