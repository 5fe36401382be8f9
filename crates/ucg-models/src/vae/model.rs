//! The VAE: parameters, shapes, and the batched computations the gradient estimators need.
//!
//! `p(z) = N(0, I_D)`; decoder `l = MLP_θ(z)` (`D → H → H → P`, ReLU) gives Bernoulli logits with
//! `log p(x | z) = Σ_p x_p l_p − softplus(l_p)`; encoder `MLP_φ(x)` (`P → H → H → 2D`, ReLU) gives
//! `μ(x)` (first `D` outputs) and `σ(x) = softplus(·)` (last `D`). Noise coordinates: `z = μ(x) + σ(x) ⊙ ξ`.
//!
//! Everything is batched: `J` columns `z_j` (`D × J`, column-major) each paired with a data point
//! `points[j]` (a column of `x`, `P × N`), so all particles of all points of a minibatch go through each
//! decoder layer as one matrix product. The two calls of an IWAE-style step, [`Vae::particles`] then
//! [`Vae::backward`], share one forward pass between the θ-gradient (any per-particle coefficients) and the
//! encoder's DReG gradient.

use super::mlp::{self, MlpCache, MlpShape};
use crate::error::{ModelError, Result, check_len};
use crate::real::Real;
use rayon::prelude::*;

/// `½ log 2π`.
const HALF_LN_2PI: f64 = 0.918_938_533_204_672_8;

/// Sizes of a VAE: data dimension `P`, width `H` of the two hidden layers of each MLP, latent dimension `D`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VaeShape {
    /// Data dimension `P` (784 for MNIST).
    pub data_dim: usize,
    /// Width `H` of both hidden layers of the encoder and of the decoder (200 in the paper).
    pub hidden: usize,
    /// Latent dimension `D`.
    pub latent: usize,
}

impl VaeShape {
    /// Largest size accepted for any of the three dimensions (2²⁴), so that parameter counts never
    /// overflow.
    pub const MAX_SIZE: usize = 1 << 24;

    /// A shape with every size in `1..=MAX_SIZE`.
    ///
    /// # Errors
    /// A zero or too large size.
    pub fn new(data_dim: usize, hidden: usize, latent: usize) -> Result<Self> {
        for (name, v) in [
            ("data_dim", data_dim),
            ("hidden", hidden),
            ("latent", latent),
        ] {
            if v == 0 || v > Self::MAX_SIZE {
                return Err(ModelError::InvalidParameter {
                    name,
                    reason: format!("{v} is outside 1..={}", Self::MAX_SIZE),
                });
            }
        }
        Ok(VaeShape {
            data_dim,
            hidden,
            latent,
        })
    }

    /// The paper's MNIST model: `P = 784`, `H = 200`, latent dimension `latent`.
    ///
    /// # Errors
    /// `latent = 0`.
    pub fn mnist(latent: usize) -> Result<Self> {
        VaeShape::new(784, 200, latent)
    }

    /// The encoder's layer widths `[P, H, H, 2D]`.
    pub fn encoder(&self) -> MlpShape {
        MlpShape::new(vec![
            self.data_dim,
            self.hidden,
            self.hidden,
            2 * self.latent,
        ])
    }

    /// The decoder's layer widths `[D, H, H, P]`.
    pub fn decoder(&self) -> MlpShape {
        MlpShape::new(vec![self.latent, self.hidden, self.hidden, self.data_dim])
    }
}

/// A VAE with parameters in `T` (`f32` to train, `f64` to check gradients).
#[derive(Clone, Debug, PartialEq)]
pub struct Vae<T> {
    shape: VaeShape,
    encoder_shape: MlpShape,
    decoder_shape: MlpShape,
    encoder: Vec<T>,
    decoder: Vec<T>,
}

/// Buffers reused across calls (activations, particles, gradients of intermediate quantities): one per
/// thread; a training step allocates nothing once it has run once.
#[derive(Clone, Debug, Default)]
pub struct VaeWorkspace<T> {
    encoder: MlpCache<T>,
    decoder: MlpCache<T>,
    mu: Vec<T>,
    sigma: Vec<T>,
    xi: Vec<T>,
    z: Vec<T>,
    log_w: Vec<T>,
    dz: Vec<T>,
    points: Vec<usize>,
    weights_sq: Vec<T>,
    batch: usize,
    k: usize,
}

impl<T: Real> VaeWorkspace<T> {
    /// An empty workspace.
    pub fn new() -> Self {
        Self::default()
    }

    /// `μ(x_b)` of the latest encoding (`D × B`).
    pub fn mu(&self) -> &[T] {
        &self.mu
    }

    /// `σ(x_b)` of the latest encoding (`D × B`).
    pub fn sigma(&self) -> &[T] {
        &self.sigma
    }

    /// The latents `z` of the latest [`Vae::particles`] (`D × BK`, particle `k` of point `b` in column `bK + k`).
    pub fn z(&self) -> &[T] {
        &self.z
    }

    /// The log-weights `log w` of the latest [`Vae::particles`] (length `BK`, same order as [`Self::z`]).
    pub fn log_weights(&self) -> &[T] {
        &self.log_w
    }
}

impl<T: Real> Vae<T> {
    /// A VAE with torch-style initial parameters (every weight and bias uniform on `±1/√fan_in`); the
    /// encoder is drawn from a `Xoshiro256++` stream seeded with `2·seed`, the decoder from `2·seed + 1`.
    pub fn new(shape: VaeShape, seed: u64) -> Self {
        let (encoder_shape, decoder_shape) = (shape.encoder(), shape.decoder());
        let encoder = mlp::init_uniform(&encoder_shape, seed.wrapping_mul(2));
        let decoder = mlp::init_uniform(&decoder_shape, seed.wrapping_mul(2).wrapping_add(1));
        Vae {
            shape,
            encoder_shape,
            decoder_shape,
            encoder,
            decoder,
        }
    }

    /// A VAE from flat parameter vectors (see [`mlp`](super::mlp) for the layout).
    ///
    /// # Errors
    /// Vectors of the wrong length or with non-finite entries.
    pub fn from_params(shape: VaeShape, encoder: Vec<T>, decoder: Vec<T>) -> Result<Self> {
        let (encoder_shape, decoder_shape) = (shape.encoder(), shape.decoder());
        check_len(
            "encoder parameters",
            encoder_shape.num_params(),
            encoder.len(),
        )?;
        check_len(
            "decoder parameters",
            decoder_shape.num_params(),
            decoder.len(),
        )?;
        check_all_finite("encoder parameters", &encoder)?;
        check_all_finite("decoder parameters", &decoder)?;
        Ok(Vae {
            shape,
            encoder_shape,
            decoder_shape,
            encoder,
            decoder,
        })
    }

    /// The sizes.
    pub fn shape(&self) -> VaeShape {
        self.shape
    }

    /// Encoder parameters `φ` (flat).
    pub fn encoder_params(&self) -> &[T] {
        &self.encoder
    }

    /// Decoder parameters `θ` (flat).
    pub fn decoder_params(&self) -> &[T] {
        &self.decoder
    }

    /// Mutable encoder parameters (for optimisers).
    pub fn encoder_params_mut(&mut self) -> &mut [T] {
        &mut self.encoder
    }

    /// Mutable decoder parameters (for optimisers).
    pub fn decoder_params_mut(&mut self) -> &mut [T] {
        &mut self.decoder
    }

    /// `μ(x_b)` and `σ(x_b)` of every column `x_b` of `x` (`P × B`), into the workspace
    /// ([`VaeWorkspace::mu`], [`VaeWorkspace::sigma`]).
    ///
    /// # Errors
    /// `x` not `P × B`, or non-finite.
    pub fn encode(&self, x: &[T], batch: usize, ws: &mut VaeWorkspace<T>) -> Result<()> {
        let (p, d) = (self.shape.data_dim, self.shape.latent);
        check_len("x (P × B)", p * batch, x.len())?;
        check_all_finite("x", x)?;
        mlp::forward(
            &self.encoder_shape,
            &self.encoder,
            x,
            batch,
            &mut ws.encoder,
        );
        let out = ws.encoder.output();
        ws.mu.clear();
        ws.sigma.clear();
        for col in out.chunks_exact(2 * d) {
            ws.mu.extend_from_slice(&col[..d]);
            ws.sigma.extend(col[d..].iter().map(|&s| s.softplus()));
        }
        ws.batch = batch;
        check_all_finite("encoder output", &ws.sigma)?;
        check_all_finite("encoder output", &ws.mu)
    }

    /// Decoder forward pass on the columns of `z` (`D × J`), then what `wanted` asks for: `log p(x_{points[j]}
    /// | z_j)` into `out`, and its gradient with respect to the logits, `x − sigmoid(l)`, into the
    /// decoder's output gradient, ready for a backward pass (both in one pass when both are wanted,
    /// because both come from `e^{−|l|}`).
    fn decode(
        &self,
        x: &[T],
        points: &[usize],
        z: &[T],
        ws_decoder: &mut MlpCache<T>,
        out: &mut [T],
        wanted: Decoded,
    ) -> Result<()> {
        let (p, d) = (self.shape.data_dim, self.shape.latent);
        let cols = points.len();
        check_len("z (D × J)", d * cols, z.len())?;
        if wanted != Decoded::Gradient {
            check_len("output", cols, out.len())?;
        }
        let n = x.len() / p;
        check_len("x (P × N)", p * n, x.len())?;
        if let Some(&bad) = points.iter().find(|&&i| i >= n) {
            return Err(ModelError::InvalidParameter {
                name: "points",
                reason: format!("data point {bad} out of range 0..{n}"),
            });
        }
        check_all_finite("z", z)?;
        mlp::forward(&self.decoder_shape, &self.decoder, z, cols, ws_decoder);
        // Columns are independent: split them across threads (the result does not depend on the split).
        let point_x = |j: usize| &x[points[j] * p..(points[j] + 1) * p];
        match wanted {
            Decoded::Both => {
                let (logits, delta) = ws_decoder.output_and_delta();
                logits
                    .par_chunks_exact(p)
                    .zip(delta.par_chunks_exact_mut(p))
                    .zip(out.par_iter_mut())
                    .enumerate()
                    .with_min_len(8)
                    .for_each(|(j, ((l, dl), o))| {
                        *o = bernoulli_log_likelihood_and_gradient(point_x(j), l, dl);
                    });
            }
            Decoded::LogLikelihood => {
                ws_decoder
                    .output()
                    .par_chunks_exact(p)
                    .zip(out.par_iter_mut())
                    .enumerate()
                    .with_min_len(8)
                    .for_each(|(j, (l, o))| *o = bernoulli_log_likelihood(point_x(j), l));
            }
            Decoded::Gradient => {
                let (logits, delta) = ws_decoder.output_and_delta();
                logits
                    .par_chunks_exact(p)
                    .zip(delta.par_chunks_exact_mut(p))
                    .enumerate()
                    .with_min_len(8)
                    .for_each(|(j, (l, dl))| bernoulli_logit_gradient(point_x(j), l, dl));
                return check_all_finite("∇ log p(x | z)", ws_decoder.output_delta(p * cols));
            }
        }
        check_all_finite("log p(x | z)", out)
    }

    /// `log p(x_{points[j]}, z_j)` (normalised) for every column `z_j` of `z` (`D × J`), into `out`; with
    /// `grad_z` (`D × J`), also `∇_z log p(x_{points[j]}, z_j)`.
    ///
    /// # Errors
    /// Mismatched sizes, a point out of range, non-finite inputs or results.
    pub fn log_joint(
        &self,
        x: &[T],
        points: &[usize],
        z: &[T],
        out: &mut [T],
        grad_z: Option<&mut [T]>,
        ws: &mut VaeWorkspace<T>,
    ) -> Result<()> {
        let d = self.shape.latent;
        let wanted = match grad_z {
            Some(_) => Decoded::Both,
            None => Decoded::LogLikelihood,
        };
        self.decode(x, points, z, &mut ws.decoder, out, wanted)?;
        let half_d_ln_2pi = T::of(d as f64 * HALF_LN_2PI);
        for (zj, o) in z.chunks_exact(d).zip(out.iter_mut()) {
            *o -= T::of(0.5) * sum_sq(zj) + half_d_ln_2pi;
        }
        if let Some(g) = grad_z {
            check_len("grad_z (D × J)", z.len(), g.len())?;
            let mut scratch = std::mem::take(&mut ws.dz);
            resize(&mut scratch, self.decoder.len());
            mlp::backward(
                &self.decoder_shape,
                &self.decoder,
                z,
                &mut ws.decoder,
                None,
                &mut scratch,
                Some(g),
            );
            ws.dz = scratch;
            g.iter_mut().zip(z).for_each(|(g, &z)| *g -= z);
            check_all_finite("∇z log p(x, z)", g)?;
        }
        Ok(())
    }

    /// Accumulates `Σ_j c_j ∇_θ log p(x_{points[j]}, z_j)` into `grad` (the decoder's flat gradient): one
    /// forward and one weighted backward pass over all columns, for any (point, latent, coefficient)
    /// triples.
    ///
    /// # Errors
    /// Mismatched sizes, a point out of range, non-finite inputs or results.
    pub fn decoder_gradient(
        &self,
        x: &[T],
        points: &[usize],
        z: &[T],
        coeffs: &[T],
        grad: &mut [T],
        ws: &mut VaeWorkspace<T>,
    ) -> Result<()> {
        check_len("coefficients", points.len(), coeffs.len())?;
        check_len("decoder gradient", self.decoder.len(), grad.len())?;
        check_all_finite("coefficients", coeffs)?;
        self.decode(x, points, z, &mut ws.decoder, &mut [], Decoded::Gradient)?;
        mlp::backward(
            &self.decoder_shape,
            &self.decoder,
            z,
            &mut ws.decoder,
            Some(coeffs),
            grad,
            None,
        );
        check_all_finite("decoder gradient", grad)
    }

    /// `log q(z_j | x_{points[j]})` for every column of `z` (`D × J`), into `out`.
    ///
    /// # Errors
    /// Mismatched sizes, a point out of range, non-finite inputs or results.
    pub fn log_proposal(
        &self,
        x: &[T],
        points: &[usize],
        z: &[T],
        out: &mut [T],
        ws: &mut VaeWorkspace<T>,
    ) -> Result<()> {
        let (p, d) = (self.shape.data_dim, self.shape.latent);
        let n = x.len() / p;
        check_len("z (D × J)", d * points.len(), z.len())?;
        check_len("output", points.len(), out.len())?;
        if let Some(&bad) = points.iter().find(|&&i| i >= n) {
            return Err(ModelError::InvalidParameter {
                name: "points",
                reason: format!("data point {bad} out of range 0..{n}"),
            });
        }
        self.encode(&x[..p * n], n, ws)?;
        for (j, o) in out.iter_mut().enumerate() {
            let b = points[j];
            *o = log_normal(
                &z[j * d..(j + 1) * d],
                &ws.mu[b * d..(b + 1) * d],
                &ws.sigma[b * d..(b + 1) * d],
            );
        }
        check_all_finite("log q(z | x)", out)
    }

    /// First half of an IWAE-style step on a minibatch `x` (`P × B`) with `K` particles per point: encodes,
    /// sets `z_{bk} = μ(x_b) + σ(x_b) ⊙ ξ_{bk}` from `noise` (`D × BK`, column `bK + k`), runs the decoder
    /// over all `BK` columns at once and returns the log-weights `log w_{bk} = log p(x_b, z_{bk}) −
    /// log q(z_{bk} | x_b)` (same order). Everything [`Vae::backward`] needs stays in the workspace.
    ///
    /// # Errors
    /// Mismatched sizes, `K = 0`, non-finite inputs or results.
    pub fn particles<'w>(
        &self,
        x: &[T],
        batch: usize,
        k: usize,
        noise: &[T],
        ws: &'w mut VaeWorkspace<T>,
    ) -> Result<&'w [T]> {
        let d = self.shape.latent;
        if k == 0 {
            return Err(ModelError::InvalidParameter {
                name: "K",
                reason: "must be at least 1".into(),
            });
        }
        check_len("noise (D × BK)", d * batch * k, noise.len())?;
        check_all_finite("noise", noise)?;
        self.encode(x, batch, ws)?;
        ws.k = k;
        ws.xi.clear();
        ws.xi.extend_from_slice(noise);
        resize(&mut ws.z, noise.len());
        for (j, (zj, xij)) in
            ws.z.chunks_exact_mut(d)
                .zip(noise.chunks_exact(d))
                .enumerate()
        {
            let b = j / k;
            let (mu, sigma) = (&ws.mu[b * d..(b + 1) * d], &ws.sigma[b * d..(b + 1) * d]);
            for i in 0..d {
                zj[i] = mu[i] + sigma[i] * xij[i];
            }
        }
        ws.points.clear();
        ws.points.extend((0..batch * k).map(|j| j / k));
        resize(&mut ws.log_w, batch * k);
        self.decode(
            x,
            &ws.points,
            &ws.z,
            &mut ws.decoder,
            &mut ws.log_w,
            Decoded::Both,
        )?;
        // log w = log p(x | z) − ½|z|² + ½|ξ|² + Σ log σ (the 2π constants of p(z) and q cancel).
        for (b, lws) in ws.log_w.chunks_exact_mut(k).enumerate() {
            let log_det: T = ws.sigma[b * d..(b + 1) * d]
                .iter()
                .fold(T::zero(), |s, &v| s + v.ln());
            for (kk, lw) in lws.iter_mut().enumerate() {
                let j = b * k + kk;
                *lw += T::of(0.5)
                    * (sum_sq(&ws.xi[j * d..(j + 1) * d]) - sum_sq(&ws.z[j * d..(j + 1) * d]))
                    + log_det;
            }
        }
        check_all_finite("log-weights", &ws.log_w)?;
        Ok(&ws.log_w)
    }

    /// Second half of the step begun by [`Vae::particles`] (same `x`): accumulates
    /// - into `theta_grad`, `Σ_{bk} c_{bk} ∇_θ log p(x_b, z_{bk})` for the given per-particle coefficients
    ///   (`1/K` for the ELBO, the normalised weights `w̃_{bk}` for IWAE, scaled by the caller);
    /// - into `phi_grad`, `phi_scale · Σ_b` DReG's estimate of `∇_φ` of the IWAE bound of point `b`
    ///   (Tucker et al. 2019): `Σ_k w̃_k² (∂ log w_k / ∂ z_k)(∂ z_k / ∂ φ)`, where the partial derivative of
    ///   `log w_k` holds `q`'s parameters fixed: `∇_z log p(x, z_k) + ξ_k / σ`.
    ///
    /// One decoder backward pass serves both: the θ-gradient weights each column by `c`, while the
    /// unweighted `∂ log p / ∂ z` is propagated to the encoder.
    ///
    /// # Errors
    /// No preceding [`Vae::particles`], mismatched sizes, non-finite coefficients or results.
    pub fn backward(
        &self,
        x: &[T],
        theta_coeffs: &[T],
        phi_scale: T,
        theta_grad: &mut [T],
        phi_grad: &mut [T],
        ws: &mut VaeWorkspace<T>,
    ) -> Result<()> {
        let (d, batch, k) = (self.shape.latent, ws.batch, ws.k);
        let cols = batch * k;
        if cols == 0 || ws.log_w.len() != cols {
            return Err(ModelError::InvalidParameter {
                name: "workspace",
                reason: "backward needs a preceding call of particles".into(),
            });
        }
        check_len("θ coefficients", cols, theta_coeffs.len())?;
        check_len("decoder gradient", self.decoder.len(), theta_grad.len())?;
        check_len("encoder gradient", self.encoder.len(), phi_grad.len())?;
        check_all_finite("θ coefficients", theta_coeffs)?;
        resize(&mut ws.dz, d * cols);
        mlp::backward(
            &self.decoder_shape,
            &self.decoder,
            &ws.z,
            &mut ws.decoder,
            Some(theta_coeffs),
            theta_grad,
            Some(&mut ws.dz),
        );
        // Encoder output gradient: rows 0..D for μ, D..2D for σ's pre-activation.
        let enc_delta = ws.encoder.output_delta(2 * d * batch);
        enc_delta.iter_mut().for_each(|v| *v = T::zero());
        let mut w2 = std::mem::take(&mut ws.weights_sq);
        resize(&mut w2, k);
        for b in 0..batch {
            let lw = &ws.log_w[b * k..(b + 1) * k];
            let max = lw.iter().fold(T::of(f64::NEG_INFINITY), |m, &v| m.max(v));
            let total = lw.iter().fold(T::zero(), |s, &v| s + (v - max).exp());
            for (w, &v) in w2.iter_mut().zip(lw) {
                let wn = (v - max).exp() / total;
                *w = wn * wn * phi_scale;
            }
            let sigma = &ws.sigma[b * d..(b + 1) * d];
            let (dmu, dsig) = enc_delta[2 * d * b..2 * d * (b + 1)].split_at_mut(d);
            for kk in 0..k {
                let j = b * k + kk;
                let (g, z, xi) = (
                    &ws.dz[j * d..(j + 1) * d],
                    &ws.z[j * d..(j + 1) * d],
                    &ws.xi[j * d..(j + 1) * d],
                );
                for i in 0..d {
                    // ∂ log w / ∂ z with q fixed: ∇z log p(x|z) − z + ξ/σ.
                    let dlogw = g[i] - z[i] + xi[i] / sigma[i];
                    dmu[i] += w2[kk] * dlogw;
                    dsig[i] += w2[kk] * dlogw * xi[i];
                }
            }
        }
        ws.weights_sq = w2;
        // σ = softplus(s): dσ/ds = sigmoid(s).
        let (pre, enc_delta) = ws.encoder.output_and_delta();
        for (col, pcol) in enc_delta
            .chunks_exact_mut(2 * d)
            .zip(pre.chunks_exact(2 * d))
        {
            for i in d..2 * d {
                col[i] *= pcol[i].sigmoid();
            }
        }
        mlp::backward(
            &self.encoder_shape,
            &self.encoder,
            x,
            &mut ws.encoder,
            None,
            phi_grad,
            None,
        );
        check_all_finite("decoder gradient", theta_grad)?;
        check_all_finite("encoder gradient", phi_grad)
    }
}

/// What a decoder pass computes after its forward pass.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Decoded {
    /// `log p(x | z)` alone.
    LogLikelihood,
    /// Its gradient with respect to the logits alone.
    Gradient,
    /// Both.
    Both,
}

/// `∂/∂l_p (x_p l_p − softplus(l_p)) = x_p − sigmoid(l_p)` into `grad`: bit for bit the gradient of
/// [`bernoulli_log_likelihood_and_gradient`], without the log-likelihood's series.
fn bernoulli_logit_gradient<T: Real>(x: &[T], logits: &[T], grad: &mut [T]) {
    for ((g, &xv), &l) in grad.iter_mut().zip(x).zip(logits) {
        *g = xv - l.softplus_and_sigmoid().1;
    }
}

/// `Σ_p x_p l_p − softplus(l_p)`, and `∂/∂l_p = x_p − sigmoid(l_p)` into `grad`, accumulated in eight
/// lanes so that the loop vectorises.
pub fn bernoulli_log_likelihood_and_gradient<T: Real>(x: &[T], logits: &[T], grad: &mut [T]) -> T {
    let mut acc = [T::zero(); 8];
    let mut xc = x.chunks_exact(8);
    let mut lc = logits.chunks_exact(8);
    let mut gc = grad.chunks_exact_mut(8);
    for ((xs, ls), gs) in (&mut xc).zip(&mut lc).zip(&mut gc) {
        for i in 0..8 {
            let (sp, sg) = ls[i].softplus_and_sigmoid();
            acc[i] += xs[i] * ls[i] - sp;
            gs[i] = xs[i] - sg;
        }
    }
    let mut total = acc.iter().fold(T::zero(), |s, &v| s + v);
    let rest = xc
        .remainder()
        .iter()
        .zip(lc.remainder())
        .zip(gc.into_remainder());
    for ((&xv, &l), g) in rest {
        let (sp, sg) = l.softplus_and_sigmoid();
        total += xv * l - sp;
        *g = xv - sg;
    }
    total
}

/// `Σ_p x_p l_p − softplus(l_p)`, accumulated in eight lanes so that the loop vectorises: bit for bit
/// the value [`bernoulli_log_likelihood_and_gradient`] returns (the same arithmetic without the
/// gradient), so a forward pass alone gives the log-weights a forward-and-backward pass gives.
pub fn bernoulli_log_likelihood<T: Real>(x: &[T], logits: &[T]) -> T {
    let mut acc = [T::zero(); 8];
    let mut xc = x.chunks_exact(8);
    let mut lc = logits.chunks_exact(8);
    for (xs, ls) in (&mut xc).zip(&mut lc) {
        for i in 0..8 {
            acc[i] += xs[i] * ls[i] - ls[i].softplus_and_sigmoid().0;
        }
    }
    let mut total = acc.iter().fold(T::zero(), |s, &v| s + v);
    for (&xv, &l) in xc.remainder().iter().zip(lc.remainder()) {
        total += xv * l - l.softplus_and_sigmoid().0;
    }
    total
}

/// `log N(z; μ, diag σ²)`.
fn log_normal<T: Real>(z: &[T], mu: &[T], sigma: &[T]) -> T {
    let mut s = T::of(-(z.len() as f64) * HALF_LN_2PI);
    for i in 0..z.len() {
        let u = (z[i] - mu[i]) / sigma[i];
        s -= T::of(0.5) * u * u + sigma[i].ln();
    }
    s
}

fn sum_sq<T: Real>(v: &[T]) -> T {
    v.iter().fold(T::zero(), |s, &x| s + x * x)
}

fn resize<T: Real>(v: &mut Vec<T>, len: usize) {
    if v.len() != len {
        v.resize(len, T::zero());
    }
}

pub(crate) fn check_all_finite<T: Real>(what: &'static str, v: &[T]) -> Result<()> {
    // Whole blocks without an early exit, so that the test vectorises (it runs over every logit).
    if v.chunks(256)
        .all(|block| block.iter().fold(true, |ok, x| ok & x.is_finite()))
    {
        Ok(())
    } else {
        Err(ModelError::NonFinite { what })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The log-likelihood alone and the logit gradient alone are the fused pass's, bit for bit, over
    /// logits from far below −87 (where `e^{−|l|}` flushes to zero) to far above; each logit is checked
    /// alone in the eight-lane loop (padded with logits whose terms are exactly zero) and in the
    /// remainder loop, so no rounding of a sum hides a difference.
    #[test]
    fn separate_passes_equal_the_fused_pass_bit_for_bit() {
        let mut grad = [0.0f32; 8];
        let mut fused_grad = [0.0f32; 8];
        for i in 0..40_000 {
            let l = i as f32 * 0.01 - 200.0;
            for x in [0.0f32, 1.0] {
                for len in [8, 1] {
                    let mut logits = [-1e4f32; 8];
                    logits[0] = l;
                    let xs = [x, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0];
                    let (xs, logits) = (&xs[..len], &logits[..len]);
                    let fused =
                        bernoulli_log_likelihood_and_gradient(xs, logits, &mut fused_grad[..len]);
                    bernoulli_logit_gradient(xs, logits, &mut grad[..len]);
                    let alone = bernoulli_log_likelihood(xs, logits);
                    assert_eq!(alone.to_bits(), fused.to_bits(), "log-likelihood at {l}");
                    assert_eq!(
                        grad[0].to_bits(),
                        fused_grad[0].to_bits(),
                        "gradient at {l}"
                    );
                }
            }
        }
    }
}
