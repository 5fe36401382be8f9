//! The pluggable θ-gradient estimator of the VAE training loop.
//!
//! Every training step draws `K` reparameterised particles per point (the encoder's IWAE step, which
//! always trains `φ` by DReG). A [`ThetaEstimator`] decides how `θ` is trained: it turns those particles'
//! log-weights into per-particle coefficients `c_{bk}`, and the loop accumulates `Σ c_{bk} ∇_θ log p(x_b,
//! z_{bk})` in the same backward pass as the encoder's gradient. An estimator that needs particles of its
//! own (the coupled estimator) leaves the coefficients at zero and adds its gradient in
//! [`ThetaEstimator::extra_gradient`] through [`ucg_models::vae::Vae::decoder_gradient`], which takes any
//! (point, latent, coefficient) triples.

use crate::Result;
use rand_xoshiro::Xoshiro256PlusPlus;
use ucg_models::vae::{Vae, VaeWorkspace};

/// What a θ-gradient estimator may use beyond the shared particles.
pub struct ThetaContext<'a> {
    /// The model (parameters before this step's update).
    pub model: &'a Vae<f32>,
    /// The minibatch, `P × B` column-major.
    pub x: &'a [f32],
    /// `B`.
    pub batch: usize,
    /// The step's random stream (after the shared particles' noise was drawn).
    pub rng: &'a mut Xoshiro256PlusPlus,
    /// A workspace of the estimator's own (the shared particles' workspace is in use).
    pub workspace: &'a mut VaeWorkspace<f32>,
    /// The θ-gradient of the *bound to maximise*, summed over the minibatch (the loop divides by `B`).
    pub grad: &'a mut [f32],
    /// The encoder's `μ` and `σ` of the minibatch (`D × B` each) from this step's pass, when the caller
    /// has them (the training loop does), so that an estimator need not encode again.
    pub encoding: Option<(&'a [f32], &'a [f32])>,
}

impl<'a> ThetaContext<'a> {
    /// The minibatch's importance target, from the step's encoding when the caller passed it.
    ///
    /// # Errors
    /// Model failures.
    pub fn batch_target(&self) -> Result<ucg_models::vae::VaeBatchTarget<'a>> {
        use ucg_models::vae::VaeBatchTarget;
        Ok(match self.encoding {
            Some((mu, sigma)) => {
                VaeBatchTarget::from_encoding(self.model, self.x, self.batch, mu, sigma)?
            }
            None => VaeBatchTarget::new(self.model, self.x, self.batch)?,
        })
    }
}

/// For an estimator whose θ-gradient comes from particles of its own: sets every shared particle's
/// coefficient to zero and returns the IWAE bound of the shared particles (the encoder's objective),
/// summed over the batch.
///
/// # Errors
/// Non-finite log-weights.
pub fn own_particles_objective(log_weights: &[f32], k: usize, coeffs: &mut [f32]) -> Result<f64> {
    if !log_weights.iter().all(|v| v.is_finite()) {
        return Err(crate::TrainError::Diverged {
            what: "log-weights".into(),
        });
    }
    let mut scratch = vec![0.0f32; k];
    let total = log_weights
        .chunks_exact(k)
        .map(|lw| normalise(lw, &mut scratch))
        .sum();
    coeffs.iter_mut().for_each(|c| *c = 0.0);
    Ok(total)
}

/// A θ-gradient estimator for the training loop (see the [module documentation](self)).
pub trait ThetaEstimator: Send {
    /// Short name (`"elbo"`, `"iwae"`), used in file names and reports.
    fn name(&self) -> &'static str;

    /// Sets `coeffs[bK + k]` for the shared particles from their log-weights (both point-major, `B·K`
    /// entries) so that `Σ_k coeffs ∇_θ log p(x_b, z_{bk})` estimates `∇_θ` of point `b`'s objective, and
    /// returns point `b`'s training objective summed over the batch (for the per-epoch report).
    ///
    /// # Errors
    /// Non-finite log-weights.
    fn coefficients(&mut self, log_weights: &[f32], k: usize, coeffs: &mut [f32]) -> Result<f64>;

    /// Whether [`ThetaEstimator::extra_gradient`] adds anything (so the loop can skip it); `false` by default.
    fn has_extra_gradient(&self) -> bool {
        false
    }

    /// Adds a gradient computed from particles of the estimator's own; the default adds nothing.
    ///
    /// # Errors
    /// Model failures.
    fn extra_gradient(&mut self, _ctx: ThetaContext<'_>) -> Result<()> {
        Ok(())
    }

    /// The diagnostics of the chains run since the last call (one epoch), for estimators that run
    /// chains of their own; `None` by default.
    fn take_epoch_diagnostics(&mut self) -> Option<ChainDiagnostics> {
        None
    }

    /// Particles the estimator evaluated of its own in the step just taken, outside any chains reported
    /// by [`ThetaEstimator::take_step_chains`] (and forgets them); 0 by default. SUMO's particles are
    /// counted here, so that a step's recorded cost is what it evaluated.
    fn take_step_evaluations(&mut self) -> u64 {
        0
    }

    /// What the estimator's own chains did in the step just taken (and forgets it); `None` for
    /// estimators without chains (the default).
    fn take_step_chains(&mut self) -> Option<super::steps::StepChains> {
        None
    }

    /// Restores the state an estimator adapts between steps from the last epoch's diagnostics (a resumed
    /// run); nothing by default.
    ///
    /// # Errors
    /// Diagnostics the estimator cannot resume from.
    fn resume(&mut self, _last: &ChainDiagnostics) -> Result<()> {
        Ok(())
    }
}

/// One epoch of an estimator's own coupled chains (one pair per point and step).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ChainDiagnostics {
    /// Pairs run.
    pub chains: u64,
    /// Pairs stopped by the cap before meeting (their estimates are truncated, hence biased).
    pub capped: u64,
    /// Mean meeting time of the pairs that met.
    pub mean_tau: f64,
    /// Median meeting time of the pairs that met.
    pub median_tau: f64,
    /// Largest meeting time of the pairs that met.
    pub max_tau: f64,
    /// DISIR's β for the next step (0 for C-ISIR).
    pub beta: f64,
}

impl ChainDiagnostics {
    /// The fields as numbers, in [`ChainDiagnostics::from_values`]'s order.
    pub fn values(&self) -> [f64; 6] {
        [
            self.chains as f64,
            self.capped as f64,
            self.mean_tau,
            self.median_tau,
            self.max_tau,
            self.beta,
        ]
    }

    /// The inverse of [`ChainDiagnostics::values`].
    pub fn from_values(v: [f64; 6]) -> Self {
        ChainDiagnostics {
            chains: v[0] as u64,
            capped: v[1] as u64,
            mean_tau: v[2],
            median_tau: v[3],
            max_tau: v[4],
            beta: v[5],
        }
    }
}

/// The ELBO averaged over `K` particles: `c_{bk} = 1/K`; objective `(1/K) Σ_k log w_{bk}`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Elbo;

/// The IWAE bound (Burda et al. 2016): `c_{bk} = w̃_{bk}`, the normalised weights of point `b`; objective
/// `log (1/K) Σ_k w_{bk}`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Iwae;

fn check(log_weights: &[f32]) -> Result<()> {
    if log_weights.iter().all(|v| v.is_finite()) {
        Ok(())
    } else {
        Err(crate::TrainError::Diverged {
            what: "log-weights".into(),
        })
    }
}

impl ThetaEstimator for Elbo {
    fn name(&self) -> &'static str {
        "elbo"
    }

    fn coefficients(&mut self, log_weights: &[f32], k: usize, coeffs: &mut [f32]) -> Result<f64> {
        check(log_weights)?;
        coeffs.iter_mut().for_each(|c| *c = 1.0 / k as f32);
        Ok(log_weights.iter().map(|&v| f64::from(v)).sum::<f64>() / k as f64)
    }
}

impl ThetaEstimator for Iwae {
    fn name(&self) -> &'static str {
        "iwae"
    }

    fn coefficients(&mut self, log_weights: &[f32], k: usize, coeffs: &mut [f32]) -> Result<f64> {
        check(log_weights)?;
        let mut total = 0.0;
        for (lw, c) in log_weights.chunks_exact(k).zip(coeffs.chunks_exact_mut(k)) {
            total += normalise(lw, c);
        }
        Ok(total)
    }
}

/// Writes the normalised weights `w̃_k = w_k / Σ w` into `out` and returns `log (1/K) Σ_k w_k`, in `f64`.
pub fn normalise(log_weights: &[f32], out: &mut [f32]) -> f64 {
    let max = log_weights
        .iter()
        .fold(f64::NEG_INFINITY, |m, &v| m.max(f64::from(v)));
    let sum: f64 = log_weights
        .iter()
        .map(|&v| (f64::from(v) - max).exp())
        .sum();
    for (o, &v) in out.iter_mut().zip(log_weights) {
        *o = ((f64::from(v) - max).exp() / sum) as f32;
    }
    max + (sum / log_weights.len() as f64).ln()
}

/// Effective sample size `1 / Σ_k w̃_k²` of one point's normalised weights.
pub fn effective_sample_size(normalised: &[f32]) -> f64 {
    1.0 / normalised
        .iter()
        .map(|&w| f64::from(w) * f64::from(w))
        .sum::<f64>()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coefficients_and_objectives() {
        let lw = [0.0f32, (2.0f32).ln(), -1.0, -1.0];
        let mut c = [0.0f32; 4];
        let iwae = Iwae.coefficients(&lw, 2, &mut c).unwrap();
        assert!((c[0] - 1.0 / 3.0).abs() < 1e-7 && (c[1] - 2.0 / 3.0).abs() < 1e-7);
        assert!((c[2] - 0.5).abs() < 1e-7);
        assert!((iwae - ((1.5f64).ln() - 1.0)).abs() < 1e-6);
        let elbo = Elbo.coefficients(&lw, 2, &mut c).unwrap();
        assert!((elbo - ((2.0f64).ln() / 2.0 - 1.0)).abs() < 1e-6 && c == [0.5; 4]);
        assert!((effective_sample_size(&[0.5, 0.5]) - 2.0).abs() < 1e-12);
        assert!(Iwae.coefficients(&[f32::NAN, 0.0], 2, &mut c[..2]).is_err());
    }
}
