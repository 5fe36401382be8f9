//! The ISIR-family steps as they were written before they were cut into pieces, kept (for tests only) as
//! the reference the pieces must reproduce bit for bit from the same random stream.

use super::proposal::{ar1_outward, draw_innovations};
use super::state::{IsirState, Origin};
use crate::error::Result;
use crate::kernel::move_as_one;
use crate::maximal::categorical::{maximal_coupling, sample_categorical};
use crate::particles::ParticleSet;
use crate::target::ImportanceTarget;
use rand::{Rng, RngExt};

fn reweight<T: ImportanceTarget + ?Sized>(
    target: &T,
    set: &mut ParticleSet,
    l: usize,
    kept_log_weight: f64,
    shared: Option<&[f64]>,
) -> Result<()> {
    match shared {
        Some(lw) => set.log_weights.copy_from_slice(lw),
        None => target.log_weights(&set.noise, &mut set.log_weights)?,
    }
    set.log_weights[l] = kept_log_weight;
    set.renormalize()
}

/// The former single (D)ISIR step.
pub(super) fn step<T: ImportanceTarget, R: Rng + ?Sized>(
    target: &T,
    k: usize,
    beta: f64,
    s: &mut IsirState,
    rng: &mut R,
) -> Result<()> {
    s.particles.check_against(target, k)?;
    let l = rng.random_range(0..k);
    let kept = s.selected_log_weight();
    let set = &mut s.particles;
    set.noise.swap_columns(s.selected, l);
    draw_innovations(&mut set.noise, l, rng);
    ar1_outward(&mut set.noise, l, beta);
    reweight(target, set, l, kept, None)?;
    s.selected = sample_categorical(&set.weights, rng)?;
    s.aux = l;
    s.origin = Origin::single(beta);
    Ok(())
}

/// The former coupled (D)ISIR step.
pub(super) fn coupled_step<T: ImportanceTarget, R: Rng + ?Sized>(
    target: &T,
    k: usize,
    beta: f64,
    x: &mut IsirState,
    y: &mut IsirState,
    rng: &mut R,
) -> Result<bool> {
    x.particles.check_against(target, k)?;
    y.particles.check_against(target, k)?;
    if move_as_one(x, y, |s| step(target, k, beta, s, rng))? {
        return Ok(true);
    }
    let l = rng.random_range(0..k);
    let (kept_x, kept_y) = (x.selected_log_weight(), y.selected_log_weight());
    let (xs, ys) = (&mut x.particles, &mut y.particles);
    xs.noise.swap_columns(x.selected, l);
    ys.noise.swap_columns(y.selected, l);
    draw_innovations(&mut xs.noise, l, rng);
    let d = xs.noise.nrows();
    let (xa, ya) = (xs.noise.as_slice(), ys.noise.as_mut_slice());
    ya[..l * d].copy_from_slice(&xa[..l * d]);
    ya[(l + 1) * d..].copy_from_slice(&xa[(l + 1) * d..]);
    ar1_outward(&mut xs.noise, l, beta);
    ar1_outward(&mut ys.noise, l, beta);
    reweight(target, xs, l, kept_x, None)?;
    let shared = (beta == 0.0).then_some(xs.log_weights.as_slice());
    reweight(target, ys, l, kept_y, shared)?;
    let (i, j) = maximal_coupling(&xs.weights, &ys.weights, rng)?;
    x.selected = i;
    y.selected = j;
    x.aux = l;
    y.aux = l;
    x.origin = Origin::coupled(beta);
    y.origin = x.origin;
    Ok(i == j && x.particles.same_particle(&y.particles, l) && x == y)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::isir::{Disir, Isir, IsirDisir};
    use crate::kernel::{CoupledKernel, InitialLaw};
    use nalgebra::DMatrix;
    use rand::SeedableRng;
    use rand_xoshiro::Xoshiro256PlusPlus;

    /// A skewed, non-Gaussian target so that weights vary and selections are non-trivial.
    struct Skewed;
    impl ImportanceTarget for Skewed {
        fn noise_dim(&self) -> usize {
            3
        }
        fn log_weights(&self, noise: &DMatrix<f64>, out: &mut [f64]) -> Result<()> {
            for (o, c) in out.iter_mut().zip(noise.column_iter()) {
                *o = 0.8 * c[0] - 0.3 * c[1] * c[1] + (2.0 * c[2]).sin();
            }
            Ok(())
        }
    }

    /// Bit-level identity of everything a state carries.
    fn identical(a: &IsirState, b: &IsirState) -> bool {
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        a == b
            && a.aux == b.aux
            && a.origin.beta.to_bits() == b.origin.beta.to_bits()
            && a.origin.coupled_step.is_some() == b.origin.coupled_step.is_some()
            && bits(a.log_weights()) == bits(b.log_weights())
            && bits(a.weights()) == bits(b.weights())
            && a.particles.log_sum.to_bits() == b.particles.log_sum.to_bits()
    }

    /// Runs `steps` single steps, then coupled steps (continuing past meeting) with the kernel under test
    /// and with the former code on `sub_betas`, from the same seed, and checks every state and flag.
    fn compare<K>(kernel: &K, sub_betas: &[f64], k: usize, seed: u64)
    where
        K: CoupledKernel<State = IsirState> + InitialLaw,
    {
        let mut rng_new = Xoshiro256PlusPlus::seed_from_u64(seed);
        let mut x_new = kernel.sample_initial(&mut rng_new).unwrap();
        let mut y_new = kernel.sample_initial(&mut rng_new).unwrap();
        let (mut x_old, mut y_old, mut rng_old) = (x_new.clone(), y_new.clone(), rng_new.clone());
        for _ in 0..5 {
            kernel.step(&mut x_new, &mut rng_new).unwrap();
            for &b in sub_betas {
                step(&Skewed, k, b, &mut x_old, &mut rng_old).unwrap();
            }
            assert!(identical(&x_new, &x_old));
        }
        let mut met = 0;
        for _ in 0..60 {
            let flag_new = kernel
                .coupled_step(&mut x_new, &mut y_new, &mut rng_new)
                .unwrap();
            let mut flag_old = false;
            for &b in sub_betas {
                flag_old =
                    coupled_step(&Skewed, k, b, &mut x_old, &mut y_old, &mut rng_old).unwrap();
            }
            assert_eq!(flag_new, flag_old);
            assert!(identical(&x_new, &x_old) && identical(&y_new, &y_old));
            met += usize::from(flag_new);
        }
        // The comparison covered the sticky regime too.
        assert!(met > 0, "chains never met: the sticky path went untested");
        assert_eq!(rng_new, rng_old);
    }

    #[test]
    fn pieces_reproduce_the_former_steps_bit_for_bit() {
        for seed in 0..4 {
            compare(&Isir::new(Skewed, 4).unwrap(), &[0.0], 4, seed);
            compare(&Disir::new(Skewed, 4, 0.0).unwrap(), &[0.0], 4, seed);
            compare(&Disir::new(Skewed, 4, 0.3).unwrap(), &[0.3], 4, seed);
            compare(
                &IsirDisir::new(Skewed, 5, 0.6).unwrap(),
                &[0.0, 0.6],
                5,
                seed,
            );
        }
    }
}
