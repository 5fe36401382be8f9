//! One (D)ISIR step cut into the pieces a batched driver needs: *propose*, *evaluate*, *complete*.
//!
//! A step of an ISIR-family kernel draws its randomness and builds its proposal set (propose), asks the
//! target for the set's log-weights (evaluate), then reweights, selects and, for a coupled step, draws the
//! two indices from the maximal coupling (complete). Only the middle piece touches the target, so a driver
//! that advances many chains together (one per data point, say) can propose for every chain, evaluate all
//! proposal sets in one batched call, and complete every chain. The kernels' own
//! [`MarkovKernel::step`](crate::MarkovKernel::step) and
//! [`CoupledKernel::coupled_step`](crate::CoupledKernel::coupled_step) are these same pieces with the
//! evaluation done through the kernel's counted target, so there is one implementation of the law.
//!
//! # Example: a step through the pieces equals the kernel's step
//! ```
//! use nalgebra::DMatrix;
//! use rand::SeedableRng;
//! use ucg_couplings::{ImportanceTarget, InitialLaw, MarkovKernel, isir::Disir};
//!
//! struct Shifted;
//! impl ImportanceTarget for Shifted {
//!     fn noise_dim(&self) -> usize { 2 }
//!     fn log_weights(&self, noise: &DMatrix<f64>, out: &mut [f64]) -> ucg_couplings::Result<()> {
//!         for (o, col) in out.iter_mut().zip(noise.column_iter()) { *o = col.sum() - 1.0; }
//!         Ok(())
//!     }
//! }
//! let kernel = Disir::new(Shifted, 5, 0.5)?;
//! let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(3);
//! let start = kernel.sample_initial(&mut rng)?;
//! let (mut a, mut b) = (start.clone(), start);
//! let (mut rng_a, mut rng_b) = (rng.clone(), rng);
//! kernel.step(&mut a, &mut rng_a)?;
//! for sub in kernel.schedule().sub_steps() {
//!     let proposal = sub.propose(&mut b, &mut rng_b)?;
//!     let mut log_w = vec![0.0; sub.k()];
//!     Shifted.log_weights(b.noise(), &mut log_w)?; // a driver would batch this call
//!     sub.complete(&mut b, proposal, &log_w, &mut rng_b)?;
//! }
//! assert_eq!(a, b);
//! assert_eq!(a.weights(), b.weights());
//! # Ok::<(), ucg_couplings::CouplingError>(())
//! ```

use super::proposal::{ar1_outward, draw_innovations};
use super::state::{IsirState, Origin};
use crate::error::{CouplingError, Result, invalid};
use crate::maximal::categorical::{maximal_coupling, sample_categorical};
use crate::particles::check_k;
use crate::target::ImportanceTarget;
use rand::{Rng, RngExt};

/// One (D)ISIR sub-step with `K` particles and correlation β (β = 0: ISIR). A composed kernel is a
/// sequence of them ([`IsirSchedule`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SubStep {
    k: usize,
    beta: f64,
}

/// A single chain's step between [`SubStep::propose`] and [`SubStep::complete`]: the chain's particles
/// already hold the proposal set, whose log-weights are awaited. Until the step is completed the state's
/// cached weights are stale, so a proposal must be completed (or the state discarded).
#[derive(Debug)]
#[must_use = "the state holds an unweighted proposal set until the step is completed"]
pub struct Proposal {
    /// The auxiliary slot, which holds the previously selected particle.
    slot: usize,
    /// The log-weight of that particle, reused rather than recomputed.
    kept_log_weight: f64,
}

/// A coupled step between [`SubStep::propose_coupled`] and [`SubStep::complete_coupled`].
#[derive(Debug)]
#[must_use = "the states hold unweighted proposal sets until the step is completed"]
pub enum CoupledProposal {
    /// The states were identical: `x` alone proposes (its set is the only one to evaluate) and `y` will be
    /// a copy of it (the sticky rule, [`crate::move_as_one`]).
    AsOne(Proposal),
    /// Two distinct states with shared auxiliary slot and innovations.
    Pair(PairProposal),
}

/// The unmet part of a coupled proposal (see [`CoupledProposal::Pair`]).
#[derive(Debug)]
pub struct PairProposal {
    slot: usize,
    kept_x: f64,
    kept_y: f64,
    /// β = 0: the sets differ in the auxiliary slot only, so `y` reuses `x`'s log-weights and its own set
    /// is not evaluated.
    shares_log_weights: bool,
}

impl CoupledProposal {
    /// Whether `y`'s proposal set needs its own evaluation (false when the states move as one, and for
    /// β = 0, where `y` shares `x`'s log-weights).
    pub fn evaluates_y(&self) -> bool {
        match self {
            CoupledProposal::AsOne(_) => false,
            CoupledProposal::Pair(p) => !p.shares_log_weights,
        }
    }
}

impl SubStep {
    /// A sub-step with `K = k` particles and correlation `beta`.
    ///
    /// # Errors
    /// `k < 2` or `beta ∉ [0, 1)` (NaN included).
    pub fn new(k: usize, beta: f64) -> Result<Self> {
        check_k(k)?;
        if !(0.0..1.0).contains(&beta) {
            return Err(invalid("beta", format!("must lie in [0, 1), got {beta}")));
        }
        Ok(SubStep { k, beta })
    }
    /// Number of particles `K`.
    pub fn k(&self) -> usize {
        self.k
    }
    /// The correlation β.
    pub fn beta(&self) -> f64 {
        self.beta
    }

    /// Proposes for one chain: draws the auxiliary slot `ℓ_aux ~ Uniform{0..K−1}`, moves the selected
    /// particle there, draws the innovations of the other slots and runs DISIR's AR(1) paths outward. The
    /// state's particles ([`IsirState::noise`]) are then the set to evaluate.
    ///
    /// # Errors
    /// A state with another number of particles than `K`.
    pub fn propose<R: Rng + ?Sized>(&self, s: &mut IsirState, rng: &mut R) -> Result<Proposal> {
        self.check_k_of(s)?;
        let l = rng.random_range(0..self.k);
        let kept_log_weight = s.selected_log_weight();
        let set = &mut s.particles;
        set.noise.swap_columns(s.selected, l);
        draw_innovations(&mut set.noise, l, rng);
        ar1_outward(&mut set.noise, l, self.beta);
        Ok(Proposal {
            slot: l,
            kept_log_weight,
        })
    }

    /// Completes one chain's step with the log-weights of its proposal set (`log_weights[j]` for column
    /// `j`; the kept particle's entry is replaced by its cached value): renormalises and selects
    /// `ℓ* ~ Categorical(w̃)`.
    ///
    /// # Errors
    /// `log_weights.len() ≠ K`; NaN or `+∞` log-weights, or all `−∞`.
    pub fn complete<R: Rng + ?Sized>(
        &self,
        s: &mut IsirState,
        proposal: Proposal,
        log_weights: &[f64],
        rng: &mut R,
    ) -> Result<()> {
        self.check_len(log_weights.len())?;
        let set = &mut s.particles;
        set.log_weights.copy_from_slice(log_weights);
        set.log_weights[proposal.slot] = proposal.kept_log_weight;
        set.renormalize()?;
        s.selected = sample_categorical(&set.weights, rng)?;
        s.aux = proposal.slot;
        s.origin = Origin::single(self.beta);
        Ok(())
    }

    /// Proposes for a coupled pair. Identical states move as one ([`CoupledProposal::AsOne`]: only `x`
    /// proposes). Otherwise both chains share the auxiliary slot and every innovation: `y` takes `x`'s
    /// innovations and keeps its own selected particle in the slot; then `x`'s set, and `y`'s set when
    /// [`CoupledProposal::evaluates_y`], are to be evaluated.
    ///
    /// # Errors
    /// A state with another number of particles than `K`.
    pub fn propose_coupled<R: Rng + ?Sized>(
        &self,
        x: &mut IsirState,
        y: &mut IsirState,
        rng: &mut R,
    ) -> Result<CoupledProposal> {
        self.check_k_of(x)?;
        self.check_k_of(y)?;
        if x == y {
            return Ok(CoupledProposal::AsOne(self.propose(x, rng)?));
        }
        let l = rng.random_range(0..self.k);
        let (kept_x, kept_y) = (x.selected_log_weight(), y.selected_log_weight());
        let (xs, ys) = (&mut x.particles, &mut y.particles);
        xs.noise.swap_columns(x.selected, l);
        ys.noise.swap_columns(y.selected, l);
        draw_innovations(&mut xs.noise, l, rng);
        // y takes every innovation of x (one contiguous copy) and keeps its own particle in slot l.
        let d = xs.noise.nrows();
        let (xa, ya) = (xs.noise.as_slice(), ys.noise.as_mut_slice());
        ya[..l * d].copy_from_slice(&xa[..l * d]);
        ya[(l + 1) * d..].copy_from_slice(&xa[(l + 1) * d..]);
        ar1_outward(&mut xs.noise, l, self.beta);
        ar1_outward(&mut ys.noise, l, self.beta);
        Ok(CoupledProposal::Pair(PairProposal {
            slot: l,
            kept_x,
            kept_y,
            shares_log_weights: self.beta == 0.0,
        }))
    }

    /// Completes a coupled step with the log-weights of `x`'s proposal set and, when
    /// [`CoupledProposal::evaluates_y`], of `y`'s (`None` otherwise): reweights both, draws the two indices
    /// from the maximal coupling of the weight vectors, stamps both states with the step's origin, and
    /// returns whether the states are now identical (exactly).
    ///
    /// # Errors
    /// Log-weight slices of the wrong length, `log_weights_y` given or missing against
    /// [`CoupledProposal::evaluates_y`], and invalid log-weights.
    pub fn complete_coupled<R: Rng + ?Sized>(
        &self,
        x: &mut IsirState,
        y: &mut IsirState,
        proposal: CoupledProposal,
        log_weights_x: &[f64],
        log_weights_y: Option<&[f64]>,
        rng: &mut R,
    ) -> Result<bool> {
        if log_weights_y.is_some() != proposal.evaluates_y() {
            return Err(invalid(
                "log_weights_y",
                "must be given exactly when the proposal evaluates y's set",
            ));
        }
        let p = match proposal {
            CoupledProposal::AsOne(p) => {
                self.complete(x, p, log_weights_x, rng)?;
                y.clone_from(x);
                return Ok(true);
            }
            CoupledProposal::Pair(p) => p,
        };
        self.check_len(log_weights_x.len())?;
        let l = p.slot;
        let (xs, ys) = (&mut x.particles, &mut y.particles);
        xs.log_weights.copy_from_slice(log_weights_x);
        xs.log_weights[l] = p.kept_x;
        xs.renormalize()?;
        // With β = 0 the sets differ only in slot l, so y reuses x's log-weights for every other slot.
        match log_weights_y {
            Some(lw) => {
                self.check_len(lw.len())?;
                ys.log_weights.copy_from_slice(lw);
            }
            None => ys.log_weights.copy_from_slice(&xs.log_weights),
        }
        ys.log_weights[l] = p.kept_y;
        ys.renormalize()?;
        let (i, j) = maximal_coupling(&xs.weights, &ys.weights, rng)?;
        x.selected = i;
        y.selected = j;
        x.aux = l;
        y.aux = l;
        x.origin = Origin::coupled(self.beta);
        y.origin = x.origin;
        // Slot l is where the sets certainly differ unless the kept particles agreed; checking it first keeps
        // the (exact) comparison cheap.
        Ok(i == j && x.particles.same_particle(&y.particles, l) && x == y)
    }

    /// One step of one chain: propose, evaluate through `target`, complete.
    ///
    /// # Errors
    /// As the pieces, and the target's failures.
    pub fn step<T, R>(&self, target: &T, s: &mut IsirState, rng: &mut R) -> Result<()>
    where
        T: ImportanceTarget + ?Sized,
        R: Rng + ?Sized,
    {
        s.particles.check_against(target, self.k)?;
        let proposal = self.propose(s, rng)?;
        let log_weights = self.evaluate(target, s)?;
        self.complete(s, proposal, &log_weights, rng)
    }

    /// One coupled step: propose, evaluate through `target` (`x`'s set, then `y`'s when needed),
    /// complete; returns whether the states are now identical.
    ///
    /// # Errors
    /// As the pieces, and the target's failures.
    pub fn coupled_step<T, R>(
        &self,
        target: &T,
        x: &mut IsirState,
        y: &mut IsirState,
        rng: &mut R,
    ) -> Result<bool>
    where
        T: ImportanceTarget + ?Sized,
        R: Rng + ?Sized,
    {
        x.particles.check_against(target, self.k)?;
        y.particles.check_against(target, self.k)?;
        let proposal = self.propose_coupled(x, y, rng)?;
        let log_weights_x = self.evaluate(target, x)?;
        let log_weights_y = match proposal.evaluates_y() {
            true => Some(self.evaluate(target, y)?),
            false => None,
        };
        self.complete_coupled(
            x,
            y,
            proposal,
            &log_weights_x,
            log_weights_y.as_deref(),
            rng,
        )
    }

    fn evaluate<T: ImportanceTarget + ?Sized>(
        &self,
        target: &T,
        s: &IsirState,
    ) -> Result<Vec<f64>> {
        let mut out = vec![0.0; self.k];
        target.log_weights(s.noise(), &mut out)?;
        Ok(out)
    }

    fn check_k_of(&self, s: &IsirState) -> Result<()> {
        if s.k() != self.k {
            return Err(CouplingError::DimensionMismatch {
                what: "number of particles K",
                expected: self.k,
                found: s.k(),
            });
        }
        Ok(())
    }

    fn check_len(&self, len: usize) -> Result<()> {
        if len != self.k {
            return Err(CouplingError::DimensionMismatch {
                what: "number of log-weights",
                expected: self.k,
                found: len,
            });
        }
        Ok(())
    }
}

/// The sub-steps one application of an ISIR-family kernel runs, in order: `[0]` for ISIR, `[β]` for
/// DISIR, `[0, β]` for ISIR-DISIR. A coupled application is the coupled sub-steps in the same order, and
/// reports the meeting flag of the last one.
#[derive(Clone, Debug, PartialEq)]
pub struct IsirSchedule {
    steps: Vec<SubStep>,
}

impl IsirSchedule {
    /// ISIR with `K = k` particles.
    ///
    /// # Errors
    /// `k < 2`.
    pub fn isir(k: usize) -> Result<Self> {
        Ok(IsirSchedule {
            steps: vec![SubStep::new(k, 0.0)?],
        })
    }
    /// DISIR with `K = k` particles and correlation `beta`.
    ///
    /// # Errors
    /// `k < 2` or `beta ∉ [0, 1)`.
    pub fn disir(k: usize, beta: f64) -> Result<Self> {
        Ok(IsirSchedule {
            steps: vec![SubStep::new(k, beta)?],
        })
    }
    /// ISIR followed by DISIR with correlation `beta`, `K = k` particles.
    ///
    /// # Errors
    /// `k < 2` or `beta ∉ [0, 1)`.
    pub fn isir_disir(k: usize, beta: f64) -> Result<Self> {
        Ok(IsirSchedule {
            steps: vec![SubStep::new(k, 0.0)?, SubStep::new(k, beta)?],
        })
    }
    /// Number of particles `K`.
    pub fn k(&self) -> usize {
        self.steps[0].k
    }
    /// The sub-steps, in order (never empty).
    pub fn sub_steps(&self) -> &[SubStep] {
        &self.steps
    }

    /// One application of the kernel to one chain, evaluating through `target`.
    ///
    /// # Errors
    /// As [`SubStep::step`].
    pub fn step<T, R>(&self, target: &T, s: &mut IsirState, rng: &mut R) -> Result<()>
    where
        T: ImportanceTarget + ?Sized,
        R: Rng + ?Sized,
    {
        self.steps
            .iter()
            .try_for_each(|sub| sub.step(target, s, rng))
    }

    /// One coupled application, evaluating through `target`; returns whether the states are now
    /// identical.
    ///
    /// # Errors
    /// As [`SubStep::coupled_step`].
    pub fn coupled_step<T, R>(
        &self,
        target: &T,
        x: &mut IsirState,
        y: &mut IsirState,
        rng: &mut R,
    ) -> Result<bool>
    where
        T: ImportanceTarget + ?Sized,
        R: Rng + ?Sized,
    {
        let mut met = false;
        for sub in &self.steps {
            met = sub.coupled_step(target, x, y, rng)?;
        }
        Ok(met)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CouplingError;
    use nalgebra::DMatrix;
    use rand::SeedableRng;
    use rand_xoshiro::Xoshiro256PlusPlus;

    struct Flat;
    impl ImportanceTarget for Flat {
        fn noise_dim(&self) -> usize {
            2
        }
        fn log_weights(&self, noise: &DMatrix<f64>, out: &mut [f64]) -> Result<()> {
            for (o, c) in out.iter_mut().zip(noise.column_iter()) {
                *o = c[0];
            }
            Ok(())
        }
    }

    #[test]
    fn misuse_of_the_pieces_gives_typed_errors() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
        let sub = SubStep::new(3, 0.0).unwrap();
        assert!(SubStep::new(1, 0.0).is_err() && SubStep::new(3, 1.0).is_err());
        let mut x = IsirState::sample_initial(&Flat, 3, &mut rng).unwrap();
        let mut y = IsirState::sample_initial(&Flat, 3, &mut rng).unwrap();
        let mut four = IsirState::sample_initial(&Flat, 4, &mut rng).unwrap();
        assert!(matches!(
            sub.propose(&mut four, &mut rng),
            Err(CouplingError::DimensionMismatch { .. })
        ));
        let p = sub.propose(&mut x, &mut rng).unwrap();
        assert!(sub.complete(&mut x, p, &[0.0; 2], &mut rng).is_err());
        // β = 0: y shares x's log-weights, so passing its own is a misuse, and so is a NaN.
        let p = sub.propose_coupled(&mut x, &mut y, &mut rng).unwrap();
        assert!(!p.evaluates_y());
        assert!(
            sub.complete_coupled(&mut x, &mut y, p, &[0.0; 3], Some(&[0.0; 3]), &mut rng)
                .is_err()
        );
        let disir = SubStep::new(3, 0.5).unwrap();
        let (mut x, mut y) = (
            IsirState::sample_initial(&Flat, 3, &mut rng).unwrap(),
            IsirState::sample_initial(&Flat, 3, &mut rng).unwrap(),
        );
        let p = disir.propose_coupled(&mut x, &mut y, &mut rng).unwrap();
        assert!(p.evaluates_y());
        assert!(
            disir
                .complete_coupled(&mut x, &mut y, p, &[0.0; 3], None, &mut rng)
                .is_err()
        );
        let p = disir.propose(&mut x, &mut rng).unwrap();
        assert!(matches!(
            disir.complete(&mut x, p, &[f64::NAN; 3], &mut rng),
            Err(CouplingError::NonFiniteLogWeight { .. })
        ));
    }
}
