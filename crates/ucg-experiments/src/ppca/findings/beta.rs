//! The finding of β's warm-up: where the adaptation settled and where it kept oscillating.

use ucg_report::format_number as num;

use crate::ppca::cells::Sweep;
use crate::ppca::config::BetaChoice;
use crate::ppca::summary::Summary;
use crate::ppca::warmup::BetaRecord;

/// A warm-up settled when the second half of its trajectory spans less than this.
pub const SETTLED_RANGE: f64 = 0.2;

/// Whether β's trajectory settled: its second half spans less than [`SETTLED_RANGE`].
pub fn settled(record: &BetaRecord) -> bool {
    let tail = &record.trajectory[record.trajectory.len() / 2..];
    let (lo, hi) = tail
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, z), &v| {
            (a.min(v), z.max(v))
        });
    hi - lo < SETTLED_RANGE
}

/// Which warm-ups settled and which oscillated, if there were any.
pub fn warmup(s: &Summary) -> Option<String> {
    if s.setup.betas.is_empty() {
        return None;
    }
    match &s.config.beta {
        BetaChoice::Ess => {}
        BetaChoice::Fixed(beta) => {
            return Some(format!(
                "C-ISIR-DISIR ran with β fixed at {} for every K and D (no warm-up; the default comes from \
                 the β sweep, `--sweep beta`, where it has the smallest variance × cost and keeps truncation \
                 rare).",
                num(*beta)
            ));
        }
        BetaChoice::Pilot(_) => {
            let chosen: Vec<String> = s
                .setup
                .betas
                .iter()
                .map(|b| format!("{} at K = {}, D = {}", num(b.beta), b.k, b.d))
                .collect();
            return Some(format!(
                "A pilot chose C-ISIR-DISIR's β by measured variance × cost: {}.",
                chosen.join("; ")
            ));
        }
    }
    let (settled, oscillating): (Vec<&BetaRecord>, Vec<&BetaRecord>) =
        s.setup.betas.iter().partition(|b| settled(b));
    let names = |records: &[&BetaRecord]| {
        if records.is_empty() {
            return "none".to_string();
        }
        let named: Vec<String> = records
            .iter()
            .map(|b| match b.sweep {
                Sweep::Gradient => format!("K = {} (β = {})", b.k, num(b.beta)),
                Sweep::Dimension => format!("D = {} (τ sweep, β = {})", b.d, num(b.beta)),
            })
            .collect();
        named.join(", ")
    };
    Some(format!(
        "β's warm-up settled (second-half range < {SETTLED_RANGE}) at {} and kept oscillating at {}, where the \
         DISIR step's ESS reaches 0.3 K only very close to β = 1; there the frozen β is the average of the \
         oscillation.",
        names(&settled),
        names(&oscillating)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ppca::test_support::tiny_summary;

    fn record(trajectory: Vec<f64>) -> BetaRecord {
        BetaRecord {
            sweep: Sweep::Gradient,
            d: 3,
            k: 5,
            beta: 0.5,
            trajectory,
            pilot: None,
        }
    }

    #[test]
    fn only_the_second_half_decides() {
        assert!(settled(&record(vec![0.0, 1.0, 0.5, 0.55, 0.6])));
        assert!(!settled(&record(vec![0.5, 0.5, 0.1, 0.9, 0.1])));
    }

    #[test]
    fn warmups_are_sorted_into_settled_and_oscillating() {
        let mut s = tiny_summary();
        s.setup.betas = vec![
            record(vec![0.5, 0.5, 0.5]),
            record(vec![0.5, 0.0, 1.0, 0.0]),
        ];
        let line = warmup(&s).unwrap();
        assert!(
            line.contains(
                "settled (second-half range < 0.2) at K = 5 (β = 0.5) and kept oscillating at K = 5"
            ),
            "{line}"
        );
        s.setup.betas.clear();
        assert!(warmup(&s).is_none());
    }
}
