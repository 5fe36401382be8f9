//! Unbiased estimators from coupled Markov chains.
//!
//! - [`run_lagged`]: the lagged coupling estimator `H_{k:m}` of Jacob, O'Leary & Atchadé (2020) for any lag
//!   `L`, generic over a [`ucg_couplings::CoupledKernel`]; `h` reaches a sink as (state, coefficient)
//!   terms so a linear `h` can be accumulated as sufficient statistics ([`estimate_vector`] materialises a
//!   vector-valued `h`). [`LagSettings::paper`] is the special case of Ruiz et al. (2021).
//! - [`meeting`]: meeting-time draws and total-variation bounds (Biswas, Jacob & Vanetti 2019);
//!   [`meeting_counts`]: meeting times of many runs as mergeable counts, with quantiles and the survival curve.
//! - [`baselines`]: ELBO / IWAE importance sets and single-chain time averages; [`sumo`]: SUMO, the
//!   Russian-roulette unbiased estimator of `log p(x)` and its gradient (Luo et al. 2020).
//! - [`batch`]: one pair of chains per data point, in parallel; [`batched`]: the same, advancing all
//!   unfinished points together with one batched target evaluation per (D)ISIR sub-step; [`replicates`]: independent replicates;
//!   both seeded per unit ([`seeding`]) so that results do not depend on the number of threads.
//! - [`summary`]: means, standard errors, z-scores, Bonferroni bounds, meeting-time quantiles;
//!   [`beta`]: β adaptation between runs.
//! - [`efficiency`]: values with standard errors, inefficiency (variance × cost), paired ratios,
//!   robust means, break-even budgets; [`cost`]: a lagged run's cost from its meeting time, the expected
//!   cost of any cap, the cap for a truncation budget.
//!
//! # Example: an unbiased estimate of `E_π[ξ]` on a toy importance target
//! ```
//! use nalgebra::DMatrix;
//! use ucg_couplings::{ImportanceTarget, isir::IsirDisir};
//! use ucg_estimators::{LagSettings, estimate_vector, seeding::stream};
//!
//! /// π(ξ) ∝ w(ξ) N(ξ; 0, 1) with log w(ξ) = ξ − ½, i.e. π = N(1, 1).
//! struct Shifted;
//! impl ImportanceTarget for Shifted {
//!     fn noise_dim(&self) -> usize { 1 }
//!     fn log_weights(&self, noise: &DMatrix<f64>, out: &mut [f64]) -> ucg_couplings::Result<()> {
//!         for (o, col) in out.iter_mut().zip(noise.column_iter()) { *o = col[0] - 0.5; }
//!         Ok(())
//!     }
//! }
//!
//! let kernel = IsirDisir::new(Shifted, 5, 0.5)?;
//! let settings = LagSettings::paper(1, 3, 1000)?;
//! let mut rng = stream(42, 0);
//! // h(ξ_{1:K}, ℓ) = Σ_k w̃_k ξ_k, whose expectation under the extended target is E_π[ξ] = 1.
//! let h = |s: &ucg_couplings::isir::IsirState, out: &mut [f64]| {
//!     out[0] = s.weights().iter().zip(s.noise().iter()).map(|(w, x)| w * x).sum();
//!     Ok(())
//! };
//! // Both chains start from the kernel's initial law (ξ_k ~ N(0, I), ℓ uniform).
//! let est = estimate_vector(&kernel, h, 1, &settings, &mut rng)?;
//! assert!(!est.run.capped && est.value()[0].is_finite());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod baselines;
#[cfg(feature = "rayon")]
pub mod batch;
#[cfg(feature = "rayon")]
pub mod batched;
pub mod beta;
pub mod cost;
pub mod efficiency;
pub mod error;
pub mod estimator_kind;
pub mod lagged;
pub mod meeting;
pub mod meeting_counts;
pub mod pilot;
#[cfg(feature = "rayon")]
pub mod replicates;
pub mod sumo;

/// The workspace README's library quick-start, compiled and run as a doc test so that it cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeQuickStart;
/// Deterministic streams ([`ucg_rng`], re-exported): unit `i` under `seed` always gets `stream(seed, i)`.
pub use ucg_rng as seeding;
pub mod summary;

pub use error::{EstimatorError, Result};
pub use estimator_kind::EstimatorKind;
pub use lagged::{
    Event, LagSettings, LaggedRun, Part, VectorEstimate, estimate_vector, run_lagged,
};
