//! A proposal set of particles with its cached weights: the part that the ISIR-family state and the
//! PIMH state share.

use crate::error::{CouplingError, Result, invalid};
use crate::target::ImportanceTarget;
use crate::weights::{effective_sample_size, normalize_log_weights};
use nalgebra::DMatrix;
use std::fmt;

/// `K ≥ 2` particles per set, the requirement of every importance-sampling kernel.
pub(crate) fn check_k(k: usize) -> Result<()> {
    if k < 2 {
        return Err(invalid("K", format!("need at least 2 particles, got {k}")));
    }
    Ok(())
}

/// A proposal set `ξ_{1:K}` (`noise_dim × K`, one particle per column) with its log-weights
/// `log w(ξ_k)`, its self-normalised weights `w̃_k` and `log Σ_k w_k`. The weights are functions of the
/// particles, carried along so that no particle is evaluated twice; whoever changes `noise` or
/// `log_weights` calls [`ParticleSet::renormalize`].
///
/// Two sets are equal when their particles are bit-identical, compared with [`f64::to_bits`] (so
/// `0.0 ≠ −0.0`): coupled kernels report meeting as bit-identical states, never by a float tolerance.
/// The cached weights are not compared.
#[derive(Clone)]
pub(crate) struct ParticleSet {
    pub(crate) noise: DMatrix<f64>,
    pub(crate) log_weights: Vec<f64>,
    pub(crate) weights: Vec<f64>,
    pub(crate) log_sum: f64,
}

impl PartialEq for ParticleSet {
    fn eq(&self, other: &Self) -> bool {
        self.noise.shape() == other.noise.shape() && bits_eq(self.noise.iter(), other.noise.iter())
    }
}

fn bits_eq<'a>(a: impl Iterator<Item = &'a f64>, b: impl Iterator<Item = &'a f64>) -> bool {
    a.zip(b).all(|(a, b)| a.to_bits() == b.to_bits())
}

impl ParticleSet {
    /// Validates explicit particles and evaluates the target on them once, together with the index
    /// `selected` that the owning state picks in the set.
    ///
    /// # Errors
    /// In this order: [`CouplingError::DimensionMismatch`] if `noise` does not have `target.noise_dim()`
    /// rows; [`CouplingError::InvalidParameter`] if `K < 2`, `selected ≥ K` or a particle is not finite;
    /// [`CouplingError::NonFiniteLogWeight`] for a NaN or `+∞` log-weight, or when every log-weight is
    /// `−∞`.
    pub(crate) fn new<T: ImportanceTarget + ?Sized>(
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
        check_k(k)?;
        if selected >= k {
            return Err(invalid("selected", format!("index {selected} ≥ K = {k}")));
        }
        if let Some(v) = noise.iter().find(|v| !v.is_finite()) {
            return Err(invalid("noise", format!("non-finite entry {v}")));
        }
        let mut log_weights = vec![0.0; k];
        target.log_weights(&noise, &mut log_weights)?;
        Self::from_log_weights(noise, log_weights)
    }

    /// A set whose log-weights have already been evaluated (one per column of `noise`).
    ///
    /// # Errors
    /// [`CouplingError::NonFiniteLogWeight`] for a NaN or `+∞` log-weight, or when every log-weight is
    /// `−∞`.
    pub(crate) fn from_log_weights(noise: DMatrix<f64>, log_weights: Vec<f64>) -> Result<Self> {
        let mut set = ParticleSet {
            noise,
            weights: vec![0.0; log_weights.len()],
            log_weights,
            log_sum: 0.0,
        };
        set.renormalize()?;
        Ok(set)
    }

    /// Recomputes the normalised weights and `log Σ_k w_k` from the log-weights.
    ///
    /// # Errors
    /// As [`ParticleSet::from_log_weights`].
    pub(crate) fn renormalize(&mut self) -> Result<()> {
        self.log_sum = normalize_log_weights(&self.log_weights, &mut self.weights)?;
        Ok(())
    }

    /// Checks that the set has the shape a kernel with this target and `K = k` expects.
    ///
    /// # Errors
    /// [`CouplingError::DimensionMismatch`] for the particle dimension or the number of particles.
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

    /// Whether particle `j` is bit-identical in both sets (a cheap first test before whole-set equality).
    pub(crate) fn same_particle(&self, other: &Self, j: usize) -> bool {
        bits_eq(self.noise.column(j).iter(), other.noise.column(j).iter())
    }

    pub(crate) fn noise(&self) -> &DMatrix<f64> {
        &self.noise
    }
    pub(crate) fn k(&self) -> usize {
        self.noise.ncols()
    }
    pub(crate) fn log_weights(&self) -> &[f64] {
        &self.log_weights
    }
    pub(crate) fn weights(&self) -> &[f64] {
        &self.weights
    }
    pub(crate) fn ess(&self) -> f64 {
        effective_sample_size(&self.weights)
    }
    pub(crate) fn log_mean_weight(&self) -> f64 {
        self.log_sum - (self.k() as f64).ln()
    }

    /// Formats a state `(ξ_{1:K}, ℓ)` named `name` as a flat struct: the set's fields, then `selected`.
    pub(crate) fn fmt_state(
        &self,
        name: &str,
        selected: usize,
        f: &mut fmt::Formatter<'_>,
    ) -> fmt::Result {
        f.debug_struct(name)
            .field("noise", &self.noise)
            .field("log_weights", &self.log_weights)
            .field("weights", &self.weights)
            .field("log_sum", &self.log_sum)
            .field("selected", &selected)
            .finish()
    }
}
