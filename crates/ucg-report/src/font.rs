//! The bundled font and its one-time registration with plotters.
//!
//! plotters is built with its `ab_glyph` text renderer, which knows no system fonts: every
//! font family must be registered from bytes. This crate bundles DejaVu Sans (licence in
//! `assets/LICENSE-DejaVu`) and registers it under the family name `"sans-serif"`, the
//! family every figure in this crate uses. SVG files name the same family, so viewers
//! render their own sans-serif font.

use std::sync::OnceLock;

use plotters::style::{FontStyle, register_font};

use crate::error::{ReportError, Result};

/// The bytes of the bundled DejaVu Sans font (TrueType).
pub const FONT_BYTES: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");

/// The font family name under which [`FONT_BYTES`] is registered.
pub const FONT_FAMILY: &str = "sans-serif";

static REGISTERED: OnceLock<bool> = OnceLock::new();

/// Registers the bundled font with plotters, once per process.
///
/// Every figure calls this before drawing, so callers only need it when they draw text
/// with plotters themselves. Cheap after the first call.
///
/// # Errors
/// [`ReportError::Font`] if the font bytes cannot be parsed (never expected).
pub fn ensure_font_registered() -> Result<()> {
    let ok = *REGISTERED.get_or_init(|| {
        // Register the one face for the normal and bold styles; others fall back to normal.
        register_font(FONT_FAMILY, FontStyle::Normal, FONT_BYTES).is_ok()
            && register_font(FONT_FAMILY, FontStyle::Bold, FONT_BYTES).is_ok()
    });
    if ok { Ok(()) } else { Err(ReportError::Font) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registration_is_idempotent() {
        ensure_font_registered().unwrap();
        ensure_font_registered().unwrap();
    }
}
