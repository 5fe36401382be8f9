//! The coupled batch-gradient estimators and SUMO are unbiased for PPCA's exact gradient; IWAE with K = 2 is not;
//! and results do not depend on the number of threads.

use nalgebra::DMatrix;
use rand::SeedableRng;
use rand_distr::{Bernoulli, Distribution};
use rand_xoshiro::Xoshiro256PlusPlus;
use ucg_estimators::LagSettings;
use ucg_estimators::replicates::run_replicates;
use ucg_estimators::summary::{Moments, bonferroni_z};
use ucg_estimators::sumo::{RouletteSurvival, Sumo};
use ucg_models::encoder::LinearGaussianEncoder;
use ucg_models::ppca::Ppca;
use ucg_train::ppca::{BatchGradient, CoupledKernelKind, CoupledSettings, PpcaProblem};

/// D = 5, P = 20, N = 5 binary points, an imperfect encoder (posterior means shifted by 0.5, scales ×1.5)
/// so that the IWAE bias is visible.
fn fixture() -> (Ppca, LinearGaussianEncoder, DMatrix<f64>) {
    let model = Ppca::random(5, 20, 0.5, 2021).unwrap();
    let mut encoder = model.posterior_encoder(1.5).unwrap();
    encoder.b_mu.iter_mut().for_each(|b| *b += 0.5);
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(4);
    let bern = Bernoulli::new(0.3).unwrap();
    let x = DMatrix::from_fn(20, 5, |_, _| f64::from(u8::from(bern.sample(&mut rng))));
    (model, encoder, x)
}

fn replicate_moments(
    problem: &PpcaProblem<'_>,
    replicates: u64,
    seed: u64,
    f: impl Fn(&PpcaProblem<'_>, u64) -> BatchGradient + Sync,
) -> (Moments, usize) {
    let grads = run_replicates(seed, 0, replicates, |r, _| {
        Ok(f(problem, ucg_estimators::seeding::derive_seed(seed, r)))
    })
    .unwrap();
    let mut m = Moments::new(grads[0].gradient.len());
    let mut capped = 0;
    for g in &grads {
        m.push(&g.gradient.to_vec()).unwrap();
        capped += g.totals().capped;
    }
    (m, capped)
}

const REPLICATES: u64 = 20_000;

#[test]
fn coupled_estimators_are_unbiased_and_iwae_k2_is_not() {
    let (model, encoder, x) = fixture();
    let problem = PpcaProblem::new(&model, &encoder, &x).unwrap();
    let exact = problem.exact_gradient().unwrap().to_vec();
    let zmax = bonferroni_z(1e-3, exact.len()).unwrap();
    let lag = LagSettings::paper(1, 10, 100_000).unwrap();
    for kernel in [
        CoupledKernelKind::Isir,
        CoupledKernelKind::IsirDisir { beta: 0.5 },
    ] {
        let settings = CoupledSettings { kernel, k: 10, lag };
        let (m, capped) = replicate_moments(&problem, REPLICATES, 11, |p, s| {
            p.coupled_gradient(&settings, s).unwrap()
        });
        assert_eq!(capped, 0);
        let z = m.z_scores(&exact).unwrap();
        let worst = z.iter().fold(0.0f64, |a, b| a.max(b.abs()));
        eprintln!("{kernel:?}: max |z| = {worst:.2} (bound {zmax:.2})");
        assert!(worst < zmax, "{kernel:?}: max |z| = {worst} ≥ {zmax}");
    }
    let (m, _) = replicate_moments(&problem, REPLICATES, 12, |p, s| {
        p.iwae_gradient(2, s).unwrap()
    });
    let z = m.z_scores(&exact).unwrap();
    let worst = z.iter().fold(0.0f64, |a, b| a.max(b.abs()));
    eprintln!("IWAE K = 2: max |z| = {worst:.2} (bound {zmax:.2})");
    assert!(
        worst > zmax,
        "IWAE K = 2 should be detectably biased: max |z| = {worst} < {zmax}"
    );
}

/// SUMO from `IWAE_2`, with the harmonic-then-geometric roulette, is unbiased where `IWAE_2` itself (the
/// previous test) is not: its correction terms remove the bias of its first two particles.
#[test]
fn sumo_is_unbiased() {
    let (model, encoder, x) = fixture();
    let problem = PpcaProblem::new(&model, &encoder, &x).unwrap();
    let exact = problem.exact_gradient().unwrap().to_vec();
    let zmax = bonferroni_z(1e-3, exact.len()).unwrap();
    let sumo = Sumo::new(2, RouletteSurvival::new(80, 0.9).unwrap()).unwrap();
    let (m, _) = replicate_moments(&problem, REPLICATES, 13, |p, s| {
        p.sumo_gradient(&sumo, s).unwrap()
    });
    let z = m.z_scores(&exact).unwrap();
    let worst = z.iter().fold(0.0f64, |a, b| a.max(b.abs()));
    eprintln!("SUMO m = 2: max |z| = {worst:.2} (bound {zmax:.2})");
    assert!(worst < zmax, "SUMO: max |z| = {worst} ≥ {zmax}");
}

/// Every window start `k`, including `k = 0`, through the fast sufficient-statistics path. At `k = 0` the
/// first bias-correction pair is `(X_L, Y_0)`, where `Y_0` is a fresh initial draw that shares no innovation
/// with `X_L`: the sink must not treat it as a coupled pair (it did, and was biased with |z| up to 70).
#[test]
fn coupled_estimators_are_unbiased_for_every_window_start() {
    let model = Ppca::random(3, 8, 0.5, 7).unwrap();
    let mut encoder = model.posterior_encoder(1.5).unwrap();
    encoder.b_mu.iter_mut().for_each(|b| *b += 0.5);
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(5);
    let bern = Bernoulli::new(0.3).unwrap();
    let x = DMatrix::from_fn(8, 4, |_, _| f64::from(u8::from(bern.sample(&mut rng))));
    let problem = PpcaProblem::new(&model, &encoder, &x).unwrap();
    let exact = problem.exact_gradient().unwrap().to_vec();
    let windows = [(3, 0, 0), (3, 0, 4), (3, 1, 3), (3, 4, 9)];
    let kernels = [
        CoupledKernelKind::Isir,
        CoupledKernelKind::IsirDisir { beta: 0.7 },
    ];
    let zmax = bonferroni_z(1e-3, exact.len() * windows.len() * kernels.len()).unwrap();
    for (wi, &(l, k, m)) in windows.iter().enumerate() {
        let lag = LagSettings::new(l, k, m, 100_000).unwrap();
        for kernel in kernels {
            let settings = CoupledSettings { kernel, k: 5, lag };
            let (mom, capped) = replicate_moments(&problem, 6_000, 40 + wi as u64, |p, s| {
                p.coupled_gradient(&settings, s).unwrap()
            });
            assert_eq!(capped, 0);
            let z = mom.z_scores(&exact).unwrap();
            let worst = z.iter().fold(0.0f64, |a, b| a.max(b.abs()));
            eprintln!("L={l} k={k} m={m} {kernel:?}: max |z| = {worst:.2} (bound {zmax:.2})");
            assert!(
                worst < zmax,
                "L={l} k={k} m={m} {kernel:?}: max |z| = {worst}"
            );
        }
    }
}

#[test]
fn results_do_not_depend_on_the_number_of_threads() {
    let (model, encoder, x) = fixture();
    let problem = PpcaProblem::new(&model, &encoder, &x).unwrap();
    let settings = CoupledSettings {
        kernel: CoupledKernelKind::IsirDisir { beta: 0.7 },
        k: 10,
        lag: LagSettings::paper(1, 10, 10_000).unwrap(),
    };
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            let mut out = problem
                .coupled_gradient(&settings, 99)
                .unwrap()
                .gradient
                .to_vec();
            out.extend(problem.iwae_gradient(10, 99).unwrap().gradient.to_vec());
            out
        })
    };
    let (one, two) = (run(1), run(2));
    assert!(
        one.iter()
            .zip(&two)
            .all(|(a, b)| a.to_bits() == b.to_bits())
    );
}
