//! IWAE-k and AIS against PPCA's exact log-likelihood.

use nalgebra::{DMatrix, DVector};
use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};
use rand_xoshiro::Xoshiro256PlusPlus;
use std::sync::Mutex;
use ucg_models::LatentModel;
use ucg_models::encoder::LinearGaussianEncoder;
use ucg_models::ppca::{Ppca, PpcaLatentModel};
use ucg_train::eval::{
    AisSettings, AisStart, IwaeSettings, Progress, SigmoidSchedule, StepSizeAdaptation, ais,
    iwae_bound,
};

const D: usize = 2;
const P: usize = 6;
const M: usize = 8;

/// A small PPCA model, data drawn from it, and an encoder 1.5 times wider than the posterior (so that
/// the IWAE bound is visibly below `log p(x)` at small `k`).
fn setup() -> (Ppca, LinearGaussianEncoder, DMatrix<f64>, PpcaLatentModel) {
    let model = Ppca::random(D, P, 0.2, 17).unwrap();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(4);
    let z = DMatrix::from_fn(D, M, |_, _| StandardNormal.sample(&mut rng));
    let noise = DMatrix::from_fn(P, M, |_, _| {
        0.2f64.sqrt() * <StandardNormal as Distribution<f64>>::sample(&StandardNormal, &mut rng)
    });
    let mut x = model.theta1().transpose() * z + noise;
    for mut col in x.column_iter_mut() {
        col += model.theta0();
    }
    let encoder = model.posterior_encoder(1.5).unwrap();
    let bound = PpcaLatentModel::new(&model, &encoder, &x).unwrap();
    (model, encoder, x, bound)
}

fn all_points() -> Vec<usize> {
    (0..M).collect()
}

/// Mean and standard error of a sample.
fn mean_se(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, (var / n).sqrt())
}

/// `KL(q(z | x) ‖ p(z | x))` for PPCA's Gaussian posterior, so that `ELBO = log p(x) − KL`.
fn kl_to_posterior(model: &Ppca, encoder: &LinearGaussianEncoder, x: &DVector<f64>) -> f64 {
    let (mu, sd) = encoder.mean_and_scale(x).unwrap();
    let (m, c) = model.posterior(x).unwrap();
    let c_inv = c.clone().try_inverse().unwrap();
    let s = DMatrix::from_diagonal(&sd.map(|v| v * v));
    let diff = &m - &mu;
    0.5 * ((&c_inv * &s).trace() + (diff.transpose() * &c_inv * &diff)[(0, 0)] - D as f64
        + c.determinant().ln()
        - s.determinant().ln())
}

/// With `k = 1` the bound is one draw of `log p(x, z) − log q(z | x)`, whose expectation is the ELBO
/// `log p(x) − KL(q ‖ p(z | x))`, known exactly for PPCA. Over 2,000 independent seeds the mean of
/// `value − ELBO` (averaged over the points) is within 4.5 standard errors of zero.
#[test]
fn iwae_with_one_sample_is_unbiased_for_the_elbo() {
    let (model, encoder, x, bound) = setup();
    let elbo: f64 = (0..M)
        .map(|n| {
            let xn = x.column(n).into_owned();
            bound.exact_log_likelihood()[n] - kl_to_posterior(&model, &encoder, &xn)
        })
        .sum::<f64>()
        / M as f64;
    let settings = IwaeSettings::new(1).unwrap();
    let gaps: Vec<f64> = (0..2000)
        .map(|seed| {
            iwae_bound(&bound, &all_points(), &settings, seed, None)
                .unwrap()
                .mean()
                - elbo
        })
        .collect();
    let (gap, se) = mean_se(&gaps);
    assert!(gap.abs() < 4.5 * se, "mean gap {gap} with s.e. {se}");
}

/// The IWAE-k bound stays below `log p(x)` and rises with `k`. For each `k` the gap
/// `Δ_k = mean_n(L_k(x_n)) − mean_n(log p(x_n))` is averaged over 400 seeds: each average is below zero
/// by more than 4.5 standard errors for `k ≤ 16` and not above zero by 4.5 s.e. for larger `k` (where the
/// gap, about `0.4 / k` here, is below what 400 seeds resolve), and each step `k → 4k` up to 64 raises it
/// by more than 4.5 standard errors of the paired difference (the same seeds for every `k`), the step
/// 64 → 1000 does not lower it by 4.5 s.e. (Bonferroni over the handful of comparisons).
#[test]
fn iwae_bound_is_below_the_exact_value_and_rises_with_k() {
    let (_, _, _, bound) = setup();
    let exact = bound.exact_log_likelihood().iter().sum::<f64>() / M as f64;
    let ks = [1, 4, 16, 64, 1000];
    let gaps: Vec<Vec<f64>> = ks
        .iter()
        .map(|&k| {
            let settings = IwaeSettings::new(k)
                .unwrap()
                .with_batch_columns(512)
                .unwrap();
            (0..400)
                .map(|seed| {
                    iwae_bound(&bound, &all_points(), &settings, 100 + seed, None)
                        .unwrap()
                        .mean()
                        - exact
                })
                .collect()
        })
        .collect();
    for (&k, g) in ks.iter().zip(&gaps) {
        let (gap, se) = mean_se(g);
        if k <= 16 {
            assert!(gap < -4.5 * se, "k = {k}: gap {gap}, s.e. {se}");
        } else {
            assert!(gap < 4.5 * se, "k = {k}: gap {gap}, s.e. {se}");
        }
    }
    for (i, w) in gaps.windows(2).enumerate() {
        let rise: Vec<f64> = w[1].iter().zip(&w[0]).map(|(b, a)| b - a).collect();
        let (mean, se) = mean_se(&rise);
        if ks[i + 1] <= 64 {
            assert!(mean > 4.5 * se, "rise {mean} ± {se}");
        } else {
            assert!(mean > -4.5 * se, "rise {mean} ± {se}");
        }
    }
}

fn quick_ais(steps: usize) -> AisSettings {
    AisSettings::paper()
        .with_schedule(SigmoidSchedule::new(steps, 4.0).unwrap())
        .with_points_per_batch(3)
        .unwrap()
}

/// Checks AIS estimates against the exact values. Tolerance from the chains' spread: with `e_n` the
/// delta-method Monte Carlo error of point `n`, `|AIS_n − log p(x_n)| < 4.5 e_n + e_n²` (the square
/// allows for the log-mean-exp's downward bias `≈ e_n² / 2`), Bonferroni over 8 points; and the mean over
/// points within `4.5 √(Σ e_n²) / M`. That the tolerance is not vacuous is checked too: each `e_n` must
/// be below 0.05, i.e. AIS converged (the chains agree) for these settings.
fn assert_ais_matches_exact(result: &ucg_train::eval::AisEstimates, exact: &[f64]) {
    let mut sum_sq = 0.0;
    let mut sum_diff = 0.0;
    for ((value, diag), &truth) in result
        .estimates
        .values()
        .iter()
        .zip(&result.diagnostics)
        .zip(exact)
    {
        let e = diag.monte_carlo_error.unwrap();
        assert!(e < 0.05, "chains disagree: Monte Carlo error {e}");
        assert!(
            (value - truth).abs() < 4.5 * e + e * e,
            "AIS {value} vs exact {truth}, Monte Carlo error {e}"
        );
        sum_sq += e * e;
        sum_diff += value - truth;
    }
    let m = exact.len() as f64;
    assert!((sum_diff / m).abs() < 4.5 * sum_sq.sqrt() / m);
}

#[test]
fn ais_from_the_encoder_matches_the_exact_log_likelihood() {
    let (_, _, _, bound) = setup();
    let result = ais(&bound, &all_points(), &quick_ais(500), 5, None).unwrap();
    assert_ais_matches_exact(&result, bound.exact_log_likelihood());
    for diag in &result.diagnostics {
        let a = diag.mean_acceptance.unwrap();
        assert!(a > 0.5 && a < 0.95, "mean acceptance {a}");
    }
}

#[test]
fn ais_from_the_prior_matches_the_exact_log_likelihood() {
    let (_, _, _, bound) = setup();
    let settings = quick_ais(1000).with_start(AisStart::Prior);
    let result = ais(&bound, &all_points(), &settings, 6, None).unwrap();
    assert_ais_matches_exact(&result, bound.exact_log_likelihood());
}

#[test]
fn ais_with_online_adaptation_matches_the_exact_log_likelihood() {
    let (_, _, _, bound) = setup();
    let settings = quick_ais(500)
        .with_adaptation(StepSizeAdaptation::Online)
        .unwrap();
    let result = ais(&bound, &all_points(), &settings, 8, None).unwrap();
    assert_ais_matches_exact(&result, bound.exact_log_likelihood());
}

/// From a step size 100 times too small, the pilot-adapted step size grows until the estimating chains'
/// acceptance is near the 0.65 target (averaged over the run, so the early transitions weigh it up).
#[test]
fn step_size_adapts_towards_the_target_acceptance() {
    let (_, _, _, bound) = setup();
    let settings = quick_ais(1000).with_initial_step_size(0.005).unwrap();
    let result = ais(&bound, &all_points(), &settings, 9, None).unwrap();
    for diag in &result.diagnostics {
        assert!(
            diag.final_step_size > 0.1,
            "step size {}",
            diag.final_step_size
        );
        let a = diag.mean_acceptance.unwrap();
        assert!((0.6..0.8).contains(&a), "mean acceptance {a}");
    }
    let fixed = settings.with_adaptation(StepSizeAdaptation::Fixed).unwrap();
    let result = ais(&bound, &[0], &fixed, 9, None).unwrap();
    assert_eq!(result.diagnostics[0].final_step_size, 0.005);
}

fn in_pool<T: Send>(threads: usize, f: impl FnOnce() -> T + Send) -> T {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
        .install(f)
}

#[test]
fn results_do_not_depend_on_threads_or_on_other_points() {
    let (_, _, _, bound) = setup();
    let iwae_settings = IwaeSettings::new(50)
        .unwrap()
        .with_batch_columns(100)
        .unwrap();
    let ais_settings = quick_ais(20);
    let run = || {
        (
            iwae_bound(&bound, &all_points(), &iwae_settings, 3, None).unwrap(),
            ais(&bound, &all_points(), &ais_settings, 3, None).unwrap(),
        )
    };
    let one = in_pool(1, run);
    let two = in_pool(2, run);
    assert_eq!(one, two);
    // Point 5 alone, with other batch layouts, gets the same estimate (up to rounding in batched
    // products).
    let alone_iwae = iwae_bound(
        &bound,
        &[5],
        &iwae_settings.with_batch_columns(7).unwrap(),
        3,
        None,
    )
    .unwrap();
    assert!((alone_iwae.values()[0] - one.0.values()[5]).abs() < 1e-12);
    let alone_ais = ais(&bound, &[5], &ais_settings, 3, None).unwrap();
    assert!((alone_ais.estimates.values()[0] - one.1.estimates.values()[5]).abs() < 1e-12);
}

#[test]
fn progress_reaches_the_total() {
    let (_, _, _, bound) = setup();
    let last = Mutex::new(Progress { done: 0, total: 0 });
    let hook = |p: Progress| {
        let mut l = last.lock().unwrap();
        if p.done >= l.done {
            *l = p;
        }
    };
    iwae_bound(
        &bound,
        &[0, 1, 2],
        &IwaeSettings::new(30).unwrap(),
        1,
        Some(&hook),
    )
    .unwrap();
    assert_eq!(
        *last.lock().unwrap(),
        Progress {
            done: 90,
            total: 90
        }
    );
    *last.lock().unwrap() = Progress { done: 0, total: 0 };
    ais(&bound, &[0, 1, 2, 3], &quick_ais(150), 1, Some(&hook)).unwrap();
    assert_eq!(
        *last.lock().unwrap(),
        Progress {
            done: 600,
            total: 600
        }
    );
}

#[test]
fn bad_points_are_errors() {
    let (_, _, _, bound) = setup();
    assert!(iwae_bound(&bound, &[], &IwaeSettings::default(), 1, None).is_err());
    assert!(iwae_bound(&bound, &[0, M], &IwaeSettings::default(), 1, None).is_err());
    assert!(ais(&bound, &[], &quick_ais(5), 1, None).is_err());
    assert!(ais(&bound, &[M + 3], &quick_ais(5), 1, None).is_err());
    assert_eq!(bound.num_points(), M);
}

/// With a single annealing step AIS is importance sampling from `q0`, i.e. the IWAE bound with `k = C`
/// samples: both average `p(x, z)/q(z)` over independent draws from the encoder, so over 1,000 seeds
/// their means over points agree within 4.5 standard errors.
#[test]
fn ais_with_one_step_is_importance_sampling() {
    let (_, _, _, bound) = setup();
    let settings = quick_ais(1).with_chains(4).unwrap();
    let iwae = IwaeSettings::new(4).unwrap();
    let diffs: Vec<f64> = (0..1000)
        .map(|seed| {
            ais(&bound, &all_points(), &settings, seed, None)
                .unwrap()
                .estimates
                .mean()
                - iwae_bound(&bound, &all_points(), &iwae, seed + 5000, None)
                    .unwrap()
                    .mean()
        })
        .collect();
    let (mean, se) = mean_se(&diffs);
    assert!(mean.abs() < 4.5 * se, "{mean} ± {se}");
}

/// Each chain's weight is an unbiased estimate of `p(x)` whatever the number of annealing steps, so with
/// only 10 steps but 4,000 chains per point the log-mean-exp still matches `log p(x)` within the
/// tolerance derived from the chains' spread. A transition that leaves the wrong annealed density
/// invariant (for example `f_{t−1}` instead of `f_t`) is biased on so short a path.
#[test]
fn ais_weights_are_unbiased_on_a_short_path() {
    let (_, _, _, bound) = setup();
    let settings = quick_ais(10)
        .with_chains(4000)
        .unwrap()
        .with_initial_step_size(0.3)
        .unwrap();
    let result = ais(&bound, &all_points(), &settings, 10, None).unwrap();
    assert_ais_matches_exact(&result, bound.exact_log_likelihood());
}

/// A model that wraps PPCA but can break its encoder or fail its log-joint with a non-numerical error.
struct Faulty {
    inner: PpcaLatentModel,
    zero_sd: bool,
    fail_after: usize,
    calls: std::sync::atomic::AtomicUsize,
}

impl LatentModel for Faulty {
    fn latent_dim(&self) -> usize {
        self.inner.latent_dim()
    }
    fn num_points(&self) -> usize {
        self.inner.num_points()
    }
    fn encode(&self, point: usize, mean: &mut [f64], sd: &mut [f64]) -> ucg_models::Result<()> {
        self.inner.encode(point, mean, sd)?;
        if self.zero_sd {
            sd[0] = 0.0;
        }
        Ok(())
    }
    fn log_joint(
        &self,
        points: &[usize],
        z: &DMatrix<f64>,
        log_joint: &mut [f64],
        grad: Option<&mut DMatrix<f64>>,
    ) -> ucg_models::Result<()> {
        let calls = self
            .calls
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if calls >= self.fail_after {
            return Err(ucg_models::ModelError::InvalidParameter {
                name: "weights",
                reason: "corrupted".into(),
            });
        }
        self.inner.log_joint(points, z, log_joint, grad)
    }
}

/// A broken encoder is an error, not a NaN estimate; a model failure other than a non-finite value in
/// the middle of an HMC trajectory is an error, not a silently rejected move.
#[test]
fn model_failures_are_errors() {
    let (_, _, _, bound) = setup();
    let broken = Faulty {
        inner: bound.clone(),
        zero_sd: true,
        fail_after: usize::MAX,
        calls: 0.into(),
    };
    assert!(iwae_bound(&broken, &[0], &IwaeSettings::new(10).unwrap(), 1, None).is_err());
    assert!(ais(&broken, &[0], &quick_ais(10), 1, None).is_err());
    let failing = Faulty {
        inner: bound,
        zero_sd: false,
        fail_after: 5,
        calls: 0.into(),
    };
    assert!(matches!(
        ais(&failing, &[0], &quick_ais(10), 1, None),
        Err(ucg_train::TrainError::Model(
            ucg_models::ModelError::InvalidParameter { .. }
        ))
    ));
}
