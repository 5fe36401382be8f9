//! PPCA's posterior as an importance target in *rotated* noise coordinates, where every particle's
//! log-weight costs `O(D)`.
//!
//! With `z = μ + σ ⊙ ξ` the log-weight is a quadratic form in `ξ`:
//! `log w(ξ) = C + bᵀ(σ ⊙ ξ) − ½ ξᵀ (B − I) ξ`, with `B = diag(σ) H diag(σ)`, `H = I + G/σ²` and
//! `G = θ1 θ1ᵀ`. Writing `B = U Λ Uᵀ` (symmetric eigendecomposition, once per point) and `ξ = U η`, the
//! noise `η` is again standard normal (rotations preserve `N(0, I)`, and DISIR's AR(1) paths commute with
//! them), the proposal `q` is unchanged, and `log w = C + gᵀη − ½ Σ_i (λ_i − 1) η_i²`. The ISIR family run on
//! `η` is the same Markov chain on `z` as run on `ξ`, in law; it only costs `O(D)` per particle instead of
//! `O(D²)`, after an `O(D³)` preparation per point.

use super::model::Ppca;
use super::point::PpcaPoint;
use super::stats::PointStats;
use crate::encoder::LinearGaussianEncoder;
use crate::error::{ModelError, Result, check_len};
use nalgebra::{DMatrix, DVector};
use std::sync::Arc;
use ucg_couplings::ImportanceTarget;

/// The posterior of one PPCA data point in rotated noise coordinates `η`, with `z = μ + Q η`,
/// `Q = diag(σ) U`. See the module documentation.
#[derive(Clone, Debug)]
pub struct DiagonalPpcaTarget {
    mu: DVector<f64>,
    basis: Arc<Basis>,
    g: DVector<f64>,
    constant: f64,
}

/// Latent moments of rotated statistics, split so that the `O(D³)` change of coordinates can be batched
/// (see [`DiagonalPpcaTarget::latent_moments_parts`]).
#[derive(Clone, Debug)]
pub struct MomentParts {
    /// `Σ c`.
    pub total: f64,
    /// `Σ c z`.
    pub first: DVector<f64>,
    /// `s0 μμᵀ + μ vᵀ + v μᵀ`, the part of `Σ c z zᵀ` that needs no rotation.
    pub low_rank: DMatrix<f64>,
    /// `E = Σ c ηηᵀ` in rotated coordinates; `Σ c z zᵀ = low_rank + Q E Qᵀ`.
    pub rotated_second: DMatrix<f64>,
}

/// The scale `σ`, the rotation `Q = diag(σ) U` and the halved curvatures `(λ_i − 1)/2`: shared between
/// the points of a batch when the encoder's scale does not depend on `x`.
#[derive(Debug)]
struct Basis {
    sigma: DVector<f64>,
    q: DMatrix<f64>,
    half_curv: DVector<f64>,
}

impl Basis {
    fn new(model: &Ppca, sigma: DVector<f64>) -> Result<Self> {
        let d = model.latent_dim();
        let (gram, s2) = (model.gram(), model.sigma2());
        // B = diag(σ) (I + G/σ²) diag(σ), symmetric positive definite.
        let b_mat = DMatrix::from_fn(d, d, |i, j| {
            let h = gram[(i, j)] / s2 + if i == j { 1.0 } else { 0.0 };
            sigma[i] * h * sigma[j]
        });
        let eig = nalgebra::SymmetricEigen::try_new(b_mat, 1e-14, 10_000).ok_or(
            ModelError::NotPositiveDefinite {
                what: "diag(σ) H diag(σ)",
            },
        )?;
        let u = eig.eigenvectors;
        Ok(Basis {
            q: DMatrix::from_fn(d, d, |i, j| sigma[i] * u[(i, j)]),
            half_curv: eig.eigenvalues.map(|l| 0.5 * (l - 1.0)),
            sigma,
        })
    }
}

impl DiagonalPpcaTarget {
    /// Prepares the target of `point` with proposal `encoder` at `x` (the same `x` as the point's).
    ///
    /// # Errors
    /// Dimension mismatches, non-finite data, or an eigendecomposition that fails to converge.
    pub fn new(
        point: &PpcaPoint<'_>,
        encoder: &LinearGaussianEncoder,
        x: &DVector<f64>,
    ) -> Result<Self> {
        Self::build(point, encoder, x, None)
    }

    /// As [`DiagonalPpcaTarget::new`], but reusing `other`'s rotation when the encoder's scale at `x` is
    /// bit-identical to `other`'s (always so for an encoder whose log-scale does not depend on `x`): the
    /// `O(D³)` eigendecomposition is skipped and [`DiagonalPpcaTarget::shares_basis_with`] lets callers
    /// batch the final change of coordinates. Decomposes afresh otherwise.
    ///
    /// # Errors
    /// As [`DiagonalPpcaTarget::new`].
    pub fn new_like(
        other: &DiagonalPpcaTarget,
        point: &PpcaPoint<'_>,
        encoder: &LinearGaussianEncoder,
        x: &DVector<f64>,
    ) -> Result<Self> {
        Self::build(point, encoder, x, Some(other))
    }

    fn build(
        point: &PpcaPoint<'_>,
        encoder: &LinearGaussianEncoder,
        x: &DVector<f64>,
        like: Option<&DiagonalPpcaTarget>,
    ) -> Result<Self> {
        let model = point.model();
        let d = model.latent_dim();
        check_len("encoder latent dimension", d, encoder.latent_dim())?;
        let (mu, sigma) = encoder.mean_and_scale(x)?;
        let constant = {
            let mut single = [0.0];
            point.log_joint_particles(
                &DMatrix::from_column_slice(d, 1, mu.as_slice()),
                &mut single,
            );
            single[0] - encoder.log_q_const(&sigma)
        };
        let basis = match like {
            Some(o) if o.basis.sigma == sigma => Arc::clone(&o.basis),
            _ => Arc::new(Basis::new(model, sigma)?),
        };
        // Linear coefficient in z: b − H μ, with b = θ1 r / σ² and H = I + G/σ².
        let s2 = model.sigma2();
        let lin_z = point.projected_residual() / s2 - (model.gram() * &mu / s2 + &mu);
        let g = basis.q.tr_mul(&lin_z);
        Ok(DiagonalPpcaTarget {
            mu,
            basis,
            g,
            constant,
        })
    }

    /// Latent dimension `D`.
    pub fn latent_dim(&self) -> usize {
        self.mu.len()
    }

    /// Whether both targets use the same rotation (so rotated statistics can be summed before
    /// [`DiagonalPpcaTarget::rotate_back`]).
    pub fn shares_basis_with(&self, other: &DiagonalPpcaTarget) -> bool {
        Arc::ptr_eq(&self.basis, &other.basis)
    }

    /// Latents `z_k = μ + Q η_k` of a set of rotated noise vectors (`D × K`).
    pub fn latents(&self, noise: &DMatrix<f64>) -> DMatrix<f64> {
        let mut z = &self.basis.q * noise;
        for mut col in z.column_iter_mut() {
            col += &self.mu;
        }
        z
    }

    /// `Q E Qᵀ`: a second moment `E = Σ c ηηᵀ` in rotated coordinates, back in latent coordinates.
    pub fn rotate_back(&self, e: &DMatrix<f64>) -> DMatrix<f64> {
        &self.basis.q * e * self.basis.q.transpose()
    }

    /// The latent moments of statistics accumulated in `η` coordinates, split as
    /// `(Σ c, Σ c z, S2 − Q E Qᵀ, E)` with `E = Σ c ηηᵀ`: `Σ c z = s0 μ + v` with `v = Q Σ c η`, and
    /// `Σ c z zᵀ = s0 μμᵀ + μ vᵀ + v μᵀ + Q E Qᵀ`. Summing the last part over points that share a basis
    /// before one [`DiagonalPpcaTarget::rotate_back`] saves an `O(D³)` product per point.
    ///
    /// # Errors
    /// Statistics of another dimension.
    pub fn latent_moments_parts(&self, stats: &PointStats) -> Result<MomentParts> {
        check_len(
            "latent dimension of the statistics",
            self.latent_dim(),
            stats.latent_dim(),
        )?;
        let s0 = stats.total_coefficient();
        let v = &self.basis.q * stats.first_moment();
        let d = self.latent_dim();
        let mut low_rank = DMatrix::zeros(d, d);
        low_rank.ger(s0, &self.mu, &self.mu, 1.0);
        low_rank.ger(1.0, &self.mu, &v, 1.0);
        low_rank.ger(1.0, &v, &self.mu, 1.0);
        let s1 = &self.mu * s0 + v;
        Ok(MomentParts {
            total: s0,
            first: s1,
            low_rank,
            rotated_second: stats.second_moment(),
        })
    }

    /// The latent moments `(Σ c, Σ c z, Σ c z zᵀ)` of statistics accumulated in `η` coordinates, as
    /// [`super::Ppca::gradient_from_stats`] needs them (see [`DiagonalPpcaTarget::latent_moments_parts`]).
    ///
    /// # Errors
    /// Statistics of another dimension.
    pub fn latent_moments(&self, stats: &PointStats) -> Result<(f64, DVector<f64>, DMatrix<f64>)> {
        let p = self.latent_moments_parts(stats)?;
        Ok((
            p.total,
            p.first,
            p.low_rank + self.rotate_back(&p.rotated_second),
        ))
    }
}

impl ImportanceTarget for DiagonalPpcaTarget {
    fn noise_dim(&self) -> usize {
        self.mu.len()
    }

    fn log_weights(&self, noise: &DMatrix<f64>, out: &mut [f64]) -> ucg_couplings::Result<()> {
        let (g, h) = (self.g.as_slice(), self.basis.half_curv.as_slice());
        for (o, eta) in out
            .iter_mut()
            .zip(noise.as_slice().chunks_exact(self.mu.len().max(1)))
        {
            *o = self.constant + linear_minus_quadratic(eta, g, h);
        }
        Ok(())
    }
}

/// `Σ_i η_i (g_i − h_i η_i)` with eight independent partial sums, so that the loop vectorises.
fn linear_minus_quadratic(eta: &[f64], g: &[f64], h: &[f64]) -> f64 {
    const LANES: usize = 8;
    let mut acc = [0.0; LANES];
    let (ec, gc, hc) = (
        eta.chunks_exact(LANES),
        g.chunks_exact(LANES),
        h.chunks_exact(LANES),
    );
    let tail: f64 = ec
        .remainder()
        .iter()
        .zip(gc.remainder())
        .zip(hc.remainder())
        .map(|((e, g), h)| e * (g - h * e))
        .sum();
    for ((e, g), h) in ec.zip(gc).zip(hc) {
        for l in 0..LANES {
            acc[l] += e[l] * (g[l] - h[l] * e[l]);
        }
    }
    acc.iter().sum::<f64>() + tail
}
