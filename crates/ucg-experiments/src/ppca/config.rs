//! The settings of a PPCA run: presets (quick, default, full, and tiny for tests) and their validation.

use serde::{Deserialize, Serialize};
use ucg_estimators::LagSettings;
use ucg_estimators::beta::{BetaAdapter, BetaRule};

use super::source::{DataSpec, MnistSplit};
use crate::AnyResult;
pub use crate::beta_choice::{BetaChoice, PilotSettings};

/// Fitting the encoder: IWAE bound with `k` particles, DReG gradients, Adam.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FitSettings {
    /// Particles of the IWAE bound being maximised.
    pub k: usize,
    /// Adam steps.
    pub steps: usize,
    /// Adam's learning rate.
    pub learning_rate: f64,
    /// Fresh estimates of the bound averaged to report it after fitting.
    pub eval_repeats: usize,
}

/// The lagged estimator's settings (the paper's special case `k = t0`, `m = t0 + L − 1`) and the cap.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LagConfig {
    /// First iteration `t0` of the time average.
    pub t0: usize,
    /// The lag `L`.
    pub lag: usize,
    /// Runs stop at this iteration; capped runs are counted and reported.
    pub max_iter: usize,
}

impl LagConfig {
    /// The estimator's validated settings.
    ///
    /// # Errors
    /// Invalid lag, window or cap.
    pub fn settings(&self) -> AnyResult<LagSettings> {
        Ok(LagSettings::paper(self.t0, self.lag, self.max_iter)?)
    }
}

/// β's warm-up for C-ISIR-DISIR: `runs` sequential estimator runs from `beta0`, adapting β between runs
/// (`docs/method.md` §3, the ISIR-DISIR kernel); β is then frozen for all replicates.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WarmupSettings {
    /// Warm-up runs.
    pub runs: usize,
    /// Initial β.
    pub beta0: f64,
    /// The update rule: the paper's (`linear`) or the stable one (`log_complement`, adapting
    /// `ln(1 − β)`; `ucg_estimators::beta`).
    #[serde(default)]
    pub rule: BetaRule,
}

impl WarmupSettings {
    /// The adapter for `K = k` from `beta0` with the configured rule.
    ///
    /// # Errors
    /// Invalid β0 or `K`.
    pub fn adapter(&self, k: usize) -> AnyResult<BetaAdapter> {
        let adapter = match self.rule {
            BetaRule::Linear => BetaAdapter::new(self.beta0, k)?,
            BetaRule::LogComplement => BetaAdapter::stable(self.beta0, k)?,
        };
        Ok(adapter)
    }
}

/// Meeting times against the latent dimension: a PPCA problem per `D` on the first `points` data points,
/// its encoder fitted like the main one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DimensionSweep {
    /// Latent dimensions.
    pub dims: Vec<usize>,
    /// Data points per problem.
    pub points: usize,
    /// Batch runs (each gives one meeting time per point) per kernel and dimension.
    pub replicates: u64,
}

/// The two gradient components shown in figures and tables: `θ0[pixel]` and `θ1[latent, pixel]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Components {
    /// The pixel `p` (row-major in the image).
    pub pixel: usize,
    /// The latent coordinate `d` of the weight component.
    pub latent: usize,
}

impl Components {
    /// Flat index of `θ0[pixel]`.
    pub fn intercept_index(&self) -> usize {
        self.pixel
    }
    /// Flat index of `θ1[latent, pixel]` for data dimension `p` and latent dimension `d`
    /// (`θ0` first, then `θ1` column-major).
    pub fn weight_index(&self, p: usize, d: usize) -> usize {
        p + self.latent + d * self.pixel
    }
    /// Label of the intercept component.
    pub fn intercept_label(&self) -> String {
        format!("θ0[{}]", self.pixel)
    }
    /// Label of the weight component.
    pub fn weight_label(&self) -> String {
        format!("θ1[{}, {}]", self.latent, self.pixel)
    }
}

/// Everything that determines a run's results (two runs with equal settings and shards produce the same
/// files, whatever the number of threads).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Config {
    /// Name of the preset the settings came from (for reports).
    pub preset: String,
    /// Master seed.
    pub seed: u64,
    /// The data points.
    pub data: DataSpec,
    /// Points `N` in the batch.
    pub points: usize,
    /// Latent dimension `D` of the main problem.
    pub latent_dim: usize,
    /// Noise variance `σ²`.
    pub sigma2: f64,
    /// Encoder fit.
    pub fit: FitSettings,
    /// Lagged estimator.
    pub lag: LagConfig,
    /// How C-ISIR-DISIR's β is chosen.
    #[serde(default)]
    pub beta: BetaChoice,
    /// β warm-up (used when `beta` is the ESS rule).
    pub warmup: WarmupSettings,
    /// The main `K` (box plots, inefficiency, meeting-time histograms).
    pub main_k: usize,
    /// The other `K` of the bias and meeting-time sweep.
    pub sweep_ks: Vec<usize>,
    /// Replicates per estimator at the main `K`, and of IWAE at every `K`.
    pub replicates: u64,
    /// Replicates of the coupled estimators at the other `K`.
    pub sweep_replicates: u64,
    /// Meeting times against `D`.
    pub dimension_sweep: DimensionSweep,
    /// Components shown in figures.
    pub components: Components,
    /// Family-wise level of the unbiasedness check over all components (Bonferroni).
    pub alpha: f64,
}

impl Config {
    /// The default preset: the paper's PPCA set-up with a few hundred replicates, under 10 minutes on
    /// 2 cores.
    pub fn default_preset(seed: u64) -> Self {
        Config {
            preset: "default".into(),
            seed,
            data: DataSpec::Mnist {
                split: MnistSplit::Test,
                first: 0,
                binarize_seed: 1,
            },
            points: 100,
            latent_dim: 100,
            sigma2: 0.1,
            fit: FitSettings {
                k: 100,
                steps: 400,
                learning_rate: 1e-3,
                eval_repeats: 10,
            },
            // The cap and β that keep at most 1 % of the replicates truncated at K = 10, D = 100 for both
            // coupled estimators, measured by the β sweep (`--sweep beta`; docs/ppca/beta-sweep): the
            // ESS rule's β ≈ 0.91 truncates almost every replicate whatever the cap, β = 0 has the
            // smallest variance × cost, and C-ISIR's tail needs about 5,000 iterations.
            lag: LagConfig {
                t0: 1,
                lag: 10,
                max_iter: 5000,
            },
            beta: BetaChoice::Fixed(0.0),
            warmup: WarmupSettings {
                runs: 30,
                beta0: 0.5,
                rule: BetaRule::LogComplement,
            },
            main_k: 10,
            sweep_ks: vec![2, 5, 50, 100],
            replicates: 500,
            sweep_replicates: 150,
            dimension_sweep: DimensionSweep {
                dims: vec![10, 50, 100, 300],
                points: 20,
                replicates: 40,
            },
            components: Components {
                pixel: 14 * 28 + 14,
                latent: 0,
            },
            alpha: 1e-3,
        }
    }

    /// The paper's scale: 50,000 replicates per estimator at the main `K` (hours; shard it).
    pub fn full_preset(seed: u64) -> Self {
        Config {
            preset: "full".into(),
            replicates: 50_000,
            sweep_replicates: 5_000,
            dimension_sweep: DimensionSweep {
                replicates: 500,
                ..Self::default_preset(seed).dimension_sweep
            },
            ..Self::default_preset(seed)
        }
    }

    /// A one-minute check of the whole pipeline on synthetic binary data (no download): one small problem
    /// (`N = 50`, `D = 50`, `P = 784`), the main `K = 10` and `K = 2` for IWAE's bias, no dimension sweep
    /// (so a single encoder fit), and enough replicates for the unbiasedness verdict.
    pub fn quick_preset(seed: u64) -> Self {
        Config {
            preset: "quick".into(),
            seed,
            data: DataSpec::Synthetic {
                pixels: 28 * 28,
                on_probability: 0.13,
                seed: 1,
            },
            points: 50,
            latent_dim: 50,
            fit: FitSettings {
                k: 50,
                steps: 300,
                learning_rate: 1e-2,
                eval_repeats: 10,
            },
            sweep_ks: vec![2],
            replicates: 500,
            sweep_replicates: 500,
            dimension_sweep: DimensionSweep {
                dims: Vec::new(),
                points: 1,
                replicates: 0,
            },
            ..Self::default_preset(seed)
        }
    }

    /// A tiny problem on synthetic data (`D = 3`, `P = 20`) for smoke tests: seconds.
    pub fn tiny(seed: u64) -> Self {
        Config {
            preset: "tiny".into(),
            seed,
            data: DataSpec::Synthetic {
                pixels: 20,
                on_probability: 0.3,
                seed: 5,
            },
            points: 5,
            latent_dim: 3,
            sigma2: 0.1,
            fit: FitSettings {
                k: 10,
                steps: 20,
                learning_rate: 1e-2,
                eval_repeats: 2,
            },
            lag: LagConfig {
                t0: 1,
                lag: 10,
                max_iter: 200,
            },
            beta: BetaChoice::Ess,
            warmup: WarmupSettings {
                runs: 3,
                beta0: 0.5,
                rule: BetaRule::LogComplement,
            },
            main_k: 5,
            sweep_ks: vec![2],
            replicates: 3,
            sweep_replicates: 3,
            dimension_sweep: DimensionSweep {
                dims: vec![2, 3],
                points: 3,
                replicates: 2,
            },
            components: Components {
                pixel: 10,
                latent: 0,
            },
            alpha: 1e-3,
        }
    }

    /// Data dimension `P`.
    pub fn pixels(&self) -> usize {
        self.data.pixels()
    }

    /// Every `K` of the sweep, the main one included, ascending.
    pub fn all_ks(&self) -> Vec<usize> {
        let mut ks = self.sweep_ks.clone();
        ks.push(self.main_k);
        ks.sort_unstable();
        ks.dedup();
        ks
    }

    /// Gradient components `P + D·P` of the main problem.
    pub fn components_count(&self) -> usize {
        self.pixels() * (1 + self.latent_dim)
    }

    /// Checks the settings before any work.
    ///
    /// # Errors
    /// One message naming the first bad setting.
    pub fn validate(&self) -> AnyResult<()> {
        let p = self.pixels();
        let fail = |m: String| -> AnyResult<()> { Err(m.into()) };
        if self.points == 0 || self.latent_dim == 0 || p == 0 {
            return fail("the batch, the latent and the data dimensions must be positive".into());
        }
        if !(self.sigma2 > 0.0 && self.sigma2.is_finite()) {
            return fail(format!("σ² must be positive, got {}", self.sigma2));
        }
        if self.fit.k == 0 || self.fit.eval_repeats == 0 {
            return fail("the encoder fit needs K ≥ 1 and at least one evaluation".into());
        }
        if self.all_ks().iter().any(|&k| k < 2) {
            return fail(format!(
                "every K must be at least 2 (the coupled kernels need two particles), got {:?}",
                self.all_ks()
            ));
        }
        if self.replicates < 2 || self.sweep_replicates < 2 {
            return fail(format!(
                "need at least 2 replicates per estimator for standard errors, got {} and {}",
                self.replicates, self.sweep_replicates
            ));
        }
        if self.components.pixel >= p || self.components.latent >= self.latent_dim {
            return fail(format!(
                "the shown components {} and {} do not exist for P = {p}, D = {}",
                self.components.intercept_label(),
                self.components.weight_label(),
                self.latent_dim
            ));
        }
        let sweep = &self.dimension_sweep;
        if sweep.dims.contains(&0) || sweep.points == 0 || sweep.points > self.points {
            return fail(format!(
                "the dimension sweep needs positive D and 1..={} points, got {:?} and {}",
                self.points, sweep.dims, sweep.points
            ));
        }
        if !(self.alpha > 0.0 && self.alpha < 1.0) {
            return fail(format!("alpha must lie in (0, 1), got {}", self.alpha));
        }
        let in_range = |b: &f64| (0.0..1.0).contains(b);
        match &self.beta {
            BetaChoice::Ess => {}
            BetaChoice::Fixed(b) if in_range(b) => {}
            BetaChoice::Pilot(p)
                if p.replicates >= 2
                    && !p.candidates.is_empty()
                    && p.candidates.iter().all(in_range) => {}
            other => {
                return fail(format!(
                    "β must be the ESS rule, a number in [0, 1), or a pilot over candidates in [0, 1) with at \
                     least 2 replicates, got {other:?}"
                ));
            }
        }
        if !(0.0..1.0).contains(&self.warmup.beta0) {
            return fail(format!("β0 must lie in [0, 1), got {}", self.warmup.beta0));
        }
        self.lag.settings()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_are_valid_and_differ_only_in_size() {
        for c in [
            Config::quick_preset(1),
            Config::default_preset(1),
            Config::full_preset(1),
            Config::tiny(1),
        ] {
            c.validate().unwrap();
        }
        // The quick preset: one encoder fit (no dimension sweep), K = 2 for IWAE's bias, and enough
        // replicates in every checked cell for a verdict.
        let q = Config::quick_preset(1);
        assert!(q.dimension_sweep.dims.is_empty() && q.all_ks() == vec![2, 10]);
        let fewest = q.replicates.min(q.sweep_replicates);
        assert!(fewest >= crate::ppca::verdict::MIN_REPLICATES_FOR_VERDICT);
        let (d, f) = (Config::default_preset(1), Config::full_preset(1));
        assert_eq!(f.replicates, 50_000);
        assert_eq!((&d.fit, d.lag, d.all_ks()), (&f.fit, f.lag, f.all_ks()));
        assert_eq!(d.all_ks(), vec![2, 5, 10, 50, 100]);
        assert_eq!(d.components_count(), 784 * 101);
    }

    #[test]
    fn bad_settings_are_reported() {
        let mut c = Config::tiny(1);
        c.sweep_ks = vec![1];
        assert!(c.validate().unwrap_err().to_string().contains("at least 2"));
        let mut c = Config::tiny(1);
        c.components.pixel = 20;
        assert!(c.validate().is_err());
        let mut c = Config::tiny(1);
        c.replicates = 1;
        assert!(c.validate().is_err());
        for beta in [
            BetaChoice::Fixed(1.0),
            BetaChoice::Fixed(f64::NAN),
            BetaChoice::Pilot(PilotSettings {
                candidates: vec![],
                replicates: 5,
            }),
            BetaChoice::Pilot(PilotSettings {
                replicates: 1,
                ..PilotSettings::standard()
            }),
        ] {
            let c = Config {
                beta,
                ..Config::tiny(1)
            };
            assert!(c.validate().is_err(), "{:?}", c.beta);
        }
    }

    #[test]
    fn weight_index_follows_the_flattening() {
        let c = Components {
            pixel: 2,
            latent: 1,
        };
        // θ1 is D × P column-major after θ0 (P = 4, D = 3): θ1[1, 2] is at 4 + 1 + 3·2.
        assert_eq!(c.weight_index(4, 3), 11);
    }
}
