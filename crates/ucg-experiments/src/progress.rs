//! Progress bars and status lines for long loops (indicatif), silenced in tests.

use std::sync::{Arc, Mutex};

use indicatif::{ProgressBar, ProgressStyle};

/// Where progress goes: bars and notes on the terminal (stderr), nowhere, or (tests) notes into a list.
#[derive(Clone, Debug)]
pub struct Ui {
    mode: Mode,
}

#[derive(Clone, Debug)]
enum Mode {
    Terminal,
    Quiet,
    Recording(Arc<Mutex<Vec<String>>>),
}

impl Ui {
    /// Bars and notes on stderr (indicatif hides the bars when stderr is not a terminal).
    pub fn terminal() -> Self {
        Ui {
            mode: Mode::Terminal,
        }
    }
    /// No output at all (tests).
    pub fn quiet() -> Self {
        Ui { mode: Mode::Quiet }
    }
    /// No bars; the notes are kept for [`Ui::notes`] (tests that check what a run said).
    pub fn recording() -> Self {
        Ui {
            mode: Mode::Recording(Arc::default()),
        }
    }
    /// The notes recorded so far (always empty unless [`Ui::recording`]).
    pub fn notes(&self) -> Vec<String> {
        match &self.mode {
            Mode::Recording(notes) => notes.lock().map(|n| n.clone()).unwrap_or_default(),
            _ => Vec::new(),
        }
    }
    /// A bar over `len` steps labelled `message`.
    pub fn bar(&self, len: u64, message: impl Into<String>) -> ProgressBar {
        if !matches!(self.mode, Mode::Terminal) {
            return ProgressBar::hidden();
        }
        let style = ProgressStyle::with_template(
            "{msg:40} [{bar:30}] {pos:>6}/{len:<6} {elapsed_precise} (eta {eta})",
        )
        .map(|s| s.progress_chars("=> "))
        .unwrap_or_else(|_| ProgressStyle::default_bar());
        let bar = ProgressBar::new(len).with_style(style);
        bar.set_message(message.into());
        bar
    }
    /// A status line.
    pub fn note(&self, line: impl AsRef<str>) {
        match &self.mode {
            Mode::Terminal => eprintln!("{}", line.as_ref()),
            Mode::Quiet => {}
            Mode::Recording(notes) => {
                if let Ok(mut n) = notes.lock() {
                    n.push(line.as_ref().to_string());
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_recording_ui_keeps_notes() {
        let ui = Ui::recording();
        ui.note("fitted");
        assert_eq!(ui.clone().notes(), ["fitted"]);
        let quiet = Ui::quiet();
        quiet.note("x");
        assert!(quiet.notes().is_empty());
    }
}
