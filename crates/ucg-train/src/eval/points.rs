//! Checking the points to evaluate against the model, and their encodings.

use crate::error::{Result, TrainError};
use ucg_models::{LatentModel, ModelError};

/// Checks that `points` is non-empty, that every index is below `model.num_points()`, and that the model
/// has a latent dimension of at least 1.
pub(crate) fn check_points<M: LatentModel + ?Sized>(model: &M, points: &[usize]) -> Result<()> {
    if points.is_empty() {
        return Err(TrainError::InvalidSetting {
            name: "points",
            reason: "no points to evaluate".into(),
        });
    }
    if let Some(&n) = points.iter().find(|&&n| n >= model.num_points()) {
        return Err(TrainError::InvalidSetting {
            name: "points",
            reason: format!(
                "index {n} out of range for a model bound to {} points",
                model.num_points()
            ),
        });
    }
    if model.latent_dim() == 0 {
        return Err(TrainError::InvalidSetting {
            name: "latent_dim",
            reason: "the model has a zero-dimensional latent".into(),
        });
    }
    Ok(())
}

/// `model.encode(point, …)`, checking that the mean is finite and the standard deviation finite and
/// positive (a model's bug or an overflow must not turn into NaN estimates).
pub(crate) fn checked_encoding<M: LatentModel + ?Sized>(
    model: &M,
    point: usize,
    mean: &mut [f64],
    sd: &mut [f64],
) -> Result<()> {
    model.encode(point, mean, sd)?;
    if mean.iter().chain(sd.iter()).any(|v| !v.is_finite()) || sd.iter().any(|s| *s <= 0.0) {
        return Err(ModelError::NonFinite {
            what: "encoder mean or standard deviation",
        }
        .into());
    }
    Ok(())
}
