//! `reproduce ppca` and `merge`: the settings from the flags, then `ucg_experiments::ppca` does the work.

use std::path::{Path, PathBuf};

use ucg_experiments::AnyResult;
use ucg_experiments::ppca::beta_sweep::{BetaSweepSettings, run_beta_sweep};
use ucg_experiments::ppca::config::{Config, PilotSettings};
use ucg_experiments::ppca::experiment::run_study;
use ucg_experiments::ppca::merge::merge_folders;
use ucg_experiments::ppca::outputs::write_outputs;
use ucg_experiments::ppca::tails::{TailsSettings, run_tails};
use ucg_experiments::ppca::verdict::verdict_lines;
use ucg_experiments::ppca::window_sweep::{WindowSweepSettings, run_window_sweep};
use ucg_experiments::progress::Ui;

use crate::cli::{MergeArgs, PpcaArgs, Preset, SweepArg, set_threads};

/// The output folder: `--out`, else one per preset and sweep, so that a quick run never meets the main
/// job's folder (`results/ppca`, `results/ppca-quick`, `results/ppca-full`, `results/ppca-beta-sweep`,
/// `results/ppca-window-sweep-quick`, …).
pub fn out_folder(args: &PpcaArgs) -> PathBuf {
    if let Some(out) = &args.out {
        return out.clone();
    }
    let preset = if args.full { Preset::Full } else { args.preset };
    let mut name = String::from("ppca");
    match args.sweep {
        Some(SweepArg::Beta) => name.push_str("-beta-sweep"),
        Some(SweepArg::Window) => name.push_str("-window-sweep"),
        Some(SweepArg::Tails) => name.push_str("-tails"),
        None => {}
    }
    match preset {
        Preset::Quick => name.push_str("-quick"),
        Preset::Default => {}
        Preset::Full => name.push_str("-full"),
    }
    Path::new("results").join(name)
}

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
    if let Some(beta) = args.beta.clone() {
        config.beta = beta.with_pilot_settings(PilotSettings::standard());
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

/// The window sweep's settings: the standard grid, with the replicates per estimator from `--replicates`
/// or the preset (quick 50, default 200, full 1,000) and the largest m from `--longest`.
pub fn window_sweep_from_args(args: &PpcaArgs) -> WindowSweepSettings {
    let preset = if args.full { Preset::Full } else { args.preset };
    let replicates = args.replicates.unwrap_or(match preset {
        Preset::Quick => 50,
        Preset::Default => 200,
        Preset::Full => 1000,
    });
    let mut sweep = WindowSweepSettings::standard(replicates);
    if let Some(m) = args.longest {
        sweep.longest = usize::try_from(m).unwrap_or(usize::MAX);
    }
    sweep
}

/// The tails study's settings: the batch runs per estimator from `--replicates` or the preset (quick 500,
/// default 5,000, full 50,000).
pub fn tails_from_args(args: &PpcaArgs) -> TailsSettings {
    let preset = if args.full { Preset::Full } else { args.preset };
    TailsSettings::standard(args.replicates.unwrap_or(match preset {
        Preset::Quick => 500,
        Preset::Default => 5000,
        Preset::Full => 50_000,
    }))
}

/// Runs `cargo xtask reproduce ppca` and prints the verdicts: the settings are checked first, then the
/// thread pool is sized, then the study runs.
///
/// # Errors
/// Invalid settings or any failure of the run, as one message.
pub fn reproduce(args: &PpcaArgs, command: &str, ui: &Ui) -> AnyResult<()> {
    let out = out_folder(args);
    let config = config_from_args(args);
    config.validate()?;
    if args.longest.is_some() && args.sweep != Some(SweepArg::Window) {
        return Err("--longest sets the window sweep's largest m; it needs --sweep window".into());
    }
    if args.sweep.is_some() && args.sweep_replicates.is_some() {
        return Err(
            "--sweep-replicates sets the study's replicates at the other K; a sweep does not use \
                    it (--replicates sets a sweep's)"
                .into(),
        );
    }
    if args.sweep == Some(SweepArg::Beta) && args.beta.is_some() {
        return Err("--beta chooses the study's β; the β sweep runs its own grid of β".into());
    }
    if args.sweep.is_some() && args.run.shard != ucg_experiments::shard::Shard::WHOLE {
        return Err(
            "--shard splits the study; a sweep runs whole (its folder resumes instead)".into(),
        );
    }
    if let Some(SweepArg::Beta) = args.sweep {
        let sweep = beta_sweep_from_args(args);
        sweep.validate(&config)?;
        set_threads(args.run.threads)?;
        let summary = run_beta_sweep(&config, &sweep, &out, ui, command)?;
        for p in &summary.points {
            crate::output::say(format!(
                "{}: variance × cost {:.3e} ± {:.1e}, {} of {} replicates touched by truncation",
                p.label,
                p.inefficiency.value,
                p.inefficiency.se,
                p.touched_replicates,
                p.replicates
            ));
        }
        return Ok(());
    }
    if let Some(SweepArg::Window) = args.sweep {
        let sweep = window_sweep_from_args(args);
        sweep.validate(&config)?;
        set_threads(args.run.threads)?;
        let summary = run_window_sweep(&config, &sweep, &out, ui, command)?;
        for e in &summary.estimators {
            print!("{}", e.estimator);
            crate::output::say(format!(
                ": {}",
                ucg_experiments::ppca::window_sweep_summary::findings(&summary, e).trim_end()
            ));
        }
        return Ok(());
    }
    if let Some(SweepArg::Tails) = args.sweep {
        let tails = tails_from_args(args);
        tails.validate(&config)?;
        set_threads(args.run.threads)?;
        let summary = run_tails(&config, &tails, &out, ui, command)?;
        for e in &summary.estimators {
            crate::output::say(format!(
                "{}:\n{}",
                e.estimator,
                ucg_experiments::ppca::tails_summary::tail_findings(e).trim_end()
            ));
        }
        return Ok(());
    }
    set_threads(args.run.threads)?;
    let summary = run_study(&config, args.run.shard, &out, ui, command)?;
    print_lines(&verdict_lines(&summary));
    Ok(())
}

/// Runs `cargo xtask merge`: merges the shards' folders, regenerates the outputs, prints the verdicts.
///
/// # Errors
/// Shards of different runs, a shard given twice, `--records-only`, or unreadable folders.
pub fn merge(args: &MergeArgs, command: &str, ui: &Ui) -> AnyResult<()> {
    if let (true, Some(first)) = (args.records_only, args.shards.first()) {
        return Err(format!(
            "{} is not a VAE study's folder, and --records-only applies to VAE studies only",
            first.display()
        )
        .into());
    }
    let folder = merge_folders(&args.shards, &args.out, command)?;
    let summary = write_outputs(&folder, command, ui)?;
    print_lines(&verdict_lines(&summary));
    Ok(())
}

fn print_lines(lines: &[String]) {
    for line in lines {
        crate::output::say(line);
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

    fn args(args: &[&str]) -> PpcaArgs {
        let all = ["xtask", "reproduce", "ppca"].iter().chain(args);
        match Cli::try_parse_from(all).unwrap().command {
            Command::Reproduce {
                experiment: Experiment::Ppca(a),
            } => a,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn window_and_tails_sweeps_take_their_sizes_from_the_flags() {
        let a = args(&["--sweep", "window", "--replicates", "7", "--longest", "500"]);
        assert_eq!(a.sweep, Some(SweepArg::Window));
        let w = window_sweep_from_args(&a);
        assert_eq!((w.replicates, w.longest), (7, 500));
        assert_eq!(window_sweep_from_args(&args(&[])).replicates, 200);
        let t = tails_from_args(&args(&["--sweep", "tails", "--preset", "quick"]));
        assert_eq!(t.replicates, 500);
        assert_eq!(tails_from_args(&args(&[])).replicates, 5000);
    }

    #[test]
    fn every_preset_and_sweep_has_its_own_default_folder() {
        let folder = |a: &[&str]| out_folder(&args(a)).display().to_string();
        assert_eq!(folder(&[]), "results/ppca");
        assert_eq!(folder(&["--preset", "quick"]), "results/ppca-quick");
        assert_eq!(folder(&["--full"]), "results/ppca-full");
        assert_eq!(folder(&["--sweep", "beta"]), "results/ppca-beta-sweep");
        assert_eq!(
            folder(&["--sweep", "window", "--preset", "quick"]),
            "results/ppca-window-sweep-quick"
        );
        assert_eq!(folder(&["--sweep", "tails"]), "results/ppca-tails");
        assert_eq!(folder(&["--out", "x", "--preset", "quick"]), "x");
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
