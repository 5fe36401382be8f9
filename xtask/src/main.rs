//! `cargo xtask`: project tasks — reproduce the paper's experiments, train models, merge shards of a run,
//! fetch data.
//!
//! Every command prints one clear line and exits with status 1 when it fails (bad flags are reported by
//! clap with status 2).

use clap::Parser;
use ucg_experiments::progress::Ui;
use xtask::cli::{self, Cli, Command, EvalModel, Experiment, TrainModel};
use xtask::{AnyResult, data, eval, ppca, train, vae};

fn main() {
    let cli = Cli::parse();
    if let Err(e) = run(cli) {
        let line = e.to_string().replace('\n', " ");
        eprintln!("error: {line}");
        std::process::exit(1);
    }
}

/// The command line as typed, for reports (`cargo xtask …`).
fn command_line() -> String {
    let args: Vec<String> = std::env::args().skip(1).collect();
    format!("cargo xtask {}", args.join(" "))
}

fn run(cli: Cli) -> AnyResult<()> {
    match cli.command {
        Command::Data { which } => data::data_command(&which),
        Command::Reproduce { experiment } => match experiment {
            Experiment::Ppca(args) => ppca::reproduce(&args, &command_line(), &Ui::terminal()),
            Experiment::Vae(args) => vae::reproduce(&args, &command_line(), &Ui::terminal()),
            Experiment::VaeEfficiency(args) => {
                vae::efficiency(&args, &command_line(), &Ui::terminal())
            }
            Experiment::VaeGradients(args) => {
                vae::gradients(&args, &command_line(), &Ui::terminal())
            }
        },
        Command::Train { model } => match model {
            TrainModel::Vae(args) => {
                cli::set_threads(args.threads)?;
                train::train_vae(&args, &command_line(), &Ui::terminal())
            }
        },
        Command::Eval { model } => match model {
            EvalModel::Vae(args) => {
                cli::set_threads(args.threads)?;
                eval::eval_vae(&args, &Ui::terminal())
            }
        },
        Command::Merge(args) => {
            let vae_folders = args
                .shards
                .first()
                .is_some_and(|d| ucg_experiments::vae::merge::is_vae_folder(d));
            if vae_folders {
                vae::merge(&args, &command_line(), &Ui::terminal())
            } else {
                ppca::merge(&args, &command_line(), &Ui::terminal())
            }
        }
    }
}
