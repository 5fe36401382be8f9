//! The reflection-maximal coupling of two Gaussians with a common covariance
//! (Lindvall & Rogers 1986; Bou-Rabee, Eberle & Zimmer 2020; Jacob, O'Leary & Atchadé 2020, §4.1).
//!
//! For `N(μ₁, Σ)` and `N(μ₂, Σ)` with `Σ = L Lᵀ` (`L` lower-triangular), let `z = L⁻¹(μ₁ − μ₂)` and
//! `e = z / |z|`. Draw `ξ ~ N(0, I)` and set `X = μ₁ + L ξ`. Then
//!
//! - with probability `min(1, φ(ξ + z) / φ(ξ))` (`φ` the standard normal density), `Y = X`;
//! - otherwise `Y = μ₂ + L η` with `η = ξ − 2 (eᵀξ) e`, the reflection of `ξ` in the hyperplane `e^⊥`.
//!
//! Both marginals are exact and `P(X = Y) = 1 − TV = 2Φ(−|z| / 2)` (in one dimension with `Σ = σ²`,
//! `2Φ(−|μ₁ − μ₂| / (2σ))`), the largest value any coupling can reach. Unlike the rejection construction
//! ([`super::rejection`]) the cost is fixed: one Gaussian vector and one uniform. With equal means the
//! coupling returns `Y = X` without drawing the uniform.
//!
//! When the pair is equal, `Y` is a bit-for-bit copy of `X`, so coupled chains built on it meet exactly.

use crate::error::{CouplingError, Result, invalid};
use nalgebra::{Cholesky, DMatrix, DVector, Dyn};
use rand::{Rng, RngExt};
use rand_distr::{Distribution, StandardNormal};

/// The common covariance factor `L`: either `σ I` (cheap, `O(d)` per draw) or a general lower-triangular
/// matrix (`O(d²)` per draw).
#[derive(Clone, Debug, PartialEq)]
enum Factor {
    Isotropic { dim: usize, sigma: f64 },
    Lower(DMatrix<f64>),
}

/// The reflection-maximal coupling of `N(μ₁, Σ)` and `N(μ₂, Σ)` for a fixed covariance `Σ = L Lᵀ`
/// (see the [module documentation](self)); the means are given at each draw.
#[derive(Clone, Debug, PartialEq)]
pub struct ReflectionCoupling {
    factor: Factor,
}

/// One draw `(X, Y)` of the reflection-maximal coupling.
#[derive(Clone, Debug, PartialEq)]
pub struct ReflectionDraw {
    /// `X ~ N(μ₁, Σ)`.
    pub x: DVector<f64>,
    /// `Y ~ N(μ₂, Σ)`; a bit-for-bit copy of `x` when `met`.
    pub y: DVector<f64>,
    /// Whether the coupling returned `Y = X`.
    pub met: bool,
}

impl ReflectionCoupling {
    /// The coupling for `Σ = σ² I_dim`.
    ///
    /// # Errors
    /// [`CouplingError::InvalidParameter`] if `dim == 0` or `σ` is not finite and positive.
    pub fn isotropic(dim: usize, sigma: f64) -> Result<Self> {
        if dim == 0 {
            return Err(invalid("dim", "must be at least 1, got 0"));
        }
        if !(sigma.is_finite() && sigma > 0.0) {
            return Err(invalid(
                "sigma",
                format!("must be finite and positive, got {sigma}"),
            ));
        }
        Ok(ReflectionCoupling {
            factor: Factor::Isotropic { dim, sigma },
        })
    }

    /// The coupling for `Σ = L Lᵀ` given the lower-triangular Cholesky factor `L`.
    ///
    /// # Errors
    /// [`CouplingError::InvalidParameter`] if `L` is empty or not square, has a non-finite entry, a
    /// non-zero entry above the diagonal (an upper factor `Lᵀ` passed by mistake), or a diagonal entry that
    /// is not positive.
    pub fn from_cholesky_factor(l: DMatrix<f64>) -> Result<Self> {
        check_square_finite("cholesky_factor", &l)?;
        for j in 0..l.ncols() {
            for i in 0..j {
                if l[(i, j)] != 0.0 {
                    return Err(invalid(
                        "cholesky_factor",
                        format!(
                            "must be lower-triangular, entry ({i}, {j}) is {}",
                            l[(i, j)]
                        ),
                    ));
                }
            }
            if l[(j, j)] <= 0.0 {
                return Err(invalid(
                    "cholesky_factor",
                    format!(
                        "diagonal entry ({j}, {j}) is {}, must be positive",
                        l[(j, j)]
                    ),
                ));
            }
        }
        Ok(ReflectionCoupling {
            factor: Factor::Lower(l),
        })
    }

    /// The coupling for the covariance whose decomposition `Σ = L Lᵀ` is `chol`.
    ///
    /// # Errors
    /// As [`ReflectionCoupling::from_cholesky_factor`] applied to `chol.l()`.
    pub fn from_cholesky(chol: &Cholesky<f64, Dyn>) -> Result<Self> {
        Self::from_cholesky_factor(chol.l())
    }

    /// The coupling for a symmetric positive-definite covariance matrix `Σ` (factorised here).
    ///
    /// # Errors
    /// [`CouplingError::InvalidParameter`] if `Σ` is empty, not square, not finite, not symmetric (up to
    /// a relative `10⁻¹²` of its largest entry) or not positive-definite.
    pub fn from_covariance(cov: &DMatrix<f64>) -> Result<Self> {
        check_square_finite("covariance", cov)?;
        let scale = cov.amax();
        let asym = (cov - cov.transpose()).amax();
        if asym > 1e-12 * scale {
            return Err(invalid(
                "covariance",
                format!("must be symmetric, max |Σ − Σᵀ| = {asym}"),
            ));
        }
        let chol = Cholesky::new(cov.clone())
            .ok_or_else(|| invalid("covariance", "not positive-definite"))?;
        Self::from_cholesky(&chol)
    }

    /// Dimension `d` of the two Gaussians.
    pub fn dim(&self) -> usize {
        match &self.factor {
            Factor::Isotropic { dim, .. } => *dim,
            Factor::Lower(l) => l.nrows(),
        }
    }

    /// The lower-triangular factor `L` of `Σ = L Lᵀ` (`σ I` for an isotropic coupling).
    pub fn cholesky_factor(&self) -> DMatrix<f64> {
        match &self.factor {
            Factor::Isotropic { dim, sigma } => DMatrix::from_diagonal_element(*dim, *dim, *sigma),
            Factor::Lower(l) => l.clone(),
        }
    }

    /// Draws `X ~ N(μ, Σ)` into `out`, as `X = μ + L ξ` with `ξ ~ N(0, I)`: exactly the first marginal of
    /// [`ReflectionCoupling::sample_into`] (the same draws from `rng`, up to the coupling's extra uniform).
    ///
    /// # Errors
    /// [`CouplingError::DimensionMismatch`] if `mean` or `out` is not of length `d`;
    /// [`CouplingError::InvalidParameter`] if `mean` is not finite.
    pub fn sample_gaussian_into<R: Rng + ?Sized>(
        &self,
        mean: &[f64],
        out: &mut [f64],
        rng: &mut R,
    ) -> Result<()> {
        self.check_len("mean", mean.len())?;
        self.check_len("output", out.len())?;
        check_finite("mean", mean)?;
        out.iter_mut().for_each(|v| *v = StandardNormal.sample(rng));
        self.scale_in_place(out);
        out.iter_mut().zip(mean).for_each(|(o, m)| *o += m);
        Ok(())
    }

    /// Draws `(X, Y)` from the reflection-maximal coupling of `N(μ₁, Σ)` and `N(μ₂, Σ)` into `x` and `y`;
    /// returns whether `Y = X` (in which case `y` is a bit-for-bit copy of `x`).
    ///
    /// Allocation-free. Draws `d` standard normals, then one uniform unless `μ₁ = μ₂`.
    ///
    /// # Errors
    /// [`CouplingError::DimensionMismatch`] if a slice is not of length `d`;
    /// [`CouplingError::InvalidParameter`] if a mean is not finite or `L⁻¹(μ₁ − μ₂)` overflows.
    pub fn sample_into<R: Rng + ?Sized>(
        &self,
        mu1: &[f64],
        mu2: &[f64],
        x: &mut [f64],
        y: &mut [f64],
        rng: &mut R,
    ) -> Result<bool> {
        self.check_len("first mean", mu1.len())?;
        self.check_len("second mean", mu2.len())?;
        self.check_len("first output", x.len())?;
        self.check_len("second output", y.len())?;
        check_finite("first mean", mu1)?;
        check_finite("second mean", mu2)?;
        // x holds ξ and y holds z until the decision.
        x.iter_mut().for_each(|v| *v = StandardNormal.sample(rng));
        if mu1 == mu2 {
            self.finish_x(mu1, x);
            y.copy_from_slice(x);
            return Ok(true);
        }
        y.iter_mut()
            .zip(mu1.iter().zip(mu2))
            .for_each(|(z, (a, b))| *z = a - b);
        self.whiten_in_place(y);
        let (mut xi_z, mut z2) = (0.0, 0.0);
        for (xi, z) in x.iter().zip(y.iter()) {
            xi_z += xi * z;
            z2 += z * z;
        }
        if !(z2.is_finite() && xi_z.is_finite()) {
            return Err(invalid(
                "mean",
                "the whitened mean difference L⁻¹(μ₁ − μ₂) overflows",
            ));
        }
        // log φ(ξ + z) − log φ(ξ) = −ξᵀz − |z|²/2.
        let log_ratio = -xi_z - 0.5 * z2;
        let log_u = rng.random::<f64>().ln();
        if log_u <= log_ratio {
            self.finish_x(mu1, x);
            y.copy_from_slice(x);
            return Ok(true);
        }
        // η = ξ − 2 (eᵀξ) e = ξ − 2 (ξᵀz / |z|²) z, written over z.
        let c = 2.0 * xi_z / z2;
        y.iter_mut()
            .zip(x.iter())
            .for_each(|(z, xi)| *z = xi - c * *z);
        self.finish_x(mu1, x);
        self.finish_x(mu2, y);
        Ok(false)
    }

    /// Draws `(X, Y)` from the coupling of `N(μ₁, Σ)` and `N(μ₂, Σ)`, allocating the outputs
    /// (see [`ReflectionCoupling::sample_into`]).
    ///
    /// # Example
    /// ```
    /// use rand::SeedableRng;
    /// use ucg_couplings::maximal::reflection::ReflectionCoupling;
    /// let coupling = ReflectionCoupling::isotropic(2, 1.0)?;
    /// let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(3);
    /// let draw = coupling.sample(&[0.0, 0.0], &[0.3, -0.1], &mut rng)?;
    /// assert_eq!(draw.met, draw.x == draw.y);
    /// # Ok::<(), ucg_couplings::CouplingError>(())
    /// ```
    ///
    /// # Errors
    /// As [`ReflectionCoupling::sample_into`].
    pub fn sample<R: Rng + ?Sized>(
        &self,
        mu1: &[f64],
        mu2: &[f64],
        rng: &mut R,
    ) -> Result<ReflectionDraw> {
        let d = self.dim();
        let (mut x, mut y) = (DVector::zeros(d), DVector::zeros(d));
        let met = self.sample_into(mu1, mu2, x.as_mut_slice(), y.as_mut_slice(), rng)?;
        Ok(ReflectionDraw { x, y, met })
    }

    /// `v ← μ + L v`.
    fn finish_x(&self, mu: &[f64], v: &mut [f64]) {
        self.scale_in_place(v);
        v.iter_mut().zip(mu).for_each(|(o, m)| *o += m);
    }

    /// `v ← L v`, in place (rows from the bottom up, each uses only entries not yet overwritten).
    fn scale_in_place(&self, v: &mut [f64]) {
        match &self.factor {
            Factor::Isotropic { sigma, .. } => v.iter_mut().for_each(|x| *x *= sigma),
            Factor::Lower(l) => {
                for i in (0..v.len()).rev() {
                    let mut s = 0.0;
                    for j in 0..=i {
                        s += l[(i, j)] * v[j];
                    }
                    v[i] = s;
                }
            }
        }
    }

    /// `v ← L⁻¹ v`, by forward substitution in place.
    fn whiten_in_place(&self, v: &mut [f64]) {
        match &self.factor {
            Factor::Isotropic { sigma, .. } => v.iter_mut().for_each(|x| *x /= sigma),
            Factor::Lower(l) => {
                for i in 0..v.len() {
                    let mut s = v[i];
                    for j in 0..i {
                        s -= l[(i, j)] * v[j];
                    }
                    v[i] = s / l[(i, i)];
                }
            }
        }
    }

    fn check_len(&self, what: &'static str, found: usize) -> Result<()> {
        let expected = self.dim();
        if found == expected {
            Ok(())
        } else {
            Err(CouplingError::DimensionMismatch {
                what,
                expected,
                found,
            })
        }
    }
}

fn check_finite(name: &'static str, v: &[f64]) -> Result<()> {
    match v.iter().find(|x| !x.is_finite()) {
        Some(x) => Err(invalid(name, format!("non-finite entry {x}"))),
        None => Ok(()),
    }
}

/// A matrix parameter must be non-empty, square and finite.
fn check_square_finite(name: &'static str, m: &DMatrix<f64>) -> Result<()> {
    let (r, c) = m.shape();
    if r == 0 || r != c {
        return Err(invalid(
            name,
            format!("must be a non-empty square matrix, got {r} × {c}"),
        ));
    }
    check_finite(name, m.as_slice())
}
