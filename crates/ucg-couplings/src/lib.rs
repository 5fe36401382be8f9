//! Markov kernels and couplings for unbiased MCMC.
//!
//! This crate knows nothing about gradients or models: it provides
//! - the [`MarkovKernel`] and [`CoupledKernel`] traits (state and RNG passed in, never owned);
//! - targets: [`LogDensity`] and, for the importance-sampling family, [`ImportanceTarget`], which
//!   evaluates a whole proposal set of particles in one call, and [`BatchedImportanceTarget`], which
//!   evaluates the sets of many data points in one call;
//! - maximal couplings of two distributions ([`maximal`]): categorical (Lindvall), generic rejection,
//!   reflection-maximal Gaussian;
//! - kernels and their couplings: ISIR / DISIR / ISIR-DISIR ([`isir`], also cut into propose / evaluate /
//!   complete pieces so that a driver can advance many chains with one batched evaluation), PIMH ([`pimh`]) and random-walk
//!   Metropolis-Hastings ([`rwmh`]), each with its initial law ([`InitialLaw`], replaceable with
//!   [`WithInitial`]) and a count of the target evaluations it made ([`CountingTarget`]);
//! - [`move_as_one`], the sticky part of any coupled step, for kernels written elsewhere;
//! - errors of user code travel through as [`CouplingError::Source`].
//!
//! A coupled kernel reports meeting exactly (bit-identical states), and chains that have met stay
//! together, which is what the lagged coupling estimator of `ucg-estimators` needs.
//!
//! # Example: two coupled ISIR-DISIR chains meet
//! ```
//! use nalgebra::DMatrix;
//! use rand::SeedableRng;
//! use ucg_couplings::{CoupledKernel, ImportanceTarget, InitialLaw, isir::IsirDisir};
//!
//! /// Target ∝ N(ξ; 1, I) written as w(ξ) N(ξ; 0, I), i.e. log w(ξ) = Σ_d ξ_d − D/2.
//! struct Shifted(usize);
//! impl ImportanceTarget for Shifted {
//!     fn noise_dim(&self) -> usize { self.0 }
//!     fn log_weights(&self, noise: &DMatrix<f64>, out: &mut [f64]) -> ucg_couplings::Result<()> {
//!         for (o, col) in out.iter_mut().zip(noise.column_iter()) {
//!             *o = col.sum() - 0.5 * self.0 as f64;
//!         }
//!         Ok(())
//!     }
//! }
//!
//! let kernel = IsirDisir::new(Shifted(2), 10, 0.5)?;
//! let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(42);
//! let (mut x, mut y) = (kernel.sample_initial(&mut rng)?, kernel.sample_initial(&mut rng)?);
//! let mut steps = 0;
//! while !kernel.coupled_step(&mut x, &mut y, &mut rng)? {
//!     steps += 1;
//! }
//! assert_eq!(x, y);
//! println!("met after {} coupled steps", steps + 1);
//! # Ok::<(), ucg_couplings::CouplingError>(())
//! ```

mod batched_target;
mod counting;
pub mod error;
mod initial;
pub mod isir;
pub mod kernel;
pub mod maximal;
mod particles;
pub mod pimh;
pub mod rwmh;
pub mod target;
pub mod weights;

pub use batched_target::{BatchedImportanceTarget, PointTarget, SetRequest, check_requests};
pub use counting::CountingTarget;
pub use error::{CouplingError, Result};
pub use initial::WithInitial;
pub use kernel::{CoupledKernel, InitialLaw, MarkovKernel, move_as_one};
pub use target::{ImportanceTarget, LogDensity};
