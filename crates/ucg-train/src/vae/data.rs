//! The images a VAE is trained and tested on.

use super::config::Binarization;
use crate::{Result, TrainError};
use rand::Rng;
use ucg_data::binarize::{self, pixel_is_on};
use ucg_data::{Images, Split};

/// Training images (binary, or grey levels binarised afresh at every use) and a fixed binary test subset.
#[derive(Clone, Debug)]
pub struct VaeData {
    /// `n × P` bytes: 0/1 for static binarisation, grey levels 0..=255 for dynamic.
    train: Vec<u8>,
    dynamic: bool,
    n: usize,
    p: usize,
    /// `P × M` column-major 0.0/1.0.
    test: Vec<f32>,
}

fn invalid(reason: String) -> TrainError {
    TrainError::InvalidSetting {
        name: "data",
        reason,
    }
}

impl VaeData {
    /// Training images already binary (`n × P` bytes, each 0 or 1) and test images (`P × M`, 0.0/1.0).
    ///
    /// # Errors
    /// Sizes that do not match `P`, bytes other than 0/1, test values other than 0.0/1.0.
    pub fn binary(train: Vec<u8>, p: usize, test: Vec<f32>) -> Result<Self> {
        if train.iter().any(|&b| b > 1) {
            return Err(invalid(
                "binary training images hold a byte other than 0 or 1".into(),
            ));
        }
        Self::build(train, false, p, test)
    }

    /// Grey-level training images (`n × P` bytes), binarised afresh at every use with `p = byte / 255`,
    /// and binary test images (`P × M`).
    ///
    /// # Errors
    /// Sizes that do not match `P`, test values other than 0.0/1.0.
    pub fn dynamic(train: Vec<u8>, p: usize, test: Vec<f32>) -> Result<Self> {
        Self::build(train, true, p, test)
    }

    fn build(train: Vec<u8>, dynamic: bool, p: usize, test: Vec<f32>) -> Result<Self> {
        if p == 0
            || train.is_empty()
            || !train.len().is_multiple_of(p)
            || !test.len().is_multiple_of(p)
        {
            return Err(invalid(format!(
                "{} training and {} test values do not form images of {p} pixels",
                train.len(),
                test.len()
            )));
        }
        if test.iter().any(|&v| v != 0.0 && v != 1.0) {
            return Err(invalid("test images must be binary (0.0 / 1.0)".into()));
        }
        let n = train.len() / p;
        Ok(VaeData {
            train,
            dynamic,
            n,
            p,
            test,
        })
    }

    /// Number of training images.
    pub fn len(&self) -> usize {
        self.n
    }

    /// Whether there are no training images (never true for a constructed value).
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// Pixels per image `P`.
    pub fn dim(&self) -> usize {
        self.p
    }

    /// The test images, `P × M`.
    pub fn test(&self) -> &[f32] {
        &self.test
    }

    /// The first `points` images of epoch 1's shuffled order for minibatches of `batch` under master seed
    /// `seed` (the first minibatch a training run with those settings sees, or its first `points`
    /// images), as `P × points`; a dynamic binarisation draws from `stream(seed, 0)`. For measurements
    /// on the data a run starts with (the β pilot, gradient studies).
    ///
    /// # Errors
    /// `batch = 0`, or more points than the minibatch or the training set holds.
    pub fn first_minibatch(&self, seed: u64, batch: usize, points: usize) -> Result<Vec<f32>> {
        if points > batch.min(self.n) {
            return Err(invalid(format!(
                "{points} points of a minibatch of {batch} from {} images",
                self.n
            )));
        }
        let order = ucg_data::Minibatches::new(self.n, batch)?
            .shuffle(seed)
            .order(0);
        let mut x = Vec::new();
        self.fill_batch(
            &order[..points],
            &mut ucg_data::rng::stream(seed, 0),
            &mut x,
        )?;
        Ok(x)
    }

    /// Writes training images `indices` as a `P × B` column-major 0.0/1.0 matrix into `out` (drawing from
    /// `rng` only for dynamic binarisation, one draw per pixel in order).
    ///
    /// # Errors
    /// An index out of range.
    pub fn fill_batch<R: Rng + ?Sized>(
        &self,
        indices: &[usize],
        rng: &mut R,
        out: &mut Vec<f32>,
    ) -> Result<()> {
        out.clear();
        for &i in indices {
            if i >= self.n {
                return Err(invalid(format!("image {i} out of range 0..{}", self.n)));
            }
            let img = &self.train[i * self.p..(i + 1) * self.p];
            if self.dynamic {
                out.extend(
                    img.iter()
                        .map(|&b| f32::from(u8::from(pixel_is_on(b, rng.next_u64())))),
                );
            } else {
                out.extend(img.iter().map(|&b| f32::from(b)));
            }
        }
        Ok(())
    }
}

/// MNIST for training: the first `subset` training images (all when `None`) binarised as asked, and the
/// first `test_points` test images binarised statically (seed of the static binarisation, or
/// [`super::config::DEFAULT_BINARIZATION_SEED`] for a dynamic run). Fetches MNIST into the data folder the
/// first time (see `ucg_data::mnist`); static binarisations are cached there.
///
/// # Errors
/// MNIST missing and not fetchable, a subset larger than the set, or an unwritable cache.
pub fn load_mnist(
    binarization: Binarization,
    subset: Option<usize>,
    test_points: usize,
) -> Result<VaeData> {
    let dir = ucg_data::data_dir();
    let data_err = |source| mnist_error(&dir, source);
    let train = ucg_data::load_mnist(&dir, Split::Train).map_err(data_err)?;
    let test = ucg_data::load_mnist(&dir, Split::Test).map_err(data_err)?;
    let n = subset.unwrap_or(train.len());
    if n == 0 || n > train.len() || test_points > test.len() {
        return Err(invalid(format!(
            "asked for {n} training and {test_points} test images; MNIST has {} and {}",
            train.len(),
            test.len()
        )));
    }
    let static_binary = |images: &Images, split: Split, seed: u64| {
        let cache = binarize::static_cache_paths(&dir, "mnist", split, seed);
        binarize::binarize_static_cached(images, seed, &cache).map_err(data_err)
    };
    let test_seed = match binarization {
        Binarization::Static { seed } => seed,
        Binarization::Dynamic => super::config::DEFAULT_BINARIZATION_SEED,
    };
    let test_x = binarized_test(&test, &dir, test_seed, test_points)?;
    let p = train.images().dim();
    match binarization {
        Binarization::Static { seed } => {
            let bits = static_binary(train.images(), Split::Train, seed)?;
            VaeData::binary(bits.bits()[..n * p].to_vec(), p, test_x)
        }
        Binarization::Dynamic => {
            VaeData::dynamic(train.images().pixels()[..n * p].to_vec(), p, test_x)
        }
    }
}

/// A failure reading, fetching or caching MNIST in `dir`.
fn mnist_error(dir: &std::path::Path, source: ucg_data::DataError) -> TrainError {
    TrainError::DataSet {
        set: "MNIST",
        dir: dir.to_path_buf(),
        source,
    }
}

/// The first `points` MNIST test images, binarised statically with `seed`, as `P × points` column-major
/// `f32` (the evaluation set of a trained model).
///
/// # Errors
/// MNIST missing and not fetchable, more points than the test set holds, or an unwritable cache.
pub fn load_mnist_test(seed: u64, points: usize) -> Result<Vec<f32>> {
    let dir = ucg_data::data_dir();
    let test = ucg_data::load_mnist(&dir, Split::Test).map_err(|e| mnist_error(&dir, e))?;
    if points == 0 || points > test.len() {
        return Err(invalid(format!(
            "asked for {points} test images; MNIST has {}",
            test.len()
        )));
    }
    binarized_test(&test, &dir, seed, points)
}

/// The first `points` images of `test`, binarised statically with `seed` (cached in `dir`).
fn binarized_test(
    test: &ucg_data::Dataset,
    dir: &std::path::Path,
    seed: u64,
    points: usize,
) -> Result<Vec<f32>> {
    let cache = binarize::static_cache_paths(dir, "mnist", Split::Test, seed);
    let bits = binarize::binarize_static_cached(test.images(), seed, &cache)
        .map_err(|e| mnist_error(dir, e))?;
    Ok(bits.bits()[..points * bits.dim()]
        .iter()
        .map(|&b| f32::from(b))
        .collect())
}

/// Synthetic binary images for tests and smoke runs: `n` images of `pixels` pixels (row after row), image
/// `i` is one of three striped prototypes (pixel `j` is on when `(j + i mod 3)` is a multiple of 3) with
/// each pixel flipped with probability 1/10 by a fixed linear congruential generator started from `seed`,
/// so every process and platform sees the same images. Values are 0 or 1.
pub fn synthetic_images(n: usize, pixels: usize, seed: u64) -> Vec<u8> {
    let mut state = seed;
    let mut next = || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) as u32
    };
    let mut out = Vec::with_capacity(n * pixels);
    for i in 0..n {
        for j in 0..pixels {
            let proto = u8::from((j + i % 3) % 3 == 0);
            out.push(proto ^ u8::from(next() % 10 == 0));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first minibatch is the first batch of the training loop's epoch-1 order, cut to `points`.
    #[test]
    fn first_minibatch_is_the_runs_first_batch() {
        let train = synthetic_images(30, 4, 3);
        let data = VaeData::binary(train, 4, vec![0.0; 4]).unwrap();
        let order = ucg_data::Minibatches::new(30, 8)
            .unwrap()
            .shuffle(9)
            .order(0);
        let mut expected = Vec::new();
        data.fill_batch(&order[..5], &mut ucg_data::rng::stream(9, 0), &mut expected)
            .unwrap();
        assert_eq!(data.first_minibatch(9, 8, 5).unwrap(), expected);
        assert_ne!(data.first_minibatch(10, 8, 5).unwrap(), expected);
        assert!(data.first_minibatch(9, 8, 9).is_err());
    }
}
