//! The PPCA batch gradient computed point by point (`coupled_gradient`) against the batched lagged driver
//! (`coupled_gradient_batched`, all unfinished points advanced together with one batched evaluation per
//! sub-step), at D = 100, P = 784, N = 100, K = 10, L = 10, t0 = 1, ISIR-DISIR with β = 0.9, with 1 and 2
//! threads. Both give bit-identical results for the same seed.

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use ucg_benches::{ppca_fixture, speed_target_settings, thread_pool};
use ucg_train::ppca::PpcaProblem;

fn bench(c: &mut Criterion) {
    let (model, encoder, x) = ppca_fixture(100, 784, 100, 1);
    let problem = PpcaProblem::new(&model, &encoder, &x).unwrap();
    let settings = speed_target_settings();
    for threads in [1usize, 2] {
        let pool = thread_pool(threads);
        let mut seed = 0u64;
        c.bench_function(&format!("batched/per_point threads={threads}"), |b| {
            b.iter(|| {
                seed += 1;
                pool.install(|| {
                    problem
                        .coupled_gradient(black_box(&settings), seed)
                        .unwrap()
                })
            })
        });
        c.bench_function(&format!("batched/batched threads={threads}"), |b| {
            b.iter(|| {
                seed += 1;
                pool.install(|| {
                    problem
                        .coupled_gradient_batched(black_box(&settings), seed)
                        .unwrap()
                })
            })
        });
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(std::time::Duration::from_secs(5));
    targets = bench
}
criterion_main!(benches);
