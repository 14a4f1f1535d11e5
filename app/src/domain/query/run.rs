//! Running a [`CompiledSearch`] through a [`V3Fetch`]: every request, the merge, and what the
//! user is told ("limit reached", partial failures). The search and calls views and the command
//! line's `search` / `calls` share it, so they show the same rows and say the same things.

use crate::domain::calls::CallSummary;
use crate::domain::fetch::V3Fetch;
use crate::domain::homer::{gather, Gathered, HomerRow};

use super::compile::{CompiledSearch, ResultView};

/// What a finished search produced.
#[derive(Clone, Debug, PartialEq)]
pub enum SearchOutcome {
    /// Messages view rows.
    Rows(Vec<HomerRow>),
    /// Calls view calls.
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

    /// True without rows or calls.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// "messages" or "calls".
    pub fn noun(&self) -> &'static str {
        match self {
            SearchOutcome::Rows(_) => "messages",
            SearchOutcome::Calls(_) => "calls",
        }
    }
}

/// A search's result, possibly partial.
#[derive(Clone, Debug, PartialEq)]
pub struct SearchRun {
    /// The rows or calls.
    pub outcome: SearchOutcome,
    /// A request filled its row limit, or the result its limit: more may exist.
    pub limit_reached: bool,
    /// Requests that failed (the result may be incomplete).
    pub failures: Vec<String>,
}

/// Sends every request of `compiled` and merges the answers.
///
/// # Errors
/// Every request failed: their messages joined.
pub async fn run_search<F: V3Fetch>(
    fetch: &F,
    compiled: &CompiledSearch,
) -> Result<SearchRun, String> {
    let answers = fetch.search_all(&compiled.requests).await;
    finish_search(compiled, gather(answers))
}

/// The merge after the requests: [`run_search`] without the I/O.
///
/// # Errors
/// As [`run_search`].
pub fn finish_search<E: std::fmt::Display>(
    compiled: &CompiledSearch,
    gathered: Gathered<E>,
) -> Result<SearchRun, String> {
    let Gathered {
        rows,
        failures,
        mut limit_reached,
    } = gathered;
    let failures: Vec<String> = failures.iter().map(ToString::to_string).collect();
    if rows.is_empty() && !failures.is_empty() {
        return Err(failures.join("; "));
    }
    let limit = usize::try_from(compiled.limit).unwrap_or(usize::MAX);
    let outcome = match compiled.view {
        ResultView::Messages => SearchOutcome::Rows(compiled.finish_rows(rows)),
        ResultView::Calls => SearchOutcome::Calls(compiled.finish_calls(rows)),
    };
    limit_reached |= outcome.len() >= limit;
    Ok(SearchRun {
        outcome,
        limit_reached,
        failures,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::query::compile;
    use crate::domain::search_form::SearchForm;

    fn compiled(view: ResultView, limit: u32) -> CompiledSearch {
        let form = SearchForm {
            limit: Some(limit),
            ..SearchForm::default()
        };
        compile(
            &form,
            view,
            jiff::Timestamp::from_second(1_700_000_000).unwrap(),
            &jiff::tz::TimeZone::UTC,
        )
        .unwrap()
    }

    fn row(sid: &str, id: i64) -> HomerRow {
        HomerRow {
            id: Some(id),
            sid: sid.into(),
            method: "INVITE".into(),
            ..HomerRow::default()
        }
    }

    #[test]
    fn all_failed_is_an_error_and_partial_keeps_the_failures() {
        let c = compiled(ResultView::Messages, 10);
        let none: Gathered<&str> = Gathered {
            rows: vec![],
            failures: vec!["down"],
            limit_reached: false,
        };
        assert_eq!(finish_search(&c, none).unwrap_err(), "down");
        let partial = Gathered {
            rows: vec![vec![row("a", 1)]],
            failures: vec!["timeout"],
            limit_reached: false,
        };
        let run = finish_search(&c, partial).unwrap();
        assert_eq!(run.outcome.len(), 1);
        assert_eq!(run.failures, ["timeout"]);
        assert!(!run.limit_reached);
    }

    #[test]
    fn a_full_result_says_limit_reached() {
        let c = compiled(ResultView::Calls, 1);
        let g: Gathered<&str> = Gathered {
            rows: vec![vec![row("a", 1), row("b", 2)]],
            failures: vec![],
            limit_reached: false,
        };
        let run = finish_search(&c, g).unwrap();
        assert_eq!(run.outcome.noun(), "calls");
        assert_eq!(run.outcome.len(), 1);
        assert!(run.limit_reached);
    }
}
