//! Meeting is whole-state equality `(ξ_{1:K}, ℓ)`, bit for bit: equal particles with another selected
//! index, particles that differ in one unselected column, or in the sign of a zero, are different states.

use nalgebra::DMatrix;
use ucg_couplings::ImportanceTarget;
use ucg_couplings::isir::IsirState;
use ucg_couplings::pimh::PimhState;

struct Flat;
impl ImportanceTarget for Flat {
    fn noise_dim(&self) -> usize {
        2
    }
    fn log_weights(&self, _: &DMatrix<f64>, out: &mut [f64]) -> ucg_couplings::Result<()> {
        out.fill(0.0);
        Ok(())
    }
}

/// The base particles, and copies that differ in column 2 (unselected) and in the sign of entry (0, 0).
fn particle_sets() -> (DMatrix<f64>, DMatrix<f64>, DMatrix<f64>) {
    let base = DMatrix::from_column_slice(2, 3, &[0.0, 1.0, -2.0, 0.5, 3.0, 4.0]);
    let mut other_column = base.clone();
    other_column[(1, 2)] = 4.0 + f64::EPSILON * 4.0;
    let mut negative_zero = base.clone();
    negative_zero[(0, 0)] = -0.0;
    (base, other_column, negative_zero)
}

/// Checks the equality rules for a state type built by `make(noise, selected)`.
fn check<S: PartialEq + std::fmt::Debug>(make: impl Fn(DMatrix<f64>, usize) -> S) {
    let (base, other_column, negative_zero) = particle_sets();
    assert_eq!(make(base.clone(), 1), make(base.clone(), 1));
    let wider = DMatrix::from_fn(2, 4, |i, j| if j < 3 { base[(i, j)] } else { 9.0 });
    let different = [
        (
            make(base.clone(), 0),
            make(base.clone(), 1),
            "selected index",
        ),
        (
            make(base.clone(), 1),
            make(other_column, 1),
            "an unselected column",
        ),
        (
            make(base.clone(), 1),
            make(negative_zero.clone(), 1),
            "0 and −0",
        ),
        (
            make(base.clone(), 0),
            make(negative_zero, 0),
            "0 and −0, selected",
        ),
        (
            make(base, 1),
            make(wider, 1),
            "a different number of particles",
        ),
    ];
    for (a, b, what) in different {
        assert_ne!(a, b, "{what}");
    }
}

#[test]
fn isir_states_are_equal_exactly_when_particles_and_index_are() {
    check(|noise, selected| IsirState::new(&Flat, noise, selected).unwrap());
}

#[test]
fn pimh_states_are_equal_exactly_when_particles_and_index_are() {
    check(|noise, selected| PimhState::new(&Flat, noise, selected).unwrap());
}
