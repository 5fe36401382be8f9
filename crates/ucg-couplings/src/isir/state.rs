//! The state of an ISIR-family chain.

use crate::error::{CouplingError, Result, invalid};
use crate::target::ImportanceTarget;
use crate::weights::{effective_sample_size, normalize_log_weights};
use nalgebra::DMatrix;
use rand::{Rng, RngExt};
use rand_distr::{Distribution, StandardNormal};

/// State `(ξ_{1:K}, ℓ)` of an ISIR-family chain, with the log-weights and normalised weights of the set
/// cached (they are functions of the particles, carried along so that no particle is evaluated twice).
///
/// Two states are equal when their particles and selected index are bit-identical.
#[derive(Clone, Debug)]
pub struct IsirState {
    pub(crate) noise: DMatrix<f64>,
    pub(crate) log_weights: Vec<f64>,
    pub(crate) weights: Vec<f64>,
    pub(crate) log_sum: f64,
    pub(crate) selected: usize,
}

impl PartialEq for IsirState {
    fn eq(&self, other: &Self) -> bool {
        self.selected == other.selected && self.noise == other.noise
    }
}

impl IsirState {
    /// A state from explicit particles (`noise_dim × K`, one particle per column) and a selected index.
    ///
    /// # Errors
    /// Dimension mismatch with the target, `K < 2`, `selected ≥ K`, or invalid log-weights.
    pub fn new<T: ImportanceTarget + ?Sized>(
        target: &T,
        noise: DMatrix<f64>,
        selected: usize,
    ) -> Result<Self> {
        if noise.nrows() != target.noise_dim() {
            return Err(CouplingError::DimensionMismatch {
                what: "particle dimension",
                expected: target.noise_dim(),
                found: noise.nrows(),
            });
        }
        let k = noise.ncols();
        if k < 2 {
            return Err(invalid("K", format!("need at least 2 particles, got {k}")));
        }
        if selected >= k {
            return Err(invalid("selected", format!("index {selected} ≥ K = {k}")));
        }
        if let Some(v) = noise.iter().find(|v| !v.is_finite()) {
            return Err(invalid("noise", format!("non-finite entry {v}")));
        }
        let mut state = IsirState {
            noise,
            log_weights: vec![0.0; k],
            weights: vec![0.0; k],
            log_sum: 0.0,
            selected,
        };
        target.log_weights(&state.noise, &mut state.log_weights);
        state.log_sum = normalize_log_weights(&state.log_weights, &mut state.weights)?;
        Ok(state)
    }

    /// A draw from the initial law `π0`: every `ξ_k ~ N(0, I)` independently and `ℓ ~ Uniform{0..K−1}`.
    ///
    /// # Errors
    /// As [`IsirState::new`].
    pub fn sample_initial<T: ImportanceTarget + ?Sized, R: Rng + ?Sized>(
        target: &T,
        k: usize,
        rng: &mut R,
    ) -> Result<Self> {
        if k < 2 {
            return Err(invalid("K", format!("need at least 2 particles, got {k}")));
        }
        let noise = DMatrix::from_fn(target.noise_dim(), k, |_, _| StandardNormal.sample(rng));
        let selected = rng.random_range(0..k);
        Self::new(target, noise, selected)
    }

    /// The particles, one noise vector per column (`noise_dim × K`).
    pub fn noise(&self) -> &DMatrix<f64> {
        &self.noise
    }
    /// Number of particles `K`.
    pub fn k(&self) -> usize {
        self.noise.ncols()
    }
    /// The selected index `ℓ`.
    pub fn selected(&self) -> usize {
        self.selected
    }
    /// Log-weights `log w(ξ_k)` of the set.
    pub fn log_weights(&self) -> &[f64] {
        &self.log_weights
    }
    /// Self-normalised weights `w̃_k` of the set (the Rao-Blackwellised coefficients of `h`).
    pub fn weights(&self) -> &[f64] {
        &self.weights
    }
    /// Effective sample size `1 / Σ_k w̃_k²` of the set.
    pub fn ess(&self) -> f64 {
        effective_sample_size(&self.weights)
    }
    /// `log Ẑ = log((1/K) Σ_k w_k)`, the log of the set's importance-sampling estimate of the normaliser.
    pub fn log_mean_weight(&self) -> f64 {
        self.log_sum - (self.k() as f64).ln()
    }

    pub(crate) fn check_against<T: ImportanceTarget + ?Sized>(
        &self,
        target: &T,
        k: usize,
    ) -> Result<()> {
        if self.noise.nrows() != target.noise_dim() {
            return Err(CouplingError::DimensionMismatch {
                what: "particle dimension",
                expected: target.noise_dim(),
                found: self.noise.nrows(),
            });
        }
        if self.noise.ncols() != k {
            return Err(CouplingError::DimensionMismatch {
                what: "number of particles K",
                expected: k,
                found: self.noise.ncols(),
            });
        }
        Ok(())
    }
}
