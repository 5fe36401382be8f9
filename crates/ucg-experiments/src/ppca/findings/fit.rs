//! The finding of the encoder fit: how far its IWAE bound is below the exact log-likelihood.

use ucg_report::format_number as num;

use crate::ppca::summary::Summary;

/// The gap between the fitted bound and the exact log-likelihood of the main problem.
pub fn fit_gap(s: &Summary) -> String {
    let fit = &s.setup.main_fit;
    format!(
        "The fitted IWAE-{} bound is {} nats per point below the exact log-likelihood ({} against {}).",
        s.config.fit.k,
        num(fit.log_likelihood - fit.bound),
        num(fit.bound),
        num(fit.log_likelihood)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ppca::test_support::tiny_summary;

    #[test]
    fn the_gap_is_the_difference() {
        let mut s = tiny_summary();
        s.setup.main_fit.bound = -12.5;
        s.setup.main_fit.log_likelihood = -10.0;
        assert!(
            fit_gap(&s).contains(
                "is 2.5 nats per point below the exact log-likelihood (-12.5 against -10)"
            )
        );
    }
}
