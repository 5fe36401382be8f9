//! The unbiased batch gradient for PPCA: one lagged pair of coupled chains per data point.

use super::problem::{BatchGradient, PpcaProblem};
use crate::error::Result;
use serde::{Deserialize, Serialize};
use ucg_couplings::isir::{Disir, IsirDisir, IsirState};
use ucg_couplings::{CoupledKernel, CouplingError, InitialLaw};
use ucg_estimators::batch::run_points;
use ucg_estimators::seeding::StreamRng;
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

impl CoupledKernelKind {
    /// Proposal sets evaluated by one single-chain step and by one coupled step of this kernel
    /// (a coupled ISIR step shares all fresh particles, so it evaluates one set for both chains).
    pub fn sets_per_step(&self) -> (usize, usize) {
        match self {
            CoupledKernelKind::Isir => (1, 1),
            CoupledKernelKind::IsirDisir { .. } => (2, 3),
        }
    }
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

struct Acc {
    stats: PointStats,
    ess: Vec<f64>,
    /// β of the step that produced the recorded states (the DISIR step's, or 0 for C-ISIR).
    beta: f64,
}

fn sink(acc: &mut Acc, ev: Event<'_, IsirState>) -> ucg_estimators::Result<()> {
    let to_sink = |e: ucg_models::ModelError| ucg_estimators::EstimatorError::Sink(e.to_string());
    match ev {
        Event::Term {
            state, coefficient, ..
        } => acc
            .stats
            .push_set(state.noise(), state.weights(), coefficient)
            .map_err(to_sink),
        Event::Difference { x, y, coefficient } => {
            // X_t and Y_{t−L} come from one coupled step: their sets share every innovation and differ
            // column by column by β^{|k−l|} δ, with δ the difference of the kept particles at slot l.
            let l = x.auxiliary_index();
            debug_assert_eq!(l, y.auxiliary_index());
            let delta: Vec<f64> = (x.noise().column(l) - y.noise().column(l))
                .iter()
                .copied()
                .collect();
            let b: Vec<f64> = (0..x.k())
                .map(|j| acc.beta.powi(j.abs_diff(l) as i32))
                .collect();
            debug_assert!(
                x.noise()
                    .column_iter()
                    .zip(y.noise().column_iter())
                    .enumerate()
                    .all(|(j, (xc, yc))| xc
                        .iter()
                        .zip(yc.iter())
                        .zip(&delta)
                        .all(|((a, c), dl)| (a - c - b[j] * dl).abs() <= 1e-9 * (1.0 + a.abs())))
            );
            acc.stats
                .push_set_difference(y.noise(), x.weights(), y.weights(), &delta, &b, coefficient)
                .map_err(to_sink)
        }
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
        let d = self.model.latent_dim();
        let k = settings.k;
        let points = match settings.kernel {
            CoupledKernelKind::Isir => self.run_kernel(settings, seed, |t| Disir::isir(t, k))?,
            CoupledKernelKind::IsirDisir { beta } => {
                self.run_kernel(settings, seed, |t| IsirDisir::new(t, k, beta))?
            }
        };
        let (single, coupled) = settings.kernel.sets_per_step();
        let mut stats = Vec::with_capacity(points.len());
        let (mut runs, mut ess_traces, mut sets) = (Vec::new(), Vec::new(), 0);
        for p in points {
            let run = p.0;
            // Coupled steps run from t = L + 1 to τ (or to the cap); every other application is single.
            let coupled_steps = run.meeting_time.unwrap_or(run.iterations) - settings.lag.lag;
            let single_steps = run.cost - 2 * coupled_steps;
            sets += 2 + single * single_steps + coupled * coupled_steps;
            runs.push(run);
            ess_traces.push(p.2);
            stats.push(p.1);
        }
        debug_assert!(stats.iter().all(|s| s.latent_dim() == d));
        Ok(BatchGradient {
            gradient: self.assemble(&stats)?,
            runs,
            ess_traces,
            particle_sets: sets,
        })
    }

    fn run_kernel<'s, K>(
        &'s self,
        settings: &CoupledSettings,
        seed: u64,
        make: impl Fn(&'s DiagonalPpcaTarget) -> std::result::Result<K, CouplingError> + Sync,
    ) -> Result<Vec<(ucg_estimators::LaggedRun, PointStats, Vec<f64>)>>
    where
        K: CoupledKernel<State = IsirState> + InitialLaw,
    {
        let d = self.model.latent_dim();
        let beta = match settings.kernel {
            CoupledKernelKind::Isir => 0.0,
            CoupledKernelKind::IsirDisir { beta } => beta,
        };
        // Validate K and β once, with a clear error, before spawning work.
        if let Some(t) = self.targets.first() {
            make(t)?;
        }
        let out = run_points(
            self.len(),
            seed,
            &settings.lag,
            |n| {
                let target = &self.targets[n];
                let acc = Acc {
                    stats: PointStats::new(d),
                    ess: Vec::new(),
                    beta,
                };
                Ok((make(target)?, acc))
            },
            |kernel, rng: &mut StreamRng| kernel.sample_initial(rng),
            |_kernel, acc, ev| sink(acc, ev),
        )?;
        Ok(out
            .into_iter()
            .map(|p| (p.run, p.accumulator.stats, p.accumulator.ess))
            .collect())
    }
}
