//! The estimator-comparison study end to end on synthetic images and a tiny model (seconds): every
//! snapshot measured by every estimator, outputs written, an interrupted study resumed without measuring
//! again what was saved, to the same numbers.

use ucg_experiments::progress::Ui;
use ucg_experiments::vae::config::DatasetKind;
use ucg_experiments::vae::gradients::{GradientsStudy, estimators, run_gradients_study};
use ucg_train::vae::theta_gradient::ThetaGradient;

fn tiny() -> GradientsStudy {
    GradientsStudy {
        dataset: DatasetKind::Synthetic,
        hidden: 8,
        latent: 2,
        epochs: vec![1, 3],
        draws: 8,
        reference_particles: 1000,
        reference_draws: 3,
        ..GradientsStudy::standard()
    }
}

#[test]
fn every_estimator_is_measured_and_a_resumed_study_keeps_what_was_saved() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("gradients");
    let study = tiny();
    let first = run_gradients_study(&study, &out, &Ui::quiet(), "test").unwrap();
    assert_eq!(first.len(), 2);
    for s in &first {
        let matched = s.comparisons[0].evaluations.value / 100.0;
        let expected = estimators(Some(matched.round() as usize)).len();
        assert_eq!(s.comparisons.len(), expected, "epoch {}", s.epoch);
        assert!(s.gradient_norm2 > 0.0);
        let base = s.baseline().expect("IWAE-10 measured");
        assert_eq!(base.estimator, ThetaGradient::Iwae { particles: 10 });
        for c in &s.comparisons {
            assert_eq!(c.draws, 8);
            assert!(c.variance.value > 0.0 && c.squared_bias.value.is_finite());
        }
        // IWAE-100 is closer to the reference than IWAE-10 on every snapshot.
        let iwae100 = s
            .comparisons
            .iter()
            .find(|c| c.estimator == ThetaGradient::Iwae { particles: 100 })
            .unwrap();
        assert!(iwae100.squared_bias.value < base.squared_bias.value);
    }
    for f in [
        "training.json",
        "measurements/epoch-003/reference.json",
        "report.md",
        "gradients.csv",
        "snapshots/epoch-001.bin",
        "snapshots/epoch-003.bin",
        "figures/along-training.png",
        "figures/break-even.svg",
    ] {
        assert!(out.join(f).is_file(), "{f}");
    }

    // Interrupted after every measurement but one: the rerun measures only that one (against the
    // reference, drawn again), and keeps the rest to the same numbers.
    let measured = out.join("measurements/epoch-003/iwae-100.json");
    std::fs::remove_file(&measured).unwrap();
    let ui = Ui::recording();
    let again = run_gradients_study(&study, &out, &ui, "test").unwrap();
    let kept = ui
        .notes()
        .iter()
        .filter(|n| n.contains("measured earlier, kept"))
        .count();
    assert_eq!(kept, 2 * first[0].comparisons.len() - 1);
    assert!(measured.is_file());
    for (a, b) in first.iter().zip(&again) {
        for (x, y) in a.comparisons.iter().zip(&b.comparisons) {
            assert_eq!(x.squared_bias, y.squared_bias, "{}", x.estimator.label());
            assert_eq!(x.variance, y.variance, "{}", x.estimator.label());
        }
    }
    // More epochs later keep what was measured; other settings measure afresh; a training run of other
    // settings is refused.
    let longer = GradientsStudy {
        epochs: vec![1, 3, 4],
        ..tiny()
    };
    let ui = Ui::recording();
    assert_eq!(
        run_gradients_study(&longer, &out, &ui, "test")
            .unwrap()
            .len(),
        3
    );
    let kept = |ui: &Ui| {
        ui.notes()
            .iter()
            .filter(|n| n.contains("measured earlier"))
            .count()
    };
    assert_eq!(kept(&ui), 2 * first[0].comparisons.len());
    let other = GradientsStudy { draws: 9, ..tiny() };
    let ui = Ui::recording();
    run_gradients_study(&other, &out, &ui, "test").unwrap();
    assert_eq!(kept(&ui), 0);
    let err = run_gradients_study(
        &GradientsStudy {
            train_seed: 5,
            ..tiny()
        },
        &out,
        &Ui::quiet(),
        "test",
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("other settings"), "{err}");
}
