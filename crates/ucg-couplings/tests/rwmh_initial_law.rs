//! The random-walk kernel's initial law `π0 = N(mean, sd² I)` (default `N(0, I)`), its validation, and
//! what a state reports about itself.

use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use ucg_couplings::rwmh::Rwmh;
use ucg_couplings::{CouplingError, InitialLaw, LogDensity};

mod common;
use common::{Z, z_mean, z_var_normal};

/// `log π(x) = −|x − (1, 2)|²/2`, so that a state's cached log-density differs from any constant.
struct Shifted;
impl LogDensity for Shifted {
    fn dim(&self) -> usize {
        2
    }
    fn log_density(&self, x: &[f64]) -> ucg_couplings::Result<f64> {
        Ok(-0.5 * ((x[0] - 1.0).powi(2) + (x[1] - 2.0).powi(2)))
    }
}

/// Draws `n` initial states and checks each coordinate's mean and variance against `N(mean_i, sd²)`
/// (four z-tests per call at |z| < 4.5), and what each state reports.
fn check_initial_law(kernel: &Rwmh<Shifted>, mean: [f64; 2], sd: f64, seed: u64) {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let n = 20_000;
    let mut coords = [Vec::with_capacity(n), Vec::with_capacity(n)];
    for _ in 0..n {
        let s = kernel.sample_initial(&mut rng).unwrap();
        assert_eq!(s.dim(), 2);
        let lp = Shifted.log_density(s.position()).unwrap();
        assert_eq!(s.log_density().to_bits(), lp.to_bits());
        let position = s.position().to_vec();
        assert_eq!(s.into_position(), position);
        coords[0].push(position[0]);
        coords[1].push(position[1]);
    }
    for (i, c) in coords.iter().enumerate() {
        let (zm, zv) = (z_mean(c, mean[i]), z_var_normal(c, sd * sd));
        assert!(
            zm.abs() < Z && zv.abs() < Z,
            "coordinate {i}: mean z = {zm}, variance z = {zv}"
        );
    }
}

#[test]
fn initial_law_is_the_configured_normal() {
    let kernel = Rwmh::new(Shifted, 0.7).unwrap();
    check_initial_law(&kernel, [0.0, 0.0], 1.0, 11);
    let kernel = kernel.with_initial_normal(vec![3.0, -2.0], 0.5).unwrap();
    check_initial_law(&kernel, [3.0, -2.0], 0.5, 12);
}

#[test]
fn initial_law_settings_are_validated() {
    let kernel = || Rwmh::new(Shifted, 0.7).unwrap();
    assert!(matches!(
        kernel().with_initial_normal(vec![0.0; 3], 1.0),
        Err(CouplingError::DimensionMismatch {
            expected: 2,
            found: 3,
            ..
        })
    ));
    for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        assert!(matches!(
            kernel().with_initial_normal(vec![0.0, bad], 1.0),
            Err(CouplingError::InvalidParameter { .. })
        ));
    }
    for bad in [0.0, -0.5, f64::NAN, f64::INFINITY] {
        assert!(matches!(
            kernel().with_initial_normal(vec![0.0, 0.0], bad),
            Err(CouplingError::InvalidParameter { .. })
        ));
    }
    assert!(kernel().with_initial_normal(vec![-1.0, 1.0], 1e-3).is_ok());
}
