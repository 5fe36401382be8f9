//! Writes one example of every figure type into a directory (default `target/ucg-report-gallery`).
//!
//! Run with `cargo run -p ucg-report --example gallery -- [DIR]`.

use ucg_report::{
    Axis, BarChart, BoxPlot, ErrorBarChart, ErrorPoint, Figure, Histogram, HistogramLayout,
    LineChart, SeriesStyle,
};

/// One `error: …` line and status 1 on failure (not the `Debug` form `main` would print).
fn main() {
    if let Err(e) = run() {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), ucg_report::ReportError> {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "target/ucg-report-gallery".to_owned());
    let dir = std::path::Path::new(&dir);

    let k = [2.0, 5.0, 10.0, 50.0, 100.0];
    let saved = LineChart::new(
        "Meeting time τ against the number of particles K",
        Axis::log("number of particles K"),
        Axis::log("meeting time τ").with_unit("iterations"),
    )
    .series("C-ISIR mean", k.iter().map(|&k: &f64| (k, 30.0 / k.sqrt())))
    .series_styled(
        "C-ISIR 99% quantile",
        k.iter().map(|&k: &f64| (k, 200.0 / k.sqrt())),
        SeriesStyle::nth(0).dashed(),
    )
    .series_styled(
        "C-ISIR-DISIR mean",
        k.iter().map(|&k: &f64| (k, 1.0 + 5.0 / k)),
        SeriesStyle::nth(1),
    )
    .series_styled(
        "C-ISIR-DISIR 99% quantile",
        k.iter().map(|&k: &f64| (k, 3.0 + 40.0 / k)),
        SeriesStyle::nth(1).dashed(),
    )
    .save(dir.join("lines"))?;
    report(&saved);

    let saved = ErrorBarChart::new(
        "Bias of the gradient estimators against K",
        Axis::log("number of particles K"),
        Axis::new("mean signed error of ∂/∂μ₁"),
    )
    .series(
        "IWAE",
        k.iter()
            .map(|&k| ErrorPoint::new(k, -0.8 / k, 0.02 + 0.05 / k)),
    )
    .series(
        "C-ISIR",
        k.iter()
            .map(|&k| ErrorPoint::new(k, 0.01 / k, 0.08 / k.sqrt())),
    )
    .series(
        "C-ISIR-DISIR",
        k.iter()
            .map(|&k| ErrorPoint::new(k, -0.005, 0.05 / k.sqrt())),
    )
    .save(dir.join("errorbar"))?;
    report(&saved);

    // Geometric meeting times, from a fixed deterministic sequence.
    let geometric = |p: f64, n: usize| -> Vec<f64> {
        (0..n)
            .map(|i| {
                let u = ((i as f64 + 0.5) * 0.618_033_988_749_895).fract();
                (u.ln() / (1.0 - p).ln()).ceil().max(1.0)
            })
            .collect()
    };
    for (stem, layout) in [
        ("histogram", HistogramLayout::Overlaid),
        ("histogram_panels", HistogramLayout::Panels),
    ] {
        let saved = Histogram::new(
            "Meeting times (5,000 replicates)",
            "meeting time τ (iterations)",
        )
        .series("C-ISIR", geometric(0.08, 5000))
        .series("C-ISIR-DISIR", geometric(0.45, 5000))
        .with_layout(layout)
        .save(dir.join(stem))?;
        report(&saved);
    }

    // Deterministic heavy-ish tailed samples around a bias.
    let sample = |bias: f64, scale: f64, n: usize| -> Vec<f64> {
        (0..n)
            .map(|i| {
                let u = ((i as f64 + 0.5) * 0.754_877_666_246_692_7).fract();
                bias + scale * (u / (1.0 - u)).ln()
            })
            .collect()
    };
    let saved = BoxPlot::new(
        "Signed error of the gradient w.r.t. one intercept component (500 replicates)",
        Axis::new("signed error"),
    )
    .with_x_label("estimator")
    .group("ELBO", sample(0.8, 0.05, 500))
    .group("IWAE", sample(0.15, 0.08, 500))
    .group("C-ISIR", sample(0.0, 0.2, 500))
    .group("C-ISIR-DISIR", sample(0.0, 0.12, 500))
    .save(dir.join("boxplot"))?;
    report(&saved);

    let saved = BarChart::new(
        "Inefficiency of each estimator (variance × cost)",
        Axis::log("variance × cost").with_unit("gradient evaluations"),
    )
    .with_x_label("estimator")
    .bars([
        ("ELBO", 35.0),
        ("IWAE", 1.2e3),
        ("C-ISIR", 8.5e4),
        ("C-ISIR-DISIR", 2.1e4),
    ])
    .save(dir.join("bars"))?;
    report(&saved);
    Ok(())
}

fn report(saved: &ucg_report::SavedFigure) {
    println!("{} {}", saved.png.display(), saved.svg.display());
    for w in &saved.warnings {
        println!("  warning: {w}");
    }
}
