//! One C-ISIR-DISIR θ-gradient step against one IWAE training step, at D = 20 and D = 100 (K = 10,
//! batch 100, t0 = 1, L = 10, cap 1000, β = 0.9 and β = 0 fixed), in one criterion run.
//!
//! Each model is first trained by IWAE for two epochs on the first 2,000 statically binarised MNIST
//! training images (seconds; MNIST is fetched on first use), and both steps run on the first 100 of them.
//! The coupled step uses a fixed seed, so every iteration does the same work: the setup prints its
//! particle evaluations and backward columns, and the meeting times of its pairs.
//!
//! Throughputs are decoder multiply-adds per second: a forward pass per particle evaluation and a backward
//! pass (twice a forward) per collected term for the coupled step; forward and backward of `100 × 10`
//! particles for the IWAE step (whose encoder work, about a tenth of the step, is not counted). The ratio
//! of the two throughputs is the fraction of the IWAE step's decoder speed that the coupled step keeps as
//! its chains meet and the batch shrinks.
//!
//! `cargo bench -p ucg-benches --bench vae_coupled`

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use std::hint::black_box;
use ucg_couplings::isir::IsirSchedule;
use ucg_estimators::LagSettings;
use ucg_models::vae::{VaeBatchTarget, VaeWorkspace};
use ucg_train::vae::coupled::{coupled_terms, decoder_gradient_of_terms};
use ucg_train::vae::{
    Binarization, CoupledConfig, EstimatorKind, TrainConfig, Trainer, load_mnist,
};

const K: usize = 10;
const BATCH: usize = 100;
const HIDDEN: usize = 200;

/// Multiply-adds of one decoder forward pass for one particle.
fn decoder_macs(latent: usize, data_dim: usize) -> u64 {
    (latent * HIDDEN + HIDDEN * HIDDEN + HIDDEN * data_dim) as u64
}

fn bench(c: &mut Criterion) {
    let data = load_mnist(Binarization::Static { seed: 1 }, Some(2000), BATCH)
        .expect("MNIST (fetched into the data folder on first use)");
    let p = data.dim();
    let mut x = Vec::new();
    let indices: Vec<usize> = (0..BATCH).collect();
    data.fill_batch(&indices, &mut Xoshiro256PlusPlus::seed_from_u64(0), &mut x)
        .unwrap();
    let mut g = c.benchmark_group("vae_coupled");
    g.sample_size(10);
    for latent in [20, 100] {
        let mut config = TrainConfig::paper(EstimatorKind::Iwae, latent, 2);
        config.test_points = BATCH;
        let mut trainer = Trainer::new(config, p).unwrap();
        for _ in 0..2 {
            trainer.train_epoch(&data, &mut |_, _| {}).unwrap();
        }
        let model = trainer.model().clone();
        let dec = decoder_macs(latent, p);

        let mut rng = Xoshiro256PlusPlus::seed_from_u64(2);
        g.throughput(Throughput::Elements(3 * (BATCH * K) as u64 * dec));
        g.bench_function(format!("iwae step D={latent}"), |b| {
            b.iter(|| trainer.step(black_box(&x), BATCH, &mut rng).unwrap())
        });

        for beta in [0.9, 0.0] {
            let schedule = IsirSchedule::isir_disir(K, beta).unwrap();
            let lag = LagSettings::paper(1, 10, 1000).unwrap();
            let chunk = CoupledConfig::default().chunk;
            let step = |ws: &mut VaeWorkspace<f32>, grad: &mut Vec<f32>| {
                let target = VaeBatchTarget::new(&model, &x, BATCH).unwrap();
                let outcomes = coupled_terms(&target, &schedule, &lag, 2021).unwrap();
                let terms: Vec<_> = outcomes.iter().map(|(t, _, _)| t.clone()).collect();
                grad.iter_mut().for_each(|v| *v = 0.0);
                decoder_gradient_of_terms(&target, &terms, chunk, grad, ws).unwrap();
                outcomes
            };
            let mut ws = VaeWorkspace::new();
            let mut grad = vec![0.0f32; model.decoder_params().len()];
            let outcomes = step(&mut ws, &mut grad);
            let evaluations: u64 = outcomes.iter().map(|(_, _, e)| e).sum();
            let columns: usize = outcomes.iter().map(|(t, _, _)| t.len()).sum();
            let mut taus: Vec<usize> = outcomes
                .iter()
                .map(|(_, r, _)| r.meeting_time.unwrap_or(r.iterations))
                .collect();
            taus.sort_unstable();
            let capped = outcomes.iter().filter(|(_, r, _)| r.capped).count();
            println!(
                "D = {latent}, β = {beta}: coupled step evaluates {evaluations} particles ({:.1}× an IWAE step's {}), \
             backward over {columns} terms; τ median {}, mean {:.1}, max {}, capped {capped} of {BATCH}",
                evaluations as f64 / (BATCH * K) as f64,
                BATCH * K,
                taus[taus.len() / 2],
                taus.iter().sum::<usize>() as f64 / taus.len() as f64,
                taus[taus.len() - 1],
            );
            g.throughput(Throughput::Elements(
                (evaluations + 2 * columns as u64) * dec,
            ));
            g.bench_function(
                format!("coupled isir-disir theta-gradient D={latent} beta={beta}"),
                |b| b.iter(|| step(&mut ws, &mut grad)),
            );
        }
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
