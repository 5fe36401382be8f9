//! The parameters of the reflection coupling: the symmetry check of a covariance is relative to its
//! largest entry (`10⁻¹²`), non-finite factors and means are refused, and the factor a coupling reports is
//! the one it draws with.

use nalgebra::DMatrix;
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use ucg_couplings::CouplingError;
use ucg_couplings::maximal::reflection::ReflectionCoupling;

#[test]
fn covariance_symmetry_is_checked_relative_to_its_scale() {
    let base = DMatrix::from_row_slice(2, 2, &[200.0, 100.0, 100.0, 200.0]);
    // Asymmetry 10⁻¹¹ on entries of size 200: relative 5·10⁻¹⁴, accepted.
    let mut rounding = base.clone();
    rounding[(0, 1)] += 1e-11;
    assert!(ReflectionCoupling::from_covariance(&rounding).is_ok());
    // Asymmetry 10⁻⁸: relative 5·10⁻¹¹, refused.
    let mut skewed = base.clone();
    skewed[(0, 1)] += 1e-8;
    assert!(matches!(
        ReflectionCoupling::from_covariance(&skewed),
        Err(CouplingError::InvalidParameter { .. })
    ));
    // The tolerance is inclusive: largest entry 1, asymmetry exactly 10⁻¹² (one entry 0, the other 10⁻¹²).
    let at_tolerance = DMatrix::from_row_slice(2, 2, &[1.0, 1e-12, 0.0, 1.0]);
    assert!(ReflectionCoupling::from_covariance(&at_tolerance).is_ok());
    // The same relative asymmetry at scale 10⁻⁶ is refused too.
    let mut small = base.scale(1e-8);
    small[(0, 1)] += 1e-16;
    assert!(ReflectionCoupling::from_covariance(&small).is_err());
}

#[test]
fn reported_factor_is_the_drawing_factor() {
    let iso = ReflectionCoupling::isotropic(3, 0.5).unwrap();
    assert_eq!(iso.dim(), 3);
    assert_eq!(
        iso.cholesky_factor(),
        DMatrix::from_diagonal_element(3, 3, 0.5)
    );
    let l = DMatrix::from_row_slice(2, 2, &[2.0, 0.0, -0.5, 1.5]);
    let lower = ReflectionCoupling::from_cholesky_factor(l.clone()).unwrap();
    assert_eq!((lower.dim(), lower.cholesky_factor()), (2, l));
}

#[test]
fn non_finite_parameters_are_refused_where_they_enter() {
    for bad in [f64::NAN, f64::INFINITY] {
        let l = DMatrix::from_row_slice(2, 2, &[1.0, 0.0, 0.5, bad]);
        assert!(matches!(
            ReflectionCoupling::from_cholesky_factor(l),
            Err(CouplingError::InvalidParameter { .. })
        ));
        let coupling = ReflectionCoupling::isotropic(2, 1.0).unwrap();
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
        let mut out = [0.0; 2];
        assert!(matches!(
            coupling.sample_gaussian_into(&[0.0, bad], &mut out, &mut rng),
            Err(CouplingError::InvalidParameter { .. })
        ));
    }
}
