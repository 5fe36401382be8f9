//! `reproduce ppca` and `merge`: the settings from the flags, then `ucg_experiments::ppca` does the work.

use ucg_experiments::AnyResult;
use ucg_experiments::ppca::beta_sweep::{BetaSweepSettings, run_beta_sweep};
use ucg_experiments::ppca::config::{Config, PilotSettings};
use ucg_experiments::ppca::experiment::run_study;
use ucg_experiments::ppca::merge::merge_folders;
use ucg_experiments::ppca::outputs::write_outputs;
use ucg_experiments::ppca::verdict::verdict_lines;
use ucg_experiments::progress::Ui;

use crate::cli::{MergeArgs, PpcaArgs, Preset, SweepArg, set_threads};

/// The settings for the command-line options: a preset with the overrides applied.
pub fn config_from_args(args: &PpcaArgs) -> Config {
    let preset = if args.full { Preset::Full } else { args.preset };
    let mut config = match preset {
        Preset::Quick => Config::quick_preset(args.run.seed),
        Preset::Default => Config::default_preset(args.run.seed),
        Preset::Full => Config::full_preset(args.run.seed),
    };
    if let Some(r) = args.replicates {
        config.replicates = r;
    }
    if let Some(r) = args.sweep_replicates {
        config.sweep_replicates = r;
    }
    if let Some(beta) = args.beta {
        config.beta = beta.choice(PilotSettings::standard());
    }
    config
}

/// The β sweep's settings for the command-line options: the grid, with the replicates per point
/// from `--replicates` or the preset (quick 50, default 200, full 2,000).
pub fn beta_sweep_from_args(args: &PpcaArgs) -> BetaSweepSettings {
    let preset = if args.full { Preset::Full } else { args.preset };
    let replicates = args.replicates.unwrap_or(match preset {
        Preset::Quick => 50,
        Preset::Default => 200,
        Preset::Full => 2000,
    });
    BetaSweepSettings::standard(replicates)
}

/// Runs `cargo xtask reproduce ppca` and prints the verdicts: the settings are checked first, then the
/// thread pool is sized, then the study runs.
///
/// # Errors
/// Invalid settings or any failure of the run, as one message.
pub fn reproduce(args: &PpcaArgs, command: &str, ui: &Ui) -> AnyResult<()> {
    let config = config_from_args(args);
    config.validate()?;
    if let Some(SweepArg::Beta) = args.sweep {
        let sweep = beta_sweep_from_args(args);
        sweep.validate(&config)?;
        set_threads(args.run.threads)?;
        let summary = run_beta_sweep(&config, &sweep, &args.out, ui, command)?;
        for p in &summary.points {
            println!(
                "{}: variance × cost {:.3e} ± {:.1e}, {} of {} replicates touched by truncation",
                p.label,
                p.inefficiency.value,
                p.inefficiency.se,
                p.touched_replicates,
                p.replicates
            );
        }
        return Ok(());
    }
    set_threads(args.run.threads)?;
    let summary = run_study(&config, args.run.shard, &args.out, ui, command)?;
    print_lines(&verdict_lines(&summary));
    Ok(())
}

/// Runs `cargo xtask merge`: merges the shards' folders, regenerates the outputs, prints the verdicts.
///
/// # Errors
/// Shards of different runs, a shard given twice, or unreadable folders.
pub fn merge(args: &MergeArgs, command: &str, ui: &Ui) -> AnyResult<()> {
    merge_folders(&args.shards, &args.out)?;
    let summary = write_outputs(&args.out, command, ui)?;
    print_lines(&verdict_lines(&summary));
    Ok(())
}

fn print_lines(lines: &[String]) {
    for line in lines {
        println!("{line}");
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::cli::{Cli, Command, Experiment};
    use ucg_experiments::beta_choice::BetaChoice;

    fn config(args: &[&str]) -> Config {
        let all = ["xtask", "reproduce", "ppca"].iter().chain(args);
        match Cli::try_parse_from(all).unwrap().command {
            Command::Reproduce {
                experiment: Experiment::Ppca(a),
            } => config_from_args(&a),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn presets_and_overrides_give_the_settings() {
        assert_eq!(config(&[]), Config::default_preset(2021));
        assert_eq!(
            config(&["--preset", "quick", "--seed", "4"]),
            Config::quick_preset(4)
        );
        assert_eq!(config(&["--full"]), config(&["--preset", "full"]));
        let c = config(&["--replicates", "7", "--sweep-replicates", "3"]);
        assert_eq!((c.replicates, c.sweep_replicates), (7, 3));
        assert_eq!(config(&["--beta", "ess"]).beta, BetaChoice::Ess);
        assert_eq!(config(&["--beta", "0.3"]).beta, BetaChoice::Fixed(0.3));
        assert!(matches!(
            config(&["--beta", "pilot"]).beta,
            BetaChoice::Pilot(_)
        ));
        assert_eq!(config(&[]).beta, BetaChoice::Fixed(0.0));
    }
}
