//! Progress of a VAE training run on the terminal: one bar per epoch, and a callback at each epoch's end.

use ucg_train::vae::{EpochRecord, RunEvent, StepRecord};

use crate::progress::Ui;

/// The share of a step's coupled chains stopped by the cap above which the run warns: their estimates are
/// truncated, so the gradient is no longer unbiased.
pub const CAPPED_WARNING_SHARE: f64 = 0.01;

/// The warning for a step with more than [`CAPPED_WARNING_SHARE`] of its chains capped, if it has.
pub fn capped_warning(label: &str, epoch: usize, record: &StepRecord) -> Option<String> {
    let share = record.capped as f64 / record.chains.max(1) as f64;
    (share > CAPPED_WARNING_SHARE).then(|| {
        format!(
            "warning: {label}epoch {epoch} step {}: {} of {} coupled chains ({:.0}%) hit the cap without \
             meeting; their gradient estimates are truncated (a smaller β or a larger cap helps); further \
             steps of this epoch are not reported",
            record.step,
            record.capped,
            record.chains,
            100.0 * share
        )
    })
}

/// A progress callback for `ucg_train::vae::run`: a bar per epoch labelled `{label}epoch e/n`, cleared at
/// the epoch's end, when `on_epoch` gets the epoch's record. The first step of an epoch with more than
/// [`CAPPED_WARNING_SHARE`] of its coupled chains capped gets one warning line ([`capped_warning`]).
pub fn epoch_bars<'a>(
    ui: &'a Ui,
    label: String,
    mut on_epoch: impl FnMut(&EpochRecord) + 'a,
) -> impl FnMut(RunEvent<'_>) + 'a {
    let mut bar = None;
    let (mut current, mut warned) = (0, false);
    move |event| match event {
        RunEvent::EpochStart {
            epoch,
            epochs,
            steps,
        } => {
            (current, warned) = (epoch, false);
            bar = Some(ui.bar(steps as u64, format!("{label}epoch {epoch}/{epochs}")));
        }
        RunEvent::Step { step, record } => {
            if let Some(b) = &bar {
                b.set_position(step as u64);
            }
            if !warned && let Some(w) = capped_warning(&label, current, record) {
                warned = true;
                match &bar {
                    Some(b) => b.suspend(|| ui.note(&w)),
                    None => ui.note(&w),
                }
            }
        }
        RunEvent::EpochEnd(r) => {
            if let Some(b) = bar.take() {
                b.finish_and_clear();
            }
            on_epoch(r);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(step: usize, chains: u64, capped: u64) -> StepRecord {
        let mut r = StepRecord::plain(1, step, 0, 0.0);
        (r.chains, r.capped) = (chains, capped);
        r
    }

    /// More than 1% of a step's chains capped: one warning line per epoch, through the notes.
    #[test]
    fn a_step_with_many_capped_chains_is_warned_about_once_per_epoch() {
        let ui = Ui::recording();
        let mut progress = epoch_bars(&ui, "run ".into(), |_| {});
        for epoch in 1..=2 {
            progress(RunEvent::EpochStart {
                epoch,
                epochs: 2,
                steps: 3,
            });
            for (s, capped) in [(1, 1), (2, 38), (3, 50)] {
                progress(RunEvent::Step {
                    step: s,
                    record: &step(s, 100, capped),
                });
            }
        }
        let notes = ui.notes();
        assert_eq!(notes.len(), 2, "{notes:?}");
        assert!(
            notes[0].starts_with(
                "warning: run epoch 1 step 2: 38 of 100 coupled chains (38%) hit the cap"
            ),
            "{notes:?}"
        );
        assert!(
            notes[1].starts_with("warning: run epoch 2 step 2"),
            "{notes:?}"
        );
        assert!(capped_warning("", 1, &step(1, 0, 0)).is_none());
    }
}
