//! The state of one search run in the search and calls views.

use std::sync::Arc;

use crate::domain::query::QueryError;

pub use crate::domain::query::SearchOutcome;

/// Where the current search is.
#[derive(Clone, Debug)]
pub enum RunState {
    /// No search asked for yet.
    Idle,
    /// The form or URL is wrong; `error` points at the token for query errors.
    Invalid {
        message: String,
        error: Option<QueryError>,
    },
    /// Requests are out; `done` of `total` answered.
    Running { done: usize, total: usize },
    /// The user cancelled.
    Cancelled,
    /// Every request failed.
    Failed { error: String, elapsed_ms: f64 },
    /// Results, possibly partial (`failures`).
    Done {
        outcome: Arc<SearchOutcome>,
        elapsed_ms: f64,
        limit_reached: bool,
        failures: Vec<String>,
        limit: u32,
    },
}
