//! Merging the results folders of the shards of one run (disjoint replicate ranges) into one folder
//! (`cargo xtask merge <shard dirs…> --out DIR`, which then regenerates its summary, figures and report
//! with [`write_outputs`](super::outputs::write_outputs)). The merged statistics equal those of one
//! unsharded run up to floating-point rounding.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ucg_files::RunFolder;
use ucg_report::{read_json, write_csv, write_json};

use super::checkpoint::CellCheckpoint;
use super::layout::{
    Layout, RunRecord, claim_study_folder, fresh_value, load_checkpoints, load_rows, stored_value,
};
use super::replicate::ReplicateRow;
use crate::AnyResult;

/// Merges the results folders `shards` into `out` (run record, setup, checkpoints, replicate rows), which
/// is claimed for the merge (`command` names this process to a second one); returns the claimed folder,
/// for writing the outputs.
///
/// # Errors
/// Shards of different runs, overlapping replicates, `out` given as one of the shards or holding an
/// unmerged run or other files, or I/O errors.
pub fn merge_folders(shards: &[PathBuf], out: &Path, command: &str) -> AnyResult<RunFolder> {
    crate::folder::refuse_shard_as_output(shards, out)?;
    crate::folder::refuse_repeated_shards(shards)?;
    for s in shards {
        crate::folder::refuse_running(s)?;
    }
    let folder = claim_study_folder(out, command)?;
    let target = Layout::new(out);
    if target.run().exists() {
        let existing: RunRecord = read_json(target.run())?;
        if !existing.merged {
            return Err(format!(
                "{} holds a run, not merged results; choose another --out",
                out.display()
            )
            .into());
        }
    }
    let mut record: Option<RunRecord> = None;
    let mut setup: Option<(PathBuf, serde_json::Value)> = None;
    let mut checkpoints: BTreeMap<String, CellCheckpoint> = BTreeMap::new();
    let mut rows: Vec<ReplicateRow> = Vec::new();
    for dir in shards {
        let layout = Layout::new(dir);
        if !layout.run().exists() || !layout.setup().exists() {
            return Err(format!(
                "{} is not a results folder of a started run (run.json or setup.json missing)",
                dir.display()
            )
            .into());
        }
        let run: RunRecord = read_json(layout.run())?;
        let this_setup = stored_value(&layout.setup())?;
        match (&mut record, &setup) {
            (None, _) => {
                setup = Some((dir.clone(), this_setup));
                record = Some(run);
            }
            (Some(rec), Some((first_dir, first_setup))) => {
                if stored_value(&layout.run())?.get("config") != Some(&fresh_value(&rec.config)?) {
                    return Err(format!(
                        "{} and {} hold runs with different settings ({})",
                        first_dir.display(),
                        dir.display(),
                        crate::differences::setting_differences(&rec.config, &run.config)
                            .join("; ")
                    )
                    .into());
                }
                if &this_setup != first_setup {
                    return Err(format!(
                        "{} and {} differ in their fits or β warm-ups (different library versions?)",
                        first_dir.display(),
                        dir.display()
                    )
                    .into());
                }
                for s in &run.shards {
                    if rec.shards.contains(s) {
                        return Err(format!("shard {s} appears twice ({})", dir.display()).into());
                    }
                }
                rec.shards.extend(run.shards.iter().copied());
            }
            (Some(_), None) => unreachable!("the setup is read with the first record"),
        }
        let done = load_checkpoints(&layout)?;
        // Rows written after a shard's last checkpoint are not in its statistics: leave them out.
        // A torn last row (an interrupted shard) is after the last checkpoint too.
        rows.extend(
            load_rows(&layout)?
                .rows
                .into_iter()
                .filter(|r| done.get(&r.cell).is_some_and(|c| c.contains(r.replicate))),
        );
        for (id, c) in done {
            match checkpoints.get_mut(&id) {
                Some(m) => m.merge(&c)?,
                None => {
                    checkpoints.insert(id, c);
                }
            }
        }
    }
    let (Some(mut record), Some((first_dir, _))) = (record, setup) else {
        return Err("no shard folders given".into());
    };
    record.shards.sort();
    record.merged = true;
    let order: BTreeMap<String, usize> = record
        .config
        .cells()
        .iter()
        .enumerate()
        .map(|(i, c)| (c.id(), i))
        .collect();
    rows.sort_by_key(|r| (order.get(&r.cell).copied(), r.replicate));
    // An earlier merge's checkpoints are replaced as a whole (only those the merge wrote).
    for file in folder.written() {
        if file.starts_with("checkpoints") {
            folder.remove(&file)?;
        }
    }
    write_json(folder.file_path(&target.run())?, &record)?;
    std::fs::copy(
        Layout::new(&first_dir).setup(),
        folder.file_path(&target.setup())?,
    )?;
    for (id, c) in &checkpoints {
        write_json(folder.file_path(&target.checkpoint(id))?, c)?;
    }
    write_csv(folder.file_path(&target.replicates())?, &rows)?;
    Ok(folder)
}
