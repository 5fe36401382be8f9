//! PPCA with its linear Gaussian encoder, bound to a set of data points, seen as a [`LatentModel`] so that
//! generic evaluation (IWAE-k bounds, annealed importance sampling) can be checked against the exact
//! log-likelihood.

use super::model::Ppca;
use crate::encoder::LinearGaussianEncoder;
use crate::error::{ModelError, Result, check_finite, check_len};
use crate::latent::{LatentModel, check_log_joint_args};
use nalgebra::DMatrix;

/// A PPCA model, an encoder `q(z | x)` and `N` data points, evaluated in batches through [`LatentModel`].
///
/// Per point it keeps `a_n = θ1 (x_n − θ0)`, `r_nᵀ r_n` (so that `log p(x_n, z)` costs `O(D²)` per latent,
/// as in [`super::PpcaPoint`]), the encoder's mean and standard deviation, and the exact `log p(x_n)`.
///
/// # Example
/// ```
/// use nalgebra::DMatrix;
/// use ucg_models::LatentModel;
/// use ucg_models::ppca::{Ppca, PpcaLatentModel};
///
/// let model = Ppca::random(2, 6, 0.5, 3)?;
/// let encoder = model.posterior_encoder(1.0)?;
/// let x = DMatrix::from_fn(6, 4, |i, j| (i + j) as f64 / 10.0);
/// let bound = PpcaLatentModel::new(&model, &encoder, &x)?;
/// let z = DMatrix::zeros(2, 3);
/// let mut log_joint = [0.0; 3];
/// bound.log_joint(&[0, 3, 3], &z, &mut log_joint, None)?;
/// assert!(log_joint.iter().all(|l| l.is_finite()));
/// assert_eq!(bound.exact_log_likelihood().len(), 4);
/// # Ok::<(), ucg_models::ModelError>(())
/// ```
#[derive(Clone, Debug)]
pub struct PpcaLatentModel {
    gram: DMatrix<f64>,
    sigma2: f64,
    log_joint_const: f64,
    projected: DMatrix<f64>,
    residual_norm2: Vec<f64>,
    encoder_mean: DMatrix<f64>,
    encoder_sd: DMatrix<f64>,
    exact: Vec<f64>,
}

impl PpcaLatentModel {
    /// Binds `model` and `encoder` to the columns of the `P × N` batch `x`.
    ///
    /// # Errors
    /// The encoder's dimensions differ from the model's, `x` has the wrong number of rows or non-finite
    /// entries, or the encoder's scale under- or overflows on a point.
    pub fn new(model: &Ppca, encoder: &LinearGaussianEncoder, x: &DMatrix<f64>) -> Result<Self> {
        let (d, n) = (model.latent_dim(), x.ncols());
        check_len("encoder latent dimension D", d, encoder.latent_dim())?;
        check_len(
            "encoder data dimension P",
            model.data_dim(),
            encoder.data_dim(),
        )?;
        model.check_batch(x)?;
        let residuals = model.residuals(x);
        let projected = model.theta1() * &residuals;
        let residual_norm2 = residuals.column_iter().map(|r| r.norm_squared()).collect();
        let mut encoder_mean = DMatrix::zeros(d, n);
        let mut encoder_sd = DMatrix::zeros(d, n);
        for (j, col) in x.column_iter().enumerate() {
            let (mu, sd) = encoder.mean_and_scale(&col.into_owned())?;
            encoder_mean.set_column(j, &mu);
            encoder_sd.set_column(j, &sd);
        }
        let exact = model.log_likelihood_points(x)?.as_slice().to_vec();
        Ok(PpcaLatentModel {
            gram: model.gram().clone(),
            sigma2: model.sigma2(),
            log_joint_const: model.log_joint_const(),
            projected,
            residual_norm2,
            encoder_mean,
            encoder_sd,
            exact,
        })
    }

    /// The exact `log p(x_n)` of every bound point, for checking estimates.
    pub fn exact_log_likelihood(&self) -> &[f64] {
        &self.exact
    }

    fn check_point(&self, point: usize) -> Result<()> {
        if point < self.exact.len() {
            Ok(())
        } else {
            Err(ModelError::InvalidParameter {
                name: "point",
                reason: format!("index {point} out of range for {} points", self.exact.len()),
            })
        }
    }
}

impl LatentModel for PpcaLatentModel {
    fn latent_dim(&self) -> usize {
        self.gram.nrows()
    }

    fn num_points(&self) -> usize {
        self.exact.len()
    }

    fn encode(&self, point: usize, mean: &mut [f64], sd: &mut [f64]) -> Result<()> {
        self.check_point(point)?;
        let d = self.latent_dim();
        check_len("encoder mean output", d, mean.len())?;
        check_len("encoder sd output", d, sd.len())?;
        mean.copy_from_slice(self.encoder_mean.column(point).as_slice());
        sd.copy_from_slice(self.encoder_sd.column(point).as_slice());
        Ok(())
    }

    /// `log p(x_n, z) = c − ½ zᵀz − (r_nᵀ r_n − 2 a_nᵀ z + zᵀ G z) / (2σ²)` and
    /// `∇_z = −z + (a_n − G z) / σ²`, with one `D × D` by `D × J` product for the whole batch.
    fn log_joint(
        &self,
        points: &[usize],
        z: &DMatrix<f64>,
        log_joint: &mut [f64],
        grad: Option<&mut DMatrix<f64>>,
    ) -> Result<()> {
        let d = self.latent_dim();
        check_log_joint_args(d, points, z, log_joint, grad.as_deref())?;
        for &n in points {
            self.check_point(n)?;
        }
        check_finite("latents z", z.iter())?;
        let gz = &self.gram * z;
        let inv2s = 0.5 / self.sigma2;
        for (j, (&n, out)) in points.iter().zip(log_joint.iter_mut()).enumerate() {
            let zj = z.column(j);
            let a = self.projected.column(n);
            let quad = self.residual_norm2[n] - 2.0 * a.dot(&zj) + zj.dot(&gz.column(j));
            *out = self.log_joint_const - 0.5 * zj.norm_squared() - inv2s * quad;
        }
        check_finite("log p(x, z)", log_joint.iter())?;
        if let Some(g) = grad {
            for (j, &n) in points.iter().enumerate() {
                let a = self.projected.column(n);
                for i in 0..d {
                    g[(i, j)] = (a[i] - gz[(i, j)]) / self.sigma2 - z[(i, j)];
                }
            }
            check_finite("∇z log p(x, z)", g.iter())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nalgebra::DVector;
    use rand::SeedableRng;
    use rand_distr::{Distribution, StandardNormal};
    use rand_xoshiro::Xoshiro256PlusPlus;

    fn setup() -> (Ppca, LinearGaussianEncoder, DMatrix<f64>) {
        let model = Ppca::random(3, 7, 0.3, 11).unwrap();
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(5);
        let x = DMatrix::from_fn(7, 4, |_, _| StandardNormal.sample(&mut rng));
        // An encoder whose scale depends on x, so that per-point scales are exercised.
        let mut encoder = model.posterior_encoder(1.3).unwrap();
        encoder.w_ls = DMatrix::from_fn(3, 7, |i, j| 0.05 * (i as f64 - j as f64));
        (model, encoder, x)
    }

    #[test]
    fn log_joint_matches_the_direct_formula() {
        let (model, encoder, x) = setup();
        let bound = PpcaLatentModel::new(&model, &encoder, &x).unwrap();
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(9);
        let points = [2, 0, 3, 3, 1];
        let z = DMatrix::from_fn(3, 5, |_, _| StandardNormal.sample(&mut rng));
        let mut lj = [0.0; 5];
        bound.log_joint(&points, &z, &mut lj, None).unwrap();
        for (j, &n) in points.iter().enumerate() {
            let direct = model
                .log_joint(&x.column(n).into_owned(), &z.column(j).into_owned())
                .unwrap();
            assert!((lj[j] - direct).abs() < 1e-10 * (1.0 + direct.abs()));
        }
    }

    #[test]
    fn gradient_matches_finite_differences() {
        let (model, encoder, x) = setup();
        let bound = PpcaLatentModel::new(&model, &encoder, &x).unwrap();
        let z = DMatrix::from_fn(3, 2, |i, j| 0.3 * i as f64 - 0.2 * j as f64);
        let points = [1, 2];
        let mut lj = [0.0; 2];
        let mut grad = DMatrix::zeros(3, 2);
        bound
            .log_joint(&points, &z, &mut lj, Some(&mut grad))
            .unwrap();
        let h = 1e-6;
        for j in 0..2 {
            for i in 0..3 {
                let (mut zp, mut zm) = (z.clone(), z.clone());
                zp[(i, j)] += h;
                zm[(i, j)] -= h;
                let (mut lp, mut lm) = ([0.0; 2], [0.0; 2]);
                bound.log_joint(&points, &zp, &mut lp, None).unwrap();
                bound.log_joint(&points, &zm, &mut lm, None).unwrap();
                let fd = (lp[j] - lm[j]) / (2.0 * h);
                assert!((fd - grad[(i, j)]).abs() < 1e-6, "{fd} vs {}", grad[(i, j)]);
            }
        }
    }

    #[test]
    fn encode_matches_the_encoder_and_exact_matches_the_model() {
        let (model, encoder, x) = setup();
        let bound = PpcaLatentModel::new(&model, &encoder, &x).unwrap();
        let (mut mean, mut sd) = ([0.0; 3], [0.0; 3]);
        bound.encode(3, &mut mean, &mut sd).unwrap();
        let (mu, sigma) = encoder
            .mean_and_scale(&DVector::from(x.column(3).into_owned()))
            .unwrap();
        assert_eq!(mean.as_slice(), mu.as_slice());
        assert_eq!(sd.as_slice(), sigma.as_slice());
        let exact = model.log_likelihood_points(&x).unwrap();
        assert_eq!(bound.exact_log_likelihood(), exact.as_slice());
    }

    #[test]
    fn bad_inputs_are_errors() {
        let (model, encoder, x) = setup();
        let bound = PpcaLatentModel::new(&model, &encoder, &x).unwrap();
        let (mut mean, mut sd) = ([0.0; 3], [0.0; 3]);
        assert!(bound.encode(4, &mut mean, &mut sd).is_err());
        assert!(bound.encode(0, &mut mean[..2], &mut sd).is_err());
        let z = DMatrix::zeros(3, 2);
        let mut lj = [0.0; 2];
        assert!(bound.log_joint(&[0, 4], &z, &mut lj, None).is_err());
        assert!(bound.log_joint(&[0], &z, &mut lj[..1], None).is_err());
        assert!(
            bound
                .log_joint(&[0, 1], &DMatrix::zeros(2, 2), &mut lj, None)
                .is_err()
        );
        let mut bad_grad = DMatrix::zeros(3, 1);
        assert!(
            bound
                .log_joint(&[0, 1], &z, &mut lj, Some(&mut bad_grad))
                .is_err()
        );
        let mut nan_z = z.clone();
        nan_z[(1, 1)] = f64::NAN;
        assert_eq!(
            bound.log_joint(&[0, 1], &nan_z, &mut lj, None),
            Err(ModelError::NonFinite { what: "latents z" })
        );
        let huge = DMatrix::from_element(3, 2, 1e200);
        assert!(matches!(
            bound.log_joint(&[0, 1], &huge, &mut lj, None),
            Err(ModelError::NonFinite { .. })
        ));
        let wrong_encoder = LinearGaussianEncoder::prior(2, 7);
        assert!(PpcaLatentModel::new(&model, &wrong_encoder, &x).is_err());
        assert!(PpcaLatentModel::new(&model, &encoder, &DMatrix::zeros(6, 2)).is_err());
    }
}
