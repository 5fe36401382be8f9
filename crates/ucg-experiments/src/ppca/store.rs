//! An open results folder of one shard of a run, and resuming it.
//!
//! Replicates are appended to `replicates.csv` as they finish; each cell's running statistics (the
//! componentwise moments of the gradient error, the meeting-time counts) are checkpointed to
//! `checkpoints/<cell>.json` every few seconds and at the end of the cell. A restart with the same
//! settings keeps the checkpointed replicates, drops CSV rows written after the last checkpoint (and a
//! row torn by the interruption; other damage is an error, see [`rows`](super::rows)), and continues
//! from there; replicate seeds depend only on (seed, cell, replicate), so the result is the
//! same as an uninterrupted run (floats are read back bit for bit: serde_json's `float_roundtrip`).

use std::collections::BTreeMap;
use std::path::Path;

use ucg_files::RunFolder;
use ucg_report::{CsvAppender, read_json, write_csv, write_json};

use super::cells::Cell;
use super::checkpoint::CellCheckpoint;
use super::config::Config;
use super::layout::{
    Layout, RunRecord, claim_study_folder, fresh_value, load_checkpoints, load_rows, same_json,
    stored_value,
};
use super::replicate::ReplicateRow;
use super::setup::SetupRecord;
use crate::AnyResult;
use crate::progress::Ui;
use crate::shard::Shard;

/// An open results folder of one shard of a run: checkpoints in memory, replicate rows appended.
pub struct Store {
    folder: RunFolder,
    layout: Layout,
    checkpoints: BTreeMap<String, CellCheckpoint>,
    csv: CsvAppender,
}

impl Store {
    /// Claims `root` for the run `config`, shard `shard` (`command` names this process to a second one):
    /// creates it, or resumes it when it holds the same run (dropping CSV rows written after the last
    /// checkpoint).
    ///
    /// # Errors
    /// The folder cannot be claimed (see [`claim_study_folder`]), holds another run (other settings or
    /// shard, or merged results), or has unreadable files.
    pub fn open(
        root: &Path,
        config: &Config,
        shard: Shard,
        ui: &Ui,
        command: &str,
    ) -> AnyResult<Self> {
        let folder = claim_study_folder(root, command)?;
        let layout = Layout::new(root);
        let record = RunRecord {
            config: config.clone(),
            shards: vec![shard],
            merged: false,
        };
        if layout.run().exists() {
            let old: RunRecord = read_json(layout.run())?;
            let shown = root.display();
            if old.merged {
                return Err(format!(
                    "{shown} holds merged results; choose another --out for a new run"
                )
                .into());
            }
            if stored_value(&layout.run())?.get("config") != Some(&fresh_value(config)?) {
                return Err(format!(
                    "{shown} holds a run with other settings ({}); resume it with the same flags or \
                     choose another --out",
                    crate::differences::setting_differences(&old.config, config).join("; ")
                )
                .into());
            }
            if old.shards != record.shards {
                return Err(format!(
                    "{shown} holds shard {} of this run, not {shard}; choose another --out",
                    old.shards.first().map_or("?".into(), Shard::to_string)
                )
                .into());
            }
        } else {
            if layout.replicates().exists() || layout.checkpoints().exists() {
                return Err(format!(
                    "{} holds results without run.json; remove them or choose another --out",
                    root.display()
                )
                .into());
            }
            write_json(folder.file_path(&layout.run())?, &record)?;
        }
        let checkpoints = load_checkpoints(&layout)?;
        let loaded = load_rows(&layout)?;
        let torn = loaded.torn.is_some();
        if let Some(note) = loaded.torn {
            ui.note(note);
        }
        let total = loaded.rows.len();
        let kept: Vec<ReplicateRow> = loaded
            .rows
            .into_iter()
            .filter(|row| {
                checkpoints
                    .get(&row.cell)
                    .is_some_and(|c| c.contains(row.replicate))
            })
            .collect();
        // Rewritten without the rows the checkpoints do not cover, and without a torn row (appending after
        // it would continue its line).
        if kept.len() != total || torn {
            write_csv(folder.file_path(&layout.replicates())?, &kept)?;
        }
        let csv = CsvAppender::open(folder.file_path(&layout.replicates())?)?;
        Ok(Store {
            folder,
            layout,
            checkpoints,
            csv,
        })
    }

    /// The folder's layout.
    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// The claimed folder, for writing.
    pub fn folder(&self) -> &RunFolder {
        &self.folder
    }

    /// Whether `cell`'s replicates of this shard are all done.
    pub fn is_complete(&self, cell: &Cell) -> bool {
        self.checkpoints
            .get(&cell.id())
            .is_some_and(CellCheckpoint::is_complete)
    }

    /// The checkpoint of `cell` for replicates `range`, with error moments of dimension `dim`: the stored
    /// one, or a new one.
    ///
    /// # Errors
    /// A stored checkpoint for another range or dimension.
    pub fn checkpoint(
        &self,
        cell: &Cell,
        range: (u64, u64),
        dim: usize,
    ) -> AnyResult<CellCheckpoint> {
        match self.checkpoints.get(&cell.id()) {
            None => Ok(CellCheckpoint::new(*cell, range, dim)),
            Some(c) => {
                let r = c.ranges.first();
                if c.ranges.len() != 1
                    || r.map(|r| (r.first, r.end)) != Some(range)
                    || c.errors.dim() != dim
                {
                    return Err(format!(
                        "checkpoint {} does not match this run",
                        self.layout.checkpoint(&cell.id()).display()
                    )
                    .into());
                }
                Ok(c.clone())
            }
        }
    }

    /// Writes `checkpoint` (atomically).
    ///
    /// # Errors
    /// I/O errors.
    pub fn save(&mut self, checkpoint: &CellCheckpoint) -> AnyResult<()> {
        let id = checkpoint.cell.id();
        write_json(
            self.folder.file_path(&self.layout.checkpoint(&id))?,
            checkpoint,
        )?;
        self.checkpoints.insert(id, checkpoint.clone());
        Ok(())
    }

    /// Appends one replicate's row to `replicates.csv`.
    ///
    /// # Errors
    /// I/O errors.
    pub fn append(&mut self, row: &ReplicateRow) -> AnyResult<()> {
        Ok(self.csv.append(row)?)
    }

    /// Writes `setup.json`, or checks that the stored one is the same (a restart must reproduce the fits
    /// and β exactly, or its replicates would not belong to the same run).
    ///
    /// # Errors
    /// A different stored setup, or I/O errors.
    pub fn record_setup(&self, setup: &SetupRecord) -> AnyResult<()> {
        let path = self.layout.setup();
        if path.exists() {
            if !same_json(setup, &path)? {
                return Err(format!(
                    "the fits or β warm-ups differ from those stored in {} (have the libraries changed?); \
                     choose another --out",
                    path.display()
                )
                .into());
            }
            return Ok(());
        }
        Ok(write_json(self.folder.file_path(&path)?, setup)?)
    }
}
