//! The findings of the unbiasedness checks: the coupled estimators at every K, IWAE's bias against K,
//! the shown weight component, and ELBO.

use ucg_report::{format_number as num, format_plus_minus, format_thousands as int};

use crate::ppca::cells::{EstimatorKind, Sweep};
use crate::ppca::meeting::MeetingStats;
use crate::ppca::summary::{CellSummary, Summary, UnbiasednessCheck};
use crate::ppca::verdict::{MIN_REPLICATES_FOR_VERDICT, Verdict};

/// The main problem's checked cells of `e`, ascending in K.
fn checked(s: &Summary, e: EstimatorKind) -> Vec<(&CellSummary, &UnbiasednessCheck)> {
    s.by_k(e)
        .into_iter()
        .filter_map(|cell| Some((cell, cell.check.as_ref()?)))
        .collect()
}

/// "too few replicates" for the cells of `e` that cannot be judged, if any.
fn too_few(e: EstimatorKind, cells: &[(&CellSummary, &UnbiasednessCheck)]) -> Option<String> {
    let short: Vec<String> = cells
        .iter()
        .filter(|(_, x)| x.verdict == Verdict::TooFewReplicates)
        .map(|(c, _)| format!("R = {} at K = {}", int(c.replicates), c.cell.k))
        .collect();
    (!short.is_empty()).then(|| {
        format!(
            "{}: too few replicates to judge its bias ({}; a verdict needs at least {}).",
            e.label(),
            short.join(", "),
            MIN_REPLICATES_FOR_VERDICT
        )
    })
}

/// Whether the coupled estimator `e` passed the check at every K, with its largest |z| and capped runs.
pub fn coupled(s: &Summary, e: EstimatorKind) -> Option<String> {
    let cells = checked(s, e);
    let (worst, wx) = cells
        .iter()
        .copied()
        .max_by(|a, b| a.1.max_abs_z.total_cmp(&b.1.max_abs_z))?;
    if let Some(line) = too_few(e, &cells) {
        return Some(line);
    }
    let meeting_total = |f: fn(&MeetingStats) -> u64| -> u64 {
        cells
            .iter()
            .map(|(c, _)| c.meeting.as_ref().map_or(0, f))
            .sum()
    };
    let (capped, runs) = (meeting_total(|m| m.capped), meeting_total(|m| m.runs));
    if cells
        .iter()
        .all(|(_, x)| x.verdict == Verdict::NoBiasDetected)
    {
        Some(format!(
            "{}: no bias detected at any K — the largest |z_j| over all {} components is {} (K = {}, {}), \
             below the bound {:.3}; {} of {} point runs hit the {}-iteration cap.",
            e.label(),
            int(wx.components as u64),
            num(wx.max_abs_z),
            worst.cell.k,
            wx.argmax,
            s.bonferroni_bound,
            int(capped),
            int(runs),
            s.config.lag.max_iter
        ))
    } else {
        let bad: Vec<String> = cells
            .iter()
            .filter(|(_, x)| x.verdict == Verdict::BiasDetected)
            .map(|(cell, x)| format!("K = {} (max |z| = {})", cell.cell.k, num(x.max_abs_z)))
            .collect();
        Some(format!(
            "{}: the check exceeds the bound {:.3} at {}; {} of {} point runs hit the cap, whose truncation \
             biases the estimate.",
            e.label(),
            s.bonferroni_bound,
            bad.join(", "),
            int(capped),
            int(runs)
        ))
    }
}

/// IWAE's bias against K: where it is detected, and how its largest |z| and shown error shrink.
pub fn iwae(s: &Summary) -> Option<String> {
    let cells = checked(s, EstimatorKind::Iwae);
    let (first, last) = (cells.first()?, cells.last()?);
    if let Some(line) = too_few(EstimatorKind::Iwae, &cells) {
        return Some(line);
    }
    let detected: Vec<String> = cells
        .iter()
        .filter(|(_, x)| x.verdict == Verdict::BiasDetected)
        .map(|(cell, _)| cell.cell.k.to_string())
        .collect();
    Some(format!(
        "IWAE: bias detected at K ∈ {{{}}}; its largest |z_j| goes from {} at K = {} to {} at K = {}, and its mean \
         error at {} from {} to {} (exact value {}).",
        detected.join(", "),
        num(first.1.max_abs_z),
        first.0.cell.k,
        num(last.1.max_abs_z),
        last.0.cell.k,
        first.1.intercept.label,
        format_plus_minus(
            first.1.intercept.mean_error,
            first.1.intercept.standard_error
        ),
        format_plus_minus(last.1.intercept.mean_error, last.1.intercept.standard_error),
        num(first.1.intercept.exact)
    ))
}

/// At the shown weight component IWAE's bias may hide in the noise: said when it does.
pub fn iwae_shown_weight(s: &Summary) -> Option<String> {
    let cells = checked(s, EstimatorKind::Iwae);
    let weight_z = cells
        .iter()
        .map(|(_, x)| x.weight.z.abs())
        .fold(0.0f64, f64::max);
    (!cells.is_empty() && weight_z < 3.0).then(|| {
        format!(
            "At {}, IWAE's mean error stays within 3 standard errors of zero at every K (largest |z| = {}): its \
             bias is concentrated on some components, which is why the check covers all of them.",
            s.config.components.weight_label(),
            num(weight_z)
        )
    })
}

/// ELBO's check at the main K.
pub fn elbo(s: &Summary) -> Option<String> {
    let c = &s.config;
    let x = s
        .find(Sweep::Gradient, EstimatorKind::Elbo, c.main_k, c.latent_dim)?
        .check
        .as_ref()?;
    Some(format!(
        "ELBO at K = {}: largest |z_j| = {} — {} (its relative absolute error is {}).",
        c.main_k,
        num(x.max_abs_z),
        match x.verdict {
            Verdict::NoBiasDetected => "no bias detected",
            Verdict::BiasDetected => "biased, as expected",
            Verdict::TooFewReplicates => "too few replicates to judge",
        },
        num(x.relative_abs_error)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ppca::test_support::tiny_summary;

    /// The tiny run with every check judged: `verdict(cell)` for each checked cell.
    fn judged(verdict: impl Fn(&CellSummary) -> Verdict) -> Summary {
        let mut s = tiny_summary();
        for cell in &mut s.cells {
            let v = verdict(cell);
            if let Some(x) = &mut cell.check {
                x.verdict = v;
            }
        }
        s
    }

    #[test]
    fn too_few_replicates_are_said_so_not_judged() {
        let s = tiny_summary();
        for line in [coupled(&s, EstimatorKind::CoupledIsir), iwae(&s)] {
            let line = line.unwrap();
            assert!(line.contains("too few replicates to judge"), "{line}");
            assert!(!line.contains("bias detected"), "{line}");
        }
        assert!(elbo(&s).unwrap().contains("too few replicates to judge"));
    }

    #[test]
    fn judged_checks_name_the_cells() {
        let s = judged(|_| Verdict::NoBiasDetected);
        let line = coupled(&s, EstimatorKind::CoupledIsirDisir).unwrap();
        assert!(
            line.starts_with("C-ISIR-DISIR: no bias detected at any K"),
            "{line}"
        );
        let s = judged(|c| {
            if c.cell.k == 2 {
                Verdict::BiasDetected
            } else {
                Verdict::NoBiasDetected
            }
        });
        let line = coupled(&s, EstimatorKind::CoupledIsir).unwrap();
        assert!(
            line.contains("exceeds the bound") && line.contains("K = 2 (max |z|"),
            "{line}"
        );
        let line = iwae(&s).unwrap();
        assert!(
            line.starts_with("IWAE: bias detected at K ∈ {2};"),
            "{line}"
        );
        assert!(elbo(&s).unwrap().contains("no bias detected"));
    }

    #[test]
    fn missing_cells_give_no_finding() {
        let mut s = tiny_summary();
        s.cells.clear();
        assert!(coupled(&s, EstimatorKind::CoupledIsir).is_none());
        assert!(iwae(&s).is_none() && iwae_shown_weight(&s).is_none() && elbo(&s).is_none());
    }
}
