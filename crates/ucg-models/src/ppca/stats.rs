//! Weighted sufficient statistics of particles, from which PPCA's gradient is assembled in one batched pass.

use crate::error::{Result, check_len};
use nalgebra::{DMatrix, DMatrixView, DVector, Dyn};

/// Weighted particles of one data point: the totals `s0 = Σ c`, `s1 = Σ c z` and `S2 = Σ c z zᵀ`.
///
/// Particles are buffered scaled by `√|c|` in two small buffers (positive and negative coefficients) and
/// folded into `S2` as `A Aᵀ − B Bᵀ` by one matrix product per [`PointStats::BLOCK`] particles: a rank-one
/// update per particle would be several times slower, and one product over all particles at the end would
/// stream hundreds of megabytes through memory.
///
/// An estimator hands out (particle, coefficient) pairs as it runs; `Σ_k c_k ∇θ log p(x, z_k)` is then
/// linear in these statistics (see [`super::PpcaPoint::gradient_from_stats`]).
#[derive(Clone, Debug)]
pub struct PointStats {
    d: usize,
    s0: f64,
    s1: DVector<f64>,
    s2: DMatrix<f64>,
    count: usize,
    pos: Vec<f64>,
    neg: Vec<f64>,
}

impl PointStats {
    /// Particles buffered before they are folded into `S2` (a block of `D × BLOCK` stays in cache).
    pub const BLOCK: usize = 64;

    /// Empty statistics for latent dimension `d`.
    pub fn new(d: usize) -> Self {
        PointStats {
            d,
            s0: 0.0,
            s1: DVector::zeros(d),
            s2: DMatrix::zeros(d, d),
            count: 0,
            pos: Vec::new(),
            neg: Vec::new(),
        }
    }
    /// Latent dimension `D`.
    pub fn latent_dim(&self) -> usize {
        self.d
    }
    /// Number of particles recorded.
    pub fn len(&self) -> usize {
        self.count
    }
    /// Whether no particle has been recorded.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }
    /// `Σ c`.
    pub fn total_coefficient(&self) -> f64 {
        self.s0
    }
    /// `Σ c z`.
    pub fn first_moment(&self) -> &DVector<f64> {
        &self.s1
    }

    /// Records particle `z` (length `D`) with coefficient `c`; a zero coefficient is skipped.
    ///
    /// # Panics
    /// If `z.len() != D` (use [`PointStats::push_set`] for checked input).
    pub fn push(&mut self, z: &[f64], c: f64) {
        assert_eq!(z.len(), self.d, "particle of the wrong dimension");
        if c == 0.0 {
            return;
        }
        self.s0 += c;
        for (s, v) in self.s1.as_mut_slice().iter_mut().zip(z) {
            *s += c * v;
        }
        self.count += 1;
        self.buffer(z, c);
    }

    /// Adds `c z zᵀ` to `S2` only (through the buffers), leaving the totals and first moment alone.
    fn buffer(&mut self, z: &[f64], c: f64) {
        let block = Self::BLOCK;
        let r = c.abs().sqrt();
        let buf = if c > 0.0 {
            &mut self.pos
        } else {
            &mut self.neg
        };
        if buf.len() == buf.capacity() {
            // Room for a few particles first (an importance set needs no more), then for a whole block at
            // once: doubling up to a block would copy the buffer again and again.
            let want = if buf.capacity() == 0 {
                16.min(block)
            } else {
                block
            };
            buf.reserve_exact(want * self.d - buf.len());
        }
        let start = buf.len();
        buf.extend_from_slice(z);
        buf[start..].iter_mut().for_each(|v| *v *= r);
        if buf.len() >= block * self.d {
            self.flush();
        }
    }

    /// Folds the buffered particles into `S2`.
    fn flush(&mut self) {
        fold(self.d, &self.pos, &self.neg, &mut self.s2);
        self.pos.clear();
        self.neg.clear();
    }

    /// Records every column `z_k` of `z` (`D × K`) with coefficient `scale · weights[k]`.
    ///
    /// # Errors
    /// Wrong number of rows or of weights.
    pub fn push_set(&mut self, z: &DMatrix<f64>, weights: &[f64], scale: f64) -> Result<()> {
        check_len("latent dimension D", self.d, z.nrows())?;
        check_len("number of weights", z.ncols(), weights.len())?;
        for (col, &w) in z.as_slice().chunks_exact(self.d.max(1)).zip(weights) {
            self.push(col, scale * w);
        }
        Ok(())
    }

    /// Records `scale · (Σ_k w_k x_k x_kᵀ − Σ_k v_k y_k y_kᵀ)`, with the matching totals and first
    /// moments, for two sets whose columns differ by a rank-one term, `x_k = y_k + b_k δ` — the sets of two
    /// chains after a coupled DISIR step, whose AR(1) paths share their innovations and start from kept
    /// particles that differ by `δ` (`b_k = β^{|k − ℓ_aux|}`; with β = 0, `b` is the indicator of the one
    /// differing slot). Only `y`, `δ` and `b` are read: the `y` set is recorded once with coefficients
    /// `scale (w_k − v_k)`, and then `S2 += scale [u δᵀ + δ uᵀ + (Σ_k w_k b_k²) δδᵀ]` with
    /// `u = Σ_k w_k b_k y_k`, and `Σ c z += scale (Σ_k w_k b_k) δ`: one set's work instead of two. (For
    /// β > 0 the sets' columns satisfy the identity up to rounding, which this form does not reproduce.)
    ///
    /// # Errors
    /// Mismatched shapes.
    pub fn push_set_difference(
        &mut self,
        y: &DMatrix<f64>,
        w: &[f64],
        v: &[f64],
        delta: &[f64],
        b: &[f64],
        scale: f64,
    ) -> Result<()> {
        let (d, k) = (self.d, y.ncols());
        check_len("latent dimension D", d, y.nrows())?;
        check_len("latent dimension of δ", d, delta.len())?;
        for (what, len) in [
            ("weights w", w.len()),
            ("weights v", v.len()),
            ("path factors b", b.len()),
        ] {
            check_len(what, k, len)?;
        }
        let mut u = vec![0.0; d];
        let (mut wb, mut wbb) = (0.0, 0.0);
        for (j, col) in y.as_slice().chunks_exact(d.max(1)).enumerate() {
            self.push(col, scale * (w[j] - v[j]));
            let f = w[j] * b[j];
            if f != 0.0 {
                u.iter_mut().zip(col).for_each(|(a, c)| *a += f * c);
                wb += f;
                wbb += f * b[j];
            }
        }
        for (s, dl) in self.s1.as_mut_slice().iter_mut().zip(delta) {
            *s += scale * wb * dl;
        }
        // u δᵀ + δ uᵀ + c δδᵀ = a δᵀ + δ aᵀ with a = u + (c/2) δ, which is ½ (a+δ)(a+δ)ᵀ − ½ (a−δ)(a−δ)ᵀ:
        // two more buffered vectors, folded into S2 by the same matrix products as the particles.
        let (plus, minus): (Vec<f64>, Vec<f64>) = u
            .iter()
            .zip(delta)
            .map(|(ui, di)| {
                let a = ui + 0.5 * wbb * di;
                (a + di, a - di)
            })
            .unzip();
        if scale != 0.0 {
            self.buffer(&plus, 0.5 * scale);
            self.buffer(&minus, -0.5 * scale);
        }
        Ok(())
    }

    /// Adds another point's statistics (same latent dimension) into these.
    ///
    /// # Errors
    /// Different latent dimensions.
    pub fn merge(&mut self, other: &PointStats) -> Result<()> {
        check_len("latent dimension D", self.d, other.d)?;
        self.s0 += other.s0;
        self.s1 += &other.s1;
        self.s2 += &other.s2;
        self.count += other.count;
        self.pos.extend_from_slice(&other.pos);
        self.neg.extend_from_slice(&other.neg);
        self.flush();
        Ok(())
    }

    /// `S2 = Σ c z zᵀ` (`D × D`).
    pub fn second_moment(&self) -> DMatrix<f64> {
        let mut s2 = self.s2.clone();
        fold(self.d, &self.pos, &self.neg, &mut s2);
        let h = self.d / 2;
        if h > 0 {
            // Only the lower blocks were accumulated: mirror the lower-left block to the upper right.
            for i in 0..h {
                for j in h..self.d {
                    s2[(i, j)] = s2[(j, i)];
                }
            }
        }
        s2
    }
}

/// Adds `A Aᵀ − B Bᵀ` to `s2` for the `√|c|`-scaled particles in `pos` (`A`) and `neg` (`B`), computing only
/// the lower blocks of each symmetric product (`[A₁; A₂][A₁; A₂]ᵀ` needs `A₁A₁ᵀ`, `A₂A₁ᵀ` and `A₂A₂ᵀ`:
/// three quarters of the work; [`PointStats::second_moment`] mirrors the rest).
fn fold(d: usize, pos: &[f64], neg: &[f64], s2: &mut DMatrix<f64>) {
    if d == 0 {
        return;
    }
    let h = d / 2;
    for (buf, sign) in [(pos, 1.0), (neg, -1.0)] {
        let m = buf.len() / d;
        if m == 0 {
            continue;
        }
        let a = DMatrixView::from_slice_generic(buf, Dyn(d), Dyn(m));
        // The same buffer read as the m × d transpose: row stride d, column stride 1.
        let at = DMatrixView::from_slice_with_strides_generic(buf, Dyn(m), Dyn(d), Dyn(d), Dyn(1));
        if h == 0 {
            s2.gemm(sign, &a, &at, 1.0);
        } else {
            let (a1, a2) = (a.rows(0, h), a.rows(h, d - h));
            let (a1t, a2t) = (at.columns(0, h), at.columns(h, d - h));
            s2.view_mut((0, 0), (h, h)).gemm(sign, &a1, &a1t, 1.0);
            s2.view_mut((h, 0), (d - h, h)).gemm(sign, &a2, &a1t, 1.0);
            s2.view_mut((h, h), (d - h, d - h))
                .gemm(sign, &a2, &a2t, 1.0);
        }
    }
}

/// Sufficient statistics of a whole batch: per-point `s0_n`, `s1_n` and the summed `S2 = Σ_n S2_n`, from
/// which [`super::Ppca::gradient_from_stats`] assembles `Σ_n Σ_k c_nk ∇θ log p(x_n, z_nk)`.
#[derive(Clone, Debug)]
pub struct BatchStats {
    /// `s0_n = Σ_k c_nk` for each point (length `N`).
    pub s0: DVector<f64>,
    /// `s1_n = Σ_k c_nk z_nk` as columns (`D × N`).
    pub s1: DMatrix<f64>,
    /// `S2 = Σ_n Σ_k c_nk z_nk z_nkᵀ` (`D × D`).
    pub s2: DMatrix<f64>,
}

impl BatchStats {
    /// Collects the statistics of each point (in batch order).
    ///
    /// # Errors
    /// Points with different latent dimensions.
    pub fn from_points(points: &[PointStats]) -> Result<Self> {
        let d = points.first().map(|p| p.d).unwrap_or(0);
        let mut all = PointStats::new(d);
        for p in points {
            all.merge(p)?;
        }
        let s0 = DVector::from_iterator(points.len(), points.iter().map(|p| p.s0));
        let mut s1 = DMatrix::zeros(d, points.len());
        for (mut col, p) in s1.column_iter_mut().zip(points) {
            col.copy_from(&p.s1);
        }
        Ok(BatchStats {
            s0,
            s1,
            s2: all.second_moment(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The rank-one difference form agrees with recording both sets explicitly.
    #[test]
    fn set_difference_matches_explicit_sets() {
        let (d, k, l, beta) = (5, 4, 2, 0.7);
        let y = DMatrix::from_fn(d, k, |i, j| {
            ((i * 7 + j * 3) % 5) as f64 - 2.0 + 0.1 * i as f64
        });
        let delta: Vec<f64> = (0..d).map(|i| 0.3 * i as f64 - 0.5).collect();
        let b: Vec<f64> = (0..k)
            .map(|j| f64::powi(beta, j.abs_diff(l) as i32))
            .collect();
        let x = DMatrix::from_fn(d, k, |i, j| y[(i, j)] + b[j] * delta[i]);
        let (w, v) = ([0.1, 0.2, 0.3, 0.4], [0.4, 0.1, 0.25, 0.25]);
        let mut explicit = PointStats::new(d);
        explicit.push_set(&x, &w, 1.5).unwrap();
        explicit.push_set(&y, &v, -1.5).unwrap();
        let mut compact = PointStats::new(d);
        compact
            .push_set_difference(&y, &w, &v, &delta, &b, 1.5)
            .unwrap();
        assert!((explicit.total_coefficient() - compact.total_coefficient()).abs() < 1e-12);
        assert!((explicit.first_moment() - compact.first_moment()).norm() < 1e-12);
        assert!((explicit.second_moment() - compact.second_moment()).norm() < 1e-10);
        assert!(
            compact
                .push_set_difference(&y, &w, &v[..3], &delta, &b, 1.0)
                .is_err()
        );
    }
}
