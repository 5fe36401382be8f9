//! The biased baselines' importance sets, against closed forms: the set's log-weights are the target's,
//! its weights are self-normalised, `log Ẑ` is the log of the mean weight, and the ELBO's coefficients
//! are uniform.

use nalgebra::DMatrix;
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use ucg_couplings::ImportanceTarget;
use ucg_estimators::baselines::{elbo_coefficients, importance_set};

/// `log w(ξ) = ξ₀ − 2ξ₁ + 0.3`.
struct Affine;
impl ImportanceTarget for Affine {
    fn noise_dim(&self) -> usize {
        2
    }
    fn log_weights(&self, noise: &DMatrix<f64>, out: &mut [f64]) -> ucg_couplings::Result<()> {
        for (o, c) in out.iter_mut().zip(noise.column_iter()) {
            *o = c[0] - 2.0 * c[1] + 0.3;
        }
        Ok(())
    }
}

#[test]
fn importance_set_is_self_normalised_with_the_mean_weight_as_its_bound() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(8);
    for k in [1, 2, 7] {
        let set = importance_set(&Affine, k, &mut rng).unwrap();
        assert_eq!(set.noise.shape(), (2, k));
        let mut log_w = vec![0.0; k];
        Affine.log_weights(&set.noise, &mut log_w).unwrap();
        assert_eq!(set.log_weights, log_w);
        let total: f64 = log_w.iter().map(|l| l.exp()).sum();
        for (w, l) in set.weights.iter().zip(&log_w) {
            assert!((w - l.exp() / total).abs() < 1e-12, "k = {k}");
        }
        let bound = (total / k as f64).ln();
        assert!((set.log_mean_weight - bound).abs() < 1e-12, "k = {k}");
    }
    assert!(importance_set(&Affine, 0, &mut rng).is_err());
}

#[test]
fn elbo_coefficients_are_uniform() {
    assert_eq!(elbo_coefficients(4), [0.25; 4]);
    assert_eq!(elbo_coefficients(1), [1.0]);
    assert!(elbo_coefficients(0).is_empty());
}
