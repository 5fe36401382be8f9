//! The PPCA study: prepare the problems, warm β up, then run every cell's replicates of this shard.

use crate::ppca::cells::estimate;
use std::path::Path;
use std::time::{Duration, Instant};

use ucg_report::read_json;
use ucg_train::ppca::PpcaProblem;

use super::cells::{Cell, Sweep};
use super::config::Config;
use super::outputs::write_outputs;
use super::replicate::{Reference, measure};
use super::setup::{ExactRecord, Prepared, SetupRecord, prepare_cached};
use super::store::Store;
use super::summary::Summary;
use super::warmup::{BetaRecord, choose_beta, find_beta};
use crate::AnyResult;
use crate::progress::Ui;
use crate::shard::Shard;

/// How often a running cell's checkpoint is written.
const CHECKPOINT_EVERY: Duration = Duration::from_secs(15);

/// Runs shard `shard` of the study `config` into `out` (resuming what is there), then writes the summary,
/// figures and report of what the folder holds; returns the summary.
///
/// # Errors
/// Invalid settings, unreadable data, a folder holding another run, or failing estimators.
pub fn run_study(
    config: &Config,
    shard: Shard,
    out: &Path,
    ui: &Ui,
    command: &str,
) -> AnyResult<Summary> {
    config.validate()?;
    let mut store = Store::open(out, config, shard, ui, command)?;
    let cells = config.cells();
    if store.layout().setup().exists() && cells.iter().all(|c| store.is_complete(c)) {
        ui.note(format!(
            "{}: every replicate of shard {shard} is done; regenerating the outputs",
            out.display()
        ));
        return write_outputs(store.folder(), command, ui);
    }
    let x = config.data.load(config.points)?;
    ui.note(format!(
        "data: {} points, {}",
        config.points,
        config.data.describe()
    ));
    // What an earlier run of these settings in this folder fitted and warmed up (setup.json is written
    // only once every fit and warm-up is done).
    let cached: Option<SetupRecord> = if store.layout().setup().exists() {
        Some(read_json(store.layout().setup())?)
    } else {
        None
    };
    let layout = store.layout().clone();
    let folder = store.folder().clone();
    let main = prepare_cached(
        config,
        config.latent_dim,
        x.clone(),
        cached.as_ref().map(|s| &s.main_fit),
        &layout,
        &folder,
        "main",
        ui,
    )?;
    let sweep_points = x.columns(0, config.dimension_sweep.points).into_owned();
    let dimension = config
        .dimension_sweep
        .dims
        .iter()
        .enumerate()
        .map(|(i, &d)| {
            let fit = cached.as_ref().and_then(|s| s.dimension_fits.get(i));
            prepare_cached(
                config,
                d,
                sweep_points.clone(),
                fit,
                &layout,
                &folder,
                "dsweep",
                ui,
            )
        })
        .collect::<AnyResult<Vec<Prepared>>>()?;

    let main_problem = main.problem()?;
    let exact = main_problem.exact_gradient()?.to_vec();
    let mean_abs = exact.iter().map(|v| v.abs()).sum::<f64>() / exact.len() as f64;
    let p = config.pixels();
    let reference = Reference {
        exact: &exact,
        mean_abs,
        intercept: config.components.intercept_index(),
        weight: config.components.weight_index(p, config.latent_dim),
    };
    let dimension_problems = dimension
        .iter()
        .map(Prepared::problem)
        .collect::<AnyResult<Vec<_>>>()?;

    let betas = match &cached {
        Some(setup) => {
            ui.note("β warm-ups loaded from setup.json (done by an earlier run of these settings)");
            setup.betas.clone()
        }
        None => warm_up_all(config, &main_problem, &dimension, &dimension_problems, ui)?,
    };
    let setup = SetupRecord {
        main_fit: main.fit.clone(),
        dimension_fits: dimension.iter().map(|p| p.fit.clone()).collect(),
        betas,
        exact: ExactRecord {
            components: exact.len(),
            intercept: exact[reference.intercept],
            weight: exact[reference.weight],
            mean_abs,
        },
    };
    store.record_setup(&setup)?;

    for cell in &cells {
        let beta = cell
            .estimator
            .needs_beta()
            .then(|| find_beta(&setup.betas, cell.sweep, cell.d, cell.k))
            .flatten();
        let (problem, reference) = match cell.sweep {
            Sweep::Gradient => (&main_problem, Some(&reference)),
            Sweep::Dimension => {
                let i = config
                    .dimension_sweep
                    .dims
                    .iter()
                    .position(|&d| d == cell.d)
                    .ok_or("dimension sweep cell without a problem")?;
                (&dimension_problems[i], None)
            }
        };
        run_cell(
            config, shard, cell, problem, reference, beta, &mut store, ui,
        )?;
    }
    drop(store);
    write_outputs(&folder, command, ui)
}

/// Runs the replicates of `cell` in this shard that are not done yet, appending rows and checkpointing.
///
/// # Errors
/// A failing estimator, or I/O errors.
pub fn run_cell(
    config: &Config,
    shard: Shard,
    cell: &Cell,
    problem: &PpcaProblem<'_>,
    reference: Option<&Reference<'_>>,
    beta: Option<f64>,
    store: &mut Store,
    ui: &Ui,
) -> AnyResult<()> {
    let range = shard.range(cell.replicates);
    let dim = reference.map_or(0, |r| r.exact.len());
    let mut checkpoint = store.checkpoint(cell, range, dim)?;
    if checkpoint.is_complete() {
        return Ok(());
    }
    let label = format!(
        "{} K={} D={}{}",
        cell.estimator.label(),
        cell.k,
        cell.d,
        if cell.sweep == Sweep::Dimension {
            " (τ only)"
        } else {
            ""
        }
    );
    let bar = ui.bar(range.1 - range.0, label);
    bar.set_position(checkpoint.next() - range.0);
    let mut saved = Instant::now();
    for r in checkpoint.next()..range.1 {
        let seed = cell.replicate_seed(config, r);
        let start = Instant::now();
        let estimate = estimate(cell.estimator, problem, cell.k, beta, config, seed)?;
        let wall = start.elapsed().as_secs_f64();
        let measured = measure(cell, r, seed, beta, &estimate, reference, wall);
        checkpoint.record(measured.errors.as_deref(), &estimate.runs)?;
        store.append(&measured.row)?;
        if saved.elapsed() > CHECKPOINT_EVERY {
            store.save(&checkpoint)?;
            saved = Instant::now();
        }
        bar.inc(1);
    }
    store.save(&checkpoint)?;
    bar.finish();
    Ok(())
}

/// Chooses β (warm-up, fixed value or pilot) for every `K` of the main problem, then for every problem of
/// the dimension sweep.
///
/// # Errors
/// Invalid settings or a failing kernel.
fn warm_up_all(
    config: &Config,
    main_problem: &PpcaProblem<'_>,
    dimension: &[Prepared],
    dimension_problems: &[PpcaProblem<'_>],
    ui: &Ui,
) -> AnyResult<Vec<BetaRecord>> {
    let mut betas = Vec::new();
    for k in config.all_ks() {
        betas.push(choose_beta(
            main_problem,
            Sweep::Gradient,
            config.latent_dim,
            k,
            config,
            ui,
        )?);
    }
    for (prep, problem) in dimension.iter().zip(dimension_problems) {
        betas.push(choose_beta(
            problem,
            Sweep::Dimension,
            prep.d(),
            config.main_k,
            config,
            ui,
        )?);
    }
    Ok(betas)
}
