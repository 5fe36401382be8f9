//! Fashion-MNIST: the four gzipped IDX files of Debian's package `dataset-fashion-mnist`, or the same files
//! (raw or gzipped) in `<data dir>/fashion-mnist/`, verified by the MD5 digests of their uncompressed contents.
//!
//! [`find`] and [`load`] only look (the data folder first, then [`SYSTEM_DIR`]); [`ensure`], the explicit fetch,
//! also runs `apt-get install -y dataset-fashion-mnist` (after `apt-get update` if the first attempt fails).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::DataError;
use crate::dataset::{Dataset, Split};
use crate::idx_set::{self, IdxFile, IdxSetPaths, IdxSetSpec};

/// Where Debian's package installs the files.
pub const SYSTEM_DIR: &str = "/usr/share/datasets/fashion-mnist";

/// The Debian package that ships the files.
pub const DEBIAN_PACKAGE: &str = "dataset-fashion-mnist";

/// The canonical Fashion-MNIST files and the MD5 digests of their uncompressed contents (Debian recompresses
/// the files, so the digests of the `.gz` files differ from upstream's; the uncompressed contents are identical).
/// Every class has 6,000 training and 1,000 test images.
pub const SPEC: IdxSetSpec = IdxSetSpec {
    name: "Fashion-MNIST",
    train_images: IdxFile {
        name: "train-images-idx3-ubyte",
        md5: "f4a8712d7a061bf5bd6d2ca38dc4d50a",
    },
    train_labels: IdxFile {
        name: "train-labels-idx1-ubyte",
        md5: "9018921c3c673c538a1fc5bad174d6f9",
    },
    test_images: IdxFile {
        name: "t10k-images-idx3-ubyte",
        md5: "8181f5470baa50b63fa0f6fddb340f0a",
    },
    test_labels: IdxFile {
        name: "t10k-labels-idx1-ubyte",
        md5: "15d484375f8d13e6eb1aabb0c3f46965",
    },
    train_histogram: [6000; 10],
    test_histogram: [1000; 10],
};

/// Where the four verified Fashion-MNIST files are.
pub type FashionPaths = IdxSetPaths;

/// The Fashion-MNIST folder inside a data folder: `<data_dir>/fashion-mnist`.
pub fn fashion_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("fashion-mnist")
}

/// The verified files in `<data_dir>/fashion-mnist/`, else in [`SYSTEM_DIR`]; `Ok(None)` if in neither;
/// an error if a present file is not the canonical one.
pub fn find(data_dir: &Path) -> Result<Option<FashionPaths>, DataError> {
    if let Some(paths) = idx_set::locate(&SPEC, &fashion_dir(data_dir))? {
        return Ok(Some(paths));
    }
    idx_set::locate(&SPEC, Path::new(SYSTEM_DIR))
}

fn missing(data_dir: &Path, detail: &str) -> DataError {
    DataError::Missing(format!(
        "Fashion-MNIST not found in {} or {SYSTEM_DIR}{detail}. Run `cargo xtask data fashion-mnist` \
         (it runs `apt-get install -y {DEBIAN_PACKAGE}`, as root), or copy the four files \
         train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte \
         (raw or .gz) into {}",
        fashion_dir(data_dir).display(),
        fashion_dir(data_dir).display()
    ))
}

/// The verified files, or a [`DataError::Missing`] error that says how to obtain them. Never installs anything.
pub fn locate(data_dir: &Path) -> Result<FashionPaths, DataError> {
    find(data_dir)?.ok_or_else(|| missing(data_dir, ""))
}

fn apt_get(args: &[&str]) -> Result<(), String> {
    let out = Command::new("apt-get")
        .args(args)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .output()
        .map_err(|e| format!("apt-get: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let last = stderr
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("");
        Err(format!(
            "apt-get {}: {} ({last})",
            args.join(" "),
            out.status
        ))
    }
}

/// Installs Debian's package with `apt-get install -y`, running `apt-get update` and retrying if the first
/// attempt fails.
pub fn apt_install() -> Result<(), DataError> {
    let install = ["install", "-y", "--no-install-recommends", DEBIAN_PACKAGE];
    if apt_get(&install).is_ok() {
        return Ok(());
    }
    eprintln!("ucg-data: running apt-get update before installing {DEBIAN_PACKAGE}...");
    apt_get(&["update"])
        .and_then(|()| apt_get(&install))
        .map_err(DataError::Fetch)
}

/// Finds the files (see [`find`]), or installs Debian's package and looks again: the explicit fetch.
pub fn ensure(data_dir: &Path) -> Result<FashionPaths, DataError> {
    if let Some(paths) = find(data_dir)? {
        return Ok(paths);
    }
    eprintln!("ucg-data: installing Debian's {DEBIAN_PACKAGE}...");
    if let Err(e) = apt_install() {
        return Err(missing(data_dir, &format!(" and installing failed: {e}")));
    }
    find(data_dir)?.ok_or_else(|| {
        missing(
            data_dir,
            &format!(" even after installing {DEBIAN_PACKAGE}"),
        )
    })
}

/// Loads one split of Fashion-MNIST (60,000 training or 10,000 test images of 28 × 28 bytes) from the files
/// found by [`locate`]; it never installs anything (call [`ensure`] first for that).
pub fn load(data_dir: &Path, split: Split) -> Result<Dataset, DataError> {
    idx_set::load_split(&locate(data_dir)?, split)
}
