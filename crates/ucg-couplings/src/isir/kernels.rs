//! ISIR, DISIR and ISIR-DISIR kernels and their couplings.

use super::pieces::IsirSchedule;
use super::state::IsirState;
use crate::counting::CountingTarget;
use crate::error::Result;
use crate::kernel::{CoupledKernel, InitialLaw, MarkovKernel};
use crate::target::ImportanceTarget;
use rand::Rng;
use std::fmt;

/// The parameters every ISIR-family kernel holds: its counted target and its schedule of (D)ISIR
/// sub-steps, whose pieces ([`SubStep`](super::SubStep)) carry the law.
#[derive(Clone)]
struct IsirParams<T> {
    /// The target, with a count of the particles evaluated through it.
    target: CountingTarget<T>,
    schedule: IsirSchedule,
    /// DISIR's correlation (0 for ISIR), for `Debug` and the accessors.
    beta: f64,
}

impl<T: ImportanceTarget> IsirParams<T> {
    fn new(target: T, schedule: IsirSchedule, beta: f64) -> Self {
        IsirParams {
            target: CountingTarget::new(target),
            schedule,
            beta,
        }
    }

    fn step<R: Rng + ?Sized>(&self, s: &mut IsirState, rng: &mut R) -> Result<()> {
        self.schedule.step(&self.target, s, rng)
    }

    fn coupled_step<R: Rng + ?Sized>(
        &self,
        x: &mut IsirState,
        y: &mut IsirState,
        rng: &mut R,
    ) -> Result<bool> {
        self.schedule.coupled_step(&self.target, x, y, rng)
    }

    fn sample_initial<R: Rng + ?Sized>(&self, rng: &mut R) -> Result<IsirState> {
        IsirState::sample_initial(&self.target, self.schedule.k(), rng)
    }
}

impl<T: fmt::Debug> IsirParams<T> {
    /// Formats the kernel called `name` as a struct with fields `target`, `k`, `beta`.
    fn fmt_kernel(&self, name: &str, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct(name)
            .field("target", self.target.inner())
            .field("k", &self.schedule.k())
            .field("beta", &self.beta)
            .finish()
    }
}

/// The parts every ISIR-family kernel shares: accessors, `Debug`, and the kernel traits, all delegating to
/// the kernel's [`IsirParams`] (so the law is written once, in the schedule's pieces).
macro_rules! isir_family_kernel {
    ($name:ident) => {
        impl<T: ImportanceTarget> $name<T> {
            /// The target.
            pub fn target(&self) -> &T {
                self.0.target.inner()
            }
            /// Number of particles `K`.
            pub fn k(&self) -> usize {
                self.0.schedule.k()
            }
            /// The (D)ISIR sub-steps one application runs, for drivers that advance many chains through the
            /// pieces ([`SubStep::propose`](super::SubStep::propose) and the rest).
            pub fn schedule(&self) -> &IsirSchedule {
                &self.0.schedule
            }
            /// Particles the target has evaluated through this kernel since it was built (initial draws
            /// included; a coupled ISIR step evaluates one set for both chains, a coupled DISIR step one per
            /// chain). This is the cost measure of an estimate; clones continue from the count at the time of
            /// cloning.
            pub fn evaluations(&self) -> u64 {
                self.0.target.evaluations()
            }
        }

        impl<T: fmt::Debug> fmt::Debug for $name<T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt_kernel(stringify!($name), f)
            }
        }

        impl<T: ImportanceTarget> MarkovKernel for $name<T> {
            type State = IsirState;
            fn step<R: Rng + ?Sized>(&self, state: &mut IsirState, rng: &mut R) -> Result<()> {
                self.0.step(state, rng)
            }
        }

        impl<T: ImportanceTarget> CoupledKernel for $name<T> {
            fn coupled_step<R: Rng + ?Sized>(
                &self,
                x: &mut IsirState,
                y: &mut IsirState,
                rng: &mut R,
            ) -> Result<bool> {
                self.0.coupled_step(x, y, rng)
            }
        }

        impl<T: ImportanceTarget> InitialLaw for $name<T> {
            /// `ξ_k ~ N(0, I)` independently and `ℓ ~ Uniform` (see [`IsirState::sample_initial`]).
            fn sample_initial<R: Rng + ?Sized>(&self, rng: &mut R) -> Result<IsirState> {
                self.0.sample_initial(rng)
            }
        }
    };
}

/// ISIR (iterated sampling importance resampling; Andrieu, Doucet & Holenstein 2010) on an
/// [`ImportanceTarget`] with `K` particles per set.
///
/// One step from `(ξ_{1:K}, ℓ)`: draw `ℓ_aux ~ Uniform{0..K−1}`, put `ξ_ℓ` in slot `ℓ_aux`, fill the other
/// slots with fresh `N(0, I)` draws, and select `ℓ* ~ Categorical(w̃)`. The coupled step shares `ℓ_aux` and
/// every fresh particle, so the two sets differ in slot `ℓ_aux` only, and draws the two indices from the
/// maximal coupling of the two weight vectors: this is the step at which coupled chains can meet.
///
/// It is the same law as [`Disir`] with β = 0, as its own type so that no β can be passed by mistake.
#[derive(Clone)]
pub struct Isir<T>(IsirParams<T>);

impl<T: ImportanceTarget> Isir<T> {
    /// ISIR with `K = k` particles.
    ///
    /// # Errors
    /// `k < 2`.
    pub fn new(target: T, k: usize) -> Result<Self> {
        Ok(Isir(IsirParams::new(target, IsirSchedule::isir(k)?, 0.0)))
    }
}

isir_family_kernel!(Isir);

/// Dependent ISIR with correlation `β ∈ [0, 1)` on an [`ImportanceTarget`] with `K` particles per set.
///
/// One step from `(ξ_{1:K}, ℓ)`: draw `ℓ_aux ~ Uniform{0..K−1}`, put `ξ_ℓ` in slot `ℓ_aux`, fill the other
/// slots with two AR(1) paths `ξ_k = β ξ_{k∓1} + √(1−β²) ε_k` running outward from it, and select
/// `ℓ* ~ Categorical(w̃)`. β = 0 is the law of [`Isir`].
///
/// The coupled step shares `ℓ_aux` and every innovation `ε_k`, and draws the two indices from the maximal
/// coupling of the two weight vectors.
#[derive(Clone)]
pub struct Disir<T>(IsirParams<T>);

impl<T: ImportanceTarget> Disir<T> {
    /// DISIR with `K = k` particles and correlation `beta`.
    ///
    /// # Errors
    /// `k < 2` or `beta ∉ [0, 1)` (NaN included).
    pub fn new(target: T, k: usize, beta: f64) -> Result<Self> {
        Ok(Disir(IsirParams::new(
            target,
            IsirSchedule::disir(k, beta)?,
            beta,
        )))
    }
    /// The correlation β.
    pub fn beta(&self) -> f64 {
        self.0.beta
    }
}

isir_family_kernel!(Disir);

/// The paper's kernel: one ISIR step (β = 0: explores, and the only step where coupled chains can meet)
/// followed by one DISIR step with correlation β (exploits). The state after the composed step carries the
/// DISIR step's weights, so [`IsirState::ess`] is the ESS that β adaptation targets.
#[derive(Clone)]
pub struct IsirDisir<T>(IsirParams<T>);

impl<T: ImportanceTarget> IsirDisir<T> {
    /// The composed kernel with `K = k` particles and DISIR correlation `beta`.
    ///
    /// # Errors
    /// `k < 2` or `beta ∉ [0, 1)`.
    pub fn new(target: T, k: usize, beta: f64) -> Result<Self> {
        Ok(IsirDisir(IsirParams::new(
            target,
            IsirSchedule::isir_disir(k, beta)?,
            beta,
        )))
    }
    /// The DISIR step's correlation β.
    pub fn beta(&self) -> f64 {
        self.0.beta
    }
}

isir_family_kernel!(IsirDisir);
