//! Progress reporting for long evaluations: the library calls a hook and never prints.

/// How far an evaluation has got, in units of work that the estimator defines (documented on each entry
/// point); `done ≤ total`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Progress {
    /// Units finished so far.
    pub done: u64,
    /// Units in the whole evaluation.
    pub total: u64,
}

/// A progress hook, called from worker threads (hence `Sync`) as work finishes, with a non-decreasing
/// [`Progress::done`] in each thread. Wrap an `indicatif::ProgressBar` with
/// `&|p: Progress| bar.set_position(p.done)`.
pub type ProgressHook<'a> = &'a (dyn Fn(Progress) + Sync);

/// Counts finished units across threads and forwards the count to an optional hook.
pub(crate) struct ProgressCounter<'a> {
    done: std::sync::atomic::AtomicU64,
    total: u64,
    hook: Option<ProgressHook<'a>>,
}

impl<'a> ProgressCounter<'a> {
    /// A counter at zero of `total` units.
    pub(crate) fn new(total: u64, hook: Option<ProgressHook<'a>>) -> Self {
        ProgressCounter {
            done: std::sync::atomic::AtomicU64::new(0),
            total,
            hook,
        }
    }

    /// Records `units` more finished units and reports the new count.
    pub(crate) fn advance(&self, units: u64) {
        if let Some(hook) = self.hook {
            let done = self
                .done
                .fetch_add(units, std::sync::atomic::Ordering::Relaxed)
                + units;
            hook(Progress {
                done: done.min(self.total),
                total: self.total,
            });
        }
    }
}
