//! Shared fixtures of the unit tests: one tiny run on synthetic data, done once per test binary.

use std::sync::OnceLock;

use super::config::Config;
use super::experiment::run_study;
use super::summary::Summary;
use crate::progress::Ui;
use crate::shard::Shard;

/// The summary of a complete tiny run (`Config::tiny(3)`, seconds), computed once.
pub(crate) fn tiny_summary() -> Summary {
    static SUMMARY: OnceLock<Summary> = OnceLock::new();
    SUMMARY
        .get_or_init(|| {
            let dir = tempfile::tempdir().expect("a temporary folder");
            run_study(
                &Config::tiny(3),
                Shard::WHOLE,
                dir.path(),
                &Ui::quiet(),
                "test",
            )
            .expect("the tiny run succeeds")
        })
        .clone()
}
