//! `use_search_run`: the search the URL asks for in the search and calls views, loaded through a
//! `LocalResource` keyed on the URL's query (and a run number for "Search again" and Retry), with
//! its progress; and the states it goes through.

use std::sync::Arc;

use jiff::tz::TimeZone;
use jiff::Timestamp;
use leptos::prelude::*;
use leptos_router::hooks::use_location;

use crate::domain::homer::gather;
use crate::domain::query::{
    add_whole_sessions, compile, compile_with_mapping, finish_search, CompiledSearch, QueryError,
    QueryErrorKind, ResultView,
};
use crate::domain::search_form::SearchForm;
use crate::ui::api::keyed::KeyedResource;
use crate::ui::api::{self, recorder, Alive, ApiError, ApiRoot};

pub use crate::domain::query::SearchOutcome;

use super::read_url;
use crate::ui::components::zone::resolve_zone;

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

/// The search of the current URL, and what the page can do with it. Cheap handles.
#[derive(Clone, Copy)]
pub struct SearchRun {
    /// Where the search is (`Running` while the resource loads).
    pub state: Signal<RunState>,
    /// Runs the URL's search again, with a new "now" (Search on an unchanged form, Retry).
    pub rerun: Callback<()>,
    /// Stops the running search: its requests are aborted.
    pub cancel: Callback<()>,
}

/// Runs the search of the URL whenever its query changes, on the page at `page_path`.
pub fn use_search_run(view: ResultView, page_path: &'static str) -> SearchRun {
    let location = use_location();
    let run_no = RwSignal::new(0_u64);
    // The (query, run) the user cancelled: loading it again answers `Cancelled` at once.
    let cancelled = RwSignal::new(None::<(String, u64)>);
    // Requests answered and sent by the current load.
    let progress = RwSignal::new((0_usize, 0_usize));
    // Cancelling is part of the key, so it supersedes (and aborts) the running search at once.
    let key = Memo::new(move |_| {
        let run = (location.search.get(), run_no.get());
        let is_cancelled = cancelled.with(|c| c.as_ref() == Some(&run));
        (run, is_cancelled)
    });
    let resource = KeyedResource::new(key, move |((search, _), is_cancelled)| {
        // The router updates the location before this page is disposed: other routes' URLs run nothing.
        let here = location.pathname.get_untracked() == page_path;
        let alive = Alive::current();
        async move {
            if !here || search.trim_start_matches('?').is_empty() {
                RunState::Idle
            } else if is_cancelled {
                RunState::Cancelled
            } else {
                run(view, &search, progress, alive).await
            }
        }
    });
    let state = Signal::derive(move || {
        resource.get().unwrap_or_else(|| {
            let (done, total) = progress.get();
            RunState::Running { done, total }
        })
    });
    SearchRun {
        state,
        rerun: Callback::new(move |()| run_no.update(|n| *n += 1)),
        cancel: Callback::new(move |()| cancelled.set(Some(key.get_untracked().0))),
    }
}

fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map(|p| p.now())
        .unwrap_or(0.0)
}

/// One search: the form of `search`, compiled (against the backend's mapping when it needs it),
/// its requests sent in parallel; `progress` follows them while `alive`.
async fn run(
    view: ResultView,
    search: &str,
    progress: RwSignal<(usize, usize)>,
    alive: Alive,
) -> RunState {
    let invalid = |message: String, error: Option<QueryError>| RunState::Invalid { message, error };
    let form = match read_url(search).0 {
        Ok(f) => f,
        Err(e) => return invalid(e, None),
    };
    let zone = match resolve_zone(&form.tz) {
        Ok(z) => z,
        Err(e) => return invalid(e, None),
    };
    let now = Timestamp::now();
    // Fields outside HOMER 7's default mapping (the domains) need the backend's mapping: fetched
    // only for such a query, then the form is compiled against it.
    let first = match compile(&form, view, now, &zone) {
        Ok(c) => Some(c),
        Err(e) if matches!(e.kind, QueryErrorKind::FieldNotMapped { .. }) => None,
        Err(e) => return invalid(e.to_string(), Some(e)),
    };
    recorder::start_run();
    // Total 0 while the mapping is read.
    let report = move |update: &dyn Fn(&mut (usize, usize))| {
        if alive.get() {
            progress.try_update(|p| update(p));
        }
    };
    report(&|p| *p = (0, first.as_ref().map_or(0, |c| c.requests.len())));
    let started = now_ms();
    let compiled = match first {
        Some(c) => c,
        None => match compile_for_backend(&form, view, now, &zone).await {
            Ok(c) => c,
            Err((message, error)) => return invalid(message, error),
        },
    };
    report(&|p| *p = (0, compiled.requests.len()));
    let root = ApiRoot::backend(&form.backend);
    let outcome = run_requests(&root, &compiled, || report(&|p| p.0 += 1)).await;
    let elapsed_ms = now_ms() - started;
    match outcome {
        Ok((result, limit_reached, failures)) => RunState::Done {
            outcome: Arc::new(result),
            elapsed_ms,
            limit_reached,
            failures,
            limit: compiled.limit,
        },
        Err(error) => RunState::Failed { error, elapsed_ms },
    }
}

/// Compiles `form` against its backend's mapping (`GET mapping/protocol`); the error as the
/// message and, when the form is at fault, the [`QueryError`] to point at.
async fn compile_for_backend(
    form: &SearchForm,
    view: ResultView,
    now: Timestamp,
    zone: &TimeZone,
) -> Result<CompiledSearch, (String, Option<QueryError>)> {
    let mapping = api::mapping(&ApiRoot::backend(&form.backend))
        .await
        .map_err(|e| (format!("reading the backend's field mapping: {e}"), None))?;
    compile_with_mapping(form, view, now, zone, &mapping).map_err(|e| (e.to_string(), Some(e)))
}

/// Sends every compiled request (in parallel), reporting each completion through `progress`, and
/// merges the answers with the domain's [`finish_search`] (the merge and limits of `query::run`).
/// For the calls view it then fetches the shown calls' whole sessions ([`add_whole_sessions`], its
/// batches in parallel). `Ok` with the
/// merged result, whether a request hit its row limit, and the failures of a partial answer; `Err`
/// when every request failed.
async fn run_requests(
    root: &ApiRoot,
    compiled: &CompiledSearch,
    progress: impl Fn() + Clone,
) -> Result<(SearchOutcome, bool, Vec<String>), String> {
    let futures = compiled.requests.iter().map(|request| {
        let progress = progress.clone();
        async move {
            let result = api::search_call_data(root, request).await;
            progress();
            (request.row_limit(), result.map_err(|e| describe(&e)))
        }
    });
    let mut gathered = gather(futures::future::join_all(futures).await);
    // Session-based results, as `query::run_search` has them.
    let fetch = api::fetch::UiFetch::new(root.clone());
    add_whole_sessions(&fetch, compiled, &mut gathered).await;
    let run = finish_search(compiled, gathered)?;
    Ok((run.outcome, run.limit_reached, run.failures))
}

fn describe(error: &ApiError) -> String {
    match error {
        ApiError::Status {
            status: 504,
            message,
        } => format!("the backend timed out: {message}"),
        other => other.to_string(),
    }
}
