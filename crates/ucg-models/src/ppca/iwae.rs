//! Fitting the encoder of a PPCA model on the IWAE bound with DReG gradients.

use super::model::Ppca;
use super::point::PpcaPoint;
use super::target::PpcaTarget;
use crate::encoder::LinearGaussianEncoder;
use crate::error::{ModelError, Result};
use nalgebra::{DMatrix, DVector};
use rand::Rng;
use rand_distr::{Distribution, StandardNormal};
use ucg_couplings::weights::log_sum_exp;

impl Ppca {
    /// One stochastic estimate of the IWAE bound `Σ_n log((1/K) Σ_k w_nk)` of a `P × N` batch and of its
    /// DReG gradient with respect to the encoder (summed over the batch), with `K = k` fresh particles per
    /// point. The bound is a lower bound on [`Ppca::log_likelihood`] in expectation.
    ///
    /// # Errors
    /// `k < 1`, shape mismatches, non-finite data.
    pub fn iwae_encoder_gradient<R: Rng + ?Sized>(
        &self,
        encoder: &LinearGaussianEncoder,
        x: &DMatrix<f64>,
        k: usize,
        rng: &mut R,
    ) -> Result<(f64, LinearGaussianEncoder)> {
        if k == 0 {
            return Err(ModelError::InvalidParameter {
                name: "K",
                reason: "need at least one particle".into(),
            });
        }
        self.check_batch(x)?;
        let (d, p) = (self.latent_dim(), self.data_dim());
        let mut grad = LinearGaussianEncoder::prior(d, p);
        let mut bound = 0.0;
        let mut log_w = vec![0.0; k];
        for col in x.column_iter() {
            let xn: DVector<f64> = col.into_owned();
            let target = PpcaTarget::new(PpcaPoint::new(self, &xn)?, encoder, &xn)?;
            let noise = DMatrix::from_fn(d, k, |_, _| StandardNormal.sample(rng));
            target.log_weights_into(&noise, &mut log_w);
            bound += log_sum_exp(&log_w) - (k as f64).ln();
            let z = target.latents(&noise);
            let mut score = target.point().score_particles(&z);
            for (mut s, xi) in score.column_iter_mut().zip(noise.column_iter()) {
                s += xi.component_div(target.scale());
            }
            let g = encoder.dreg_gradient(&xn, &noise, target.scale(), &score, &log_w)?;
            grad.w_mu += g.w_mu;
            grad.b_mu += g.b_mu;
            grad.w_ls += g.w_ls;
            grad.b_ls += g.b_ls;
        }
        Ok((bound, grad))
    }
}
