//! In-memory image sets and labelled data sets.

use crate::DataError;

/// Which part of a data set: the training set or the test set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Split {
    /// The training set (for MNIST, the 60,000 images of the canonical training file).
    Train,
    /// The test set (10,000 images for MNIST, Fashion-MNIST and CIFAR-10).
    Test,
}

impl Split {
    /// `"train"` or `"test"`, for file names and messages.
    pub fn name(self) -> &'static str {
        match self {
            Split::Train => "train",
            Split::Test => "test",
        }
    }
}

impl std::fmt::Display for Split {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// `n` images of `channels × rows × cols` bytes, stored contiguously image after image, each image
/// channel-major then row-major (the IDX and CIFAR-10 layouts).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Images {
    n: usize,
    channels: usize,
    rows: usize,
    cols: usize,
    pixels: Vec<u8>,
}

impl Images {
    /// Images from a flat pixel buffer; fails unless `pixels.len() == n * channels * rows * cols`.
    pub fn new(
        n: usize,
        channels: usize,
        rows: usize,
        cols: usize,
        pixels: Vec<u8>,
    ) -> Result<Self, DataError> {
        let expected = [n, channels, rows, cols]
            .iter()
            .try_fold(1usize, |acc, &d| acc.checked_mul(d));
        match expected {
            Some(len) if len == pixels.len() => Ok(Images {
                n,
                channels,
                rows,
                cols,
                pixels,
            }),
            _ => Err(DataError::Shape(format!(
                "{} pixels do not make {n} images of {channels}×{rows}×{cols}",
                pixels.len()
            ))),
        }
    }

    /// The number of images.
    pub fn len(&self) -> usize {
        self.n
    }

    /// Whether there are no images.
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// The number of channels (1 for MNIST, 3 for CIFAR-10).
    pub fn channels(&self) -> usize {
        self.channels
    }

    /// The number of rows of each image.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// The number of columns of each image.
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// The number of bytes of one image: `channels × rows × cols` (784 for MNIST).
    pub fn dim(&self) -> usize {
        self.channels * self.rows * self.cols
    }

    /// All pixels, image after image.
    pub fn pixels(&self) -> &[u8] {
        &self.pixels
    }

    /// Consumes the set and returns its flat pixel buffer.
    pub fn into_pixels(self) -> Vec<u8> {
        self.pixels
    }

    /// The pixels of image `i`, or `None` if `i >= len()`.
    pub fn image(&self, i: usize) -> Option<&[u8]> {
        let d = self.dim();
        self.pixels
            .get(i.checked_mul(d)?..i.checked_add(1)?.checked_mul(d)?)
    }

    /// Image `i` as `f64` values `byte / 255` in [0, 1], or `None` if `i >= len()`.
    pub fn image_scaled_f64(&self, i: usize) -> Option<Vec<f64>> {
        Some(
            self.image(i)?
                .iter()
                .map(|&b| f64::from(b) / 255.0)
                .collect(),
        )
    }

    /// The images at `indices`, in that order, as a new set (fails if an index is out of range).
    pub fn select(&self, indices: &[usize]) -> Result<Images, DataError> {
        let d = self.dim();
        let mut pixels = Vec::with_capacity(indices.len() * d);
        for &i in indices {
            let img = self.image(i).ok_or_else(|| {
                DataError::InvalidArgument(format!("image index {i} out of range 0..{}", self.n))
            })?;
            pixels.extend_from_slice(img);
        }
        Images::new(indices.len(), self.channels, self.rows, self.cols, pixels)
    }

    /// Appends the images of `other`, which must have the same shape.
    pub fn concat(mut self, other: &Images) -> Result<Images, DataError> {
        if (self.channels, self.rows, self.cols) != (other.channels, other.rows, other.cols) {
            return Err(DataError::Shape(format!(
                "cannot join images of {}×{}×{} and {}×{}×{}",
                self.channels, self.rows, self.cols, other.channels, other.rows, other.cols
            )));
        }
        self.pixels.extend_from_slice(&other.pixels);
        self.n += other.n;
        Ok(self)
    }
}

/// Images with one label each.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dataset {
    images: Images,
    labels: Vec<u8>,
}

impl Dataset {
    /// A labelled set; fails unless there is exactly one label per image.
    pub fn new(images: Images, labels: Vec<u8>) -> Result<Self, DataError> {
        if images.len() != labels.len() {
            return Err(DataError::Shape(format!(
                "{} images but {} labels",
                images.len(),
                labels.len()
            )));
        }
        Ok(Dataset { images, labels })
    }

    /// The images.
    pub fn images(&self) -> &Images {
        &self.images
    }

    /// The labels, one per image.
    pub fn labels(&self) -> &[u8] {
        &self.labels
    }

    /// The number of labelled images.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// How many images carry each label `0..classes`; labels `>= classes` are not counted.
    pub fn label_histogram(&self, classes: usize) -> Vec<usize> {
        let mut h = vec![0; classes];
        for &l in &self.labels {
            if let Some(c) = h.get_mut(usize::from(l)) {
                *c += 1;
            }
        }
        h
    }

    /// Splits the set into its images and labels.
    pub fn into_parts(self) -> (Images, Vec<u8>) {
        (self.images, self.labels)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_check_their_length_and_index_safely() {
        assert!(Images::new(2, 1, 2, 2, vec![0; 7]).is_err());
        assert!(Images::new(usize::MAX, 2, 2, 2, vec![]).is_err());
        let im = Images::new(2, 1, 2, 2, (0..8).collect()).unwrap();
        assert_eq!(im.image(1).unwrap(), &[4, 5, 6, 7]);
        assert!(im.image(2).is_none());
        assert!(im.image(usize::MAX).is_none());
        assert_eq!(
            im.select(&[1, 0]).unwrap().pixels(),
            &[4, 5, 6, 7, 0, 1, 2, 3]
        );
        assert!(im.select(&[2]).is_err());
        let s = im.image_scaled_f64(0).unwrap();
        assert_eq!(s[3], 3.0 / 255.0);
    }

    #[test]
    fn dataset_needs_one_label_per_image_and_counts_labels() {
        let im = Images::new(3, 1, 1, 1, vec![0, 1, 2]).unwrap();
        assert!(Dataset::new(im.clone(), vec![0, 1]).is_err());
        let ds = Dataset::new(im, vec![1, 1, 9]).unwrap();
        assert_eq!(ds.label_histogram(3), vec![0, 2, 0]);
    }
}
