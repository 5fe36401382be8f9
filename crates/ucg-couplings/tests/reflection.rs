//! The reflection-maximal coupling of two Gaussians with a common covariance: P(X = Y) = 2Φ(−|L⁻¹Δ|/2),
//! exact marginals (1-D and a correlated 2-D case), exact meeting, typed errors.

use nalgebra::{Cholesky, DMatrix, DVector};
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use ucg_couplings::CouplingError;
use ucg_couplings::maximal::reflection::ReflectionCoupling;

mod common;
use common::{Z, assert_normal_sample, binomial_z, phi, z_mean};

#[test]
fn one_dimensional_meeting_probability_and_marginals() {
    let (mu1, mu2, sigma) = (0.3, 1.8, 1.5);
    let coupling = ReflectionCoupling::isotropic(1, sigma).unwrap();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(11);
    let n = 200_000;
    let (mut xs, mut ys, mut met) = (vec![], vec![], 0usize);
    for _ in 0..n {
        let d = coupling.sample(&[mu1], &[mu2], &mut rng).unwrap();
        assert_eq!(d.met, d.x == d.y);
        met += usize::from(d.met);
        xs.push(d.x[0]);
        ys.push(d.y[0]);
    }
    let exact = 2.0 * phi(-(mu1 - mu2).abs() / (2.0 * sigma));
    let z = binomial_z(met, n, exact);
    assert!(z.abs() < Z, "P(X = Y) z = {z} (exact {exact})");
    for (v, mu, name) in [(&xs, mu1, "X"), (&ys, mu2, "Y")] {
        assert_normal_sample(v, mu, sigma, name);
    }
}

#[test]
fn correlated_two_dimensional_meeting_probability_and_marginals() {
    let cov = DMatrix::from_row_slice(2, 2, &[2.0, 0.9, 0.9, 1.0]);
    let l = Cholesky::new(cov.clone()).unwrap().l();
    let mu1 = [0.0, 0.0];
    let mu2 = [1.0, -0.5];
    let delta: DVector<f64> = DVector::from_column_slice(&[mu1[0] - mu2[0], mu1[1] - mu2[1]]);
    let z_norm = l.solve_lower_triangular(&delta).unwrap().norm();
    let exact = 2.0 * phi(-z_norm / 2.0);
    // The whitened distance differs from the Euclidean one: the test would notice an ignored factor.
    assert!((exact - 2.0 * phi(-delta.norm() / 2.0)).abs() > 0.05);

    let coupling = ReflectionCoupling::from_covariance(&cov).unwrap();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(12);
    let n = 200_000;
    let mut met = 0usize;
    // Per chain: the two coordinates and the three centred products.
    let mut stats = [
        [(); 5].map(|_| Vec::with_capacity(n)),
        [(); 5].map(|_| Vec::with_capacity(n)),
    ];
    let (mut x, mut y) = ([0.0; 2], [0.0; 2]);
    for _ in 0..n {
        let m = coupling
            .sample_into(&mu1, &mu2, &mut x, &mut y, &mut rng)
            .unwrap();
        assert_eq!(m, x == y);
        met += usize::from(m);
        for (c, (v, mu)) in [(&x, &mu1), (&y, &mu2)].into_iter().enumerate() {
            let (a, b) = (v[0] - mu[0], v[1] - mu[1]);
            stats[c][0].push(v[0]);
            stats[c][1].push(v[1]);
            stats[c][2].push(a * a);
            stats[c][3].push(a * b);
            stats[c][4].push(b * b);
        }
    }
    let z = binomial_z(met, n, exact);
    assert!(z.abs() < Z, "P(X = Y) z = {z} (exact {exact})");
    for (c, mu) in [mu1, mu2].iter().enumerate() {
        let expected = [mu[0], mu[1], cov[(0, 0)], cov[(0, 1)], cov[(1, 1)]];
        for (s, e) in stats[c].iter().zip(expected) {
            let zs = z_mean(s, e);
            assert!(zs.abs() < Z, "chain {c}: statistic z = {zs} (expected {e})");
        }
    }
}

#[test]
fn equal_means_give_bit_identical_draws() {
    let coupling = ReflectionCoupling::isotropic(3, 0.7).unwrap();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(13);
    let mu = [0.1, -2.0, 3.5];
    for _ in 0..1000 {
        let d = coupling.sample(&mu, &mu, &mut rng).unwrap();
        assert!(d.met);
        assert!(
            d.x.iter()
                .zip(d.y.iter())
                .all(|(a, b)| a.to_bits() == b.to_bits())
        );
    }
}

#[test]
fn first_marginal_is_the_plain_gaussian_draw_bit_for_bit() {
    let l = DMatrix::from_row_slice(3, 3, &[1.0, 0.0, 0.0, 0.3, 0.8, 0.0, -0.2, 0.5, 1.5]);
    let coupling = ReflectionCoupling::from_cholesky_factor(l.clone()).unwrap();
    let (mu1, mu2) = ([1.0, 2.0, 3.0], [0.5, 2.5, 2.0]);
    for seed in 0..200 {
        let mut a = Xoshiro256PlusPlus::seed_from_u64(seed);
        let mut b = a.clone();
        let mut single = [0.0; 3];
        coupling
            .sample_gaussian_into(&mu1, &mut single, &mut a)
            .unwrap();
        let d = coupling.sample(&mu1, &mu2, &mut b).unwrap();
        assert_eq!(d.x.as_slice(), &single);
    }
    // The three constructors agree on the factor.
    let cov = &l * l.transpose();
    let from_cov = ReflectionCoupling::from_covariance(&cov).unwrap();
    assert!((from_cov.cholesky_factor() - &l).amax() < 1e-12);
    let from_chol = ReflectionCoupling::from_cholesky(&Cholesky::new(cov).unwrap()).unwrap();
    assert_eq!(from_chol.dim(), 3);
    assert_eq!(
        ReflectionCoupling::isotropic(2, 3.0)
            .unwrap()
            .cholesky_factor(),
        DMatrix::from_diagonal_element(2, 2, 3.0)
    );
}

#[test]
fn bad_inputs_give_typed_errors() {
    let c = ReflectionCoupling::isotropic(2, 1.0).unwrap();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(14);
    assert!(matches!(
        c.sample(&[0.0], &[0.0, 1.0], &mut rng),
        Err(CouplingError::DimensionMismatch {
            expected: 2,
            found: 1,
            ..
        })
    ));
    let (mut x, mut y) = ([0.0; 2], [0.0; 3]);
    assert!(matches!(
        c.sample_into(&[0.0; 2], &[1.0; 2], &mut x, &mut y, &mut rng),
        Err(CouplingError::DimensionMismatch {
            expected: 2,
            found: 3,
            ..
        })
    ));
    assert!(matches!(
        c.sample(&[f64::NAN, 0.0], &[0.0, 1.0], &mut rng),
        Err(CouplingError::InvalidParameter { .. })
    ));
    assert!(matches!(
        c.sample(&[1e300, 0.0], &[-1e300, 1.0], &mut rng),
        Err(CouplingError::InvalidParameter { .. })
    ));
    for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        assert!(ReflectionCoupling::isotropic(2, bad).is_err());
    }
    assert!(ReflectionCoupling::isotropic(0, 1.0).is_err());
    let upper = DMatrix::from_row_slice(2, 2, &[1.0, 0.5, 0.0, 1.0]);
    assert!(ReflectionCoupling::from_cholesky_factor(upper).is_err());
    let neg_diag = DMatrix::from_row_slice(2, 2, &[1.0, 0.0, 0.5, -1.0]);
    assert!(ReflectionCoupling::from_cholesky_factor(neg_diag).is_err());
    assert!(ReflectionCoupling::from_cholesky_factor(DMatrix::zeros(2, 3)).is_err());
    assert!(ReflectionCoupling::from_cholesky_factor(DMatrix::zeros(0, 0)).is_err());
    let not_pd = DMatrix::from_row_slice(2, 2, &[1.0, 2.0, 2.0, 1.0]);
    assert!(ReflectionCoupling::from_covariance(&not_pd).is_err());
    let not_sym = DMatrix::from_row_slice(2, 2, &[1.0, 0.5, 0.0, 1.0]);
    assert!(ReflectionCoupling::from_covariance(&not_sym).is_err());
    let nan = DMatrix::from_row_slice(2, 2, &[1.0, f64::NAN, f64::NAN, 1.0]);
    assert!(ReflectionCoupling::from_covariance(&nan).is_err());
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    /// A random well-conditioned lower-triangular factor of size `d` from raw entries in (−1, 1).
    fn factor(d: usize, raw: &[f64]) -> DMatrix<f64> {
        DMatrix::from_fn(d, d, |i, j| match i.cmp(&j) {
            std::cmp::Ordering::Less => 0.0,
            std::cmp::Ordering::Equal => 0.5 + raw[i * d + j].abs(),
            std::cmp::Ordering::Greater => raw[i * d + j],
        })
    }

    proptest! {
        // A fixed seed keeps the run reproducible (each case's own `seed` drives the sampler).
        #![proptest_config(ProptestConfig {
            rng_seed: proptest::test_runner::RngSeed::Fixed(20261),
            ..ProptestConfig::with_cases(32)
        })]

        /// Structure of every draw: the flag is exactly X = Y; an equal pair satisfies Y = μ₂ + L(ξ + z);
        /// a reflected pair keeps the whitened norm, |L⁻¹(Y − μ₂)| = |L⁻¹(X − μ₁)|.
        #[test]
        fn draws_are_reflections_or_exact_copies(
            d in 1usize..4,
            raw in proptest::collection::vec(-1.0f64..1.0, 9),
            mu in proptest::collection::vec(-2.0f64..2.0, 6),
            seed in any::<u64>(),
        ) {
            let l = factor(d, &raw);
            let c = ReflectionCoupling::from_cholesky_factor(l.clone()).unwrap();
            let (mu1, mu2) = (&mu[..d], &mu[3..3 + d]);
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
            for _ in 0..50 {
                let dr = c.sample(mu1, mu2, &mut rng).unwrap();
                prop_assert_eq!(dr.met, dr.x == dr.y);
                let wx = l.solve_lower_triangular(&(&dr.x - DVector::from_column_slice(mu1))).unwrap();
                let wy = l.solve_lower_triangular(&(&dr.y - DVector::from_column_slice(mu2))).unwrap();
                if !dr.met {
                    prop_assert!((wx.norm() - wy.norm()).abs() < 1e-9 * (1.0 + wx.norm()));
                }
            }
        }

        /// P(X = Y) = 2Φ(−|L⁻¹(μ₁ − μ₂)|/2) for random factors and means (|z| < 5 over 16 cases).
        #[test]
        fn meeting_probability_matches_the_whitened_distance(
            d in 1usize..4,
            raw in proptest::collection::vec(-1.0f64..1.0, 9),
            mu in proptest::collection::vec(-1.5f64..1.5, 6),
            seed in any::<u64>(),
        ) {
            let l = factor(d, &raw);
            let c = ReflectionCoupling::from_cholesky_factor(l.clone()).unwrap();
            let (mu1, mu2) = (&mu[..d], &mu[3..3 + d]);
            let delta = DVector::from_column_slice(mu1) - DVector::from_column_slice(mu2);
            let exact = 2.0 * phi(-l.solve_lower_triangular(&delta).unwrap().norm() / 2.0);
            prop_assume!(exact > 1e-3 && exact < 1.0 - 1e-3);
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
            let n = 20_000;
            let (mut x, mut y) = (vec![0.0; d], vec![0.0; d]);
            let mut met = 0usize;
            for _ in 0..n {
                met += usize::from(c.sample_into(mu1, mu2, &mut x, &mut y, &mut rng).unwrap());
            }
            let z = binomial_z(met, n, exact);
            prop_assert!(z.abs() < 5.0, "z = {}", z);
        }
    }
}
