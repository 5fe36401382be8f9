//! Merging the folders of a study's shards: the same settings everywhere, each run folder copied once,
//! and a run present in several shards (a pretrain each computed) must be bit-identical.

use std::path::Path;

use super::config::Config;
use super::study::{CONFIG_FILE, prepare_folder};
use crate::AnyResult;

fn copy_dir(from: &Path, to: &Path) -> AnyResult<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

/// Whether `dir` holds a VAE study (its settings file).
pub fn is_vae_folder(dir: &Path) -> bool {
    ucg_report::read_json::<Config>(dir.join(CONFIG_FILE)).is_ok()
}

/// Merges the shards' folders into `out`.
///
/// # Errors
/// A folder that is not a VAE study, shards of different settings, a run that differs between shards,
/// file failures.
pub fn merge_folders(shards: &[std::path::PathBuf], out: &Path) -> AnyResult<()> {
    let first = shards.first().ok_or("no shard folders to merge")?;
    let read = |dir: &Path| -> AnyResult<Config> {
        ucg_report::read_json(dir.join(CONFIG_FILE))
            .map_err(|e| format!("{} is not a VAE results folder: {e}", dir.display()).into())
    };
    let config = read(first)?;
    for s in shards {
        if read(s)? != config {
            return Err(format!(
                "{} and {} are shards of different studies",
                first.display(),
                s.display()
            )
            .into());
        }
    }
    prepare_folder(&config, out)?;
    for s in shards {
        let runs = s.join("runs");
        if !runs.is_dir() {
            continue;
        }
        for entry in std::fs::read_dir(&runs)? {
            let entry = entry?;
            let target = out.join("runs").join(entry.file_name());
            let model = |d: &Path| std::fs::read(d.join(ucg_train::vae::run::MODEL_FILE)).ok();
            if target.is_dir() {
                if model(&target) != model(&entry.path()) {
                    return Err(format!(
                        "run {} differs between shards (its model.bin): not the same study",
                        entry.file_name().to_string_lossy()
                    )
                    .into());
                }
                continue;
            }
            copy_dir(&entry.path(), &target)?;
        }
    }
    Ok(())
}
