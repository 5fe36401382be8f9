//! Random-walk Metropolis-Hastings with Gaussian proposals, and its coupling by reflection-maximal
//! proposals and a shared acceptance uniform (Jacob, O'Leary & Atchadé 2020, §4.1).
//!
//! **Kernel.** For a target `π` given by a [`LogDensity`] and a proposal covariance `Σ = L Lᵀ`, one step
//! from `x` draws `x' = x + L ξ`, `ξ ~ N(0, I)`, and `U ~ Uniform[0, 1)`, and moves to `x'` iff
//! `log U < log π(x') − log π(x)`. The proposal is symmetric, so `π` is invariant (detailed balance).
//!
//! **Coupling.** Two chains at `x ≠ y` draw their proposals `(x', y')` from the reflection-maximal
//! coupling of `N(x, Σ)` and `N(y, Σ)` ([`ReflectionCoupling`]), and a *single* uniform `U` decides both
//! acceptances: chain `x` moves iff `log U < log π(x') − log π(x)`, chain `y` iff
//! `log U < log π(y') − log π(y)`. When the proposals coincide (probability `2Φ(−|L⁻¹(x − y)|/2)`) and both
//! are accepted, the chains meet. Chains at the same state move as one, so meeting is sticky.

use crate::error::{CouplingError, Result, invalid};
use crate::kernel::{CoupledKernel, InitialLaw, MarkovKernel, move_as_one};
use crate::maximal::reflection::ReflectionCoupling;
use crate::target::LogDensity;
use nalgebra::{Cholesky, DMatrix, Dyn};
use rand::{Rng, RngExt};

/// State of a random-walk MH chain: the position `x ∈ ℝᵈ` and its cached log-density `log π(x)`.
///
/// Two states are equal when their positions are bit-identical (compared with [`f64::to_bits`], so
/// `0.0 ≠ −0.0`); the cached log-density is a function of the position and is not compared.
#[derive(Clone, Debug)]
pub struct RwmhState {
    position: Vec<f64>,
    log_density: f64,
}

impl PartialEq for RwmhState {
    fn eq(&self, other: &Self) -> bool {
        self.position.len() == other.position.len()
            && self
                .position
                .iter()
                .zip(&other.position)
                .all(|(a, b)| a.to_bits() == b.to_bits())
    }
}

impl RwmhState {
    /// The state at `position`, evaluating `log π(position)` once.
    ///
    /// # Errors
    /// - [`CouplingError::DimensionMismatch`] if `position.len() != target.dim()`;
    /// - [`CouplingError::InvalidParameter`] if `position` has a non-finite entry;
    /// - [`CouplingError::NonFiniteLogWeight`] if `log π(position)` is not finite (NaN, `±∞`: a chain
    ///   cannot start outside the support).
    pub fn new<T: LogDensity + ?Sized>(target: &T, position: Vec<f64>) -> Result<Self> {
        if position.len() != target.dim() {
            return Err(CouplingError::DimensionMismatch {
                what: "position",
                expected: target.dim(),
                found: position.len(),
            });
        }
        if let Some(v) = position.iter().find(|v| !v.is_finite()) {
            return Err(invalid("position", format!("non-finite entry {v}")));
        }
        let log_density = target.log_density(&position)?;
        if !log_density.is_finite() {
            return Err(CouplingError::NonFiniteLogWeight {
                index: 0,
                value: log_density,
            });
        }
        Ok(RwmhState {
            position,
            log_density,
        })
    }

    /// The position `x`.
    pub fn position(&self) -> &[f64] {
        &self.position
    }
    /// The cached `log π(x)` (finite).
    pub fn log_density(&self) -> f64 {
        self.log_density
    }
    /// Dimension `d` of the position.
    pub fn dim(&self) -> usize {
        self.position.len()
    }
    /// The position, consuming the state.
    pub fn into_position(self) -> Vec<f64> {
        self.position
    }
}

/// Random-walk Metropolis-Hastings on a [`LogDensity`] with proposals `N(x, Σ)`, and its coupling with
/// reflection-maximal proposals and a shared uniform (see the [module documentation](self)).
///
/// A state must have been built with the same target (its cached log-density is trusted).
///
/// # Example
/// ```
/// use rand::SeedableRng;
/// use ucg_couplings::{CoupledKernel, LogDensity, rwmh::Rwmh};
///
/// /// Standard normal target in two dimensions.
/// struct StdNormal;
/// impl LogDensity for StdNormal {
///     fn dim(&self) -> usize { 2 }
///     fn log_density(&self, x: &[f64]) -> ucg_couplings::Result<f64> {
///         Ok(-0.5 * x.iter().map(|v| v * v).sum::<f64>())
///     }
/// }
///
/// let kernel = Rwmh::new(StdNormal, 1.0)?;
/// let mut x = kernel.initial_state(vec![3.0, -3.0])?;
/// let mut y = kernel.initial_state(vec![-2.0, 2.0])?;
/// let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(5);
/// let mut tau = 1;
/// while !kernel.coupled_step(&mut x, &mut y, &mut rng)? {
///     tau += 1;
/// }
/// assert_eq!(x, y);
/// assert!(kernel.coupled_step(&mut x, &mut y, &mut rng)?); // sticky
/// println!("met after {tau} coupled steps");
/// # Ok::<(), ucg_couplings::CouplingError>(())
/// ```
#[derive(Clone, Debug)]
pub struct Rwmh<T> {
    target: T,
    proposal: ReflectionCoupling,
    /// The initial law `π0 = N(mean, sd² I)` of [`InitialLaw::sample_initial`].
    initial: InitialNormal,
}

/// `N(mean, sd² I)`, the initial law of a random-walk chain (default `N(0, I)`).
#[derive(Clone, Debug, PartialEq)]
struct InitialNormal {
    mean: Vec<f64>,
    sd: f64,
}

impl InitialNormal {
    fn standard(dim: usize) -> Self {
        InitialNormal {
            mean: vec![0.0; dim],
            sd: 1.0,
        }
    }
}

impl<T: LogDensity> Rwmh<T> {
    /// Proposals `N(x, h² I)` with step size `h`.
    ///
    /// # Errors
    /// [`CouplingError::InvalidParameter`] if `h` is not finite and positive or the target has
    /// dimension 0.
    pub fn new(target: T, step_size: f64) -> Result<Self> {
        if !(step_size.is_finite() && step_size > 0.0) {
            return Err(invalid(
                "step_size",
                format!("must be finite and positive, got {step_size}"),
            ));
        }
        let proposal = ReflectionCoupling::isotropic(target.dim(), step_size)?;
        let initial = InitialNormal::standard(target.dim());
        Ok(Rwmh {
            target,
            proposal,
            initial,
        })
    }

    /// Proposals `N(x, L Lᵀ)` given the lower-triangular Cholesky factor `L` of the proposal covariance.
    ///
    /// # Errors
    /// [`CouplingError::DimensionMismatch`] if `L` is not `d × d`; otherwise as
    /// [`ReflectionCoupling::from_cholesky_factor`].
    pub fn with_cholesky_factor(target: T, l: DMatrix<f64>) -> Result<Self> {
        check_dim(&target, l.nrows())?;
        let proposal = ReflectionCoupling::from_cholesky_factor(l)?;
        let initial = InitialNormal::standard(target.dim());
        Ok(Rwmh {
            target,
            proposal,
            initial,
        })
    }

    /// Proposals `N(x, Σ)` given the Cholesky decomposition of `Σ`.
    ///
    /// # Errors
    /// As [`Rwmh::with_cholesky_factor`].
    pub fn with_cholesky(target: T, chol: &Cholesky<f64, Dyn>) -> Result<Self> {
        Self::with_cholesky_factor(target, chol.l())
    }

    /// Proposals `N(x, Σ)` given the proposal covariance `Σ` (symmetric positive-definite).
    ///
    /// # Errors
    /// [`CouplingError::DimensionMismatch`] if `Σ` is not `d × d`; otherwise as
    /// [`ReflectionCoupling::from_covariance`].
    pub fn with_covariance(target: T, cov: &DMatrix<f64>) -> Result<Self> {
        check_dim(&target, cov.nrows())?;
        let proposal = ReflectionCoupling::from_covariance(cov)?;
        let initial = InitialNormal::standard(target.dim());
        Ok(Rwmh {
            target,
            proposal,
            initial,
        })
    }

    /// Sets the initial law used by [`InitialLaw::sample_initial`] to `N(mean, sd² I)` (by default
    /// `N(0, I)`). Chains of a lagged estimator start from it, so it should cover where the target has mass.
    ///
    /// # Errors
    /// [`CouplingError::DimensionMismatch`] if `mean.len() != d`; [`CouplingError::InvalidParameter`] if
    /// `mean` has a non-finite entry or `sd` is not finite and positive.
    pub fn with_initial_normal(mut self, mean: Vec<f64>, sd: f64) -> Result<Self> {
        check_dim(&self.target, mean.len())?;
        if let Some(v) = mean.iter().find(|v| !v.is_finite()) {
            return Err(invalid("mean", format!("non-finite entry {v}")));
        }
        if !(sd.is_finite() && sd > 0.0) {
            return Err(invalid(
                "sd",
                format!("must be finite and positive, got {sd}"),
            ));
        }
        self.initial = InitialNormal { mean, sd };
        Ok(self)
    }

    /// The target.
    pub fn target(&self) -> &T {
        &self.target
    }
    /// The proposal increment's distribution, as the coupling used for the coupled step.
    pub fn proposal(&self) -> &ReflectionCoupling {
        &self.proposal
    }
    /// Dimension `d` of the state.
    pub fn dim(&self) -> usize {
        self.proposal.dim()
    }

    /// The state at `position` for this kernel's target (see [`RwmhState::new`]).
    ///
    /// # Errors
    /// As [`RwmhState::new`].
    pub fn initial_state(&self, position: Vec<f64>) -> Result<RwmhState> {
        RwmhState::new(&self.target, position)
    }

    fn check_state(&self, s: &RwmhState) -> Result<()> {
        check_dim(&self.target, s.position.len())
    }

    /// `log π(x')` at a proposal, rejecting NaN and `+∞` (`−∞` is a valid, always rejected, proposal).
    fn evaluate(&self, x: &[f64]) -> Result<f64> {
        let lp = self.target.log_density(x)?;
        if lp.is_nan() || lp == f64::INFINITY {
            return Err(CouplingError::NonFiniteLogWeight {
                index: 0,
                value: lp,
            });
        }
        Ok(lp)
    }
}

fn check_dim<T: LogDensity + ?Sized>(target: &T, found: usize) -> Result<()> {
    if found == target.dim() {
        Ok(())
    } else {
        Err(CouplingError::DimensionMismatch {
            what: "state dimension",
            expected: target.dim(),
            found,
        })
    }
}

/// Moves `state` to `proposal` when `log U < log π(proposal) − log π(state)`.
fn accept(state: &mut RwmhState, proposal: &[f64], log_density: f64, log_u: f64) {
    if log_u < log_density - state.log_density {
        state.position.copy_from_slice(proposal);
        state.log_density = log_density;
    }
}

impl<T: LogDensity> InitialLaw for Rwmh<T> {
    /// `X_0 ~ N(mean, sd² I)` as set by [`Rwmh::with_initial_normal`] (default `N(0, I)`).
    ///
    /// # Errors
    /// [`CouplingError::NonFiniteLogWeight`] when the target's log-density is not finite at the draw.
    fn sample_initial<R: Rng + ?Sized>(&self, rng: &mut R) -> Result<RwmhState> {
        let InitialNormal { mean, sd } = &self.initial;
        let position = mean
            .iter()
            .map(|m| m + sd * rng.sample::<f64, _>(rand_distr::StandardNormal))
            .collect();
        RwmhState::new(&self.target, position)
    }
}

impl<T: LogDensity> MarkovKernel for Rwmh<T> {
    type State = RwmhState;

    /// One random-walk MH step: draws `ξ ~ N(0, I)`, then `U`.
    ///
    /// # Errors
    /// [`CouplingError::DimensionMismatch`] for a state of the wrong dimension;
    /// [`CouplingError::NonFiniteLogWeight`] when the target returns NaN or `+∞` at the proposal.
    fn step<R: Rng + ?Sized>(&self, state: &mut RwmhState, rng: &mut R) -> Result<()> {
        self.check_state(state)?;
        let mut proposal = vec![0.0; self.dim()];
        self.proposal
            .sample_gaussian_into(&state.position, &mut proposal, rng)?;
        let lp = self.evaluate(&proposal)?;
        let log_u = rng.random::<f64>().ln();
        accept(state, &proposal, lp, log_u);
        Ok(())
    }
}

impl<T: LogDensity> CoupledKernel for Rwmh<T> {
    /// One coupled step: reflection-maximal proposals, one shared uniform for both acceptances.
    /// Returns `true` iff the positions are bit-identical afterwards.
    ///
    /// # Errors
    /// As [`MarkovKernel::step`], for either chain.
    fn coupled_step<R: Rng + ?Sized>(
        &self,
        x: &mut RwmhState,
        y: &mut RwmhState,
        rng: &mut R,
    ) -> Result<bool> {
        self.check_state(x)?;
        self.check_state(y)?;
        if move_as_one(x, y, |s| self.step(s, rng))? {
            return Ok(true);
        }
        let d = self.dim();
        let (mut px, mut py) = (vec![0.0; d], vec![0.0; d]);
        let same = self
            .proposal
            .sample_into(&x.position, &y.position, &mut px, &mut py, rng)?;
        let lpx = self.evaluate(&px)?;
        // Equal proposals share one evaluation, so equal positions always carry equal log-densities.
        let lpy = if same { lpx } else { self.evaluate(&py)? };
        let log_u = rng.random::<f64>().ln();
        accept(x, &px, lpx, log_u);
        accept(y, &py, lpy, log_u);
        Ok(x == y)
    }
}
