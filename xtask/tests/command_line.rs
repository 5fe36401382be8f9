//! The `cargo xtask` binary as a user meets it: a reader that stops listening is not an error, and a bad
//! value gets the option's own message.

use std::process::{Command, Stdio};

fn xtask() -> Command {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
}

/// `cargo xtask reproduce vae --preset quick | head -0`: the verdict lines meet a closed pipe; the run
/// still ends with status 0 and no panic message. Its stderr, not a terminal either, shows plain progress
/// lines.
#[test]
fn a_closed_standard_output_ends_the_command_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = xtask()
        .args(["reproduce", "vae", "--preset", "quick", "--out"])
        .arg(dir.path().join("vae"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{:?}: {stderr}", out.status);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(dir.path().join("vae/report.md").is_file());
    // Stderr is a pipe, not a terminal: the bars still report, as plain lines (one per finished bar).
    assert!(
        stderr
            .lines()
            .any(|l| l.contains("epoch 1/") && l.contains(": done ")),
        "{stderr}"
    );
}

#[test]
fn a_negative_beta_gets_the_range_message() {
    let out = xtask()
        .args(["reproduce", "vae", "--beta", "-0.1"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("a number in [0, 1), got -0.1"), "{stderr}");
}

/// `train vae --estimator iwae --beta 0.5`: refused in one line before any work (β is C-ISIR-DISIR's).
#[test]
fn a_beta_for_an_estimator_without_disir_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = xtask()
        .args(["train", "vae", "--estimator", "iwae", "--latent", "2"])
        .args(["--epochs", "1", "--beta", "0.5", "--out"])
        .arg(dir.path().join("run"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("--beta applies to --estimator coupled-isir-disir only, not iwae"),
        "{stderr}"
    );
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(!dir.path().join("run").exists());
}
