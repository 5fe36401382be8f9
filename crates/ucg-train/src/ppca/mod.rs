//! Gradient estimators for PPCA's log-likelihood on a batch, on identical footing: ELBO, IWAE, and the
//! coupled (unbiased) estimators with the C-ISIR and C-ISIR-DISIR kernels; and fitting the encoder.

mod baselines;
mod batched;
mod coupled;
mod fit;
mod meeting;
mod problem;
mod warmup;
mod windows;

pub use coupled::{CoupledKernelKind, CoupledSettings};
pub use fit::{FitReport, fit_encoder_iwae};
pub use problem::{BatchGradient, PpcaProblem};
pub use warmup::BetaWarmup;
