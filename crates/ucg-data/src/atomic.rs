//! Writing files atomically: write a uniquely named temporary file in the same folder
//! (`tempfile::NamedTempFile::new_in`), sync it, then rename it into place (`persist`).
//!
//! A reader (another test thread, another process) therefore sees either no file or the complete file,
//! and two writers racing to produce the same file both succeed. `ucg-report` writes its records the
//! same way.

use std::io::Write;
use std::path::Path;

use crate::DataError;

/// Writes `bytes` to `path` atomically, creating the parent folder if needed.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), DataError> {
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(parent).map_err(|e| DataError::io(parent, e))?;
    let mut tmp = tempfile::NamedTempFile::new_in(parent).map_err(|e| DataError::io(parent, e))?;
    tmp.write_all(bytes)
        .and_then(|()| make_readable(tmp.as_file()))
        .and_then(|()| tmp.as_file().sync_all())
        .map_err(|e| DataError::io(tmp.path(), e))?;
    tmp.persist(path)
        .map_err(|e| DataError::io(path, e.error))?;
    Ok(())
}

/// Temporary files are created readable by their owner only; data files are for everyone to read.
#[cfg(unix)]
fn make_readable(file: &std::fs::File) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(std::fs::Permissions::from_mode(0o644))
}

#[cfg(not(unix))]
fn make_readable(_file: &std::fs::File) -> std::io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_and_replaces_files() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("sub").join("f.bin");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        // No temporary files are left behind.
        assert_eq!(std::fs::read_dir(p.parent().unwrap()).unwrap().count(), 1);
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
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "temporary files left"
        );
    }
}
