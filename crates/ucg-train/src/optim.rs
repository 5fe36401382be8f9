//! First-order optimisers on flat parameter vectors. Every optimiser *minimises*: pass the gradient of a
//! loss (for a bound or a log-likelihood to maximise, pass its negated gradient).

use crate::error::{Result, TrainError};

/// A first-order optimiser with internal state (moment estimates) sized on its first step.
pub trait Optimizer {
    /// Moves `params` one step against `grad`.
    ///
    /// # Errors
    /// `params` and `grad` of different lengths (or a length different from the previous steps'), or a
    /// non-finite gradient (the parameters are then left unchanged).
    fn step(&mut self, params: &mut [f64], grad: &[f64]) -> Result<()>;
}

fn check(state_len: usize, params: &[f64], grad: &[f64]) -> Result<()> {
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
    if grad.iter().any(|g| !g.is_finite()) {
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
}

impl RmsProp {
    /// RMSProp with learning rate `learning_rate`, `ρ = 0.9`, `ε = 1e−8`.
    pub fn new(learning_rate: f64) -> Self {
        RmsProp {
            learning_rate,
            decay: 0.9,
            epsilon: 1e-8,
            v: Vec::new(),
        }
    }
}

impl Optimizer for RmsProp {
    fn step(&mut self, params: &mut [f64], grad: &[f64]) -> Result<()> {
        check(self.v.len(), params, grad)?;
        if self.v.is_empty() {
            self.v = vec![0.0; params.len()];
        }
        for ((p, &g), v) in params.iter_mut().zip(grad).zip(&mut self.v) {
            *v = self.decay * *v + (1.0 - self.decay) * g * g;
            *p -= self.learning_rate * g / (v.sqrt() + self.epsilon);
        }
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
}

impl Optimizer for Adam {
    fn step(&mut self, params: &mut [f64], grad: &[f64]) -> Result<()> {
        check(self.m.len(), params, grad)?;
        if self.m.is_empty() {
            self.m = vec![0.0; params.len()];
            self.v = vec![0.0; params.len()];
        }
        self.t += 1;
        let c1 = 1.0 - self.beta1.powi(self.t);
        let c2 = 1.0 - self.beta2.powi(self.t);
        for i in 0..params.len() {
            let g = grad[i];
            self.m[i] = self.beta1 * self.m[i] + (1.0 - self.beta1) * g;
            self.v[i] = self.beta2 * self.v[i] + (1.0 - self.beta2) * g * g;
            params[i] -=
                self.learning_rate * (self.m[i] / c1) / ((self.v[i] / c2).sqrt() + self.epsilon);
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
    fn bad_gradients_are_rejected_without_touching_parameters() {
        let mut opt = Adam::new(0.1);
        let mut p = vec![1.0, 2.0];
        assert!(opt.step(&mut p, &[1.0]).is_err());
        assert!(opt.step(&mut p, &[f64::NAN, 0.0]).is_err());
        assert_eq!(p, vec![1.0, 2.0]);
    }
}
