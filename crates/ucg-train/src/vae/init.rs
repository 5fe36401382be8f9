//! Starting a run from parameters trained elsewhere: another run's `model.bin` (parameters only, fresh
//! optimisers) or its `checkpoint.bin` (parameters and both optimisers' states, so RMSProp's running
//! averages carry over), identified by the file's checksum so that a resumed continuation is checked
//! against the very file it started from.
//!
//! # Example
//! ```
//! use ucg_train::vae::{EstimatorKind, InitialParameters, TrainConfig, Trainer};
//! use ucg_models::vae::{Vae, VaeShape};
//!
//! let dir = tempfile::tempdir().unwrap();
//! let path = dir.path().join("model.bin");
//! let pretrained: Vae<f32> = Vae::new(VaeShape::new(8, 6, 2)?, 7);
//! std::fs::write(&path, ucg_models::vae::file::to_bytes(&pretrained)).unwrap();
//! let mut config = TrainConfig::paper(EstimatorKind::Elbo, 2, 1);
//! config.hidden = 6;
//! config.init = Some(InitialParameters::of_file(&path)?);
//! let trainer = Trainer::new(config, 8)?;
//! assert_eq!(trainer.model().decoder_params(), pretrained.decoder_params());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::path::{Path, PathBuf};

use super::checkpoint;
use crate::optim::OptimizerState;
use crate::{Result, TrainError};
use ucg_models::vae::file as vae_file;
use ucg_models::vae::{Vae, VaeShape};

/// The file a run's parameters start from, and its FNV-1a 64 checksum (part of the run's identity).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InitialParameters {
    /// A parameter file (`model.bin`) or a training checkpoint (`checkpoint.bin`).
    pub path: PathBuf,
    /// The checksum of the whole file.
    pub checksum: u64,
}

/// What an initial-parameter file holds.
pub(crate) struct Initial {
    /// The parameters.
    pub model: Vae<f32>,
    /// The θ and φ optimisers' states (a checkpoint), or `None` (a parameter file).
    pub optimizers: Option<(OptimizerState, OptimizerState)>,
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(TrainError::io(path))
}

impl InitialParameters {
    /// The file at `path` with its current checksum.
    ///
    /// # Errors
    /// An unreadable file.
    pub fn of_file(path: &Path) -> Result<Self> {
        Ok(InitialParameters {
            path: path.to_path_buf(),
            checksum: vae_file::fnv1a64(&read(path)?),
        })
    }

    /// The parameters alone (the optimisers' states of a checkpoint are left out), checked as
    /// [`InitialParameters::load`] checks them: to measure the model a run will start from.
    ///
    /// # Errors
    /// As for the run itself: an unreadable or changed file, a damaged file, another shape.
    pub fn load_model(&self, shape: VaeShape) -> Result<Vae<f32>> {
        Ok(self.load(shape)?.model)
    }

    /// Reads the file, checks its checksum and its shape, and returns what it holds.
    ///
    /// # Errors
    /// An unreadable file, another checksum (the file changed since the run started), a damaged file or
    /// parameters of another shape.
    pub(crate) fn load(&self, shape: VaeShape) -> Result<Initial> {
        let bytes = read(&self.path)?;
        let what = self.path.display().to_string();
        let sum = vae_file::fnv1a64(&bytes);
        if sum != self.checksum {
            return Err(TrainError::UnusableFile {
                path: what,
                reason: format!(
                    "the initial parameters changed: checksum {sum:016x}, the run started from {:016x}",
                    self.checksum
                ),
            });
        }
        if checkpoint::is_checkpoint(&bytes) {
            let (model, theta, phi) = checkpoint::parameters_from_bytes(&bytes, &what, shape)?;
            Ok(Initial {
                model,
                optimizers: Some((theta, phi)),
            })
        } else {
            Ok(Initial {
                model: vae_file::from_bytes_expecting(&bytes, &what, shape)?,
                optimizers: None,
            })
        }
    }
}
