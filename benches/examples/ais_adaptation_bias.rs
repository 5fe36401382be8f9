//! Measures the bias of AIS's estimate of `p(x)` (not `log p(x)`) under each step-size adaptation on a
//! short path, where adaptation matters most: over many seeds, the mean of `p̂(x) / p(x)` must be 1 for an
//! unbiased estimator. PPCA with `D = 2`, `P = 6`, 8 points, 20 annealing steps, 16 chains, an initial
//! step size 10 times too small: `cargo run --release -p ucg-benches --example ais_adaptation_bias [seeds]`.

use ucg_benches::ppca_fixture;
use ucg_models::ppca::PpcaLatentModel;
use ucg_train::eval::{AisSettings, SigmoidSchedule, StepSizeAdaptation, ais};

fn main() {
    let seeds: u64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(2000);
    let (model, encoder, x) = ppca_fixture(2, 6, 8, 3);
    let bound = PpcaLatentModel::new(&model, &encoder, &x).unwrap();
    let points: Vec<usize> = (0..8).collect();
    let exact = bound.exact_log_likelihood();
    for adaptation in [
        StepSizeAdaptation::Fixed,
        StepSizeAdaptation::Pilot { chains: 4 },
        StepSizeAdaptation::Online,
    ] {
        let settings = AisSettings::paper()
            .with_schedule(SigmoidSchedule::new(20, 4.0).unwrap())
            .with_initial_step_size(0.02)
            .unwrap()
            .with_adaptation(adaptation)
            .unwrap();
        // Ratio p̂ / p averaged over points and seeds.
        let ratios: Vec<f64> = (0..seeds)
            .map(|seed| {
                let r = ais(&bound, &points, &settings, seed, None).unwrap();
                r.estimates
                    .values()
                    .iter()
                    .zip(exact)
                    .map(|(v, e)| (v - e).exp())
                    .sum::<f64>()
                    / points.len() as f64
            })
            .collect();
        let n = ratios.len() as f64;
        let mean = ratios.iter().sum::<f64>() / n;
        let se = (ratios.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / (n - 1.0) / n).sqrt();
        println!(
            "{adaptation:?}: mean p̂/p = {mean:.5} ± {se:.5} (z = {:+.2})",
            (mean - 1.0) / se
        );
    }
}
