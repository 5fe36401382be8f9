//! A gradient with respect to PPCA's parameters.

use nalgebra::{DMatrix, DVector};

/// A gradient (or any vector) in PPCA's parameter space: `θ0 ∈ ℝ^P` and `θ1 ∈ ℝ^{D×P}`.
///
/// Flattened (for per-component statistics) as `θ0` followed by `θ1` in column-major order, so component
/// `P + d + D·p` is `θ1[d, p]`.
#[derive(Clone, Debug, PartialEq)]
pub struct PpcaGradient {
    /// Component for the intercept `θ0` (length `P`).
    pub theta0: DVector<f64>,
    /// Component for the loadings `θ1` (`D × P`).
    pub theta1: DMatrix<f64>,
}

impl PpcaGradient {
    /// The zero gradient for a model with latent dimension `d` and data dimension `p`.
    pub fn zeros(d: usize, p: usize) -> Self {
        PpcaGradient {
            theta0: DVector::zeros(p),
            theta1: DMatrix::zeros(d, p),
        }
    }
    /// Number of components `P + D·P`.
    pub fn len(&self) -> usize {
        self.theta0.len() + self.theta1.len()
    }
    /// Whether there are no components.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The flattened vector (`θ0`, then `θ1` column-major).
    pub fn to_vec(&self) -> Vec<f64> {
        self.theta0
            .iter()
            .chain(self.theta1.iter())
            .copied()
            .collect()
    }
    /// `self += alpha · other`.
    pub fn axpy(&mut self, alpha: f64, other: &PpcaGradient) {
        self.theta0.axpy(alpha, &other.theta0, 1.0);
        self.theta1.zip_apply(&other.theta1, |a, b| *a += alpha * b);
    }
}
