//! ISIR, DISIR and ISIR-DISIR kernels and their couplings.

use super::proposal::{ar1_outward, draw_innovations, reweight};
use super::state::{IsirState, Origin};
use crate::counting::CountingTarget;
use crate::error::{Result, invalid};
use crate::kernel::{CoupledKernel, InitialLaw, MarkovKernel, move_as_one};
use crate::maximal::categorical::{maximal_coupling, sample_categorical};
use crate::particles::check_k;
use crate::target::ImportanceTarget;
use rand::{Rng, RngExt};
use std::fmt;

/// The parameters every ISIR-family kernel holds, and the single and coupled (D)ISIR steps they define.
#[derive(Clone)]
struct IsirParams<T> {
    /// The target, with a count of the particles evaluated through it.
    target: CountingTarget<T>,
    k: usize,
    beta: f64,
}

impl<T: ImportanceTarget> IsirParams<T> {
    fn new(target: T, k: usize, beta: f64) -> Result<Self> {
        check_k(k)?;
        if !(0.0..1.0).contains(&beta) {
            return Err(invalid("beta", format!("must lie in [0, 1), got {beta}")));
        }
        Ok(IsirParams {
            target: CountingTarget::new(target),
            k,
            beta,
        })
    }

    /// One (D)ISIR step with correlation `beta` (0 for ISIR).
    fn step<R: Rng + ?Sized>(&self, beta: f64, s: &mut IsirState, rng: &mut R) -> Result<()> {
        let (target, k) = (&self.target, self.k);
        s.particles.check_against(target, k)?;
        let l = rng.random_range(0..k);
        let kept = s.selected_log_weight();
        let set = &mut s.particles;
        set.noise.swap_columns(s.selected, l);
        draw_innovations(&mut set.noise, l, rng);
        ar1_outward(&mut set.noise, l, beta);
        reweight(target, set, l, kept, None)?;
        s.selected = sample_categorical(&set.weights, rng)?;
        s.aux = l;
        s.origin = Origin::single(beta);
        Ok(())
    }

    /// One coupled (D)ISIR step with correlation `beta`; returns whether the states are now identical.
    fn coupled_step<R: Rng + ?Sized>(
        &self,
        beta: f64,
        x: &mut IsirState,
        y: &mut IsirState,
        rng: &mut R,
    ) -> Result<bool> {
        let (target, k) = (&self.target, self.k);
        x.particles.check_against(target, k)?;
        y.particles.check_against(target, k)?;
        if move_as_one(x, y, |s| self.step(beta, s, rng))? {
            return Ok(true);
        }
        let l = rng.random_range(0..k);
        let (kept_x, kept_y) = (x.selected_log_weight(), y.selected_log_weight());
        let (xs, ys) = (&mut x.particles, &mut y.particles);
        xs.noise.swap_columns(x.selected, l);
        ys.noise.swap_columns(y.selected, l);
        draw_innovations(&mut xs.noise, l, rng);
        // y takes every innovation of x (one contiguous copy) and keeps its own particle in slot l.
        let d = xs.noise.nrows();
        let (xa, ya) = (xs.noise.as_slice(), ys.noise.as_mut_slice());
        ya[..l * d].copy_from_slice(&xa[..l * d]);
        ya[(l + 1) * d..].copy_from_slice(&xa[(l + 1) * d..]);
        ar1_outward(&mut xs.noise, l, beta);
        ar1_outward(&mut ys.noise, l, beta);
        reweight(target, xs, l, kept_x, None)?;
        // With β = 0 the sets differ only in slot l, so y reuses x's log-weights for every other slot.
        let shared = (beta == 0.0).then_some(xs.log_weights.as_slice());
        reweight(target, ys, l, kept_y, shared)?;
        let (i, j) = maximal_coupling(&xs.weights, &ys.weights, rng)?;
        x.selected = i;
        y.selected = j;
        x.aux = l;
        y.aux = l;
        x.origin = Origin::coupled(beta);
        y.origin = x.origin;
        // Slot l is where the sets certainly differ unless the kept particles agreed; checking it first keeps
        // the (exact) comparison cheap.
        Ok(i == j && x.particles.same_particle(&y.particles, l) && x == y)
    }

    fn sample_initial<R: Rng + ?Sized>(&self, rng: &mut R) -> Result<IsirState> {
        IsirState::sample_initial(&self.target, self.k, rng)
    }
}

impl<T: fmt::Debug> IsirParams<T> {
    /// Formats the kernel called `name` as a struct with fields `target`, `k`, `beta`.
    fn fmt_kernel(&self, name: &str, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct(name)
            .field("target", self.target.inner())
            .field("k", &self.k)
            .field("beta", &self.beta)
            .finish()
    }
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
        IsirParams::new(target, k, 0.0).map(Isir)
    }
    /// The target.
    pub fn target(&self) -> &T {
        self.0.target.inner()
    }
    /// Number of particles `K`.
    pub fn k(&self) -> usize {
        self.0.k
    }
    /// Particles the target has evaluated through this kernel since it was built (initial draws included;
    /// a coupled ISIR step evaluates one set for both chains, a coupled DISIR step one per chain). This is
    /// the cost measure of an estimate; clones continue from the count at the time of cloning.
    pub fn evaluations(&self) -> u64 {
        self.0.target.evaluations()
    }
}

impl<T: fmt::Debug> fmt::Debug for Isir<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt_kernel("Isir", f)
    }
}

impl<T: ImportanceTarget> MarkovKernel for Isir<T> {
    type State = IsirState;
    fn step<R: Rng + ?Sized>(&self, state: &mut IsirState, rng: &mut R) -> Result<()> {
        self.0.step(0.0, state, rng)
    }
}

impl<T: ImportanceTarget> CoupledKernel for Isir<T> {
    fn coupled_step<R: Rng + ?Sized>(
        &self,
        x: &mut IsirState,
        y: &mut IsirState,
        rng: &mut R,
    ) -> Result<bool> {
        self.0.coupled_step(0.0, x, y, rng)
    }
}

impl<T: ImportanceTarget> InitialLaw for Isir<T> {
    /// `ξ_k ~ N(0, I)` independently and `ℓ ~ Uniform` (see [`IsirState::sample_initial`]).
    fn sample_initial<R: Rng + ?Sized>(&self, rng: &mut R) -> Result<IsirState> {
        self.0.sample_initial(rng)
    }
}

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
        IsirParams::new(target, k, beta).map(Disir)
    }
    /// The target.
    pub fn target(&self) -> &T {
        self.0.target.inner()
    }
    /// Number of particles `K`.
    pub fn k(&self) -> usize {
        self.0.k
    }
    /// Particles the target has evaluated through this kernel since it was built (initial draws included;
    /// a coupled ISIR step evaluates one set for both chains, a coupled DISIR step one per chain). This is
    /// the cost measure of an estimate; clones continue from the count at the time of cloning.
    pub fn evaluations(&self) -> u64 {
        self.0.target.evaluations()
    }
    /// The correlation β.
    pub fn beta(&self) -> f64 {
        self.0.beta
    }
}

impl<T: fmt::Debug> fmt::Debug for Disir<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt_kernel("Disir", f)
    }
}

impl<T: ImportanceTarget> MarkovKernel for Disir<T> {
    type State = IsirState;
    fn step<R: Rng + ?Sized>(&self, state: &mut IsirState, rng: &mut R) -> Result<()> {
        self.0.step(self.0.beta, state, rng)
    }
}

impl<T: ImportanceTarget> CoupledKernel for Disir<T> {
    fn coupled_step<R: Rng + ?Sized>(
        &self,
        x: &mut IsirState,
        y: &mut IsirState,
        rng: &mut R,
    ) -> Result<bool> {
        self.0.coupled_step(self.0.beta, x, y, rng)
    }
}

impl<T: ImportanceTarget> InitialLaw for Disir<T> {
    /// `ξ_k ~ N(0, I)` independently and `ℓ ~ Uniform` (see [`IsirState::sample_initial`]).
    fn sample_initial<R: Rng + ?Sized>(&self, rng: &mut R) -> Result<IsirState> {
        self.0.sample_initial(rng)
    }
}

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
        IsirParams::new(target, k, beta).map(IsirDisir)
    }
    /// The target.
    pub fn target(&self) -> &T {
        self.0.target.inner()
    }
    /// Number of particles `K`.
    pub fn k(&self) -> usize {
        self.0.k
    }
    /// Particles the target has evaluated through this kernel since it was built (initial draws included;
    /// a coupled ISIR step evaluates one set for both chains, a coupled DISIR step one per chain). This is
    /// the cost measure of an estimate; clones continue from the count at the time of cloning.
    pub fn evaluations(&self) -> u64 {
        self.0.target.evaluations()
    }
    /// The DISIR step's correlation β.
    pub fn beta(&self) -> f64 {
        self.0.beta
    }
}

impl<T: fmt::Debug> fmt::Debug for IsirDisir<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt_kernel("IsirDisir", f)
    }
}

impl<T: ImportanceTarget> MarkovKernel for IsirDisir<T> {
    type State = IsirState;
    fn step<R: Rng + ?Sized>(&self, state: &mut IsirState, rng: &mut R) -> Result<()> {
        self.0.step(0.0, state, rng)?;
        self.0.step(self.0.beta, state, rng)
    }
}

impl<T: ImportanceTarget> CoupledKernel for IsirDisir<T> {
    fn coupled_step<R: Rng + ?Sized>(
        &self,
        x: &mut IsirState,
        y: &mut IsirState,
        rng: &mut R,
    ) -> Result<bool> {
        self.0.coupled_step(0.0, x, y, rng)?;
        self.0.coupled_step(self.0.beta, x, y, rng)
    }
}

impl<T: ImportanceTarget> InitialLaw for IsirDisir<T> {
    /// `ξ_k ~ N(0, I)` independently and `ℓ ~ Uniform` (see [`IsirState::sample_initial`]).
    fn sample_initial<R: Rng + ?Sized>(&self, rng: &mut R) -> Result<IsirState> {
        self.0.sample_initial(rng)
    }
}
