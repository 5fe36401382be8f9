//! PPCA's hot paths: the exact batch gradient, log-weights of K particles, and gradient accumulation.

use criterion::{Criterion, criterion_group, criterion_main};
use nalgebra::DMatrix;
use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};
use rand_xoshiro::Xoshiro256PlusPlus;
use std::hint::black_box;
use ucg_benches::{first_point, ppca_fixture};
use ucg_couplings::ImportanceTarget;
use ucg_models::ppca::{DiagonalPpcaTarget, PointStats, PpcaPoint, PpcaTarget};

fn bench(c: &mut Criterion) {
    let (model, encoder, x) = ppca_fixture(100, 784, 100, 1);
    c.bench_function("ppca/exact_batch_gradient N=100 P=784 D=100", |b| {
        b.iter(|| model.log_likelihood_gradient(black_box(&x)).unwrap())
    });

    let mut rng = Xoshiro256PlusPlus::seed_from_u64(2);
    let noise = DMatrix::from_fn(100, 10, |_, _| StandardNormal.sample(&mut rng));
    let weights = vec![0.1; 10];
    // Doubling P must leave the per-particle cost (O(D²)) nearly unchanged.
    for p in [784, 1568] {
        let (model, encoder, x) = ppca_fixture(100, p, 1, 3);
        let xn = first_point(&x);
        let target = PpcaTarget::new(PpcaPoint::new(&model, &xn).unwrap(), &encoder, &xn).unwrap();
        let mut out = vec![0.0; 10];
        c.bench_function(&format!("ppca/log_weights K=10 D=100 P={p}"), |b| {
            b.iter(|| target.log_weights(black_box(&noise), &mut out))
        });
        let rotated =
            DiagonalPpcaTarget::new(&PpcaPoint::new(&model, &xn).unwrap(), &encoder, &xn).unwrap();
        c.bench_function(&format!("ppca/log_weights_rotated K=10 D=100 P={p}"), |b| {
            b.iter(|| rotated.log_weights(black_box(&noise), &mut out))
        });
    }

    let xn = first_point(&x);
    let point = PpcaPoint::new(&model, &xn).unwrap();
    let target = PpcaTarget::new(point.clone(), &encoder, &xn).unwrap();
    c.bench_function("ppca/accumulate K=10 D=100", |b| {
        b.iter(|| {
            let mut stats = PointStats::new(100);
            target
                .accumulate(&mut stats, black_box(&noise), &weights, 1.0)
                .unwrap();
            stats
        })
    });
    let mut stats = PointStats::new(100);
    target
        .accumulate(&mut stats, &noise, &weights, 1.0)
        .unwrap();
    c.bench_function("ppca/gradient_from_stats one point D=100 P=784", |b| {
        b.iter(|| point.gradient_from_stats(black_box(&stats)).unwrap())
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).measurement_time(std::time::Duration::from_secs(3));
    targets = bench
}
criterion_main!(benches);
