//! `cargo xtask train vae`: turns the command line into a `ucg_train::vae::TrainConfig`, loads MNIST and
//! runs `ucg_train::vae::run` with a progress bar. The training logic lives in `ucg_train::vae`.

use crate::AnyResult;
use crate::cli::{BinarizationArg, OptimizerArg, TrainVaeArgs};
use ucg_experiments::progress::Ui;
use ucg_train::vae::{BetaPolicy, Binarization, EstimatorKind, OptimizerKind, TrainConfig};

/// The run's settings from the command line.
///
/// # Errors
/// `--beta` with another estimator than coupled-isir-disir.
pub fn config(args: &TrainVaeArgs) -> AnyResult<TrainConfig> {
    let estimator = args.estimator;
    let mut c = TrainConfig::paper(estimator, args.latent, args.epochs);
    c.k = args.k;
    c.batch = args.batch;
    c.learning_rate = args.lr;
    c.optimizer = match args.optimizer {
        OptimizerArg::Rmsprop => OptimizerKind::RmsProp,
        OptimizerArg::Adam => OptimizerKind::Adam,
    };
    c.binarization = match args.binarization {
        BinarizationArg::Static => Binarization::Static {
            seed: args.binarize_seed,
        },
        BinarizationArg::Dynamic => Binarization::Dynamic,
    };
    c.seed = args.seed;
    c.test_points = args.test_points;
    if estimator == EstimatorKind::CoupledIsirDisir {
        c.coupled.beta = match args.beta {
            None => BetaPolicy::Fixed(0.0),
            Some(policy) => policy,
        };
    } else if args.beta.is_some() {
        return Err(format!(
            "--beta applies to --estimator coupled-isir-disir only, not {}",
            estimator.name()
        )
        .into());
    }
    if let Some(cap) = args.cap {
        if !estimator.is_coupled() {
            return Err(format!(
                "--cap applies to the coupled estimators only, not {}",
                estimator.name()
            )
            .into());
        }
        c.coupled.cap = cap;
    }
    c.train_subset = args.subset;
    Ok(c)
}

/// Runs `train vae`.
///
/// # Errors
/// Invalid settings, MNIST unavailable, a checkpoint problem, a diverged run: one line each.
pub fn train_vae(args: &TrainVaeArgs, command: &str, ui: &Ui) -> AnyResult<()> {
    let config = config(args)?;
    config.validate()?;
    config.check_memory(ucg_train::vae::MNIST_PIXELS)?;
    let folder = ucg_train::vae::run::claim_folder(&args.out, command)?;
    let data =
        ucg_train::vae::load_mnist(config.binarization, config.train_subset, config.test_points)?;
    ui.note(format!(
        "training the VAE (D = {}, K = {}, {} θ-gradient) on {} images for {} epochs into {}",
        config.latent,
        config.k,
        config.estimator.name(),
        data.len(),
        config.epochs,
        args.out.display()
    ));
    let note = |r: &ucg_train::vae::EpochRecord| {
        ui.note(format!(
            "epoch {:>4}: train bound {:>9.3}, test IWAE bound {:>9.3}, {:.2} s, mean ESS {:.2}",
            r.epoch, r.train_bound, r.test_bound, r.seconds, r.mean_ess
        ));
        if let Some(c) = &r.chains {
            ui.note(format!(
                "            chains {}, capped {}, τ of the met: mean {:.2} median {} max {}, β {:.4}",
                c.chains, c.capped, c.mean_tau, c.median_tau, c.max_tau, c.beta
            ));
        }
    };
    let mut progress = ucg_experiments::vae::bars::epoch_bars(ui, String::new(), note);
    let asked = config.epochs;
    let trainer = ucg_train::vae::run(config, &data, &folder, args.resume, &mut progress)?;
    if trainer.epoch() > asked {
        ui.note(format!(
            "the checkpoint has {} epochs already, more than --epochs {asked}: nothing was trained",
            trainer.epoch()
        ));
    }
    ui.note(format!(
        "done: {} epochs; metrics.csv, steps.csv, meetings.csv, checkpoint.bin and model.bin in {}",
        trainer.epoch(),
        args.out.display()
    ));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Cli, Command, TrainModel};
    use clap::Parser;

    fn parse(line: &str) -> Result<TrainVaeArgs, clap::Error> {
        let cli = Cli::try_parse_from(line.split_whitespace())?;
        match cli.command {
            Command::Train {
                model: TrainModel::Vae(a),
            } => Ok(a),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn flags_map_to_the_paper_settings_and_bad_flags_are_refused() {
        let a =
            parse("xtask train vae --estimator iwae --latent 20 --epochs 3 --out /tmp/x").unwrap();
        let c = config(&a).unwrap();
        assert_eq!(c, TrainConfig::paper(EstimatorKind::Iwae, 20, 3));
        let a = parse("xtask train vae --estimator elbo --latent 5 --epochs 1 --out o --subset 7 --resume --optimizer adam --binarization dynamic").unwrap();
        assert!(a.resume && a.subset == Some(7));
        let c = config(&a).unwrap();
        assert_eq!(
            (c.optimizer, c.binarization),
            (OptimizerKind::Adam, Binarization::Dynamic)
        );
        for bad in [
            "xtask train vae --estimator coupled --latent 20 --epochs 1 --out o",
            "xtask train vae --estimator iwae --latent -1 --epochs 1 --out o",
            "xtask train vae --estimator iwae --latent 20 --epochs 1",
            "xtask train vae --estimator iwae --latent 20 --epochs 1 --out o --bogus",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        let a = parse("xtask train vae --estimator coupled-isir-disir --latent 5 --epochs 1 --out o --beta 0.5 --cap 77").unwrap();
        let c = config(&a).unwrap();
        assert_eq!(c.estimator, EstimatorKind::CoupledIsirDisir);
        assert_eq!(
            (c.coupled.beta, c.coupled.cap),
            (BetaPolicy::Fixed(0.5), 77)
        );
        let a = parse("xtask train vae --estimator coupled-isir --latent 5 --epochs 1 --out o")
            .unwrap();
        assert_eq!(
            config(&a).unwrap().coupled,
            ucg_train::vae::CoupledConfig::default()
        );
        // C-ISIR-DISIR: β = 0 unless asked (the ESS rule stays available).
        let line = "xtask train vae --estimator coupled-isir-disir --latent 5 --epochs 1 --out o";
        let c = config(&parse(line).unwrap()).unwrap();
        assert_eq!(c.coupled.beta, BetaPolicy::Fixed(0.0));
        let c = config(&parse(&format!("{line} --beta ess")).unwrap()).unwrap();
        assert_eq!(c.coupled.beta, BetaPolicy::Ess { initial: 0.9 });
        // --beta with an estimator without DISIR is refused, not ignored.
        for other in ["iwae", "elbo", "coupled-isir"] {
            let line = format!(
                "xtask train vae --estimator {other} --latent 5 --epochs 1 --out o --beta 0.5"
            );
            let err = config(&parse(&line).unwrap()).unwrap_err().to_string();
            assert!(err.contains("coupled-isir-disir only"), "{err}");
        }
        for bad in ["1.0", "-0.1", "nan", "adaptive"] {
            let line = format!(
                "xtask train vae --estimator coupled-isir --latent 5 --epochs 1 --out o --beta {bad}"
            );
            assert!(parse(&line).is_err(), "{bad}");
        }
        let zero = parse("xtask train vae --estimator iwae --latent 0 --epochs 1 --out o").unwrap();
        assert!(config(&zero).unwrap().validate().is_err());
    }
}
