//! Annealed importance sampling with HMC transitions (described in the [`eval`](crate::eval) module
//! documentation).

use super::ais_settings::AisSettings;
use super::annealed::AnnealedBatch;
use super::estimates::PointEstimates;
use super::hmc::hmc_transition;
use super::log_mean_exp::LogMeanExp;
use super::points::check_points;
use super::progress::{ProgressCounter, ProgressHook};
use super::step_size::{StepSizeAdaptation, StepSizeController};
use crate::error::Result;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use ucg_estimators::seeding::{StreamRng, stream};
use ucg_models::LatentModel;

/// Diagnostics of one point's AIS run.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct AisPointDiagnostics {
    /// The Monte Carlo standard error of the point's estimate from the spread of its chains' weights
    /// (delta method: `sd(w) / (√C · mean(w))`); `None` with a single chain. Small values mean the chains
    /// agree; a value near or above 1 means the estimate is dominated by one chain and more annealing
    /// steps are needed.
    pub monte_carlo_error: Option<f64>,
    /// The estimating chains' mean HMC acceptance probability over all transitions; `None` when the
    /// schedule has a single step (no transition).
    pub mean_acceptance: Option<f64>,
    /// The step size after the last adaptation (the last transition's, with [`StepSizeAdaptation::Fixed`]).
    pub final_step_size: f64,
}

/// The result of [`ais`]: per-point estimates of `log p(x)` and per-point diagnostics (same order).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AisEstimates {
    /// Per-point estimates, their mean and standard error over points.
    pub estimates: PointEstimates,
    /// One entry per point, in the order of [`PointEstimates::points`].
    pub diagnostics: Vec<AisPointDiagnostics>,
}

/// Transitions between two progress reports of a batch.
const PROGRESS_EVERY: usize = 64;

/// Estimates `log p(x_n)` by annealed importance sampling for each `n` in `points` (see the [module
/// documentation](crate::eval#annealed-importance-sampling)). Progress is counted in annealing steps of a point (`points.len() · T` in all).
///
/// # Errors
/// No points, an index out of range, or a model error (a failure other than a divergent HMC trajectory,
/// which is rejected).
///
/// # Example
/// ```
/// use nalgebra::DMatrix;
/// use ucg_models::ppca::{Ppca, PpcaLatentModel};
/// use ucg_train::eval::{AisSettings, SigmoidSchedule, ais};
///
/// let model = Ppca::random(2, 5, 0.5, 1)?;
/// let encoder = model.posterior_encoder(1.2)?;
/// let x = DMatrix::from_fn(5, 3, |i, j| (i as f64 - j as f64) / 4.0);
/// let bound = PpcaLatentModel::new(&model, &encoder, &x)?;
/// let settings = AisSettings::paper().with_schedule(SigmoidSchedule::new(200, 4.0)?);
/// let result = ais(&bound, &[0, 1, 2], &settings, 7, None)?;
/// let exact = bound.exact_log_likelihood();
/// for (estimate, exact) in result.estimates.values().iter().zip(exact) {
///     assert!((estimate - exact).abs() < 0.1);
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn ais<M: LatentModel + ?Sized>(
    model: &M,
    points: &[usize],
    settings: &AisSettings,
    seed: u64,
    progress: Option<ProgressHook<'_>>,
) -> Result<AisEstimates> {
    check_points(model, points)?;
    let betas = settings.schedule().betas();
    let total = (points.len() as u64).saturating_mul(betas.len() as u64 - 1);
    let counter = ProgressCounter::new(total, progress);
    let blocks: Vec<Result<Vec<(f64, AisPointDiagnostics)>>> = points
        .par_chunks(settings.points_per_batch())
        .map(|block| ais_block(model, block, settings, &betas, seed, &counter))
        .collect();
    let mut values = Vec::with_capacity(points.len());
    let mut diagnostics = Vec::with_capacity(points.len());
    for block in blocks {
        for (value, diag) in block? {
            values.push(value);
            diagnostics.push(diag);
        }
    }
    Ok(AisEstimates {
        estimates: PointEstimates::new(points.to_vec(), values)?,
        diagnostics,
    })
}

/// AIS for one batch of points; see [`ais`].
fn ais_block<M: LatentModel + ?Sized>(
    model: &M,
    points: &[usize],
    settings: &AisSettings,
    betas: &[f64],
    seed: u64,
    counter: &ProgressCounter<'_>,
) -> Result<Vec<(f64, AisPointDiagnostics)>> {
    let chains = settings.chains();
    let adaptation = settings.adaptation();
    // Each point's columns: its estimating chains first, then its pilot chains.
    let copies = chains + adaptation.pilot_chains();
    let batch = AnnealedBatch::new(model, points, copies, settings.start())?;
    let mut rngs: Vec<StreamRng> = points.iter().map(|&n| stream(seed, n as u64)).collect();
    let mut current = batch.sample_start(&mut rngs)?;
    let mut proposal = current.clone();
    let mut controllers =
        vec![
            StepSizeController::new(settings.initial_step_size(), settings.target_acceptance());
            points.len()
        ];
    let mut log_w = vec![0.0; batch.len()];
    let mut acceptance_sum = vec![0.0; points.len()];
    let steps = betas.len() - 1;
    let mut reported = 0;
    for t in 1..=steps {
        let d_beta = betas[t] - betas[t - 1];
        for (j, w) in log_w.iter_mut().enumerate() {
            *w += d_beta * (current.log_p[j] - current.log_base[j]);
        }
        if t < steps {
            let step_sizes: Vec<f64> = controllers.iter().map(|c| c.step_size()).collect();
            let accepted = hmc_transition(
                &batch,
                &mut current,
                &mut proposal,
                betas[t],
                &step_sizes,
                settings.leapfrog_steps(),
                &mut rngs,
            )?;
            for (i, controller) in controllers.iter_mut().enumerate() {
                let own = &accepted[i * copies..(i + 1) * copies];
                let (estimating, pilot) = own.split_at(chains);
                acceptance_sum[i] += estimating.iter().sum::<f64>() / chains as f64;
                match adaptation {
                    StepSizeAdaptation::Fixed => {}
                    StepSizeAdaptation::Pilot { .. } => controller.update(pilot),
                    StepSizeAdaptation::Online => controller.update(estimating),
                }
            }
        }
        if t % PROGRESS_EVERY == 0 || t == steps {
            counter.advance(((t - reported) * points.len()) as u64);
            reported = t;
        }
    }
    let transitions = steps - 1;
    Ok((0..points.len())
        .map(|i| {
            let own = &log_w[i * copies..i * copies + chains];
            let mut acc = LogMeanExp::new();
            own.iter().for_each(|&w| acc.push(w));
            let diag = AisPointDiagnostics {
                monte_carlo_error: relative_weight_error(own),
                mean_acceptance: (transitions > 0).then(|| acceptance_sum[i] / transitions as f64),
                final_step_size: controllers[i].step_size(),
            };
            (acc.value(), diag)
        })
        .collect())
}

/// `sd(w) / (√C · mean(w))` from log-weights, computed on weights rescaled by their maximum.
fn relative_weight_error(log_w: &[f64]) -> Option<f64> {
    if log_w.len() < 2 {
        return None;
    }
    let max = log_w.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let w: Vec<f64> = log_w.iter().map(|l| (l - max).exp()).collect();
    let c = w.len() as f64;
    let mean = w.iter().sum::<f64>() / c;
    let var = w.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (c - 1.0);
    Some(var.sqrt() / (c.sqrt() * mean))
}
