//! SUMO's estimate of `log Z` is unbiased against a closed form, where the IWAE bound it starts from is
//! not.

use nalgebra::DMatrix;
use ucg_couplings::ImportanceTarget;
use ucg_estimators::baselines::importance_set;
use ucg_estimators::seeding::stream;
use ucg_estimators::summary::Moments;
use ucg_estimators::sumo::{RouletteSurvival, Sumo, sumo_set};

/// `log w(ξ) = a ξ − a²/2` under `ξ ~ N(0, 1)`: `Z = E[w] = 1`, `log Z = 0`, `Var[w] = e^{a²} − 1`.
struct LogNormalWeights(f64);
impl ImportanceTarget for LogNormalWeights {
    fn noise_dim(&self) -> usize {
        1
    }
    fn log_weights(&self, noise: &DMatrix<f64>, out: &mut [f64]) -> ucg_couplings::Result<()> {
        let a = self.0;
        for (o, c) in out.iter_mut().zip(noise.column_iter()) {
            *o = a * c[0] - 0.5 * a * a;
        }
        Ok(())
    }
}

const DRAWS: u64 = 2_000_000;

#[test]
fn sumo_estimates_log_z_without_bias_and_its_first_bound_does_not() {
    let target = LogNormalWeights(1.0);
    let sumo = Sumo::new(3, RouletteSurvival::new(80, 0.9).unwrap()).unwrap();
    let (mut est, mut bound) = (Moments::new(1), Moments::new(1));
    let mut particles = Moments::new(1);
    for r in 0..DRAWS {
        let set = sumo_set(&target, &sumo, &mut stream(5, r)).unwrap();
        particles.push(&[set.log_weights.len() as f64]).unwrap();
        est.push(&[set.estimate]).unwrap();
        let iwae = importance_set(&target, 3, &mut stream(6, r)).unwrap();
        bound.push(&[iwae.log_mean_weight]).unwrap();
    }
    let z = est.z_scores(&[0.0]).unwrap()[0];
    let z_bound = bound.z_scores(&[0.0]).unwrap()[0];
    let z_cost = particles.z_scores(&[sumo.expected_particles()]).unwrap()[0];
    eprintln!(
        "SUMO: z = {z:.2}; IWAE_3: z = {z_bound:.2}; particles per draw: z = {z_cost:.2} against {:.2}",
        sumo.expected_particles()
    );
    // Two-sided at 10⁻³.
    assert!(z.abs() < 3.29, "SUMO: z = {z}");
    assert!(
        z_bound < -3.29,
        "IWAE_3 should be biased downwards: z = {z_bound}"
    );
    assert!(z_cost.abs() < 3.29, "particles per draw: z = {z_cost}");
}
