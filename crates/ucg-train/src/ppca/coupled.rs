//! The unbiased batch gradient for PPCA: one lagged pair of coupled chains per data point.

use super::problem::{BatchGradient, PpcaProblem};
use crate::error::Result;
use serde::{Deserialize, Serialize};
use ucg_couplings::isir::{Isir, IsirDisir, IsirState};
use ucg_couplings::{CoupledKernel, CouplingError, InitialLaw};
use ucg_estimators::batch::{PointRun, run_points_for_seeds};
use ucg_estimators::{Event, LagSettings};
use ucg_models::ppca::{DiagonalPpcaTarget, PointStats};

/// Which coupled kernel drives the chains.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum CoupledKernelKind {
    /// C-ISIR: the ISIR kernel (β = 0) alone.
    Isir,
    /// C-ISIR-DISIR: one ISIR step then one DISIR step with correlation `beta` (the paper's kernel).
    IsirDisir {
        /// DISIR's correlation β, fixed for the whole run.
        beta: f64,
    },
}

/// Settings of the coupled estimator: kernel, particles per set, and the lagged estimator's settings.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct CoupledSettings {
    /// The kernel.
    pub kernel: CoupledKernelKind,
    /// Particles per set `K ≥ 2`.
    pub k: usize,
    /// Lag, window and cap.
    pub lag: LagSettings,
}

/// One point's accumulator: its sufficient statistics, its ESS trace and its evaluation count.
pub(super) struct Acc {
    pub(super) stats: PointStats,
    pub(super) ess: Vec<f64>,
    /// Particles the point's kernel has evaluated so far.
    pub(super) evaluations: u64,
}

impl Acc {
    pub(super) fn new(latent_dim: usize) -> Self {
        Acc {
            stats: PointStats::new(latent_dim),
            ess: Vec::new(),
            evaluations: 0,
        }
    }
}

/// Accumulates one event of a point's lagged estimator into its accumulator.
pub(super) fn sink(acc: &mut Acc, ev: Event<'_, IsirState>) -> ucg_estimators::Result<()> {
    let to_sink = |e: ucg_models::ModelError| ucg_estimators::EstimatorError::sink(e);
    match ev {
        Event::Term {
            state, coefficient, ..
        } => acc
            .stats
            .push_set(state.noise(), state.weights(), coefficient)
            .map_err(to_sink),
        Event::Difference { x, y, coefficient } => match x.relation_to(y).path_factors(x.k()) {
            // One coupled step built both sets from the same innovations: they differ column by column by
            // β^{|j − ℓ_aux|} δ, so the pair costs one set plus a rank-two correction.
            Some(factors) => {
                let slot = x.auxiliary_index();
                let delta: Vec<f64> = (x.noise().column(slot) - y.noise().column(slot))
                    .iter()
                    .copied()
                    .collect();
                acc.stats
                    .push_set_difference(
                        y.noise(),
                        x.weights(),
                        y.weights(),
                        &delta,
                        &factors,
                        coefficient,
                    )
                    .map_err(to_sink)
            }
            // No shared structure (the pair (X_L, Y_0) when k = 0: Y_0 is a fresh initial draw): two sets.
            None => {
                acc.stats
                    .push_set(x.noise(), x.weights(), coefficient)
                    .map_err(to_sink)?;
                acc.stats
                    .push_set(y.noise(), y.weights(), -coefficient)
                    .map_err(to_sink)
            }
        },
        Event::Step { x, .. } => {
            acc.ess.push(x.ess());
            Ok(())
        }
    }
}

impl PpcaProblem<'_> {
    /// The unbiased estimate of `∇θ Σ_n log p(x_n)`: for each point `n` (in parallel, stream
    /// `stream(seed, n)`), the lagged coupling estimator with `h = Σ_k w̃_k ∇θ log p(x_n, z_k)`, accumulated
    /// as sufficient statistics; the batch estimate is the sum over points.
    ///
    /// # Errors
    /// Invalid `K` or β, or kernel failures.
    pub fn coupled_gradient(&self, settings: &CoupledSettings, seed: u64) -> Result<BatchGradient> {
        let mut all = self.coupled_gradients(settings, &[seed])?;
        Ok(all.pop().expect("one estimate per seed"))
    }

    /// [`PpcaProblem::coupled_gradient`] for each of `seeds`, all `(seed, point)` runs in one parallel loop
    /// so that both cores stay busy through the heavy tail of the meeting times; estimate `r` is
    /// bit-identical to `coupled_gradient(settings, seeds[r])`.
    ///
    /// # Errors
    /// Invalid `K` or β, or kernel failures.
    pub fn coupled_gradients(
        &self,
        settings: &CoupledSettings,
        seeds: &[u64],
    ) -> Result<Vec<BatchGradient>> {
        let d = self.model.latent_dim();
        let per_seed = self.run_points_with(
            settings.kernel,
            settings.k,
            &settings.lag,
            seeds,
            || Acc::new(d),
            |acc, evaluations, ev| {
                let result = sink(acc, ev);
                acc.evaluations = evaluations;
                result
            },
        )?;
        per_seed
            .into_iter()
            .map(|points| {
                let outcomes = points
                    .into_iter()
                    .map(|p| PointOutcome {
                        run: p.run,
                        stats: p.accumulator.stats,
                        ess: p.accumulator.ess,
                        evaluations: p.accumulator.evaluations,
                    })
                    .collect();
                self.gradient_from_points(outcomes, settings.k)
            })
            .collect()
    }

    /// Runs the lagged estimator with `kind`'s kernel (`K = k` particles) for every `(seed, point)` pair
    /// ([`run_points_for_seeds`]: point `n` of estimate `r` on `stream(seeds[r], n)`), each point with its
    /// own accumulator `new_acc()`, to which `on_event(accumulator, evaluations, event)` hands every event
    /// together with the particles the point's kernel has evaluated so far.
    ///
    /// # Errors
    /// Invalid `K` or β, or kernel failures.
    pub(super) fn run_points_with<A: Send>(
        &self,
        kind: CoupledKernelKind,
        k: usize,
        lag: &LagSettings,
        seeds: &[u64],
        new_acc: impl Fn() -> A + Sync,
        on_event: impl Fn(&mut A, u64, Event<'_, IsirState>) -> ucg_estimators::Result<()> + Sync,
    ) -> Result<Vec<Vec<PointRun<A>>>> {
        match kind {
            CoupledKernelKind::Isir => self.run_kernel(
                lag,
                seeds,
                |t| Isir::new(t, k),
                Isir::evaluations,
                new_acc,
                on_event,
            ),
            CoupledKernelKind::IsirDisir { beta } => self.run_kernel(
                lag,
                seeds,
                |t| IsirDisir::new(t, k, beta),
                IsirDisir::evaluations,
                new_acc,
                on_event,
            ),
        }
    }

    /// The batch gradient from every point's outcome, in point order.
    pub(super) fn gradient_from_points(
        &self,
        points: Vec<PointOutcome>,
        k: usize,
    ) -> Result<BatchGradient> {
        let d = self.model.latent_dim();
        let mut stats = Vec::with_capacity(points.len());
        let (mut runs, mut ess_traces, mut evaluations) = (Vec::new(), Vec::new(), 0u64);
        for p in points {
            runs.push(p.run);
            ess_traces.push(p.ess);
            stats.push(p.stats);
            evaluations += p.evaluations;
        }
        // The kernels count every particle they evaluate (initial draws included); a set is K particles.
        let sets = (evaluations / k as u64) as usize;
        debug_assert!(stats.iter().all(|s| s.latent_dim() == d));
        Ok(BatchGradient {
            gradient: self.assemble(&stats)?,
            runs,
            ess_traces,
            particle_sets: sets,
        })
    }

    fn run_kernel<'s, K, A: Send>(
        &'s self,
        lag: &LagSettings,
        seeds: &[u64],
        make: impl Fn(&'s DiagonalPpcaTarget) -> std::result::Result<K, CouplingError> + Sync,
        evaluations: fn(&K) -> u64,
        new_acc: impl Fn() -> A + Sync,
        on_event: impl Fn(&mut A, u64, Event<'_, IsirState>) -> ucg_estimators::Result<()> + Sync,
    ) -> Result<Vec<Vec<PointRun<A>>>>
    where
        K: CoupledKernel<State = IsirState> + InitialLaw,
    {
        // Validate K and β once, with a clear error, before spawning work.
        if let Some(t) = self.targets.first() {
            make(t)?;
        }
        Ok(run_points_for_seeds(
            self.len(),
            seeds,
            lag,
            |n| Ok((make(&self.targets[n])?, new_acc())),
            // The kernel is built per point, so its count is this point's cost so far.
            |kernel, acc, ev| on_event(acc, evaluations(kernel), ev),
        )?)
    }
}

/// What one point's run produced.
pub(super) struct PointOutcome {
    pub(super) run: ucg_estimators::LaggedRun,
    pub(super) stats: PointStats,
    pub(super) ess: Vec<f64>,
    pub(super) evaluations: u64,
}
