//! Progress bars and status lines for long loops (indicatif), silenced in tests.

use indicatif::{ProgressBar, ProgressStyle};

/// Where progress goes: bars and notes on the terminal (stderr), or nowhere.
#[derive(Clone, Copy, Debug)]
pub struct Ui {
    quiet: bool,
}

impl Ui {
    /// Bars and notes on stderr (indicatif hides the bars when stderr is not a terminal).
    pub fn terminal() -> Self {
        Ui { quiet: false }
    }
    /// No output at all (tests).
    pub fn quiet() -> Self {
        Ui { quiet: true }
    }
    /// A bar over `len` steps labelled `message`.
    pub fn bar(&self, len: u64, message: impl Into<String>) -> ProgressBar {
        if self.quiet {
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
        if !self.quiet {
            eprintln!("{}", line.as_ref());
        }
    }
}
