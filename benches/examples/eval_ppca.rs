//! AIS and the IWAE-5000 bound against PPCA's exact log-likelihood at a larger size than the tests
//! (`D = 10`, `P = 100`, 50 points, the paper's AIS settings unless a number of annealing steps is given):
//! `cargo run --release -p ucg-benches --example eval_ppca [steps]`.

use std::time::Instant;
use ucg_benches::ppca_fixture;
use ucg_models::ppca::PpcaLatentModel;
use ucg_train::eval::{AisSettings, AisStart, IwaeSettings, SigmoidSchedule, ais, iwae_bound};

fn main() {
    let steps: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000);
    let (model, encoder, x) = ppca_fixture(10, 100, 50, 7);
    let bound = PpcaLatentModel::new(&model, &encoder, &x).unwrap();
    let points: Vec<usize> = (0..50).collect();
    let exact = bound.exact_log_likelihood();
    let exact_mean = exact.iter().sum::<f64>() / exact.len() as f64;
    println!("exact mean log p(x): {exact_mean:.5}");

    let t = Instant::now();
    let iwae = iwae_bound(&bound, &points, &IwaeSettings::default(), 1, None).unwrap();
    println!(
        "IWAE-5000: mean {:.5} (gap {:+.5}), {:.2} s",
        iwae.mean(),
        iwae.mean() - exact_mean,
        t.elapsed().as_secs_f64()
    );

    for start in [AisStart::Encoder, AisStart::Prior] {
        let settings = AisSettings::paper()
            .with_schedule(SigmoidSchedule::new(steps, 4.0).unwrap())
            .with_start(start);
        let t = Instant::now();
        let result = ais(&bound, &points, &settings, 1, None).unwrap();
        let elapsed = t.elapsed().as_secs_f64();
        let values = result.estimates.values();
        let worst_z = values
            .iter()
            .zip(exact)
            .zip(&result.diagnostics)
            .map(|((v, e), d)| (v - e).abs() / d.monte_carlo_error.unwrap())
            .fold(0.0, f64::max);
        let max_error = values
            .iter()
            .zip(exact)
            .map(|(v, e)| (v - e).abs())
            .fold(0.0, f64::max);
        let mc: Vec<f64> = result
            .diagnostics
            .iter()
            .map(|d| d.monte_carlo_error.unwrap())
            .collect();
        let acceptance = result
            .diagnostics
            .iter()
            .map(|d| d.mean_acceptance.unwrap_or(0.0))
            .sum::<f64>()
            / points.len() as f64;
        println!(
            "AIS from {start:?}, {steps} steps: mean {:.5} (gap {:+.5}), max |error| {max_error:.4}, \
             worst |error| / MC error {worst_z:.2}, MC error median {:.4} max {:.4}, acceptance {acceptance:.3}, {elapsed:.1} s",
            result.estimates.mean(),
            result.estimates.mean() - exact_mean,
            median(&mc),
            mc.iter().copied().fold(0.0, f64::max),
        );
    }
}

fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    s[s.len() / 2]
}
