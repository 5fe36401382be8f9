//! The VAE training loop: resuming an interrupted run is bit-identical to not interrupting it, results do
//! not depend on the number of threads, damaged or mismatched checkpoints are refused, and a few epochs
//! on real MNIST raise the IWAE bound (skipped, with the reason printed, when MNIST cannot be fetched).

use std::path::Path;
use ucg_train::TrainError;
use ucg_train::vae::data::synthetic_images;
use ucg_train::vae::run::{CHECKPOINT_FILE, METRICS_FILE, MODEL_FILE};
use ucg_train::vae::{
    Binarization, EstimatorKind, OptimizerKind, TrainConfig, VaeData, checkpoint, run,
};

const P: usize = 24;

/// Synthetic binary images: three prototypes with 10% of pixels flipped.
fn data(dynamic: bool) -> VaeData {
    let n = 240;
    let train: Vec<u8> = synthetic_images(n, P, 12345)
        .into_iter()
        .map(|bit| if dynamic { bit * 200 + 20 } else { bit })
        .collect();
    let test: Vec<f32> = train[..40 * P]
        .iter()
        .map(|&b| f32::from(u8::from(b > 100 || b == 1)))
        .collect();
    if dynamic {
        VaeData::dynamic(train, P, test).unwrap()
    } else {
        VaeData::binary(train, P, test).unwrap()
    }
}

fn config(epochs: usize) -> TrainConfig {
    let mut c = TrainConfig::paper(EstimatorKind::Iwae, 3, epochs);
    (c.hidden, c.k, c.batch, c.learning_rate, c.test_points) = (64, 4, 30, 3e-3, 40);
    c
}

/// `dir` claimed as a training run's folder (released when the value is dropped).
fn folder(dir: &Path) -> ucg_files::RunFolder {
    run::claim_folder(dir, "test").unwrap()
}

fn quiet() -> impl FnMut(run::RunEvent<'_>) {
    |_| {}
}

fn without_seconds(csv: &str) -> Vec<String> {
    csv.lines()
        .map(|l| {
            let mut f: Vec<&str> = l.split(',').collect();
            f.remove(3);
            f.join(",")
        })
        .collect()
}

/// `c` trained for one epoch into a new folder, then resumed there to `c.epochs`.
fn interrupted_then_resumed(c: &TrainConfig, d: &VaeData) -> tempfile::TempDir {
    let interrupted = tempfile::tempdir().unwrap();
    let mut short = c.clone();
    short.epochs = 1;
    run::run(short, d, &folder(interrupted.path()), false, &mut quiet()).unwrap();
    run::run(
        c.clone(),
        d,
        &folder(interrupted.path()),
        true,
        &mut quiet(),
    )
    .unwrap();
    interrupted
}

fn read(dir: &Path, file: &str) -> Vec<u8> {
    std::fs::read(dir.join(file)).unwrap()
}

#[test]
fn an_interrupted_and_resumed_run_ends_bit_identical() {
    for (estimator, optimizer, dynamic) in [
        (EstimatorKind::Iwae, OptimizerKind::RmsProp, false),
        (EstimatorKind::Elbo, OptimizerKind::Adam, true),
        (EstimatorKind::Sumo, OptimizerKind::RmsProp, false),
    ] {
        let d = data(dynamic);
        let mut c = config(3);
        (c.estimator, c.optimizer) = (estimator, optimizer);
        if dynamic {
            c.binarization = Binarization::Dynamic;
        }
        let straight = tempfile::tempdir().unwrap();
        let t = run::run(c.clone(), &d, &folder(straight.path()), false, &mut quiet()).unwrap();
        assert_eq!(t.epoch(), 3);
        let interrupted = interrupted_then_resumed(&c, &d);
        assert_eq!(
            read(straight.path(), MODEL_FILE),
            read(interrupted.path(), MODEL_FILE),
            "{estimator:?}"
        );
        let (a, b) = (
            read(straight.path(), METRICS_FILE),
            read(interrupted.path(), METRICS_FILE),
        );
        let (a, b) = (String::from_utf8(a).unwrap(), String::from_utf8(b).unwrap());
        assert_eq!(without_seconds(&a), without_seconds(&b));
        assert_eq!(a.lines().count(), 4);
        // The model learns on this easy data: the test bound rises over the three epochs.
        let bounds: Vec<f64> = a
            .lines()
            .skip(1)
            .map(|l| l.split(',').nth(2).unwrap().parse().unwrap())
            .collect();
        assert!(bounds[2] > bounds[0], "{bounds:?}");
    }
}

/// A SUMO step records the particles it evaluated, its own beside the shared ones: `B (K + m + N_b)`
/// on average `B (2K + E[N])`.
#[test]
fn a_sumo_step_records_its_own_evaluations() {
    let d = data(false);
    let mut c = config(1);
    c.estimator = EstimatorKind::Sumo;
    let mut trainer = ucg_train::vae::Trainer::new(c.clone(), d.dim()).unwrap();
    let mut recorded = Vec::new();
    trainer
        .train_epoch(&d, &mut |_, r| recorded.push(r.evaluations))
        .unwrap();
    let shared = (c.batch * c.k) as u64;
    // Each point draws at least m + 1 = K + 1 particles of its own.
    assert!(!recorded.is_empty());
    assert!(
        recorded
            .iter()
            .all(|&e| e >= shared + (c.batch * (c.k + 1)) as u64),
        "{recorded:?}"
    );
}

#[test]
fn results_do_not_depend_on_the_number_of_threads() {
    let d = data(false);
    let train = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        pool.install(|| run::run(config(1), &d, &folder(dir.path()), false, &mut quiet()).unwrap());
        read(dir.path(), MODEL_FILE)
    };
    let one = train(1);
    assert_eq!(one, train(2));
    assert_eq!(one, train(3));
}

#[test]
fn damaged_or_mismatched_checkpoints_are_refused() {
    let d = data(false);
    let dir = tempfile::tempdir().unwrap();
    run::run(config(1), &d, &folder(dir.path()), false, &mut quiet()).unwrap();
    let path = dir.path().join(CHECKPOINT_FILE);
    let good = std::fs::read(&path).unwrap();
    assert!(checkpoint::from_bytes(&good, "c", config(2), P).is_ok());
    // Truncations (a sample of lengths, including all short ones) and flipped bytes.
    for n in (0..good.len()).filter(|n| *n < 64 || n % 97 == 0) {
        assert!(
            matches!(
                checkpoint::from_bytes(&good[..n], "c", config(2), P),
                Err(TrainError::UnusableFile { .. })
            ),
            "{n}"
        );
    }
    for i in (0..good.len()).step_by(131) {
        let mut b = good.clone();
        b[i] ^= 1;
        assert!(
            checkpoint::from_bytes(&b, "c", config(2), P).is_err(),
            "byte {i}"
        );
    }
    // Other settings.
    let mut other = config(2);
    other.k = 5;
    let err = checkpoint::from_bytes(&good, "c", other, P)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("trained with --k 4, this command has --k 5"),
        "{err}"
    );
    // An existing run is not overwritten without --resume; --resume needs a checkpoint.
    assert!(run::run(config(2), &d, &folder(dir.path()), false, &mut quiet()).is_err());
    let empty = tempfile::tempdir().unwrap();
    assert!(run::run(config(2), &d, &folder(empty.path()), true, &mut quiet()).is_err());
    // A corrupted checkpoint on disk: resume fails with one line naming the file.
    std::fs::write(&path, &good[..good.len() / 2]).unwrap();
    let err = run::run(config(2), &d, &folder(dir.path()), true, &mut quiet())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(CHECKPOINT_FILE) && !err.contains('\n'),
        "{err}"
    );
}

/// `train vae --subset 20`, then `--resume` without `--subset` (or with another): refused, naming the
/// subset; a checkpoint of the earlier format (no subset recorded) resumes as a run on the whole set.
#[test]
fn a_resume_on_another_training_subset_is_refused_naming_it() {
    let d = data(false);
    let dir = tempfile::tempdir().unwrap();
    let mut with_subset = config(1);
    with_subset.train_subset = Some(20);
    run::run(
        with_subset.clone(),
        &d,
        &folder(dir.path()),
        false,
        &mut quiet(),
    )
    .unwrap();
    for (subset, theirs) in [(None, "no --subset"), (Some(30), "--subset 30")] {
        let mut again = config(2);
        again.train_subset = subset;
        let err = run::run(again, &d, &folder(dir.path()), true, &mut quiet())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(&format!(
                "checkpoint.bin was trained with --subset 20, this command has {theirs}"
            )),
            "{err}"
        );
    }
    with_subset.epochs = 2;
    run::run(with_subset, &d, &folder(dir.path()), true, &mut quiet()).unwrap();

    // The earlier format: the identity without its last (subset) byte.
    let whole = tempfile::tempdir().unwrap();
    run::run(config(1), &d, &folder(whole.path()), false, &mut quiet()).unwrap();
    let new = read(whole.path(), CHECKPOINT_FILE);
    let start = 14 + 4;
    let len = u64::from_le_bytes(new[start..start + 8].try_into().unwrap()) as usize;
    assert_eq!(new[start + 8 + len - 1], 0, "no subset is recorded as 0");
    let mut old = new[..start].to_vec();
    old.extend_from_slice(&(len as u64 - 1).to_le_bytes());
    old.extend_from_slice(&new[start + 8..start + 8 + len - 1]);
    old.extend_from_slice(&new[start + 8 + len..new.len() - 8]);
    let sum = ucg_models::vae::file::fnv1a64(&old);
    old.extend_from_slice(&sum.to_le_bytes());
    assert!(checkpoint::from_bytes(&old, "c", config(2), P).is_ok());
    let mut subset = config(2);
    subset.train_subset = Some(20);
    let err = checkpoint::from_bytes(&old, "c", subset, P)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("trained with no --subset, this command has --subset 20"),
        "{err}"
    );
}

#[test]
fn a_few_epochs_on_real_mnist_raise_the_iwae_bound() {
    let d = match ucg_train::vae::load_mnist(Binarization::Static { seed: 1 }, Some(1000), 500) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("skipping the real-MNIST training test: {e}");
            return;
        }
    };
    let mut c = TrainConfig::paper(EstimatorKind::Iwae, 20, 4);
    c.test_points = 500;
    let mut trainer = ucg_train::vae::Trainer::new(c, d.dim()).unwrap();
    let before = trainer.test_bound(&d).unwrap();
    let mut bounds = vec![before];
    for _ in 0..4 {
        bounds.push(trainer.train_epoch(&d, &mut |_, _| {}).unwrap().test_bound);
    }
    eprintln!("MNIST test bounds: {bounds:?}");
    // From about −545 nats (the initial model) to about −194 after four epochs on 1,000 images.
    assert!(bounds.windows(2).all(|w| w[1] > w[0]), "{bounds:?}");
    assert!(bounds[4] > before + 50.0, "{bounds:?}");
}

/// `steps.csv` without its two seconds columns.
fn steps_without_seconds(csv: &str) -> Vec<String> {
    csv.lines()
        .map(|l| l.split(',').take(8).collect::<Vec<_>>().join(","))
        .collect()
}

#[test]
fn the_step_log_follows_the_checkpoint_and_a_continuation_starts_from_a_pretrained_run() {
    use ucg_train::vae::InitialParameters;
    use ucg_train::vae::run::{MEETINGS_FILE, STEPS_FILE};
    let d = data(false);
    let pretrain = tempfile::tempdir().unwrap();
    run::run(config(1), &d, &folder(pretrain.path()), false, &mut quiet()).unwrap();
    let steps = String::from_utf8(read(pretrain.path(), STEPS_FILE)).unwrap();
    // 240 images, batch 30: 8 steps of B·K = 120 shared particles, no chains.
    assert_eq!(steps.lines().count(), 9, "{steps}");
    assert!(steps.lines().nth(1).unwrap().starts_with("1,1,,0,0,,,120,"));

    // A coupled continuation of 2 "epochs" of 3 steps each, from the pretrain's checkpoint.
    let mut c = config(2);
    c.estimator = EstimatorKind::CoupledIsirDisir;
    c.coupled.cap = 200;
    c.steps_per_epoch = Some(3);
    c.init = Some(InitialParameters::of_file(&pretrain.path().join(CHECKPOINT_FILE)).unwrap());
    let straight = tempfile::tempdir().unwrap();
    let t = run::run(c.clone(), &d, &folder(straight.path()), false, &mut quiet()).unwrap();
    assert_eq!(t.step_records().len(), 6);
    let counts = t.meeting_counts();
    assert_eq!(counts.len(), 2);
    assert_eq!(counts[0].runs(), 3 * 30, "one pair per point and step");
    assert!(t.step_records().iter().all(|r| r.chains == 30
        && r.evaluations > 120
        && r.theta_seconds > 0.0
        && r.beta.is_finite()));
    // Interrupted after one epoch and resumed: the same model, steps and meeting times.
    let interrupted = interrupted_then_resumed(&c, &d);
    for file in [MODEL_FILE, MEETINGS_FILE] {
        assert_eq!(
            read(straight.path(), file),
            read(interrupted.path(), file),
            "{file}"
        );
    }
    let text = |dir: &Path| String::from_utf8(read(dir, STEPS_FILE)).unwrap();
    assert_eq!(
        steps_without_seconds(&text(straight.path())),
        steps_without_seconds(&text(interrupted.path()))
    );
    // The continuation is tied to the file it started from: another one is other settings.
    let mut other = c.clone();
    other.init = Some(InitialParameters {
        checksum: 1,
        ..c.init.clone().unwrap()
    });
    let err = run::run(
        other.clone(),
        &d,
        &folder(interrupted.path()),
        true,
        &mut quiet(),
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("this command has initial parameters of checksum 0000000000000001"),
        "{err}"
    );
    let fresh = tempfile::tempdir().unwrap();
    let err = run::run(other, &d, &folder(fresh.path()), false, &mut quiet())
        .unwrap_err()
        .to_string();
    assert!(err.contains("initial parameters changed"), "{err}");
    // A damaged version field reads as damage; a version-1 checkpoint (valid checksum) is refused with
    // the reason.
    let mut old = read(straight.path(), CHECKPOINT_FILE);
    old[14..18].copy_from_slice(&1_048_578u32.to_le_bytes());
    let err = checkpoint::from_bytes(&old, "c", c.clone(), P)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("checksum mismatch") && !err.contains("version"),
        "{err}"
    );
    old[14..18].copy_from_slice(&1u32.to_le_bytes());
    let n = old.len() - 8;
    let sum = ucg_models::vae::file::fnv1a64(&old[..n]);
    old[n..].copy_from_slice(&sum.to_le_bytes());
    let err = checkpoint::from_bytes(&old, "c", c, P)
        .unwrap_err()
        .to_string();
    assert!(err.contains("format version 1"), "{err}");
}

/// A finished run whose checkpoint was deleted to save space is never overwritten by a fresh run; a
/// folder of a user's files is not claimed at all.
#[test]
fn a_finished_run_without_its_checkpoint_and_a_users_folder_are_left_alone() {
    let d = data(false);
    let dir = tempfile::tempdir().unwrap();
    run::run(config(1), &d, &folder(dir.path()), false, &mut quiet()).unwrap();
    std::fs::remove_file(dir.path().join(CHECKPOINT_FILE)).unwrap();
    let (model, metrics) = (read(dir.path(), MODEL_FILE), read(dir.path(), METRICS_FILE));
    let err = run::run(config(1), &d, &folder(dir.path()), false, &mut quiet())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("finished run") && err.contains(CHECKPOINT_FILE),
        "{err}"
    );
    assert_eq!(read(dir.path(), MODEL_FILE), model);
    assert_eq!(read(dir.path(), METRICS_FILE), metrics);

    let user = tempfile::tempdir().unwrap();
    std::fs::write(user.path().join(MODEL_FILE), b"my own weights").unwrap();
    let err = run::claim_folder(user.path(), "test")
        .unwrap_err()
        .to_string();
    assert!(err.contains("not a results folder of this tool"), "{err}");
    assert_eq!(std::fs::read_dir(user.path()).unwrap().count(), 1);
}

/// Sizes the command line accepts but no machine holds are refused with the bytes needed, before any
/// allocation: `train vae --latent 16777216` and `eval vae --method ais --steps 100000000000`.
#[test]
fn settings_too_large_for_memory_are_refused_with_the_size() {
    let d = data(false);
    let dir = tempfile::tempdir().unwrap();
    let mut huge = config(1);
    huge.latent = 1 << 24;
    let err = run::run(huge, &d, &folder(dir.path()), false, &mut quiet())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("`latent`: needs about") && err.contains("allowed"),
        "{err}"
    );
    assert!(!dir.path().join(CHECKPOINT_FILE).exists());

    let model = dir.path().join("model.bin");
    let vae =
        ucg_models::vae::Vae::<f32>::new(ucg_models::vae::VaeShape::new(784, 8, 2).unwrap(), 1);
    std::fs::write(&model, ucg_models::vae::file::to_bytes(&vae)).unwrap();
    let settings = ucg_train::eval::AisSettings::paper()
        .with_schedule(ucg_train::eval::SigmoidSchedule::new(100_000_000_000, 4.0).unwrap());
    let method = ucg_train::vae::EvalMethod::Ais(settings);
    let err = ucg_train::vae::evaluate_vae(&model, &method, 2, 1, 1, None)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("`steps`: needs about 800 GB for 100000000000 annealing temperatures"),
        "{err}"
    );
}
