//! The crate's error type.

use std::path::PathBuf;

/// Everything that can go wrong while locating, fetching, converting or reading a data set.
///
/// Every variant names the file (or in-memory source) it is about, so a binary can print the error as one
/// clear line. No function of this crate panics on bad input: it returns one of these instead.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DataError {
    /// An operating-system error while reading or writing a file.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder concerned.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },

    /// A gzip stream that could not be decoded (corrupted or cut short).
    #[error("{source_name}: corrupted or truncated gzip stream: {source}")]
    Gzip {
        /// The file (or in-memory source) being decoded.
        source_name: String,
        /// The decoder's error.
        #[source]
        source: std::io::Error,
    },

    /// The first four bytes are not an IDX magic number (two zero bytes, a known type code, a rank).
    #[error("{source_name}: not an IDX file (magic bytes {magic:02x?})")]
    BadIdxMagic {
        /// The file (or in-memory source) being read.
        source_name: String,
        /// The four bytes found at the start.
        magic: [u8; 4],
    },

    /// A valid IDX type code other than unsigned bytes (0x08), which is all this crate reads.
    #[error(
        "{source_name}: IDX element type 0x{code:02x} is not supported (only 0x08, unsigned bytes)"
    )]
    UnsupportedIdxType {
        /// The file (or in-memory source) being read.
        source_name: String,
        /// The type code found in the header.
        code: u8,
    },

    /// An IDX file whose number of dimensions is not the one expected (3 for images, 1 for labels).
    #[error("{source_name}: expected an IDX array with {expected} dimension(s), found {found}")]
    IdxRank {
        /// The file (or in-memory source) being read.
        source_name: String,
        /// The number of dimensions expected.
        expected: usize,
        /// The number of dimensions in the header.
        found: usize,
    },

    /// Dimensions whose product does not fit in memory addresses.
    #[error("{source_name}: IDX dimensions {dims:?} are too large")]
    IdxTooLarge {
        /// The file (or in-memory source) being read.
        source_name: String,
        /// The dimensions found in the header.
        dims: Vec<u64>,
    },

    /// A file (or stream) that ends before the length its header announces.
    #[error("{source_name}: truncated {what}: expected {expected} bytes, found {found}")]
    Truncated {
        /// The file (or in-memory source) being read.
        source_name: String,
        /// Which part was cut short (header, data, record, ...).
        what: &'static str,
        /// The number of bytes the format requires.
        expected: u64,
        /// The number of bytes present.
        found: u64,
    },

    /// A file with more bytes than its header announces.
    #[error("{source_name}: {extra} unexpected byte(s) after the data the header announces")]
    TrailingBytes {
        /// The file (or in-memory source) being read.
        source_name: String,
        /// How many bytes follow the data (at least 1).
        extra: u64,
    },

    /// Values or lengths that do not fit together (image and label counts, buffer lengths, shapes).
    #[error("{0}")]
    Shape(String),

    /// A label outside the range the data set allows.
    #[error("{source_name}: label {label} at index {index} is out of range 0..{classes}")]
    BadLabel {
        /// The file (or in-memory source) being read.
        source_name: String,
        /// The index of the record.
        index: usize,
        /// The label found.
        label: i64,
        /// The number of classes.
        classes: usize,
    },

    /// A zip archive (a Python wheel) that could not be read.
    #[error("{source_name}: bad zip archive: {reason}")]
    Zip {
        /// The archive.
        source_name: String,
        /// What is wrong with it.
        reason: String,
    },

    /// A pickle stream that this crate's minimal unpickler cannot read or that does not hold what is expected.
    #[error("pickle: {0}")]
    Pickle(String),

    /// A float pixel that is not an exact multiple of 1/256 in [0, 255/256], so it cannot be turned back into a byte.
    #[error("pixel {index} has value {value}, which is not byte/256 for a byte 0..=255")]
    NotByteValued {
        /// The flat index of the pixel within its array.
        index: usize,
        /// The value found.
        value: f32,
    },

    /// A file whose MD5 digest is not the canonical one: it is refused.
    #[error(
        "{path}: MD5 digest {found} differs from the canonical {expected}; refusing this file (delete it to fetch it again)"
    )]
    DigestMismatch {
        /// The file concerned.
        path: PathBuf,
        /// The canonical digest.
        expected: &'static str,
        /// The digest of the file's (decompressed) contents.
        found: String,
    },

    /// Fetching a data set failed (no network, no pip, no apt, ...); the message says what to do instead.
    #[error("{0}")]
    Fetch(String),

    /// The data set's files are absent and this crate cannot obtain them; the message says how to supply them.
    #[error("{0}")]
    Missing(String),

    /// An invalid argument (zero batch size, index out of range, ...).
    #[error("invalid argument: {0}")]
    InvalidArgument(String),

    /// A folder or file that this crate may not write (see `ucg_files`).
    #[error(transparent)]
    Files(ucg_files::FilesError),
}

impl From<ucg_files::FilesError> for DataError {
    fn from(e: ucg_files::FilesError) -> Self {
        match e {
            ucg_files::FilesError::Io { path, source } => DataError::Io { path, source },
            other => DataError::Files(other),
        }
    }
}

impl DataError {
    /// An [`DataError::Io`] error about `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        DataError::Io {
            path: path.into(),
            source,
        }
    }
}
