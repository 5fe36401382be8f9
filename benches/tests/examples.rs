//! The examples as a user runs them: bad input ends with one `error: …` line and status 1, never a
//! panic or a `Debug` dump. (`cargo test -p ucg-benches` builds the examples next to the tests; a
//! `--test examples` filter alone does not rebuild them.)

use std::path::PathBuf;
use std::process::Command;

/// The built example `name` (`target/<profile>/examples/<name>`).
fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let profile = exe.parent().and_then(|deps| deps.parent()).unwrap();
    profile
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX))
}

fn fails_in_one_line(name: &str, args: &[&str], expected: &str) {
    let out = Command::new(example(name)).args(args).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{name} {args:?}: {stderr}");
    assert_eq!(
        stderr.trim().lines().count(),
        1,
        "{name} {args:?}: {stderr}"
    );
    assert!(
        stderr.starts_with("error: ") && stderr.contains(expected),
        "{name} {args:?}: {stderr}"
    );
}

#[test]
fn examples_refuse_bad_input_in_one_line() {
    fails_in_one_line(
        "vae_peer_step",
        &["p.npz", "0.9", "0"],
        "REPS must be at least 1",
    );
    fails_in_one_line("vae_peer_step", &["p.npz", "x"], "BETA must be a number");
    fails_in_one_line("vae_peer_step", &[], "usage: vae_peer_step");
    fails_in_one_line(
        "vae_paired_meeting_times",
        &[],
        "usage: vae_paired_meeting_times",
    );
}
