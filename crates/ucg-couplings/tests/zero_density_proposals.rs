//! A Metropolis step never accepts a proposal of zero density, not even when its uniform is exactly 0
//! (`log U = −∞`): the comparison `log U < log π(x') − log π(x)` is strict, so `−∞ < −∞` refuses it.
//! A uniform of 0 has probability `2⁻⁵³`, so these tests replay a recorded step with the acceptance
//! uniform, the last word the step draws, set to 0.

use nalgebra::DMatrix;
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use ucg_couplings::pimh::{Pimh, PimhState};
use ucg_couplings::rwmh::Rwmh;
use ucg_couplings::{CoupledKernel, ImportanceTarget, LogDensity, MarkovKernel};

mod common;
use common::scripted::{Recorder, ScriptedUniforms};

/// Positive density only within `10⁻³` of the origin (in the first coordinate).
struct Pinhole;
impl LogDensity for Pinhole {
    fn dim(&self) -> usize {
        1
    }
    fn log_density(&self, x: &[f64]) -> ucg_couplings::Result<f64> {
        Ok(if x[0].abs() <= 1e-3 {
            0.0
        } else {
            f64::NEG_INFINITY
        })
    }
}
impl ImportanceTarget for Pinhole {
    fn noise_dim(&self) -> usize {
        1
    }
    fn log_weights(&self, noise: &DMatrix<f64>, out: &mut [f64]) -> ucg_couplings::Result<()> {
        for (o, x) in out.iter_mut().zip(noise.iter()) {
            *o = Pinhole.log_density(&[*x])?;
        }
        Ok(())
    }
}

#[test]
fn rwmh_refuses_zero_density_proposals_at_u_zero() {
    let kernel = Rwmh::new(Pinhole, 1.0).unwrap();
    let start = kernel.initial_state(vec![0.0]).unwrap();
    let other = kernel.initial_state(vec![5e-4]).unwrap();
    for seed in 0..20 {
        // Single step.
        let mut rec = Recorder::new(Xoshiro256PlusPlus::seed_from_u64(seed));
        let mut s = start.clone();
        kernel.step(&mut s, &mut rec).unwrap();
        let mut words = rec.words;
        *words.last_mut().unwrap() = 0;
        let mut replay = ScriptedUniforms::from_words(words);
        let mut s = start.clone();
        kernel.step(&mut s, &mut replay).unwrap();
        assert_eq!(replay.remaining(), 0);
        assert!(
            Pinhole.log_density(s.position()).unwrap().is_finite(),
            "seed {seed}: {s:?}"
        );

        // Coupled step of distinct chains: one shared uniform, last.
        let mut rec = Recorder::new(Xoshiro256PlusPlus::seed_from_u64(seed));
        let (mut x, mut y) = (start.clone(), other.clone());
        kernel.coupled_step(&mut x, &mut y, &mut rec).unwrap();
        let mut words = rec.words;
        *words.last_mut().unwrap() = 0;
        let mut replay = ScriptedUniforms::from_words(words);
        let (mut x, mut y) = (start.clone(), other.clone());
        kernel.coupled_step(&mut x, &mut y, &mut replay).unwrap();
        for s in [&x, &y] {
            assert!(
                Pinhole.log_density(s.position()).unwrap().is_finite(),
                "seed {seed}: {s:?}"
            );
        }
    }
}

#[test]
fn pimh_refuses_all_zero_proposal_sets_at_u_zero() {
    let kernel = Pimh::new(Pinhole, 3).unwrap();
    let start = PimhState::new(&Pinhole, DMatrix::from_element(1, 3, 0.0), 0).unwrap();
    let other = PimhState::new(&Pinhole, DMatrix::from_element(1, 3, 5e-4), 1).unwrap();
    for seed in 0..20 {
        let mut rec = Recorder::new(Xoshiro256PlusPlus::seed_from_u64(seed));
        let mut s = start.clone();
        kernel.step(&mut s, &mut rec).unwrap();
        assert_eq!(s, start, "seed {seed}: a fresh set fell into the pinhole");
        let mut words = rec.words;
        *words.last_mut().unwrap() = 0;
        let mut s = start.clone();
        kernel
            .step(&mut s, &mut ScriptedUniforms::from_words(words))
            .unwrap();
        assert_eq!(s, start, "seed {seed}");

        let mut rec = Recorder::new(Xoshiro256PlusPlus::seed_from_u64(seed));
        let (mut x, mut y) = (start.clone(), other.clone());
        kernel.coupled_step(&mut x, &mut y, &mut rec).unwrap();
        let mut words = rec.words;
        *words.last_mut().unwrap() = 0;
        let (mut x, mut y) = (start.clone(), other.clone());
        kernel
            .coupled_step(&mut x, &mut y, &mut ScriptedUniforms::from_words(words))
            .unwrap();
        assert_eq!((x, y), (start.clone(), other.clone()), "seed {seed}");
    }
}
