//! A minimal reader for zip archives such as Python wheels: finds one member by name and returns its bytes.
//!
//! Only what wheels use is supported: a single-disk archive (no ZIP64), members stored (method 0) or
//! deflated (method 8). Sizes and the CRC-32 of the extracted member are checked against the central directory.

use std::io::Read;

use flate2::read::DeflateDecoder;

use crate::DataError;

const EOCD_SIGNATURE: u32 = 0x0605_4b50;
const CENTRAL_SIGNATURE: u32 = 0x0201_4b50;
const LOCAL_SIGNATURE: u32 = 0x0403_4b50;
const EOCD_LEN: usize = 22;

/// One member of a zip archive, as listed in its central directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZipEntry {
    /// The member's path inside the archive.
    pub name: String,
    /// The compression method (0 stored, 8 deflate).
    pub method: u16,
    /// The CRC-32 of the uncompressed contents.
    pub crc32: u32,
    /// The compressed size in bytes.
    pub compressed_size: u64,
    /// The uncompressed size in bytes.
    pub size: u64,
    /// The offset of the member's local header from the start of the archive.
    pub local_header_offset: u64,
}

fn zip_err(source_name: &str, reason: impl Into<String>) -> DataError {
    DataError::Zip {
        source_name: source_name.to_owned(),
        reason: reason.into(),
    }
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// Lists the members of a zip archive held in memory.
pub fn list_entries(archive: &[u8], source_name: &str) -> Result<Vec<ZipEntry>, DataError> {
    let truncated = || zip_err(source_name, "truncated archive");
    if archive.len() < EOCD_LEN {
        return Err(zip_err(source_name, "too short to be a zip archive"));
    }
    // The end-of-central-directory record is within the last 22 + 65535 bytes (its comment is at most 64 KiB).
    let lowest = archive.len().saturating_sub(EOCD_LEN + u16::MAX as usize);
    let eocd = (lowest..=archive.len() - EOCD_LEN)
        .rev()
        .find(|&i| u32_at(archive, i) == Some(EOCD_SIGNATURE))
        .ok_or_else(|| zip_err(source_name, "no end-of-central-directory record"))?;
    let count = u16_at(archive, eocd + 10).ok_or_else(truncated)?;
    let cd_size = u32_at(archive, eocd + 12).ok_or_else(truncated)?;
    let cd_offset = u32_at(archive, eocd + 16).ok_or_else(truncated)?;
    if count == u16::MAX || cd_size == u32::MAX || cd_offset == u32::MAX {
        return Err(zip_err(source_name, "ZIP64 archives are not supported"));
    }
    let mut at = cd_offset as usize;
    let mut entries = Vec::with_capacity(usize::from(count));
    for _ in 0..count {
        if u32_at(archive, at) != Some(CENTRAL_SIGNATURE) {
            return Err(zip_err(
                source_name,
                format!("bad central directory entry at {at}"),
            ));
        }
        let field16 = |off: usize| u16_at(archive, at + off).ok_or_else(truncated);
        let field32 = |off: usize| u32_at(archive, at + off).ok_or_else(truncated);
        let method = field16(10)?;
        let crc32 = field32(16)?;
        let compressed_size = field32(20)?;
        let size = field32(24)?;
        let name_len = usize::from(field16(28)?);
        let extra_len = usize::from(field16(30)?);
        let comment_len = usize::from(field16(32)?);
        let local_header_offset = field32(42)?;
        let name_bytes = archive
            .get(at + 46..at + 46 + name_len)
            .ok_or_else(truncated)?;
        entries.push(ZipEntry {
            name: String::from_utf8_lossy(name_bytes).into_owned(),
            method,
            crc32,
            compressed_size: u64::from(compressed_size),
            size: u64::from(size),
            local_header_offset: u64::from(local_header_offset),
        });
        at += 46 + name_len + extra_len + comment_len;
    }
    Ok(entries)
}

/// Extracts the member `name` of a zip archive held in memory, checking its size and CRC-32.
pub fn extract(archive: &[u8], name: &str, source_name: &str) -> Result<Vec<u8>, DataError> {
    let entries = list_entries(archive, source_name)?;
    let entry = entries
        .iter()
        .find(|e| e.name == name)
        .ok_or_else(|| zip_err(source_name, format!("no member named {name}")))?;
    extract_entry(archive, entry, source_name)
}

/// Extracts one listed member of a zip archive held in memory, checking its size and CRC-32.
pub fn extract_entry(
    archive: &[u8],
    entry: &ZipEntry,
    source_name: &str,
) -> Result<Vec<u8>, DataError> {
    let truncated = || zip_err(source_name, format!("{} is truncated", entry.name));
    let at = usize::try_from(entry.local_header_offset).map_err(|_| truncated())?;
    if u32_at(archive, at) != Some(LOCAL_SIGNATURE) {
        return Err(zip_err(
            source_name,
            format!("bad local header for {}", entry.name),
        ));
    }
    let name_len = usize::from(u16_at(archive, at + 26).ok_or_else(truncated)?);
    let extra_len = usize::from(u16_at(archive, at + 28).ok_or_else(truncated)?);
    let start = at + 30 + name_len + extra_len;
    let end = usize::try_from(entry.compressed_size)
        .ok()
        .and_then(|len| start.checked_add(len))
        .ok_or_else(truncated)?;
    let compressed = archive.get(start..end).ok_or_else(truncated)?;
    let mut out = Vec::new();
    out.try_reserve(reservation(entry.size, compressed.len()))
        .map_err(|e| zip_err(source_name, e.to_string()))?;
    match entry.method {
        0 => out.extend_from_slice(compressed),
        8 => {
            DeflateDecoder::new(compressed)
                .take(entry.size.saturating_add(1))
                .read_to_end(&mut out)
                .map_err(|e| zip_err(source_name, format!("{}: {e}", entry.name)))?;
        }
        m => {
            return Err(zip_err(
                source_name,
                format!("{}: compression method {m} is not supported", entry.name),
            ));
        }
    }
    if out.len() as u64 != entry.size {
        return Err(zip_err(
            source_name,
            format!(
                "{}: {} bytes instead of {}",
                entry.name,
                out.len(),
                entry.size
            ),
        ));
    }
    let mut crc = flate2::Crc::new();
    crc.update(&out);
    if crc.sum() != entry.crc32 {
        return Err(zip_err(
            source_name,
            format!("{}: CRC-32 mismatch", entry.name),
        ));
    }
    Ok(out)
}

/// Deflate expands at most about 1032-fold, so a member's output buffer is reserved for the smaller of its
/// declared size and what its compressed bytes can produce: a size field cannot make the reader reserve
/// memory that the file could never fill (the declared size is still checked after inflation).
const MAX_DEFLATE_RATIO: usize = 1032;

fn reservation(declared: u64, compressed_len: usize) -> usize {
    usize::try_from(declared)
        .unwrap_or(usize::MAX)
        .min(compressed_len.saturating_mul(MAX_DEFLATE_RATIO))
}

/// Builds a zip archive in memory from `(name, contents, deflate?)` members: a test fixture, compiled only
/// for this crate's tests and, for other crates' tests, with the `test-support` feature.
#[cfg(any(test, feature = "test-support"))]
pub fn build_zip(members: &[(&str, &[u8], bool)]) -> Vec<u8> {
    use std::io::Write;
    let mut out = Vec::new();
    let mut central = Vec::new();
    for &(name, contents, deflate) in members {
        let mut crc = flate2::Crc::new();
        crc.update(contents);
        let data = if deflate {
            let mut enc =
                flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
            let _ = enc.write_all(contents);
            enc.finish().unwrap_or_default()
        } else {
            contents.to_vec()
        };
        let method: u16 = if deflate { 8 } else { 0 };
        let offset = out.len() as u32;
        let mut common = Vec::new();
        common.extend_from_slice(&20u16.to_le_bytes()); // version needed
        common.extend_from_slice(&0u16.to_le_bytes()); // flags
        common.extend_from_slice(&method.to_le_bytes());
        common.extend_from_slice(&[0; 4]); // time, date
        common.extend_from_slice(&crc.sum().to_le_bytes());
        common.extend_from_slice(&(data.len() as u32).to_le_bytes());
        common.extend_from_slice(&(contents.len() as u32).to_le_bytes());
        common.extend_from_slice(&(name.len() as u16).to_le_bytes());
        common.extend_from_slice(&0u16.to_le_bytes()); // extra length
        out.extend_from_slice(&LOCAL_SIGNATURE.to_le_bytes());
        out.extend_from_slice(&common);
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(&data);
        central.extend_from_slice(&CENTRAL_SIGNATURE.to_le_bytes());
        central.extend_from_slice(&20u16.to_le_bytes()); // version made by
        central.extend_from_slice(&common);
        central.extend_from_slice(&[0; 6]); // comment length, disk, internal attributes
        central.extend_from_slice(&[0; 4]); // external attributes
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name.as_bytes());
    }
    let cd_offset = out.len() as u32;
    out.extend_from_slice(&central);
    out.extend_from_slice(&EOCD_SIGNATURE.to_le_bytes());
    out.extend_from_slice(&[0; 4]); // disk numbers
    out.extend_from_slice(&(members.len() as u16).to_le_bytes());
    out.extend_from_slice(&(members.len() as u16).to_le_bytes());
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&cd_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes()); // comment length
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_fields_cannot_reserve_more_than_the_data_can_fill() {
        assert_eq!(reservation(1 << 30, 100), 103_200);
        assert_eq!(reservation(50, 100), 50);
        assert_eq!(reservation(u64::MAX, usize::MAX), usize::MAX);
        // An archive whose member claims 1 GiB from a few bytes is refused after a small reservation.
        let mut zip = build_zip(&[("a.bin", b"hello hello hello", true)]);
        // The single member's central-directory record sits just before the end record; its uncompressed
        // size is at offset 24.
        let cd = zip.len() - EOCD_LEN - (46 + "a.bin".len());
        zip[cd + 24..cd + 28].copy_from_slice(&(1u32 << 30).to_le_bytes());
        let entry = &list_entries(&zip, "t.zip").unwrap()[0];
        assert_eq!(entry.size, 1 << 30);
        assert!(extract_entry(&zip, entry, "t.zip").is_err());
    }

    #[test]
    fn extracts_stored_and_deflated_members() {
        let big: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
        let zip = build_zip(&[("a.txt", b"hello", false), ("dir/b.bin", &big, true)]);
        let names: Vec<_> = list_entries(&zip, "z")
            .unwrap()
            .into_iter()
            .map(|e| e.name)
            .collect();
        assert_eq!(names, ["a.txt", "dir/b.bin"]);
        assert_eq!(extract(&zip, "a.txt", "z").unwrap(), b"hello");
        assert_eq!(extract(&zip, "dir/b.bin", "z").unwrap(), big);
        assert!(matches!(
            extract(&zip, "c", "z"),
            Err(DataError::Zip { .. })
        ));
    }

    #[test]
    fn corrupted_archives_give_errors() {
        let big: Vec<u8> = (0..10_000u32).map(|i| (i % 13) as u8).collect();
        let zip = build_zip(&[("b", &big, true)]);
        assert!(list_entries(&zip[..10], "z").is_err());
        assert!(list_entries(&zip[..zip.len() - 1], "z").is_err());
        assert!(extract(&zip[30..], "b", "z").is_err());
        // Flip a byte of the compressed data: the inflater or the CRC check notices.
        let mut bad = zip.clone();
        bad[40] ^= 0x55;
        assert!(matches!(
            extract(&bad, "b", "z"),
            Err(DataError::Zip { .. })
        ));
        assert!(list_entries(b"not a zip archive at all, clearly", "z").is_err());
    }
}
