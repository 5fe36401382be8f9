//! Training the MLP VAE on binary images with a pluggable θ-gradient estimator.
//!
//! - [`coupled`]: the unbiased θ-gradient by coupled chains ([`CoupledTheta`]: C-ISIR-DISIR, C-ISIR).
//! - [`estimator`]: the [`ThetaEstimator`] trait, with the biased baselines [`Elbo`] and [`Iwae`]; the
//!   encoder is always trained on the IWAE bound with DReG gradients, from the same particles.
//! - [`config`]: the settings ([`TrainConfig::paper`]: `K = 10`, batch 100, RMSProp `5e−4` with PyTorch's
//!   defaults, static binarisation).
//! - [`data`]: training and test images ([`load_mnist`]).
//! - [`trainer`]: the step and the epoch ([`Trainer`]); [`checkpoint`]: atomic, checksummed checkpoints;
//!   [`run`](mod@run): a run in an output folder with `--resume`, CSV and final parameters.
//! - [`steps`]: the per-step log (`steps.csv`) and per-epoch meeting-time counts (`meetings.csv`);
//!   [`init`]: starting from another run's parameters ([`InitialParameters`]).
//! - [`npz`]: import of the outside JAX peer's `.npz` parameters.
//! - [`gradient_study`]: the estimators' θ-gradients on one model and minibatch: IWAE's bias against the
//!   coupled estimator's variance, and the break-even number of steps.
//! - [`sumo`](mod@sumo): SUMO's unbiased θ-gradient ([`SumoTheta`]), the Russian-roulette alternative.
//! - [`theta_gradient`]: every θ-estimator as one value ([`theta_gradient::ThetaGradient`]) and their
//!   comparison with a reference gradient (bias², variance, cost, break-even steps).
//! - [`pilot`]: C-ISIR-DISIR's β chosen by a short pilot of measured variance × cost.
//!
//! # Example
//! ```
//! use ucg_train::vae::{EstimatorKind, TrainConfig, Trainer, VaeData};
//!
//! // 40 binary 8-pixel images, a tiny model, two epochs.
//! let train: Vec<u8> = (0..40 * 8).map(|i| ((i * 7) % 3 == 0) as u8).collect();
//! let data = VaeData::binary(train, 8, vec![1.0; 8 * 4])?;
//! let mut config = TrainConfig::paper(EstimatorKind::Iwae, 2, 2);
//! (config.hidden, config.batch) = (6, 10);
//! let mut trainer = Trainer::new(config, 8)?;
//! for _ in 0..2 {
//!     let record = trainer.train_epoch(&data, &mut |_, _| {})?;
//!     assert!(record.train_bound.is_finite() && record.test_bound.is_finite());
//! }
//! # Ok::<(), ucg_train::TrainError>(())
//! ```

pub mod checkpoint;
pub mod config;
pub mod coupled;
pub mod coupled_efficiency;
pub mod data;
pub mod estimator;
pub mod evaluate;
pub mod gradient_study;
pub mod init;
pub mod npz;
pub mod pilot;
pub mod run;
pub mod steps;
pub mod sumo;
pub mod theta_gradient;
pub mod trainer;

pub use config::{Binarization, EstimatorKind, OptimizerKind, TrainConfig};
pub use coupled::{BetaPolicy, CoupledConfig, CoupledKernelKind, CoupledTheta};
pub use data::{VaeData, load_mnist};
pub use estimator::{ChainDiagnostics, Elbo, Iwae, ThetaContext, ThetaEstimator};
pub use evaluate::{EvalMethod, MNIST_PIXELS, evaluate_vae};
pub use init::InitialParameters;
pub use run::{RunEvent, run};
pub use steps::{StepChains, StepRecord};
pub use sumo::SumoTheta;
pub use trainer::{EpochRecord, StepStats, Trainer};
