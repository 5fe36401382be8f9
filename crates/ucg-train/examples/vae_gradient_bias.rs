//! IWAE's θ-gradient bias against the coupled estimator's variance on a trained model, one minibatch
//! (see `ucg_train::vae::gradient_study`), and the size of the first RMSProp step each estimator takes
//! from the checkpoint's optimiser state. Prints a Markdown report.
//!
//! ```text
//! cargo run --release -p ucg-train --example vae_gradient_bias -- CHECKPOINT [LATENT] [HIDDEN] [COUPLED_DRAWS] [BETA]
//! ```
//! `CHECKPOINT` is a training run's `checkpoint.bin` on binarised MNIST (static, seed 1); defaults: D = 20,
//! hidden width 200, 16 coupled draws, β = 0.
use std::time::Instant;
use ucg_estimators::LagSettings;
use ucg_models::vae::VaeShape;
use ucg_train::vae::gradient_study::{
    coupled_gradient, mean_and_total_variance, snis_gradient, squared_distance_of_means,
};
use ucg_train::vae::{Binarization, CoupledKernelKind, checkpoint, load_mnist};

const K: usize = 10;
const BATCH: usize = 100;
const IWAE_DRAWS: u64 = 400;
const REFERENCE_K: usize = 2_000;
const REFERENCE_DRAWS: u64 = 8;
/// PyTorch RMSProp's `α` and `ε` (the training loop's optimiser).
const DECAY: f64 = 0.99;
const EPSILON: f64 = 1e-8;

/// One `error: …` line and status 1 on failure (not the `Debug` form `main` would print).
fn main() {
    if let Err(e) = run() {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let path = args
        .get(1)
        .ok_or("usage: vae_gradient_bias CHECKPOINT [LATENT] [HIDDEN] [COUPLED_DRAWS] [BETA]")?;
    let latent: usize = args.get(2).map_or(Ok(20), |s| s.parse())?;
    let hidden: usize = args.get(3).map_or(Ok(200), |s| s.parse())?;
    let coupled_draws: u64 = args.get(4).map_or(Ok(16), |s| s.parse())?;
    let beta: f64 = args.get(5).map_or(Ok(0.0), |s| s.parse())?;
    let shape = VaeShape::new(784, hidden, latent)?;
    let (model, theta_state, _) =
        checkpoint::parameters_from_bytes(&std::fs::read(path)?, path, shape)?;
    let data = load_mnist(Binarization::Static { seed: 1 }, None, 0)?;
    let x = data.first_minibatch(2021, BATCH, BATCH)?;

    let timed = |f: &mut dyn FnMut(u64) -> Result<Vec<f64>, Box<dyn std::error::Error>>, n: u64| {
        let start = Instant::now();
        let draws = (0..n).map(|s| f(s + 1)).collect::<Result<Vec<_>, _>>();
        draws.map(|d| (d, start.elapsed().as_secs_f64() / n as f64))
    };
    let (iwae, iwae_s) = timed(
        &mut |s| Ok(snis_gradient(&model, &x, BATCH, K, s)?),
        IWAE_DRAWS,
    )?;
    let (reference, ref_s) = timed(
        &mut |s| {
            Ok(snis_gradient(
                &model,
                &x,
                BATCH,
                REFERENCE_K,
                1_000_000 + s,
            )?)
        },
        REFERENCE_DRAWS,
    )?;
    let lag = LagSettings::paper(1, 10, 1000)?;
    let (mut evaluations, mut capped, mut taus) = (0u64, 0usize, Vec::new());
    let (coupled, coupled_s) = timed(
        &mut |s| {
            let g = coupled_gradient(
                &model,
                &x,
                BATCH,
                CoupledKernelKind::IsirDisir,
                K,
                beta,
                &lag,
                s,
            )?;
            evaluations += g.evaluations;
            capped += g.capped;
            taus.extend(g.meeting_times);
            Ok(g.gradient)
        },
        coupled_draws,
    )?;

    let (reference_mean, reference_var) = mean_and_total_variance(&reference)?;
    let (_, iwae_var) = mean_and_total_variance(&iwae)?;
    let (_, coupled_var) = mean_and_total_variance(&coupled)?;
    let (iwae_bias, iwae_bias_se) = squared_distance_of_means(&iwae, &reference)?;
    let (coupled_bias, coupled_bias_se) = squared_distance_of_means(&coupled, &reference)?;
    let signal: f64 =
        reference_mean.iter().map(|g| g * g).sum::<f64>() - reference_var / REFERENCE_DRAWS as f64;
    let break_even = (coupled_var - iwae_var) / iwae_bias;
    // First RMSProp step from the checkpoint's state, on the loss −(mean over the batch): v' = ρv + (1−ρ)g²,
    // Δθ/η = g/(√v' + ε); RMS over θ, averaged over draws.
    let v = theta_state
        .buffers
        .first()
        .ok_or("the checkpoint has no RMSProp state for θ")?;
    let step_rms = |draws: &[Vec<f64>]| {
        draws
            .iter()
            .map(|g| {
                let ss: f64 = g
                    .iter()
                    .zip(v)
                    .map(|(&g, &v)| {
                        let g = g / BATCH as f64;
                        let v = DECAY * v + (1.0 - DECAY) * g * g;
                        (g / (v.sqrt() + EPSILON)).powi(2)
                    })
                    .sum();
                (ss / g.len() as f64).sqrt()
            })
            .sum::<f64>()
            / draws.len() as f64
    };
    let mut sorted = taus.clone();
    sorted.sort_unstable();
    let pairs = coupled_draws as usize * BATCH;
    println!("# θ-gradient of IWAE-{K} against C-ISIR-DISIR (β = {beta}) on one minibatch\n");
    println!(
        "Model `{path}` (D = {latent}), first minibatch of epoch 1 (seed 2021), B = {BATCH}. Reference: SNIS with K = {REFERENCE_K}, {REFERENCE_DRAWS} draws. Gradients are sums over the minibatch of ∇θ log p(x_b).\n"
    );
    println!("| quantity | value |\n|:--|--:|");
    println!("| ‖∇θ log p‖² (reference, noise floor removed) | {signal:.4e} |");
    println!("| IWAE-{K}: bias² ‖E g − ∇‖² | {iwae_bias:.4e} ± {iwae_bias_se:.1e} |");
    println!(
        "| C-ISIR-DISIR: ‖E g − ∇‖² (0 if unbiased, up to the reference's own bias) | {coupled_bias:.4e} ± {coupled_bias_se:.1e} |"
    );
    println!("| IWAE-{K}: tr Var per draw ({IWAE_DRAWS} draws) | {iwae_var:.4e} |");
    println!("| C-ISIR-DISIR: tr Var per draw ({coupled_draws} draws) | {coupled_var:.4e} |");
    println!("| reference: tr Var per draw | {reference_var:.4e} |");
    println!(
        "| **break-even steps** n* = (tr Var_coupled − tr Var_IWAE) / bias²_IWAE | **{break_even:.0}** |"
    );
    println!(
        "| first RMSProp step from the checkpoint, RMS of Δθ/η: IWAE-{K} | {:.3} |",
        step_rms(&iwae)
    );
    println!("| same, C-ISIR-DISIR | {:.3} |", step_rms(&coupled));
    println!(
        "| seconds per draw: IWAE-{K} / reference / C-ISIR-DISIR | {iwae_s:.3} / {ref_s:.2} / {coupled_s:.1} |"
    );
    println!(
        "| C-ISIR-DISIR: particle evaluations per draw | {:.0} |",
        evaluations as f64 / coupled_draws as f64
    );
    println!("| C-ISIR-DISIR: pairs capped at 1,000 | {capped} of {pairs} |");
    if !sorted.is_empty() {
        println!(
            "| C-ISIR-DISIR: τ mean / median / 99% | {:.1} / {} / {} |",
            sorted.iter().sum::<usize>() as f64 / sorted.len() as f64,
            sorted[sorted.len() / 2],
            sorted[(sorted.len() * 99 / 100).min(sorted.len() - 1)]
        );
    }
    Ok(())
}
