//! MD5 digests of file contents, and checking them against canonical values.

use std::path::Path;

use crate::DataError;

/// The lower-case hexadecimal MD5 digest of `bytes`.
pub fn md5_hex(bytes: &[u8]) -> String {
    format!("{:x}", md5::compute(bytes))
}

/// Fails with [`DataError::DigestMismatch`] unless `bytes` (the contents of `path`) have the MD5 digest `expected`.
pub fn check_md5(path: &Path, bytes: &[u8], expected: &'static str) -> Result<(), DataError> {
    let found = md5_hex(bytes);
    if found == expected {
        Ok(())
    } else {
        Err(DataError::DigestMismatch {
            path: path.to_path_buf(),
            expected,
            found,
        })
    }
}

/// Reads a file, decompressing it if it starts with the gzip magic bytes.
pub fn read_maybe_gz(path: &Path) -> Result<Vec<u8>, DataError> {
    use std::io::Read;
    let bytes = std::fs::read(path).map_err(|e| DataError::io(path, e))?;
    if bytes.len() >= 2 && bytes[..2] == crate::idx::GZIP_MAGIC {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(&bytes[..])
            .read_to_end(&mut out)
            .map_err(|e| DataError::Gzip {
                source_name: path.display().to_string(),
                source: e,
            })?;
        Ok(out)
    } else {
        Ok(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn md5_of_known_strings() {
        assert_eq!(md5_hex(b""), "d41d8cd98f00b204e9800998ecf8427e");
        assert_eq!(md5_hex(b"abc"), "900150983cd24fb0d6963f7d28e17f72");
        assert!(check_md5(Path::new("x"), b"abc", "900150983cd24fb0d6963f7d28e17f72").is_ok());
        assert!(matches!(
            check_md5(Path::new("x"), b"abd", "900150983cd24fb0d6963f7d28e17f72"),
            Err(DataError::DigestMismatch { .. })
        ));
    }
}
