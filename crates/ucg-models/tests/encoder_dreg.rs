//! The encoder's building blocks and the DReG gradient against finite differences.

use nalgebra::{DMatrix, DVector};
use proptest::prelude::*;
use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};
use rand_xoshiro::Xoshiro256PlusPlus;
use ucg_couplings::ImportanceTarget;
use ucg_models::encoder::LinearGaussianEncoder;
use ucg_models::ppca::{Ppca, PpcaPoint, PpcaTarget};

fn randn(rows: usize, cols: usize, scale: f64, rng: &mut Xoshiro256PlusPlus) -> DMatrix<f64> {
    DMatrix::from_fn(rows, cols, |_, _| {
        let v: f64 = StandardNormal.sample(rng);
        scale * v
    })
}

fn random_encoder(d: usize, p: usize, rng: &mut Xoshiro256PlusPlus) -> LinearGaussianEncoder {
    LinearGaussianEncoder::new(
        randn(d, p, 0.3, rng),
        randn(d, 1, 0.3, rng).column(0).into_owned(),
        randn(d, p, 0.1, rng),
        randn(d, 1, 0.1, rng).column(0).into_owned(),
    )
    .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]

    /// `log q` is the diagonal Gaussian density, and the log-weight of the target is `log p − log q`.
    #[test]
    fn log_weight_is_log_joint_minus_log_q(d in 1usize..4, p in 2usize..6, seed in 0u64..1000) {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let model = Ppca::random(d, p, 0.4, seed).unwrap();
        let enc = random_encoder(d, p, &mut rng);
        let x: DVector<f64> = randn(p, 1, 1.0, &mut rng).column(0).into_owned();
        let noise = randn(d, 3, 1.0, &mut rng);
        let target = PpcaTarget::new(PpcaPoint::new(&model, &x).unwrap(), &enc, &x).unwrap();
        let mut lw = [0.0; 3];
        target.log_weights(&noise, &mut lw).unwrap();
        let z = target.latents(&noise);
        let (mu, sigma) = enc.mean_and_scale(&x).unwrap();
        for k in 0..3 {
            let zk: DVector<f64> = z.column(k).into_owned();
            let lq: f64 = (0..d).map(|i| {
                let s = sigma[i];
                -0.5 * ((zk[i] - mu[i]) / s).powi(2) - s.ln() - 0.5 * (2.0 * std::f64::consts::PI).ln()
            }).sum();
            prop_assert!((enc.log_q(&x, &zk).unwrap() - lq).abs() < 1e-10);
            let expect = model.log_joint(&x, &zk).unwrap() - lq;
            prop_assert!((lw[k] - expect).abs() < 1e-9 * (1.0 + expect.abs()));
        }
    }

    /// With one particle, DReG's estimate is the pathwise derivative of `log w(z(φ, ξ))` with `q`'s
    /// parameters held fixed inside `log q`: check every parameter against central differences.
    #[test]
    fn dreg_gradient_is_the_pathwise_derivative_with_q_held_fixed(d in 1usize..3, p in 2usize..4, seed in 0u64..1000) {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let model = Ppca::random(d, p, 0.4, seed).unwrap();
        let enc = random_encoder(d, p, &mut rng);
        let x: DVector<f64> = randn(p, 1, 1.0, &mut rng).column(0).into_owned();
        let noise = randn(d, 1, 1.0, &mut rng);
        let (mu0, sigma0) = enc.mean_and_scale(&x).unwrap();
        // f(φ') = log p(x, z(φ', ξ)) − log q_φ(z(φ', ξ) | x), with q's parameters frozen at φ.
        let f = |e: &LinearGaussianEncoder| {
            let (mu, sigma) = e.mean_and_scale(&x).unwrap();
            let z = &mu + sigma.component_mul(&noise.column(0));
            let xi0 = (&z - &mu0).component_div(&sigma0);
            model.log_joint(&x, &z).unwrap() - (enc.log_q_const(&sigma0) - 0.5 * xi0.norm_squared())
        };
        let target = PpcaTarget::new(PpcaPoint::new(&model, &x).unwrap(), &enc, &x).unwrap();
        let z = target.latents(&noise);
        let mut score = target.point().score_particles(&z);
        score.column_mut(0).zip_apply(&noise.column(0).component_div(&sigma0), |s, v| *s += v);
        let mut lw = [0.0];
        target.log_weights(&noise, &mut lw).unwrap();
        let g = enc.dreg_gradient(&x, &noise, &sigma0, &score, &lw).unwrap().to_flat();
        let base = enc.to_flat();
        let h = 1e-6;
        for (c, &gc) in g.iter().enumerate() {
            let mut plus = enc.clone();
            let mut v = base.clone();
            v[c] += h;
            plus.set_flat(&v).unwrap();
            let mut minus = enc.clone();
            v[c] -= 2.0 * h;
            minus.set_flat(&v).unwrap();
            let fd = (f(&plus) - f(&minus)) / (2.0 * h);
            prop_assert!((fd - gc).abs() < 1e-5 * (1.0 + gc.abs()), "parameter {c}: fd {fd} vs DReG {gc}");
        }
    }
}

/// Fitting the encoder by DReG-IWAE raises the bound towards the exact log-likelihood.
#[test]
fn iwae_fitting_improves_the_bound() {
    let (d, p, n) = (2, 6, 8);
    let model = Ppca::random(d, p, 0.2, 3).unwrap();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(5);
    let x = randn(p, n, 1.0, &mut rng);
    let exact = model.log_likelihood(&x).unwrap();
    let mut enc = LinearGaussianEncoder::prior(d, p);
    let avg_bound = |enc: &LinearGaussianEncoder, rng: &mut Xoshiro256PlusPlus| {
        (0..50)
            .map(|_| model.iwae_encoder_gradient(enc, &x, 10, rng).unwrap().0)
            .sum::<f64>()
            / 50.0
    };
    let before = avg_bound(&enc, &mut rng);
    for _ in 0..400 {
        let (_, g) = model.iwae_encoder_gradient(&enc, &x, 10, &mut rng).unwrap();
        let v: Vec<f64> = enc
            .to_flat()
            .iter()
            .zip(g.to_flat())
            .map(|(a, b)| a + 0.01 * b)
            .collect();
        enc.set_flat(&v).unwrap();
    }
    let after = avg_bound(&enc, &mut rng);
    assert!(
        after > before + 1.0,
        "bound before {before}, after {after}, exact {exact}"
    );
    assert!(
        after <= exact + 0.5,
        "the IWAE bound cannot exceed log p(x) by much: {after} vs {exact}"
    );
    // The exact posterior encoder (scale 1) is at least as good as the fitted one, up to noise.
    let post = model.posterior_encoder(1.0).unwrap();
    assert!(avg_bound(&post, &mut rng) > after - 0.5);
}
