//! One data point's pair of lagged chains, as the batched driver advances it: the bookkeeping of
//! `run_lagged`'s loop, split at the points where the driver evaluates every chain's proposal sets
//! together.

use crate::error::Result;
use crate::lagged::{Event, LagSettings, LaggedRun, Part, moved};
use crate::seeding::StreamRng;
use ucg_couplings::SetRequest;
use ucg_couplings::isir::{CoupledProposal, IsirState, Proposal, SubStep};

/// What a chain is waiting for between propose and complete.
enum Pending {
    Nothing,
    Single(Proposal),
    Coupled(CoupledProposal),
}

/// One point's chains `X` and `Y`, its random stream, its accumulator and the state of its run.
pub(super) struct Chain<A> {
    pub(super) point: usize,
    pub(super) rng: StreamRng,
    pub(super) x: IsirState,
    /// `Y`, from `t = L` on.
    pub(super) y: Option<IsirState>,
    pub(super) accumulator: A,
    /// The iteration `t` of `X`.
    pub(super) t: usize,
    pub(super) cost: usize,
    pub(super) meeting_time: Option<usize>,
    pub(super) capped: bool,
    /// Whether the run is over (the chain leaves the batch).
    pub(super) finished: bool,
    /// Whether the current iteration moves the pair with the coupled kernel (else `X` alone).
    coupled: bool,
    /// The meeting flag of the last coupled sub-step.
    met: bool,
    pending: Pending,
    /// Particles evaluated for this point (initial draws included), as the kernels count them.
    pub(super) evaluations: u64,
}

impl<A> Chain<A> {
    pub(super) fn new(point: usize, rng: StreamRng, x: IsirState, accumulator: A) -> Self {
        let evaluations = x.k() as u64;
        Chain {
            point,
            rng,
            x,
            y: None,
            accumulator,
            t: 0,
            cost: 0,
            meeting_time: None,
            capped: false,
            finished: false,
            coupled: false,
            met: false,
            pending: Pending::Nothing,
            evaluations,
        }
    }

    /// Starts `Y` at `t = L` (after `X`'s `L` single steps, as in `run_lagged`).
    pub(super) fn start_lagging(&mut self, y: IsirState, lag: usize) {
        self.evaluations += y.k() as u64;
        self.meeting_time = (self.x == y).then_some(lag);
        self.y = Some(y);
        self.t = lag;
        self.cost = lag;
    }

    /// The first half of `run_lagged`'s loop body at the current `t`: sends the bias-correction pair,
    /// decides whether the run is over, and otherwise sets up iteration `t + 1`.
    pub(super) fn before_iteration<S>(&mut self, settings: &LagSettings, sink: &S) -> Result<()>
    where
        S: Fn(usize, &mut A, Event<'_, IsirState>) -> Result<()>,
    {
        let (lag, k, m) = (settings.lag(), settings.k(), settings.m());
        let t = self.t;
        // Y exists from t = L on, which is when the driver starts calling this.
        if let (None, true, Some(y)) = (self.meeting_time, t >= k + lag, &self.y) {
            let v = settings.weight(t);
            if v != 0 {
                let coefficient = v as f64 / (m - k + 1) as f64;
                sink(
                    self.point,
                    &mut self.accumulator,
                    Event::Difference {
                        x: &self.x,
                        y,
                        coefficient,
                    },
                )?;
            }
        }
        if self.meeting_time.is_some() && t >= m {
            self.finished = true;
            return Ok(());
        }
        if t >= settings.max_iter() {
            self.capped = self.meeting_time.is_none();
            self.finished = true;
            return Ok(());
        }
        self.t += 1;
        self.coupled = self.meeting_time.is_none();
        self.cost += if self.coupled { 2 } else { 1 };
        Ok(())
    }

    /// Sets up one of the first `L` iterations, where `X` moves alone.
    pub(super) fn before_single_iteration(&mut self) {
        self.t += 1;
        self.coupled = false;
    }

    /// Draws this chain's randomness for `sub` and builds its proposal set(s).
    pub(super) fn propose(&mut self, sub: &SubStep) -> Result<()> {
        self.pending = match (&mut self.y, self.coupled) {
            (Some(y), true) => {
                Pending::Coupled(sub.propose_coupled(&mut self.x, y, &mut self.rng)?)
            }
            _ => Pending::Single(sub.propose(&mut self.x, &mut self.rng)?),
        };
        Ok(())
    }

    /// The proposal sets this chain needs evaluated, in order (`X`'s, then `Y`'s if it has its own).
    pub(super) fn requests<'a>(&'a self, out: &mut Vec<SetRequest<'a>>) {
        match &self.pending {
            Pending::Nothing => {}
            Pending::Single(_) => out.push((self.point, self.x.noise())),
            Pending::Coupled(p) => {
                out.push((self.point, self.x.noise()));
                if let (true, Some(y)) = (p.evaluates_y(), &self.y) {
                    out.push((self.point, y.noise()));
                }
            }
        }
    }

    /// Number of log-weights [`Chain::requests`] asks for.
    pub(super) fn requested(&self) -> usize {
        let k = self.x.k();
        match &self.pending {
            Pending::Nothing => 0,
            Pending::Single(_) => k,
            Pending::Coupled(p) if p.evaluates_y() => 2 * k,
            Pending::Coupled(_) => k,
        }
    }

    /// Completes `sub` with this chain's log-weights (as many as [`Chain::requested`]).
    pub(super) fn complete(&mut self, sub: &SubStep, log_weights: &[f64]) -> Result<()> {
        self.evaluations += log_weights.len() as u64;
        match std::mem::replace(&mut self.pending, Pending::Nothing) {
            Pending::Nothing => {}
            Pending::Single(p) => sub.complete(&mut self.x, p, log_weights, &mut self.rng)?,
            Pending::Coupled(p) => {
                // Only a chain with a Y proposes coupled (see `propose`).
                let Some(y) = self.y.as_mut() else {
                    return Ok(());
                };
                let (lx, ly) = match p.evaluates_y() {
                    true => {
                        let (a, b) = log_weights.split_at(self.x.k());
                        (a, Some(b))
                    }
                    false => (log_weights, None),
                };
                self.met = sub.complete_coupled(&mut self.x, y, p, lx, ly, &mut self.rng)?;
            }
        }
        Ok(())
    }

    /// After every sub-step of the iteration: records a meeting and reports `X_t`.
    pub(super) fn after_iteration<S>(&mut self, settings: &LagSettings, sink: &S) -> Result<()>
    where
        S: Fn(usize, &mut A, Event<'_, IsirState>) -> Result<()>,
    {
        if self.coupled && self.met {
            self.meeting_time = Some(self.t);
        }
        let (point, acc) = (self.point, &mut self.accumulator);
        moved(&mut |ev| sink(point, acc, ev), self.t, &self.x, settings)
    }

    /// `X_0`'s time-average term when the window starts at `k = 0`.
    pub(super) fn initial_term<S>(&mut self, settings: &LagSettings, sink: &S) -> Result<()>
    where
        S: Fn(usize, &mut A, Event<'_, IsirState>) -> Result<()>,
    {
        if settings.k() == 0 {
            let coefficient = 1.0 / (settings.m() + 1) as f64;
            sink(
                self.point,
                &mut self.accumulator,
                Event::Term {
                    state: &self.x,
                    coefficient,
                    part: Part::Mcmc,
                },
            )?;
        }
        Ok(())
    }

    /// What the run did, once finished.
    pub(super) fn run(&self) -> LaggedRun {
        LaggedRun {
            meeting_time: self.meeting_time,
            iterations: self.t,
            cost: self.cost,
            capped: self.capped,
        }
    }
}
