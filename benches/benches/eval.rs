//! Test log-likelihood evaluation on PPCA at a moderate size (`D = 20`, `P = 200`, 16 points): the
//! IWAE bound with `k = 5,000` and AIS with the paper's chains and leapfrog steps on a shortened schedule
//! (the cost is linear in the number of annealing steps, so the paper's 10,000 cost 50 times the 200 here).

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use ucg_benches::ppca_fixture;
use ucg_models::ppca::PpcaLatentModel;
use ucg_train::eval::{AisSettings, IwaeSettings, SigmoidSchedule, ais, iwae_bound};

fn bench(c: &mut Criterion) {
    let (model, encoder, x) = ppca_fixture(20, 200, 16, 1);
    let bound = PpcaLatentModel::new(&model, &encoder, &x).unwrap();
    let points: Vec<usize> = (0..16).collect();

    let iwae = IwaeSettings::new(5000).unwrap();
    c.bench_function("eval/iwae_bound k=5000 D=20 P=200 points=16", |b| {
        b.iter(|| iwae_bound(&bound, black_box(&points), &iwae, 1, None).unwrap())
    });

    let settings = AisSettings::paper()
        .with_schedule(SigmoidSchedule::new(200, 4.0).unwrap())
        .with_points_per_batch(8)
        .unwrap();
    c.bench_function(
        "eval/ais chains=16+4 steps=200 leapfrog=10 D=20 P=200 points=16",
        |b| b.iter(|| ais(&bound, black_box(&points), &settings, 1, None).unwrap()),
    );
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = bench
}
criterion_main!(benches);
