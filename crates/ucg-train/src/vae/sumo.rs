//! SUMO's unbiased θ-gradient for the VAE ([`ucg_estimators::sumo`]): per point `b`, `m + N_b` particles
//! from the encoder's proposal, `N_b` drawn from the Russian roulette, and
//! `Σ_i c_{bi} ∇_θ log p(x_b, z_{bi})` with SUMO's coefficients.
//!
//! In training, `m` is the run's `K`, so a SUMO step is an IWAE-`K` gradient plus a random correction that
//! removes its bias; the expected cost is `K + E[N]` particles per point (about `K + 5` with
//! [`default_survival`]) against the coupled estimator's hundreds. The encoder is still trained by IWAE
//! with DReG on the step's shared particles, as for every estimator here (Luo et al. instead train it to
//! reduce SUMO's variance).

use super::coupled::{PointTerms, decoder_gradient_of_terms};
use super::estimator::{ThetaContext, ThetaEstimator, own_particles_objective};
use crate::{Result, TrainError};
use nalgebra::DMatrix;
use rand::{Rng, RngExt};
use rand_distr::StandardNormal;
use ucg_couplings::BatchedImportanceTarget;
use ucg_estimators::seeding::stream;
use ucg_estimators::sumo::{RouletteSurvival, Sumo, sumo_coefficients};
use ucg_models::vae::{VaeBatchTarget, VaeWorkspace};

/// The roulette of Luo et al.'s shape used in training: `P(N ≥ j) = 1/j` up to `j = 80`, then a geometric
/// tail of ratio 0.9 (`E[N] ≈ 5.1`).
pub fn default_survival() -> RouletteSurvival {
    RouletteSurvival::new(80, 0.9).expect("valid constants")
}

/// One SUMO draw per point of a minibatch: the terms of its θ-gradient, SUMO's estimates of
/// `log p(x_b)`, and the particles evaluated.
#[derive(Clone, Debug)]
pub struct SumoDraw {
    /// Point `b`'s terms `(ξ_{bi}, c_{bi})`.
    pub terms: Vec<PointTerms>,
    /// Point `b`'s estimate of `log p(x_b)`.
    pub estimates: Vec<f64>,
    /// Particles evaluated (`Σ_b (m + N_b)`).
    pub evaluations: u64,
}

/// Draws SUMO for every point of `target`, point `b` on the stream `stream(seed, b)` (so the draw does not
/// depend on the number of threads), with one batched evaluation of all the log-weights.
///
/// # Errors
/// Model failures or non-finite log-weights.
pub fn sumo_draw(target: &VaeBatchTarget<'_>, sumo: &Sumo, seed: u64) -> Result<SumoDraw> {
    let d = target.noise_dim();
    let noise: Vec<DMatrix<f64>> = (0..target.points())
        .map(|b| {
            let mut rng = stream(seed, b as u64);
            let particles = sumo.draw_particles(&mut rng);
            DMatrix::from_fn(d, particles, |_, _| rng.sample(StandardNormal))
        })
        .collect();
    let requests: Vec<(usize, &DMatrix<f64>)> = noise.iter().enumerate().collect();
    let evaluations: usize = noise.iter().map(|n| n.ncols()).sum();
    let mut log_weights = vec![0.0; evaluations];
    target.log_weights_batch(&requests, &mut log_weights)?;
    let (mut terms, mut estimates) = (Vec::with_capacity(noise.len()), Vec::new());
    let mut at = 0;
    for xi in &noise {
        let n = xi.ncols();
        let mut c = vec![0.0; n];
        let lw = &log_weights[at..at + n];
        let estimate = sumo_coefficients(sumo, lw, &mut c).map_err(|e| {
            if lw.iter().all(|v| v.is_finite()) {
                TrainError::from(e)
            } else {
                TrainError::Diverged {
                    what: "SUMO's log-weights".into(),
                }
            }
        })?;
        at += n;
        let mut t = PointTerms::default();
        for (col, &ci) in xi.column_iter().zip(&c) {
            // A term that cancels exactly costs no backward column.
            if ci != 0.0 {
                t.noise.extend(col.iter().copied());
                t.coefficients.push(ci);
            }
        }
        terms.push(t);
        estimates.push(estimate);
    }
    Ok(SumoDraw {
        terms,
        estimates,
        evaluations: evaluations as u64,
    })
}

/// SUMO's θ-gradient of a minibatch, summed over its points, added to `grad`; returns the draw's
/// estimates and cost.
///
/// # Errors
/// Model failures, non-finite log-weights, a zero `chunk`.
pub fn add_sumo_gradient(
    target: &VaeBatchTarget<'_>,
    sumo: &Sumo,
    seed: u64,
    chunk: usize,
    grad: &mut [f32],
    ws: &mut VaeWorkspace<f32>,
) -> Result<SumoDraw> {
    let draw = sumo_draw(target, sumo, seed)?;
    decoder_gradient_of_terms(target, &draw.terms, chunk, grad, ws)?;
    Ok(draw)
}

/// The training loop's SUMO θ-estimator, starting from `IWAE_K` (see the [module documentation](self)).
#[derive(Clone, Debug)]
pub struct SumoTheta {
    sumo: Sumo,
    chunk: usize,
    /// Particles evaluated by the last step, until taken.
    last_evaluations: u64,
}

impl SumoTheta {
    /// SUMO from `IWAE_k` with [`default_survival`]; backward passes of `chunk` columns.
    ///
    /// # Errors
    /// `k = 0` or `chunk = 0`.
    pub fn new(k: usize, chunk: usize) -> Result<Self> {
        let sumo = Sumo::new(k, default_survival()).map_err(|e| TrainError::InvalidSetting {
            name: "k",
            reason: e.to_string(),
        })?;
        if chunk == 0 {
            return Err(TrainError::InvalidSetting {
                name: "chunk",
                reason: "the backward chunk must be at least one column".into(),
            });
        }
        Ok(SumoTheta {
            sumo,
            chunk,
            last_evaluations: 0,
        })
    }

    /// The estimator's settings.
    pub fn sumo(&self) -> &Sumo {
        &self.sumo
    }
}

impl ThetaEstimator for SumoTheta {
    fn name(&self) -> &'static str {
        "sumo"
    }

    /// θ's gradient comes from SUMO's own particles: every shared particle's coefficient is zero. The
    /// reported objective is the IWAE bound of the shared particles (the encoder's objective).
    fn coefficients(&mut self, log_weights: &[f32], k: usize, coeffs: &mut [f32]) -> Result<f64> {
        own_particles_objective(log_weights, k, coeffs)
    }

    fn has_extra_gradient(&self) -> bool {
        true
    }

    fn extra_gradient(&mut self, ctx: ThetaContext<'_>) -> Result<()> {
        let seed = ctx.rng.next_u64();
        let target = ctx.batch_target()?;
        let draw = add_sumo_gradient(
            &target,
            &self.sumo,
            seed,
            self.chunk,
            ctx.grad,
            ctx.workspace,
        )?;
        self.last_evaluations = draw.evaluations;
        Ok(())
    }

    fn take_step_evaluations(&mut self) -> u64 {
        std::mem::take(&mut self.last_evaluations)
    }
}
