//! A variational auto-encoder on binary images, written without a deep-learning framework: small MLPs
//! with hand-written forward and backward passes over batched column-major matrices, one GEMM per layer
//! for all particles of all points of a minibatch.
//!
//! - [`model`]: the model ([`Vae`], [`VaeShape`]), log-joint, log-proposal, the decoder gradient for any
//!   (point, latent, coefficient) triples, `∇_z log p(x, z)`, and the IWAE-style step
//!   ([`Vae::particles`] then [`Vae::backward`]) with the encoder's DReG gradient.
//! - [`mlp`]: dense layers with ReLU, their backward pass, torch-style initialisation.
//! - [`bound`]: one data point as an importance target; the model bound to data for evaluation.
//! - [`batched`]: a minibatch as a batched importance target (all proposal sets in one decoder call).
//! - [`file`]: saving and loading parameters (versioned, checksummed).
//!
//! **Initialisation.** Every weight and bias is uniform on `±1/√fan_in`, as torch's `nn.Linear` does by
//! default and as the outside JAX peer does.
//!
//! # Example
//! ```
//! use ucg_models::vae::{Vae, VaeShape, VaeWorkspace};
//!
//! let vae = Vae::<f32>::new(VaeShape::new(16, 8, 2)?, 1);
//! let (batch, k) = (3, 4);
//! let x: Vec<f32> = (0..16 * batch).map(|i| (i % 3 == 0) as u8 as f32).collect();
//! let noise: Vec<f32> = (0..2 * batch * k).map(|i| (i as f32 * 0.37).sin()).collect();
//! let mut ws = VaeWorkspace::new();
//! let log_w = vae.particles(&x, batch, k, &noise, &mut ws)?.to_vec();
//! // IWAE: θ-coefficients are the normalised weights of each point (here left uniform for brevity).
//! let coeffs = vec![1.0 / k as f32; batch * k];
//! let mut theta = vec![0.0; vae.decoder_params().len()];
//! let mut phi = vec![0.0; vae.encoder_params().len()];
//! vae.backward(&x, &coeffs, 1.0, &mut theta, &mut phi, &mut ws)?;
//! assert!(log_w.iter().all(|v| v.is_finite()));
//! # Ok::<(), ucg_models::ModelError>(())
//! ```

pub mod batched;
pub mod bound;
pub mod file;
pub mod mlp;
pub mod model;

pub use batched::VaeBatchTarget;
pub use bound::{VaeOnData, VaePointTarget};
pub use model::{
    Vae, VaeShape, VaeWorkspace, bernoulli_log_likelihood, bernoulli_log_likelihood_and_gradient,
};
