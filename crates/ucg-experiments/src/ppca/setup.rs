//! Preparing a problem: the random PPCA model, the encoder fitted on the IWAE bound, and what the fit did.

use nalgebra::DMatrix;
use std::path::Path;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use ucg_estimators::seeding::stream;
use ucg_models::encoder::LinearGaussianEncoder;
use ucg_models::ppca::Ppca;
use ucg_report::{read_json, write_json};
use ucg_train::optim::Adam;
use ucg_train::ppca::{PpcaProblem, fit_encoder_iwae};

use super::cells::{Stream, stream_seed};
use super::config::Config;
use super::layout::{Layout, claim_sweep_folder};
use super::warmup::BetaRecord;
use crate::AnyResult;
use crate::progress::Ui;
use ucg_files::RunFolder;

/// What fitting one problem's encoder did, per data point.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FitRecord {
    /// Latent dimension.
    pub d: usize,
    /// Data points.
    pub points: usize,
    /// The IWAE bound's stochastic estimate (per point) after every Adam step.
    pub bound_trace: Vec<f64>,
    /// The fitted IWAE bound per point: mean of fresh estimates.
    pub bound: f64,
    /// Standard error of `bound`.
    pub bound_se: f64,
    /// The exact log-likelihood per point.
    pub log_likelihood: f64,
}

/// The exact gradient's figures needed by summaries.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExactRecord {
    /// Number of gradient components `P + D·P`.
    pub components: usize,
    /// The exact gradient at the intercept component.
    pub intercept: f64,
    /// The exact gradient at the weight component.
    pub weight: f64,
    /// Mean absolute value over all components (denominator of the relative absolute error).
    pub mean_abs: f64,
}

/// Everything a run computes before its replicates; identical for every shard and every restart of a run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SetupRecord {
    /// The main problem's fit.
    pub main_fit: FitRecord,
    /// The fits of the dimension sweep's problems.
    pub dimension_fits: Vec<FitRecord>,
    /// β's warm-ups (main problem per `K`, then the dimension sweep per `D`).
    pub betas: Vec<BetaRecord>,
    /// The exact gradient of the main problem.
    pub exact: ExactRecord,
}

/// A PPCA model, its fitted (then fixed) encoder, and its data points.
pub struct Prepared {
    /// The model.
    pub model: Ppca,
    /// The fitted encoder.
    pub encoder: LinearGaussianEncoder,
    /// The `P × N` points.
    pub x: DMatrix<f64>,
    /// What the fit did.
    pub fit: FitRecord,
}

impl Prepared {
    /// The estimators' problem (every point prepared once).
    ///
    /// # Errors
    /// Shape mismatches.
    pub fn problem(&self) -> AnyResult<PpcaProblem<'_>> {
        Ok(PpcaProblem::new(&self.model, &self.encoder, &self.x)?)
    }

    /// The latent dimension.
    pub fn d(&self) -> usize {
        self.fit.d
    }
}

/// The prepared problem of latent dimension `d` on the points `x`: loaded from the results folder's
/// cache when `cached` (the fit recorded in `setup.json`) describes it and the encoder was saved, so a
/// resumed run does not fit again; otherwise fitted with [`prepare`] and saved to the cache. `part`
/// names the problem's part of the study in the cache file (`main` or `dsweep`).
///
/// The encoder is cached as the bit patterns of its parameters, so a loaded encoder is exactly the
/// fitted one and a resumed run gives the same estimates as an uninterrupted one.
///
/// # Errors
/// As [`prepare`], an unreadable cache, or a cached encoder of the wrong size.
pub fn prepare_cached(
    config: &Config,
    d: usize,
    x: DMatrix<f64>,
    cached: Option<&FitRecord>,
    layout: &Layout,
    folder: &RunFolder,
    part: &str,
    ui: &Ui,
) -> AnyResult<Prepared> {
    let path = layout.encoder(part, d);
    let (p, n) = x.shape();
    if let Some(fit) = cached.filter(|f| f.d == d && f.points == n)
        && path.exists()
    {
        let bits: Vec<u64> = read_json(&path)?;
        let flat: Vec<f64> = bits.into_iter().map(f64::from_bits).collect();
        let mut encoder = LinearGaussianEncoder::prior(d, p);
        encoder
            .set_flat(&flat)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        ui.note(format!(
            "D = {d}, N = {n}: encoder loaded from {} (fitted by an earlier run of these settings)",
            path.display()
        ));
        return Ok(Prepared {
            model: draw_model(config, d, p)?,
            encoder,
            x,
            fit: fit.clone(),
        });
    }
    let prepared = prepare(config, d, x, ui)?;
    let bits: Vec<u64> = prepared
        .encoder
        .to_flat()
        .iter()
        .map(|v| v.to_bits())
        .collect();
    write_json(folder.file_path(&path)?, &bits)?;
    Ok(prepared)
}

/// A sweep's folder opened on the study's main problem.
pub struct OpenedSweep<S> {
    /// The claimed folder, for writing.
    pub folder: RunFolder,
    /// The folder's files.
    pub layout: Layout,
    /// The setup an earlier run of the same sweep wrote (`setup.json`), if any.
    pub cached: Option<S>,
    /// The main problem, its encoder loaded from the folder's cache when `cached` records its fit.
    pub main: Prepared,
}

/// Opens the folder `out` of a sweep described by `record` ([`claim_sweep_folder`]; `what` names it in
/// errors), reads its cached setup, whose encoder fit `fit` returns, and prepares the main problem of
/// `config` ([`prepare_cached`]).
///
/// # Errors
/// A folder holding another sweep, unreadable files or data, or a failing fit.
pub fn open_sweep<R: Serialize, S: DeserializeOwned>(
    config: &Config,
    out: &Path,
    record: &R,
    what: &str,
    fit: impl Fn(&S) -> &FitRecord,
    ui: &Ui,
    command: &str,
) -> AnyResult<OpenedSweep<S>> {
    let folder = claim_sweep_folder(out, record, what, command)?;
    let layout = Layout::new(out);
    let cached: Option<S> = if layout.setup().exists() {
        Some(read_json(layout.setup())?)
    } else {
        None
    };
    let x = config.data.load(config.points)?;
    let main = prepare_cached(
        config,
        config.latent_dim,
        x,
        cached.as_ref().map(fit),
        &layout,
        &folder,
        "main",
        ui,
    )?;
    Ok(OpenedSweep {
        folder,
        layout,
        cached,
        main,
    })
}

/// The PPCA model of latent dimension `d` and data dimension `p`, drawn from the run's seed.
fn draw_model(config: &Config, d: usize, p: usize) -> AnyResult<Ppca> {
    Ok(Ppca::random(
        d,
        p,
        config.sigma2,
        stream_seed(config, Stream::Model, d),
    )?)
}

/// Draws the model with latent dimension `d` (θ0 ~ N(0, 0.1²), θ1 ~ N(0, 1/P)), fits the encoder from the
/// prior on the IWAE bound with DReG gradients and Adam, and evaluates the fitted bound.
///
/// # Errors
/// Invalid settings or non-finite gradients.
pub fn prepare(config: &Config, d: usize, x: DMatrix<f64>, ui: &Ui) -> AnyResult<Prepared> {
    let p = x.nrows();
    let n = x.ncols();
    let model = draw_model(config, d, p)?;
    let mut encoder = LinearGaussianEncoder::prior(d, p);
    let fit = &config.fit;
    let bar = ui.bar(fit.steps as u64, format!("fit encoder D={d} N={n}"));
    let report = fit_encoder_iwae(
        &model,
        &mut encoder,
        &x,
        fit.k,
        fit.steps,
        &mut Adam::new(fit.learning_rate),
        stream_seed(config, Stream::Fit, d),
        |_, _| bar.inc(1),
    )?;
    bar.finish_and_clear();
    let eval_seed = stream_seed(config, Stream::FitEval, d);
    let bounds = (0..fit.eval_repeats)
        .map(|i| {
            let (b, _) = model.iwae_encoder_gradient(
                &encoder,
                &x,
                fit.k,
                &mut stream(eval_seed, i as u64),
            )?;
            Ok(b / n as f64)
        })
        .collect::<AnyResult<Vec<f64>>>()?;
    let (bound, bound_se) = mean_and_se(&bounds);
    let log_likelihood = model.log_likelihood(&x)? / n as f64;
    ui.note(format!(
        "D = {d}, N = {n}: fitted IWAE-{} bound {bound:.3} ± {bound_se:.3} nats per point, exact \
         log-likelihood {log_likelihood:.3}",
        fit.k
    ));
    Ok(Prepared {
        model,
        encoder,
        x,
        fit: FitRecord {
            d,
            points: n,
            bound_trace: report.bound_trace,
            bound,
            bound_se,
            log_likelihood,
        },
    })
}

/// Mean and standard error of a sample (s.e. 0 for fewer than two values).
pub fn mean_and_se(values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n.max(1.0);
    if values.len() < 2 {
        return (mean, 0.0);
    }
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, (var / n).sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_and_standard_error() {
        let (m, se) = mean_and_se(&[1.0, 2.0, 3.0, 4.0]);
        assert_eq!(m, 2.5);
        assert!((se - (5.0f64 / 3.0 / 4.0).sqrt()).abs() < 1e-12);
        assert_eq!(mean_and_se(&[3.0]), (3.0, 0.0));
    }
}
