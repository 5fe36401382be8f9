//! Where the data points come from: statically binarised MNIST, or synthetic binary vectors (tests).

use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};
use ucg_data::Split;
use ucg_estimators::seeding::stream;

use crate::AnyResult;

/// Which MNIST split.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MnistSplit {
    /// The 60,000 training images.
    Train,
    /// The 10,000 test images.
    Test,
}

/// A source of binary data points, as part of a run's settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum DataSpec {
    /// Images `first..first + N` of an MNIST split, binarised once with a fixed seed (pixel on with
    /// probability byte / 255; `ucg_data::binarize::binarize_static`). Fetched on first use.
    Mnist {
        /// The split.
        split: MnistSplit,
        /// Index of the first image.
        first: usize,
        /// Seed of the static binarisation.
        binarize_seed: u64,
    },
    /// Independent Bernoulli pixels (for tests: no download).
    Synthetic {
        /// Pixels per point `P`.
        pixels: usize,
        /// Probability of a pixel being on.
        on_probability: f64,
        /// Seed.
        seed: u64,
    },
}

impl DataSpec {
    /// The data dimension `P`.
    pub fn pixels(&self) -> usize {
        match self {
            DataSpec::Mnist { .. } => 28 * 28,
            DataSpec::Synthetic { pixels, .. } => *pixels,
        }
    }

    /// One line for reports.
    pub fn describe(&self) -> String {
        match self {
            DataSpec::Mnist {
                split,
                first,
                binarize_seed,
            } => format!(
                "MNIST {} images from index {first}, statically binarised (pixel on with probability \
                 byte/255, seed {binarize_seed})",
                match split {
                    MnistSplit::Train => "training",
                    MnistSplit::Test => "test",
                }
            ),
            DataSpec::Synthetic {
                pixels,
                on_probability,
                seed,
            } => format!(
                "synthetic Bernoulli({on_probability}) vectors of {pixels} pixels (seed {seed})"
            ),
        }
    }

    /// The first `n` points as a `P × n` matrix (one point per column), fetching MNIST if needed.
    ///
    /// # Errors
    /// Unreadable or missing data, or fewer than `n` images after `first`.
    pub fn load(&self, n: usize) -> AnyResult<DMatrix<f64>> {
        match self {
            DataSpec::Mnist {
                split,
                first,
                binarize_seed,
            } => {
                let split = match split {
                    MnistSplit::Train => Split::Train,
                    MnistSplit::Test => Split::Test,
                };
                let dir = ucg_data::data_dir();
                let set = ucg_data::load_mnist(&dir, split)
                    .map_err(|e| format!("MNIST ({split}) in {}: {e}", dir.display()))?;
                let images = set.images();
                if first + n > images.len() {
                    return Err(format!(
                        "MNIST {split} has {} images, fewer than {first} + {n}",
                        images.len()
                    )
                    .into());
                }
                // Binarise the whole split so that an image's bits do not depend on `first`.
                let binary = ucg_data::binarize::binarize_static(images, *binarize_seed);
                let flat = binary.batch_f64(&(*first..first + n).collect::<Vec<_>>())?;
                Ok(DMatrix::from_column_slice(binary.dim(), n, &flat))
            }
            DataSpec::Synthetic {
                pixels,
                on_probability,
                seed,
            } => {
                let mut rng = stream(*seed, 0);
                let scale = (1u64 << 53) as f64;
                Ok(DMatrix::from_fn(*pixels, n, |_, _| {
                    let u = (rand::Rng::next_u64(&mut rng) >> 11) as f64 / scale;
                    f64::from(u8::from(u < *on_probability))
                }))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synthetic_points_are_binary_and_reproducible() {
        let spec = DataSpec::Synthetic {
            pixels: 7,
            on_probability: 0.4,
            seed: 3,
        };
        let x = spec.load(5).unwrap();
        assert_eq!(x.shape(), (7, 5));
        assert!(x.iter().all(|&v| v == 0.0 || v == 1.0));
        assert_eq!(x, spec.load(5).unwrap());
        assert_eq!(spec.pixels(), 7);
    }
}
