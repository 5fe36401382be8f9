//! A VAE bound to a minibatch as a [`BatchedImportanceTarget`]: the importance targets of all its points
//! in noise coordinates, with every requested proposal set stacked into one decoder call.
//!
//! Point `b` has `z = μ(x_b) + σ(x_b) ⊙ ξ` and `log w_b(ξ) = log p(x_b, z) − log q(z | x_b)`, computed
//! exactly as [`VaePointTarget`](super::VaePointTarget) computes it; the encoder runs once for the whole
//! minibatch when the target is built, and each [`BatchedImportanceTarget::log_weights_batch`] call is one
//! forward pass of the decoder (one GEMM per layer) over the columns of all requests.
//!
//! # Example
//! ```
//! use nalgebra::DMatrix;
//! use ucg_couplings::BatchedImportanceTarget;
//! use ucg_models::vae::{Vae, VaeBatchTarget, VaeShape};
//!
//! let vae = Vae::<f32>::new(VaeShape::new(6, 4, 2)?, 3);
//! let x: Vec<f32> = (0..6 * 3).map(|i| (i % 2) as f32).collect();
//! let target = VaeBatchTarget::new(&vae, &x, 3)?;
//! let (a, b) = (DMatrix::from_element(2, 4, 0.5), DMatrix::from_element(2, 2, -1.0));
//! let mut out = [0.0; 6];
//! target.log_weights_batch(&[(2, &a), (0, &b)], &mut out)?;
//! assert!(out.iter().all(|v| v.is_finite()));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use super::model::{Vae, VaeWorkspace};
use crate::error::{ModelError, Result, check_len};
use std::sync::Mutex;
use ucg_couplings::{BatchedImportanceTarget, SetRequest, check_requests};

/// The importance targets of the points of a minibatch, evaluated together (see the
/// [module documentation](self)).
#[derive(Debug)]
pub struct VaeBatchTarget<'a> {
    model: &'a Vae<f32>,
    x: Vec<f32>,
    mu: Vec<f32>,
    sigma: Vec<f32>,
    /// `log q`'s normalising terms of each point, `Σ_i log σ_i + (D/2) log 2π` (in `f64`, as the
    /// per-point target adds them).
    log_det: Vec<f64>,
    batch: usize,
    /// Buffers of the log-weight calls, kept between calls: a driver calls thousands of times per step,
    /// and fresh buffers cost a page-faulting allocation of every layer's activations each time.
    scratch: Mutex<Scratch>,
}

/// The buffers of one log-weight call.
#[derive(Debug, Default)]
struct Scratch {
    workspace: VaeWorkspace<f32>,
    z: Vec<f32>,
    points: Vec<usize>,
    log_joint: Vec<f32>,
}

impl Clone for VaeBatchTarget<'_> {
    /// The same targets, with buffers of their own.
    fn clone(&self) -> Self {
        VaeBatchTarget {
            model: self.model,
            x: self.x.clone(),
            mu: self.mu.clone(),
            sigma: self.sigma.clone(),
            log_det: self.log_det.clone(),
            batch: self.batch,
            scratch: Mutex::default(),
        }
    }
}

impl<'a> VaeBatchTarget<'a> {
    /// The targets of the `batch` points `x` (`P × B`, column-major), encoded once.
    ///
    /// # Errors
    /// `x` not `P × B` or non-finite; `batch = 0`.
    pub fn new(model: &'a Vae<f32>, x: &[f32], batch: usize) -> Result<Self> {
        if batch == 0 {
            return Err(ModelError::InvalidParameter {
                name: "batch",
                reason: "must be at least 1".into(),
            });
        }
        let mut ws = VaeWorkspace::new();
        model.encode(x, batch, &mut ws)?;
        Self::from_encoding(model, x, batch, ws.mu(), ws.sigma())
    }

    /// The targets of the `batch` points `x` whose encoder outputs `μ` and `σ` (`D × B` each) the caller
    /// already has, as a training step does after drawing its shared particles: the same targets as
    /// [`VaeBatchTarget::new`] without a second encoder pass.
    ///
    /// # Errors
    /// `x` not `P × B`, `μ` or `σ` not `D × B`, a non-finite `μ` or a `σ` not finite and positive;
    /// `batch = 0`.
    pub fn from_encoding(
        model: &'a Vae<f32>,
        x: &[f32],
        batch: usize,
        mu: &[f32],
        sigma: &[f32],
    ) -> Result<Self> {
        let shape = model.shape();
        if batch == 0 {
            return Err(ModelError::InvalidParameter {
                name: "batch",
                reason: "must be at least 1".into(),
            });
        }
        check_len("minibatch", shape.data_dim * batch, x.len())?;
        check_len("encoder mean", shape.latent * batch, mu.len())?;
        check_len("encoder scale", shape.latent * batch, sigma.len())?;
        if !mu.iter().all(|v| v.is_finite()) || !sigma.iter().all(|v| v.is_finite() && *v > 0.0) {
            return Err(ModelError::InvalidParameter {
                name: "encoding",
                reason: "μ must be finite and σ finite and positive".into(),
            });
        }
        Ok(VaeBatchTarget {
            model,
            x: x.to_vec(),
            mu: mu.to_vec(),
            sigma: sigma.to_vec(),
            log_det: log_det(sigma, shape.latent),
            batch,
            scratch: Mutex::default(),
        })
    }

    /// The same targets with the proposal widened: `z = μ(x_b) + s σ(x_b) ⊙ ξ`, so the importance
    /// proposal of every point is `N(μ, s² σ²)` instead of the encoder's `N(μ, σ²)`, and
    /// `log w_b(ξ) = log p(x_b, z) + ½|ξ|² + Σ_i log(s σ_i) + (D/2) log 2π`.
    ///
    /// The chains' posterior is unchanged (any proposal that covers it leaves it invariant under ISIR);
    /// what changes is how sticky the chains are. An encoder trained by a bound is often narrower than
    /// the posterior in some direction, and a reference particle out in such a tail keeps a weight far
    /// above any fresh proposal's, so the chain (and the pair, which can only meet when both move) waits
    /// for many iterations; a wider proposal bounds those weights. `s = 1` is the encoder itself, bit for
    /// bit.
    ///
    /// # Errors
    /// `s` not finite and positive.
    pub fn with_proposal_scale(mut self, s: f32) -> Result<Self> {
        if !(s.is_finite() && s > 0.0) {
            return Err(ModelError::InvalidParameter {
                name: "proposal scale",
                reason: format!("{s} is not a positive number"),
            });
        }
        if s != 1.0 {
            self.sigma.iter_mut().for_each(|v| *v *= s);
            let d = self.model.shape().latent;
            self.log_det = log_det(&self.sigma, d);
        }
        Ok(self)
    }

    /// The same targets with the Gaussian proposal of each point fitted to its posterior: `particles`
    /// draws from the current proposal, self-normalised, give the posterior's mean `m_b` and per-
    /// coordinate variance `v_b`, and the new proposal is `N(m_b, s_b²)` with `s_b = √v_b`, floored at
    /// a tenth of the current scale (a fit on a handful of effective particles must not collapse).
    /// Uses `rng` for the draws; costs `particles × points` evaluations.
    ///
    /// As with [`VaeBatchTarget::with_proposal_scale`], the chains' posterior is unchanged and only the
    /// proposal moves: chains whose importance weights vary less are less sticky, so pairs meet sooner.
    /// A fit drawn independently of the chains keeps every estimator built on them unbiased.
    ///
    /// # Errors
    /// `particles < 2`, model failures.
    pub fn with_fitted_proposal<R: rand::Rng + ?Sized>(
        mut self,
        particles: usize,
        rng: &mut R,
    ) -> Result<Self> {
        use rand_distr::{Distribution, StandardNormal};
        if particles < 2 {
            return Err(ModelError::InvalidParameter {
                name: "fit particles",
                reason: format!("{particles} (need at least 2)"),
            });
        }
        let d = self.model.shape().latent;
        let sets: Vec<nalgebra::DMatrix<f64>> = (0..self.batch)
            .map(|_| {
                nalgebra::DMatrix::from_fn(d, particles, |_, _| StandardNormal.sample(&mut *rng))
            })
            .collect();
        let requests: Vec<SetRequest<'_>> = sets.iter().enumerate().collect();
        let mut log_w = vec![0.0; self.batch * particles];
        self.try_log_weights_batch(&requests, &mut log_w)?;
        let (mut mu, mut sigma) = (self.mu.clone(), self.sigma.clone());
        let mut z = vec![0.0f32; d];
        for (b, (set, lw)) in sets.iter().zip(log_w.chunks_exact(particles)).enumerate() {
            let top = lw.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            if !top.is_finite() {
                continue;
            }
            let w: Vec<f64> = lw.iter().map(|v| (v - top).exp()).collect();
            let total: f64 = w.iter().sum();
            let (mut mean, mut second) = (vec![0.0f64; d], vec![0.0f64; d]);
            for (xi, wj) in set.column_iter().zip(&w) {
                self.latent(b, xi.as_slice(), &mut z)?;
                for i in 0..d {
                    let zi = f64::from(z[i]);
                    mean[i] += wj / total * zi;
                    second[i] += wj / total * zi * zi;
                }
            }
            for i in 0..d {
                let floor = 0.1 * f64::from(self.sigma[b * d + i]);
                let sd = (second[i] - mean[i] * mean[i]).max(0.0).sqrt().max(floor);
                mu[b * d + i] = mean[i] as f32;
                sigma[b * d + i] = sd as f32;
            }
        }
        self.mu = mu;
        self.sigma = sigma;
        self.log_det = log_det(&self.sigma, d);
        Ok(self)
    }

    /// The model.
    pub fn model(&self) -> &'a Vae<f32> {
        self.model
    }

    /// The minibatch `x` (`P × B`).
    pub fn x(&self) -> &[f32] {
        &self.x
    }

    /// `μ(x_b)` of every point (`D × B`).
    pub fn mu(&self) -> &[f32] {
        &self.mu
    }

    /// The proposal's scale of every point (`D × B`): `σ(x_b)`, times `s` under
    /// [`VaeBatchTarget::with_proposal_scale`].
    pub fn sigma(&self) -> &[f32] {
        &self.sigma
    }

    /// Writes `z = μ(x_b) + σ(x_b) ⊙ ξ` in `f32` (as the log-weights use it) for the noise column `xi` of
    /// point `b` into `z`.
    ///
    /// # Errors
    /// `b` out of range or lengths other than `D`.
    pub fn latent(&self, b: usize, xi: &[f64], z: &mut [f32]) -> Result<()> {
        let d = self.model.shape().latent;
        if b >= self.batch {
            return Err(ModelError::InvalidParameter {
                name: "point",
                reason: format!("{b} out of range 0..{}", self.batch),
            });
        }
        check_len("noise column", d, xi.len())?;
        check_len("latent column", d, z.len())?;
        let (mu, sigma) = (
            &self.mu[b * d..(b + 1) * d],
            &self.sigma[b * d..(b + 1) * d],
        );
        for i in 0..d {
            z[i] = mu[i] + sigma[i] * xi[i] as f32;
        }
        Ok(())
    }

    fn try_log_weights_batch(&self, requests: &[SetRequest<'_>], out: &mut [f64]) -> Result<()> {
        // Calls come one at a time from a driver; a concurrent one works in buffers of its own.
        match self.scratch.try_lock() {
            Ok(mut scratch) => self.log_weights_in(requests, out, &mut scratch),
            Err(_) => self.log_weights_in(requests, out, &mut Scratch::default()),
        }
    }

    fn log_weights_in(
        &self,
        requests: &[SetRequest<'_>],
        out: &mut [f64],
        scratch: &mut Scratch,
    ) -> Result<()> {
        let d = self.model.shape().latent;
        let columns = out.len();
        let Scratch {
            workspace,
            z,
            points,
            log_joint,
        } = scratch;
        z.resize(d * columns, 0.0);
        points.clear();
        let mut z_columns = z.chunks_exact_mut(d);
        for &(b, noise) in requests {
            for (xi, zj) in noise.as_slice().chunks_exact(d).zip(&mut z_columns) {
                self.latent(b, xi, zj)?;
                points.push(b);
            }
        }
        log_joint.resize(columns, 0.0);
        self.model
            .log_joint(&self.x, points, z, log_joint, None, workspace)?;
        let half_ln_2pi = 0.5 * (2.0 * std::f64::consts::PI).ln();
        let mut j = 0;
        for &(b, noise) in requests {
            for xi in noise.as_slice().chunks_exact(d) {
                let xi2: f64 = xi.iter().map(|v| v * v).sum();
                // log q(z | x) = −½|ξ|² − Σ log σ − (D/2) log 2π, summed in the per-point target's order.
                out[j] =
                    f64::from(log_joint[j]) + 0.5 * xi2 + self.log_det[b] + d as f64 * half_ln_2pi;
                j += 1;
            }
        }
        Ok(())
    }
}

/// `Σ_i log σ_i` of each point's `D` scales.
fn log_det(sigma: &[f32], d: usize) -> Vec<f64> {
    sigma
        .chunks_exact(d)
        .map(|s| s.iter().map(|&v| f64::from(v).ln()).sum())
        .collect()
}

impl BatchedImportanceTarget for VaeBatchTarget<'_> {
    fn points(&self) -> usize {
        self.batch
    }

    fn noise_dim(&self) -> usize {
        self.model.shape().latent
    }

    /// A failure of the model reaches the driver as [`ucg_couplings::CouplingError::Source`].
    fn log_weights_batch(
        &self,
        requests: &[SetRequest<'_>],
        out: &mut [f64],
    ) -> ucg_couplings::Result<()> {
        check_requests(self.batch, self.noise_dim(), requests, out.len())?;
        self.try_log_weights_batch(requests, out)
            .map_err(ucg_couplings::CouplingError::source_error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vae::{VaePointTarget, VaeShape};
    use nalgebra::DMatrix;
    use ucg_couplings::ImportanceTarget;

    fn setup() -> (Vae<f32>, Vec<f32>) {
        let base = Vae::<f32>::new(VaeShape::new(16, 8, 3).unwrap(), 7);
        // Larger decoder weights make the log-weights large and varied, as after training.
        let decoder = base.decoder_params().iter().map(|w| 3.0 * w).collect();
        let vae = Vae::from_params(base.shape(), base.encoder_params().to_vec(), decoder).unwrap();
        let x: Vec<f32> = (0..16 * 5)
            .map(|i| ((i * 7) % 5 < 2) as u8 as f32)
            .collect();
        (vae, x)
    }

    /// Stacked requests give the per-point target's log-weights to f32 rounding. Both run the same f32
    /// arithmetic per column, but the GEMM does not always compute a column bit-identically for every
    /// number of columns (a 1-column encoder pass, a 4-column decoder pass), so single roundings of
    /// the f32 log-joint (`|log p| ≲ 30` here) may differ: the tolerance is 1e-5 relative, about ten
    /// f32 ulps of the sum.
    #[test]
    fn stacked_requests_equal_the_per_point_targets() {
        let (vae, x) = setup();
        let target = VaeBatchTarget::new(&vae, &x, 5).unwrap();
        let sets: Vec<(usize, DMatrix<f64>)> = [3usize, 0, 4, 3, 1]
            .iter()
            .enumerate()
            .map(|(r, &b)| {
                let k = 2 + r;
                (
                    b,
                    DMatrix::from_fn(3, k, |i, j| ((i * 5 + j * 3 + r) as f64 * 0.61).sin() * 2.0),
                )
            })
            .collect();
        let requests: Vec<SetRequest<'_>> = sets.iter().map(|(b, m)| (*b, m)).collect();
        let total: usize = sets.iter().map(|(_, m)| m.ncols()).sum();
        let mut batched = vec![0.0; total];
        target.log_weights_batch(&requests, &mut batched).unwrap();
        let mut at = 0;
        for (b, m) in &sets {
            let point = VaePointTarget::new(&vae, &x[b * 16..(b + 1) * 16]).unwrap();
            let mut single = vec![0.0; m.ncols()];
            point.log_weights(m, &mut single).unwrap();
            for (a, s) in batched[at..at + m.ncols()].iter().zip(&single) {
                assert!(
                    (a - s).abs() <= 1e-5 * a.abs().max(1.0),
                    "point {b}: {a} vs {s}"
                );
            }
            at += m.ncols();
        }
    }

    /// The log-weights' forward-only pass gives the forward-and-backward pass's log-joint bit for bit, so
    /// chains see the same log-weights whichever pass a model uses.
    #[test]
    fn forward_only_log_joint_equals_the_fused_pass() {
        let (vae, x) = setup();
        let cols = 7;
        let z: Vec<f32> = (0..3 * cols)
            .map(|i| ((i * 11) as f32 * 0.37).sin() * 4.0)
            .collect();
        let points: Vec<usize> = (0..cols).map(|j| (j * 3) % 5).collect();
        let mut ws = VaeWorkspace::new();
        let (mut alone, mut fused, mut grad) =
            (vec![0.0; cols], vec![0.0; cols], vec![0.0; 3 * cols]);
        vae.log_joint(&x, &points, &z, &mut alone, None, &mut ws)
            .unwrap();
        vae.log_joint(&x, &points, &z, &mut fused, Some(&mut grad), &mut ws)
            .unwrap();
        assert_eq!(alone, fused);
    }

    /// Repeated and cloned targets give the same log-weights as a fresh one: the kept buffers carry
    /// nothing from one call to the next.
    #[test]
    fn kept_buffers_carry_nothing_between_calls() {
        let (vae, x) = setup();
        let target = VaeBatchTarget::new(&vae, &x, 5).unwrap();
        let big = DMatrix::from_fn(3, 9, |i, j| ((i * 9 + j) as f64 * 0.3).cos());
        let small = DMatrix::from_fn(3, 2, |i, j| ((i + 5 * j) as f64 * 0.7).sin());
        let weights = |target: &VaeBatchTarget<'_>, requests: &[SetRequest<'_>]| {
            let mut out = vec![0.0; requests.iter().map(|(_, m)| m.ncols()).sum()];
            target.log_weights_batch(requests, &mut out).unwrap();
            out
        };
        let first = weights(&target, &[(1, &small)]);
        weights(&target, &[(4, &big), (2, &small)]);
        let again = weights(&target, &[(1, &small)]);
        let cloned = weights(&target.clone(), &[(1, &small)]);
        assert_eq!(first, again);
        assert_eq!(first, cloned);
    }

    #[test]
    fn bad_requests_are_typed_errors() {
        let (vae, x) = setup();
        assert!(VaeBatchTarget::new(&vae, &x, 0).is_err());
        assert!(VaeBatchTarget::new(&vae, &x[..17], 1).is_err());
        let target = VaeBatchTarget::new(&vae, &x, 5).unwrap();
        let m = DMatrix::from_element(3, 2, 0.0);
        let mut out = [0.0; 2];
        assert!(target.log_weights_batch(&[(5, &m)], &mut out).is_err());
        assert!(target.log_weights_batch(&[(0, &m)], &mut out[..1]).is_err());
        let nan = DMatrix::from_element(3, 2, f64::NAN);
        assert!(target.log_weights_batch(&[(0, &nan)], &mut out).is_err());
    }

    /// A widened proposal's log-weight is `log p(x, z) − log N(z; μ, s²σ²)` at `z = μ + sσξ` (checked
    /// against the unwidened target's log-weight of the same `z`, which differs by the change of
    /// proposal density only); `s = 1` changes nothing; a non-positive `s` is refused.
    #[test]
    fn widened_proposal_reweights_by_the_proposal_density() {
        let (vae, x) = setup();
        let plain = VaeBatchTarget::new(&vae, &x, 5).unwrap();
        let s = 1.5f64;
        let wide = VaeBatchTarget::new(&vae, &x, 5)
            .unwrap()
            .with_proposal_scale(s as f32)
            .unwrap();
        let xi = DMatrix::from_fn(3, 4, |i, j| 0.3 * i as f64 - 0.4 * j as f64);
        // The same latent points in the plain target's noise coordinates: ξ' = s ξ (to f32 rounding).
        let xi_plain = xi.map(|v| s * v);
        let (mut lw_wide, mut lw_plain) = ([0.0; 4], [0.0; 4]);
        wide.log_weights_batch(&[(2, &xi)], &mut lw_wide).unwrap();
        plain
            .log_weights_batch(&[(2, &xi_plain)], &mut lw_plain)
            .unwrap();
        for j in 0..4 {
            let (n2, n2_plain): (f64, f64) = (
                xi.column(j).iter().map(|v| v * v).sum(),
                xi_plain.column(j).iter().map(|v| v * v).sum(),
            );
            // log q_s(z) − log q_1(z) = −½|ξ|² − 3 log s + ½|sξ|².
            let expected = lw_plain[j] + 0.5 * n2 + 3.0 * s.ln() - 0.5 * n2_plain;
            assert!(
                (lw_wide[j] - expected).abs() < 1e-4,
                "{} against {expected}",
                lw_wide[j]
            );
        }
        let same = VaeBatchTarget::new(&vae, &x, 5)
            .unwrap()
            .with_proposal_scale(1.0)
            .unwrap();
        let mut lw_same = [0.0; 4];
        same.log_weights_batch(&[(2, &xi)], &mut lw_same).unwrap();
        let mut lw_first = [0.0; 4];
        plain.log_weights_batch(&[(2, &xi)], &mut lw_first).unwrap();
        assert_eq!(lw_same, lw_first);
        for bad in [0.0, -1.0, f32::NAN, f32::INFINITY] {
            let t = VaeBatchTarget::new(&vae, &x, 5).unwrap();
            assert!(t.with_proposal_scale(bad).is_err());
        }
    }

    /// A fitted proposal moves toward the posterior's mean, keeps its scales above a tenth of the
    /// encoder's, leaves the target's log-weights a function of `z` alone (the same `z` under two
    /// proposals differs by the proposal densities only), and refuses fewer than two particles.
    #[test]
    fn fitted_proposal_is_a_proposal_change_only() {
        use rand::SeedableRng;
        let (vae, x) = setup();
        let plain = VaeBatchTarget::new(&vae, &x, 5).unwrap();
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(3);
        let fitted = VaeBatchTarget::new(&vae, &x, 5)
            .unwrap()
            .with_fitted_proposal(400, &mut rng)
            .unwrap();
        assert_ne!(fitted.mu(), plain.mu());
        for (f, p) in fitted.sigma().iter().zip(plain.sigma()) {
            assert!(*f >= 0.1 * p * (1.0 - 1e-6), "{f} below a tenth of {p}");
        }
        // A point z of point 1 expressed in each target's noise coordinates.
        let d = 3;
        let z: Vec<f32> = vec![0.2, -0.5, 0.9];
        let noise_of = |t: &VaeBatchTarget<'_>| {
            DMatrix::from_fn(d, 1, |i, _| {
                f64::from((z[i] - t.mu()[d + i]) / t.sigma()[d + i])
            })
        };
        let (xf, xp) = (noise_of(&fitted), noise_of(&plain));
        let (mut lf, mut lp) = ([0.0], [0.0]);
        fitted.log_weights_batch(&[(1, &xf)], &mut lf).unwrap();
        plain.log_weights_batch(&[(1, &xp)], &mut lp).unwrap();
        let log_q = |t: &VaeBatchTarget<'_>, xi: &DMatrix<f64>| -> f64 {
            -0.5 * xi.iter().map(|v| v * v).sum::<f64>()
                - t.sigma()[d..2 * d]
                    .iter()
                    .map(|&s| f64::from(s).ln())
                    .sum::<f64>()
        };
        let expected = lp[0] + log_q(&plain, &xp) - log_q(&fitted, &xf);
        assert!(
            (lf[0] - expected).abs() < 1e-3,
            "{} against {expected}",
            lf[0]
        );
        let t = VaeBatchTarget::new(&vae, &x, 5).unwrap();
        assert!(t.with_fitted_proposal(1, &mut rng).is_err());
    }
}
