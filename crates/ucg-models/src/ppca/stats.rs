//! Weighted sufficient statistics of particles, from which PPCA's gradient is assembled in one batched pass.

use crate::error::{Result, check_len};
use nalgebra::{DMatrix, DVector, DVectorView};

/// Weighted particles of one data point: the totals `s0 = Σ c`, `s1 = Σ c z`, and the particles and
/// coefficients themselves, kept so that `S2 = Σ c z zᵀ` is computed by one matrix product at the end
/// (a rank-one update per particle would be several times slower).
///
/// An estimator hands out (particle, coefficient) pairs as it runs; `Σ_k c_k ∇θ log p(x, z_k)` is then
/// linear in these statistics (see [`super::PpcaPoint::gradient_from_stats`]).
#[derive(Clone, Debug)]
pub struct PointStats {
    d: usize,
    s0: f64,
    s1: DVector<f64>,
    zs: Vec<f64>,
    coeffs: Vec<f64>,
}

impl PointStats {
    /// Empty statistics for latent dimension `d`.
    pub fn new(d: usize) -> Self {
        PointStats {
            d,
            s0: 0.0,
            s1: DVector::zeros(d),
            zs: Vec::new(),
            coeffs: Vec::new(),
        }
    }
    /// Latent dimension `D`.
    pub fn latent_dim(&self) -> usize {
        self.d
    }
    /// Number of particles recorded.
    pub fn len(&self) -> usize {
        self.coeffs.len()
    }
    /// Whether no particle has been recorded.
    pub fn is_empty(&self) -> bool {
        self.coeffs.is_empty()
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
    pub fn push(&mut self, z: DVectorView<'_, f64>, c: f64) {
        debug_assert_eq!(z.len(), self.d);
        if c == 0.0 {
            return;
        }
        self.s0 += c;
        self.s1.axpy(c, &z, 1.0);
        self.zs.extend(z.iter());
        self.coeffs.push(c);
    }

    /// Records every column `z_k` of `z` (`D × K`) with coefficient `scale · weights[k]`.
    ///
    /// # Errors
    /// Wrong number of rows or of weights.
    pub fn push_set(&mut self, z: &DMatrix<f64>, weights: &[f64], scale: f64) -> Result<()> {
        check_len("latent dimension D", self.d, z.nrows())?;
        check_len("number of weights", z.ncols(), weights.len())?;
        for (k, &w) in weights.iter().enumerate() {
            self.push(z.column(k), scale * w);
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
        self.zs.extend_from_slice(&other.zs);
        self.coeffs.extend_from_slice(&other.coeffs);
        Ok(())
    }

    /// `S2 = Σ c z zᵀ` (`D × D`), by one matrix product `(Z diag c) Zᵀ`.
    pub fn second_moment(&self) -> DMatrix<f64> {
        let m = self.coeffs.len();
        let z = DMatrix::from_column_slice(self.d, m, &self.zs);
        let mut zc = z.clone();
        for (mut col, &c) in zc.column_iter_mut().zip(&self.coeffs) {
            col *= c;
        }
        zc * z.transpose()
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
    /// Points with different latent dimensions, or an empty slice.
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
