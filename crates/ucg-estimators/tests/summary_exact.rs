//! The summaries that every statistical test of the workspace reads its verdict from, against hand-computed
//! values: a z-score that came out too small would make those tests pass whatever the estimator does.

use ucg_estimators::summary::{MeetingSummary, Moments};

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * b.abs().max(1.0)
}

#[test]
fn standard_errors_and_z_scores_match_hand_computation() {
    let mut m = Moments::new(2);
    for x in [[1.0, 10.0], [2.0, 10.0], [3.0, 13.0], [4.0, 7.0]] {
        m.push(&x).unwrap();
    }
    assert_eq!((m.count(), m.dim()), (4, 2));
    // Column 0: mean 2.5, variance 5/3; column 1: mean 10, variance 6.
    assert!(close(m.mean()[0], 2.5) && close(m.mean()[1], 10.0));
    let var = m.variance();
    assert!(close(var[0], 5.0 / 3.0) && close(var[1], 6.0), "{var:?}");
    let se = m.standard_error();
    assert!(
        close(se[0], (5.0 / 12.0f64).sqrt()) && close(se[1], 1.5f64.sqrt()),
        "{se:?}"
    );
    let z = m.z_scores(&[2.0, 12.0]).unwrap();
    assert!(close(z[0], 0.5 / (5.0 / 12.0f64).sqrt()), "{z:?}");
    assert!(close(z[1], -2.0 / 1.5f64.sqrt()), "{z:?}");
    assert!(m.z_scores(&[0.0]).is_err());
    // Two replicates are enough for a z-score.
    let mut two = Moments::new(1);
    two.push(&[1.0]).unwrap();
    two.push(&[3.0]).unwrap();
    assert!(close(two.z_scores(&[0.0]).unwrap()[0], 2.0));
    let mut one = Moments::new(1);
    one.push(&[3.0]).unwrap();
    assert!(one.z_scores(&[3.0]).is_err());
    assert_eq!(one.variance(), [0.0]);
}

#[test]
fn merging_an_empty_shard_changes_nothing() {
    let mut m = Moments::new(1);
    m.push(&[2.0]).unwrap();
    m.push(&[4.0]).unwrap();
    let before = m.clone();
    m.merge(&Moments::new(1)).unwrap();
    assert_eq!(m, before);
    assert!(m.merge(&Moments::new(2)).is_err());
}

#[test]
fn meeting_summary_of_meeting_times() {
    let s = MeetingSummary::new(&[4, 1, 3, 2, 10], 1).unwrap();
    assert_eq!((s.runs, s.capped, s.max), (5, 1, 10.0));
    assert!(close(s.mean, 4.0) && close(s.median, 3.0));
    // Type-7 quantiles: h = q (n − 1).
    assert!(close(s.q90, 4.0 + 0.6 * 6.0), "{s:?}");
    assert!(close(s.q99, 4.0 + 0.96 * 6.0), "{s:?}");
    assert!(MeetingSummary::new(&[], 0).is_err());
}
