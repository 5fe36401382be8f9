//! The VAE's adapters agree with the batched model: the importance target of one point gives the
//! log-weights of [`Vae::particles`], the evaluation view gives `log_joint` and its latent gradient, and
//! bad input is an error.

use nalgebra::DMatrix;
use ucg_couplings::ImportanceTarget;
use ucg_models::LatentModel;
use ucg_models::vae::{Vae, VaeOnData, VaePointTarget, VaeShape, VaeWorkspace};

fn setup() -> (Vae<f32>, Vec<f32>) {
    let vae = Vae::<f32>::new(VaeShape::new(12, 9, 4).unwrap(), 5);
    let x: Vec<f32> = (0..12 * 3)
        .map(|i| f32::from(u8::from(i % 5 < 2)))
        .collect();
    (vae, x)
}

#[test]
fn point_target_reproduces_the_batched_log_weights() {
    let (vae, x) = setup();
    let k = 6;
    let noise: Vec<f32> = (0..4 * 3 * k)
        .map(|i| ((i as f32) * 0.731).sin() * 1.3)
        .collect();
    let mut ws = VaeWorkspace::new();
    let batched = vae.particles(&x, 3, k, &noise, &mut ws).unwrap().to_vec();
    for b in 0..3 {
        let target = VaePointTarget::new(&vae, &x[b * 12..(b + 1) * 12]).unwrap();
        assert_eq!(target.noise_dim(), 4);
        let cols = &noise[b * 4 * k..(b + 1) * 4 * k];
        let m = DMatrix::from_column_slice(
            4,
            k,
            &cols.iter().map(|&v| f64::from(v)).collect::<Vec<_>>(),
        );
        let mut out = vec![0.0; k];
        target.log_weights(&m, &mut out).unwrap();
        for j in 0..k {
            let want = f64::from(batched[b * k + j]);
            assert!(
                (out[j] - want).abs() < 1e-3 * (1.0 + want.abs()),
                "{b} {j}: {} vs {want}",
                out[j]
            );
        }
    }
    assert!(VaePointTarget::new(&vae, &x[..5]).is_err());
}

#[test]
fn evaluation_view_matches_the_model_and_rejects_bad_input() {
    let (vae, x) = setup();
    let bound = VaeOnData::new(vae.clone(), x.clone()).unwrap();
    assert_eq!((bound.latent_dim(), bound.num_points()), (4, 3));
    let (mut mean, mut sd) = (vec![0.0; 4], vec![0.0; 4]);
    bound.encode(2, &mut mean, &mut sd).unwrap();
    assert!(sd.iter().all(|&s| s > 0.0));
    let z = DMatrix::from_fn(4, 5, |i, j| (i as f64 - 1.5) * 0.4 + j as f64 * 0.1);
    let points = [0, 2, 1, 1, 0];
    let mut lj = vec![0.0; 5];
    let mut g = DMatrix::zeros(4, 5);
    bound.log_joint(&points, &z, &mut lj, Some(&mut g)).unwrap();
    let zf: Vec<f32> = z.iter().map(|&v| v as f32).collect();
    let mut direct = vec![0.0f32; 5];
    vae.log_joint(
        &x,
        &points,
        &zf,
        &mut direct,
        None,
        &mut VaeWorkspace::new(),
    )
    .unwrap();
    for j in 0..5 {
        assert!((lj[j] - f64::from(direct[j])).abs() < 1e-9 * (1.0 + lj[j].abs()));
    }
    assert!(g.iter().all(|v| v.is_finite()) && g.iter().any(|v| v.abs() > 1e-3));
    // Bad input: errors, not panics.
    assert!(bound.encode(3, &mut mean, &mut sd).is_err());
    assert!(
        bound
            .log_joint(&[0, 3, 1, 1, 0], &z, &mut lj, None)
            .is_err()
    );
    assert!(
        bound
            .log_joint(&points, &DMatrix::zeros(3, 5), &mut lj, None)
            .is_err()
    );
    let mut bad = z.clone();
    bad[(0, 0)] = f64::NAN;
    assert!(bound.log_joint(&points, &bad, &mut lj, None).is_err());
    assert!(VaeOnData::new(vae.clone(), vec![0.0; 13]).is_err());
    assert!(VaeOnData::new(vae, vec![f32::NAN; 12]).is_err());
}
