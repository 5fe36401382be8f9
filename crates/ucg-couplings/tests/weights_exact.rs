//! Log-weight arithmetic against closed forms, with totals other than one so that a multiplication by
//! the total cannot pass for a division, and with every entry `−∞`.

use ucg_couplings::weights::{effective_sample_size, log_sum_exp, normalize_log_weights};

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * b.abs().max(1.0)
}

#[test]
fn log_sum_exp_and_normalisation_match_closed_forms() {
    let log_w = [0.0, 3f64.ln(), f64::NEG_INFINITY, 4f64.ln()];
    assert!(close(log_sum_exp(&log_w), 8f64.ln()));
    let mut out = [0.0; 4];
    let lse = normalize_log_weights(&log_w, &mut out).unwrap();
    assert!(close(lse, 8f64.ln()));
    for (o, e) in out.iter().zip([0.125, 0.375, 0.0, 0.5]) {
        assert!(close(*o, e), "{out:?}");
    }
    // Shifted far from zero: stability, and the shift is returned in the total.
    let shifted: Vec<f64> = log_w.iter().map(|l| l + 800.0).collect();
    assert!(close(log_sum_exp(&shifted), 800.0 + 8f64.ln()));
    assert!(close(
        normalize_log_weights(&shifted, &mut out).unwrap(),
        800.0 + 8f64.ln()
    ));
    // No mass at all: −∞, not NaN.
    assert_eq!(log_sum_exp(&[f64::NEG_INFINITY; 3]), f64::NEG_INFINITY);
    assert!(log_sum_exp(&[f64::NAN, 0.0]).is_nan());
    assert!(normalize_log_weights(&[f64::INFINITY, 0.0], &mut [0.0; 2]).is_err());
}

#[test]
fn effective_sample_size_is_the_inverse_sum_of_squares() {
    assert!(close(effective_sample_size(&[0.5, 0.5]), 2.0));
    assert!(close(
        effective_sample_size(&[0.125, 0.375, 0.0, 0.5]),
        1.0 / 0.406_25
    ));
}
