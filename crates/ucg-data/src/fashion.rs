//! Fashion-MNIST: the four gzipped IDX files of Debian's package `dataset-fashion-mnist`, or the same files
//! (raw or gzipped) in `<data dir>/fashion-mnist/`, verified by the MD5 digests of their uncompressed contents.
//!
//! [`find`] and [`load`] only look (the data folder first, then [`SYSTEM_DIR`] if the package happens to be
//! installed); [`ensure`], the explicit fetch, downloads the package's file with `apt-get download` (no root,
//! nothing installed, nothing changed outside the data folder), unpacks it with `dpkg-deb --extract` into a
//! temporary folder, and copies the four files into `<data dir>/fashion-mnist/`, where they are verified.

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
         (it downloads Debian's package {DEBIAN_PACKAGE} with `apt-get download` and unpacks it into the data \
         folder; nothing is installed), or copy the four files train-images-idx3-ubyte, \
         train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte (raw or .gz) into {}",
        fashion_dir(data_dir).display(),
        fashion_dir(data_dir).display()
    ))
}

/// The verified files, or a [`DataError::Missing`] error that says how to obtain them. Never fetches anything.
pub fn locate(data_dir: &Path) -> Result<FashionPaths, DataError> {
    find(data_dir)?.ok_or_else(|| missing(data_dir, ""))
}

/// Runs `program` with `args` in `dir`; a failure carries the program's last line of error output.
fn run(program: &str, args: &[&str], dir: &Path) -> Result<(), String> {
    let out = Command::new(program)
        .args(args)
        .current_dir(dir)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .output()
        .map_err(|e| format!("{program}: {e}"))?;
    if out.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    let last = stderr
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("");
    Err(format!(
        "{program} {}: {} ({last})",
        args.join(" "),
        out.status
    ))
}

/// Downloads Debian's package file (`apt-get download`, which needs no root and installs nothing) into
/// `dir` and returns its path.
pub fn download_package(dir: &Path) -> Result<PathBuf, DataError> {
    run("apt-get", &["download", DEBIAN_PACKAGE], dir).map_err(DataError::Fetch)?;
    std::fs::read_dir(dir)
        .map_err(|e| DataError::io(dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| {
            p.extension().is_some_and(|x| x == "deb")
                && p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with(DEBIAN_PACKAGE))
        })
        .ok_or_else(|| {
            DataError::Fetch(format!(
                "apt-get download {DEBIAN_PACKAGE} left no .deb in {}",
                dir.display()
            ))
        })
}

/// Copies the four IDX files from an unpacked package tree (`<root>/usr/share/datasets/fashion-mnist/`) into
/// `<data_dir>/fashion-mnist/` and verifies them there.
///
/// # Errors
/// A file absent from the tree, an I/O failure, or files that are not the canonical ones.
pub fn import_tree(root: &Path, data_dir: &Path) -> Result<FashionPaths, DataError> {
    let from = root.join(SYSTEM_DIR.trim_start_matches('/'));
    let to = fashion_dir(data_dir);
    std::fs::create_dir_all(&to).map_err(|e| DataError::io(&to, e))?;
    for file in [
        SPEC.train_images,
        SPEC.train_labels,
        SPEC.test_images,
        SPEC.test_labels,
    ] {
        let name = format!("{}.gz", file.name);
        let source = from.join(&name);
        if !source.is_file() {
            return Err(DataError::Fetch(format!(
                "the package has no {}",
                source.display()
            )));
        }
        let target = to.join(&name);
        std::fs::copy(&source, &target).map_err(|e| DataError::io(&target, e))?;
    }
    idx_set::locate(&SPEC, &to)?.ok_or_else(|| missing(data_dir, " after unpacking the package"))
}

/// Finds the files (see [`find`]), or fetches Debian's package file and unpacks the four IDX files into the
/// data folder (see the module documentation): the explicit fetch. Nothing is installed.
pub fn ensure(data_dir: &Path) -> Result<FashionPaths, DataError> {
    if let Some(paths) = find(data_dir)? {
        return Ok(paths);
    }
    std::fs::create_dir_all(data_dir).map_err(|e| DataError::io(data_dir, e))?;
    let work = tempfile::tempdir_in(data_dir).map_err(|e| DataError::io(data_dir, e))?;
    eprintln!(
        "ucg-data: downloading Debian's {DEBIAN_PACKAGE} (apt-get download; nothing is installed)..."
    );
    let deb = download_package(work.path())
        .map_err(|e| missing(data_dir, &format!(" and fetching failed: {e}")))?;
    let tree = work.path().join("tree");
    let deb_arg = deb.to_string_lossy().into_owned();
    let tree_arg = tree.to_string_lossy().into_owned();
    run("dpkg-deb", &["--extract", &deb_arg, &tree_arg], work.path())
        .map_err(|e| missing(data_dir, &format!(" and unpacking failed: {e}")))?;
    import_tree(&tree, data_dir)
}

/// Loads one split of Fashion-MNIST (60,000 training or 10,000 test images of 28 × 28 bytes) from the files
/// found by [`locate`]; it never fetches anything (call [`ensure`] first for that).
pub fn load(data_dir: &Path, split: Split) -> Result<Dataset, DataError> {
    idx_set::load_split(&locate(data_dir)?, split)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn importing_a_tree_without_the_files_says_which_is_missing() {
        let root = tempfile::tempdir().unwrap();
        let data = tempfile::tempdir().unwrap();
        let err = import_tree(root.path(), data.path())
            .unwrap_err()
            .to_string();
        assert!(err.contains("train-images-idx3-ubyte.gz"), "{err}");
    }

    #[test]
    fn imported_files_that_are_not_canonical_are_refused() {
        let root = tempfile::tempdir().unwrap();
        let data = tempfile::tempdir().unwrap();
        let from = root.path().join(SYSTEM_DIR.trim_start_matches('/'));
        std::fs::create_dir_all(&from).unwrap();
        for f in [
            SPEC.train_images,
            SPEC.train_labels,
            SPEC.test_images,
            SPEC.test_labels,
        ] {
            std::fs::write(from.join(format!("{}.gz", f.name)), b"not gzip").unwrap();
        }
        assert!(import_tree(root.path(), data.path()).is_err());
    }
}
