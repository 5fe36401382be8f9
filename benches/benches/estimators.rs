//! One unbiased batch gradient for PPCA against the IWAE gradient on the same batch, at the settings of
//! the project's speed target (D = 100, P = 784, N = 100, K = 10, L = 10, t0 = 1, ISIR-DISIR with β = 0.9),
//! with 1 and 2 threads, and 20 estimates in one parallel loop (`coupled_gradients`, reported per batch of
//! 20: divide by 20 for the time per estimate), which keeps both threads busy through the meeting-time tail.

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
        c.bench_function(
            &format!("ppca_batch/coupled_isir_disir threads={threads}"),
            |b| {
                b.iter(|| {
                    seed += 1;
                    pool.install(|| {
                        problem
                            .coupled_gradient(black_box(&settings), seed)
                            .unwrap()
                    })
                })
            },
        );
        c.bench_function(
            &format!("ppca_batch/coupled_isir_disir 20 estimates together threads={threads}"),
            |b| {
                b.iter(|| {
                    seed += 20;
                    let seeds: Vec<u64> = (seed..seed + 20).collect();
                    pool.install(|| {
                        problem
                            .coupled_gradients(black_box(&settings), &seeds)
                            .unwrap()
                    })
                })
            },
        );
        c.bench_function(&format!("ppca_batch/iwae threads={threads}"), |b| {
            b.iter(|| {
                seed += 1;
                pool.install(|| problem.iwae_gradient(10, seed).unwrap())
            })
        });
    }
    // One particle-set evaluation as the IWAE gradient does it (K fresh normals and their log-weights),
    // to compare with the estimator's time per evaluated set.
    let target = problem.target(0);
    let mut rng = ucg_estimators::seeding::stream(5, 0);
    c.bench_function("ppca_batch/importance_set K=10 D=100", |b| {
        b.iter(|| {
            ucg_estimators::baselines::importance_set(black_box(target), 10, &mut rng).unwrap()
        })
    });
    c.bench_function("ppca_batch/prepare_problem", |b| {
        b.iter(|| PpcaProblem::new(&model, &encoder, black_box(&x)).unwrap())
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(std::time::Duration::from_secs(5));
    targets = bench
}
criterion_main!(benches);
