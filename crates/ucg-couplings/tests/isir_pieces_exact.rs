//! Exact arithmetic of the (D)ISIR pieces: the AR(1) path that DISIR builds around the kept particle, bit
//! for bit against the recursion written out, the schedules of the three kernels, and the path factors
//! `β^{|j − ℓ_aux|}` of a coupled pair.

use nalgebra::DMatrix;
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use ucg_couplings::ImportanceTarget;
use ucg_couplings::isir::{IsirSchedule, IsirState, SetRelation, SubStep};

/// `log w(ξ) = ξ₀ − ξ₁²/4`: any target will do, the proposal set does not depend on it.
struct Tilted;
impl ImportanceTarget for Tilted {
    fn noise_dim(&self) -> usize {
        2
    }
    fn log_weights(&self, noise: &DMatrix<f64>, out: &mut [f64]) -> ucg_couplings::Result<()> {
        for (o, c) in out.iter_mut().zip(noise.column_iter()) {
            *o = c[0] - 0.25 * c[1] * c[1];
        }
        Ok(())
    }
}

/// One step of `sub` through the pieces, from `state` with a clone of `rng`.
fn stepped(sub: &SubStep, state: &IsirState, rng: &Xoshiro256PlusPlus) -> IsirState {
    let (mut s, mut rng) = (state.clone(), rng.clone());
    let proposal = sub.propose(&mut s, &mut rng).unwrap();
    let mut log_w = vec![0.0; sub.k()];
    Tilted.log_weights(s.noise(), &mut log_w).unwrap();
    sub.complete(&mut s, proposal, &log_w, &mut rng).unwrap();
    s
}

#[test]
fn disir_set_is_the_ar1_path_of_isir_innovations_around_the_kept_particle() {
    let k = 7;
    for round in 0..20 {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(17 + round);
        let start = IsirState::sample_initial(&Tilted, k, &mut rng).unwrap();
        let kept = start.noise().column(start.selected()).clone_owned();
        // With the same stream, ISIR (β = 0) and DISIR draw the same slot and the same innovations; ISIR
        // leaves them as they are, so its set shows the innovations DISIR turned into a path.
        let innovations = stepped(&SubStep::new(k, 0.0).unwrap(), &start, &rng);
        for beta in [0.3, 0.85] {
            let path = stepped(&SubStep::new(k, beta).unwrap(), &start, &rng);
            let l = path.auxiliary_index();
            assert_eq!(innovations.auxiliary_index(), l);
            assert_eq!(path.noise().column(l), kept.column(0), "round {round}");
            assert_eq!(innovations.noise().column(l), kept.column(0));
            let s = (1.0 - beta * beta).sqrt();
            let (eps, xi) = (innovations.noise(), path.noise());
            for j in 0..k {
                if j == l {
                    continue;
                }
                // The neighbour towards the kept slot.
                let n = if j > l { j - 1 } else { j + 1 };
                for r in 0..2 {
                    let expected = beta * xi[(r, n)] + s * eps[(r, j)];
                    assert_eq!(
                        xi[(r, j)].to_bits(),
                        expected.to_bits(),
                        "β = {beta}, slot {l}, column {j}"
                    );
                }
            }
        }
    }
}

#[test]
fn schedules_list_their_sub_steps() {
    let sub = SubStep::new(5, 0.25).unwrap();
    assert_eq!((sub.k(), sub.beta()), (5, 0.25));
    let betas = |s: &IsirSchedule| {
        s.sub_steps()
            .iter()
            .map(|sub| (sub.k(), sub.beta()))
            .collect::<Vec<_>>()
    };
    assert_eq!(betas(&IsirSchedule::isir(4).unwrap()), [(4, 0.0)]);
    assert_eq!(betas(&IsirSchedule::disir(3, 0.5).unwrap()), [(3, 0.5)]);
    assert_eq!(
        betas(&IsirSchedule::isir_disir(6, 0.7).unwrap()),
        [(6, 0.0), (6, 0.7)]
    );
    assert_eq!(IsirSchedule::isir_disir(6, 0.7).unwrap().k(), 6);
    assert!(IsirSchedule::isir(1).is_err() && IsirSchedule::disir(3, -0.1).is_err());
    assert!(IsirSchedule::isir_disir(3, f64::NAN).is_err());
}

#[test]
fn path_factors_are_powers_of_beta_away_from_the_slot() {
    let shared = SetRelation::SharedInnovations { slot: 2, beta: 0.5 };
    assert_eq!(
        shared.path_factors(6),
        Some(vec![0.25, 0.5, 1.0, 0.5, 0.25, 0.125])
    );
    // β = 0: only the slot itself differs (0⁰ = 1 there, 0 elsewhere).
    let isir = SetRelation::SharedInnovations { slot: 0, beta: 0.0 };
    assert_eq!(isir.path_factors(3), Some(vec![1.0, 0.0, 0.0]));
    assert_eq!(SetRelation::Unrelated.path_factors(4), None);
}
