//! Training and gradient estimation for latent-variable models.
//!
//! - [`optim`]: RMSProp and Adam on flat parameter vectors.
//! - [`ppca`]: the four gradient estimators of the PPCA experiment on one footing — ELBO, IWAE, and the
//!   unbiased coupled estimators C-ISIR and C-ISIR-DISIR ([`ppca::PpcaProblem`]) — and fitting PPCA's
//!   linear Gaussian encoder on the IWAE bound with DReG gradients.
//! - [`eval`]: test log-likelihood of any [`ucg_models::LatentModel`] by the IWAE-k bound and by annealed
//!   importance sampling with HMC.
//! - [`memory`]: the bound on the memory a setting may ask for, checked before allocating.
//! - [`vae`]: training the MLP VAE (ELBO / IWAE θ-estimators behind a trait, DReG encoder, RMSProp or
//!   Adam, checkpoints and resume).
//!
//! # Example: an unbiased gradient next to the exact one
//! ```
//! use nalgebra::DMatrix;
//! use ucg_estimators::LagSettings;
//! use ucg_models::ppca::Ppca;
//! use ucg_train::ppca::{CoupledKernelKind, CoupledSettings, PpcaProblem};
//!
//! let model = Ppca::random(3, 10, 0.1, 1)?;
//! let encoder = model.posterior_encoder(1.2)?;
//! let x = DMatrix::from_fn(10, 4, |i, j| ((i * j) % 3 == 0) as u8 as f64);
//! let problem = PpcaProblem::new(&model, &encoder, &x)?;
//! let settings = CoupledSettings {
//!     kernel: CoupledKernelKind::IsirDisir { beta: 0.5 },
//!     k: 10,
//!     lag: LagSettings::paper(1, 10, 1000)?,
//! };
//! let estimate = problem.coupled_gradient(&settings, 7)?;
//! let exact = problem.exact_gradient()?;
//! assert_eq!(estimate.gradient.len(), exact.len());
//! assert_eq!(estimate.totals().capped, 0);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod error;
pub mod eval;
pub mod memory;
pub mod optim;
pub mod ppca;
pub mod vae;

pub use error::{Result, TrainError};
