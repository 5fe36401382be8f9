//! Sampling from a categorical distribution, and the maximal coupling of two categoricals
//! (Lindvall 1992, docs/method.md §4).
//!
//! With `p`, `q` probability vectors and overlap `1 − γ = Σ_k min(p_k, q_k)`:
//! with probability `1 − γ` draw `i ∝ min(p, q)` and return `(i, i)`; otherwise draw `i ∝ (p − q)₊` and
//! `j ∝ (q − p)₊` independently. Each marginal is exact and `P(I = J) = 1 − γ = 1 − TV(p, q)`, the largest
//! value any coupling can reach.

use crate::error::{CouplingError, Result};
use crate::weights::normalize_log_weights;
use rand::{Rng, RngExt};

/// Draws an index `i` with probability proportional to `weights[i]` by inversion.
///
/// The weights need not be normalised. Zero weights are never drawn; rounding at the top of the
/// cumulative sum falls back to the last index of positive weight.
///
/// # Errors
/// [`CouplingError::InvalidWeights`] when `weights` is empty or its sum is not finite and positive (every
/// weight zero, a NaN, an infinity). Individual negative weights are not searched for on this hot path:
/// check user-supplied weights with [`validate_weights`].
///
/// # Example
/// ```
/// use rand::SeedableRng;
/// use ucg_couplings::maximal::categorical::sample_categorical;
/// let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(1);
/// assert_eq!(sample_categorical(&[0.0, 2.0, 0.0], &mut rng)?, 1);
/// assert!(sample_categorical(&[], &mut rng).is_err());
/// assert!(sample_categorical(&[0.0, 0.0], &mut rng).is_err());
/// # Ok::<(), ucg_couplings::CouplingError>(())
/// ```
pub fn sample_categorical<R: Rng + ?Sized>(weights: &[f64], rng: &mut R) -> Result<usize> {
    let total = checked_total(weights, "weights")?;
    let u = rng.random::<f64>() * total;
    Ok(inverse_cdf(weights, u))
}

/// `Σ_k w_k`, refused when the vector is empty or the sum is not finite and positive.
fn checked_total(weights: &[f64], what: &str) -> Result<f64> {
    if weights.is_empty() {
        return Err(CouplingError::InvalidWeights(format!("{what}: empty")));
    }
    let total: f64 = weights.iter().sum();
    if !(total.is_finite() && total > 0.0) {
        return Err(CouplingError::InvalidWeights(format!(
            "{what}: the sum {total} is not finite and positive"
        )));
    }
    Ok(total)
}

/// The index `i` with `Σ_{k<i} w_k ≤ u < Σ_{k≤i} w_k`; rounding at the top end falls back to the last
/// index of positive weight.
fn inverse_cdf(weights: &[f64], u: f64) -> usize {
    let mut acc = 0.0;
    let mut last_positive = 0;
    for (i, &w) in weights.iter().enumerate() {
        if w > 0.0 {
            acc += w;
            last_positive = i;
            if u < acc {
                return i;
            }
        }
    }
    last_positive
}

/// Checks that `weights` is a usable unnormalised probability vector: non-empty, finite, non-negative,
/// with a positive sum.
///
/// # Errors
/// [`CouplingError::InvalidWeights`] otherwise.
pub fn validate_weights(weights: &[f64]) -> Result<()> {
    if weights.is_empty() {
        return Err(CouplingError::InvalidWeights("empty weight vector".into()));
    }
    if let Some(w) = weights.iter().find(|w| !w.is_finite() || **w < 0.0) {
        return Err(CouplingError::InvalidWeights(format!(
            "weight {w} is negative or not finite"
        )));
    }
    if weights.iter().sum::<f64>() <= 0.0 {
        return Err(CouplingError::InvalidWeights("weights sum to zero".into()));
    }
    Ok(())
}

/// Total-variation distance `½ Σ_k |p_k − q_k|` between two probability vectors of equal length.
pub fn total_variation(p: &[f64], q: &[f64]) -> f64 {
    0.5 * p.iter().zip(q).map(|(a, b)| (a - b).abs()).sum::<f64>()
}

/// Draws `(I, J)` from the maximal coupling of two probability vectors `p` and `q` of equal length (each
/// normalised; unnormalised vectors are treated as `p/Σp` and `q/Σq` only when their sums agree).
///
/// Identical inputs always return `I = J`, which is what keeps coupled chains together once they have met.
///
/// # Errors
/// - [`CouplingError::DimensionMismatch`] when `p.len() != q.len()`;
/// - [`CouplingError::InvalidWeights`] when either vector is empty or sums to zero, NaN or infinity.
///
/// # Example
/// ```
/// use rand::SeedableRng;
/// use ucg_couplings::maximal::categorical::maximal_coupling;
/// let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(1);
/// let (i, j) = maximal_coupling(&[0.5, 0.5, 0.0], &[0.0, 0.5, 0.5], &mut rng)?;
/// assert!(i < 2 && j > 0);
/// assert!(maximal_coupling(&[1.0], &[0.5, 0.5], &mut rng).is_err());
/// # Ok::<(), ucg_couplings::CouplingError>(())
/// ```
pub fn maximal_coupling<R: Rng + ?Sized>(
    p: &[f64],
    q: &[f64],
    rng: &mut R,
) -> Result<(usize, usize)> {
    if p.len() != q.len() {
        return Err(CouplingError::DimensionMismatch {
            what: "the two weight vectors of a maximal coupling",
            expected: p.len(),
            found: q.len(),
        });
    }
    if p == q {
        let i = sample_categorical(p, rng)?;
        return Ok((i, i));
    }
    let total_p = checked_total(p, "p")?;
    let total_q = checked_total(q, "q")?;
    let overlap: f64 = p.iter().zip(q).map(|(a, b)| a.min(*b)).sum();
    // The masses are compared against p's own total so that rounding in Σp cannot bias the branch choice.
    let u = rng.random::<f64>() * total_p;
    if u < overlap {
        let i = inverse_cdf_by(p.len(), |k| p[k].min(q[k]), u);
        return Ok((i, i));
    }
    let residual_p = total_p - overlap;
    let residual_q = total_q - overlap;
    if residual_p <= 0.0 || residual_q <= 0.0 {
        // Only reachable through rounding when p and q differ by a few ulps: fall back to the common part.
        let i = sample_categorical(p, rng)?;
        return Ok((i, i));
    }
    let i = inverse_cdf_by(p.len(), |k| (p[k] - q[k]).max(0.0), u - overlap);
    let v = rng.random::<f64>() * residual_q;
    let j = inverse_cdf_by(q.len(), |k| (q[k] - p[k]).max(0.0), v);
    Ok((i, j))
}

fn inverse_cdf_by(n: usize, w: impl Fn(usize) -> f64, u: f64) -> usize {
    let mut acc = 0.0;
    let mut last_positive = 0;
    for i in 0..n {
        let wi = w(i);
        if wi > 0.0 {
            acc += wi;
            last_positive = i;
            if u < acc {
                return i;
            }
        }
    }
    last_positive
}

/// [`maximal_coupling`] for two vectors of log-weights (unnormalised, computed stably).
///
/// # Errors
/// [`CouplingError::DimensionMismatch`] for vectors of different lengths, and the errors of
/// [`normalize_log_weights`] for NaN, `+∞` or all `−∞` entries.
pub fn maximal_coupling_log<R: Rng + ?Sized>(
    log_p: &[f64],
    log_q: &[f64],
    rng: &mut R,
) -> Result<(usize, usize)> {
    if log_p.len() != log_q.len() {
        return Err(CouplingError::DimensionMismatch {
            what: "log-weight vectors",
            expected: log_p.len(),
            found: log_q.len(),
        });
    }
    let mut p = vec![0.0; log_p.len()];
    let mut q = vec![0.0; log_q.len()];
    normalize_log_weights(log_p, &mut p)?;
    normalize_log_weights(log_q, &mut q)?;
    maximal_coupling(&p, &q, rng)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rand::SeedableRng;
    use rand_xoshiro::Xoshiro256PlusPlus;

    fn normalise(v: &[f64]) -> Vec<f64> {
        let s: f64 = v.iter().sum();
        v.iter().map(|x| x / s).collect()
    }

    /// Joint frequencies of `n` coupled draws: returns (P(I=J), marginal of I, marginal of J).
    fn simulate(p: &[f64], q: &[f64], n: usize, seed: u64) -> (f64, Vec<f64>, Vec<f64>) {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let (mut eq, mut fi, mut fj) = (0usize, vec![0.0; p.len()], vec![0.0; q.len()]);
        for _ in 0..n {
            let (i, j) = maximal_coupling(p, q, &mut rng).unwrap();
            eq += usize::from(i == j);
            fi[i] += 1.0 / n as f64;
            fj[j] += 1.0 / n as f64;
        }
        (eq as f64 / n as f64, fi, fj)
    }

    fn assert_binomial(freq: f64, prob: f64, n: usize, what: &str) {
        let se = (prob * (1.0 - prob) / n as f64).sqrt().max(1e-12);
        let z = (freq - prob) / se;
        assert!(z.abs() < 4.5, "{what}: freq {freq} vs {prob}, z = {z}");
    }

    #[test]
    fn meeting_probability_is_one_minus_tv_and_marginals_are_exact() {
        let p = normalise(&[1.0, 2.0, 3.0, 4.0]);
        let q = normalise(&[4.0, 3.0, 0.5, 0.5]);
        let n = 200_000;
        let (eq, fi, fj) = simulate(&p, &q, n, 7);
        assert_binomial(eq, 1.0 - total_variation(&p, &q), n, "P(I = J)");
        for k in 0..4 {
            assert_binomial(fi[k], p[k], n, "marginal of I");
            assert_binomial(fj[k], q[k], n, "marginal of J");
        }
    }

    #[test]
    fn identical_inputs_always_agree() {
        let p = normalise(&[0.3, 0.0, 0.7]);
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
        for _ in 0..1000 {
            let (i, j) = maximal_coupling(&p, &p, &mut rng).unwrap();
            assert_eq!(i, j);
            assert_ne!(i, 1);
        }
    }

    #[test]
    fn degenerate_inputs_are_typed_errors() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
        assert!(matches!(
            maximal_coupling(&[0.5, 0.5], &[1.0], &mut rng),
            Err(CouplingError::DimensionMismatch { .. })
        ));
        for bad in [
            &[][..],
            &[0.0, 0.0][..],
            &[f64::NAN, 1.0][..],
            &[f64::INFINITY, 1.0][..],
        ] {
            assert!(
                matches!(
                    sample_categorical(bad, &mut rng),
                    Err(CouplingError::InvalidWeights(_))
                ),
                "{bad:?}"
            );
            let ok = vec![1.0 / bad.len().max(1) as f64; bad.len()];
            assert!(
                maximal_coupling(bad, &ok, &mut rng).is_err(),
                "{bad:?} as p"
            );
            assert!(
                maximal_coupling(&ok, bad, &mut rng).is_err(),
                "{bad:?} as q"
            );
            assert!(
                maximal_coupling(bad, bad, &mut rng).is_err(),
                "{bad:?} twice"
            );
        }
    }

    #[test]
    fn log_weights_couple_exactly_like_their_normalised_weights() {
        // Weights that normalise exactly, so that both paths see the same probabilities bit for bit.
        let log_p = [0.0, 0.0, f64::NEG_INFINITY, 0.0];
        let log_q = [f64::NEG_INFINITY, 0.0, 0.0, 0.0];
        let (p, q) = (
            [1.0 / 3.0, 1.0 / 3.0, 0.0, 1.0 / 3.0],
            [0.0, 1.0 / 3.0, 1.0 / 3.0, 1.0 / 3.0],
        );
        let mut same = 0;
        for seed in 0..300 {
            let from_log =
                maximal_coupling_log(&log_p, &log_q, &mut Xoshiro256PlusPlus::seed_from_u64(seed))
                    .unwrap();
            let direct =
                maximal_coupling(&p, &q, &mut Xoshiro256PlusPlus::seed_from_u64(seed)).unwrap();
            assert_eq!(from_log, direct, "seed {seed}");
            same += usize::from(from_log.0 == from_log.1);
        }
        // Meeting probability Σ min(p, q) = 2/3: 200 expected of 300, s.d. 8.2.
        assert!((160..=240).contains(&same), "{same}");
    }

    #[test]
    fn rounding_at_the_top_end_falls_back_to_the_last_positive_weight() {
        // u at the total (reachable only by rounding): never a zero-weight index.
        assert_eq!(inverse_cdf(&[1.0, 0.0], 1.0), 0);
        assert_eq!(inverse_cdf(&[0.0, 2.0, 0.0, 0.0], 2.0), 1);
        assert_eq!(inverse_cdf(&[1.0, 0.0], 0.5), 0);
    }

    #[test]
    fn log_version_rejects_bad_input() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
        assert!(maximal_coupling_log(&[0.0], &[0.0, 1.0], &mut rng).is_err());
        assert!(maximal_coupling_log(&[f64::NAN, 0.0], &[0.0, 1.0], &mut rng).is_err());
        assert!(validate_weights(&[0.0, 0.0]).is_err());
        assert!(validate_weights(&[-1.0, 2.0]).is_err());
        assert!(validate_weights(&[]).is_err());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        #[test]
        fn random_weight_vectors_meet_with_probability_one_minus_tv(
            raw in proptest::collection::vec((0.0f64..1.0, 0.0f64..1.0), 2..8),
            seed in any::<u64>(),
        ) {
            let p = normalise(&raw.iter().map(|r| r.0 + 1e-3).collect::<Vec<_>>());
            let q = normalise(&raw.iter().map(|r| r.1 + 1e-3).collect::<Vec<_>>());
            let n = 20_000;
            let (eq, fi, fj) = simulate(&p, &q, n, seed);
            // Bonferroni over 1 + 2K checks per case and 24 cases keeps false alarms negligible at |z| < 5.
            let z = |f: f64, pr: f64| (f - pr) / (pr * (1.0 - pr) / n as f64).sqrt().max(1e-12);
            prop_assert!(z(eq, 1.0 - total_variation(&p, &q)).abs() < 5.0);
            for k in 0..p.len() {
                prop_assert!(z(fi[k], p[k]).abs() < 5.0);
                prop_assert!(z(fj[k], q[k]).abs() < 5.0);
            }
        }
    }
}
