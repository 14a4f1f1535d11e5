//! Running a [`CompiledSearch`] through a [`V3Fetch`]: every request, the merge, and what the
//! user is told ("limit reached", partial failures). The search and calls views and the command
//! line's `search` / `calls` share it, so they show the same rows and say the same things.

use crate::domain::calls::CallSummary;
use crate::domain::fetch::V3Fetch;
use crate::domain::homer::{
    gather, Gathered, HomerRow, ProfileKey, TimeWindow, TransactionRequest,
};

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

/// Sends every request of `compiled` and merges the answers; for the calls view, then fetches the
/// shown calls' whole sessions ([`whole_sessions`]).
///
/// # Errors
/// Every request failed: their messages joined.
pub async fn run_search<F: V3Fetch>(
    fetch: &F,
    compiled: &CompiledSearch,
) -> Result<SearchRun, String> {
    let Gathered {
        rows,
        failures,
        limit_reached,
    } = gather(fetch.search_all(&compiled.requests).await);
    let mut gathered = Gathered {
        rows,
        failures: failures.iter().map(ToString::to_string).collect(),
        limit_reached,
    };
    add_whole_sessions(fetch, compiled, &mut gathered).await;
    finish_search(compiled, gathered)
}

/// For the calls view, adds the shown calls' whole sessions ([`whole_sessions`]) to the search's
/// answers, and their failures to its failures; the messages view is left as it is.
pub async fn add_whole_sessions<F: V3Fetch>(
    fetch: &F,
    compiled: &CompiledSearch,
    gathered: &mut Gathered<String>,
) {
    if compiled.view != ResultView::Calls || gathered.rows.is_empty() {
        return;
    }
    let (sessions, failures) = whole_sessions(fetch, compiled, &gathered.rows).await;
    gathered.rows.push(sessions);
    gathered.failures.extend(failures);
}

/// Call-IDs asked for in one `call/transaction` request when whole sessions are fetched.
pub const SESSION_BATCH: usize = 50;

/// Results are session-based (as dex's): a filter such as `ua = 'Asterisk%'` matches only some of a
/// call's messages, but the call's status, duration and PDD come from all of them. So the Call-IDs the
/// calls view will show (the newest `limit` of them) are fetched whole, in batches of
/// [`SESSION_BATCH`], within the searched window. A failed batch leaves those calls grouped from
/// their matched messages and is reported as a failure.
async fn whole_sessions<F: V3Fetch>(
    fetch: &F,
    compiled: &CompiledSearch,
    answers: &[Vec<HomerRow>],
) -> (Vec<HomerRow>, Vec<String>) {
    let limit = usize::try_from(compiled.limit).unwrap_or(usize::MAX);
    let ids: Vec<String> = compiled
        .finish_calls(answers.iter().cloned())
        .into_iter()
        .take(limit)
        .map(|c| c.call_id)
        .collect();
    let window = TimeWindow::new(compiled.range.from_ms, compiled.range.to_ms);
    let requests: Vec<TransactionRequest> = ids
        .chunks(SESSION_BATCH)
        .map(|batch| TransactionRequest::new(&ProfileKey::call(), window, batch.to_vec()))
        .collect();
    let mut rows = Vec::new();
    let mut failures = Vec::new();
    for (request, answer) in requests.iter().zip(fetch.transactions(&requests).await) {
        match answer {
            Ok(answer) => rows.extend(answer.data.messages),
            Err(e) => failures.push(format!(
                "whole sessions of {} calls could not be loaded (shown from their matching messages): {e}",
                request.call_ids().len()
            )),
        }
    }
    (rows, failures)
}

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

    /// A backend whose search matches only the INVITE of each call (a UA filter), and whose
    /// transaction route has the whole dialog.
    struct UaFiltered {
        sessions_fail: bool,
        asked: std::cell::RefCell<Vec<Vec<String>>>,
    }

    fn msg(sid: &str, ms: i64, method: &str, cseq: &str) -> HomerRow {
        HomerRow {
            id: Some(ms),
            sid: sid.into(),
            time_seconds: Some(ms / 1000),
            time_useconds: Some((ms % 1000) * 1000),
            method: method.into(),
            cseq: cseq.into(),
            ..HomerRow::default()
        }
    }

    fn dialog(sid: &str, t: i64) -> Vec<HomerRow> {
        vec![
            msg(sid, t, "INVITE", "1 INVITE"),
            msg(sid, t + 300, "180", "1 INVITE"),
            msg(sid, t + 2_000, "200", "1 INVITE"),
            msg(sid, t + 2_050, "ACK", "1 ACK"),
            msg(sid, t + 62_000, "BYE", "2 BYE"),
            msg(sid, t + 62_040, "200", "2 BYE"),
        ]
    }

    impl V3Fetch for UaFiltered {
        type Error = String;

        async fn search_all(
            &self,
            requests: &[crate::domain::homer::SearchRequest],
        ) -> Vec<crate::domain::fetch::SearchAnswer<String>> {
            let invites = vec![
                msg("a", 1_700_000_000_000, "INVITE", "1 INVITE"),
                msg("b", 1_700_000_100_000, "INVITE", "1 INVITE"),
            ];
            requests
                .iter()
                .map(|_| (1000, Ok(invites.clone())))
                .collect()
        }

        async fn transaction(
            &self,
            request: &TransactionRequest,
        ) -> Result<crate::domain::homer::TransactionResponse, String> {
            let ids: Vec<String> = request.call_ids().into_iter().map(String::from).collect();
            self.asked.borrow_mut().push(ids.clone());
            if self.sessions_fail {
                return Err("HOMER answered 502".into());
            }
            let mut answer = crate::domain::homer::TransactionResponse::default();
            for (sid, t) in [("a", 1_700_000_000_000), ("b", 1_700_000_100_000)] {
                if ids.iter().any(|id| id == sid) {
                    answer.data.messages.extend(dialog(sid, t));
                }
            }
            Ok(answer)
        }

        async fn qos_text(&self, _: &TransactionRequest) -> Result<String, String> {
            Ok(String::new())
        }

        async fn aliases(&self) -> Result<crate::domain::homer::AliasList, String> {
            Ok(Default::default())
        }
    }

    /// Polls a future whose awaits are all ready (the fake backend's are).
    fn ready<T>(future: impl std::future::Future<Output = T>) -> T {
        let mut future = std::pin::pin!(future);
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        match future.as_mut().poll(&mut cx) {
            std::task::Poll::Ready(value) => value,
            std::task::Poll::Pending => panic!("the fake backend never waits"),
        }
    }

    #[test]
    fn a_filter_matching_only_the_invite_still_shows_the_call_answered_with_its_duration() {
        let backend = UaFiltered {
            sessions_fail: false,
            asked: Default::default(),
        };
        let run = ready(run_search(&backend, &compiled(ResultView::Calls, 10))).unwrap();
        let SearchOutcome::Calls(calls) = run.outcome else {
            panic!("calls view")
        };
        assert_eq!(calls.len(), 2);
        for call in &calls {
            assert_eq!(
                call.status,
                crate::domain::calls::CallStatus::Answered,
                "{call:?}"
            );
            assert_eq!(call.duration_ms, Some(60_000));
            assert_eq!(call.post_dial_delay_ms, Some(300));
            assert_eq!(call.message_count, 6);
        }
        // One batch with both shown calls, newest first.
        assert_eq!(
            *backend.asked.borrow(),
            vec![vec!["b".to_string(), "a".to_string()]]
        );
        assert!(run.failures.is_empty());
    }

    #[test]
    fn failed_session_fetch_keeps_the_matched_messages_and_says_so() {
        let backend = UaFiltered {
            sessions_fail: true,
            asked: Default::default(),
        };
        let run = ready(run_search(&backend, &compiled(ResultView::Calls, 1))).unwrap();
        assert_eq!(run.outcome.len(), 1);
        assert_eq!(
            backend.asked.borrow().len(),
            1,
            "only the shown call is asked for"
        );
        assert_eq!(run.failures.len(), 1);
        assert!(
            run.failures[0].contains("whole sessions of 1 calls"),
            "{:?}",
            run.failures
        );
        // The messages view needs no sessions.
        let backend = UaFiltered {
            sessions_fail: false,
            asked: Default::default(),
        };
        ready(run_search(&backend, &compiled(ResultView::Messages, 10))).unwrap();
        assert!(backend.asked.borrow().is_empty());
    }
}
