//! `reproduce vae` and the VAE side of `merge`: the settings from the flags, then `ucg_experiments::vae`
//! does the work.

use std::path::{Path, PathBuf};

use ucg_experiments::AnyResult;
use ucg_experiments::beta_choice::PilotSettings;
use ucg_experiments::progress::Ui;
use ucg_experiments::vae::config::Config;
use ucg_experiments::vae::efficiency::{
    EfficiencyStudy, configurations, relative_inefficiency, run_efficiency_study,
};
use ucg_experiments::vae::gradients::{BreakEven, GradientsStudy, run_gradients_study};
use ucg_experiments::vae::merge::{Parameters, merge_folders};
use ucg_experiments::vae::overrides::Overrides;
use ucg_experiments::vae::report::verdict_lines;
use ucg_experiments::vae::study::{run_study_with, write_outputs};
use ucg_experiments::vae::unit::Inputs;

use crate::cli::{
    MergeArgs, VaeArgs, VaeEfficiencyArgs, VaeGradientsArgs, VaeOverrideArgs, VaePreset,
    set_threads,
};

/// The output folder: `--out`, else `results/vae` for the default preset and `results/vae-<preset>` for
/// the others, so that a quick run never meets the main job's folder.
pub fn out_folder(args: &VaeArgs) -> PathBuf {
    if let Some(out) = &args.out {
        return out.clone();
    }
    let preset = if args.full {
        VaePreset::Full
    } else {
        args.preset
    };
    Path::new("results").join(match preset {
        VaePreset::Default => "vae",
        VaePreset::Quick => "vae-quick",
        VaePreset::Small => "vae-small",
        VaePreset::Refine => "vae-refine",
        VaePreset::Full => "vae-full",
    })
}

/// The settings for the command-line options: the preset, `--beta`, then the overrides.
///
/// # Errors
/// Overrides the preset cannot take (see [`Overrides::apply`]).
pub fn config_from_args(args: &VaeArgs) -> AnyResult<Config> {
    let mut config = match if args.full {
        VaePreset::Full
    } else {
        args.preset
    } {
        VaePreset::Quick => Config::quick_preset(args.run.seed),
        VaePreset::Default => Config::default_preset(args.run.seed),
        VaePreset::Small => Config::small_preset(args.run.seed),
        VaePreset::Refine => Config::refine_preset(args.run.seed),
        VaePreset::Full => Config::full_preset(args.run.seed),
    };
    if let Some(beta) = args.beta.clone() {
        config.beta = beta.with_pilot_settings(PilotSettings::short());
    }
    overrides(&args.overrides).apply(config)
}

/// The flags' overrides as the library's.
fn overrides(o: &VaeOverrideArgs) -> Overrides {
    let size = |v: Option<u64>| v.map(|v| usize::try_from(v).unwrap_or(usize::MAX));
    Overrides {
        latent: size(o.latent),
        hidden: size(o.hidden),
        train_subset: size(o.train_subset),
        learning_rate: o.learning_rate,
        continuation_learning_rate: o.continuation_lr,
        pretrain_epochs: size(o.pretrain_epochs),
        epochs: size(o.epochs),
        steps_per_epoch: size(o.steps_per_epoch),
        test_points: size(o.test_points),
        train_points: size(o.train_points),
        no_same_wall_time: o.no_same_time,
    }
}

/// Runs `cargo xtask reproduce vae` and prints the verdicts.
///
/// # Errors
/// Invalid settings or any failure of the run, as one message.
pub fn reproduce(args: &VaeArgs, command: &str, ui: &Ui) -> AnyResult<()> {
    let config = config_from_args(args)?;
    set_threads(args.run.threads)?;
    let inputs = Inputs {
        timings_from: args.timings_from.as_deref(),
    };
    let summary = run_study_with(
        &config,
        args.run.shard,
        &out_folder(args),
        inputs,
        ui,
        command,
    )?;
    verdict_lines(&summary).iter().for_each(crate::output::say);
    Ok(())
}

/// `cargo xtask reproduce vae-efficiency`.
///
/// # Errors
/// Fewer than 8 draws, an unreadable model, a folder that is not this study's, estimator failures.
pub fn efficiency(args: &VaeEfficiencyArgs, command: &str, ui: &Ui) -> AnyResult<()> {
    set_threads(args.threads)?;
    let study = EfficiencyStudy {
        params: args.params.clone(),
        draws: args.draws,
        seed: args.seed,
        configurations: configurations(),
    };
    let results = run_efficiency_study(&study, &args.out, ui, command)?;
    for (e, rel) in results.iter().zip(relative_inefficiency(&results)) {
        crate::output::say(format!(
            "{:<32} variance × evaluations {:.3} ± {:.3} of the first",
            e.settings.label(),
            rel.value,
            rel.se
        ));
    }
    crate::output::say(format!("report: {}", args.out.join("report.md").display()));
    Ok(())
}

/// `reproduce vae-gradients`.
///
/// # Errors
/// Invalid settings, MNIST unavailable, a folder that is not this study's, training or estimator
/// failures.
pub fn gradients(args: &VaeGradientsArgs, command: &str, ui: &Ui) -> AnyResult<()> {
    set_threads(args.threads)?;
    let study = GradientsStudy {
        epochs: args.epochs.clone(),
        draws: args.draws,
        reference_particles: args.reference_particles,
        reference_draws: args.reference_draws,
        seed: args.seed,
        ..GradientsStudy::standard()
    };
    let snapshots = run_gradients_study(&study, &args.out, ui, command)?;
    for s in &snapshots {
        let Some(base) = s.baseline() else { continue };
        let line: Vec<String> = s
            .comparisons
            .iter()
            .filter(|c| c.estimator.is_unbiased())
            .map(|c| {
                let n = match c.break_even_steps(base) {
                    BreakEven::At(n) => format!("{:.0} ± {:.0}", n.value, n.se),
                    BreakEven::Never => "never".into(),
                    BreakEven::Unresolved => "unresolved".into(),
                };
                format!("{} {n}", c.estimator.label())
            })
            .collect();
        crate::output::say(format!(
            "epoch {}: break-even steps against IWAE-10: {}",
            s.epoch,
            line.join("; ")
        ));
    }
    crate::output::say(format!("report: {}", args.out.join("report.md").display()));
    Ok(())
}

/// `cargo xtask merge` on VAE folders.
///
/// # Errors
/// Shards of different studies, runs that differ between shards, unreadable folders.
pub fn merge(args: &MergeArgs, command: &str, ui: &Ui) -> AnyResult<()> {
    let parameters = if args.records_only {
        Parameters::DigestOnly
    } else {
        Parameters::Keep
    };
    let merged = merge_folders(&args.shards, &args.out, command, parameters)?;
    if !merged.left_out.is_empty() {
        crate::output::say(format!(
            "left out (unfinished in every input, merge them once a shard finishes them): {}",
            merged.left_out.join(", ")
        ));
    }
    let folder = merged.folder;
    let summary = write_outputs(&folder, command, ui)?;
    verdict_lines(&summary).iter().for_each(crate::output::say);
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::cli::{Cli, Command, Experiment};
    use ucg_experiments::shard::Shard;

    fn parse(args: &[&str]) -> Result<VaeArgs, String> {
        let all = ["xtask", "reproduce", "vae"].iter().chain(args);
        match Cli::try_parse_from(all).map_err(|e| e.to_string())?.command {
            Command::Reproduce {
                experiment: Experiment::Vae(a),
            } => Ok(a),
            other => Err(format!("{other:?}")),
        }
    }

    #[test]
    fn flags_give_the_presets_and_bad_flags_are_refused() {
        let a = parse(&[]).unwrap();
        assert_eq!(config_from_args(&a).unwrap(), Config::default_preset(2021));
        assert_eq!(out_folder(&a), PathBuf::from("results/vae"));
        for (preset, folder) in [
            ("quick", "vae-quick"),
            ("small", "vae-small"),
            ("refine", "vae-refine"),
            ("full", "vae-full"),
        ] {
            let a = parse(&["--preset", preset]).unwrap();
            assert_eq!(out_folder(&a), Path::new("results").join(folder));
        }
        let a = parse(&["--preset", "quick", "--seed", "3", "--shard", "1/2"]).unwrap();
        assert_eq!(config_from_args(&a).unwrap(), Config::quick_preset(3));
        assert_eq!(a.run.shard, Shard { index: 1, count: 2 });
        let a = parse(&["--preset", "small"]).unwrap();
        assert_eq!(config_from_args(&a).unwrap(), Config::small_preset(2021));
        assert_eq!(
            config_from_args(&parse(&["--full"]).unwrap()).unwrap(),
            Config::full_preset(2021)
        );
        use ucg_experiments::beta_choice::BetaChoice;
        let beta = |flag: &str| {
            config_from_args(&parse(&["--beta", flag]).unwrap())
                .unwrap()
                .beta
        };
        assert_eq!(beta("0.5"), BetaChoice::Fixed(0.5));
        assert_eq!(beta("ess"), BetaChoice::Ess);
        assert_eq!(beta("pilot"), BetaChoice::Pilot(PilotSettings::short()));
        let tiny = parse(&[
            "--preset",
            "small",
            "--latent",
            "2",
            "--hidden",
            "20",
            "--continuation-lr",
            "1e-4",
            "--steps-per-epoch",
            "50",
        ])
        .unwrap();
        let c = config_from_args(&tiny).unwrap();
        assert_eq!((c.blocks[0].latent, c.hidden), (2, 20));
        assert_eq!(c.blocks[0].continuation_learning_rate, Some(1e-4));
        assert_eq!(c.blocks[0].steps_per_epoch, Some(50));
        let with_latent = parse(&["--full", "--latent", "2"]).unwrap();
        assert!(config_from_args(&with_latent).is_err());
        for bad in [
            &["--latent", "0"][..],
            &["--continuation-lr", "0"],
            &["--learning-rate", "nan"],
            &["--epochs", "0"],
            &["--beta", "1"],
            &["--beta", "often"],
            &["--shard", "2/2"],
            &["--shard", "x"],
            &["--preset", "huge"],
            &["--full", "--preset", "quick"],
            &["--seed", "-1"],
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }
}
