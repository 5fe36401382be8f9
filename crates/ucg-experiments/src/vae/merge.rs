//! Merging the folders of a study's shards: the same settings everywhere, each run folder copied once,
//! and a run present in several shards (a pretrain each computed) must be bit-identical. The merged
//! folder is claimed like a study's own (see [`crate::folder`]); a shard is never the output.
//!
//! **Records without parameters.** A study too long for one sitting on a machine that does not keep its
//! results folder can be finished shard by shard: [`Parameters::DigestOnly`] merges a finished shard
//! into a folder of its records alone (training curves, step records, evaluations: a few MB of text, fit
//! for version control), with each model's MD5 in [`MODEL_DIGEST_FILE`] instead of its parameters, and a
//! later merge takes that folder as one of its inputs. Runs are compared by that digest, so a pretrain
//! recomputed by a later shard must still be the same model bit for bit.

use std::path::{Path, PathBuf};

use ucg_files::RunFolder;
use ucg_files::atomic::TEMPORARY_PREFIX;

use super::config::Config;
use super::study::{CONFIG_FILE, claim_folder, prepare_folder};
use crate::AnyResult;

pub use super::study::is_vae_folder;

/// The file that holds a run's model digest (MD5 of its `model.bin`, hexadecimal) when a merge kept its
/// records without its parameters.
pub const MODEL_DIGEST_FILE: &str = "model.md5";

/// What a merge does with each run's parameters (`model.bin`, and the `checkpoint.bin` training resumes
/// from).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Parameters {
    /// Copy them, with everything else: the merged folder can be evaluated again.
    Keep,
    /// Leave them out and write each model's digest ([`MODEL_DIGEST_FILE`]) beside its records.
    DigestOnly,
}

/// The files holding a run's parameters.
fn is_parameter_file(name: &str) -> bool {
    name == ucg_train::vae::run::MODEL_FILE || name == ucg_train::vae::run::CHECKPOINT_FILE
}

/// The identity of the model in run folder `dir`: the MD5 of its `model.bin`, or the digest a merge
/// without parameters recorded; `None` when the run has neither (not finished).
///
/// # Errors
/// A digest file or model that cannot be read.
fn model_digest(dir: &Path) -> AnyResult<Option<String>> {
    let model = dir.join(ucg_train::vae::run::MODEL_FILE);
    if model.is_file() {
        return Ok(Some(ucg_data::digest::md5_hex(&std::fs::read(model)?)));
    }
    let digest = dir.join(MODEL_DIGEST_FILE);
    if digest.is_file() {
        return Ok(Some(std::fs::read_to_string(digest)?.trim().to_owned()));
    }
    Ok(None)
}

/// The file in a merged folder that marks it as merged (the shard folders it came from): a merged
/// folder is merged again, never resumed as a study.
pub const MERGED_FILE: &str = "merged.json";

/// Copies the files under `from` that `to` does not hold yet into the claimed view `to` (recorded as the
/// merge's own), so that merging again restores a file deleted from the merged folder; temporary files a
/// killed writer left in a shard are skipped.
fn copy_missing(from: &Path, to: &RunFolder, parameters: Parameters) -> AnyResult<()> {
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let name = entry.file_name();
        let text = name.to_string_lossy();
        if entry.file_type()?.is_dir() {
            copy_missing(&entry.path(), &to.at(&name), parameters)?;
        } else if parameters == Parameters::DigestOnly && is_parameter_file(&text) {
            continue;
        } else if !text.starts_with(TEMPORARY_PREFIX) && !to.path(&name).exists() {
            std::fs::create_dir_all(to.dir())?;
            std::fs::copy(entry.path(), to.file(&name)?)?;
        }
    }
    Ok(())
}

/// Merges the shards' folders into `out`, which is claimed for the merge (`command` names this process
/// to a second one), with or without the runs' parameters; returns the claimed folder, for writing the
/// outputs. A shard may itself be a merged folder, also one without parameters.
///
/// # Errors
/// A folder that is not a VAE study, shards of different settings, `out` given as one of the shards, a
/// run that differs between shards (or that cannot be compared: unfinished in one of them), an `out`
/// that cannot be claimed, file failures.
pub fn merge_folders(
    shards: &[PathBuf],
    out: &Path,
    command: &str,
    parameters: Parameters,
) -> AnyResult<RunFolder> {
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
            let digest = model_digest(&entry.path())?;
            let run = entry.file_name().to_string_lossy().into_owned();
            if target.dir().is_dir() {
                match (model_digest(&target.dir())?, &digest) {
                    (Some(a), Some(b)) if &a != b => {
                        return Err(format!(
                            "run {run} differs between shards (its model): not the same study"
                        )
                        .into());
                    }
                    (Some(_), None) | (None, Some(_)) => {
                        return Err(format!(
                            "run {run} is finished in one shard and not in another: finish that \
                             shard first"
                        )
                        .into());
                    }
                    _ => {}
                }
            }
            copy_missing(&entry.path(), &target, parameters)?;
            if let (Parameters::DigestOnly, Some(d)) = (parameters, digest)
                && !target.path(MODEL_DIGEST_FILE).exists()
            {
                ucg_files::write_atomic(
                    &target.file(MODEL_DIGEST_FILE)?,
                    format!("{d}\n").as_bytes(),
                )?;
            }
        }
    }
    Ok(folder)
}
