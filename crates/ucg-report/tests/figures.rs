//! Every figure type on small synthetic inputs, and the edge cases: empty series, NaN/inf,
//! non-positive values on log axes, a single point, all-equal values.

use std::path::Path;

use ucg_report::plotters::prelude::{IntoDrawingArea, SVGBackend};
use ucg_report::{
    Axis, BarChart, BoxPlot, ErrorBarChart, ErrorPoint, Figure, Histogram, HistogramLayout,
    LineChart, ReportError, SavedFigure, SeriesStyle, Whiskers,
};

const W: u32 = 360;
const H: u32 = 240;

/// Checks the PNG signature and size, and that the SVG names the title; returns the SVG.
fn check(saved: &SavedFigure, title: &str) -> String {
    let png = std::fs::read(&saved.png).unwrap();
    assert!(
        png.starts_with(b"\x89PNG\r\n\x1a\n"),
        "not a PNG: {}",
        saved.png.display()
    );
    // IHDR: width and height, big-endian, at bytes 16..24.
    let w = u32::from_be_bytes(png[16..20].try_into().unwrap());
    let h = u32::from_be_bytes(png[20..24].try_into().unwrap());
    assert_eq!((w, h), (W, H));
    let svg = std::fs::read_to_string(&saved.svg).unwrap();
    assert!(svg.starts_with("<svg"), "not an SVG");
    assert!(
        svg.contains(title),
        "title missing from {}",
        saved.svg.display()
    );
    svg
}

fn stem(dir: &Path, name: &str) -> std::path::PathBuf {
    dir.join(name)
}

#[test]
fn box_plot_writes_png_and_svg() {
    let dir = tempfile::tempdir().unwrap();
    let mut tail: Vec<f64> = (0..40).map(|i| f64::from(i) / 40.0).collect();
    tail.push(25.0);
    let fig = BoxPlot::new("Signed error by estimator", Axis::new("signed error"))
        .with_x_label("estimator")
        .group("IWAE", tail)
        .group("C-ISIR", vec![-0.5, 0.0, 0.5, 0.1])
        .with_size(W, H);
    let saved = fig.save(stem(dir.path(), "box")).unwrap();
    let svg = check(&saved, "Signed error by estimator");
    assert!(svg.contains("C-ISIR") && svg.contains("outliers"));
    assert!(saved.warnings.is_empty(), "{:?}", saved.warnings);

    let saved = fig
        .clone()
        .with_whiskers(Whiskers::MinMax)
        .with_mean(false)
        .with_reference_line(None)
        .save(stem(dir.path(), "box_minmax"))
        .unwrap();
    let svg = check(&saved, "Signed error by estimator");
    assert!(!svg.contains("outliers"));
}

#[test]
fn box_plot_edge_cases() {
    let dir = tempfile::tempdir().unwrap();
    let saved = BoxPlot::new("Edge boxes", Axis::log("relative error"))
        .group("empty", Vec::new())
        .group("nan", vec![f64::NAN, f64::INFINITY])
        .group("single", vec![0.5])
        .group("equal", vec![2.0; 5])
        .group("negative", vec![-1.0, 0.0, 3.0])
        .with_size(W, H)
        .save(stem(dir.path(), "box_edge"))
        .unwrap();
    check(&saved, "Edge boxes");
    let w = saved.warnings.join("\n");
    assert!(w.contains("group 'empty': no values"), "{w}");
    assert!(w.contains("group 'nan': skipped 2 non-finite"), "{w}");
    assert!(
        w.contains("group 'negative': skipped 2 value(s) <= 0"),
        "{w}"
    );

    let saved = BoxPlot::new("No groups", Axis::new("y"))
        .with_size(W, H)
        .save(stem(dir.path(), "box_none"))
        .unwrap();
    assert!(check(&saved, "No groups").contains("no data"));
}

#[test]
fn error_bars_write_png_and_svg() {
    let dir = tempfile::tempdir().unwrap();
    let ks = [2.0, 5.0, 10.0, 50.0, 100.0];
    let saved = ErrorBarChart::new(
        "Bias against K",
        Axis::log("K"),
        Axis::new("mean signed error"),
    )
    .series(
        "IWAE",
        ks.iter().map(|&k| ErrorPoint::new(k, -1.0 / k, 0.05)),
    )
    .series("C-ISIR", ks.iter().map(|&k| ErrorPoint::new(k, 0.0, 0.1)))
    .series_styled(
        "C-ISIR-DISIR",
        ks.iter().map(|&k| ErrorPoint::new(k, 0.01, -0.1)),
        SeriesStyle::nth(2).dashed(),
    )
    .with_size(W, H)
    .save(stem(dir.path(), "bias"))
    .unwrap();
    let svg = check(&saved, "Bias against K");
    assert!(saved.warnings.is_empty(), "{:?}", saved.warnings);
    // The K values are the labelled ticks.
    for k in ["2", "5", "10", "50", "100"] {
        assert!(svg.contains(&format!("\n{k}\n")), "tick {k} missing");
    }
}

#[test]
fn error_bar_edge_cases() {
    let dir = tempfile::tempdir().unwrap();
    let saved = ErrorBarChart::new("Edge bars", Axis::log("K"), Axis::log("value"))
        .series("empty", Vec::new())
        .series("single", [ErrorPoint::new(3.0, 1.0, 5.0)])
        .series(
            "bad",
            [
                ErrorPoint::new(f64::NAN, 1.0, 0.1),
                ErrorPoint::new(0.0, 1.0, 0.1),
                ErrorPoint::new(3.0, -1.0, 0.1),
                ErrorPoint::new(3.0, 2.0, f64::INFINITY),
            ],
        )
        .with_dodge(f64::NAN)
        .with_lines(false)
        .with_size(W, H)
        .save(stem(dir.path(), "bias_edge"))
        .unwrap();
    check(&saved, "Edge bars");
    let w = saved.warnings.join("\n");
    assert!(w.contains("series 'empty': no points"), "{w}");
    assert!(w.contains("series 'bad': skipped 1 non-finite"), "{w}");
    assert!(w.contains("series 'bad': skipped 2 value(s) <= 0"), "{w}");
    assert!(w.contains("without a bar"), "{w}");

    let saved = ErrorBarChart::new("Equal values", Axis::new("x"), Axis::new("y"))
        .series(
            "a",
            [
                ErrorPoint::new(1.0, 0.0, 0.0),
                ErrorPoint::new(1.0, 0.0, 0.0),
            ],
        )
        .series("b", [ErrorPoint::new(1.0, 0.0, 0.0)])
        .with_reference_line(None)
        .with_size(W, H)
        .save(stem(dir.path(), "bias_equal"))
        .unwrap();
    check(&saved, "Equal values");
    assert!(saved.warnings.is_empty());
}

#[test]
fn histograms_write_png_and_svg() {
    let dir = tempfile::tempdir().unwrap();
    let a: Vec<f64> = (0..500).map(|i| f64::from(1 + (i * i) % 37)).collect();
    let b: Vec<f64> = (0..500).map(|i| f64::from(1 + i % 4)).collect();
    for (name, layout) in [
        ("overlaid", HistogramLayout::Overlaid),
        ("panels", HistogramLayout::Panels),
    ] {
        let saved = Histogram::new("Meeting times", "meeting time (iterations)")
            .series("C-ISIR", a.clone())
            .series("C-ISIR-DISIR", b.clone())
            .with_layout(layout)
            .with_size(W, H)
            .save(stem(dir.path(), name))
            .unwrap();
        let svg = check(&saved, "Meeting times");
        assert!(svg.contains("C-ISIR-DISIR"));
        assert!(saved.warnings.is_empty(), "{:?}", saved.warnings);
    }
    let saved = Histogram::new("Linear counts", "x")
        .series("a", a)
        .with_log_counts(false)
        .with_bin_width(5)
        .with_size(W, H)
        .save(stem(dir.path(), "linear"))
        .unwrap();
    check(&saved, "Linear counts");
}

#[test]
fn histogram_edge_cases() {
    let dir = tempfile::tempdir().unwrap();
    let saved = Histogram::new("Edge histogram", "x")
        .series("empty", Vec::new())
        .series("nan", vec![f64::NAN, f64::NEG_INFINITY])
        .series("single", vec![7.0])
        .with_bin_width(0)
        .with_max_bins(0)
        .with_size(W, H)
        .save(stem(dir.path(), "hist_edge"))
        .unwrap();
    check(&saved, "Edge histogram");
    let w = saved.warnings.join("\n");
    assert!(w.contains("series 'empty': no values"), "{w}");
    assert!(w.contains("series 'nan': skipped 2 non-finite"), "{w}");

    for layout in [HistogramLayout::Overlaid, HistogramLayout::Panels] {
        let saved = Histogram::new("Nothing", "x")
            .with_layout(layout)
            .with_size(W, H)
            .save(stem(dir.path(), "hist_none"))
            .unwrap();
        assert!(check(&saved, "Nothing").contains("no data"));
    }
    // Huge values do not create absurd numbers of bins.
    let saved = Histogram::new("Huge", "x")
        .series("a", vec![-1e300, 1e300, 0.0])
        .with_bin_width(1)
        .with_size(W, H)
        .save(stem(dir.path(), "hist_huge"))
        .unwrap();
    check(&saved, "Huge");
}

#[test]
fn line_charts_write_png_and_svg() {
    let dir = tempfile::tempdir().unwrap();
    let d = [10.0, 50.0, 100.0, 300.0];
    let saved = LineChart::new(
        "Meeting time against D",
        Axis::new("latent dimension D"),
        Axis::log("meeting time").with_unit("iterations"),
    )
    .series("mean", d.iter().map(|&d| (d, d / 10.0)))
    .series_styled(
        "99% quantile",
        d.iter().map(|&d| (d, d)),
        SeriesStyle::nth(0).dashed(),
    )
    .with_reference_line(Some(1.0))
    .with_size(W, H)
    .save(stem(dir.path(), "lines"))
    .unwrap();
    let svg = check(&saved, "Meeting time against D");
    assert!(svg.contains("meeting time (iterations, log scale)"));
    assert!(svg.contains("99% quantile"));
    // An unnamed reference line has no legend entry; a named one has.
    assert!(!svg.contains("threshold"));
    let saved = LineChart::new(
        "Largest |z| against K",
        Axis::log("K"),
        Axis::log("max |z|"),
    )
    .series("IWAE", [(2.0, 30.0), (10.0, 8.0)])
    .with_reference_line(Some(5.7))
    .with_reference_label("threshold 5.7")
    .with_size(W, H)
    .save(stem(dir.path(), "lines_threshold"))
    .unwrap();
    assert!(check(&saved, "Largest |z| against K").contains("threshold 5.7"));
}

#[test]
fn line_chart_edge_cases() {
    let dir = tempfile::tempdir().unwrap();
    let saved = LineChart::new("Edge lines", Axis::log("x"), Axis::log("y"))
        .series("empty", Vec::new())
        .series("single", [(1.0, 1.0)])
        .series(
            "bad",
            [
                (f64::NAN, 1.0),
                (2.0, f64::INFINITY),
                (-1.0, 1.0),
                (3.0, 0.0),
            ],
        )
        .with_markers(false)
        .with_size(W, H)
        .save(stem(dir.path(), "lines_edge"))
        .unwrap();
    check(&saved, "Edge lines");
    assert_eq!(saved.warnings.len(), 4, "{:?}", saved.warnings);

    let saved = LineChart::new("Flat", Axis::new("x"), Axis::new("y"))
        .series("flat", [(0.0, 5.0), (0.0, 5.0)])
        .with_size(W, H)
        .save(stem(dir.path(), "lines_flat"))
        .unwrap();
    check(&saved, "Flat");
    assert!(saved.warnings.is_empty());

    let saved = LineChart::new("Empty chart", Axis::new("x"), Axis::new("y"))
        .with_size(W, H)
        .save(stem(dir.path(), "lines_none"))
        .unwrap();
    assert!(check(&saved, "Empty chart").contains("no data"));
}

#[test]
fn bar_charts_write_png_and_svg() {
    let dir = tempfile::tempdir().unwrap();
    let saved = BarChart::new("Inefficiency", Axis::log("variance x cost"))
        .with_x_label("estimator")
        .bar("IWAE", 1.5e3)
        .bars([("C-ISIR", 2.5e4), ("C-ISIR-DISIR", 7.0e3)])
        .with_size(W, H)
        .save(stem(dir.path(), "bars"))
        .unwrap();
    let svg = check(&saved, "Inefficiency");
    assert!(svg.contains("25000"), "value label missing");

    let saved = BarChart::new("Signed bars", Axis::new("value"))
        .bars([("a", -2.0), ("b", 3.0)])
        .with_value_labels(false)
        .with_size(W, H)
        .save(stem(dir.path(), "bars_linear"))
        .unwrap();
    check(&saved, "Signed bars");
}

#[test]
fn bar_chart_edge_cases() {
    let dir = tempfile::tempdir().unwrap();
    let saved = BarChart::new("Edge bars", Axis::log("v"))
        .bars([
            ("zero", 0.0),
            ("nan", f64::NAN),
            ("one", 4.0),
            ("same", 4.0),
        ])
        .with_size(W, H)
        .save(stem(dir.path(), "bars_edge"))
        .unwrap();
    check(&saved, "Edge bars");
    assert_eq!(saved.warnings.len(), 2, "{:?}", saved.warnings);

    let saved = BarChart::new("No bars", Axis::log("v"))
        .bar("nan", f64::NAN)
        .with_size(W, H)
        .save(stem(dir.path(), "bars_none"))
        .unwrap();
    assert!(check(&saved, "No bars").contains("no data"));
}

#[test]
fn fixed_ranges_and_units() {
    let dir = tempfile::tempdir().unwrap();
    let saved = LineChart::new(
        "Fixed",
        Axis::new("time")
            .with_unit("s")
            .with_range(0.0, 1.0)
            .with_ticks([0.0, 0.5, 1.0]),
        Axis::new("y").with_range(5.0, 1.0),
    )
    .series("outside", [(-1.0, 0.0), (2.0, 10.0)])
    .with_size(W, H)
    .save(stem(dir.path(), "fixed"))
    .unwrap();
    let svg = check(&saved, "Fixed");
    assert!(svg.contains("time (s)"));
    assert_eq!(saved.warnings.len(), 1, "{:?}", saved.warnings);
    assert!(saved.warnings[0].contains("unusable fixed range"));
}

#[test]
fn bad_sizes_and_paths_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let fig = LineChart::new("t", Axis::new("x"), Axis::new("y")).with_size(10, 10);
    assert!(matches!(
        fig.save(dir.path().join("s")),
        Err(ReportError::InvalidSize { .. })
    ));

    let file = dir.path().join("file");
    std::fs::write(&file, "not a directory").unwrap();
    let fig = LineChart::new("t", Axis::new("x"), Axis::new("y")).with_size(W, H);
    let err = fig.save(file.join("sub/fig")).unwrap_err();
    assert!(matches!(err, ReportError::Io { .. }), "{err}");
    let err = fig.save(file.join("fig")).unwrap_err();
    assert!(
        matches!(err, ReportError::Draw(_) | ReportError::Io { .. }),
        "{err}"
    );
}

#[test]
fn figures_draw_on_any_backend() {
    ucg_report::ensure_font_registered().unwrap();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (W, H)).into_drawing_area();
        let fig = BarChart::new("In memory", Axis::new("v")).bar("a", 1.0);
        let warnings = fig.draw_on(&root).unwrap();
        assert!(warnings.is_empty());
        root.present().unwrap();
    }
    assert!(svg.contains("In memory"));
}
