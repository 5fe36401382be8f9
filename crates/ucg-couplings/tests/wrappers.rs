//! The wrappers that kernels and drivers put around targets and kernels pass everything through:
//! [`CountingTarget`] (counting particles), [`WithInitial`] and references to kernels, and
//! [`PointTarget`] with [`check_requests`] for batched targets.

use nalgebra::DMatrix;
use rand::{Rng, RngExt, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use ucg_couplings::{
    BatchedImportanceTarget, CountingTarget, CoupledKernel, CouplingError, ImportanceTarget,
    InitialLaw, MarkovKernel, PointTarget, SetRequest, WithInitial, check_requests,
};

/// `log w(ξ) = ξ₀ + 10 n` for point `n` of three.
#[derive(Clone, Copy)]
struct ByPoint;
impl BatchedImportanceTarget for ByPoint {
    fn points(&self) -> usize {
        3
    }
    fn noise_dim(&self) -> usize {
        2
    }
    fn log_weights_batch(
        &self,
        req: &[SetRequest<'_>],
        out: &mut [f64],
    ) -> ucg_couplings::Result<()> {
        check_requests(3, 2, req, out.len())?;
        let values = req
            .iter()
            .flat_map(|&(n, m)| m.column_iter().map(move |c| c[0] + 10.0 * n as f64));
        out.iter_mut().zip(values).for_each(|(o, v)| *o = v);
        Ok(())
    }
}

#[test]
fn counting_target_counts_particles_and_resets() {
    let counted = CountingTarget::new(PointTarget::new(&ByPoint, 1).unwrap());
    assert_eq!((counted.noise_dim(), counted.inner().point()), (2, 1));
    let noise = DMatrix::from_column_slice(2, 3, &[1.0, 0.0, 2.0, 0.0, 3.0, 0.0]);
    let mut out = [0.0; 3];
    counted.log_weights(&noise, &mut out).unwrap();
    assert_eq!(out, [11.0, 12.0, 13.0]);
    counted.log_weights(&noise, &mut out).unwrap();
    assert_eq!(counted.evaluations(), 6);
    let copy = counted.clone();
    assert_eq!(counted.reset(), 6);
    assert_eq!((counted.evaluations(), copy.evaluations()), (0, 6));
    // The batch seen through a reference is the same batch (a generic call, so that the reference's own
    // impl is the one used rather than the target's, reached by auto-deref).
    fn through<B: BatchedImportanceTarget>(
        b: B,
        noise: &DMatrix<f64>,
        out: &mut [f64],
    ) -> (usize, usize) {
        b.log_weights_batch(&[(2, noise)], out).unwrap();
        (b.points(), b.noise_dim())
    }
    let by_ref: &ByPoint = &ByPoint;
    assert_eq!(through(by_ref, &noise, &mut out), (3, 2));
    assert_eq!(out, [21.0, 22.0, 23.0]);
}

#[test]
fn batched_requests_are_checked() {
    let two = DMatrix::zeros(2, 2);
    let three_rows = DMatrix::zeros(3, 2);
    assert!(check_requests(3, 2, &[(0, &two), (2, &two)], 4).is_ok());
    for (requests, len) in [
        (vec![(3, &two)], 2),
        (vec![(0, &three_rows)], 2),
        (vec![(0, &two), (1, &two)], 3),
        (vec![(0, &two), (1, &two)], 5),
    ] {
        assert!(
            matches!(
                check_requests(3, 2, &requests, len),
                Err(CouplingError::DimensionMismatch { .. })
            ),
            "{requests:?}, {len}"
        );
    }
    assert!(PointTarget::new(&ByPoint, 3).is_err());
    assert_eq!(PointTarget::new(&ByPoint, 2).unwrap().point(), 2);
}

/// A deterministic walk: a step adds 1; a coupled step adds 1 to `x` and 2 to `y`.
struct Walk;
impl MarkovKernel for Walk {
    type State = i64;
    fn step<R: Rng + ?Sized>(&self, s: &mut i64, _: &mut R) -> ucg_couplings::Result<()> {
        *s += 1;
        Ok(())
    }
}
impl CoupledKernel for Walk {
    fn coupled_step<R: Rng + ?Sized>(
        &self,
        x: &mut i64,
        y: &mut i64,
        _: &mut R,
    ) -> ucg_couplings::Result<bool> {
        *x += 1;
        *y += 2;
        Ok(x == y)
    }
}

#[test]
fn with_initial_and_references_pass_steps_through() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
    // Over a reference to the kernel, so that the reference's kernel impls are exercised too.
    let walk = Walk;
    let kernel = WithInitial::new(&walk, |rng: &mut dyn Rng| {
        Ok(40 + i64::from(rng.random_range(0..2u8)))
    });
    // Generic calls, so that the impls for references are the ones used (not reached by auto-deref).
    fn initial<K: InitialLaw<State = i64>>(k: K, rng: &mut Xoshiro256PlusPlus) -> i64 {
        k.sample_initial(rng).unwrap()
    }
    fn step<K: MarkovKernel<State = i64>>(k: K, s: &mut i64, rng: &mut Xoshiro256PlusPlus) {
        k.step(s, rng).unwrap()
    }
    fn coupled<K: CoupledKernel<State = i64>>(
        k: K,
        x: &mut i64,
        y: &mut i64,
        rng: &mut Xoshiro256PlusPlus,
    ) -> bool {
        k.coupled_step(x, y, rng).unwrap()
    }
    let x0 = initial(&kernel, &mut rng);
    assert!((40..42).contains(&x0));
    let (mut x, mut y) = (x0, x0);
    step(&kernel, &mut x, &mut rng);
    assert_eq!(x, x0 + 1);
    // x0 + 2 and x0 + 1: meets.
    assert!(coupled(&kernel, &mut x, &mut y, &mut rng));
    assert!(
        !kernel
            .kernel()
            .coupled_step(&mut x, &mut y, &mut rng)
            .unwrap()
    );
    assert_eq!((x, y), (x0 + 3, x0 + 4));
}
