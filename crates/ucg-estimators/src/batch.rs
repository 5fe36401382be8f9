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
/// `n` with kernel and accumulator `build(n)` (chains started from the kernel's [`InitialLaw`]) and the
/// stream `stream(seed, n)`, feeding every event to `sink(kernel, accumulator, event)`. Results come back
/// in point order and do not depend on the number of threads. For a gradient, the batch estimate is the
/// sum of the points' estimates.
///
/// # Errors
/// A run's error (when several runs fail, which one is reported is unspecified).
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
    let mut all = run_points_for_seeds(n_points, &[seed], settings, build, sink)?;
    Ok(all.pop().unwrap_or_default())
}

/// [`run_points`] for several independent estimates at once, one per seed: estimate `r` runs points
/// `0..n_points` with the streams `stream(seeds[r], n)`, so its result is bit-identical to
/// `run_points(n_points, seeds[r], …)`.
///
/// All `(estimate, point)` pairs share one parallel loop. Meeting times are heavy-tailed, so one estimate's
/// slowest pair would otherwise leave the other threads idle at its end; across estimates, the threads
/// stay busy until the last pair of the last estimate. Returns one vector per seed, in seed order, each
/// in point order.
///
/// # Errors
/// A run's error (when several runs fail, which one is reported is unspecified).
///
/// # Example
///
/// ```
/// use ucg_couplings::{MarkovKernel, CoupledKernel, InitialLaw, Result, move_as_one};
/// use ucg_estimators::{Event, LagSettings};
/// use ucg_estimators::batch::{run_points, run_points_for_seeds};
/// use rand::{Rng, RngExt};
///
/// /// A lazy walk on {0, …, 4} whose coupled copies move as one when they draw the same step.
/// struct Walk;
/// impl MarkovKernel for Walk {
///     type State = u32;
///     fn step<R: Rng + ?Sized>(&self, s: &mut u32, rng: &mut R) -> Result<()> {
///         *s = (*s + rng.random_range(0..2)) % 5;
///         Ok(())
///     }
/// }
/// impl CoupledKernel for Walk {
///     fn coupled_step<R: Rng + ?Sized>(&self, x: &mut u32, y: &mut u32, rng: &mut R) -> Result<bool> {
///         move_as_one(x, y, |s| self.step(s, rng))
///     }
/// }
/// impl InitialLaw for Walk {
///     fn sample_initial<R: Rng + ?Sized>(&self, rng: &mut R) -> Result<u32> {
///         Ok(rng.random_range(0..5))
///     }
/// }
///
/// # fn main() -> ucg_estimators::Result<()> {
/// let settings = LagSettings::paper(1, 2, 1000)?;
/// fn build(_point: usize) -> ucg_estimators::Result<(Walk, ())> {
///     Ok((Walk, ()))
/// }
/// fn sink(_: &Walk, _: &mut (), _: Event<'_, u32>) -> ucg_estimators::Result<()> {
///     Ok(())
/// }
/// let many = run_points_for_seeds(3, &[7, 8], &settings, build, sink)?;
/// let alone = run_points(3, 8, &settings, build, sink)?;
/// let times = |runs: &[ucg_estimators::batch::PointRun<()>]| -> Vec<usize> {
///     runs.iter().map(|r| r.run.iterations).collect()
/// };
/// assert_eq!(times(&many[1]), times(&alone));
/// # Ok(()) }
/// ```
pub fn run_points_for_seeds<K, A, B, S>(
    n_points: usize,
    seeds: &[u64],
    settings: &LagSettings,
    build: B,
    sink: S,
) -> Result<Vec<Vec<PointRun<A>>>>
where
    K: CoupledKernel + InitialLaw,
    K::State: PartialEq,
    A: Send,
    B: Fn(usize) -> Result<(K, A)> + Sync,
    S: Fn(&K, &mut A, Event<'_, K::State>) -> Result<()> + Sync,
{
    let flat: Vec<PointRun<A>> = (0..seeds.len() * n_points)
        .into_par_iter()
        .map(|i| {
            let (r, n) = (i / n_points, i % n_points);
            let (kernel, mut acc) = build(n)?;
            let mut rng = stream(seeds[r], n as u64);
            let run = run_lagged(&kernel, settings, &mut rng, |ev| {
                sink(&kernel, &mut acc, ev)
            })?;
            Ok(PointRun {
                accumulator: acc,
                run,
            })
        })
        .collect::<Result<_>>()?;
    let mut flat = flat.into_iter();
    Ok(seeds
        .iter()
        .map(|_| flat.by_ref().take(n_points).collect())
        .collect())
}
