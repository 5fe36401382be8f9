//! The batched lagged driver sends, for every point, exactly the events `run_points` sends for the same
//! seed (bit for bit), whatever the kernel, lag, window, cap or number of threads.

#![cfg(feature = "rayon")]

use nalgebra::DVector;
use ucg_couplings::isir::{Isir, IsirDisir, IsirSchedule, IsirState};
use ucg_couplings::{CoupledKernel, InitialLaw};
use ucg_estimators::batch::run_points;
use ucg_estimators::batched::run_lagged_batched;
use ucg_estimators::{Event, LagSettings, LaggedRun, Part};
use ucg_models::ppca::{DiagonalPpcaBatch, DiagonalPpcaTarget, Ppca, PpcaPoint};

/// One event, reduced to bits: kind, iteration or coefficient, and every state it carries.
type Record = (u8, u64, Vec<u64>);

fn state_bits(s: &IsirState) -> Vec<u64> {
    let mut v: Vec<u64> = s.noise().iter().map(|x| x.to_bits()).collect();
    v.extend(s.log_weights().iter().map(|x| x.to_bits()));
    v.extend(s.weights().iter().map(|x| x.to_bits()));
    v.push(s.selected() as u64);
    v.push(s.auxiliary_index() as u64);
    v
}

fn record(log: &mut Vec<Record>, ev: Event<'_, IsirState>) {
    log.push(match ev {
        Event::Term {
            state,
            coefficient,
            part,
        } => (
            u8::from(part == Part::Mcmc),
            coefficient.to_bits(),
            state_bits(state),
        ),
        Event::Difference { x, y, coefficient } => {
            let mut v = state_bits(x);
            v.extend(state_bits(y));
            v.push(u64::from(x.relation_to(y) == y.relation_to(x)));
            (2, coefficient.to_bits(), v)
        }
        Event::Step { t, x } => (3, t as u64, state_bits(x)),
    });
}

fn targets(n: usize) -> Vec<DiagonalPpcaTarget> {
    let model = Ppca::random(4, 9, 0.5, 17).unwrap();
    let mut encoder = model.posterior_encoder(1.6).unwrap();
    encoder.b_mu.iter_mut().for_each(|b| *b += 0.4);
    (0..n)
        .map(|i| {
            let x = DVector::from_fn(9, |p, _| f64::from(((p * 5 + i * 7) % 3 == 0) as u8));
            DiagonalPpcaTarget::new(&PpcaPoint::new(&model, &x).unwrap(), &encoder, &x).unwrap()
        })
        .collect()
}

type Outcome = (Vec<Vec<Record>>, Vec<LaggedRun>, Vec<u64>);

fn per_point<'t, K>(
    ts: &'t [DiagonalPpcaTarget],
    make: impl Fn(&'t DiagonalPpcaTarget) -> K + Sync,
    evaluations: fn(&K) -> u64,
    settings: &LagSettings,
    seed: u64,
) -> Outcome
where
    K: CoupledKernel<State = IsirState> + InitialLaw,
{
    let out = run_points(
        ts.len(),
        seed,
        settings,
        |n| Ok((make(&ts[n]), (Vec::new(), 0u64))),
        |kernel, acc: &mut (Vec<Record>, u64), ev| {
            record(&mut acc.0, ev);
            acc.1 = evaluations(kernel);
            Ok(())
        },
    )
    .unwrap();
    (
        out.iter().map(|p| p.accumulator.0.clone()).collect(),
        out.iter().map(|p| p.run).collect(),
        out.iter().map(|p| p.accumulator.1).collect(),
    )
}

fn batched(
    ts: &[DiagonalPpcaTarget],
    schedule: &IsirSchedule,
    settings: &LagSettings,
    seed: u64,
) -> Outcome {
    let target = DiagonalPpcaBatch::new(ts).unwrap();
    let out = run_lagged_batched(
        &target,
        schedule,
        settings,
        seed,
        vec![Vec::new(); ts.len()],
        |_, log, ev| {
            record(log, ev);
            Ok(())
        },
    )
    .unwrap();
    (
        out.iter().map(|p| p.accumulator.clone()).collect(),
        out.iter().map(|p| p.run).collect(),
        out.iter().map(|p| p.evaluations).collect(),
    )
}

#[test]
fn batched_driver_reproduces_run_points_bit_for_bit() {
    let ts = targets(6);
    let k = 4;
    // (L, k, m, cap): the paper's window, k = 0, a long window, and a cap that stops some runs.
    let cases = [
        (1, 0, 0, 1000),
        (3, 0, 4, 1000),
        (2, 1, 2, 1000),
        (3, 4, 9, 1000),
        (1, 1, 1, 2),
    ];
    let (mut capped, mut shrank) = (0, 0);
    for (lag, start, end, cap) in cases {
        let settings = LagSettings::new(lag, start, end, cap).unwrap();
        for seed in [1, 2] {
            let a = per_point(
                &ts,
                |t| Isir::new(t, k).unwrap(),
                Isir::evaluations,
                &settings,
                seed,
            );
            let b = batched(&ts, &IsirSchedule::isir(k).unwrap(), &settings, seed);
            assert!(
                a == b,
                "C-ISIR L={lag} k={start} m={end} cap={cap} seed={seed}"
            );
            let a = per_point(
                &ts,
                |t| IsirDisir::new(t, k, 0.7).unwrap(),
                IsirDisir::evaluations,
                &settings,
                seed,
            );
            let b = batched(
                &ts,
                &IsirSchedule::isir_disir(k, 0.7).unwrap(),
                &settings,
                seed,
            );
            assert!(
                a == b,
                "C-ISIR-DISIR L={lag} k={start} m={end} cap={cap} seed={seed}"
            );
            capped += a.1.iter().filter(|r| r.capped).count();
            let iterations: Vec<usize> = a.1.iter().map(|r| r.iterations).collect();
            shrank += usize::from(iterations.iter().any(|&t| t != iterations[0]));
        }
    }
    assert!(capped > 0, "the capped case never capped: it tests nothing");
    // Points finished at different iterations, so the batch did shrink while running.
    assert!(
        shrank > 0,
        "every point always finished together: leaving the batch went untested"
    );
}

#[test]
fn batched_driver_does_not_depend_on_the_number_of_threads() {
    let ts = targets(5);
    let schedule = IsirSchedule::isir_disir(5, 0.5).unwrap();
    let settings = LagSettings::paper(1, 3, 1000).unwrap();
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let two = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .unwrap();
    let a = one.install(|| batched(&ts, &schedule, &settings, 9));
    let b = two.install(|| batched(&ts, &schedule, &settings, 9));
    assert!(a == b);
}

/// A target that fails on one point: the driver reports the failure instead of panicking, and a wrong
/// number of accumulators is a typed error.
#[test]
fn failures_are_typed_errors() {
    struct Failing;
    impl ucg_couplings::BatchedImportanceTarget for Failing {
        fn points(&self) -> usize {
            3
        }
        fn noise_dim(&self) -> usize {
            2
        }
        fn log_weights_batch(
            &self,
            requests: &[ucg_couplings::SetRequest<'_>],
            out: &mut [f64],
        ) -> ucg_couplings::Result<()> {
            ucg_couplings::check_requests(3, 2, requests, out.len())?;
            out.fill(0.0);
            if requests.len() > 2 {
                out[0] = f64::NAN;
            }
            Ok(())
        }
    }
    let schedule = IsirSchedule::isir(3).unwrap();
    let settings = LagSettings::paper(1, 2, 100).unwrap();
    let noop = |_: usize, _: &mut (), _: Event<'_, IsirState>| Ok(());
    assert!(run_lagged_batched(&Failing, &schedule, &settings, 1, vec![(); 2], noop).is_err());
    assert!(run_lagged_batched(&Failing, &schedule, &settings, 1, vec![(); 3], noop).is_err());
}
