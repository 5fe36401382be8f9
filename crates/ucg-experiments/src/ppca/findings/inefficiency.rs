//! The finding of the inefficiency (variance × cost) at the main K: the coupled estimators against IWAE.

use ucg_report::format_number as num;

use crate::ppca::summary::Summary;

/// C-ISIR's inefficiency relative to IWAE's, and C-ISIR-DISIR's relative to C-ISIR's, when all three ran.
pub fn ratios(s: &Summary) -> Option<String> {
    let cells = s.main_cells();
    let get = |name: &str| {
        cells
            .iter()
            .find(|c| c.name == name)
            .and_then(|c| c.inefficiency)
    };
    let (iw, ci, cd) = (get("IWAE")?, get("C-ISIR")?, get("C-ISIR-DISIR")?);
    Some(format!(
        "Inefficiency (variance × particle evaluations) at K = {}: C-ISIR's is {}× IWAE's (the price of removing \
         the bias) and C-ISIR-DISIR's is {}× C-ISIR's.",
        s.config.main_k,
        num(ci / iw),
        num(cd / ci)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ppca::cells::EstimatorKind;
    use crate::ppca::test_support::tiny_summary;

    #[test]
    fn ratios_are_relative_to_the_cheaper_estimator() {
        let mut s = tiny_summary();
        let main_k = s.config.main_k;
        for cell in s.cells.iter_mut().filter(|c| c.cell.k == main_k) {
            cell.inefficiency = match cell.cell.estimator {
                EstimatorKind::Iwae => Some(2.0),
                EstimatorKind::CoupledIsir => Some(6.0),
                EstimatorKind::CoupledIsirDisir => Some(30.0),
                EstimatorKind::Elbo => Some(1.0),
                EstimatorKind::Sumo => None,
            };
        }
        let line = ratios(&s).unwrap();
        assert!(
            line.contains("C-ISIR's is 3× IWAE's")
                && line.contains("C-ISIR-DISIR's is 5× C-ISIR's"),
            "{line}"
        );
        s.cells.retain(|c| c.cell.estimator != EstimatorKind::Iwae);
        assert!(ratios(&s).is_none());
    }
}
