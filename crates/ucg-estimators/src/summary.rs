//! Summaries of replicated estimates: means, standard errors, z-scores against exact values, quantiles.

use crate::error::{EstimatorError, Result, invalid};
#[cfg(feature = "serde")]
use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, Normal};

/// Componentwise running mean and variance (Welford's algorithm) of vector-valued replicates.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct Moments {
    n: u64,
    mean: Vec<f64>,
    m2: Vec<f64>,
}

impl Moments {
    /// Empty moments of dimension `dim`.
    pub fn new(dim: usize) -> Self {
        Moments {
            n: 0,
            mean: vec![0.0; dim],
            m2: vec![0.0; dim],
        }
    }
    /// Number of replicates added.
    pub fn count(&self) -> u64 {
        self.n
    }
    /// Dimension.
    pub fn dim(&self) -> usize {
        self.mean.len()
    }
    /// Adds one replicate.
    ///
    /// # Errors
    /// A replicate of the wrong dimension.
    pub fn push(&mut self, x: &[f64]) -> Result<()> {
        if x.len() != self.mean.len() {
            return Err(invalid(
                "replicate",
                format!("dimension {} instead of {}", x.len(), self.mean.len()),
            ));
        }
        self.n += 1;
        let n = self.n as f64;
        for ((m, s), &v) in self.mean.iter_mut().zip(&mut self.m2).zip(x) {
            let d = v - *m;
            *m += d / n;
            *s += d * (v - *m);
        }
        Ok(())
    }
    /// Merges another set of moments (Chan et al.'s parallel update), e.g. from another shard.
    ///
    /// # Errors
    /// Different dimensions.
    pub fn merge(&mut self, other: &Moments) -> Result<()> {
        if other.dim() != self.dim() {
            return Err(invalid("moments", "merging different dimensions"));
        }
        if other.n == 0 {
            return Ok(());
        }
        let (na, nb) = (self.n as f64, other.n as f64);
        let n = na + nb;
        for i in 0..self.dim() {
            let d = other.mean[i] - self.mean[i];
            self.mean[i] += d * nb / n;
            self.m2[i] += other.m2[i] + d * d * na * nb / n;
        }
        self.n += other.n;
        Ok(())
    }
    /// Componentwise means.
    pub fn mean(&self) -> &[f64] {
        &self.mean
    }
    /// Componentwise sample variances (denominator `n − 1`).
    pub fn variance(&self) -> Vec<f64> {
        let d = (self.n.max(2) - 1) as f64;
        self.m2.iter().map(|s| s / d).collect()
    }
    /// Componentwise standard errors of the means, `√(var / n)`.
    pub fn standard_error(&self) -> Vec<f64> {
        let n = self.n.max(1) as f64;
        self.variance().iter().map(|v| (v / n).sqrt()).collect()
    }
    /// Componentwise z-scores `(mean − exact) / se` of the means against exact values.
    ///
    /// # Errors
    /// Fewer than two replicates, or `exact` of the wrong dimension.
    pub fn z_scores(&self, exact: &[f64]) -> Result<Vec<f64>> {
        if self.n < 2 {
            return Err(EstimatorError::TooFew {
                what: "z-scores",
                need: 2,
                got: self.n as usize,
            });
        }
        if exact.len() != self.dim() {
            return Err(invalid("exact", "dimension differs from the replicates'"));
        }
        Ok(self
            .mean
            .iter()
            .zip(self.standard_error())
            .zip(exact)
            .map(|((m, se), e)| (m - e) / se)
            .collect())
    }
}

/// The two-sided normal critical value for a family-wise level `alpha` over `m` comparisons
/// (Bonferroni): `Φ⁻¹(1 − α / (2m))`.
///
/// # Errors
/// `alpha ∉ (0, 1)` or `m = 0`.
pub fn bonferroni_z(alpha: f64, m: usize) -> Result<f64> {
    if !(alpha > 0.0 && alpha < 1.0) {
        return Err(invalid("alpha", format!("must lie in (0, 1), got {alpha}")));
    }
    if m == 0 {
        return Err(invalid("m", "need at least one comparison"));
    }
    let normal = Normal::new(0.0, 1.0).expect("standard normal");
    Ok(normal.inverse_cdf(1.0 - alpha / (2.0 * m as f64)))
}

/// Quantile `q ∈ [0, 1]` of `values` by linear interpolation between order statistics (type 7).
///
/// # Errors
/// No values, a NaN value, or `q ∉ [0, 1]`.
pub fn quantile(values: &[f64], q: f64) -> Result<f64> {
    if values.is_empty() {
        return Err(EstimatorError::TooFew {
            what: "a quantile",
            need: 1,
            got: 0,
        });
    }
    if !(0.0..=1.0).contains(&q) {
        return Err(invalid("q", format!("must lie in [0, 1], got {q}")));
    }
    if values.iter().any(|v| v.is_nan()) {
        return Err(invalid("values", "contain NaN"));
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let h = q * (v.len() - 1) as f64;
    let (lo, hi) = (h.floor() as usize, h.ceil() as usize);
    Ok(v[lo] + (h - lo as f64) * (v[hi] - v[lo]))
}

/// Distribution of meeting times over replicates.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct MeetingSummary {
    /// Number of runs.
    pub runs: u64,
    /// Mean of `τ` (capped runs enter with their cap).
    pub mean: f64,
    /// Median.
    pub median: f64,
    /// 90% quantile.
    pub q90: f64,
    /// 99% quantile.
    pub q99: f64,
    /// Maximum.
    pub max: f64,
    /// Runs that hit the iteration cap before meeting.
    pub capped: u64,
}

impl MeetingSummary {
    /// Summarises meeting times `taus` with `capped` of them capped (see
    /// [`MeetingCounts::summary`](crate::meeting_counts::MeetingCounts::summary), which does the work).
    ///
    /// # Errors
    /// No meeting times.
    pub fn new(taus: &[usize], capped: usize) -> Result<Self> {
        let mut counts = crate::meeting_counts::MeetingCounts::default();
        for &tau in taus {
            *counts.counts.entry(tau).or_insert(0) += 1;
        }
        counts.capped = capped as u64;
        counts.summary()
    }

    /// Summarises the meeting times of estimator runs: a capped run enters with the iteration at which it
    /// was stopped (so the mean and quantiles are lower bounds when `capped > 0`).
    ///
    /// # Errors
    /// No runs.
    ///
    /// # Example
    /// ```
    /// use ucg_estimators::{LaggedRun, summary::MeetingSummary};
    /// let met = LaggedRun { meeting_time: Some(12), iterations: 12, cost: 14, capped: false };
    /// let cut = LaggedRun { meeting_time: None, iterations: 100, cost: 190, capped: true };
    /// let s = MeetingSummary::from_runs(&[met, met, cut])?;
    /// assert_eq!((s.runs, s.capped, s.max), (3, 1, 100.0));
    /// # Ok::<(), ucg_estimators::EstimatorError>(())
    /// ```
    pub fn from_runs(runs: &[crate::LaggedRun]) -> Result<Self> {
        crate::meeting_counts::MeetingCounts::from_runs(runs).summary()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merging_unequal_parts_gives_the_whole_variance() {
        let (first, second) = ([1.0, 2.0, 6.0], [10.0, 20.0]);
        let mut a = Moments::new(1);
        let mut b = Moments::new(1);
        let mut whole = Moments::new(1);
        for x in first {
            a.push(&[x]).unwrap();
            whole.push(&[x]).unwrap();
        }
        for x in second {
            b.push(&[x]).unwrap();
            whole.push(&[x]).unwrap();
        }
        a.merge(&b).unwrap();
        assert!((a.mean()[0] - whole.mean()[0]).abs() < 1e-12);
        assert!(
            (a.variance()[0] - whole.variance()[0]).abs() < 1e-9,
            "{:?}",
            a.variance()
        );
    }

    #[test]
    fn bonferroni_needs_a_level_strictly_inside_zero_and_one() {
        assert!(bonferroni_z(1.0, 1).is_err());
        assert!(bonferroni_z(0.0, 1).is_err());
        assert!((bonferroni_z(0.05, 1).unwrap() - 1.959_963_984_540_054).abs() < 1e-9);
    }

    #[test]
    fn moments_match_two_pass_formulas_and_merge() {
        let data = [[1.0, 2.0], [3.0, -1.0], [4.0, 0.5], [10.0, 2.5]];
        let mut all = Moments::new(2);
        let (mut a, mut b) = (Moments::new(2), Moments::new(2));
        for (i, x) in data.iter().enumerate() {
            all.push(x).unwrap();
            if i < 1 {
                a.push(x).unwrap()
            } else {
                b.push(x).unwrap()
            }
        }
        a.merge(&b).unwrap();
        let mean0 = 18.0 / 4.0;
        let var0 = data.iter().map(|x| (x[0] - mean0).powi(2)).sum::<f64>() / 3.0;
        for m in [&all, &a] {
            assert!((m.mean()[0] - mean0).abs() < 1e-12);
            assert!((m.variance()[0] - var0).abs() < 1e-12);
        }
        assert!(all.push(&[1.0]).is_err());
    }

    #[test]
    fn quantiles_and_bonferroni() {
        let v = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert_eq!(quantile(&v, 0.5).unwrap(), 3.0);
        assert_eq!(quantile(&v, 0.0).unwrap(), 1.0);
        assert_eq!(quantile(&v, 0.875).unwrap(), 4.5);
        assert!(quantile(&[], 0.5).is_err());
        assert!((bonferroni_z(0.05, 1).unwrap() - 1.959_963_985).abs() < 1e-6);
        assert!(bonferroni_z(0.001, 100).unwrap() > 4.4);
        assert!(bonferroni_z(0.0, 1).is_err());
    }
}
