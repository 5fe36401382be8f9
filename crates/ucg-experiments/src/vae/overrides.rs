//! Changes to a preset's settings, one per command-line flag of `reproduce vae`, so a protocol between
//! the presets (another model size, learning rate or length) needs no code.
//!
//! Every field left at `None` keeps the preset's value. The overridden settings are a study of their own:
//! they are written to the folder's `config.json` and enter every run's identity, so a folder is resumed
//! only with the same overrides.
//!
//! # Example
//! ```
//! use ucg_experiments::vae::{config::Config, overrides::Overrides};
//!
//! # fn main() -> ucg_experiments::AnyResult<()> {
//! let tiny = Overrides { latent: Some(2), hidden: Some(20), ..Overrides::default() };
//! let config = tiny.apply(Config::small_preset(2021))?;
//! assert_eq!((config.blocks[0].latent, config.hidden), (2, 20));
//! // The paper's protocol has three latent dimensions: one `--latent` cannot replace them.
//! assert!(tiny.apply(Config::full_preset(2021)).is_err());
//! # Ok(()) }
//! ```

use super::config::Config;
use crate::AnyResult;

/// Settings that replace a preset's (`None`: keep the preset's).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Overrides {
    /// Latent dimension `D` (only for presets with one block).
    pub latent: Option<usize>,
    /// Hidden width of the encoder's and decoder's layers.
    pub hidden: Option<usize>,
    /// Train on the first this many training images only.
    pub train_subset: Option<usize>,
    /// RMSProp's learning rate of the pretrain (and of runs that have no continuation rate).
    pub learning_rate: Option<f64>,
    /// RMSProp's learning rate of the runs continued from the pretrain.
    pub continuation_learning_rate: Option<f64>,
    /// Epochs of IWAE pretraining.
    pub pretrain_epochs: Option<usize>,
    /// Epochs of each estimator's run.
    pub epochs: Option<usize>,
    /// SGD steps per epoch of each estimator's run.
    pub steps_per_epoch: Option<usize>,
    /// Test images of the final IWAE-k evaluation (and of the per-epoch training curves).
    pub test_points: Option<usize>,
    /// Training images of the IWAE-k evaluation on training images (0: none).
    pub train_points: Option<usize>,
    /// Drop the IWAE run continued for C-ISIR-DISIR's wall time (it costs as much time as the coupled
    /// run itself).
    pub no_same_wall_time: bool,
}

impl Overrides {
    /// Whether nothing is overridden.
    pub fn is_empty(&self) -> bool {
        *self == Overrides::default()
    }

    /// `config` with the overrides applied to every block, then checked by [`Config::validate`].
    ///
    /// # Errors
    /// `latent` for a preset of several blocks (they would become copies of one another), and whatever
    /// [`Config::validate`] refuses (zero epochs, a non-positive learning rate, …).
    pub fn apply(&self, mut config: Config) -> AnyResult<Config> {
        if let Some(latent) = self.latent {
            if config.blocks.len() != 1 {
                return Err(format!(
                    "--latent replaces the latent dimension of a one-block preset; preset `{}` has {} \
                     blocks (run one shard per block instead)",
                    config.preset,
                    config.blocks.len()
                )
                .into());
            }
            config.blocks[0].latent = latent;
        }
        if self.train_subset == Some(0) {
            return Err("--train-subset must be at least 1 image".into());
        }
        if let Some(points) = self.test_points {
            config.eval.iwae_points = points;
            config.curve_points = points;
            config.eval.ais_points = config.eval.ais_points.min(points);
        }
        config.eval.train_points = self.train_points.unwrap_or(config.eval.train_points);
        config.hidden = self.hidden.unwrap_or(config.hidden);
        config.train_subset = self.train_subset.or(config.train_subset);
        config.learning_rate = self.learning_rate.unwrap_or(config.learning_rate);
        for block in &mut config.blocks {
            block.pretrain_epochs = self.pretrain_epochs.unwrap_or(block.pretrain_epochs);
            block.epochs = self.epochs.unwrap_or(block.epochs);
            block.steps_per_epoch = self.steps_per_epoch.or(block.steps_per_epoch);
            block.continuation_learning_rate = self
                .continuation_learning_rate
                .or(block.continuation_learning_rate);
            block.same_wall_time &= !self.no_same_wall_time;
        }
        config.validate()?;
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_lands_in_every_block_and_nothing_else_changes() {
        let o = Overrides {
            hidden: Some(50),
            train_subset: Some(5000),
            learning_rate: Some(2e-3),
            continuation_learning_rate: Some(1e-4),
            pretrain_epochs: Some(7),
            epochs: Some(3),
            steps_per_epoch: Some(11),
            test_points: Some(300),
            train_points: Some(200),
            no_same_wall_time: true,
            latent: None,
        };
        let base = Config::full_preset(5);
        let c = o.apply(base.clone()).unwrap();
        assert_eq!(
            (c.hidden, c.train_subset, c.learning_rate),
            (50, Some(5000), 2e-3)
        );
        assert_eq!(
            (c.eval.iwae_points, c.curve_points, c.eval.ais_points),
            (300, 300, 100)
        );
        assert_eq!(c.eval.train_points, 200);
        for (b, before) in c.blocks.iter().zip(&base.blocks) {
            assert_eq!(
                (b.pretrain_epochs, b.epochs, b.steps_per_epoch),
                (7, 3, Some(11))
            );
            assert_eq!(b.continuation_learning_rate, Some(1e-4));
            assert!(!b.same_wall_time);
            assert_eq!(
                (b.latent, &b.estimators),
                (before.latent, &before.estimators)
            );
        }
        assert_eq!(
            (c.k, c.batch, c.cap, &c.seeds),
            (base.k, base.batch, base.cap, &base.seeds)
        );
        assert!(Overrides::default().is_empty() && !o.is_empty());
        let small = Config::small_preset(5);
        assert!(small.blocks[0].same_wall_time);
        assert!(!o.apply(small).unwrap().blocks[0].same_wall_time);
        assert_eq!(Overrides::default().apply(base.clone()).unwrap(), base);
    }

    #[test]
    fn impossible_settings_are_refused_with_the_flag_named() {
        let refused = |o: Overrides, preset: Config, words: &str| {
            let e = o.apply(preset).unwrap_err().to_string();
            assert!(e.contains(words), "{e}");
        };
        let latent = Overrides {
            latent: Some(3),
            ..Overrides::default()
        };
        refused(latent.clone(), Config::full_preset(1), "--latent");
        assert_eq!(
            latent.apply(Config::small_preset(1)).unwrap().blocks[0].latent,
            3
        );
        let subset = Overrides {
            train_subset: Some(0),
            ..Overrides::default()
        };
        refused(subset, Config::small_preset(1), "--train-subset");
        let too_many = Overrides {
            train_subset: Some(100),
            train_points: Some(101),
            ..Overrides::default()
        };
        refused(too_many, Config::small_preset(1), "first 100");
        let epochs = Overrides {
            epochs: Some(0),
            ..Overrides::default()
        };
        refused(epochs, Config::small_preset(1), "epochs");
        let rate = Overrides {
            continuation_learning_rate: Some(-1e-4),
            ..Overrides::default()
        };
        refused(rate, Config::small_preset(1), "learning rate");
    }
}
