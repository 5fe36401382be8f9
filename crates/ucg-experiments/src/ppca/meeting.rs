//! Meeting times of many points and replicates, kept as counts (mergeable, small), with exact quantiles:
//! `ucg_estimators`' [`MeetingCounts`] and its summary.

pub use ucg_estimators::meeting_counts::MeetingCounts;
/// The summary of a meeting-time distribution as the experiment records it.
pub use ucg_estimators::summary::MeetingSummary as MeetingStats;
