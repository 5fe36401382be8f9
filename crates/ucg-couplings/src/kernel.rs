//! The Markov-kernel and coupled-kernel traits.
//!
//! A kernel holds only its parameters (and a reference to its target); the chain's state and the random
//! number generator are passed in at every step, in the style of `rand`'s `Distribution` and of `nuts-rs`.

use crate::error::Result;
use rand::Rng;

/// A Markov transition kernel `K(x, ·)` on a state space `Self::State`.
pub trait MarkovKernel {
    /// The state of one chain.
    type State;

    /// Draws `x' ~ K(x, ·)` and writes it over `state`.
    ///
    /// # Errors
    /// Fails when the target returns invalid values (NaN log-weights, for example).
    fn step<R: Rng + ?Sized>(&self, state: &mut Self::State, rng: &mut R) -> Result<()>;
}

/// A coupling `K̄((x, y), ·)` of a kernel with itself: each chain, taken alone, moves exactly by
/// [`MarkovKernel::step`]'s law, while shared randomness makes the two chains meet.
///
/// Contract (the lagged coupling estimator relies on all three):
/// 1. *Faithful marginals*: `x` alone and `y` alone are distributed as after one `step`.
/// 2. *Exact meeting*: the returned flag is `true` if and only if the two states are now identical
///    (never decided by a floating-point tolerance).
/// 3. *Sticky*: from two identical states, the step returns two identical states and `true`.
pub trait CoupledKernel: MarkovKernel {
    /// Moves both chains one step with shared randomness; returns whether the states are now identical.
    ///
    /// # Errors
    /// As [`MarkovKernel::step`].
    fn coupled_step<R: Rng + ?Sized>(
        &self,
        x: &mut Self::State,
        y: &mut Self::State,
        rng: &mut R,
    ) -> Result<bool>;
}

/// A kernel that carries its own initial law `π0` (for example `ξ_k ~ N(0, I)`, `ℓ ~ Uniform` for the
/// ISIR family), so that estimators can start chains without knowing the state's structure.
pub trait InitialLaw: MarkovKernel {
    /// Draws `X_0 ~ π0`.
    ///
    /// # Errors
    /// Invalid values from the target at the initial state.
    fn sample_initial<R: Rng + ?Sized>(&self, rng: &mut R) -> Result<Self::State>;
}

/// The sticky part of a coupled step (contract 3 of [`CoupledKernel`]): when the two states are already
/// identical, moves `x` by the single kernel `step` and copies it into `y`, so that met chains move as one
/// with the same randomness, and returns `true`; otherwise leaves both states alone and returns `false`.
pub(crate) fn move_as_one<S: PartialEq + Clone>(
    x: &mut S,
    y: &mut S,
    step: impl FnOnce(&mut S) -> Result<()>,
) -> Result<bool> {
    if x != y {
        return Ok(false);
    }
    step(x)?;
    y.clone_from(x);
    Ok(true)
}
