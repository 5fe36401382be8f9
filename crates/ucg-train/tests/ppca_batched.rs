//! The PPCA batch gradient through the batched lagged driver: bit-identical to the per-point path for the
//! same seed, and unbiased for the exact gradient.

use nalgebra::DMatrix;
use rand::SeedableRng;
use rand_distr::{Bernoulli, Distribution};
use rand_xoshiro::Xoshiro256PlusPlus;
use ucg_estimators::LagSettings;
use ucg_estimators::replicates::run_replicates;
use ucg_estimators::summary::{Moments, bonferroni_z};
use ucg_models::encoder::LinearGaussianEncoder;
use ucg_models::ppca::Ppca;
use ucg_train::ppca::{BatchGradient, CoupledKernelKind, CoupledSettings, PpcaProblem};

/// D = 4, P = 12, N = 5 binary points, an imperfect encoder so that the weights matter.
fn fixture() -> (Ppca, LinearGaussianEncoder, DMatrix<f64>) {
    let model = Ppca::random(4, 12, 0.5, 2024).unwrap();
    let mut encoder = model.posterior_encoder(1.5).unwrap();
    encoder.b_mu.iter_mut().for_each(|b| *b += 0.5);
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(8);
    let bern = Bernoulli::new(0.3).unwrap();
    let x = DMatrix::from_fn(12, 5, |_, _| f64::from(u8::from(bern.sample(&mut rng))));
    (model, encoder, x)
}

fn bits(g: &BatchGradient) -> (Vec<u64>, Vec<Vec<u64>>) {
    let to_bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    (
        to_bits(&g.gradient.to_vec()),
        g.ess_traces.iter().map(|t| to_bits(t)).collect(),
    )
}

const KERNELS: [CoupledKernelKind; 2] = [
    CoupledKernelKind::Isir,
    CoupledKernelKind::IsirDisir { beta: 0.6 },
];

#[test]
fn batched_gradient_equals_the_per_point_gradient_bit_for_bit() {
    let (model, encoder, x) = fixture();
    let problem = PpcaProblem::new(&model, &encoder, &x).unwrap();
    for (lag, k, m) in [(10, 1, 10), (3, 0, 4), (2, 0, 0)] {
        for kernel in KERNELS {
            let settings = CoupledSettings {
                kernel,
                k: 6,
                lag: LagSettings::new(lag, k, m, 10_000).unwrap(),
            };
            for seed in 0..3 {
                let a = problem.coupled_gradient(&settings, seed).unwrap();
                let b = problem.coupled_gradient_batched(&settings, seed).unwrap();
                assert_eq!(bits(&a), bits(&b), "{kernel:?} L={lag} k={k} m={m}");
                assert_eq!(a.runs, b.runs);
                assert_eq!(a.particle_sets, b.particle_sets);
            }
        }
    }
}

/// Several estimates in one parallel loop are, estimate by estimate, the estimates run one at a time.
#[test]
fn estimates_for_many_seeds_equal_the_estimates_run_alone() {
    let (model, encoder, x) = fixture();
    let problem = PpcaProblem::new(&model, &encoder, &x).unwrap();
    for kernel in KERNELS {
        let settings = CoupledSettings {
            kernel,
            k: 6,
            lag: LagSettings::paper(1, 4, 10_000).unwrap(),
        };
        let seeds = [11, 3, 11, 40];
        let many = problem.coupled_gradients(&settings, &seeds).unwrap();
        assert_eq!(many.len(), seeds.len());
        for (g, &seed) in many.iter().zip(&seeds) {
            let alone = problem.coupled_gradient(&settings, seed).unwrap();
            assert_eq!(bits(g), bits(&alone), "{kernel:?} seed {seed}");
            assert_eq!(
                (&g.runs, g.particle_sets),
                (&alone.runs, alone.particle_sets)
            );
        }
        assert_ne!(bits(&many[0]), bits(&many[1]));
        assert!(
            problem
                .coupled_gradients(&settings, &[])
                .unwrap()
                .is_empty()
        );
    }
}

/// The batched gradient's mean over replicates against the exact gradient, every component, for the
/// paper's window and for k = 0 (whose first bias-correction pair involves a fresh initial draw).
#[test]
fn batched_gradient_is_unbiased() {
    let (model, encoder, x) = fixture();
    let problem = PpcaProblem::new(&model, &encoder, &x).unwrap();
    let exact = problem.exact_gradient().unwrap().to_vec();
    let windows = [(5, 1, 5), (3, 0, 2)];
    let zmax = bonferroni_z(1e-3, exact.len() * windows.len() * KERNELS.len()).unwrap();
    for (wi, &(lag, k, m)) in windows.iter().enumerate() {
        for kernel in KERNELS {
            let settings = CoupledSettings {
                kernel,
                k: 5,
                lag: LagSettings::new(lag, k, m, 100_000).unwrap(),
            };
            let seed = 30 + wi as u64;
            let grads = run_replicates(seed, 0, 6_000, |r, _| {
                let replicate_seed = ucg_estimators::seeding::derive_seed(seed, r);
                Ok(problem
                    .coupled_gradient_batched(&settings, replicate_seed)
                    .unwrap())
            })
            .unwrap();
            let mut moments = Moments::new(exact.len());
            for g in &grads {
                assert_eq!(g.totals().capped, 0);
                moments.push(&g.gradient.to_vec()).unwrap();
            }
            let z = moments.z_scores(&exact).unwrap();
            let worst = z.iter().fold(0.0f64, |a, b| a.max(b.abs()));
            eprintln!("L={lag} k={k} m={m} {kernel:?}: max |z| = {worst:.2} (bound {zmax:.2})");
            assert!(
                worst < zmax,
                "L={lag} k={k} m={m} {kernel:?}: max |z| = {worst}"
            );
        }
    }
}
