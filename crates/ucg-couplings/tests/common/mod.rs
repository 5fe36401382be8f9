//! Statistical helpers shared by the integration tests (each test file declares `mod common;`).

// Every test file is its own crate and uses only some of these helpers.
#![allow(dead_code)]

pub mod scripted;

use rand::Rng;
use statrs::function::erf::erfc;
use ucg_couplings::CoupledKernel;

/// Bound on |z| of one z-test: two-sided p ≈ 7e-6, so a file's family of checks stays below a 1e-4
/// false-alarm rate.
pub const Z: f64 = 4.5;
/// Bound on √n·D of one Kolmogorov-Smirnov test (p ≈ 7.5e-6).
pub const KS: f64 = 2.5;

/// Asserts that every z-score in `z` is below [`Z`] in absolute value.
pub fn assert_z(z: &[f64], what: &str) {
    assert!(z.iter().all(|v| v.abs() < Z), "{what}: z = {z:?}");
}

/// Φ(x), the standard normal CDF.
pub fn phi(x: f64) -> f64 {
    0.5 * erfc(-x / std::f64::consts::SQRT_2)
}

/// Mean and unbiased variance.
pub fn mean_var(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let m = v.iter().sum::<f64>() / n;
    (
        m,
        v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0),
    )
}

/// z-score of the sample mean of `v` against `mu`, using the sample's own standard error.
pub fn z_mean(v: &[f64], mu: f64) -> f64 {
    let (m, var) = mean_var(v);
    (m - mu) / (var / v.len() as f64).sqrt()
}

/// z-score of the sample variance of a normal sample against `sigma2` (se = σ² √(2/(n−1))).
pub fn z_var_normal(v: &[f64], sigma2: f64) -> f64 {
    let (_, var) = mean_var(v);
    (var - sigma2) / (sigma2 * (2.0 / (v.len() as f64 - 1.0)).sqrt())
}

/// z-score of a frequency `count / n` against the probability `p`.
pub fn binomial_z(count: usize, n: usize, p: f64) -> f64 {
    (count as f64 / n as f64 - p) / (p * (1.0 - p) / n as f64).sqrt()
}

/// √n × the Kolmogorov-Smirnov distance between the sample and the CDF `cdf`.
pub fn ks_statistic(v: &[f64], cdf: impl Fn(f64) -> f64) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let n = s.len() as f64;
    let d = s
        .iter()
        .enumerate()
        .map(|(i, &x)| {
            let f = cdf(x);
            (f - i as f64 / n).abs().max((f - (i + 1) as f64 / n).abs())
        })
        .fold(0.0, f64::max);
    d * n.sqrt()
}

/// Asserts that the sample `v` (called `name`) is N(`mu`, `sigma`²): its mean and variance z-scores are
/// below [`Z`] and its Kolmogorov-Smirnov statistic below [`KS`].
pub fn assert_normal_sample(v: &[f64], mu: f64, sigma: f64, name: &str) {
    let zm = z_mean(v, mu);
    let zv = z_var_normal(v, sigma * sigma);
    let ks = ks_statistic(v, |x| phi((x - mu) / sigma));
    assert!(zm.abs() < Z, "{name}: mean z = {zm}");
    assert!(zv.abs() < Z, "{name}: variance z = {zv}");
    assert!(ks < KS, "{name}: KS √n·D = {ks}");
}

/// The frequency with which one coupled step from `(x0, y0)` meets, over `n` independent tries; checks
/// at every try that the returned flag is exactly state equality.
pub fn one_step_meeting_frequency<K, R>(
    kernel: &K,
    x0: &K::State,
    y0: &K::State,
    n: usize,
    rng: &mut R,
) -> f64
where
    K: CoupledKernel,
    K::State: Clone + PartialEq,
    R: Rng,
{
    let mut met = 0usize;
    for _ in 0..n {
        let (mut x, mut y) = (x0.clone(), y0.clone());
        let flag = kernel.coupled_step(&mut x, &mut y, rng).unwrap();
        assert_eq!(flag, x == y);
        met += usize::from(flag);
    }
    met as f64 / n as f64
}

/// Running sums of a few statistics, for their means and the standard errors of those means.
pub struct Moments {
    n: f64,
    sum: Vec<f64>,
    sum2: Vec<f64>,
}

impl Moments {
    /// Accumulators for `d` statistics.
    pub fn new(d: usize) -> Self {
        Moments {
            n: 0.0,
            sum: vec![0.0; d],
            sum2: vec![0.0; d],
        }
    }
    /// Adds one observation of every statistic.
    pub fn push(&mut self, f: &[f64]) {
        assert_eq!(f.len(), self.sum.len(), "number of statistics");
        self.n += 1.0;
        for i in 0..f.len() {
            self.sum[i] += f[i];
            self.sum2[i] += f[i] * f[i];
        }
    }
    /// Sample mean of statistic `i`.
    pub fn mean(&self, i: usize) -> f64 {
        self.sum[i] / self.n
    }
    /// Squared standard error of the mean of statistic `i`.
    pub fn se2(&self, i: usize) -> f64 {
        let m = self.mean(i);
        (self.sum2[i] / self.n - m * m) / (self.n - 1.0)
    }
    /// One-sample z-score of statistic `i` against a known expectation.
    pub fn z_exact(&self, i: usize, expected: f64) -> f64 {
        (self.mean(i) - expected) / self.se2(i).sqrt()
    }
    /// One-sample z-scores of every statistic against known expectations.
    pub fn z_exact_all(&self, expected: &[f64]) -> Vec<f64> {
        assert_eq!(expected.len(), self.sum.len(), "number of statistics");
        (0..self.sum.len())
            .map(|i| self.z_exact(i, expected[i]))
            .collect()
    }
    /// Two-sample z-score of statistic `i` between two independent samples.
    pub fn z_two_sample(&self, other: &Moments, i: usize) -> f64 {
        (self.mean(i) - other.mean(i)) / (self.se2(i) + other.se2(i)).sqrt()
    }
    /// Two-sample z-scores of every statistic.
    pub fn z_two_sample_all(&self, other: &Moments) -> Vec<f64> {
        (0..self.sum.len())
            .map(|i| self.z_two_sample(other, i))
            .collect()
    }
}
