//! Building a (D)ISIR proposal set around a kept particle.

use nalgebra::DMatrix;
use rand::Rng;
use rand_distr::{Distribution, StandardNormal};

/// Fills every column but `skip` with independent standard-normal innovations.
pub(super) fn draw_innovations<R: Rng + ?Sized>(
    noise: &mut DMatrix<f64>,
    skip: usize,
    rng: &mut R,
) {
    let d = noise.nrows().max(1);
    // Contiguous column slices keep the sampling loop tight (nalgebra's strided iterators do not).
    for (k, col) in noise.as_mut_slice().chunks_exact_mut(d).enumerate() {
        if k != skip {
            for v in col {
                *v = StandardNormal.sample(rng);
            }
        }
    }
}

/// Turns innovations into the DISIR path: column `l` holds the kept particle and the AR(1) recursion
/// `ξ_k = β ξ_{k∓1} + √(1−β²) ε_k` runs outward from it in both directions. β = 0 leaves the innovations.
pub(super) fn ar1_outward(noise: &mut DMatrix<f64>, l: usize, beta: f64) {
    if beta == 0.0 {
        return;
    }
    let s = (1.0 - beta * beta).sqrt();
    let k = noise.ncols();
    for j in l + 1..k {
        let (prev, mut cur) = noise.columns_range_pair_mut(j - 1, j);
        cur.zip_apply(&prev, |c, p| *c = beta * p + s * *c);
    }
    for j in (0..l).rev() {
        let (mut cur, next) = noise.columns_range_pair_mut(j, j + 1);
        cur.zip_apply(&next, |c, n| *c = beta * n + s * *c);
    }
}
