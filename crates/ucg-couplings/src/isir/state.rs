//! The state of an ISIR-family chain.

use super::relation::SetRelation;
use crate::error::Result;
use crate::particles::{ParticleSet, check_k};
use crate::target::ImportanceTarget;
use nalgebra::DMatrix;
use rand::{Rng, RngExt};
use rand_distr::{Distribution, StandardNormal};
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

/// State `(ξ_{1:K}, ℓ)` of an ISIR-family chain, with the log-weights and normalised weights of the set
/// cached (they are functions of the particles, carried along so that no particle is evaluated twice).
///
/// Two states are equal when their particles are bit-identical (compared with [`f64::to_bits`], so
/// `0.0 ≠ −0.0`) and their selected indices agree; the cached weights are not compared.
#[derive(Clone)]
pub struct IsirState {
    pub(crate) selected: usize,
    /// The auxiliary slot of the step that produced this set (0 for a state that was never stepped).
    pub(crate) aux: usize,
    pub(crate) particles: ParticleSet,
    /// How the current set was built: its correlation β and, for a coupled step, that step's identity
    /// (the same for both states it produced), which is what [`IsirState::relation_to`] reports.
    pub(crate) origin: Origin,
}

/// How a state's current particle set was built.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct Origin {
    /// β of the (D)ISIR step that built the set (0 for ISIR and for an initial draw).
    pub(crate) beta: f64,
    /// A number shared by exactly the two states one coupled step produced; `None` for an initial draw or a
    /// single-chain step.
    pub(crate) coupled_step: Option<u64>,
}

/// Identities of coupled steps: a process-wide counter, so that two states from different coupled steps
/// never share one. It only labels steps and never influences a result, so threads do not affect
/// determinism.
static NEXT_COUPLED_STEP: AtomicU64 = AtomicU64::new(0);

impl Origin {
    /// The origin of the two states of one new coupled step with correlation `beta`.
    pub(crate) fn coupled(beta: f64) -> Self {
        Origin {
            beta,
            coupled_step: Some(NEXT_COUPLED_STEP.fetch_add(1, Ordering::Relaxed)),
        }
    }
    /// The origin of a single-chain step with correlation `beta`.
    pub(crate) fn single(beta: f64) -> Self {
        Origin {
            beta,
            coupled_step: None,
        }
    }
}

impl PartialEq for IsirState {
    fn eq(&self, other: &Self) -> bool {
        // Cheapest refutations first: the index, then the selected particle (coupled sets often share
        // every other column), then the whole set.
        let (a, b) = (&self.particles.noise, &other.particles.noise);
        self.selected == other.selected
            && a.shape() == b.shape()
            && a.column(self.selected)
                .iter()
                .zip(b.column(other.selected).iter())
                .all(|(u, v)| u.to_bits() == v.to_bits())
            && self.particles == other.particles
    }
}

impl fmt::Debug for IsirState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.particles.fmt_state("IsirState", self.selected, f)
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
        Ok(IsirState {
            selected,
            aux: 0,
            particles: ParticleSet::new(target, noise, selected)?,
            origin: Origin::default(),
        })
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
        check_k(k)?;
        let noise = DMatrix::from_fn(target.noise_dim(), k, |_, _| StandardNormal.sample(rng));
        let selected = rng.random_range(0..k);
        Self::new(target, noise, selected)
    }

    /// The auxiliary slot `ℓ_aux` of the (D)ISIR step that built the current set: the slot holding the
    /// particle kept from the previous set, from which DISIR's AR(1) paths run outward. After a coupled
    /// step both chains report the same slot, and their sets differ column by column by
    /// `β^{|k − ℓ_aux|} (ξ^x_{ℓ_aux} − ξ^y_{ℓ_aux})` (exactly only in column `ℓ_aux` when β = 0, up to
    /// rounding otherwise). 0 for a state that has not been stepped.
    pub fn auxiliary_index(&self) -> usize {
        self.aux
    }

    /// How this state's particle set relates to `other`'s, as the kernel that built them knows it:
    /// [`SetRelation::SharedInnovations`] exactly when both were produced by one coupled step (the pair
    /// `(X_t, Y_{t−L})` of a lagged estimator for `t > L`), [`SetRelation::Unrelated`] otherwise (an initial
    /// draw, single-chain steps, states from different coupled steps).
    pub fn relation_to(&self, other: &IsirState) -> SetRelation {
        match (self.origin.coupled_step, other.origin.coupled_step) {
            (Some(a), Some(b)) if a == b && self.aux == other.aux => {
                SetRelation::SharedInnovations {
                    slot: self.aux,
                    beta: self.origin.beta,
                }
            }
            _ => SetRelation::Unrelated,
        }
    }

    /// The particles, one noise vector per column (`noise_dim × K`).
    pub fn noise(&self) -> &DMatrix<f64> {
        self.particles.noise()
    }
    /// Number of particles `K`.
    pub fn k(&self) -> usize {
        self.particles.k()
    }
    /// The selected index `ℓ`.
    pub fn selected(&self) -> usize {
        self.selected
    }
    /// Log-weights `log w(ξ_k)` of the set.
    pub fn log_weights(&self) -> &[f64] {
        self.particles.log_weights()
    }
    /// Self-normalised weights `w̃_k` of the set (the Rao-Blackwellised coefficients of `h`).
    pub fn weights(&self) -> &[f64] {
        self.particles.weights()
    }
    /// Effective sample size `1 / Σ_k w̃_k²` of the set.
    pub fn ess(&self) -> f64 {
        self.particles.ess()
    }
    /// `log Ẑ = log((1/K) Σ_k w_k)`, the log of the set's importance-sampling estimate of the normaliser.
    pub fn log_mean_weight(&self) -> f64 {
        self.particles.log_mean_weight()
    }

    /// The cached log-weight of the selected particle.
    pub(crate) fn selected_log_weight(&self) -> f64 {
        self.particles.log_weights[self.selected]
    }
}
