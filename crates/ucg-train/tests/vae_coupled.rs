//! The unbiased θ-estimators of the VAE: the coupled estimator's batched driver gives exactly the
//! per-point runs, the coupled estimator and SUMO are unbiased for `∇θ log p(x)` (against an exact
//! reference by quadrature), and the coupled estimator trains.

use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, StandardNormal};
use rand_xoshiro::Xoshiro256PlusPlus;
use ucg_couplings::isir::{Isir, IsirDisir, IsirSchedule};
use ucg_estimators::seeding::stream;
use ucg_estimators::summary::{Moments, bonferroni_z};
use ucg_estimators::sumo::Sumo;
use ucg_estimators::{LagSettings, run_lagged};
use ucg_models::vae::{Vae, VaeBatchTarget, VaePointTarget, VaeShape, VaeWorkspace};
use ucg_train::vae::coupled::{
    PointTerms, coupled_terms, decoder_gradient_of_point, decoder_gradient_of_terms,
};
use ucg_train::vae::sumo::{default_survival, sumo_draw};
use ucg_train::vae::{
    BetaPolicy, CoupledConfig, CoupledKernelKind, CoupledTheta, EstimatorKind, ThetaContext,
    ThetaEstimator, TrainConfig, Trainer, VaeData,
};

const P: usize = 16;
const SCALE: f32 = 2.0;

/// A tiny VAE (P = 16, H = 8, D = 3) with its decoder weights scaled up, so that the posterior is far
/// from the encoder's proposal and the weights matter; `n` binary points.
fn fixture(latent: usize, n: usize, scale: f32) -> (Vae<f32>, Vec<f32>) {
    let base = Vae::<f32>::new(VaeShape::new(P, 8, latent).unwrap(), 11);
    let decoder: Vec<f32> = base.decoder_params().iter().map(|w| scale * w).collect();
    let vae = Vae::from_params(base.shape(), base.encoder_params().to_vec(), decoder).unwrap();
    let x = (0..P * n)
        .map(|i| ((i * 7 + i / P) % 5 < 2) as u8 as f32)
        .collect();
    (vae, x)
}

/// The per-point path: `run_lagged` with the per-point kernel on `VaePointTarget`, stream `(seed, b)`.
fn per_point_terms(
    vae: &Vae<f32>,
    x: &[f32],
    kind: CoupledKernelKind,
    k: usize,
    beta: f64,
    lag: &LagSettings,
    seed: u64,
) -> Vec<(PointTerms, ucg_estimators::LaggedRun, u64)> {
    (0..x.len() / P)
        .map(|b| {
            let target = VaePointTarget::new(vae, &x[b * P..(b + 1) * P]).unwrap();
            let mut rng = stream(seed, b as u64);
            let mut terms = PointTerms::default();
            let (run, evaluations) = match kind {
                CoupledKernelKind::Isir => {
                    let kernel = Isir::new(target, k).unwrap();
                    let run = run_lagged(&kernel, lag, &mut rng, |ev| terms.record(ev)).unwrap();
                    (run, kernel.evaluations())
                }
                CoupledKernelKind::IsirDisir => {
                    let kernel = IsirDisir::new(target, k, beta).unwrap();
                    let run = run_lagged(&kernel, lag, &mut rng, |ev| terms.record(ev)).unwrap();
                    (run, kernel.evaluations())
                }
            };
            (terms, run, evaluations)
        })
        .collect()
}

/// Same paths, same runs, same particles, coefficients equal to f32 rounding.
///
/// The batched target's log-weights equal the per-point target's only to f32 rounding: the model's GEMM
/// does not compute a column bit-identically for every number of columns (a 1-column encoder pass or a
/// 4-column decoder pass may round differently from a 24-column one). The chains take the same paths
/// (same selections, same meeting times) with these seeds, and the log-weight differences show up in the
/// normalised weights at relative size ~1e-6; the tolerance 1e-5 relative (+1e-9 absolute) is ten times
/// that.
fn assert_same_runs(
    batched: &[(PointTerms, ucg_estimators::LaggedRun, u64)],
    single: &[(PointTerms, ucg_estimators::LaggedRun, u64)],
) {
    assert_eq!(batched.len(), single.len());
    let close = |a: &[f64], b: &[f64]| {
        a.len() == b.len()
            && a.iter()
                .zip(b)
                .all(|(x, y)| (x - y).abs() <= 1e-5 * x.abs().max(y.abs()) + 1e-9)
    };
    for (b, ((tb, rb, eb), (ts, rs, es))) in batched.iter().zip(single).enumerate() {
        assert_eq!((rb, eb), (rs, es), "point {b}: runs");
        assert_eq!(tb.noise, ts.noise, "point {b}: particles");
        assert!(
            close(&tb.coefficients, &ts.coefficients),
            "point {b}: coefficients"
        );
        assert!(close(&tb.ess, &ts.ess), "point {b}: ESS");
    }
}

/// The batched driver reproduces the per-point runs (`run_lagged` with the per-point kernel on
/// `VaePointTarget`, stream `(seed, b)`, the same sink), and the estimator's gradient from the trainer's
/// hook is the gradient of those terms.
#[test]
fn batched_estimator_equals_per_point_runs() {
    let (vae, x) = fixture(3, 6, 3.0);
    let lag = LagSettings::paper(1, 4, 1000).unwrap();
    for (kind, beta) in [
        (CoupledKernelKind::IsirDisir, 0.7),
        (CoupledKernelKind::Isir, 0.0),
    ] {
        let config = CoupledConfig {
            beta: BetaPolicy::Fixed(beta),
            t0: 1,
            lag: 4,
            cap: 1000,
            chunk: 37,
        };
        let mut estimator = CoupledTheta::new(kind, 5, config).unwrap();
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(99);
        let seed = rng.clone().next_u64();
        let mut grad = vec![0.0f32; vae.decoder_params().len()];
        let mut ws = VaeWorkspace::new();
        // The encoding as the training loop has it, from its shared particles' pass: the chains must be
        // those of a fresh encoder pass (the per-point runs below), bit for bit.
        let mut shared = VaeWorkspace::new();
        vae.particles(&x, 6, 2, &[0.25f32; 3 * 6 * 2], &mut shared)
            .unwrap();
        estimator
            .extra_gradient(ThetaContext {
                model: &vae,
                x: &x,
                batch: 6,
                rng: &mut rng,
                workspace: &mut ws,
                grad: &mut grad,
                encoding: Some((shared.mu(), shared.sigma())),
            })
            .unwrap();

        let target = VaeBatchTarget::new(&vae, &x, 6).unwrap();
        let schedule = match kind {
            CoupledKernelKind::Isir => IsirSchedule::isir(5).unwrap(),
            CoupledKernelKind::IsirDisir => IsirSchedule::isir_disir(5, beta).unwrap(),
        };
        let batched = coupled_terms(&target, &schedule, &lag, seed).unwrap();
        let single = per_point_terms(&vae, &x, kind, 5, beta, &lag, seed);
        // Some pair meets after t = k + L, so bias-correction pairs are part of the comparison.
        let late = |(_, r, _): &(PointTerms, ucg_estimators::LaggedRun, u64)| {
            r.meeting_time.is_some_and(|t| t > 5)
        };
        assert!(batched.iter().any(late), "no bias correction");
        assert_same_runs(&batched, &single);

        // The estimator's own gradient is the batched terms' gradient bit for bit, and the per-point
        // terms' gradient to f32 rounding.
        let terms = |runs: Vec<(PointTerms, ucg_estimators::LaggedRun, u64)>| -> Vec<PointTerms> {
            runs.into_iter().map(|(t, _, _)| t).collect()
        };
        let mut from_batched = vec![0.0f32; grad.len()];
        decoder_gradient_of_terms(
            &target,
            &terms(batched.clone()),
            37,
            &mut from_batched,
            &mut ws,
        )
        .unwrap();
        assert_eq!(grad, from_batched, "{kind:?}");
        let mut from_single = vec![0.0f32; grad.len()];
        decoder_gradient_of_terms(&target, &terms(single), 37, &mut from_single, &mut ws).unwrap();
        let scale = grad.iter().fold(0.0f32, |m, g| m.max(g.abs()));
        for (a, b) in grad.iter().zip(&from_single) {
            assert!((a - b).abs() <= 1e-4 * scale, "{kind:?}: {a} vs {b}");
        }
        let terms = terms(batched);
        assert!(grad.iter().any(|&g| g != 0.0));
        let record = &estimator.steps()[0];
        assert_eq!(record.capped, 0);
        assert_eq!(
            record.terms,
            terms.iter().map(PointTerms::len).sum::<usize>()
        );
    }
}

/// `Σ_k w̃_k ∇θ log p(x, z_k)` for `k` particles from the encoder's proposal, for each of `reps` replicates
/// (in `f64`), from one point's target.
fn snis_gradients(
    target: &VaeBatchTarget<'_>,
    k: usize,
    reps: usize,
    rng: &mut Xoshiro256PlusPlus,
) -> Vec<Vec<f64>> {
    let d = target.mu().len();
    let params = target.model().decoder_params().len();
    let mut ws = VaeWorkspace::new();
    (0..reps)
        .map(|_| {
            let noise = nalgebra::DMatrix::from_fn(d, k, |_, _| StandardNormal.sample(rng));
            let mut lw = vec![0.0; k];
            ucg_couplings::BatchedImportanceTarget::log_weights_batch(
                target,
                &[(0, &noise)],
                &mut lw,
            )
            .unwrap();
            let max = lw.iter().fold(f64::NEG_INFINITY, |m: f64, &v| m.max(v));
            let sum: f64 = lw.iter().map(|v| (v - max).exp()).sum();
            let terms = PointTerms {
                noise: noise.iter().copied().collect(),
                coefficients: lw.iter().map(|v| (v - max).exp() / sum).collect(),
                ess: Vec::new(),
            };
            let mut g = vec![0.0f32; params];
            decoder_gradient_of_terms(target, &[terms], 4096, &mut g, &mut ws).unwrap();
            g.iter().map(|&v| f64::from(v)).collect()
        })
        .collect()
}

/// The exact `∇θ log p(x) = ∫ p(x, z) ∇θ log p(x | z) dz / ∫ p(x, z) dz` of a D = 2 model, by the
/// midpoint rule on a 800 × 800 grid over `z ∈ [−10, 10]²` (the posterior of the fixtures lies well
/// inside; halving the grid moves no component by more than a hundredth of the tests' standard errors).
///
/// An importance-sampling reference is not enough: drawn from the encoder, it shares the blind spot of
/// chains that propose from the encoder (a posterior tail the encoder barely covers), and both agreed
/// while missing the truth by many standard errors.
fn quadrature(vae: &Vae<f32>, x: &[f32]) -> Vec<f64> {
    const CHUNK: usize = 8192;
    let n = 800;
    let h = 20.0 / n as f64;
    let z: Vec<f32> = (0..n * n)
        .flat_map(|i| {
            let (a, b) = (i / n, i % n);
            [
                (-10.0 + (a as f64 + 0.5) * h) as f32,
                (-10.0 + (b as f64 + 0.5) * h) as f32,
            ]
        })
        .collect();
    let mut ws = VaeWorkspace::new();
    let mut log_joint = vec![0.0f32; n * n];
    for (zc, out) in z.chunks(2 * CHUNK).zip(log_joint.chunks_mut(CHUNK)) {
        let points = vec![0usize; out.len()];
        vae.log_joint(x, &points, zc, out, None, &mut ws).unwrap();
    }
    let max = log_joint
        .iter()
        .fold(f64::NEG_INFINITY, |m, &v| m.max(f64::from(v)));
    let w: Vec<f64> = log_joint
        .iter()
        .map(|&v| (f64::from(v) - max).exp())
        .collect();
    let total: f64 = w.iter().sum();
    let params = vae.decoder_params().len();
    let mut gradient = vec![0.0f64; params];
    for (zc, wc) in z.chunks(2 * CHUNK).zip(w.chunks(CHUNK)) {
        let points = vec![0usize; wc.len()];
        let coeffs: Vec<f32> = wc.iter().map(|v| (v / total) as f32).collect();
        let mut part = vec![0.0f32; params];
        vae.decoder_gradient(x, &points, zc, &coeffs, &mut part, &mut ws)
            .unwrap();
        gradient
            .iter_mut()
            .zip(&part)
            .for_each(|(a, &b)| *a += f64::from(b));
    }
    gradient
}

/// The largest `|mean − reference| / se` over the components; a component the draws never move (a dead
/// unit: standard error 0) counts only if its mean is off the reference beyond rounding.
fn max_abs_z(moments: &Moments, reference: &[f64]) -> f64 {
    moments
        .mean()
        .iter()
        .zip(reference)
        .zip(moments.standard_error())
        .map(|((m, r), se)| {
            let off = (m - r).abs();
            if se > 0.0 {
                off / se
            } else if off <= 1e-6 * (1.0 + r.abs()) {
                0.0
            } else {
                f64::INFINITY
            }
        })
        .fold(0.0, f64::max)
}

/// The tiny D = 2 model of the unbiasedness tests, its point and its exact `∇θ log p(x)` (computed once).
fn shared_reference() -> &'static (Vae<f32>, Vec<f32>, Vec<f64>) {
    static REFERENCE: std::sync::OnceLock<(Vae<f32>, Vec<f32>, Vec<f64>)> =
        std::sync::OnceLock::new();
    REFERENCE.get_or_init(|| {
        let (vae, x) = fixture(2, 1, SCALE);
        let exact = quadrature(&vae, &x);
        (vae, x, exact)
    })
}

/// An importance proposal of the tests: the encoder's, optionally fitted to the posterior with
/// `fit` particles, then scaled by `scale`.
#[derive(Clone, Copy)]
struct Proposal {
    fit: usize,
    scale: f32,
}

impl Proposal {
    const ENCODER: Proposal = Proposal { fit: 0, scale: 1.0 };

    fn apply<'a>(self, target: VaeBatchTarget<'a>) -> VaeBatchTarget<'a> {
        let fitted = if self.fit > 0 {
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(17);
            target.with_fitted_proposal(self.fit, &mut rng).unwrap()
        } else {
            target
        };
        fitted.with_proposal_scale(self.scale).unwrap()
    }
}

/// Replicates of the coupled θ-gradient of the reference's point: `reps` copies of the point in one
/// minibatch (each copy on its own stream, so the copies' estimates are independent), the chains on
/// `chains`' proposal, each copy's terms turned into a gradient through `gradient`'s (the chains' own
/// unless a test plants a mismatch).
fn coupled_replicates(reps: usize, chains: Proposal, gradient: Proposal) -> Moments {
    let (vae, x, exact) = shared_reference();
    let params = exact.len();
    let copies: Vec<f32> = x.iter().copied().cycle().take(P * reps).collect();
    let target = chains.apply(VaeBatchTarget::new(vae, &copies, reps).unwrap());
    let lag = LagSettings::paper(1, 5, 100_000).unwrap();
    let schedule = IsirSchedule::isir_disir(8, 0.5).unwrap();
    let runs = coupled_terms(&target, &schedule, &lag, 7).unwrap();
    let for_gradient = gradient.apply(VaeBatchTarget::new(vae, &copies, reps).unwrap());
    let mut ws = VaeWorkspace::new();
    let mut coupled = Moments::new(params);
    for (b, (terms, run, _)) in runs.into_iter().enumerate() {
        assert!(!run.capped);
        let mut g = vec![0.0f32; params];
        decoder_gradient_of_point(&for_gradient, b, &terms, 4096, &mut g, &mut ws).unwrap();
        coupled
            .push(&g.iter().map(|&v| f64::from(v)).collect::<Vec<_>>())
            .unwrap();
    }
    coupled
}

/// The coupled estimator's mean over many independent runs agrees with the exact `∇θ log p(x)` (z-test,
/// Bonferroni over the decoder's parameters) when its proposal covers the posterior (the encoder
/// widened twofold), and IWAE with K = 2 over as many replicates fails the same test (the test has
/// power).
///
/// With the encoder's own proposal, narrower than this posterior in a tail, 3,000 replicates miss the
/// exact gradient by 6.7 standard errors (and an importance-sampling reference drawn from the encoder
/// agreed with them, missing the truth by 9.6): the estimator is unbiased, but its
/// variance is carried by rare, very long sticky runs that a finite sample seldom contains (see
/// `docs/vae/coupled-efficiency.md`).
#[test]
fn coupled_gradient_is_unbiased_and_iwae_2_is_not() {
    let (vae, x, exact) = shared_reference();
    let threshold = bonferroni_z(0.01, exact.len()).unwrap();
    let reps = 4000;
    let widened = Proposal { fit: 0, scale: 2.0 };
    let z_coupled = max_abs_z(&coupled_replicates(reps, widened, widened), exact);

    let one = VaeBatchTarget::new(vae, x, 1).unwrap();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(5);
    let mut iwae = Moments::new(exact.len());
    for g in snis_gradients(&one, 2, reps, &mut rng) {
        iwae.push(&g).unwrap();
    }
    let z_iwae = max_abs_z(&iwae, exact);
    eprintln!("max |z|: coupled {z_coupled:.2}, IWAE-2 {z_iwae:.2}, threshold {threshold:.2}");
    assert!(z_coupled < threshold, "coupled: {z_coupled} ≥ {threshold}");
    assert!(z_iwae > threshold, "IWAE-2 not detected: {z_iwae}");
}

/// SUMO's θ-gradient (from `IWAE_2`, under the same widened proposal) agrees with the exact
/// `∇θ log p(x)`, where `IWAE_2` alone does not (previous test).
#[test]
fn sumo_gradient_is_unbiased() {
    let (vae, x, exact) = shared_reference();
    let threshold = bonferroni_z(0.01, exact.len()).unwrap();
    let reps = 4000;
    let copies: Vec<f32> = x.iter().copied().cycle().take(P * reps).collect();
    let widened = Proposal { fit: 0, scale: 2.0 };
    let target = widened.apply(VaeBatchTarget::new(vae, &copies, reps).unwrap());
    let sumo = Sumo::new(2, default_survival()).unwrap();
    let draw = sumo_draw(&target, &sumo, 9).unwrap();
    let mut ws = VaeWorkspace::new();
    let mut moments = Moments::new(exact.len());
    for (b, terms) in draw.terms.iter().enumerate() {
        let mut g = vec![0.0f32; exact.len()];
        decoder_gradient_of_point(&target, b, terms, 4096, &mut g, &mut ws).unwrap();
        moments
            .push(&g.iter().map(|&v| f64::from(v)).collect::<Vec<_>>())
            .unwrap();
    }
    let z = max_abs_z(&moments, exact);
    let per_point = draw.evaluations as f64 / reps as f64;
    eprintln!(
        "SUMO: max |z| {z:.2} (threshold {threshold:.2}); {per_point:.2} particles per point, expected {:.2}",
        sumo.expected_particles()
    );
    assert!(z < threshold, "SUMO: {z} ≥ {threshold}");
}

/// The chains stay unbiased under a proposal fitted to the posterior
/// (`VaeBatchTarget::with_fitted_proposal`, then widened); turning their terms into gradients through
/// another proposal than the chains' (the encoder's) is detected.
#[test]
fn coupled_gradient_is_unbiased_under_a_fitted_proposal() {
    let (_, _, exact) = shared_reference();
    let threshold = bonferroni_z(0.01, exact.len()).unwrap();
    let fitted = Proposal {
        fit: 200,
        scale: 1.5,
    };
    let z_fitted = max_abs_z(&coupled_replicates(3000, fitted, fitted), exact);
    let z_mismatched = max_abs_z(&coupled_replicates(3000, fitted, Proposal::ENCODER), exact);
    eprintln!(
        "max |z|: fitted {z_fitted:.2}, gradient through another proposal {z_mismatched:.2}, \
         threshold {threshold:.2}"
    );
    assert!(z_fitted < threshold, "fitted: {z_fitted} ≥ {threshold}");
    assert!(
        z_mismatched > threshold,
        "mismatch not detected: {z_mismatched}"
    );
}

/// The coupled estimators train a tiny VAE end to end, report their chains per epoch, adapt β, and
/// resume from a checkpoint exactly.
#[test]
fn coupled_training_reports_chains_and_resumes() {
    let train: Vec<u8> = (0..60 * P)
        .map(|i| ((i * 7 + i / P) % 5 < 2) as u8)
        .collect();
    let data = VaeData::binary(train, P, vec![1.0; P * 10]).unwrap();
    for kind in [EstimatorKind::CoupledIsirDisir, EstimatorKind::CoupledIsir] {
        let mut config = TrainConfig::paper(kind, 2, 2);
        (config.hidden, config.batch, config.k) = (8, 20, 5);
        config.coupled.cap = 200;
        let mut trainer = Trainer::new(config.clone(), P).unwrap();
        for _ in 0..2 {
            let r = trainer.train_epoch(&data, &mut |_, _| {}).unwrap();
            let c = r.chains.expect("chain diagnostics");
            assert_eq!(c.chains, 60, "{kind:?}");
            assert!(r.train_bound.is_finite() && c.mean_tau >= 1.0 && c.max_tau >= c.median_tau);
            assert!(r.csv_line().split(',').count() == 11);
            match kind {
                EstimatorKind::CoupledIsir => assert_eq!(c.beta, 0.0),
                _ => assert_ne!(c.beta, 0.9, "β not adapted"),
            }
        }
        let bytes = ucg_train::vae::checkpoint::to_bytes(&trainer);
        // A run written with another gradient chunk is refused with a message that names it ...
        let mut other = config.clone();
        other.coupled.chunk += 1;
        let err = ucg_train::vae::checkpoint::from_bytes(&bytes, "test", other, P)
            .unwrap_err()
            .to_string();
        assert!(err.contains("gradient chunk"), "{err}");
        // ... except one written under the earlier default, which keeps its chunk when resumed with the
        // current default.
        let mut earlier = config.clone();
        earlier.coupled.chunk = CoupledConfig::EARLIER_DEFAULT_CHUNK;
        let old = ucg_train::vae::checkpoint::to_bytes(&Trainer::new(earlier, P).unwrap());
        let kept = ucg_train::vae::checkpoint::from_bytes(&old, "test", config.clone(), P).unwrap();
        assert_eq!(
            kept.config().coupled.chunk,
            CoupledConfig::EARLIER_DEFAULT_CHUNK
        );
        let resumed = ucg_train::vae::checkpoint::from_bytes(&bytes, "test", config, P).unwrap();
        assert_eq!(resumed.records(), trainer.records());
        assert_eq!(
            resumed.config().coupled.chunk,
            CoupledConfig::default().chunk
        );
    }
}

/// The coupled gradient of a step does not depend on the number of threads.
#[test]
fn coupled_gradient_does_not_depend_on_the_number_of_threads() {
    let (vae, x) = fixture(3, 6, 3.0);
    let gradient = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            let config = CoupledConfig {
                chunk: 50,
                ..CoupledConfig::default()
            };
            let mut estimator = CoupledTheta::new(CoupledKernelKind::IsirDisir, 5, config).unwrap();
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
            let mut grad = vec![0.0f32; vae.decoder_params().len()];
            for _ in 0..2 {
                estimator
                    .extra_gradient(ThetaContext {
                        model: &vae,
                        x: &x,
                        batch: 6,
                        rng: &mut rng,
                        workspace: &mut VaeWorkspace::new(),
                        grad: &mut grad,
                        encoding: None,
                    })
                    .unwrap();
            }
            (grad, estimator.beta())
        })
    };
    let one = gradient(1);
    assert_eq!(one, gradient(2));
    assert_ne!(one.1, 0.9, "β not adapted between steps");
}
