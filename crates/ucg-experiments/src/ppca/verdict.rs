//! The unbiasedness verdicts: per cell (bias detected or not, or too few replicates to judge), the
//! acceptance of the whole run, and the lines `cargo xtask` prints.
//!
//! A cell's check compares `max_j |z_j|`, `z_j = mean error_j / s.e._j`, with the Bonferroni bound of
//! the normal distribution. That is only trustworthy when the `z_j` are close to normal, i.e. with
//! enough replicates `R`: for Gaussian errors `z_j` follows Student's t with `R − 1` degrees of freedom,
//! whose tails at the bound (about 5.6 for tens of thousands of components at the family-wise level
//! 10⁻³) are far heavier than the normal ones for small `R`. Summed over the components (the Bonferroni
//! bound of the false-alarm rate), the family-wise level of 10⁻³ becomes about 1 with `R = 10`, 0.3 with
//! `R = 30`, 0.01 with `R = 100` and 0.002 with `R = 500` (for the default 79,184 components; heavier-
//! tailed errors, such as the coupled estimators', need more). So a verdict needs at least
//! [`MIN_REPLICATES_FOR_VERDICT`] replicates; below that the check is reported as "too few replicates
//! to judge" (`R = 2` gave `max |z|` up to 1.7·10⁶ for unbiased estimators).

use serde::{Deserialize, Serialize};

use super::summary::Summary;

/// The fewest replicates of a cell for a verdict on its bias: at `R = 100` a false alarm of an unbiased
/// estimator with Gaussian errors has probability about 1% (10× the nominal level); fewer replicates
/// make it likely.
pub const MIN_REPLICATES_FOR_VERDICT: u64 = 100;

/// What the unbiasedness check of one cell says.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Every `|z_j|` is within the bound.
    NoBiasDetected,
    /// Some `|z_j|` exceeds the bound.
    BiasDetected,
    /// Fewer than [`MIN_REPLICATES_FOR_VERDICT`] replicates: the z-scores are not normal enough to judge.
    TooFewReplicates,
}

impl Verdict {
    /// The verdict for `max_abs_z` from `replicates` replicates against `bound`.
    pub fn judge(replicates: u64, max_abs_z: f64, bound: f64) -> Verdict {
        if replicates < MIN_REPLICATES_FOR_VERDICT {
            Verdict::TooFewReplicates
        } else if max_abs_z <= bound {
            Verdict::NoBiasDetected
        } else {
            Verdict::BiasDetected
        }
    }

    /// How the console and the report say it.
    pub fn describe(self) -> &'static str {
        match self {
            Verdict::NoBiasDetected => "no bias detected",
            Verdict::BiasDetected => "BIAS DETECTED",
            Verdict::TooFewReplicates => "too few replicates to judge",
        }
    }
}

/// The run's acceptance (`docs/method.md` §8): no bias detected for the coupled estimators, bias
/// detected for IWAE at K = 2.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AcceptanceVerdict {
    /// Both hold.
    Passed,
    /// One of them does not.
    NotPassed,
    /// A cell it needs has fewer than [`MIN_REPLICATES_FOR_VERDICT`] replicates (or did not run).
    TooFewReplicates,
}

/// The lines `cargo xtask reproduce ppca` and `cargo xtask merge` print: the check of every cell of the
/// main problem, then the acceptance.
pub fn verdict_lines(summary: &Summary) -> Vec<String> {
    let mut out = vec![format!(
        "unbiasedness check over {} components, Bonferroni bound {:.3} (a verdict needs at least {} \
         replicates):",
        summary.config.components_count(),
        summary.bonferroni_bound,
        MIN_REPLICATES_FOR_VERDICT
    )];
    for c in &summary.cells {
        if let Some(x) = &c.check {
            out.push(format!(
                "  {:<13} K = {:>3}: R = {:>6}, max |z| = {:>8.3} ({})",
                c.name,
                c.cell.k,
                c.replicates,
                x.max_abs_z,
                x.verdict.describe()
            ));
        }
    }
    let a = &summary.acceptance;
    out.push(match a.verdict {
        AcceptanceVerdict::TooFewReplicates => format!(
            "acceptance: too few replicates to judge (every coupled cell and IWAE at K = 2 need at least {} \
             replicates; use more --replicates and --sweep-replicates, or --preset quick)",
            MIN_REPLICATES_FOR_VERDICT
        ),
        v => format!(
            "acceptance: {} (coupled within bound: {}, IWAE K = 2 detected: {})",
            if v == AcceptanceVerdict::Passed {
                "passed"
            } else {
                "NOT passed"
            },
            a.coupled_within_bound,
            a.iwae_k2_detected
                .map_or("not run".into(), |d| d.to_string())
        ),
    });
    if !summary.complete {
        out.push("(partial results: some replicates are missing)".into());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ppca::test_support::tiny_summary;

    #[test]
    fn verdicts_need_enough_replicates() {
        let n = MIN_REPLICATES_FOR_VERDICT;
        assert_eq!(Verdict::judge(2, 1.7e6, 5.7), Verdict::TooFewReplicates);
        assert_eq!(Verdict::judge(n - 1, 1.0, 5.7), Verdict::TooFewReplicates);
        assert_eq!(Verdict::judge(n, 1.0, 5.7), Verdict::NoBiasDetected);
        assert_eq!(Verdict::judge(n, 6.0, 5.7), Verdict::BiasDetected);
    }

    #[test]
    fn a_tiny_run_says_too_few_replicates_never_bias_detected() {
        // The tiny preset has 3 replicates per cell: far too few for any verdict.
        let s = tiny_summary();
        let lines = verdict_lines(&s).join("\n");
        assert!(!lines.contains("BIAS DETECTED"), "{lines}");
        assert!(!lines.contains("NOT passed"), "{lines}");
        assert!(lines.contains("too few replicates to judge"), "{lines}");
        assert_eq!(s.acceptance.verdict, AcceptanceVerdict::TooFewReplicates);
        assert!(!s.acceptance.passed);
    }
}
