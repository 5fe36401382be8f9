//! A whole training run in an output folder: fresh or resumed from its checkpoint, a checkpoint and the
//! per-epoch CSV after every epoch, the final parameters at the end.
//!
//! Files in the output folder:
//! - `checkpoint.bin`: see [`super::checkpoint`];
//! - `metrics.csv`: one line per epoch ([`EpochRecord::CSV_HEADER`]), rewritten atomically from the
//!   checkpoint's records, so it always matches the checkpoint;
//! - `steps.csv`: one line per SGD step ([`super::StepRecord::CSV_HEADER`]) and `meetings.csv`: the coupled
//!   pairs' meeting times per epoch ([`super::steps::MEETINGS_CSV_HEADER`]), both rewritten atomically from
//!   the checkpoint's records like `metrics.csv`;
//! - `model.bin`: the parameters after the last epoch (`ucg_models::vae::file`).
//!
//! The folder is a claimed [`RunFolder`] ([`claim_folder`] for a run of its own, or a subfolder of a
//! study's): one writer at a time, and only files the run wrote are ever replaced. A fresh run refuses a
//! folder that already holds a run's files, finished or not; a finished run whose checkpoint was deleted
//! is therefore never overwritten.

use std::path::{Path, PathBuf};

use ucg_files::RunFolder;

use super::checkpoint;
use super::config::TrainConfig;
use super::data::VaeData;
use super::steps::{meetings_csv, steps_csv};
use super::trainer::{EpochRecord, Trainer};
use crate::{Result, TrainError};

/// File names inside the output folder.
pub const CHECKPOINT_FILE: &str = "checkpoint.bin";
/// The per-epoch CSV.
pub const METRICS_FILE: &str = "metrics.csv";
/// The per-step CSV.
pub const STEPS_FILE: &str = "steps.csv";
/// The per-epoch meeting-time counts.
pub const MEETINGS_FILE: &str = "meetings.csv";
/// The final parameters.
pub const MODEL_FILE: &str = "model.bin";

/// Progress of a run, for a progress bar.
#[derive(Clone, Debug)]
pub enum RunEvent<'a> {
    /// An epoch starts (`epoch` is 1-based) with `steps` steps.
    EpochStart {
        /// The epoch.
        epoch: usize,
        /// Total epochs of the run.
        epochs: usize,
        /// Steps in this epoch.
        steps: usize,
    },
    /// A step finished.
    Step {
        /// 1-based step within the epoch.
        step: usize,
        /// The step's record (its coupled chains, capped ones).
        record: &'a super::StepRecord,
    },
    /// An epoch finished and was checkpointed.
    EpochEnd(&'a EpochRecord),
}

/// The CSV text of `records`.
pub fn metrics_csv(records: &[EpochRecord]) -> String {
    super::steps::csv_text(
        EpochRecord::CSV_HEADER,
        records.iter().map(EpochRecord::csv_line),
    )
}

/// The kind of run [`claim_folder`] records in its folder.
pub const RUN_KIND: &str = "VAE training run";

/// The files a run writes, in the order a user would look for them.
pub const RUN_FILES: [&str; 5] = [
    CHECKPOINT_FILE,
    METRICS_FILE,
    STEPS_FILE,
    MEETINGS_FILE,
    MODEL_FILE,
];

/// Claims `out` for a training run of its own (`cargo xtask train vae`): a new or empty folder, or one a
/// training run wrote, also an earlier version's (recognised by its `metrics.csv` beside its checkpoint
/// or final parameters).
/// `holder` (the command line) names this process to a second one.
///
/// # Errors
/// `out` is a file, a folder of other files or another kind of run, or in use by another process.
pub fn claim_folder(out: &Path, holder: &str) -> Result<RunFolder> {
    RunFolder::claim_or_adopt(out, RUN_KIND, holder, |root| {
        let earlier_run = root.join(METRICS_FILE).is_file()
            && [CHECKPOINT_FILE, MODEL_FILE]
                .iter()
                .any(|f| root.join(f).is_file());
        earlier_run.then(|| RUN_FILES.iter().map(PathBuf::from).collect())
    })
    .map_err(TrainError::of_folder(out))
}

fn write(out: &RunFolder, name: &str, bytes: &[u8]) -> Result<()> {
    let dir = out.dir();
    let path = out.file(name).map_err(TrainError::of_folder(&dir))?;
    ucg_files::write_atomic(&path, bytes).map_err(TrainError::of_folder(&dir))
}

/// Trains `config.epochs` epochs (in total, counting those of a resumed checkpoint) on `data`, in `out`.
///
/// With `resume`, continues from `out/checkpoint.bin` (which must exist and match the settings); without,
/// refuses an `out` that already holds any of a run's files ([`RUN_FILES`]).
///
/// # Errors
/// A run's files present without `resume`, a checkpoint missing or unusable with it; training and file
/// failures.
pub fn run(
    config: TrainConfig,
    data: &VaeData,
    out: &RunFolder,
    resume: bool,
    progress: &mut dyn FnMut(RunEvent<'_>),
) -> Result<Trainer> {
    config.validate()?;
    let ckpt: PathBuf = out.path(CHECKPOINT_FILE);
    let mut trainer = if resume {
        if !ckpt.is_file() {
            return Err(TrainError::UnusableFile {
                path: ckpt.display().to_string(),
                reason: "no checkpoint to resume".into(),
            });
        }
        let mut t = checkpoint::load(&ckpt, config.clone(), data.dim())?;
        t.set_epochs(config.epochs);
        t
    } else {
        if ckpt.exists() {
            return Err(TrainError::UnusableFile {
                path: ckpt.display().to_string(),
                reason: "a run already exists here; pass --resume to continue it or choose another output folder".into(),
            });
        }
        if let Some(found) = RUN_FILES.iter().find(|f| out.path(f).exists()) {
            return Err(TrainError::Folder {
                path: out.dir().display().to_string(),
                reason: format!(
                    "holds {found} of a finished run but no {CHECKPOINT_FILE} to resume; nothing was \
                     changed: choose another output folder"
                ),
            });
        }
        Trainer::new(config.clone(), data.dim())?
    };
    while trainer.epoch() < trainer.config().epochs {
        let whole = if data.len() >= config.batch {
            data.len() / config.batch
        } else {
            1
        };
        let steps = config.steps_per_epoch.map_or(whole, |n| n.min(whole));
        progress(RunEvent::EpochStart {
            epoch: trainer.epoch() + 1,
            epochs: trainer.config().epochs,
            steps,
        });
        let record = trainer.train_epoch(data, &mut |step, record| {
            progress(RunEvent::Step { step, record })
        })?;
        let ckpt = out
            .file(CHECKPOINT_FILE)
            .map_err(TrainError::of_folder(&out.dir()))?;
        checkpoint::save(&trainer, &ckpt)?;
        write(out, METRICS_FILE, metrics_csv(trainer.records()).as_bytes())?;
        write(
            out,
            STEPS_FILE,
            steps_csv(trainer.step_records()).as_bytes(),
        )?;
        write(
            out,
            MEETINGS_FILE,
            meetings_csv(trainer.meeting_counts()).as_bytes(),
        )?;
        progress(RunEvent::EpochEnd(&record));
    }
    write(
        out,
        MODEL_FILE,
        &ucg_models::vae::file::to_bytes(trainer.model()),
    )?;
    Ok(trainer)
}
