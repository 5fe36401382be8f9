//! The images of a study: statically binarised training images for the runs, and the binary test images
//! on which every final model is evaluated.

use ucg_data::binarize::{binarize_static_cached, static_cache_paths};
use ucg_data::{Dataset, Split};
use ucg_train::vae::VaeData;
use ucg_train::vae::data::synthetic_images;

use super::config::DatasetKind;
use crate::AnyResult;

/// Training data (with the first `curve_points` test images for the per-epoch test bound) and the test
/// images for evaluation (`P × M` column-major, 0.0/1.0).
#[derive(Clone, Debug)]
pub struct StudyData {
    /// For `ucg_train::vae::run`.
    pub train: VaeData,
    /// Every test image available, for the evaluation.
    pub test: Vec<f32>,
    /// The training images the runs train on (0/1 bytes, `P × M` column-major), for the evaluation on
    /// training images.
    pub train_images: Vec<u8>,
    /// Pixels per image.
    pub pixels: usize,
}

impl StudyData {
    /// Number of test images.
    pub fn test_len(&self) -> usize {
        self.test.len() / self.pixels
    }

    /// The first `points` training images as `0.0`/`1.0` (`None` if there are fewer).
    pub fn first_train_images(&self, points: usize) -> Option<Vec<f32>> {
        let bytes = self.train_images.get(..points * self.pixels)?;
        Some(bytes.iter().map(|&b| f32::from(b)).collect())
    }
}

/// Synthetic images: 24 pixels, three prototypes with 10% of the pixels flipped (a fixed generator, so
/// every process sees the same images).
/// Pixels of a synthetic image.
pub const SYNTHETIC_PIXELS: usize = 24;
/// The number of synthetic training images.
pub const SYNTHETIC_TRAINING_IMAGES: usize = 200;

fn synthetic(n: usize, offset: u64) -> Vec<u8> {
    synthetic_images(n, SYNTHETIC_PIXELS, 0x2545_f491_4f6c_dd1d_u64 ^ offset)
}

fn binarized(
    set: &Dataset,
    name: &str,
    split: Split,
    seed: u64,
    dir: &std::path::Path,
) -> AnyResult<Vec<u8>> {
    let cache = static_cache_paths(dir, name, split, seed);
    Ok(binarize_static_cached(set.images(), seed, &cache)?
        .bits()
        .to_vec())
}

/// Loads `dataset` (fetching MNIST into the data folder the first time; Fashion-MNIST must be present),
/// binarised statically with `seed`: the first `subset` training images (all when `None`).
///
/// # Errors
/// A data set missing or unfetchable, a subset larger than the set, fewer test images than
/// `curve_points`.
pub fn load(
    dataset: DatasetKind,
    seed: u64,
    subset: Option<usize>,
    curve_points: usize,
) -> AnyResult<StudyData> {
    let (train, test, p) = match dataset {
        DatasetKind::Synthetic => (
            synthetic(SYNTHETIC_TRAINING_IMAGES, 0),
            synthetic(40, seed.wrapping_add(1)),
            SYNTHETIC_PIXELS,
        ),
        DatasetKind::Mnist | DatasetKind::FashionMnist => {
            let dir = ucg_data::data_dir();
            let load = |split| match dataset {
                DatasetKind::Mnist => ucg_data::load_mnist(&dir, split),
                _ => ucg_data::load_fashion_mnist(&dir, split),
            };
            let (tr, te) = (load(Split::Train)?, load(Split::Test)?);
            let name = dataset.name();
            (
                binarized(&tr, name, Split::Train, seed, &dir)?,
                binarized(&te, name, Split::Test, seed, &dir)?,
                tr.images().dim(),
            )
        }
    };
    let n = train.len() / p;
    let m = subset.unwrap_or(n);
    let tests = test.len() / p;
    if m == 0 || m > n || curve_points > tests {
        return Err(format!(
            "{}: asked for {m} training and {curve_points} test images; it has {n} and {tests}",
            dataset.name()
        )
        .into());
    }
    let test: Vec<f32> = test.iter().map(|&b| f32::from(b)).collect();
    let mut train_images = train;
    train_images.truncate(m * p);
    let train = VaeData::binary(train_images.clone(), p, test[..curve_points * p].to_vec())?;
    Ok(StudyData {
        train,
        test,
        train_images,
        pixels: p,
    })
}
