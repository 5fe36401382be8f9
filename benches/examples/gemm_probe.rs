//! Throwaway probe.
use nalgebra::DMatrix;
use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};
use std::time::Instant;
fn main() {
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(1);
    let z = DMatrix::<f64>::from_fn(100, 1210, |_, _| StandardNormal.sample(&mut rng));
    let t = Instant::now();
    let mut acc = 0.0;
    for _ in 0..100 {
        let s = &z * z.transpose();
        acc += s[(0, 0)];
    }
    let dt = t.elapsed().as_secs_f64() / 100.0;
    println!(
        "gemm 100x1210x100: {:.3} ms, {:.1} GFlop/s ({acc})",
        dt * 1e3,
        2.0 * 100.0 * 100.0 * 1210.0 / dt / 1e9
    );
    let g = DMatrix::<f64>::from_fn(100, 100, |_, _| StandardNormal.sample(&mut rng));
    let zz = DMatrix::<f64>::from_fn(100, 10, |_, _| StandardNormal.sample(&mut rng));
    let t = Instant::now();
    for _ in 0..10000 {
        let s = &g * &zz;
        acc += s[(0, 0)];
    }
    let dt = t.elapsed().as_secs_f64() / 10000.0;
    println!(
        "gemm 100x100x10: {:.2} us, {:.1} GFlop/s",
        dt * 1e6,
        2.0 * 100.0 * 100.0 * 10.0 / dt / 1e9
    );
    let n = 10_000_000;
    let t = Instant::now();
    let mut s = 0.0f64;
    for _ in 0..n {
        let v: f64 = StandardNormal.sample(&mut rng);
        s += v;
    }
    let dt = t.elapsed().as_secs_f64() / n as f64;
    println!("normal: {:.2} ns ({s})", dt * 1e9);
}
