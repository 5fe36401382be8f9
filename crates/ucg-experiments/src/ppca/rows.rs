//! Reading `replicates.csv` back, checked: every row must parse, be finite and appear once.
//!
//! Rows are appended one at a time as replicates finish, so a run killed while writing leaves its last
//! row cut short, without the line end every complete row has. That torn row is dropped (with a note):
//! it belongs to a replicate after the last checkpoint, which a resumed run redoes. Anything else is
//! damage the run cannot repair on its own and is an error naming the row: a row that does not parse, a
//! non-finite number (a NaN would silently reach the summary and the report), or a replicate recorded
//! twice (a duplicate would change the summary's means).

use std::collections::HashMap;
use std::path::Path;

use super::replicate::ReplicateRow;
use crate::AnyResult;

/// The rows of a `replicates.csv` and what was dropped.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CheckedRows {
    /// The complete rows, in file order.
    pub rows: Vec<ReplicateRow>,
    /// A note about a torn last row that was dropped, if there was one.
    pub torn: Option<String>,
}

/// Reads and checks the rows of the `replicates.csv` at `path` (no rows when it does not exist).
///
/// # Errors
/// An unreadable file, a row (other than a torn last one) that does not parse, a non-finite number, or
/// a replicate of a cell recorded twice; each names the row (1 = the first row after the header).
pub fn read_rows(path: &Path) -> AnyResult<CheckedRows> {
    if !path.exists() {
        return Ok(CheckedRows::default());
    }
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let (complete, torn) = match text.rfind('\n') {
        Some(end) if end + 1 < text.len() => (&text[..=end], Some(&text[end + 1..])),
        Some(_) => (text.as_str(), None),
        // A header cut short: no complete line at all.
        None => ("", (!text.is_empty()).then_some(text.as_str())),
    };
    let shown = path.display();
    let recover = "remove that line (and the cell's checkpoint in checkpoints/, so that the cell is redone) \
                   or start again in a new --out folder";
    let mut rows = Vec::new();
    let mut seen: HashMap<(String, u64), usize> = HashMap::new();
    let mut reader = csv::Reader::from_reader(complete.as_bytes());
    for (i, record) in reader.deserialize::<ReplicateRow>().enumerate() {
        let n = i + 1;
        let row = record.map_err(|e| format!("{shown}: row {n} is damaged ({e}); {recover}"))?;
        if let Some(field) = non_finite_field(&row) {
            return Err(format!(
                "{shown}: row {n} ({} replicate {}) has a non-finite {field}; {recover}",
                row.cell, row.replicate
            )
            .into());
        }
        if let Some(first) = seen.insert((row.cell.clone(), row.replicate), n) {
            return Err(format!(
                "{shown}: rows {first} and {n} both hold {} replicate {}; {recover}",
                row.cell, row.replicate
            )
            .into());
        }
        rows.push(row);
    }
    let torn = torn.map(|t| {
        format!(
            "{shown}: dropped a torn last row ({} bytes without a line end, the mark of an interrupted write); \
             its replicate is redone",
            t.len()
        )
    });
    Ok(CheckedRows { rows, torn })
}

/// The name of the first non-finite number of `row`, if any.
fn non_finite_field(row: &ReplicateRow) -> Option<&'static str> {
    let fields = [
        ("beta", row.beta),
        ("error_intercept", row.error_intercept),
        ("error_weight", row.error_weight),
        ("relative_abs_error", row.relative_abs_error),
        ("tau_mean", row.tau_mean),
        ("wall_seconds", Some(row.wall_seconds)),
    ];
    fields
        .into_iter()
        .find(|(_, v)| v.is_some_and(|v| !v.is_finite()))
        .map(|(name, _)| name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(cell: &str, replicate: u64) -> ReplicateRow {
        ReplicateRow {
            cell: cell.into(),
            estimator: "IWAE".into(),
            k: 2,
            d: 3,
            replicate,
            seed: 7,
            beta: None,
            error_intercept: Some(0.5),
            error_weight: Some(-0.25),
            relative_abs_error: Some(0.1),
            tau_mean: None,
            tau_max: None,
            capped_points: 0,
            kernel_applications: 0,
            particle_evaluations: 10,
            wall_seconds: 0.01,
        }
    }

    fn written(rows: &[ReplicateRow]) -> (tempfile::TempDir, std::path::PathBuf, String) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("replicates.csv");
        ucg_report::write_csv(&path, rows).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        (dir, path, text)
    }

    #[test]
    fn complete_rows_read_back() {
        let rows = vec![row("a", 0), row("a", 1), row("b", 0)];
        let (_dir, path, _) = written(&rows);
        assert_eq!(read_rows(&path).unwrap(), CheckedRows { rows, torn: None });
        assert_eq!(
            read_rows(&path.with_file_name("none.csv")).unwrap(),
            CheckedRows::default()
        );
    }

    #[test]
    fn a_torn_last_row_is_dropped_with_a_note() {
        let (_dir, path, text) = written(&[row("a", 0), row("a", 1)]);
        // Cut the last row in half, as a kill during the append does.
        let cut = text.len() - 20;
        std::fs::write(&path, &text[..cut]).unwrap();
        let read = read_rows(&path).unwrap();
        assert_eq!(read.rows, vec![row("a", 0)]);
        assert!(read.torn.unwrap().contains("torn last row"));
    }

    #[test]
    fn duplicates_are_refused_with_their_rows() {
        let (_dir, path, _) = written(&[row("a", 0), row("b", 0), row("a", 0)]);
        let err = read_rows(&path).unwrap_err().to_string();
        assert!(
            err.contains("rows 1 and 3 both hold a replicate 0"),
            "{err}"
        );
    }

    #[test]
    fn non_finite_numbers_are_refused_with_their_row() {
        let mut bad = row("a", 1);
        bad.error_weight = Some(f64::NAN);
        let (_dir, path, _) = written(&[row("a", 0), bad]);
        let err = read_rows(&path).unwrap_err().to_string();
        assert!(
            err.contains("row 2 (a replicate 1) has a non-finite error_weight"),
            "{err}"
        );
        assert!(
            err.contains("remove that line"),
            "says how to recover: {err}"
        );
    }

    #[test]
    fn a_damaged_middle_row_is_refused_with_a_hint() {
        let (_dir, path, text) = written(&[row("a", 0), row("a", 1)]);
        let mut lines: Vec<&str> = text.lines().collect();
        lines[1] = "a,IWAE,2";
        std::fs::write(&path, lines.join("\n") + "\n").unwrap();
        let err = read_rows(&path).unwrap_err().to_string();
        assert!(
            err.contains("row 1 is damaged") && err.contains("remove that line"),
            "{err}"
        );
    }
}
