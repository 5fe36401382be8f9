//! The whole study in an output folder: settings checked against the folder, the shard's units run (each
//! resumable), then `summary.json`, `report.md` and the figures written from what the folder holds.

use std::collections::HashMap;
use std::path::Path;

use super::config::{Config, DatasetKind};
use super::data::{StudyData, load};
use super::figures::write_figures;
use super::plan::{shard_units, units};
use super::report::report_markdown;
use super::summary::{Summary, summarise};
use super::unit::run_unit;
use crate::AnyResult;
use crate::progress::Ui;
use crate::shard::Shard;

/// The settings file of a results folder.
pub const CONFIG_FILE: &str = "config.json";

/// Creates `out` (or checks an existing one holds a study of the same settings) and records `config`.
///
/// # Errors
/// `out` is a file, or holds a study of other settings, or cannot be written.
pub fn prepare_folder(config: &Config, out: &Path) -> AnyResult<()> {
    if out.exists() && !out.is_dir() {
        return Err(format!("{} is a file, not a results folder", out.display()).into());
    }
    std::fs::create_dir_all(out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let path = out.join(CONFIG_FILE);
    if path.is_file() {
        let existing: Config = ucg_report::read_json(&path)?;
        if &existing != config {
            return Err(format!(
                "{} holds a VAE study of other settings (preset {}); choose another --out",
                out.display(),
                existing.preset
            )
            .into());
        }
        return Ok(());
    }
    ucg_report::write_json(&path, config)?;
    Ok(())
}

/// Runs shard `shard` of the study into `out` (resuming whatever is there), then writes the outputs.
///
/// # Errors
/// Invalid settings, a folder of other settings, missing data, training or evaluation failures.
pub fn run_study(
    config: &Config,
    shard: Shard,
    out: &Path,
    ui: &Ui,
    command: &str,
) -> AnyResult<Summary> {
    config.validate()?;
    prepare_folder(config, out)?;
    let plan = units(config);
    let mine = shard_units(&plan, shard);
    ui.note(format!(
        "VAE study ({} preset), shard {shard}: {} of {} runs into {}",
        config.preset,
        mine.len(),
        plan.len(),
        out.display()
    ));
    let mut data: HashMap<DatasetKind, StudyData> = HashMap::new();
    for unit in &mine {
        let loaded = match data.entry(unit.dataset) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => {
                let d = load(
                    unit.dataset,
                    config.binarize_seed,
                    config.train_subset,
                    config.curve_points,
                )?;
                let points = config.eval.iwae_points.max(config.eval.ais_points);
                if points > d.test_len() {
                    return Err(format!(
                        "evaluation on {points} test images; {} has {}",
                        unit.dataset.name(),
                        d.test_len()
                    )
                    .into());
                }
                e.insert(d)
            }
        };
        run_unit(config, &plan, unit, loaded, out, ui)?;
    }
    write_outputs(out, command, ui)
}

/// Writes `summary.json`, `report.md` and the figures from the runs in `out` (after a run or a merge).
///
/// # Errors
/// No settings file, malformed run files, drawing failures.
pub fn write_outputs(out: &Path, command: &str, ui: &Ui) -> AnyResult<Summary> {
    let config: Config = ucg_report::read_json(out.join(CONFIG_FILE))
        .map_err(|e| format!("{} is not a VAE results folder: {e}", out.display()))?;
    let summary = summarise(&config, out, command)?;
    ucg_report::write_json(out.join("summary.json"), &summary)?;
    let figures = write_figures(&summary, out)?;
    ucg_report::write_text(out.join("report.md"), &report_markdown(&summary, &figures))?;
    ui.note(format!(
        "{} runs summarised: {}",
        summary.runs.len(),
        out.join("report.md").display()
    ));
    Ok(summary)
}
