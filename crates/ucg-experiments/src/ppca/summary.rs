//! The numbers of a results folder: per cell, the unbiasedness check over all gradient components,
//! meeting times, costs and inefficiency; and the run's acceptance (`docs/method.md` §8), judged as in
//! [`verdict`](super::verdict).

use crate::ppca::cells::STUDY_ESTIMATORS;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use ucg_estimators::summary::bonferroni_z;

use super::cells::{Cell, EstimatorKind, Sweep};
use super::checkpoint::CellCheckpoint;
use super::config::Config;
use super::layout::RunRecord;
use super::meeting::MeetingStats;
use super::replicate::ReplicateRow;
use super::setup::SetupRecord;
use super::verdict::{AcceptanceVerdict, Verdict};
use crate::AnyResult;
use crate::shard::Shard;

/// The replicates' error at one component.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ComponentSummary {
    /// `θ0[p]` or `θ1[d, p]`.
    pub label: String,
    /// Flat index.
    pub index: usize,
    /// The exact gradient there.
    pub exact: f64,
    /// Mean signed error over replicates.
    pub mean_error: f64,
    /// Its standard error.
    pub standard_error: f64,
    /// `mean_error / standard_error`.
    pub z: f64,
}

/// The unbiasedness check of a cell: `z_j = mean error_j / s.e._j` for every component `j`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UnbiasednessCheck {
    /// Components checked (`P + D·P`).
    pub components: usize,
    /// Bonferroni bound on `|z_j|` for the family-wise level.
    pub bound: f64,
    /// `max_j |z_j|`.
    pub max_abs_z: f64,
    /// The component reaching it.
    pub argmax: String,
    /// Whether `max_j |z_j| ≤ bound`.
    pub within_bound: bool,
    /// The verdict: `within_bound` when there are enough replicates to judge.
    pub verdict: Verdict,
    /// The intercept component shown in figures.
    pub intercept: ComponentSummary,
    /// The weight component shown in figures.
    pub weight: ComponentSummary,
    /// Variance of the estimate summed over components (the trace of its covariance).
    pub total_variance: f64,
    /// Unbiased estimate of the squared bias summed over components, `Σ_j (mean_j² − var_j / R)`
    /// (about zero, either sign, for an unbiased estimator).
    pub squared_bias: f64,
    /// Mean over replicates of the relative absolute error.
    pub relative_abs_error: f64,
}

/// Mean costs of one estimate.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CostSummary {
    /// Kernel applications summed over points (coupled estimators).
    pub kernel_applications: f64,
    /// Particles whose log-weight was evaluated.
    pub particle_evaluations: f64,
    /// Wall-clock seconds.
    pub wall_seconds: f64,
}

/// Everything reported about one cell.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CellSummary {
    /// Identifier.
    pub id: String,
    /// EstimatorKind name.
    pub name: String,
    /// The cell.
    pub cell: Cell,
    /// Points per batch.
    pub points: usize,
    /// Replicates done.
    pub replicates: u64,
    /// Replicates planned (all shards).
    pub planned: u64,
    /// DISIR's frozen β.
    pub beta: Option<f64>,
    /// Against the exact gradient (main problem, at least two replicates).
    pub check: Option<UnbiasednessCheck>,
    /// Meeting times over all points and replicates.
    pub meeting: Option<MeetingStats>,
    /// Replicates with at least one capped point.
    pub capped_replicates: u64,
    /// Mean costs per estimate.
    pub cost: CostSummary,
    /// Total variance × particle evaluations per estimate.
    pub inefficiency: Option<f64>,
    /// Total variance × wall seconds per estimate.
    pub inefficiency_wall: Option<f64>,
}

/// The run's acceptance: no bias detected for the coupled estimators, bias detected for IWAE at K = 2,
/// each cell with at least [`MIN_REPLICATES_FOR_VERDICT`](super::verdict::MIN_REPLICATES_FOR_VERDICT)
/// replicates.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Acceptance {
    /// Every coupled cell of the main problem keeps every `|z_j|` within the bound.
    pub coupled_within_bound: bool,
    /// IWAE at K = 2: `max |z_j|` (when that cell ran).
    pub iwae_k2_max_abs_z: Option<f64>,
    /// IWAE at K = 2 exceeds the bound.
    pub iwae_k2_detected: Option<bool>,
    /// Both hold (and there were enough replicates to judge).
    pub passed: bool,
    /// Passed, not passed, or too few replicates to judge.
    pub verdict: AcceptanceVerdict,
}

/// The summary of a results folder (`summary.json`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// The command that wrote it.
    pub command: String,
    /// The settings.
    pub config: Config,
    /// Shards included.
    pub shards: Vec<Shard>,
    /// Whether every planned replicate of every cell is included.
    pub complete: bool,
    /// Bonferroni bound on `|z_j|` for the main problem's components.
    pub bonferroni_bound: f64,
    /// Fits, β warm-ups, exact gradient figures.
    pub setup: SetupRecord,
    /// Per cell, in the run's order.
    pub cells: Vec<CellSummary>,
    /// The acceptance check.
    pub acceptance: Acceptance,
}

impl Summary {
    /// The cell of `estimator` at `k` in `sweep` (at dimension `d`).
    pub fn find(
        &self,
        sweep: Sweep,
        estimator: EstimatorKind,
        k: usize,
        d: usize,
    ) -> Option<&CellSummary> {
        self.cells.iter().find(|c| {
            c.cell.sweep == sweep && c.cell.estimator == estimator && c.cell.k == k && c.cell.d == d
        })
    }
    /// The main problem's cells of `estimator`, ascending in `K`.
    pub fn by_k(&self, estimator: EstimatorKind) -> Vec<&CellSummary> {
        let mut v: Vec<&CellSummary> = self
            .cells
            .iter()
            .filter(|c| c.cell.sweep == Sweep::Gradient && c.cell.estimator == estimator)
            .collect();
        v.sort_by_key(|c| c.cell.k);
        v
    }
    /// The dimension sweep's cells of `estimator`, ascending in `D`.
    pub fn by_d(&self, estimator: EstimatorKind) -> Vec<&CellSummary> {
        let mut v: Vec<&CellSummary> = self
            .cells
            .iter()
            .filter(|c| c.cell.sweep == Sweep::Dimension && c.cell.estimator == estimator)
            .collect();
        v.sort_by_key(|c| c.cell.d);
        v
    }
    /// The four estimators at the main `K` on the main problem.
    pub fn main_cells(&self) -> Vec<&CellSummary> {
        STUDY_ESTIMATORS
            .iter()
            .filter_map(|&e| {
                self.find(
                    Sweep::Gradient,
                    e,
                    self.config.main_k,
                    self.config.latent_dim,
                )
            })
            .collect()
    }
}

fn mean_of(rows: &[&ReplicateRow], f: impl Fn(&ReplicateRow) -> f64) -> f64 {
    rows.iter().map(|r| f(r)).sum::<f64>() / rows.len().max(1) as f64
}

fn check(
    config: &Config,
    setup: &SetupRecord,
    checkpoint: &CellCheckpoint,
    rows: &[&ReplicateRow],
    bound: f64,
) -> AnyResult<Option<UnbiasednessCheck>> {
    let m = &checkpoint.errors;
    if m.dim() == 0 || m.count() < 2 {
        return Ok(None);
    }
    let z = m.z_scores(&vec![0.0; m.dim()])?;
    let (argmax, max_abs_z) = z
        .iter()
        .map(|v| v.abs())
        .enumerate()
        .filter(|(_, v)| !v.is_nan())
        .fold(
            (0, 0.0f64),
            |best, (i, v)| if v > best.1 { (i, v) } else { best },
        );
    let se = m.standard_error();
    let variance = m.variance();
    let r = m.count() as f64;
    let (p, d) = (config.pixels(), config.latent_dim);
    let component = |index: usize, label: String, exact: f64| ComponentSummary {
        label,
        index,
        exact,
        mean_error: m.mean()[index],
        standard_error: se[index],
        z: z[index],
    };
    let c = &config.components;
    Ok(Some(UnbiasednessCheck {
        components: m.dim(),
        bound,
        max_abs_z,
        argmax: component_label(argmax, p, d),
        within_bound: max_abs_z <= bound,
        verdict: Verdict::judge(m.count(), max_abs_z, bound),
        intercept: component(
            c.intercept_index(),
            c.intercept_label(),
            setup.exact.intercept,
        ),
        weight: component(c.weight_index(p, d), c.weight_label(), setup.exact.weight),
        total_variance: variance.iter().sum(),
        squared_bias: m
            .mean()
            .iter()
            .zip(&variance)
            .map(|(mu, v)| mu * mu - v / r)
            .sum(),
        relative_abs_error: mean_of(rows, |r| r.relative_abs_error.unwrap_or(f64::NAN)),
    }))
}

/// The name of flat component `i` (`θ0[p]` or `θ1[d, p]`) for data dimension `p` and latent dimension `d`.
pub fn component_label(i: usize, p: usize, d: usize) -> String {
    if i < p {
        format!("θ0[{i}]")
    } else {
        let j = i - p;
        format!("θ1[{}, {}]", j % d, j / d)
    }
}

/// Summarises a results folder's run record, setup, checkpoints and rows.
///
/// # Errors
/// Invalid settings (Bonferroni level).
pub fn summarise(
    run: &RunRecord,
    setup: &SetupRecord,
    checkpoints: &BTreeMap<String, CellCheckpoint>,
    rows: &[ReplicateRow],
    command: &str,
) -> AnyResult<Summary> {
    let config = &run.config;
    let bound = bonferroni_z(config.alpha, config.components_count())?;
    let mut by_cell: BTreeMap<&str, Vec<&ReplicateRow>> = BTreeMap::new();
    for row in rows {
        by_cell.entry(row.cell.as_str()).or_default().push(row);
    }
    let mut cells = Vec::new();
    let mut complete = true;
    for cell in config.cells() {
        let id = cell.id();
        let Some(checkpoint) = checkpoints.get(&id) else {
            complete = false;
            continue;
        };
        complete &= checkpoint.planned() == cell.replicates && checkpoint.is_complete();
        let rows = by_cell.get(id.as_str()).cloned().unwrap_or_default();
        let check = check(config, setup, checkpoint, &rows, bound)?;
        let cost = CostSummary {
            kernel_applications: mean_of(&rows, |r| r.kernel_applications as f64),
            particle_evaluations: mean_of(&rows, |r| r.particle_evaluations as f64),
            wall_seconds: mean_of(&rows, |r| r.wall_seconds),
        };
        let points = match cell.sweep {
            Sweep::Gradient => config.points,
            Sweep::Dimension => config.dimension_sweep.points,
        };
        cells.push(CellSummary {
            name: cell.estimator.label().into(),
            points,
            replicates: checkpoint.done(),
            planned: cell.replicates,
            beta: rows.first().and_then(|r| r.beta),
            meeting: checkpoint.meeting.summary().ok(),
            capped_replicates: rows.iter().filter(|r| r.capped_points > 0).count() as u64,
            inefficiency: check
                .as_ref()
                .map(|c| c.total_variance * cost.particle_evaluations),
            inefficiency_wall: check.as_ref().map(|c| c.total_variance * cost.wall_seconds),
            check,
            cost,
            id,
            cell,
        });
    }
    let mut summary = Summary {
        command: command.into(),
        config: config.clone(),
        shards: run.shards.clone(),
        complete,
        bonferroni_bound: bound,
        setup: setup.clone(),
        cells,
        acceptance: Acceptance {
            coupled_within_bound: false,
            iwae_k2_max_abs_z: None,
            iwae_k2_detected: None,
            passed: false,
            verdict: AcceptanceVerdict::TooFewReplicates,
        },
    };
    summary.acceptance = acceptance(&summary);
    Ok(summary)
}

fn acceptance(summary: &Summary) -> Acceptance {
    let coupled: Vec<&CellSummary> = summary
        .cells
        .iter()
        .filter(|c| c.cell.sweep == Sweep::Gradient && c.cell.estimator.is_coupled())
        .collect();
    let coupled_within_bound = !coupled.is_empty()
        && coupled
            .iter()
            .all(|c| c.check.as_ref().is_some_and(|x| x.within_bound));
    let iwae2 = summary
        .find(
            Sweep::Gradient,
            EstimatorKind::Iwae,
            2,
            summary.config.latent_dim,
        )
        .and_then(|c| c.check.as_ref());
    let detected = iwae2.map(|c| !c.within_bound);
    let judged = iwae2.is_some_and(|c| c.verdict != Verdict::TooFewReplicates)
        && coupled.iter().all(|c| {
            c.check
                .as_ref()
                .is_some_and(|x| x.verdict != Verdict::TooFewReplicates)
        });
    let verdict = if !judged {
        AcceptanceVerdict::TooFewReplicates
    } else if coupled_within_bound && detected == Some(true) {
        AcceptanceVerdict::Passed
    } else {
        AcceptanceVerdict::NotPassed
    };
    Acceptance {
        coupled_within_bound,
        iwae_k2_max_abs_z: iwae2.map(|c| c.max_abs_z),
        iwae_k2_detected: detected,
        passed: verdict == AcceptanceVerdict::Passed,
        verdict,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn component_labels_follow_the_flattening() {
        // P = 4, D = 3: 0..4 are θ0; 4 + d + 3p is θ1[d, p].
        assert_eq!(component_label(2, 4, 3), "θ0[2]");
        assert_eq!(component_label(4 + 1 + 3 * 2, 4, 3), "θ1[1, 2]");
    }
}
