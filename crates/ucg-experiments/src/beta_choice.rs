//! How a study chooses C-ISIR-DISIR's β (`--beta ess|VALUE|pilot` of `reproduce ppca` and
//! `reproduce vae`): the settings shared by both studies.

use serde::{Deserialize, Serialize};

/// A short pilot choosing β by measured efficiency (`ucg_estimators::pilot`): `replicates` batch estimates
/// at each candidate, the same seeds for every candidate.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PilotSettings {
    /// The candidate β values.
    pub candidates: Vec<f64>,
    /// Batch estimates per candidate.
    pub replicates: usize,
}

impl PilotSettings {
    /// Candidates `{0, 0.3, 0.5, 0.7, 0.9}` with 20 estimates each.
    pub fn standard() -> Self {
        PilotSettings {
            candidates: vec![0.0, 0.3, 0.5, 0.7, 0.9],
            replicates: 20,
        }
    }

    /// Candidates `{0, 0.5, 0.9}` with 6 estimates each: for costly estimates (a VAE minibatch
    /// gradient at β = 0.9 takes tens of seconds).
    pub fn short() -> Self {
        PilotSettings {
            candidates: vec![0.0, 0.5, 0.9],
            replicates: 6,
        }
    }
}

/// How a study chooses C-ISIR-DISIR's β. The PPCA study applies it per problem and `K`; the VAE study
/// per training run, on the model the run starts from.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BetaChoice {
    /// The ESS = 0.3 K rule. PPCA: a warm-up (`ppca::config::WarmupSettings`), then β frozen; VAE:
    /// adapted between SGD steps from 0.9, fixed within each step.
    #[default]
    Ess,
    /// The same β everywhere.
    Fixed(f64),
    /// A short pilot (per PPCA problem and `K`; per VAE run): the candidate with the smallest measured
    /// variance × cost, then fixed.
    Pilot(PilotSettings),
}

impl BetaChoice {
    /// The same choice, a pilot running with `pilot` (a study sizes its pilot to its estimates' cost).
    pub fn with_pilot_settings(self, pilot: PilotSettings) -> BetaChoice {
        match self {
            BetaChoice::Pilot(_) => BetaChoice::Pilot(pilot),
            other => other,
        }
    }
}

impl std::str::FromStr for BetaChoice {
    type Err = String;
    /// `ess`, a number in `[0, 1)`, or `pilot` (with [`PilotSettings::standard`]; see
    /// [`BetaChoice::with_pilot_settings`]).
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "ess" => Ok(BetaChoice::Ess),
            "pilot" => Ok(BetaChoice::Pilot(PilotSettings::standard())),
            _ => match s.parse::<f64>() {
                Ok(b) if (0.0..1.0).contains(&b) => Ok(BetaChoice::Fixed(b)),
                _ => Err(format!(
                    "expected `ess`, `pilot` or a number in [0, 1), got {s}"
                )),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parsed_from_the_command_lines_words() {
        assert_eq!("ess".parse(), Ok(BetaChoice::Ess));
        assert_eq!("0.3".parse(), Ok(BetaChoice::Fixed(0.3)));
        let pilot: BetaChoice = "pilot".parse().unwrap();
        assert_eq!(pilot, BetaChoice::Pilot(PilotSettings::standard()));
        assert_eq!(
            pilot.with_pilot_settings(PilotSettings::short()),
            BetaChoice::Pilot(PilotSettings::short())
        );
        assert_eq!(
            BetaChoice::Ess.with_pilot_settings(PilotSettings::short()),
            BetaChoice::Ess
        );
        for bad in ["1", "-0.1", "NaN", "esss"] {
            let err = bad.parse::<BetaChoice>().unwrap_err();
            assert!(err.contains(bad), "{err}");
        }
    }
}
