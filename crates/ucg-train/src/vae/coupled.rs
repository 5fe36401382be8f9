//! The unbiased θ-gradient of the VAE by coupled ISIR-family chains (C-ISIR-DISIR, C-ISIR), one lagged
//! pair per point of the minibatch (docs/notes.md; Ruiz et al. 2021, §3–5).
//!
//! For point `b`, `∇_θ log p(x_b) = E_{π_b}[∇_θ log p(x_b, z)]` with `π_b` the posterior; the ISIR-family
//! chains on the importance target of `b` in noise coordinates (`z = μ(x_b) + σ(x_b) ⊙ ξ`) leave the
//! extended target invariant, and the lagged estimator `H_{k:m}` of `h(ξ_{1:K}, ℓ) = Σ_k w̃_k ∇_θ log
//! p(x_b, z_k)` is unbiased (up to capped chains, which are counted). Since `h` is linear in the
//! per-particle gradients, the estimate is `Σ_j c_j ∇_θ log p(x_{b_j}, z_j)` over every particle `z_j` of
//! every state the estimator touches: the sink ([`PointTerms::record`]) collects the triples (point, noise,
//! coefficient) and [`decoder_gradient_of_terms`] turns them into the gradient with the model's weighted
//! backward pass, a bounded number of columns at a time (one column per distinct particle of a point).
//!
//! All points run together in [`ucg_estimators::batched::run_lagged_batched`] on a
//! [`VaeBatchTarget`] (one decoder call per sub-step for the whole minibatch); point `b` uses the stream
//! `stream(seed, b)` with `seed` drawn from the step's stream, so the estimate does not depend on the
//! number of threads. β is fixed within a step (both chains, every iteration: unbiasedness needs it) and
//! adapted between steps by [`BetaAdapter`] on the [`common_prefix_average`] of the step's ESS traces.
//!
//! The encoder is still trained by IWAE with DReG on the trainer's shared particles: [`CoupledTheta`]
//! sets the shared particles' θ-coefficients to zero and delivers θ's gradient through
//! [`ThetaEstimator::extra_gradient`].

use super::estimator::{ChainDiagnostics, ThetaContext, ThetaEstimator, own_particles_objective};
use super::steps::StepChains;
use crate::{Result, TrainError};
use rand::Rng;
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::hash::{Hash, Hasher};
use ucg_couplings::isir::{IsirSchedule, IsirState};
use ucg_estimators::batched::run_lagged_batched;
use ucg_estimators::beta::{BetaAdapter, common_prefix_average};
use ucg_estimators::meeting_counts::MeetingCounts;
use ucg_estimators::{Event, LagSettings, LaggedRun};
use ucg_models::vae::{VaeBatchTarget, VaeWorkspace};

/// How DISIR's correlation β is chosen for each SGD step.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum BetaPolicy {
    /// The same β for every step.
    Fixed(f64),
    /// The paper's ESS rule (target `0.3 K`, rate `0.01`), starting from `initial`, updated between steps.
    Ess {
        /// β of the first step.
        initial: f64,
    },
}

impl BetaPolicy {
    /// β of the ESS rule's first step: the paper's starting value.
    pub const ESS_INITIAL: f64 = 0.9;
}

impl std::str::FromStr for BetaPolicy {
    type Err = String;
    /// `ess` (the ESS rule from [`BetaPolicy::ESS_INITIAL`]) or a number in `[0, 1)` for every step.
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        if s == "ess" {
            return Ok(BetaPolicy::Ess {
                initial: BetaPolicy::ESS_INITIAL,
            });
        }
        match s.parse::<f64>() {
            Ok(b) if (0.0..1.0).contains(&b) => Ok(BetaPolicy::Fixed(b)),
            _ => Err(format!("expected `ess` or a number in [0, 1), got {s}")),
        }
    }
}

/// Settings of the coupled θ-estimator (the kernel itself is chosen by the estimator kind).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CoupledConfig {
    /// β of the DISIR step (ignored by C-ISIR).
    pub beta: BetaPolicy,
    /// First iteration of the time average `t0` (the estimator averages `t0..t0 + L − 1`).
    pub t0: usize,
    /// Lag `L`.
    pub lag: usize,
    /// Cap on the iterations of a pair; a capped pair's estimate is truncated and is counted.
    pub cap: usize,
    /// Backward columns per weighted backward pass: bounds the memory of the gradient computation, and
    /// 512 keeps a pass's `784 × chunk` logit gradients within a core's L2 cache (timed in
    /// `docs/performance.md`).
    pub chunk: usize,
}

impl Default for CoupledConfig {
    /// `t0 = 1`, `L = 10`, cap 1000, ESS rule from β = 0.9, chunks of 512 columns.
    fn default() -> Self {
        CoupledConfig {
            beta: BetaPolicy::Ess {
                initial: BetaPolicy::ESS_INITIAL,
            },
            t0: 1,
            lag: 10,
            cap: 1000,
            chunk: 512,
        }
    }
}

impl CoupledConfig {
    /// The default [`CoupledConfig::chunk`] of earlier versions. A run checkpointed under it keeps it
    /// when resumed with the current default ([`super::checkpoint::from_bytes`]), so a long study
    /// started before the change can still be finished.
    pub const EARLIER_DEFAULT_CHUNK: usize = 4096;

    /// The lagged estimator's settings.
    ///
    /// # Errors
    /// `L = 0` or a cap below `t0 + L`.
    pub fn lag_settings(&self) -> Result<LagSettings> {
        Ok(LagSettings::paper(self.t0, self.lag, self.cap)?)
    }

    /// Checks the settings for `K = k` particles.
    ///
    /// # Errors
    /// `k < 2`, β outside `[0, 1)`, invalid lag settings, a zero chunk.
    pub fn validate(&self, k: usize) -> Result<()> {
        // The cap is the one lag setting a user sets (`--cap`): name it, with its smallest value.
        let least = (self.t0 + self.lag).saturating_sub(1).max(self.lag + 1);
        if self.lag > 0 && self.cap < least {
            return Err(TrainError::InvalidSetting {
                name: "cap",
                reason: format!(
                    "{} is below {least}: a pair runs at least L + 1 = {} iterations and the time \
                     average ends at m = {}",
                    self.cap,
                    self.lag + 1,
                    self.t0 + self.lag - 1
                ),
            });
        }
        self.lag_settings()?;
        let beta = match self.beta {
            BetaPolicy::Fixed(b) | BetaPolicy::Ess { initial: b } => b,
        };
        IsirSchedule::isir_disir(k, beta)?;
        if self.chunk == 0 {
            return Err(TrainError::InvalidSetting {
                name: "chunk",
                reason: "must be at least 1".into(),
            });
        }
        Ok(())
    }

    /// The settings as bytes (for a run's identity).
    pub fn identity(&self) -> Vec<u8> {
        let mut out = Vec::new();
        match self.beta {
            BetaPolicy::Fixed(b) => {
                out.push(0);
                out.extend_from_slice(&b.to_bits().to_le_bytes());
            }
            BetaPolicy::Ess { initial } => {
                out.push(1);
                out.extend_from_slice(&initial.to_bits().to_le_bytes());
            }
        }
        for v in [self.t0, self.lag, self.cap, self.chunk] {
            out.extend_from_slice(&(v as u64).to_le_bytes());
        }
        out
    }
}

/// Which coupled kernel drives the chains.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum CoupledKernelKind {
    /// C-ISIR: the ISIR kernel alone (β = 0).
    Isir,
    /// C-ISIR-DISIR: an ISIR step then a DISIR step with the step's β.
    IsirDisir,
}

impl CoupledKernelKind {
    /// The kernel of a coupled estimator; `None` for the others.
    pub fn of(estimator: ucg_estimators::EstimatorKind) -> Option<CoupledKernelKind> {
        use ucg_estimators::EstimatorKind as E;
        match estimator {
            E::CoupledIsirDisir => Some(CoupledKernelKind::IsirDisir),
            E::CoupledIsir => Some(CoupledKernelKind::Isir),
            E::Elbo | E::Iwae | E::Sumo => None,
        }
    }
}

/// What one SGD step's chains did.
#[derive(Clone, Debug, PartialEq)]
pub struct CoupledStepRecord {
    /// β used for the whole step (0 for C-ISIR).
    pub beta: f64,
    /// Meeting times of the pairs that met.
    pub meeting_times: Vec<usize>,
    /// Pairs stopped by the cap (their estimates are truncated).
    pub capped: usize,
    /// Particles evaluated by all chains of the step (initial draws included).
    pub evaluations: u64,
    /// Nonzero (particle, coefficient) terms of the step's gradient (terms of a point that repeat a
    /// particle share one backward column).
    pub terms: usize,
    /// The step's meeting times as counts (capped pairs at the cap, counted apart).
    pub meetings: MeetingCounts,
}

impl CoupledStepRecord {
    /// Mean, median and maximum meeting time of the pairs that met (NaN if none did).
    pub fn meeting_summary(&self) -> (f64, f64, f64) {
        summary(&self.meeting_times)
    }
}

/// Mean, median and maximum of meeting times (NaN for none).
fn summary(times: &[usize]) -> (f64, f64, f64) {
    if times.is_empty() {
        return (f64::NAN, f64::NAN, f64::NAN);
    }
    let mut sorted = times.to_vec();
    sorted.sort_unstable();
    let n = sorted.len();
    let median = if n % 2 == 1 {
        sorted[n / 2] as f64
    } else {
        0.5 * (sorted[n / 2 - 1] + sorted[n / 2]) as f64
    };
    let mean = sorted.iter().sum::<usize>() as f64 / n as f64;
    (mean, median, sorted[n - 1] as f64)
}

/// One point's terms of the lagged estimate, `Σ_j c_j ∇_θ log p(x, z(ξ_j))`, and its ESS trace.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PointTerms {
    /// The noise vectors `ξ_j`, `D` per term, concatenated.
    pub noise: Vec<f64>,
    /// The coefficients `c_j` (never zero).
    pub coefficients: Vec<f64>,
    /// The leading chain's ESS after each iteration (from [`Event::Step`]).
    pub ess: Vec<f64>,
}

impl PointTerms {
    fn push(&mut self, xi: impl Iterator<Item = f64>, coefficient: f64) {
        // A term that cancels exactly costs no backward column.
        if coefficient != 0.0 {
            self.noise.extend(xi);
            self.coefficients.push(coefficient);
        }
    }

    fn push_set(&mut self, s: &IsirState, coefficient: f64) {
        for (col, &w) in s.noise().column_iter().zip(s.weights()) {
            self.push(col.iter().copied(), coefficient * w);
        }
    }

    /// Adds one event of the point's lagged estimator: `c h(X)` for a term, `c (h(X) − h(Y))` for a pair
    /// (slots holding the same particle in both states are merged, so a shared particle whose weights
    /// agree costs nothing), the ESS for a step.
    ///
    /// # Errors
    /// None; the signature is the drivers' sink's.
    pub fn record(&mut self, ev: Event<'_, IsirState>) -> ucg_estimators::Result<()> {
        match ev {
            Event::Term {
                state, coefficient, ..
            } => self.push_set(state, coefficient),
            Event::Difference { x, y, coefficient } => {
                if x.k() != y.k() {
                    self.push_set(x, coefficient);
                    self.push_set(y, -coefficient);
                    return Ok(());
                }
                let (nx, ny) = (x.noise(), y.noise());
                for j in 0..x.k() {
                    let (cx, cy) = (coefficient * x.weights()[j], coefficient * y.weights()[j]);
                    if nx.column(j) == ny.column(j) {
                        self.push(nx.column(j).iter().copied(), cx - cy);
                    } else {
                        self.push(nx.column(j).iter().copied(), cx);
                        self.push(ny.column(j).iter().copied(), -cy);
                    }
                }
            }
            Event::Step { x, .. } => self.ess.push(x.ess()),
        }
        Ok(())
    }

    /// Number of terms.
    pub fn len(&self) -> usize {
        self.coefficients.len()
    }

    /// Whether there are no terms.
    pub fn is_empty(&self) -> bool {
        self.coefficients.is_empty()
    }
}

/// Adds `Σ_b Σ_j c_{bj} ∇_θ log p(x_b, μ_b + σ_b ⊙ ξ_{bj})` over the points' terms (`terms[b]` belongs to
/// point `b` of `target`) to `grad`, with one weighted backward pass per `chunk` columns.
///
/// Terms of one point that hold the same particle (bit for bit) share one backward column with the sum of
/// their coefficients (in `f64`, in the order of the terms): a kept particle stays in its chain for many
/// iterations, so many of a step's terms repeat an earlier one, the more the stickier the kernel.
/// The result differs from one column per term only by the order of floating-point summation.
///
/// # Errors
/// `terms.len()` other than the number of points, a zero chunk, model failures.
pub fn decoder_gradient_of_terms(
    target: &VaeBatchTarget<'_>,
    terms: &[PointTerms],
    chunk: usize,
    grad: &mut [f32],
    ws: &mut VaeWorkspace<f32>,
) -> Result<()> {
    use ucg_couplings::BatchedImportanceTarget;
    if terms.len() != target.points() || chunk == 0 {
        return Err(TrainError::InvalidSetting {
            name: "terms",
            reason: format!(
                "{} point term lists for {} points, chunk {chunk}",
                terms.len(),
                target.points()
            ),
        });
    }
    gradient_of_point_terms(target, terms.iter().enumerate(), chunk, grad, ws)
}

/// [`decoder_gradient_of_terms`] for point `b` alone: adds `Σ_j c_{bj} ∇_θ log p(x_b, μ_b + σ_b ⊙ ξ_{bj})`
/// to `grad` (a per-point gradient, for measuring where an estimate's variance comes from).
///
/// # Errors
/// `b` not a point of `target`, a zero chunk, model failures.
pub fn decoder_gradient_of_point(
    target: &VaeBatchTarget<'_>,
    b: usize,
    terms: &PointTerms,
    chunk: usize,
    grad: &mut [f32],
    ws: &mut VaeWorkspace<f32>,
) -> Result<()> {
    use ucg_couplings::BatchedImportanceTarget;
    if b >= target.points() || chunk == 0 {
        return Err(TrainError::InvalidSetting {
            name: "terms",
            reason: format!("point {b} of {}, chunk {chunk}", target.points()),
        });
    }
    gradient_of_point_terms(target, std::iter::once((b, terms)), chunk, grad, ws)
}

/// The weighted backward passes over `(point, terms)` pairs, `chunk` columns at a time, repeated
/// particles of a point merged.
fn gradient_of_point_terms<'t>(
    target: &VaeBatchTarget<'_>,
    terms: impl Iterator<Item = (usize, &'t PointTerms)>,
    chunk: usize,
    grad: &mut [f32],
    ws: &mut VaeWorkspace<f32>,
) -> Result<()> {
    use ucg_couplings::BatchedImportanceTarget;
    let d = target.noise_dim();
    let (mut points, mut z, mut coeffs) = (Vec::new(), Vec::new(), Vec::new());
    let mut flush = |points: &mut Vec<usize>, z: &mut Vec<f32>, coeffs: &mut Vec<f32>| {
        let result = if points.is_empty() {
            Ok(())
        } else {
            target
                .model()
                .decoder_gradient(target.x(), points, z, coeffs, grad, ws)
        };
        points.clear();
        z.clear();
        coeffs.clear();
        result
    };
    let mut column = vec![0.0f32; d];
    let mut merged = MergedTerms::default();
    for (b, t) in terms {
        merged.merge(t, d);
        for (xi, c) in merged.columns() {
            target.latent(b, xi, &mut column)?;
            z.extend_from_slice(&column);
            points.push(b);
            coeffs.push(c as f32);
            if points.len() == chunk {
                flush(&mut points, &mut z, &mut coeffs)?;
            }
        }
    }
    flush(&mut points, &mut z, &mut coeffs)?;
    Ok(())
}

/// One point's terms with repeated particles merged: each distinct particle once, in the order of its
/// first term, with the sum of its terms' coefficients (buffers kept from one point to the next).
#[derive(Debug, Default)]
struct MergedTerms<'t> {
    /// Position in `columns` of each distinct particle.
    index: HashMap<ParticleBits<'t>, usize>,
    /// `(particle, summed coefficient)` in order of first appearance.
    columns: Vec<(&'t [f64], f64)>,
}

impl<'t> MergedTerms<'t> {
    /// Replaces the contents with the merged terms of `terms` (noise dimension `d`).
    fn merge(&mut self, terms: &'t PointTerms, d: usize) {
        self.index.clear();
        self.columns.clear();
        for (xi, &c) in terms.noise.chunks_exact(d).zip(&terms.coefficients) {
            match self.index.entry(ParticleBits(xi)) {
                Entry::Occupied(at) => self.columns[*at.get()].1 += c,
                Entry::Vacant(slot) => {
                    slot.insert(self.columns.len());
                    self.columns.push((xi, c));
                }
            }
        }
    }

    /// The distinct particles and their summed coefficients, those that cancel exactly left out.
    fn columns(&self) -> impl Iterator<Item = (&'t [f64], f64)> + '_ {
        self.columns.iter().copied().filter(|&(_, c)| c != 0.0)
    }
}

/// A particle compared and hashed by the bits of its coordinates (meeting is bitwise equality, and a
/// particle is only ever repeated as an exact copy).
#[derive(Debug, Clone, Copy)]
struct ParticleBits<'t>(&'t [f64]);

impl PartialEq for ParticleBits<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.0.len() == other.0.len()
            && self
                .0
                .iter()
                .zip(other.0)
                .all(|(a, b)| a.to_bits() == b.to_bits())
    }
}

impl Eq for ParticleBits<'_> {}

impl Hash for ParticleBits<'_> {
    /// Only the first two coordinates: distinct particles almost never share them, and hashing all `D`
    /// of every term would cost more than the lookups.
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.iter().take(2).for_each(|v| v.to_bits().hash(state));
    }
}

/// Runs the lagged coupled chains of every point of `target` with `schedule` and returns each point's
/// terms and run, and the particles evaluated: point `b` on stream `stream(seed, b)`.
///
/// # Errors
/// Kernel or model failures.
pub fn coupled_terms(
    target: &VaeBatchTarget<'_>,
    schedule: &IsirSchedule,
    lag: &LagSettings,
    seed: u64,
) -> Result<Vec<(PointTerms, LaggedRun, u64)>> {
    use ucg_couplings::BatchedImportanceTarget;
    let accumulators = vec![PointTerms::default(); target.points()];
    let runs = run_lagged_batched(target, schedule, lag, seed, accumulators, |_, acc, ev| {
        acc.record(ev)
    })?;
    Ok(runs
        .into_iter()
        .map(|r| (r.accumulator, r.run, r.evaluations))
        .collect())
}

/// The coupled θ-estimator of the training loop (see the [module documentation](self)).
#[derive(Debug)]
pub struct CoupledTheta {
    kind: CoupledKernelKind,
    config: CoupledConfig,
    k: usize,
    lag: LagSettings,
    /// Present under [`BetaPolicy::Ess`] with C-ISIR-DISIR.
    adapter: Option<BetaAdapter>,
    beta: f64,
    steps: Vec<CoupledStepRecord>,
    /// Index in `steps` of the current epoch's first step.
    epoch_start: usize,
    /// The last step's chains, until the trainer takes them.
    last_step: Option<StepChains>,
}

impl CoupledTheta {
    /// The estimator with kernel `kind`, `K = k` particles per set and `config`.
    ///
    /// # Errors
    /// As [`CoupledConfig::validate`].
    pub fn new(kind: CoupledKernelKind, k: usize, config: CoupledConfig) -> Result<Self> {
        config.validate(k)?;
        let (beta, adapter) = match (kind, config.beta) {
            (CoupledKernelKind::Isir, _) => (0.0, None),
            (CoupledKernelKind::IsirDisir, BetaPolicy::Fixed(b)) => (b, None),
            (CoupledKernelKind::IsirDisir, BetaPolicy::Ess { initial }) => {
                let a = BetaAdapter::new(initial, k)?;
                (a.beta(), Some(a))
            }
        };
        Ok(CoupledTheta {
            kind,
            lag: config.lag_settings()?,
            config,
            k,
            adapter,
            beta,
            steps: Vec::new(),
            epoch_start: 0,
            last_step: None,
        })
    }

    /// β of the next step.
    pub fn beta(&self) -> f64 {
        self.beta
    }

    /// Sets β of the next step (resuming a run; the ESS rule continues from it).
    ///
    /// # Errors
    /// β outside `[0, 1)` under C-ISIR-DISIR.
    pub fn set_beta(&mut self, beta: f64) -> Result<()> {
        if self.kind == CoupledKernelKind::Isir {
            return Ok(());
        }
        IsirSchedule::isir_disir(self.k, beta)?;
        if let Some(a) = &mut self.adapter {
            *a = BetaAdapter::new(beta, self.k)?;
            self.beta = a.beta();
        } else {
            self.beta = beta;
        }
        Ok(())
    }

    /// Every step's record so far.
    pub fn steps(&self) -> &[CoupledStepRecord] {
        &self.steps
    }

    fn schedule(&self) -> Result<IsirSchedule> {
        Ok(match self.kind {
            CoupledKernelKind::Isir => IsirSchedule::isir(self.k)?,
            CoupledKernelKind::IsirDisir => IsirSchedule::isir_disir(self.k, self.beta)?,
        })
    }
}

impl ThetaEstimator for CoupledTheta {
    fn name(&self) -> &'static str {
        match self.kind {
            CoupledKernelKind::Isir => "coupled-isir",
            CoupledKernelKind::IsirDisir => "coupled-isir-disir",
        }
    }

    /// θ's gradient comes from the chains: every shared particle's coefficient is zero. The reported
    /// objective is the IWAE bound of the shared particles (the encoder's objective).
    fn coefficients(&mut self, log_weights: &[f32], k: usize, coeffs: &mut [f32]) -> Result<f64> {
        own_particles_objective(log_weights, k, coeffs)
    }

    fn has_extra_gradient(&self) -> bool {
        true
    }

    fn extra_gradient(&mut self, ctx: ThetaContext<'_>) -> Result<()> {
        let seed = ctx.rng.next_u64();
        let target = ctx.batch_target()?;
        let schedule = self.schedule()?;
        let outcomes = coupled_terms(&target, &schedule, &self.lag, seed)?;
        let mut record = CoupledStepRecord {
            beta: self.beta,
            meeting_times: Vec::with_capacity(outcomes.len()),
            capped: 0,
            evaluations: 0,
            terms: 0,
            meetings: MeetingCounts::default(),
        };
        let mut terms = Vec::with_capacity(outcomes.len());
        for (t, run, evaluations) in outcomes {
            record.meetings.push(&run);
            match run.meeting_time {
                Some(tau) if !run.capped => record.meeting_times.push(tau),
                _ => record.capped += 1,
            }
            record.evaluations += evaluations;
            record.terms += t.len();
            terms.push(t);
        }
        decoder_gradient_of_terms(&target, &terms, self.config.chunk, ctx.grad, ctx.workspace)?;
        if let Some(a) = &mut self.adapter {
            let traces: Vec<Vec<f64>> = terms.into_iter().map(|t| t.ess).collect();
            a.update(&common_prefix_average(&traces));
            self.beta = a.beta();
        }
        let mut met = MeetingCounts::default();
        for &tau in &record.meeting_times {
            *met.counts.entry(tau).or_insert(0) += 1;
        }
        self.last_step = Some(StepChains {
            beta: record.beta,
            meetings: record.meetings.clone(),
            met,
            evaluations: record.evaluations,
        });
        self.steps.push(record);
        Ok(())
    }

    fn take_step_chains(&mut self) -> Option<StepChains> {
        self.last_step.take()
    }

    fn take_epoch_diagnostics(&mut self) -> Option<ChainDiagnostics> {
        let epoch = &self.steps[self.epoch_start..];
        self.epoch_start = self.steps.len();
        let times: Vec<usize> = epoch
            .iter()
            .flat_map(|s| s.meeting_times.iter().copied())
            .collect();
        let (mean_tau, median_tau, max_tau) = summary(&times);
        Some(ChainDiagnostics {
            chains: (times.len() + epoch.iter().map(|s| s.capped).sum::<usize>()) as u64,
            capped: epoch.iter().map(|s| s.capped as u64).sum(),
            mean_tau,
            median_tau,
            max_tau,
            beta: self.beta,
        })
    }

    fn resume(&mut self, last: &ChainDiagnostics) -> Result<()> {
        self.set_beta(last.beta)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ucg_models::vae::{Vae, VaeShape};

    /// Terms repeating a particle give, bit for bit, the gradient of the list with each particle once and
    /// the coefficients summed, and a term list that cancels exactly adds nothing; the gradient of the
    /// merged columns equals the model's one-column-per-term gradient to f32 rounding.
    #[test]
    fn repeated_particles_share_one_column() {
        let base = Vae::<f32>::new(VaeShape::new(12, 6, 2).unwrap(), 5);
        let decoder = base.decoder_params().iter().map(|w| 3.0 * w).collect();
        let vae = Vae::from_params(base.shape(), base.encoder_params().to_vec(), decoder).unwrap();
        let x: Vec<f32> = (0..12 * 2)
            .map(|i| ((i * 5) % 3 == 0) as u8 as f32)
            .collect();
        let target = VaeBatchTarget::new(&vae, &x, 2).unwrap();
        let particle = |s: f64| vec![s.sin() * 1.5, (2.0 * s).cos()];
        let list = |entries: &[(f64, f64)]| PointTerms {
            noise: entries.iter().flat_map(|&(p, _)| particle(p)).collect(),
            coefficients: entries.iter().map(|&(_, c)| c).collect(),
            ess: Vec::new(),
        };
        let repeated = [
            list(&[
                (1.0, 0.25),
                (2.0, -0.5),
                (1.0, 0.125),
                (3.0, 0.75),
                (2.0, 0.5),
            ]),
            list(&[(4.0, 0.3), (4.0, 0.2), (5.0, -1.0)]),
        ];
        let merged = [
            list(&[(1.0, 0.375), (3.0, 0.75)]),
            list(&[(4.0, 0.5), (5.0, -1.0)]),
        ];
        let gradient = |terms: &[PointTerms], chunk: usize| {
            let mut grad = vec![0.0f32; vae.decoder_params().len()];
            decoder_gradient_of_terms(&target, terms, chunk, &mut grad, &mut VaeWorkspace::new())
                .unwrap();
            grad
        };
        for chunk in [1, 3, 100] {
            assert_eq!(
                gradient(&repeated, chunk),
                gradient(&merged, chunk),
                "{chunk}"
            );
        }
        let cancelling = [list(&[(1.0, 0.5), (6.0, 0.0), (1.0, -0.5)]), list(&[])];
        assert!(gradient(&cancelling, 4).iter().all(|&g| g == 0.0));

        // One column per term, through the model directly.
        let (mut points, mut z, mut coeffs) = (Vec::new(), Vec::new(), Vec::new());
        let mut column = [0.0f32; 2];
        for (b, t) in repeated.iter().enumerate() {
            for (xi, &c) in t.noise.chunks_exact(2).zip(&t.coefficients) {
                target.latent(b, xi, &mut column).unwrap();
                z.extend_from_slice(&column);
                points.push(b);
                coeffs.push(c as f32);
            }
        }
        let mut unmerged = vec![0.0f32; vae.decoder_params().len()];
        vae.decoder_gradient(
            &x,
            &points,
            &z,
            &coeffs,
            &mut unmerged,
            &mut VaeWorkspace::new(),
        )
        .unwrap();
        let scale = unmerged.iter().fold(0.0f32, |m, g| m.max(g.abs()));
        assert!(scale > 0.0);
        for (a, b) in gradient(&repeated, 4).iter().zip(&unmerged) {
            assert!((a - b).abs() <= 1e-5 * scale, "{a} vs {b}");
        }
    }

    #[test]
    fn summaries_and_settings() {
        assert_eq!(summary(&[3, 1, 10, 2]), (4.0, 2.5, 10.0));
        assert!(summary(&[]).0.is_nan());
        let c = CoupledConfig::default();
        assert!(c.validate(10).is_ok());
        assert!(c.validate(1).is_err());
        for bad in [
            CoupledConfig { lag: 0, ..c },
            CoupledConfig { cap: 5, ..c },
            CoupledConfig { chunk: 0, ..c },
            CoupledConfig {
                beta: BetaPolicy::Fixed(1.0),
                ..c
            },
            CoupledConfig {
                beta: BetaPolicy::Ess { initial: f64::NAN },
                ..c
            },
        ] {
            assert!(CoupledTheta::new(CoupledKernelKind::IsirDisir, 10, bad).is_err());
        }
        assert_ne!(
            c.identity(),
            CoupledConfig {
                beta: BetaPolicy::Fixed(0.9),
                ..c
            }
            .identity()
        );
    }
}
