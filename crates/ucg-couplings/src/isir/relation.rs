//! How the particle sets of two ISIR-family states relate, as the kernel that built them knows it.
//!
//! A consumer that accumulates `h(X_t) − h(Y_{t−L})` for a coupled pair can do much less work when it knows
//! that the two sets came out of one coupled step: they share the auxiliary slot and every innovation, so
//! they differ by one vector spread along the AR(1) path. Only the kernel knows that, so it records it in
//! the states and reports it here; nothing outside this crate re-derives it.

/// The relation between the particle sets of two [`IsirState`](super::IsirState)s (see
/// [`IsirState::relation_to`](super::IsirState::relation_to)).
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub enum SetRelation {
    /// Both sets were built by one coupled (D)ISIR step, with correlation `beta`, around the auxiliary
    /// slot `slot`: they share every innovation, so with `δ = ξ^x_slot − ξ^y_slot` (the two kept particles),
    /// column `j` of the first set equals column `j` of the second plus `β^{|j − slot|} δ`. For `β = 0`
    /// this holds exactly (only column `slot` differs); for `β > 0` up to rounding, since the two AR(1)
    /// recursions round separately.
    SharedInnovations {
        /// The auxiliary slot `ℓ_aux` both sets were built around.
        slot: usize,
        /// The correlation β of the step that built them.
        beta: f64,
    },
    /// No structure is known (for example an initial draw against a stepped state): treat the sets as
    /// unrelated.
    Unrelated,
}

impl SetRelation {
    /// The factors `β^{|j − slot|}`, `j = 0..k`, by which `δ` enters column `j`, when the sets share
    /// innovations; `None` otherwise.
    pub fn path_factors(&self, k: usize) -> Option<Vec<f64>> {
        match *self {
            SetRelation::SharedInnovations { slot, beta } => Some(
                (0..k)
                    .map(|j| {
                        if j == slot {
                            1.0
                        } else {
                            beta.powi(j.abs_diff(slot) as i32)
                        }
                    })
                    .collect(),
            ),
            SetRelation::Unrelated => None,
        }
    }
}
