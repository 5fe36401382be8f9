//! Dense matrix products for the neural models, behind one function so the implementation can change.
//!
//! All matrices are column-major slices. [`gemm`] computes `C ← α op(A) op(B) + β C` with `op` the
//! identity or the transpose ([`Op`]), through `nalgebra`'s `gemm` on (possibly strided) views, which
//! hands the product to `matrixmultiply`'s packed, runtime-dispatched AVX/FMA kernels.
//!
//! **Two threads.** A large product is split by columns of `C` into one block per rayon thread
//! ([`rayon::current_num_threads`]). Each element of `C` is computed by the same kernel with the same
//! order of summation over `k` whatever the split, so the result is bit-identical for any number of
//! threads (tested). `matrixmultiply`'s own `threading` feature would be the alternative; it is not used
//! because it would also thread every small `nalgebra` product of the other crates, inside their rayon
//! loops (see the crate README for the measurements).
//!
//! # Example
//! ```
//! use ucg_models::gemm::{Op, gemm};
//! // A = [1 2; 3 4] (column-major [1, 3, 2, 4]), C = Aᵀ A.
//! let a = [1.0f32, 3.0, 2.0, 4.0];
//! let mut c = [0.0f32; 4];
//! gemm(2, 2, 2, 1.0, &a, Op::Transpose, &a, Op::Identity, 0.0, &mut c);
//! assert_eq!(c, [10.0, 14.0, 14.0, 20.0]);
//! ```

use crate::real::Real;
use nalgebra::{DMatrixView, DMatrixViewMut, Dyn};
use rayon::prelude::*;

/// Whether a factor enters a product as stored or transposed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// As stored.
    Identity,
    /// Transposed.
    Transpose,
}

/// Products smaller than this many multiply-adds run on the calling thread: splitting them costs more
/// than it saves.
const PARALLEL_MIN_WORK: usize = 1 << 18;

/// Fewest columns of `C` per thread when a product is split.
const MIN_BLOCK_COLUMNS: usize = 32;

/// A view of `op(X)` as an `rows × cols` matrix, `X` stored column-major.
fn view<T: Real>(x: &[T], op: Op, rows: usize, cols: usize) -> DMatrixView<'_, T, Dyn, Dyn> {
    match op {
        // X is rows × cols: element (i, j) at i + rows j.
        Op::Identity => DMatrixView::from_slice_with_strides(x, rows, cols, 1, rows.max(1)),
        // X is cols × rows: element (i, j) of Xᵀ at j + cols i.
        Op::Transpose => DMatrixView::from_slice_with_strides(x, rows, cols, cols.max(1), 1),
    }
}

/// `C ← α op(A) op(B) + β C` with `op(A)` of shape `m × k`, `op(B)` of shape `k × n` and `C` of shape
/// `m × n`, every matrix column-major. With `β = 0`, `C`'s previous contents are ignored (NaN included).
///
/// # Panics
/// If a slice is shorter than its shape requires (a programming error inside the models, never a
/// consequence of user input: the models check their inputs' sizes first).
pub fn gemm<T: Real>(
    m: usize,
    n: usize,
    k: usize,
    alpha: T,
    a: &[T],
    op_a: Op,
    b: &[T],
    op_b: Op,
    beta: T,
    c: &mut [T],
) {
    assert!(a.len() >= m * k && b.len() >= k * n && c.len() >= m * n);
    let c = &mut c[..m * n];
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        c.iter_mut().for_each(|v| {
            *v = if beta == T::zero() {
                T::zero()
            } else {
                *v * beta
            }
        });
        return;
    }
    let a = view(&a[..m * k], op_a, m, k);
    let b = view(&b[..k * n], op_b, k, n);
    // Every block packs all of `op(A)`, so a block needs enough columns to pay for that copy.
    let blocks = rayon::current_num_threads().min(n / MIN_BLOCK_COLUMNS);
    if blocks <= 1 || m * n * k < PARALLEL_MIN_WORK {
        block(c, m, 0, n, alpha, &a, &b, beta);
        return;
    }
    // Blocks of whole columns, a multiple of 8 columns where possible (the kernels' tile width), but
    // never a last block of at most `SMALL` columns: the tiny-product loop sums in another order than
    // the packed kernels, so the result would depend on the number of threads.
    let mut per = n.div_ceil(blocks).next_multiple_of(8).min(n);
    if !n.is_multiple_of(per) && n % per <= SMALL {
        per = n.div_ceil(blocks);
    }
    c.par_chunks_mut(m * per)
        .enumerate()
        .for_each(|(i, chunk)| {
            let first = i * per;
            block(chunk, m, first, chunk.len() / m, alpha, &a, &b, beta)
        });
}

/// Columns `first .. first + cols` of the product, into `c` (`m × cols`).
fn block<T: Real>(
    c: &mut [T],
    m: usize,
    first: usize,
    cols: usize,
    alpha: T,
    a: &DMatrixView<'_, T, Dyn, Dyn>,
    b: &DMatrixView<'_, T, Dyn, Dyn>,
    beta: T,
) {
    let b = b.columns(first, cols);
    let k = a.ncols();
    if m <= SMALL || cols <= SMALL || k <= SMALL {
        // nalgebra hands only products with every side above 5 to matrixmultiply; its fallback for the
        // others does not accept strided views, so tiny products are done here.
        for j in 0..cols {
            for i in 0..m {
                let dot = (0..k).fold(T::zero(), |s, p| s + a[(i, p)] * b[(p, j)]);
                let old = if beta == T::zero() {
                    T::zero()
                } else {
                    beta * c[i + m * j]
                };
                c[i + m * j] = alpha * dot + old;
            }
        }
        return;
    }
    let mut out = DMatrixViewMut::from_slice(c, m, cols);
    out.gemm(alpha, a, &b, beta);
}

/// Largest side for which a product is done without `matrixmultiply` (nalgebra's own threshold).
const SMALL: usize = 5;

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(m: usize, n: usize, k: usize, a: &[f64], op_a: Op, b: &[f64], op_b: Op) -> Vec<f64> {
        let at = |i: usize, p: usize| match op_a {
            Op::Identity => a[i + m * p],
            Op::Transpose => a[p + k * i],
        };
        let bt = |p: usize, j: usize| match op_b {
            Op::Identity => b[p + k * j],
            Op::Transpose => b[j + n * p],
        };
        let mut c = vec![0.0; m * n];
        for j in 0..n {
            for i in 0..m {
                c[i + m * j] = (0..k).map(|p| at(i, p) * bt(p, j)).sum();
            }
        }
        c
    }

    fn filled(len: usize, seed: usize) -> Vec<f64> {
        (0..len)
            .map(|i| (((i * 7919 + seed * 104_729) % 1000) as f64 / 500.0) - 1.0)
            .collect()
    }

    #[test]
    fn every_transpose_combination_matches_the_naive_product() {
        for (m, n, k) in [(3, 4, 5), (17, 9, 33), (70, 130, 40), (2, 1, 3)] {
            for op_a in [Op::Identity, Op::Transpose] {
                for op_b in [Op::Identity, Op::Transpose] {
                    let a = filled(m * k, 1);
                    let b = filled(k * n, 2);
                    let mut c = filled(m * n, 3);
                    let c0 = c.clone();
                    gemm(m, n, k, 2.0, &a, op_a, &b, op_b, 0.5, &mut c);
                    let want = naive(m, n, k, &a, op_a, &b, op_b);
                    for i in 0..m * n {
                        let w = 2.0 * want[i] + 0.5 * c0[i];
                        assert!((c[i] - w).abs() < 1e-10 * (1.0 + w.abs()), "{m} {n} {k}");
                    }
                }
            }
        }
    }

    /// Bit-identical for every number of threads, with `β = 0` and `β = 1` (the models' accumulating
    /// products), for the layouts the models use: `Wᵀ δ` (transposed `A`), `W a` and `δ aᵀ` (transposed
    /// `B`), and for column counts that split unevenly.
    #[test]
    fn results_do_not_depend_on_the_number_of_threads() {
        for (m, n, k, op_a, op_b) in [
            (200, 333, 61, Op::Transpose, Op::Identity),
            (784, 20, 200, Op::Transpose, Op::Identity),
            (200, 10, 4096, Op::Transpose, Op::Identity),
            (300, 37, 100, Op::Transpose, Op::Identity),
            (784, 200, 300, Op::Identity, Op::Transpose),
            (784, 150, 200, Op::Identity, Op::Identity),
            (133, 70, 90, Op::Identity, Op::Identity),
        ] {
            let a: Vec<f32> = filled(m * k, 4).iter().map(|&v| v as f32).collect();
            let b: Vec<f32> = filled(k * n, 5).iter().map(|&v| v as f32).collect();
            let c0: Vec<f32> = filled(m * n, 6).iter().map(|&v| v as f32).collect();
            for beta in [0.0, 1.0] {
                let run = |threads: usize| {
                    let pool = rayon::ThreadPoolBuilder::new()
                        .num_threads(threads)
                        .build()
                        .unwrap();
                    pool.install(|| {
                        let mut c = if beta == 0.0 {
                            vec![f32::NAN; m * n]
                        } else {
                            c0.clone()
                        };
                        gemm(m, n, k, 1.0, &a, op_a, &b, op_b, beta, &mut c);
                        c
                    })
                };
                let one = run(1);
                assert!(one.iter().all(|v| v.is_finite()));
                for t in [2, 3, 4] {
                    assert!(run(t) == one, "{m} × {n} × {k}, β = {beta}, {t} threads");
                }
            }
        }
    }
}
