//! The command-line interface (clap): `reproduce ppca`, `reproduce vae`, `train vae`, `eval vae`,
//! `merge`, `data`.
//!
//! Only parsing lives here; the commands are carried out by [`crate::ppca`], [`crate::train`] and
//! [`crate::data`].

use std::path::PathBuf;

use crate::AnyResult;
use clap::{Args, Parser, Subcommand, ValueEnum};
use ucg_experiments::beta_choice::BetaChoice;
use ucg_experiments::shard::Shard;
use ucg_train::vae::{BetaPolicy, EstimatorKind};

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
    /// Estimate a trained model's test log-likelihood.
    Eval {
        /// The model.
        #[command(subcommand)]
        model: EvalModel,
    },
    /// Merge the output folders of the shards of one run (`--shard i/n`) and regenerate the summary,
    /// the report and the figures.
    Merge(MergeArgs),
    /// Fetch (mnist, fashion-mnist) or locate (cifar10, supplied by the user) a data set, verify it, and
    /// print where it is.
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
    /// The VAE on binarised MNIST: ELBO, IWAE and the unbiased coupled gradients (C-ISIR-DISIR,
    /// C-ISIR), test log-likelihood by IWAE-5,000 and AIS with paired differences, meeting times, cost
    /// (the paper's Table 1; protocol in docs/vae/README.md).
    Vae(VaeArgs),
    /// The coupled θ-gradient's variance × cost on one converged VAE and one minibatch, lever by lever
    /// (K, L, the window (k, m), β, the kernel), relative to K = 10, L = 10, (1, 10), β = 0; resumable.
    VaeEfficiency(VaeEfficiencyArgs),
    /// Every θ-gradient estimator (ELBO, IWAE-K up to the coupled step's cost, SUMO, C-ISIR-DISIR,
    /// C-ISIR) against a reference gradient, on snapshots of one IWAE training run (D = 20): bias²,
    /// variance, cost and the break-even steps against IWAE-10; resumable.
    VaeGradients(VaeGradientsArgs),
}

/// Options of `reproduce vae-gradients`.
#[derive(Debug, Clone, Args)]
pub struct VaeGradientsArgs {
    /// The epochs of IWAE training after which the estimators are measured (ascending).
    #[arg(long, value_delimiter = ',', default_values_t = [1, 5, 20, 50, 100])]
    pub epochs: Vec<usize>,
    /// Draws per estimator (at least 8).
    #[arg(long, default_value_t = 64)]
    pub draws: usize,
    /// Particles of the SNIS reference gradient (at least 1,000).
    #[arg(long, default_value_t = 2000)]
    pub reference_particles: usize,
    /// Draws of the reference (at least 3).
    #[arg(long, default_value_t = 8)]
    pub reference_draws: usize,
    /// Seed of the draws.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Output folder (created; an earlier run of the study there is resumed).
    #[arg(long, default_value = "results/vae-gradients")]
    pub out: PathBuf,
    /// Worker threads (default: all cores). Results do not depend on it; the seconds do.
    #[arg(long)]
    pub threads: Option<usize>,
}

/// Options of `reproduce vae-efficiency`.
#[derive(Debug, Clone, Args)]
pub struct VaeEfficiencyArgs {
    /// The converged model: a `.npz` parameter file in the JAX layout (784 pixels, two hidden layers).
    #[arg(long)]
    pub params: PathBuf,
    /// Draws of the coupled gradient per configuration (at least 8).
    #[arg(long, default_value_t = 32)]
    pub draws: usize,
    /// Seed of the first draw.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Output folder (created; an earlier run of the study there is resumed).
    #[arg(long, default_value = "results/vae-efficiency")]
    pub out: PathBuf,
    /// Worker threads (default: all cores). Results do not depend on it; the seconds do.
    #[arg(long)]
    pub threads: Option<usize>,
}

/// Options of `reproduce vae`.
#[derive(Debug, Clone, Args)]
pub struct VaeArgs {
    /// Output folder (created; an existing one from the same settings is resumed); by default
    /// `results/vae` for the default preset and `results/vae-<preset>` for the others.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// quick (seconds, synthetic images, no download), default (MNIST D = 20: IWAE pretrain then each
    /// estimator continued for 100 steps; about an hour on 2 cores), small (MNIST D = 5, hidden width 100:
    /// a long pretrain, then 600 steps at a smaller learning rate), refine (MNIST D = 20: every estimator,
    /// SUMO and the cost-matched IWAE included, refining a 100-epoch IWAE model for 3,000 steps; two seeds,
    /// hours) or full (the paper's protocol; days, shardable).
    #[arg(long, value_enum, default_value_t = VaePreset::Default)]
    pub preset: VaePreset,
    /// The same as `--preset full`.
    #[arg(long, conflicts_with = "preset")]
    pub full: bool,
    /// C-ISIR-DISIR's β: `ess` (the ESS = 0.3 K rule, adapted between steps from 0.9), a number in
    /// [0, 1) for every step, or `pilot` (per run, on the model it starts from: 6 coupled gradients of 25
    /// points at each β of {0, 0.5, 0.9}; the smallest measured variance × cost wins and stays fixed).
    /// Default: the preset's (0 for default and small, from the measured meeting times; ess, the paper's
    /// rule, for quick and full).
    #[arg(long, value_name = "ess|VALUE|pilot", allow_negative_numbers = true, value_parser = clap::value_parser!(BetaChoice))]
    pub beta: Option<BetaChoice>,
    /// A folder (merged, or kept with `merge --records-only`) holding the coupled run that this
    /// shard's same-wall-time runs are timed against, when another shard ran it: its probes
    /// (`timings.json`) and step records fix their length.
    #[arg(long, value_name = "DIR")]
    pub timings_from: Option<PathBuf>,
    /// Changes to the preset's settings.
    #[command(flatten)]
    pub overrides: VaeOverrideArgs,
    /// Seed, shard and threads.
    #[command(flatten)]
    pub run: RunOptions,
}

/// Flags that replace one setting of a `reproduce vae` preset (each applies to every block of the
/// preset; `--latent` only to one-block presets). The settings used are in the folder's `config.json`.
#[derive(Debug, Clone, Default, Args)]
pub struct VaeOverrideArgs {
    /// Latent dimension D.
    #[arg(long, value_name = "D", allow_negative_numbers = true, value_parser = clap::value_parser!(u64).range(1..))]
    pub latent: Option<u64>,
    /// Hidden width of the encoder's and decoder's two layers.
    #[arg(long, value_name = "H", allow_negative_numbers = true, value_parser = clap::value_parser!(u64).range(1..))]
    pub hidden: Option<u64>,
    /// Train on the first N training images only.
    #[arg(long, value_name = "N", allow_negative_numbers = true, value_parser = clap::value_parser!(u64).range(1..))]
    pub train_subset: Option<u64>,
    /// RMSProp's learning rate of the pretrain.
    #[arg(long, value_name = "RATE", allow_negative_numbers = true, value_parser = positive_rate)]
    pub learning_rate: Option<f64>,
    /// RMSProp's learning rate of the runs continued from the pretrain.
    #[arg(long, value_name = "RATE", allow_negative_numbers = true, value_parser = positive_rate)]
    pub continuation_lr: Option<f64>,
    /// Epochs of IWAE pretraining.
    #[arg(long, value_name = "E", allow_negative_numbers = true, value_parser = whole_number)]
    pub pretrain_epochs: Option<u64>,
    /// Epochs of each estimator's run.
    #[arg(long, value_name = "E", allow_negative_numbers = true, value_parser = clap::value_parser!(u64).range(1..))]
    pub epochs: Option<u64>,
    /// SGD steps per epoch of each estimator's run.
    #[arg(long, value_name = "S", allow_negative_numbers = true, value_parser = clap::value_parser!(u64).range(1..))]
    pub steps_per_epoch: Option<u64>,
    /// Test images of the final IWAE evaluation and of the training curves.
    #[arg(long, value_name = "N", allow_negative_numbers = true, value_parser = clap::value_parser!(u64).range(1..))]
    pub test_points: Option<u64>,
    /// Also evaluate the IWAE bound on the first N training images (the log-likelihood the gradients are
    /// gradients of; 0: not).
    #[arg(long, value_name = "N", allow_negative_numbers = true, value_parser = whole_number)]
    pub train_points: Option<u64>,
    /// Leave out the IWAE run continued for C-ISIR-DISIR's wall time (it takes as long as that run).
    #[arg(long)]
    pub no_same_time: bool,
}

fn positive_rate(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(r) if r.is_finite() && r > 0.0 => Ok(r),
        _ => Err(format!("expected a positive learning rate, got {s}")),
    }
}

/// The presets of `reproduce vae` (`ucg_experiments::vae::config::Config`'s).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum VaePreset {
    /// Seconds: synthetic images, a tiny model.
    Quick,
    /// MNIST, D = 20: IWAE pretrain, each estimator continued for 100 steps (about an hour).
    Default,
    /// MNIST, D = 5, hidden width 100: 50 pretraining epochs, then 600 steps at a smaller learning rate.
    Small,
    /// MNIST, D = 20: 100 IWAE epochs, then 3,000 steps at 1e-4 by ELBO, IWAE-10, SUMO, C-ISIR-DISIR,
    /// C-ISIR, the cost-matched IWAE-590 and IWAE-10 for the coupled run's time; two seeds (hours:
    /// shardable, resumable).
    Refine,
    /// The paper's protocol.
    Full,
}

/// The sizes of a PPCA run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Preset {
    /// About a minute on synthetic data (no download): one small problem, K ∈ {2, 10}, no dimension
    /// sweep.
    Quick,
    /// The paper's set-up on MNIST with a few hundred replicates (minutes).
    Default,
    /// The paper's scale: 50,000 replicates per estimator (hours; resumable and shardable).
    Full,
}

/// The options every study shares: master seed, shard, threads.
#[derive(Debug, Clone, Args)]
pub struct RunOptions {
    /// Master seed: everything the study draws derives from it.
    #[arg(long, value_name = "S", default_value_t = 2021, allow_negative_numbers = true,
          value_parser = whole_number)]
    pub seed: u64,
    /// Run only shard i of n (0-based), a disjoint part of the study (PPCA: of every estimator's
    /// replicates; VAE: of its runs); merge the shards' folders with `cargo xtask merge`.
    #[arg(
        long,
        value_name = "i/n",
        default_value = "0/1",
        allow_hyphen_values = true
    )]
    pub shard: Shard,
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long, value_name = "T", allow_negative_numbers = true, value_parser = thread_count)]
    pub threads: Option<usize>,
}

/// Options of `reproduce ppca`.
#[derive(Debug, Clone, Args)]
pub struct PpcaArgs {
    /// Output folder (created; an existing one from the same settings is resumed); by default
    /// `results/ppca` for the default preset's study, and a folder of its own for every other preset and
    /// sweep (`results/ppca-quick`, `results/ppca-beta-sweep`, `results/ppca-tails-quick`, …).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// The size of the run: quick (about a minute, synthetic data, no download), default (MNIST, a few
    /// hundred replicates, minutes) or full (the paper's 50,000 replicates; hours).
    #[arg(long, value_enum, default_value_t = Preset::Default)]
    pub preset: Preset,
    /// The same as `--preset full`.
    #[arg(long, conflicts_with = "preset")]
    pub full: bool,
    /// Replicates of each estimator at the main K, and of IWAE at every K (overrides the preset).
    #[arg(long, value_name = "R", allow_negative_numbers = true, value_parser = whole_number)]
    pub replicates: Option<u64>,
    /// Replicates of the coupled estimators at the other K of the sweep (overrides the preset).
    #[arg(long, value_name = "R", allow_negative_numbers = true, value_parser = whole_number)]
    pub sweep_replicates: Option<u64>,
    /// Seed, shard and threads.
    #[command(flatten)]
    pub run: RunOptions,
    /// C-ISIR-DISIR's β: `ess` (the ESS = 0.3 K rule's warm-up, then frozen), a number in [0, 1) for
    /// every K and D, or `pilot` (a short pilot per K and D keeps the candidate of {0, 0.3, 0.5, 0.7, 0.9}
    /// with the smallest measured variance × cost). Default: the preset's (0, from the β sweep).
    #[arg(long, value_name = "ess|VALUE|pilot", allow_negative_numbers = true, value_parser = clap::value_parser!(BetaChoice))]
    pub beta: Option<BetaChoice>,
    /// Run a sweep instead of the study, into its own --out folder (resumable like the study):
    /// `beta` runs C-ISIR-DISIR at the main K and D for β ∈ {0, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95} and the ESS
    /// rule's β, next to C-ISIR (--replicates sets its replicates per point); `window` runs both coupled
    /// estimators for a grid of windows (k, m) of H_{k:m} (--replicates per estimator, --longest);
    /// `tails` counts both coupled estimators' meeting times per data point (--replicates batch runs).
    #[arg(long, value_enum, value_name = "WHAT")]
    pub sweep: Option<SweepArg>,
    /// `--sweep window`: the largest m of the grid (default 2,000).
    #[arg(long, value_name = "M", allow_negative_numbers = true, value_parser = whole_number)]
    pub longest: Option<u64>,
}

/// The sweeps of `reproduce ppca --sweep`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SweepArg {
    /// C-ISIR-DISIR against β: meeting times, truncation, total variance, cost, variance × cost.
    Beta,
    /// Both coupled estimators against the window (k, m) of H_{k:m}: k at t0 and at quantiles of τ from a
    /// pilot, m = k + L − 1 and multiples of k; total variance, cost, variance × cost, unbiasedness check.
    Window,
    /// Meeting-time tails by data point for both coupled estimators (meeting times only): survival curves,
    /// the worst points, and each point's encoder gap KL(q ‖ posterior).
    Tails,
}

/// The models of `train`.
#[derive(Debug, Subcommand)]
pub enum TrainModel {
    /// The MLP VAE on binarised MNIST (784-200-200-D, Bernoulli decoder), θ by the chosen estimator, the
    /// encoder by IWAE with DReG; writes metrics.csv, checkpoint.bin and model.bin to --out.
    Vae(TrainVaeArgs),
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
    pub estimator: EstimatorKind,
    /// Latent dimension D.
    #[arg(long, value_name = "D", allow_negative_numbers = true, value_parser = whole_usize)]
    pub latent: usize,
    /// Total epochs (a resumed run continues up to this count).
    #[arg(long, value_name = "N", allow_negative_numbers = true, value_parser = at_least_one)]
    pub epochs: usize,
    /// Train on the first M training images only.
    #[arg(long, value_name = "M", allow_negative_numbers = true, value_parser = whole_usize)]
    pub subset: Option<usize>,
    /// Continue the run whose checkpoint is in --out (same settings).
    #[arg(long)]
    pub resume: bool,
    /// Output folder.
    #[arg(long)]
    pub out: PathBuf,
    /// Particles per data point K.
    #[arg(long, default_value_t = 10, allow_negative_numbers = true, value_parser = whole_usize)]
    pub k: usize,
    /// Minibatch size.
    #[arg(long, default_value_t = 100, allow_negative_numbers = true, value_parser = whole_usize)]
    pub batch: usize,
    /// Learning rate of both optimisers.
    #[arg(long, default_value_t = 5e-4, allow_negative_numbers = true, value_parser = positive_rate)]
    pub lr: f64,
    /// Optimiser.
    #[arg(long, value_enum, default_value = "rmsprop")]
    pub optimizer: OptimizerArg,
    /// Binarisation of the training images.
    #[arg(long, value_enum, default_value = "static")]
    pub binarization: BinarizationArg,
    /// Seed of the static binarisation.
    #[arg(long, default_value_t = 1, allow_negative_numbers = true, value_parser = whole_number)]
    pub binarize_seed: u64,
    /// Master seed (initial parameters, minibatch order, noise).
    #[arg(long, default_value_t = 2021, allow_negative_numbers = true, value_parser = whole_number)]
    pub seed: u64,
    /// Test images (the first ones) for the per-epoch test bound.
    #[arg(long, default_value_t = 1000, allow_negative_numbers = true, value_parser = at_least_one)]
    pub test_points: usize,
    /// coupled-isir-disir only: DISIR's β, a number in [0, 1) or `ess` (adapted between steps from 0.9
    /// towards ESS = 0.3 K). Default: 0 (the ESS rule capped many chains at D = 20).
    #[arg(long, value_name = "VALUE|ess", allow_negative_numbers = true, value_parser = clap::value_parser!(BetaPolicy))]
    pub beta: Option<BetaPolicy>,
    /// Coupled estimators: cap on a pair's iterations (default 1,000; capped pairs are counted in
    /// metrics.csv).
    #[arg(long, value_name = "N", allow_negative_numbers = true, value_parser = whole_usize)]
    pub cap: Option<usize>,
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long, value_name = "T", allow_negative_numbers = true, value_parser = thread_count)]
    pub threads: Option<usize>,
}

/// The models of `eval`.
#[derive(Debug, Subcommand)]
pub enum EvalModel {
    /// The MLP VAE on statically binarised MNIST test images.
    Vae(EvalVaeArgs),
}

/// The estimators of `eval vae`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum EvalMethodArg {
    /// The IWAE bound with `--k` samples per point (a lower bound on log p(x)).
    Iwae,
    /// Annealed importance sampling with HMC transitions (the paper's evaluation).
    Ais,
}

/// Options of `eval vae`.
#[derive(Debug, Clone, Args)]
pub struct EvalVaeArgs {
    /// The parameter file `model.bin` written by `train vae`.
    #[arg(long, value_name = "FILE")]
    pub checkpoint: PathBuf,
    /// The estimator.
    #[arg(long, value_enum)]
    pub method: EvalMethodArg,
    /// Evaluate the first M test images (default: all 10,000 for iwae, 100 for ais).
    #[arg(long, value_name = "M", allow_negative_numbers = true, value_parser = whole_number)]
    pub points: Option<u64>,
    /// Importance samples per point of the IWAE bound.
    #[arg(long, default_value_t = 5000, allow_negative_numbers = true, value_parser = whole_number)]
    pub k: u64,
    /// AIS chains per point.
    #[arg(long, default_value_t = 16, allow_negative_numbers = true, value_parser = whole_number)]
    pub chains: u64,
    /// AIS intermediate distributions (sigmoid schedule).
    #[arg(long, default_value_t = 10_000, allow_negative_numbers = true, value_parser = whole_number)]
    pub steps: u64,
    /// Leapfrog steps per HMC transition.
    #[arg(long, default_value_t = 10, allow_negative_numbers = true, value_parser = whole_number)]
    pub leapfrog: u64,
    /// Seed of the test set's static binarisation (the one used in training).
    #[arg(long, default_value_t = 1, allow_negative_numbers = true, value_parser = whole_number)]
    pub binarize_seed: u64,
    /// Seed of the estimator's random streams (point n uses the stream (seed, n)).
    #[arg(long, default_value_t = 2021, allow_negative_numbers = true, value_parser = whole_number)]
    pub seed: u64,
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long, value_name = "T", allow_negative_numbers = true, value_parser = thread_count)]
    pub threads: Option<usize>,
}

/// Options of `merge` (PPCA or VAE folders, told apart by their contents).
#[derive(Debug, Clone, Args)]
pub struct MergeArgs {
    /// The shards' output folders.
    #[arg(required = true, value_name = "SHARD_DIR")]
    pub shards: Vec<PathBuf>,
    /// Folder for the merged results, summary, report and figures.
    #[arg(long)]
    pub out: PathBuf,
    /// VAE studies: keep the runs' records but not their parameters (`model.bin`, `checkpoint.bin`),
    /// with each model's MD5 in `model.md5`; such a folder can be kept in version control and merged
    /// later with the study's other shards.
    #[arg(long)]
    pub records_only: bool,
}

/// A whole number `0 ≤ n < 2⁶⁴`, with a message that says so for negative or other input (clap would
/// otherwise take `-1` for an unknown flag).
fn whole_number(s: &str) -> Result<u64, String> {
    let t = s.trim();
    if t.starts_with('-') {
        return Err(format!("expected a whole number ≥ 0, got the negative {t}"));
    }
    t.parse()
        .map_err(|_| format!("expected a whole number from 0 to {}, got {t:?}", u64::MAX))
}

/// [`whole_number`] as a `usize`.
fn whole_usize(s: &str) -> Result<usize, String> {
    let n = whole_number(s)?;
    usize::try_from(n).map_err(|_| format!("{n} is too large for this machine"))
}

/// [`whole_usize`] of at least 1 (`--epochs 0` would write no epoch, `--test-points 0` a NaN bound).
fn at_least_one(s: &str) -> Result<usize, String> {
    match whole_usize(s)? {
        0 => Err("expected at least 1, got 0".into()),
        n => Ok(n),
    }
}

/// The most worker threads accepted per core: more threads than cores only add switching, and a huge
/// number (`--threads 100000`) would stall while the pool starts.
pub const MAX_THREADS_PER_CORE: usize = 4;

/// The largest `--threads` accepted on this machine: [`MAX_THREADS_PER_CORE`] per core, at least 16.
pub fn max_threads() -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    (MAX_THREADS_PER_CORE * cores).max(16)
}

/// Sizes rayon's global pool (once, before any parallel work); the count was bounded by the parser.
///
/// # Errors
/// The pool cannot be started (or was already started).
pub fn set_threads(threads: Option<usize>) -> AnyResult<()> {
    match threads {
        Some(t) => rayon::ThreadPoolBuilder::new()
            .num_threads(t)
            .build_global()
            .map_err(|e| format!("cannot start {t} threads: {e}").into()),
        None => Ok(()),
    }
}

/// A thread count `1..=max_threads()`.
fn thread_count(s: &str) -> Result<usize, String> {
    let max = max_threads();
    let n = whole_number(s)?;
    if n == 0 || n > max as u64 {
        return Err(format!(
            "expected 1 to {max} threads on this machine ({MAX_THREADS_PER_CORE} per core at most; results \
             do not depend on the number of threads), got {n}"
        ));
    }
    Ok(n as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<PpcaArgs, String> {
        let all = ["xtask", "reproduce", "ppca"].iter().chain(args);
        match Cli::try_parse_from(all).map_err(|e| e.to_string())?.command {
            Command::Reproduce {
                experiment: Experiment::Ppca(a),
            } => Ok(a),
            other => Err(format!("{other:?}")),
        }
    }

    #[test]
    fn command_line_parses() {
        let a = parse(&["--replicates", "5", "--shard", "2/4", "--out", "x"]).unwrap();
        assert_eq!(a.replicates, Some(5));
        assert_eq!(a.run.shard, Shard { index: 2, count: 4 });
        assert_eq!(a.out, Some(PathBuf::from("x")));
        assert_eq!((a.preset, a.full), (Preset::Default, false));
        assert_eq!(parse(&["--preset", "quick"]).unwrap().preset, Preset::Quick);
        assert!(parse(&["--preset", "quick", "--full"]).is_err());
        assert!(parse(&["--shard", "4/4"]).is_err());
        assert!(Cli::try_parse_from(["xtask", "merge", "--out", "m"]).is_err());
    }

    #[test]
    fn eval_vae_parses_and_refuses_bad_counts() {
        let parse_eval = |args: &[&str]| {
            let all = ["xtask", "eval", "vae", "--checkpoint", "m.bin"]
                .iter()
                .chain(args);
            match Cli::try_parse_from(all).map_err(|e| e.to_string())?.command {
                Command::Eval {
                    model: EvalModel::Vae(a),
                } => Ok(a),
                other => Err(format!("{other:?}")),
            }
        };
        let a = parse_eval(&["--method", "ais", "--points", "20"]).unwrap();
        assert_eq!(
            (a.method, a.points, a.chains, a.steps),
            (EvalMethodArg::Ais, Some(20), 16, 10_000)
        );
        let err = parse_eval(&["--method", "iwae", "--points", "-3"]).unwrap_err();
        assert!(err.contains("negative"), "{err}");
        assert!(parse_eval(&["--method", "bogus"]).is_err());
        assert!(
            parse_eval(&["--points", "3"]).is_err(),
            "--method is required"
        );
    }

    #[test]
    fn negative_numbers_are_named_as_such() {
        for flag in ["--replicates", "--sweep-replicates", "--seed", "--threads"] {
            let err = parse(&[flag, "-1"]).unwrap_err();
            assert!(err.contains("negative -1"), "{flag}: {err}");
        }
        let err = parse(&["--shard", "-1/2"]).unwrap_err();
        assert!(err.contains("expected i/n"), "{err}");
    }

    #[test]
    fn thread_counts_are_bounded_before_any_work() {
        assert_eq!(parse(&["--threads", "2"]).unwrap().run.threads, Some(2));
        for bad in ["0", "100000"] {
            let err = parse(&["--threads", bad]).unwrap_err();
            assert!(err.contains("threads on this machine"), "{bad}: {err}");
        }
    }
}
