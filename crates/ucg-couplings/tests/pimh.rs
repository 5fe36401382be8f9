//! PIMH and coupled PIMH: invariance of the extended target, faithful marginals of the coupled kernel,
//! the one-step meeting probability of a shared uniform, whole-state meeting and stickiness, errors.

use nalgebra::DMatrix;
use rand::{Rng, RngExt, SeedableRng};
use rand_distr::{Distribution, StandardNormal};
use rand_xoshiro::Xoshiro256PlusPlus;
use std::cell::Cell;
use ucg_couplings::pimh::{Pimh, PimhState};
use ucg_couplings::{CoupledKernel, CouplingError, ImportanceTarget, InitialLaw, MarkovKernel};

mod common;
use common::{Moments, Z, assert_z, one_step_meeting_frequency};

/// The target N(m, s²) on ℝ written in noise coordinates: `log w(ξ) = log N(ξ; m, s²) − log N(ξ; 0, 1)`
/// (normalised, so E[w] = 1; bounded because s < 1, with its maximum at ξ = m / (1 − s²)).
struct Gauss1 {
    m: f64,
    s: f64,
}

const TARGET: Gauss1 = Gauss1 { m: 1.0, s: 0.7 };

impl ImportanceTarget for Gauss1 {
    fn noise_dim(&self) -> usize {
        1
    }
    fn log_weights(&self, noise: &DMatrix<f64>, out: &mut [f64]) -> ucg_couplings::Result<()> {
        for (o, &x) in out.iter_mut().zip(noise.row(0).iter()) {
            let z = (x - self.m) / self.s;
            *o = -0.5 * z * z - self.s.ln() + 0.5 * x * x;
        }
        Ok(())
    }
}

/// A draw from the extended target `(1/K) π(ξ_ℓ) Π_{k≠ℓ} N(ξ_k)`: ℓ uniform, ξ_ℓ exact, others N(0, 1).
fn exact_state<R: Rng + ?Sized>(k: usize, rng: &mut R) -> PimhState {
    let l = rng.random_range(0..k);
    let mut noise = DMatrix::from_fn(1, k, |_, _| StandardNormal.sample(rng));
    let e: f64 = StandardNormal.sample(rng);
    noise[(0, l)] = TARGET.m + TARGET.s * e;
    PimhState::new(&TARGET, noise, l).unwrap()
}

/// A state whose K particles all sit at `at` (selected index 0).
fn constant_state(k: usize, at: f64) -> PimhState {
    PimhState::new(&TARGET, DMatrix::from_element(1, k, at), 0).unwrap()
}

/// Selected particle, its square, and the Rao-Blackwellised mean Σ_k w̃_k ξ_k.
fn invariant_features(s: &PimhState) -> [f64; 3] {
    let x = s.selected_particle()[0];
    let rb: f64 = s
        .weights()
        .iter()
        .zip(s.noise().iter())
        .map(|(w, x)| w * x)
        .sum();
    [x, x * x, rb]
}

#[test]
fn one_step_from_the_extended_target_leaves_it_invariant() {
    let k = 4;
    let kernel = Pimh::new(&TARGET, k).unwrap();
    let (m, s) = (TARGET.m, TARGET.s);
    let expected = [m, s * s + m * m, m];
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(2024);
    let n = 150_000;
    let (mut single, mut cx, mut cy) = (Moments::new(3), Moments::new(3), Moments::new(3));
    for _ in 0..n {
        let mut st = exact_state(k, &mut rng);
        kernel.step(&mut st, &mut rng).unwrap();
        single.push(&invariant_features(&st));
        let mut x = exact_state(k, &mut rng);
        let mut y = exact_state(k, &mut rng);
        kernel.coupled_step(&mut x, &mut y, &mut rng).unwrap();
        cx.push(&invariant_features(&x));
        cy.push(&invariant_features(&y));
    }
    assert_z(&single.z_exact_all(&expected), "single step");
    assert_z(&cx.z_exact_all(&expected), "coupled x");
    assert_z(&cy.z_exact_all(&expected), "coupled y");
}

#[test]
fn coupled_marginals_match_the_single_kernel() {
    let k = 4;
    let kernel = Pimh::new(&TARGET, k).unwrap();
    // x starts on a near-maximal Ẑ (it rarely accepts), y on a moderate one.
    let (x0, y0) = (constant_state(k, 1.96), constant_state(k, 1.0));
    let (steps, reps) = (3, 100_000);
    let features = |s: &PimhState, s0: &PimhState| {
        let x = s.selected_particle()[0];
        [x, x * x, f64::from(u8::from(s == s0))]
    };
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(77);
    let (mut sx, mut sy, mut cx, mut cy) = (
        Moments::new(3),
        Moments::new(3),
        Moments::new(3),
        Moments::new(3),
    );
    for _ in 0..reps {
        let (mut a, mut b) = (x0.clone(), y0.clone());
        for _ in 0..steps {
            kernel.step(&mut a, &mut rng).unwrap();
            kernel.step(&mut b, &mut rng).unwrap();
        }
        sx.push(&features(&a, &x0));
        sy.push(&features(&b, &y0));
        let (mut x, mut y) = (x0.clone(), y0.clone());
        for _ in 0..steps {
            kernel.coupled_step(&mut x, &mut y, &mut rng).unwrap();
        }
        cx.push(&features(&x, &x0));
        cy.push(&features(&y, &y0));
    }
    assert_z(&cx.z_two_sample_all(&sx), "x chain");
    assert_z(&cy.z_two_sample_all(&sy), "y chain");
}

#[test]
fn coupled_step_moves_the_first_chain_exactly_as_the_single_kernel() {
    // Within one step, x's draws (set, uniform, index when x accepts) come first in both kernels.
    let k = 5;
    let kernel = Pimh::new(&TARGET, k).unwrap();
    let mut init = Xoshiro256PlusPlus::seed_from_u64(5);
    for seed in 0..500 {
        let x0 = kernel.sample_initial(&mut init).unwrap();
        let y0 = kernel.sample_initial(&mut init).unwrap();
        let mut a = Xoshiro256PlusPlus::seed_from_u64(seed);
        let mut b = a.clone();
        let mut single = x0.clone();
        kernel.step(&mut single, &mut a).unwrap();
        let (mut x, mut y) = (x0, y0);
        kernel.coupled_step(&mut x, &mut y, &mut b).unwrap();
        assert_eq!(x, single);
        assert_eq!(x.log_weights(), single.log_weights());
    }
}

/// From (x0, y0), one coupled step meets iff both chains accept, which with a shared uniform has
/// probability `E[min(1, Ẑ'/Ẑ_x, Ẑ'/Ẑ_y)]`; estimate it from independent proposal sets and compare.
#[test]
fn one_step_meeting_probability_matches_a_shared_uniform() {
    let k = 4;
    let kernel = Pimh::new(&TARGET, k).unwrap();
    let (x0, y0) = (constant_state(k, 1.96), constant_state(k, 1.0));
    let n = 200_000;
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(314);
    let p_hat = one_step_meeting_frequency(&kernel, &x0, &y0, n, &mut rng);

    let mut rng = Xoshiro256PlusPlus::seed_from_u64(315);
    let log_z_max = x0.log_mean_weight().max(y0.log_mean_weight());
    let mut acc = Moments::new(1);
    for _ in 0..n {
        // A fresh set is exactly a PIMH proposal.
        let fresh = kernel.sample_initial(&mut rng).unwrap();
        acc.push(&[(fresh.log_mean_weight() - log_z_max).exp().min(1.0)]);
    }
    let z = (p_hat - acc.mean(0)) / (acc.se2(0) + p_hat * (1.0 - p_hat) / n as f64).sqrt();
    assert!(
        z.abs() < Z,
        "P(meet) = {p_hat}, expected {}, z = {z}",
        acc.mean(0)
    );
}

#[test]
fn whole_states_meet_and_stay_together() {
    let k = 8;
    let kernel = Pimh::new(&TARGET, k).unwrap();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(4242);
    for _ in 0..200 {
        let mut x = kernel.sample_initial(&mut rng).unwrap();
        let mut y = kernel.sample_initial(&mut rng).unwrap();
        let mut met = false;
        for t in 1..=10_000 {
            met = kernel.coupled_step(&mut x, &mut y, &mut rng).unwrap();
            assert_eq!(
                met,
                x == y,
                "flag disagrees with state equality at step {t}"
            );
            // Both chains holding the same set means both accepted it: the index must agree too.
            if x.noise() == y.noise() {
                assert_eq!(
                    x.selected(),
                    y.selected(),
                    "same set, different index at {t}"
                );
            }
            if met {
                break;
            }
        }
        assert!(met, "chains did not meet within 10 000 steps");
        for _ in 0..50 {
            assert!(kernel.coupled_step(&mut x, &mut y, &mut rng).unwrap());
            assert_eq!(x, y);
            assert_eq!(x.log_weights(), y.log_weights());
            assert_eq!(x.log_mean_weight().to_bits(), y.log_mean_weight().to_bits());
        }
    }
}

#[test]
fn accessors_are_consistent() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
    let s = PimhState::sample_initial(&TARGET, 6, &mut rng).unwrap();
    assert_eq!(s.k(), 6);
    assert_eq!(s.noise().shape(), (1, 6));
    assert!(s.selected() < 6);
    assert!((s.weights().iter().sum::<f64>() - 1.0).abs() < 1e-12);
    let mean_w = s.log_weights().iter().map(|l| l.exp()).sum::<f64>() / 6.0;
    assert!((s.log_mean_weight() - mean_w.ln()).abs() < 1e-12);
    assert!(s.ess() >= 1.0 && s.ess() <= 6.0 + 1e-12);
    assert_eq!(s.selected_particle()[0], s.noise()[(0, s.selected())]);
}

/// Log-weights that are NaN when `nan` is set, and otherwise `−∞` except for particles above 10.
struct Switchable {
    nan: Cell<bool>,
}
impl ImportanceTarget for Switchable {
    fn noise_dim(&self) -> usize {
        1
    }
    fn log_weights(&self, noise: &DMatrix<f64>, out: &mut [f64]) -> ucg_couplings::Result<()> {
        for (o, &x) in out.iter_mut().zip(noise.iter()) {
            *o = if self.nan.get() {
                f64::NAN
            } else if x > 10.0 {
                0.0
            } else {
                f64::NEG_INFINITY
            };
        }
        Ok(())
    }
}

#[test]
fn zero_weight_proposals_are_rejected_and_nan_is_an_error() {
    let target = Switchable {
        nan: Cell::new(false),
    };
    let kernel = Pimh::new(&target, 3).unwrap();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(6);
    let noise = DMatrix::from_row_slice(1, 3, &[11.0, 0.0, 0.0]);
    let mut s = PimhState::new(&target, noise, 0).unwrap();
    let s0 = s.clone();
    // Every proposal set has Ẑ' = 0 (almost surely): rejected, not an error.
    for _ in 0..20 {
        kernel.step(&mut s, &mut rng).unwrap();
    }
    assert_eq!(s, s0);
    // No initial state exists with all weights zero.
    assert!(matches!(
        kernel.sample_initial(&mut rng),
        Err(CouplingError::NonFiniteLogWeight { .. })
    ));
    let mut other =
        PimhState::new(&target, DMatrix::from_row_slice(1, 3, &[12.0, 0.0, 0.0]), 0).unwrap();
    target.nan.set(true);
    assert!(matches!(
        kernel.step(&mut s, &mut rng),
        Err(CouplingError::NonFiniteLogWeight { .. })
    ));
    assert!(matches!(
        kernel.coupled_step(&mut s, &mut other, &mut rng),
        Err(CouplingError::NonFiniteLogWeight { .. })
    ));
    assert!(matches!(
        kernel.sample_initial(&mut rng),
        Err(CouplingError::NonFiniteLogWeight { .. })
    ));
}

#[test]
fn bad_inputs_give_typed_errors() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
    for k in [0, 1] {
        assert!(matches!(
            Pimh::new(&TARGET, k),
            Err(CouplingError::InvalidParameter { name: "K", .. })
        ));
        assert!(matches!(
            PimhState::sample_initial(&TARGET, k, &mut rng),
            Err(CouplingError::InvalidParameter { name: "K", .. })
        ));
    }
    assert!(matches!(
        PimhState::new(&TARGET, DMatrix::zeros(1, 1), 0),
        Err(CouplingError::InvalidParameter { name: "K", .. })
    ));
    assert!(matches!(
        PimhState::new(&TARGET, DMatrix::zeros(2, 4), 0),
        Err(CouplingError::DimensionMismatch {
            expected: 1,
            found: 2,
            ..
        })
    ));
    assert!(matches!(
        PimhState::new(&TARGET, DMatrix::zeros(1, 4), 4),
        Err(CouplingError::InvalidParameter {
            name: "selected",
            ..
        })
    ));
    assert!(matches!(
        PimhState::new(&TARGET, DMatrix::from_element(1, 4, f64::NAN), 0),
        Err(CouplingError::InvalidParameter { .. })
    ));
    // A state with the wrong number of particles for the kernel.
    let kernel = Pimh::new(&TARGET, 4).unwrap();
    let mut five = PimhState::sample_initial(&TARGET, 5, &mut rng).unwrap();
    assert!(matches!(
        kernel.step(&mut five, &mut rng),
        Err(CouplingError::DimensionMismatch {
            expected: 4,
            found: 5,
            ..
        })
    ));
    let mut four = kernel.sample_initial(&mut rng).unwrap();
    assert!(matches!(
        kernel.coupled_step(&mut four, &mut five, &mut rng),
        Err(CouplingError::DimensionMismatch { .. })
    ));
    assert_eq!(kernel.k(), 4);
}
