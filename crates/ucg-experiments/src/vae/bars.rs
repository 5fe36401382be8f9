//! Progress of a VAE training run on the terminal: one bar per epoch, and a callback at each epoch's end.

use ucg_train::vae::{EpochRecord, RunEvent};

use crate::progress::Ui;

/// A progress callback for `ucg_train::vae::run`: a bar per epoch labelled `{label}epoch e/n`, cleared at
/// the epoch's end, when `on_epoch` gets the epoch's record.
pub fn epoch_bars<'a>(
    ui: &'a Ui,
    label: String,
    mut on_epoch: impl FnMut(&EpochRecord) + 'a,
) -> impl FnMut(RunEvent<'_>) + 'a {
    let mut bar = None;
    move |event| match event {
        RunEvent::EpochStart {
            epoch,
            epochs,
            steps,
        } => bar = Some(ui.bar(steps as u64, format!("{label}epoch {epoch}/{epochs}"))),
        RunEvent::Step { step } => {
            if let Some(b) = &bar {
                b.set_position(step as u64);
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
