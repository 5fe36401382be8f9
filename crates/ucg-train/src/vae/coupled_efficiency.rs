//! What one coupled θ-gradient costs per unit of variance, and where its variance comes from.
//!
//! An unbiased estimator `g` of `∇_θ Σ_b log p(x_b)` that costs `c` particle evaluations per draw is worth
//! its **inefficiency** `tr Var[g] × c`: averaging `n` draws costs `n c` and leaves `tr Var[g] / n`, so of
//! two estimators the one with the smaller product reaches a given accuracy for less work (Glynn & Whitt
//! 1992; Jacob, O'Leary & Atchadé 2020 §3). [`measure`] draws the coupled gradient of one fixed model on
//! one fixed minibatch `R` times (draw `r` on the seed `seed + r`, point `b` on `stream(seed + r, b)` as in
//! training) and reports, with standard errors:
//!
//! - `tr Var[g]` per draw. Points run independent chains, so `tr Var[g] = Σ_b tr Var[g_b]`; each draw's
//!   contribution `S_r = R/(R−1) Σ_b ‖g_{b,r} − ḡ_b‖²` has mean `tr Var[g]`, and the error is the spread
//!   of the `S_r` over `√R`. The variance is heavy-tailed (a few long pairs), so a **median of means** of
//!   the `S_r` (groups of four draws) is reported beside it: far below the mean, it says the mean rests on
//!   rare draws.
//! - The split by term: the time average `(1/(m−k+1)) Σ_{t=k}^{m} h(X_t)` against the bias correction
//!   `Σ_{t≥k+L} (v_t/(m−k+1)) (h(X_t) − h(Y_{t−L}))` (each part's `Σ_b tr Var`, and twice their covariance,
//!   the remainder).
//! - The split by meeting time: the share of `Σ_{b,r} ‖g_{b,r} − ḡ_b‖²` carried by pairs whose `τ` falls
//!   in each of [`TAU_GROUPS`] (capped pairs apart), beside the share of pairs.
//! - The cost: particle evaluations per draw, the seconds of the chains and of the weighted backward pass
//!   (the training path: all points' terms, [`decoder_gradient_of_terms`]), backward columns.
//!
//! Capped pairs (truncated, hence biased) are counted and reported; their `τ` group is "capped".

use super::coupled::{
    CoupledConfig, CoupledKernelKind, PointTerms, decoder_gradient_of_point,
    decoder_gradient_of_terms,
};
use crate::{Result, TrainError};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::time::Instant;
use ucg_couplings::isir::{IsirSchedule, IsirState};
use ucg_estimators::batched::run_lagged_batched;
pub use ucg_estimators::efficiency::WithError;
use ucg_estimators::efficiency::median_of_means;
use ucg_estimators::{Event, LagSettings, Part};
use ucg_models::vae::{Vae, VaeBatchTarget, VaeWorkspace};

/// Upper ends (inclusive) of the meeting-time groups of the variance split; met pairs beyond the last
/// fall in a final open group, capped pairs in their own.
pub const TAU_GROUPS: [usize; 4] = [20, 50, 100, 200];

/// Draws per group of the median of means.
pub const MEDIAN_OF_MEANS_GROUP: usize = 4;

/// One configuration of the coupled θ-estimator.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct EfficiencySettings {
    /// The coupled kernel.
    pub kind: CoupledKernelKind,
    /// Particles per set `K`.
    pub particles: usize,
    /// DISIR's β (ignored by C-ISIR).
    pub beta: f64,
    /// Lag `L`.
    pub lag: usize,
    /// First iteration `k` of the time average.
    pub k: usize,
    /// Last iteration `m` of the time average.
    pub m: usize,
    /// Cap on a pair's iterations.
    pub cap: usize,
    /// The importance proposal's scale `s` (`z = μ + s σ ⊙ ξ`; 1 is the encoder, see
    /// [`VaeBatchTarget::with_proposal_scale`]).
    #[serde(default = "one")]
    pub proposal_scale: f64,
    /// Particles per point of a fitted proposal (0: the encoder's; see
    /// [`VaeBatchTarget::with_fitted_proposal`]), fitted afresh for every draw and its evaluations
    /// counted in the draw's cost.
    #[serde(default)]
    pub fit_particles: usize,
}

fn one() -> f64 {
    1.0
}

impl EfficiencySettings {
    /// The chains' target for the draw with seed `draw_seed`: the encoder's proposal `encoded`, fitted
    /// to each posterior when [`EfficiencySettings::fit_particles`] is set (on the fit's own stream,
    /// index `batch` after the points' `0..batch`), then scaled.
    ///
    /// # Errors
    /// Model failures or an invalid scale.
    pub fn proposal<'a>(
        &self,
        encoded: &VaeBatchTarget<'a>,
        draw_seed: u64,
    ) -> Result<VaeBatchTarget<'a>> {
        use ucg_couplings::BatchedImportanceTarget;
        let target = if self.fit_particles > 0 {
            let mut rng = ucg_data::rng::stream(draw_seed, encoded.points() as u64);
            encoded
                .clone()
                .with_fitted_proposal(self.fit_particles, &mut rng)?
        } else {
            encoded.clone()
        };
        Ok(target.with_proposal_scale(self.proposal_scale as f32)?)
    }

    /// The lagged estimator's settings.
    ///
    /// # Errors
    /// As [`LagSettings::new`].
    pub fn lag_settings(&self) -> Result<LagSettings> {
        Ok(LagSettings::new(self.lag, self.k, self.m, self.cap)?)
    }

    /// The coupled kernel's schedule.
    ///
    /// # Errors
    /// `K < 2`, β outside `[0, 1)`.
    pub fn schedule(&self) -> Result<IsirSchedule> {
        Ok(match self.kind {
            CoupledKernelKind::Isir => IsirSchedule::isir(self.particles)?,
            CoupledKernelKind::IsirDisir => IsirSchedule::isir_disir(self.particles, self.beta)?,
        })
    }

    /// A short label: `K=10 L=10 (1,10) β=0` (the cap named when it is not 1,000).
    pub fn label(&self) -> String {
        let kernel = match self.kind {
            CoupledKernelKind::Isir => "C-ISIR ".to_string(),
            CoupledKernelKind::IsirDisir => String::new(),
        };
        let beta = match self.kind {
            CoupledKernelKind::Isir => String::new(),
            CoupledKernelKind::IsirDisir => format!(" β={}", self.beta),
        };
        let mut scale = if self.proposal_scale == 1.0 {
            String::new()
        } else {
            format!(" s={}", self.proposal_scale)
        };
        if self.fit_particles > 0 {
            scale.push_str(&format!(" fit={}", self.fit_particles));
        }
        if self.cap != 1000 {
            scale.push_str(&format!(" cap={}", self.cap));
        }
        format!(
            "{kernel}K={} L={} ({},{}){beta}{scale}",
            self.particles, self.lag, self.k, self.m
        )
    }
}

/// The share of pairs and of variance in one meeting-time group.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TauGroup {
    /// `"τ ≤ 20"`, `"20 < τ ≤ 50"`, …, `"capped"`.
    pub label: String,
    /// Fraction of all pairs (points × draws) in the group.
    pub pairs: f64,
    /// Fraction of `Σ_{b,r} ‖g_{b,r} − ḡ_b‖²` carried by the group's pairs.
    pub variance: f64,
}

/// What [`measure`] found for one configuration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Efficiency {
    /// The configuration.
    pub settings: EfficiencySettings,
    /// Draws `R`.
    pub draws: usize,
    /// Points of the minibatch.
    pub points: usize,
    /// `tr Var[g]` per draw.
    pub total_variance: WithError,
    /// Median of means (groups of four draws) of the draws' variance contributions: a robust companion.
    pub total_variance_median_of_means: f64,
    /// `Σ_b tr Var` of the time-average part.
    pub average_variance: f64,
    /// `Σ_b tr Var` of the bias-correction part.
    pub correction_variance: f64,
    /// The split by meeting time.
    pub by_tau: Vec<TauGroup>,
    /// Particle evaluations per draw.
    pub evaluations: WithError,
    /// Seconds of the chains per draw.
    pub chain_seconds: WithError,
    /// Seconds of the weighted backward pass per draw (all points, the training path).
    pub gradient_seconds: WithError,
    /// Backward columns (distinct particles with a nonzero coefficient) per draw.
    pub columns: f64,
    /// Pairs stopped by the cap, over all draws.
    pub capped: usize,
    /// Mean, median and 99% quantile of the meeting times of the pairs that met.
    pub tau_mean: f64,
    /// Median meeting time.
    pub tau_median: f64,
    /// 99% quantile of the meeting times.
    pub tau_q99: f64,
    /// `‖ḡ‖²`, the squared norm of the mean gradient (the scale of the variance).
    pub mean_norm2: f64,
}

impl Efficiency {
    /// Seconds per draw (chains and backward pass).
    pub fn seconds(&self) -> WithError {
        WithError {
            value: self.chain_seconds.value + self.gradient_seconds.value,
            se: self.chain_seconds.se.hypot(self.gradient_seconds.se),
        }
    }

    /// `tr Var × evaluations` per draw.
    pub fn inefficiency(&self) -> WithError {
        self.total_variance.times(self.evaluations)
    }

    /// `tr Var × seconds` per draw.
    pub fn inefficiency_seconds(&self) -> WithError {
        self.total_variance.times(self.seconds())
    }
}

/// One point's terms, split by the part of `H_{k:m}` they belong to.
#[derive(Clone, Debug, Default)]
struct SplitTerms {
    average: PointTerms,
    correction: PointTerms,
}

impl SplitTerms {
    fn record(&mut self, ev: Event<'_, IsirState>) -> ucg_estimators::Result<()> {
        match ev {
            Event::Term {
                part: Part::Mcmc, ..
            }
            | Event::Step { .. } => self.average.record(ev),
            Event::Term {
                part: Part::BiasCorrection,
                ..
            }
            | Event::Difference { .. } => self.correction.record(ev),
        }
    }
}

/// Draws the coupled θ-gradient of `model` on the minibatch `x` (`batch` points) `draws` times with
/// `settings` and measures its variance and cost (see the [module documentation](self)).
/// `progress` is called after each draw with the number done.
///
/// # Errors
/// Fewer than [`MEDIAN_OF_MEANS_GROUP`] draws, invalid settings, model or kernel failures.
pub fn measure(
    model: &Vae<f32>,
    x: &[f32],
    batch: usize,
    settings: &EfficiencySettings,
    draws: usize,
    seed: u64,
    mut progress: impl FnMut(usize),
) -> Result<Efficiency> {
    if draws < MEDIAN_OF_MEANS_GROUP {
        return Err(TrainError::InvalidSetting {
            name: "draws",
            reason: format!("{draws} (need at least {MEDIAN_OF_MEANS_GROUP})"),
        });
    }
    let lag = settings.lag_settings()?;
    let schedule = settings.schedule()?;
    let encoded = VaeBatchTarget::new(model, x, batch)?;
    let dim = model.decoder_params().len();
    let chunk = CoupledConfig::default().chunk;

    // Per point: every draw's total gradient (f32), and running sums of each part for its variance.
    let mut totals: Vec<Vec<Vec<f32>>> = vec![Vec::with_capacity(draws); batch];
    let mut part_sums = vec![[vec![0.0f64; dim], vec![0.0f64; dim]]; batch];
    let mut part_squares = vec![[0.0f64; 2]; batch];
    let mut taus: Vec<Vec<Option<usize>>> = vec![Vec::with_capacity(draws); batch];
    let (mut evaluations, mut chain_s, mut grad_s, mut columns) =
        (Vec::new(), Vec::new(), Vec::new(), 0.0);

    for r in 0..draws {
        let start = Instant::now();
        let draw_seed = seed + r as u64;
        let target = settings.proposal(&encoded, draw_seed)?;
        let fit_evaluations = (settings.fit_particles * batch) as f64;
        let runs = run_lagged_batched(
            &target,
            &schedule,
            &lag,
            draw_seed,
            vec![SplitTerms::default(); batch],
            |_, acc, ev| acc.record(ev),
        )?;
        chain_s.push(start.elapsed().as_secs_f64());
        evaluations
            .push(fit_evaluations + runs.iter().map(|run| run.evaluations as f64).sum::<f64>());

        // The training path, timed: one gradient of all points' terms together.
        let together: Vec<PointTerms> = runs
            .iter()
            .map(|run| {
                let mut t = run.accumulator.average.clone();
                t.noise.extend_from_slice(&run.accumulator.correction.noise);
                t.coefficients
                    .extend_from_slice(&run.accumulator.correction.coefficients);
                t
            })
            .collect();
        columns += together.iter().map(PointTerms::len).sum::<usize>() as f64;
        let mut grad = vec![0.0f32; dim];
        let start = Instant::now();
        decoder_gradient_of_terms(
            &target,
            &together,
            chunk,
            &mut grad,
            &mut VaeWorkspace::new(),
        )?;
        grad_s.push(start.elapsed().as_secs_f64());

        // Per point and part, for the splits.
        let parts: Vec<[Vec<f32>; 2]> = runs
            .par_iter()
            .enumerate()
            .map(|(b, run)| {
                let mut ws = VaeWorkspace::new();
                let mut one = |terms: &PointTerms| -> Result<Vec<f32>> {
                    let mut g = vec![0.0f32; dim];
                    decoder_gradient_of_point(&target, b, terms, chunk, &mut g, &mut ws)?;
                    Ok(g)
                };
                Ok([
                    one(&run.accumulator.average)?,
                    one(&run.accumulator.correction)?,
                ])
            })
            .collect::<Result<_>>()?;
        for (b, (run, [average, correction])) in runs.iter().zip(parts).enumerate() {
            let total: Vec<f32> = average
                .iter()
                .zip(&correction)
                .map(|(a, c)| a + c)
                .collect();
            for (p, part) in [average, correction].iter().enumerate() {
                part_sums[b][p]
                    .iter_mut()
                    .zip(part)
                    .for_each(|(s, &v)| *s += f64::from(v));
                part_squares[b][p] += part.iter().map(|&v| f64::from(v).powi(2)).sum::<f64>();
            }
            totals[b].push(total);
            taus[b].push(if run.run.capped {
                None
            } else {
                run.run.meeting_time
            });
        }
        progress(r + 1);
    }
    Ok(summarise(
        *settings,
        &totals,
        &part_sums,
        &part_squares,
        &taus,
        Costs {
            evaluations: &evaluations,
            chain_seconds: &chain_s,
            gradient_seconds: &grad_s,
            columns: columns / draws as f64,
        },
    ))
}

/// The per-draw costs [`measure`] recorded.
struct Costs<'a> {
    evaluations: &'a [f64],
    chain_seconds: &'a [f64],
    gradient_seconds: &'a [f64],
    columns: f64,
}

/// The statistics of [`Efficiency`] from the per-point draws.
fn summarise(
    settings: EfficiencySettings,
    totals: &[Vec<Vec<f32>>],
    part_sums: &[[Vec<f64>; 2]],
    part_squares: &[[f64; 2]],
    taus: &[Vec<Option<usize>>],
    costs: Costs<'_>,
) -> Efficiency {
    let points = totals.len();
    let draws = totals[0].len();
    let n = draws as f64;
    let dim = totals[0][0].len();
    let inflate = n / (n - 1.0);
    let mut per_draw = vec![0.0f64; draws];
    let mut group_pairs = vec![0usize; TAU_GROUPS.len() + 2];
    let mut group_variance = vec![0.0f64; TAU_GROUPS.len() + 2];
    let mut mean_total = vec![0.0f64; dim];
    for b in 0..points {
        let mut mean = vec![0.0f64; dim];
        for g in &totals[b] {
            mean.iter_mut()
                .zip(g)
                .for_each(|(m, &v)| *m += f64::from(v) / n);
        }
        for (r, g) in totals[b].iter().enumerate() {
            let d: f64 = g
                .iter()
                .zip(&mean)
                .map(|(&v, m)| (f64::from(v) - m).powi(2))
                .sum::<f64>()
                * inflate;
            per_draw[r] += d;
            let group = tau_group(taus[b][r]);
            group_pairs[group] += 1;
            group_variance[group] += d;
        }
        mean_total.iter_mut().zip(&mean).for_each(|(t, m)| *t += m);
    }
    let part_variance = |p: usize| -> f64 {
        (0..points)
            .map(|b| {
                let mean_sq: f64 = part_sums[b][p].iter().map(|s| (s / n).powi(2)).sum();
                (part_squares[b][p] - n * mean_sq) / (n - 1.0)
            })
            .sum()
    };
    let all_variance: f64 = group_variance.iter().sum();
    let by_tau = (0..group_pairs.len())
        .map(|g| TauGroup {
            label: tau_group_label(g),
            pairs: group_pairs[g] as f64 / (points * draws) as f64,
            variance: group_variance[g] / all_variance,
        })
        .collect();
    let mut met: Vec<usize> = taus.iter().flatten().filter_map(|t| *t).collect();
    met.sort_unstable();
    let capped = taus.iter().flatten().filter(|t| t.is_none()).count();
    let quantile = |q: f64| -> f64 {
        if met.is_empty() {
            f64::NAN
        } else {
            met[((q * met.len() as f64).ceil() as usize).clamp(1, met.len()) - 1] as f64
        }
    };
    Efficiency {
        settings,
        draws,
        points,
        total_variance: WithError::mean_of(&per_draw),
        total_variance_median_of_means: median_of_means(&per_draw, MEDIAN_OF_MEANS_GROUP),
        average_variance: part_variance(0),
        correction_variance: part_variance(1),
        by_tau,
        evaluations: WithError::mean_of(costs.evaluations),
        chain_seconds: WithError::mean_of(costs.chain_seconds),
        gradient_seconds: WithError::mean_of(costs.gradient_seconds),
        columns: costs.columns,
        capped,
        tau_mean: if met.is_empty() {
            f64::NAN
        } else {
            met.iter().sum::<usize>() as f64 / met.len() as f64
        },
        tau_median: quantile(0.5),
        tau_q99: quantile(0.99),
        mean_norm2: mean_total.iter().map(|v| v * v).sum(),
    }
}

/// The group of a pair's meeting time (`None`: capped).
fn tau_group(tau: Option<usize>) -> usize {
    match tau {
        None => TAU_GROUPS.len() + 1,
        Some(t) => TAU_GROUPS
            .iter()
            .position(|&end| t <= end)
            .unwrap_or(TAU_GROUPS.len()),
    }
}

fn tau_group_label(g: usize) -> String {
    match g {
        0 => format!("τ ≤ {}", TAU_GROUPS[0]),
        g if g < TAU_GROUPS.len() => format!("{} < τ ≤ {}", TAU_GROUPS[g - 1], TAU_GROUPS[g]),
        g if g == TAU_GROUPS.len() => format!("τ > {}", TAU_GROUPS[g - 1]),
        _ => "capped".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ucg_models::vae::VaeShape;

    fn settings() -> EfficiencySettings {
        EfficiencySettings {
            kind: CoupledKernelKind::IsirDisir,
            particles: 4,
            beta: 0.0,
            lag: 2,
            k: 1,
            m: 2,
            cap: 200,
            proposal_scale: 1.0,
            fit_particles: 0,
        }
    }

    #[test]
    fn tau_groups_cover_every_pair() {
        assert_eq!(tau_group(Some(20)), 0);
        assert_eq!(tau_group(Some(21)), 1);
        assert_eq!(tau_group(Some(200)), 3);
        assert_eq!(tau_group(Some(201)), 4);
        assert_eq!(tau_group(None), 5);
        assert_eq!(tau_group_label(0), "τ ≤ 20");
        assert_eq!(tau_group_label(1), "20 < τ ≤ 50");
        assert_eq!(tau_group_label(4), "τ > 200");
        assert_eq!(tau_group_label(5), "capped");
    }

    /// Two points, three draws of a 2-vector gradient each, by hand: `tr Var` of the sum is the sum of
    /// the points' sample variances; the parts' variances come from their running sums; the τ split
    /// attributes each draw's squared deviation to its pair's group.
    #[test]
    fn summary_statistics_by_hand() {
        // Point 0: draws (0,0), (2,0), (4,0): mean (2,0), sample variance (4+0+4)/2 = 4.
        // Point 1: draws (1,1) three times: variance 0.
        let totals = vec![
            vec![vec![0.0f32, 0.0], vec![2.0, 0.0], vec![4.0, 0.0]],
            vec![vec![1.0f32, 1.0]; 3],
        ];
        // Parts: point 0's average part is the whole draw, its correction 0; point 1's average (1,1).
        let part_sums = vec![
            [vec![6.0, 0.0], vec![0.0, 0.0]],
            [vec![3.0, 3.0], vec![0.0, 0.0]],
        ];
        let part_squares = vec![[20.0, 0.0], [6.0, 0.0]];
        let taus = vec![vec![Some(5), Some(30), None], vec![Some(5); 3]];
        let e = summarise(
            settings(),
            &totals,
            &part_sums,
            &part_squares,
            &taus,
            Costs {
                evaluations: &[10.0, 20.0, 30.0],
                chain_seconds: &[1.0, 1.0, 1.0],
                gradient_seconds: &[0.5, 0.5, 0.5],
                columns: 7.0,
            },
        );
        assert!((e.total_variance.value - 4.0).abs() < 1e-12);
        // Per-draw contributions 3/2 · (4, 0, 4) = (6, 0, 6): their spread over √3.
        assert!((e.total_variance.se - (12.0f64 / 3.0).sqrt()).abs() < 1e-12);
        assert!((e.average_variance - 4.0).abs() < 1e-12);
        assert_eq!(e.correction_variance, 0.0);
        let share = |label: &str| e.by_tau.iter().find(|g| g.label == label).unwrap().clone();
        assert!((share("τ ≤ 20").variance - 0.5).abs() < 1e-12);
        assert!((share("capped").variance - 0.5).abs() < 1e-12);
        assert!((share("τ ≤ 20").pairs - 4.0 / 6.0).abs() < 1e-12);
        assert_eq!(e.capped, 1);
        assert_eq!((e.tau_mean, e.tau_median), (10.0, 5.0));
        // ‖ḡ‖² of the summed gradient: (2 + 1, 0 + 1) → 10.
        assert!((e.mean_norm2 - 10.0).abs() < 1e-12);
        assert_eq!(e.evaluations.value, 20.0);
        assert_eq!(e.seconds().value, 1.5);
        assert!((e.inefficiency().value - 80.0).abs() < 1e-9);
    }

    /// The per-point gradients of the split add up to the training path's gradient of all points, and a
    /// measurement on a tiny model reports finite statistics whose parts and covariance make up the
    /// total.
    #[test]
    fn split_adds_up_to_the_training_gradient() {
        let base = Vae::<f32>::new(VaeShape::new(12, 6, 2).unwrap(), 5);
        let decoder: Vec<f32> = base.decoder_params().iter().map(|w| 2.0 * w).collect();
        let model =
            Vae::from_params(base.shape(), base.encoder_params().to_vec(), decoder).unwrap();
        let x: Vec<f32> = (0..12 * 3).map(|i| (i % 3 == 0) as u8 as f32).collect();
        let target = VaeBatchTarget::new(&model, &x, 3).unwrap();
        let s = settings();
        let runs = run_lagged_batched(
            &target,
            &s.schedule().unwrap(),
            &s.lag_settings().unwrap(),
            9,
            vec![SplitTerms::default(); 3],
            |_, acc, ev| acc.record(ev),
        )
        .unwrap();
        let dim = model.decoder_params().len();
        let mut ws = VaeWorkspace::new();
        let (mut split, mut together) = (vec![0.0f32; dim], vec![0.0f32; dim]);
        let mut all = Vec::new();
        for (b, run) in runs.iter().enumerate() {
            for part in [&run.accumulator.average, &run.accumulator.correction] {
                decoder_gradient_of_point(&target, b, part, 64, &mut split, &mut ws).unwrap();
            }
            let mut t = run.accumulator.average.clone();
            t.noise.extend_from_slice(&run.accumulator.correction.noise);
            t.coefficients
                .extend_from_slice(&run.accumulator.correction.coefficients);
            all.push(t);
        }
        decoder_gradient_of_terms(&target, &all, 64, &mut together, &mut ws).unwrap();
        for (a, b) in split.iter().zip(&together) {
            assert!((a - b).abs() <= 1e-4 * (1.0 + b.abs()), "{a} against {b}");
        }
        assert!(decoder_gradient_of_point(&target, 3, &all[0], 64, &mut split, &mut ws).is_err());

        let e = measure(&model, &x, 3, &s, 6, 1, |_| {}).unwrap();
        assert_eq!((e.draws, e.points), (6, 3));
        assert!(e.total_variance.value > 0.0 && e.total_variance.se.is_finite());
        assert!(e.evaluations.value > 0.0 && e.columns > 0.0);
        let shares: f64 = e.by_tau.iter().map(|g| g.variance).sum();
        assert!((shares - 1.0).abs() < 1e-9);
        assert!(measure(&model, &x, 3, &s, 3, 1, |_| {}).is_err());
    }
}
