//! Lines on standard output that survive a reader going away.
//!
//! `println!` panics when standard output is a pipe whose reader has exited (`cargo xtask … | head -3`):
//! Rust ignores `SIGPIPE`, so the write fails with `BrokenPipe`. A command's results are complete on disk
//! before it prints its summary lines, so a reader that stopped listening is not an error: [`say`] ends the
//! process quietly instead.

use std::io::{ErrorKind, Write};

/// Prints `line` and a newline on standard output; exits with status 0 if the reader has gone away, and
/// with status 1 and one message on any other write failure.
pub fn say(line: impl std::fmt::Display) {
    if let Err(e) = writeln!(std::io::stdout().lock(), "{line}") {
        if e.kind() == ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("error: cannot write to standard output: {e}");
        std::process::exit(1);
    }
}
