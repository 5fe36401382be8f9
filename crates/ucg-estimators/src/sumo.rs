//! SUMO (Luo et al., ICLR 2020): an unbiased estimator of `log p(x)` and of its gradient by a
//! Russian-roulette sum of IWAE-bound differences — the other published unbiased estimator, beside the
//! coupled chains of [`crate::run_lagged`].
//!
//! # Algorithm
//! Draw particles `ξ_1, ξ_2, …` i.i.d. from the proposal, with weights `w_i = w(ξ_i)`, and write
//! `IWAE_k = log((1/k) Σ_{i ≤ k} w_i)` for the bound on the first `k` of them. `E[IWAE_k]` increases to
//! `log p(x)` as `k → ∞`, so with `Δ_j = IWAE_{m+j} − IWAE_{m+j−1}` the telescoping series
//! `log p(x) = E[IWAE_m] + Σ_{j ≥ 1} E[Δ_j]` converges. SUMO draws a random number of terms `N ≥ 1` with
//! survival function `s_j = P(N ≥ j)` (every `s_j > 0`) and returns
//!
//! ```text
//! SUMO = IWAE_m + Σ_{j=1}^{N} Δ_j / s_j,       E[SUMO] = log p(x),
//! ```
//!
//! from `m + N` particles. Its gradient is linear in the per-particle gradients,
//! `∇ SUMO = Σ_i c_i ∇ log w_i`, because `∇ IWAE_k = Σ_{i ≤ k} (w_i / S_k) ∇ log w_i` with
//! `S_k = Σ_{i ≤ k} w_i`. Collecting the bounds, `SUMO = Σ_{k=m}^{m+N} b_k IWAE_k` with
//! `b_m = 1 − 1/s_1 = 0`, `b_{m+j} = 1/s_j − 1/s_{j+1}` for `0 < j < N` and `b_{m+N} = 1/s_N`, so
//!
//! ```text
//! c_i = w_i · Σ_{k ≥ max(i, m)} b_k / S_k,
//! ```
//!
//! a suffix sum: `O(m + N)` work ([`sumo_coefficients`]). The coefficients sum to 1 and can be negative.
//!
//! # Cost and variance, and why they cannot both be finite
//! The expected number of particles is `m + E[N] = m + Σ_j s_j`. A difference `Δ_j` is about
//! `(w_{m+j}/p(x) − 1)/(m + j)`, so `E[Δ_j²] ≈ σ²/(m + j)²` with `σ² = Var[w]/p(x)²`, and the terms are
//! nearly uncorrelated: `Var[SUMO] ≈ Σ_j σ² / ((m + j)² s_j)`. With `s_j = j^{−a}` the cost is finite only
//! for `a > 1` and the variance only for `a < 1`. [`RouletteSurvival`] uses the shape of Luo et al.:
//! `s_j = 1/j` (both sums grow like `log j`) up to `j₀`, then a geometric tail `s_j = r^{j − j₀}/j₀`, which
//! makes the cost finite and the variance infinite in principle. Draws that reach far into the tail are
//! rare and carry huge weights `1/s_j`: the estimator is unbiased, but its sampled variance is a lower
//! bound and a median of means is the honest companion.
//!
//! # Example
//! ```
//! use rand::SeedableRng;
//! use ucg_estimators::sumo::{RouletteSurvival, Sumo, sumo_coefficients};
//!
//! let sumo = Sumo::new(3, RouletteSurvival::new(80, 0.9)?)?;
//! // With equal weights every bound is log w, so SUMO is exact; adding a constant to every log w adds it
//! // to the estimate, so the coefficients sum to 1.
//! let log_weights = [0.5; 6];
//! let mut c = [0.0; 6];
//! let estimate = sumo_coefficients(&sumo, &log_weights, &mut c)?;
//! assert!((estimate - 0.5).abs() < 1e-12);
//! assert!((c.iter().sum::<f64>() - 1.0).abs() < 1e-12);
//! let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(1);
//! assert!(sumo.draw_particles(&mut rng) >= 4);
//! # Ok::<(), ucg_estimators::error::EstimatorError>(())
//! ```

use crate::error::{Result, invalid};
use nalgebra::DMatrix;
use rand::Rng;
use rand::distr::Open01;
use rand_distr::{Distribution, Exp1, StandardNormal};
use ucg_couplings::ImportanceTarget;

/// The law of SUMO's number of terms `N ≥ 1`: `P(N ≥ j) = 1/j` up to `j₀`, then `r^{j − j₀}/j₀`.
/// Deserialising checks the values as [`RouletteSurvival::new`] does.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(try_from = "RawSurvival")
)]
pub struct RouletteSurvival {
    harmonic_until: usize,
    tail_ratio: f64,
}

/// [`RouletteSurvival`]'s fields as read, before they are checked.
#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
struct RawSurvival {
    harmonic_until: usize,
    tail_ratio: f64,
}

#[cfg(feature = "serde")]
impl TryFrom<RawSurvival> for RouletteSurvival {
    type Error = crate::error::EstimatorError;
    fn try_from(raw: RawSurvival) -> Result<Self> {
        RouletteSurvival::new(raw.harmonic_until, raw.tail_ratio)
    }
}

impl RouletteSurvival {
    /// The survival `1/j` up to `harmonic_until = j₀`, geometric with ratio `tail_ratio = r` after it.
    ///
    /// # Errors
    /// `j₀ = 0`, or `r` outside `(0, 1)`.
    pub fn new(harmonic_until: usize, tail_ratio: f64) -> Result<Self> {
        if harmonic_until == 0 {
            return Err(invalid("j0", "the harmonic part needs j0 ≥ 1"));
        }
        if !(tail_ratio > 0.0 && tail_ratio < 1.0) {
            return Err(invalid(
                "r",
                format!("the geometric tail needs 0 < r < 1, got {tail_ratio}"),
            ));
        }
        Ok(RouletteSurvival {
            harmonic_until,
            tail_ratio,
        })
    }

    /// `j₀`, the last term of the harmonic part.
    pub fn harmonic_until(&self) -> usize {
        self.harmonic_until
    }

    /// `r`, the geometric tail's ratio.
    pub fn tail_ratio(&self) -> f64 {
        self.tail_ratio
    }

    /// `s_j = P(N ≥ j)` (1 for `j ≤ 1`).
    pub fn survival(&self, j: usize) -> f64 {
        let j0 = self.harmonic_until;
        if j <= 1 {
            1.0
        } else if j <= j0 {
            1.0 / j as f64
        } else {
            self.tail_ratio.powi((j - j0).min(i32::MAX as usize) as i32) / j0 as f64
        }
    }

    /// `E[N] = Σ_{j ≥ 1} s_j = H_{j₀} + r / ((1 − r) j₀)`.
    pub fn expected_terms(&self) -> f64 {
        let harmonic: f64 = (1..=self.harmonic_until).map(|j| 1.0 / j as f64).sum();
        let r = self.tail_ratio;
        harmonic + r / ((1.0 - r) * self.harmonic_until as f64)
    }

    /// Draws `N`: with `U` uniform on `(0, 1)`, `N = max{j ≤ j₀ : U < 1/j}` when `U ≥ 1/j₀` (inversion of
    /// the harmonic part); otherwise (probability `s_{j₀} = 1/j₀`) the tail, `N = j₀ + ⌊E / (−ln r)⌋` with
    /// `E` exponential, since `P(N ≥ j₀ + i | N ≥ j₀) = P(E ≥ −i ln r) = rⁱ`. Drawing the tail from its own
    /// exponential, not by inverting `U`, leaves it unbounded: a uniform in double precision never falls
    /// below 2⁻⁵³, which would cap `N` (at 387 for `j₀ = 80`, `r = 0.9`) and bias the estimate.
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> usize {
        let u: f64 = Open01.sample(rng);
        let j0 = self.harmonic_until;
        if u >= 1.0 / j0 as f64 {
            // U < 1/j ⟺ j < 1/U: the largest such j (at least 1, since U < 1).
            ((1.0 / u).ceil() as usize).saturating_sub(1).clamp(1, j0)
        } else {
            let e: f64 = Exp1.sample(rng);
            let steps = (e / -self.tail_ratio.ln()).floor();
            // Saturates only for draws of probability below r^(2⁶⁴).
            j0.saturating_add(steps as usize)
        }
    }
}

/// SUMO's settings: the first bound `IWAE_m` and the law of the number of correction terms.
/// Deserialising checks the values as [`Sumo::new`] does.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(try_from = "RawSumo")
)]
pub struct Sumo {
    first: usize,
    survival: RouletteSurvival,
}

/// [`Sumo`]'s fields as read, before they are checked.
#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
struct RawSumo {
    first: usize,
    survival: RouletteSurvival,
}

#[cfg(feature = "serde")]
impl TryFrom<RawSumo> for Sumo {
    type Error = crate::error::EstimatorError;
    fn try_from(raw: RawSumo) -> Result<Self> {
        Sumo::new(raw.first, raw.survival)
    }
}

impl Sumo {
    /// SUMO starting from `IWAE_m` (`m = first ≥ 1` particles before the first correction term).
    ///
    /// # Errors
    /// `m = 0`.
    pub fn new(first: usize, survival: RouletteSurvival) -> Result<Self> {
        if first == 0 {
            return Err(invalid("m", "SUMO starts from IWAE_m with m ≥ 1"));
        }
        Ok(Sumo { first, survival })
    }

    /// `m`.
    pub fn first(&self) -> usize {
        self.first
    }

    /// The law of `N`.
    pub fn survival(&self) -> &RouletteSurvival {
        &self.survival
    }

    /// The number of particles of one draw, `m + N`.
    pub fn draw_particles<R: Rng + ?Sized>(&self, rng: &mut R) -> usize {
        self.first + self.survival.sample(rng)
    }

    /// The expected number of particles of a draw, `m + E[N]`.
    pub fn expected_particles(&self) -> f64 {
        self.first as f64 + self.survival.expected_terms()
    }
}

/// SUMO's estimate of `log p(x)` from the log-weights of `m + N` particles (in their order of drawing,
/// `N = log_weights.len() − m ≥ 1`), with the gradient's per-particle coefficients `c_i` written to `out`
/// (see the [module documentation](self)).
///
/// # Errors
/// Fewer than `m + 1` log-weights, `out` of another length, a log-weight that is NaN or `+∞`, or
/// first particles all of zero weight (an infinite bound).
pub fn sumo_coefficients(sumo: &Sumo, log_weights: &[f64], out: &mut [f64]) -> Result<f64> {
    let (m, len) = (sumo.first, log_weights.len());
    if len <= m {
        return Err(invalid(
            "log_weights",
            format!(
                "SUMO from IWAE_{m} needs at least {} particles, got {len}",
                m + 1
            ),
        ));
    }
    if out.len() != len {
        return Err(invalid(
            "out",
            format!("{len} log-weights but {} coefficients", out.len()),
        ));
    }
    if log_weights
        .iter()
        .any(|l| l.is_nan() || *l == f64::INFINITY)
    {
        return Err(invalid("log_weights", "a log-weight is NaN or +∞"));
    }
    if log_weights.iter().all(|&l| l == f64::NEG_INFINITY) {
        return Err(invalid("log_weights", "every weight is zero"));
    }
    let n = len - m;
    // log S_k, the prefix sums of the weights, by a running log-sum-exp (no weight is taken relative to
    // a later, larger one, so early small weights cannot underflow to an empty prefix).
    let mut log_prefix = Vec::with_capacity(len);
    let mut acc = f64::NEG_INFINITY;
    for &l in log_weights {
        acc = log_add(acc, l);
        log_prefix.push(acc);
    }
    let bound = |k: usize| log_prefix[k - 1] - (k as f64).ln();
    let inverse_survival = |j: usize| 1.0 / sumo.survival.survival(j);
    // b_k for k = m..=m+N, the coefficient of IWAE_k in the estimate.
    let b = |k: usize| {
        let j = k - m;
        if j == n {
            inverse_survival(n)
        } else if j == 0 {
            1.0 - inverse_survival(1)
        } else {
            inverse_survival(j) - inverse_survival(j + 1)
        }
    };
    // c_i = (w_i / S_i) T_i with T_i = Σ_{k ≥ max(i, m)} b_k S_i / S_k, by the recursion
    // T_i = [i ≥ m] b_i + (S_i / S_{i+1}) T_{i+1}, whose factors S_i / S_{i+1} ≤ 1 cannot overflow.
    let mut estimate = 0.0;
    let mut t = 0.0;
    for k in (1..=len).rev() {
        if k < len {
            t *= (log_prefix[k - 1] - log_prefix[k]).exp();
        }
        if k >= m {
            let bk = b(k);
            if bk != 0.0 {
                estimate += bk * bound(k);
                t += bk;
            }
        }
        out[k - 1] = (log_weights[k - 1] - log_prefix[k - 1]).exp() * t;
    }
    if !estimate.is_finite() || out.iter().any(|c| !c.is_finite()) {
        return Err(invalid(
            "log_weights",
            "the first bounds have zero weight (log-weights of −∞): SUMO is not finite",
        ));
    }
    Ok(estimate)
}

/// `log(eᵃ + eᵇ)`, exact when either is `−∞`.
fn log_add(a: f64, b: f64) -> f64 {
    let (hi, lo) = if a >= b { (a, b) } else { (b, a) };
    if lo == f64::NEG_INFINITY {
        hi
    } else {
        hi + (lo - hi).exp().ln_1p()
    }
}

/// One SUMO draw on an importance target: its particles, log-weights, gradient coefficients and estimate.
#[derive(Clone, Debug)]
pub struct SumoSet {
    /// The particles `ξ_i ~ N(0, I)`, one per column (`noise_dim × (m + N)`).
    pub noise: DMatrix<f64>,
    /// `log w(ξ_i)`.
    pub log_weights: Vec<f64>,
    /// The gradient's coefficients `c_i`.
    pub coefficients: Vec<f64>,
    /// SUMO's estimate of `log Z` (of `log p(x)` for a latent-variable model's target).
    pub estimate: f64,
}

/// Draws `N`, then `m + N` particles from the target's noise law, and returns SUMO's estimate and
/// coefficients.
///
/// # Errors
/// Invalid log-weights.
pub fn sumo_set<T, R>(target: &T, sumo: &Sumo, rng: &mut R) -> Result<SumoSet>
where
    T: ImportanceTarget + ?Sized,
    R: Rng + ?Sized,
{
    let particles = sumo.draw_particles(rng);
    let noise = DMatrix::from_fn(target.noise_dim(), particles, |_, _| {
        StandardNormal.sample(rng)
    });
    let mut log_weights = vec![0.0; particles];
    target.log_weights(&noise, &mut log_weights)?;
    let mut coefficients = vec![0.0; particles];
    let estimate = sumo_coefficients(sumo, &log_weights, &mut coefficients)?;
    Ok(SumoSet {
        noise,
        log_weights,
        coefficients,
        estimate,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};
    use rand_xoshiro::Xoshiro256PlusPlus;

    /// SUMO written term by term from its definition, for comparison.
    fn by_definition(sumo: &Sumo, lw: &[f64]) -> (f64, Vec<f64>) {
        let m = sumo.first();
        let iwae = |k: usize| {
            let s: f64 = lw[..k].iter().map(|l| l.exp()).sum();
            (s / k as f64).ln()
        };
        let grad = |k: usize| -> Vec<f64> {
            let s: f64 = lw[..k].iter().map(|l| l.exp()).sum();
            (0..lw.len())
                .map(|i| if i < k { lw[i].exp() / s } else { 0.0 })
                .collect()
        };
        let mut est = iwae(m);
        let mut c = grad(m);
        for j in 1..=(lw.len() - m) {
            let s = sumo.survival().survival(j);
            est += (iwae(m + j) - iwae(m + j - 1)) / s;
            let (g1, g0) = (grad(m + j), grad(m + j - 1));
            for i in 0..lw.len() {
                c[i] += (g1[i] - g0[i]) / s;
            }
        }
        (est, c)
    }

    #[test]
    fn coefficients_and_estimate_match_the_definition() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
        for (m, j0, r) in [(1, 3, 0.5), (4, 2, 0.8), (2, 80, 0.9)] {
            let sumo = Sumo::new(m, RouletteSurvival::new(j0, r).unwrap()).unwrap();
            for n in [1, 2, 5, 9] {
                let lw: Vec<f64> = (0..m + n)
                    .map(|_| rng.random::<f64>() * 4.0 - 2.0)
                    .collect();
                let mut c = vec![0.0; m + n];
                let est = sumo_coefficients(&sumo, &lw, &mut c).unwrap();
                let (e0, c0) = by_definition(&sumo, &lw);
                assert!((est - e0).abs() < 1e-10, "m {m} n {n}: {est} vs {e0}");
                for (a, b) in c.iter().zip(&c0) {
                    assert!((a - b).abs() < 1e-10, "m {m} n {n}: {a} vs {b}");
                }
                assert!((c.iter().sum::<f64>() - 1.0).abs() < 1e-10);
            }
        }
    }

    /// Shifting every log-weight by a constant shifts the estimate by it and leaves the coefficients
    /// (to the rounding of log-weights near 900, about 10⁻¹³ relative); weights far below a later maximum
    /// keep their share instead of underflowing.
    #[test]
    fn large_and_widely_spread_log_weights_stay_finite() {
        let sumo = Sumo::new(2, RouletteSurvival::new(3, 0.5).unwrap()).unwrap();
        let lw = [900.0, 901.0, 899.5, 900.2];
        let shifted: Vec<f64> = lw.iter().map(|l| l - 900.0).collect();
        let (mut c, mut c0) = ([0.0; 4], [0.0; 4]);
        let est = sumo_coefficients(&sumo, &lw, &mut c).unwrap();
        let est0 = sumo_coefficients(&sumo, &shifted, &mut c0).unwrap();
        assert!((est - 900.0 - est0).abs() < 1e-9);
        for (a, b) in c.iter().zip(&c0) {
            assert!((a - b).abs() < 1e-11, "{a} vs {b}");
        }
        // The first three particles 2,000 nats below the last: IWAE_2 and IWAE_3 are about −2,000, and
        // the last particle carries the whole correction.
        let spread = [-2000.0, -2000.5, -2001.0, 0.0];
        let mut c = [0.0; 4];
        let est = sumo_coefficients(&sumo, &spread, &mut c).unwrap();
        assert!(est.is_finite() && c.iter().all(|v| v.is_finite()));
        let (e0, c0) = by_definition_in_logs(&sumo, &spread);
        assert!((est - e0).abs() < 1e-9 * e0.abs(), "{est} vs {e0}");
        for (a, b) in c.iter().zip(&c0) {
            assert!((a - b).abs() < 1e-12, "{a} vs {b}");
        }
        let mut c = [0.0; 4];
        assert!(
            sumo_coefficients(
                &sumo,
                &[f64::NEG_INFINITY, f64::NEG_INFINITY, 0.0, 0.0],
                &mut c
            )
            .is_err()
        );
    }

    /// [`by_definition`] with the bounds' sums taken relative to each prefix's own maximum.
    fn by_definition_in_logs(sumo: &Sumo, lw: &[f64]) -> (f64, Vec<f64>) {
        let m = sumo.first();
        let log_sum = |k: usize| {
            let top = lw[..k].iter().copied().fold(f64::NEG_INFINITY, f64::max);
            top + lw[..k].iter().map(|l| (l - top).exp()).sum::<f64>().ln()
        };
        let iwae = |k: usize| log_sum(k) - (k as f64).ln();
        let grad = |k: usize| -> Vec<f64> {
            let ls = log_sum(k);
            (0..lw.len())
                .map(|i| if i < k { (lw[i] - ls).exp() } else { 0.0 })
                .collect()
        };
        let mut est = iwae(m);
        let mut c = grad(m);
        for j in 1..=(lw.len() - m) {
            let s = sumo.survival().survival(j);
            est += (iwae(m + j) - iwae(m + j - 1)) / s;
            let (g1, g0) = (grad(m + j), grad(m + j - 1));
            for i in 0..lw.len() {
                c[i] += (g1[i] - g0[i]) / s;
            }
        }
        (est, c)
    }

    /// Averaged over the law of `N` (with `N > J` read as `N = J`), SUMO's estimate and coefficients are
    /// exactly `IWAE_{m+J}` and its gradient's weights, for any fixed weights:
    /// `Σ_{n ≤ J} (s_n − s_{n+1}) SUMO_n + s_{J+1} SUMO_J = IWAE_{m+J}`. With `J` past `j₀` this checks
    /// the coefficients against the survival function they divide by, in both of its parts, exactly (the
    /// survival's values themselves are checked against the sampler below).
    #[test]
    fn the_roulette_averages_to_the_last_bound() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(21);
        for (m, j0, r, big_j) in [(3, 4, 0.7, 9), (1, 2, 0.5, 6), (10, 80, 0.9, 90)] {
            let sumo = Sumo::new(m, RouletteSurvival::new(j0, r).unwrap()).unwrap();
            let s = |j: usize| sumo.survival().survival(j);
            let lw: Vec<f64> = (0..m + big_j)
                .map(|_| rng.random::<f64>() * 6.0 - 3.0)
                .collect();
            let mut average = 0.0;
            let mut average_c = vec![0.0; m + big_j];
            for n in 1..=big_j {
                let mut c = vec![0.0; m + n];
                let e = sumo_coefficients(&sumo, &lw[..m + n], &mut c).unwrap();
                let p = if n == big_j { s(n) } else { s(n) - s(n + 1) };
                average += p * e;
                for (a, ci) in average_c.iter_mut().zip(&c) {
                    *a += p * ci;
                }
            }
            let total: f64 = lw.iter().map(|l| l.exp()).sum();
            let last = (total / (m + big_j) as f64).ln();
            assert!((average - last).abs() < 1e-10, "m {m}: {average} vs {last}");
            for (a, l) in average_c.iter().zip(&lw) {
                assert!((a - l.exp() / total).abs() < 1e-10, "m {m}: {a}");
            }
        }
    }

    #[cfg(feature = "serde")]
    #[test]
    fn invalid_settings_cannot_be_read() {
        let ok: Sumo = serde_json::from_str(
            r#"{"first": 3, "survival": {"harmonic_until": 80, "tail_ratio": 0.9}}"#,
        )
        .unwrap();
        assert_eq!(
            ok.expected_particles(),
            3.0 + ok.survival().expected_terms()
        );
        for bad in [
            r#"{"first": 0, "survival": {"harmonic_until": 80, "tail_ratio": 0.9}}"#,
            r#"{"first": 3, "survival": {"harmonic_until": 0, "tail_ratio": 0.9}}"#,
            r#"{"first": 3, "survival": {"harmonic_until": 80, "tail_ratio": 1.0}}"#,
        ] {
            assert!(serde_json::from_str::<Sumo>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn bad_inputs_are_refused() {
        assert!(RouletteSurvival::new(0, 0.5).is_err());
        assert!(RouletteSurvival::new(3, 1.0).is_err());
        assert!(RouletteSurvival::new(3, 0.0).is_err());
        assert!(RouletteSurvival::new(3, f64::NAN).is_err());
        let s = RouletteSurvival::new(3, 0.5).unwrap();
        assert!(Sumo::new(0, s).is_err());
        let sumo = Sumo::new(2, s).unwrap();
        let mut c = [0.0; 2];
        assert!(sumo_coefficients(&sumo, &[0.0, 0.0], &mut c).is_err());
        let mut c = [0.0; 3];
        assert!(sumo_coefficients(&sumo, &[0.0, f64::NAN, 0.0], &mut c).is_err());
        assert!(sumo_coefficients(&sumo, &[f64::NEG_INFINITY; 3], &mut c).is_err());
        assert!(sumo_coefficients(&sumo, &[0.0; 3], &mut [0.0; 2]).is_err());
    }

    /// The sampler's law against the survival function, and the expected number of terms against its
    /// closed form.
    #[test]
    fn sampled_terms_follow_the_survival_function() {
        let s = RouletteSurvival::new(4, 0.6).unwrap();
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(9);
        let n = 400_000;
        let draws: Vec<usize> = (0..n).map(|_| s.sample(&mut rng)).collect();
        assert!(draws.iter().all(|&d| d >= 1));
        for j in 1..12 {
            let p = s.survival(j);
            let freq = draws.iter().filter(|&&d| d >= j).count() as f64 / n as f64;
            let se = (p * (1.0 - p) / n as f64).sqrt().max(1e-9);
            assert!((freq - p).abs() < 5.0 * se + 1e-12, "j {j}: {freq} vs {p}");
        }
        let mean = draws.iter().sum::<usize>() as f64 / n as f64;
        let direct: f64 = (1..500).map(|j| s.survival(j)).sum();
        assert!((s.expected_terms() - direct).abs() < 1e-9);
        let var: f64 = draws
            .iter()
            .map(|&d| (d as f64 - mean).powi(2))
            .sum::<f64>()
            / n as f64;
        assert!((mean - direct).abs() < 5.0 * (var / n as f64).sqrt());
    }
}
