//! One Hamiltonian Monte Carlo transition (Neal 2011) of every chain of a batch, leaving its annealed
//! density `f_β` invariant, with one batched model evaluation per leapfrog step.

use super::annealed::{AnnealedBatch, Positions};
use crate::error::Result;
use nalgebra::DMatrix;
use rand::RngExt;
use rand_distr::{Distribution, StandardNormal};
use ucg_estimators::seeding::StreamRng;
use ucg_models::LatentModel;

/// Moves every chain of `batch` by one HMC transition targeting `f_β ∝ q0^{1−β} p(x, ·)^β`: momentum
/// `m ~ N(0, I)`, `leapfrog_steps` leapfrog steps of size `step_sizes[i]` for the columns of point `i`,
/// and a Metropolis accept/reject on the Hamiltonian `H = −log f_β(z) + ½|m|²`.
///
/// The leapfrog integrator is volume-preserving and reversible (up to the momentum flip, which the
/// symmetric kinetic energy makes unnecessary to carry out), so the accept/reject step makes `f_β`
/// invariant for any fixed step size. A trajectory that leaves the model's domain (a non-finite
/// `log p`) is rejected. Point `i`'s randomness comes from `rngs[i]`: its momenta, then its uniforms.
///
/// Returns each column's acceptance probability `min(1, exp(H_0 − H_1))` (0 for a divergent trajectory).
///
/// # Errors
/// A model error other than a non-finite value.
pub(crate) fn hmc_transition<M: LatentModel + ?Sized>(
    batch: &AnnealedBatch<'_, M>,
    current: &mut Positions,
    proposal: &mut Positions,
    beta: f64,
    step_sizes: &[f64],
    leapfrog_steps: usize,
    rngs: &mut [StreamRng],
) -> Result<Vec<f64>> {
    let (d, n_cols, copies) = (batch.dim(), batch.len(), batch.copies());
    let eps = |j: usize| step_sizes[j / copies];
    let mut momentum = DMatrix::zeros(d, n_cols);
    for (j, mut col) in momentum.column_iter_mut().enumerate() {
        let rng = &mut rngs[j / copies];
        col.iter_mut()
            .for_each(|m| *m = StandardNormal.sample(&mut *rng));
    }
    let kinetic = |m: &DMatrix<f64>, j: usize| 0.5 * m.column(j).norm_squared();
    let start_h: Vec<f64> = (0..n_cols)
        .map(|j| -current.log_annealed(j, beta) + kinetic(&momentum, j))
        .collect();

    proposal.clone_from(current);
    let mut diverged = vec![false; n_cols];
    // Half step in momentum, then alternate full steps, ending with a half step in momentum.
    for j in 0..n_cols {
        for i in 0..d {
            momentum[(i, j)] += 0.5 * eps(j) * proposal.grad_annealed(i, j, beta);
        }
    }
    for step in 0..leapfrog_steps {
        for j in 0..n_cols {
            if diverged[j] {
                continue;
            }
            for i in 0..d {
                proposal.z[(i, j)] += eps(j) * momentum[(i, j)];
            }
            if proposal.z.column(j).iter().any(|v| !v.is_finite()) {
                diverged[j] = true;
            }
        }
        // Divergent chains are parked at their start so that the batch stays evaluable; they are
        // rejected below.
        for j in (0..n_cols).filter(|&j| diverged[j]) {
            proposal.z.set_column(j, &current.z.column(j));
        }
        batch.evaluate(proposal, &mut diverged)?;
        let weight = if step + 1 == leapfrog_steps { 0.5 } else { 1.0 };
        for j in 0..n_cols {
            for i in 0..d {
                momentum[(i, j)] += weight * eps(j) * proposal.grad_annealed(i, j, beta);
            }
        }
    }

    let mut acceptance = vec![0.0; n_cols];
    for j in 0..n_cols {
        let end_h = -proposal.log_annealed(j, beta) + kinetic(&momentum, j);
        let log_ratio = start_h[j] - end_h;
        acceptance[j] = if diverged[j] || log_ratio.is_nan() {
            0.0
        } else {
            log_ratio.exp().min(1.0)
        };
        let u: f64 = rngs[j / copies].random();
        if u < acceptance[j] {
            current.copy_column(j, proposal);
        }
    }
    Ok(acceptance)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::annealed::AisStart;
    use nalgebra::DVector;
    use ucg_estimators::seeding::stream;
    use ucg_models::ppca::{Ppca, PpcaLatentModel};

    /// HMC at β = 1 samples the exact PPCA posterior `N(m, C)`: after a burn-in, the mean of `zᵀ u` over
    /// many independent chains (one direction `u` per latent axis and one diagonal) matches `mᵀ u`
    /// within 4.5 standard errors (Bonferroni over the few directions); and the second moment likewise.
    /// Independent chains make the standard error exact: `sd(zᵀ u) / √chains`.
    #[test]
    fn samples_the_ppca_posterior() {
        let (d, p) = (3, 6);
        let model = Ppca::random(d, p, 0.4, 21).unwrap();
        let x = DMatrix::from_fn(p, 1, |i, _| 0.3 * i as f64 - 0.5);
        // Start far from the posterior: the prior encoder.
        let encoder = ucg_models::encoder::LinearGaussianEncoder::prior(d, p);
        let bound = PpcaLatentModel::new(&model, &encoder, &x).unwrap();
        let chains = 20_000;
        let batch = AnnealedBatch::new(&bound, &[0], chains, AisStart::Encoder).unwrap();
        let mut rngs = vec![stream(3, 0)];
        let mut current = batch.sample_start(&mut rngs).unwrap();
        let mut proposal = current.clone();
        let mut accepted = 0.0;
        // Step sizes vary over transitions (each transition is still invariant) because with a fixed
        // trajectory length HMC on a Gaussian can be periodic in a direction and never forget its start.
        for t in 0..30 {
            let step_size = 0.2 + 0.3 * (t as f64 * 0.618_033_988_75).fract();
            let a = hmc_transition(
                &batch,
                &mut current,
                &mut proposal,
                1.0,
                &[step_size],
                5,
                &mut rngs,
            )
            .unwrap();
            accepted += a.iter().sum::<f64>() / a.len() as f64;
        }
        assert!(accepted / 30.0 > 0.5, "acceptance {}", accepted / 30.0);
        let (mean, cov) = model.posterior(&x.column(0).into_owned()).unwrap();
        let mut directions: Vec<DVector<f64>> = (0..d)
            .map(|i| DVector::from_fn(d, |k, _| (k == i) as u8 as f64))
            .collect();
        directions.push(DVector::from_element(d, 1.0));
        for u in directions {
            let proj: Vec<f64> = current.z.column_iter().map(|z| z.dot(&u)).collect();
            let (m_u, v_u) = (mean.dot(&u), (u.transpose() * &cov * &u)[(0, 0)]);
            let sample_mean = proj.iter().sum::<f64>() / chains as f64;
            let z_mean = (sample_mean - m_u) / (v_u / chains as f64).sqrt();
            // (zᵀu − m_u)² has mean v_u and variance 2 v_u² under the exact posterior.
            let sq_mean = proj.iter().map(|v| (v - m_u).powi(2)).sum::<f64>() / chains as f64;
            let z_var = (sq_mean - v_u) / (2.0 * v_u * v_u / chains as f64).sqrt();
            assert!(z_mean.abs() < 4.5, "mean z-score {z_mean}");
            assert!(z_var.abs() < 4.5, "variance z-score {z_var}");
        }
    }

    #[test]
    fn divergent_trajectories_are_rejected_not_errors() {
        let model = Ppca::random(2, 4, 0.5, 1).unwrap();
        let encoder = model.posterior_encoder(1.0).unwrap();
        let x = DMatrix::from_element(4, 1, 0.1);
        let bound = PpcaLatentModel::new(&model, &encoder, &x).unwrap();
        let batch = AnnealedBatch::new(&bound, &[0], 8, AisStart::Encoder).unwrap();
        let mut rngs = vec![stream(1, 0)];
        let mut current = batch.sample_start(&mut rngs).unwrap();
        let start = current.z.clone();
        let mut proposal = current.clone();
        let a = hmc_transition(
            &batch,
            &mut current,
            &mut proposal,
            0.7,
            &[1e155],
            3,
            &mut rngs,
        )
        .unwrap();
        assert!(a.iter().all(|&v| v == 0.0));
        assert_eq!(current.z, start);
    }
}
