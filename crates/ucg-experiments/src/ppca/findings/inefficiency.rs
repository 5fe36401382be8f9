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
    use crate::ppca::cells::Estimator;
    use crate::ppca::test_support::tiny_summary;

    #[test]
    fn ratios_are_relative_to_the_cheaper_estimator() {
        let mut s = tiny_summary();
        let main_k = s.config.main_k;
        for cell in s.cells.iter_mut().filter(|c| c.cell.k == main_k) {
            cell.inefficiency = match cell.cell.estimator {
                Estimator::Iwae => Some(2.0),
                Estimator::CIsir => Some(6.0),
                Estimator::CIsirDisir => Some(30.0),
                Estimator::Elbo => Some(1.0),
            };
        }
        let line = ratios(&s).unwrap();
        assert!(
            line.contains("C-ISIR's is 3× IWAE's")
                && line.contains("C-ISIR-DISIR's is 5× C-ISIR's"),
            "{line}"
        );
        s.cells.retain(|c| c.cell.estimator != Estimator::Iwae);
        assert!(ratios(&s).is_none());
    }
}
