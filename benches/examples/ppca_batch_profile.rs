//! Prints the meeting-time distribution, the particle-set evaluations and the wall time of the unbiased
//! PPCA batch gradient at the benchmark settings: `cargo run --release -p ucg-benches --example ppca_batch_profile`.

use std::time::Instant;
use ucg_benches::ppca_fixture;
use ucg_estimators::LagSettings;
use ucg_estimators::summary::MeetingSummary;
use ucg_train::ppca::{CoupledKernelKind, CoupledSettings, PpcaProblem};

fn main() {
    let beta: f64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0.9);
    let (model, encoder, x) = ppca_fixture(100, 784, 100, 1);
    let problem = PpcaProblem::new(&model, &encoder, &x).unwrap();
    let settings = CoupledSettings {
        kernel: CoupledKernelKind::IsirDisir { beta },
        k: 10,
        lag: LagSettings::paper(1, 10, 1000).unwrap(),
    };
    let (mut taus, mut sets, mut times, mut iwae_times) = (Vec::new(), 0, Vec::new(), Vec::new());
    let reps = 20;
    for r in 0..reps {
        let t = Instant::now();
        let g = problem.coupled_gradient(&settings, r).unwrap();
        times.push(t.elapsed().as_secs_f64());
        let t = Instant::now();
        let _ = problem.iwae_gradient(10, r).unwrap();
        iwae_times.push(t.elapsed().as_secs_f64());
        sets += g.particle_sets;
        taus.extend(
            g.runs
                .iter()
                .map(|r| r.meeting_time.unwrap_or(r.iterations)),
        );
    }
    times.sort_by(f64::total_cmp);
    iwae_times.sort_by(f64::total_cmp);
    let s = MeetingSummary::new(&taus, 0).unwrap();
    println!(
        "beta = {beta}: meeting time mean {:.1}, median {}, q90 {}, q99 {}, max {}",
        s.mean, s.median, s.q90, s.q99, s.max
    );
    println!("particle sets per batch estimate: {}", sets / reps as usize);
    println!(
        "median wall time: coupled {:.4} s, IWAE {:.4} s",
        times[times.len() / 2],
        iwae_times[iwae_times.len() / 2]
    );
}
