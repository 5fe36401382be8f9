//! The ISIR family (docs/method.md §3-4): ISIR, dependent ISIR (DISIR) with correlation β, the paper's
//! composed ISIR-DISIR kernel, and their couplings.
//!
//! The state is a proposal set of `K` noise vectors with a selected index `ℓ` ([`IsirState`]); every
//! kernel leaves the extended target `π(ξ_{1:K}, ℓ) ∝ w(ξ_ℓ) · path(ξ_{1:K})` invariant, under which the
//! selected particle is distributed as the target `∝ w(ξ) N(ξ; 0, I)` and `P(ℓ | ξ_{1:K}) = w̃_ℓ`.
//!
//! Coupled steps share the auxiliary index and every innovation and draw the two new indices from the
//! maximal coupling of the two weight vectors; with β = 0 the sets differ in one slot only, which is how
//! the chains meet. A particle's log-weight is computed once, when it is proposed, and travels with it, so
//! two chains holding the same particles always hold bit-identical weights.

mod kernels;
mod pieces;
mod proposal;
#[cfg(test)]
mod reference;
mod relation;
mod state;

pub use kernels::{Disir, Isir, IsirDisir};
pub use pieces::{CoupledProposal, IsirSchedule, PairProposal, Proposal, SubStep};
pub use relation::SetRelation;
pub use state::IsirState;
