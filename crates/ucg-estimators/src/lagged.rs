//! The lagged coupling estimator `H_{k:m}` of Jacob, O'Leary & Atchadé (2020) for any lag `L ≥ 1`
//! (docs/method.md §5), with `h` delivered to a sink as (state, coefficient) terms.

use crate::error::{Result, invalid};
use rand::Rng;
#[cfg(feature = "serde")]
use serde::{Deserialize, Serialize};
use ucg_couplings::{CoupledKernel, InitialLaw};

/// Settings of `H_{k:m}` with lag `L`: `0 ≤ k ≤ m`, `L ≥ 1`, and a cap on the iteration count `t`.
///
/// The fields are private so that only [`LagSettings::new`] and [`LagSettings::paper`] build a value:
/// settings that break `k ≤ m` or `L ≥ 1` (which would give a wrapped `1/(m − k + 1)` or a plain, biased
/// time average) cannot exist. Deserialisation goes through the same checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
#[cfg_attr(
    feature = "serde",
    serde(try_from = "RawLagSettings", into = "RawLagSettings")
)]
pub struct LagSettings {
    lag: usize,
    k: usize,
    m: usize,
    max_iter: usize,
}

/// The serialised form of [`LagSettings`], validated on the way in.
#[cfg(feature = "serde")]
#[derive(Serialize, Deserialize)]
struct RawLagSettings {
    lag: usize,
    k: usize,
    m: usize,
    max_iter: usize,
}

#[cfg(feature = "serde")]
impl TryFrom<RawLagSettings> for LagSettings {
    type Error = crate::EstimatorError;
    fn try_from(r: RawLagSettings) -> Result<Self> {
        LagSettings::new(r.lag, r.k, r.m, r.max_iter)
    }
}

#[cfg(feature = "serde")]
impl From<LagSettings> for RawLagSettings {
    fn from(s: LagSettings) -> Self {
        RawLagSettings {
            lag: s.lag,
            k: s.k,
            m: s.m,
            max_iter: s.max_iter,
        }
    }
}

impl LagSettings {
    /// Validated settings.
    ///
    /// # Errors
    /// `lag = 0`, `k > m`, or `max_iter < max(m, lag + 1)`.
    pub fn new(lag: usize, k: usize, m: usize, max_iter: usize) -> Result<Self> {
        if lag == 0 {
            return Err(invalid("lag", "must be at least 1"));
        }
        if k > m {
            return Err(invalid("k", format!("k = {k} exceeds m = {m}")));
        }
        if max_iter < m.max(lag + 1) {
            return Err(invalid(
                "max_iter",
                format!("{max_iter} is below max(m, L + 1) = {}", m.max(lag + 1)),
            ));
        }
        Ok(LagSettings {
            lag,
            k,
            m,
            max_iter,
        })
    }

    /// The paper's estimator (Vanetti & Doucet; Ruiz et al. Eq. 14): `k = t0`, `m = t0 + L − 1`, for which
    /// every weight `v_t` equals one.
    ///
    /// # Errors
    /// As [`LagSettings::new`].
    pub fn paper(t0: usize, lag: usize, max_iter: usize) -> Result<Self> {
        if lag == 0 {
            return Err(invalid("lag", "must be at least 1"));
        }
        Self::new(lag, t0, t0 + lag - 1, max_iter)
    }

    /// The lag `L ≥ 1` between the leading chain `X` and the lagging chain `Y`.
    pub fn lag(&self) -> usize {
        self.lag
    }
    /// First iteration `k` of the time average.
    pub fn k(&self) -> usize {
        self.k
    }
    /// Last iteration `m ≥ k` of the time average.
    pub fn m(&self) -> usize {
        self.m
    }
    /// The cap: a run stops at `t = max_iter` even if the chains have not met, and is reported as capped
    /// (its estimate is truncated, hence biased).
    pub fn max_iter(&self) -> usize {
        self.max_iter
    }
    /// The same settings with another cap.
    ///
    /// # Errors
    /// `max_iter < max(m, L + 1)`.
    pub fn with_max_iter(&self, max_iter: usize) -> Result<Self> {
        Self::new(self.lag, self.k, self.m, max_iter)
    }

    /// The bias-correction weight `v_t = ⌊(t − k)/L⌋ − ⌈max(L, t − m)/L⌉ + 1` for `t ≥ k + L`.
    pub fn weight(&self, t: usize) -> i64 {
        let l = self.lag as i64;
        let (t, k, m) = (t as i64, self.k as i64, self.m as i64);
        let ceil = (l.max(t - m) + l - 1) / l;
        (t - k) / l - ceil + 1
    }
}

/// Which part of `H_{k:m}` a term belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub enum Part {
    /// The time average `(1/(m−k+1)) Σ_{t=k}^{m} h(X_t)`.
    Mcmc,
    /// The bias correction `Σ_{t=k+L}^{τ−1} (v_t/(m−k+1)) (h(X_t) − h(Y_{t−L}))`.
    BiasCorrection,
}

/// What the estimator tells its sink.
#[derive(Debug)]
pub enum Event<'a, S> {
    /// Add `coefficient · h(state)` to the estimate ([`run_lagged`] sends the time average this way).
    Term {
        /// The state `X_t`.
        state: &'a S,
        /// Its coefficient.
        coefficient: f64,
        /// Which part of the estimator the term belongs to.
        part: Part,
    },
    /// Add `coefficient · (h(x) − h(y))` to the bias correction, for the pair `(X_t, Y_{t−L})` that one
    /// coupled step produced. Sent as one event so that a sink can exploit what the two states share
    /// (the same innovations); a sink that does not care adds the two terms separately.
    Difference {
        /// The leading chain's state `X_t`.
        x: &'a S,
        /// The lagging chain's state `Y_{t−L}`.
        y: &'a S,
        /// The weight `v_t / (m − k + 1)`.
        coefficient: f64,
    },
    /// The leading chain has just moved to `X_t` (for diagnostics such as ESS traces).
    Step {
        /// The iteration `t ≥ 1`.
        t: usize,
        /// The leading chain's new state.
        x: &'a S,
    },
}

/// What one run of the estimator did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct LaggedRun {
    /// The meeting time `τ = inf{t ≥ L : X_t = Y_{t−L}}`, or `None` when the run hit the cap first.
    pub meeting_time: Option<usize>,
    /// The last iteration `t` reached, `max(m, τ)` unless capped.
    pub iterations: usize,
    /// Kernel applications: `L + 2(τ − L) + max(0, m − τ)` (a coupled step counts two).
    pub cost: usize,
    /// Whether the cap stopped the run before the chains met (the estimate is then truncated).
    pub capped: bool,
}

/// Runs `H_{k:m}` once: samples `X_0` from the kernel's [`InitialLaw`] (wrap the kernel in
/// [`ucg_couplings::WithInitial`] for another initial law), moves `X` alone for `L` steps, samples `Y_0`
/// from the same law (after those steps, so the random stream is used in that order), then moves the
/// pair with `kernel`'s coupled step until `t = max(m, τ)` (or the cap), and sends every term
/// `coefficient · h(state)` of the estimate to `sink`:
///
/// `H_{k:m} = (1/(m−k+1)) Σ_{t=k}^{m} h(X_t) + Σ_{t=k+L}^{τ−1} (v_t/(m−k+1)) (h(X_t) − h(Y_{t−L}))`.
///
/// Meeting is decided by the kernel's exact flag (and by exact state equality at `t = L`). Since `h`
/// reaches the sink as terms, a linear `h` such as `Σ_k w̃_k ∇ log p(x, z_k)` can be accumulated as
/// sufficient statistics rather than materialised for every state.
///
/// # Errors
/// Kernel failures and sink failures are passed on.
pub fn run_lagged<K, R, S>(
    kernel: &K,
    settings: &LagSettings,
    rng: &mut R,
    mut sink: S,
) -> Result<LaggedRun>
where
    K: CoupledKernel + InitialLaw,
    K::State: PartialEq,
    R: Rng + ?Sized,
    S: FnMut(Event<'_, K::State>) -> Result<()>,
{
    let LagSettings {
        lag,
        k,
        m,
        max_iter,
    } = *settings;
    let inv = 1.0 / (m - k + 1) as f64;
    let mut x = kernel.sample_initial(rng)?;
    if k == 0 {
        sink(Event::Term {
            state: &x,
            coefficient: inv,
            part: Part::Mcmc,
        })?;
    }
    for t in 1..=lag {
        kernel.step(&mut x, rng)?;
        moved(&mut sink, t, &x, settings)?;
    }
    let mut y = kernel.sample_initial(rng)?;
    let mut t = lag;
    let mut cost = lag;
    let mut meeting_time = (x == y).then_some(lag);
    let mut capped = false;
    loop {
        if meeting_time.is_none() && t >= k + lag {
            let v = settings.weight(t);
            if v != 0 {
                sink(Event::Difference {
                    x: &x,
                    y: &y,
                    coefficient: v as f64 * inv,
                })?;
            }
        }
        if meeting_time.is_some() && t >= m {
            break;
        }
        if t >= max_iter {
            capped = meeting_time.is_none();
            break;
        }
        t += 1;
        if meeting_time.is_none() {
            cost += 2;
            if kernel.coupled_step(&mut x, &mut y, rng)? {
                meeting_time = Some(t);
            }
        } else {
            cost += 1;
            kernel.step(&mut x, rng)?;
        }
        moved(&mut sink, t, &x, settings)?;
    }
    Ok(LaggedRun {
        meeting_time,
        iterations: t,
        cost,
        capped,
    })
}

/// Reports that the leading chain moved to `X_t`, and its time-average term when `k ≤ t ≤ m`.
pub(crate) fn moved<S, F>(sink: &mut F, t: usize, x: &S, settings: &LagSettings) -> Result<()>
where
    F: FnMut(Event<'_, S>) -> Result<()>,
{
    sink(Event::Step { t, x })?;
    if (settings.k..=settings.m).contains(&t) {
        let coefficient = 1.0 / (settings.m - settings.k + 1) as f64;
        sink(Event::Term {
            state: x,
            coefficient,
            part: Part::Mcmc,
        })?;
    }
    Ok(())
}

/// `H_{k:m}` for a materialised, vector-valued `h`: returns the estimate split into its two parts.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct VectorEstimate {
    /// The time-average part.
    pub mcmc: Vec<f64>,
    /// The bias-correction part.
    pub bias_correction: Vec<f64>,
    /// What the run did.
    pub run: LaggedRun,
}

impl VectorEstimate {
    /// The estimate `H_{k:m}` (the sum of both parts).
    pub fn value(&self) -> Vec<f64> {
        self.mcmc
            .iter()
            .zip(&self.bias_correction)
            .map(|(a, b)| a + b)
            .collect()
    }
}

/// [`run_lagged`] with `h: state → ℝ^dim` evaluated on every state that carries a term: `h(state, out)`
/// writes `h(state)` into `out` (length `dim`, one buffer reused for the whole run).
///
/// # Errors
/// As [`run_lagged`], and `h`'s own errors.
pub fn estimate_vector<K, R, H>(
    kernel: &K,
    mut h: H,
    dim: usize,
    settings: &LagSettings,
    rng: &mut R,
) -> Result<VectorEstimate>
where
    K: CoupledKernel + InitialLaw,
    K::State: PartialEq,
    R: Rng + ?Sized,
    H: FnMut(&K::State, &mut [f64]) -> Result<()>,
{
    let (mut mcmc, mut bias, mut value) = (vec![0.0; dim], vec![0.0; dim], vec![0.0; dim]);
    let run = run_lagged(kernel, settings, rng, |ev| {
        let mut add = |state: &K::State, coefficient: f64, part: Part| {
            h(state, &mut value)?;
            let acc = match part {
                Part::Mcmc => &mut mcmc,
                Part::BiasCorrection => &mut bias,
            };
            acc.iter_mut()
                .zip(&value)
                .for_each(|(a, b)| *a += coefficient * b);
            Ok(())
        };
        match ev {
            Event::Term {
                state,
                coefficient,
                part,
            } => add(state, coefficient, part),
            Event::Difference { x, y, coefficient } => {
                add(x, coefficient, Part::BiasCorrection)?;
                add(y, -coefficient, Part::BiasCorrection)
            }
            Event::Step { .. } => Ok(()),
        }
    })?;
    Ok(VectorEstimate {
        mcmc,
        bias_correction: bias,
        run,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paper_weights_are_all_one() {
        let s = LagSettings::paper(1, 10, 1000).unwrap();
        for t in s.k + s.lag..200 {
            assert_eq!(s.weight(t), 1, "t = {t}");
        }
    }

    #[test]
    fn weights_count_the_lag_multiples_in_the_window() {
        // v_t is the number of j ≥ 1 with k ≤ t − jL ≤ m: count it directly.
        for (lag, k, m) in [(1, 0, 0), (1, 3, 7), (3, 2, 9), (4, 0, 13), (5, 5, 5)] {
            let s = LagSettings::new(lag, k, m, 1000).unwrap();
            for t in k + lag..k + lag + 40 {
                let direct = (1..=t / lag)
                    .filter(|j| (k..=m).contains(&(t - j * lag)))
                    .count();
                assert_eq!(s.weight(t), direct as i64, "L={lag} k={k} m={m} t={t}");
            }
        }
    }

    #[test]
    fn invalid_settings_are_rejected() {
        assert!(LagSettings::new(0, 0, 1, 10).is_err());
        assert!(LagSettings::new(1, 3, 2, 10).is_err());
        assert!(LagSettings::new(5, 0, 2, 5).is_err());
        assert!(LagSettings::paper(1, 0, 10).is_err());
        assert!(
            LagSettings::paper(1, 3, 10)
                .unwrap()
                .with_max_iter(3)
                .is_err()
        );
    }

    #[cfg(feature = "serde")]
    #[test]
    fn deserialisation_validates() {
        let ok: LagSettings =
            serde_json::from_str(r#"{"lag":3,"k":1,"m":3,"max_iter":100}"#).unwrap();
        assert_eq!((ok.lag(), ok.k(), ok.m(), ok.max_iter()), (3, 1, 3, 100));
        let back = serde_json::to_string(&ok).unwrap();
        assert_eq!(serde_json::from_str::<LagSettings>(&back).unwrap(), ok);
        for bad in [
            r#"{"lag":5,"k":10,"m":2,"max_iter":100}"#,
            r#"{"lag":0,"k":0,"m":2,"max_iter":100}"#,
        ] {
            assert!(serde_json::from_str::<LagSettings>(bad).is_err(), "{bad}");
        }
    }
}
