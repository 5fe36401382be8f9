//! A results folder: its layout, the run's settings, per-cell checkpoints, and resuming.
//!
//! Replicates are appended to `replicates.csv` as they finish; each cell's running statistics (the
//! componentwise moments of the gradient error, the meeting-time counts) are checkpointed to
//! `checkpoints/<cell>.json` every few seconds and at the end of the cell. A restart with the same
//! settings keeps the checkpointed replicates, drops CSV rows written after the last checkpoint, and
//! continues from there; replicate seeds depend only on (seed, cell, replicate), so the result is the
//! same as an uninterrupted run (up to the JSON round trip of the moments, ≤ 1 ulp).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use ucg_estimators::LaggedRun;
use ucg_estimators::summary::Moments;
use ucg_report::{CsvAppender, read_csv, read_json, write_csv, write_json};

use super::cells::Cell;
use super::config::Config;
use super::meeting::MeetingCounts;
use super::replicate::ReplicateRow;
use super::setup::SetupRecord;
use crate::AnyResult;
use crate::cli::Shard;

/// The files of a results folder.
#[derive(Clone, Debug)]
pub struct Layout {
    root: PathBuf,
}

impl Layout {
    /// The layout under `root`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Layout { root: root.into() }
    }
    /// The settings and shards (`run.json`).
    pub fn run(&self) -> PathBuf {
        self.root.join("run.json")
    }
    /// The fits and β warm-ups (`setup.json`).
    pub fn setup(&self) -> PathBuf {
        self.root.join("setup.json")
    }
    /// One row per replicate (`replicates.csv`).
    pub fn replicates(&self) -> PathBuf {
        self.root.join("replicates.csv")
    }
    /// The checkpoints' folder.
    pub fn checkpoints(&self) -> PathBuf {
        self.root.join("checkpoints")
    }
    /// The checkpoint of the cell with identifier `id`.
    pub fn checkpoint(&self, id: &str) -> PathBuf {
        self.checkpoints().join(format!("{id}.json"))
    }
    /// `summary.json`.
    pub fn summary(&self) -> PathBuf {
        self.root.join("summary.json")
    }
    /// `report.md`.
    pub fn report(&self) -> PathBuf {
        self.root.join("report.md")
    }
    /// The figures' folder.
    pub fn figures(&self) -> PathBuf {
        self.root.join("figures")
    }
}

/// The settings of the results in a folder and the shards they cover.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// The settings.
    pub config: Config,
    /// The shards whose replicates the folder holds (one for a run, several after a merge).
    pub shards: Vec<Shard>,
    /// Whether the folder was produced by `cargo xtask merge`.
    pub merged: bool,
}

/// Replicates `first..end` of a cell, of which `first..next` are done.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplicateRange {
    /// First replicate.
    pub first: u64,
    /// First replicate not done.
    pub next: u64,
    /// End of the range.
    pub end: u64,
}

/// A cell's running statistics over its finished replicates.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CellCheckpoint {
    /// The cell.
    pub cell: Cell,
    /// Its replicate ranges (one per shard).
    pub ranges: Vec<ReplicateRange>,
    /// Componentwise moments of the signed error `estimate − exact` (dimension 0 for meeting-only cells).
    pub errors: Moments,
    /// Meeting times of every point of every replicate (coupled estimators).
    pub meeting: MeetingCounts,
}

impl CellCheckpoint {
    /// An empty checkpoint for replicates `first..end`, with error moments of dimension `dim`.
    pub fn new(cell: Cell, (first, end): (u64, u64), dim: usize) -> Self {
        CellCheckpoint {
            cell,
            ranges: vec![ReplicateRange {
                first,
                next: first,
                end,
            }],
            errors: Moments::new(dim),
            meeting: MeetingCounts::default(),
        }
    }
    /// Replicates done.
    pub fn done(&self) -> u64 {
        self.ranges.iter().map(|r| r.next - r.first).sum()
    }
    /// Replicates planned in these ranges.
    pub fn planned(&self) -> u64 {
        self.ranges.iter().map(|r| r.end - r.first).sum()
    }
    /// Whether replicate `r` is done.
    pub fn contains(&self, r: u64) -> bool {
        self.ranges.iter().any(|x| (x.first..x.next).contains(&r))
    }
    /// Whether every planned replicate is done.
    pub fn is_complete(&self) -> bool {
        self.ranges.iter().all(|r| r.next == r.end)
    }
    /// The next replicate of a single-range (unmerged) checkpoint.
    pub fn next(&self) -> u64 {
        self.ranges.first().map_or(0, |r| r.next)
    }

    /// Records the replicate `self.next()`: its error vector (if checked) and its runs.
    ///
    /// # Errors
    /// An error vector of the wrong dimension, or a merged checkpoint.
    pub fn record(&mut self, errors: Option<&[f64]>, runs: &[LaggedRun]) -> AnyResult<()> {
        let [range] = self.ranges.as_mut_slice() else {
            return Err("cannot add replicates to merged results".into());
        };
        if range.next >= range.end {
            return Err(format!("{}: all replicates are already done", self.cell.id()).into());
        }
        if let Some(e) = errors {
            self.errors.push(e)?;
        }
        for run in runs {
            self.meeting.push(run);
        }
        range.next += 1;
        Ok(())
    }

    /// Adds another shard's checkpoint of the same cell.
    ///
    /// # Errors
    /// Different cells or dimensions, or overlapping replicate ranges.
    pub fn merge(&mut self, other: &CellCheckpoint) -> AnyResult<()> {
        if other.cell != self.cell {
            return Err(format!("cannot merge {} with {}", other.cell.id(), self.cell.id()).into());
        }
        for r in &other.ranges {
            if self
                .ranges
                .iter()
                .any(|s| r.first < s.end && s.first < r.end)
            {
                return Err(format!(
                    "{}: replicates {}..{} appear in two shards",
                    self.cell.id(),
                    r.first,
                    r.end
                )
                .into());
            }
        }
        self.errors.merge(&other.errors)?;
        self.meeting.merge(&other.meeting);
        self.ranges.extend(other.ranges.iter().copied());
        self.ranges.sort_by_key(|r| r.first);
        Ok(())
    }
}

/// Whether `value`, written as JSON, reads back the same as the JSON file at `path` (compared after
/// parsing both texts, so that float round trips cannot differ).
pub fn same_json<T: Serialize>(value: &T, path: &Path) -> AnyResult<bool> {
    Ok(stored_value(path)? == fresh_value(value)?)
}

/// The JSON file at `path` as a JSON value.
pub fn stored_value(path: &Path) -> AnyResult<serde_json::Value> {
    Ok(serde_json::from_str(&std::fs::read_to_string(path)?)?)
}

/// `value` as the JSON value its file would read back as (written as text, then parsed).
pub fn fresh_value<T: Serialize>(value: &T) -> AnyResult<serde_json::Value> {
    Ok(serde_json::from_str(&serde_json::to_string(value)?)?)
}

/// The top-level fields in which two JSON values differ.
pub fn json_differences<T: Serialize>(a: &T, b: &T) -> Vec<String> {
    let (Ok(serde_json::Value::Object(a)), Ok(serde_json::Value::Object(b))) =
        (serde_json::to_value(a), serde_json::to_value(b))
    else {
        return vec!["(not comparable)".into()];
    };
    a.iter()
        .filter(|(k, v)| b.get(*k) != Some(v))
        .map(|(k, _)| k.clone())
        .collect()
}

/// Reads every checkpoint of a results folder, by cell identifier.
///
/// # Errors
/// Unreadable checkpoint files.
pub fn load_checkpoints(layout: &Layout) -> AnyResult<BTreeMap<String, CellCheckpoint>> {
    let mut out = BTreeMap::new();
    let dir = layout.checkpoints();
    if !dir.is_dir() {
        return Ok(out);
    }
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    for path in paths {
        let c: CellCheckpoint = read_json(&path)?;
        out.insert(c.cell.id(), c);
    }
    Ok(out)
}

/// Reads `replicates.csv` (no rows when it does not exist).
///
/// # Errors
/// An unreadable file.
pub fn load_rows(layout: &Layout) -> AnyResult<Vec<ReplicateRow>> {
    let path = layout.replicates();
    if !path.exists() {
        return Ok(Vec::new());
    }
    Ok(read_csv(&path)?)
}

/// An open results folder of one shard of a run: checkpoints in memory, replicate rows appended.
pub struct Store {
    layout: Layout,
    checkpoints: BTreeMap<String, CellCheckpoint>,
    csv: CsvAppender,
}

impl Store {
    /// Opens `root` for the run `config`, shard `shard`: creates it, or resumes it when it holds the same
    /// run (dropping CSV rows written after the last checkpoint).
    ///
    /// # Errors
    /// The folder holds another run (other settings or shard, or merged results), or unreadable files.
    pub fn open(root: &Path, config: &Config, shard: Shard) -> AnyResult<Self> {
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
                    "{shown} holds a run with other settings (differing: {}); resume it with the same \
                     flags or choose another --out",
                    json_differences(&old.config, config).join(", ")
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
            write_json(layout.run(), &record)?;
        }
        let checkpoints = load_checkpoints(&layout)?;
        let rows = load_rows(&layout)?;
        let total = rows.len();
        let kept: Vec<ReplicateRow> = rows
            .into_iter()
            .filter(|row| {
                checkpoints
                    .get(&row.cell)
                    .is_some_and(|c| c.contains(row.replicate))
            })
            .collect();
        if kept.len() != total {
            write_csv(layout.replicates(), &kept)?;
        }
        let csv = CsvAppender::open(layout.replicates())?;
        Ok(Store {
            layout,
            checkpoints,
            csv,
        })
    }

    /// The folder's layout.
    pub fn layout(&self) -> &Layout {
        &self.layout
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
        write_json(self.layout.checkpoint(&id), checkpoint)?;
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
        Ok(write_json(path, setup)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ppca::cells::{Estimator, Sweep};

    fn cell() -> Cell {
        Cell {
            sweep: Sweep::Gradient,
            estimator: Estimator::CIsir,
            k: 5,
            d: 3,
            replicates: 4,
        }
    }

    fn run(tau: usize) -> LaggedRun {
        LaggedRun {
            meeting_time: Some(tau),
            iterations: tau,
            cost: 2 * tau,
            capped: false,
        }
    }

    #[test]
    fn checkpoints_record_and_merge_disjoint_ranges() {
        let mut a = CellCheckpoint::new(cell(), (0, 2), 2);
        let mut b = CellCheckpoint::new(cell(), (2, 4), 2);
        a.record(Some(&[1.0, 2.0]), &[run(11)]).unwrap();
        a.record(Some(&[3.0, 2.0]), &[run(12)]).unwrap();
        assert!(a.record(Some(&[0.0, 0.0]), &[]).is_err());
        b.record(Some(&[5.0, 2.0]), &[run(13), run(14)]).unwrap();
        assert!(a.is_complete() && !b.is_complete());
        assert!(a.contains(1) && !b.contains(3));
        let mut m = a.clone();
        m.merge(&b).unwrap();
        assert_eq!((m.done(), m.planned(), m.meeting.runs()), (3, 4, 4));
        assert_eq!(m.errors.mean(), &[3.0, 2.0]);
        assert!(m.merge(&b).is_err(), "overlapping ranges must be refused");
        assert!(m.record(Some(&[0.0, 0.0]), &[]).is_err());
    }

    #[test]
    fn json_differences_name_fields() {
        let a = Config::tiny(1);
        let mut b = a.clone();
        b.replicates = 9;
        assert_eq!(json_differences(&a, &b), vec!["replicates".to_string()]);
    }
}
