//! The studies' output folders: claimed through `ucg_files::RunFolder` (one writer at a time, only the
//! study's own files replaced or deleted), and figures written into them.

use std::path::{Path, PathBuf};

use ucg_files::RunFolder;

use crate::AnyResult;

/// Claims `out` for a study of `kind`, adopting a folder an earlier version of the tool wrote when
/// `earlier` recognises it (see [`RunFolder::claim_or_adopt`]); `command` names this process to a second
/// one.
///
/// # Errors
/// `out` is a file, a folder of other files or of another kind of run, or in use by another process.
pub fn claim(
    out: &Path,
    kind: &str,
    command: &str,
    earlier: impl FnOnce(&Path) -> Option<Vec<PathBuf>>,
) -> AnyResult<RunFolder> {
    Ok(RunFolder::claim_or_adopt(out, kind, command, earlier)?)
}

/// Refuses a merge whose output is one of its inputs (the merge would rewrite a shard while reading it).
///
/// # Errors
/// `out` names the same folder as one of `shards` (compared after resolving links and `..`).
pub fn refuse_shard_as_output(shards: &[PathBuf], out: &Path) -> AnyResult<()> {
    let same = |a: &Path| match (a.canonicalize(), out.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    match shards.iter().find(|s| same(s)) {
        Some(s) => Err(format!(
            "--out {} is one of the shards being merged; give a new folder for the merged results",
            s.display()
        )
        .into()),
        None => Ok(()),
    }
}

/// Refuses a shard folder given twice to one merge.
///
/// # Errors
/// Two of `shards` name the same folder.
pub fn refuse_repeated_shards(shards: &[PathBuf]) -> AnyResult<()> {
    let mut seen: Vec<PathBuf> = Vec::new();
    for s in shards {
        let real = s.canonicalize().unwrap_or_else(|_| s.clone());
        if seen.contains(&real) {
            return Err(format!("{} is given twice", s.display()).into());
        }
        seen.push(real);
    }
    Ok(())
}

/// Refuses to read a shard that a process of this tool is still writing (its lock is held): its
/// results would be merged half-done.
///
/// # Errors
/// The shard's lock is held; the message names the holder.
pub fn refuse_running(shard: &Path) -> AnyResult<()> {
    match ucg_files::FolderLock::holder(shard)? {
        Some(holder) => Err(format!(
            "{} is still being written ({holder}); merge it once that run has ended",
            shard.display()
        )
        .into()),
        None => Ok(()),
    }
}

/// The files under `root` (relative to it, recursively) whose path satisfies `keep`: what an earlier
/// version of the tool wrote, recognised by name.
pub fn files_under(root: &Path, keep: impl Fn(&Path) -> bool) -> Vec<PathBuf> {
    fn walk(root: &Path, at: &Path, keep: &dyn Fn(&Path) -> bool, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(root.join(at)) else {
            return;
        };
        for entry in entries.flatten() {
            let relative = at.join(entry.file_name());
            match entry.file_type() {
                Ok(t) if t.is_dir() => walk(root, &relative, keep, out),
                Ok(t) if t.is_file() && keep(&relative) => out.push(relative),
                _ => {}
            }
        }
    }
    let mut out = Vec::new();
    walk(root, Path::new(""), &keep, &mut out);
    out.sort();
    out
}

/// Whether `relative` is a figure as the studies write them: `figures/<name>.png` or `.svg`.
pub fn is_figure(relative: &Path) -> bool {
    relative.parent() == Some(Path::new("figures"))
        && relative
            .extension()
            .is_some_and(|e| e == "png" || e == "svg")
}

/// Whether `relative` is a figure an earlier version of the tool drew: `figures/<stem>.png` or `.svg`
/// whose stem starts with one of `stems` (the names the studies give their figures), so that a user's own
/// plot in `figures/` is never taken for the tool's when an earlier version's folder is adopted.
pub fn is_earlier_figure(relative: &Path, stems: &[&str]) -> bool {
    is_figure(relative)
        && relative
            .file_stem()
            .map(|s| s.to_string_lossy())
            .is_some_and(|s| stems.iter().any(|p| s.starts_with(p)))
}

/// The stem path of a figure (`figures/bias` → `<folder>/figures/bias`) with its PNG and SVG files
/// claimed for writing.
///
/// # Errors
/// A file of that name that the study did not write.
pub fn figure(folder: &RunFolder, stem: &str) -> AnyResult<PathBuf> {
    for ext in ["png", "svg"] {
        folder.file(format!("{stem}.{ext}"))?;
    }
    Ok(folder.path(stem))
}

/// Deletes the figures under `figures/` that the study wrote earlier but not this time (`written`: the
/// stems of this time, such as `figures/bias`), so no figure of an earlier version lingers; a user's
/// files there are left alone.
///
/// # Errors
/// I/O failures.
pub fn remove_stale_figures(folder: &RunFolder, written: &[String]) -> AnyResult<()> {
    for file in folder.written() {
        if !is_figure(&file) {
            continue;
        }
        let stem = file.with_extension("");
        let stem = stem.to_string_lossy().replace('\\', "/");
        if !written.contains(&stem) {
            folder.remove(&file)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_figures_go_and_a_users_files_stay() {
        let tmp = tempfile::tempdir().unwrap();
        let folder = claim(tmp.path(), "test study", "test", |_| None).unwrap();
        std::fs::create_dir(tmp.path().join("figures")).unwrap();
        for stem in ["figures/old", "figures/kept"] {
            let s = figure(&folder, stem).unwrap();
            for ext in ["png", "svg"] {
                std::fs::write(s.with_extension(ext), b"x").unwrap();
            }
        }
        std::fs::write(tmp.path().join("figures/mine.png"), b"user").unwrap();
        remove_stale_figures(&folder, &["figures/kept".to_string()]).unwrap();
        let left: Vec<String> = files_under(tmp.path(), is_figure)
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        assert_eq!(
            left,
            ["figures/kept.png", "figures/kept.svg", "figures/mine.png"]
        );
    }
}
