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

/// A reference to a kernel is the same kernel, so wrappers such as [`crate::WithInitial`] and estimators
/// can take kernels by reference.
impl<K: MarkovKernel + ?Sized> MarkovKernel for &K {
    type State = K::State;
    fn step<R: Rng + ?Sized>(&self, state: &mut K::State, rng: &mut R) -> Result<()> {
        (**self).step(state, rng)
    }
}

impl<K: CoupledKernel + ?Sized> CoupledKernel for &K {
    fn coupled_step<R: Rng + ?Sized>(
        &self,
        x: &mut K::State,
        y: &mut K::State,
        rng: &mut R,
    ) -> Result<bool> {
        (**self).coupled_step(x, y, rng)
    }
}

impl<K: InitialLaw + ?Sized> InitialLaw for &K {
    fn sample_initial<R: Rng + ?Sized>(&self, rng: &mut R) -> Result<K::State> {
        (**self).sample_initial(rng)
    }
}

/// The sticky part of a coupled step (contract 3 of [`CoupledKernel`]): when the two states are already
/// identical, moves `x` by the single kernel `step` and copies it into `y`, so that met chains move as one
/// with the same randomness, and returns `true`; otherwise leaves both states alone and returns `false`.
///
/// Every coupled kernel of this crate starts its `coupled_step` with it; a kernel written elsewhere should
/// too, so that contract point 3 holds by construction.
///
/// # Example
/// ```
/// use rand::{Rng, RngExt, SeedableRng};
/// use ucg_couplings::{CoupledKernel, MarkovKernel, Result, move_as_one};
///
/// /// A random walk on {0, …, 9} that, coupled, moves both chains by the same increment.
/// struct Walk;
/// impl MarkovKernel for Walk {
///     type State = u32;
///     fn step<R: Rng + ?Sized>(&self, s: &mut u32, rng: &mut R) -> Result<()> {
///         *s = (*s + rng.random_range(0..3)) % 10;
///         Ok(())
///     }
/// }
/// impl CoupledKernel for Walk {
///     fn coupled_step<R: Rng + ?Sized>(&self, x: &mut u32, y: &mut u32, rng: &mut R) -> Result<bool> {
///         if move_as_one(x, y, |s| self.step(s, rng))? {
///             return Ok(true);
///         }
///         // Not met yet: x moves, y stays unless x lands on it.
///         self.step(x, rng)?;
///         Ok(x == y)
///     }
/// }
/// let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(1);
/// let (mut x, mut y) = (4, 4);
/// assert!(Walk.coupled_step(&mut x, &mut y, &mut rng)?);
/// assert_eq!(x, y);
/// # Ok::<(), ucg_couplings::CouplingError>(())
/// ```
///
/// # Errors
/// Whatever `step` returns.
pub fn move_as_one<S: PartialEq + Clone>(
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
