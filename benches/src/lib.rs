//! Shared fixtures for the criterion benchmarks in `benches/benches/` (one file per crate's hot paths).
//!
//! The PPCA fixture follows the settings fixed by the project's speed targets, so numbers compare with
//! outside implementations: `D = 100`, `P = 784`, `N = 100`, data with Bernoulli(0.2) pixels, `θ0` entries
//! `N(0, 0.1²)`, `θ1` entries `N(0, 1/P)`, and an encoder with the exact posterior means and 1.2× the exact
//! posterior marginal standard deviations.

use nalgebra::{DMatrix, DVector};
use rand::SeedableRng;
use rand_distr::{Bernoulli, Distribution};
use rand_xoshiro::Xoshiro256PlusPlus;
use ucg_estimators::LagSettings;
use ucg_models::encoder::LinearGaussianEncoder;
use ucg_models::ppca::Ppca;
use ucg_train::ppca::{CoupledKernelKind, CoupledSettings};

/// A model, its benchmark encoder and a `P × N` batch of Bernoulli(0.2) pixels.
pub fn ppca_fixture(
    d: usize,
    p: usize,
    n: usize,
    seed: u64,
) -> (Ppca, LinearGaussianEncoder, DMatrix<f64>) {
    let model = Ppca::random(d, p, 0.1, seed).expect("valid model");
    let encoder = model.posterior_encoder(1.2).expect("valid encoder");
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed ^ 0xDA7A);
    let bern = Bernoulli::new(0.2).expect("valid probability");
    let x = DMatrix::from_fn(p, n, |_, _| f64::from(u8::from(bern.sample(&mut rng))));
    (model, encoder, x)
}

/// The first column of a batch as a vector.
pub fn first_point(x: &DMatrix<f64>) -> DVector<f64> {
    x.column(0).into_owned()
}

/// The coupled estimator at the speed target's settings: ISIR-DISIR with β = 0.9, `K = 10`, `t0 = 1`,
/// `L = 10`, cap 1,000.
pub fn speed_target_settings() -> CoupledSettings {
    CoupledSettings {
        kernel: CoupledKernelKind::IsirDisir { beta: 0.9 },
        k: 10,
        lag: LagSettings::paper(1, 10, 1000).expect("valid lag settings"),
    }
}

/// A rayon pool of `threads` threads, so one benchmark can compare thread counts.
pub fn thread_pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("a thread pool")
}

/// Median wall time over `reps` repetitions of one IWAE step's model work on the VAE `model`: the forward
/// pass of `batch × k` particles (fresh standard-normal noise each time) and the backward pass with
/// coefficients `1/k`, for the images `x` (`P × batch`, column-major).
///
/// # Errors
/// `x` not `P × batch`.
pub fn vae_iwae_step_seconds(
    model: &ucg_models::vae::Vae<f32>,
    x: &[f32],
    batch: usize,
    k: usize,
    reps: usize,
) -> Result<f64, ucg_models::ModelError> {
    use rand_distr::StandardNormal;
    let d = model.shape().latent;
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
    let mut ws = ucg_models::vae::VaeWorkspace::new();
    let mut times = Vec::with_capacity(reps);
    for _ in 0..reps.max(1) {
        let noise: Vec<f32> = (0..d * batch * k)
            .map(|_| StandardNormal.sample(&mut rng))
            .collect();
        let start = std::time::Instant::now();
        let _ = model.particles(x, batch, k, &noise, &mut ws)?;
        let coeffs = vec![1.0 / k as f32; batch * k];
        let mut theta = vec![0.0; model.decoder_params().len()];
        let mut phi = vec![0.0; model.encoder_params().len()];
        model.backward(x, &coeffs, 1.0, &mut theta, &mut phi, &mut ws)?;
        times.push(start.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    Ok(times[times.len() / 2])
}
