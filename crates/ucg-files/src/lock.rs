//! One writer per folder: an exclusive operating-system lock on a file in the folder.
//!
//! The lock is `std::fs::File::try_lock` (`flock` on Unix, `LockFileEx` on Windows) on `.ucg-lock`. The
//! operating system releases it when the holding process ends for any reason, a crash or `kill -9`
//! included, so a stale lock can never block a resume: the file stays behind, but the lock does not.
//! The holder writes a line about itself into the file (process id, start time, command) so that a
//! second writer's error names it. The lock is advisory: it keeps out other runs of this tool (a second
//! terminal, a cluster's requeue), not other programs.
//!
//! Network file systems differ in how they honour `flock`; on NFS, point two machines at different
//! folders (shards) and merge them afterwards.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use crate::FilesError;

/// The name of the lock file in a locked folder.
pub const LOCK_FILE: &str = ".ucg-lock";

/// An exclusive lock on a folder, held until dropped (or until the process ends).
#[derive(Debug)]
pub struct FolderLock {
    file: File,
    folder: PathBuf,
}

impl FolderLock {
    /// Takes the lock of `folder` (which must exist) without waiting, and records `holder` (a short
    /// description of this process's work, such as its command line) in the lock file.
    ///
    /// # Errors
    /// [`FilesError::InUse`] with the holder's description when another process holds it; I/O failures.
    pub fn acquire(folder: &Path, holder: &str) -> Result<FolderLock, FilesError> {
        let path = folder.join(LOCK_FILE);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| FilesError::io(&path, e))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut text = String::new();
                let _ = file.read_to_string(&mut text);
                let text = text.trim();
                return Err(FilesError::InUse {
                    folder: folder.to_path_buf(),
                    holder: if text.is_empty() {
                        "a process that has not said which".into()
                    } else {
                        text.replace('\n', " ")
                    },
                });
            }
            Err(TryLockError::Error(e)) => return Err(FilesError::io(&path, e)),
        }
        let line = format!(
            "process {}, started {}: {}",
            std::process::id(),
            utc_now(),
            holder
        );
        file.set_len(0)
            .and_then(|()| file.rewind())
            .and_then(|()| file.write_all(line.as_bytes()))
            .and_then(|()| file.flush())
            .map_err(|e| FilesError::io(&path, e))?;
        Ok(FolderLock {
            file,
            folder: folder.to_path_buf(),
        })
    }

    /// Who holds the lock of `folder` now, if anyone: the holder's description, read without taking the
    /// lock for more than an instant and without writing anything (a folder with no lock file, or a
    /// read-only one, has no holder).
    ///
    /// # Errors
    /// I/O failures other than a missing lock file.
    pub fn holder(folder: &Path) -> Result<Option<String>, FilesError> {
        let path = folder.join(LOCK_FILE);
        let mut file = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(FilesError::io(&path, e)),
        };
        match file.try_lock_shared() {
            Ok(()) => {
                let _ = file.unlock();
                Ok(None)
            }
            Err(TryLockError::WouldBlock) => {
                let mut text = String::new();
                let _ = file.read_to_string(&mut text);
                Ok(Some(text.trim().replace('\n', " ")))
            }
            Err(TryLockError::Error(e)) => Err(FilesError::io(&path, e)),
        }
    }

    /// The locked folder.
    pub fn folder(&self) -> &Path {
        &self.folder
    }
}

impl Drop for FolderLock {
    fn drop(&mut self) {
        // The holder's line goes with the lock; the operating system would release the lock anyway.
        let _ = self.file.set_len(0);
        let _ = self.file.unlock();
    }
}

/// The current time as `YYYY-MM-DD HH:MM:SS UTC`.
fn utc_now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (days, rest) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(days as i64);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC",
        rest / 3600,
        rest / 60 % 60,
        rest % 60
    )
}

/// The proleptic Gregorian date of `days` since 1970-01-01 (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_refused_with_the_first_ones_name_until_it_lets_go() {
        let dir = tempfile::tempdir().unwrap();
        let first = FolderLock::acquire(dir.path(), "cargo xtask train vae --out x").unwrap();
        let err = FolderLock::acquire(dir.path(), "second").unwrap_err();
        let text = err.to_string();
        assert!(matches!(err, FilesError::InUse { .. }), "{text}");
        assert!(text.contains("cargo xtask train vae --out x"), "{text}");
        assert!(
            text.contains(&format!("process {}", std::process::id())),
            "{text}"
        );
        assert!(
            FolderLock::holder(dir.path())
                .unwrap()
                .is_some_and(|h| h.contains("train vae"))
        );
        drop(first);
        assert_eq!(FolderLock::holder(dir.path()).unwrap(), None);
        FolderLock::acquire(dir.path(), "third").unwrap();
    }

    #[test]
    fn dates_are_civil() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_428), (2025, 12, 6));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert!(utc_now().ends_with(" UTC"));
    }
}
