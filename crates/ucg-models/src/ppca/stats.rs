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
    pub const BLOCK: usize = 256;

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
        let r = c.abs().sqrt();
        let buf = if c > 0.0 {
            &mut self.pos
        } else {
            &mut self.neg
        };
        let start = buf.len();
        buf.extend_from_slice(z);
        buf[start..].iter_mut().for_each(|v| *v *= r);
        if buf.len() >= Self::BLOCK * self.d {
            self.flush();
        }
    }

    /// Folds the buffered particles into `S2`, computing only the lower blocks of the symmetric product
    /// (`[A₁; A₂][A₁; A₂]ᵀ` needs `A₁A₁ᵀ`, `A₂A₁ᵀ` and `A₂A₂ᵀ`: three quarters of the work).
    fn flush(&mut self) {
        let d = self.d;
        if d == 0 {
            return;
        }
        let h = d / 2;
        for (buf, sign) in [(&mut self.pos, 1.0), (&mut self.neg, -1.0)] {
            let m = buf.len() / d;
            if m == 0 {
                continue;
            }
            let a = DMatrixView::from_slice_generic(buf, Dyn(d), Dyn(m));
            // The same buffer read as the m × d transpose: row stride d, column stride 1.
            let at =
                DMatrixView::from_slice_with_strides_generic(buf, Dyn(m), Dyn(d), Dyn(d), Dyn(1));
            if h == 0 {
                self.s2.gemm(sign, &a, &at, 1.0);
            } else {
                let (a1, a2) = (a.rows(0, h), a.rows(h, d - h));
                let (a1t, a2t) = (at.columns(0, h), at.columns(h, d - h));
                self.s2.view_mut((0, 0), (h, h)).gemm(sign, &a1, &a1t, 1.0);
                self.s2
                    .view_mut((h, 0), (d - h, h))
                    .gemm(sign, &a2, &a1t, 1.0);
                self.s2
                    .view_mut((h, h), (d - h, d - h))
                    .gemm(sign, &a2, &a2t, 1.0);
            }
            buf.clear();
        }
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
        let mut done = self.clone();
        done.flush();
        let mut s2 = done.s2;
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
