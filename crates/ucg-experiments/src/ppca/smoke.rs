//! The whole pipeline at tiny sizes on synthetic data: run, resume, shard and merge.

use std::collections::BTreeMap;

use super::config::Config;
use super::experiment::run_study;
use super::layout::{Layout, load_rows};
use super::replicate::ReplicateRow;
use super::summary::Summary;
use crate::cli::Shard;
use crate::merge::merge_folders;
use crate::ppca::outputs::write_outputs;
use crate::progress::Ui;

fn rows_without_timing(layout: &Layout) -> Vec<ReplicateRow> {
    let mut rows = load_rows(layout).unwrap();
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
    let summary = run_study(&config, Shard::WHOLE, &whole, &ui, "test").unwrap();

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

    // An interrupted run (a cell's checkpoint and a few rows lost) is completed identically.
    let victim = cells[1].id();
    std::fs::remove_file(layout.checkpoint(&victim)).unwrap();
    let resumed = run_study(&config, Shard::WHOLE, &whole, &ui, "test").unwrap();
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
    merge_folders(&shards, &merged).unwrap();
    let m = write_outputs(&merged, "merge", &ui).unwrap();
    assert!(m.complete);
    assert_eq!(rows_without_timing(&Layout::new(&merged)), rows);
    for (id, z) in max_z(&m) {
        assert!((z - max_z(&summary)[&id]).abs() < 1e-6 * z.max(1.0), "{id}");
    }
    assert!(
        merge_folders(
            &[shards[0].clone(), shards[0].clone()],
            &tmp.path().join("m2")
        )
        .is_err()
    );
    assert!(
        merge_folders(&shards, &whole).is_err(),
        "a run folder is not overwritten"
    );
}

#[test]
fn report_and_figures_handle_failures_and_missing_cells() {
    use super::figures::draw_all;
    use super::report::render;
    use std::collections::BTreeMap;

    let tmp = tempfile::tempdir().unwrap();
    let mut summary = run_study(
        &Config::tiny(3),
        Shard::WHOLE,
        tmp.path(),
        &Ui::quiet(),
        "test",
    )
    .unwrap();
    // A failed acceptance and partial results are said so.
    summary.acceptance.passed = false;
    summary.acceptance.coupled_within_bound = false;
    summary.complete = false;
    let md = render(&summary, &[]);
    assert!(md.contains("**not passed**") && md.contains("**Partial results**"));
    assert!(md.contains("| C-ISIR-DISIR |") || md.contains("### C-ISIR-DISIR"));
    // Without rows, checkpoints or most cells, the figures that can be drawn are drawn, without errors.
    summary.cells.retain(|c| c.cell.k == 2);
    let dir = tmp.path().join("sparse");
    let figures = draw_all(
        &Layout::new(&dir),
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
