//! ISIR, DISIR and ISIR-DISIR kernels and their couplings.

use super::proposal::{ar1_outward, draw_innovations, reweight};
use super::state::IsirState;
use crate::error::{Result, invalid};
use crate::kernel::{CoupledKernel, InitialLaw, MarkovKernel};
use crate::maximal::categorical::{maximal_coupling, sample_categorical};
use crate::target::ImportanceTarget;
use rand::{Rng, RngExt};

/// Dependent ISIR with correlation `β ∈ [0, 1)` on an [`ImportanceTarget`] with `K` particles per set.
///
/// One step from `(ξ_{1:K}, ℓ)`: draw `ℓ_aux ~ Uniform{0..K−1}`, put `ξ_ℓ` in slot `ℓ_aux`, fill the other
/// slots with two AR(1) paths `ξ_k = β ξ_{k∓1} + √(1−β²) ε_k` running outward from it, and select
/// `ℓ* ~ Categorical(w̃)`. β = 0 is ISIR ([`Isir`]): the other slots are fresh `N(0, I)` draws.
///
/// The coupled step shares `ℓ_aux` and every innovation `ε_k`, and draws the two indices from the maximal
/// coupling of the two weight vectors.
#[derive(Clone, Debug)]
pub struct Disir<T> {
    target: T,
    k: usize,
    beta: f64,
}

/// ISIR (iterated sampling importance resampling) is DISIR with β = 0; build it with [`Disir::isir`].
pub type Isir<T> = Disir<T>;

fn check_k_beta(k: usize, beta: f64) -> Result<()> {
    if k < 2 {
        return Err(invalid("K", format!("need at least 2 particles, got {k}")));
    }
    if !(0.0..1.0).contains(&beta) {
        return Err(invalid("beta", format!("must lie in [0, 1), got {beta}")));
    }
    Ok(())
}

impl<T: ImportanceTarget> Disir<T> {
    /// DISIR with `K = k` particles and correlation `beta`.
    ///
    /// # Errors
    /// `k < 2` or `beta ∉ [0, 1)` (NaN included).
    pub fn new(target: T, k: usize, beta: f64) -> Result<Self> {
        check_k_beta(k, beta)?;
        Ok(Disir { target, k, beta })
    }
    /// ISIR (β = 0) with `K = k` particles.
    ///
    /// # Errors
    /// `k < 2`.
    pub fn isir(target: T, k: usize) -> Result<Self> {
        Self::new(target, k, 0.0)
    }
    /// The target.
    pub fn target(&self) -> &T {
        &self.target
    }
    /// Number of particles `K`.
    pub fn k(&self) -> usize {
        self.k
    }
    /// The correlation β.
    pub fn beta(&self) -> f64 {
        self.beta
    }
}

pub(super) fn single_step<T: ImportanceTarget + ?Sized, R: Rng + ?Sized>(
    target: &T,
    k: usize,
    beta: f64,
    s: &mut IsirState,
    rng: &mut R,
) -> Result<()> {
    s.check_against(target, k)?;
    let l = rng.random_range(0..k);
    let kept = s.log_weights[s.selected];
    s.noise.swap_columns(s.selected, l);
    draw_innovations(&mut s.noise, l, rng);
    ar1_outward(&mut s.noise, l, beta);
    reweight(target, s, l, kept, None)?;
    s.selected = sample_categorical(&s.weights, rng);
    Ok(())
}

pub(super) fn coupled_step<T: ImportanceTarget + ?Sized, R: Rng + ?Sized>(
    target: &T,
    k: usize,
    beta: f64,
    x: &mut IsirState,
    y: &mut IsirState,
    rng: &mut R,
) -> Result<bool> {
    x.check_against(target, k)?;
    y.check_against(target, k)?;
    if x == y {
        // Met chains move as one; this is the single kernel with the same randomness for both.
        single_step(target, k, beta, x, rng)?;
        y.clone_from(x);
        return Ok(true);
    }
    let l = rng.random_range(0..k);
    let (kept_x, kept_y) = (x.log_weights[x.selected], y.log_weights[y.selected]);
    x.noise.swap_columns(x.selected, l);
    y.noise.swap_columns(y.selected, l);
    draw_innovations(&mut x.noise, l, rng);
    for j in (0..k).filter(|&j| j != l) {
        y.noise.column_mut(j).copy_from(&x.noise.column(j));
    }
    ar1_outward(&mut x.noise, l, beta);
    ar1_outward(&mut y.noise, l, beta);
    reweight(target, x, l, kept_x, None)?;
    // With β = 0 the sets differ only in slot l, so y reuses x's log-weights for every other slot.
    let shared = (beta == 0.0).then_some(x.log_weights.as_slice());
    reweight(target, y, l, kept_y, shared)?;
    let (i, j) = maximal_coupling(&x.weights, &y.weights, rng);
    x.selected = i;
    y.selected = j;
    // Slot l is where the sets certainly differ unless the kept particles agreed; checking it first keeps
    // the (exact) comparison cheap.
    Ok(i == j && x.noise.column(l) == y.noise.column(l) && x == y)
}

impl<T: ImportanceTarget> MarkovKernel for Disir<T> {
    type State = IsirState;
    fn step<R: Rng + ?Sized>(&self, state: &mut IsirState, rng: &mut R) -> Result<()> {
        single_step(&self.target, self.k, self.beta, state, rng)
    }
}

impl<T: ImportanceTarget> CoupledKernel for Disir<T> {
    fn coupled_step<R: Rng + ?Sized>(
        &self,
        x: &mut IsirState,
        y: &mut IsirState,
        rng: &mut R,
    ) -> Result<bool> {
        coupled_step(&self.target, self.k, self.beta, x, y, rng)
    }
}

/// The paper's kernel: one ISIR step (β = 0: explores, and the only step where coupled chains can meet)
/// followed by one DISIR step with correlation β (exploits). The state after the composed step carries the
/// DISIR step's weights, so [`IsirState::ess`] is the ESS that β adaptation targets.
#[derive(Clone, Debug)]
pub struct IsirDisir<T> {
    target: T,
    k: usize,
    beta: f64,
}

impl<T: ImportanceTarget> IsirDisir<T> {
    /// The composed kernel with `K = k` particles and DISIR correlation `beta`.
    ///
    /// # Errors
    /// `k < 2` or `beta ∉ [0, 1)`.
    pub fn new(target: T, k: usize, beta: f64) -> Result<Self> {
        check_k_beta(k, beta)?;
        Ok(IsirDisir { target, k, beta })
    }
    /// The target.
    pub fn target(&self) -> &T {
        &self.target
    }
    /// Number of particles `K`.
    pub fn k(&self) -> usize {
        self.k
    }
    /// The DISIR step's correlation β.
    pub fn beta(&self) -> f64 {
        self.beta
    }
}

impl<T: ImportanceTarget> MarkovKernel for IsirDisir<T> {
    type State = IsirState;
    fn step<R: Rng + ?Sized>(&self, state: &mut IsirState, rng: &mut R) -> Result<()> {
        single_step(&self.target, self.k, 0.0, state, rng)?;
        single_step(&self.target, self.k, self.beta, state, rng)
    }
}

impl<T: ImportanceTarget> CoupledKernel for IsirDisir<T> {
    fn coupled_step<R: Rng + ?Sized>(
        &self,
        x: &mut IsirState,
        y: &mut IsirState,
        rng: &mut R,
    ) -> Result<bool> {
        coupled_step(&self.target, self.k, 0.0, x, y, rng)?;
        coupled_step(&self.target, self.k, self.beta, x, y, rng)
    }
}

impl<T: ImportanceTarget> InitialLaw for Disir<T> {
    /// `ξ_k ~ N(0, I)` independently and `ℓ ~ Uniform` (see [`IsirState::sample_initial`]).
    fn sample_initial<R: Rng + ?Sized>(&self, rng: &mut R) -> Result<IsirState> {
        IsirState::sample_initial(&self.target, self.k, rng)
    }
}

impl<T: ImportanceTarget> InitialLaw for IsirDisir<T> {
    /// `ξ_k ~ N(0, I)` independently and `ℓ ~ Uniform` (see [`IsirState::sample_initial`]).
    fn sample_initial<R: Rng + ?Sized>(&self, rng: &mut R) -> Result<IsirState> {
        IsirState::sample_initial(&self.target, self.k, rng)
    }
}
