//! The [`Figure`] trait and writing a figure as PNG and SVG.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::{BitMapBackend, DrawingArea, DrawingBackend, IntoDrawingArea, SVGBackend};

use crate::error::{ReportError, Result, draw_err, io_err};
use crate::font::ensure_font_registered;
use crate::style::FigureSize;

/// A figure that can draw itself on any plotters backend.
///
/// Every figure type of this crate implements it; [`Figure::save`] writes `stem.png` and
/// `stem.svg` from the same drawing code.
pub trait Figure {
    /// The figure's title (drawn at the top; also searchable in the SVG).
    fn title(&self) -> &str;

    /// The figure's size in pixels.
    fn size(&self) -> FigureSize;

    /// Draws the figure on `area` (which it fills with white first) and returns warnings
    /// about data that could not be shown (NaN, ±inf, non-positive values on log axes,
    /// empty series).
    ///
    /// # Errors
    /// [`ReportError::Draw`] if plotters fails.
    fn draw_on<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<Vec<String>>;

    /// Writes `stem.png` and `stem.svg` (creating missing parent directories).
    ///
    /// `stem` is a path without extension, e.g. `results/ppca/fig2_boxplot`.
    ///
    /// # Errors
    /// [`ReportError::InvalidSize`] for a size outside 100..=8000 pixels per side,
    /// [`ReportError::Io`] if the directory cannot be created, [`ReportError::Draw`] if
    /// drawing or encoding fails, [`ReportError::Font`] if the bundled font is unusable.
    fn save(&self, stem: impl AsRef<Path>) -> Result<SavedFigure>
    where
        Self: Sized,
    {
        save_figure(self, stem.as_ref())
    }
}

/// Implements [`Figure`] for a figure type with `title: String` and `size: FigureSize`
/// fields and an inherent `fn draw<DB>(&self, area, fonts: &Fonts) -> Result<Vec<String>>`,
/// and gives it the `with_size` builder every figure has.
macro_rules! impl_figure {
    ($ty:ident) => {
        impl $ty {
            /// Sets the size in pixels (default 900 × 600).
            pub fn with_size(mut self, width: u32, height: u32) -> Self {
                self.size = $crate::style::FigureSize::new(width, height);
                self
            }
        }

        impl $crate::figure::Figure for $ty {
            fn title(&self) -> &str {
                &self.title
            }

            fn size(&self) -> $crate::style::FigureSize {
                self.size
            }

            fn draw_on<DB: ::plotters::prelude::DrawingBackend>(
                &self,
                area: &::plotters::prelude::DrawingArea<DB, ::plotters::coord::Shift>,
            ) -> $crate::error::Result<Vec<String>> {
                self.draw(area, &$crate::style::Fonts::for_size(self.size))
            }
        }
    };
}
pub(crate) use impl_figure;

/// The files written by [`Figure::save`] and the warnings raised while drawing.
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use = "check the warnings: they list data that could not be drawn"]
pub struct SavedFigure {
    /// Path of the PNG file.
    pub png: PathBuf,
    /// Path of the SVG file.
    pub svg: PathBuf,
    /// Human-readable notes about skipped data; empty when everything was drawn.
    pub warnings: Vec<String>,
}

/// `stem` with `.ext` appended (not replacing a dot already in the file name).
fn with_suffix(stem: &Path, ext: &str) -> PathBuf {
    let mut s = OsString::from(stem.as_os_str());
    s.push(".");
    s.push(ext);
    PathBuf::from(s)
}

fn save_figure<F: Figure>(figure: &F, stem: &Path) -> Result<SavedFigure> {
    let size = figure.size().validate()?;
    ensure_font_registered()?;
    if let Some(dir) = stem.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(io_err(dir))?;
    }
    let dims = (size.width, size.height);
    let png = with_suffix(stem, "png");
    let svg = with_suffix(stem, "svg");
    let context = |path: &Path, e: ReportError| match e {
        ReportError::Draw(m) => ReportError::Draw(format!("{}: {m}", path.display())),
        other => other,
    };

    let warnings = {
        let root = BitMapBackend::new(&png, dims).into_drawing_area();
        let warnings = figure.draw_on(&root).map_err(|e| context(&png, e))?;
        root.present().map_err(|e| context(&png, draw_err(e)))?;
        warnings
    };
    {
        let root = SVGBackend::new(&svg, dims).into_drawing_area();
        figure.draw_on(&root).map_err(|e| context(&svg, e))?;
        root.present().map_err(|e| context(&svg, draw_err(e)))?;
    }
    Ok(SavedFigure { png, svg, warnings })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suffix_is_appended() {
        assert_eq!(
            with_suffix(Path::new("a/fig.v2"), "png"),
            PathBuf::from("a/fig.v2.png")
        );
    }
}
