//! The rotated-noise PPCA target agrees with the direct one: same log-weights for the same latents, and
//! statistics accumulated in rotated coordinates give the same latent moments.

use nalgebra::{DMatrix, DVector};
use proptest::prelude::*;
use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};
use rand_xoshiro::Xoshiro256PlusPlus;
use ucg_couplings::ImportanceTarget;
use ucg_models::encoder::LinearGaussianEncoder;
use ucg_models::ppca::{DiagonalPpcaTarget, PointStats, Ppca, PpcaPoint};

fn randn(rows: usize, cols: usize, scale: f64, rng: &mut Xoshiro256PlusPlus) -> DMatrix<f64> {
    DMatrix::from_fn(rows, cols, |_, _| {
        let v: f64 = StandardNormal.sample(rng);
        scale * v
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn rotated_target_matches_log_joint_minus_log_q(d in 1usize..6, extra in 0usize..6, seed in 0u64..1000) {
        let p = d + extra + 1;
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let model = Ppca::random(d, p, 0.3, seed).unwrap();
        let enc = LinearGaussianEncoder::new(
            randn(d, p, 0.3, &mut rng), randn(d, 1, 0.3, &mut rng).column(0).into_owned(),
            randn(d, p, 0.1, &mut rng), randn(d, 1, 0.1, &mut rng).column(0).into_owned(),
        ).unwrap();
        let x: DVector<f64> = randn(p, 1, 1.0, &mut rng).column(0).into_owned();
        let point = PpcaPoint::new(&model, &x).unwrap();
        let target = DiagonalPpcaTarget::new(&point, &enc, &x).unwrap();
        let eta = randn(d, 4, 1.0, &mut rng);
        let mut lw = [0.0; 4];
        target.log_weights(&eta, &mut lw).unwrap();
        let z = target.latents(&eta);
        for k in 0..4 {
            let zk: DVector<f64> = z.column(k).into_owned();
            let expect = model.log_joint(&x, &zk).unwrap() - enc.log_q(&x, &zk).unwrap();
            prop_assert!((lw[k] - expect).abs() < 1e-8 * (1.0 + expect.abs()), "{} vs {expect}", lw[k]);
            // The rotation is orthogonal: the proposal's noise norm is preserved.
            let (mu, sigma) = enc.mean_and_scale(&x).unwrap();
            let xi = (&zk - mu).component_div(&sigma);
            prop_assert!((xi.norm() - eta.column(k).norm()).abs() < 1e-9 * (1.0 + xi.norm()));
        }
        // Moments accumulated in rotated coordinates equal those of the latents.
        let c = [0.3, -1.2, 0.7, 2.0];
        let mut eta_stats = PointStats::new(d);
        eta_stats.push_set(&eta, &c, 0.5).unwrap();
        let mut z_stats = PointStats::new(d);
        z_stats.push_set(&z, &c, 0.5).unwrap();
        let (s0, s1, s2) = target.latent_moments(&eta_stats).unwrap();
        prop_assert!((s0 - z_stats.total_coefficient()).abs() < 1e-12);
        prop_assert!((&s1 - z_stats.first_moment()).norm() < 1e-9 * (1.0 + s1.norm()));
        prop_assert!((s2.clone() - z_stats.second_moment()).norm() < 1e-9 * (1.0 + s2.norm()));
    }
}
