//! Giving any kernel an initial law of the caller's choice.
//!
//! Estimators start their chains with [`InitialLaw::sample_initial`]. Every kernel of this crate carries a
//! natural initial law; [`WithInitial`] replaces it (or supplies one for a kernel defined elsewhere, which
//! the orphan rule would not let a caller implement `InitialLaw` for) with a function of an RNG.

use crate::error::Result;
use crate::kernel::{CoupledKernel, InitialLaw, MarkovKernel};
use rand::Rng;

/// A kernel `K` whose initial law is the function `F`: it steps and couples exactly as `K`, and
/// [`InitialLaw::sample_initial`] calls `F` with the RNG (as `&mut dyn Rng`, so one closure serves every
/// generator type).
///
/// # Example
/// Start a random-walk chain from a fixed point instead of the kernel's default `N(0, I)`:
/// ```
/// use rand::SeedableRng;
/// use ucg_couplings::{InitialLaw, LogDensity, WithInitial, rwmh::Rwmh};
///
/// struct StdNormal;
/// impl LogDensity for StdNormal {
///     fn dim(&self) -> usize { 1 }
///     fn log_density(&self, x: &[f64]) -> ucg_couplings::Result<f64> { Ok(-0.5 * x[0] * x[0]) }
/// }
/// let kernel = Rwmh::new(StdNormal, 1.0)?;
/// let started = WithInitial::new(&kernel, |_: &mut dyn rand::Rng| kernel.initial_state(vec![5.0]));
/// let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(1);
/// assert_eq!(started.sample_initial(&mut rng)?.position(), &[5.0]);
/// # Ok::<(), ucg_couplings::CouplingError>(())
/// ```
#[derive(Clone, Debug)]
pub struct WithInitial<K, F> {
    kernel: K,
    initial: F,
}

impl<K, F> WithInitial<K, F> {
    /// `kernel`, started from `initial`.
    pub fn new(kernel: K, initial: F) -> Self {
        WithInitial { kernel, initial }
    }
    /// The wrapped kernel.
    pub fn kernel(&self) -> &K {
        &self.kernel
    }
}

impl<K: MarkovKernel, F> MarkovKernel for WithInitial<K, F> {
    type State = K::State;
    fn step<R: Rng + ?Sized>(&self, state: &mut K::State, rng: &mut R) -> Result<()> {
        self.kernel.step(state, rng)
    }
}

impl<K: CoupledKernel, F> CoupledKernel for WithInitial<K, F> {
    fn coupled_step<R: Rng + ?Sized>(
        &self,
        x: &mut K::State,
        y: &mut K::State,
        rng: &mut R,
    ) -> Result<bool> {
        self.kernel.coupled_step(x, y, rng)
    }
}

impl<K, F> InitialLaw for WithInitial<K, F>
where
    K: MarkovKernel,
    F: Fn(&mut dyn Rng) -> Result<K::State>,
{
    fn sample_initial<R: Rng + ?Sized>(&self, rng: &mut R) -> Result<K::State> {
        // `&mut R` is itself a sized generator, so it can be handed over as a trait object.
        let mut rng = rng;
        (self.initial)(&mut rng)
    }
}
