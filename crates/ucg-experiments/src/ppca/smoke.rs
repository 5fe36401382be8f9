//! The whole pipeline at tiny sizes on synthetic data: run, resume, shard and merge.

use std::collections::BTreeMap;

use super::config::Config;
use super::experiment::run_study;
use super::layout::{Layout, load_rows};
use super::merge::merge_folders;
use super::outputs::write_outputs;
use super::replicate::ReplicateRow;
use super::summary::Summary;
use super::test_support::tiny_summary;
use crate::progress::Ui;
use crate::shard::Shard;

fn rows_without_timing(layout: &Layout) -> Vec<ReplicateRow> {
    let mut rows = load_rows(layout).unwrap().rows;
    for r in &mut rows {
        r.wall_seconds = 0.0;
    }
    rows.sort_by(|a, b| (&a.cell, a.replicate).cmp(&(&b.cell, b.replicate)));
    rows
}

fn max_z(s: &Summary) -> BTreeMap<String, f64> {
    s.cells
        .iter()
        .filter_map(|c| Some((c.id.clone(), c.check.as_ref()?.max_abs_z)))
        .collect()
}

#[test]
fn pipeline_runs_resumes_and_merges() {
    let config = Config::tiny(11);
    let ui = Ui::quiet();
    let tmp = tempfile::tempdir().unwrap();
    let whole = tmp.path().join("whole");
    let first = Ui::recording();
    let summary = run_study(&config, Shard::WHOLE, &whole, &first, "test").unwrap();
    assert!(first.notes().iter().any(|n| n.contains("fitted IWAE")));

    let layout = Layout::new(&whole);
    for f in [
        layout.summary(),
        layout.report(),
        layout.replicates(),
        layout.setup(),
    ] {
        assert!(f.exists(), "{} missing", f.display());
    }
    for name in [
        "intercept_error",
        "weight_error",
        "relative_error",
        "bias_vs_k_intercept",
        "max_z_vs_k",
        "meeting_histogram",
        "meeting_vs_k",
        "meeting_vs_d",
        "inefficiency",
        "encoder_fit",
        "beta_warmup_k",
        "beta_warmup_d",
    ] {
        for ext in ["png", "svg"] {
            let f = layout.figures().join(format!("{name}.{ext}"));
            assert!(f.exists(), "{} missing", f.display());
        }
    }
    // The threshold line of the max-|z| figure is named in its legend.
    let svg = std::fs::read_to_string(layout.figures().join("max_z_vs_k.svg")).unwrap();
    assert!(
        svg.contains("Bonferroni bound"),
        "the threshold has no legend entry"
    );
    assert!(summary.complete);
    let cells = config.cells();
    assert_eq!(summary.cells.len(), cells.len());
    let rows = rows_without_timing(&layout);
    let expected: u64 = cells.iter().map(|c| c.replicates).sum();
    assert_eq!(rows.len() as u64, expected);
    let report = std::fs::read_to_string(layout.report()).unwrap();
    assert!(report.contains("## Findings") && report.contains("figures/meeting_vs_d.png"));
    assert!(summary.acceptance.iwae_k2_max_abs_z.is_some());

    // Resuming a finished run changes nothing.
    let again = run_study(&config, Shard::WHOLE, &whole, &ui, "test").unwrap();
    assert_eq!(rows_without_timing(&layout), rows);
    assert_eq!(max_z(&again), max_z(&summary));

    // An interrupted run (two cells' checkpoints lost, the last row torn in half by the kill) is
    // completed identically; it loads the encoders and β instead of fitting and warming up again, and
    // drops the torn row with a note.
    for victim in [&cells[1], cells.last().unwrap()] {
        std::fs::remove_file(layout.checkpoint(&victim.id())).unwrap();
    }
    let text = std::fs::read_to_string(layout.replicates()).unwrap();
    std::fs::write(layout.replicates(), &text[..text.len() - 10]).unwrap();
    let again = Ui::recording();
    let resumed = run_study(&config, Shard::WHOLE, &whole, &again, "test").unwrap();
    let notes = again.notes();
    assert!(
        !notes.iter().any(|n| n.contains("fitted IWAE")),
        "{notes:#?}"
    );
    for said in ["encoder loaded from", "β warm-ups loaded", "torn last row"] {
        assert!(notes.iter().any(|n| n.contains(said)), "{said}: {notes:#?}");
    }
    assert_eq!(rows_without_timing(&layout), rows);
    for (id, z) in max_z(&resumed) {
        assert!((z - max_z(&summary)[&id]).abs() < 1e-9, "{id}");
    }

    // Other settings in the same folder are refused with a clear message.
    let mut other = config.clone();
    other.replicates = 4;
    let err = run_study(&other, Shard::WHOLE, &whole, &ui, "test").unwrap_err();
    assert!(err.to_string().contains("replicates"), "{err}");

    // Two shards merged give the same replicates and statistics as the whole run.
    let shards: Vec<_> = (0..2)
        .map(|index| {
            let dir = tmp.path().join(format!("shard{index}"));
            run_study(&config, Shard { index, count: 2 }, &dir, &ui, "test").unwrap();
            dir
        })
        .collect();
    let merged = tmp.path().join("merged");
    let claimed = merge_folders(&shards, &merged, "merge").unwrap();
    let m = write_outputs(&claimed, "merge", &ui).unwrap();
    drop(claimed);
    assert!(m.complete);
    assert_eq!(rows_without_timing(&Layout::new(&merged)), rows);
    for (id, z) in max_z(&m) {
        assert!((z - max_z(&summary)[&id]).abs() < 1e-6 * z.max(1.0), "{id}");
    }
    assert!(
        merge_folders(
            &[shards[0].clone(), shards[0].clone()],
            &tmp.path().join("m2"),
            "merge"
        )
        .is_err()
    );
    assert!(
        merge_folders(&shards, &whole, "merge").is_err(),
        "a run folder is not overwritten"
    );

    // A duplicated row is refused, naming the rows, instead of changing the summary.
    let text = std::fs::read_to_string(layout.replicates()).unwrap();
    let second_line = text.lines().nth(1).unwrap();
    std::fs::write(layout.replicates(), format!("{text}{second_line}\n")).unwrap();
    let err = run_study(&config, Shard::WHOLE, &whole, &ui, "test").unwrap_err();
    assert!(err.to_string().contains("rows 1 and"), "{err}");
    let claimed = super::layout::claim_study_folder(&whole, "test").unwrap();
    let err = write_outputs(&claimed, "test", &ui).unwrap_err();
    assert!(err.to_string().contains("both hold"), "{err}");
}

#[test]
fn figures_handle_missing_cells() {
    use super::figures::draw_all;

    let tmp = tempfile::tempdir().unwrap();
    let mut summary = tiny_summary();
    // Without rows, checkpoints or most cells, the figures that can be drawn are drawn, without errors.
    summary.cells.retain(|c| c.cell.k == 2);
    let dir = tmp.path().join("sparse");
    let figures = draw_all(
        &super::layout::claim_study_folder(&dir, "test").unwrap(),
        &summary,
        &[],
        &BTreeMap::new(),
        &Ui::quiet(),
    )
    .unwrap();
    let names: Vec<&str> = figures.iter().map(|f| f.stem.as_str()).collect();
    assert!(names.contains(&"figures/encoder_fit"), "{names:?}");
    assert!(!names.contains(&"figures/intercept_error"), "{names:?}");
    for f in &figures {
        assert!(dir.join(format!("{}.png", f.stem)).exists());
    }
}

#[test]
fn out_naming_a_file_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("ppca.txt");
    std::fs::write(&file, "notes").unwrap();
    let err = run_study(&Config::tiny(1), Shard::WHOLE, &file, &Ui::quiet(), "test").unwrap_err();
    assert!(err.to_string().contains("is a file, not a folder"), "{err}");
    let err = merge_folders(&[tmp.path().to_path_buf()], &file, "merge").unwrap_err();
    assert!(err.to_string().contains("is a file, not a folder"), "{err}");
}
