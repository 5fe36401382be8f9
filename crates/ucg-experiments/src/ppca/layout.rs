//! The files of a results folder, the run record, and reading them back.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use ucg_files::RunFolder;
use ucg_report::read_json;

use super::checkpoint::CellCheckpoint;
use super::config::Config;
use super::rows::{CheckedRows, read_rows};
use crate::AnyResult;
use crate::shard::Shard;

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
    /// The cache of fitted encoders (a resumed run loads them instead of fitting again).
    pub fn cache(&self) -> PathBuf {
        self.root.join("cache")
    }
    /// The cached encoder of the problem with latent dimension `d` of the main problem (`main`) or of
    /// the dimension sweep (`dsweep`).
    pub fn encoder(&self, part: &str, d: usize) -> PathBuf {
        self.cache().join(format!("encoder-{part}-d{d}.json"))
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

/// Reads and checks `replicates.csv` (no rows when it does not exist); see [`read_rows`].
///
/// # Errors
/// An unreadable file, or a damaged, non-finite or duplicated row.
pub fn load_rows(layout: &Layout) -> AnyResult<CheckedRows> {
    read_rows(&layout.replicates())
}

/// The kind of run a PPCA study's folder records (a run, a shard or merged shards).
pub const STUDY_KIND: &str = "PPCA study";

/// Whether `relative` is a file an earlier version of the tool wrote in a PPCA results folder.
fn written_by_earlier_version(relative: &Path) -> bool {
    let top = [
        "run.json",
        "sweep.json",
        "setup.json",
        "replicates.csv",
        "summary.json",
        "report.md",
    ];
    // The names the PPCA study and its sweeps give their figures.
    let figures = [
        "intercept_error",
        "weight_error",
        "relative_error",
        "bias_vs_k_",
        "max_z_vs_k",
        "meeting_",
        "inefficiency",
        "encoder_fit",
        "beta_sweep_",
        "window_",
        "tails_",
    ];
    top.iter().any(|t| relative == Path::new(t))
        || crate::folder::is_earlier_figure(relative, &figures)
        || [("checkpoints", "json"), ("cache", "json")]
            .iter()
            .any(|(dir, ext)| {
                relative.parent() == Some(Path::new(dir))
                    && relative.extension().is_some_and(|e| e == *ext)
            })
}

/// Claims `root` for a PPCA study (a new or empty folder, or a PPCA study's, also one an earlier version
/// wrote); `command` names this process to a second one.
///
/// # Errors
/// `root` is a file, a folder of other files or of another kind of run, or in use by another process.
pub fn claim_study_folder(root: &Path, command: &str) -> AnyResult<RunFolder> {
    crate::folder::claim(root, STUDY_KIND, command, |r| {
        read_json::<RunRecord>(r.join("run.json"))
            .is_ok()
            .then(|| crate::folder::files_under(r, written_by_earlier_version))
    })
}

/// Claims `root` for a sweep described by `record` (`what` names its kind, such as `"β sweep"`): a new
/// or empty folder, or one of the same kind of sweep; then writes `sweep.json` on the first run, or
/// checks that the one already there describes the same sweep (so a restart resumes it).
///
/// # Errors
/// `root` is a file, a folder of other files or another kind of run, in use by another process, or holds
/// a sweep with other settings.
pub fn claim_sweep_folder<T: Serialize>(
    root: &Path,
    record: &T,
    what: &str,
    command: &str,
) -> AnyResult<RunFolder> {
    let folder = crate::folder::claim(root, what, command, |r| {
        r.join("sweep.json")
            .is_file()
            .then(|| crate::folder::files_under(r, written_by_earlier_version))
    })?;
    let path = folder.path("sweep.json");
    if path.exists() {
        if !same_json(record, &path)? {
            return Err(format!(
                "{} holds a {what} with other settings ({}); resume it with the same flags or choose \
                 another --out",
                root.display(),
                crate::differences::setting_differences(&stored_value(&path)?, record).join("; ")
            )
            .into());
        }
    } else {
        ucg_report::write_json(folder.file("sweep.json")?, record)?;
    }
    Ok(folder)
}

/// Writes a running checkpoint to its file at most once per period (a checkpoint can be tens of MB),
/// and always at the end.
pub struct PeriodicSave {
    path: PathBuf,
    every: Duration,
    last: Instant,
}

impl PeriodicSave {
    /// Saves to `path` (a file of the claimed `folder`) at most once per `every`.
    ///
    /// # Errors
    /// `path` exists but the run did not write it.
    pub fn new(folder: &RunFolder, path: PathBuf, every: Duration) -> AnyResult<Self> {
        Ok(PeriodicSave {
            path: folder.file_path(&path)?,
            every,
            last: Instant::now(),
        })
    }

    /// Writes `value` if the period has passed since the last write.
    ///
    /// # Errors
    /// I/O failures.
    pub fn tick<T: Serialize>(&mut self, value: &T) -> AnyResult<()> {
        if self.last.elapsed() > self.every {
            ucg_report::write_json(&self.path, value)?;
            self.last = Instant::now();
        }
        Ok(())
    }

    /// Writes `value`.
    ///
    /// # Errors
    /// I/O failures.
    pub fn finish<T: Serialize>(self, value: &T) -> AnyResult<()> {
        Ok(ucg_report::write_json(&self.path, value)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_not_a_results_folder() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("results.txt");
        std::fs::write(&file, "x").unwrap();
        let err = claim_study_folder(&file, "test").unwrap_err().to_string();
        assert!(err.contains("is a file, not a folder"), "{err}");
        drop(claim_study_folder(&dir.path().join("new"), "test").unwrap());
        let err = claim_study_folder(dir.path(), "test")
            .unwrap_err()
            .to_string();
        assert!(err.contains("not a results folder of this tool"), "{err}");
    }

    #[test]
    fn an_earlier_versions_run_is_adopted_by_its_own_files_only() {
        let dir = tempfile::tempdir().unwrap();
        let record = RunRecord {
            config: Config::tiny(1),
            shards: vec![Shard::WHOLE],
            merged: false,
        };
        ucg_report::write_json(dir.path().join("run.json"), &record).unwrap();
        for f in [
            "replicates.csv",
            "figures/inefficiency.png",
            "figures/mine.png",
            "figures/notes.txt",
            "mine.md",
        ] {
            std::fs::create_dir_all(dir.path().join(f).parent().unwrap()).unwrap();
            std::fs::write(dir.path().join(f), "x").unwrap();
        }
        let folder = claim_study_folder(dir.path(), "test").unwrap();
        for f in ["run.json", "replicates.csv", "figures/inefficiency.png"] {
            assert!(folder.wrote(f), "{f}");
        }
        for f in ["figures/mine.png", "figures/notes.txt", "mine.md"] {
            assert!(!folder.wrote(f), "{f}");
        }
    }
}
