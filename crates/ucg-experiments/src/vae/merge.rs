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
    /// Copy them, with everything else (runs that come from an input without parameters have only
    /// their digest).
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
    let digest_file = dir.join(MODEL_DIGEST_FILE);
    let recorded = if digest_file.is_file() {
        let text = std::fs::read_to_string(&digest_file)
            .map_err(|e| format!("{}: {e}", digest_file.display()))?;
        let d = text.trim().to_owned();
        if d.len() != 32 || !d.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(format!("{} is not an MD5 digest", digest_file.display()).into());
        }
        Some(d)
    } else {
        None
    };
    if !model.is_file() {
        return Ok(recorded);
    }
    let bytes = std::fs::read(&model).map_err(|e| format!("{}: {e}", model.display()))?;
    let actual = ucg_data::digest::md5_hex(&bytes);
    if recorded.as_ref().is_some_and(|r| r != &actual) {
        return Err(format!(
            "{} does not hold the digest of the model beside it",
            digest_file.display()
        )
        .into());
    }
    Ok(Some(actual))
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

/// A merge's result: the claimed folder (for writing the outputs) and the runs left out.
#[derive(Debug)]
pub struct Merged {
    /// The merged folder, claimed by this process.
    pub folder: RunFolder,
    /// Runs that no input holds finished, left out of a merge without parameters (a later merge with
    /// the shard that finishes them brings them in).
    pub left_out: Vec<String>,
}

/// Merges the shards' folders into `out`, which is claimed for the merge (`command` names this process
/// to a second one), with or without the runs' parameters. A shard may itself be a merged folder, also
/// one without parameters. Each run comes from one input: one where it is finished, when there is one.
///
/// # Errors
/// A folder that is not a VAE study, shards of different settings, `out` given as one of the shards, a
/// run whose model differs between inputs, an `out` that holds an unfinished copy of a run finished in
/// an input (or parameters, for a merge without them), an `out` that cannot be claimed, file failures.
pub fn merge_folders(
    shards: &[PathBuf],
    out: &Path,
    command: &str,
    parameters: Parameters,
) -> AnyResult<Merged> {
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
    if parameters == Parameters::DigestOnly {
        let kept = crate::folder::files_under(&folder.dir().join("runs"), |p| {
            p.file_name()
                .is_some_and(|n| is_parameter_file(&n.to_string_lossy()))
        });
        if let Some(file) = kept.first() {
            return Err(format!(
                "{} holds parameters from an earlier merge ({}): merge records only into a new --out",
                out.display(),
                Path::new("runs").join(file).display()
            )
            .into());
        }
    }
    let mut left_out = Vec::new();
    // Only the plan's runs: a folder a user trained by hand under `runs/` is not part of the study.
    for unit in super::plan::units(&config) {
        let mut copies = Vec::new();
        for dir in shards.iter().map(|s| s.join("runs").join(&unit.name)) {
            if dir.is_dir() {
                copies.push((model_digest(&dir)?, dir));
            }
        }
        let Some((digest, sources)) = choose_copies(&unit.name, copies)? else {
            continue;
        };
        let source = &sources[0];
        if parameters == Parameters::DigestOnly && digest.is_none() {
            left_out.push(unit.name);
            continue;
        }
        let target = folder.at("runs").at(&unit.name);
        if target.dir().is_dir() {
            match (model_digest(&target.dir())?, &digest) {
                (Some(a), Some(b)) if &a != b => {
                    return Err(format!(
                        "run {} in {} differs from the one in {} (its model): not the same study",
                        unit.name,
                        out.display(),
                        source.display()
                    )
                    .into());
                }
                (None, Some(_)) => {
                    return Err(format!(
                        "{} holds an unfinished copy of run {}, finished in {}: merge into a new --out",
                        out.display(),
                        unit.name,
                        source.display()
                    )
                    .into());
                }
                _ => {}
            }
        }
        for source in &sources {
            copy_missing(source, &target, parameters)?;
        }
        if let (Parameters::DigestOnly, Some(d)) = (parameters, digest)
            && !target.path(MODEL_DIGEST_FILE).exists()
        {
            ucg_files::write_atomic(
                &target.file(MODEL_DIGEST_FILE)?,
                format!("{d}\n").as_bytes(),
            )?;
        }
    }
    Ok(Merged { folder, left_out })
}

/// The copies of run `name` to merge among the inputs' `copies` (its model's digest, its folder), with
/// their common digest: every finished one (the same model; their files are put together, so that a
/// pretrain evaluated in one shard only keeps its evaluations), or the first when none is finished (an
/// unfinished copy is a prefix of a finished one: training is deterministic); `None` when no input
/// holds the run.
///
/// # Errors
/// Two finished copies whose models differ.
fn choose_copies(
    name: &str,
    copies: Vec<(Option<String>, PathBuf)>,
) -> AnyResult<Option<(Option<String>, Vec<PathBuf>)>> {
    let (finished, unfinished): (Vec<_>, Vec<_>) =
        copies.into_iter().partition(|(d, _)| d.is_some());
    let Some((digest, first_dir)) = finished.first() else {
        return Ok(unfinished.into_iter().next().map(|(d, dir)| (d, vec![dir])));
    };
    if let Some((_, other_dir)) = finished.iter().find(|(d, _)| d != digest) {
        return Err(format!(
            "run {name} differs between {} and {} (its model): not the same study",
            first_dir.display(),
            other_dir.display()
        )
        .into());
    }
    let digest = digest.clone();
    Ok(Some((
        digest,
        finished.into_iter().map(|(_, dir)| dir).collect(),
    )))
}
