//! The coupled PPCA gradient for many windows `(k, m)` of `H_{k:m}` at once, from one run of each point's
//! chains.
//!
//! The lagged estimator's chains do not depend on the window: a run uses the random stream in the same
//! order whatever `(k, m)` is (the initial state, `L` single steps, the lagging chain's initial state,
//! coupled steps until the chains meet, then single steps), and only stops at `max(m, τ)` or the cap. So
//! the run of the largest window contains the run of every smaller one as a prefix, and one run per point
//! gives every window's estimate, exactly the estimate a run with that window alone would give (up to the
//! order of floating-point sums).
//!
//! The time averages share their states: the iterations are cut into segments at every window's `k` and
//! `m + 1`, each segment's states are accumulated once (coefficient 1), and a window's time average is
//! `1/(m − k + 1)` times the sum of the segments it covers. Each window's bias correction, whose weights
//! `v_t` differ between windows, is accumulated apart; it only runs until the chains meet.

use std::ops::Range;

use super::coupled::{Acc, CoupledKernelKind, sink};
use super::problem::{BatchGradient, PpcaProblem};
use crate::error::{Result, TrainError};
use ucg_estimators::{Event, LagSettings, LaggedRun, Part};
use ucg_models::ppca::{PointStats, PpcaGradient};

/// Where each window's terms go: the master run's settings and the segments of the time averages.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct WindowPlan {
    windows: Vec<LagSettings>,
    master: LagSettings,
    /// Sorted, distinct segment boundaries: every window's `k` and `m + 1`. Segment `i` holds the
    /// iterations `bounds[i]..bounds[i + 1]`.
    bounds: Vec<usize>,
}

impl WindowPlan {
    /// The plan for `windows`, which must share their lag and cap.
    ///
    /// The master run uses `k = min k` and `m = max(max m, min k + L − 1)`: with a window of at least `L`
    /// iterations, its weight `v_t` is positive for every `t ≥ k + L`, so it reports every pair
    /// `(X_t, Y_{t−L})` that any window's bias correction needs.
    pub(crate) fn new(windows: &[LagSettings]) -> Result<Self> {
        let invalid = |reason: String| TrainError::InvalidSetting {
            name: "windows",
            reason,
        };
        let first = windows
            .first()
            .ok_or_else(|| invalid("need at least one window".into()))?;
        let (lag, cap) = (first.lag(), first.max_iter());
        if let Some(w) = windows
            .iter()
            .find(|w| w.lag() != lag || w.max_iter() != cap)
        {
            return Err(invalid(format!(
                "every window must share the lag and the cap: {w:?} differs from {first:?}"
            )));
        }
        let k_min = windows.iter().map(LagSettings::k).min().unwrap_or(0);
        let m_max = windows.iter().map(LagSettings::m).max().unwrap_or(0);
        let master = LagSettings::new(lag, k_min, m_max.max(k_min + lag - 1), cap)?;
        let mut bounds: Vec<usize> = windows.iter().flat_map(|w| [w.k(), w.m() + 1]).collect();
        bounds.sort_unstable();
        bounds.dedup();
        Ok(WindowPlan {
            windows: windows.to_vec(),
            master,
            bounds,
        })
    }

    /// The settings of the one run that serves every window.
    pub(crate) fn master(&self) -> &LagSettings {
        &self.master
    }

    /// Number of segments.
    pub(crate) fn segments(&self) -> usize {
        self.bounds.len().saturating_sub(1)
    }

    /// The segment holding iteration `t`, if any window's time average includes a segment there.
    pub(crate) fn segment_of(&self, t: usize) -> Option<usize> {
        let last = *self.bounds.last()?;
        if t < self.bounds[0] || t >= last {
            return None;
        }
        Some(self.bounds.partition_point(|&b| b <= t) - 1)
    }

    /// The segments that make up window `w`'s time average `k..=m`.
    pub(crate) fn segments_of(&self, w: usize) -> Range<usize> {
        let window = &self.windows[w];
        let index = |b: usize| self.bounds.partition_point(|&x| x < b);
        index(window.k())..index(window.m() + 1)
    }

    /// What a run with window `w` alone would have reported, from the master run: the same meeting time
    /// and cap flag, stopped at `max(m, τ)`.
    pub(crate) fn window_run(&self, w: usize, master: &LaggedRun) -> LaggedRun {
        let window = &self.windows[w];
        match master.meeting_time {
            Some(tau) if !master.capped => {
                let lag = window.lag();
                LaggedRun {
                    meeting_time: Some(tau),
                    iterations: tau.max(window.m()),
                    cost: lag + 2 * (tau - lag) + window.m().saturating_sub(tau),
                    capped: false,
                }
            }
            _ => *master,
        }
    }
}

/// One point's statistics for every window.
struct WindowAcc {
    /// The leading chain's iteration `t` (of the last `Step` event).
    t: usize,
    /// The time-average states of each segment, coefficient 1.
    segments: Vec<Acc>,
    /// Each window's bias correction (allocated at its first term).
    bias: Vec<Option<Acc>>,
    /// Particles evaluated once the leading chain reached `t`, at index `t − 1`.
    evaluations: Vec<u64>,
}

impl WindowAcc {
    /// Particles evaluated by a run stopped at `t_end ≥ L`. The lagging chain's initial draw (`K`
    /// particles) happens after the leading chain's step `L` and before step `L + 1`.
    fn evaluations_until(&self, t_end: usize, lag: usize, k: usize) -> u64 {
        let at = self.evaluations[t_end - 1];
        if t_end == lag { at + k as u64 } else { at }
    }
}

impl PpcaProblem<'_> {
    /// The coupled batch gradient for every window of `windows` (which must share their lag and cap), from
    /// one run per point to the largest window: estimate `i` is what
    /// [`PpcaProblem::coupled_gradient`] returns with `windows[i]`, the same `kernel`, `k` and `seed` —
    /// the same runs (meeting time, iterations, cost, cap flag) and particle sets exactly, the same
    /// gradient up to the order of floating-point sums. ESS traces are not recorded.
    ///
    /// # Errors
    /// No window, windows with different lags or caps, a cap below `min k + L − 1` (the one run needs a
    /// window of at least `L` iterations), invalid `K` or β, or kernel failures.
    pub fn coupled_gradient_windows(
        &self,
        kernel: CoupledKernelKind,
        k: usize,
        windows: &[LagSettings],
        seed: u64,
    ) -> Result<Vec<BatchGradient>> {
        let plan = WindowPlan::new(windows)?;
        let d = self.model.latent_dim();
        let lag = plan.master().lag();
        let mut points = self
            .run_points_with(
                kernel,
                k,
                plan.master(),
                &[seed],
                || WindowAcc {
                    t: 0,
                    segments: (0..plan.segments()).map(|_| Acc::new(d)).collect(),
                    bias: (0..windows.len()).map(|_| None).collect(),
                    evaluations: Vec::new(),
                },
                |acc, evaluations, ev| match ev {
                    Event::Step { t, .. } => {
                        acc.t = t;
                        acc.evaluations.push(evaluations);
                        Ok(())
                    }
                    Event::Term { state, .. } => match plan.segment_of(acc.t) {
                        Some(s) => sink(
                            &mut acc.segments[s],
                            Event::Term {
                                state,
                                coefficient: 1.0,
                                part: Part::Mcmc,
                            },
                        ),
                        None => Ok(()),
                    },
                    Event::Difference { x, y, .. } => {
                        for (w, window) in windows.iter().enumerate() {
                            if acc.t < window.k() + lag {
                                continue;
                            }
                            let v = window.weight(acc.t);
                            if v == 0 {
                                continue;
                            }
                            let coefficient = v as f64 / (window.m() - window.k() + 1) as f64;
                            let bias = acc.bias[w].get_or_insert_with(|| Acc::new(d));
                            sink(bias, Event::Difference { x, y, coefficient })?;
                        }
                        Ok(())
                    }
                },
            )?
            .pop()
            .unwrap_or_default();
        // Each segment's gradient (coefficient 1), then each window's combination of them.
        let mut segment_gradients = Vec::with_capacity(plan.segments());
        for s in 0..plan.segments() {
            let stats: Vec<PointStats> = points
                .iter_mut()
                .map(|p| {
                    std::mem::replace(&mut p.accumulator.segments[s].stats, PointStats::new(0))
                })
                .collect();
            segment_gradients.push(self.assemble(&stats)?);
        }
        let p = self.model.data_dim();
        let mut out = Vec::with_capacity(windows.len());
        for (w, window) in windows.iter().enumerate() {
            let mut gradient = PpcaGradient::zeros(d, p);
            let inv = 1.0 / (window.m() - window.k() + 1) as f64;
            for s in plan.segments_of(w) {
                gradient.axpy(inv, &segment_gradients[s]);
            }
            if points.iter().any(|p| p.accumulator.bias[w].is_some()) {
                let stats: Vec<PointStats> = points
                    .iter_mut()
                    .map(|p| match p.accumulator.bias[w].take() {
                        Some(acc) => acc.stats,
                        None => PointStats::new(d),
                    })
                    .collect();
                gradient.axpy(1.0, &self.assemble(&stats)?);
            }
            let runs: Vec<LaggedRun> = points.iter().map(|p| plan.window_run(w, &p.run)).collect();
            let evaluations: u64 = points
                .iter()
                .zip(&runs)
                .map(|(p, run)| p.accumulator.evaluations_until(run.iterations, lag, k))
                .sum();
            out.push(BatchGradient {
                gradient,
                runs,
                ess_traces: Vec::new(),
                particle_sets: (evaluations / k as u64) as usize,
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ppca::CoupledSettings;
    use nalgebra::DMatrix;
    use ucg_models::ppca::Ppca;

    fn window(k: usize, m: usize) -> LagSettings {
        LagSettings::new(3, k, m, 400).unwrap()
    }

    #[test]
    fn segments_cover_each_window_exactly() {
        let windows = [window(1, 3), window(2, 9), window(5, 5), window(1, 20)];
        let plan = WindowPlan::new(&windows).unwrap();
        assert_eq!(plan.bounds, [1, 2, 4, 5, 6, 10, 21]);
        assert_eq!((plan.master().k(), plan.master().m()), (1, 20));
        for (w, win) in windows.iter().enumerate() {
            // The iterations of the window's segments are exactly k..=m.
            let covered: Vec<usize> = (0..30)
                .filter(|&t| {
                    plan.segment_of(t)
                        .is_some_and(|s| plan.segments_of(w).contains(&s))
                })
                .collect();
            assert_eq!(covered, (win.k()..=win.m()).collect::<Vec<_>>(), "{win:?}");
        }
        assert_eq!(plan.segment_of(0), None);
        assert_eq!(plan.segment_of(21), None);
    }

    #[test]
    fn a_short_window_set_still_reports_every_pair() {
        // Windows shorter than L: the master run's window is stretched to L iterations.
        let plan = WindowPlan::new(&[window(4, 4), window(5, 6)]).unwrap();
        assert_eq!((plan.master().k(), plan.master().m()), (4, 6));
        for t in 4 + 3..100 {
            assert!(plan.master().weight(t) > 0, "t = {t}");
        }
    }

    #[test]
    fn mismatched_windows_are_refused() {
        assert!(WindowPlan::new(&[]).is_err());
        let other_lag = LagSettings::new(4, 1, 9, 400).unwrap();
        assert!(WindowPlan::new(&[window(1, 3), other_lag]).is_err());
        let other_cap = LagSettings::new(3, 1, 9, 500).unwrap();
        assert!(WindowPlan::new(&[window(1, 3), other_cap]).is_err());
    }

    #[test]
    fn every_window_matches_its_own_run() {
        let model = Ppca::random(3, 8, 0.5, 3).unwrap();
        let encoder = model.posterior_encoder(1.6).unwrap();
        let x = DMatrix::from_fn(8, 5, |i, j| f64::from(u8::from((i + 2 * j) % 3 == 0)));
        let problem = PpcaProblem::new(&model, &encoder, &x).unwrap();
        // k = 0 included (its first pair (X_L, Y_0) is unrelated), and windows shorter than L.
        let windows = [
            window(1, 3),
            window(0, 2),
            window(2, 4),
            window(4, 40),
            window(7, 8),
            window(1, 12),
        ];
        for kernel in [
            CoupledKernelKind::Isir,
            CoupledKernelKind::IsirDisir { beta: 0.0 },
            CoupledKernelKind::IsirDisir { beta: 0.6 },
        ] {
            for seed in [3, 4] {
                let all = problem
                    .coupled_gradient_windows(kernel, 4, &windows, seed)
                    .unwrap();
                for (window, got) in windows.iter().zip(&all) {
                    let settings = CoupledSettings {
                        kernel,
                        k: 4,
                        lag: *window,
                    };
                    let alone = problem.coupled_gradient(&settings, seed).unwrap();
                    assert_eq!(got.runs, alone.runs, "{kernel:?} {window:?}");
                    assert_eq!(got.particle_sets, alone.particle_sets, "{window:?}");
                    let (a, b) = (got.gradient.to_vec(), alone.gradient.to_vec());
                    let scale = b.iter().map(|v| v.abs()).fold(1.0, f64::max);
                    let worst = a
                        .iter()
                        .zip(&b)
                        .map(|(x, y)| (x - y).abs())
                        .fold(0.0, f64::max);
                    assert!(worst <= 1e-10 * scale, "{kernel:?} {window:?}: {worst}");
                }
            }
        }
    }
}
