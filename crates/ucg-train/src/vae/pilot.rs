//! C-ISIR-DISIR's β for a training run, chosen by a short pilot on the model the run starts from.
//!
//! [`ucg_estimators::pilot::pilot_beta`] runs `replicates` coupled θ-gradients of one minibatch at each
//! candidate β (replicate `r` on the same seed at every β: common random numbers) and keeps the β with
//! the smallest measured inefficiency, the total variance of the gradient (trace of its covariance)
//! times its cost in particle evaluations. The chosen β is then used, fixed, for every step of the run,
//! so each step's estimate stays unbiased; the pilot's own estimates are thrown away.
//!
//! Both the variance and the cost of a minibatch gradient are sums over its points, so the inefficiency
//! of a few points ranks the candidates as the whole minibatch would, at a fraction of the cost.

use super::coupled::CoupledKernelKind;
use super::gradient_study::coupled_gradient;
use crate::Result;
use ucg_estimators::LagSettings;
use ucg_estimators::pilot::{PilotChoice, pilot_beta};
use ucg_models::vae::Vae;

/// Runs the pilot on the `batch` points `x` (`P × batch`) with `K = k` particles and the lagged settings
/// `lag`; replicate `r` runs on the streams of seed `stream(seed, r)`.
///
/// # Errors
/// Invalid candidates (outside `[0, 1)`), fewer than two replicates, model or kernel failures.
pub fn pilot_coupled_beta(
    model: &Vae<f32>,
    x: &[f32],
    batch: usize,
    k: usize,
    lag: &LagSettings,
    candidates: &[f64],
    replicates: usize,
    seed: u64,
) -> Result<PilotChoice> {
    pilot_beta(candidates, replicates, |beta, r| {
        let replicate_seed = rand::Rng::next_u64(&mut ucg_data::rng::stream(seed, r));
        let g = coupled_gradient(
            model,
            x,
            batch,
            CoupledKernelKind::IsirDisir,
            k,
            beta,
            lag,
            replicate_seed,
        )?;
        Ok((g.gradient, g.evaluations as f64))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ucg_models::vae::VaeShape;

    /// The pilot measures every candidate with the replicates asked, and its choice is the one of
    /// smallest inefficiency; a bad candidate is refused.
    #[test]
    fn pilot_measures_every_candidate_and_keeps_the_most_efficient() {
        let model = Vae::<f32>::new(VaeShape::new(6, 5, 2).unwrap(), 4);
        let x: Vec<f32> = (0..18).map(|i| (i % 4 == 1) as u8 as f32).collect();
        let lag = LagSettings::paper(1, 3, 200).unwrap();
        let choice = pilot_coupled_beta(&model, &x, 3, 4, &lag, &[0.0, 0.6], 4, 7).unwrap();
        assert_eq!(choice.measures.len(), 2);
        assert!(
            choice
                .measures
                .iter()
                .all(|m| m.replicates == 4 && m.cost > 0.0)
        );
        let best = choice.measures[choice.best].inefficiency;
        assert!(choice.measures.iter().all(|m| m.inefficiency >= best));
        assert!(pilot_coupled_beta(&model, &x, 3, 4, &lag, &[1.0], 4, 7).is_err());
    }
}
