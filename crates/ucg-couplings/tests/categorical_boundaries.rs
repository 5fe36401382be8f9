//! Exact arithmetic of categorical sampling and of the maximal coupling of two categoricals, checked with
//! scripted uniforms at the boundaries of the inversion: a statistical test cannot tell `u < F(i)` from
//! `u ≤ F(i)` (the tie has probability `2⁻⁵³`), these tests can.

use ucg_couplings::CouplingError;
use ucg_couplings::maximal::categorical::{maximal_coupling, sample_categorical, validate_weights};

mod common;
use common::scripted::{ScriptedUniforms, TOP};

/// `sample_categorical` with the single uniform `u`, checking that it draws exactly one.
fn categorical_at(weights: &[f64], u: f64) -> usize {
    let mut rng = ScriptedUniforms::new(&[u]);
    let i = sample_categorical(weights, &mut rng).unwrap();
    assert_eq!(rng.remaining(), 0, "one uniform per categorical draw");
    i
}

/// `maximal_coupling` with the scripted uniforms `script`, checking that it draws all of them.
fn coupling_at(p: &[f64], q: &[f64], script: &[f64]) -> (usize, usize) {
    let mut rng = ScriptedUniforms::new(script);
    let ij = maximal_coupling(p, q, &mut rng).unwrap();
    assert_eq!(rng.remaining(), 0, "uniforms left over for {p:?}, {q:?}");
    ij
}

#[test]
fn categorical_draw_is_the_inverse_cdf_with_half_open_cells() {
    // Unnormalised weights with total 4: index i owns [F(i−1), F(i)) of [0, 4), scaled from u ∈ [0, 1).
    let w = [1.0, 0.0, 2.0, 1.0];
    assert_eq!(categorical_at(&w, 0.0), 0);
    assert_eq!(categorical_at(&w, 0.25 - f64::EPSILON / 2.0), 0);
    // u · total = 1 = F(0): the cell of index 0 is open on the right, and index 1 has no mass.
    assert_eq!(categorical_at(&w, 0.25), 2);
    assert_eq!(categorical_at(&w, 0.5), 2);
    // u · total = 3 = F(2).
    assert_eq!(categorical_at(&w, 0.75), 3);
    assert_eq!(categorical_at(&w, TOP), 3);
    // A zero weight at either end is never drawn.
    assert_eq!(categorical_at(&[0.0, 3.0, 0.0], 0.0), 1);
    assert_eq!(categorical_at(&[0.0, 3.0, 0.0], TOP), 1);
}

#[test]
fn coupling_splits_the_uniform_between_overlap_and_residuals_exactly() {
    // Unnormalised with equal sums (2): min(p, q) = [1, 0.5, 0], overlap 1.5; (p − q)₊ = [0, 0.5, 0],
    // (q − p)₊ = [0, 0, 0.5].
    let (p, q) = ([1.0, 1.0, 0.0], [1.0, 0.5, 0.5]);
    assert_eq!(coupling_at(&p, &q, &[0.0]), (0, 0));
    // u · Σp = 1 = the first cell's end of min(p, q): index 1, in the overlap.
    assert_eq!(coupling_at(&p, &q, &[0.5]), (1, 1));
    // u · Σp = 1.5 = the overlap: the overlap is [0, 1.5), so this u is in the residual part, and the
    // second uniform draws j from (q − p)₊.
    assert_eq!(coupling_at(&p, &q, &[0.75, 0.5]), (1, 2));
    assert_eq!(coupling_at(&p, &q, &[TOP, 0.0]), (1, 2));

    // Two residual atoms on each side: (p − q)₊ = [0.25, 0.25, 0, 0], (q − p)₊ = [0, 0, 0.25, 0.25],
    // overlap 1.5 of Σ = 2. The residual uniform is u − overlap, the second one scales by Σ(q − p)₊.
    let (p, q) = ([0.5, 0.5, 0.5, 0.5], [0.25, 0.25, 0.75, 0.75]);
    assert_eq!(coupling_at(&p, &q, &[0.75, 0.25]), (0, 2));
    assert_eq!(coupling_at(&p, &q, &[0.75, 0.5]), (0, 3));
    assert_eq!(coupling_at(&p, &q, &[0.875, 0.0]), (1, 2));

    // Residual atoms after a zero: (p − q)₊ = [0, 0.5, 0.5, 0] at u − overlap = 0 is index 1.
    let (p, q) = ([1.0, 0.5, 0.5, 0.0], [1.0, 0.0, 0.0, 1.0]);
    assert_eq!(coupling_at(&p, &q, &[0.5, 0.5]), (1, 3));
    assert_eq!(coupling_at(&p, &q, &[0.75, 0.5]), (2, 3));
}

#[test]
fn rounding_at_the_top_of_the_residual_falls_back_to_a_positive_residual() {
    // Equal sums in floating point (1.35); (p − q)₊ = [0, 2/3 − 0.05, 0]. At the largest uniform,
    // u − overlap rounds to exactly Σ(p − q)₊, past the end of the inversion: the fallback must be the last
    // index with p > q (1), not the last index (2), where p < q.
    let (p, q) = ([1.0 / 3.0, 2.0 / 3.0, 0.35], [0.7, 0.05, 0.6]);
    assert_eq!(p.iter().sum::<f64>(), q.iter().sum::<f64>());
    assert_eq!(coupling_at(&p, &q, &[TOP, 0.0]), (1, 0));
}

#[test]
fn usable_weight_vectors_validate() {
    for ok in [&[1.0][..], &[0.0, 1.0][..], &[2.0, 0.0, 5e-300][..]] {
        assert!(validate_weights(ok).is_ok(), "{ok:?}");
    }
    for bad in [
        &[f64::NAN, 1.0][..],
        &[f64::INFINITY, 1.0][..],
        &[f64::NEG_INFINITY, 1.0][..],
        &[-1e-300, 1.0][..],
    ] {
        assert!(
            matches!(validate_weights(bad), Err(CouplingError::InvalidWeights(_))),
            "{bad:?}"
        );
    }
}
