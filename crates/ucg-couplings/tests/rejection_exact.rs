//! Exact arithmetic of the rejection coupling: the Gaussian log-density it ships, the strict and non-strict
//! comparisons of its two steps (checked with scripted uniforms at a tie), and its cap.

use rand::{Rng, RngExt};
use rand_distr::{Distribution, Normal};
use statrs::distribution::{Continuous, Normal as StatrsNormal};
use ucg_couplings::maximal::rejection::{RejectionCoupling, RejectionDraw, SampleLogDensity};

mod common;
use common::scripted::ScriptedUniforms;

#[test]
fn gaussian_log_density_is_exact() {
    for (mu, sigma) in [(0.0, 1.0), (-1.3, 2.5), (4.0, 0.2)] {
        let ours = Normal::new(mu, sigma).unwrap();
        let reference = StatrsNormal::new(mu, sigma).unwrap();
        for x in [-7.0, -1.3, 0.0, 0.4, 3.9, 12.0] {
            let (a, b) = (ours.log_density(&x), reference.ln_pdf(x));
            assert!(
                (a - b).abs() <= 1e-12 * b.abs().max(1.0),
                "N({mu}, {sigma}²) at {x}: {a} vs {b}"
            );
            // A reference to a distribution is the same distribution.
            let by_ref: &Normal<f64> = &ours;
            assert_eq!(
                SampleLogDensity::log_density(&by_ref, &x).to_bits(),
                a.to_bits()
            );
        }
    }
}

#[test]
fn the_cap_is_kept() {
    assert_eq!(
        RejectionCoupling::with_max_trials(7).unwrap().max_trials(),
        7
    );
    assert_eq!(
        RejectionCoupling::new().max_trials(),
        RejectionCoupling::DEFAULT_MAX_TRIALS
    );
}

/// A distribution on `{0, 1}` with `P(0) = p0`, sampled by inversion of one uniform (`0` iff `u < p0`).
struct TwoPoint {
    p0: f64,
}

impl Distribution<usize> for TwoPoint {
    fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> usize {
        usize::from(rng.random::<f64>() >= self.p0)
    }
}

impl SampleLogDensity<usize> for TwoPoint {
    fn log_density(&self, x: &usize) -> f64 {
        if *x == 0 { self.p0 } else { 1.0 - self.p0 }.ln()
    }
}

fn draw(p: &TwoPoint, q: &TwoPoint, script: &[f64]) -> RejectionDraw<usize> {
    let mut rng = ScriptedUniforms::new(script);
    let d = RejectionCoupling::new().sample(p, q, &mut rng).unwrap();
    assert_eq!(rng.remaining(), 0, "uniforms left over");
    d
}

#[test]
fn step_one_accepts_a_tie_and_step_two_rejects_one() {
    // The scripted ties below are exact in floating point: ln ½ + ln ½ = ln ¼.
    assert_eq!(0.5f64.ln() + 0.5f64.ln(), 0.25f64.ln());

    // Step 1 keeps X iff U · p(X) ≤ q(X). With p = (½, ½), q = (¼, ¾), X = 0 and U = ½: U · p(X) = q(X).
    let (p, q) = (TwoPoint { p0: 0.5 }, TwoPoint { p0: 0.25 });
    let tie = draw(&p, &q, &[0.0, 0.5]);
    assert_eq!((tie.x, tie.y, tie.met, tie.proposals), (0, 0, true, 1));
    // Just above the tie, X = 0 is refused and step 2 proposes Y* = 1 (q's inversion at ½), accepted
    // since U* · q(1) = ¾ · ¾ > p(1) = ½.
    let above = draw(&p, &q, &[0.0, 0.5 + f64::EPSILON, 0.5, 0.75]);
    assert_eq!(
        (above.x, above.y, above.met, above.proposals),
        (0, 1, false, 2)
    );

    // Step 2 keeps Y* iff U* · q(Y*) > p(Y*), strictly. With p = (¾, ¼), q = (½, ½): X = 0 is refused
    // (U = ⅞: ⅞ · ¾ > ½), the first Y* = 1 comes with U* = ½, a tie (½ · ½ = ¼), and is refused; the
    // second comes with U* = ¾ and is kept: three draws in all.
    let (p, q) = (TwoPoint { p0: 0.75 }, TwoPoint { p0: 0.5 });
    let d = draw(&p, &q, &[0.0, 0.875, 0.75, 0.5, 0.75, 0.75]);
    assert_eq!((d.x, d.y, d.met, d.proposals), (0, 1, false, 3));
}
