//! Regenerating `summary.json`, the figures and `report.md` from what a results folder holds (after a
//! run, a resumed run, or a merge).

use ucg_files::RunFolder;
use ucg_report::{read_json, write_json, write_text};

use super::figures::draw_all;
use super::layout::{Layout, RunRecord, load_checkpoints, load_rows};
use super::report::render;
use super::setup::SetupRecord;
use super::summary::{Summary, summarise};
use crate::AnyResult;
use crate::progress::Ui;

/// Reads the claimed `folder`, writes its summary, figures and report, and returns the summary; `command`
/// is named in the report as the command that produced it.
///
/// # Errors
/// A folder without `run.json` or `setup.json`, unreadable files, or drawing failures.
pub fn write_outputs(folder: &RunFolder, command: &str, ui: &Ui) -> AnyResult<Summary> {
    let layout = Layout::new(folder.dir());
    for needed in [layout.run(), layout.setup()] {
        if !needed.exists() {
            return Err(format!("{} is missing: not a results folder", needed.display()).into());
        }
    }
    let run: RunRecord = read_json(layout.run())?;
    let setup: SetupRecord = read_json(layout.setup())?;
    let checkpoints = load_checkpoints(&layout)?;
    let loaded = load_rows(&layout)?;
    if let Some(note) = loaded.torn {
        ui.note(note);
    }
    let rows = loaded.rows;
    let summary = summarise(&run, &setup, &checkpoints, &rows, command)?;
    write_json(folder.file_path(&layout.summary())?, &summary)?;
    let figures = draw_all(folder, &summary, &rows, &checkpoints, ui)?;
    // No figure of an earlier version lingers; a user's files in `figures/` stay.
    let stems: Vec<String> = figures.iter().map(|f| f.stem.clone()).collect();
    crate::folder::remove_stale_figures(folder, &stems)?;
    write_text(
        folder.file_path(&layout.report())?,
        &render(&summary, &figures),
    )?;
    ui.note(format!(
        "wrote {}, {} and {} figures (PNG + SVG) in {}",
        layout.summary().display(),
        layout.report().display(),
        figures.len(),
        layout.figures().display()
    ));
    Ok(summary)
}
