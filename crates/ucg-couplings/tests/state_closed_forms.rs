//! What ISIR-family and PIMH states and the PIMH kernel report, against closed forms on explicit
//! particles: weights, ESS, `log Ẑ`, the selected particle, and the count of evaluated particles.

use nalgebra::DMatrix;
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use ucg_couplings::isir::IsirState;
use ucg_couplings::pimh::{Pimh, PimhState};
use ucg_couplings::{CoupledKernel, ImportanceTarget, InitialLaw, MarkovKernel};

/// `log w(ξ) = 2ξ₀ + ξ₁`.
struct Linear;
impl ImportanceTarget for Linear {
    fn noise_dim(&self) -> usize {
        2
    }
    fn log_weights(&self, noise: &DMatrix<f64>, out: &mut [f64]) -> ucg_couplings::Result<()> {
        for (o, c) in out.iter_mut().zip(noise.column_iter()) {
            *o = 2.0 * c[0] + c[1];
        }
        Ok(())
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * b.abs().max(1.0)
}

/// Columns (0, 0), (0.5, 0), (−1, 1), (1, −0.5): log-weights 0, 1, −1, 1.5.
fn particles() -> DMatrix<f64> {
    DMatrix::from_column_slice(2, 4, &[0.0, 0.0, 0.5, 0.0, -1.0, 1.0, 1.0, -0.5])
}

/// Everything a state reports about its particle set.
struct Reported<'a> {
    k: usize,
    selected: usize,
    noise: &'a DMatrix<f64>,
    selected_particle: Vec<f64>,
    log_weights: &'a [f64],
    weights: &'a [f64],
    ess: f64,
    log_mean_weight: f64,
}

/// Checks what a state with [`particles`] and selected index 2 reports against the closed forms.
fn check(r: Reported<'_>) {
    let log_w = [0.0, 1.0, -1.0, 1.5];
    let total: f64 = log_w.iter().map(|l: &f64| l.exp()).sum();
    let w: Vec<f64> = log_w.iter().map(|l| l.exp() / total).collect();
    assert_eq!((r.k, r.selected), (4, 2));
    assert_eq!(r.noise, &particles());
    assert_eq!(r.selected_particle, [-1.0, 1.0]);
    assert_eq!(r.log_weights, log_w);
    for (a, b) in r.weights.iter().zip(&w) {
        assert!(close(*a, *b), "weights {:?} vs {w:?}", r.weights);
    }
    let ess = 1.0 / w.iter().map(|v| v * v).sum::<f64>();
    assert!(close(r.ess, ess), "ESS {} vs {ess}", r.ess);
    assert!(close(r.log_mean_weight, (total / 4.0).ln()));
}

#[test]
fn states_report_the_closed_forms_of_their_particles() {
    let s = PimhState::new(&Linear, particles(), 2).unwrap();
    check(Reported {
        k: s.k(),
        selected: s.selected(),
        noise: s.noise(),
        selected_particle: s.selected_particle().iter().copied().collect(),
        log_weights: s.log_weights(),
        weights: s.weights(),
        ess: s.ess(),
        log_mean_weight: s.log_mean_weight(),
    });
    let s = IsirState::new(&Linear, particles(), 2).unwrap();
    assert_eq!(s.auxiliary_index(), 0, "a state never stepped");
    check(Reported {
        k: s.k(),
        selected: s.selected(),
        noise: s.noise(),
        selected_particle: s.noise().column(s.selected()).iter().copied().collect(),
        log_weights: s.log_weights(),
        weights: s.weights(),
        ess: s.ess(),
        log_mean_weight: s.log_mean_weight(),
    });
}

#[test]
fn kernel_counts_every_evaluated_particle() {
    let kernel = Pimh::new(Linear, 5).unwrap();
    assert_eq!((kernel.k(), kernel.evaluations()), (5, 0));
    let mut probe = vec![0.0; 1];
    kernel
        .target()
        .log_weights(&DMatrix::from_column_slice(2, 1, &[1.0, 1.0]), &mut probe)
        .unwrap();
    assert_eq!(probe, [3.0]);
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(4);
    let mut x = kernel.sample_initial(&mut rng).unwrap();
    let mut y = kernel.sample_initial(&mut rng).unwrap();
    assert_eq!(kernel.evaluations(), 10);
    kernel.step(&mut x, &mut rng).unwrap();
    assert_eq!(kernel.evaluations(), 15);
    // A coupled step evaluates one proposal set shared by both chains.
    kernel.coupled_step(&mut x, &mut y, &mut rng).unwrap();
    assert_eq!(kernel.evaluations(), 20);
}
