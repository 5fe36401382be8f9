//! The whole study in an output folder: the folder claimed (see [`crate::folder`]), settings checked
//! against it, the shard's units run (each resumable), then `summary.json`, `report.md` and the figures
//! written from what the folder holds.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use ucg_files::RunFolder;

use super::config::{Config, DatasetKind};
use super::data::{StudyData, load};
use super::figures::write_figures;
use super::plan::{Role, evaluates_pretrain, shard_units, units};
use super::report::report_markdown;
use super::summary::{Summary, summarise};
use super::unit::{Inputs, Shared, run_unit};
use crate::AnyResult;
use crate::progress::Ui;
use crate::shard::Shard;

/// The settings file of a results folder.
pub const CONFIG_FILE: &str = "config.json";

/// The file that records which shard of the plan a study's folder runs.
pub const SHARD_FILE: &str = "shard.json";

/// Records `shard` in the claimed `folder`, or checks that the folder runs the same shard (a shard's
/// folder given to another shard would mix the two).
///
/// # Errors
/// The folder runs another shard, or cannot be written.
fn record_shard(folder: &RunFolder, shard: Shard) -> AnyResult<()> {
    let path = folder.path(SHARD_FILE);
    if path.is_file() {
        let recorded: Shard = ucg_report::read_json(&path)?;
        if recorded != shard {
            return Err(format!(
                "{} runs shard {recorded} of this study, not {shard}; give each shard its own folder",
                folder.dir().display()
            )
            .into());
        }
        return Ok(());
    }
    Ok(ucg_report::write_json(folder.file(SHARD_FILE)?, &shard)?)
}

/// The kind of run a VAE study's folder records.
pub const STUDY_KIND: &str = "VAE study";

/// Claims `out` for a VAE study (a new or empty folder, or a VAE study's, also one an earlier version
/// wrote); `command` names this process to a second one.
///
/// # Errors
/// `out` is a file, a folder of other files or of another kind of run, or in use by another process.
pub fn claim_folder(out: &Path, command: &str) -> AnyResult<RunFolder> {
    crate::folder::claim(out, STUDY_KIND, command, earlier_study_files)
}

/// The files an earlier version of the tool wrote in a VAE study's folder, if `root` is one.
fn earlier_study_files(root: &Path) -> Option<Vec<PathBuf>> {
    if !is_vae_folder(root) {
        return None;
    }
    Some(crate::folder::files_under(root, |p| {
        let top = ["config.json", "shard.json", "summary.json", "report.md"];
        let figures = ["curves-epoch-", "curves-time-", "meeting-times-", "cost-"];
        top.iter().any(|t| p == Path::new(t))
            || crate::folder::is_earlier_figure(p, &figures)
            || is_earlier_run_file(p)
    }))
}

/// Whether `relative` is `runs/<name>/<file>` with a file name a study's run writes.
fn is_earlier_run_file(relative: &Path) -> bool {
    let name = relative
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let known = ucg_train::vae::run::RUN_FILES.contains(&name.as_ref())
        || [
            "unit.json",
            super::walltime::WALL_TIME_FILE,
            super::walltime::TIMINGS_FILE,
            super::unit::PILOT_FILE,
        ]
        .contains(&name.as_ref())
        || (name.starts_with("eval-") && name.ends_with(".csv"));
    relative.components().count() == 3 && relative.starts_with("runs") && known
}

/// Whether `dir` holds a VAE study (its settings file).
pub fn is_vae_folder(dir: &Path) -> bool {
    ucg_report::read_json::<Config>(dir.join(CONFIG_FILE)).is_ok()
}

/// Records `config` in the claimed `folder`, or checks that the study there has the same settings.
///
/// # Errors
/// The folder holds a study of other settings, or cannot be written.
pub fn prepare_folder(config: &Config, folder: &RunFolder) -> AnyResult<()> {
    let out = folder.dir();
    let path = folder.path(CONFIG_FILE);
    if path.is_file() {
        let existing: Config = ucg_report::read_json(&path)?;
        if &existing != config {
            return Err(format!(
                "{} holds a VAE study of other settings ({}); resume it with the same flags or choose \
                 another --out",
                out.display(),
                crate::differences::setting_differences(&existing, config).join("; ")
            )
            .into());
        }
        return Ok(());
    }
    ucg_report::write_json(folder.file(CONFIG_FILE)?, config)?;
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
    run_study_with(config, shard, out, Inputs::default(), ui, command)
}

/// [`run_study`] with inputs from outside the folder: the records of the runs that the shard's
/// same-wall-time runs are timed against, when another shard ran them ([`Inputs::timings_from`]).
///
/// # Errors
/// As [`run_study`]; a same-wall-time run whose reference run's records are in neither folder.
pub fn run_study_with(
    config: &Config,
    shard: Shard,
    out: &Path,
    inputs: Inputs<'_>,
    ui: &Ui,
    command: &str,
) -> AnyResult<Summary> {
    config.validate()?;
    let plan = units(config);
    let mine = shard_units(&plan, shard);
    // The data first: a setting the data sets cannot meet is refused before the folder is touched.
    let mut data: HashMap<DatasetKind, StudyData> = HashMap::new();
    for unit in &mine {
        if data.contains_key(&unit.dataset) {
            continue;
        }
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
        data.insert(unit.dataset, d);
    }
    let folder = claim_folder(out, command)?;
    if folder.path(super::merge::MERGED_FILE).is_file() {
        return Err(format!(
            "{} holds merged results: run each shard in its own folder and merge them again (`cargo \
             xtask merge SHARDS… --out {}`)",
            out.display(),
            out.display()
        )
        .into());
    }
    prepare_folder(config, &folder)?;
    record_shard(&folder, shard)?;
    ui.note(format!(
        "VAE study ({} preset), shard {shard}: {} of {} runs into {}",
        config.preset,
        mine.len(),
        plan.len(),
        out.display()
    ));
    let shared = Shared {
        config,
        plan: &plan,
        study: &folder,
        inputs,
        ui,
    };
    for unit in &mine {
        let loaded = data
            .get(&unit.dataset)
            .ok_or("a run's data set was not loaded")?;
        // A pretrain is evaluated by one shard only (the others compute it to continue from it).
        let evaluate = unit.role != Role::Pretrain || evaluates_pretrain(&plan, &unit.name, shard);
        run_unit(shared, unit, loaded, evaluate)?;
    }
    write_outputs(&folder, command, ui)
}

/// Writes `summary.json`, `report.md` and the figures from the runs in the claimed `folder` (after a run
/// or a merge); says when runs of the plan are missing (a shard, or a merge of some of the shards).
///
/// # Errors
/// No settings file, malformed or incomplete run files, drawing failures.
pub fn write_outputs(folder: &RunFolder, command: &str, ui: &Ui) -> AnyResult<Summary> {
    let out = folder.dir();
    let config: Config = ucg_report::read_json(folder.path(CONFIG_FILE))
        .map_err(|e| format!("{} is not a VAE results folder: {e}", out.display()))?;
    let summary = summarise(&config, &out, command)?;
    ucg_report::write_json(folder.file("summary.json")?, &summary)?;
    let figures = write_figures(&summary, folder)?;
    crate::folder::remove_stale_figures(folder, &figures)?;
    ucg_report::write_text(
        folder.file("report.md")?,
        &report_markdown(&summary, &figures),
    )?;
    if !summary.missing.is_empty() {
        ui.note(format!(
            "partial results: {} of {} runs of the plan are evaluated (missing: {}); run the other \
             shards and merge them",
            summary.runs.len(),
            summary.runs.len() + summary.missing.len(),
            summary.missing.join(", ")
        ));
    }
    ui.note(format!(
        "{} runs summarised: {}",
        summary.runs.len(),
        folder.path("report.md").display()
    ));
    Ok(summary)
}
