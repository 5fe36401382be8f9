//! Shared chart furniture: title, legend strip, axes with grid, reference lines, markers.
//!
//! Every figure draws through these helpers, so titles, axes, legends and markers look the
//! same everywhere. The legend is drawn in its own strip right of the plot, so it never
//! hides data.

use plotters::coord::{CoordTranslate, Shift};
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::axis::{Axis, ScaledRange};
use crate::error::{Result, draw_err};
use crate::style::{FigureSize, Fonts, Marker, REFERENCE_COLOR, SeriesStyle};

/// The chart type every figure draws on.
pub(crate) type Chart<'a, DB> = ChartContext<'a, DB, Cartesian2d<ScaledRange, ScaledRange>>;

/// What a legend entry shows next to its name.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Glyph {
    /// A line segment, optionally dashed and with a marker in the middle.
    Line {
        dashed: bool,
        marker: Option<Marker>,
        width: u32,
    },
    /// A marker alone.
    Point { marker: Marker, filled: bool },
    /// A filled, outlined box (histogram bars, box plots).
    Fill,
    /// A marker with a vertical error bar through it.
    ErrorBar { marker: Marker },
}

/// One legend row.
#[derive(Clone, Debug)]
pub(crate) struct LegendEntry {
    pub name: String,
    pub color: RGBColor,
    pub glyph: Glyph,
}

impl LegendEntry {
    pub fn new(name: impl Into<String>, color: RGBColor, glyph: Glyph) -> Self {
        Self {
            name: name.into(),
            color,
            glyph,
        }
    }
}

/// The two axes of a chart with their descriptions.
pub(crate) struct Axes {
    pub x: ScaledRange,
    pub y: ScaledRange,
    pub x_desc: String,
    pub y_desc: String,
    /// Vertical grid lines (off for category axes).
    pub x_grid: bool,
}

impl Axes {
    /// Two numeric axes described by `x_axis` and `y_axis`, with grid lines both ways.
    pub fn numeric(x: ScaledRange, y: ScaledRange, x_axis: &Axis, y_axis: &Axis) -> Self {
        Self {
            x,
            y,
            x_desc: x_axis.description(),
            y_desc: y_axis.description(),
            x_grid: true,
        }
    }

    /// One category per name along x (labelled `x_label`, no vertical grid lines) against
    /// the numeric `y` described by `y_axis`.
    pub fn categories(names: Vec<String>, x_label: &str, y: ScaledRange, y_axis: &Axis) -> Self {
        Self {
            x: ScaledRange::categories(names),
            y,
            x_desc: x_label.to_owned(),
            y_desc: y_axis.description(),
            x_grid: false,
        }
    }
}

/// Approximate numbers of labelled ticks (x, y) for a figure of `size`.
pub(crate) fn tick_targets(size: FigureSize) -> (usize, usize) {
    let x = (size.width / 120).clamp(3, 10) as usize;
    let y = (size.height / 85).clamp(3, 10) as usize;
    (x, y)
}

/// Fills `area` white, draws `title` on top and splits off a legend strip on the right.
/// Returns the area left for the plot.
pub(crate) fn layout<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    fonts: &Fonts,
    title: &str,
    legend: &[LegendEntry],
) -> Result<DrawingArea<DB, Shift>> {
    area.fill(&WHITE).map_err(draw_err)?;
    let (w, h) = area.dim_in_pixel();
    let body = if title.trim().is_empty() {
        area.clone()
    } else {
        // Shrink a title too long for the width (down to 60% of the usual size).
        let mut size = fonts.title;
        let (text_w, _) = area
            .estimate_text_size(title, &Fonts::text(size))
            .map_err(draw_err)?;
        let room = f64::from(w) - 2.0 * f64::from(fonts.px(10));
        if f64::from(text_w) > room {
            size = (size * room / f64::from(text_w)).max(0.6 * fonts.title);
        }
        let style = Fonts::text(size).pos(Pos::new(HPos::Center, VPos::Top));
        let (_, text_h) = area.estimate_text_size(title, &style).map_err(draw_err)?;
        let pad = fonts.px(10) as u32;
        let top = (text_h + 2 * pad).min(h / 3);
        let (head, body) = area.split_vertically(top);
        head.draw_text(title, &style, ((w / 2) as i32, pad as i32))
            .map_err(draw_err)?;
        body
    };
    if legend.is_empty() {
        return Ok(body);
    }
    let style = Fonts::text(fonts.legend);
    let mut widest = 0;
    for e in legend {
        widest = widest.max(
            body.estimate_text_size(&e.name, &style)
                .map_err(draw_err)?
                .0,
        );
    }
    // Glyph, three paddings, the frame's right margin, and 5% slack on the text estimate.
    let legend_w = (widest as i32 * 21 / 20 + fonts.px(36 + 3 * 8 + 14)).min(w as i32 * 2 / 5);
    let (plot, strip) = body.split_horizontally(w as i32 - legend_w);
    draw_legend(&strip, fonts, legend)?;
    Ok(plot)
}

/// Draws the legend rows in a framed box at the top of `strip`.
fn draw_legend<DB: DrawingBackend>(
    strip: &DrawingArea<DB, Shift>,
    fonts: &Fonts,
    entries: &[LegendEntry],
) -> Result<()> {
    let pad = fonts.px(8);
    let glyph_w = fonts.px(36);
    let row_h = (fonts.legend * 1.6).round() as i32;
    let (w, _) = strip.dim_in_pixel();
    let top = fonts.px(12);
    let right = w as i32 - fonts.px(10);
    let bottom = top + pad * 2 + row_h * entries.len() as i32;
    strip
        .draw(&Rectangle::new([(0, top), (right, bottom)], WHITE.filled()))
        .map_err(draw_err)?;
    strip
        .draw(&Rectangle::new(
            [(0, top), (right, bottom)],
            BLACK.mix(0.4).stroke_width(1),
        ))
        .map_err(draw_err)?;
    let text_style = Fonts::text(fonts.legend).pos(Pos::new(HPos::Left, VPos::Center));
    for (i, e) in entries.iter().enumerate() {
        let cy = top + pad + row_h * i as i32 + row_h / 2;
        let (x0, x1) = (pad, pad + glyph_w);
        let cx = (x0 + x1) / 2;
        let r = fonts.px(5);
        match e.glyph {
            Glyph::Line {
                dashed,
                marker,
                width,
            } => {
                let style = e.color.stroke_width(width);
                if dashed {
                    let seg = (glyph_w - 2) / 5;
                    for k in [0, 2, 4] {
                        strip
                            .draw(&PathElement::new(
                                vec![(x0 + k * seg, cy), (x0 + (k + 1) * seg, cy)],
                                style,
                            ))
                            .map_err(draw_err)?;
                    }
                } else {
                    strip
                        .draw(&PathElement::new(vec![(x0, cy), (x1, cy)], style))
                        .map_err(draw_err)?;
                }
                if let Some(m) = marker {
                    draw_marker(strip, (cx, cy), m, r, e.color, true)?;
                }
            }
            Glyph::Point { marker, filled } => {
                draw_marker(strip, (cx, cy), marker, r, e.color, filled)?
            }
            Glyph::Fill => {
                let half = row_h / 3;
                draw_outlined_rect(
                    strip,
                    [(x0 + 4, cy - half), (x1 - 4, cy + half)],
                    e.color.mix(0.35).filled(),
                    e.color.stroke_width(fonts.px(1.5) as u32),
                )?;
            }
            Glyph::ErrorBar { marker } => {
                let half = row_h * 2 / 5;
                let style = e.color.stroke_width(fonts.px(1.5) as u32);
                strip
                    .draw(&PathElement::new(
                        vec![(cx, cy - half), (cx, cy + half)],
                        style,
                    ))
                    .map_err(draw_err)?;
                for y in [cy - half, cy + half] {
                    strip
                        .draw(&PathElement::new(vec![(cx - r, y), (cx + r, y)], style))
                        .map_err(draw_err)?;
                }
                draw_marker(strip, (cx, cy), marker, r, e.color, true)?;
            }
        }
        strip
            .draw_text(&e.name, &text_style, (x1 + pad, cy))
            .map_err(draw_err)?;
    }
    Ok(())
}

/// Draws everything of a single-plot figure but its data: background, title, legend strip,
/// axes with grid lines and the optional dashed reference line at `reference`. Returns the
/// chart to draw the data on.
pub(crate) fn draw_frame<'c, DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    fonts: &Fonts,
    title: &str,
    legend: &[LegendEntry],
    axes: Axes,
    reference: Option<f64>,
) -> Result<Chart<'c, DB>> {
    let plot = layout(area, fonts, title, legend)?;
    let mut chart = build_chart(&plot, fonts, None, axes)?;
    if let Some(r) = reference {
        draw_reference_line(&mut chart, fonts, r)?;
    }
    Ok(chart)
}

/// Builds the chart on `area`: optional caption, axes with labelled ticks, grid lines.
pub(crate) fn build_chart<'c, DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    fonts: &Fonts,
    caption: Option<&str>,
    axes: Axes,
) -> Result<Chart<'c, DB>> {
    let tick_style = Fonts::text(fonts.tick);
    let desc_style = Fonts::text(fonts.axis_label);
    let mut widest = 0;
    for label in axes.y.major_labels() {
        widest = widest.max(
            area.estimate_text_size(&label, &tick_style)
                .map_err(draw_err)?
                .0,
        );
    }
    let (_, desc_h) = area
        .estimate_text_size("Ag", &desc_style)
        .map_err(draw_err)?;
    let (_, tick_h) = area
        .estimate_text_size("0", &tick_style)
        .map_err(draw_err)?;
    let y_area = widest as i32 + desc_h as i32 + fonts.px(24);
    let x_area = tick_h as i32 + desc_h as i32 + fonts.px(24);

    let mut builder = ChartBuilder::on(area);
    builder
        .margin_top(fonts.px(12))
        .margin_right(fonts.px(24))
        .margin_left(fonts.px(6))
        .margin_bottom(fonts.px(6))
        .x_label_area_size(x_area)
        .y_label_area_size(y_area);
    if let Some(c) = caption.filter(|c| !c.trim().is_empty()) {
        builder.caption(c, Fonts::text(fonts.caption));
    }
    let Axes {
        x,
        y,
        x_desc,
        y_desc,
        x_grid,
    } = axes;
    let mut chart = builder.build_cartesian_2d(x, y).map_err(draw_err)?;
    let mut mesh = chart.configure_mesh();
    mesh.x_desc(x_desc)
        .y_desc(y_desc)
        .label_style(tick_style)
        .axis_desc_style(desc_style)
        .bold_line_style(BLACK.mix(0.16))
        .light_line_style(BLACK.mix(0.06))
        .axis_style(BLACK.stroke_width(1))
        .set_all_tick_mark_size(fonts.px(5));
    if !x_grid {
        mesh.disable_x_mesh();
    }
    mesh.draw().map_err(draw_err)?;
    Ok(chart)
}

/// A dashed grey horizontal line at `y` across the whole plot.
pub(crate) fn draw_reference_line<DB: DrawingBackend>(
    chart: &mut Chart<'_, DB>,
    fonts: &Fonts,
    y: f64,
) -> Result<()> {
    let (lo, hi) = {
        let r = chart.x_range();
        (r.start, r.end)
    };
    let dash = fonts.px(8);
    chart
        .plotting_area()
        .draw(&DashedPathElement::new(
            vec![(lo, y), (hi, y)],
            dash,
            dash / 2,
            REFERENCE_COLOR.stroke_width(fonts.px(1.5) as u32),
        ))
        .map_err(draw_err)
}

/// A line through `points` (in order), solid or dashed.
pub(crate) fn draw_polyline<DB: DrawingBackend>(
    chart: &mut Chart<'_, DB>,
    fonts: &Fonts,
    points: &[(f64, f64)],
    color: RGBColor,
    dashed: bool,
) -> Result<()> {
    if points.len() < 2 {
        return Ok(());
    }
    let style = color.stroke_width(fonts.line_width());
    let area = chart.plotting_area();
    if dashed {
        let dash = fonts.px(9);
        area.draw(&DashedPathElement::new(
            points.to_vec(),
            dash,
            dash * 2 / 3,
            style,
        ))
    } else {
        area.draw(&PathElement::new(points.to_vec(), style))
    }
    .map_err(draw_err)
}

/// The filled marker of a series of `style` at data point `at`.
pub(crate) fn draw_series_marker<DB: DrawingBackend>(
    chart: &Chart<'_, DB>,
    fonts: &Fonts,
    at: (f64, f64),
    style: SeriesStyle,
) -> Result<()> {
    draw_marker(
        chart.plotting_area(),
        at,
        style.marker,
        fonts.px(5),
        style.rgb(),
        true,
    )
}

/// A rectangle between `corners` (in the area's coordinates), filled, then outlined.
pub(crate) fn draw_outlined_rect<DB: DrawingBackend, CT: CoordTranslate>(
    area: &DrawingArea<DB, CT>,
    corners: [CT::From; 2],
    fill: ShapeStyle,
    outline: ShapeStyle,
) -> Result<()>
where
    CT::From: Clone,
{
    area.draw(&Rectangle::new(corners.clone(), fill))
        .map_err(draw_err)?;
    area.draw(&Rectangle::new(corners, outline))
        .map_err(draw_err)
}

/// A marker centred at `at` (in the area's coordinates), `r` pixels in radius.
pub(crate) fn draw_marker<DB: DrawingBackend, CT: CoordTranslate>(
    area: &DrawingArea<DB, CT>,
    at: CT::From,
    marker: Marker,
    r: i32,
    color: RGBColor,
    filled: bool,
) -> Result<()>
where
    CT::From: Clone,
{
    let fill = if filled {
        color.filled()
    } else {
        color.stroke_width(1)
    };
    let outline = color.stroke_width(if filled { 1 } else { 2 });
    let anchor = || EmptyElement::<CT::From, DB>::at(at.clone());
    match marker {
        Marker::Circle => area.draw(&(anchor() + Circle::new((0, 0), r, fill))),
        Marker::Square => {
            let s = (r as f64 * 0.85).round() as i32;
            area.draw(&(anchor() + Rectangle::new([(-s, -s), (s, s)], fill)))
        }
        Marker::Triangle => {
            let pts = vec![(0, -r - 1), (r + 1, r * 3 / 4), (-r - 1, r * 3 / 4)];
            polygon(area, anchor(), pts, filled, fill, outline)
        }
        Marker::Diamond => {
            let d = r + 1;
            let pts = vec![(0, -d), (d, 0), (0, d), (-d, 0)];
            polygon(area, anchor(), pts, filled, fill, outline)
        }
        Marker::Cross => {
            let s = r;
            let style = color.stroke_width(2);
            area.draw(
                &(anchor()
                    + PathElement::new(vec![(-s, -s), (s, s)], style)
                    + PathElement::new(vec![(-s, s), (s, -s)], style)),
            )
        }
    }
    .map_err(draw_err)
}

/// Draws a pixel-offset polygon, filled or as a closed outline.
fn polygon<DB: DrawingBackend, CT: CoordTranslate>(
    area: &DrawingArea<DB, CT>,
    anchor: EmptyElement<CT::From, DB>,
    mut pts: Vec<(i32, i32)>,
    filled: bool,
    fill: ShapeStyle,
    outline: ShapeStyle,
) -> std::result::Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    if filled {
        area.draw(&(anchor + Polygon::new(pts, fill)))
    } else {
        pts.push(pts[0]);
        area.draw(&(anchor + PathElement::new(pts, outline)))
    }
}

/// Centred grey text in the middle of the plot (e.g. "no data").
pub(crate) fn draw_note<DB: DrawingBackend>(
    chart: &Chart<'_, DB>,
    fonts: &Fonts,
    text: &str,
) -> Result<()> {
    let area = chart.plotting_area().strip_coord_spec();
    let (w, h) = area.dim_in_pixel();
    let style = Fonts::text(fonts.caption)
        .color(&REFERENCE_COLOR)
        .pos(Pos::new(HPos::Center, VPos::Center));
    area.draw_text(text, &style, (w as i32 / 2, h as i32 / 2))
        .map_err(draw_err)
}
