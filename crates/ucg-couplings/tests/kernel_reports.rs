//! What the ISIR-family and PIMH kernels and their states report about themselves: parameters, evaluation
//! counts and `Debug` output (which error reports and logs print).

use nalgebra::DMatrix;
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use ucg_couplings::isir::{Disir, Isir, IsirDisir, IsirState};
use ucg_couplings::pimh::{Pimh, PimhState};
use ucg_couplings::{CoupledKernel, ImportanceTarget, InitialLaw, MarkovKernel};

/// `log w(ξ) = −ξ₀²`, as a named type so that `Debug` shows it.
#[derive(Debug)]
struct Narrow;
impl ImportanceTarget for Narrow {
    fn noise_dim(&self) -> usize {
        1
    }
    fn log_weights(&self, noise: &DMatrix<f64>, out: &mut [f64]) -> ucg_couplings::Result<()> {
        for (o, x) in out.iter_mut().zip(noise.iter()) {
            *o = -x * x;
        }
        Ok(())
    }
}

#[test]
fn kernels_report_their_parameters() {
    let isir = Isir::new(Narrow, 3).unwrap();
    assert_eq!(isir.k(), 3);
    let disir = Disir::new(Narrow, 4, 0.4).unwrap();
    assert_eq!((disir.k(), disir.beta()), (4, 0.4));
    let both = IsirDisir::new(Narrow, 5, 0.6).unwrap();
    assert_eq!((both.k(), both.beta()), (5, 0.6));
    assert_eq!(both.schedule().sub_steps().len(), 2);
    let mut probe = [0.0];
    both.target()
        .log_weights(&DMatrix::from_element(1, 1, 2.0), &mut probe)
        .unwrap();
    assert_eq!(probe, [-4.0]);
    let shown = format!("{both:?}");
    for part in ["IsirDisir", "Narrow", "k: 5", "beta: 0.6"] {
        assert!(shown.contains(part), "{shown}");
    }
    assert!(format!("{isir:?}").starts_with("Isir {"));
    assert!(format!("{disir:?}").contains("beta: 0.4"));
}

#[test]
fn evaluations_count_every_particle_of_every_set() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(2);
    let kernel = IsirDisir::new(Narrow, 4, 0.5).unwrap();
    assert_eq!(kernel.evaluations(), 0);
    let mut x = kernel.sample_initial(&mut rng).unwrap();
    assert_eq!(kernel.evaluations(), 4);
    kernel.step(&mut x, &mut rng).unwrap();
    // One ISIR and one DISIR sub-step.
    assert_eq!(kernel.evaluations(), 12);
    let mut y = x.clone();
    kernel.coupled_step(&mut x, &mut y, &mut rng).unwrap();
    // Met chains move as one: the same two sets.
    assert_eq!(kernel.evaluations(), 20);
}

#[test]
fn states_show_their_particles_and_selection() {
    let noise = DMatrix::from_row_slice(1, 3, &[0.5, -1.0, 2.0]);
    let isir = format!("{:?}", IsirState::new(&Narrow, noise.clone(), 2).unwrap());
    let pimh = format!("{:?}", PimhState::new(&Narrow, noise, 1).unwrap());
    for (shown, name, selected) in [(isir, "IsirState", 2), (pimh, "PimhState", 1)] {
        assert!(shown.starts_with(name), "{shown}");
        for part in [
            "noise",
            "log_weights",
            "weights",
            "log_sum",
            &format!("selected: {selected}"),
        ] {
            assert!(shown.contains(part), "{shown}");
        }
    }
    assert_eq!(Pimh::new(Narrow, 2).unwrap().k(), 2);
}
