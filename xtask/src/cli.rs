//! The command-line interface (clap): `reproduce ppca`, `train vae`, `merge`, `data`.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use clap::{Args, Parser, Subcommand, ValueEnum};
use serde::{Deserialize, Serialize};

use crate::AnyResult;

/// Project tasks for the ucg workspace.
#[derive(Debug, Parser)]
#[command(name = "cargo xtask", version, about)]
pub struct Cli {
    /// The task to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The tasks.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Reproduce one of the paper's experiments, writing results, figures and a report.
    Reproduce {
        /// The experiment.
        #[command(subcommand)]
        experiment: Experiment,
    },
    /// Train a model.
    Train {
        /// The model.
        #[command(subcommand)]
        model: TrainModel,
    },
    /// Merge the output folders of the shards of one run (`--shard i/n`) and regenerate the summary,
    /// the report and the figures.
    Merge(MergeArgs),
    /// Find or fetch a data set (mnist, fashion-mnist or cifar10), verify it, and print where it is.
    Data {
        /// mnist, fashion-mnist or cifar10.
        which: String,
    },
}

/// The experiments of `reproduce`.
#[derive(Debug, Subcommand)]
pub enum Experiment {
    /// PPCA on binarised MNIST: unbiasedness of the coupled gradient estimators against the exact
    /// gradient, bias of IWAE against K, meeting times against K and D, inefficiency.
    Ppca(PpcaArgs),
}

/// Options of `reproduce ppca`.
#[derive(Debug, Clone, Args)]
pub struct PpcaArgs {
    /// Output folder (created; an existing one from the same settings is resumed).
    #[arg(long, default_value = "results/ppca")]
    pub out: PathBuf,
    /// The paper's scale: 50,000 replicates per estimator (resumable and shardable; hours).
    #[arg(long)]
    pub full: bool,
    /// Replicates of each estimator at the main K, and of IWAE at every K (overrides the preset).
    #[arg(long, value_name = "R")]
    pub replicates: Option<u64>,
    /// Replicates of the coupled estimators at the other K of the sweep (overrides the preset).
    #[arg(long, value_name = "R")]
    pub sweep_replicates: Option<u64>,
    /// Master seed: the model, the encoder fit, β's warm-up and every replicate derive from it.
    #[arg(long, value_name = "S", default_value_t = 2021)]
    pub seed: u64,
    /// Run only shard i of n (0-based): a disjoint range of every estimator's replicates; merge the
    /// shards' folders with `cargo xtask merge`.
    #[arg(long, value_name = "i/n", default_value = "0/1")]
    pub shard: Shard,
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long, value_name = "T")]
    pub threads: Option<usize>,
}

/// The models of `train`.
#[derive(Debug, Subcommand)]
pub enum TrainModel {
    /// The MLP VAE on binarised MNIST (784-200-200-D, Bernoulli decoder), θ by the chosen estimator, the
    /// encoder by IWAE with DReG; writes metrics.csv, checkpoint.bin and model.bin to --out.
    Vae(TrainVaeArgs),
}

/// θ's gradient estimator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum EstimatorArg {
    /// The ELBO averaged over K particles.
    Elbo,
    /// The IWAE bound with K particles.
    Iwae,
}

/// The optimiser.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OptimizerArg {
    /// RMSProp with PyTorch's defaults (α 0.99, ε 1e-8), the paper's.
    Rmsprop,
    /// Adam (β 0.9, 0.999; ε 1e-8).
    Adam,
}

/// How MNIST's grey levels become bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum BinarizationArg {
    /// One fixed draw per pixel (seed --binarize-seed).
    Static,
    /// A fresh draw every time an image is used.
    Dynamic,
}

/// Options of `train vae`.
#[derive(Debug, Clone, Args)]
pub struct TrainVaeArgs {
    /// θ's gradient estimator.
    #[arg(long, value_enum)]
    pub estimator: EstimatorArg,
    /// Latent dimension D.
    #[arg(long, value_name = "D")]
    pub latent: usize,
    /// Total epochs (a resumed run continues up to this count).
    #[arg(long, value_name = "N")]
    pub epochs: usize,
    /// Train on the first M training images only.
    #[arg(long, value_name = "M")]
    pub subset: Option<usize>,
    /// Continue the run whose checkpoint is in --out (same settings).
    #[arg(long)]
    pub resume: bool,
    /// Output folder.
    #[arg(long)]
    pub out: PathBuf,
    /// Particles per data point K.
    #[arg(long, default_value_t = 10)]
    pub k: usize,
    /// Minibatch size.
    #[arg(long, default_value_t = 100)]
    pub batch: usize,
    /// Learning rate of both optimisers.
    #[arg(long, default_value_t = 5e-4)]
    pub lr: f64,
    /// Optimiser.
    #[arg(long, value_enum, default_value = "rmsprop")]
    pub optimizer: OptimizerArg,
    /// Binarisation of the training images.
    #[arg(long, value_enum, default_value = "static")]
    pub binarization: BinarizationArg,
    /// Seed of the static binarisation.
    #[arg(long, default_value_t = 1)]
    pub binarize_seed: u64,
    /// Master seed (initial parameters, minibatch order, noise).
    #[arg(long, default_value_t = 2021)]
    pub seed: u64,
    /// Test images (the first ones) for the per-epoch test bound.
    #[arg(long, default_value_t = 1000)]
    pub test_points: usize,
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long, value_name = "T")]
    pub threads: Option<usize>,
}

/// Options of `merge`.
#[derive(Debug, Clone, Args)]
pub struct MergeArgs {
    /// The shards' output folders.
    #[arg(required = true, value_name = "SHARD_DIR")]
    pub shards: Vec<PathBuf>,
    /// Folder for the merged results, summary, report and figures.
    #[arg(long)]
    pub out: PathBuf,
}

/// Shard `index` of `count`: `0 ≤ index < count`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Shard {
    /// 0-based index.
    pub index: u64,
    /// Number of shards.
    pub count: u64,
}

impl Shard {
    /// The whole run as one shard.
    pub const WHOLE: Shard = Shard { index: 0, count: 1 };

    /// This shard's part `first..end` of replicates `0..total`: contiguous, disjoint across shards,
    /// covering `0..total` together.
    pub fn range(&self, total: u64) -> (u64, u64) {
        let at = |i: u64| (u128::from(total) * u128::from(i) / u128::from(self.count)) as u64;
        (at(self.index), at(self.index + 1))
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for Shard {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("expected i/n with 0 ≤ i < n (for example 0/4), got {s:?}");
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let index: u64 = i.trim().parse().map_err(|_| bad())?;
        let count: u64 = n.trim().parse().map_err(|_| bad())?;
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

/// Sizes rayon's global pool (once, before any parallel work).
pub fn set_threads(threads: Option<usize>) -> AnyResult<()> {
    match threads {
        Some(0) => Err("--threads must be at least 1".into()),
        Some(t) => rayon::ThreadPoolBuilder::new()
            .num_threads(t)
            .build_global()
            .map_err(|e| format!("cannot start {t} threads: {e}").into()),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_parse_and_partition_replicates() {
        let s: Shard = "1/3".parse().unwrap();
        assert_eq!(s, Shard { index: 1, count: 3 });
        assert_eq!(s.to_string(), "1/3");
        for bad in ["3/3", "1", "a/2", "0/0", "-1/2"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
        let mut covered = Vec::new();
        for index in 0..3 {
            let (a, b) = Shard { index, count: 3 }.range(10);
            covered.extend(a..b);
        }
        assert_eq!(covered, (0..10).collect::<Vec<_>>());
        assert_eq!(Shard::WHOLE.range(7), (0, 7));
    }

    #[test]
    fn command_line_parses() {
        let cli = Cli::try_parse_from([
            "xtask",
            "reproduce",
            "ppca",
            "--replicates",
            "5",
            "--shard",
            "2/4",
            "--out",
            "x",
        ])
        .unwrap();
        match cli.command {
            Command::Reproduce {
                experiment: Experiment::Ppca(a),
            } => {
                assert_eq!(a.replicates, Some(5));
                assert_eq!(a.shard, Shard { index: 2, count: 4 });
                assert_eq!(a.out, PathBuf::from("x"));
                assert!(!a.full);
            }
            other => panic!("{other:?}"),
        }
        assert!(Cli::try_parse_from(["xtask", "reproduce", "ppca", "--shard", "4/4"]).is_err());
        assert!(Cli::try_parse_from(["xtask", "merge", "--out", "m"]).is_err());
    }
}
