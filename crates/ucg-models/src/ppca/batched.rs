//! The PPCA posteriors of a batch of points as one [`BatchedImportanceTarget`].

use super::diagonal::DiagonalPpcaTarget;
use crate::error::{ModelError, Result};
use ucg_couplings::{BatchedImportanceTarget, ImportanceTarget, SetRequest, check_requests};

/// The per-point targets [`DiagonalPpcaTarget`] of a batch, evaluated together: each request is
/// evaluated by its point's target, so the log-weights are bit-identical to the per-point targets'.
/// (PPCA costs `O(D)` per particle in these coordinates, so there is nothing to gain from stacking the
/// sets into one matrix; a neural model would.)
///
/// # Example
/// ```
/// use nalgebra::{DMatrix, DVector};
/// use ucg_couplings::{BatchedImportanceTarget, ImportanceTarget};
/// use ucg_models::ppca::{DiagonalPpcaBatch, DiagonalPpcaTarget, Ppca, PpcaPoint};
///
/// let model = Ppca::random(2, 4, 0.5, 1)?;
/// let encoder = model.posterior_encoder(1.2)?;
/// let targets = [0.0, 1.0]
///     .map(|v| {
///         let x = DVector::from_element(4, v);
///         DiagonalPpcaTarget::new(&PpcaPoint::new(&model, &x)?, &encoder, &x)
///     })
///     .into_iter()
///     .collect::<Result<Vec<_>, _>>()?;
/// let batch = DiagonalPpcaBatch::new(&targets)?;
/// let noise = DMatrix::from_fn(2, 3, |i, j| (i + j) as f64 * 0.1);
/// let mut together = [0.0; 6];
/// batch.log_weights_batch(&[(1, &noise), (0, &noise)], &mut together)?;
/// let mut alone = [0.0; 3];
/// targets[1].log_weights(&noise, &mut alone)?;
/// assert_eq!(&together[..3], &alone);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct DiagonalPpcaBatch<'a> {
    targets: &'a [DiagonalPpcaTarget],
}

impl<'a> DiagonalPpcaBatch<'a> {
    /// The batch of `targets` (point `n` is `targets[n]`).
    ///
    /// # Errors
    /// Targets of different latent dimensions.
    pub fn new(targets: &'a [DiagonalPpcaTarget]) -> Result<Self> {
        if let Some(first) = targets.first()
            && let Some(other) = targets
                .iter()
                .find(|t| t.latent_dim() != first.latent_dim())
        {
            return Err(ModelError::DimensionMismatch {
                what: "latent dimension of the batch's targets",
                expected: first.latent_dim(),
                found: other.latent_dim(),
            });
        }
        Ok(DiagonalPpcaBatch { targets })
    }
    /// The per-point targets.
    pub fn targets(&self) -> &'a [DiagonalPpcaTarget] {
        self.targets
    }
}

impl BatchedImportanceTarget for DiagonalPpcaBatch<'_> {
    fn points(&self) -> usize {
        self.targets.len()
    }
    fn noise_dim(&self) -> usize {
        self.targets
            .first()
            .map_or(0, DiagonalPpcaTarget::latent_dim)
    }
    fn log_weights_batch(
        &self,
        requests: &[SetRequest<'_>],
        out: &mut [f64],
    ) -> ucg_couplings::Result<()> {
        check_requests(self.points(), self.noise_dim(), requests, out.len())?;
        let mut rest = out;
        for &(n, noise) in requests {
            let (head, tail) = rest.split_at_mut(noise.ncols());
            self.targets[n].log_weights(noise, head)?;
            rest = tail;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ppca::{Ppca, PpcaPoint};
    use nalgebra::{DMatrix, DVector};

    fn targets(model: &Ppca, n: usize) -> Vec<DiagonalPpcaTarget> {
        let encoder = model.posterior_encoder(1.3).unwrap();
        (0..n)
            .map(|i| {
                let x =
                    DVector::from_fn(model.data_dim(), |p, _| ((p * 7 + i * 3) % 5) as f64 - 2.0);
                DiagonalPpcaTarget::new(&PpcaPoint::new(model, &x).unwrap(), &encoder, &x).unwrap()
            })
            .collect()
    }

    #[test]
    fn batched_log_weights_equal_the_per_point_ones_bit_for_bit() {
        let model = Ppca::random(9, 12, 0.5, 3).unwrap();
        let ts = targets(&model, 4);
        let batch = DiagonalPpcaBatch::new(&ts).unwrap();
        let sets: Vec<DMatrix<f64>> = (0..5)
            .map(|s| DMatrix::from_fn(9, 3 + s % 2, |i, j| ((i * 5 + j * 3 + s) as f64).sin()))
            .collect();
        let requests: Vec<SetRequest<'_>> = [2, 0, 3, 2, 1]
            .iter()
            .zip(&sets)
            .map(|(&n, m)| (n, m))
            .collect();
        let total: usize = sets.iter().map(|m| m.ncols()).sum();
        let mut out = vec![0.0; total];
        batch.log_weights_batch(&requests, &mut out).unwrap();
        let mut expected = Vec::new();
        for &(n, m) in &requests {
            let mut one = vec![0.0; m.ncols()];
            ts[n].log_weights(m, &mut one).unwrap();
            expected.extend(one);
        }
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&out), bits(&expected));
    }

    #[test]
    fn bad_requests_are_typed_errors() {
        let model = Ppca::random(3, 5, 0.5, 3).unwrap();
        let ts = targets(&model, 2);
        let batch = DiagonalPpcaBatch::new(&ts).unwrap();
        let set = DMatrix::zeros(3, 2);
        let wrong_dim = DMatrix::zeros(2, 2);
        assert!(
            batch
                .log_weights_batch(&[(2, &set)], &mut [0.0; 2])
                .is_err()
        );
        assert!(
            batch
                .log_weights_batch(&[(0, &wrong_dim)], &mut [0.0; 2])
                .is_err()
        );
        assert!(
            batch
                .log_weights_batch(&[(0, &set)], &mut [0.0; 3])
                .is_err()
        );
        let other = targets(&Ppca::random(4, 5, 0.5, 3).unwrap(), 1);
        let mixed = [ts[0].clone(), other[0].clone()];
        assert!(DiagonalPpcaBatch::new(&mixed).is_err());
    }
}
