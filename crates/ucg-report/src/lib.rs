//! Figures, tables and record files for experiment reports.
//!
//! `ucg-report` knows nothing about Markov chains or gradients: it takes plain numbers and
//! serde records and writes
//!
//! - **figures**, each as PNG *and* SVG from one drawing function generic over the plotters
//!   backend ([`Figure::save`] writes `stem.png` and `stem.svg`):
//!   [`BoxPlot`] (samples by category, Tukey or min/max whiskers, outliers, means),
//!   [`ErrorBarChart`] (mean ± half-width against x, dodged series, log x optional),
//!   [`Histogram`] (integer bins, log counts, overlaid or stacked panels),
//!   [`LineChart`] (series with markers, log axes optional),
//!   [`BarChart`] (one bar per category, log axis optional);
//! - **tables**: [`MarkdownTable`] with right-aligned numeric columns and
//!   [`format_number`] (4 significant digits, scientific notation when very small or large) and
//!   [`format_thousands`] (`50,000`);
//! - **records**: CSV rows via serde ([`write_csv`], [`read_csv`], [`CsvAppender`]), pretty
//!   JSON ([`write_json`], [`read_json`]) and plain text ([`write_text`]), written
//!   atomically.
//!
//! Text is drawn with a bundled DejaVu Sans font (see `assets/LICENSE-DejaVu`) through
//! plotters' pure-Rust `ab_glyph` renderer, so no system fonts or fontconfig are needed.
//!
//! # Conventions shared by all figures
//!
//! - Default size 900 × 600 pixels (`with_size(w, h)`); fonts and line widths scale with it.
//! - Axes are described by [`Axis`]: label, optional unit (shown as `label (unit)`),
//!   [`Scale::Linear`] or [`Scale::Log`], optional fixed range and ticks. Automatic ranges
//!   fit the data with a 5% margin and pad a range of equal values.
//! - Bad data never panics and is never an error: NaN/±inf values, and values `<= 0` on a
//!   log axis, are skipped; empty series are drawn as nothing (a plot with no data at all
//!   says "no data"). Each skip is described in [`SavedFigure::warnings`].
//! - Legends sit in a strip right of the plot, so they never hide data. Series colours come
//!   from a colour-blind-safe palette ([`PALETTE`]), and series also differ by marker shape.
//!
//! `cargo run -p ucg-report --example gallery -- DIR` writes one figure of each type into
//! `DIR` (default `target/ucg-report-gallery`).
//!
//! # Example
//!
//! ```
//! use ucg_report::{Axis, BoxPlot, ErrorBarChart, ErrorPoint, Figure};
//!
//! # fn main() -> Result<(), ucg_report::ReportError> {
//! let dir = tempfile::tempdir().unwrap();
//! let saved = BoxPlot::new("Signed error of ∂/∂b₁", Axis::new("signed error"))
//!     .with_x_label("estimator")
//!     .group("IWAE", vec![0.31, 0.12, 0.25, 0.18, f64::NAN])
//!     .group("C-ISIR", vec![-0.2, 0.1, 0.05, -0.02])
//!     .with_size(450, 300)
//!     .save(dir.path().join("fig2"))?;
//! assert!(saved.png.exists() && saved.svg.exists());
//! assert_eq!(saved.warnings, ["group 'IWAE': skipped 1 non-finite value(s)"]);
//!
//! let ks = [2.0, 5.0, 10.0, 50.0, 100.0];
//! ErrorBarChart::new("Bias against K", Axis::log("K"), Axis::new("mean signed error"))
//!     .series("IWAE", ks.iter().map(|&k| ErrorPoint::new(k, -0.5 / k, 0.02)))
//!     .series("C-ISIR", ks.iter().map(|&k| ErrorPoint::new(k, 0.001, 0.03)))
//!     .with_size(450, 300)
//!     .save(dir.path().join("bias"))?;
//! # Ok(()) }
//! ```

mod atomic;
mod axis;
mod bars;
mod boxplot;
mod error;
mod errorbar;
mod figure;
mod font;
mod format;
mod frame;
mod histogram;
mod lines;
mod records;
mod sanitize;
mod style;
mod table;

pub use axis::{Axis, Scale};
pub use bars::BarChart;
pub use boxplot::{BoxPlot, BoxStats, Whiskers};
pub use error::{ReportError, Result};
pub use errorbar::{ErrorBarChart, ErrorPoint, ErrorSeries};
pub use figure::{Figure, SavedFigure};
pub use font::{FONT_BYTES, FONT_FAMILY, ensure_font_registered};
pub use format::{format_number, format_number_sig, format_plus_minus, format_thousands};
pub use histogram::{Histogram, HistogramLayout, IntegerBins};
pub use lines::{LineChart, LineSeries};
pub use records::{CsvAppender, read_csv, read_json, write_csv, write_json, write_text};
pub use style::{FigureSize, Marker, PALETTE, SeriesStyle, palette_color};
pub use table::{Align, MarkdownTable};

/// The plotters version this crate draws with, for callers who draw on a [`Figure`]'s
/// backend themselves (e.g. to compose figures into panels with [`Figure::draw_on`]).
pub use plotters;
