//! Random-walk MH and its reflection coupling: invariance, faithful marginals of the coupled kernel,
//! the one-step meeting probability of a shared uniform, meeting in finite time, stickiness, errors.

use nalgebra::{Cholesky, DMatrix, DVector};
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, StandardNormal};
use rand_xoshiro::Xoshiro256PlusPlus;
use ucg_couplings::rwmh::{Rwmh, RwmhState};
use ucg_couplings::{CoupledKernel, CouplingError, LogDensity, MarkovKernel};

mod common;
use common::{Moments, Z, assert_z, one_step_meeting_frequency};

/// N(m, S) on ℝ² with a non-diagonal covariance.
struct Gauss2 {
    mean: [f64; 2],
    cov: DMatrix<f64>,
    prec: DMatrix<f64>,
    chol: DMatrix<f64>,
}

impl Gauss2 {
    fn new() -> Self {
        let cov = DMatrix::from_row_slice(2, 2, &[1.0, 0.6, 0.6, 2.0]);
        let chol = Cholesky::new(cov.clone()).unwrap();
        Gauss2 {
            mean: [1.0, -1.0],
            prec: chol.inverse(),
            chol: chol.l(),
            cov,
        }
    }
    fn exact<R: Rng + ?Sized>(&self, rng: &mut R) -> Vec<f64> {
        let xi = DVector::from_fn(2, |_, _| StandardNormal.sample(rng));
        let v = &self.chol * xi;
        vec![self.mean[0] + v[0], self.mean[1] + v[1]]
    }
}

impl LogDensity for Gauss2 {
    fn dim(&self) -> usize {
        2
    }
    fn log_density(&self, x: &[f64]) -> ucg_couplings::Result<f64> {
        let d = DVector::from_fn(2, |i, _| x[i] - self.mean[i]);
        Ok(-0.5 * (d.transpose() * &self.prec * &d)[(0, 0)])
    }
}

/// The five statistics compared between samples: x₁, x₂, x₁², x₁x₂, x₂².
fn features(x: &[f64]) -> [f64; 5] {
    [x[0], x[1], x[0] * x[0], x[0] * x[1], x[1] * x[1]]
}

/// E[features] under the target.
fn target_features(t: &Gauss2) -> [f64; 5] {
    let (m, c) = (t.mean, &t.cov);
    [
        m[0],
        m[1],
        c[(0, 0)] + m[0] * m[0],
        c[(0, 1)] + m[0] * m[1],
        c[(1, 1)] + m[1] * m[1],
    ]
}

#[test]
fn coupled_marginals_match_the_single_kernel() {
    // Both proposal parameterisations are exercised: isotropic, and a correlated Cholesky factor.
    let target = Gauss2::new();
    let kernels = [
        Rwmh::new(&target, 1.2).unwrap(),
        Rwmh::with_cholesky_factor(&target, target.chol.clone()).unwrap(),
    ];
    let (x0, y0) = (vec![4.0, 3.0], vec![-2.0, -4.0]);
    let (steps, reps) = (4, 40_000);
    for (ki, kernel) in kernels.iter().enumerate() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(100 + ki as u64);
        let (mut single_x, mut single_y) = (Moments::new(5), Moments::new(5));
        let (mut coupled_x, mut coupled_y) = (Moments::new(5), Moments::new(5));
        for _ in 0..reps {
            let mut a = kernel.initial_state(x0.clone()).unwrap();
            let mut b = kernel.initial_state(y0.clone()).unwrap();
            for _ in 0..steps {
                kernel.step(&mut a, &mut rng).unwrap();
                kernel.step(&mut b, &mut rng).unwrap();
            }
            single_x.push(&features(a.position()));
            single_y.push(&features(b.position()));
            let mut x = kernel.initial_state(x0.clone()).unwrap();
            let mut y = kernel.initial_state(y0.clone()).unwrap();
            for _ in 0..steps {
                kernel.coupled_step(&mut x, &mut y, &mut rng).unwrap();
            }
            coupled_x.push(&features(x.position()));
            coupled_y.push(&features(y.position()));
        }
        assert_z(
            &coupled_x.z_two_sample_all(&single_x),
            &format!("kernel {ki}, x chain"),
        );
        assert_z(
            &coupled_y.z_two_sample_all(&single_y),
            &format!("kernel {ki}, y chain"),
        );
    }
}

#[test]
fn one_step_from_the_target_leaves_it_invariant() {
    let target = Gauss2::new();
    let kernel = Rwmh::new(&target, 1.5).unwrap();
    let expected = target_features(&target);
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
    let n = 100_000;
    let (mut single, mut cx, mut cy) = (Moments::new(5), Moments::new(5), Moments::new(5));
    for _ in 0..n {
        let mut s = kernel.initial_state(target.exact(&mut rng)).unwrap();
        kernel.step(&mut s, &mut rng).unwrap();
        single.push(&features(s.position()));
        // Two independent exact draws, one coupled step: each chain must still follow the target.
        let mut x = kernel.initial_state(target.exact(&mut rng)).unwrap();
        let mut y = kernel.initial_state(target.exact(&mut rng)).unwrap();
        kernel.coupled_step(&mut x, &mut y, &mut rng).unwrap();
        cx.push(&features(x.position()));
        cy.push(&features(y.position()));
    }
    assert_z(&single.z_exact_all(&expected), "single step");
    assert_z(&cx.z_exact_all(&expected), "coupled x");
    assert_z(&cy.z_exact_all(&expected), "coupled y");
}

/// One coupled step from (x0, y0) meets with probability
/// `E[1{x' = y'} · min(1, π(x')/π(x0), π(x')/π(y0))]` when both chains share their uniform; this estimates
/// that expectation directly from the proposal coupling (a different RNG stream) and compares.
#[test]
fn one_step_meeting_probability_matches_a_shared_uniform() {
    let target = Gauss2::new();
    let kernel = Rwmh::new(&target, 1.5).unwrap();
    // Both starts sit in the tails, so both acceptance probabilities are well below one.
    let (x0, y0) = (vec![3.5, 2.5], vec![3.0, 3.5]);
    let (sx, sy) = (
        kernel.initial_state(x0.clone()).unwrap(),
        kernel.initial_state(y0.clone()).unwrap(),
    );
    let n = 200_000;

    let mut rng = Xoshiro256PlusPlus::seed_from_u64(31);
    let p_hat = one_step_meeting_frequency(&kernel, &sx, &sy, n, &mut rng);

    let mut rng = Xoshiro256PlusPlus::seed_from_u64(32);
    let (mut px, mut py) = ([0.0; 2], [0.0; 2]);
    let (mut s, mut s2) = (0.0, 0.0);
    for _ in 0..n {
        let same = kernel
            .proposal()
            .sample_into(&x0, &y0, &mut px, &mut py, &mut rng)
            .unwrap();
        let a = if same {
            let lp = target.log_density(&px).unwrap();
            (lp - sx.log_density().max(sy.log_density())).exp().min(1.0)
        } else {
            0.0
        };
        s += a;
        s2 += a * a;
    }
    let m = s / n as f64;
    let var_ref = (s2 / n as f64 - m * m) / n as f64;
    let var_hat = p_hat * (1.0 - p_hat) / n as f64;
    let z = (p_hat - m) / (var_ref + var_hat).sqrt();
    assert!(
        z.abs() < Z,
        "P(meet in one step) = {p_hat}, expected {m}, z = {z}"
    );
}

#[test]
fn chains_meet_in_finite_time_and_stay_together() {
    let target = Gauss2::new();
    let kernel = Rwmh::with_covariance(&target, &(&target.cov * 1.5)).unwrap();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(55);
    let mut taus = Vec::new();
    for _ in 0..100 {
        let start = |rng: &mut Xoshiro256PlusPlus| {
            let p = target.exact(rng);
            vec![3.0 * p[0], 3.0 * p[1]]
        };
        let mut x = kernel.initial_state(start(&mut rng)).unwrap();
        let mut y = kernel.initial_state(start(&mut rng)).unwrap();
        let mut tau = None;
        for t in 1..=10_000 {
            if kernel.coupled_step(&mut x, &mut y, &mut rng).unwrap() {
                tau = Some(t);
                break;
            }
            assert_ne!(x, y, "flag false but states equal at step {t}");
        }
        let tau = tau.expect("chains did not meet within 10 000 steps");
        taus.push(tau);
        assert_eq!(x, y);
        assert_eq!(x.log_density().to_bits(), y.log_density().to_bits());
        for _ in 0..50 {
            assert!(kernel.coupled_step(&mut x, &mut y, &mut rng).unwrap());
            assert_eq!(x, y);
            assert_eq!(x.log_density().to_bits(), y.log_density().to_bits());
        }
    }
    let mean_tau = taus.iter().sum::<usize>() as f64 / taus.len() as f64;
    assert!(mean_tau < 200.0, "mean meeting time {mean_tau}");
}

#[test]
fn met_chains_keep_moving() {
    let target = Gauss2::new();
    let kernel = Rwmh::new(&target, 1.0).unwrap();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(8);
    let mut x = kernel.initial_state(vec![0.5, 0.5]).unwrap();
    let mut y = x.clone();
    let mut moves = 0;
    for _ in 0..200 {
        let before = x.clone();
        assert!(kernel.coupled_step(&mut x, &mut y, &mut rng).unwrap());
        moves += usize::from(x != before);
    }
    assert!(moves > 50, "only {moves} accepted moves out of 200");
}

/// A target that is fine at the origin and NaN anywhere else.
struct NanAwayFromOrigin;
impl LogDensity for NanAwayFromOrigin {
    fn dim(&self) -> usize {
        2
    }
    fn log_density(&self, x: &[f64]) -> ucg_couplings::Result<f64> {
        Ok(if x.iter().all(|v| *v == 0.0) {
            0.0
        } else {
            f64::NAN
        })
    }
}

#[test]
fn bad_inputs_give_typed_errors() {
    let target = Gauss2::new();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(9);
    // Dimension mismatches.
    assert!(matches!(
        RwmhState::new(&target, vec![0.0; 3]),
        Err(CouplingError::DimensionMismatch {
            expected: 2,
            found: 3,
            ..
        })
    ));
    assert!(matches!(
        Rwmh::with_cholesky_factor(&target, DMatrix::identity(3, 3)),
        Err(CouplingError::DimensionMismatch { .. })
    ));
    assert!(matches!(
        Rwmh::with_covariance(&target, &DMatrix::identity(1, 1)),
        Err(CouplingError::DimensionMismatch { .. })
    ));
    struct Three;
    impl LogDensity for Three {
        fn dim(&self) -> usize {
            3
        }
        fn log_density(&self, _: &[f64]) -> ucg_couplings::Result<f64> {
            Ok(0.0)
        }
    }
    let kernel = Rwmh::new(&target, 1.0).unwrap();
    let mut wrong = RwmhState::new(&Three, vec![0.0; 3]).unwrap();
    assert!(matches!(
        kernel.step(&mut wrong, &mut rng),
        Err(CouplingError::DimensionMismatch { .. })
    ));
    let mut ok = kernel.initial_state(vec![0.0; 2]).unwrap();
    assert!(matches!(
        kernel.coupled_step(&mut ok, &mut wrong, &mut rng),
        Err(CouplingError::DimensionMismatch { .. })
    ));
    // Non-finite starting points and log-densities.
    assert!(matches!(
        kernel.initial_state(vec![f64::NAN, 0.0]),
        Err(CouplingError::InvalidParameter { .. })
    ));
    assert!(matches!(
        RwmhState::new(&NanAwayFromOrigin, vec![1.0, 0.0]),
        Err(CouplingError::NonFiniteLogWeight { .. })
    ));
    struct Zero;
    impl LogDensity for Zero {
        fn dim(&self) -> usize {
            1
        }
        fn log_density(&self, _: &[f64]) -> ucg_couplings::Result<f64> {
            Ok(f64::NEG_INFINITY)
        }
    }
    assert!(matches!(
        RwmhState::new(&Zero, vec![1.0]),
        Err(CouplingError::NonFiniteLogWeight { .. })
    ));
    // NaN from the target at a proposal is an error, not a silent rejection.
    let nan_kernel = Rwmh::new(NanAwayFromOrigin, 1.0).unwrap();
    let mut s = nan_kernel.initial_state(vec![0.0, 0.0]).unwrap();
    assert!(matches!(
        nan_kernel.step(&mut s, &mut rng),
        Err(CouplingError::NonFiniteLogWeight { .. })
    ));
    let mut t = s.clone();
    assert!(matches!(
        nan_kernel.coupled_step(&mut s, &mut t, &mut rng),
        Err(CouplingError::NonFiniteLogWeight { .. })
    ));
    // Invalid proposal scales.
    for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        assert!(matches!(
            Rwmh::new(&target, bad),
            Err(CouplingError::InvalidParameter { .. })
        ));
    }
    let not_pd = DMatrix::from_row_slice(2, 2, &[1.0, 2.0, 2.0, 1.0]);
    assert!(matches!(
        Rwmh::with_covariance(&target, &not_pd),
        Err(CouplingError::InvalidParameter { .. })
    ));
    let chol = Cholesky::new(target.cov.clone()).unwrap();
    assert_eq!(Rwmh::with_cholesky(&target, &chol).unwrap().dim(), 2);
}
