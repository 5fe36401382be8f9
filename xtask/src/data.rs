//! `cargo xtask data <mnist|fashion-mnist|cifar10>`: find or fetch a data set, verify it, print where it is.

use std::path::Path;

use ucg_data::{cifar, data_dir, fashion, mnist};

/// Finds or fetches the data set `which` (`mnist`, `fashion-mnist` or `cifar10`) in the data folder
/// (`$UCG_DATA_DIR`, or `data/` at the workspace root), verifies it, and prints where its files are.
pub fn data_command(which: &str) -> ucg_experiments::AnyResult<()> {
    let dir = data_dir();
    let files: Vec<String> = match which {
        "mnist" => {
            let paths = mnist::ensure(&dir)?;
            crate::output::say("MNIST: 4 files verified against the canonical MD5 digests");
            paths.all().iter().map(|p| show(p)).collect()
        }
        "fashion-mnist" | "fashion" => {
            let paths = fashion::ensure(&dir)?;
            crate::output::say("Fashion-MNIST: 4 files verified against the canonical MD5 digests");
            paths.all().iter().map(|p| show(p)).collect()
        }
        "cifar10" | "cifar-10" => {
            let paths = cifar::ensure(&dir)?;
            for p in paths.train.iter().chain([&paths.test]) {
                cifar::read_batch_file(p)?;
            }
            crate::output::say("CIFAR-10: 6 batch files read");
            paths
                .train
                .iter()
                .chain([&paths.test])
                .map(|p| show(p))
                .collect()
        }
        other => {
            return Err(format!(
                "unknown data set {other:?}: expected mnist, fashion-mnist or cifar10"
            )
            .into());
        }
    };
    for f in files {
        crate::output::say(format!("  {f}"));
    }
    Ok(())
}

fn show(path: &Path) -> String {
    path.display().to_string()
}
