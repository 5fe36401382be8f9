//! Shared look of every figure: size, fonts, colours, markers and series styles.

use plotters::style::{FontDesc, FontFamily, FontStyle, RGBColor, TextStyle};

use crate::error::{ReportError, Result};
use crate::font::FONT_FAMILY;

/// Size of a figure in pixels (the SVG uses the same numbers as its user units).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FigureSize {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

impl FigureSize {
    /// Smallest accepted side, in pixels.
    pub const MIN_SIDE: u32 = 100;
    /// Largest accepted side, in pixels.
    pub const MAX_SIDE: u32 = 8000;

    /// A figure of `width` × `height` pixels.
    pub const fn new(width: u32, height: u32) -> Self {
        Self { width, height }
    }

    /// Checks that both sides lie in [`MIN_SIDE`](Self::MIN_SIDE)..=[`MAX_SIDE`](Self::MAX_SIDE).
    ///
    /// # Errors
    /// [`ReportError::InvalidSize`] otherwise.
    pub fn validate(self) -> Result<Self> {
        let ok = |s: u32| (Self::MIN_SIDE..=Self::MAX_SIDE).contains(&s);
        if ok(self.width) && ok(self.height) {
            Ok(self)
        } else {
            Err(ReportError::InvalidSize {
                width: self.width,
                height: self.height,
                min: Self::MIN_SIDE,
                max: Self::MAX_SIDE,
            })
        }
    }
}

impl Default for FigureSize {
    /// 900 × 600 pixels.
    fn default() -> Self {
        Self::new(900, 600)
    }
}

/// Colour-blind-safe palette (Okabe & Ito), in the order series receive them.
pub const PALETTE: [RGBColor; 8] = [
    RGBColor(0, 114, 178),   // blue
    RGBColor(213, 94, 0),    // vermillion
    RGBColor(0, 158, 115),   // bluish green
    RGBColor(204, 121, 167), // reddish purple
    RGBColor(230, 159, 0),   // orange
    RGBColor(86, 180, 233),  // sky blue
    RGBColor(0, 0, 0),       // black
    RGBColor(153, 153, 153), // grey
];

/// The `i`-th palette colour (wrapping around after [`PALETTE`]'s length).
pub fn palette_color(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// Colour of reference lines (e.g. the zero-error line).
pub(crate) const REFERENCE_COLOR: RGBColor = RGBColor(90, 90, 90);

/// Shape of a point marker.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Marker {
    /// Filled circle.
    #[default]
    Circle,
    /// Filled square.
    Square,
    /// Filled upward triangle.
    Triangle,
    /// Filled diamond.
    Diamond,
    /// Diagonal cross.
    Cross,
}

impl Marker {
    /// All shapes, in the order series receive them.
    pub const ALL: [Marker; 5] = [
        Marker::Circle,
        Marker::Square,
        Marker::Triangle,
        Marker::Diamond,
        Marker::Cross,
    ];

    /// The `i`-th shape (wrapping around).
    pub fn nth(i: usize) -> Self {
        Self::ALL[i % Self::ALL.len()]
    }
}

/// How one series of a line or error-bar chart is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SeriesStyle {
    /// Index into [`PALETTE`] (wraps around).
    pub color: usize,
    /// Marker shape at each point.
    pub marker: Marker,
    /// Draw the connecting line dashed instead of solid.
    pub dashed: bool,
}

impl SeriesStyle {
    /// Default style of the `i`-th series: `i`-th colour, `i`-th marker, solid line.
    pub fn nth(i: usize) -> Self {
        Self {
            color: i,
            marker: Marker::nth(i),
            dashed: false,
        }
    }

    /// The same style with a dashed line.
    pub fn dashed(mut self) -> Self {
        self.dashed = true;
        self
    }

    /// The series colour.
    pub fn rgb(&self) -> RGBColor {
        palette_color(self.color)
    }
}

/// Font sizes (pixels) and line widths, scaled with the figure size.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Fonts {
    /// Scale factor relative to the 900 × 600 default.
    pub scale: f64,
    pub title: f64,
    pub caption: f64,
    pub axis_label: f64,
    pub tick: f64,
    pub legend: f64,
}

impl Fonts {
    /// Sizes for a figure of `size`: 26/20/16/16 px at 900 × 600, proportionally otherwise.
    pub fn for_size(size: FigureSize) -> Self {
        let scale = (f64::from(size.width) / 900.0)
            .min(f64::from(size.height) / 600.0)
            .clamp(0.45, 4.0);
        Self {
            scale,
            title: 26.0 * scale,
            caption: 20.0 * scale,
            axis_label: 20.0 * scale,
            tick: 16.0 * scale,
            legend: 16.0 * scale,
        }
    }

    /// A length of `px` pixels at the default size, scaled (at least 1).
    pub fn px(&self, px: impl Into<f64>) -> i32 {
        (px.into() * self.scale).round().max(1.0) as i32
    }

    /// Line width in pixels for data lines.
    pub fn line_width(&self) -> u32 {
        self.px(2.0) as u32
    }

    /// A text style of `size` pixels in the bundled font.
    pub fn text(size: f64) -> TextStyle<'static> {
        TextStyle::from(FontDesc::new(
            FontFamily::Name(FONT_FAMILY),
            size,
            FontStyle::Normal,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_validation() {
        assert!(FigureSize::default().validate().is_ok());
        assert!(FigureSize::new(10, 600).validate().is_err());
        assert!(FigureSize::new(900, 100_000).validate().is_err());
    }

    #[test]
    fn styles_wrap_around() {
        assert_eq!(palette_color(PALETTE.len()), PALETTE[0]);
        assert_eq!(Marker::nth(5), Marker::Circle);
        assert!(SeriesStyle::nth(1).dashed().dashed);
    }
}
