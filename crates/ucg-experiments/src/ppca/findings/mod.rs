//! The report's findings: one sentence each, computed from the summary's numbers.

use ucg_report::{format_number as num, format_plus_minus};

use super::cells::{Estimator, Sweep};
use super::report::int;
use super::summary::{CellSummary, Summary, UnbiasednessCheck};
use super::warmup::BetaRecord;

/// One sentence per finding, computed from the numbers.
pub fn findings(s: &Summary) -> Vec<String> {
    let c = &s.config;
    let mut out = Vec::new();
    let fit = &s.setup.main_fit;
    out.push(format!(
        "The fitted IWAE-{} bound is {} nats per point below the exact log-likelihood ({} against {}).",
        c.fit.k,
        num(fit.log_likelihood - fit.bound),
        num(fit.bound),
        num(fit.log_likelihood)
    ));
    for e in [Estimator::CIsir, Estimator::CIsirDisir] {
        let checked: Vec<(&CellSummary, &UnbiasednessCheck)> = s
            .by_k(e)
            .into_iter()
            .filter_map(|cell| Some((cell, cell.check.as_ref()?)))
            .collect();
        let Some((worst, wx)) = checked
            .iter()
            .copied()
            .max_by(|a, b| a.1.max_abs_z.total_cmp(&b.1.max_abs_z))
        else {
            continue;
        };
        let capped: u64 = checked
            .iter()
            .map(|(c, _)| c.meeting.as_ref().map_or(0, |m| m.capped))
            .sum();
        let runs: u64 = checked
            .iter()
            .map(|(c, _)| c.meeting.as_ref().map_or(0, |m| m.runs))
            .sum();
        if checked.iter().all(|(_, x)| x.within_bound) {
            out.push(format!(
                "{}: no bias detected at any K — the largest |z_j| over all {} components is {} (K = {}, {}), \
                 below the bound {:.3}; {} of {} point runs hit the {}-iteration cap.",
                e.name(),
                int(wx.components as u64),
                num(wx.max_abs_z),
                worst.cell.k,
                wx.argmax,
                s.bonferroni_bound,
                int(capped),
                int(runs),
                c.lag.max_iter
            ));
        } else {
            let bad: Vec<String> = checked
                .iter()
                .filter(|(_, x)| !x.within_bound)
                .map(|(cell, x)| format!("K = {} (max |z| = {})", cell.cell.k, num(x.max_abs_z)))
                .collect();
            out.push(format!(
                "{}: the check exceeds the bound {:.3} at {}; {} of {} point runs hit the cap, whose truncation \
                 biases the estimate.",
                e.name(),
                s.bonferroni_bound,
                bad.join(", "),
                int(capped),
                int(runs)
            ));
        }
    }
    let iwae: Vec<(&CellSummary, &UnbiasednessCheck)> = s
        .by_k(Estimator::Iwae)
        .into_iter()
        .filter_map(|cell| Some((cell, cell.check.as_ref()?)))
        .collect();
    if let (Some(first), Some(last)) = (iwae.first(), iwae.last()) {
        let detected: Vec<String> = iwae
            .iter()
            .filter(|(_, x)| !x.within_bound)
            .map(|(cell, _)| cell.cell.k.to_string())
            .collect();
        out.push(format!(
            "IWAE: bias detected at K ∈ {{{}}}; its largest |z_j| goes from {} at K = {} to {} at K = {}, and its mean \
             error at {} from {} to {} (exact value {}).",
            detected.join(", "),
            num(first.1.max_abs_z),
            first.0.cell.k,
            num(last.1.max_abs_z),
            last.0.cell.k,
            first.1.intercept.label,
            format_plus_minus(first.1.intercept.mean_error, first.1.intercept.standard_error),
            format_plus_minus(last.1.intercept.mean_error, last.1.intercept.standard_error),
            num(first.1.intercept.exact)
        ));
    }
    let weight_z = iwae
        .iter()
        .map(|(_, x)| x.weight.z.abs())
        .fold(0.0f64, f64::max);
    if !iwae.is_empty() && weight_z < 3.0 {
        out.push(format!(
            "At {}, IWAE's mean error stays within 3 standard errors of zero at every K (largest |z| = {}): its \
             bias is concentrated on some components, which is why the check covers all of them.",
            c.components.weight_label(),
            num(weight_z)
        ));
    }
    if let Some(x) = s
        .find(Sweep::Gradient, Estimator::Elbo, c.main_k, c.latent_dim)
        .and_then(|cell| cell.check.as_ref())
    {
        out.push(format!(
            "ELBO at K = {}: largest |z_j| = {} — {} (its relative absolute error is {}).",
            c.main_k,
            num(x.max_abs_z),
            if x.within_bound {
                "no bias detected"
            } else {
                "biased, as expected"
            },
            num(x.relative_abs_error)
        ));
    }
    let main_tau = |e| {
        s.find(Sweep::Gradient, e, c.main_k, c.latent_dim)
            .and_then(|cell| cell.meeting.clone())
    };
    if let (Some(a), Some(b)) = (main_tau(Estimator::CIsir), main_tau(Estimator::CIsirDisir)) {
        out.push(format!(
            "At K = {}, C-ISIR meets after {} iterations on average (99% quantile {}, max {}) and C-ISIR-DISIR \
             after {} (99% quantile {}, max {}).",
            c.main_k,
            num(a.mean),
            num(a.q99),
            num(a.max),
            num(b.mean),
            num(b.q99),
            num(b.max)
        ));
    }
    for e in [Estimator::CIsir, Estimator::CIsirDisir] {
        let by_k = s.by_k(e);
        if let (Some(first), Some(last)) = (by_k.first(), by_k.last())
            && let (Some(a), Some(b)) = (&first.meeting, &last.meeting)
            && by_k.len() > 1
        {
            out.push(format!(
                "{}: the mean meeting time goes from {} at K = {} to {} at K = {} (99% quantile {} to {}).",
                e.name(),
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
                e.name(),
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
    let (settled, oscillating): (Vec<_>, Vec<_>) = s.setup.betas.iter().partition(|b| {
        let tail = &b.trajectory[b.trajectory.len() / 2..];
        let (lo, hi) = tail
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, z), &v| {
                (a.min(v), z.max(v))
            });
        hi - lo < 0.2
    });
    let name = |b: &&BetaRecord| match b.sweep {
        Sweep::Gradient => format!("K = {} (β = {})", b.k, num(b.beta)),
        Sweep::Dimension => format!("D = {} (τ sweep, β = {})", b.d, num(b.beta)),
    };
    if !s.setup.betas.is_empty() {
        out.push(format!(
            "β's warm-up settled (second-half range < 0.2) at {} and kept oscillating at {}, where the DISIR step's \
             ESS reaches 0.3 K only very close to β = 1; there the frozen β is the average of the oscillation.",
            if settled.is_empty() { "none".into() } else { settled.iter().map(name).collect::<Vec<_>>().join(", ") },
            if oscillating.is_empty() { "none".into() } else { oscillating.iter().map(name).collect::<Vec<_>>().join(", ") },
        ));
    }
    let ineff: Vec<(&str, f64)> = s
        .main_cells()
        .iter()
        .filter_map(|cell| Some((cell.name.as_str(), cell.inefficiency?)))
        .collect();
    let get = |name: &str| ineff.iter().find(|x| x.0 == name).map(|x| x.1);
    if let (Some(iw), Some(ci), Some(cd)) = (get("IWAE"), get("C-ISIR"), get("C-ISIR-DISIR")) {
        out.push(format!(
            "Inefficiency (variance × particle evaluations) at K = {}: C-ISIR's is {}× IWAE's (the price of removing \
             the bias) and C-ISIR-DISIR's is {}× C-ISIR's.",
            c.main_k,
            num(ci / iw),
            num(cd / ci)
        ));
    }
    out
}
