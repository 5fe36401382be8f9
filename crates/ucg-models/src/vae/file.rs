//! Saving and loading a VAE's parameters.
//!
//! Layout (little-endian): the magic `UCG-VAE\n`, a format version (`u32`, [`FORMAT_VERSION`]), the
//! element type's name (`u8` length, then `"f32"` or `"f64"`), `P`, `H`, `D` and the lengths of the
//! encoder's and decoder's flat parameter vectors (`u64` each), the parameters, and an FNV-1a 64-bit
//! checksum of everything before it. A truncated file, a flipped byte, another version, another element
//! type or (with [`from_bytes_expecting`]) another shape is a typed error, never a panic.

use std::path::Path;

use super::model::{Vae, VaeShape};
use crate::error::{ModelError, Result};
use crate::real::Real;

/// The version written by [`to_bytes`]; files of any other version are refused.
pub const FORMAT_VERSION: u32 = 1;
const MAGIC: &[u8; 8] = b"UCG-VAE\n";

/// FNV-1a, 64 bits: a checksum against truncation and corruption (not against tampering).
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The parameter file's bytes.
pub fn to_bytes<T: Real>(vae: &Vae<T>) -> Vec<u8> {
    let (enc, dec) = (vae.encoder_params(), vae.decoder_params());
    let mut out = Vec::with_capacity(64 + (enc.len() + dec.len()) * T::BYTES);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.push(T::NAME.len() as u8);
    out.extend_from_slice(T::NAME.as_bytes());
    let s = vae.shape();
    for v in [s.data_dim, s.hidden, s.latent, enc.len(), dec.len()] {
        out.extend_from_slice(&(v as u64).to_le_bytes());
    }
    for &v in enc.iter().chain(dec) {
        v.write_le(&mut out);
    }
    let sum = fnv1a64(&out);
    out.extend_from_slice(&sum.to_le_bytes());
    out
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
    what: &'a str,
}

impl<'a> Reader<'a> {
    fn bad(&self, reason: impl Into<String>) -> ModelError {
        ModelError::InvalidFile {
            what: self.what.to_string(),
            reason: reason.into(),
        }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.bytes.len());
        match end {
            Some(e) => {
                let s = &self.bytes[self.at..e];
                self.at = e;
                Ok(s)
            }
            None => Err(self.bad("truncated")),
        }
    }

    fn u64(&mut self) -> Result<usize> {
        let b = self.take(8)?;
        let v = u64::from_le_bytes(b.try_into().map_err(|_| self.bad("truncated"))?);
        usize::try_from(v).map_err(|_| self.bad("size does not fit in memory"))
    }
}

/// A VAE from a parameter file's bytes (`what` names the source in errors).
///
/// # Errors
/// [`ModelError::InvalidFile`] for a bad magic, version, checksum, element type, inconsistent sizes or a
/// truncated buffer; [`ModelError::NonFinite`] for NaN parameters.
pub fn from_bytes<T: Real>(bytes: &[u8], what: &str) -> Result<Vae<T>> {
    let mut r = Reader { bytes, at: 0, what };
    if r.take(8)? != MAGIC {
        return Err(r.bad("not a ucg VAE parameter file"));
    }
    // The checksum first: a damaged version field reads as damage, not as another version.
    if bytes.len() < MAGIC.len() + 4 + 8 {
        return Err(r.bad("truncated"));
    }
    let (body, tail) = bytes.split_at(bytes.len() - 8);
    let stored = u64::from_le_bytes(tail.try_into().map_err(|_| r.bad("truncated"))?);
    if fnv1a64(body) != stored {
        return Err(r.bad("checksum mismatch (the file is truncated or corrupted)"));
    }
    let version = u32::from_le_bytes(r.take(4)?.try_into().map_err(|_| r.bad("truncated"))?);
    if version != FORMAT_VERSION {
        return Err(r.bad(format!(
            "format version {version}, this program reads version {FORMAT_VERSION}"
        )));
    }
    let name_len = usize::from(r.take(1)?[0]);
    let name = r.take(name_len)?;
    if name != T::NAME.as_bytes() {
        return Err(r.bad(format!(
            "holds {} parameters, {} were asked for",
            String::from_utf8_lossy(name),
            T::NAME
        )));
    }
    let (p, h, d, ne, nd) = (r.u64()?, r.u64()?, r.u64()?, r.u64()?, r.u64()?);
    let shape = VaeShape::new(p, h, d).map_err(|e| r.bad(e.to_string()))?;
    if ne != shape.encoder().num_params() || nd != shape.decoder().num_params() {
        return Err(r.bad("parameter counts do not match the shape"));
    }
    let expected_len = ne
        .checked_add(nd)
        .and_then(|n| n.checked_mul(T::BYTES))
        .and_then(|n| n.checked_add(r.at + 8));
    if expected_len != Some(bytes.len()) {
        return Err(r.bad(format!(
            "{} bytes, expected {}",
            bytes.len(),
            expected_len.unwrap_or(0)
        )));
    }
    let mut read = |n: usize| -> Result<Vec<T>> {
        let raw = r.take(n * T::BYTES)?;
        Ok(raw
            .chunks_exact(T::BYTES)
            .map(|c| T::read_le(c).unwrap_or_else(T::zero))
            .collect())
    };
    let enc = read(ne)?;
    let dec = read(nd)?;
    Vae::from_params(shape, enc, dec)
}

/// A shape in words: `784-pixel images, hidden width 200, D = 20`.
fn describe(s: VaeShape) -> String {
    format!(
        "{}-pixel images, hidden width {}, D = {}",
        s.data_dim, s.hidden, s.latent
    )
}

/// Like [`from_bytes`], and the model must have the shape `expected`.
///
/// # Errors
/// Those of [`from_bytes`], or [`ModelError::InvalidFile`] for another shape.
pub fn from_bytes_expecting<T: Real>(
    bytes: &[u8],
    what: &str,
    expected: VaeShape,
) -> Result<Vae<T>> {
    let vae = from_bytes::<T>(bytes, what)?;
    if vae.shape() != expected {
        return Err(ModelError::InvalidFile {
            what: what.to_string(),
            reason: format!(
                "holds a model of {}, expected one of {}",
                describe(vae.shape()),
                describe(expected)
            ),
        });
    }
    Ok(vae)
}

/// Writes the parameter file to `path` (a temporary file in the same folder, synced, then renamed, so a
/// reader never sees a partial file).
///
/// # Errors
/// Input/output failures, as [`ModelError::InvalidFile`].
pub fn save<T: Real>(vae: &Vae<T>, path: &Path) -> Result<()> {
    use std::io::Write;
    let io = |e: std::io::Error| ModelError::InvalidFile {
        what: path.display().to_string(),
        reason: e.to_string(),
    };
    let tmp = path.with_extension("tmp-write");
    let mut f = std::fs::File::create(&tmp).map_err(io)?;
    f.write_all(&to_bytes(vae))
        .and_then(|()| f.sync_all())
        .map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)
}

/// Reads a parameter file.
///
/// # Errors
/// Input/output failures and those of [`from_bytes`].
pub fn load<T: Real>(path: &Path) -> Result<Vae<T>> {
    let what = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| ModelError::InvalidFile {
        what: what.clone(),
        reason: e.to_string(),
    })?;
    from_bytes(&bytes, &what)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> Vae<f32> {
        Vae::new(VaeShape::new(6, 4, 2).unwrap(), 3)
    }

    #[test]
    fn round_trip_is_exact() {
        let v = small();
        let bytes = to_bytes(&v);
        assert_eq!(from_bytes::<f32>(&bytes, "b").unwrap(), v);
        let dir = std::env::temp_dir().join(format!("ucg-vae-file-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("p.bin");
        save(&v, &path).unwrap();
        assert_eq!(load::<f32>(&path).unwrap(), v);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn damaged_or_mismatched_files_are_rejected() {
        let v = small();
        let bytes = to_bytes(&v);
        // Every truncation.
        for n in 0..bytes.len() {
            assert!(
                matches!(
                    from_bytes::<f32>(&bytes[..n], "b"),
                    Err(ModelError::InvalidFile { .. })
                ),
                "{n}"
            );
        }
        // Every single flipped byte.
        for i in 0..bytes.len() {
            let mut b = bytes.clone();
            b[i] ^= 0x10;
            assert!(from_bytes::<f32>(&b, "b").is_err(), "byte {i}");
        }
        // A damaged version field reads as damage, not as another version.
        let mut b = bytes.clone();
        b[10] ^= 0x10;
        let err = from_bytes::<f32>(&b, "b").unwrap_err().to_string();
        assert!(
            err.contains("checksum mismatch") && !err.contains("version"),
            "{err}"
        );
        // Another version (checksum recomputed so only the version is wrong).
        let mut b = bytes.clone();
        b[8] = 2;
        let n = b.len() - 8;
        let sum = fnv1a64(&b[..n]);
        b[n..].copy_from_slice(&sum.to_le_bytes());
        let err = from_bytes::<f32>(&b, "b").unwrap_err().to_string();
        assert!(err.contains("version 2"), "{err}");
        // Another element type, another shape.
        assert!(
            from_bytes::<f64>(&bytes, "b")
                .unwrap_err()
                .to_string()
                .contains("f32")
        );
        let other = VaeShape::new(6, 4, 3).unwrap();
        assert!(
            from_bytes_expecting::<f32>(&bytes, "b", other)
                .unwrap_err()
                .to_string()
                .contains("holds a model of 6-pixel images, hidden width 4, D = 2, expected one of 6-pixel images, hidden width 4, D = 3")
        );
    }
}
