//! The findings of the meeting times: at the main K, and their trends against K and D.

use ucg_report::{format_number as num, format_thousands as int};

use crate::ppca::cells::{EstimatorKind, Sweep};
use crate::ppca::summary::Summary;

/// Both coupled estimators' meeting times at the main K.
pub fn at_main_k(s: &Summary) -> Option<String> {
    let c = &s.config;
    let tau = |e| {
        s.find(Sweep::Gradient, e, c.main_k, c.latent_dim)
            .and_then(|cell| cell.meeting.clone())
    };
    let (a, b) = (
        tau(EstimatorKind::CoupledIsir)?,
        tau(EstimatorKind::CoupledIsirDisir)?,
    );
    Some(format!(
        "At K = {}, C-ISIR meets after {} iterations on average (99% quantile {}, max {}) and C-ISIR-DISIR \
         after {} (99% quantile {}, max {}).",
        c.main_k,
        num(a.mean),
        num(a.q99),
        num(a.max),
        num(b.mean),
        num(b.q99),
        num(b.max)
    ))
}

/// How the mean meeting time of each coupled estimator changes from the smallest to the largest K, and
/// from the smallest to the largest D.
pub fn trends(s: &Summary) -> Vec<String> {
    let mut out = Vec::new();
    for e in [EstimatorKind::CoupledIsir, EstimatorKind::CoupledIsirDisir] {
        let by_k = s.by_k(e);
        if let (Some(first), Some(last)) = (by_k.first(), by_k.last())
            && let (Some(a), Some(b)) = (&first.meeting, &last.meeting)
            && by_k.len() > 1
        {
            out.push(format!(
                "{}: the mean meeting time goes from {} at K = {} to {} at K = {} (99% quantile {} to {}).",
                e.label(),
                num(a.mean),
                first.cell.k,
                num(b.mean),
                last.cell.k,
                num(a.q99),
                num(b.q99)
            ));
        }
        let by_d = s.by_d(e);
        if let (Some(first), Some(last)) = (by_d.first(), by_d.last())
            && let (Some(a), Some(b)) = (&first.meeting, &last.meeting)
            && by_d.len() > 1
        {
            out.push(format!(
                "{}: against the latent dimension, the mean meeting time goes from {} at D = {} to {} at D = {} \
                 (99% quantile {} to {}; capped runs {} of {} at D = {}).",
                e.label(),
                num(a.mean),
                first.cell.d,
                num(b.mean),
                last.cell.d,
                num(a.q99),
                num(b.q99),
                int(b.capped),
                int(b.runs),
                last.cell.d
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ppca::test_support::tiny_summary;

    #[test]
    fn trends_cover_k_and_d_when_both_sweeps_ran() {
        let s = tiny_summary();
        let t = trends(&s);
        // The tiny preset has K ∈ {2, 5} and D ∈ {2, 3}: one K and one D trend per coupled estimator.
        assert_eq!(t.len(), 4, "{t:#?}");
        assert!(
            t[0].starts_with("C-ISIR: the mean meeting time goes from")
                && t[0].contains("at K = 2")
        );
        assert!(t[1].contains("against the latent dimension") && t[1].contains("at D = 3"));
        assert!(
            at_main_k(&s)
                .unwrap()
                .starts_with("At K = 5, C-ISIR meets after")
        );
    }

    #[test]
    fn a_run_without_sweeps_has_no_trends() {
        let mut s = tiny_summary();
        s.cells
            .retain(|c| c.cell.sweep == Sweep::Gradient && c.cell.k == s.config.main_k);
        assert!(trends(&s).is_empty());
        assert!(at_main_k(&s).is_some());
        s.cells.clear();
        assert!(at_main_k(&s).is_none());
    }
}
