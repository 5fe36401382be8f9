//! The coupled θ-gradient's variance × cost across its settings, on one converged model and one
//! minibatch (`cargo xtask reproduce vae-efficiency`; `docs/vae/coupled-efficiency/`).
//!
//! Each configuration of [`configurations`] is measured by [`ucg_train::vae::coupled_efficiency::measure`]
//! and saved as `configs/<slug>.json` as soon as it is done, so an interrupted study resumes where it
//! stopped (a saved configuration measured with other draws or on another model is measured again). The
//! study then writes `efficiency.csv`, `report.md` and `figures/inefficiency.{png,svg}`: every
//! configuration's variance × evaluations relative to the [`baseline`] (K = 10, L = 10, window (1, 10),
//! β = 0, cap 1,000), with errors.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use ucg_report::{Axis, BarChart, Figure, format_number_sig, read_json, write_json, write_text};
use ucg_train::vae::coupled_efficiency::{
    Efficiency, EfficiencySettings, TAU_GROUPS, WithError, measure,
};
use ucg_train::vae::npz::load_npz;
use ucg_train::vae::{Binarization, CoupledKernelKind, load_mnist};

use crate::AnyResult;
use crate::folder::{claim, figure};
use crate::progress::Ui;

/// The kind of the study's folder (see [`ucg_files::RunFolder`]).
pub const KIND: &str = "vae-efficiency";

/// Images of the minibatch (the first minibatch of a training run with master seed [`DATA_SEED`]).
pub const BATCH: usize = 100;

/// The master seed whose first minibatch is measured (as in `docs/vae/gradient-bias.md`).
pub const DATA_SEED: u64 = 2021;

/// The fewest draws per configuration the study accepts.
pub const MIN_DRAWS: usize = 8;

/// What the study measures.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EfficiencyStudy {
    /// The model: a `.npz` parameter file in the JAX layout (`ucg_train::vae::npz`).
    pub params: PathBuf,
    /// Draws per configuration.
    pub draws: usize,
    /// Seed of the first draw (draw `r` uses `seed + r`).
    pub seed: u64,
    /// The configurations, the first the baseline.
    pub configurations: Vec<EfficiencySettings>,
}

/// Today's best configuration of the training default, against which every other is compared.
pub fn baseline() -> EfficiencySettings {
    EfficiencySettings {
        kind: CoupledKernelKind::IsirDisir,
        particles: 10,
        beta: 0.0,
        lag: 10,
        k: 1,
        m: 10,
        cap: 1000,
        proposal_scale: 1.0,
        fit_particles: 0,
    }
}

/// The settings varied one lever at a time from the [`baseline`]: β (the paper's region, 0.9), the
/// window `(k, m)`, the lag `L`, the particles `K`, the kernel (C-ISIR), and combinations of the levers
/// that help.
pub fn configurations() -> Vec<EfficiencySettings> {
    let b = baseline();
    let isir = EfficiencySettings {
        kind: CoupledKernelKind::Isir,
        ..b
    };
    let mut out = vec![b];
    out.push(EfficiencySettings { beta: 0.9, ..b });
    for (k, m) in [(5, 14), (10, 19), (10, 40), (20, 40), (20, 80)] {
        out.push(EfficiencySettings { k, m, ..b });
    }
    for (lag, m) in [(1, 10), (5, 10), (20, 20), (40, 40)] {
        out.push(EfficiencySettings { lag, m, ..b });
    }
    for particles in [5, 20, 40] {
        out.push(EfficiencySettings { particles, ..b });
    }
    out.push(isir);
    // The proposal: the encoder narrowed or widened, or fitted to each point's posterior (the fit's
    // evaluations counted).
    for proposal_scale in [0.8, 1.5] {
        out.push(EfficiencySettings {
            proposal_scale,
            ..b
        });
    }
    out.push(EfficiencySettings {
        fit_particles: 100,
        ..b
    });
    for kernel in [b, isir] {
        out.push(EfficiencySettings {
            fit_particles: 300,
            proposal_scale: 1.2,
            ..kernel
        });
    }
    // C-ISIR (one ISIR step per iteration) with the other levers.
    for (particles, lag, k, m) in [
        (10, 5, 1, 10),
        (5, 10, 1, 10),
        (10, 20, 1, 20),
        (10, 40, 1, 40),
        (5, 20, 1, 20),
        (5, 40, 1, 40),
        (5, 80, 1, 80),
        (3, 40, 1, 40),
        (3, 80, 1, 80),
    ] {
        out.push(EfficiencySettings {
            particles,
            lag,
            k,
            m,
            ..isir
        });
    }
    // A long lag makes pairs meet later, so the cap truncates more of them (a biased estimate whose
    // variance looks smaller): the baseline and the best of the above again with a cap four times higher.
    out.push(EfficiencySettings { cap: 4000, ..b });
    for (particles, lag) in [(10, 10), (5, 10), (5, 40), (3, 80)] {
        out.push(EfficiencySettings {
            particles,
            lag,
            m: lag,
            cap: 4000,
            ..isir
        });
    }
    out
}

/// A file-name slug of a configuration: `isir-disir-K10-L10-k1-m10-b0-cap1000`.
pub fn slug(s: &EfficiencySettings) -> String {
    let kernel = match s.kind {
        CoupledKernelKind::Isir => "isir",
        CoupledKernelKind::IsirDisir => "isir-disir",
    };
    let mut scale = if s.proposal_scale == 1.0 {
        String::new()
    } else {
        format!("-s{}", s.proposal_scale)
    };
    if s.fit_particles > 0 {
        scale.push_str(&format!("-fit{}", s.fit_particles));
    }
    format!(
        "{kernel}-K{}-L{}-k{}-m{}-b{}-cap{}{scale}",
        s.particles, s.lag, s.k, s.m, s.beta, s.cap
    )
}

/// One configuration's saved measurement, with what it was measured on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Saved {
    /// MD5 of the model's parameter file.
    model: String,
    seed: u64,
    efficiency: Efficiency,
}

/// Runs the study into `out` (resuming configurations already measured there) and writes its outputs;
/// returns the measurements in the order of `study.configurations`.
///
/// # Errors
/// An unreadable model or data, a folder that is not this study's, I/O failures, estimator failures.
pub fn run_efficiency_study(
    study: &EfficiencyStudy,
    out: &Path,
    ui: &Ui,
    command: &str,
) -> AnyResult<Vec<Efficiency>> {
    if study.configurations.is_empty() {
        return Err("no configurations to measure".into());
    }
    if study.draws < MIN_DRAWS {
        return Err(format!(
            "--draws {} is too few: a variance and its error need at least {MIN_DRAWS} draws",
            study.draws
        )
        .into());
    }
    // The model and the data are read before the folder is claimed, so a bad path leaves nothing behind.
    let model = load_npz(&study.params)?;
    let params = ucg_data::digest::md5_hex(&std::fs::read(&study.params)?);
    let data = load_mnist(Binarization::Static { seed: 1 }, None, 0)?;
    let x = data.first_minibatch(DATA_SEED, BATCH, BATCH)?;
    let folder = claim(out, KIND, command, |_| None)?;
    let mut results = Vec::new();
    for (i, settings) in study.configurations.iter().enumerate() {
        let name = format!("configs/{}.json", slug(settings));
        let path = folder.file(&name)?;
        if let Ok(saved) = read_json::<Saved>(&path)
            && saved.model == params
            && saved.seed == study.seed
            && saved.efficiency.draws == study.draws
            && saved.efficiency.settings == *settings
        {
            ui.note(format!("{}: measured earlier, kept", settings.label()));
            results.push(saved.efficiency);
            continue;
        }
        let bar = ui.bar(
            study.draws as u64,
            format!(
                "{}/{} {}",
                i + 1,
                study.configurations.len(),
                settings.label()
            ),
        );
        let efficiency = measure(
            &model,
            &x,
            BATCH,
            settings,
            study.draws,
            study.seed,
            |done| bar.set_position(done as u64),
        )?;
        bar.finish();
        write_json(
            &path,
            &Saved {
                model: params.clone(),
                seed: study.seed,
                efficiency: efficiency.clone(),
            },
        )?;
        results.push(efficiency);
    }
    write_text(folder.file("efficiency.csv")?, &csv(&results))?;
    write_text(folder.file("report.md")?, &report(study, &params, &results))?;
    let saved = figure_of(&results)
        .save(figure(&folder, "figures/inefficiency")?)
        .map_err(|e| format!("figure: {e}"))?;
    saved.warnings.iter().for_each(|w| ui.note(w));
    Ok(results)
}

/// Each configuration's inefficiency relative to the first (the baseline): `< 1` is better.
pub fn relative_inefficiency(results: &[Efficiency]) -> Vec<WithError> {
    let base = results[0].inefficiency();
    results
        .iter()
        .map(|e| e.inefficiency().over(base))
        .collect()
}

fn csv(results: &[Efficiency]) -> String {
    let mut out = String::from(
        "configuration,kind,K,L,k,m,beta,cap,draws,total_variance,total_variance_se,\
         total_variance_median_of_means,average_variance,correction_variance,evaluations,\
         evaluations_se,chain_seconds,gradient_seconds,columns,capped,pairs,tau_mean,tau_median,\
         tau_q99,relative_inefficiency,relative_inefficiency_se\n",
    );
    for (e, rel) in results.iter().zip(relative_inefficiency(results)) {
        let s = &e.settings;
        out.push_str(&format!(
            "{},{:?},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n",
            slug(s),
            s.kind,
            s.particles,
            s.lag,
            s.k,
            s.m,
            s.beta,
            s.cap,
            e.draws,
            e.total_variance.value,
            e.total_variance.se,
            e.total_variance_median_of_means,
            e.average_variance,
            e.correction_variance,
            e.evaluations.value,
            e.evaluations.se,
            e.chain_seconds.value,
            e.gradient_seconds.value,
            e.columns,
            e.capped,
            e.points * e.draws,
            e.tau_mean,
            e.tau_median,
            e.tau_q99,
            rel.value,
            rel.se
        ));
    }
    out
}

fn sig(x: f64) -> String {
    format_number_sig(x, 3)
}

fn pm(x: WithError) -> String {
    format!("{} ± {}", sig(x.value), format_number_sig(x.se, 2))
}

fn report(study: &EfficiencyStudy, digest: &str, results: &[Efficiency]) -> String {
    let file = study.params.file_name().map_or_else(
        || study.params.display().to_string(),
        |f| f.to_string_lossy().into_owned(),
    );
    let mut s = String::new();
    s.push_str("# The coupled θ-gradient: variance × cost by configuration\n\n");
    s.push_str(&format!(
        "Model `{file}` (MD5 {digest}); the first minibatch of master seed {DATA_SEED} ({BATCH} statically binarised MNIST \
         training images); {} draws per configuration (seeds {}…). Variances are `tr Var` of the \
         minibatch's summed θ-gradient per draw; evaluations are particle evaluations per draw; \
         inefficiency = variance × evaluations, relative to the first row (errors to first order, draws \
         independent between rows). Written by `cargo xtask reproduce vae-efficiency --params \
         PATH/{file} --draws {} --seed {}`.\n\n",
        study.draws,
        study.seed,
        study.draws,
        study.seed
    ));
    s.push_str(
        "| # | configuration | tr Var | median of means | time average / correction | evaluations | \
         seconds (chains + backward) | τ mean / median / q99 | capped | **inefficiency vs first** |\n",
    );
    s.push_str("|--:|:--|--:|--:|--:|--:|--:|--:|--:|--:|\n");
    for (i, (e, rel)) in results
        .iter()
        .zip(relative_inefficiency(results))
        .enumerate()
    {
        s.push_str(&format!(
            "| {} | {} | {} | {} | {} / {} | {} | {} + {} | {} / {} / {} | {} of {} | **{}** |\n",
            i + 1,
            e.settings.label(),
            pm(e.total_variance),
            sig(e.total_variance_median_of_means),
            sig(e.average_variance),
            sig(e.correction_variance),
            sig(e.evaluations.value),
            sig(e.chain_seconds.value),
            sig(e.gradient_seconds.value),
            sig(e.tau_mean),
            e.tau_median,
            e.tau_q99,
            e.capped,
            e.points * e.draws,
            pm(rel)
        ));
    }
    s.push_str("\n## Where the variance comes from: pairs grouped by meeting time\n\n");
    s.push_str("Share of pairs / share of `Σ ‖g_b − ḡ_b‖²` in each group.\n\n| configuration |");
    let labels: Vec<String> = results[0].by_tau.iter().map(|g| g.label.clone()).collect();
    for l in &labels {
        s.push_str(&format!(" {l} |"));
    }
    s.push_str("\n|:--|");
    s.push_str(&"--:|".repeat(labels.len()));
    s.push('\n');
    for e in results {
        s.push_str(&format!("| {} |", e.settings.label()));
        for g in &e.by_tau {
            s.push_str(&format!(
                " {:.1}% / {:.1}% |",
                100.0 * g.pairs,
                100.0 * g.variance
            ));
        }
        s.push('\n');
    }
    s.push_str(&format!(
        "\nGroups by τ: upper ends {TAU_GROUPS:?}; capped pairs (truncated estimates, biased) apart.\n"
    ));
    s
}

fn figure_of(results: &[Efficiency]) -> BarChart {
    BarChart::new(
        "Coupled θ-gradient: variance × evaluations, relative to K=10 L=10 (1,10) β=0",
        Axis::log("relative inefficiency"),
    )
    .with_x_label("configuration (the numbers of report.md)")
    .with_value_labels(false)
    .with_size(1400, 600)
    .bars(
        relative_inefficiency(results)
            .iter()
            .enumerate()
            .map(|(i, r)| ((i + 1).to_string(), r.value)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn measured(settings: EfficiencySettings, variance: f64, evaluations: f64) -> Efficiency {
        let e = |value: f64, se: f64| WithError { value, se };
        Efficiency {
            settings,
            draws: 8,
            points: BATCH,
            total_variance: e(variance, 0.1 * variance),
            total_variance_median_of_means: 0.8 * variance,
            average_variance: 0.1 * variance,
            correction_variance: 0.9 * variance,
            by_tau: vec![],
            evaluations: e(evaluations, 0.0),
            chain_seconds: e(1.0, 0.1),
            gradient_seconds: e(0.5, 0.05),
            columns: 10.0,
            capped: 1,
            tau_mean: 20.0,
            tau_median: 15.0,
            tau_q99: 200.0,
            mean_norm2: 1.0,
        }
    }

    /// Every configuration has its own file, the baseline comes first, and each differs from it.
    #[test]
    fn configurations_are_distinct_and_start_with_the_baseline() {
        let all = configurations();
        assert_eq!(all[0], baseline());
        let slugs: std::collections::HashSet<String> = all.iter().map(slug).collect();
        assert_eq!(slugs.len(), all.len());
        assert_eq!(slug(&baseline()), "isir-disir-K10-L10-k1-m10-b0-cap1000");
        for s in &all {
            s.lag_settings().unwrap();
            s.schedule().unwrap();
        }
    }

    /// Inefficiency relative to the first row: the first is 1 exactly; a row with half the variance at
    /// the same cost is 1/2, with the errors of both rows combined.
    #[test]
    fn relative_inefficiency_by_hand() {
        let b = baseline();
        let rows = [
            measured(b, 100.0, 50.0),
            measured(EfficiencySettings { lag: 5, ..b }, 50.0, 50.0),
        ];
        let rel = relative_inefficiency(&rows);
        assert_eq!(rel[0].value, 1.0);
        assert!((rel[1].value - 0.5).abs() < 1e-12);
        // Each variance has a 10% error, the evaluations none: √(0.1² + 0.1²) relative.
        assert!((rel[1].se - 0.5 * 0.02f64.sqrt()).abs() < 1e-12);
        let text = csv(&rows);
        assert_eq!(text.lines().count(), 3);
        assert!(
            text.lines()
                .nth(2)
                .unwrap()
                .starts_with("isir-disir-K10-L5-")
        );
    }
}
