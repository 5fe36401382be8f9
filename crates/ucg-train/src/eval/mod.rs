//! Evaluation of a latent-variable model's test log-likelihood, generic over [`ucg_models::LatentModel`]:
//!
//! - [`iwae_bound`]: the importance-weighted bound with `k` samples from the encoder (default 5,000), a
//!   lower bound on `log p(x)` that rises with `k`;
//! - [`ais`]: annealed importance sampling from the encoder (or the prior) to the posterior with HMC
//!   transitions on a [`SigmoidSchedule`], the step size adapted towards a target acceptance
//!   ([`StepSizeAdaptation`]), as the paper reports (16 chains, 10,000 distributions, 10 leapfrog steps).
//!
//! Both return one estimate per point ([`PointEstimates`]: values, mean, standard error over points),
//! parallelise over points with rayon, give identical results for a seed whatever the number of threads
//! (point `n` uses the random stream `(seed, n)`), batch many (point, latent) pairs into each
//! [`ucg_models::LatentModel::log_joint`] call, and report progress through an optional hook
//! ([`ProgressHook`]) instead of printing.
//!
//! # Example: both estimators against PPCA's exact log-likelihood
//! ```
//! use nalgebra::DMatrix;
//! use ucg_models::ppca::{Ppca, PpcaLatentModel};
//! use ucg_train::eval::{AisSettings, IwaeSettings, SigmoidSchedule, ais, iwae_bound};
//!
//! let model = Ppca::random(2, 6, 0.3, 4)?;
//! let encoder = model.posterior_encoder(1.3)?;
//! let x = DMatrix::from_fn(6, 4, |i, j| ((i * j) % 3) as f64 / 3.0);
//! let bound = PpcaLatentModel::new(&model, &encoder, &x)?;
//! let points = [0, 1, 2, 3];
//! let exact: f64 = bound.exact_log_likelihood().iter().sum::<f64>() / 4.0;
//!
//! let iwae = iwae_bound(&bound, &points, &IwaeSettings::new(1000)?, 1, None)?;
//! let settings = AisSettings::paper().with_schedule(SigmoidSchedule::new(300, 4.0)?);
//! let annealed = ais(&bound, &points, &settings, 1, None)?;
//! assert!((iwae.mean() - exact).abs() < 0.05);
//! assert!((annealed.estimates.mean() - exact).abs() < 0.05);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod ais;
mod ais_settings;
mod annealed;
mod estimates;
mod hmc;
mod iwae_bound;
mod log_mean_exp;
mod points;
mod progress;
mod schedule;
mod step_size;

pub use ais::{AisEstimates, AisPointDiagnostics, ais};
pub use ais_settings::AisSettings;
pub use annealed::AisStart;
pub use estimates::PointEstimates;
pub use iwae_bound::{IwaeSettings, iwae_bound};
pub use progress::{Progress, ProgressHook};
pub use schedule::SigmoidSchedule;
pub use step_size::StepSizeAdaptation;
