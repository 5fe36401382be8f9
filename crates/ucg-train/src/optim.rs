//! First-order optimisers on flat parameter vectors. Every optimiser *minimises*: pass the gradient of a
//! loss (for a bound or a log-likelihood to maximise, pass its negated gradient).
//!
//! The same optimiser steps `f64` or `f32` parameters ([`Param`]); its moment estimates are kept in `f64`
//! either way, so the update rule is written once. [`OptimizerState`] exposes that state for checkpoints.

use crate::error::{Result, TrainError};
use rayon::prelude::*;

/// Parameters per parallel task of an update (large enough that scheduling costs nothing).
const PARALLEL_CHUNK: usize = 1 << 14;

/// A parameter type an optimiser can step: converted to `f64` for the update and back.
pub trait Param: Copy + Send + Sync {
    /// The value as `f64`.
    fn to_f64(self) -> f64;
    /// The nearest value to `x`.
    fn from_f64(x: f64) -> Self;
}

impl Param for f64 {
    fn to_f64(self) -> f64 {
        self
    }
    fn from_f64(x: f64) -> Self {
        x
    }
}

impl Param for f32 {
    fn to_f64(self) -> f64 {
        f64::from(self)
    }
    fn from_f64(x: f64) -> Self {
        x as f32
    }
}

/// A first-order optimiser with internal state (moment estimates) sized on its first step.
pub trait Optimizer<T: Param = f64> {
    /// Moves `params` one step against `grad`.
    ///
    /// # Errors
    /// `params` and `grad` of different lengths (or a length different from the previous steps'), or a
    /// non-finite gradient (the parameters are then left unchanged).
    fn step(&mut self, params: &mut [T], grad: &[T]) -> Result<()>;
}

/// An optimiser's internal state, for checkpoints: the number of steps taken and its moment buffers
/// (empty before the first step).
#[derive(Clone, Debug, PartialEq)]
pub struct OptimizerState {
    /// Steps taken.
    pub steps: u64,
    /// Moment estimates (RMSProp: `[v]`; Adam: `[m, v]`).
    pub buffers: Vec<Vec<f64>>,
}

fn bad_state(reason: String) -> TrainError {
    TrainError::InvalidSetting {
        name: "optimizer state",
        reason,
    }
}

fn check<T: Param>(state_len: usize, params: &[T], grad: &[T]) -> Result<()> {
    if params.len() != grad.len() || (state_len != 0 && state_len != params.len()) {
        return Err(TrainError::InvalidSetting {
            name: "gradient",
            reason: format!(
                "length {} does not match the parameters' {} (state {state_len})",
                grad.len(),
                params.len()
            ),
        });
    }
    if grad.iter().any(|g| !g.to_f64().is_finite()) {
        return Err(TrainError::InvalidSetting {
            name: "gradient",
            reason: "contains NaN or an infinity".into(),
        });
    }
    Ok(())
}

/// RMSProp (Tieleman & Hinton 2012): `v ← ρ v + (1 − ρ) g²`, `θ ← θ − η g / (√v + ε)`.
#[derive(Clone, Debug)]
pub struct RmsProp {
    /// Learning rate `η`.
    pub learning_rate: f64,
    /// Decay `ρ` of the squared-gradient average.
    pub decay: f64,
    /// `ε` in the denominator.
    pub epsilon: f64,
    v: Vec<f64>,
    steps: u64,
}

impl RmsProp {
    /// RMSProp with learning rate `learning_rate`, `ρ = 0.9`, `ε = 1e−8`.
    pub fn new(learning_rate: f64) -> Self {
        RmsProp {
            learning_rate,
            decay: 0.9,
            epsilon: 1e-8,
            v: Vec::new(),
            steps: 0,
        }
    }

    /// RMSProp with PyTorch's defaults (`ρ = 0.99`, `ε = 1e−8`, no momentum), as the paper used it.
    pub fn torch(learning_rate: f64) -> Self {
        RmsProp {
            decay: 0.99,
            ..RmsProp::new(learning_rate)
        }
    }

    /// The internal state.
    pub fn state(&self) -> OptimizerState {
        OptimizerState {
            steps: self.steps,
            buffers: vec![self.v.clone()],
        }
    }

    /// Restores a state taken with [`RmsProp::state`].
    ///
    /// # Errors
    /// A state of another shape.
    pub fn set_state(&mut self, state: OptimizerState) -> Result<()> {
        let [v]: [Vec<f64>; 1] = state.buffers.try_into().map_err(|b: Vec<Vec<f64>>| {
            bad_state(format!("RMSProp has 1 buffer, found {}", b.len()))
        })?;
        self.v = v;
        self.steps = state.steps;
        Ok(())
    }
}

impl<T: Param> Optimizer<T> for RmsProp {
    fn step(&mut self, params: &mut [T], grad: &[T]) -> Result<()> {
        check(self.v.len(), params, grad)?;
        if self.v.is_empty() {
            self.v = vec![0.0; params.len()];
        }
        let (decay, lr, eps) = (self.decay, self.learning_rate, self.epsilon);
        // Element-wise, so splitting across threads does not change the result.
        params
            .par_chunks_mut(PARALLEL_CHUNK)
            .zip(grad.par_chunks(PARALLEL_CHUNK))
            .zip(self.v.par_chunks_mut(PARALLEL_CHUNK))
            .for_each(|((ps, gs), vs)| {
                for ((p, &g), v) in ps.iter_mut().zip(gs).zip(vs) {
                    let g = g.to_f64();
                    *v = decay * *v + (1.0 - decay) * g * g;
                    *p = T::from_f64(p.to_f64() - lr * g / (v.sqrt() + eps));
                }
            });
        self.steps += 1;
        Ok(())
    }
}

/// Adam (Kingma & Ba 2015) with bias-corrected moment estimates.
#[derive(Clone, Debug)]
pub struct Adam {
    /// Learning rate `η`.
    pub learning_rate: f64,
    /// First-moment decay `β1`.
    pub beta1: f64,
    /// Second-moment decay `β2`.
    pub beta2: f64,
    /// `ε` in the denominator.
    pub epsilon: f64,
    m: Vec<f64>,
    v: Vec<f64>,
    t: i32,
}

impl Adam {
    /// Adam with learning rate `learning_rate`, `β1 = 0.9`, `β2 = 0.999`, `ε = 1e−8`.
    pub fn new(learning_rate: f64) -> Self {
        Adam {
            learning_rate,
            beta1: 0.9,
            beta2: 0.999,
            epsilon: 1e-8,
            m: Vec::new(),
            v: Vec::new(),
            t: 0,
        }
    }

    /// The internal state.
    pub fn state(&self) -> OptimizerState {
        OptimizerState {
            steps: self.t as u64,
            buffers: vec![self.m.clone(), self.v.clone()],
        }
    }

    /// Restores a state taken with [`Adam::state`].
    ///
    /// # Errors
    /// A state of another shape, or a step count beyond `i32::MAX`.
    pub fn set_state(&mut self, state: OptimizerState) -> Result<()> {
        let t = i32::try_from(state.steps).map_err(|_| bad_state("too many steps".into()))?;
        let [m, v]: [Vec<f64>; 2] = state.buffers.try_into().map_err(|b: Vec<Vec<f64>>| {
            bad_state(format!("Adam has 2 buffers, found {}", b.len()))
        })?;
        if m.len() != v.len() {
            return Err(bad_state("Adam's buffers differ in length".into()));
        }
        (self.m, self.v, self.t) = (m, v, t);
        Ok(())
    }
}

impl<T: Param> Optimizer<T> for Adam {
    fn step(&mut self, params: &mut [T], grad: &[T]) -> Result<()> {
        check(self.m.len(), params, grad)?;
        if self.m.is_empty() {
            self.m = vec![0.0; params.len()];
            self.v = vec![0.0; params.len()];
        }
        self.t += 1;
        let c1 = 1.0 - self.beta1.powi(self.t);
        let c2 = 1.0 - self.beta2.powi(self.t);
        for i in 0..params.len() {
            let g = grad[i].to_f64();
            self.m[i] = self.beta1 * self.m[i] + (1.0 - self.beta1) * g;
            self.v[i] = self.beta2 * self.v[i] + (1.0 - self.beta2) * g * g;
            let p = params[i].to_f64()
                - self.learning_rate * (self.m[i] / c1) / ((self.v[i] / c2).sqrt() + self.epsilon);
            params[i] = T::from_f64(p);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn minimise(opt: &mut dyn Optimizer) -> Vec<f64> {
        // f(θ) = ½ Σ a_i (θ_i − c_i)², minimum at c.
        let (a, c) = ([1.0, 10.0], [3.0, -2.0]);
        let mut p = vec![0.0, 0.0];
        for _ in 0..5000 {
            let g: Vec<f64> = (0..2).map(|i| a[i] * (p[i] - c[i])).collect();
            opt.step(&mut p, &g).unwrap();
        }
        p
    }

    #[test]
    fn optimisers_find_the_minimum_of_a_quadratic() {
        for p in [
            minimise(&mut RmsProp::new(0.01)),
            minimise(&mut Adam::new(0.05)),
        ] {
            assert!(
                (p[0] - 3.0).abs() < 0.05 && (p[1] + 2.0).abs() < 0.05,
                "{p:?}"
            );
        }
    }

    #[test]
    fn f32_parameters_follow_the_f64_path_and_state_round_trips() {
        let mut a = RmsProp::torch(0.01);
        let mut b = RmsProp::torch(0.01);
        let (mut p64, mut p32) = (vec![1.0f64, -2.0], vec![1.0f32, -2.0]);
        for i in 0..50 {
            let g = [0.3 * i as f64 - 2.0, 1.0];
            Optimizer::<f64>::step(&mut a, &mut p64, &g).unwrap();
            b.step(&mut p32, &[g[0] as f32, g[1] as f32]).unwrap();
        }
        assert!((p64[0] - f64::from(p32[0])).abs() < 1e-5);
        let mut c = RmsProp::torch(0.01);
        c.set_state(a.state()).unwrap();
        assert_eq!(c.state(), a.state());
        let mut d = Adam::new(0.1);
        Optimizer::<f64>::step(&mut d, &mut p64, &[1.0, 1.0]).unwrap();
        let mut e = Adam::new(0.1);
        e.set_state(d.state()).unwrap();
        assert_eq!(e.state(), d.state());
        assert!(e.set_state(a.state()).is_err() && c.set_state(d.state()).is_err());
    }

    #[test]
    fn bad_gradients_are_rejected_without_touching_parameters() {
        let mut opt = Adam::new(0.1);
        let mut p = vec![1.0, 2.0];
        assert!(opt.step(&mut p, &[1.0]).is_err());
        assert!(opt.step(&mut p, &[f64::NAN, 0.0]).is_err());
        assert_eq!(p, vec![1.0, 2.0]);
    }
}
