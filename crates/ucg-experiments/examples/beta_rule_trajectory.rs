//! β's warm-up trajectory at D = 300 (the dimension sweep's problem: the first 20 MNIST test points,
//! K = 10), with the paper's ESS rule and with the stable rule that adapts ln(1 − β), from the same
//! seeds; prints both trajectories and draws them (PNG and SVG) into the folder given.
//!
//! ```text
//! cargo run --release -p ucg-experiments --example beta_rule_trajectory -- docs/ppca/beta-rule
//! ```
//!
//! The warm-up runs with the study's former cap of 1,000 iterations, so that the paper's rule
//! reproduces the oscillation recorded by the default run before the change.

use ucg_estimators::beta::BetaRule;
use ucg_experiments::AnyResult;
use ucg_experiments::ppca::cells::Sweep;
use ucg_experiments::ppca::config::Config;
use ucg_experiments::ppca::setup::prepare;
use ucg_experiments::ppca::warmup::warm_up_beta;
use ucg_experiments::progress::Ui;
use ucg_report::{Axis, Figure, LineChart, write_json};

/// One `error: …` line and status 1 on failure (not the `Debug` form `main` would print).
fn main() {
    if let Err(e) = run() {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn run() -> AnyResult<()> {
    let out = std::env::args()
        .nth(1)
        .ok_or("usage: beta_rule_trajectory OUT_DIR")?;
    let out = std::path::Path::new(&out);
    let ui = Ui::terminal();
    let mut config = Config::default_preset(2021);
    config.lag.max_iter = 1000;
    let d = 300;
    let points = config.dimension_sweep.points;
    let x = config.data.load(config.points)?;
    let prepared = prepare(&config, d, x.columns(0, points).into_owned(), &ui)?;
    let problem = prepared.problem()?;
    let mut chart = LineChart::new(
        format!(
            "β's warm-up at D = {d}, K = {} ({points} points)",
            config.main_k
        ),
        Axis::new("warm-up run"),
        Axis::log("1 − β"),
    );
    let mut records = Vec::new();
    for (name, rule) in [
        ("paper's rule (β − 0.01 (ESS − 0.3 K))", BetaRule::Linear),
        (
            "stable rule (ln(1 − β) + mean ESS/K − 0.3, once per run)",
            BetaRule::LogComplement,
        ),
    ] {
        config.warmup.rule = rule;
        let record = warm_up_beta(&problem, Sweep::Dimension, d, config.main_k, &config, &ui)?;
        println!("{name}: frozen β = {:.6}", record.beta);
        println!("  trajectory: {:?}", record.trajectory);
        chart = chart.series(
            name,
            record
                .trajectory
                .iter()
                .enumerate()
                .map(|(i, b)| (i as f64, 1.0 - b)),
        );
        records.push(record);
    }
    std::fs::create_dir_all(out)?;
    write_json(out.join("trajectories.json"), &records)?;
    let saved = chart
        .with_reference_line(None)
        .save(out.join("beta_rule_d300"))?;
    for w in saved.warnings {
        eprintln!("{w}");
    }
    Ok(())
}
