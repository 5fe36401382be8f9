//! Stochastic binarisation of grey-level images: each pixel with byte value `b` becomes 1 with probability
//! exactly `p = b / 255` (so 0 stays 0 and 255 stays 1), independently.
//!
//! * **Static**: the whole set is binarised once for a seed ([`binarize_static`]); image `i` uses the random
//!   stream `(seed, i)`, so its bits do not depend on the other images or on subsets. The result can be stored
//!   in the data folder, or in the user's cache folder when the data folder is read-only, with an MD5
//!   digest beside it ([`binarize_static_cached`]), and reused while the digest matches.
//! * **Dynamic**: a fresh binarisation of each minibatch from a generator passed in ([`binarize_batch`]).
//!
//! The paper's experiments use the fixed binarisation of Larochelle & Murray (2011), which cannot be obtained
//! here; this seeded Bernoulli binarisation is the same procedure with other random draws, so results are
//! comparable with the paper's but not identical.
//!
//! One 64-bit draw `u` decides a pixel: it is 1 iff `u · 255 < b · 2⁶⁴` (compared exactly in 128 bits), which
//! has probability `⌈b · 2⁶⁴ / 255⌉ / 2⁶⁴ = b/255` up to 2⁻⁶⁴. Every pixel consumes one draw, whatever its value.

use std::path::{Path, PathBuf};

use rand::Rng;

use crate::dataset::{Images, Split};
use crate::{DataError, idx, rng};

/// Whether the pixel `byte` is 1, given the uniform 64-bit draw `u`: true with probability `byte / 255`.
pub fn pixel_is_on(byte: u8, u: u64) -> bool {
    u128::from(u) * 255 < u128::from(byte) << 64
}

/// Binary images: `n` images of `dim` values in {0, 1}, stored as bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BinaryImages {
    n: usize,
    rows: usize,
    cols: usize,
    dim: usize,
    bits: Vec<u8>,
}

impl BinaryImages {
    /// Binary images from 0/1 bytes; fails if the length is not `n × dim` or a value is not 0 or 1.
    pub fn new(images_like: &Images, bits: Vec<u8>) -> Result<Self, DataError> {
        if bits.len() != images_like.pixels().len() || bits.iter().any(|&b| b > 1) {
            return Err(DataError::Shape(format!(
                "{} values are not {} images of {} bits",
                bits.len(),
                images_like.len(),
                images_like.dim()
            )));
        }
        Ok(BinaryImages {
            n: images_like.len(),
            rows: images_like.rows() * images_like.channels(),
            cols: images_like.cols(),
            dim: images_like.dim(),
            bits,
        })
    }

    /// The number of images.
    pub fn len(&self) -> usize {
        self.n
    }

    /// Whether there are no images.
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// The number of rows of each image (channels stacked, for multi-channel sources).
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// The number of columns of each image.
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// The number of values per image (784 for MNIST).
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// All values, image after image, as 0/1 bytes.
    pub fn bits(&self) -> &[u8] {
        &self.bits
    }

    /// Image `i` as 0/1 bytes, or `None` if `i >= len()`.
    pub fn image(&self, i: usize) -> Option<&[u8]> {
        self.bits
            .get(i.checked_mul(self.dim)?..i.checked_add(1)?.checked_mul(self.dim)?)
    }

    /// Image `i` as `f64` values 0.0 / 1.0, or `None` if `i >= len()`.
    pub fn image_f64(&self, i: usize) -> Option<Vec<f64>> {
        Some(self.image(i)?.iter().map(|&b| f64::from(b)).collect())
    }

    /// The images at `indices` as one row-major `indices.len() × dim` buffer of `f64` 0.0 / 1.0.
    pub fn batch_f64(&self, indices: &[usize]) -> Result<Vec<f64>, DataError> {
        self.batch(indices, f64::from)
    }

    /// The images at `indices` as one row-major `indices.len() × dim` buffer of `f32` 0.0 / 1.0.
    pub fn batch_f32(&self, indices: &[usize]) -> Result<Vec<f32>, DataError> {
        self.batch(indices, f32::from)
    }

    fn batch<T>(&self, indices: &[usize], f: impl Fn(u8) -> T) -> Result<Vec<T>, DataError> {
        let mut out = Vec::with_capacity(indices.len() * self.dim);
        for &i in indices {
            let img = self.image(i).ok_or_else(|| {
                DataError::InvalidArgument(format!("image index {i} out of range 0..{}", self.n))
            })?;
            out.extend(img.iter().map(|&b| f(b)));
        }
        Ok(out)
    }
}

fn binarize_image_into<R: Rng + ?Sized>(pixels: &[u8], rng: &mut R, out: &mut Vec<u8>) {
    out.extend(
        pixels
            .iter()
            .map(|&b| u8::from(pixel_is_on(b, rng.next_u64()))),
    );
}

/// The static binarisation of a whole set for `seed`: image `i` is binarised with the stream
/// [`rng::stream`]`(seed, i)`, one draw per pixel.
pub fn binarize_static(images: &Images, seed: u64) -> BinaryImages {
    let mut bits = Vec::with_capacity(images.pixels().len());
    for (i, img) in images
        .pixels()
        .chunks_exact(images.dim().max(1))
        .enumerate()
    {
        binarize_image_into(img, &mut rng::stream(seed, i as u64), &mut bits);
    }
    BinaryImages {
        n: images.len(),
        rows: images.rows() * images.channels(),
        cols: images.cols(),
        dim: images.dim(),
        bits,
    }
}

/// The version of the random streams behind a static binarisation, part of its cache name: version 2 draws
/// from the workspace's single stream construction (`ucg_rng::stream`); version 1 files (named without a
/// version) came from an earlier, separate construction and are not reused.
pub const BINARIZATION_STREAMS_VERSION: u32 = 2;

/// The conventional cache file of a static binarisation:
/// `<data_dir>/binarized/<dataset>-<split>-seed<seed>-v<version>.idx` (for example
/// `mnist-train-seed1-v2.idx`, see [`BINARIZATION_STREAMS_VERSION`]).
pub fn static_cache_path(data_dir: &Path, dataset: &str, split: Split, seed: u64) -> PathBuf {
    data_dir.join("binarized").join(format!(
        "{dataset}-{split}-seed{seed}-v{BINARIZATION_STREAMS_VERSION}.idx"
    ))
}

/// Where a static binarisation may be cached, in order of preference: [`static_cache_path`] in the data
/// folder, then the same name in the user's cache folder ([`crate::dir::cache_dir`]), used when the data
/// folder cannot be written (a read-only, verified copy of MNIST).
pub fn static_cache_paths(data_dir: &Path, dataset: &str, split: Split, seed: u64) -> Vec<PathBuf> {
    vec![
        static_cache_path(data_dir, dataset, split, seed),
        static_cache_path(&crate::dir::cache_dir(), dataset, split, seed),
    ]
}

/// The file beside a cache that holds its MD5 digest (`<cache>.md5`, 32 hexadecimal digits).
pub fn digest_path(cache: &Path) -> PathBuf {
    let mut name = cache.as_os_str().to_owned();
    name.push(".md5");
    PathBuf::from(name)
}

/// The cached binarisation at `cache`, if its file matches the digest beside it and has the shape of
/// `images`.
fn read_cache(images: &Images, cache: &Path) -> Option<BinaryImages> {
    let bytes = std::fs::read(cache).ok()?;
    let digest = std::fs::read_to_string(digest_path(cache)).ok()?;
    if digest.trim() != format!("{:x}", md5::compute(&bytes)) {
        return None;
    }
    let array = idx::parse_idx(&bytes, "").ok()?;
    if array.dims
        != [
            images.len(),
            images.rows() * images.channels(),
            images.cols(),
        ]
    {
        return None;
    }
    BinaryImages::new(images, array.data).ok()
}

/// Writes `bits` as an IDX file at `cache` and its digest beside it (each atomically; the digest last,
/// so an interrupted write leaves a cache that is not trusted).
fn write_cache(images: &Images, bits: &[u8], cache: &Path) -> Result<(), DataError> {
    let dims = [
        images.len(),
        images.rows() * images.channels(),
        images.cols(),
    ];
    let bytes = idx::encode_idx(&dims, bits)?;
    crate::atomic::write_atomic(cache, &bytes)?;
    crate::atomic::write_atomic(
        &digest_path(cache),
        format!("{:x}\n", md5::compute(&bytes)).as_bytes(),
    )
}

/// The static binarisation for `seed`: read from the first of `caches` that holds it with a matching digest
/// (a flipped bit or a torn file is never used), else computed and written to the first of `caches` that
/// can be written (as an IDX file of 0/1 bytes, `n × rows × cols`, with its MD5 digest in `<file>.md5`).
/// When none can be written, the binarisation is returned all the same: the cache only saves time.
///
/// The cache is keyed by its file name only: use a name that identifies the source set, as
/// [`static_cache_path`] does (the source files themselves are verified by digest).
///
/// # Errors
/// None today (the result is computed whenever no cache can be used); the `Result` leaves room for
/// sources that can fail.
pub fn binarize_static_cached(
    images: &Images,
    seed: u64,
    caches: &[PathBuf],
) -> Result<BinaryImages, DataError> {
    if let Some(cached) = caches.iter().find_map(|c| read_cache(images, c)) {
        return Ok(cached);
    }
    let fresh = binarize_static(images, seed);
    for cache in caches {
        if write_cache(images, &fresh.bits, cache).is_ok() {
            break;
        }
    }
    Ok(fresh)
}

/// A dynamic binarisation of the images at `indices`: a row-major `indices.len() × dim` buffer of `f64`
/// 0.0 / 1.0, drawn from `rng` (one draw per pixel, in buffer order).
pub fn binarize_batch<R: Rng + ?Sized>(
    images: &Images,
    indices: &[usize],
    rng: &mut R,
) -> Result<Vec<f64>, DataError> {
    let mut out = Vec::with_capacity(indices.len() * images.dim());
    for &i in indices {
        let img = images.image(i).ok_or_else(|| {
            DataError::InvalidArgument(format!("image index {i} out of range 0..{}", images.len()))
        })?;
        out.extend(img.iter().map(|&b| {
            if pixel_is_on(b, rng.next_u64()) {
                1.0
            } else {
                0.0
            }
        }));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grey(n: usize) -> Images {
        Images::new(
            n,
            1,
            4,
            4,
            (0..n * 16).map(|i| (i * 17 % 256) as u8).collect(),
        )
        .unwrap()
    }

    #[test]
    fn extreme_bytes_are_deterministic() {
        for u in [0, 1, u64::MAX / 2, u64::MAX - 1, u64::MAX] {
            assert!(!pixel_is_on(0, u));
            assert!(pixel_is_on(255, u));
        }
        // b = 1: on iff u < 2^64 / 255.
        let cut = u64::MAX / 255;
        assert!(pixel_is_on(1, cut));
        assert!(!pixel_is_on(1, cut + 1));
    }

    #[test]
    fn frequency_matches_byte_over_255() {
        // One image of 200,000 pixels of value 51 (p = 0.2): the mean is within 5 standard errors.
        let n = 200_000;
        let images = Images::new(1, 1, 1, n, vec![51; n]).unwrap();
        let b = binarize_static(&images, 3);
        let mean = b.bits().iter().map(|&x| f64::from(x)).sum::<f64>() / n as f64;
        let se = (0.2f64 * 0.8 / n as f64).sqrt();
        assert!(((mean - 0.2) / se).abs() < 5.0, "mean {mean}");
    }

    #[test]
    fn static_binarisation_is_per_image_reproducible() {
        let images = grey(5);
        let a = binarize_static(&images, 11);
        assert_eq!(a, binarize_static(&images, 11));
        assert_ne!(a, binarize_static(&images, 12));
        // Image 3 alone (as part of a subset) gets the same bits only if it keeps its index; the stream is (seed, i).
        let sub = binarize_static(&images.select(&[0, 1, 2, 3]).unwrap(), 11);
        assert_eq!(sub.image(3), a.image(3));
        assert!(a.bits().iter().all(|&x| x <= 1));
        let batch = a.batch_f64(&[4, 0]).unwrap();
        assert_eq!(batch.len(), 32);
        assert_eq!(&batch[16..], &a.image_f64(0).unwrap()[..]);
        assert_eq!(a.batch_f32(&[1]).unwrap().len(), 16);
        assert!(a.batch_f64(&[5]).is_err());
        assert!(a.image(5).is_none());
    }

    #[test]
    fn static_binarisation_is_cached_and_bad_caches_are_rebuilt() {
        let dir = tempfile::tempdir().unwrap();
        let images = grey(3);
        let path = static_cache_path(dir.path(), "grey", Split::Train, 5);
        assert!(path.ends_with("binarized/grey-train-seed5-v2.idx"));
        let caches = [path.clone()];
        let first = binarize_static_cached(&images, 5, &caches).unwrap();
        assert_eq!(first, binarize_static(&images, 5));
        assert!(path.is_file() && digest_path(&path).is_file());
        assert_eq!(binarize_static_cached(&images, 5, &caches).unwrap(), first);
        std::fs::write(&path, b"garbage").unwrap();
        assert_eq!(binarize_static_cached(&images, 5, &caches).unwrap(), first);
        // A cache of another shape is replaced.
        let other = grey(2);
        assert_eq!(
            binarize_static_cached(&other, 5, &caches).unwrap(),
            binarize_static(&other, 5)
        );
    }

    #[test]
    fn a_flipped_bit_in_the_cache_is_never_used() {
        let dir = tempfile::tempdir().unwrap();
        let images = grey(3);
        let caches = [static_cache_path(dir.path(), "grey", Split::Train, 5)];
        let first = binarize_static_cached(&images, 5, &caches).unwrap();
        let mut bytes = std::fs::read(&caches[0]).unwrap();
        // The last pixel flipped: still a valid IDX file of 0/1 bytes.
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        std::fs::write(&caches[0], &bytes).unwrap();
        assert_eq!(binarize_static_cached(&images, 5, &caches).unwrap(), first);
        assert_ne!(
            std::fs::read(&caches[0]).unwrap(),
            bytes,
            "the cache is rebuilt"
        );
    }

    #[test]
    fn a_read_only_data_folder_uses_the_next_cache() {
        let dir = tempfile::tempdir().unwrap();
        // A file where the data folder's cache folder would be: nothing can be written there.
        let blocked = dir.path().join("data");
        std::fs::create_dir(&blocked).unwrap();
        std::fs::write(blocked.join("binarized"), b"not a folder").unwrap();
        let images = grey(3);
        let caches = [
            static_cache_path(&blocked, "grey", Split::Train, 5),
            static_cache_path(&dir.path().join("cache"), "grey", Split::Train, 5),
        ];
        let first = binarize_static_cached(&images, 5, &caches).unwrap();
        assert_eq!(first, binarize_static(&images, 5));
        assert!(caches[1].is_file() && digest_path(&caches[1]).is_file());
        assert_eq!(binarize_static_cached(&images, 5, &caches).unwrap(), first);
    }

    #[test]
    fn dynamic_batches_use_the_generator_passed_in() {
        let images = grey(4);
        let b1 = binarize_batch(&images, &[2, 3], &mut rng::stream(1, 0)).unwrap();
        let b2 = binarize_batch(&images, &[2, 3], &mut rng::stream(1, 0)).unwrap();
        let b3 = binarize_batch(&images, &[2, 3], &mut rng::stream(1, 1)).unwrap();
        assert_eq!(b1, b2);
        assert_ne!(b1, b3);
        assert_eq!(b1.len(), 32);
        assert!(b1.iter().all(|&x| x == 0.0 || x == 1.0));
        assert!(binarize_batch(&images, &[4], &mut rng::stream(1, 0)).is_err());
    }
}
