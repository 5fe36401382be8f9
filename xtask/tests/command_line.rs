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

/// `eval vae` on what a user may hand it: the quick preset's 24-pixel model, a training checkpoint, a
/// file whose version field was damaged. Each gets one line that says what is wrong and names the file.
#[test]
fn eval_names_the_file_and_what_is_wrong_with_it() {
    let dir = tempfile::tempdir().unwrap();
    let study = dir.path().join("vae");
    let out = xtask()
        .args(["reproduce", "vae", "--preset", "quick", "--out"])
        .arg(&study)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let run = study.join("runs/synthetic-d2-s2021-iwae");
    let damaged = dir.path().join("damaged.bin");
    let mut bytes = std::fs::read(run.join("model.bin")).unwrap();
    bytes[8..12].copy_from_slice(&1_048_578u32.to_le_bytes());
    std::fs::write(&damaged, bytes).unwrap();
    for (file, expected) in [
        (
            run.join("model.bin"),
            "this model was trained on 24-pixel images, not MNIST's 784",
        ),
        (
            run.join("checkpoint.bin"),
            "checkpoint.bin: a training checkpoint, not a parameter file",
        ),
        (
            damaged.clone(),
            "damaged.bin: checksum mismatch (the file is truncated or corrupted)",
        ),
    ] {
        let out = xtask()
            .args([
                "eval",
                "vae",
                "--method",
                "iwae",
                "--points",
                "2",
                "--checkpoint",
            ])
            .arg(&file)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(stderr.contains(expected), "{stderr}");
        assert!(!stderr.contains("version"), "{stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    }
}

/// Negative numbers in `train vae` and `eval vae` flags reach the option's own message, not clap's
/// "unexpected argument '-1'".
#[test]
fn negative_numbers_in_train_and_eval_flags_get_the_range_message() {
    let train = ["train", "vae", "--estimator", "iwae", "--out", "o"];
    for (flag, expected) in [
        (
            "--latent",
            "expected a whole number ≥ 0, got the negative -1",
        ),
        (
            "--epochs",
            "expected a whole number ≥ 0, got the negative -1",
        ),
        (
            "--subset",
            "expected a whole number ≥ 0, got the negative -1",
        ),
        ("--k", "expected a whole number ≥ 0, got the negative -1"),
        (
            "--batch",
            "expected a whole number ≥ 0, got the negative -1",
        ),
        (
            "--test-points",
            "expected a whole number ≥ 0, got the negative -1",
        ),
        ("--cap", "expected a whole number ≥ 0, got the negative -1"),
        ("--seed", "expected a whole number ≥ 0, got the negative -1"),
        ("--lr", "expected a positive learning rate, got -1"),
        ("--beta", "a number in [0, 1), got -1"),
    ] {
        let mut args: Vec<&str> = train.to_vec();
        if flag != "--latent" {
            args.extend(["--latent", "2"]);
        }
        if flag != "--epochs" {
            args.extend(["--epochs", "1"]);
        }
        args.extend([flag, "-1"]);
        let out = xtask().args(&args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success());
        assert!(stderr.contains(expected), "{flag}: {stderr}");
    }
    for flag in ["--seed", "--binarize-seed"] {
        let out = xtask()
            .args([
                "eval",
                "vae",
                "--checkpoint",
                "m.bin",
                "--method",
                "iwae",
                flag,
                "-1",
            ])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("expected a whole number ≥ 0, got the negative -1"),
            "{flag}: {stderr}"
        );
    }
}

/// Settings that would be ignored, produce nonsense or not fit in memory are refused in one line before
/// any work: no output folder appears.
#[test]
fn nonsense_settings_are_refused_before_any_work() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let cases: [(&[&str], &str); 11] = [
        (
            &[
                "train",
                "vae",
                "--estimator",
                "coupled-isir-disir",
                "--latent",
                "2",
                "--epochs",
                "1",
                "--cap",
                "2",
            ],
            "invalid setting `cap`: 2 is below 11",
        ),
        (
            &["reproduce", "ppca", "--sweep", "beta", "--beta", "0.3"],
            "the β sweep runs its own grid of β",
        ),
        (
            &[
                "train",
                "vae",
                "--estimator",
                "iwae",
                "--latent",
                "2",
                "--epochs",
                "1",
                "--cap",
                "5",
            ],
            "--cap applies to the coupled estimators only, not iwae",
        ),
        (
            &[
                "reproduce",
                "ppca",
                "--sweep",
                "beta",
                "--sweep-replicates",
                "5",
            ],
            "a sweep does not use it",
        ),
        (
            &["reproduce", "ppca", "--sweep", "tails", "--shard", "1/2"],
            "--shard splits the study; a sweep runs whole",
        ),
        (
            &[
                "reproduce",
                "vae",
                "--preset",
                "quick",
                "--hidden",
                "100000000",
            ],
            "invalid setting `hidden`: needs about",
        ),
        (
            &[
                "reproduce",
                "vae",
                "--preset",
                "quick",
                "--train-points",
                "500",
            ],
            "evaluation on 500 training images; synthetic has 200",
        ),
        (
            &[
                "reproduce",
                "vae",
                "--preset",
                "quick",
                "--train-subset",
                "201",
            ],
            "a training subset of 201 images; synthetic has 200",
        ),
        (
            &["reproduce", "ppca", "--preset", "quick", "--longest", "500"],
            "--longest sets the window sweep's largest m; it needs --sweep window",
        ),
        (
            &[
                "train",
                "vae",
                "--estimator",
                "iwae",
                "--latent",
                "2",
                "--epochs",
                "0",
            ],
            "'--epochs <N>': expected at least 1, got 0",
        ),
        (
            &[
                "train",
                "vae",
                "--estimator",
                "iwae",
                "--latent",
                "2",
                "--epochs",
                "1",
                "--test-points",
                "0",
            ],
            "expected at least 1, got 0",
        ),
    ];
    for (args, expected) in cases {
        let result = xtask().args(args).arg("--out").arg(&out).output().unwrap();
        let stderr = String::from_utf8_lossy(&result.stderr);
        assert!(!result.status.success(), "{args:?}");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
        assert!(!out.exists(), "{args:?} left {}", out.display());
    }
    // A model too large for memory: one line, before MNIST is even loaded.
    let result = xtask()
        .args([
            "train",
            "vae",
            "--estimator",
            "iwae",
            "--latent",
            "16777216",
            "--epochs",
            "1",
        ])
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert_eq!(result.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.starts_with("error: invalid setting `latent`: needs about"),
        "{stderr}"
    );
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
}

/// `reproduce vae`'s overrides given a negative number get the option's own range message, not clap's
/// "unexpected argument '-1'".
#[test]
fn negative_numbers_in_reproduce_vae_overrides_get_the_range_message() {
    for flag in [
        "--latent",
        "--hidden",
        "--train-subset",
        "--learning-rate",
        "--continuation-lr",
        "--pretrain-epochs",
        "--epochs",
        "--steps-per-epoch",
        "--test-points",
        "--train-points",
    ] {
        let out = xtask()
            .args(["reproduce", "vae", "--preset", "quick", flag, "-1"])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{flag}");
        assert!(
            !stderr.contains("unexpected argument") && stderr.contains(flag),
            "{flag}: {stderr}"
        );
    }
}
