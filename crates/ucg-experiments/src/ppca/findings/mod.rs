//! The report's findings: one sentence each, computed from the summary's numbers.
//!
//! Each part of the study has its own module and is tested on its own: the encoder fit ([`fit`]), the
//! unbiasedness checks ([`bias`]), the meeting times ([`meeting`]), β's warm-up ([`beta`]) and the
//! inefficiency ([`inefficiency`]). A finding is left out when its cells did not run.

pub mod beta;
pub mod bias;
pub mod fit;
pub mod inefficiency;
pub mod meeting;

use super::cells::EstimatorKind;
use super::summary::Summary;

/// One sentence per finding, in report order.
pub fn findings(s: &Summary) -> Vec<String> {
    let mut out = vec![fit::fit_gap(s)];
    out.extend(
        [EstimatorKind::CoupledIsir, EstimatorKind::CoupledIsirDisir]
            .into_iter()
            .filter_map(|e| bias::coupled(s, e)),
    );
    out.extend(bias::iwae(s));
    out.extend(bias::iwae_shown_weight(s));
    out.extend(bias::elbo(s));
    out.extend(meeting::at_main_k(s));
    out.extend(meeting::trends(s));
    out.extend(beta::warmup(s));
    out.extend(inefficiency::ratios(s));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ppca::test_support::tiny_summary;

    #[test]
    fn every_part_of_a_complete_run_has_its_finding() {
        let f = findings(&tiny_summary());
        for start in [
            "The fitted IWAE",
            "C-ISIR:",
            "C-ISIR-DISIR:",
            "IWAE:",
            "ELBO at K",
            "At K = 5, C-ISIR meets",
            "β's warm-up",
            "Inefficiency",
        ] {
            assert!(f.iter().any(|l| l.starts_with(start)), "{start}: {f:#?}");
        }
    }
}
