//! Latent-variable models for unbiased gradient estimation.
//!
//! - [`ppca`]: probabilistic PCA `p(x, z) = N(z; 0, I_D) N(x; θ0 + θ1ᵀ z, σ² I_P)`, the project's exact
//!   check: closed-form log-likelihood, gradient and posterior (through `D × D` Woodbury / Cholesky
//!   algebra, never a `P × P` inverse), `O(D²)` per-particle log-joint, and gradient accumulation from
//!   weighted particles through sufficient statistics.
//! - [`encoder`]: the diagonal Gaussian encoder `q_φ(z | x)` with mean and log-scale linear in `x`,
//!   reparameterised sampling, and the doubly-reparameterised (DReG) IWAE gradient.
//! - [`vae`]: the MLP VAE on binary images (Bernoulli decoder), hand-written forward and backward passes
//!   batched over all particles of a minibatch, DReG encoder gradients, parameter files.
//! - [`gemm`]: the one matrix-product routine the neural models use; [`real`]: `f32` / `f64` for them.
//!
//! Data points are columns: a batch of `N` points of dimension `P` is a `P × N` matrix, and a set of `K`
//! particles is a `D × K` matrix, one particle per column.
//!
//! The glue to the kernels of `ucg-couplings` lives here: [`ppca::PpcaTarget`] implements
//! [`ucg_couplings::ImportanceTarget`] for one data point (log-weights `log p(x, z) − log q(z | x)` of a
//! whole proposal set in noise coordinates).
//!
//! # Example
//! ```
//! use nalgebra::DMatrix;
//! use ucg_models::ppca::Ppca;
//!
//! let model = Ppca::random(3, 8, 0.1, 7)?;            // D = 3, P = 8, σ² = 0.1, seed 7
//! let x = DMatrix::from_fn(8, 5, |i, j| ((i + j) % 2) as f64);
//! let ll = model.log_likelihood(&x)?;                  // Σ_n log p(x_n), exact
//! let grad = model.log_likelihood_gradient(&x)?;       // exact ∇θ Σ_n log p(x_n)
//! assert!(ll.is_finite() && grad.theta1.nrows() == 3);
//! # Ok::<(), ucg_models::ModelError>(())
//! ```

pub mod encoder;
pub mod error;
pub mod gemm;
pub mod latent;
pub mod ppca;
pub mod real;
pub mod vae;

pub use error::{ModelError, Result};
pub use latent::{LatentModel, check_log_joint_args};
