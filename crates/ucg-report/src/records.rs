//! Writing and reading records: CSV rows (serde), JSON values (pretty), plain text.
//!
//! Whole-file writers ([`write_csv`], [`write_json`], [`write_text`]) write to a uniquely
//! named temporary file next to the target and rename it into place, so a crash never leaves a
//! half-written file behind and two threads writing one path do not collide. Parent
//! directories are created as needed.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::atomic::{create_parent, write_atomically};
use crate::error::{ReportError, Result, io_err};

/// Writes `rows` as CSV with a header row taken from the first row's field names; returns
/// the number of rows written.
///
/// Rows must be flat (structs of numbers, strings, booleans, options; no nested structs,
/// maps or sequences: a limitation of the `csv` crate). With no rows the file is empty.
///
/// ```
/// # fn main() -> Result<(), ucg_report::ReportError> {
/// #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
/// struct Replicate { estimator: String, seed: u64, error: f64, capped: bool }
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("replicates.csv");
/// let rows = vec![Replicate { estimator: "IWAE".into(), seed: 1, error: -0.5, capped: false }];
/// assert_eq!(ucg_report::write_csv(&path, &rows)?, 1);
/// let back: Vec<Replicate> = ucg_report::read_csv(&path)?;
/// assert_eq!(back, rows);
/// # Ok(()) }
/// ```
///
/// # Errors
/// [`ReportError::Io`] if the file cannot be created or renamed, [`ReportError::Csv`] if a
/// row cannot be serialised.
pub fn write_csv<T: Serialize>(
    path: impl AsRef<Path>,
    rows: impl IntoIterator<Item = T>,
) -> Result<usize> {
    let path = path.as_ref();
    let csv_err = |source| ReportError::Csv {
        path: path.to_owned(),
        source,
    };
    write_atomically(path, |file| {
        let mut writer = csv::Writer::from_writer(file);
        let mut n = 0;
        for row in rows {
            writer.serialize(row).map_err(csv_err)?;
            n += 1;
        }
        writer.flush().map_err(io_err(path))?;
        Ok(n)
    })
}

/// Reads every row of a CSV file with a header row into `T`.
///
/// # Errors
/// [`ReportError::Io`] if the file cannot be opened, [`ReportError::Csv`] if a row does not
/// parse as `T`.
pub fn read_csv<T: DeserializeOwned>(path: impl AsRef<Path>) -> Result<Vec<T>> {
    let path = path.as_ref();
    let file = File::open(path).map_err(io_err(path))?;
    csv::Reader::from_reader(file)
        .deserialize()
        .collect::<std::result::Result<Vec<T>, _>>()
        .map_err(|source| ReportError::Csv {
            path: path.to_owned(),
            source,
        })
}

/// Appends CSV rows to a file one at a time, flushing after each, for results written as
/// a long run goes (and resumed later).
///
/// The header is written only when the file is new or empty, so reopening an existing file
/// continues it. Rows must have the same fields as the file's header.
#[derive(Debug)]
pub struct CsvAppender {
    path: PathBuf,
    writer: csv::Writer<File>,
}

impl CsvAppender {
    /// Opens (or creates, with parent directories) `path` for appending.
    ///
    /// # Errors
    /// [`ReportError::Io`] if the directory or file cannot be created or opened.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref().to_owned();
        create_parent(&path)?;
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(io_err(&path))?;
        let empty = file.metadata().map_err(io_err(&path))?.len() == 0;
        let writer = csv::WriterBuilder::new()
            .has_headers(empty)
            .from_writer(file);
        Ok(Self { path, writer })
    }

    /// Appends one row and flushes it to the file.
    ///
    /// # Errors
    /// [`ReportError::Csv`] if the row cannot be serialised, [`ReportError::Io`] if writing
    /// fails.
    pub fn append<T: Serialize>(&mut self, row: &T) -> Result<()> {
        self.writer
            .serialize(row)
            .map_err(|source| ReportError::Csv {
                path: self.path.clone(),
                source,
            })?;
        self.writer.flush().map_err(io_err(&self.path))
    }

    /// The file being appended to.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Writes `value` as pretty-printed JSON followed by a newline.
///
/// ```
/// # fn main() -> Result<(), ucg_report::ReportError> {
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("summary.json");
/// ucg_report::write_json(&path, &serde_json::json!({ "replicates": 100, "max_abs_z": 2.7 }))?;
/// let back: serde_json::Value = ucg_report::read_json(&path)?;
/// assert_eq!(back["replicates"], 100);
/// # Ok(()) }
/// ```
///
/// # Errors
/// [`ReportError::Json`] if `value` cannot be serialised (e.g. a map with non-string
/// keys), [`ReportError::Io`] if writing fails. Note that JSON has no NaN or infinity:
/// serde_json writes such `f64` values as `null`.
pub fn write_json<T: Serialize + ?Sized>(path: impl AsRef<Path>, value: &T) -> Result<()> {
    let path = path.as_ref();
    write_atomically(path, |file| {
        let mut w = BufWriter::new(file);
        serde_json::to_writer_pretty(&mut w, value).map_err(|source| ReportError::Json {
            path: path.to_owned(),
            source,
        })?;
        w.write_all(b"\n").map_err(io_err(path))?;
        w.flush().map_err(io_err(path))
    })
}

/// Reads a JSON file into `T`.
///
/// # Errors
/// [`ReportError::Io`] if the file cannot be opened, [`ReportError::Json`] if it does not
/// parse as `T`.
pub fn read_json<T: DeserializeOwned>(path: impl AsRef<Path>) -> Result<T> {
    let path = path.as_ref();
    let file = File::open(path).map_err(io_err(path))?;
    serde_json::from_reader(std::io::BufReader::new(file)).map_err(|source| ReportError::Json {
        path: path.to_owned(),
        source,
    })
}

/// Writes `text` to `path` (e.g. a `report.md`), atomically.
///
/// # Errors
/// [`ReportError::Io`] if writing fails.
pub fn write_text(path: impl AsRef<Path>, text: &str) -> Result<()> {
    let path = path.as_ref();
    write_atomically(path, |mut file| {
        file.write_all(text.as_bytes()).map_err(io_err(path))
    })
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;
    use serde::Deserialize;

    #[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
    struct Row {
        name: String,
        k: u32,
        value: f64,
        tau: Option<u64>,
        capped: bool,
    }

    fn rows() -> Vec<Row> {
        vec![
            Row {
                name: "IWAE".into(),
                k: 2,
                value: -1.25e-7,
                tau: None,
                capped: false,
            },
            Row {
                name: "C-ISIR, \"quoted\"".into(),
                k: 10,
                value: 3.5,
                tau: Some(12),
                capped: true,
            },
        ]
    }

    #[test]
    fn csv_round_trip_and_nested_dirs() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a/b/rows.csv");
        assert_eq!(write_csv(&path, rows()).unwrap(), 2);
        let text = fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("name,k,value,tau,capped\n"));
        let back: Vec<Row> = read_csv(&path).unwrap();
        assert_eq!(back, rows());
        // No temporary files left behind.
        assert_eq!(fs::read_dir(path.parent().unwrap()).unwrap().count(), 1);
    }

    #[test]
    fn csv_appender_writes_header_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rows.csv");
        let r = rows();
        {
            let mut a = CsvAppender::open(&path).unwrap();
            a.append(&r[0]).unwrap();
        }
        {
            let mut a = CsvAppender::open(&path).unwrap();
            a.append(&r[1]).unwrap();
            assert_eq!(a.path(), path);
        }
        let back: Vec<Row> = read_csv(&path).unwrap();
        assert_eq!(back, r);
    }

    #[test]
    fn csv_errors_are_typed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.csv");
        fs::write(&path, "name,k\nx,notanumber\n").unwrap();
        let err = read_csv::<Row>(&path).unwrap_err();
        assert!(matches!(err, ReportError::Csv { .. }), "{err}");
        let err = read_csv::<Row>(dir.path().join("missing.csv")).unwrap_err();
        assert!(matches!(err, ReportError::Io { .. }), "{err}");
        // Maps inside a row are not representable in CSV.
        #[derive(Serialize)]
        struct Nested {
            m: std::collections::BTreeMap<String, u8>,
        }
        let m = [("a".to_owned(), 1)].into_iter().collect();
        let err = write_csv(dir.path().join("nested.csv"), [Nested { m }]).unwrap_err();
        assert!(matches!(err, ReportError::Csv { .. }), "{err}");
        assert!(!dir.path().join("nested.csv").exists());
    }

    #[test]
    fn json_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x/summary.json");
        write_json(&path, &rows()).unwrap();
        let text = fs::read_to_string(&path).unwrap();
        assert!(text.contains("\n  {\n") && text.ends_with("]\n"));
        let back: Vec<Row> = read_json(&path).unwrap();
        assert_eq!(back, rows());
        let err = read_json::<Vec<Row>>(dir.path().join("x")).unwrap_err();
        assert!(matches!(
            err,
            ReportError::Io { .. } | ReportError::Json { .. }
        ));
        fs::write(&path, "{").unwrap();
        assert!(matches!(
            read_json::<Vec<Row>>(&path),
            Err(ReportError::Json { .. })
        ));
    }

    #[test]
    fn text_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.md");
        write_text(&path, "# Report\n").unwrap();
        write_text(&path, "# Report v2\n").unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "# Report v2\n");
    }
}
