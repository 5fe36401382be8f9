//! The VAE study end to end on the quick preset (synthetic images, seconds): outputs written, shards
//! merged equal the whole run, an interrupted study resumes to the same results, bad input is one clear
//! error.

use std::path::Path;

use ucg_experiments::progress::Ui;
use ucg_experiments::shard::Shard;
use ucg_experiments::vae::config::Config;
use ucg_experiments::vae::merge::{Parameters, merge_folders};
use ucg_experiments::vae::plan::{Role, units};
use ucg_experiments::vae::study::{
    claim_folder, prepare_folder, run_study, run_study_with, write_outputs,
};
use ucg_experiments::vae::unit::{Inputs, Shared, run_dir, run_unit};
use ucg_experiments::vae::walltime::{TIMINGS_FILE, Timings, WALL_TIME_FILE, WallTime};

fn bytes(dir: &Path, name: &str, file: &str) -> Vec<u8> {
    std::fs::read(run_dir(dir, name).join(file)).unwrap_or_default()
}

/// The files `files` of every run but the same-wall-time one (whose length follows measured times).
fn run_files(config: &Config, dir: &Path, files: &[&str]) -> Vec<Vec<u8>> {
    units(config)
        .iter()
        .filter(|u| u.role != Role::SameWallTime)
        .flat_map(|u| files.iter().map(|f| bytes(dir, &u.name, f)))
        .collect()
}

/// Model, evaluations and meeting times of every run but the same-wall-time one.
fn deterministic_files(config: &Config, dir: &Path) -> Vec<Vec<u8>> {
    let files = ["model.bin", "eval-iwae.csv", "eval-ais.csv", "meetings.csv"];
    run_files(config, dir, &files)
}

/// Evaluations and meeting times of every run but the same-wall-time one: what a study's report is
/// made of.
fn records(config: &Config, dir: &Path) -> Vec<Vec<u8>> {
    run_files(
        config,
        dir,
        &["eval-iwae.csv", "eval-ais.csv", "meetings.csv"],
    )
}

#[test]
fn the_quick_study_writes_its_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("vae");
    let config = Config::quick_preset(5);
    let summary = run_study(&config, Shard::WHOLE, &out, &Ui::quiet(), "test").unwrap();
    assert_eq!(summary.runs.len(), 9);
    for r in &summary.runs {
        assert_eq!(r.test.len(), 2, "{}", r.unit.name);
        assert!(r.test.iter().all(|e| e.mean.is_finite() && e.mean < 0.0));
        assert!(r.steps > 0 && r.seconds_per_step > 0.0);
    }
    let coupled = summary
        .runs
        .iter()
        .find(|r| r.unit.name.ends_with("-coupled-isir-disir"))
        .unwrap();
    assert_eq!((coupled.epochs, coupled.steps), (2, 6));
    assert_eq!(
        coupled.per_epoch[0].chains, 30,
        "one pair per point and step"
    );
    assert_eq!(coupled.beta.len(), 6);
    assert!(coupled.evaluations_per_step > 40.0);
    // C-ISIR-DISIR, C-ISIR and SUMO each against the eight other models of the block (two unbiased
    // estimators compared once), by IWAE-k and AIS.
    assert_eq!(summary.differences.len(), 2 * (3 * 8 - 3));
    assert!(
        summary
            .runs
            .iter()
            .any(|r| r.unit.name == "synthetic-d2-s5-iwae-k8")
    );
    // The coupled run's job timed it and both runs given its wall time, back to back; each of those
    // trains the coupled run's counted evaluations × its seconds per evaluation, over its own step.
    let coupled_name = "synthetic-d2-s5-coupled-isir-disir";
    let timings: Timings =
        ucg_report::read_json(run_dir(&out, coupled_name).join(TIMINGS_FILE)).unwrap();
    let probed: Vec<&str> = timings.probes.iter().map(|p| p.run.as_str()).collect();
    assert_eq!(
        probed,
        [
            coupled_name,
            "synthetic-d2-s5-iwae-same-time",
            "synthetic-d2-s5-iwae-k8-same-time"
        ]
    );
    let coupled_evaluations = (coupled.evaluations_per_step * coupled.steps as f64).round() as u64;
    for name in &probed[1..] {
        let w: WallTime = ucg_report::read_json(run_dir(&out, name).join(WALL_TIME_FILE)).unwrap();
        assert_eq!(w.against, coupled_name);
        assert_eq!(w.reference_evaluations, coupled_evaluations);
        let per_evaluation = timings
            .probe(coupled_name)
            .unwrap()
            .seconds_per_evaluation();
        assert_eq!(
            w.reference_seconds,
            coupled_evaluations as f64 * per_evaluation
        );
        let probe = timings.probe(name).unwrap();
        assert!(probe.steps >= ucg_experiments::vae::walltime::PROBE_STEPS);
        assert_eq!(w.seconds_per_step, probe.seconds_per_step);
        let expected = (w.reference_seconds / w.seconds_per_step).round().max(1.0) as usize;
        assert_eq!(w.target_steps, expected);
        let trained = summary.runs.iter().find(|r| &r.unit.name == name).unwrap();
        assert!(
            trained.steps >= w.target_steps && trained.steps < w.target_steps + w.steps_per_epoch
        );
    }
    for f in [
        "summary.json",
        "report.md",
        "figures/curves-epoch-0.png",
        "figures/meeting-times-0.svg",
        "figures/cost-0.png",
    ] {
        assert!(out.join(f).is_file(), "{f}");
    }
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(report.contains("coupled-isir-disir") && report.contains("paired"));
}

#[test]
fn shards_merged_equal_the_whole_run_and_an_interrupted_study_resumes() {
    let mut config = Config::quick_preset(8);
    config.blocks[0].same_wall_time = false;
    let dir = tempfile::tempdir().unwrap();
    let whole = dir.path().join("whole");
    run_study(&config, Shard::WHOLE, &whole, &Ui::quiet(), "test").unwrap();
    let expected = deterministic_files(&config, &whole);
    assert!(expected.iter().all(|b| !b.is_empty()));

    let shards: Vec<_> = (0..3)
        .map(|index| {
            let out = dir.path().join(format!("shard{index}"));
            run_study(&config, Shard { index, count: 3 }, &out, &Ui::quiet(), "t").unwrap();
            out
        })
        .collect();
    let merged = dir.path().join("merged");
    let claimed = merge_folders(&shards, &merged, "merge", Parameters::Keep)
        .unwrap()
        .folder;
    let merged_summary = write_outputs(&claimed, "merge", &Ui::quiet()).unwrap();
    drop(claimed);
    assert_eq!(deterministic_files(&config, &merged), expected);
    assert_eq!(merged_summary.runs.len(), 7);

    // One shard kept as records only (no parameters: what a sitting can commit), merged later with the
    // others: the same results; a model that differs from the kept digest is refused.
    let kept = dir.path().join("kept");
    drop(merge_folders(&shards[..1], &kept, "merge", Parameters::DigestOnly).unwrap());
    let files = ucg_experiments::folder::files_under(&kept.join("runs"), |_| true);
    let named = |n: &str| files.iter().filter(|f| f.ends_with(n)).count();
    assert_eq!((named("model.bin"), named("checkpoint.bin")), (0, 0));
    assert_eq!(named("model.md5"), named("eval-iwae.csv"));
    assert!(named("model.md5") >= 2, "the pretrain and the shard's runs");
    let later = dir.path().join("later");
    let inputs = [kept.clone(), shards[1].clone(), shards[2].clone()];
    let claimed = merge_folders(&inputs, &later, "merge", Parameters::Keep)
        .unwrap()
        .folder;
    let later_summary = write_outputs(&claimed, "merge", &Ui::quiet()).unwrap();
    drop(claimed);
    assert_eq!(records(&config, &later), records(&config, &merged));
    let debug = |s: &ucg_experiments::vae::summary::Summary| format!("{:?}", s.differences);
    assert_eq!(debug(&later_summary), debug(&merged_summary));
    let pretrain = run_dir(&kept, &units(&config)[0].name).join("model.md5");
    std::fs::write(&pretrain, "0123456789abcdef0123456789abcdef\n").unwrap();
    let err = merge_folders(&inputs, &dir.path().join("m4"), "merge", Parameters::Keep)
        .unwrap_err()
        .to_string();
    assert!(err.contains("differs between"), "{err}");

    // Interrupted: the pretrain done, the coupled run stopped after its first epoch; then resumed.
    let resumed = dir.path().join("resumed");
    let claimed = claim_folder(&resumed, "test").unwrap();
    prepare_folder(&config, &claimed).unwrap();
    let plan = units(&config);
    let data = ucg_experiments::vae::data::load(
        config.blocks[0].dataset,
        config.binarize_seed,
        None,
        config.curve_points,
    )
    .unwrap();
    let mut partial = plan
        .iter()
        .find(|u| u.name.ends_with("-coupled-isir-disir"))
        .unwrap()
        .clone();
    assert_eq!(partial.role, Role::Main);
    partial.epochs = 1;
    for u in [&plan[0], &partial] {
        let shared = Shared {
            config: &config,
            plan: &plan,
            study: &claimed,
            inputs: Inputs::default(),
            ui: &Ui::quiet(),
        };
        run_unit(shared, u, &data, true).unwrap();
    }
    drop(claimed);
    std::fs::remove_file(run_dir(&resumed, &partial.name).join("model.bin")).unwrap();
    for f in ["eval-iwae.csv", "eval-ais.csv"] {
        std::fs::remove_file(run_dir(&resumed, &partial.name).join(f)).unwrap();
    }
    // The interrupted run is left out of a merge without parameters; merged with a folder that holds
    // it finished, the finished copy is the one taken.
    let records = dir.path().join("records");
    let m = merge_folders(
        std::slice::from_ref(&resumed),
        &records,
        "m",
        Parameters::DigestOnly,
    )
    .unwrap();
    assert_eq!(m.left_out, [partial.name.clone()]);
    drop(m);
    let both = dir.path().join("both");
    drop(
        merge_folders(
            &[resumed.clone(), whole.clone()],
            &both,
            "m",
            Parameters::Keep,
        )
        .unwrap(),
    );
    let model = |d: &Path| bytes(d, &partial.name, "model.bin");
    assert_eq!(model(&both), model(&whole));

    run_study(&config, Shard::WHOLE, &resumed, &Ui::quiet(), "test").unwrap();
    assert_eq!(deterministic_files(&config, &resumed), expected);
}

#[test]
fn the_training_images_are_evaluated_when_asked_and_compared_like_the_test_images() {
    let mut config = Config::quick_preset(9);
    config.blocks[0].same_wall_time = false;
    config.eval.train_points = 10;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("vae");
    let summary = run_study(&config, Shard::WHOLE, &out, &Ui::quiet(), "test").unwrap();
    for r in &summary.runs {
        let train = r.test.iter().find(|e| e.method == "train-iwae-50").unwrap();
        assert!(train.points == 10 && train.mean.is_finite() && train.mean < 0.0);
        // The training images, not the first test images again.
        let rows = |f: &str| {
            String::from_utf8(bytes(&out, &r.unit.name, f))
                .unwrap()
                .lines()
                .skip(1)
                .take(10)
                .map(str::to_owned)
                .collect::<Vec<_>>()
        };
        assert_ne!(rows("eval-train-iwae.csv"), rows("eval-iwae.csv"));
    }
    // Every unbiased run against the six other models (two unbiased ones compared once), by IWAE-k, AIS
    // and IWAE-k on training images.
    assert_eq!(summary.differences.len(), (3 * 6 - 3) * 3);
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(report.contains("on training images") && report.contains("train-iwae-50"));
    config.train_subset = Some(5);
    assert!(
        config.validate().is_err(),
        "more training images than trained on"
    );
}

#[test]
fn bad_input_is_one_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, b"x").unwrap();
    let config = Config::quick_preset(1);
    let one_line = |e: Box<dyn std::error::Error>| {
        let s = e.to_string();
        assert!(!s.contains('\n'), "{s}");
        s
    };
    let err = one_line(run_study(&config, Shard::WHOLE, &file, &Ui::quiet(), "t").unwrap_err());
    assert!(err.contains("is a file"), "{err}");
    let out = dir.path().join("out");
    prepare_folder(&config, &claim_folder(&out, "t").unwrap()).unwrap();
    let err = one_line(
        run_study(
            &Config::quick_preset(2),
            Shard::WHOLE,
            &out,
            &Ui::quiet(),
            "t",
        )
        .unwrap_err(),
    );
    assert!(
        err.contains("other settings (seeds.0: 1 in the folder, 2 asked)"),
        "{err}"
    );
    let other = dir.path().join("other");
    prepare_folder(
        &Config::quick_preset(2),
        &claim_folder(&other, "t").unwrap(),
    )
    .unwrap();
    let err = one_line(
        merge_folders(
            &[out.clone(), other],
            &dir.path().join("m"),
            "t",
            Parameters::Keep,
        )
        .unwrap_err(),
    );
    assert!(err.contains("different studies"), "{err}");
    let err = one_line(
        merge_folders(
            &[dir.path().join("missing")],
            &dir.path().join("m"),
            "t",
            Parameters::Keep,
        )
        .unwrap_err(),
    );
    assert!(err.contains("not a VAE results folder"), "{err}");
    let mut bad = Config::quick_preset(1);
    bad.eval.iwae_points = 10_000;
    let err = one_line(
        run_study(&bad, Shard::WHOLE, &dir.path().join("b"), &Ui::quiet(), "t").unwrap_err(),
    );
    assert!(err.contains("10000 test images"), "{err}");
    let mut bad = Config::quick_preset(1);
    bad.blocks[0].epochs = 0;
    let err = one_line(
        run_study(&bad, Shard::WHOLE, &dir.path().join("c"), &Ui::quiet(), "t").unwrap_err(),
    );
    assert!(err.contains("epochs ≥ 1"), "{err}");
}

#[test]
fn a_beta_pilot_runs_once_per_coupled_run_and_its_choice_is_used_for_every_step() {
    use ucg_experiments::beta_choice::{BetaChoice, PilotSettings};
    use ucg_experiments::vae::unit::PILOT_FILE;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("vae");
    let mut config = Config::quick_preset(6);
    config.beta = BetaChoice::Pilot(PilotSettings {
        candidates: vec![0.0, 0.6],
        replicates: 3,
    });
    let summary = run_study(&config, Shard::WHOLE, &out, &Ui::quiet(), "test").unwrap();
    for r in &summary.runs {
        let pilot = run_dir(&out, &r.unit.name).join(PILOT_FILE);
        assert_eq!(
            pilot.is_file(),
            r.unit.name.ends_with("-coupled-isir-disir"),
            "{}",
            r.unit.name
        );
        if pilot.is_file() {
            let choice: ucg_estimators::pilot::PilotChoice = ucg_report::read_json(&pilot).unwrap();
            assert_eq!(choice.measures.len(), 2);
            assert!(!r.beta.is_empty());
            assert!(
                r.beta.iter().all(|&b| b == choice.best_beta()),
                "{:?}",
                r.beta
            );
        }
    }
    let mut bad = config.clone();
    bad.beta = BetaChoice::Pilot(PilotSettings {
        candidates: vec![1.0],
        replicates: 3,
    });
    assert!(bad.validate().is_err());
}

/// The study checks the per-point files it summarises: a damaged file is refused, a diverged model is
/// reported as diverged (not as a tie), too few points give no verdict, and a shard says it is partial.
#[test]
fn damaged_evaluations_are_refused_and_a_diverged_model_is_reported_as_diverged() {
    use ucg_experiments::vae::report::verdict_lines;
    use ucg_experiments::vae::summary::Finding;

    let mut config = Config::quick_preset(10);
    config.blocks[0].same_wall_time = false;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("vae");
    run_study(&config, Shard::WHOLE, &out, &Ui::quiet(), "test").unwrap();
    let coupled = "synthetic-d2-s10-coupled-isir-disir";
    let file = run_dir(&out, coupled).join("eval-iwae.csv");
    let whole = std::fs::read_to_string(&file).unwrap();
    let outputs = || {
        let folder = claim_folder(&out, "test").unwrap();
        write_outputs(&folder, "test", &Ui::quiet())
    };

    // Torn: half the points.
    let lines: Vec<&str> = whole.lines().collect();
    std::fs::write(&file, lines[..lines.len() / 2].join("\n") + "\n").unwrap();
    let err = outputs().unwrap_err().to_string();
    assert!(
        err.contains("eval-iwae.csv") && err.contains("where the study evaluates 20"),
        "{err}"
    );

    // Diverged: one point's log-likelihood is NaN.
    let mut rows: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    rows[3] = format!("{},NaN", rows[3].split(',').next().unwrap());
    std::fs::write(&file, rows.join("\n") + "\n").unwrap();
    let summary = outputs().unwrap();
    let against_iwae = summary
        .differences
        .iter()
        .find(|d| d.a == coupled && d.b.ends_with("-iwae") && d.method.starts_with("iwae"))
        .unwrap();
    assert_eq!(
        against_iwae.finding(),
        Finding::Diverged(vec![coupled.to_string()])
    );
    let lines = verdict_lines(&summary);
    assert!(
        lines
            .iter()
            .any(|l| l.contains(coupled) && l.contains("diverged")),
        "{lines:?}"
    );
    // AIS on the quick preset's 4 points: no verdict.
    assert!(
        summary
            .differences
            .iter()
            .filter(|d| d.method == "ais")
            .all(|d| d.finding() == Finding::TooFewPoints)
    );

    // One shard of three: partial, and said so.
    let shard = dir.path().join("shard");
    let s = run_study(
        &config,
        Shard { index: 0, count: 3 },
        &shard,
        &Ui::quiet(),
        "t",
    )
    .unwrap();
    assert!(!s.missing.is_empty());
    let report = std::fs::read_to_string(shard.join("report.md")).unwrap();
    assert!(report.contains("Partial results"), "{report}");
}

/// A merged folder is repaired by merging again (a deleted file comes back from its shard), is never
/// resumed as a study, and a merge refuses a shard given twice or still being written.
#[test]
fn a_merged_folder_is_merged_again_never_resumed() {
    let mut config = Config::quick_preset(12);
    config.blocks[0].same_wall_time = false;
    let dir = tempfile::tempdir().unwrap();
    let shards: Vec<_> = (0..2)
        .map(|index| {
            let out = dir.path().join(format!("shard{index}"));
            run_study(&config, Shard { index, count: 2 }, &out, &Ui::quiet(), "t").unwrap();
            out
        })
        .collect();
    let merged = dir.path().join("merged");
    let merge = || {
        let folder = merge_folders(&shards, &merged, "merge", Parameters::Keep)?.folder;
        write_outputs(&folder, "merge", &Ui::quiet())
    };
    let whole = merge().unwrap();
    assert!(whole.missing.is_empty());
    let name = &whole.runs[1].unit.name;
    std::fs::remove_file(run_dir(&merged, name).join("eval-iwae.csv")).unwrap();
    let again = merge().unwrap();
    assert!(again.missing.is_empty(), "{:?}", again.missing);
    let err = run_study(&config, Shard::WHOLE, &merged, &Ui::quiet(), "t")
        .unwrap_err()
        .to_string();
    assert!(err.contains("holds merged results"), "{err}");
    let err = run_study(
        &config,
        Shard { index: 1, count: 2 },
        &shards[0],
        &Ui::quiet(),
        "t",
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("runs shard 0/2 of this study, not 1/2"),
        "{err}"
    );
    let twice = [shards[0].clone(), shards[0].clone()];
    let err = merge_folders(&twice, &dir.path().join("m2"), "t", Parameters::Keep)
        .unwrap_err()
        .to_string();
    assert!(err.contains("is given twice"), "{err}");
    let busy = ucg_files::FolderLock::acquire(&shards[1], "the shard's own run").unwrap();
    let err = merge_folders(&shards, &dir.path().join("m3"), "t", Parameters::Keep)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("still being written (") && err.contains("the shard's own run"),
        "{err}"
    );
    drop(busy);
}

/// A same-wall-time run trained by a later shard from the coupled run's records alone (kept by a
/// records-only merge, without parameters) gets the length, and so the model, the whole run gave it;
/// without those records the shard says where to find them.
#[test]
fn a_same_wall_time_run_is_trained_in_another_sitting_from_the_coupled_runs_records() {
    let config = Config::quick_preset(14);
    let dir = tempfile::tempdir().unwrap();
    let whole = dir.path().join("whole");
    run_study(&config, Shard::WHOLE, &whole, &Ui::quiet(), "t").unwrap();
    let kept = dir.path().join("kept");
    merge_folders(
        std::slice::from_ref(&whole),
        &kept,
        "t",
        Parameters::DigestOnly,
    )
    .unwrap();
    // Eight jobs; the two same-wall-time runs are the last: shard 3/4.
    let later = Shard { index: 3, count: 4 };
    let err = run_study(&config, later, &dir.path().join("alone"), &Ui::quiet(), "t")
        .unwrap_err()
        .to_string();
    assert!(err.contains("--timings-from"), "{err}");
    let out = dir.path().join("later");
    let inputs = Inputs {
        timings_from: Some(&kept),
    };
    run_study_with(&config, later, &out, inputs, &Ui::quiet(), "t").unwrap();
    for name in [
        "synthetic-d2-s14-iwae-same-time",
        "synthetic-d2-s14-iwae-k8-same-time",
    ] {
        let w = bytes(&out, name, WALL_TIME_FILE);
        assert!(!w.is_empty(), "{name}");
        assert_eq!(w, bytes(&whole, name, WALL_TIME_FILE), "{name}");
        assert_eq!(
            bytes(&out, name, "model.bin"),
            bytes(&whole, name, "model.bin")
        );
    }
}
