//! The encoder gap of a Gaussian encoder on PPCA: `KL(q(z | x) ‖ p(z | x))`, in closed form.

use super::model::Ppca;
use crate::encoder::LinearGaussianEncoder;
use crate::error::{Result, check_len};
use nalgebra::DMatrix;

impl Ppca {
    /// The encoder gap `KL(q(z | x_n) ‖ p(z | x_n))` of each point of the `P × N` batch `x`: how far the
    /// encoder's diagonal Gaussian `q = N(μ, diag(s²))` lies from the exact posterior
    /// `N(M⁻¹ θ1 r, σ² M⁻¹)`, in nats. With `Σ⁻¹ = M / σ²`,
    ///
    /// `KL = ½ [Σ_d s_d² M_dd / σ² + δᵀ M δ / σ² − D + D log σ² − log det M − Σ_d log s_d²]`,
    /// `δ = M⁻¹ θ1 r − μ`.
    ///
    /// It equals `log p(x) − ELBO(q)`, the slack of the encoder's ELBO, and is zero only for the exact
    /// posterior. `M` is factorised once for the batch.
    ///
    /// # Errors
    /// An encoder of other dimensions, data of the wrong length or non-finite data.
    ///
    /// # Example
    /// ```
    /// use nalgebra::DMatrix;
    /// use ucg_models::ppca::Ppca;
    /// let model = Ppca::random(1, 4, 0.5, 7)?;
    /// // With D = 1 the posterior encoder is exact; scaling its sd by s costs ½ (s² − 1 − ln s²).
    /// let x = DMatrix::from_element(4, 1, 0.3);
    /// let exact = model.encoder_gaps(&model.posterior_encoder(1.0)?, &x)?;
    /// assert!(exact[0].abs() < 1e-12);
    /// let wide = model.encoder_gaps(&model.posterior_encoder(2.0)?, &x)?;
    /// assert!((wide[0] - 0.5 * (4.0 - 1.0 - 4f64.ln())).abs() < 1e-12);
    /// # Ok::<(), ucg_models::ModelError>(())
    /// ```
    pub fn encoder_gaps(
        &self,
        encoder: &LinearGaussianEncoder,
        x: &DMatrix<f64>,
    ) -> Result<Vec<f64>> {
        let d = self.latent_dim();
        check_len("encoder latent dimension D", d, encoder.latent_dim())?;
        check_len(
            "encoder data dimension P",
            self.data_dim(),
            encoder.data_dim(),
        )?;
        check_len("data dimension P", self.data_dim(), x.nrows())?;
        let sigma2 = self.sigma2();
        let mut m = self.gram().clone();
        for i in 0..d {
            m[(i, i)] += sigma2;
        }
        let chol = m.clone().cholesky().ok_or(crate::ModelError::NonFinite {
            what: "the posterior precision M = θ1 θ1ᵀ + σ² I",
        })?;
        let log_det_m = 2.0 * chol.l().diagonal().iter().map(|v| v.ln()).sum::<f64>();
        let constant = -(d as f64) + d as f64 * sigma2.ln() - log_det_m;
        x.column_iter()
            .map(|col| {
                let xn = col.into_owned();
                let (mu, s) = encoder.mean_and_scale(&xn)?;
                let posterior_mean = chol.solve(&(self.theta1() * (&xn - self.theta0())));
                let delta = posterior_mean - mu;
                let trace: f64 = (0..d).map(|i| s[i] * s[i] * m[(i, i)]).sum::<f64>() / sigma2;
                let mahalanobis = (&m * &delta).dot(&delta) / sigma2;
                let log_det_q: f64 = s.iter().map(|v| 2.0 * v.ln()).sum();
                Ok(0.5 * (trace + mahalanobis + constant - log_det_q))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encoder::LinearGaussianEncoder;
    use nalgebra::DVector;
    use rand::SeedableRng;
    use rand_distr::{Distribution, StandardNormal};
    use rand_xoshiro::Xoshiro256PlusPlus;

    /// `E_q[log q(z | x) − log p(x, z)] + log p(x)` by Monte Carlo: its mean and standard error.
    fn monte_carlo_gap(
        model: &Ppca,
        encoder: &LinearGaussianEncoder,
        x: &DVector<f64>,
        draws: usize,
    ) -> (f64, f64) {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(11);
        let (mu, s) = encoder.mean_and_scale(x).unwrap();
        let log_px = model
            .log_likelihood_points(&DMatrix::from_column_slice(x.len(), 1, x.as_slice()))
            .unwrap()[0];
        let values: Vec<f64> = (0..draws)
            .map(|_| {
                let z = DVector::from_fn(mu.len(), |i, _| {
                    let e: f64 = StandardNormal.sample(&mut rng);
                    mu[i] + s[i] * e
                });
                encoder.log_q(x, &z).unwrap() - model.log_joint(x, &z).unwrap() + log_px
            })
            .collect();
        let n = draws as f64;
        let mean = values.iter().sum::<f64>() / n;
        let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
        (mean, (var / n).sqrt())
    }

    #[test]
    fn gap_matches_a_monte_carlo_estimate() {
        let model = Ppca::random(4, 9, 0.3, 5).unwrap();
        // An encoder off the posterior in mean and scale, with a data-dependent scale.
        let mut encoder = model.posterior_encoder(1.3).unwrap();
        encoder.b_mu.iter_mut().for_each(|b| *b += 0.2);
        encoder.w_ls[(1, 2)] = 0.1;
        let x = DMatrix::from_fn(9, 3, |i, j| ((i * 3 + j) % 5) as f64 * 0.4 - 0.5);
        let gaps = model.encoder_gaps(&encoder, &x).unwrap();
        for (n, gap) in gaps.iter().enumerate() {
            let (mc, se) = monte_carlo_gap(&model, &encoder, &x.column(n).into_owned(), 20_000);
            // Three points: Bonferroni at family-wise level 1e-3 is |z| < 3.6.
            assert!(
                (gap - mc).abs() < 3.6 * se,
                "point {n}: {gap} vs {mc} ± {se}"
            );
            assert!(*gap > 0.0);
        }
    }

    #[test]
    fn the_exact_posterior_has_no_gap_in_one_dimension() {
        let model = Ppca::random(1, 5, 0.2, 2).unwrap();
        let x = DMatrix::from_fn(5, 2, |i, j| (i + j) as f64 * 0.1);
        for (scale, expected) in [(1.0, 0.0), (0.5, 0.5 * (0.25 - 1.0 - 0.25f64.ln()))] {
            let encoder = model.posterior_encoder(scale).unwrap();
            for gap in model.encoder_gaps(&encoder, &x).unwrap() {
                assert!((gap - expected).abs() < 1e-12, "{scale}: {gap}");
            }
        }
        let wrong = LinearGaussianEncoder::prior(2, 5);
        assert!(model.encoder_gaps(&wrong, &x).is_err());
    }
}
