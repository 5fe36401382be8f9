//! The per-step log of a training run: what every SGD step cost and, for the coupled estimators, what
//! its chains did. Written as `steps.csv` next to `metrics.csv`, from the checkpoint's records, so it
//! always matches the checkpoint; the coupled steps' meeting times are also kept per epoch as
//! [`MeetingCounts`] (`meetings.csv`), from which the report draws τ histograms and quantiles.

use ucg_estimators::meeting_counts::MeetingCounts;

/// What a θ-estimator's own chains did during one step (see
/// [`super::ThetaEstimator::take_step_chains`]).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StepChains {
    /// DISIR's β used for the whole step (0 for C-ISIR).
    pub beta: f64,
    /// The meeting times of the step's pairs (capped pairs at the cap, and counted apart).
    pub meetings: MeetingCounts,
    /// The meeting times of the pairs that met (capped pairs left out).
    pub met: MeetingCounts,
    /// Particles evaluated by the chains (initial draws included).
    pub evaluations: u64,
}

/// One SGD step.
#[derive(Clone, Debug, PartialEq)]
pub struct StepRecord {
    /// 1-based epoch.
    pub epoch: usize,
    /// 1-based step within the epoch.
    pub step: usize,
    /// β of the step (NaN for estimators without chains).
    pub beta: f64,
    /// Coupled pairs run (0 without chains).
    pub chains: u64,
    /// Pairs stopped by the cap.
    pub capped: u64,
    /// Mean meeting time of the step's pairs that met (capped pairs left out, counted in `capped`; NaN
    /// when none met). Column `mean_tau_met`, the same definition as `metrics.csv`'s.
    pub mean_tau: f64,
    /// 99% quantile of the meeting times of the pairs that met (NaN when none met). Column `q99_tau_met`.
    pub q99_tau: f64,
    /// Particles evaluated by the step: the shared `B·K` particles plus the chains' own.
    pub evaluations: u64,
    /// Seconds spent in the θ-estimator's own work (the chains and their backward passes; 0 for ELBO and
    /// IWAE, whose θ-gradient comes with the shared backward pass).
    pub theta_seconds: f64,
    /// Seconds of the whole step.
    pub seconds: f64,
}

impl StepRecord {
    /// Header of `steps.csv`.
    pub const CSV_HEADER: &'static str = "epoch,step,beta,chains,capped,mean_tau_met,q99_tau_met,evaluations,theta_seconds,step_seconds";

    /// The record of a step without chains.
    pub fn plain(epoch: usize, step: usize, evaluations: u64, seconds: f64) -> Self {
        StepRecord {
            epoch,
            step,
            beta: f64::NAN,
            chains: 0,
            capped: 0,
            mean_tau: f64::NAN,
            q99_tau: f64::NAN,
            evaluations,
            theta_seconds: 0.0,
            seconds,
        }
    }

    /// The record of a step whose estimator ran `chains` (the shared particles' `shared` evaluations are
    /// added to the chains' own).
    pub fn with_chains(
        epoch: usize,
        step: usize,
        shared: u64,
        chains: &StepChains,
        theta_seconds: f64,
        seconds: f64,
    ) -> Self {
        let (mean_tau, q99_tau) = match chains.met.summary() {
            Ok(s) => (s.mean, s.q99),
            Err(_) => (f64::NAN, f64::NAN),
        };
        StepRecord {
            epoch,
            step,
            beta: chains.beta,
            chains: chains.meetings.runs(),
            capped: chains.meetings.capped,
            mean_tau,
            q99_tau,
            evaluations: shared + chains.evaluations,
            theta_seconds,
            seconds,
        }
    }

    /// One CSV line (no newline); NaN fields are left empty.
    pub fn csv_line(&self) -> String {
        let opt = |v: f64| {
            if v.is_nan() {
                String::new()
            } else {
                v.to_string()
            }
        };
        format!(
            "{},{},{},{},{},{},{},{},{:.6},{:.6}",
            self.epoch,
            self.step,
            opt(self.beta),
            self.chains,
            self.capped,
            opt(self.mean_tau),
            opt(self.q99_tau),
            self.evaluations,
            self.theta_seconds,
            self.seconds
        )
    }

    /// The fields as numbers (for checkpoints), in [`StepRecord::from_values`]'s order.
    pub fn values(&self) -> [f64; 10] {
        [
            self.epoch as f64,
            self.step as f64,
            self.beta,
            self.chains as f64,
            self.capped as f64,
            self.mean_tau,
            self.q99_tau,
            self.evaluations as f64,
            self.theta_seconds,
            self.seconds,
        ]
    }

    /// The inverse of [`StepRecord::values`].
    pub fn from_values(v: [f64; 10]) -> Self {
        StepRecord {
            epoch: v[0] as usize,
            step: v[1] as usize,
            beta: v[2],
            chains: v[3] as u64,
            capped: v[4] as u64,
            mean_tau: v[5],
            q99_tau: v[6],
            evaluations: v[7] as u64,
            theta_seconds: v[8],
            seconds: v[9],
        }
    }
}

/// A CSV text: `header`, then one line per item.
pub(crate) fn csv_text(header: &str, lines: impl IntoIterator<Item = String>) -> String {
    let mut s = String::from(header);
    s.push('\n');
    for line in lines {
        s.push_str(&line);
        s.push('\n');
    }
    s
}

/// The text of `steps.csv` for `records`.
pub fn steps_csv(records: &[StepRecord]) -> String {
    csv_text(
        StepRecord::CSV_HEADER,
        records.iter().map(StepRecord::csv_line),
    )
}

/// Header of `meetings.csv`: one line per (epoch, meeting time) with its count; capped pairs count at the
/// iteration where they stopped (their number per epoch is the sum of `steps.csv`'s `capped`).
pub const MEETINGS_CSV_HEADER: &str = "epoch,tau,count";

/// The text of `meetings.csv` for the per-epoch counts (`per_epoch[e]` is epoch `e + 1`).
pub fn meetings_csv(per_epoch: &[MeetingCounts]) -> String {
    let mut s = String::from(MEETINGS_CSV_HEADER);
    s.push('\n');
    for (e, counts) in per_epoch.iter().enumerate() {
        for (tau, count) in &counts.counts {
            s.push_str(&format!("{},{tau},{count}\n", e + 1));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use ucg_estimators::LaggedRun;

    #[test]
    fn records_round_trip_and_print() {
        let (mut meetings, mut met) = (MeetingCounts::default(), MeetingCounts::default());
        for (tau, capped) in [(12, false), (30, false), (1000, true)] {
            let run = LaggedRun {
                meeting_time: (!capped).then_some(tau),
                iterations: tau,
                cost: 0,
                capped,
            };
            meetings.push(&run);
            if !capped {
                met.push(&run);
            }
        }
        let chains = StepChains {
            beta: 0.9,
            meetings: meetings.clone(),
            met,
            evaluations: 500,
        };
        let r = StepRecord::with_chains(2, 7, 100, &chains, 0.5, 0.75);
        assert_eq!((r.chains, r.capped, r.evaluations), (3, 1, 600));
        // The mean over the pairs that met, as metrics.csv's: the capped pair is counted apart.
        assert_eq!(r.mean_tau, 21.0);
        assert!(StepRecord::CSV_HEADER.contains(",capped,mean_tau_met,q99_tau_met,"));
        assert!(crate::vae::EpochRecord::CSV_HEADER.contains(",capped_chains,mean_tau_met,"));
        let back = StepRecord::from_values(r.values());
        assert_eq!(back.csv_line(), r.csv_line());
        let plain = StepRecord::plain(1, 1, 1000, 0.03);
        assert_eq!(plain.csv_line(), "1,1,,0,0,,,1000,0.000000,0.030000");
        assert_eq!(
            meetings_csv(&[meetings]),
            "epoch,tau,count\n1,12,1\n1,30,1\n1,1000,1\n"
        );
    }
}
