//! Meeting times of lagged coupled chains, and the total-variation bounds they give.

use crate::error::{Result, invalid};
use rand::Rng;
#[cfg(feature = "serde")]
use serde::{Deserialize, Serialize};
use ucg_couplings::{CoupledKernel, InitialLaw};

/// One draw of the meeting time `τ = inf{t ≥ L : X_t = Y_{t−L}}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct MeetingTime {
    /// `τ`, or the cap when `capped`.
    pub tau: usize,
    /// Whether the chains had not met by the cap (then `τ > tau`).
    pub capped: bool,
}

/// Runs lagged coupled chains only until they meet (no estimate), for diagnostics: `X` moves alone for
/// `L` steps, then `(X, Y)` move with the coupled kernel; both start from the kernel's [`InitialLaw`].
///
/// # Errors
/// `lag = 0`, `max_iter < lag`, or kernel failures.
pub fn sample_meeting_time<K, R>(
    kernel: &K,
    lag: usize,
    max_iter: usize,
    rng: &mut R,
) -> Result<MeetingTime>
where
    K: CoupledKernel + InitialLaw,
    K::State: PartialEq,
    R: Rng + ?Sized,
{
    if lag == 0 {
        return Err(invalid("lag", "must be at least 1"));
    }
    if max_iter < lag {
        return Err(invalid(
            "max_iter",
            format!("{max_iter} is below the lag {lag}"),
        ));
    }
    let mut x = kernel.sample_initial(rng)?;
    for _ in 0..lag {
        kernel.step(&mut x, rng)?;
    }
    let mut y = kernel.sample_initial(rng)?;
    if x == y {
        return Ok(MeetingTime {
            tau: lag,
            capped: false,
        });
    }
    for t in lag + 1..=max_iter {
        if kernel.coupled_step(&mut x, &mut y, rng)? {
            return Ok(MeetingTime {
                tau: t,
                capped: false,
            });
        }
    }
    Ok(MeetingTime {
        tau: max_iter,
        capped: true,
    })
}

/// Upper bound on the total-variation distance between the chain's law at iteration `t` and its target
/// (Biswas, Jacob & Vanetti 2019): `d_TV(π_t, π) ≤ E[max(0, ⌈(τ − L − t)/L⌉)]`, estimated by the
/// average over independent lag-`L` meeting times. Capped draws enter with their cap, so with capped draws
/// the estimate is itself only a lower estimate of the bound: count them before trusting it.
///
/// # Errors
/// `lag = 0` or no meeting times.
pub fn tv_upper_bound(meeting_times: &[usize], lag: usize, t: usize) -> Result<f64> {
    if lag == 0 {
        return Err(invalid("lag", "must be at least 1"));
    }
    if meeting_times.is_empty() {
        return Err(crate::EstimatorError::TooFew {
            what: "a total-variation bound",
            need: 1,
            got: 0,
        });
    }
    let total: usize = meeting_times
        .iter()
        .map(|&tau| tau.saturating_sub(lag + t).div_ceil(lag))
        .sum();
    Ok(total as f64 / meeting_times.len() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tv_bound_formula() {
        // τ = 25, L = 10: t = 0 → ⌈15/10⌉ = 2; t = 5 → 1; t = 15 → 0.
        assert_eq!(tv_upper_bound(&[25], 10, 0).unwrap(), 2.0);
        assert_eq!(tv_upper_bound(&[25], 10, 5).unwrap(), 1.0);
        assert_eq!(tv_upper_bound(&[25], 10, 15).unwrap(), 0.0);
        assert_eq!(tv_upper_bound(&[25, 11], 10, 0).unwrap(), 1.5);
        assert!(tv_upper_bound(&[], 1, 0).is_err());
    }
}
