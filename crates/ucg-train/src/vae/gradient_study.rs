//! θ-gradients of one fixed model on one fixed minibatch, by each estimator, and what separates them:
//! IWAE's bias against the coupled estimator's variance.
//!
//! A training step moves θ along an estimate `g` of `∇_θ Σ_b log p(x_b)`. IWAE's estimate with `K`
//! particles is the self-normalised importance sampling (SNIS) average `Σ_b Σ_k w̃_{bk} ∇_θ log p(x_b,
//! z_{bk})`: cheap, of small variance, biased by `O(1/K)`. The coupled estimator is unbiased at a much
//! larger variance and cost. Over `n` steps of a small learning rate the updates average `n` estimates,
//! so the error of the average is about `bias² + tr Var / n`: the coupled estimator can only gain once
//! `n` exceeds the **break-even number of steps**
//!
//! ```text
//! n* = (tr Var[g_coupled] − tr Var[g_IWAE]) / ‖E g_IWAE − ∇_θ log p‖²,
//! ```
//!
//! which this module measures on a given model: SNIS with a very large `K` as the reference gradient
//! (its bias is `K_ref / K` times smaller than IWAE's), repeated draws of each estimator, and
//! [`squared_distance_of_means`] for `‖E g_a − E g_b‖²` without the upward bias the draws' noise gives a
//! plain `‖ḡ_a − ḡ_b‖²`.

use super::coupled::{CoupledConfig, CoupledKernelKind, coupled_terms, decoder_gradient_of_terms};
use super::estimator::normalise;
use crate::{Result, TrainError};
use rand::RngExt;
use rand_distr::StandardNormal;
use ucg_couplings::isir::IsirSchedule;
use ucg_estimators::LagSettings;
use ucg_models::vae::{Vae, VaeBatchTarget, VaeWorkspace};

/// Most particles decoded in one call of [`snis_gradient`] (bounds its memory: `P` floats per particle).
const SNIS_COLUMNS: usize = 20_000;

/// One coupled θ-gradient and what its chains did.
#[derive(Clone, Debug, PartialEq)]
pub struct CoupledGradient {
    /// `Σ_b` of the points' lagged estimates of `∇_θ log p(x_b)`.
    pub gradient: Vec<f64>,
    /// Particles evaluated by all chains.
    pub evaluations: u64,
    /// Pairs stopped by the cap (their terms are truncated, hence biased).
    pub capped: usize,
    /// Meeting times of the pairs that met.
    pub meeting_times: Vec<usize>,
}

/// The SNIS estimate `Σ_b Σ_k w̃_{bk} ∇_θ log p(x_b, z_{bk})` with `k` particles per point drawn from the
/// encoder, on the noise stream `ucg_data::rng::stream(seed, 0)` (with `k = K` of training this is the
/// IWAE θ-gradient; with a very large `k`, a reference for `∇_θ Σ_b log p(x_b)`).
///
/// # Errors
/// `k = 0`, `x` not `P × batch`, model failures.
pub fn snis_gradient(
    model: &Vae<f32>,
    x: &[f32],
    batch: usize,
    k: usize,
    seed: u64,
) -> Result<Vec<f64>> {
    importance_gradient(model, x, batch, k, seed, |lw, w| {
        normalise(lw, w);
    })
}

/// The ELBO's θ-gradient `Σ_b (1/k) Σ_k ∇_θ log p(x_b, z_{bk})` on the same particles as
/// [`snis_gradient`] (biased unless the encoder is the posterior).
///
/// # Errors
/// As [`snis_gradient`].
pub fn elbo_gradient(
    model: &Vae<f32>,
    x: &[f32],
    batch: usize,
    k: usize,
    seed: u64,
) -> Result<Vec<f64>> {
    importance_gradient(model, x, batch, k, seed, |_, w| {
        w.fill(1.0 / w.len() as f32);
    })
}

/// `Σ_b Σ_k c_{bk} ∇_θ log p(x_b, z_{bk})` with `k` encoder particles per point and each point's
/// coefficients set by `coefficients(log-weights, out)`.
fn importance_gradient(
    model: &Vae<f32>,
    x: &[f32],
    batch: usize,
    k: usize,
    seed: u64,
    coefficients: impl Fn(&[f32], &mut [f32]),
) -> Result<Vec<f64>> {
    let (p, d) = (model.shape().data_dim, model.shape().latent);
    if k == 0 || batch == 0 || x.len() != p * batch {
        return Err(TrainError::InvalidSetting {
            name: "importance gradient",
            reason: format!("K = {k}, batch {batch}, {} pixels for P = {p}", x.len()),
        });
    }
    let mut rng = ucg_data::rng::stream(seed, 0);
    let mut grad = vec![0.0f32; model.decoder_params().len()];
    let mut ws = VaeWorkspace::new();
    let mut weights = vec![0.0f32; k];
    let per_call = (SNIS_COLUMNS / k).max(1);
    for first in (0..batch).step_by(per_call) {
        let n = per_call.min(batch - first);
        let xs = &x[first * p..(first + n) * p];
        let noise: Vec<f32> = (0..d * n * k)
            .map(|_| rng.sample::<f32, _>(StandardNormal))
            .collect();
        let mut coeffs = Vec::with_capacity(n * k);
        for lw in model.particles(xs, n, k, &noise, &mut ws)?.chunks_exact(k) {
            coefficients(lw, &mut weights);
            coeffs.extend_from_slice(&weights);
        }
        let z = ws.z().to_vec();
        let points: Vec<usize> = (0..n).flat_map(|b| std::iter::repeat_n(b, k)).collect();
        model.decoder_gradient(xs, &points, &z, &coeffs, &mut grad, &mut ws)?;
    }
    Ok(grad.into_iter().map(f64::from).collect())
}

/// One coupled θ-gradient of the minibatch (`kind`, DISIR's `beta`, `lag`, `K = k`), point `b` on the
/// stream `stream(seed, b)` as in training.
///
/// # Errors
/// Invalid settings, model or kernel failures.
pub fn coupled_gradient(
    model: &Vae<f32>,
    x: &[f32],
    batch: usize,
    kind: CoupledKernelKind,
    k: usize,
    beta: f64,
    lag: &LagSettings,
    seed: u64,
) -> Result<CoupledGradient> {
    let target = VaeBatchTarget::new(model, x, batch)?;
    let schedule = match kind {
        CoupledKernelKind::Isir => IsirSchedule::isir(k)?,
        CoupledKernelKind::IsirDisir => IsirSchedule::isir_disir(k, beta)?,
    };
    let outcomes = coupled_terms(&target, &schedule, lag, seed)?;
    let mut out = CoupledGradient {
        gradient: Vec::new(),
        evaluations: 0,
        capped: 0,
        meeting_times: Vec::new(),
    };
    let mut terms = Vec::with_capacity(outcomes.len());
    for (t, run, evaluations) in outcomes {
        match run.meeting_time {
            Some(tau) if !run.capped => out.meeting_times.push(tau),
            _ => out.capped += 1,
        }
        out.evaluations += evaluations;
        terms.push(t);
    }
    let mut grad = vec![0.0f32; model.decoder_params().len()];
    let mut ws = VaeWorkspace::new();
    decoder_gradient_of_terms(
        &target,
        &terms,
        CoupledConfig::default().chunk,
        &mut grad,
        &mut ws,
    )?;
    out.gradient = grad.into_iter().map(f64::from).collect();
    Ok(out)
}

/// Mean vector and total variance (trace of the sample covariance) of `draws`.
///
/// # Errors
/// Fewer than two draws, or draws of different lengths.
pub fn mean_and_total_variance(draws: &[Vec<f64>]) -> Result<(Vec<f64>, f64)> {
    let n = draws.len();
    let dim = draws.first().map_or(0, Vec::len);
    if n < 2 || dim == 0 || draws.iter().any(|d| d.len() != dim) {
        return Err(TrainError::InvalidSetting {
            name: "draws",
            reason: format!("{n} draws (need 2 or more of one nonzero length)"),
        });
    }
    let mut mean = vec![0.0; dim];
    for d in draws {
        mean.iter_mut().zip(d).for_each(|(m, v)| *m += v / n as f64);
    }
    let ss: f64 = draws
        .iter()
        .map(|d| {
            d.iter()
                .zip(&mean)
                .map(|(v, m)| (v - m).powi(2))
                .sum::<f64>()
        })
        .sum();
    Ok((mean, ss / (n - 1) as f64))
}

/// `‖E a − E b‖²` estimated without bias from independent draws of `a` and `b`: `‖ā − b̄‖² − tr S_a/n_a −
/// tr S_b/n_b` (`S` the sample covariances: the expected excess of `‖ā − b̄‖²` over its target), with a
/// jackknife standard error (delete one draw of `a`, then one of `b`; the two variances added). The
/// jackknife keeps the draws' full covariance: the components of a gradient are strongly correlated, and
/// an error computed from per-component variances alone would be far too small.
///
/// # Errors
/// Fewer than three draws on either side, or draws of different lengths.
pub fn squared_distance_of_means(a: &[Vec<f64>], b: &[Vec<f64>]) -> Result<(f64, f64)> {
    if a.len() < 3 || b.len() < 3 {
        return Err(TrainError::InvalidSetting {
            name: "draws",
            reason: format!(
                "{} and {} draws (need 3 or more on each side)",
                a.len(),
                b.len()
            ),
        });
    }
    let (ma, va) = mean_and_total_variance(a)?;
    let (mb, vb) = mean_and_total_variance(b)?;
    if ma.len() != mb.len() {
        return Err(TrainError::InvalidSetting {
            name: "draws",
            reason: format!("vectors of length {} and {}", ma.len(), mb.len()),
        });
    }
    let estimate = distance2(&ma, &mb) - va / a.len() as f64 - vb / b.len() as f64;
    let jackknife = |x: &[Vec<f64>], mx: &[f64], other: &[f64], other_floor: f64| {
        let n = x.len() as f64;
        let sum_sq: f64 = x.iter().map(|v| norm2(v)).sum();
        let mut mean_without = vec![0.0; mx.len()];
        let values: Vec<f64> = x
            .iter()
            .map(|xi| {
                for ((m, &full), &v) in mean_without.iter_mut().zip(mx).zip(xi) {
                    *m = (n * full - v) / (n - 1.0);
                }
                let var = (sum_sq - norm2(xi) - (n - 1.0) * norm2(&mean_without)) / (n - 2.0);
                distance2(&mean_without, other) - var / (n - 1.0) - other_floor
            })
            .collect();
        let centre = values.iter().sum::<f64>() / n;
        (n - 1.0) / n * values.iter().map(|v| (v - centre).powi(2)).sum::<f64>()
    };
    let var_a = jackknife(a, &ma, &mb, vb / b.len() as f64);
    let var_b = jackknife(b, &mb, &ma, va / a.len() as f64);
    Ok((estimate, (var_a + var_b).sqrt()))
}

fn norm2(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum()
}

fn distance2(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y).powi(2)).sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn draws(mean: &[f64], sd: f64, n: usize, seed: u64) -> Vec<Vec<f64>> {
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(seed);
        (0..n)
            .map(|_| {
                mean.iter()
                    .map(|m| m + sd * rng.sample::<f64, _>(StandardNormal))
                    .collect()
            })
            .collect()
    }

    /// The noise floor is removed: two samples of the same mean give ≈ 0 although `‖ā − b̄‖²` is far from
    /// it; a known offset is recovered within its standard error.
    #[test]
    fn squared_distance_is_unbiased_and_its_error_is_honest() {
        let dim = 2_000;
        let zero = vec![0.0; dim];
        let (same, se) =
            squared_distance_of_means(&draws(&zero, 1.0, 20, 1), &draws(&zero, 1.0, 30, 2))
                .unwrap();
        assert!(same.abs() < 4.0 * se, "{same} ± {se}");
        let shifted: Vec<f64> = (0..dim)
            .map(|j| if j % 4 == 0 { 0.3 } else { 0.0 })
            .collect();
        let truth = 0.09 * (dim / 4) as f64;
        let (est, se) =
            squared_distance_of_means(&draws(&shifted, 1.0, 20, 3), &draws(&zero, 1.0, 30, 4))
                .unwrap();
        assert!(
            (est - truth).abs() < 4.0 * se,
            "{est} ± {se} against {truth}"
        );
        assert!(se < 0.5 * truth);
        assert!(
            squared_distance_of_means(&draws(&zero, 1.0, 1, 5), &draws(&zero, 1.0, 3, 6)).is_err()
        );
    }

    /// Noise shared by every component (as a gradient's components share a particle's weight): the
    /// error must see it. Over 20 seeds the estimate stays within 4 s.e. of the truth; an error from
    /// per-component variances alone would be ~45 times too small and fail.
    #[test]
    fn squared_distance_error_sees_correlated_noise() {
        let dim = 2_000;
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(11);
        let mut correlated = |mean: f64, n: usize| -> Vec<Vec<f64>> {
            (0..n)
                .map(|_| {
                    let shared: f64 = rng.sample(StandardNormal);
                    (0..dim)
                        .map(|_| mean + shared + 0.01 * rng.sample::<f64, _>(StandardNormal))
                        .collect()
                })
                .collect()
        };
        for _ in 0..20 {
            let (est, se) =
                squared_distance_of_means(&correlated(0.1, 15), &correlated(0.0, 15)).unwrap();
            let truth = 0.01 * dim as f64;
            assert!(
                (est - truth).abs() < 4.0 * se,
                "{est} ± {se} against {truth}"
            );
        }
    }

    /// SNIS with one particle per point is the decoder gradient at that particle (weight 1).
    #[test]
    fn snis_with_one_particle_is_the_joint_gradient_at_it() {
        let shape = ucg_models::vae::VaeShape::new(6, 5, 2).unwrap();
        let model = Vae::<f32>::new(shape, 3);
        let x: Vec<f32> = (0..12).map(|i| (i % 3 == 0) as u8 as f32).collect();
        let g = snis_gradient(&model, &x, 2, 1, 9).unwrap();
        let mut rng = ucg_data::rng::stream(9, 0);
        let noise: Vec<f32> = (0..4)
            .map(|_| rng.sample::<f32, _>(StandardNormal))
            .collect();
        let mut ws = VaeWorkspace::new();
        model.particles(&x, 2, 1, &noise, &mut ws).unwrap();
        let z = ws.z().to_vec();
        let mut direct = vec![0.0f32; model.decoder_params().len()];
        model
            .decoder_gradient(&x, &[0, 1], &z, &[1.0, 1.0], &mut direct, &mut ws)
            .unwrap();
        for (a, b) in g.iter().zip(&direct) {
            assert!((a - f64::from(*b)).abs() <= 1e-6 * (1.0 + a.abs()));
        }
        assert!(snis_gradient(&model, &x, 2, 0, 9).is_err());
        assert!(snis_gradient(&model, &x[..5], 2, 3, 9).is_err());
    }
}
