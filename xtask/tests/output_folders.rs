//! Output folders as a user meets them, through the `cargo xtask` binary: a folder that is not a run of
//! this tool is refused and left exactly as it was, a second writer is refused with the first one named,
//! a killed run leaves no stale lock, and regenerating a run's outputs replaces only its own files.

use std::path::Path;
use std::process::{Command, Output};

fn xtask(args: &[&str], out: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

const PPCA_QUICK: &[&str] = &["reproduce", "ppca", "--preset", "quick"];
const VAE_QUICK: &[&str] = &["reproduce", "vae", "--preset", "quick"];
const TRAIN: &[&str] = &[
    "train",
    "vae",
    "--estimator",
    "iwae",
    "--latent",
    "2",
    "--epochs",
    "1",
];

/// A folder of a user's own files: every file's bytes, by path.
fn users_folder(root: &Path) -> Vec<(String, Vec<u8>)> {
    let files = [
        ("figures/my-plot.png", b"a plot".as_slice()),
        ("report.md", b"my notes"),
        ("summary.json", b"{\"mine\": 1}"),
        ("model.bin", b"weights I care about"),
    ];
    for (name, bytes) in files {
        let path = root.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
    snapshot(root)
}

fn snapshot(root: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            if e.file_type().unwrap().is_dir() {
                stack.push(e.path());
            } else {
                let name = e.path().strip_prefix(root).unwrap().display().to_string();
                out.push((name, std::fs::read(e.path()).unwrap()));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn a_folder_that_is_not_a_run_is_refused_and_left_as_it_was() {
    for command in [PPCA_QUICK, VAE_QUICK, TRAIN] {
        let dir = tempfile::tempdir().unwrap();
        let before = users_folder(dir.path());
        let o = xtask(command, dir.path());
        let err = stderr(&o);
        assert!(!o.status.success(), "{command:?} accepted a user's folder");
        assert!(
            err.contains("is not a results folder of this tool") && err.lines().count() == 1,
            "{command:?}: {err}"
        );
        assert_eq!(
            snapshot(dir.path()),
            before,
            "{command:?} touched the folder"
        );
    }
}

#[test]
fn a_second_writer_is_refused_with_the_first_named_until_it_ends() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("vae");
    std::fs::create_dir(&out).unwrap();
    let first =
        ucg_files::FolderLock::acquire(&out, "cargo xtask reproduce vae (the first run)").unwrap();
    let o = xtask(VAE_QUICK, &out);
    let err = stderr(&o);
    assert!(!o.status.success());
    assert!(
        err.contains("in use by another run") && err.contains("(the first run)"),
        "{err}"
    );
    drop(first);
    let o = xtask(VAE_QUICK, &out);
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn a_killed_run_leaves_no_stale_lock_nor_temporary_files() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("ppca");
    let mut child = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(PPCA_QUICK)
        .arg("--out")
        .arg(&out)
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Killed once it holds the folder (its lock file names it) and has started the replicates.
    let holds = || {
        std::fs::read_to_string(out.join(".ucg-lock")).is_ok_and(|t| t.contains("process"))
            && out.join("replicates.csv").exists()
    };
    let start = std::time::Instant::now();
    while !holds() && start.elapsed().as_secs() < 120 {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(holds(), "the run never claimed its folder");
    child.kill().unwrap();
    child.wait().unwrap();
    // What a kill during an atomic write leaves behind.
    std::fs::write(out.join(".ucg-tmpAbCdEf"), b"torn").unwrap();
    let o = xtask(PPCA_QUICK, &out);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(out.join("report.md").is_file());
    let left: Vec<String> = snapshot(&out)
        .into_iter()
        .map(|(name, _)| name)
        .filter(|n| n.contains(".ucg-tmp"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn regenerating_a_runs_outputs_replaces_only_its_own_files() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("vae");
    assert!(xtask(VAE_QUICK, &out).status.success());
    std::fs::write(out.join("figures/my-plot.png"), b"a plot").unwrap();
    std::fs::write(out.join("notes.md"), b"my notes").unwrap();
    std::fs::write(out.join("report.md"), b"stale").unwrap();
    let o = xtask(VAE_QUICK, &out);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        std::fs::read(out.join("figures/my-plot.png")).unwrap(),
        b"a plot"
    );
    assert_eq!(std::fs::read(out.join("notes.md")).unwrap(), b"my notes");
    assert_ne!(std::fs::read(out.join("report.md")).unwrap(), b"stale");
    // A merge never writes into one of its shards.
    let o = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .arg("merge")
        .arg(&out)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("is one of the shards"),
        "{}",
        stderr(&o)
    );
}

/// A folder written before runs recorded their files is adopted by the names the tool gives its own files:
/// a user's plot in `figures/` and a note among the runs stay.
#[test]
fn an_earlier_versions_folder_keeps_the_users_files() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("vae");
    assert!(xtask(VAE_QUICK, &out).status.success());
    // As an earlier version left it: no record of written files, no lock file.
    std::fs::remove_file(out.join(".ucg-files")).unwrap();
    std::fs::remove_file(out.join(".ucg-lock")).unwrap();
    std::fs::write(out.join("figures/mine.png"), b"a plot").unwrap();
    std::fs::write(out.join("runs/mynote.txt"), b"a note").unwrap();
    let o = xtask(VAE_QUICK, &out);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        std::fs::read(out.join("figures/mine.png")).unwrap(),
        b"a plot"
    );
    assert_eq!(
        std::fs::read(out.join("runs/mynote.txt")).unwrap(),
        b"a note"
    );
    let record = std::fs::read_to_string(out.join(".ucg-files")).unwrap();
    assert!(record.contains("figures/curves-epoch-0.png") && !record.contains("mine.png"));
}
