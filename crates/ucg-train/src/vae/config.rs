//! Settings of a VAE training run.

use super::coupled::{CoupledConfig, CoupledKernelKind};
use crate::{Result, TrainError};

pub use ucg_estimators::EstimatorKind;

/// The estimator's byte in a run's identity ([`TrainConfig::identity`]): fixed when checkpoints were
/// first written, so that it never follows the order of [`EstimatorKind`]'s variants.
const IDENTITY_TAGS: [EstimatorKind; 5] = [
    EstimatorKind::Elbo,
    EstimatorKind::Iwae,
    EstimatorKind::CoupledIsirDisir,
    EstimatorKind::CoupledIsir,
    EstimatorKind::Sumo,
];

/// The position of `estimator` in [`IDENTITY_TAGS`] (an exhaustive match, so that a new estimator
/// must be given its byte).
fn identity_tag(estimator: EstimatorKind) -> u8 {
    match estimator {
        EstimatorKind::Elbo => 0,
        EstimatorKind::Iwae => 1,
        EstimatorKind::CoupledIsirDisir => 2,
        EstimatorKind::CoupledIsir => 3,
        EstimatorKind::Sumo => 4,
    }
}

/// The optimiser (one instance for θ, one for φ).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OptimizerKind {
    /// RMSProp with PyTorch's defaults (`α = 0.99`, `ε = 1e−8`), the paper's choice.
    RmsProp,
    /// Adam (`β = (0.9, 0.999)`, `ε = 1e−8`).
    Adam,
}

/// How grey-level images become binary ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Binarization {
    /// One fixed Bernoulli draw per pixel for the whole run (`ucg_data::binarize_static_cached` with
    /// this seed).
    Static {
        /// The binarisation's seed.
        seed: u64,
    },
    /// A fresh draw per pixel every time an image is used.
    Dynamic,
}

/// The static binarisation's default seed.
pub const DEFAULT_BINARIZATION_SEED: u64 = 1;

/// Settings of a run. Everything but `epochs` identifies the run: a checkpoint resumes only under the
/// same settings (and may then be trained for more epochs).
#[derive(Clone, Debug, PartialEq)]
pub struct TrainConfig {
    /// θ's estimator.
    pub estimator: EstimatorKind,
    /// Latent dimension `D`.
    pub latent: usize,
    /// Hidden width `H` (200 in the paper).
    pub hidden: usize,
    /// Particles per point `K`.
    pub k: usize,
    /// Minibatch size `B`.
    pub batch: usize,
    /// Total number of epochs.
    pub epochs: usize,
    /// Learning rate of both optimisers.
    pub learning_rate: f64,
    /// The optimiser.
    pub optimizer: OptimizerKind,
    /// Binarisation of the training images.
    pub binarization: Binarization,
    /// Master seed: initial parameters, minibatch order, noise.
    pub seed: u64,
    /// Number of test images (the first ones) on which the test bound is reported every epoch.
    pub test_points: usize,
    /// Settings of the coupled estimators (unused by the others).
    pub coupled: CoupledConfig,
    /// At most this many SGD steps per epoch (the first ones of the epoch's shuffled order); `None` for
    /// whole epochs. A continuation run too costly for whole epochs uses it: its "epochs" are then
    /// fractions of one, and say so.
    pub steps_per_epoch: Option<usize>,
    /// Start from these parameters (another run's `model.bin` or `checkpoint.bin`) rather than a random
    /// initialisation; the file's checksum is part of the run's identity.
    pub init: Option<super::InitialParameters>,
    /// Train on the first `n` training images only; `None` for the whole training set. Part of the
    /// run's identity: a run resumed on another subset would continue on another training set.
    pub train_subset: Option<usize>,
}

impl TrainConfig {
    /// The paper's settings for `estimator` and latent dimension `latent`: `H = 200`, `K = 10`, batch 100,
    /// RMSProp with learning rate `5e−4`, static binarisation (seed [`DEFAULT_BINARIZATION_SEED`]),
    /// test bound on the first 1,000 test images; `epochs` epochs, seed 2021.
    pub fn paper(estimator: EstimatorKind, latent: usize, epochs: usize) -> Self {
        TrainConfig {
            estimator,
            latent,
            hidden: 200,
            k: 10,
            batch: 100,
            epochs,
            learning_rate: 5e-4,
            optimizer: OptimizerKind::RmsProp,
            binarization: Binarization::Static {
                seed: DEFAULT_BINARIZATION_SEED,
            },
            seed: 2021,
            test_points: 1000,
            coupled: CoupledConfig::default(),
            steps_per_epoch: None,
            init: None,
            train_subset: None,
        }
    }

    /// The θ-estimator these settings describe.
    ///
    /// # Errors
    /// Invalid coupled settings.
    pub fn build_estimator(&self) -> Result<Box<dyn super::ThetaEstimator>> {
        Ok(
            match (self.estimator, CoupledKernelKind::of(self.estimator)) {
                (_, Some(kind)) => Box::new(super::CoupledTheta::new(kind, self.k, self.coupled)?),
                (EstimatorKind::Elbo, None) => Box::new(super::Elbo),
                (EstimatorKind::Sumo, None) => {
                    Box::new(super::SumoTheta::new(self.k, self.coupled.chunk)?)
                }
                (_, None) => Box::new(super::Iwae),
            },
        )
    }

    /// Checks the settings.
    ///
    /// # Errors
    /// A zero size, a non-positive or non-finite learning rate, invalid coupled settings (for a coupled
    /// estimator).
    pub fn validate(&self) -> Result<()> {
        if CoupledKernelKind::of(self.estimator).is_some() {
            self.coupled.validate(self.k)?;
        }
        for (name, v) in [
            ("latent", self.latent),
            ("hidden", self.hidden),
            ("K", self.k),
            ("batch", self.batch),
        ] {
            if v == 0 {
                return Err(TrainError::InvalidSetting {
                    name,
                    reason: "must be at least 1".into(),
                });
            }
        }
        if self.train_subset == Some(0) {
            return Err(TrainError::InvalidSetting {
                name: "training subset",
                reason: "must be at least 1 image".into(),
            });
        }
        if self.steps_per_epoch == Some(0) {
            return Err(TrainError::InvalidSetting {
                name: "steps per epoch",
                reason: "must be at least 1".into(),
            });
        }
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return Err(TrainError::InvalidSetting {
                name: "learning rate",
                reason: format!("{} is not a positive number", self.learning_rate),
            });
        }
        Ok(())
    }

    /// About the bytes a run on images of `data_dim` pixels holds: the parameters with their gradients
    /// and optimiser states, and one minibatch's `B·K` particles through the decoder (forward and
    /// backward). A bound to refuse settings that cannot fit, not an exact count.
    pub fn memory_bytes(&self, data_dim: usize) -> u128 {
        let (p, h, d) = (data_dim as u128, self.hidden as u128, self.latent as u128);
        let params =
            (p * h + h * h + h * 2 * d + 2 * d + 2 * h) + (d * h + h * h + h * p + p + 2 * h);
        let columns = self.batch as u128 * self.k as u128;
        32 * params + 8 * columns * (3 * d + 4 * h + 2 * p)
    }

    /// Refuses settings whose run would not fit in memory ([`crate::memory`]), naming the largest of
    /// the latent dimension, the hidden width, `K` and the batch.
    ///
    /// # Errors
    /// [`TrainError::InvalidSetting`] with the bytes needed.
    pub fn check_memory(&self, data_dim: usize) -> Result<()> {
        let bytes = self.memory_bytes(data_dim);
        let setting = [
            ("latent", self.latent),
            ("hidden", self.hidden),
            ("K", self.k),
            ("batch", self.batch),
        ]
        .into_iter()
        .max_by_key(|&(_, v)| v)
        .map_or("latent", |(name, _)| name);
        crate::memory::check(
            setting,
            &format!(
                "D = {}, hidden {}, K = {}, batch {} on {data_dim}-pixel images",
                self.latent, self.hidden, self.k, self.batch
            ),
            bytes,
        )
    }

    /// The settings that identify a run (all but `epochs`), as bytes for checkpoints.
    pub fn identity(&self) -> Vec<u8> {
        let mut out = Vec::new();
        out.push(identity_tag(self.estimator));
        for v in [
            self.latent,
            self.hidden,
            self.k,
            self.batch,
            self.test_points,
        ] {
            out.extend_from_slice(&(v as u64).to_le_bytes());
        }
        out.extend_from_slice(&self.learning_rate.to_bits().to_le_bytes());
        out.push(self.optimizer as u8);
        match self.binarization {
            Binarization::Static { seed } => {
                out.push(0);
                out.extend_from_slice(&seed.to_le_bytes());
            }
            Binarization::Dynamic => out.push(1),
        }
        out.extend_from_slice(&self.seed.to_le_bytes());
        if CoupledKernelKind::of(self.estimator).is_some() {
            out.extend(self.coupled.identity());
        }
        // Added with checkpoint version 2: a step limit and the initial parameters' checksum.
        match self.steps_per_epoch {
            Some(n) => {
                out.push(1);
                out.extend_from_slice(&(n as u64).to_le_bytes());
            }
            None => out.push(0),
        }
        match &self.init {
            Some(init) => {
                out.push(1);
                out.extend_from_slice(&init.checksum.to_le_bytes());
            }
            None => out.push(0),
        }
        // Added after checkpoint version 2 (a checkpoint without it trained on the whole set).
        match self.train_subset {
            Some(n) => {
                out.push(1);
                out.extend_from_slice(&(n as u64).to_le_bytes());
            }
            None => out.push(0),
        }
        out
    }

    /// Whether a checkpoint's stored identity is this run's: the same bytes, or those of an earlier
    /// version without the training subset when this run has none.
    pub fn has_identity(&self, stored: &[u8]) -> bool {
        let id = self.identity();
        stored == id.as_slice() || (self.train_subset.is_none() && stored == &id[..id.len() - 1])
    }

    /// The first setting in which a stored identity differs from this run's, as "trained with …, this
    /// command has …" (`None` when they agree or the stored bytes cannot be read).
    pub fn identity_difference(&self, stored: &[u8]) -> Option<String> {
        let theirs = describe_identity(stored)?;
        let ours = describe_identity(&self.identity())?;
        theirs
            .iter()
            .zip(&ours)
            .find(|(a, b)| a != b)
            .map(|(a, b)| format!("trained with {a}, this command has {b}"))
    }
}

/// A reader of identity bytes.
struct IdentityBytes<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl IdentityBytes<'_> {
    fn tag(&mut self) -> Option<u8> {
        let b = *self.bytes.get(self.at)?;
        self.at += 1;
        Some(b)
    }

    fn u64(&mut self) -> Option<u64> {
        let b = self.bytes.get(self.at..self.at + 8)?;
        self.at += 8;
        Some(u64::from_le_bytes(b.try_into().ok()?))
    }

    /// An optional setting (tag 0: none, 1: a `u64`); a checkpoint of an earlier version ends before its
    /// later settings, which then read as none.
    fn optional(&mut self, some: impl Fn(u64) -> String, none: &str) -> Option<String> {
        Some(match self.tag() {
            None | Some(0) => none.to_string(),
            Some(1) => some(self.u64()?),
            Some(_) => return None,
        })
    }
}

/// Reads an identity ([`TrainConfig::identity`]) back as one phrase per setting, in the command line's
/// terms (`--subset 1000`, `no --subset`); `None` for bytes that are not an identity.
fn describe_identity(bytes: &[u8]) -> Option<Vec<String>> {
    let mut r = IdentityBytes { bytes, at: 0 };
    let mut out = Vec::new();
    let estimator = r.tag()?;
    let kinds = IDENTITY_TAGS;
    out.push(format!(
        "--estimator {}",
        kinds.get(usize::from(estimator))?.name()
    ));
    for name in [
        "--latent",
        "hidden width",
        "--k",
        "--batch",
        "--test-points",
    ] {
        out.push(format!("{name} {}", r.u64()?));
    }
    out.push(format!("--lr {}", f64::from_bits(r.u64()?)));
    out.push(match r.tag()? {
        0 => "--optimizer rmsprop".to_string(),
        1 => "--optimizer adam".to_string(),
        _ => return None,
    });
    out.push(match r.tag()? {
        0 => format!("--binarization static --binarize-seed {}", r.u64()?),
        1 => "--binarization dynamic".to_string(),
        _ => return None,
    });
    out.push(format!("--seed {}", r.u64()?));
    if CoupledKernelKind::of(kinds[usize::from(estimator)]).is_some() {
        out.push(match r.tag()? {
            0 => format!("--beta {}", f64::from_bits(r.u64()?)),
            1 => format!("--beta ess (from {})", f64::from_bits(r.u64()?)),
            _ => return None,
        });
        for name in ["t0", "lag", "--cap", "gradient chunk"] {
            out.push(format!("{name} {}", r.u64()?));
        }
    }
    out.push(r.optional(|n| format!("{n} steps per epoch"), "whole epochs")?);
    out.push(r.optional(
        |c| format!("initial parameters of checksum {c:016x}"),
        "random initial parameters",
    )?);
    out.push(r.optional(|n| format!("--subset {n}"), "no --subset")?);
    (r.at == bytes.len()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_estimators_identity_byte_is_its_place_in_the_table() {
        for (i, e) in IDENTITY_TAGS.into_iter().enumerate() {
            assert_eq!(usize::from(identity_tag(e)), i);
        }
        // The bytes the first checkpoints were written with.
        assert_eq!(identity_tag(EstimatorKind::Iwae), 1);
        assert_eq!(identity_tag(EstimatorKind::CoupledIsirDisir), 2);
    }
}
