//! PPCA's closed forms against dense linear algebra, finite differences and Monte Carlo.

use nalgebra::{DMatrix, DVector};
use proptest::prelude::*;
use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};
use rand_xoshiro::Xoshiro256PlusPlus;
use statrs::distribution::{ContinuousCDF, Normal};
use ucg_models::ModelError;
use ucg_models::ppca::{BatchStats, PointStats, Ppca, PpcaPoint};

const LN_2PI: f64 = 1.837_877_066_409_345_5;

fn random_batch(p: usize, n: usize, seed: u64) -> DMatrix<f64> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    DMatrix::from_fn(p, n, |_, _| StandardNormal.sample(&mut rng))
}

/// Two-sided normal quantile for a family-wise level `alpha` over `m` comparisons (Bonferroni).
fn bonferroni_z(alpha: f64, m: usize) -> f64 {
    Normal::new(0.0, 1.0)
        .unwrap()
        .inverse_cdf(1.0 - alpha / (2.0 * m as f64))
}

fn dense_log_density(model: &Ppca, x: &DMatrix<f64>) -> f64 {
    let p = model.data_dim();
    let sigma =
        model.theta1().transpose() * model.theta1() + DMatrix::identity(p, p) * model.sigma2();
    let chol = sigma.clone().cholesky().unwrap();
    let log_det = 2.0 * chol.l().diagonal().iter().map(|v| v.ln()).sum::<f64>();
    x.column_iter()
        .map(|col| {
            let r = col - model.theta0();
            let q = r.dot(&chol.solve(&r));
            -0.5 * (p as f64 * LN_2PI + log_det + q)
        })
        .sum()
}

fn perturbed(model: &Ppca, comp: usize, h: f64) -> Ppca {
    let mut t0 = model.theta0().clone();
    let mut t1 = model.theta1().clone();
    let p = t0.len();
    if comp < p {
        t0[comp] += h;
    } else {
        t1.as_mut_slice()[comp - p] += h;
    }
    Ppca::new(t0, t1, model.sigma2()).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]

    #[test]
    fn log_likelihood_matches_dense_gaussian(d in 1usize..4, extra in 0usize..5, n in 1usize..4, seed in 0u64..1000) {
        let p = d + extra + 1;
        let model = Ppca::random(d, p, 0.3, seed).unwrap();
        let x = random_batch(p, n, seed + 1);
        let exact = model.log_likelihood(&x).unwrap();
        let dense = dense_log_density(&model, &x);
        prop_assert!((exact - dense).abs() < 1e-9 * (1.0 + dense.abs()), "{exact} vs {dense}");
    }

    #[test]
    fn exact_gradient_matches_finite_differences(d in 1usize..4, extra in 0usize..4, n in 1usize..4, seed in 0u64..1000) {
        let p = d + extra + 1;
        let model = Ppca::random(d, p, 0.5, seed).unwrap();
        let x = random_batch(p, n, seed + 7);
        let g = model.log_likelihood_gradient(&x).unwrap().to_vec();
        let h = 1e-5;
        for (c, &gc) in g.iter().enumerate() {
            let fd = (model_ll(&perturbed(&model, c, h), &x) - model_ll(&perturbed(&model, c, -h), &x)) / (2.0 * h);
            prop_assert!((fd - gc).abs() < 1e-5 * (1.0 + gc.abs()), "component {c}: fd {fd} vs {gc}");
        }
    }

    #[test]
    fn complete_data_gradient_and_score_match_finite_differences(d in 1usize..4, extra in 0usize..4, seed in 0u64..1000) {
        let p = d + extra + 1;
        let model = Ppca::random(d, p, 0.5, seed).unwrap();
        let x: DVector<f64> = random_batch(p, 1, seed + 3).column(0).into_owned();
        let z: DVector<f64> = random_batch(d, 1, seed + 4).column(0).into_owned();
        let g = model.log_joint_gradient(&x, &z).unwrap().to_vec();
        let h = 1e-5;
        for (c, &gc) in g.iter().enumerate() {
            let f = |m: &Ppca| m.log_joint(&x, &z).unwrap();
            let fd = (f(&perturbed(&model, c, h)) - f(&perturbed(&model, c, -h))) / (2.0 * h);
            prop_assert!((fd - gc).abs() < 1e-5 * (1.0 + gc.abs()), "θ component {c}: fd {fd} vs {gc}");
        }
        // ∂ log p(x, z) / ∂z from the O(D²) path, and the O(D²) log-joint itself.
        let point = PpcaPoint::new(&model, &x).unwrap();
        let zm = DMatrix::from_column_slice(d, 1, z.as_slice());
        let score = point.score_particles(&zm);
        let mut lj = [0.0];
        point.log_joint_particles(&zm, &mut lj);
        prop_assert!((lj[0] - model.log_joint(&x, &z).unwrap()).abs() < 1e-9 * (1.0 + lj[0].abs()));
        for i in 0..d {
            let mut zp = z.clone();
            zp[i] += h;
            let mut zm2 = z.clone();
            zm2[i] -= h;
            let fd = (model.log_joint(&x, &zp).unwrap() - model.log_joint(&x, &zm2).unwrap()) / (2.0 * h);
            prop_assert!((fd - score[(i, 0)]).abs() < 1e-5 * (1.0 + fd.abs()), "score {i}: fd {fd} vs {}", score[(i, 0)]);
        }
    }

    #[test]
    fn sufficient_statistics_reproduce_the_weighted_gradient_sum(d in 1usize..4, p in 2usize..6, n in 1usize..4, k in 1usize..5, seed in 0u64..1000) {
        let model = Ppca::random(d, p, 0.4, seed).unwrap();
        let x = random_batch(p, n, seed + 11);
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let mut direct = ucg_models::ppca::PpcaGradient::zeros(d, p);
        let mut stats = Vec::new();
        for col in x.column_iter() {
            let xn: DVector<f64> = col.into_owned();
            let mut ps = PointStats::new(d);
            let z = DMatrix::from_fn(d, k, |_, _| StandardNormal.sample(&mut rng));
            let c: Vec<f64> = (0..k).map(|_| StandardNormal.sample(&mut rng)).collect();
            ps.push_set(&z, &c, 0.5).unwrap();
            for j in 0..k {
                let g = model.log_joint_gradient(&xn, &z.column(j).into_owned()).unwrap();
                direct.axpy(0.5 * c[j], &g);
            }
            let single = PpcaPoint::new(&model, &xn).unwrap().gradient_from_stats(&ps).unwrap();
            let mut alone = ucg_models::ppca::PpcaGradient::zeros(d, p);
            for j in 0..k {
                alone.axpy(0.5 * c[j], &model.log_joint_gradient(&xn, &z.column(j).into_owned()).unwrap());
            }
            for (a, b) in single.to_vec().iter().zip(alone.to_vec()) {
                prop_assert!((a - b).abs() < 1e-9 * (1.0 + b.abs()));
            }
            stats.push(ps);
        }
        let batch = model.gradient_from_stats(&x, &BatchStats::from_points(&stats).unwrap()).unwrap();
        for (a, b) in batch.to_vec().iter().zip(direct.to_vec()) {
            prop_assert!((a - b).abs() < 1e-9 * (1.0 + b.abs()), "{a} vs {b}");
        }
    }
}

fn model_ll(m: &Ppca, x: &DMatrix<f64>) -> f64 {
    m.log_likelihood(x).unwrap()
}

/// Self-normalised importance sampling with the prior as proposal estimates the posterior mean; the exact
/// mean must lie within the delta-method standard error.
#[test]
fn posterior_mean_matches_self_normalised_importance_sampling() {
    let d = 2;
    let model = Ppca::new(
        DVector::from_vec(vec![0.1, -0.2, 0.0, 0.3, 0.05]),
        DMatrix::from_row_slice(2, 5, &[0.8, -0.3, 0.5, 0.1, -0.6, 0.2, 0.7, -0.4, 0.9, 0.3]),
        0.5,
    )
    .unwrap();
    let x = DVector::from_vec(vec![0.5, 0.3, -0.2, 0.8, -0.4]);
    let (mean, _) = model.posterior(&x).unwrap();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(2024);
    let n = 400_000;
    let (mut zs, mut lw) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for _ in 0..n {
        let z = DVector::from_fn(d, |_, _| StandardNormal.sample(&mut rng));
        let r = &x - model.theta0() - model.theta1().tr_mul(&z);
        lw.push(-0.5 * r.norm_squared() / model.sigma2());
        zs.push(z);
    }
    let m = lw.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let w: Vec<f64> = lw.iter().map(|l| (l - m).exp()).collect();
    let s: f64 = w.iter().sum();
    let zmax = bonferroni_z(1e-3, d);
    for i in 0..d {
        let est: f64 = w.iter().zip(&zs).map(|(wi, z)| wi * z[i]).sum::<f64>() / s;
        let var: f64 = w
            .iter()
            .zip(&zs)
            .map(|(wi, z)| (wi / s).powi(2) * (z[i] - est).powi(2))
            .sum();
        let zscore = (est - mean[i]) / var.sqrt();
        assert!(
            zscore.abs() < zmax,
            "component {i}: SNIS {est} vs exact {}, z = {zscore}",
            mean[i]
        );
    }
}

/// Fisher's identity: ∇θ log p(x) = E_{p(z|x)}[∇θ log p(x, z)], checked componentwise with exact posterior
/// samples and a Bonferroni-corrected z-score bound (family-wise level 0.1%).
#[test]
fn fishers_identity_holds_with_exact_posterior_samples() {
    let (d, p, n_points) = (3, 6, 2);
    let model = Ppca::random(d, p, 0.3, 99).unwrap();
    let x = random_batch(p, n_points, 5);
    let exact = model.log_likelihood_gradient(&x).unwrap().to_vec();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(77);
    let samples = 40_000;
    let dim = exact.len();
    let (mut sum, mut sumsq) = (vec![0.0; dim], vec![0.0; dim]);
    let posts: Vec<_> = x
        .column_iter()
        .map(|c| {
            let xn: DVector<f64> = c.into_owned();
            let (mu, cov) = model.posterior(&xn).unwrap();
            (xn, mu, cov.cholesky().unwrap().l())
        })
        .collect();
    for _ in 0..samples {
        let mut g = ucg_models::ppca::PpcaGradient::zeros(d, p);
        for (xn, mu, l) in &posts {
            let z = mu + l * DVector::from_fn(d, |_, _| StandardNormal.sample(&mut rng));
            g.axpy(1.0, &model.log_joint_gradient(xn, &z).unwrap());
        }
        for (j, v) in g.to_vec().into_iter().enumerate() {
            sum[j] += v;
            sumsq[j] += v * v;
        }
    }
    let zmax = bonferroni_z(1e-3, dim);
    for j in 0..dim {
        let mean = sum[j] / samples as f64;
        let var = (sumsq[j] / samples as f64 - mean * mean).max(0.0);
        let se = (var / samples as f64).sqrt();
        let z = (mean - exact[j]) / se;
        assert!(
            z.abs() < zmax,
            "component {j}: MC {mean} ± {se} vs exact {}, z = {z}",
            exact[j]
        );
    }
}

#[test]
fn bad_inputs_give_typed_errors() {
    let t1 = DMatrix::from_element(2, 4, 0.1);
    assert!(matches!(
        Ppca::new(DVector::zeros(3), t1.clone(), 0.1),
        Err(ModelError::DimensionMismatch { .. })
    ));
    assert!(matches!(
        Ppca::new(DVector::zeros(4), t1.clone(), 0.0),
        Err(ModelError::InvalidParameter { .. })
    ));
    assert!(matches!(
        Ppca::new(DVector::zeros(4), t1.clone(), -1.0),
        Err(ModelError::InvalidParameter { .. })
    ));
    assert!(matches!(
        Ppca::new(DVector::zeros(4), t1.clone(), f64::NAN),
        Err(ModelError::InvalidParameter { .. })
    ));
    let mut bad = t1.clone();
    bad[(0, 0)] = f64::NAN;
    assert!(matches!(
        Ppca::new(DVector::zeros(4), bad, 0.1),
        Err(ModelError::NonFinite { .. })
    ));
    assert!(matches!(
        Ppca::new(DVector::zeros(0), DMatrix::zeros(2, 0), 0.1),
        Err(ModelError::InvalidParameter { .. })
    ));
    let model = Ppca::new(DVector::zeros(4), t1, 0.1).unwrap();
    let wrong_rows = DMatrix::zeros(3, 2);
    assert!(matches!(
        model.log_likelihood(&wrong_rows),
        Err(ModelError::DimensionMismatch { .. })
    ));
    assert!(matches!(
        model.log_likelihood_gradient(&wrong_rows),
        Err(ModelError::DimensionMismatch { .. })
    ));
    let mut nan_x = DMatrix::zeros(4, 2);
    nan_x[(1, 1)] = f64::NAN;
    assert!(matches!(
        model.log_likelihood(&nan_x),
        Err(ModelError::NonFinite { .. })
    ));
    assert!(matches!(
        model.posterior(&DVector::zeros(5)),
        Err(ModelError::DimensionMismatch { .. })
    ));
    assert!(matches!(
        model.log_joint(&DVector::zeros(4), &DVector::zeros(3)),
        Err(ModelError::DimensionMismatch { .. })
    ));
    assert!(model.posterior_encoder(0.0).is_err());
}
