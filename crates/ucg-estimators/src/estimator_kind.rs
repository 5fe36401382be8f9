//! The gradient estimators a latent-variable model can be trained with, named once for every crate:
//! training runs, studies, their files and the command line all use [`EstimatorKind`].
//!
//! With the `serde` feature it is written in kebab case (`"coupled-isir-disir"`), and also read from
//! the variant names files written before this type existed (`"CIsirDisir"`, `"Iwae"`); with the `clap`
//! feature it is a command-line value (`--estimator coupled-isir-disir`).
//!
//! # Example
//! ```
//! use ucg_estimators::EstimatorKind;
//!
//! let unbiased: Vec<&str> = EstimatorKind::ALL
//!     .iter()
//!     .filter(|e| e.is_unbiased())
//!     .map(|e| e.label())
//!     .collect();
//! assert_eq!(unbiased, ["C-ISIR", "C-ISIR-DISIR", "SUMO"]);
//! assert_eq!("coupled-isir".parse(), Ok(EstimatorKind::CoupledIsir));
//! ```

use std::fmt;
use std::str::FromStr;

#[cfg(feature = "serde")]
use serde::{Deserialize, Serialize};

/// How the gradient of `log p(x)` with respect to the model's parameters is estimated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case"))]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum EstimatorKind {
    /// The ELBO's gradient averaged over `K` particles from the encoder: biased.
    #[cfg_attr(feature = "serde", serde(alias = "Elbo"))]
    Elbo,
    /// The IWAE bound's gradient with `K` particles (self-normalised importance sampling): biased,
    /// by `O(1/K)`.
    #[cfg_attr(feature = "serde", serde(alias = "Iwae"))]
    Iwae,
    /// Lagged coupled chains of the ISIR kernel (β = 0): unbiased.
    #[cfg_attr(feature = "serde", serde(alias = "CIsir"))]
    CoupledIsir,
    /// Lagged coupled chains of the ISIR-DISIR kernel with a β: unbiased (the paper's estimator).
    #[cfg_attr(feature = "serde", serde(alias = "CIsirDisir"))]
    CoupledIsirDisir,
    /// SUMO's Russian-roulette sum of IWAE-bound differences: unbiased (Luo et al. 2020).
    Sumo,
}

impl EstimatorKind {
    /// Every estimator, biased first, then by cost.
    pub const ALL: [EstimatorKind; 5] = [
        EstimatorKind::Elbo,
        EstimatorKind::Iwae,
        EstimatorKind::CoupledIsir,
        EstimatorKind::CoupledIsirDisir,
        EstimatorKind::Sumo,
    ];

    /// The name in folders, files and on the command line: `elbo`, `iwae`, `coupled-isir`,
    /// `coupled-isir-disir`, `sumo`.
    pub fn name(self) -> &'static str {
        match self {
            EstimatorKind::Elbo => "elbo",
            EstimatorKind::Iwae => "iwae",
            EstimatorKind::CoupledIsir => "coupled-isir",
            EstimatorKind::CoupledIsirDisir => "coupled-isir-disir",
            EstimatorKind::Sumo => "sumo",
        }
    }

    /// The label in reports: `ELBO`, `IWAE`, `C-ISIR`, `C-ISIR-DISIR`, `SUMO`.
    pub fn label(self) -> &'static str {
        match self {
            EstimatorKind::Elbo => "ELBO",
            EstimatorKind::Iwae => "IWAE",
            EstimatorKind::CoupledIsir => "C-ISIR",
            EstimatorKind::CoupledIsirDisir => "C-ISIR-DISIR",
            EstimatorKind::Sumo => "SUMO",
        }
    }

    /// Whether its expectation is the exact gradient (the coupled estimators and SUMO).
    pub fn is_unbiased(self) -> bool {
        !matches!(self, EstimatorKind::Elbo | EstimatorKind::Iwae)
    }

    /// Whether it runs coupled chains (and so has meeting times and a cap).
    pub fn is_coupled(self) -> bool {
        matches!(
            self,
            EstimatorKind::CoupledIsir | EstimatorKind::CoupledIsirDisir
        )
    }

    /// Whether it needs DISIR's β.
    pub fn needs_beta(self) -> bool {
        self == EstimatorKind::CoupledIsirDisir
    }
}

impl fmt::Display for EstimatorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The error of parsing an [`EstimatorKind`] from a name that is none of them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownEstimator(pub String);

impl fmt::Display for UnknownEstimator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = EstimatorKind::ALL.iter().map(|e| e.name()).collect();
        write!(
            f,
            "unknown estimator {:?}; expected one of {}",
            self.0,
            names.join(", ")
        )
    }
}

impl std::error::Error for UnknownEstimator {}

impl FromStr for EstimatorKind {
    type Err = UnknownEstimator;
    /// Parses a [`EstimatorKind::name`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        EstimatorKind::ALL
            .into_iter()
            .find(|e| e.name() == s)
            .ok_or_else(|| UnknownEstimator(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_names_are_refused() {
        for e in EstimatorKind::ALL {
            assert_eq!(e.name().parse(), Ok(e));
            assert_eq!(e.to_string(), e.name());
        }
        let err = "isir".parse::<EstimatorKind>().unwrap_err().to_string();
        assert!(
            err.contains("\"isir\"") && err.contains("coupled-isir-disir"),
            "{err}"
        );
        assert!(EstimatorKind::Sumo.is_unbiased() && !EstimatorKind::Sumo.is_coupled());
        assert!(!EstimatorKind::Iwae.is_unbiased());
    }

    #[cfg(feature = "serde")]
    #[test]
    fn written_in_kebab_case_and_read_from_earlier_names() {
        let written = serde_json::to_string(&EstimatorKind::CoupledIsirDisir).unwrap();
        assert_eq!(written, "\"coupled-isir-disir\"");
        for (earlier, e) in [
            ("\"CIsirDisir\"", EstimatorKind::CoupledIsirDisir),
            ("\"CIsir\"", EstimatorKind::CoupledIsir),
            ("\"Iwae\"", EstimatorKind::Iwae),
            ("\"Elbo\"", EstimatorKind::Elbo),
            ("\"sumo\"", EstimatorKind::Sumo),
        ] {
            assert_eq!(serde_json::from_str::<EstimatorKind>(earlier).unwrap(), e);
        }
    }
}
