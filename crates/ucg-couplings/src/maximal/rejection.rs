//! The maximal coupling of any two distributions that can be sampled and whose densities can be
//! evaluated, by the rejection construction (Thorisson 2000; Jacob, O'Leary & Atchadé 2020, §4.1).
//!
//! With `p` and `q` densities with respect to a common measure:
//!
//! 1. draw `X ~ p` and `U ~ Uniform[0, 1)`; if `U · p(X) ≤ q(X)`, return `(X, X)`;
//! 2. otherwise draw `Y* ~ q` and `U* ~ Uniform[0, 1)` until `U* · q(Y*) > p(Y*)`, and return `(X, Y*)`.
//!
//! Step 1 accepts `X` with probability `min(1, q/p)(X)`, so the pair is equal with probability
//! `∫ min(p, q) = 1 − TV(p, q)`, the largest value any coupling can reach. The draw kept in step 2 has
//! density `(q − p)₊ / TV` and `Y` is therefore exactly `q`-distributed. Every comparison is done in logs.
//!
//! Cost: one draw from `p`, then with probability `TV` a geometric number of draws from `q` with mean
//! `1 / TV`, so **two draws in expectation** (and about four density evaluations), whatever `p` and `q` are.
//! The tail of the loop is heavy when `TV` is tiny, but it is only entered with probability `TV`.
//!
//! # Design
//! A distribution takes part through the [`SampleLogDensity`] trait, which extends `rand`'s
//! [`Distribution`] with a log-density: anything that can already be sampled the `rand` way only needs
//! `log_density`. The two distributions may be of different types as long as they share a value type.
//! The trait is implemented for [`rand_distr::Normal<f64>`].

use crate::error::{CouplingError, Result, invalid};
use rand::{Rng, RngExt};
use rand_distr::{Distribution, Normal};

/// A distribution on values of type `T` that can be sampled (through [`Distribution`]) and whose
/// log-density `log p(x)` (with respect to a reference measure shared with the distribution it is coupled
/// with, e.g. Lebesgue or counting measure) can be evaluated.
///
/// The density may be unnormalised **only if** the other distribution of a coupling carries the same
/// constant: the rejection construction compares `p(x)` with `q(x)`, so both must be normalised for the
/// result to be a maximal coupling of `p` and `q`.
pub trait SampleLogDensity<T>: Distribution<T> {
    /// `log p(x)`; `−∞` outside the support. NaN and `+∞` are treated as errors by the couplings.
    fn log_density(&self, x: &T) -> f64;
}

impl<T, D: SampleLogDensity<T> + ?Sized> SampleLogDensity<T> for &D {
    fn log_density(&self, x: &T) -> f64 {
        (**self).log_density(x)
    }
}

/// `log N(x; μ, σ²) = −(x − μ)² / (2σ²) − log σ − ½ log 2π`.
impl SampleLogDensity<f64> for Normal<f64> {
    fn log_density(&self, x: &f64) -> f64 {
        let z = (x - self.mean()) / self.std_dev();
        -0.5 * z * z - self.std_dev().ln() - 0.5 * (2.0 * std::f64::consts::PI).ln()
    }
}

/// One draw `(X, Y)` from a maximal coupling, with its cost.
#[derive(Clone, Debug, PartialEq)]
pub struct RejectionDraw<T> {
    /// `X ~ p`.
    pub x: T,
    /// `Y ~ q`; a clone of `x` when `met`.
    pub y: T,
    /// Whether the coupling returned the common draw `X = Y` (step 1 accepted). Under a maximal coupling
    /// of `p ≠ q` the two steps produce values in the disjoint sets `{p > q}` and `{q > p}`, so this is
    /// exactly the event `X = Y`.
    pub met: bool,
    /// Number of draws made in total: 1 from `p`, plus the number of `q` proposals of step 2
    /// (so `1` when `met`). Its expectation is 2 whenever `p ≠ q`.
    pub proposals: usize,
}

/// The rejection construction of the maximal coupling, with a cap on the number of `q` proposals of
/// step 2 (see the [module documentation](self)).
///
/// The cap is a safety net against inconsistent inputs (a log-density that does not match its sampler,
/// or that is `−∞` wherever `q` puts mass), which would otherwise loop forever. For consistent inputs the
/// probability of hitting a cap of `n` is `TV · (1 − TV)ⁿ ≤ 1 / (e n)`, whatever `TV` is; the default cap
/// [`RejectionCoupling::DEFAULT_MAX_TRIALS`] makes this below `4 · 10⁻⁸` per draw.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RejectionCoupling {
    max_trials: usize,
}

impl Default for RejectionCoupling {
    fn default() -> Self {
        Self::new()
    }
}

impl RejectionCoupling {
    /// Default cap on the number of `q` proposals in step 2: `10⁷`.
    pub const DEFAULT_MAX_TRIALS: usize = 10_000_000;

    /// The coupling with the default cap [`RejectionCoupling::DEFAULT_MAX_TRIALS`].
    pub fn new() -> Self {
        RejectionCoupling {
            max_trials: Self::DEFAULT_MAX_TRIALS,
        }
    }

    /// The coupling with at most `max_trials` proposals from `q` in step 2
    /// (`usize::MAX` effectively removes the cap).
    ///
    /// # Errors
    /// [`CouplingError::InvalidParameter`] if `max_trials == 0`.
    pub fn with_max_trials(max_trials: usize) -> Result<Self> {
        if max_trials == 0 {
            return Err(invalid("max_trials", "must be at least 1, got 0"));
        }
        Ok(RejectionCoupling { max_trials })
    }

    /// The cap on the number of `q` proposals in step 2.
    pub fn max_trials(&self) -> usize {
        self.max_trials
    }

    /// Draws `(X, Y)` with `X ~ p`, `Y ~ q` and `P(X = Y) = 1 − TV(p, q)`.
    ///
    /// When `p` and `q` are the same distribution, step 1 accepts with probability one and the result is
    /// `(X, X)` after a single draw.
    ///
    /// # Errors
    /// - [`CouplingError::NonFiniteLogWeight`] when a log-density evaluates to NaN or `+∞`
    ///   (`index` 0 for `p`, 1 for `q`);
    /// - [`CouplingError::InvalidParameter`] (`max_trials`) when step 2 has made `max_trials` proposals
    ///   without accepting one.
    ///
    /// # Example
    /// ```
    /// use rand::SeedableRng;
    /// use rand_distr::Normal;
    /// use ucg_couplings::maximal::rejection::RejectionCoupling;
    ///
    /// let (p, q) = (Normal::new(0.0, 1.0).unwrap(), Normal::new(0.5, 1.0).unwrap());
    /// let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(7);
    /// let coupling = RejectionCoupling::new();
    /// let n = 10_000;
    /// let mut equal = 0;
    /// for _ in 0..n {
    ///     let draw = coupling.sample(&p, &q, &mut rng)?;
    ///     assert_eq!(draw.met, draw.x == draw.y);
    ///     equal += usize::from(draw.met);
    /// }
    /// // P(X = Y) = 2Φ(−0.25) ≈ 0.803.
    /// assert!((equal as f64 / n as f64 - 0.803).abs() < 0.02);
    /// # Ok::<(), ucg_couplings::CouplingError>(())
    /// ```
    pub fn sample<T, P, Q, R>(&self, p: &P, q: &Q, rng: &mut R) -> Result<RejectionDraw<T>>
    where
        T: Clone,
        P: SampleLogDensity<T> + ?Sized,
        Q: SampleLogDensity<T> + ?Sized,
        R: Rng + ?Sized,
    {
        let x = p.sample(rng);
        let log_p_x = checked(p.log_density(&x), 0)?;
        let log_q_x = checked(q.log_density(&x), 1)?;
        let log_u = rng.random::<f64>().ln();
        if log_u + log_p_x <= log_q_x {
            return Ok(RejectionDraw {
                y: x.clone(),
                x,
                met: true,
                proposals: 1,
            });
        }
        for trial in 1..=self.max_trials {
            let y = q.sample(rng);
            let log_q_y = checked(q.log_density(&y), 1)?;
            let log_p_y = checked(p.log_density(&y), 0)?;
            let log_u = rng.random::<f64>().ln();
            if log_u + log_q_y > log_p_y {
                return Ok(RejectionDraw {
                    x,
                    y,
                    met: false,
                    proposals: 1 + trial,
                });
            }
        }
        Err(invalid(
            "max_trials",
            format!(
                "no proposal from q accepted after {} trials: the log-densities are inconsistent with \
                 the samplers, or TV(p, q) is far below 1/max_trials",
                self.max_trials
            ),
        ))
    }
}

/// Draws from the maximal coupling of `p` and `q` with the default [`RejectionCoupling`].
///
/// # Errors
/// As [`RejectionCoupling::sample`].
pub fn maximal_coupling<T, P, Q, R>(p: &P, q: &Q, rng: &mut R) -> Result<RejectionDraw<T>>
where
    T: Clone,
    P: SampleLogDensity<T> + ?Sized,
    Q: SampleLogDensity<T> + ?Sized,
    R: Rng + ?Sized,
{
    RejectionCoupling::new().sample(p, q, rng)
}

fn checked(value: f64, index: usize) -> Result<f64> {
    if value.is_nan() || value == f64::INFINITY {
        Err(CouplingError::NonFiniteLogWeight { index, value })
    } else {
        Ok(value)
    }
}
