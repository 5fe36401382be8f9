//! What a PIMH state and kernel report, against closed forms on explicit particles: weights, ESS,
//! `log Ẑ`, the selected particle, and the count of evaluated particles.

use nalgebra::DMatrix;
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
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

#[test]
fn state_reports_the_closed_forms_of_its_particles() {
    // Columns (0, 0), (0.5, 0), (−1, 1), (1, −0.5): log-weights 0, 1, −1, 1.5.
    let noise = DMatrix::from_column_slice(2, 4, &[0.0, 0.0, 0.5, 0.0, -1.0, 1.0, 1.0, -0.5]);
    let s = PimhState::new(&Linear, noise.clone(), 2).unwrap();
    let log_w = [0.0, 1.0, -1.0, 1.5];
    let total: f64 = log_w.iter().map(|l: &f64| l.exp()).sum();
    let w: Vec<f64> = log_w.iter().map(|l| l.exp() / total).collect();
    assert_eq!((s.k(), s.selected()), (4, 2));
    assert_eq!(s.noise(), &noise);
    assert_eq!(s.selected_particle(), noise.column(2));
    assert_eq!(s.log_weights(), log_w);
    for (a, b) in s.weights().iter().zip(&w) {
        assert!(close(*a, *b), "weights {:?} vs {w:?}", s.weights());
    }
    let ess = 1.0 / w.iter().map(|v| v * v).sum::<f64>();
    assert!(close(s.ess(), ess), "ESS {} vs {ess}", s.ess());
    assert!(close(s.log_mean_weight(), (total / 4.0).ln()));
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
