//! The state of one search run in the search and calls views.

use std::sync::Arc;

use crate::domain::calls::CallSummary;
use crate::domain::homer::HomerRow;
use crate::domain::query::QueryError;

/// What a finished search produced.
#[derive(Clone, Debug)]
pub enum SearchOutcome {
    Rows(Vec<HomerRow>),
    Calls(Vec<CallSummary>),
}

impl SearchOutcome {
    /// How many rows or calls.
    pub fn len(&self) -> usize {
        match self {
            SearchOutcome::Rows(r) => r.len(),
            SearchOutcome::Calls(c) => c.len(),
        }
    }

    /// "messages" or "calls".
    pub fn noun(&self) -> &'static str {
        match self {
            SearchOutcome::Rows(_) => "messages",
            SearchOutcome::Calls(_) => "calls",
        }
    }
}

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
