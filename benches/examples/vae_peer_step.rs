//! One C-ISIR-DISIR θ-gradient step on parameters trained elsewhere, for a side-by-side timing against
//! another implementation with the same parameters, β, K, L and batch size.
//!
//! ```text
//! cargo run --release -p ucg-benches --example vae_peer_step -- PARAMS.npz [BETA] [REPS] [CHUNK]
//! ```
//!
//! Loads the parameters from a NumPy `.npz` archive ([`ucg_train::vae::npz`]), then for `REPS` (default 3)
//! minibatches of 100 statically binarised MNIST training images drawn without replacement runs the lagged
//! coupled chains of every point (K = 10, t0 = 1, L = 10, cap 1000, β fixed, default 0.9), each pair
//! stopping as soon as it has met and passed m, and turns the collected terms into the decoder's
//! θ-gradient, `CHUNK` columns per weighted backward pass (default: the training default). A step's
//! time covers the encoder's forward pass, the chains and the gradient, and not the encoder's IWAE
//! gradient or an optimiser update. Prints each step's seconds (split into the chains and the weighted
//! backward pass over the collected terms), the meeting times of the pairs that met (mean, median, 99 %
//! quantile, max), the capped pairs, the particle evaluations, and the median time of an IWAE step
//! (forward and backward of 100 × 10 particles) on the same parameters. Each step also prints digests of
//! its chains (runs, evaluations, terms, ESS) and of its gradient, to check that two builds run the same
//! chains bit for bit.

use rand::SeedableRng;
use rand::seq::index::sample;

use rand_xoshiro::Xoshiro256PlusPlus;
use std::time::Instant;
use ucg_benches::vae_iwae_step_seconds;
use ucg_couplings::isir::IsirSchedule;
use ucg_estimators::summary::quantile;
use ucg_estimators::{LagSettings, LaggedRun};
use ucg_models::vae::{VaeBatchTarget, VaeWorkspace};
use ucg_train::vae::coupled::{
    CoupledConfig, PointTerms, coupled_terms, decoder_gradient_of_terms,
};
use ucg_train::vae::npz::load_npz;
use ucg_train::vae::{Binarization, load_mnist};

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
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(path) = args.first() else {
        return Err("usage: vae_peer_step PARAMS.npz [BETA] [REPS] [CHUNK]".into());
    };
    let beta: f64 = args
        .get(1)
        .map_or(Ok(0.9), |s| s.parse())
        .map_err(|_| format!("BETA must be a number in [0, 1), got {:?}", args[1]))?;
    let reps: usize = args
        .get(2)
        .map_or(Ok(3), |s| s.parse())
        .map_err(|_| format!("REPS must be a whole number, got {:?}", args[2]))?;
    if reps == 0 {
        return Err("REPS must be at least 1 (the steps to time)".into());
    }
    let chunk: usize = args
        .get(3)
        .map_or(Ok(CoupledConfig::default().chunk), |s| s.parse())
        .map_err(|_| format!("CHUNK must be a whole number, got {:?}", args[3]))?;
    let model = load_npz(std::path::Path::new(path))?;
    let data = load_mnist(Binarization::Static { seed: 1 }, None, 0)?;
    let p = model.shape().data_dim;
    println!(
        "params {path}: D = {}, β = {beta}, K = {K}, batch {BATCH}, {} training images",
        model.shape().latent,
        data.len()
    );
    let schedule = IsirSchedule::isir_disir(K, beta)?;
    let lag = LagSettings::paper(1, 10, 1000)?;
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(2026);
    let (mut times, mut taus, mut capped, mut evaluations) = (Vec::new(), Vec::new(), 0, 0u64);
    let mut x = Vec::new();
    let mut x_first = Vec::new();
    for rep in 0..reps {
        let indices = sample(&mut rng, data.len(), BATCH).into_vec();
        data.fill_batch(&indices, &mut rng, &mut x)?;
        if rep == 0 {
            x_first.clone_from(&x);
        }
        let start = Instant::now();
        let target = VaeBatchTarget::new(&model, &x, BATCH)?;
        let outcomes = coupled_terms(&target, &schedule, &lag, 2021 + rep as u64)?;
        let chains_seconds = start.elapsed().as_secs_f64();
        let fingerprint = chains_fingerprint(&outcomes);
        let mut terms = Vec::with_capacity(outcomes.len());
        let (mut step_capped, mut step_max) = (0, 0);
        for (t, run, e) in outcomes {
            match run.meeting_time {
                Some(tau) if !run.capped => {
                    taus.push(tau as f64);
                    step_max = step_max.max(tau);
                }
                _ => step_capped += 1,
            }
            evaluations += e;
            terms.push(t);
        }
        let mut grad = vec![0.0f32; model.decoder_params().len()];
        let step_terms: usize = terms.iter().map(|t| t.len()).sum();
        decoder_gradient_of_terms(&target, &terms, chunk, &mut grad, &mut VaeWorkspace::new())?;
        let seconds = start.elapsed().as_secs_f64();
        let norm = grad
            .iter()
            .map(|g| f64::from(*g).powi(2))
            .sum::<f64>()
            .sqrt();
        println!(
            "step {rep}: {seconds:.3} s (chains {chains_seconds:.3} s, gradient of {step_terms} terms {:.3} s), capped {step_capped}, slowest met pair τ = {step_max}, |∇θ| = {norm:.1}",
            seconds - chains_seconds
        );
        println!(
            "  chains' fingerprint {fingerprint:016x}, gradient's {:016x}",
            {
                let mut h = Fnv::default();
                grad.iter().for_each(|g| h.add(u64::from(g.to_bits())));
                h.0
            }
        );
        times.push(seconds);
        capped += step_capped;
    }
    times.sort_by(f64::total_cmp);
    let iwae = vae_iwae_step_seconds(&model, &x_first[..p * BATCH], BATCH, K, 11)?;
    let points = reps * BATCH;
    println!(
        "coupled step: median {:.3} s (min {:.3}, max {:.3}) over {reps} minibatches",
        times[times.len() / 2],
        times[0],
        times[times.len() - 1]
    );
    if !taus.is_empty() {
        println!(
            "τ over {} met pairs: mean {:.1}, median {:.0}, q99 {:.1}, max {:.0}; capped {capped} of {points}",
            taus.len(),
            taus.iter().sum::<f64>() / taus.len() as f64,
            quantile(&taus, 0.5)?,
            quantile(&taus, 0.99)?,
            taus.iter().copied().fold(0.0, f64::max)
        );
    }
    println!(
        "particle evaluations per step: {:.0} (an IWAE step: {})",
        evaluations as f64 / reps as f64,
        BATCH * K
    );
    println!(
        "IWAE step (forward + backward, same parameters): median {:.4} s; coupled / IWAE = {:.0}",
        iwae,
        times[times.len() / 2] / iwae
    );
    Ok(())
}

/// FNV-1a over 64-bit words: a digest to compare two builds' chains or gradients bit for bit.
#[derive(Debug)]
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv {
    fn add(&mut self, word: u64) {
        for byte in word.to_le_bytes() {
            self.0 = (self.0 ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

/// Digest of every point's run, evaluations, terms (particles and coefficients) and ESS trace.
fn chains_fingerprint(outcomes: &[(PointTerms, LaggedRun, u64)]) -> u64 {
    let mut h = Fnv::default();
    for (t, run, evaluations) in outcomes {
        h.add(run.meeting_time.map_or(u64::MAX, |m| m as u64));
        h.add(run.iterations as u64);
        h.add(u64::from(run.capped));
        h.add(*evaluations);
        for v in t.noise.iter().chain(&t.coefficients).chain(&t.ess) {
            h.add(v.to_bits());
        }
    }
    h.0
}
