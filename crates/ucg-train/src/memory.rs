//! A bound on the memory a setting may ask for, checked before allocating: a size accepted by the
//! command line (`--latent 16777216`, `--k 100000000`) would otherwise abort the process with an
//! allocation failure and a backtrace.
//!
//! The bound is half of the machine's physical memory (`MemTotal` in `/proc/meminfo`), or
//! [`FALLBACK_LIMIT`] where that cannot be read.

use crate::{Result, TrainError};

/// The bound used when the physical memory cannot be read: 8 GiB.
pub const FALLBACK_LIMIT: u64 = 8 << 30;

/// The machine's physical memory in bytes, if known.
pub fn physical_memory() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    kb.checked_mul(1024)
}

/// The most bytes one setting may ask for: half of [`physical_memory`], else [`FALLBACK_LIMIT`].
pub fn limit() -> u64 {
    physical_memory().map_or(FALLBACK_LIMIT, |m| m / 2)
}

/// `bytes` in a readable unit (`312 GB`, `1.5 MB`), decimal.
pub fn human(bytes: u128) -> String {
    let units = ["bytes", "kB", "MB", "GB", "TB", "PB", "EB"];
    let mut v = bytes as f64;
    let mut u = 0;
    while v >= 1000.0 && u + 1 < units.len() {
        v /= 1000.0;
        u += 1;
    }
    if u == 0 || v >= 10.0 {
        format!("{v:.0} {}", units[u])
    } else {
        format!("{v:.1} {}", units[u])
    }
}

/// Refuses `bytes` above `limit`: "`setting` needs … for `what`; this machine allows …".
///
/// # Errors
/// [`TrainError::InvalidSetting`] named `setting` when `bytes > limit`.
pub fn check_within(setting: &'static str, what: &str, bytes: u128, limit: u64) -> Result<()> {
    if bytes <= u128::from(limit) {
        return Ok(());
    }
    let machine = match physical_memory() {
        Some(m) => format!("half of this machine's {}", human(u128::from(m))),
        None => "the fixed limit, this machine's memory being unknown".to_string(),
    };
    Err(TrainError::InvalidSetting {
        name: setting,
        reason: format!(
            "needs about {} for {what}, more than the {} allowed ({machine})",
            human(bytes),
            human(u128::from(limit))
        ),
    })
}

/// [`check_within`] the machine's [`limit`].
///
/// # Errors
/// As [`check_within`].
pub fn check(setting: &'static str, what: &str, bytes: u128) -> Result<()> {
    check_within(setting, what, bytes, limit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_and_refuse_in_plain_numbers() {
        assert_eq!(human(312_000_000_000), "312 GB");
        assert_eq!(human(1_500_000), "1.5 MB");
        assert_eq!(human(12), "12 bytes");
        assert!(check_within("k", "x", 100, 100).is_ok());
        let err = check_within("k", "one batch", 312_000_000_000, 8_000_000_000)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("`k`: needs about 312 GB for one batch, more than the 8.0 GB allowed"),
            "{err}"
        );
        assert!(limit() > 0);
    }
}
