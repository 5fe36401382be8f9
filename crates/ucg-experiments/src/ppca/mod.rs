//! `cargo xtask reproduce ppca`: the paper's PPCA experiment (method.md §7) and its meeting-time analysis.
//!
//! The pipeline ([`experiment::run_study`]) takes a [`config::Config`] (which includes the data source) and
//! an output folder, so tests run it at tiny sizes on synthetic data.

pub mod cells;
pub mod checkpoint;
pub mod config;
pub mod experiment;
pub mod figures;
pub mod findings;
pub mod layout;
pub mod meeting;
pub mod outputs;
pub mod replicate;
pub mod report;
pub mod setup;
pub mod source;
pub mod store;
pub mod summary;
pub mod warmup;

#[cfg(test)]
mod smoke;

use crate::AnyResult;
use crate::cli::{PpcaArgs, Preset};
use crate::progress::Ui;
use config::Config;

/// The settings for the command-line options: a preset with the overrides applied.
pub fn config_from_args(args: &PpcaArgs) -> Config {
    let preset = if args.full { Preset::Full } else { args.preset };
    let mut config = match preset {
        Preset::Quick => Config::quick_preset(args.seed),
        Preset::Default => Config::default_preset(args.seed),
        Preset::Full => Config::full_preset(args.seed),
    };
    if let Some(r) = args.replicates {
        config.replicates = r;
    }
    if let Some(r) = args.sweep_replicates {
        config.sweep_replicates = r;
    }
    config
}

/// Runs `cargo xtask reproduce ppca` and prints the acceptance check.
///
/// # Errors
/// Any failure, as one message.
pub fn reproduce(args: &PpcaArgs, command: &str, ui: &Ui) -> AnyResult<()> {
    let config = config_from_args(args);
    let summary = experiment::run_study(&config, args.shard, &args.out, ui, command)?;
    print_verdict(&summary);
    Ok(())
}

/// Prints the key numbers of a summary (the unbiasedness check per cell of the main problem).
pub fn print_verdict(summary: &summary::Summary) {
    println!(
        "unbiasedness check over {} components, Bonferroni bound {:.3}:",
        summary.config.components_count(),
        summary.bonferroni_bound
    );
    for c in &summary.cells {
        if let Some(x) = &c.check {
            println!(
                "  {:<13} K = {:>3}: R = {:>6}, max |z| = {:>8.3} ({})",
                c.name,
                c.cell.k,
                c.replicates,
                x.max_abs_z,
                if x.within_bound {
                    "no bias detected"
                } else {
                    "BIAS DETECTED"
                }
            );
        }
    }
    let a = &summary.acceptance;
    println!(
        "acceptance: {} (coupled within bound: {}, IWAE K = 2 detected: {})",
        if a.passed { "passed" } else { "NOT passed" },
        a.coupled_within_bound,
        a.iwae_k2_detected
            .map_or("not run".into(), |d| d.to_string())
    );
    if !summary.complete {
        println!("(partial results: some replicates are missing)");
    }
}
