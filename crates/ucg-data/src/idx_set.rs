//! A canonical set of four IDX files (training and test images and labels) with known MD5 digests, as
//! MNIST and Fashion-MNIST are distributed: locating the files in a folder, verifying them, loading a split.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::SystemTime;

use crate::dataset::{Dataset, Split};
use crate::{DataError, digest, idx};

/// One canonical file: its name (without `.gz`) and the MD5 digest of its uncompressed contents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdxFile {
    /// The canonical file name, such as `train-images-idx3-ubyte`.
    pub name: &'static str,
    /// The MD5 digest of the uncompressed file, lower-case hexadecimal.
    pub md5: &'static str,
}

/// The four canonical files of an MNIST-like data set, and what they hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdxSetSpec {
    /// The data set's name, for messages.
    pub name: &'static str,
    /// The training images.
    pub train_images: IdxFile,
    /// The training labels.
    pub train_labels: IdxFile,
    /// The test images.
    pub test_images: IdxFile,
    /// The test labels.
    pub test_labels: IdxFile,
    /// How many training images carry each label 0..10.
    pub train_histogram: [usize; 10],
    /// How many test images carry each label 0..10.
    pub test_histogram: [usize; 10],
}

impl IdxSetSpec {
    /// The four files: training images, training labels, test images, test labels.
    pub fn files(&self) -> [IdxFile; 4] {
        [
            self.train_images,
            self.train_labels,
            self.test_images,
            self.test_labels,
        ]
    }

    /// The canonical label histogram of a split.
    pub fn histogram(&self, split: Split) -> [usize; 10] {
        match split {
            Split::Train => self.train_histogram,
            Split::Test => self.test_histogram,
        }
    }

    /// The canonical number of images in a split.
    pub fn count(&self, split: Split) -> usize {
        self.histogram(split).iter().sum()
    }
}

/// Where the four verified files of an IDX set are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdxSetPaths {
    /// The training images (raw or `.gz`).
    pub train_images: PathBuf,
    /// The training labels (raw or `.gz`).
    pub train_labels: PathBuf,
    /// The test images (raw or `.gz`).
    pub test_images: PathBuf,
    /// The test labels (raw or `.gz`).
    pub test_labels: PathBuf,
}

impl IdxSetPaths {
    /// The image file of a split.
    pub fn images(&self, split: Split) -> &Path {
        match split {
            Split::Train => &self.train_images,
            Split::Test => &self.test_images,
        }
    }

    /// The label file of a split.
    pub fn labels(&self, split: Split) -> &Path {
        match split {
            Split::Train => &self.train_labels,
            Split::Test => &self.test_labels,
        }
    }

    /// All four files, in the order of [`IdxSetSpec::files`].
    pub fn all(&self) -> [&Path; 4] {
        [
            &self.train_images,
            &self.train_labels,
            &self.test_images,
            &self.test_labels,
        ]
    }
}

/// Files verified in this process, with the size and modification time they had then: verifying a 47 MB file
/// once per process is enough.
static VERIFIED: Mutex<Vec<Verified>> = Mutex::new(Vec::new());

/// A file verified in this process: path, size, modification time, digest.
type Verified = (PathBuf, u64, Option<SystemTime>, &'static str);

fn stamp(path: &Path) -> Result<(u64, Option<SystemTime>), DataError> {
    let meta = std::fs::metadata(path).map_err(|e| DataError::io(path, e))?;
    Ok((meta.len(), meta.modified().ok()))
}

/// Checks that the (decompressed) contents of `path` have the MD5 digest `expected`; results are remembered
/// for this process while the file's size and modification time stay the same.
pub fn verify_file(path: &Path, expected: &'static str) -> Result<(), DataError> {
    let (len, modified) = stamp(path)?;
    let key = |(p, l, m, d): &Verified| p == path && *l == len && *m == modified && *d == expected;
    if let Ok(v) = VERIFIED.lock()
        && v.iter().any(key)
    {
        return Ok(());
    }
    let bytes = digest::read_maybe_gz(path)?;
    digest::check_md5(path, &bytes, expected)?;
    if let Ok(mut v) = VERIFIED.lock() {
        v.push((path.to_path_buf(), len, modified, expected));
    }
    Ok(())
}

/// The file `name` or `name.gz` in `dir`, if one exists.
pub fn find_file(dir: &Path, name: &str) -> Option<PathBuf> {
    [dir.join(name), dir.join(format!("{name}.gz"))]
        .into_iter()
        .find(|p| p.is_file())
}

/// Looks for the four files of `spec` in `dir` (each raw or `.gz`) and verifies their digests.
///
/// Returns `Ok(None)` if any file is absent, and an error if a present file is unreadable or has the wrong
/// digest (such a file is refused, never silently replaced).
pub fn locate(spec: &IdxSetSpec, dir: &Path) -> Result<Option<IdxSetPaths>, DataError> {
    let mut found = Vec::with_capacity(4);
    for file in spec.files() {
        if let Some(path) = find_file(dir, file.name) {
            verify_file(&path, file.md5)?;
            found.push(path);
        }
    }
    let Ok([train_images, train_labels, test_images, test_labels]) =
        <[PathBuf; 4]>::try_from(found)
    else {
        return Ok(None);
    };
    Ok(Some(IdxSetPaths {
        train_images,
        train_labels,
        test_images,
        test_labels,
    }))
}

/// Reads one split of an IDX set from its files, checking that the labels are below 10.
pub fn load_split(paths: &IdxSetPaths, split: Split) -> Result<Dataset, DataError> {
    let images = idx::read_images_file(paths.images(split))?;
    let labels_path = paths.labels(split);
    let labels = idx::read_labels_file(labels_path)?;
    if let Some(index) = labels.iter().position(|&l| l >= 10) {
        return Err(DataError::BadLabel {
            source_name: labels_path.display().to_string(),
            index,
            label: i64::from(labels[index]),
            classes: 10,
        });
    }
    Dataset::new(images, labels)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: IdxSetSpec = IdxSetSpec {
        name: "tiny",
        train_images: IdxFile {
            name: "train-images-idx3-ubyte",
            md5: "",
        },
        train_labels: IdxFile {
            name: "train-labels-idx1-ubyte",
            md5: "",
        },
        test_images: IdxFile {
            name: "t10k-images-idx3-ubyte",
            md5: "",
        },
        test_labels: IdxFile {
            name: "t10k-labels-idx1-ubyte",
            md5: "",
        },
        train_histogram: [1, 1, 0, 0, 0, 0, 0, 0, 0, 0],
        test_histogram: [0, 1, 0, 0, 0, 0, 0, 0, 0, 0],
    };

    fn tiny_spec(files: &[(Vec<u8>, bool)]) -> IdxSetSpec {
        let md5 =
            |i: usize| -> &'static str { Box::leak(digest::md5_hex(&files[i].0).into_boxed_str()) };
        let mut spec = SPEC;
        spec.train_images.md5 = md5(0);
        spec.train_labels.md5 = md5(1);
        spec.test_images.md5 = md5(2);
        spec.test_labels.md5 = md5(3);
        spec
    }

    #[test]
    fn locates_verifies_and_loads_raw_and_gz_files() {
        let dir = tempfile::tempdir().unwrap();
        let files = vec![
            (
                idx::encode_idx(&[2, 2, 2], &[0, 1, 2, 3, 4, 5, 6, 7]).unwrap(),
                false,
            ),
            (idx::encode_idx(&[2], &[0, 1]).unwrap(), true),
            (idx::encode_idx(&[1, 2, 2], &[9, 9, 9, 9]).unwrap(), true),
            (idx::encode_idx(&[1], &[1]).unwrap(), false),
        ];
        let spec = tiny_spec(&files);
        assert_eq!(locate(&spec, dir.path()).unwrap(), None);
        for (file, (bytes, gz)) in spec.files().iter().zip(&files) {
            let (name, data) = if *gz {
                (format!("{}.gz", file.name), idx::gzip(bytes))
            } else {
                (file.name.to_owned(), bytes.clone())
            };
            std::fs::write(dir.path().join(name), data).unwrap();
        }
        let paths = locate(&spec, dir.path()).unwrap().unwrap();
        assert!(paths.train_labels.to_string_lossy().ends_with(".gz"));
        let train = load_split(&paths, Split::Train).unwrap();
        assert_eq!(
            train.label_histogram(10),
            spec.histogram(Split::Train).to_vec()
        );
        let test = load_split(&paths, Split::Test).unwrap();
        assert_eq!(test.images().pixels(), &[9, 9, 9, 9]);

        // A file with other contents is refused.
        std::fs::write(&paths.test_labels, idx::encode_idx(&[1], &[2]).unwrap()).unwrap();
        assert!(matches!(
            locate(&spec, dir.path()),
            Err(DataError::DigestMismatch { .. })
        ));
    }

    #[test]
    fn labels_out_of_range_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let files = vec![
            (idx::encode_idx(&[1, 1, 1], &[0]).unwrap(), false),
            (idx::encode_idx(&[1], &[10]).unwrap(), false),
            (idx::encode_idx(&[1, 1, 1], &[0]).unwrap(), false),
            (idx::encode_idx(&[1], &[0]).unwrap(), false),
        ];
        let spec = tiny_spec(&files);
        for (file, (bytes, _)) in spec.files().iter().zip(&files) {
            std::fs::write(dir.path().join(file.name), bytes).unwrap();
        }
        let paths = locate(&spec, dir.path()).unwrap().unwrap();
        assert!(matches!(
            load_split(&paths, Split::Train),
            Err(DataError::BadLabel { label: 10, .. })
        ));
    }
}
