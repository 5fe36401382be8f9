//! Progress bars and status lines for long loops (indicatif), silenced in tests.
//!
//! When stderr is not a terminal (a run under `nohup`, or piped to a file) indicatif would hide its bars
//! and an hours-long run would show nothing: the bars then become plain lines instead, one when a bar
//! finishes and at most one a minute ([`PLAIN_INTERVAL`]) while it runs.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

/// The shortest time between two plain progress lines of a running bar.
pub const PLAIN_INTERVAL: Duration = Duration::from_secs(60);

/// Where progress goes: bars and notes on the terminal (stderr), plain lines on stderr when it is not a
/// terminal, nowhere, or (tests) notes into a list.
#[derive(Clone, Debug)]
pub struct Ui {
    mode: Mode,
}

#[derive(Clone, Debug)]
enum Mode {
    Terminal,
    /// Plain lines (stderr, or a list for tests), a running bar's at most once per interval.
    Plain(Lines, Duration),
    Quiet,
    Recording(Lines),
}

/// Where plain lines go.
#[derive(Clone, Debug)]
enum Lines {
    Stderr,
    List(Arc<Mutex<Vec<String>>>),
}

impl Lines {
    fn put(&self, line: &str) {
        match self {
            Lines::Stderr => eprintln!("{line}"),
            Lines::List(list) => {
                if let Ok(mut l) = list.lock() {
                    l.push(line.to_string());
                }
            }
        }
    }
}

impl Ui {
    /// Bars and notes on stderr; when stderr is not a terminal, plain lines instead of bars (see the
    /// module's documentation).
    pub fn terminal() -> Self {
        let mode = if std::io::stderr().is_terminal() {
            Mode::Terminal
        } else {
            Mode::Plain(Lines::Stderr, PLAIN_INTERVAL)
        };
        Ui { mode }
    }
    /// No output at all (tests).
    pub fn quiet() -> Self {
        Ui { mode: Mode::Quiet }
    }
    /// No bars; the notes are kept for [`Ui::notes`] (tests that check what a run said).
    pub fn recording() -> Self {
        Ui {
            mode: Mode::Recording(Lines::List(Arc::default())),
        }
    }
    /// What [`Ui::terminal`] prints without a terminal, with running bars' lines at most once per
    /// `interval`, kept for [`Ui::notes`] (tests of the plain output).
    pub fn plain_recording(interval: Duration) -> Self {
        Ui {
            mode: Mode::Plain(Lines::List(Arc::default()), interval),
        }
    }
    /// The notes (and plain bar lines) recorded so far (always empty unless [`Ui::recording`] or
    /// [`Ui::plain_recording`]).
    pub fn notes(&self) -> Vec<String> {
        match &self.mode {
            Mode::Recording(Lines::List(notes)) | Mode::Plain(Lines::List(notes), _) => {
                notes.lock().map(|n| n.clone()).unwrap_or_default()
            }
            _ => Vec::new(),
        }
    }
    /// A bar over `len` steps labelled `message`.
    pub fn bar(&self, len: u64, message: impl Into<String>) -> Bar {
        let message = message.into();
        match &self.mode {
            Mode::Terminal => {
                let style = ProgressStyle::with_template(
                    "{msg:40} [{bar:30}] {pos:>6}/{len:<6} {elapsed_precise} (eta {eta})",
                )
                .map(|s| s.progress_chars("=> "))
                .unwrap_or_else(|_| ProgressStyle::default_bar());
                let bar = ProgressBar::new(len).with_style(style);
                bar.set_message(message);
                Bar { bar, plain: None }
            }
            Mode::Plain(lines, interval) => Bar {
                bar: ProgressBar::hidden(),
                plain: Some(Arc::new(Plain {
                    lines: lines.clone(),
                    message,
                    len: AtomicU64::new(len),
                    position: AtomicU64::new(0),
                    started: Instant::now(),
                    last: Mutex::new(Instant::now()),
                    interval: *interval,
                })),
            },
            Mode::Quiet | Mode::Recording(_) => Bar {
                bar: ProgressBar::hidden(),
                plain: None,
            },
        }
    }
    /// A status line.
    pub fn note(&self, line: impl AsRef<str>) {
        match &self.mode {
            Mode::Terminal => eprintln!("{}", line.as_ref()),
            Mode::Quiet => {}
            Mode::Plain(lines, _) | Mode::Recording(lines) => lines.put(line.as_ref()),
        }
    }
}

/// A running bar's plain-line state.
#[derive(Debug)]
struct Plain {
    lines: Lines,
    message: String,
    len: AtomicU64,
    position: AtomicU64,
    started: Instant,
    last: Mutex<Instant>,
    interval: Duration,
}

impl Plain {
    fn line(&self, what: &str) {
        let e = self.started.elapsed().as_secs();
        self.lines.put(&format!(
            "{}: {what} {}/{} after {:02}:{:02}:{:02}",
            self.message,
            self.position.load(Ordering::Relaxed),
            self.len.load(Ordering::Relaxed),
            e / 3600,
            e / 60 % 60,
            e % 60
        ));
    }

    /// A progress line if the interval has passed since the last one.
    fn tick(&self) {
        let due =
            self.last.lock().ok().and_then(|mut last| {
                (last.elapsed() >= self.interval).then(|| *last = Instant::now())
            });
        if due.is_some() {
            self.line("at");
        }
    }
}

/// A progress bar ([`Ui::bar`]): an indicatif bar on a terminal, plain lines without one, nothing in
/// tests. Cheap to share between threads (`&Bar` is enough to advance it).
#[derive(Clone, Debug)]
pub struct Bar {
    bar: ProgressBar,
    plain: Option<Arc<Plain>>,
}

impl Bar {
    /// Advances by `delta` steps.
    pub fn inc(&self, delta: u64) {
        self.bar.inc(delta);
        if let Some(p) = &self.plain {
            p.position.fetch_add(delta, Ordering::Relaxed);
            p.tick();
        }
    }
    /// Sets the position.
    pub fn set_position(&self, position: u64) {
        self.bar.set_position(position);
        if let Some(p) = &self.plain {
            p.position.store(position, Ordering::Relaxed);
            p.tick();
        }
    }
    /// Sets the number of steps.
    pub fn set_length(&self, len: u64) {
        self.bar.set_length(len);
        if let Some(p) = &self.plain {
            p.len.store(len, Ordering::Relaxed);
        }
    }
    /// Ends the bar, leaving it on the terminal (a plain line without one).
    pub fn finish(&self) {
        self.bar.finish();
        if let Some(p) = &self.plain {
            p.line("done");
        }
    }
    /// Ends the bar and removes it from the terminal (a plain line without one).
    pub fn finish_and_clear(&self) {
        self.bar.finish_and_clear();
        if let Some(p) = &self.plain {
            p.line("done");
        }
    }
    /// Runs `f` with the bar hidden (for printing lines while it runs).
    pub fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        self.bar.suspend(f)
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

    /// Without a terminal: a line per finished bar, and a running bar's progress at most once per
    /// interval (none at all within one interval).
    #[test]
    fn without_a_terminal_bars_become_plain_lines() {
        let hour = Ui::plain_recording(Duration::from_secs(3600));
        let bar = hour.bar(10, "replicates");
        (0..10).for_each(|_| bar.inc(1));
        bar.finish();
        hour.note("a note");
        let notes = hour.notes();
        assert_eq!(notes.len(), 2, "{notes:?}");
        assert!(
            notes[0].starts_with("replicates: done 10/10 after 00:00:"),
            "{notes:?}"
        );
        assert_eq!(notes[1], "a note");

        let always = Ui::plain_recording(Duration::ZERO);
        let bar = always.bar(0, "epoch 1/2");
        bar.set_length(3);
        bar.set_position(1);
        bar.inc(2);
        bar.finish_and_clear();
        let notes = always.notes();
        assert_eq!(notes.len(), 3, "{notes:?}");
        assert!(notes[0].starts_with("epoch 1/2: at 1/3 after"), "{notes:?}");
        assert!(notes[1].starts_with("epoch 1/2: at 3/3 after"), "{notes:?}");
        assert!(
            notes[2].starts_with("epoch 1/2: done 3/3 after"),
            "{notes:?}"
        );
    }
}
