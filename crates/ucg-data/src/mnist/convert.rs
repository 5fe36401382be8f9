//! Converting the classic `mnist.pkl.gz` (a pickle of `((train_x, train_y), (valid_x, valid_y), (test_x, test_y))`,
//! images as `float32` arrays `n × 784` holding `byte / 256`, labels as `int64`) back to bytes and IDX files.
//!
//! The conversion is exact: every pixel must be a multiple of 1/256 in `[0, 255/256]`, or the conversion fails.
//! The canonical training set is the pickle's training set followed by its validation set.

use std::io::{BufRead, BufReader};

use crate::dataset::{Dataset, Images};
use crate::pickle::{self, NdArray};
use crate::{DataError, idx};

/// The pixels of one MNIST image (28 × 28).
pub const IMAGE_LEN: usize = 784;

/// MNIST's training set (training + validation images of the pickle) and test set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MnistSplits {
    /// The canonical training set: the pickle's 50,000 training images, then its 10,000 validation images.
    pub train: Dataset,
    /// The 10,000 test images.
    pub test: Dataset,
}

/// The byte `b` such that `value == b / 256`, or `None` if there is none.
pub fn byte_from_f32(value: f32) -> Option<u8> {
    let scaled = value * 256.0; // exact: a power-of-two scaling
    (scaled.is_finite() && scaled.fract() == 0.0 && (0.0..=255.0).contains(&scaled))
        .then_some(scaled as u8)
}

/// Converts `byte / 256` values back to bytes; fails at the first value that is not of that form.
pub fn bytes_from_f32(values: &[f32]) -> Result<Vec<u8>, DataError> {
    values
        .iter()
        .enumerate()
        .map(|(index, &value)| {
            byte_from_f32(value).ok_or(DataError::NotByteValued { index, value })
        })
        .collect()
}

/// Converts integer labels to bytes; fails unless each is in `0..10`.
pub fn labels_from_i64(values: &[i64], source_name: &str) -> Result<Vec<u8>, DataError> {
    values
        .iter()
        .enumerate()
        .map(|(index, &label)| {
            u8::try_from(label)
                .ok()
                .filter(|&l| l < 10)
                .ok_or_else(|| DataError::BadLabel {
                    source_name: source_name.to_owned(),
                    index,
                    label,
                    classes: 10,
                })
        })
        .collect()
}

/// A labelled set from a pickled `n × 784` `float32` image array and an `n`-vector of integer labels.
pub fn dataset_from_arrays(x: &NdArray, y: &NdArray, name: &str) -> Result<Dataset, DataError> {
    let n = match x.shape[..] {
        [n, IMAGE_LEN] => n,
        _ => {
            return Err(DataError::Pickle(format!(
                "{name} images have shape {:?}, not (n, {IMAGE_LEN})",
                x.shape
            )));
        }
    };
    if x.fortran_order && n > 1 {
        return Err(DataError::Pickle(format!(
            "{name} images are in Fortran order"
        )));
    }
    if y.shape != [n] {
        return Err(DataError::Pickle(format!(
            "{name} labels have shape {:?}, not ({n},)",
            y.shape
        )));
    }
    let pixels = bytes_from_f32(&x.to_f32()?)?;
    let labels = labels_from_i64(&y.to_i64()?, name)?;
    Dataset::new(Images::new(n, 1, 28, 28, pixels)?, labels)
}

/// Reads an uncompressed pickle stream with the structure of `mnist.pkl.gz`.
pub fn from_pickle<R: BufRead>(reader: R) -> Result<MnistSplits, DataError> {
    let mut unpickled = pickle::unpickle(reader)?;
    let root = unpickled.root.clone();
    let sets = unpickled.tuple(&root, 3, "(train, valid, test)")?.to_vec();
    let mut out = Vec::with_capacity(3);
    for (set, name) in sets.iter().zip(["train", "valid", "test"]) {
        let pair = unpickled.tuple(set, 2, "(images, labels)")?.to_vec();
        let x = unpickled.take_array(&pair[0], "images")?;
        let y = unpickled.take_array(&pair[1], "labels")?;
        out.push(dataset_from_arrays(&x, &y, name)?);
    }
    let [train, valid, test] = <[Dataset; 3]>::try_from(out)
        .map_err(|_| DataError::Pickle("expected three sets".into()))?;
    let (train_x, train_y) = train.into_parts();
    let (valid_x, valid_y) = valid.into_parts();
    let images = train_x.concat(&valid_x)?;
    let labels = [train_y, valid_y].concat();
    Ok(MnistSplits {
        train: Dataset::new(images, labels)?,
        test,
    })
}

/// Reads a gzipped pickle with the structure of `mnist.pkl.gz` from memory.
pub fn from_pickle_gz(bytes: &[u8]) -> Result<MnistSplits, DataError> {
    let decoder = flate2::read::MultiGzDecoder::new(bytes);
    from_pickle(BufReader::with_capacity(1 << 16, decoder))
}

/// The four canonical IDX files `(name, contents)`: training images, training labels, test images, test labels.
pub fn encode_idx_files(splits: &MnistSplits) -> Result<[(&'static str, Vec<u8>); 4], DataError> {
    let [ti, tl, si, sl] = super::SPEC.files();
    Ok([
        (ti.name, idx::encode_images(splits.train.images())?),
        (tl.name, idx::encode_labels(splits.train.labels())?),
        (si.name, idx::encode_images(splits.test.images())?),
        (sl.name, idx::encode_labels(splits.test.labels())?),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pickle_writer::{ArraySpec, mnist_like_pickle};

    fn images(n: usize, offset: usize) -> Vec<u8> {
        (0..n * IMAGE_LEN)
            .map(|i| ((i * 7 + offset) % 256) as u8)
            .collect()
    }

    fn spec_of(pixels: &[u8], labels: &[i64]) -> (ArraySpec, ArraySpec) {
        let floats: Vec<f32> = pixels.iter().map(|&b| f32::from(b) / 256.0).collect();
        (
            ArraySpec::f32(&[labels.len(), IMAGE_LEN], &floats),
            ArraySpec::i64(labels),
        )
    }

    #[test]
    fn byte_values_round_trip_and_others_are_refused() {
        for b in 0..=255u8 {
            assert_eq!(byte_from_f32(f32::from(b) / 256.0), Some(b));
        }
        for v in [
            1.0,
            -1.0 / 256.0,
            0.5 / 256.0,
            f32::NAN,
            f32::INFINITY,
            1.0 / 255.0,
        ] {
            assert_eq!(byte_from_f32(v), None, "{v}");
        }
        assert!(matches!(
            bytes_from_f32(&[0.0, 0.3]),
            Err(DataError::NotByteValued { index: 1, .. })
        ));
        assert!(matches!(
            labels_from_i64(&[0, 9, 10], "t"),
            Err(DataError::BadLabel {
                index: 2,
                label: 10,
                ..
            })
        ));
    }

    #[test]
    fn converts_a_generated_pickle_of_the_same_structure() {
        let (tr, va, te) = (images(3, 0), images(2, 1), images(2, 2));
        let sets = [
            spec_of(&tr, &[5, 0, 4]),
            spec_of(&va, &[3, 9]),
            spec_of(&te, &[7, 2]),
        ];
        let pickle = mnist_like_pickle(&sets);
        let splits = from_pickle(&pickle[..]).unwrap();
        assert_eq!(splits.train.len(), 5);
        assert_eq!(splits.train.labels(), &[5, 0, 4, 3, 9]);
        assert_eq!(splits.train.images().pixels(), &[tr, va].concat()[..]);
        assert_eq!(splits.test.images().pixels(), &te[..]);
        assert_eq!(splits.test.images().rows(), 28);

        let gz = idx::gzip(&pickle);
        assert_eq!(from_pickle_gz(&gz).unwrap(), splits);

        let files = encode_idx_files(&splits).unwrap();
        let back = idx::parse_idx(&files[0].1, "t").unwrap();
        assert_eq!(back.dims, vec![5, 28, 28]);
        assert_eq!(files[3].0, "t10k-labels-idx1-ubyte");
        assert_eq!(idx::parse_idx(&files[3].1, "t").unwrap().data, vec![7, 2]);
    }

    #[test]
    fn non_byte_pixels_and_bad_shapes_are_refused() {
        let te = images(1, 0);
        let mut bad = spec_of(&te, &[1]);
        bad.0.data[8..12].copy_from_slice(&0.3f32.to_le_bytes());
        let good = spec_of(&te, &[1]);
        let p = mnist_like_pickle(&[good.clone(), good.clone(), bad]);
        assert!(matches!(
            from_pickle(&p[..]),
            Err(DataError::NotByteValued { index: 2, .. })
        ));

        let wrong_shape = (
            ArraySpec::f32(&[2, 392], &vec![0.0; 784]),
            ArraySpec::i64(&[0, 1]),
        );
        let p = mnist_like_pickle(&[good.clone(), good.clone(), wrong_shape]);
        assert!(matches!(from_pickle(&p[..]), Err(DataError::Pickle(_))));

        let p = mnist_like_pickle(&[good.clone(), good.clone(), good]);
        for cut in [0, 1, 50, p.len() / 2, p.len() - 1] {
            assert!(from_pickle(&p[..cut]).is_err(), "cut at {cut}");
        }
        assert!(from_pickle_gz(b"not gzip").is_err());
    }
}
