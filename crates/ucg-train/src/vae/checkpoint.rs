//! Checkpoints of a training run: written atomically (temporary file, fsync, rename) after every epoch,
//! and refused with a typed error when truncated, corrupted, of another version or of other settings.
//!
//! Layout (little-endian): the magic `UCG-VAE-TRAIN\n`, a format version (`u32`), then length-prefixed
//! sections — the run's identifying settings ([`TrainConfig::identity`]), the epochs completed, the model's
//! parameter file (`ucg_models::vae::file`, itself versioned and checksummed), the θ and φ optimisers'
//! states, the per-epoch records, the per-step records ([`StepRecord`]), the per-epoch meeting-time counts
//! ([`MeetingCounts`]) — and an FNV-1a 64 checksum of everything before it. The random-number state is the
//! (seed, epoch) pair (see [`super::trainer`]), so it needs no bytes of its own.
//!
//! Version 2 added the per-step records and the meeting-time counts; a version-1 file is refused with a
//! message saying so (its run must be retrained, or finished with the program that wrote it). The training
//! subset joined the identity later, at its end: a version-2 checkpoint without it trained on the whole
//! set and resumes as such. A checkpoint of other settings is refused naming the first setting that
//! differs ([`TrainConfig::identity_difference`]). The per-step records of steps written before `steps.csv`
//! took τ over the pairs that met keep the values they were written with (over all pairs, capped ones at
//! the cap); they differ only for steps with capped pairs.

use std::path::Path;

use super::config::TrainConfig;
use super::coupled::CoupledConfig;
use super::estimator::ChainDiagnostics;
use super::steps::StepRecord;
use super::trainer::{EpochRecord, Trainer};
use crate::optim::OptimizerState;
use crate::{Result, TrainError};
use ucg_estimators::meeting_counts::MeetingCounts;
use ucg_models::vae::file as vae_file;
use ucg_models::vae::{Vae, VaeShape};

const MAGIC: &[u8; 14] = b"UCG-VAE-TRAIN\n";
/// The checkpoint format version written and read.
pub const CHECKPOINT_VERSION: u32 = 2;

fn put_u64(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    put_u64(out, b.len() as u64);
    out.extend_from_slice(b);
}

fn put_f64s(out: &mut Vec<u8>, v: &[f64]) {
    put_u64(out, v.len() as u64);
    for x in v {
        out.extend_from_slice(&x.to_bits().to_le_bytes());
    }
}

fn put_state(out: &mut Vec<u8>, s: &OptimizerState) {
    put_u64(out, s.steps);
    put_u64(out, s.buffers.len() as u64);
    for b in &s.buffers {
        put_f64s(out, b);
    }
}

/// The checkpoint's bytes.
pub fn to_bytes(trainer: &Trainer) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&CHECKPOINT_VERSION.to_le_bytes());
    put_bytes(&mut out, &trainer.config.identity());
    put_u64(&mut out, trainer.epoch as u64);
    put_bytes(&mut out, &vae_file::to_bytes(&trainer.model));
    put_state(&mut out, &trainer.opt_theta.state());
    put_state(&mut out, &trainer.opt_phi.state());
    put_u64(&mut out, trainer.records.len() as u64);
    for r in &trainer.records {
        put_u64(&mut out, r.epoch as u64);
        let mut values = vec![r.train_bound, r.test_bound, r.seconds, r.mean_ess];
        if let Some(c) = &r.chains {
            values.extend(c.values());
        }
        put_f64s(&mut out, &values);
    }
    put_u64(&mut out, trainer.steps.len() as u64);
    for r in &trainer.steps {
        put_f64s(&mut out, &r.values());
    }
    put_u64(&mut out, trainer.meetings.len() as u64);
    for m in &trainer.meetings {
        put_u64(&mut out, m.capped);
        put_u64(&mut out, m.counts.len() as u64);
        for (&tau, &count) in &m.counts {
            put_u64(&mut out, tau as u64);
            put_u64(&mut out, count);
        }
    }
    let sum = vae_file::fnv1a64(&out);
    out.extend_from_slice(&sum.to_le_bytes());
    out
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
    what: &'a str,
}

impl<'a> Reader<'a> {
    fn bad(&self, reason: impl Into<String>) -> TrainError {
        TrainError::UnusableFile {
            path: self.what.to_string(),
            reason: format!("not a usable checkpoint: {}", reason.into()),
        }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        match self.at.checked_add(n).filter(|&e| e <= self.bytes.len()) {
            Some(e) => {
                let s = &self.bytes[self.at..e];
                self.at = e;
                Ok(s)
            }
            None => Err(self.bad("truncated")),
        }
    }

    fn u64(&mut self) -> Result<u64> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }

    fn len(&mut self, item: usize) -> Result<usize> {
        let n = self.u64()?;
        let remaining = (self.bytes.len() - self.at) as u64;
        if n.checked_mul(item as u64)
            .is_none_or(|total| total > remaining)
        {
            return Err(self.bad("a length runs past the end of the file"));
        }
        Ok(n as usize)
    }

    fn bytes(&mut self) -> Result<&'a [u8]> {
        let n = self.len(1)?;
        self.take(n)
    }

    fn f64s(&mut self) -> Result<Vec<f64>> {
        let n = self.len(8)?;
        (0..n).map(|_| self.u64().map(f64::from_bits)).collect()
    }

    fn state(&mut self) -> Result<OptimizerState> {
        let steps = self.u64()?;
        let nb = self.len(8)?;
        let buffers = (0..nb).map(|_| self.f64s()).collect::<Result<_>>()?;
        Ok(OptimizerState { steps, buffers })
    }
}

/// Whether `bytes` start like a training checkpoint (rather than a parameter file).
pub fn is_checkpoint(bytes: &[u8]) -> bool {
    bytes.starts_with(MAGIC)
}

/// Checks the magic bytes, the version and the checksum; returns a reader of the body after the version.
fn open<'a>(bytes: &'a [u8], what: &'a str) -> Result<Reader<'a>> {
    let mut r = Reader { bytes, at: 0, what };
    if r.take(MAGIC.len())? != MAGIC {
        return Err(r.bad("wrong magic bytes"));
    }
    // The checksum first: a damaged version field reads as damage, not as another version.
    if bytes.len() < r.at + 4 + 8 {
        return Err(r.bad("truncated"));
    }
    let (body, tail) = bytes.split_at(bytes.len() - 8);
    let mut t = [0u8; 8];
    t.copy_from_slice(tail);
    if vae_file::fnv1a64(body) != u64::from_le_bytes(t) {
        return Err(r.bad("checksum mismatch (truncated or corrupted)"));
    }
    let mut v = [0u8; 4];
    v.copy_from_slice(r.take(4)?);
    let version = u32::from_le_bytes(v);
    if version != CHECKPOINT_VERSION {
        return Err(r.bad(format!(
            "format version {version}, this program reads version {CHECKPOINT_VERSION} only (version 2 \
             added the per-step log; retrain the run, or finish it with the program that wrote it)"
        )));
    }
    r.bytes = body;
    Ok(r)
}

/// The parameters and the θ and φ optimisers' states of a checkpoint, whatever its settings (a run
/// continued from it with other settings: see [`super::InitialParameters`]).
///
/// # Errors
/// A damaged checkpoint, or parameters of another shape than `shape`.
pub fn parameters_from_bytes(
    bytes: &[u8],
    what: &str,
    shape: VaeShape,
) -> Result<(Vae<f32>, OptimizerState, OptimizerState)> {
    let mut r = open(bytes, what)?;
    r.bytes()?;
    r.u64()?;
    let model = vae_file::from_bytes_expecting(r.bytes()?, what, shape)?;
    let theta = r.state()?;
    let phi = r.state()?;
    Ok((model, theta, phi))
}

/// `config` with the earlier default gradient chunk, if it has the current default (the only chunk change
/// a resumed run is allowed).
fn earlier_default_chunk(config: &TrainConfig) -> Option<TrainConfig> {
    (config.coupled.chunk == CoupledConfig::default().chunk).then(|| {
        let mut earlier = config.clone();
        earlier.coupled.chunk = CoupledConfig::EARLIER_DEFAULT_CHUNK;
        earlier
    })
}

/// Restores a run from checkpoint bytes; `config` must carry the same identifying settings (its
/// `epochs` may differ: the run is then trained to the new count). `what` names the source in errors.
///
/// One exception: a coupled run written with [`CoupledConfig::EARLIER_DEFAULT_CHUNK`], resumed with the
/// current default chunk, continues with the chunk it was written with (the chunk only groups the
/// gradient's backward passes; keeping it keeps the run's arithmetic what it was).
///
/// # Errors
/// [`TrainError::UnusableFile`] for a damaged checkpoint or one written under other settings (naming the first
/// setting that differs).
pub fn from_bytes(
    bytes: &[u8],
    what: &str,
    config: TrainConfig,
    data_dim: usize,
) -> Result<Trainer> {
    let mut r = open(bytes, what)?;
    let body_len = r.bytes.len();
    let stored = r.bytes()?;
    let earlier = earlier_default_chunk(&config);
    let config = if config.has_identity(stored) {
        config
    } else if let Some(earlier) = earlier.filter(|e| e.has_identity(stored)) {
        earlier
    } else {
        let file = Path::new(what)
            .file_name()
            .map_or_else(|| what.to_string(), |f| f.to_string_lossy().into_owned());
        let reason = match config.identity_difference(stored) {
            Some(d) => format!("{file} was {d}; resume it with the same settings"),
            None => format!("{file} was written with other settings"),
        };
        return Err(TrainError::UnusableFile {
            path: what.to_string(),
            reason,
        });
    };
    let epoch = r.u64()? as usize;
    let mut trainer = Trainer::without_initial_parameters(config, data_dim)?;
    let shape = trainer.model.shape();
    trainer.model = vae_file::from_bytes_expecting(r.bytes()?, what, shape)?;
    trainer.opt_theta.set_state(r.state()?)?;
    trainer.opt_phi.set_state(r.state()?)?;
    let n = r.len(8)?;
    for _ in 0..n {
        let e = r.u64()? as usize;
        let v = r.f64s()?;
        let chains = match v.len() {
            4 => None,
            10 => {
                let mut c = [0.0; 6];
                c.copy_from_slice(&v[4..]);
                Some(ChainDiagnostics::from_values(c))
            }
            _ => return Err(r.bad("malformed epoch record")),
        };
        trainer.records.push(EpochRecord {
            epoch: e,
            train_bound: v[0],
            test_bound: v[1],
            seconds: v[2],
            mean_ess: v[3],
            chains,
        });
    }
    let steps = r.len(8)?;
    for _ in 0..steps {
        let v = r.f64s()?;
        let values: [f64; 10] = v.try_into().map_err(|_| r.bad("malformed step record"))?;
        trainer.steps.push(StepRecord::from_values(values));
    }
    let epochs_counted = r.len(16)?;
    for _ in 0..epochs_counted {
        let mut m = MeetingCounts {
            capped: r.u64()?,
            ..MeetingCounts::default()
        };
        let n = r.len(16)?;
        for _ in 0..n {
            let tau = r.u64()? as usize;
            let count = r.u64()?;
            m.counts.insert(tau, count);
        }
        trainer.meetings.push(m);
    }
    if r.at != body_len || trainer.records.len() != epoch || trainer.meetings.len() != epoch {
        return Err(r.bad("inconsistent contents"));
    }
    if let Some(c) = trainer.records.last().and_then(|r| r.chains) {
        trainer.estimator.resume(&c)?;
    }
    trainer.epoch = epoch;
    Ok(trainer)
}

/// Writes the checkpoint to `path` atomically.
///
/// # Errors
/// Input/output failures.
pub fn save(trainer: &Trainer, path: &Path) -> Result<()> {
    let folder = path.parent().unwrap_or(Path::new("."));
    ucg_files::write_atomic(path, &to_bytes(trainer)).map_err(TrainError::of_folder(folder))
}

/// Reads the checkpoint at `path` (see [`from_bytes`]).
///
/// # Errors
/// An unreadable file and those of [`from_bytes`].
pub fn load(path: &Path, config: TrainConfig, data_dim: usize) -> Result<Trainer> {
    let what = path.display().to_string();
    let bytes = std::fs::read(path).map_err(TrainError::io(path))?;
    from_bytes(&bytes, &what, config, data_dim)
}
