//! Meeting times of C-ISIR-DISIR on a VAE, and the cost of one coupled θ-gradient against one IWAE step.
//!
//! `cargo run --release -p ucg-benches --example vae_meeting_times -- [MODEL.bin | EPOCHS]`
//!
//! With a parameter file (`ucg_models::vae::file`), uses that model; otherwise trains `EPOCHS` (default 2)
//! IWAE epochs (D = 20, K = 10) on the first 2,000 MNIST training images. Then, on one minibatch of the
//! first 100 test images, runs the lagged coupled chains (K = 10, t0 = 1, L = 10, cap 1000) at
//! β ∈ {0, 0.5, 0.8, 0.9, 0.95} (β = 0: C-ISIR) and prints the meeting-time distribution of the pairs
//! that met (mean, median, 90 % and 99 % quantiles), the capped fraction, the particle evaluations and
//! backward columns, and the wall time against one IWAE step (forward and backward of 100 × 10 particles).

use std::time::Instant;
use ucg_benches::vae_iwae_step_seconds;
use ucg_couplings::isir::IsirSchedule;
use ucg_estimators::LagSettings;
use ucg_estimators::summary::quantile;
use ucg_models::vae::{Vae, VaeBatchTarget, VaeWorkspace};
use ucg_train::vae::coupled::{CoupledConfig, coupled_terms, decoder_gradient_of_terms};
use ucg_train::vae::{Binarization, EstimatorKind, TrainConfig, Trainer, load_mnist};

const K: usize = 10;
const BATCH: usize = 100;

/// One `error: …` line and status 1 on failure (not the `Debug` form `main` would print).
fn main() {
    if let Err(e) = run() {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let arg = std::env::args().nth(1);
    let binarization = Binarization::Static { seed: 1 };
    let data = load_mnist(binarization, Some(2000), BATCH)?;
    let model: Vae<f32> = match arg.as_deref().map(|a| (a, a.parse::<usize>())) {
        Some((path, Err(_))) => {
            println!("model: {path}");
            ucg_models::vae::file::load(std::path::Path::new(path))?
        }
        Some((_, Ok(epochs))) => train(&data, epochs)?,
        None => train(&data, 2)?,
    };
    let p = model.shape().data_dim;
    let x = &data.test()[..p * BATCH];

    let iwae_seconds = vae_iwae_step_seconds(&model, x, BATCH, K, 5)?;
    println!(
        "one IWAE step (forward + backward, {BATCH} × {K} particles): {:.4} s, {} particle evaluations",
        iwae_seconds,
        BATCH * K
    );
    let lag = LagSettings::paper(1, 10, 1000)?;
    println!(
        "{:>5} {:>8} {:>7} {:>7} {:>7} {:>7} {:>11} {:>9} {:>8} {:>9}",
        "beta",
        "mean",
        "median",
        "q90",
        "q99",
        "capped",
        "evaluations",
        "backward",
        "seconds",
        "x IWAE"
    );
    for beta in [0.0, 0.5, 0.8, 0.9, 0.95] {
        let schedule = if beta == 0.0 {
            IsirSchedule::isir(K)?
        } else {
            IsirSchedule::isir_disir(K, beta)?
        };
        let start = Instant::now();
        let target = VaeBatchTarget::new(&model, x, BATCH)?;
        let outcomes = coupled_terms(&target, &schedule, &lag, 2021)?;
        let mut grad = vec![0.0f32; model.decoder_params().len()];
        let (mut terms, mut taus, mut capped, mut evaluations) = (Vec::new(), Vec::new(), 0, 0);
        for (t, run, e) in outcomes {
            match run.meeting_time {
                Some(tau) if !run.capped => taus.push(tau as f64),
                _ => capped += 1,
            }
            evaluations += e;
            terms.push(t);
        }
        let columns: usize = terms.iter().map(|t| t.len()).sum();
        decoder_gradient_of_terms(
            &target,
            &terms,
            CoupledConfig::default().chunk,
            &mut grad,
            &mut VaeWorkspace::new(),
        )?;
        let seconds = start.elapsed().as_secs_f64();
        let (mean, median, q90, q99) = if taus.is_empty() {
            (f64::NAN, f64::NAN, f64::NAN, f64::NAN)
        } else {
            (
                taus.iter().sum::<f64>() / taus.len() as f64,
                quantile(&taus, 0.5)?,
                quantile(&taus, 0.9)?,
                quantile(&taus, 0.99)?,
            )
        };
        println!(
            "{beta:>5} {mean:>8.2} {median:>7.1} {q90:>7.1} {q99:>7.1} {:>7.2} {evaluations:>11} {columns:>9} {seconds:>8.3} {:>9.1}",
            capped as f64 / BATCH as f64,
            seconds / iwae_seconds
        );
    }
    Ok(())
}

/// `epochs` IWAE epochs (D = 20, K = 10, paper's optimiser) on the loaded training images.
fn train(data: &ucg_train::vae::VaeData, epochs: usize) -> Result<Vae<f32>, ucg_train::TrainError> {
    let mut config = TrainConfig::paper(EstimatorKind::Iwae, 20, epochs);
    config.test_points = BATCH;
    let mut trainer = Trainer::new(config, data.dim())?;
    for _ in 0..epochs {
        let r = trainer.train_epoch(data, &mut |_, _| {})?;
        println!(
            "IWAE epoch {}: train bound {:.2}, test bound {:.2}, {:.1} s",
            r.epoch, r.train_bound, r.test_bound, r.seconds
        );
    }
    Ok(trainer.model().clone())
}
