//! Test log-likelihood of a trained VAE: the IWAE-k bound or annealed importance sampling
//! ([`crate::eval`]) on the first test images of statically binarised MNIST.

use super::data::load_mnist_test;
use crate::eval::{AisSettings, IwaeSettings, PointEstimates, ProgressHook, ais, iwae_bound};
use crate::{Result, TrainError};
use std::path::Path;
use ucg_models::vae::VaeOnData;

/// How to estimate the test log-likelihood.
#[derive(Clone, Debug)]
pub enum EvalMethod {
    /// The IWAE bound with `k` importance samples per point (a lower bound; k = 5,000 is the usual choice).
    Iwae(IwaeSettings),
    /// Annealed importance sampling with HMC transitions (an estimate whose exponential is unbiased).
    Ais(AisSettings),
}

impl EvalMethod {
    /// A short name for reports (`iwae-k` or `ais`).
    pub fn label(&self) -> String {
        match self {
            EvalMethod::Iwae(s) => format!("iwae-{}", s.k()),
            EvalMethod::Ais(_) => "ais".into(),
        }
    }
}

/// Pixels of an MNIST image (28 × 28).
pub const MNIST_PIXELS: usize = 28 * 28;

/// Refuses AIS settings whose schedule and batch of chains would not fit in memory ([`crate::memory`]):
/// the `T + 1` annealing temperatures, and each batch's current and proposed chains through the decoder.
fn check_ais_memory(s: &AisSettings, shape: ucg_models::vae::VaeShape) -> Result<()> {
    let (p, h, d) = (
        shape.data_dim as u128,
        shape.hidden as u128,
        shape.latent as u128,
    );
    let steps = s.schedule().steps() as u128;
    let columns =
        s.points_per_batch() as u128 * (s.chains() as u128 + s.adaptation().pilot_chains() as u128);
    let schedule = 8 * (steps + 1);
    let chains = 2 * columns * 8 * (4 * d + 4 * h + 2 * p);
    let (setting, what) = if schedule > chains {
        ("steps", format!("{steps} annealing temperatures"))
    } else {
        ("chains", format!("{} chains per point", s.chains()))
    };
    crate::memory::check(setting, &what, schedule + chains)
}

/// Loads the VAE parameter file at `model_path` (as `train vae` writes it: `model.bin`), binds it to the
/// first `points` test images of MNIST binarised statically with `binarize_seed`, and estimates each
/// point's `log p(x)` by `method`, point `n` on the stream `(seed, n)`.
///
/// # Errors
/// A missing, truncated or mismatched parameter file (a training checkpoint is refused with a hint), MNIST
/// missing and not fetchable, or an evaluation failure.
pub fn evaluate_vae(
    model_path: &Path,
    method: &EvalMethod,
    points: usize,
    binarize_seed: u64,
    seed: u64,
    progress: Option<ProgressHook<'_>>,
) -> Result<PointEstimates> {
    let what = model_path.display().to_string();
    let bytes = std::fs::read(model_path).map_err(TrainError::io(model_path))?;
    if super::checkpoint::is_checkpoint(&bytes) {
        return Err(TrainError::UnusableFile {
            path: what,
            reason: "a training checkpoint, not a parameter file: pass the `model.bin` that `train vae` \
                     writes next to it"
                .into(),
        });
    }
    let model = ucg_models::vae::file::from_bytes::<f32>(&bytes, &what)?;
    if let EvalMethod::Ais(s) = method {
        check_ais_memory(s, model.shape())?;
    }
    if model.shape().data_dim != MNIST_PIXELS {
        return Err(TrainError::UnusableFile {
            path: what,
            reason: format!(
                "this model was trained on {}-pixel images, not MNIST's {MNIST_PIXELS}",
                model.shape().data_dim
            ),
        });
    }
    let x = load_mnist_test(binarize_seed, points)?;
    let bound = VaeOnData::new(model, x)?;
    let indices: Vec<usize> = (0..points).collect();
    match method {
        EvalMethod::Iwae(s) => iwae_bound(&bound, &indices, s, seed, progress),
        EvalMethod::Ais(s) => Ok(ais(&bound, &indices, s, seed, progress)?.estimates),
    }
}
