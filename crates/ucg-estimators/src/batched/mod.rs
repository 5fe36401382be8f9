//! The lagged coupling estimator for many data points at once, with one batched evaluation per sub-step.
//!
//! [`crate::batch::run_points`] runs one pair of chains per data point, each on its own; every step of
//! every chain evaluates one proposal set of `K` particles. For a model whose evaluation is a matrix
//! product (a neural decoder), `K` columns is a tiny product. [`run_lagged_batched`] instead advances the
//! chains of all unfinished points together, one iteration at a time: for each (D)ISIR sub-step of the
//! kernel every chain *proposes* ([`SubStep::propose`](ucg_couplings::isir::SubStep::propose)), the
//! proposal sets of all chains are evaluated in one call of a [`BatchedImportanceTarget`], and every chain
//! *completes* its step. A point whose run is over (met and past `m`, or capped) leaves the batch, so
//! nothing is padded or masked.
//!
//! Point `n` uses the stream `stream(seed, n)` and draws from it in exactly `run_lagged`'s order, so the
//! events, estimates and runs are bit-identical to `run_points` with the same kernel and seed.
//!
//! # Example
//! ```
//! use nalgebra::DMatrix;
//! use ucg_couplings::{BatchedImportanceTarget, SetRequest, check_requests, isir::IsirSchedule};
//! use ucg_estimators::{Event, LagSettings, batched::run_lagged_batched};
//!
//! /// Point n: π_n(ξ) ∝ w_n(ξ) N(ξ; 0, 1) with log w_n(ξ) = n ξ − n²/2, i.e. π_n = N(n, 1).
//! struct Shifted;
//! impl BatchedImportanceTarget for Shifted {
//!     fn points(&self) -> usize { 3 }
//!     fn noise_dim(&self) -> usize { 1 }
//!     fn log_weights_batch(&self, req: &[SetRequest<'_>], out: &mut [f64]) -> ucg_couplings::Result<()> {
//!         check_requests(3, 1, req, out.len())?;
//!         let values = req.iter().flat_map(|&(n, m)| {
//!             let n = n as f64;
//!             m.iter().map(move |v| n * v - 0.5 * n * n)
//!         });
//!         out.iter_mut().zip(values).for_each(|(o, v)| *o = v);
//!         Ok(())
//!     }
//! }
//!
//! // h(ξ_{1:K}, ℓ) = Σ_k w̃_k ξ_k, accumulated per point.
//! let sink = |_n: usize, acc: &mut f64, ev: Event<'_, ucg_couplings::isir::IsirState>| {
//!     let h = |s: &ucg_couplings::isir::IsirState| -> f64 {
//!         s.weights().iter().zip(s.noise().iter()).map(|(w, x)| w * x).sum()
//!     };
//!     match ev {
//!         Event::Term { state, coefficient, .. } => *acc += coefficient * h(state),
//!         Event::Difference { x, y, coefficient } => *acc += coefficient * (h(x) - h(y)),
//!         Event::Step { .. } => {}
//!     }
//!     Ok(())
//! };
//! let schedule = IsirSchedule::isir_disir(5, 0.5)?;
//! let settings = LagSettings::paper(1, 3, 1000)?;
//! let runs = run_lagged_batched(&Shifted, &schedule, &settings, 42, vec![0.0; 3], sink)?;
//! assert!(runs.iter().all(|r| !r.run.capped && r.accumulator.is_finite()));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod chain;

use crate::error::Result;
use crate::lagged::{Event, LagSettings, LaggedRun};
use crate::seeding::stream;
use chain::Chain;
use rayon::prelude::*;
use ucg_couplings::isir::{IsirSchedule, IsirState, SubStep};
use ucg_couplings::{BatchedImportanceTarget, CouplingError, PointTarget};

/// The outcome for one data point of [`run_lagged_batched`].
#[derive(Clone, Debug)]
pub struct BatchedPointRun<A> {
    /// The accumulator after the run.
    pub accumulator: A,
    /// Meeting time, iterations, cost and cap flag of the point's run.
    pub run: LaggedRun,
    /// Particles evaluated for the point, initial draws included, counted as the kernels count them (a
    /// coupled ISIR sub-step evaluates one set for both chains, a coupled DISIR sub-step one per chain).
    pub evaluations: u64,
}

/// Runs `H_{k:m}` for points `0..target.points()` together, with the ISIR-family kernel `schedule`: point
/// `n` on stream `stream(seed, n)`, accumulator `accumulators[n]`, and every event sent as
/// `sink(n, &mut accumulators[n], event)`, exactly the events and in exactly the order that
/// [`crate::run_lagged`] sends them for that point. Chains start from the kernel's initial law
/// (`ξ_k ~ N(0, I)`, `ℓ` uniform; evaluated point by point), `X` moves alone for `L` iterations, then
/// `Y_0` is drawn and the pair moves coupled until it meets and `t ≥ m` (or the cap).
///
/// Each iteration runs the schedule's sub-steps for every unfinished point with one batched evaluation per
/// sub-step; the per-point pieces and the sink run in parallel (rayon), and since every point has its
/// own stream, results do not depend on the number of threads. ESS traces can be read from the
/// [`Event::Step`] events; evaluation counts come back in [`BatchedPointRun::evaluations`].
///
/// # Errors
/// `accumulators.len() ≠ target.points()`, kernel or target failures, and sink failures (the first in
/// point order within the phase where it happened).
pub fn run_lagged_batched<T, A, S>(
    target: &T,
    schedule: &IsirSchedule,
    settings: &LagSettings,
    seed: u64,
    accumulators: Vec<A>,
    sink: S,
) -> Result<Vec<BatchedPointRun<A>>>
where
    T: BatchedImportanceTarget + Sync + ?Sized,
    A: Send,
    S: Fn(usize, &mut A, Event<'_, IsirState>) -> Result<()> + Sync,
{
    if accumulators.len() != target.points() {
        return Err(CouplingError::DimensionMismatch {
            what: "number of accumulators (one per point)",
            expected: target.points(),
            found: accumulators.len(),
        }
        .into());
    }
    let k = schedule.k();
    let lag = settings.lag();
    let mut chains = accumulators
        .into_par_iter()
        .enumerate()
        .map(|(n, acc)| {
            let mut rng = stream(seed, n as u64);
            let x = IsirState::sample_initial(&PointTarget::new(target, n)?, k, &mut rng)?;
            let mut chain = Chain::new(n, rng, x, acc);
            chain.initial_term(settings, &sink)?;
            Ok(chain)
        })
        .collect::<Vec<Result<_>>>()
        .into_iter()
        .collect::<Result<Vec<Chain<A>>>>()?;

    // X moves alone for L iterations.
    for _ in 0..lag {
        for_each_chain(&mut chains, |c| {
            c.before_single_iteration();
            Ok(())
        })?;
        advance(target, schedule, &mut chains)?;
        for_each_chain(&mut chains, |c| c.after_iteration(settings, &sink))?;
    }
    for_each_chain(&mut chains, |c| {
        let y = IsirState::sample_initial(&PointTarget::new(target, c.point)?, k, &mut c.rng)?;
        c.start_lagging(y, lag);
        Ok(())
    })?;

    // The pairs move until each point's run is over; finished points leave the batch.
    let mut finished = Vec::with_capacity(chains.len());
    loop {
        for_each_chain(&mut chains, |c| c.before_iteration(settings, &sink))?;
        let (done, running): (Vec<_>, Vec<_>) = chains.into_iter().partition(|c| c.finished);
        finished.extend(done);
        chains = running;
        if chains.is_empty() {
            break;
        }
        advance(target, schedule, &mut chains)?;
        for_each_chain(&mut chains, |c| c.after_iteration(settings, &sink))?;
    }
    finished.sort_by_key(|c| c.point);
    Ok(finished
        .into_iter()
        .map(|c| BatchedPointRun {
            run: c.run(),
            evaluations: c.evaluations,
            accumulator: c.accumulator,
        })
        .collect())
}

/// One iteration of every chain: for each sub-step, all chains propose, all proposal sets are evaluated in
/// one batched call, and all chains complete.
fn advance<T, A>(target: &T, schedule: &IsirSchedule, chains: &mut [Chain<A>]) -> Result<()>
where
    T: BatchedImportanceTarget + Sync + ?Sized,
    A: Send,
{
    for sub in schedule.sub_steps() {
        for_each_chain(chains, |c| c.propose(sub))?;
        let log_weights = evaluate(target, chains)?;
        complete_all(sub, chains, &log_weights)?;
    }
    Ok(())
}

/// The log-weights of every chain's pending proposal sets, concatenated in chain order.
fn evaluate<T, A>(target: &T, chains: &[Chain<A>]) -> Result<Vec<f64>>
where
    T: BatchedImportanceTarget + ?Sized,
{
    let mut requests = Vec::with_capacity(2 * chains.len());
    chains.iter().for_each(|c| c.requests(&mut requests));
    let mut out = vec![0.0; chains.iter().map(Chain::requested).sum()];
    target.log_weights_batch(&requests, &mut out)?;
    Ok(out)
}

fn complete_all<A: Send>(
    sub: &SubStep,
    chains: &mut [Chain<A>],
    log_weights: &[f64],
) -> Result<()> {
    let mut segments = Vec::with_capacity(chains.len());
    let mut rest = log_weights;
    for c in chains.iter() {
        let (head, tail) = rest.split_at(c.requested());
        segments.push(head);
        rest = tail;
    }
    chains
        .par_iter_mut()
        .zip(segments)
        .map(|(c, lw)| c.complete(sub, lw))
        .collect::<Vec<Result<()>>>()
        .into_iter()
        .collect()
}

/// Runs `f` on every chain in parallel; the first error in chain order.
fn for_each_chain<A: Send>(
    chains: &mut [Chain<A>],
    f: impl Fn(&mut Chain<A>) -> Result<()> + Sync,
) -> Result<()> {
    chains
        .par_iter_mut()
        .map(&f)
        .collect::<Vec<Result<()>>>()
        .into_iter()
        .collect()
}
