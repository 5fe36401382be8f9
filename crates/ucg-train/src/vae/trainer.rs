//! The training loop: minibatches, one IWAE-style forward pass shared by the θ-estimator and the
//! encoder's DReG gradient, two optimisers, per-epoch records.
//!
//! **Randomness.** Epoch `e` draws its minibatch order from `ucg_data::Minibatches` shuffled with the
//! master seed, and its noise (and dynamic binarisation) from the stream `ucg_data::rng::stream(seed ⊕
//! NOISE, e)`. The state of the random numbers at the end of an epoch is therefore the pair (seed, epoch):
//! a checkpoint stores the epoch and resuming draws exactly what an uninterrupted run would have drawn.
//! The test bound uses one fixed noise stream, so successive epochs are compared on common random numbers.

use super::config::{OptimizerKind, TrainConfig};
use super::data::VaeData;
use super::estimator::{
    ChainDiagnostics, ThetaContext, ThetaEstimator, effective_sample_size, normalise,
};
use super::steps::StepRecord;
use crate::optim::{Adam, Optimizer, OptimizerState, RmsProp};
use crate::{Result, TrainError};
use rand::RngExt;
use rand_distr::StandardNormal;
use rand_xoshiro::Xoshiro256PlusPlus;
use ucg_data::Minibatches;
use ucg_data::rng::stream;
use ucg_estimators::meeting_counts::MeetingCounts;
use ucg_models::vae::{Vae, VaeShape, VaeWorkspace};

/// Offsets that separate the training noise and the test noise streams from the master seed.
const NOISE: u64 = 0x9e37_79b9_7f4a_7c15;
const TEST_NOISE: u64 = 0xd1b5_4a32_d192_ed03;

/// One optimiser of either kind.
#[derive(Clone, Debug)]
pub(crate) enum AnyOptimizer {
    RmsProp(RmsProp),
    Adam(Adam),
}

impl AnyOptimizer {
    fn new(kind: OptimizerKind, learning_rate: f64) -> Self {
        match kind {
            OptimizerKind::RmsProp => AnyOptimizer::RmsProp(RmsProp::torch(learning_rate)),
            OptimizerKind::Adam => AnyOptimizer::Adam(Adam::new(learning_rate)),
        }
    }

    fn step(&mut self, params: &mut [f32], grad: &[f32]) -> Result<()> {
        match self {
            AnyOptimizer::RmsProp(o) => o.step(params, grad),
            AnyOptimizer::Adam(o) => o.step(params, grad),
        }
    }

    pub(crate) fn state(&self) -> OptimizerState {
        match self {
            AnyOptimizer::RmsProp(o) => o.state(),
            AnyOptimizer::Adam(o) => o.state(),
        }
    }

    pub(crate) fn set_state(&mut self, state: OptimizerState) -> Result<()> {
        match self {
            AnyOptimizer::RmsProp(o) => o.set_state(state),
            AnyOptimizer::Adam(o) => o.set_state(state),
        }
    }
}

/// What one epoch produced.
#[derive(Clone, Debug, PartialEq)]
pub struct EpochRecord {
    /// 1-based epoch number.
    pub epoch: usize,
    /// The estimator's training objective (ELBO or IWAE bound), averaged over the epoch's minibatches.
    pub train_bound: f64,
    /// The IWAE bound with `K` particles on the test subset after the epoch (NaN without test images).
    pub test_bound: f64,
    /// Wall-clock seconds of the epoch's training (test bound excluded).
    pub seconds: f64,
    /// Mean effective sample size `1/Σ w̃²` of the shared particles' weights.
    pub mean_ess: f64,
    /// The θ-estimator's own chains during the epoch (coupled estimators): pairs run, pairs capped, and
    /// the meeting times of the pairs that met (columns `mean_tau_met`, `median_tau_met`, `max_tau_met`).
    pub chains: Option<ChainDiagnostics>,
}

impl EpochRecord {
    /// Header of the per-epoch CSV.
    pub const CSV_HEADER: &'static str = "epoch,train_bound,test_iwae_bound,seconds,mean_ess,chains,capped_chains,mean_tau_met,median_tau_met,max_tau_met,beta";

    /// One CSV line (no newline); the chain columns are empty for estimators without chains.
    pub fn csv_line(&self) -> String {
        let chains = match &self.chains {
            Some(c) => format!(
                "{},{},{},{},{},{}",
                c.chains, c.capped, c.mean_tau, c.median_tau, c.max_tau, c.beta
            ),
            None => ",,,,,".to_string(),
        };
        format!(
            "{},{},{},{:.3},{},{chains}",
            self.epoch, self.train_bound, self.test_bound, self.seconds, self.mean_ess
        )
    }
}

/// A training run in memory: model, optimisers, epoch count, records.
pub struct Trainer {
    pub(crate) config: TrainConfig,
    pub(crate) model: Vae<f32>,
    pub(crate) opt_theta: AnyOptimizer,
    pub(crate) opt_phi: AnyOptimizer,
    pub(crate) epoch: usize,
    pub(crate) records: Vec<EpochRecord>,
    pub(crate) estimator: Box<dyn ThetaEstimator>,
    /// Every step's record, all epochs.
    pub(crate) steps: Vec<StepRecord>,
    /// The coupled pairs' meeting times, one entry per epoch (empty for estimators without chains).
    pub(crate) meetings: Vec<MeetingCounts>,
    buffers: Buffers,
}

impl std::fmt::Debug for Trainer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Trainer")
            .field("config", &self.config)
            .field("estimator", &self.estimator.name())
            .field("epoch", &self.epoch)
            .finish_non_exhaustive()
    }
}

/// Buffers reused by every step.
#[derive(Default)]
struct Buffers {
    ws: VaeWorkspace<f32>,
    extra_ws: VaeWorkspace<f32>,
    x: Vec<f32>,
    noise: Vec<f32>,
    coeffs: Vec<f32>,
    weights: Vec<f32>,
    theta_grad: Vec<f32>,
    phi_grad: Vec<f32>,
}

/// Statistics of one step.
#[derive(Clone, Debug, PartialEq)]
pub struct StepStats {
    /// The estimator's objective summed over the minibatch.
    pub objective_sum: f64,
    /// Sum over the minibatch of the effective sample size of each point's weights.
    pub ess_sum: f64,
    /// The particles evaluated outside chains: the shared ones (`B·K`) and the estimator's own (SUMO's).
    pub evaluations_outside_chains: u64,
    /// What the estimator's own chains did, if it has any.
    pub chains: Option<super::steps::StepChains>,
    /// Seconds of the θ-estimator's own work.
    pub theta_seconds: f64,
    /// Seconds of the whole step.
    pub seconds: f64,
}

impl Trainer {
    /// A fresh run for images of `data_dim` pixels, its parameters (and optimiser states, from a
    /// checkpoint) read from [`TrainConfig::init`] when set.
    ///
    /// # Errors
    /// Invalid settings; an initial-parameter file that is unreadable, changed since its checksum was
    /// taken, or of another shape.
    pub fn new(config: TrainConfig, data_dim: usize) -> Result<Self> {
        let mut trainer = Self::without_initial_parameters(config, data_dim)?;
        if let Some(init) = &trainer.config.init {
            let initial = init.load(trainer.model.shape())?;
            trainer.model = initial.model;
            if let Some((theta, phi)) = initial.optimizers {
                trainer.opt_theta.set_state(theta)?;
                trainer.opt_phi.set_state(phi)?;
            }
        }
        Ok(trainer)
    }

    /// A fresh run with randomly initialised parameters, ignoring [`TrainConfig::init`] (a checkpoint
    /// being restored brings its own).
    pub(crate) fn without_initial_parameters(config: TrainConfig, data_dim: usize) -> Result<Self> {
        config.validate()?;
        config.check_memory(data_dim)?;
        let shape = VaeShape::new(data_dim, config.hidden, config.latent)?;
        let model = Vae::new(shape, config.seed);
        Ok(Trainer {
            opt_theta: AnyOptimizer::new(config.optimizer, config.learning_rate),
            opt_phi: AnyOptimizer::new(config.optimizer, config.learning_rate),
            estimator: config.build_estimator()?,
            config,
            model,
            epoch: 0,
            records: Vec::new(),
            steps: Vec::new(),
            meetings: Vec::new(),
            buffers: Buffers::default(),
        })
    }

    /// Replaces the θ-estimator (for estimators beyond [`super::EstimatorKind`]).
    pub fn with_estimator(mut self, estimator: Box<dyn ThetaEstimator>) -> Self {
        self.estimator = estimator;
        self
    }

    /// The settings.
    pub fn config(&self) -> &TrainConfig {
        &self.config
    }

    /// The model.
    pub fn model(&self) -> &Vae<f32> {
        &self.model
    }

    /// Epochs completed.
    pub fn epoch(&self) -> usize {
        self.epoch
    }

    /// Records of the completed epochs.
    pub fn records(&self) -> &[EpochRecord] {
        &self.records
    }

    /// Every step's record so far (all epochs).
    pub fn step_records(&self) -> &[StepRecord] {
        &self.steps
    }

    /// The coupled pairs' meeting times per completed epoch (`[e]` is epoch `e + 1`; empty counts for
    /// estimators without chains).
    pub fn meeting_counts(&self) -> &[MeetingCounts] {
        &self.meetings
    }

    /// Sets the number of epochs to train to (a resumed run may be extended).
    pub fn set_epochs(&mut self, epochs: usize) {
        self.config.epochs = epochs;
    }

    /// One training step on the minibatch `x` (`P × B`), drawing its noise from `rng`.
    ///
    /// # Errors
    /// Mismatched sizes, non-finite values (a diverged model), optimiser failures.
    pub fn step(
        &mut self,
        x: &[f32],
        batch: usize,
        rng: &mut Xoshiro256PlusPlus,
    ) -> Result<StepStats> {
        let started = std::time::Instant::now();
        let (d, k) = (self.config.latent, self.config.k);
        let b = &mut self.buffers;
        b.noise.clear();
        b.noise
            .extend((0..d * batch * k).map(|_| rng.sample::<f32, _>(StandardNormal)));
        let log_w = self.model.particles(x, batch, k, &b.noise, &mut b.ws)?;
        b.coeffs.resize(batch * k, 0.0);
        let objective_sum = self.estimator.coefficients(log_w, k, &mut b.coeffs)?;
        let mut ess_sum = 0.0;
        b.weights.resize(k, 0.0);
        for lw in log_w.chunks_exact(k) {
            normalise(lw, &mut b.weights);
            ess_sum += effective_sample_size(&b.weights);
        }
        // Optimisers minimise: gradients of −(mean bound over the minibatch).
        let scale = -1.0 / batch as f32;
        b.coeffs.iter_mut().for_each(|c| *c *= scale);
        b.theta_grad.clear();
        b.theta_grad.resize(self.model.decoder_params().len(), 0.0);
        b.phi_grad.clear();
        b.phi_grad.resize(self.model.encoder_params().len(), 0.0);
        self.model.backward(
            x,
            &b.coeffs,
            scale,
            &mut b.theta_grad,
            &mut b.phi_grad,
            &mut b.ws,
        )?;
        let mut theta_seconds = 0.0;
        if self.estimator.has_extra_gradient() {
            let theta_started = std::time::Instant::now();
            let mut extra = vec![0.0f32; b.theta_grad.len()];
            self.estimator.extra_gradient(ThetaContext {
                model: &self.model,
                x,
                batch,
                rng,
                workspace: &mut b.extra_ws,
                grad: &mut extra,
                encoding: Some((b.ws.mu(), b.ws.sigma())),
            })?;
            for (g, &e) in b.theta_grad.iter_mut().zip(&extra) {
                *g += scale * e;
            }
            theta_seconds = theta_started.elapsed().as_secs_f64();
        }
        self.opt_theta
            .step(self.model.decoder_params_mut(), &b.theta_grad)?;
        self.opt_phi
            .step(self.model.encoder_params_mut(), &b.phi_grad)?;
        Ok(StepStats {
            objective_sum,
            ess_sum,
            evaluations_outside_chains: (batch * k) as u64 + self.estimator.take_step_evaluations(),
            chains: self.estimator.take_step_chains(),
            theta_seconds,
            seconds: started.elapsed().as_secs_f64(),
        })
    }

    /// Trains one epoch (the next one), calling `progress(step, record)` after every step (1-based, and
    /// the step's record), and records it.
    ///
    /// # Errors
    /// Those of [`Trainer::step`]; data of another dimension than the model's.
    pub fn train_epoch(
        &mut self,
        data: &VaeData,
        progress: &mut dyn FnMut(usize, &StepRecord),
    ) -> Result<EpochRecord> {
        if data.dim() != self.model.shape().data_dim {
            return Err(TrainError::InvalidSetting {
                name: "data",
                reason: format!(
                    "images of {} pixels for a model of {}",
                    data.dim(),
                    self.model.shape().data_dim
                ),
            });
        }
        let start = std::time::Instant::now();
        let batches = Minibatches::new(data.len(), self.config.batch)?
            .shuffle(self.config.seed)
            .drop_last(data.len() >= self.config.batch);
        let epoch = self.epoch as u64;
        let mut rng = stream(self.config.seed ^ NOISE, epoch);
        let mut all: Vec<Vec<usize>> = batches.epoch(epoch).collect();
        if let Some(limit) = self.config.steps_per_epoch {
            all.truncate(limit);
        }
        let mut meetings = MeetingCounts::default();
        let (mut objective, mut ess, mut points) = (0.0, 0.0, 0usize);
        let mut x = std::mem::take(&mut self.buffers.x);
        for (s, indices) in all.iter().enumerate() {
            data.fill_batch(indices, &mut rng, &mut x)?;
            let stats = self.step(&x, indices.len(), &mut rng)?;
            objective += stats.objective_sum;
            ess += stats.ess_sum;
            let e = self.epoch + 1;
            self.steps.push(match &stats.chains {
                Some(c) => {
                    meetings.merge(&c.meetings);
                    StepRecord::with_chains(
                        e,
                        s + 1,
                        stats.evaluations_outside_chains,
                        c,
                        stats.theta_seconds,
                        stats.seconds,
                    )
                }
                None => {
                    StepRecord::plain(e, s + 1, stats.evaluations_outside_chains, stats.seconds)
                }
            });
            points += indices.len();
            if let Some(record) = self.steps.last() {
                progress(s + 1, record);
            }
        }
        self.buffers.x = x;
        let seconds = start.elapsed().as_secs_f64();
        self.epoch += 1;
        let record = EpochRecord {
            epoch: self.epoch,
            train_bound: objective / points.max(1) as f64,
            test_bound: self.test_bound(data)?,
            seconds,
            mean_ess: ess / points.max(1) as f64,
            chains: self.estimator.take_epoch_diagnostics(),
        };
        self.records.push(record.clone());
        self.meetings.push(meetings);
        Ok(record)
    }

    /// The IWAE bound with `K` particles averaged over the test images, on a fixed noise stream.
    ///
    /// # Errors
    /// Model failures.
    pub fn test_bound(&mut self, data: &VaeData) -> Result<f64> {
        let p = data.dim();
        let m = data.test().len() / p;
        if m == 0 {
            return Ok(f64::NAN);
        }
        let (d, k) = (self.config.latent, self.config.k);
        let mut rng = stream(self.config.seed ^ TEST_NOISE, 0);
        let mut total = 0.0;
        let mut w = vec![0.0f32; k];
        for first in (0..m).step_by(self.config.batch) {
            let batch = self.config.batch.min(m - first);
            let x = &data.test()[first * p..(first + batch) * p];
            let noise: Vec<f32> = (0..d * batch * k)
                .map(|_| rng.sample::<f32, _>(StandardNormal))
                .collect();
            let lw = self
                .model
                .particles(x, batch, k, &noise, &mut self.buffers.ws)?;
            total += lw
                .chunks_exact(k)
                .map(|c| normalise(c, &mut w))
                .sum::<f64>();
        }
        Ok(total / m as f64)
    }
}
