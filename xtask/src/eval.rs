//! `cargo xtask eval vae`: turns the command line into an evaluation method and runs
//! `ucg_train::vae::evaluate_vae` with a progress bar. The evaluation logic lives in `ucg_train::eval`.

use crate::AnyResult;
use crate::cli::{EvalMethodArg, EvalVaeArgs};
use ucg_experiments::progress::Ui;
use ucg_train::eval::{AisSettings, IwaeSettings, Progress, SigmoidSchedule};
use ucg_train::vae::{EvalMethod, evaluate_vae};

/// The evaluation method from the command line (validated by the settings' constructors).
///
/// # Errors
/// A zero or otherwise invalid count.
pub fn method(args: &EvalVaeArgs) -> AnyResult<EvalMethod> {
    let count = |v: u64| usize::try_from(v).map_err(|_| format!("{v} is too large"));
    Ok(match args.method {
        EvalMethodArg::Iwae => EvalMethod::Iwae(IwaeSettings::new(count(args.k)?)?),
        EvalMethodArg::Ais => EvalMethod::Ais(
            AisSettings::paper()
                .with_chains(count(args.chains)?)?
                .with_schedule(SigmoidSchedule::new(count(args.steps)?, 4.0)?)
                .with_leapfrog_steps(count(args.leapfrog)?)?,
        ),
    })
}

/// Runs `eval vae` and prints the mean test log-likelihood with its standard error over points.
///
/// # Errors
/// Invalid settings, a missing or unusable parameter file, MNIST unavailable: one line each.
pub fn eval_vae(args: &EvalVaeArgs, ui: &Ui) -> AnyResult<()> {
    let method = method(args)?;
    let points = match (args.points, args.method) {
        (Some(m), _) => usize::try_from(m).map_err(|_| format!("{m} is too large"))?,
        (None, EvalMethodArg::Iwae) => 10_000,
        (None, EvalMethodArg::Ais) => 100,
    };
    let bar = ui.bar(0, format!("{} on {points} test images", method.label()));
    let hook = |p: Progress| {
        bar.set_length(p.total);
        bar.set_position(p.done);
    };
    let estimates = evaluate_vae(
        &args.checkpoint,
        &method,
        points,
        args.binarize_seed,
        args.seed,
        Some(&hook),
    )?;
    bar.finish_and_clear();
    let se = estimates
        .standard_error()
        .map_or_else(|| "–".to_owned(), |s| format!("{s:.3}"));
    ui.note(format!(
        "{}: mean test log-likelihood {:.3} ± {se} nats (s.e. over {} points) for {}",
        method.label(),
        estimates.mean(),
        estimates.values().len(),
        args.checkpoint.display()
    ));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn args(extra: &[&str]) -> EvalVaeArgs {
        let all = ["xtask", "eval", "vae", "--checkpoint", "m.bin"]
            .iter()
            .chain(extra);
        match crate::cli::Cli::parse_from(all).command {
            crate::cli::Command::Eval {
                model: crate::cli::EvalModel::Vae(a),
            } => a,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn zero_counts_are_refused_before_any_work() {
        assert!(method(&args(&["--method", "iwae", "--k", "0"])).is_err());
        assert!(method(&args(&["--method", "ais", "--chains", "0"])).is_err());
        assert!(method(&args(&["--method", "ais", "--steps", "0"])).is_err());
        assert_eq!(
            method(&args(&["--method", "iwae", "--k", "50"]))
                .unwrap()
                .label(),
            "iwae-50"
        );
    }

    #[test]
    fn a_missing_parameter_file_is_one_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("model.bin");
        let mut a = args(&["--method", "iwae", "--k", "10", "--points", "2"]);
        a.checkpoint = missing;
        let err = eval_vae(&a, &Ui::quiet()).unwrap_err().to_string();
        assert!(err.contains("model.bin"), "{err}");
    }
}
