//! Writing a whole file atomically, by the workspace's one atomic writer (`ucg_files::atomic`): a
//! reader (another thread, another process, or a run resumed after a crash) sees either the old file or
//! the complete new one, never a half-written file, and two writers of the same path both succeed.

use std::fs::File;
use std::path::Path;

use crate::error::{Result, io_err};

/// Creates the parent folder of `path` if needed.
pub(crate) fn create_parent(path: &Path) -> Result<()> {
    match path.parent().filter(|d| !d.as_os_str().is_empty()) {
        Some(dir) => std::fs::create_dir_all(dir).map_err(io_err(dir)),
        None => Ok(()),
    }
}

/// Runs `write` on a fresh temporary file beside `path`, syncs it and renames it to `path`; the
/// temporary file is removed when anything fails.
pub(crate) fn write_atomically<R>(
    path: &Path,
    write: impl FnOnce(&File) -> Result<R>,
) -> Result<R> {
    ucg_files::write_atomic_with(path, write)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    #[test]
    fn two_threads_writing_one_path_both_succeed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("summary.json");
        let texts: Vec<String> = (0..2).map(|t| format!("{t}").repeat(100_000)).collect();
        std::thread::scope(|s| {
            for text in &texts {
                let (path, texts) = (&path, &texts);
                s.spawn(move || {
                    for _ in 0..20 {
                        write_atomically(path, |mut f| {
                            f.write_all(text.as_bytes()).map_err(io_err(path))
                        })
                        .unwrap();
                        // Whatever a reader sees is one writer's whole text.
                        let seen = std::fs::read_to_string(path).unwrap();
                        assert!(texts.contains(&seen), "torn file of {} bytes", seen.len());
                    }
                });
            }
        });
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "temporary files left"
        );
    }

    #[test]
    fn a_failed_write_leaves_neither_target_nor_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.md");
        let err = write_atomically(&path, |_| -> Result<()> {
            Err(io_err(&path)(std::io::Error::other("disk full")))
        });
        assert!(err.is_err());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
