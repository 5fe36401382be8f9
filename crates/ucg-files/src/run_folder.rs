//! A run's output folder: claimed by one process at a time, with a record of every file the run wrote,
//! so that nothing else in it is ever replaced or deleted.
//!
//! [`RunFolder::claim`] accepts a folder that does not exist yet (created), an empty one, or one this
//! tool claimed before for the same kind of run (resumed), and refuses anything else: a user's folder
//! of plots, a folder holding another kind of run. It then takes the folder's lock ([`FolderLock`]) for
//! as long as the `RunFolder` (or any view of it) lives, and removes the temporary files a killed writer
//! left behind ([`crate::atomic::remove_temporaries`]).
//!
//! Every file the run writes goes through [`RunFolder::file`], which records it in `.ucg-files` before
//! handing out its path; a path that exists but is not recorded is refused ([`FilesError::NotOurs`]).
//! [`RunFolder::remove`] deletes recorded files only. The record is a text file: a header line, the
//! kind of run, then one path per line, relative to the folder, with `/` separators.

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::FilesError;
use crate::atomic::{TEMPORARY_PREFIX, remove_temporaries, write_atomic};
use crate::lock::{FolderLock, LOCK_FILE};

/// The name of the record of written files.
pub const RECORD_FILE: &str = ".ucg-files";

/// The record's first line (with its format version).
const HEADER: &str = "# ucg run folder, format 1: the files this tool wrote here; do not edit";

/// A claimed output folder, or a subfolder of one (see [`RunFolder::at`]); cheap to clone, and every
/// clone shares the one lock and record.
///
/// ```
/// use ucg_files::RunFolder;
///
/// let tmp = tempfile::tempdir()?;
/// let out = tmp.path().join("run");
/// let folder = RunFolder::claim(&out, "example run", "doc test")?;
/// ucg_files::write_atomic(&folder.file("report.md")?, b"# Report\n")?;
/// // A second claim while the first is held names the holder.
/// assert!(RunFolder::claim(&out, "example run", "again").is_err());
/// // A file the run did not write is never handed out for writing.
/// std::fs::write(out.join("notes.txt"), "mine")?;
/// assert!(folder.file("notes.txt").is_err());
/// drop(folder);
/// // Released: the same kind of run resumes; another kind is refused.
/// let again = RunFolder::claim(&out, "example run", "resume")?;
/// assert!(again.wrote("report.md"));
/// drop(again);
/// assert!(RunFolder::claim(&out, "other run", "x").is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct RunFolder {
    shared: Arc<Shared>,
    /// This view's folder, relative to the claimed root (empty for the root).
    within: PathBuf,
}

#[derive(Debug)]
struct Shared {
    root: PathBuf,
    kind: String,
    files: Mutex<BTreeSet<String>>,
    _lock: FolderLock,
}

impl RunFolder {
    /// Claims `root` for a run of `kind` (a short phrase such as `"VAE training run"`, stored in the record
    /// and compared on every later claim); `holder` describes this process to a second writer.
    ///
    /// # Errors
    /// `root` is a file, is not empty and was not claimed by this tool, holds a run of another kind, is
    /// locked by another process, or cannot be read or written.
    pub fn claim(root: &Path, kind: &str, holder: &str) -> Result<RunFolder, FilesError> {
        Self::claim_or_adopt(root, kind, holder, |_| None)
    }

    /// Like [`RunFolder::claim`], but a non-empty folder without a record is accepted when `earlier`
    /// recognises it as a run of this kind written by an earlier version of the tool: `earlier` returns
    /// the files that version wrote (relative to `root`), which are recorded as this run's. Anything else
    /// in the folder stays a user's file.
    ///
    /// # Errors
    /// As [`RunFolder::claim`].
    pub fn claim_or_adopt(
        root: &Path,
        kind: &str,
        holder: &str,
        earlier: impl FnOnce(&Path) -> Option<Vec<PathBuf>>,
    ) -> Result<RunFolder, FilesError> {
        if root.exists() && !root.is_dir() {
            return Err(FilesError::NotAFolder(root.to_path_buf()));
        }
        if !root.exists() && root.symlink_metadata().is_ok() {
            return Err(FilesError::io(
                root,
                std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    "a symbolic link to a folder that does not exist; create the folder it names, or \
                     give another --out",
                ),
            ));
        }
        refuse_part_of_enclosing_run(root)?;
        std::fs::create_dir_all(root).map_err(|e| FilesError::io(root, e))?;
        let record = root.join(RECORD_FILE);
        // A folder of someone else's files is refused before anything (the lock file included) is
        // written into it.
        let mut adopted = BTreeSet::new();
        if !record.exists() {
            let others = foreign_entries(root)?;
            if !others.is_empty() {
                let Some(files) = earlier(root) else {
                    let mut shown: Vec<String> = others.iter().take(3).cloned().collect();
                    if others.len() > 3 {
                        shown.push(format!("and {} more", others.len() - 3));
                    }
                    return Err(FilesError::NotARun {
                        folder: root.to_path_buf(),
                        found: shown.join(", "),
                    });
                };
                adopted = files
                    .iter()
                    .filter(|p| root.join(p).is_file())
                    .map(|p| key(p))
                    .collect::<Result<_, _>>()?;
            }
        }
        let lock = FolderLock::acquire(root, holder)?;
        // Read under the lock: another process may have claimed the folder in the meantime.
        let files = if record.exists() {
            let (found, files) = read_record(&record)?;
            if found != kind {
                return Err(FilesError::OtherKind {
                    folder: root.to_path_buf(),
                    found,
                    wanted: kind.to_string(),
                });
            }
            files
        } else {
            adopted
        };
        remove_temporaries(root)?;
        let folder = RunFolder {
            shared: Arc::new(Shared {
                root: root.to_path_buf(),
                kind: kind.to_string(),
                files: Mutex::new(files),
                _lock: lock,
            }),
            within: PathBuf::new(),
        };
        folder.save(&folder.files())?;
        Ok(folder)
    }

    /// The view of subfolder `dir` (relative to this view): its paths and files are relative to it, and
    /// it shares this folder's lock and record.
    pub fn at(&self, dir: impl AsRef<Path>) -> RunFolder {
        RunFolder {
            shared: Arc::clone(&self.shared),
            within: self.within.join(dir),
        }
    }

    /// This view's folder on disk.
    pub fn dir(&self) -> PathBuf {
        if self.within.as_os_str().is_empty() {
            self.shared.root.clone()
        } else {
            self.shared.root.join(&self.within)
        }
    }

    /// The kind of run the folder holds.
    pub fn kind(&self) -> &str {
        &self.shared.kind
    }

    /// The path of `name` (relative to this view), for reading; see [`RunFolder::file`] for writing.
    pub fn path(&self, name: impl AsRef<Path>) -> PathBuf {
        self.dir().join(name)
    }

    /// The path of `name` (relative to this view) for writing or replacing: recorded as this run's
    /// before it is returned (so a crash between the two leaves a record of a file that may not exist,
    /// which is harmless).
    ///
    /// # Errors
    /// [`FilesError::NotOurs`] when the path exists but the run did not write it; I/O failures.
    pub fn file(&self, name: impl AsRef<Path>) -> Result<PathBuf, FilesError> {
        let relative = self.within.join(name.as_ref());
        let key = key(&relative)?;
        let path = self.shared.root.join(&relative);
        let mut files = self.files();
        if files.contains(&key) {
            return Ok(path);
        }
        if path.symlink_metadata().is_ok() {
            return Err(FilesError::NotOurs(path));
        }
        files.insert(key);
        self.save(&files)?;
        Ok(path)
    }

    /// [`RunFolder::file`] for a full path inside the folder (for callers whose layout hands out full
    /// paths, built from the same root).
    ///
    /// # Errors
    /// A path outside this view's folder, and those of [`RunFolder::file`].
    pub fn file_path(&self, path: &Path) -> Result<PathBuf, FilesError> {
        let dir = self.dir();
        let relative = path.strip_prefix(&dir).map_err(|_| bad_name(path))?;
        self.file(relative)
    }

    /// Whether the run wrote `name` (relative to this view).
    pub fn wrote(&self, name: impl AsRef<Path>) -> bool {
        key(&self.within.join(name))
            .map(|k| self.files().contains(&k))
            .unwrap_or(false)
    }

    /// The files the run wrote under this view that still exist, relative to it, in order.
    pub fn written(&self) -> Vec<PathBuf> {
        let prefix = key(&self.within).unwrap_or_default();
        self.files()
            .iter()
            .filter_map(|k| {
                let rest = if prefix.is_empty() {
                    Some(k.as_str())
                } else {
                    k.strip_prefix(&prefix).and_then(|r| r.strip_prefix('/'))
                }?;
                let p = PathBuf::from(rest);
                self.dir().join(&p).is_file().then_some(p)
            })
            .collect()
    }

    /// Deletes `name` (relative to this view) if the run wrote it; returns whether a file was deleted.
    /// A file the run did not write is left alone.
    ///
    /// # Errors
    /// I/O failures.
    pub fn remove(&self, name: impl AsRef<Path>) -> Result<bool, FilesError> {
        let relative = self.within.join(name.as_ref());
        let key = key(&relative)?;
        let mut files = self.files();
        if !files.remove(&key) {
            return Ok(false);
        }
        let path = self.shared.root.join(&relative);
        let existed = match std::fs::remove_file(&path) {
            Ok(()) => true,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
            Err(e) => return Err(FilesError::io(&path, e)),
        };
        self.save(&files)?;
        Ok(existed)
    }

    fn files(&self) -> MutexGuard<'_, BTreeSet<String>> {
        // A panic while holding the guard cannot leave the set half-updated (inserts and removes are
        // single operations), so a poisoned lock is still usable.
        self.shared
            .files
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn save(&self, files: &BTreeSet<String>) -> Result<(), FilesError> {
        let mut text = format!("{HEADER}\nkind {}\n", self.shared.kind);
        for f in files {
            text.push_str(f);
            text.push('\n');
        }
        write_atomic(&self.shared.root.join(RECORD_FILE), text.as_bytes())
    }
}

/// A relative path as the record writes it (`/`-separated); refuses absolute paths and `..`.
fn key(relative: &Path) -> Result<String, FilesError> {
    let mut parts = Vec::new();
    for c in relative.components() {
        match c {
            Component::Normal(s) => {
                let s = s.to_string_lossy();
                if s.contains('\n') {
                    return Err(bad_name(relative));
                }
                parts.push(s.into_owned());
            }
            Component::CurDir => {}
            _ => return Err(bad_name(relative)),
        }
    }
    Ok(parts.join("/"))
}

fn bad_name(relative: &Path) -> FilesError {
    FilesError::io(
        relative,
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "an output file must be named by a plain path inside its folder",
        ),
    )
}

/// The record at `path`: its kind and files.
fn read_record(path: &Path) -> Result<(String, BTreeSet<String>), FilesError> {
    let bad = |reason: &str| FilesError::BadRecord {
        path: path.to_path_buf(),
        reason: reason.to_string(),
    };
    let bytes = std::fs::read(path).map_err(|e| FilesError::io(path, e))?;
    let text = String::from_utf8(bytes).map_err(|_| bad("not text"))?;
    let mut lines = text.lines();
    if lines.next() != Some(HEADER) {
        return Err(bad("unknown first line"));
    }
    let kind = lines
        .next()
        .and_then(|l| l.strip_prefix("kind "))
        .ok_or_else(|| bad("no kind of run on its second line"))?
        .to_string();
    let files = lines
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    Ok((kind, files))
}

/// Refuses `root` when an enclosing folder's record lists files under it: those files belong to that
/// run (a VAE study's training runs), whose own lock does not cover a second claim at `root`.
fn refuse_part_of_enclosing_run(root: &Path) -> Result<(), FilesError> {
    let absolute = std::path::absolute(root).map_err(|e| FilesError::io(root, e))?;
    for ancestor in absolute.ancestors().skip(1) {
        let record = ancestor.join(RECORD_FILE);
        if !record.is_file() {
            continue;
        }
        let Ok(inside) = absolute
            .strip_prefix(ancestor)
            .map_err(|_| ())
            .and_then(|p| key(p).map_err(|_| ()))
        else {
            continue;
        };
        let (kind, files) = read_record(&record)?;
        let prefix = format!("{inside}/");
        if files.iter().any(|f| f.starts_with(&prefix)) {
            return Err(FilesError::PartOfRun {
                folder: root.to_path_buf(),
                run: ancestor.to_path_buf(),
                kind,
            });
        }
    }
    Ok(())
}

/// The entries of `root` other than the lock, the record and temporary files, sorted.
fn foreign_entries(root: &Path) -> Result<Vec<String>, FilesError> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(root).map_err(|e| FilesError::io(root, e))? {
        let entry = entry.map_err(|e| FilesError::io(root, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name != LOCK_FILE && name != RECORD_FILE && !name.starts_with(TEMPORARY_PREFIX) {
            names.push(name);
        }
    }
    names.sort();
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claim(root: &Path) -> Result<RunFolder, FilesError> {
        RunFolder::claim(root, "test run", "test")
    }

    #[test]
    fn a_users_folder_is_refused_and_left_as_it_was() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir(tmp.path().join("figures")).unwrap();
        std::fs::write(tmp.path().join("figures/mine.png"), b"plot").unwrap();
        std::fs::write(tmp.path().join("report.md"), b"my notes").unwrap();
        let err = claim(tmp.path()).unwrap_err();
        assert!(matches!(err, FilesError::NotARun { .. }), "{err}");
        assert!(err.to_string().contains("figures, report.md"), "{err}");
        assert_eq!(
            std::fs::read(tmp.path().join("report.md")).unwrap(),
            b"my notes"
        );
        assert!(!tmp.path().join(RECORD_FILE).exists());
    }

    #[test]
    fn only_recorded_files_are_handed_out_or_removed() {
        let tmp = tempfile::tempdir().unwrap();
        let folder = claim(&tmp.path().join("out")).unwrap();
        let runs = folder.at("runs/a");
        write_atomic(&runs.file("model.bin").unwrap(), b"m").unwrap();
        assert!(folder.wrote("runs/a/model.bin") && runs.wrote("model.bin"));
        assert_eq!(runs.written(), vec![PathBuf::from("model.bin")]);
        std::fs::write(runs.path("mine.txt"), b"user").unwrap();
        assert!(matches!(runs.file("mine.txt"), Err(FilesError::NotOurs(_))));
        assert!(!runs.remove("mine.txt").unwrap());
        assert!(runs.path("mine.txt").exists());
        assert!(runs.remove("model.bin").unwrap());
        assert!(!runs.path("model.bin").exists() && !runs.wrote("model.bin"));
        assert!(folder.file("../escape").is_err());
    }

    #[test]
    fn a_resumed_folder_keeps_its_record_and_loses_its_temporaries() {
        let tmp = tempfile::tempdir().unwrap();
        let folder = claim(tmp.path()).unwrap();
        write_atomic(&folder.file("a.json").unwrap(), b"{}").unwrap();
        drop(folder);
        std::fs::write(tmp.path().join(".ucg-tmpK1LL3D"), b"torn").unwrap();
        let again = claim(tmp.path()).unwrap();
        assert!(again.wrote("a.json"));
        assert!(!tmp.path().join(".ucg-tmpK1LL3D").exists());
        drop(again);
        let other = RunFolder::claim(tmp.path(), "other run", "x").unwrap_err();
        assert!(
            other
                .to_string()
                .contains("holds a test run, not a other run"),
            "{other}"
        );
    }

    #[test]
    fn an_earlier_versions_run_is_adopted_with_only_its_own_files() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join("run.json"), b"{}").unwrap();
        std::fs::write(tmp.path().join("mine.txt"), b"user").unwrap();
        let folder = RunFolder::claim_or_adopt(tmp.path(), "test run", "x", |root| {
            root.join("run.json")
                .is_file()
                .then(|| vec![PathBuf::from("run.json"), PathBuf::from("absent.csv")])
        })
        .unwrap();
        assert!(folder.wrote("run.json"));
        assert!(!folder.wrote("absent.csv") && !folder.wrote("mine.txt"));
    }

    #[test]
    fn a_subfolder_of_another_run_is_not_claimed_on_its_own() {
        let tmp = tempfile::tempdir().unwrap();
        let study = claim(tmp.path()).unwrap();
        let run = study.at("runs/a");
        write_atomic(&run.file("model.bin").unwrap(), b"m").unwrap();
        let err = claim(&tmp.path().join("runs/a")).unwrap_err();
        assert!(matches!(err, FilesError::PartOfRun { .. }), "{err}");
        // A sibling the study never wrote into is free.
        drop(claim(&tmp.path().join("elsewhere")).unwrap());
    }

    #[test]
    fn a_file_is_not_a_folder() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("results.txt");
        std::fs::write(&file, "x").unwrap();
        let err = claim(&file).unwrap_err();
        assert!(err.to_string().contains("is a file, not a folder"), "{err}");
    }

    #[test]
    fn a_damaged_record_is_an_error_not_a_fresh_start() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join(RECORD_FILE), "garbage\n").unwrap();
        std::fs::write(tmp.path().join("model.bin"), "m").unwrap();
        let err = claim(tmp.path()).unwrap_err();
        assert!(matches!(err, FilesError::BadRecord { .. }), "{err}");
        std::fs::write(tmp.path().join(RECORD_FILE), [0xff, 0xfe, 0x00]).unwrap();
        let err = claim(tmp.path()).unwrap_err();
        assert!(
            err.to_string()
                .contains("not a record of written files (not text)"),
            "{err}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_link_to_a_missing_folder_is_named_as_such() {
        let tmp = tempfile::tempdir().unwrap();
        let link = tmp.path().join("out");
        std::os::unix::fs::symlink(tmp.path().join("missing"), &link).unwrap();
        let err = claim(&link).unwrap_err().to_string();
        assert!(
            err.contains("symbolic link to a folder that does not exist"),
            "{err}"
        );
    }
}
