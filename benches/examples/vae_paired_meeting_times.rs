//! Meeting times and step times of C-ISIR-DISIR on given images and parameters, for a paired comparison
//! with another implementation run on exactly the same inputs.
//!
//! ```text
//! cargo run --release -p ucg-benches --example vae_paired_meeting_times -- \
//!     PARAMS.npz IMAGES.f32 BETA SEEDS CAP OUT.json [FIRST_SEED]
//! ```
//!
//! `IMAGES.f32` holds `N` binary images as little-endian `f32`, 784 values per image, image after image
//! (a NumPy `(N, 784)` C-order array written with `tofile`). For each seed `FIRST_SEED..FIRST_SEED + SEEDS`
//! (default from 0) it runs one θ-gradient step on all `N` images (the lagged coupled chains, K = 10,
//! t0 = 1, L = 10, the given cap, β fixed, β = 0 making both sub-steps ISIR; then the weighted backward
//! pass over the collected terms, the training default's chunk at a time) and writes every pair's meeting time (`null` for a
//! capped pair) to `OUT.json` as `{"beta", "cap", "rows": [{"seed", "tau": [...], "seconds",
//! "chain_seconds"}]}`, `seconds` covering the whole step (encoder pass, chains, gradient).

use std::time::Instant;
use ucg_couplings::isir::IsirSchedule;
use ucg_estimators::LagSettings;
use ucg_models::vae::{VaeBatchTarget, VaeWorkspace};
use ucg_train::vae::coupled::{CoupledConfig, coupled_terms, decoder_gradient_of_terms};
use ucg_train::vae::npz::load_npz;

const K: usize = 10;

/// One `error: …` line and status 1 on failure (not the `Debug` form `main` would print).
fn main() {
    if let Err(e) = run() {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (first_seed, args) = match args.as_slice() {
        [rest @ .., first] if rest.len() == 6 => (first.parse::<u64>()?, rest),
        rest => (0, rest),
    };
    let [params, images, beta, seeds, cap, out] = args else {
        return Err(
            "usage: vae_paired_meeting_times PARAMS.npz IMAGES.f32 BETA SEEDS CAP OUT.json \
             [FIRST_SEED]"
                .into(),
        );
    };
    let (beta, seeds, cap): (f64, u64, usize) = (beta.parse()?, seeds.parse()?, cap.parse()?);
    let model = load_npz(std::path::Path::new(params))?;
    let p = model.shape().data_dim;
    let bytes = std::fs::read(images)?;
    if bytes.len() % (4 * p) != 0 {
        return Err(format!("{images}: not a whole number of {p}-pixel f32 images").into());
    }
    let x: Vec<f32> = bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    let batch = x.len() / p;
    let schedule = IsirSchedule::isir_disir(K, beta)?;
    let lag = LagSettings::paper(1, 10, cap)?;
    let mut rows = Vec::new();
    let mut grad = vec![0.0f32; model.decoder_params().len()];
    let mut workspace = VaeWorkspace::new();
    for seed in first_seed..first_seed + seeds {
        let start = Instant::now();
        let target = VaeBatchTarget::new(&model, &x, batch)?;
        let outcomes = coupled_terms(&target, &schedule, &lag, 1000 + seed)?;
        let chain_seconds = start.elapsed().as_secs_f64();
        let terms: Vec<_> = outcomes.iter().map(|(t, _, _)| t.clone()).collect();
        grad.iter_mut().for_each(|g| *g = 0.0);
        decoder_gradient_of_terms(
            &target,
            &terms,
            CoupledConfig::default().chunk,
            &mut grad,
            &mut workspace,
        )?;
        let seconds = start.elapsed().as_secs_f64();
        let tau: Vec<Option<usize>> = outcomes
            .iter()
            .map(|(_, run, _)| run.meeting_time.filter(|_| !run.capped))
            .collect();
        let capped = tau.iter().filter(|t| t.is_none()).count();
        println!(
            "seed {seed}: {seconds:.1} s (chains {chain_seconds:.1} s), capped {capped} of {batch}"
        );
        let tau: Vec<String> = tau
            .iter()
            .map(|t| t.map_or("null".to_string(), |v| v.to_string()))
            .collect();
        rows.push(format!(
            r#"{{"seed": {seed}, "tau": [{}], "seconds": {seconds}, "chain_seconds": {chain_seconds}}}"#,
            tau.join(", ")
        ));
        let doc = format!(
            r#"{{"beta": {beta}, "cap": {cap}, "rows": [{}]}}"#,
            rows.join(", ")
        );
        std::fs::write(out, doc)?;
    }
    Ok(())
}
