//! ucg-couplings' hot paths: single and coupled ISIR-DISIR steps on PPCA, and the categorical maximal
//! coupling.

use criterion::{Criterion, criterion_group, criterion_main};
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use std::hint::black_box;
use ucg_benches::{first_point, ppca_fixture};
use ucg_couplings::isir::IsirDisir;
use ucg_couplings::maximal::categorical::maximal_coupling;
use ucg_couplings::{CoupledKernel, InitialLaw, MarkovKernel};
use ucg_models::ppca::{PpcaPoint, PpcaTarget};

fn bench(c: &mut Criterion) {
    let (model, encoder, x) = ppca_fixture(100, 784, 1, 1);
    let xn = first_point(&x);
    let target = PpcaTarget::new(PpcaPoint::new(&model, &xn).unwrap(), &encoder, &xn).unwrap();
    let kernel = IsirDisir::new(&target, 10, 0.9).unwrap();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
    let x0 = kernel.sample_initial(&mut rng).unwrap();
    let y0 = kernel.sample_initial(&mut rng).unwrap();
    c.bench_function("isir_disir/single_step K=10 D=100 P=784", |b| {
        let mut s = x0.clone();
        b.iter(|| kernel.step(black_box(&mut s), &mut rng).unwrap())
    });
    c.bench_function("isir_disir/coupled_step K=10 D=100 P=784", |b| {
        // Restart from distinct states whenever the chains meet, so every measured step is a real
        // coupled step.
        let (mut s, mut t) = (x0.clone(), y0.clone());
        b.iter(|| {
            if kernel
                .coupled_step(black_box(&mut s), &mut t, &mut rng)
                .unwrap()
            {
                s.clone_from(&x0);
                t.clone_from(&y0);
            }
        })
    });
    for k in [10usize, 1000] {
        let p: Vec<f64> = (0..k).map(|i| (i % 7 + 1) as f64).collect();
        let q: Vec<f64> = (0..k).map(|i| (i % 5 + 1) as f64).collect();
        let (sp, sq): (f64, f64) = (p.iter().sum(), q.iter().sum());
        let p: Vec<f64> = p.iter().map(|v| v / sp).collect();
        let q: Vec<f64> = q.iter().map(|v| v / sq).collect();
        c.bench_function(&format!("maximal_coupling/categorical K={k}"), |b| {
            b.iter(|| maximal_coupling(black_box(&p), black_box(&q), &mut rng))
        });
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(50).measurement_time(std::time::Duration::from_secs(3));
    targets = bench
}
criterion_main!(benches);
