//! Merging the folders of a study's shards: the same settings everywhere, each run folder copied once,
//! and a run present in several shards (a pretrain each computed) must be bit-identical. The merged
//! folder is claimed like a study's own (see [`crate::folder`]); a shard is never the output.

use std::path::{Path, PathBuf};

use ucg_files::RunFolder;
use ucg_files::atomic::TEMPORARY_PREFIX;

use super::config::Config;
use super::study::{CONFIG_FILE, claim_folder, prepare_folder};
use crate::AnyResult;

pub use super::study::is_vae_folder;

/// The file in a merged folder that marks it as merged (the shard folders it came from): a merged
/// folder is merged again, never resumed as a study.
pub const MERGED_FILE: &str = "merged.json";

/// Copies the files under `from` that `to` does not hold yet into the claimed view `to` (recorded as the
/// merge's own), so that merging again restores a file deleted from the merged folder; temporary files a
/// killed writer left in a shard are skipped.
fn copy_missing(from: &Path, to: &RunFolder) -> AnyResult<()> {
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let name = entry.file_name();
        if entry.file_type()?.is_dir() {
            copy_missing(&entry.path(), &to.at(&name))?;
        } else if !name.to_string_lossy().starts_with(TEMPORARY_PREFIX) && !to.path(&name).exists()
        {
            std::fs::create_dir_all(to.dir())?;
            std::fs::copy(entry.path(), to.file(&name)?)?;
        }
    }
    Ok(())
}

/// Merges the shards' folders into `out`, which is claimed for the merge (`command` names this process
/// to a second one); returns the claimed folder, for writing the outputs.
///
/// # Errors
/// A folder that is not a VAE study, shards of different settings, `out` given as one of the shards, a
/// run that differs between shards, an `out` that cannot be claimed, file failures.
pub fn merge_folders(shards: &[PathBuf], out: &Path, command: &str) -> AnyResult<RunFolder> {
    let first = shards.first().ok_or("no shard folders to merge")?;
    crate::folder::refuse_shard_as_output(shards, out)?;
    crate::folder::refuse_repeated_shards(shards)?;
    for s in shards {
        crate::folder::refuse_running(s)?;
    }
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
    let folder = claim_folder(out, command)?;
    if folder.path(CONFIG_FILE).is_file() && !folder.path(MERGED_FILE).is_file() {
        return Err(format!(
            "{} holds a study's own runs, not merged results; choose another --out",
            out.display()
        )
        .into());
    }
    prepare_folder(&config, &folder)?;
    let sources: Vec<String> = shards.iter().map(|s| s.display().to_string()).collect();
    ucg_report::write_json(folder.file(MERGED_FILE)?, &sources)?;
    // Only the plan's runs: a folder a user trained by hand under `runs/` is not part of the study.
    let plan: Vec<String> = super::plan::units(&config)
        .into_iter()
        .map(|u| u.name)
        .collect();
    for s in shards {
        let runs = s.join("runs");
        if !runs.is_dir() {
            continue;
        }
        for entry in std::fs::read_dir(&runs)? {
            let entry = entry?;
            if !plan.contains(&entry.file_name().to_string_lossy().into_owned()) {
                continue;
            }
            let target = folder.at("runs").at(entry.file_name());
            let model = |d: &Path| std::fs::read(d.join(ucg_train::vae::run::MODEL_FILE)).ok();
            if target.dir().is_dir() && model(&target.dir()) != model(&entry.path()) {
                return Err(format!(
                    "run {} differs between shards (its model.bin): not the same study",
                    entry.file_name().to_string_lossy()
                )
                .into());
            }
            copy_missing(&entry.path(), &target)?;
        }
    }
    Ok(folder)
}
