//! Leg correlation for issue 9 (dex's `analyze`): find every leg of one call across proxies and
//! B2BUAs from any one of its legs.
//!
//! [`run::run_analysis`] runs these steps through a [`crate::domain::fetch::V3Fetch`] (the browser's
//! or the command line's HTTP):
//! 1. [`AnalyzeOptions::seed_search`] finds the seed leg;
//! 2. [`AnalyzeOptions::fanout_searches`] finds candidate legs by number around it, and
//!    [`AnalyzeOptions::candidate_request`] loads their messages;
//! 3. [`LegCandidate::from_rows`] sums the rows up per Call-ID;
//! 4. [`correlate`] links legs and lists suggestions.
//!
//! Pure: no I/O of its own, no clock. Input is HOMER rows from the network, so nothing here may panic.

#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod candidate;
mod correlate;
mod keys;
mod options;
pub mod run;

pub use candidate::LegCandidate;
pub use correlate::{
    correlate, strip_b2b_suffix, Analysis, LegRow, Party, Reason, NUMBER_DIGITS, OVERLAP_SLACK_US,
    SUGGEST_WINDOW_US,
};
pub use keys::{icid, session_uuids, CorrelationRule, MatchedKey, NULL_SESSION_UUID};
pub use options::{AnalyzeOptions, LegsError, Seed, DEFAULT_LIMIT, DEFAULT_WINDOW_S};

#[cfg(test)]
mod tests;
