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
//! # The IWAE bound
//!
//! The importance-weighted bound `L_k(x) = E[log (1/k) Σ_j p(x, z_j) / q(z_j | x)]`, `z_j ~ q(z | x)`
//! (Burda et al. 2016), estimated with one draw of the `k` samples per point.
//!
//! `L_k ≤ log p(x)` and `L_k` increases with `k` towards `log p(x)`; with `k = 5,000` it is the common
//! cheap substitute for AIS. The samples of a point are drawn and evaluated in chunks, so memory stays
//! bounded whatever `k`: a chunk has at most `batch_columns` columns, filled with the samples of several
//! points when `k` is small. Batches run in parallel (rayon); point `n`'s samples come from the stream
//! `(seed, n)` in order, so the result does not depend on the number of threads or on the chunking.
//!
//! # Annealed importance sampling
//!
//! Neal (2001), with HMC transitions, as used by Wu et al. (2017) and the paper. For each point, `C` chains start from `z_0 ~ q0` (the encoder or the prior, [`AisStart`]) and pass
//! through `f_t(z) = q0(z)^{1−β_t} p(x, z)^{β_t}` along the schedule `0 = β_0 < … < β_T = 1`. Chain `c`
//! accumulates `log w_c = Σ_{t=1}^{T} (β_t − β_{t−1}) [log p(x, z_{t−1}) − log q0(z_{t−1})]`, moving
//! `z_{t−1} → z_t` by one HMC transition leaving `f_t` invariant for `t < T` (a transition at `β_T`
//! would not change any weight, so it is skipped). Each `w_c` is an unbiased estimate of `p(x)` (`q0` is
//! normalised), and the point's estimate is `log (1/C) Σ_c w_c` — a stochastic lower bound on `log p(x)`
//! in expectation, by Jensen's inequality.
//!
//! All chains of `points_per_batch` points form one batch: each leapfrog step is one
//! [`ucg_models::LatentModel::log_joint`] call on a `D × (points · chains)` matrix. Batches run in parallel (rayon);
//! point `n`'s randomness is the stream `(seed, n)` ([`ucg_estimators::seeding::stream`]), so results do
//! not depend on the number of threads, and a point's estimate does not depend on which other points are
//! evaluated alongside it.
//!
//! # Step-size adaptation without bias
//!
//! AIS estimates `p(x)` without bias when transition `t` leaves `f_{β_t}` invariant and is chosen
//! independently of the chains whose weights are averaged. A step size tuned on those same chains'
//! acceptances (as in Wu et al. 2017) makes transition `t` depend on the chains' own past, and the
//! unbiasedness argument (`E[w_t φ(z_t)] = Z_t E_{π_t}[φ]` by induction over `t`) no longer applies,
//! although the bias is small in practice. The default, [`StepSizeAdaptation::Pilot`], therefore runs a few
//! extra *pilot* chains alongside the estimating ones, in the same batch: the step size of transition `t`
//! is a function of the pilot chains' acceptances at transitions `< t` only, and the pilot chains' weights
//! are discarded. The estimating chains then see a sequence of step sizes independent of them, and their
//! weights are exactly unbiased, for the price of the pilot chains' evaluations (4 pilot chains next to
//! 16 estimating ones by default: 25% more work). [`StepSizeAdaptation::Online`] adapts on the estimating
//! chains as Wu et al. do, and [`StepSizeAdaptation::Fixed`] does not adapt. The rule, per point: an
//! exponential moving average of the mean acceptance probability of the adapting chains, and the step
//! size multiplied by 1.02 when that average exceeds the target (0.65 by default), by 0.98 otherwise.
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
