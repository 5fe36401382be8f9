//! The VAE's speed: one IWAE training step at the paper's size (D = 100, K = 10, batch 100, RMSProp), and
//! in the same run the matrix product it is built from, (1000 × 200)·(200 × 784) in f32, through the
//! chosen GEMM (`ucg_models::gemm`, split across rayon's threads) and the alternatives it was chosen
//! against. Throughputs are in multiply-adds per second: the step's, divided by the GEMM's, is the
//! fraction of the step spent at matrix-product speed.
//!
//! Run with `RAYON_NUM_THREADS=1` or `2` to compare thread counts.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use nalgebra::DMatrix;
use rand::{RngExt, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use std::hint::black_box;
use ucg_models::gemm::{Op, gemm};
use ucg_train::vae::{EstimatorKind, TrainConfig, Trainer};

/// Multiply-adds of one IWAE step at D = 100, K = 10, B = 100: the encoder once per example and the
/// decoder once per particle, forward, times three for forward and backward.
const STEP_MACS: u64 =
    3 * (100 * (784 * 200 + 200 * 200 + 200 * 200) + 1000 * (100 * 200 + 200 * 200 + 200 * 784));

fn bench(c: &mut Criterion) {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
    let (m, n, k) = (784, 1000, 200);
    let w: Vec<f32> = (0..m * k).map(|_| rng.random_range(-0.07..0.07)).collect();
    let a: Vec<f32> = (0..k * n).map(|_| rng.random_range(0.0..1.0)).collect();
    let mut out = vec![0.0f32; m * n];

    let mut g = c.benchmark_group("vae");
    g.throughput(Throughput::Elements((m * n * k) as u64));
    g.bench_function("gemm ucg_models::gemm (1000x200)(200x784) f32", |b| {
        b.iter(|| {
            gemm(
                m,
                n,
                k,
                1.0,
                black_box(&w),
                Op::Identity,
                black_box(&a),
                Op::Identity,
                0.0,
                &mut out,
            )
        })
    });
    let (wm, am) = (
        DMatrix::from_column_slice(m, k, &w),
        DMatrix::from_column_slice(k, n, &a),
    );
    let mut om = DMatrix::<f32>::zeros(m, n);
    g.bench_function("gemm nalgebra one call (1000x200)(200x784) f32", |b| {
        b.iter(|| om.gemm(1.0, black_box(&wm), black_box(&am), 0.0))
    });

    let config = TrainConfig::paper(EstimatorKind::Iwae, 100, 1);
    let mut trainer = Trainer::new(config, 784).unwrap();
    let x: Vec<f32> = (0..784 * 100)
        .map(|i| f32::from(u8::from((i * 7 + i / 784) % 5 < 1)))
        .collect();
    let mut step_rng = Xoshiro256PlusPlus::seed_from_u64(2);
    g.throughput(Throughput::Elements(STEP_MACS));
    g.bench_function("iwae training step D=100 K=10 B=100", |b| {
        b.iter(|| trainer.step(black_box(&x), 100, &mut step_rng).unwrap())
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30);
    targets = bench
}
criterion_main!(benches);
