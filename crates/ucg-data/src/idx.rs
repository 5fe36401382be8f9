//! The IDX format of MNIST and Fashion-MNIST: reading (raw or gzip, detected by the gzip magic bytes) and writing.
//!
//! An IDX file is a 4-byte magic number `00 00 TT RR` (`TT` the element type, 0x08 for unsigned bytes; `RR` the
//! number of dimensions), then `RR` big-endian `u32` dimensions, then the elements in row-major order. This
//! module reads and writes unsigned-byte arrays only (all that MNIST-like data sets use) and checks that the
//! data has exactly the length the header announces.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;

use flate2::Compression;
use flate2::read::MultiGzDecoder;
use flate2::write::GzEncoder;

use crate::dataset::Images;
use crate::{DataError, atomic};

/// The IDX type code of unsigned bytes.
pub const IDX_U8: u8 = 0x08;

/// The two bytes that start every gzip stream.
pub const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// An IDX array of unsigned bytes: its dimensions and its elements in row-major order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdxArray {
    /// The dimensions, outermost first (for MNIST images: count, rows, columns).
    pub dims: Vec<usize>,
    /// The elements, `dims.iter().product()` of them.
    pub data: Vec<u8>,
}

/// Reads an IDX array from a file, decompressing it first if it starts with the gzip magic bytes.
pub fn read_idx_file(path: &Path) -> Result<IdxArray, DataError> {
    let file = std::fs::File::open(path).map_err(|e| DataError::io(path, e))?;
    read_idx(file, &path.display().to_string())
}

/// Reads an IDX array from a reader (raw or gzip); `source_name` names the source in errors.
pub fn read_idx<R: Read>(reader: R, source_name: &str) -> Result<IdxArray, DataError> {
    let mut buffered = BufReader::new(reader);
    let is_gzip = {
        let head = buffered.fill_buf().map_err(|e| io_err(source_name, e))?;
        head.len() >= 2 && head[..2] == GZIP_MAGIC
    };
    if is_gzip {
        read_idx_raw(MultiGzDecoder::new(buffered), source_name, true)
    } else {
        read_idx_raw(buffered, source_name, false)
    }
}

/// Reads an IDX array from an in-memory buffer (raw or gzip).
pub fn parse_idx(bytes: &[u8], source_name: &str) -> Result<IdxArray, DataError> {
    read_idx(bytes, source_name)
}

/// Reads the 3-dimensional IDX file of an image set (count × rows × columns).
pub fn read_images_file(path: &Path) -> Result<Images, DataError> {
    let name = path.display().to_string();
    images_from_idx(read_idx_file(path)?, &name)
}

/// Reads the 1-dimensional IDX file of a label set.
pub fn read_labels_file(path: &Path) -> Result<Vec<u8>, DataError> {
    let name = path.display().to_string();
    labels_from_idx(read_idx_file(path)?, &name)
}

/// Interprets an IDX array as images; fails unless it has 3 dimensions.
pub fn images_from_idx(array: IdxArray, source_name: &str) -> Result<Images, DataError> {
    match array.dims[..] {
        [n, rows, cols] => Images::new(n, 1, rows, cols, array.data),
        _ => Err(DataError::IdxRank {
            source_name: source_name.to_owned(),
            expected: 3,
            found: array.dims.len(),
        }),
    }
}

/// Interprets an IDX array as labels; fails unless it has 1 dimension.
pub fn labels_from_idx(array: IdxArray, source_name: &str) -> Result<Vec<u8>, DataError> {
    if array.dims.len() != 1 {
        return Err(DataError::IdxRank {
            source_name: source_name.to_owned(),
            expected: 1,
            found: array.dims.len(),
        });
    }
    Ok(array.data)
}

/// Encodes an unsigned-byte array as an uncompressed IDX file.
///
/// Fails if there are no dimensions or more than 255, a dimension exceeds `u32::MAX`, or `data` does not have
/// `dims.iter().product()` elements.
pub fn encode_idx(dims: &[usize], data: &[u8]) -> Result<Vec<u8>, DataError> {
    let rank = u8::try_from(dims.len())
        .ok()
        .filter(|&r| r > 0)
        .ok_or_else(|| {
            DataError::InvalidArgument(format!("IDX needs 1..=255 dimensions, not {}", dims.len()))
        })?;
    let len = element_count(dims.iter().map(|&d| d as u64)).filter(|&l| l == data.len());
    if len.is_none() || dims.iter().any(|&d| u32::try_from(d).is_err()) {
        return Err(DataError::InvalidArgument(format!(
            "{} elements do not fit IDX dimensions {dims:?}",
            data.len()
        )));
    }
    let mut out = Vec::with_capacity(4 + 4 * dims.len() + data.len());
    out.extend_from_slice(&[0, 0, IDX_U8, rank]);
    for &d in dims {
        out.extend_from_slice(&(d as u32).to_be_bytes());
    }
    out.extend_from_slice(data);
    Ok(out)
}

/// Encodes images as a 3-dimensional IDX file (count × rows × columns); fails for multi-channel images.
pub fn encode_images(images: &Images) -> Result<Vec<u8>, DataError> {
    if images.channels() != 1 {
        return Err(DataError::InvalidArgument(format!(
            "IDX image files hold one channel, not {}",
            images.channels()
        )));
    }
    encode_idx(
        &[images.len(), images.rows(), images.cols()],
        images.pixels(),
    )
}

/// Encodes labels as a 1-dimensional IDX file.
pub fn encode_labels(labels: &[u8]) -> Result<Vec<u8>, DataError> {
    encode_idx(&[labels.len()], labels)
}

/// Compresses bytes with gzip (default level).
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::default());
    // Writing into a Vec cannot fail.
    let _ = enc.write_all(bytes);
    enc.finish().unwrap_or_default()
}

/// Writes an IDX file atomically (temporary file, then rename), gzip-compressed if `compress`.
pub fn write_idx_file(
    path: &Path,
    dims: &[usize],
    data: &[u8],
    compress: bool,
) -> Result<(), DataError> {
    let raw = encode_idx(dims, data)?;
    let bytes = if compress { gzip(&raw) } else { raw };
    atomic::write_atomic(path, &bytes)
}

fn io_err(source_name: &str, e: std::io::Error) -> DataError {
    DataError::Io {
        path: source_name.into(),
        source: e,
    }
}

fn element_count(mut dims: impl Iterator<Item = u64>) -> Option<usize> {
    dims.try_fold(1usize, |acc, d| acc.checked_mul(usize::try_from(d).ok()?))
}

/// Reads up to `want` bytes, stopping early only at the end of the stream.
fn read_up_to<R: Read>(
    reader: &mut R,
    want: usize,
    source_name: &str,
    gz: bool,
) -> Result<Vec<u8>, DataError> {
    let mut buf = Vec::new();
    // Do not trust the header for the allocation: grow as data actually arrives.
    buf.try_reserve(want.min(1 << 20))
        .map_err(|e| DataError::InvalidArgument(format!("{source_name}: {e}")))?;
    reader
        .take(want as u64)
        .read_to_end(&mut buf)
        .map_err(|e| stream_err(source_name, gz, e))?;
    Ok(buf)
}

fn stream_err(source_name: &str, gz: bool, e: std::io::Error) -> DataError {
    if gz {
        DataError::Gzip {
            source_name: source_name.to_owned(),
            source: e,
        }
    } else {
        io_err(source_name, e)
    }
}

fn read_idx_raw<R: Read>(
    mut reader: R,
    source_name: &str,
    gz: bool,
) -> Result<IdxArray, DataError> {
    let magic_bytes = read_up_to(&mut reader, 4, source_name, gz)?;
    let magic: [u8; 4] = magic_bytes
        .as_slice()
        .try_into()
        .map_err(|_| DataError::Truncated {
            source_name: source_name.to_owned(),
            what: "IDX header",
            expected: 4,
            found: magic_bytes.len() as u64,
        })?;
    let bad_magic = || DataError::BadIdxMagic {
        source_name: source_name.to_owned(),
        magic,
    };
    if magic[0] != 0 || magic[1] != 0 || magic[3] == 0 {
        return Err(bad_magic());
    }
    match magic[2] {
        IDX_U8 => {}
        0x09 | 0x0b | 0x0c | 0x0d | 0x0e => {
            return Err(DataError::UnsupportedIdxType {
                source_name: source_name.to_owned(),
                code: magic[2],
            });
        }
        _ => return Err(bad_magic()),
    }
    let rank = usize::from(magic[3]);
    let dim_bytes = read_up_to(&mut reader, 4 * rank, source_name, gz)?;
    if dim_bytes.len() < 4 * rank {
        return Err(DataError::Truncated {
            source_name: source_name.to_owned(),
            what: "IDX header",
            expected: (4 + 4 * rank) as u64,
            found: (4 + dim_bytes.len()) as u64,
        });
    }
    let dims64: Vec<u64> = dim_bytes
        .chunks_exact(4)
        .map(|c| u64::from(u32::from_be_bytes([c[0], c[1], c[2], c[3]])))
        .collect();
    let len = element_count(dims64.iter().copied())
        .filter(|&l| l < usize::MAX)
        .ok_or_else(|| DataError::IdxTooLarge {
            source_name: source_name.to_owned(),
            dims: dims64.clone(),
        })?;
    // Read one byte more than announced, to detect trailing data.
    let mut data = read_up_to(&mut reader, len + 1, source_name, gz)?;
    if data.len() < len {
        return Err(DataError::Truncated {
            source_name: source_name.to_owned(),
            what: "IDX data",
            expected: len as u64,
            found: data.len() as u64,
        });
    }
    if data.len() > len {
        let rest = std::io::copy(&mut reader, &mut std::io::sink())
            .map_err(|e| stream_err(source_name, gz, e))?;
        return Err(DataError::TrailingBytes {
            source_name: source_name.to_owned(),
            extra: 1 + rest,
        });
    }
    data.shrink_to_fit();
    Ok(IdxArray {
        dims: dims64.iter().map(|&d| d as usize).collect(),
        data,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> (Vec<usize>, Vec<u8>) {
        let dims = vec![3, 4, 5];
        let data: Vec<u8> = (0..60u8).map(|i| i.wrapping_mul(37)).collect();
        (dims, data)
    }

    #[test]
    fn round_trip_raw_and_gzip_files() {
        let dir = tempfile::tempdir().unwrap();
        let (dims, data) = sample();
        for compress in [false, true] {
            let p = dir.path().join(format!("a-{compress}"));
            write_idx_file(&p, &dims, &data, compress).unwrap();
            let bytes = std::fs::read(&p).unwrap();
            assert_eq!(bytes[..2] == GZIP_MAGIC, compress);
            let back = read_idx_file(&p).unwrap();
            assert_eq!(back.dims, dims);
            assert_eq!(back.data, data);
            let images = read_images_file(&p).unwrap();
            assert_eq!((images.len(), images.rows(), images.cols()), (3, 4, 5));
            assert_eq!(images.pixels(), &data[..]);
        }
        let p = dir.path().join("labels.gz");
        write_idx_file(&p, &[4], &[1, 2, 3, 4], true).unwrap();
        assert_eq!(read_labels_file(&p).unwrap(), vec![1, 2, 3, 4]);
        assert!(matches!(
            read_images_file(&p),
            Err(DataError::IdxRank {
                expected: 3,
                found: 1,
                ..
            })
        ));
    }

    #[test]
    fn header_layout_is_canonical() {
        let bytes = encode_idx(&[2, 1], &[7, 8]).unwrap();
        assert_eq!(bytes, [0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 1, 7, 8]);
        let labels = encode_labels(&[5]).unwrap();
        assert_eq!(labels, [0, 0, 8, 1, 0, 0, 0, 1, 5]);
        let empty = parse_idx(&encode_idx(&[0, 28, 28], &[]).unwrap(), "e").unwrap();
        assert_eq!(empty.dims, vec![0, 28, 28]);
    }

    #[test]
    fn encoder_rejects_inconsistent_input() {
        assert!(encode_idx(&[], &[]).is_err());
        assert!(encode_idx(&[2, 2], &[0; 3]).is_err());
        assert!(encode_idx(&[1usize << 33, 0], &[]).is_err());
        let rgb = Images::new(1, 3, 1, 1, vec![0; 3]).unwrap();
        assert!(encode_images(&rgb).is_err());
    }

    #[test]
    fn corrupted_magic_numbers_are_reported() {
        let (dims, data) = sample();
        let good = encode_idx(&dims, &data).unwrap();
        for (pos, value) in [(0, 1u8), (1, 0x80), (2, 0x07), (3, 0)] {
            let mut bad = good.clone();
            bad[pos] = value;
            assert!(
                matches!(parse_idx(&bad, "t"), Err(DataError::BadIdxMagic { .. })),
                "byte {pos}"
            );
        }
        let mut float = good.clone();
        float[2] = 0x0d;
        assert!(matches!(
            parse_idx(&float, "t"),
            Err(DataError::UnsupportedIdxType { code: 0x0d, .. })
        ));
    }

    #[test]
    fn corrupted_dimensions_are_reported() {
        let (dims, data) = sample();
        let good = encode_idx(&dims, &data).unwrap();
        // A dimension one larger: the data is then too short.
        let mut bigger = good.clone();
        bigger[7] += 1;
        assert!(matches!(
            parse_idx(&bigger, "t"),
            Err(DataError::Truncated {
                what: "IDX data",
                expected: 80,
                found: 60,
                ..
            })
        ));
        // A dimension one smaller: bytes are left over.
        let mut smaller = good.clone();
        smaller[7] -= 1;
        assert!(matches!(
            parse_idx(&smaller, "t"),
            Err(DataError::TrailingBytes { extra: 20, .. })
        ));
        // Absurd dimensions neither allocate nor overflow.
        let mut huge = vec![0, 0, 8, 4];
        for _ in 0..4 {
            huge.extend_from_slice(&u32::MAX.to_be_bytes());
        }
        assert!(matches!(
            parse_idx(&huge, "t"),
            Err(DataError::IdxTooLarge { .. })
        ));
        let mut large = vec![0, 0, 8, 1];
        large.extend_from_slice(&u32::MAX.to_be_bytes());
        assert!(matches!(
            parse_idx(&large, "t"),
            Err(DataError::Truncated { found: 0, .. })
        ));
    }

    #[test]
    fn truncated_files_are_reported() {
        let (dims, data) = sample();
        let good = encode_idx(&dims, &data).unwrap();
        assert!(matches!(
            parse_idx(&good[..3], "t"),
            Err(DataError::Truncated {
                what: "IDX header",
                found: 3,
                ..
            })
        ));
        assert!(matches!(
            parse_idx(&good[..9], "t"),
            Err(DataError::Truncated {
                what: "IDX header",
                expected: 16,
                found: 9,
                ..
            })
        ));
        assert!(matches!(
            parse_idx(&good[..good.len() - 1], "t"),
            Err(DataError::Truncated {
                what: "IDX data",
                expected: 60,
                found: 59,
                ..
            })
        ));
        assert!(matches!(
            parse_idx(&[], "t"),
            Err(DataError::Truncated { found: 0, .. })
        ));
    }

    #[test]
    fn truncated_or_corrupted_gzip_is_reported() {
        let (dims, data) = sample();
        let gz = gzip(&encode_idx(&dims, &data).unwrap());
        assert!(parse_idx(&gz, "t").is_ok());
        let cut = &gz[..gz.len() / 2];
        let err = parse_idx(cut, "t").unwrap_err();
        assert!(
            matches!(err, DataError::Gzip { .. } | DataError::Truncated { .. }),
            "{err:?}"
        );
        let mut flipped = gz.clone();
        let last = flipped.len() - 5; // inside the CRC-32 trailer
        flipped[last] ^= 0xff;
        assert!(matches!(
            parse_idx(&flipped, "t"),
            Err(DataError::Gzip { .. })
        ));
    }

    #[test]
    fn missing_file_is_an_io_error() {
        let err = read_idx_file(Path::new("/nonexistent/ucg-data/file")).unwrap_err();
        assert!(matches!(err, DataError::Io { .. }));
    }
}
