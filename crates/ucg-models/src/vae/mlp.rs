//! A multilayer perceptron of dense layers with ReLU between them and a linear output, with a
//! hand-written forward and backward pass over a batch of columns (one GEMM per layer and direction).
//!
//! Parameters live in one flat vector (layer by layer: the weight matrix `W` (`out × in`, column-major),
//! then the bias `b`), so optimisers see one slice. Layer `l` computes `a_l = relu(W_l a_{l−1} + b_l)`,
//! the last one `W_L a_{L−1} + b_L`. This layout is the outside JAX peer's `x W + b` with `W` stored
//! `in × out` in C order, byte for byte.

use crate::gemm::{Op, gemm};
use crate::real::Real;
use rand::RngExt;
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

/// The shape of a perceptron: its layer widths, input first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MlpShape {
    widths: Vec<usize>,
}

impl MlpShape {
    /// Widths `[input, hidden…, output]` (at least an input and an output, all positive; checked by the
    /// model that builds it).
    pub(crate) fn new(widths: Vec<usize>) -> Self {
        MlpShape { widths }
    }

    /// The widths, input first.
    pub fn widths(&self) -> &[usize] {
        &self.widths
    }

    /// Number of dense layers.
    pub fn layers(&self) -> usize {
        self.widths.len() - 1
    }

    /// Width of the input.
    pub fn input(&self) -> usize {
        self.widths[0]
    }

    /// Width of the output.
    pub fn output(&self) -> usize {
        self.widths[self.widths.len() - 1]
    }

    /// Total number of parameters.
    pub fn num_params(&self) -> usize {
        self.widths.windows(2).map(|w| w[1] * w[0] + w[1]).sum()
    }

    /// Offset of layer `l`'s weights in the flat vector; its bias follows at `+ out · in`.
    fn offset(&self, l: usize) -> usize {
        self.widths[..=l]
            .windows(2)
            .map(|w| w[1] * w[0] + w[1])
            .sum()
    }

    /// `(inputs, outputs, weights' offset, bias' offset)` of layer `l`.
    fn layer(&self, l: usize) -> (usize, usize, usize, usize) {
        let (i, o) = (self.widths[l], self.widths[l + 1]);
        let w = self.offset(l);
        (i, o, w, w + o * i)
    }
}

/// Activations kept by [`forward`] for [`backward`], and scratch space; reused across calls so a
/// training step allocates nothing once warmed up.
#[derive(Clone, Debug, Default)]
pub struct MlpCache<T> {
    /// Output of every layer (after the ReLU for hidden layers), `width × cols`.
    outputs: Vec<Vec<T>>,
    cols: usize,
    delta: Vec<T>,
    delta_below: Vec<T>,
    scaled: Vec<T>,
}

impl<T: Real> MlpCache<T> {
    /// The last layer's output (`output × cols`) of the latest [`forward`].
    pub fn output(&self) -> &[T] {
        self.outputs.last().map_or(&[], |v| v.as_slice())
    }

    /// Mutable access to the last layer's output (for in-place post-processing by the model).
    pub fn output_mut(&mut self) -> &mut [T] {
        self.outputs
            .last_mut()
            .map_or(&mut [], |v| v.as_mut_slice())
    }

    /// The output gradient buffer that [`backward`] reads, sized `output × cols` (contents unspecified).
    pub fn output_delta(&mut self, len: usize) -> &mut [T] {
        resize(&mut self.delta, len);
        &mut self.delta
    }

    /// The last layer's output together with the output gradient buffer (sized like the output), to
    /// compute one from the other without a copy.
    pub fn output_and_delta(&mut self) -> (&[T], &mut [T]) {
        let len = self.output().len();
        resize(&mut self.delta, len);
        (
            self.outputs.last().map_or(&[], |v| v.as_slice()),
            &mut self.delta,
        )
    }
}

fn resize<T: Real>(v: &mut Vec<T>, len: usize) {
    if v.len() != len {
        v.resize(len, T::zero());
    }
}

/// Parameters drawn as torch's `nn.Linear` does by default: every weight and bias uniform on
/// `±1/√fan_in`, from a `Xoshiro256++` stream seeded with `seed`.
pub fn init_uniform<T: Real>(shape: &MlpShape, seed: u64) -> Vec<T> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut params = Vec::with_capacity(shape.num_params());
    for l in 0..shape.layers() {
        let (i, o, _, _) = shape.layer(l);
        let bound = 1.0 / (i as f64).sqrt();
        for _ in 0..o * i + o {
            params.push(T::of(rng.random_range(-bound..bound)));
        }
    }
    params
}

/// Forward pass of `cols` input columns (`input × cols`, column-major); the outputs are kept in `cache`.
pub fn forward<T: Real>(
    shape: &MlpShape,
    params: &[T],
    input: &[T],
    cols: usize,
    cache: &mut MlpCache<T>,
) {
    let layers = shape.layers();
    cache.outputs.resize_with(layers, Vec::new);
    cache.cols = cols;
    for l in 0..layers {
        let (i, o, w, b) = shape.layer(l);
        let (below, rest) = cache.outputs.split_at_mut(l);
        let out = &mut rest[0];
        resize(out, o * cols);
        // Bias first, then accumulate W a into it.
        for col in out.chunks_exact_mut(o) {
            col.copy_from_slice(&params[b..b + o]);
        }
        let a = if l == 0 { input } else { &below[l - 1] };
        gemm(
            o,
            cols,
            i,
            T::one(),
            &params[w..w + o * i],
            Op::Identity,
            a,
            Op::Identity,
            T::one(),
            out,
        );
        if l + 1 < layers {
            out.iter_mut().for_each(|v| *v = v.max(T::zero()));
        }
    }
}

/// Backward pass after [`forward`] on the same `input`: with `δ` the gradient of some objective with
/// respect to the output (placed in [`MlpCache::output_delta`]), accumulates into `grad` the parameter
/// gradient of `Σ_j c_j · (objective of column j)` — `coeffs` gives `c_j`, all ones when `None` — and
/// writes into `input_grad` (`input × cols`), when asked, the *unweighted* input gradient of every
/// column.
///
/// Column `j`'s gradient at every layer is linear in `c_j`, so the unweighted `δ` is propagated down and
/// the weights are applied to each layer's input activations just before its weight gradient: a tiny
/// coefficient then never multiplies `δ`'s tiny entries. Every `δ` entry and weighted activation below
/// [`flush_threshold`] is set to zero, so no product in the passes is subnormal (each subnormal operation
/// costs a microcode assist, and a trained decoder's logits far below zero make many); what is dropped
/// is below `2⁻⁵⁰` for `f32`, far under the rounding of the gradient's entries.
pub fn backward<T: Real>(
    shape: &MlpShape,
    params: &[T],
    input: &[T],
    cache: &mut MlpCache<T>,
    coeffs: Option<&[T]>,
    grad: &mut [T],
    mut input_grad: Option<&mut [T]>,
) {
    let cols = cache.cols;
    let layers = shape.layers();
    let flush = flush_threshold::<T>();
    flush_small(&mut cache.delta, flush);
    // All-zero coefficients (a training step whose θ-gradient comes from elsewhere) add nothing to the
    // parameters' gradient: only the input gradient is wanted, so the weight GEMMs are skipped.
    let weights_wanted = coeffs.is_none_or(|c| c.iter().any(|&v| v != T::zero()));
    for l in (0..layers).rev() {
        let (i, o, w, b) = shape.layer(l);
        let a = if l == 0 { input } else { &cache.outputs[l - 1] };
        let delta = &cache.delta[..o * cols];
        match coeffs {
            _ if !weights_wanted => {}
            Some(c) => {
                // dW += Σ_j δ_j (c_j a_j)ᵀ, db += Σ_j c_j δ_j.
                resize(&mut cache.scaled, i * cols);
                let scaled = &mut cache.scaled;
                scale_columns_into(scaled, &a[..i * cols], c, flush);
                gemm(
                    o,
                    i,
                    cols,
                    T::one(),
                    delta,
                    Op::Identity,
                    scaled,
                    Op::Transpose,
                    T::one(),
                    &mut grad[w..w + o * i],
                );
                let db = &mut grad[b..b + o];
                for (col, &cj) in delta.chunks_exact(o).zip(c) {
                    if cj.abs() >= flush {
                        db.iter_mut().zip(col).for_each(|(g, &d)| *g += cj * d);
                    }
                }
            }
            None => {
                // dW += δ aᵀ, db += Σ_j δ_j.
                gemm(
                    o,
                    i,
                    cols,
                    T::one(),
                    delta,
                    Op::Identity,
                    a,
                    Op::Transpose,
                    T::one(),
                    &mut grad[w..w + o * i],
                );
                let db = &mut grad[b..b + o];
                for col in delta.chunks_exact(o) {
                    db.iter_mut().zip(col).for_each(|(g, &d)| *g += d);
                }
            }
        }
        if l == 0 {
            if let Some(ig) = input_grad.as_deref_mut() {
                gemm(
                    i,
                    cols,
                    o,
                    T::one(),
                    &params[w..w + o * i],
                    Op::Transpose,
                    &cache.delta,
                    Op::Identity,
                    T::zero(),
                    ig,
                );
            }
        } else {
            resize(&mut cache.delta_below, i * cols);
            gemm(
                i,
                cols,
                o,
                T::one(),
                &params[w..w + o * i],
                Op::Transpose,
                &cache.delta,
                Op::Identity,
                T::zero(),
                &mut cache.delta_below,
            );
            // ReLU: the gradient passes where the layer's output is positive.
            // (A select rather than a conditional store, so that the loop vectorises.)
            cache
                .delta_below
                .iter_mut()
                .zip(&cache.outputs[l - 1])
                .for_each(|(d, &h)| {
                    let pass = h > T::zero() && d.abs() >= flush;
                    *d = if pass { *d } else { T::zero() };
                });
            std::mem::swap(&mut cache.delta, &mut cache.delta_below);
        }
    }
}

/// The magnitude below which [`backward`] sets gradient terms to zero: `2¹³ √(smallest normal)`, i.e.
/// `2⁻⁵⁰` for `f32`, so that the product of two kept values (and that product times a weight above
/// `2⁻¹³`) is never subnormal.
pub fn flush_threshold<T: Real>() -> T {
    let smallest_normal = if T::BYTES == 4 {
        f64::from(f32::MIN_POSITIVE)
    } else {
        f64::MIN_POSITIVE
    };
    T::of(smallest_normal.sqrt() * 8192.0)
}

/// Sets the entries of `v` below `threshold` in magnitude to zero.
fn flush_small<T: Real>(v: &mut [T], threshold: T) {
    v.iter_mut().for_each(|x| {
        *x = if x.abs() < threshold { T::zero() } else { *x };
    });
}

/// Writes column `j` of `a` (`rows × c.len()`) times `c[j]` into `out`, entries below `threshold` in
/// magnitude set to zero (one pass over the activations, as a copy, a scaling and a flush would take three).
fn scale_columns_into<T: Real>(out: &mut [T], a: &[T], c: &[T], threshold: T) {
    let rows = (a.len() / c.len().max(1)).max(1);
    for ((o, col), &cj) in out.chunks_exact_mut(rows).zip(a.chunks_exact(rows)).zip(c) {
        o.iter_mut().zip(col).for_each(|(o, &v)| {
            let s = v * cj;
            *o = if s.abs() < threshold { T::zero() } else { s };
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Objective Σ_j c_j Σ_r u_{rj} · out_{rj} for fixed u: its gradients are backward's with δ = u.
    fn objective(shape: &MlpShape, p: &[f64], x: &[f64], cols: usize, u: &[f64], c: &[f64]) -> f64 {
        let mut cache = MlpCache::default();
        forward(shape, p, x, cols, &mut cache);
        let out = cache.output();
        let o = shape.output();
        (0..cols)
            .map(|j| c[j] * (0..o).map(|r| u[r + o * j] * out[r + o * j]).sum::<f64>())
            .sum()
    }

    #[test]
    fn backward_matches_finite_differences() {
        let shape = MlpShape::new(vec![5, 7, 6, 4]);
        let p: Vec<f64> = init_uniform(&shape, 3);
        let cols = 9;
        let x: Vec<f64> = (0..5 * cols)
            .map(|i| ((i * 37 % 11) as f64 - 5.0) / 4.0)
            .collect();
        let u: Vec<f64> = (0..4 * cols)
            .map(|i| ((i * 13 % 7) as f64 - 3.0) / 3.0)
            .collect();
        let c: Vec<f64> = (0..cols).map(|j| 0.3 + j as f64 * 0.2).collect();
        let mut cache = MlpCache::default();
        forward(&shape, &p, &x, cols, &mut cache);
        cache.output_delta(4 * cols).copy_from_slice(&u);
        let mut grad = vec![0.0; p.len()];
        let mut xg = vec![0.0; x.len()];
        backward(
            &shape,
            &p,
            &x,
            &mut cache,
            Some(&c),
            &mut grad,
            Some(&mut xg),
        );
        let h = 1e-6;
        let fd = |f: &dyn Fn(f64) -> f64| (f(h) - f(-h)) / (2.0 * h);
        for q in 0..p.len() {
            let num = fd(&|e| {
                let mut pe = p.clone();
                pe[q] += e;
                objective(&shape, &pe, &x, cols, &u, &c)
            });
            assert!(
                (num - grad[q]).abs() < 1e-6 * (1.0 + num.abs()),
                "param {q}: {num} vs {}",
                grad[q]
            );
        }
        // The input gradient is unweighted: compare with c = 1.
        let ones = vec![1.0; cols];
        for q in 0..x.len() {
            let num = fd(&|e| {
                let mut xe = x.clone();
                xe[q] += e;
                objective(&shape, &p, &xe, cols, &u, &ones)
            });
            assert!((num - xg[q]).abs() < 1e-6 * (1.0 + num.abs()), "input {q}");
        }
        // Without an input gradient: the same parameter gradient.
        forward(&shape, &p, &x, cols, &mut cache);
        cache.output_delta(4 * cols).copy_from_slice(&u);
        let mut grad2 = vec![0.0; p.len()];
        backward(&shape, &p, &x, &mut cache, Some(&c), &mut grad2, None);
        for q in 0..p.len() {
            assert!((grad[q] - grad2[q]).abs() < 1e-12 * (1.0 + grad[q].abs()));
        }
        // All-zero coefficients: the parameter gradient is left as it was (the weight products are
        // skipped) and the input gradient is the same unweighted one.
        forward(&shape, &p, &x, cols, &mut cache);
        cache.output_delta(4 * cols).copy_from_slice(&u);
        let mut untouched = vec![0.5; p.len()];
        let mut xg0 = vec![0.0; x.len()];
        let zeros = vec![0.0; cols];
        backward(
            &shape,
            &p,
            &x,
            &mut cache,
            Some(&zeros),
            &mut untouched,
            Some(&mut xg0),
        );
        assert!(untouched.iter().all(|&g| g == 0.5));
        assert_eq!(xg0, xg);
    }

    #[test]
    fn initialisation_is_bounded_by_one_over_root_fan_in() {
        let shape = MlpShape::new(vec![16, 4, 2]);
        let p: Vec<f64> = init_uniform(&shape, 1);
        assert_eq!(p.len(), 16 * 4 + 4 + 4 * 2 + 2);
        assert!(p[..68].iter().all(|v| v.abs() < 0.25) && p[68..].iter().all(|v| v.abs() < 0.5));
        assert!(p[..68].iter().any(|v| v.abs() > 0.2));
    }
}
