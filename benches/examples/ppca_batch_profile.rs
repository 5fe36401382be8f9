//! Prints the meeting-time distribution, the particle-set evaluations and the wall time of the unbiased
//! PPCA batch gradient at the benchmark settings (D = 100, P = 784, N = 100, K = 10, L = 10, t0 = 1):
//!
//! ```text
//! cargo run --release -p ucg-benches --example ppca_batch_profile -- [BETA] [MODE]
//! ```
//!
//! `BETA` is DISIR's correlation (default 0.9). `MODE` chooses how the 20 estimates run:
//! - `one-by-one`: one estimate at a time, the points of each in parallel (latency of one estimate);
//! - `together`: all 20 estimates in one parallel loop over (estimate, point) pairs
//!   ([`ucg_train::ppca::PpcaProblem::coupled_gradients`]), so that no core idles while the slowest pair
//!   of an estimate finishes (throughput);
//! - `both` (default): each of the above, and the IWAE gradient for scale.
//!
//! For a side-by-side timing against another implementation, time the whole process with one mode.

use std::time::Instant;
use ucg_benches::ppca_fixture;
use ucg_estimators::LagSettings;
use ucg_estimators::summary::MeetingSummary;
use ucg_train::ppca::{BatchGradient, CoupledKernelKind, CoupledSettings, PpcaProblem};

const ESTIMATES: u64 = 20;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let beta: f64 = args.first().and_then(|s| s.parse().ok()).unwrap_or(0.9);
    let mode = args.get(1).map_or("both", String::as_str);
    if !matches!(mode, "one-by-one" | "together" | "both") {
        eprintln!("MODE must be one-by-one, together or both, not {mode:?}");
        std::process::exit(2);
    }
    let (model, encoder, x) = ppca_fixture(100, 784, 100, 1);
    let problem = PpcaProblem::new(&model, &encoder, &x).unwrap();
    let settings = CoupledSettings {
        kernel: CoupledKernelKind::IsirDisir { beta },
        k: 10,
        lag: LagSettings::paper(1, 10, 1000).unwrap(),
    };
    let seeds: Vec<u64> = (0..ESTIMATES).collect();
    if mode != "together" {
        let (mut times, mut iwae_times, mut estimates) = (Vec::new(), Vec::new(), Vec::new());
        for &seed in &seeds {
            let t = Instant::now();
            estimates.push(problem.coupled_gradient(&settings, seed).unwrap());
            times.push(t.elapsed().as_secs_f64());
            if mode == "both" {
                let t = Instant::now();
                let _ = problem.iwae_gradient(10, seed).unwrap();
                iwae_times.push(t.elapsed().as_secs_f64());
            }
        }
        describe(beta, &estimates);
        times.sort_by(f64::total_cmp);
        println!(
            "one-by-one: median {:.4} s per estimate, total {:.3} s",
            times[times.len() / 2],
            times.iter().sum::<f64>()
        );
        if !iwae_times.is_empty() {
            iwae_times.sort_by(f64::total_cmp);
            println!(
                "IWAE (K = 10): median {:.4} s",
                iwae_times[iwae_times.len() / 2]
            );
        }
    }
    if mode != "one-by-one" {
        let t = Instant::now();
        let estimates = problem.coupled_gradients(&settings, &seeds).unwrap();
        let total = t.elapsed().as_secs_f64();
        if mode == "together" {
            describe(beta, &estimates);
        }
        println!(
            "together: {:.4} s per estimate, total {total:.3} s",
            total / ESTIMATES as f64
        );
    }
}

fn describe(beta: f64, estimates: &[BatchGradient]) {
    let taus: Vec<usize> = estimates
        .iter()
        .flat_map(|g| {
            g.runs
                .iter()
                .map(|r| r.meeting_time.unwrap_or(r.iterations))
        })
        .collect();
    let capped = estimates
        .iter()
        .flat_map(|g| &g.runs)
        .filter(|r| r.capped)
        .count();
    let s = MeetingSummary::new(&taus, 0).unwrap();
    println!(
        "beta = {beta}: meeting time mean {:.1}, median {}, q90 {}, q99 {}, max {}, capped {capped} of {}",
        s.mean,
        s.median,
        s.q90,
        s.q99,
        s.max,
        taus.len()
    );
    let sets: usize = estimates.iter().map(|g| g.particle_sets).sum();
    println!(
        "particle sets per batch estimate: {}",
        sets / estimates.len()
    );
}
