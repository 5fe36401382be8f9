//! The plan of a study: its runs ("units": data set, estimator, `D`, seed), which continuation starts
//! from which pretrain, and how they are split between shards.
//!
//! **Shards.** The jobs of a study (one per run that is not a pretrain, in plan order: per seed and
//! block the cost-matched IWAE, each estimator, then the same-wall-time runs) are split into contiguous
//! ranges by `--shard i/n`. A job whose pretrain is not in the shard's folder computes it itself: training is
//! deterministic given the seed (whatever the number of threads), so every shard computes the same
//! pretrain bit for bit, and `merge` checks that they agree. This costs the pretrain's training once per
//! shard (one shard evaluates it: [`evaluates_pretrain`]), and buys shards that never wait for one
//! another.

use serde::{Deserialize, Serialize};

use super::config::{Config, DatasetKind};
use crate::shard::Shard;
use ucg_estimators::EstimatorKind;

/// The role of a run in its block.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// IWAE pretraining, which the block's continuations start from.
    Pretrain,
    /// An estimator trained from scratch, or continued from the pretrain.
    Main,
    /// IWAE continued for the wall time of the block's C-ISIR-DISIR run.
    SameWallTime,
}

/// One training run of the plan.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Unit {
    /// Folder name under `runs/`, unique in the study.
    pub name: String,
    /// The data set.
    pub dataset: DatasetKind,
    /// θ's estimator.
    pub estimator: EstimatorKind,
    /// Latent dimension.
    pub latent: usize,
    /// Master seed of the run.
    pub seed: u64,
    /// Its role.
    pub role: Role,
    /// Epochs (of `steps_per_epoch` steps when set); for a same-wall-time run, fixed from measurements.
    pub epochs: usize,
    /// Steps per epoch (`None`: whole epochs).
    pub steps_per_epoch: Option<usize>,
    /// The pretrain unit this run continues from.
    pub from: Option<String>,
    /// The unit whose measured training time a same-wall-time run matches.
    pub timed_against: Option<String>,
    /// The learning rate of a continuation, when it differs from the study's.
    #[serde(default)]
    pub learning_rate: Option<f64>,
    /// Particles per point, when they differ from the study's `K` (the cost-matched IWAE).
    #[serde(default)]
    pub particles: Option<usize>,
}

/// The block prefix of unit names: `mnist-d20-s2021`.
fn prefix(dataset: DatasetKind, latent: usize, seed: u64) -> String {
    format!("{}-d{latent}-s{seed}", dataset.name())
}

/// Every unit of the study, pretrains first, in a fixed order.
pub fn units(config: &Config) -> Vec<Unit> {
    let mut out = Vec::new();
    for &seed in &config.seeds {
        for b in &config.blocks {
            let p = prefix(b.dataset, b.latent, seed);
            let unit = |name: String, estimator, role, epochs, steps| Unit {
                name,
                dataset: b.dataset,
                estimator,
                latent: b.latent,
                seed,
                role,
                epochs,
                steps_per_epoch: steps,
                from: None,
                timed_against: None,
                learning_rate: None,
                particles: None,
            };
            let pretrain = (b.pretrain_epochs > 0).then(|| format!("{p}-pretrain-iwae"));
            if let Some(name) = &pretrain {
                out.push(unit(
                    name.clone(),
                    EstimatorKind::Iwae,
                    Role::Pretrain,
                    b.pretrain_epochs,
                    None,
                ));
            }
            // The cost-matched IWAE first: with the coupled run, the comparison a user with the
            // coupled step's budget asks for, so that the first shards of a long study hold it.
            if let Some(k) = b.matched_particles {
                let mut u = unit(
                    format!("{p}-iwae-k{k}"),
                    EstimatorKind::Iwae,
                    Role::Main,
                    b.epochs,
                    b.steps_per_epoch,
                );
                u.from = pretrain.clone();
                u.learning_rate = pretrain.as_ref().and(b.continuation_learning_rate);
                u.particles = Some(k);
                out.push(u);
            }
            for &e in &b.estimators {
                let mut u = unit(
                    format!("{p}-{}", e.name()),
                    e,
                    Role::Main,
                    b.epochs,
                    b.steps_per_epoch,
                );
                u.from = pretrain.clone();
                u.learning_rate = pretrain.as_ref().and(b.continuation_learning_rate);
                out.push(u);
            }
            // IWAE-K (the study's K, and the cost-matched K when the block has one) for the wall time
            // of the C-ISIR-DISIR run: what a user with the coupled run's time could have done instead.
            let same_time_particles = [None].into_iter().chain(b.matched_particles.map(Some));
            for particles in same_time_particles.filter(|_| b.same_wall_time) {
                let k = particles.map(|k| format!("-k{k}")).unwrap_or_default();
                let mut u = unit(
                    format!("{p}-iwae{k}-same-time"),
                    EstimatorKind::Iwae,
                    Role::SameWallTime,
                    0,
                    None,
                );
                u.from = pretrain.clone();
                u.learning_rate = pretrain.as_ref().and(b.continuation_learning_rate);
                u.particles = particles;
                u.timed_against = Some(format!("{p}-{}", EstimatorKind::CoupledIsirDisir.name()));
                out.push(u);
            }
        }
    }
    out
}

/// The jobs: one per run that is not a pretrain, in plan order (each job computes the pretrain it
/// needs). A same-wall-time run is a job of its own: it needs only the records of the run it is timed
/// against, which may come from another shard ([`super::walltime`]).
pub fn jobs(units: &[Unit]) -> Vec<Vec<String>> {
    units
        .iter()
        .filter(|u| u.role != Role::Pretrain)
        .map(|u| vec![u.name.clone()])
        .collect()
}

/// The units shard `shard` runs, in order: the pretrains its jobs need, then the jobs' units.
pub fn shard_units(units: &[Unit], shard: Shard) -> Vec<Unit> {
    let jobs = jobs(units);
    let (first, end) = shard.range(jobs.len() as u64);
    let names: Vec<&String> = jobs[first as usize..end as usize]
        .iter()
        .flatten()
        .collect();
    let by_name = |n: &str| units.iter().find(|u| u.name == n).cloned();
    let mut out: Vec<Unit> = Vec::new();
    for n in &names {
        if let Some(u) = by_name(n) {
            if let Some(p) = u.from.as_deref().and_then(by_name)
                && !out.iter().any(|o| o.name == p.name)
            {
                out.push(p);
            }
            out.push(u);
        }
    }
    // Pretrains first, then the rest in plan order.
    out.sort_by_key(|u| {
        (
            u.role != Role::Pretrain,
            units.iter().position(|v| v.name == u.name),
        )
    });
    out
}

/// Whether shard `shard` evaluates `pretrain`: the shard that holds the first job continuing from it.
/// Every shard that needs a pretrain computes it (bit for bit the same), one evaluates it, and a merge
/// puts that shard's evaluations beside the other copies of the same model.
pub fn evaluates_pretrain(units: &[Unit], pretrain: &str, shard: Shard) -> bool {
    let jobs = jobs(units);
    let continues = |name: &String| {
        units
            .iter()
            .any(|u| &u.name == name && u.from.as_deref() == Some(pretrain))
    };
    let first_job = jobs.iter().position(|job| job.iter().any(continues));
    let (first, end) = shard.range(jobs.len() as u64);
    first_job.is_some_and(|j| (first..end).contains(&(j as u64)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plan_and_its_shards() {
        let c = Config::quick_preset(3);
        let all = units(&c);
        let names: Vec<&str> = all.iter().map(|u| u.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "synthetic-d2-s3-pretrain-iwae",
                "synthetic-d2-s3-iwae-k8",
                "synthetic-d2-s3-elbo",
                "synthetic-d2-s3-iwae",
                "synthetic-d2-s3-coupled-isir-disir",
                "synthetic-d2-s3-coupled-isir",
                "synthetic-d2-s3-sumo",
                "synthetic-d2-s3-iwae-same-time",
                "synthetic-d2-s3-iwae-k8-same-time",
            ]
        );
        assert_eq!(jobs(&all).len(), 8);
        let mut covered = Vec::new();
        for index in 0..4 {
            let part = shard_units(&all, Shard { index, count: 4 });
            assert_eq!(
                part[0].role,
                Role::Pretrain,
                "each shard computes its pretrain"
            );
            covered.extend(part.into_iter().filter(|u| u.role != Role::Pretrain));
        }
        assert_eq!(covered.len(), 8);
        let pretrain = "synthetic-d2-s3-pretrain-iwae";
        let evaluating: Vec<u64> = (0..4)
            .filter(|&index| evaluates_pretrain(&all, pretrain, Shard { index, count: 4 }))
            .collect();
        assert_eq!(evaluating, [0], "one shard evaluates the pretrain");
        assert!(evaluates_pretrain(&all, pretrain, Shard::WHOLE));
        let whole = shard_units(&all, Shard::WHOLE);
        assert_eq!(whole, all);
        let full = units(&Config::full_preset(1));
        assert_eq!(full.len(), 4 + 3 + 3 + 3);
        let refine = units(&Config::refine_preset(5));
        let matched: Vec<&Unit> = refine
            .iter()
            .filter(|u| u.particles.is_some() && u.role == Role::Main)
            .collect();
        assert_eq!(matched.len(), 2, "one cost-matched IWAE per seed");
        assert_eq!(matched[0].name, "mnist-d20-s5-iwae-k590");
        assert_eq!(
            matched[0].from.as_deref(),
            Some("mnist-d20-s5-pretrain-iwae")
        );
        assert_eq!(matched[0].learning_rate, Some(1e-4));
        assert_eq!(refine.len(), 2 * (1 + 5 + 1 + 2));
        let matched_same_time = refine
            .iter()
            .find(|u| u.name == "mnist-d20-s5-iwae-k590-same-time");
        assert_eq!(matched_same_time.and_then(|u| u.particles), Some(590));
        assert_eq!(jobs(&refine).len(), 2 * 8);
        // The coupled run of the first seed is job 1: `--shard 1/16`.
        assert_eq!(jobs(&refine)[1], ["mnist-d20-s5-coupled-isir-disir"]);
    }
}
