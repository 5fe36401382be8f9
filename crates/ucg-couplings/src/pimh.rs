//! Particle independent Metropolis-Hastings (PIMH; Andrieu, Doucet & Holenstein 2010) and its coupling
//! (Middleton, Deligiannidis, Doucet & Jacob 2019), docs/method.md §3-4.
//!
//! **Kernel.** On an [`ImportanceTarget`] `π(ξ) ∝ w(ξ) N(ξ; 0, I)` with `K` particles, the state is a
//! proposal set `ξ_{1:K}` with its importance estimate `Ẑ = (1/K) Σ_k w(ξ_k)` and a selected index `ℓ`.
//! One step proposes a fresh set `ξ'_{1:K} ~ N(0, I)` (independent of the state), accepts it with
//! probability `min(1, Ẑ'/Ẑ)` — compared in logs, `log U < log Ẑ' − log Ẑ` — and on acceptance draws
//! `ℓ' ~ Categorical(w̃')`. It leaves invariant the extended target
//! `π(ξ_{1:K}, ℓ) = (1/K) · π(ξ_ℓ) · Π_{k≠ℓ} N(ξ_k; 0, I)` (the same as ISIR's), under which the selected
//! particle is exactly `π`-distributed and `P(ℓ | ξ_{1:K}) = w̃_ℓ`.
//!
//! **Coupling.** Both chains see the same proposal set and the same uniform: chain `x` accepts iff
//! `log U < log Ẑ' − log Ẑ_x`, chain `y` iff `log U < log Ẑ' − log Ẑ_y`. When both accept, the new index
//! is drawn once for both (from the same weights with the same uniform), so the whole states become
//! bit-identical; chains that have met move as one.
//!
//! A proposal set whose weights are all zero (every log-weight `−∞`) has `Ẑ' = 0` and is rejected.

use crate::counting::CountingTarget;
use crate::error::{CouplingError, Result};
use crate::kernel::{CoupledKernel, InitialLaw, MarkovKernel, move_as_one};
use crate::maximal::categorical::sample_categorical;
use crate::particles::{ParticleSet, check_k};
use crate::target::ImportanceTarget;
use crate::weights::log_sum_exp;
use nalgebra::{DMatrix, DVectorView};
use rand::{Rng, RngExt};
use rand_distr::{Distribution, StandardNormal};
use std::fmt;

/// State `(ξ_{1:K}, ℓ)` of a PIMH chain: the current proposal set (`noise_dim × K`, one particle per
/// column), its log-weights and normalised weights, `log Σ_k w_k`, and the selected index `ℓ`.
///
/// Two states are equal when their particles are bit-identical (compared with [`f64::to_bits`], so
/// `0.0 ≠ −0.0`) and their selected indices agree; the cached weights are functions of the particles and
/// are not compared.
#[derive(Clone, PartialEq)]
pub struct PimhState {
    // Declared first so that the derived comparison checks the cheap index before the particles.
    selected: usize,
    particles: ParticleSet,
}

impl fmt::Debug for PimhState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.particles.fmt_state("PimhState", self.selected, f)
    }
}

/// A freshly proposed set, evaluated once.
struct Proposal {
    noise: DMatrix<f64>,
    log_weights: Vec<f64>,
    /// `log Σ_k w_k`; `−∞` when every weight is zero.
    log_sum: f64,
}

impl Proposal {
    fn draw<T: ImportanceTarget + ?Sized, R: Rng + ?Sized>(
        target: &T,
        k: usize,
        rng: &mut R,
    ) -> Result<Self> {
        let noise = DMatrix::from_fn(target.noise_dim(), k, |_, _| StandardNormal.sample(rng));
        let mut log_weights = vec![0.0; k];
        target.log_weights(&noise, &mut log_weights)?;
        if let Some((index, &value)) = log_weights
            .iter()
            .enumerate()
            .find(|(_, w)| w.is_nan() || **w == f64::INFINITY)
        {
            return Err(CouplingError::NonFiniteLogWeight { index, value });
        }
        let log_sum = log_sum_exp(&log_weights);
        Ok(Proposal {
            noise,
            log_weights,
            log_sum,
        })
    }

    /// Turns an accepted set (positive total weight) into a state, drawing `ℓ ~ Categorical(w̃)`.
    fn accept<R: Rng + ?Sized>(self, rng: &mut R) -> Result<PimhState> {
        let particles = ParticleSet::from_log_weights(self.noise, self.log_weights)?;
        Ok(PimhState {
            selected: sample_categorical(&particles.weights, rng)?,
            particles,
        })
    }
}

impl PimhState {
    /// A state from explicit particles (`noise_dim × K`, one particle per column) and a selected index.
    ///
    /// # Errors
    /// [`CouplingError::DimensionMismatch`] if `noise` does not have `target.noise_dim()` rows;
    /// [`CouplingError::InvalidParameter`] if `K < 2`, `selected ≥ K` or a particle is not finite;
    /// [`CouplingError::NonFiniteLogWeight`] for a NaN or `+∞` log-weight, or when every log-weight is
    /// `−∞`.
    pub fn new<T: ImportanceTarget + ?Sized>(
        target: &T,
        noise: DMatrix<f64>,
        selected: usize,
    ) -> Result<Self> {
        Ok(PimhState {
            selected,
            particles: ParticleSet::new(target, noise, selected)?,
        })
    }

    /// A draw from the initial law: every `ξ_k ~ N(0, I)` independently, then `ℓ ~ Categorical(w̃)`
    /// (so the set is a PIMH proposal, accepted).
    ///
    /// # Errors
    /// [`CouplingError::InvalidParameter`] if `K < 2`; [`CouplingError::NonFiniteLogWeight`] for a NaN or
    /// `+∞` log-weight, or when every log-weight is `−∞`.
    pub fn sample_initial<T: ImportanceTarget + ?Sized, R: Rng + ?Sized>(
        target: &T,
        k: usize,
        rng: &mut R,
    ) -> Result<Self> {
        check_k(k)?;
        Proposal::draw(target, k, rng)?.accept(rng)
    }

    /// The particles, one noise vector per column (`noise_dim × K`).
    pub fn noise(&self) -> &DMatrix<f64> {
        self.particles.noise()
    }
    /// Number of particles `K`.
    pub fn k(&self) -> usize {
        self.particles.k()
    }
    /// The selected index `ℓ`.
    pub fn selected(&self) -> usize {
        self.selected
    }
    /// The selected particle `ξ_ℓ` (distributed as the target under the invariant law).
    pub fn selected_particle(&self) -> DVectorView<'_, f64> {
        self.particles.noise.column(self.selected)
    }
    /// Log-weights `log w(ξ_k)` of the set.
    pub fn log_weights(&self) -> &[f64] {
        self.particles.log_weights()
    }
    /// Self-normalised weights `w̃_k` of the set (the Rao-Blackwellised coefficients of `h`).
    pub fn weights(&self) -> &[f64] {
        self.particles.weights()
    }
    /// Effective sample size `1 / Σ_k w̃_k²` of the set.
    pub fn ess(&self) -> f64 {
        self.particles.ess()
    }
    /// `log Ẑ = log((1/K) Σ_k w_k)`, the log of the set's importance-sampling estimate of the normaliser
    /// (the quantity PIMH's acceptance ratio compares).
    pub fn log_mean_weight(&self) -> f64 {
        self.particles.log_mean_weight()
    }
}

/// Particle independent Metropolis-Hastings with `K` particles on an [`ImportanceTarget`], and its
/// coupling with a shared proposal set and a shared uniform (see the [module documentation](self)).
///
/// A state must have been built with the same target (its cached weights are trusted).
///
/// # Example
/// ```
/// use nalgebra::DMatrix;
/// use rand::SeedableRng;
/// use ucg_couplings::{CoupledKernel, ImportanceTarget, InitialLaw, pimh::Pimh};
///
/// /// Target ∝ N(ξ; 1, 1) written as w(ξ) N(ξ; 0, 1), i.e. log w(ξ) = ξ − 1/2.
/// struct Shifted;
/// impl ImportanceTarget for Shifted {
///     fn noise_dim(&self) -> usize { 1 }
///     fn log_weights(&self, noise: &DMatrix<f64>, out: &mut [f64]) -> ucg_couplings::Result<()> {
///         for (o, x) in out.iter_mut().zip(noise.iter()) {
///             *o = x - 0.5;
///         }
///         Ok(())
///     }
/// }
///
/// let kernel = Pimh::new(Shifted, 8)?;
/// let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(1);
/// let (mut x, mut y) = (kernel.sample_initial(&mut rng)?, kernel.sample_initial(&mut rng)?);
/// while !kernel.coupled_step(&mut x, &mut y, &mut rng)? {}
/// assert_eq!(x, y); // whole states: particles and selected index
/// # Ok::<(), ucg_couplings::CouplingError>(())
/// ```
#[derive(Clone, Debug)]
pub struct Pimh<T> {
    target: CountingTarget<T>,
    k: usize,
}

impl<T: ImportanceTarget> Pimh<T> {
    /// PIMH with `K = k` particles per proposal set.
    ///
    /// # Errors
    /// [`CouplingError::InvalidParameter`] if `k < 2`.
    pub fn new(target: T, k: usize) -> Result<Self> {
        check_k(k)?;
        Ok(Pimh {
            target: CountingTarget::new(target),
            k,
        })
    }
    /// The target.
    pub fn target(&self) -> &T {
        self.target.inner()
    }
    /// Number of particles `K`.
    pub fn k(&self) -> usize {
        self.k
    }
    /// Particles the target has evaluated through this kernel since it was built (initial draws
    /// included; a coupled step evaluates one shared proposal set).
    pub fn evaluations(&self) -> u64 {
        self.target.evaluations()
    }

    fn check_state(&self, s: &PimhState) -> Result<()> {
        s.particles.check_against(&self.target, self.k)
    }
}

/// Whether a chain with `log Σ w = log_sum` accepts a proposal set with `log Σ w' = proposed`, i.e.
/// `log U < log Ẑ' − log Ẑ` (the `log K` terms cancel). Always false for an all-zero proposal.
fn accepts(log_u: f64, proposed: f64, log_sum: f64) -> bool {
    log_u < proposed - log_sum
}

impl<T: ImportanceTarget> InitialLaw for Pimh<T> {
    /// A draw from the initial law (see [`PimhState::sample_initial`]).
    fn sample_initial<R: Rng + ?Sized>(&self, rng: &mut R) -> Result<PimhState> {
        PimhState::sample_initial(&self.target, self.k, rng)
    }
}

impl<T: ImportanceTarget> MarkovKernel for Pimh<T> {
    type State = PimhState;

    /// One PIMH step: draws the proposal set, then `U`, then (on acceptance only) the new index.
    ///
    /// # Errors
    /// [`CouplingError::DimensionMismatch`] for a state of the wrong shape;
    /// [`CouplingError::NonFiniteLogWeight`] when the target returns a NaN or `+∞` log-weight.
    fn step<R: Rng + ?Sized>(&self, state: &mut PimhState, rng: &mut R) -> Result<()> {
        self.check_state(state)?;
        let proposal = Proposal::draw(&self.target, self.k, rng)?;
        let log_u = rng.random::<f64>().ln();
        if accepts(log_u, proposal.log_sum, state.particles.log_sum) {
            *state = proposal.accept(rng)?;
        }
        Ok(())
    }
}

impl<T: ImportanceTarget> CoupledKernel for Pimh<T> {
    /// One coupled PIMH step: a shared proposal set, one shared uniform for both acceptances, and one
    /// shared index draw when both accept. Returns `true` iff the states are identical afterwards.
    ///
    /// # Errors
    /// As [`MarkovKernel::step`], for either chain.
    fn coupled_step<R: Rng + ?Sized>(
        &self,
        x: &mut PimhState,
        y: &mut PimhState,
        rng: &mut R,
    ) -> Result<bool> {
        self.check_state(x)?;
        self.check_state(y)?;
        if move_as_one(x, y, |s| self.step(s, rng))? {
            return Ok(true);
        }
        let proposal = Proposal::draw(&self.target, self.k, rng)?;
        let log_u = rng.random::<f64>().ln();
        let accept_x = accepts(log_u, proposal.log_sum, x.particles.log_sum);
        let accept_y = accepts(log_u, proposal.log_sum, y.particles.log_sum);
        if accept_x || accept_y {
            // One index draw for whichever chains accept: both get the same index from the same weights.
            let new = proposal.accept(rng)?;
            match (accept_x, accept_y) {
                (true, true) => {
                    y.clone_from(&new);
                    *x = new;
                }
                (true, false) => *x = new,
                _ => *y = new,
            }
        }
        Ok(x == y)
    }
}
