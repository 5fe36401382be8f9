//! Markdown tables with padded columns and right-aligned numbers.

use std::fmt;

/// Horizontal alignment of a table column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Align {
    /// Flush left (`:---`).
    Left,
    /// Flush right (`---:`), the default for numeric columns.
    Right,
    /// Centred (`:---:`).
    Center,
}

/// A markdown (GitHub-flavoured) table builder.
///
/// Columns whose non-empty cells all look numeric (`-1.5e-3`, `42`, `NaN`, `12%`,
/// `0.1 ± 0.02`) are right-aligned unless [`set_align`](Self::set_align) says otherwise;
/// cells are padded so the source is readable too; `|` is escaped and line breaks become
/// spaces. Rows shorter than the header are padded with empty cells; longer rows get extra
/// columns with empty headers. Format numbers with [`format_number`](crate::format_number).
///
/// ```
/// use ucg_report::{MarkdownTable, format_number};
/// let mut t = MarkdownTable::new(["estimator", "mean error", "s.e."]);
/// t.push_row(["IWAE".to_owned(), format_number(-0.012345), format_number(0.00021)]);
/// t.push_row(["C-ISIR".to_owned(), format_number(3.2e-5), format_number(0.0004)]);
/// assert_eq!(
///     t.to_markdown(),
///     "| estimator | mean error |   s.e. |\n\
///      |:----------|-----------:|-------:|\n\
///      | IWAE      |   -0.01235 | 2.1e-4 |\n\
///      | C-ISIR    |     3.2e-5 |   4e-4 |\n"
/// );
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MarkdownTable {
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
    align: Vec<Option<Align>>,
}

impl MarkdownTable {
    /// A table with these column headers and no rows.
    pub fn new<S: Into<String>>(headers: impl IntoIterator<Item = S>) -> Self {
        Self {
            headers: headers.into_iter().map(Into::into).collect(),
            rows: Vec::new(),
            align: Vec::new(),
        }
    }

    /// Appends a row of cells.
    pub fn push_row<S: Into<String>>(&mut self, cells: impl IntoIterator<Item = S>) -> &mut Self {
        self.rows.push(cells.into_iter().map(Into::into).collect());
        self
    }

    /// Forces the alignment of column `column` (0-based); out-of-range columns are added.
    pub fn set_align(&mut self, column: usize, align: Align) -> &mut Self {
        if self.align.len() <= column {
            self.align.resize(column + 1, None);
        }
        self.align[column] = Some(align);
        self
    }

    /// Number of rows (excluding the header).
    pub fn num_rows(&self) -> usize {
        self.rows.len()
    }

    /// The table as markdown, one line per row, ending with a newline.
    pub fn to_markdown(&self) -> String {
        let ncol = self
            .rows
            .iter()
            .map(Vec::len)
            .chain([self.headers.len()])
            .max()
            .unwrap_or(0);
        if ncol == 0 {
            return String::new();
        }
        let cell = |row: &[String], j: usize| row.get(j).map(|c| escape(c)).unwrap_or_default();
        let header: Vec<String> = (0..ncol).map(|j| cell(&self.headers, j)).collect();
        let body: Vec<Vec<String>> = self
            .rows
            .iter()
            .map(|r| (0..ncol).map(|j| cell(r, j)).collect())
            .collect();
        let aligns: Vec<Align> = (0..ncol)
            .map(|j| {
                self.align.get(j).copied().flatten().unwrap_or_else(|| {
                    let mut cells = body.iter().map(|r| r[j].trim()).filter(|c| !c.is_empty());
                    let mut any = false;
                    let numeric = cells.all(|c| {
                        any = true;
                        looks_numeric(c)
                    });
                    if any && numeric {
                        Align::Right
                    } else {
                        Align::Left
                    }
                })
            })
            .collect();
        let widths: Vec<usize> = (0..ncol)
            .map(|j| {
                body.iter()
                    .map(|r| width(&r[j]))
                    .chain([width(&header[j]), 3])
                    .max()
                    .unwrap_or(3)
            })
            .collect();

        let mut out = String::new();
        let line = |cells: &[String], out: &mut String| {
            out.push('|');
            for (j, c) in cells.iter().enumerate() {
                out.push(' ');
                out.push_str(&pad(c, widths[j], aligns[j]));
                out.push_str(" |");
            }
            out.push('\n');
        };
        line(&header, &mut out);
        out.push('|');
        for (j, a) in aligns.iter().enumerate() {
            let dashes = "-".repeat(widths[j]);
            let rule = match a {
                Align::Left => format!(":{dashes}-"),
                Align::Right => format!("-{dashes}:"),
                Align::Center => format!(":{}:", "-".repeat(widths[j])),
            };
            out.push_str(&rule);
            out.push('|');
        }
        out.push('\n');
        for r in &body {
            line(r, &mut out);
        }
        out
    }
}

impl fmt::Display for MarkdownTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_markdown())
    }
}

fn escape(s: &str) -> String {
    s.replace('|', "\\|").replace(['\r', '\n'], " ")
}

fn width(s: &str) -> usize {
    s.chars().count()
}

fn pad(s: &str, w: usize, align: Align) -> String {
    let fill = w.saturating_sub(width(s));
    match align {
        Align::Left => format!("{s}{}", " ".repeat(fill)),
        Align::Right => format!("{}{s}", " ".repeat(fill)),
        Align::Center => {
            let left = fill / 2;
            format!("{}{s}{}", " ".repeat(left), " ".repeat(fill - left))
        }
    }
}

/// Whether a cell reads as a number: a float, a percentage, or `a ± b`.
fn looks_numeric(c: &str) -> bool {
    let num = |s: &str| {
        let s = s.trim();
        let s = s.strip_suffix('%').unwrap_or(s);
        s.parse::<f64>().is_ok()
    };
    match c.split_once('±') {
        Some((a, b)) => num(a) && num(b),
        None => num(c),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alignment_and_padding() {
        let mut t = MarkdownTable::new(["name", "value", "note"]);
        t.push_row(["a", "1", "x"]);
        t.push_row(["bbbb", "-2.5e-3", "1 ± 2"]);
        let md = t.to_markdown();
        let lines: Vec<&str> = md.lines().collect();
        assert_eq!(lines[0], "| name |   value | note  |");
        assert_eq!(lines[1], "|:-----|--------:|:------|");
        assert_eq!(lines[2], "| a    |       1 | x     |");
        assert_eq!(lines[3], "| bbbb | -2.5e-3 | 1 ± 2 |");
        let mut t = MarkdownTable::new(["z"]);
        t.push_row(["1 ± 2"]).push_row(["10%"]);
        assert_eq!(
            t.to_markdown(),
            "|     z |\n|------:|\n| 1 ± 2 |\n|   10% |\n"
        );
    }

    #[test]
    fn ragged_rows_escaping_and_forced_alignment() {
        let mut t = MarkdownTable::new(["a"]);
        t.push_row(["x|y", "extra"]).push_row(Vec::<String>::new());
        t.set_align(0, Align::Center).set_align(5, Align::Right);
        let md = t.to_markdown();
        let lines: Vec<&str> = md.lines().collect();
        assert_eq!(lines.len(), 4);
        assert!(lines[0].starts_with("|  a   |"));
        assert!(lines[1].starts_with("|:----:|"));
        assert!(lines[2].contains("x\\|y"));
        assert_eq!(lines[3].matches('|').count(), 3);
        assert_eq!(t.num_rows(), 2);
    }

    #[test]
    fn empty_table() {
        assert_eq!(MarkdownTable::new(Vec::<String>::new()).to_markdown(), "");
        let t = MarkdownTable::new(["only"]);
        assert_eq!(t.to_string(), "| only |\n|:-----|\n");
    }

    #[test]
    fn numeric_detection() {
        for c in ["1", "-0.5", "1e-9", "NaN", "inf", "12%", "0.1 ± 0.02"] {
            assert!(looks_numeric(c), "{c}");
        }
        for c in ["IWAE", "1 2", "± 1", "K=2"] {
            assert!(!looks_numeric(c), "{c}");
        }
    }
}
