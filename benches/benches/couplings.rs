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
use ucg_models::ppca::{DiagonalPpcaTarget, PpcaPoint, PpcaTarget};

fn bench(c: &mut Criterion) {
    let (model, encoder, x) = ppca_fixture(100, 784, 1, 1);
    let xn = first_point(&x);
    let target = PpcaTarget::new(PpcaPoint::new(&model, &xn).unwrap(), &encoder, &xn).unwrap();
    let rotated =
        DiagonalPpcaTarget::new(&PpcaPoint::new(&model, &xn).unwrap(), &encoder, &xn).unwrap();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
    steps(c, "", &IsirDisir::new(&target, 10, 0.9).unwrap(), &mut rng);
    steps(
        c,
        " rotated",
        &IsirDisir::new(&rotated, 10, 0.9).unwrap(),
        &mut rng,
    );
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

/// One single and one coupled step; restarts from distinct states whenever the chains meet, so that every
/// measured coupled step is a real one.
fn steps<T: ucg_couplings::ImportanceTarget>(
    c: &mut Criterion,
    label: &str,
    kernel: &IsirDisir<T>,
    rng: &mut Xoshiro256PlusPlus,
) {
    let x0 = kernel.sample_initial(rng).unwrap();
    let y0 = kernel.sample_initial(rng).unwrap();
    c.bench_function(
        &format!("isir_disir/single_step{label} K=10 D=100 P=784"),
        |b| {
            let mut s = x0.clone();
            b.iter(|| kernel.step(black_box(&mut s), rng).unwrap())
        },
    );
    c.bench_function(
        &format!("isir_disir/coupled_step{label} K=10 D=100 P=784"),
        |b| {
            let (mut s, mut t) = (x0.clone(), y0.clone());
            b.iter(|| {
                if kernel.coupled_step(black_box(&mut s), &mut t, rng).unwrap() {
                    s.clone_from(&x0);
                    t.clone_from(&y0);
                }
            })
        },
    );
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(50).measurement_time(std::time::Duration::from_secs(3));
    targets = bench
}
criterion_main!(benches);
