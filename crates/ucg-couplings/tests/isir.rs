//! ISIR, DISIR and ISIR-DISIR on small PPCA posteriors: invariance, faithful coupled marginals, sticky
//! meeting, and typed errors.

use nalgebra::{DMatrix, DVector};
use rand::{Rng, RngExt, SeedableRng};
use rand_distr::{Distribution, StandardNormal};
use rand_xoshiro::Xoshiro256PlusPlus;
use statrs::distribution::{ContinuousCDF, Normal};
use ucg_couplings::isir::{Disir, Isir, IsirDisir, IsirState};
use ucg_couplings::{CoupledKernel, CouplingError, ImportanceTarget, InitialLaw, MarkovKernel};
use ucg_models::encoder::LinearGaussianEncoder;
use ucg_models::ppca::{Ppca, PpcaPoint, PpcaTarget};

mod common;
use common::Moments;

fn bonferroni_z(alpha: f64, m: usize) -> f64 {
    Normal::new(0.0, 1.0)
        .unwrap()
        .inverse_cdf(1.0 - alpha / (2.0 * m as f64))
}

struct Fixture {
    model: Ppca,
    encoder: LinearGaussianEncoder,
    x: DVector<f64>,
}

impl Fixture {
    fn new(d: usize, p: usize, seed: u64, scale: f64) -> Self {
        let model = Ppca::random(d, p, 0.5, seed).unwrap();
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed + 1);
        let x = DVector::from_fn(p, |_, _| StandardNormal.sample(&mut rng));
        // An imperfect proposal: posterior means shifted, scales inflated, so the weights matter.
        let mut encoder = model.posterior_encoder(scale).unwrap();
        encoder.b_mu.iter_mut().for_each(|b| *b += 0.3);
        Fixture { model, encoder, x }
    }
    fn target(&self) -> PpcaTarget<'_> {
        PpcaTarget::new(
            PpcaPoint::new(&self.model, &self.x).unwrap(),
            &self.encoder,
            &self.x,
        )
        .unwrap()
    }
}

/// Test function of a latent: `(z_1, …, z_D, z_1², …, z_D², z_1 z_2)`.
fn f(z: &[f64]) -> Vec<f64> {
    let mut v: Vec<f64> = z.to_vec();
    v.extend(z.iter().map(|a| a * a));
    v.push(z[0] * z[1]);
    v
}

fn exact_moments(fx: &Fixture) -> Vec<f64> {
    let (m, c) = fx.model.posterior(&fx.x).unwrap();
    let d = m.len();
    let mut v: Vec<f64> = m.iter().copied().collect();
    v.extend((0..d).map(|i| c[(i, i)] + m[i] * m[i]));
    v.push(c[(0, 1)] + m[0] * m[1]);
    v
}

/// A draw from the extended target (as far as the kernels can tell: every kernel regenerates all
/// particles but the selected one, so only `ξ_ℓ`'s law matters): `ξ_ℓ` in noise coordinates of an exact
/// posterior draw, the others standard normal.
fn stationary_state<R: Rng>(
    fx: &Fixture,
    target: &PpcaTarget<'_>,
    k: usize,
    rng: &mut R,
) -> IsirState {
    let (m, c) = fx.model.posterior(&fx.x).unwrap();
    let l = c.cholesky().unwrap().l();
    let d = m.len();
    let z = &m + &l * DVector::from_fn(d, |_, _| StandardNormal.sample(rng));
    let xi = (z - target.mean()).component_div(target.scale());
    let sel = rng.random_range(0..k);
    let mut noise = DMatrix::from_fn(d, k, |_, _| StandardNormal.sample(rng));
    noise.set_column(sel, &xi);
    IsirState::new(target, noise, sel).unwrap()
}

fn selected_latent(target: &PpcaTarget<'_>, s: &IsirState) -> Vec<f64> {
    let z = target.latents(s.noise());
    z.column(s.selected()).iter().copied().collect()
}

fn rao_blackwell(target: &PpcaTarget<'_>, s: &IsirState) -> Vec<f64> {
    let z = target.latents(s.noise());
    let mut acc = vec![0.0; 2 * z.nrows() + 1];
    for (k, w) in s.weights().iter().enumerate() {
        let col: Vec<f64> = z.column(k).iter().copied().collect();
        acc.iter_mut().zip(f(&col)).for_each(|(a, b)| *a += w * b);
    }
    acc
}

enum Kind {
    Isir,
    Disir(f64),
    IsirDisir(f64),
}

fn step_with<R: Rng>(kind: &Kind, t: &PpcaTarget<'_>, k: usize, s: &mut IsirState, rng: &mut R) {
    match *kind {
        Kind::Isir => Isir::new(t, k).unwrap().step(s, rng).unwrap(),
        Kind::Disir(b) => Disir::new(t, k, b).unwrap().step(s, rng).unwrap(),
        Kind::IsirDisir(b) => IsirDisir::new(t, k, b).unwrap().step(s, rng).unwrap(),
    }
}

fn coupled_with<R: Rng>(
    kind: &Kind,
    t: &PpcaTarget<'_>,
    k: usize,
    x: &mut IsirState,
    y: &mut IsirState,
    rng: &mut R,
) -> bool {
    match *kind {
        Kind::Isir => Isir::new(t, k).unwrap().coupled_step(x, y, rng).unwrap(),
        Kind::Disir(b) => Disir::new(t, k, b)
            .unwrap()
            .coupled_step(x, y, rng)
            .unwrap(),
        Kind::IsirDisir(b) => IsirDisir::new(t, k, b)
            .unwrap()
            .coupled_step(x, y, rng)
            .unwrap(),
    }
}

const KINDS: [Kind; 3] = [Kind::Isir, Kind::Disir(0.7), Kind::IsirDisir(0.7)];

/// Started from the extended target, one step keeps the selected particle's law equal to the posterior,
/// and the Rao-Blackwellised average `Σ w̃_k f(z_k)` over five steps is unbiased for `E_post[f]`.
#[test]
fn one_step_from_the_posterior_leaves_it_invariant() {
    let fx = Fixture::new(2, 5, 11, 1.5);
    let target = fx.target();
    let exact = exact_moments(&fx);
    let k = 5;
    let n = 60_000;
    let zmax = bonferroni_z(1e-3, 2 * KINDS.len() * exact.len());
    for (ki, kind) in KINDS.iter().enumerate() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(100 + ki as u64);
        let (mut sel, mut rb) = (Moments::new(exact.len()), Moments::new(exact.len()));
        for _ in 0..n {
            let mut s = stationary_state(&fx, &target, k, &mut rng);
            step_with(kind, &target, k, &mut s, &mut rng);
            sel.push(&f(&selected_latent(&target, &s)));
            let mut avg = rao_blackwell(&target, &s);
            for _ in 1..5 {
                step_with(kind, &target, k, &mut s, &mut rng);
                avg.iter_mut()
                    .zip(rao_blackwell(&target, &s))
                    .for_each(|(a, b)| *a += b);
            }
            avg.iter_mut().for_each(|a| *a /= 5.0);
            rb.push(&avg);
        }
        for (i, &e) in exact.iter().enumerate() {
            let (z1, z2) = (sel.z_exact(i, e), rb.z_exact(i, e));
            assert!(
                z1.abs() < zmax,
                "kernel {ki}, f_{i}: selected particle mean {} vs {e}, z = {z1}",
                sel.mean(i)
            );
            assert!(
                z2.abs() < zmax,
                "kernel {ki}, f_{i}: Rao-Blackwellised mean {} vs {e}, z = {z2}",
                rb.mean(i)
            );
        }
    }
}

/// Each chain of a coupled kernel moves exactly as the single kernel: after three steps from fixed,
/// different starting states, `f` of the selected particle has the same distribution (two-sample z-tests).
#[test]
fn coupled_marginals_match_the_single_kernel() {
    let fx = Fixture::new(2, 5, 12, 1.5);
    let target = fx.target();
    let k = 4;
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(5);
    let x0 = IsirState::sample_initial(&target, k, &mut rng).unwrap();
    let y0 = IsirState::sample_initial(&target, k, &mut rng).unwrap();
    let n = 60_000;
    let dim = 5;
    let zmax = bonferroni_z(1e-3, 2 * KINDS.len() * dim);
    for (ki, kind) in KINDS.iter().enumerate() {
        let (mut sx, mut sy, mut cx, mut cy) = (
            Moments::new(dim),
            Moments::new(dim),
            Moments::new(dim),
            Moments::new(dim),
        );
        for _ in 0..n {
            let (mut a, mut b) = (x0.clone(), y0.clone());
            for _ in 0..3 {
                step_with(kind, &target, k, &mut a, &mut rng);
                step_with(kind, &target, k, &mut b, &mut rng);
            }
            sx.push(&f(&selected_latent(&target, &a)));
            sy.push(&f(&selected_latent(&target, &b)));
            let (mut a, mut b) = (x0.clone(), y0.clone());
            for _ in 0..3 {
                coupled_with(kind, &target, k, &mut a, &mut b, &mut rng);
            }
            cx.push(&f(&selected_latent(&target, &a)));
            cy.push(&f(&selected_latent(&target, &b)));
        }
        for i in 0..dim {
            let (zx, zy) = (sx.z_two_sample(&cx, i), sy.z_two_sample(&cy, i));
            assert!(zx.abs() < zmax, "kernel {ki}, f_{i}, chain x: z = {zx}");
            assert!(zy.abs() < zmax, "kernel {ki}, f_{i}, chain y: z = {zy}");
        }
    }
}

/// Once the flag says the chains met they are identical, and they stay identical with the flag up.
#[test]
fn meeting_is_exact_and_sticky() {
    let fx = Fixture::new(3, 8, 13, 1.2);
    let target = fx.target();
    let k = 6;
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(9);
    for kind in [Kind::Isir, Kind::IsirDisir(0.5)] {
        for _ in 0..50 {
            let mut x = IsirState::sample_initial(&target, k, &mut rng).unwrap();
            let mut y = IsirState::sample_initial(&target, k, &mut rng).unwrap();
            let mut steps = 0;
            loop {
                let met = coupled_with(&kind, &target, k, &mut x, &mut y, &mut rng);
                assert_eq!(met, x == y, "the flag must be exact state equality");
                steps += 1;
                if met {
                    break;
                }
                assert!(steps < 10_000, "no meeting in 10,000 steps");
            }
            for _ in 0..20 {
                assert!(coupled_with(&kind, &target, k, &mut x, &mut y, &mut rng));
                assert_eq!(x, y);
                assert_eq!(x.log_weights(), y.log_weights());
            }
        }
    }
}

/// Met chains move as one: a coupled step from two identical states is the single step, bit for bit,
/// for the same random stream.
#[test]
fn coupled_step_of_met_chains_is_the_single_step() {
    let fx = Fixture::new(3, 8, 14, 1.2);
    let target = fx.target();
    let kernel = IsirDisir::new(&target, 5, 0.6).unwrap();
    let s0 = kernel
        .sample_initial(&mut Xoshiro256PlusPlus::seed_from_u64(1))
        .unwrap();
    let mut single = s0.clone();
    kernel
        .step(&mut single, &mut Xoshiro256PlusPlus::seed_from_u64(2))
        .unwrap();
    let (mut x, mut y) = (s0.clone(), s0);
    assert!(
        kernel
            .coupled_step(&mut x, &mut y, &mut Xoshiro256PlusPlus::seed_from_u64(2))
            .unwrap()
    );
    assert_eq!(x, single);
    assert_eq!(x.log_weights(), single.log_weights());
}

/// Smoke test on PPCA with D = 10, K = 10: coupled ISIR-DISIR chains meet in every run.
#[test]
fn isir_disir_chains_meet_on_ppca_d10() {
    let fx = Fixture::new(10, 40, 15, 1.2);
    let target = fx.target();
    let kernel = IsirDisir::new(&target, 10, 0.8).unwrap();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
    let mut taus = Vec::new();
    for _ in 0..200 {
        let mut x = kernel.sample_initial(&mut rng).unwrap();
        let mut y = kernel.sample_initial(&mut rng).unwrap();
        let mut t = 1;
        while !kernel.coupled_step(&mut x, &mut y, &mut rng).unwrap() {
            t += 1;
            assert!(t < 100_000, "no meeting after 100,000 coupled steps");
        }
        taus.push(t);
    }
    let mean = taus.iter().sum::<usize>() as f64 / taus.len() as f64;
    assert!(mean < 1_000.0, "mean meeting time {mean}");
}

struct NanTarget;
impl ImportanceTarget for NanTarget {
    fn noise_dim(&self) -> usize {
        2
    }
    fn log_weights(&self, noise: &DMatrix<f64>, out: &mut [f64]) -> ucg_couplings::Result<()> {
        for (o, c) in out.iter_mut().zip(noise.column_iter()) {
            *o = if c[0] > 1.0 { f64::NAN } else { 0.0 };
        }
        Ok(())
    }
}

#[test]
fn bad_parameters_and_values_give_typed_errors() {
    let fx = Fixture::new(2, 5, 16, 1.2);
    let target = fx.target();
    assert!(matches!(
        Isir::new(&target, 1),
        Err(CouplingError::InvalidParameter { name: "K", .. })
    ));
    assert!(matches!(
        Disir::new(&target, 4, 1.0),
        Err(CouplingError::InvalidParameter { name: "beta", .. })
    ));
    assert!(matches!(
        Disir::new(&target, 4, -0.1),
        Err(CouplingError::InvalidParameter { .. })
    ));
    assert!(matches!(
        IsirDisir::new(&target, 4, f64::NAN),
        Err(CouplingError::InvalidParameter { .. })
    ));
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
    // A state with the wrong K or dimension for the kernel.
    let mut s = IsirState::sample_initial(&target, 3, &mut rng).unwrap();
    let kernel = Isir::new(&target, 4).unwrap();
    assert!(matches!(
        kernel.step(&mut s, &mut rng),
        Err(CouplingError::DimensionMismatch { .. })
    ));
    assert!(matches!(
        IsirState::new(&target, DMatrix::zeros(3, 4), 0),
        Err(CouplingError::DimensionMismatch { .. })
    ));
    assert!(IsirState::new(&target, DMatrix::zeros(2, 4), 4).is_err());
    assert!(IsirState::new(&target, DMatrix::from_element(2, 4, f64::NAN), 0).is_err());
    // NaN log-weights surface as an error at step time, not as NaN weights.
    let nan_kernel = Isir::new(NanTarget, 8).unwrap();
    let mut s = IsirState::new(&NanTarget, DMatrix::zeros(2, 8), 0).unwrap();
    let mut saw_error = false;
    for _ in 0..100 {
        match nan_kernel.step(&mut s, &mut rng) {
            Ok(()) => assert!(s.weights().iter().all(|w| w.is_finite())),
            Err(e) => {
                assert!(matches!(e, CouplingError::NonFiniteLogWeight { .. }));
                saw_error = true;
                break;
            }
        }
    }
    assert!(saw_error);
}

/// PIMH leaves the same extended target invariant (its stationary law `Ẑ Π N(ξ_k) · w̃_ℓ / Z` equals
/// ISIR's `(1/K) w(ξ_ℓ) Π N(ξ_k) / Z`): one step from it keeps the selected particle a posterior draw, and the
/// Rao-Blackwellised average stays unbiased.
#[test]
fn one_pimh_step_from_the_posterior_leaves_it_invariant() {
    use ucg_couplings::pimh::{Pimh, PimhState};
    let fx = Fixture::new(2, 5, 17, 1.5);
    let target = fx.target();
    let exact = exact_moments(&fx);
    let (k, n) = (5, 60_000);
    let kernel = Pimh::new(&target, k).unwrap();
    let zmax = bonferroni_z(1e-3, 2 * exact.len());
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(404);
    let (mut sel, mut rb) = (Moments::new(exact.len()), Moments::new(exact.len()));
    let z_of = |s: &PimhState| target.latents(s.noise());
    for _ in 0..n {
        let start = stationary_state(&fx, &target, k, &mut rng);
        let mut s = PimhState::new(&target, start.noise().clone(), start.selected()).unwrap();
        kernel.step(&mut s, &mut rng).unwrap();
        let z = z_of(&s);
        let col: Vec<f64> = z.column(s.selected()).iter().copied().collect();
        sel.push(&f(&col));
        let mut acc = vec![0.0; exact.len()];
        for (j, w) in s.weights().iter().enumerate() {
            let zj: Vec<f64> = z.column(j).iter().copied().collect();
            acc.iter_mut().zip(f(&zj)).for_each(|(a, b)| *a += w * b);
        }
        rb.push(&acc);
    }
    for (i, &e) in exact.iter().enumerate() {
        let (z1, z2) = (sel.z_exact(i, e), rb.z_exact(i, e));
        assert!(
            z1.abs() < zmax,
            "PIMH f_{i}: selected {} vs {e}, z = {z1}",
            sel.mean(i)
        );
        assert!(
            z2.abs() < zmax,
            "PIMH f_{i}: Rao-Blackwellised {} vs {e}, z = {z2}",
            rb.mean(i)
        );
    }
}

/// What a consumer of a coupled pair learns from the kernel crate instead of re-deriving it: whether two
/// sets share their innovations (and how they then differ), and how many particles each step evaluated.
#[test]
fn kernels_report_set_relations_and_count_their_evaluations() {
    use ucg_couplings::isir::SetRelation;
    let fx = Fixture::new(3, 6, 21, 1.4);
    let target = fx.target();
    let k = 6;
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(9);
    for beta in [0.0, 0.8] {
        let kernel = IsirDisir::new(&target, k, beta).unwrap();
        let (mut x, mut y) = (
            kernel.sample_initial(&mut rng).unwrap(),
            kernel.sample_initial(&mut rng).unwrap(),
        );
        assert_eq!(kernel.evaluations(), 2 * k as u64, "two initial sets");
        assert_eq!(x.relation_to(&y), SetRelation::Unrelated);
        let fresh = kernel.sample_initial(&mut rng).unwrap();
        let mut checked = 0;
        let mut same_slot_across_steps = 0;
        for _ in 0..200 {
            let before = kernel.evaluations();
            let previous = x.clone();
            let previous_coupled = matches!(
                previous.relation_to(&y),
                SetRelation::SharedInnovations { .. }
            );
            let met = kernel.coupled_step(&mut x, &mut y, &mut rng).unwrap();
            let used = kernel.evaluations() - before;
            if met {
                // Start a new pair (two more initial sets) so that unmet steps keep coming.
                x = kernel.sample_initial(&mut rng).unwrap();
                y = kernel.sample_initial(&mut rng).unwrap();
                continue;
            }
            // A coupled ISIR step evaluates one set for both chains, a coupled DISIR step one per chain
            // (one for both when β = 0, since the sets then differ in the kept slot only).
            let sets = if beta == 0.0 { 2 } else { 3 };
            assert_eq!(used, sets * k as u64, "β = {beta}");
            let relation = x.relation_to(&y);
            assert_eq!(
                relation,
                SetRelation::SharedInnovations {
                    slot: x.auxiliary_index(),
                    beta
                }
            );
            assert_eq!(fresh.relation_to(&x), SetRelation::Unrelated);
            // States of two different coupled steps are unrelated, even when their slots agree.
            assert_eq!(previous.relation_to(&x), SetRelation::Unrelated);
            assert_eq!(y.relation_to(&previous), SetRelation::Unrelated);
            same_slot_across_steps +=
                usize::from(previous_coupled && previous.auxiliary_index() == x.auxiliary_index());
            let factors = relation.path_factors(k).unwrap();
            let slot = x.auxiliary_index();
            let delta = x.noise().column(slot) - y.noise().column(slot);
            for j in 0..k {
                if beta == 0.0 && j != slot {
                    assert_eq!(x.noise().column(j), y.noise().column(j), "β = 0, slot {j}");
                }
                let predicted = y.noise().column(j) + &delta * factors[j];
                let err = (x.noise().column(j) - predicted).amax();
                assert!(err < 1e-12, "β = {beta}, column {j}: {err}");
            }
            checked += 1;
        }
        assert!(checked > 0, "β = {beta}: no unmet coupled step was checked");
        assert!(
            same_slot_across_steps > 0,
            "β = {beta}: no two steps shared a slot"
        );
        // A single step breaks the relation.
        let mut z = x.clone();
        kernel.step(&mut z, &mut rng).unwrap();
        assert_eq!(z.relation_to(&x), SetRelation::Unrelated);
    }
}
