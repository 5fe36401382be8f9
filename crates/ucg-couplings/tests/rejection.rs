//! The rejection construction of the maximal coupling: P(X = Y) = 1 − TV, exact marginals, two draws on
//! average, typed errors for inconsistent densities.

use rand::{Rng, RngExt, SeedableRng};
use rand_distr::{Distribution, Normal};
use rand_xoshiro::Xoshiro256PlusPlus;
use ucg_couplings::CouplingError;
use ucg_couplings::maximal::rejection::{RejectionCoupling, SampleLogDensity, maximal_coupling};

mod common;
use common::{Z, assert_normal_sample, binomial_z, mean_var, phi, z_mean};

#[test]
fn normals_meet_with_probability_one_minus_tv_with_exact_marginals_and_two_draws() {
    let (mu1, mu2, sigma) = (0.3, 1.8, 1.5);
    let p = Normal::new(mu1, sigma).unwrap();
    let q = Normal::new(mu2, sigma).unwrap();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(20_240_601);
    let coupling = RejectionCoupling::new();
    let n = 200_000;
    let (mut xs, mut ys, mut draws, mut met) = (vec![], vec![], vec![], 0usize);
    for _ in 0..n {
        let d = coupling.sample(&p, &q, &mut rng).unwrap();
        assert_eq!(d.met, d.x == d.y, "met flag must be exactly X = Y");
        assert!(d.proposals >= 1 && (d.proposals == 1) == d.met);
        met += usize::from(d.met);
        xs.push(d.x);
        ys.push(d.y);
        draws.push(d.proposals as f64);
    }
    let exact = 2.0 * phi(-(mu1 - mu2).abs() / (2.0 * sigma));
    let freq = met as f64 / n as f64;
    let z = binomial_z(met, n, exact);
    assert!(z.abs() < Z, "P(X = Y) = {freq}, exact {exact}, z = {z}");

    for (v, mu, name) in [(&xs, mu1, "X"), (&ys, mu2, "Y")] {
        assert_normal_sample(v, mu, sigma, name);
    }
    // E[draws] = 1 + TV · (1/TV) = 2 exactly; the variance is finite (2(1 − TV)/TV), so a z-test applies.
    let zd = z_mean(&draws, 2.0);
    assert!(
        zd.abs() < Z,
        "mean number of draws {} , z = {zd}",
        mean_var(&draws).0
    );
}

#[test]
fn identical_distributions_meet_at_the_first_draw() {
    let p = Normal::new(-0.7, 2.0).unwrap();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
    for _ in 0..10_000 {
        let d = maximal_coupling(&p, &p, &mut rng).unwrap();
        assert!(d.met);
        assert_eq!(d.x.to_bits(), d.y.to_bits());
        assert_eq!(d.proposals, 1);
    }
}

/// A categorical distribution on `{0, …, n−1}` given by probabilities (counting measure).
struct Categorical(Vec<f64>);
impl Distribution<usize> for Categorical {
    fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> usize {
        let u: f64 = rng.random();
        let mut acc = 0.0;
        for (i, p) in self.0.iter().enumerate() {
            acc += p;
            if u < acc {
                return i;
            }
        }
        self.0.len() - 1
    }
}
impl SampleLogDensity<usize> for Categorical {
    fn log_density(&self, x: &usize) -> f64 {
        self.0.get(*x).map_or(f64::NEG_INFINITY, |p| p.ln())
    }
}

#[test]
fn discrete_distributions_of_different_support_meet_with_probability_one_minus_tv() {
    let p = Categorical(vec![0.1, 0.2, 0.3, 0.4, 0.0]);
    let q = Categorical(vec![0.0, 0.4, 0.3, 0.2, 0.1]);
    let tv = 0.5
        * p.0
            .iter()
            .zip(&q.0)
            .map(|(a, b)| (a - b).abs())
            .sum::<f64>();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(99);
    let n = 100_000;
    let (mut met, mut fx, mut fy) = (0usize, [0usize; 5], [0usize; 5]);
    for _ in 0..n {
        let d = maximal_coupling(&p, &q, &mut rng).unwrap();
        assert_eq!(d.met, d.x == d.y);
        met += usize::from(d.met);
        fx[d.x] += 1;
        fy[d.y] += 1;
    }
    let binom_z = |count: usize, prob: f64| {
        let f = count as f64 / n as f64;
        if prob == 0.0 || prob == 1.0 {
            assert_eq!(f, prob);
            return 0.0;
        }
        (f - prob) / (prob * (1.0 - prob) / n as f64).sqrt()
    };
    let z = binom_z(met, 1.0 - tv);
    assert!(z.abs() < Z, "P(X = Y): z = {z}");
    for k in 0..5 {
        let (zx, zy) = (binom_z(fx[k], p.0[k]), binom_z(fy[k], q.0[k]));
        assert!(
            zx.abs() < Z && zy.abs() < Z,
            "marginals at {k}: z = {zx}, {zy}"
        );
    }
}

/// A normal whose log-density is corrupted.
struct Broken {
    inner: Normal<f64>,
    log_density: f64,
}
impl Distribution<f64> for Broken {
    fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        self.inner.sample(rng)
    }
}
impl SampleLogDensity<f64> for Broken {
    fn log_density(&self, _: &f64) -> f64 {
        self.log_density
    }
}

#[test]
fn nan_or_infinite_log_density_is_a_typed_error() {
    let p = Normal::new(0.0, 1.0).unwrap();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(2);
    for bad in [f64::NAN, f64::INFINITY] {
        let q = Broken {
            inner: Normal::new(1.0, 1.0).unwrap(),
            log_density: bad,
        };
        let err = maximal_coupling(&p, &q, &mut rng).unwrap_err();
        assert!(
            matches!(err, CouplingError::NonFiniteLogWeight { index: 1, .. }),
            "{err:?}"
        );
        let err = maximal_coupling(&q, &p, &mut rng).unwrap_err();
        assert!(
            matches!(err, CouplingError::NonFiniteLogWeight { index: 0, .. }),
            "{err:?}"
        );
    }
}

#[test]
fn inconsistent_density_stops_at_max_trials_instead_of_looping() {
    // q claims zero density everywhere, so neither X nor any Y* can be accepted.
    let p = Normal::new(0.0, 1.0).unwrap();
    let q = Broken {
        inner: Normal::new(0.0, 1.0).unwrap(),
        log_density: f64::NEG_INFINITY,
    };
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
    let coupling = RejectionCoupling::with_max_trials(1000).unwrap();
    assert_eq!(coupling.max_trials(), 1000);
    let err = coupling.sample(&p, &q, &mut rng).unwrap_err();
    assert!(
        matches!(
            err,
            CouplingError::InvalidParameter {
                name: "max_trials",
                ..
            }
        ),
        "{err:?}"
    );
    assert!(RejectionCoupling::with_max_trials(0).is_err());
    assert_eq!(
        RejectionCoupling::default().max_trials(),
        RejectionCoupling::DEFAULT_MAX_TRIALS
    );
}

#[test]
fn far_apart_normals_almost_never_meet_and_cost_stays_bounded() {
    // TV ≈ 1: the loop is entered almost surely and accepts almost at once.
    let p = Normal::new(0.0, 1.0).unwrap();
    let q = Normal::new(20.0, 1.0).unwrap();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(4);
    for _ in 0..1000 {
        let d = maximal_coupling(&p, &q, &mut rng).unwrap();
        assert!(!d.met);
        assert_eq!(d.proposals, 2);
        assert!(d.x < 10.0 && d.y > 10.0);
    }
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        // A fixed seed keeps the run reproducible (each case's own `seed` drives the sampler).
        #![proptest_config(ProptestConfig {
            rng_seed: proptest::test_runner::RngSeed::Fixed(20260),
            ..ProptestConfig::with_cases(16)
        })]

        /// P(X = Y) = 2Φ(−|μ₁ − μ₂|/(2σ)) and E[draws] = 2 for random normal pairs (|z| < 5).
        #[test]
        fn random_normal_pairs_meet_with_probability_one_minus_tv(
            mu1 in -3.0f64..3.0,
            mu2 in -3.0f64..3.0,
            sigma in 0.2f64..3.0,
            seed in any::<u64>(),
        ) {
            let exact = 2.0 * phi(-(mu1 - mu2).abs() / (2.0 * sigma));
            prop_assume!(exact > 1e-3 && exact < 1.0 - 1e-3);
            let (p, q) = (Normal::new(mu1, sigma).unwrap(), Normal::new(mu2, sigma).unwrap());
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
            let n = 20_000;
            let (mut met, mut draws) = (0usize, Vec::with_capacity(n));
            for _ in 0..n {
                let d = maximal_coupling(&p, &q, &mut rng).unwrap();
                prop_assert_eq!(d.met, d.x == d.y);
                met += usize::from(d.met);
                draws.push(d.proposals as f64);
            }
            let z = binomial_z(met, n, exact);
            prop_assert!(z.abs() < 5.0, "P(X = Y) z = {}", z);
            let zd = z_mean(&draws, 2.0);
            prop_assert!(zd.abs() < 5.0, "draws z = {}", zd);
        }
    }
}
