//! Writing a whole file atomically: write a uniquely named temporary file in the target's folder, sync
//! it, then rename it over the target.
//!
//! A reader (another thread, another process, or a run resumed after a crash) therefore sees either the
//! old file or the complete new one, never a half-written file; and two writers of the same path never
//! share a temporary file (its name is random, not derived from the process id), so both succeed and the
//! last rename wins.
//!
//! Temporary files are named `.ucg-tmp…` ([`TEMPORARY_PREFIX`]), so the ones a killed process leaves
//! behind can be told from a user's files and removed ([`remove_temporaries`]) without guessing.

use std::fs::File;
use std::io::Write;
use std::path::Path;

use crate::FilesError;

/// The prefix of every temporary file this crate creates.
pub const TEMPORARY_PREFIX: &str = ".ucg-tmp";

/// Writes `bytes` to `path` atomically, creating the parent folder if needed.
///
/// # Errors
/// I/O failures, as [`FilesError::Io`] naming the file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), FilesError> {
    write_atomic_with(path, |mut file| {
        file.write_all(bytes).map_err(|e| FilesError::io(path, e))
    })
}

/// Runs `write` on a fresh temporary file beside `path`, syncs it and renames it to `path`, creating the
/// parent folder if needed; the temporary file is removed when anything fails.
///
/// The error type is the caller's, so that a CSV or JSON writer can report its own errors.
///
/// # Errors
/// `write`'s errors, or I/O failures converted from [`FilesError`].
pub fn write_atomic_with<R, E: From<FilesError>>(
    path: &Path,
    write: impl FnOnce(&File) -> Result<R, E>,
) -> Result<R, E> {
    let dir = match path.parent().filter(|d| !d.as_os_str().is_empty()) {
        Some(dir) => dir,
        None => Path::new("."),
    };
    std::fs::create_dir_all(dir).map_err(|e| FilesError::io(dir, e))?;
    let tmp = tempfile::Builder::new()
        .prefix(TEMPORARY_PREFIX)
        .tempfile_in(dir)
        .map_err(|e| FilesError::io(dir, e))?;
    let result = write(tmp.as_file())?;
    make_readable(tmp.as_file())
        .and_then(|()| tmp.as_file().sync_all())
        .map_err(|e| FilesError::io(tmp.path(), e))?;
    tmp.persist(path)
        .map_err(|e| FilesError::io(path, e.error))?;
    Ok(result)
}

/// Removes the temporary files ([`TEMPORARY_PREFIX`]) under `dir` and its subfolders, left by a process
/// killed while writing; returns how many were removed. Nothing else is touched.
///
/// Call it only on a folder no other process is writing (see [`crate::RunFolder`], which holds the
/// folder's lock when it calls this).
///
/// # Errors
/// I/O failures.
pub fn remove_temporaries(dir: &Path) -> Result<usize, FilesError> {
    let mut removed = 0;
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(FilesError::io(dir, e)),
    };
    for entry in entries {
        let entry = entry.map_err(|e| FilesError::io(dir, e))?;
        let path = entry.path();
        let kind = entry.file_type().map_err(|e| FilesError::io(&path, e))?;
        if kind.is_dir() {
            removed += remove_temporaries(&path)?;
        } else if kind.is_file()
            && entry
                .file_name()
                .to_string_lossy()
                .starts_with(TEMPORARY_PREFIX)
        {
            std::fs::remove_file(&path).map_err(|e| FilesError::io(&path, e))?;
            removed += 1;
        }
    }
    Ok(removed)
}

/// Temporary files are created readable by their owner only; results are for everyone to read.
#[cfg(unix)]
fn make_readable(file: &File) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(std::fs::Permissions::from_mode(0o644))
}

#[cfg(not(unix))]
fn make_readable(_file: &File) -> std::io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_and_replaces_files_without_leaving_temporaries() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("sub").join("f.bin");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        assert_eq!(std::fs::read_dir(p.parent().unwrap()).unwrap().count(), 1);
    }

    #[test]
    fn a_failing_writer_leaves_the_old_file_and_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f.txt");
        write_atomic(&p, b"old").unwrap();
        let err = write_atomic_with(&p, |_| -> Result<(), FilesError> {
            Err(FilesError::NotAFolder(p.clone()))
        });
        assert!(err.is_err());
        assert_eq!(std::fs::read(&p).unwrap(), b"old");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn two_threads_writing_one_path_both_succeed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t10k-images.bin");
        let contents: Vec<Vec<u8>> = (0..2u8).map(|t| vec![t; 200_000]).collect();
        std::thread::scope(|s| {
            for bytes in &contents {
                let (path, contents) = (&path, &contents);
                s.spawn(move || {
                    for _ in 0..20 {
                        write_atomic(path, bytes).unwrap();
                        // Whatever a reader sees is one writer's whole file.
                        assert!(contents.contains(&std::fs::read(path).unwrap()));
                    }
                });
            }
        });
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn only_our_temporaries_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let nested = dir.path().join("runs").join("a");
        std::fs::create_dir_all(&nested).unwrap();
        for (folder, name) in [
            (dir.path(), ".ucg-tmpAbC123"),
            (nested.as_path(), ".ucg-tmpXyZ789"),
            (dir.path(), ".tmpAbC123"),
            (nested.as_path(), "model.bin"),
        ] {
            std::fs::write(folder.join(name), b"x").unwrap();
        }
        assert_eq!(remove_temporaries(dir.path()).unwrap(), 2);
        assert!(dir.path().join(".tmpAbC123").exists());
        assert!(nested.join("model.bin").exists());
        assert!(!nested.join(".ucg-tmpXyZ789").exists());
    }
}
