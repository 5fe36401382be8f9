//! The VAE's gradients against finite differences (in `f64`, the same generic code as the `f32` model),
//! the Bernoulli likelihood's normalisation, and DReG's expectation against the ordinary reparameterised
//! IWAE gradient.

use rand::{RngExt, SeedableRng};
use rand_distr::StandardNormal;
use rand_xoshiro::Xoshiro256PlusPlus;
use ucg_models::vae::mlp;
use ucg_models::vae::{Vae, VaeShape, VaeWorkspace};

// 11 pixels: one 8-lane block of the vectorised Bernoulli loop plus a remainder, so both are checked.
const P: usize = 11;
const H: usize = 6;
const D: usize = 3;

fn tiny(seed: u64) -> Vae<f64> {
    // Scale the initial parameters up so that ReLUs are active and gradients are not tiny.
    let v = Vae::<f64>::new(VaeShape::new(P, H, D).unwrap(), seed);
    let enc = v.encoder_params().iter().map(|p| p * 1.5).collect();
    let dec = v.decoder_params().iter().map(|p| p * 2.0).collect();
    Vae::from_params(v.shape(), enc, dec).unwrap()
}

fn images(n: usize, seed: u64) -> Vec<f64> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    (0..P * n)
        .map(|_| f64::from(u8::from(rng.random::<f64>() < 0.4)))
        .collect()
}

fn normals(len: usize, rng: &mut Xoshiro256PlusPlus) -> Vec<f64> {
    (0..len).map(|_| rng.sample(StandardNormal)).collect()
}

/// Central difference with step `h`: its error is `O(h²)` from the third derivative plus `O(ε/h)` from
/// rounding, both far below the tolerance used (`1e-6` relative) at `h = 1e-5` in `f64`.
fn central(f: impl Fn(f64) -> f64) -> f64 {
    let h = 1e-5;
    (f(h) - f(-h)) / (2.0 * h)
}

fn close(num: f64, ana: f64, what: &str) {
    assert!(
        (num - ana).abs() < 1e-6 * (1.0 + num.abs()),
        "{what}: finite difference {num} vs {ana}"
    );
}

fn with_decoder(v: &Vae<f64>, q: usize, e: f64) -> Vae<f64> {
    let mut w = v.clone();
    w.decoder_params_mut()[q] += e;
    w
}

fn with_encoder(v: &Vae<f64>, q: usize, e: f64) -> Vae<f64> {
    let mut w = v.clone();
    w.encoder_params_mut()[q] += e;
    w
}

#[test]
fn decoder_gradient_for_arbitrary_triples_matches_finite_differences() {
    let vae = tiny(1);
    let x = images(4, 2);
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
    // Arbitrary (point, latent, coefficient) triples, points repeated and out of order.
    let points = [2, 0, 3, 2, 1];
    let z = normals(D * points.len(), &mut rng);
    let coeffs = [0.7, -1.3, 0.2, 2.0, -0.4];
    let mut ws = VaeWorkspace::new();
    let mut grad = vec![0.0; vae.decoder_params().len()];
    vae.decoder_gradient(&x, &points, &z, &coeffs, &mut grad, &mut ws)
        .unwrap();
    let objective = |v: &Vae<f64>| {
        let mut out = vec![0.0; points.len()];
        v.log_joint(&x, &points, &z, &mut out, None, &mut VaeWorkspace::new())
            .unwrap();
        out.iter().zip(&coeffs).map(|(a, c)| a * c).sum::<f64>()
    };
    for q in 0..grad.len() {
        close(
            central(|e| objective(&with_decoder(&vae, q, e))),
            grad[q],
            &format!("θ[{q}]"),
        );
    }
}

#[test]
fn latent_gradient_of_the_log_joint_matches_finite_differences() {
    let vae = tiny(4);
    let x = images(3, 5);
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(6);
    let points = [1, 0, 2, 1];
    let z = normals(D * points.len(), &mut rng);
    let mut out = vec![0.0; points.len()];
    let mut g = vec![0.0; z.len()];
    vae.log_joint(
        &x,
        &points,
        &z,
        &mut out,
        Some(&mut g),
        &mut VaeWorkspace::new(),
    )
    .unwrap();
    for q in 0..z.len() {
        let num = central(|e| {
            let mut ze = z.clone();
            ze[q] += e;
            let mut o = vec![0.0; points.len()];
            vae.log_joint(&x, &points, &ze, &mut o, None, &mut VaeWorkspace::new())
                .unwrap();
            o[q / D]
        });
        close(num, g[q], &format!("z[{q}]"));
    }
}

/// The IWAE bound of every point for fixed noise, and its pieces.
fn iwae_bounds(v: &Vae<f64>, x: &[f64], batch: usize, k: usize, noise: &[f64]) -> Vec<f64> {
    let mut ws = VaeWorkspace::new();
    let lw = v.particles(x, batch, k, noise, &mut ws).unwrap();
    lw.chunks_exact(k).map(log_mean_exp).collect()
}

fn log_mean_exp(v: &[f64]) -> f64 {
    let m = v.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    m + (v.iter().map(|a| (a - m).exp()).sum::<f64>() / v.len() as f64).ln()
}

fn normalised(v: &[f64]) -> Vec<f64> {
    let m = v.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let e: Vec<f64> = v.iter().map(|a| (a - m).exp()).collect();
    let s: f64 = e.iter().sum();
    e.iter().map(|a| a / s).collect()
}

/// `(θ-gradient with IWAE coefficients, DReG φ-gradient)` of one step on fixed noise.
fn step_gradients(
    v: &Vae<f64>,
    x: &[f64],
    batch: usize,
    k: usize,
    noise: &[f64],
) -> (Vec<f64>, Vec<f64>) {
    let mut ws = VaeWorkspace::new();
    let lw = v.particles(x, batch, k, noise, &mut ws).unwrap().to_vec();
    let coeffs: Vec<f64> = lw.chunks_exact(k).flat_map(normalised).collect();
    let mut theta = vec![0.0; v.decoder_params().len()];
    let mut phi = vec![0.0; v.encoder_params().len()];
    v.backward(x, &coeffs, 1.0, &mut theta, &mut phi, &mut ws)
        .unwrap();
    (theta, phi)
}

#[test]
fn iwae_theta_gradient_and_dreg_surrogate_match_finite_differences() {
    let vae = tiny(7);
    let (batch, k) = (3, 4);
    let x = images(batch, 8);
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(9);
    let noise = normals(D * batch * k, &mut rng);
    let (theta, phi) = step_gradients(&vae, &x, batch, k, &noise);
    // θ: the IWAE bound's gradient for fixed noise (the encoder does not depend on θ).
    for q in 0..theta.len() {
        let num = central(|e| {
            iwae_bounds(&with_decoder(&vae, q, e), &x, batch, k, &noise)
                .iter()
                .sum()
        });
        close(num, theta[q], &format!("θ[{q}]"));
    }
    // φ: DReG is the gradient of the surrogate Σ_b Σ_k sg(w̃²) log w_k(z_k(φ)) in which q's own
    // parameters inside log w are held at their current values.
    let mut ws = VaeWorkspace::new();
    let lw0 = vae
        .particles(&x, batch, k, &noise, &mut ws)
        .unwrap()
        .to_vec();
    let (mu0, sigma0) = (ws.mu().to_vec(), ws.sigma().to_vec());
    let w2: Vec<f64> = lw0
        .chunks_exact(k)
        .flat_map(normalised)
        .map(|w| w * w)
        .collect();
    let points: Vec<usize> = (0..batch * k).map(|j| j / k).collect();
    let surrogate = |v: &Vae<f64>| {
        let mut ws = VaeWorkspace::new();
        v.particles(&x, batch, k, &noise, &mut ws).unwrap();
        let z = ws.z().to_vec();
        let mut lj = vec![0.0; batch * k];
        v.log_joint(&x, &points, &z, &mut lj, None, &mut ws)
            .unwrap();
        (0..batch * k)
            .map(|j| {
                let b = j / k;
                let log_q: f64 = (0..D)
                    .map(|i| {
                        let u = (z[j * D + i] - mu0[b * D + i]) / sigma0[b * D + i];
                        -0.5 * u * u
                            - sigma0[b * D + i].ln()
                            - 0.5 * (2.0 * std::f64::consts::PI).ln()
                    })
                    .sum();
                w2[j] * (lj[j] - log_q)
            })
            .sum::<f64>()
    };
    for q in 0..phi.len() {
        close(
            central(|e| surrogate(&with_encoder(&vae, q, e))),
            phi[q],
            &format!("φ[{q}]"),
        );
    }
}

#[test]
fn bernoulli_likelihood_sums_to_one_over_all_images() {
    // 10 pixels: the 8-lane block and the remainder of the vectorised loop; 1,024 images.
    let p = 10;
    for (seed, latent) in [(1u64, 2usize), (2, 3)] {
        let vae64 = Vae::<f64>::new(VaeShape::new(p, 5, latent).unwrap(), seed);
        let vae32 = Vae::<f32>::from_params(
            vae64.shape(),
            vae64.encoder_params().iter().map(|&v| v as f32).collect(),
            vae64.decoder_params().iter().map(|&v| v as f32).collect(),
        )
        .unwrap();
        let all: Vec<f64> = (0..1 << p)
            .flat_map(|m| (0..p).map(move |i| f64::from((m >> i) & 1)))
            .collect();
        let n = 1 << p;
        let z: Vec<f64> = (0..latent).map(|i| 0.3 * i as f64 - 0.5).collect();
        let zs: Vec<f64> = (0..n).flat_map(|_| z.clone()).collect();
        let points: Vec<usize> = (0..n).collect();
        let prior = -0.5 * z.iter().map(|v| v * v).sum::<f64>()
            - latent as f64 * 0.5 * (2.0 * std::f64::consts::PI).ln();
        let mut lj = vec![0.0; n];
        vae64
            .log_joint(&all, &points, &zs, &mut lj, None, &mut VaeWorkspace::new())
            .unwrap();
        let total: f64 = lj.iter().map(|l| (l - prior).exp()).sum();
        assert!((total - 1.0).abs() < 1e-12, "f64: {total}");
        let all32: Vec<f32> = all.iter().map(|&v| v as f32).collect();
        let zs32: Vec<f32> = zs.iter().map(|&v| v as f32).collect();
        let mut lj32 = vec![0.0f32; n];
        vae32
            .log_joint(
                &all32,
                &points,
                &zs32,
                &mut lj32,
                None,
                &mut VaeWorkspace::new(),
            )
            .unwrap();
        let total32: f64 = lj32.iter().map(|&l| (f64::from(l) - prior).exp()).sum();
        assert!((total32 - 1.0).abs() < 1e-5, "f32: {total32}");
    }
}

/// The ordinary reparameterised gradient of the IWAE bound with respect to φ for fixed noise:
/// `Σ_k w̃_k d log w_k / dφ` with `log w_k = log p(x, μ + σ ⊙ ξ_k) + ½|ξ_k|² + Σ log σ` (q's parameters
/// differentiated everywhere), through the encoder's backward pass.
fn reparameterised_phi_gradient(v: &Vae<f64>, x: &[f64], k: usize, noise: &[f64]) -> Vec<f64> {
    let mut ws = VaeWorkspace::new();
    let lw = v.particles(x, 1, k, noise, &mut ws).unwrap().to_vec();
    let (mu, sigma, z) = (ws.mu().to_vec(), ws.sigma().to_vec(), ws.z().to_vec());
    let w = normalised(&lw);
    let mut g = vec![0.0; z.len()];
    let mut lj = vec![0.0; k];
    v.log_joint(x, &vec![0; k], &z, &mut lj, Some(&mut g), &mut ws)
        .unwrap();
    let enc = v.shape().encoder();
    let mut cache = mlp::MlpCache::default();
    mlp::forward(&enc, v.encoder_params(), x, 1, &mut cache);
    let pre = cache.output().to_vec();
    let delta = cache.output_delta(2 * D);
    delta.iter_mut().for_each(|d| *d = 0.0);
    for kk in 0..k {
        for i in 0..D {
            let gi = g[kk * D + i];
            delta[i] += w[kk] * gi;
            let xi = noise[kk * D + i];
            let sig = 1.0 / (1.0 + (-pre[D + i]).exp());
            delta[D + i] += w[kk] * (gi * xi + 1.0 / sigma[i]) * sig;
        }
    }
    let _ = mu;
    let mut grad = vec![0.0; v.encoder_params().len()];
    mlp::backward(
        &enc,
        v.encoder_params(),
        x,
        &mut cache,
        None,
        &mut grad,
        None,
    );
    grad
}

#[test]
fn dreg_has_the_expectation_of_the_reparameterised_iwae_gradient() {
    // E[DReG] = E[ordinary reparameterised gradient] = ∇φ of the IWAE bound. Paired on the same noise,
    // per component: z = mean(difference) / s.e.; Bonferroni over components at overall level 1%.
    let vae = tiny(11);
    let k = 4;
    let x = images(1, 12);
    let reps = 20_000;
    let n = vae.encoder_params().len();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(13);
    let (mut s1, mut s2) = (vec![0.0; n], vec![0.0; n]);
    let mut mean_abs = vec![0.0; n];
    for _ in 0..reps {
        let noise = normals(D * k, &mut rng);
        let (_, dreg) = step_gradients(&vae, &x, 1, k, &noise);
        let ordinary = reparameterised_phi_gradient(&vae, &x, k, &noise);
        for c in 0..n {
            let d = dreg[c] - ordinary[c];
            s1[c] += d;
            s2[c] += d * d;
            mean_abs[c] += ordinary[c].abs() / reps as f64;
        }
    }
    let threshold = {
        use statrs::distribution::{ContinuousCDF, Normal};
        Normal::new(0.0, 1.0)
            .unwrap()
            .inverse_cdf(1.0 - 0.01 / (2.0 * n as f64))
    };
    let mut worst: f64 = 0.0;
    for c in 0..n {
        let m = s1[c] / reps as f64;
        let var = (s2[c] / reps as f64 - m * m).max(0.0);
        let se = (var / reps as f64).sqrt();
        if se > 1e-12 * (1.0 + mean_abs[c]) {
            worst = worst.max((m / se).abs());
        } else {
            assert!(
                m.abs() < 1e-9 * (1.0 + mean_abs[c]),
                "component {c}: constant difference {m}"
            );
        }
    }
    assert!(worst < threshold, "max |z| = {worst} ≥ {threshold}");
}
