//! CIFAR-10 in its binary format: files of records of 1 label byte followed by 3,072 pixel bytes
//! (1,024 red, then 1,024 green, then 1,024 blue, each 32 × 32 row-major).
//!
//! CIFAR-10 cannot be obtained through a package registry, so there is no fetch: a user puts
//! `data_batch_1.bin` ... `data_batch_5.bin` and `test_batch.bin` into `<data dir>/cifar-10-batches-bin/`
//! (the folder that the upstream `cifar-10-binary.tar.gz` unpacks to), and [`ensure`] says so when they are absent.

use std::path::{Path, PathBuf};

use crate::DataError;
use crate::dataset::{Dataset, Images, Split};

/// Bytes of one image: 3 channels of 32 × 32.
pub const IMAGE_LEN: usize = 3 * 32 * 32;

/// Bytes of one record: the label, then the image.
pub const RECORD_LEN: usize = 1 + IMAGE_LEN;

/// The number of classes.
pub const CLASSES: usize = 10;

/// The folder, inside the data folder, that holds the batch files.
pub const FOLDER: &str = "cifar-10-batches-bin";

/// The training batch files, in order.
pub const TRAIN_FILES: [&str; 5] = [
    "data_batch_1.bin",
    "data_batch_2.bin",
    "data_batch_3.bin",
    "data_batch_4.bin",
    "data_batch_5.bin",
];

/// The test batch file.
pub const TEST_FILE: &str = "test_batch.bin";

/// Parses the records of one batch file held in memory (at least one record: an empty batch file is a
/// failed copy, never a valid batch).
pub fn parse_batch(bytes: &[u8], source_name: &str) -> Result<Dataset, DataError> {
    if bytes.is_empty() || !bytes.len().is_multiple_of(RECORD_LEN) {
        let whole = bytes.len() / RECORD_LEN;
        return Err(DataError::Truncated {
            source_name: source_name.to_owned(),
            what: "CIFAR-10 record",
            expected: ((whole + 1) * RECORD_LEN) as u64,
            found: bytes.len() as u64,
        });
    }
    let n = bytes.len() / RECORD_LEN;
    let mut labels = Vec::with_capacity(n);
    let mut pixels = Vec::with_capacity(n * IMAGE_LEN);
    for (index, record) in bytes.chunks_exact(RECORD_LEN).enumerate() {
        if usize::from(record[0]) >= CLASSES {
            return Err(DataError::BadLabel {
                source_name: source_name.to_owned(),
                index,
                label: i64::from(record[0]),
                classes: CLASSES,
            });
        }
        labels.push(record[0]);
        pixels.extend_from_slice(&record[1..]);
    }
    Dataset::new(Images::new(n, 3, 32, 32, pixels)?, labels)
}

/// Reads one batch file.
pub fn read_batch_file(path: &Path) -> Result<Dataset, DataError> {
    let bytes = std::fs::read(path).map_err(|e| DataError::io(path, e))?;
    parse_batch(&bytes, &path.display().to_string())
}

/// Encodes a labelled set of 3 × 32 × 32 images in the batch format (used to generate test files).
pub fn encode_batch(data: &Dataset) -> Result<Vec<u8>, DataError> {
    let im = data.images();
    if (im.channels(), im.rows(), im.cols()) != (3, 32, 32) {
        return Err(DataError::InvalidArgument(format!(
            "CIFAR-10 images are 3×32×32, not {}×{}×{}",
            im.channels(),
            im.rows(),
            im.cols()
        )));
    }
    let mut out = Vec::with_capacity(data.len() * RECORD_LEN);
    for (i, &label) in data.labels().iter().enumerate() {
        out.push(label);
        out.extend_from_slice(im.image(i).unwrap_or_default());
    }
    Ok(out)
}

/// Where the six batch files are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CifarPaths {
    /// The five training batches, in order.
    pub train: Vec<PathBuf>,
    /// The test batch.
    pub test: PathBuf,
}

/// The CIFAR-10 folder inside a data folder: `<data_dir>/cifar-10-batches-bin`.
pub fn cifar_dir(data_dir: &Path) -> PathBuf {
    data_dir.join(FOLDER)
}

/// The six batch files, or a [`DataError::Missing`] error explaining how a user supplies them
/// (this crate cannot download CIFAR-10).
pub fn ensure(data_dir: &Path) -> Result<CifarPaths, DataError> {
    let dir = cifar_dir(data_dir);
    let train: Vec<PathBuf> = TRAIN_FILES.iter().map(|f| dir.join(f)).collect();
    let test = dir.join(TEST_FILE);
    let missing: Vec<&str> = TRAIN_FILES
        .iter()
        .zip(&train)
        .chain(std::iter::once((&TEST_FILE, &test)))
        .filter(|(_, p)| !p.is_file())
        .map(|(name, _)| *name)
        .collect();
    if missing.is_empty() {
        // Sizes are checked here, without reading the files, so that `ensure` alone refuses empty or cut
        // files (the usual result of an interrupted copy).
        for path in train.iter().chain(std::iter::once(&test)) {
            let len = std::fs::metadata(path)
                .map_err(|e| DataError::io(path, e))?
                .len();
            if len == 0 || len % RECORD_LEN as u64 != 0 {
                return Err(DataError::Truncated {
                    source_name: path.display().to_string(),
                    what: "CIFAR-10 batch file (a positive number of 3,073-byte records)",
                    expected: (len / RECORD_LEN as u64 + 1) * RECORD_LEN as u64,
                    found: len,
                });
            }
        }
        Ok(CifarPaths { train, test })
    } else {
        Err(DataError::Missing(format!(
            "CIFAR-10 cannot be downloaded here: missing {} in {}. Obtain the binary version \
             (cifar-10-binary.tar.gz) from its authors, unpack it, and put data_batch_1.bin ... data_batch_5.bin \
             and test_batch.bin into {}",
            missing.join(", "),
            dir.display(),
            dir.display()
        )))
    }
}

/// Loads one split: the five training batches joined (50,000 images) or the test batch (10,000 images).
pub fn load(data_dir: &Path, split: Split) -> Result<Dataset, DataError> {
    let paths = ensure(data_dir)?;
    let files = match split {
        Split::Train => paths.train,
        Split::Test => vec![paths.test],
    };
    let mut images: Option<Images> = None;
    let mut labels = Vec::new();
    for f in &files {
        let (im, lab) = read_batch_file(f)?.into_parts();
        images = Some(match images {
            None => im,
            Some(acc) => acc.concat(&im)?,
        });
        labels.extend(lab);
    }
    let images = images.map_or_else(|| Images::new(0, 3, 32, 32, Vec::new()), Ok)?;
    Dataset::new(images, labels)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn generated(n: usize, seed: u8) -> Dataset {
        let pixels = (0..n * IMAGE_LEN)
            .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
            .collect();
        let labels = (0..n)
            .map(|i| ((i + usize::from(seed)) % CLASSES) as u8)
            .collect();
        Dataset::new(Images::new(n, 3, 32, 32, pixels).unwrap(), labels).unwrap()
    }

    #[test]
    fn batch_round_trip() {
        let d = generated(4, 1);
        let bytes = encode_batch(&d).unwrap();
        assert_eq!(bytes.len(), 4 * RECORD_LEN);
        assert_eq!(bytes[0], d.labels()[0]);
        assert_eq!(parse_batch(&bytes, "b").unwrap(), d);
    }

    #[test]
    fn truncated_records_and_bad_labels_are_refused() {
        let bytes = encode_batch(&generated(2, 0)).unwrap();
        assert!(matches!(
            parse_batch(&bytes[..RECORD_LEN + 5], "b"),
            Err(DataError::Truncated { found, .. }) if found == (RECORD_LEN + 5) as u64
        ));
        assert!(matches!(
            parse_batch(&[], "b"),
            Err(DataError::Truncated { found: 0, .. })
        ));
        let mut bad = bytes.clone();
        bad[RECORD_LEN] = 10;
        assert!(matches!(
            parse_batch(&bad, "b"),
            Err(DataError::BadLabel {
                index: 1,
                label: 10,
                ..
            })
        ));
    }

    #[test]
    fn missing_files_explain_how_to_supply_them_and_present_files_load() {
        let data = tempfile::tempdir().unwrap();
        let err = ensure(data.path()).unwrap_err().to_string();
        assert!(
            err.contains("data_batch_1.bin") && err.contains(FOLDER),
            "{err}"
        );
        let dir = cifar_dir(data.path());
        std::fs::create_dir_all(&dir).unwrap();
        for (k, f) in TRAIN_FILES.iter().enumerate() {
            std::fs::write(dir.join(f), encode_batch(&generated(2, k as u8)).unwrap()).unwrap();
        }
        assert!(
            ensure(data.path())
                .unwrap_err()
                .to_string()
                .contains(TEST_FILE)
        );
        // Zero-byte files, as an interrupted copy leaves them, are refused by `ensure` itself.
        std::fs::write(dir.join(TEST_FILE), b"").unwrap();
        assert!(matches!(
            ensure(data.path()),
            Err(DataError::Truncated { found: 0, .. })
        ));
        std::fs::write(dir.join(TEST_FILE), encode_batch(&generated(3, 9)).unwrap()).unwrap();
        let train = load(data.path(), Split::Train).unwrap();
        assert_eq!(train.len(), 10);
        assert_eq!(
            train.images().image(2).unwrap(),
            generated(2, 1).images().image(0).unwrap()
        );
        assert_eq!(load(data.path(), Split::Test).unwrap(), generated(3, 9));
    }
}
