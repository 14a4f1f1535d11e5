//! `/search` (messages) and `/calls` (calls grouped by Call-ID): dex-style filters compiled in the browser
//! to HOMER 7 requests, results merged and shown in a virtualized table. Every input is in the URL.

use jiff::tz::TimeZone;
use leptos::prelude::*;
use leptos_router::hooks::{use_location, use_navigate};
use leptos_router::NavigateOptions;

use crate::domain::ladder::AliasTable;
use crate::domain::query::{Input, QueryError, ResultView};
use crate::domain::results::ColumnSort;
use crate::domain::search_form::SearchForm;
use crate::ui::api::recorder::Recorder;
use crate::ui::api::{self, ApiRoot};

use crate::ui::components::debug_panel::DebugPanel;
use crate::ui::components::zone::resolve_zone;

mod filters;
mod outcome;
mod state;
mod tables;

use filters::{FilterFields, SearchFilters};
use outcome::SearchResults;
use state::{use_search_run, RunState};

/// Splits the URL query into the form and the table sort (`order`).
fn read_url(search: &str) -> (Result<SearchForm, String>, Option<ColumnSort>) {
    let form = SearchForm::from_query_string(search).map_err(|e| e.to_string());
    let order = search
        .trim_start_matches('?')
        .split('&')
        .find_map(|p| p.strip_prefix("order="))
        .and_then(|v| ColumnSort::parse(&crate::domain::percent::percent_decode(v)));
    (form, order)
}

/// The URL query of a form plus a table sort.
fn write_url(form: &SearchForm, order: Option<&ColumnSort>) -> String {
    let mut qs = form.to_query_string();
    if let Some(order) = order {
        if !qs.is_empty() {
            qs.push('&');
        }
        qs.push_str("order=");
        qs.push_str(&crate::domain::percent::percent_encode(&order.to_param()));
    }
    if qs.is_empty() {
        // An explicit default, so the URL says a search was asked for.
        qs.push_str("since=24h");
    }
    qs
}

/// The messages (`/search`) or calls (`/calls`) view.
#[component]
pub fn SearchPage(view: ResultView) -> impl IntoView {
    let debug = expect_context::<Recorder>();
    let location = use_location();
    let navigate = use_navigate();
    let url = Memo::new(move |_| read_url(&location.search.get()));
    let form = Memo::new(move |_| url.get().0.clone().unwrap_or_default());
    let order = Memo::new(move |_| url.get().1.clone());

    // The inputs, refilled from the URL whenever it changes (back/forward, pasted link).
    let fields = FilterFields::new();
    Effect::new(move |_| fields.fill(form.get()));

    let go = {
        let navigate = navigate.clone();
        move |next: SearchForm, order: Option<ColumnSort>, replace: bool| {
            let qs = write_url(&next, order.as_ref());
            navigate(
                &format!("{}?{qs}", location.pathname.get_untracked()),
                NavigateOptions {
                    replace,
                    ..Default::default()
                },
            );
        }
    };

    let page_path = match view {
        ResultView::Messages => "/search",
        ResultView::Calls => "/calls",
    };
    let run = use_search_run(view, page_path);
    let state = run.state;

    let submit = Callback::new({
        let go = go.clone();
        move |()| {
            let mut next = fields.read_into(form.get_untracked());
            next.selected.clear();
            let same = write_url(&next, order.get_untracked().as_ref())
                == location.search.get_untracked().trim_start_matches('?');
            if same {
                // Searching again for the same thing: run it anew (new "now").
                run.rerun.run(());
            } else {
                go(next, order.get_untracked(), false);
            }
        }
    });
    let retry = move |_| run.rerun.run(());
    let on_cancel = move |_| run.cancel.run(());

    let on_sort = Callback::new({
        let go = go.clone();
        move |key: &'static str| {
            let next = ColumnSort::toggled(order.get_untracked().as_ref(), key);
            go(form.get_untracked(), Some(next), true);
        }
    });
    let on_select = Callback::new({
        let go = go.clone();
        move |(call_id, on): (String, bool)| {
            let mut next = form.get_untracked();
            next.selected.retain(|c| c != &call_id);
            if on {
                next.selected.push(call_id);
            }
            go(next, order.get_untracked(), true);
        }
    });
    let zone = Signal::derive(move || resolve_zone(&form.get().tz).unwrap_or(TimeZone::UTC));

    // Host aliases name the ends of the calls' directions; without them hosts go by address.
    let backend = Memo::new(move |_| form.with(|f| f.backend.clone()));
    let aliases = LocalResource::new(move || {
        let backend = backend.get();
        async move {
            match view {
                ResultView::Messages => Ok(AliasTable::default()),
                ResultView::Calls => api::alias_table(&ApiRoot::backend(&backend))
                    .await
                    .map_err(|e| e.to_string()),
            }
        }
    });
    let alias_table =
        Signal::derive(move || aliases.get().and_then(Result::ok).unwrap_or_default());

    let title = match view {
        ResultView::Messages => "Search",
        ResultView::Calls => "Calls",
    };
    view! {
        <h1>{title}</h1>
        <SearchFilters fields=fields view=view zone=zone on_submit=submit/>
        <StatusBanner state=state on_retry=retry on_cancel=on_cancel query_text=Signal::derive(move || form.get().query) />
        {move || aliases.get().and_then(Result::err).map(|e| view! {
            <div class="banner warn" role="status">{format!("Host aliases are unavailable, hosts are named by address: {e}")}</div>
        })}
        {move || debug.enabled.get().then(|| view! { <DebugPanel debug=debug/> })}
        <SearchResults state=state form=form order=order zone=zone alias_table=alias_table
            on_sort=on_sort on_select=on_select/>
    }
}

/// Progress, errors, timeouts, "limit reached" and the elapsed time.
#[component]
fn StatusBanner(
    state: Signal<RunState>,
    on_retry: impl Fn(leptos::ev::MouseEvent) + Clone + Send + Sync + 'static,
    on_cancel: impl Fn(leptos::ev::MouseEvent) + Clone + Send + Sync + 'static,
    query_text: Signal<String>,
) -> impl IntoView {
    move || {
        let on_retry = on_retry.clone();
        let on_cancel = on_cancel.clone();
        state.with(|s| match s {
            RunState::Idle => view! {
                <p class="notice">"Enter filters and press Search. With no filters, Search lists the last 24 hours."</p>
            }.into_any(),
            RunState::Running { done, total } => view! {
                <div class="banner ok" role="status" aria-live="polite">
                    <span>{if *total == 0 {
                        "Searching… reading the backend's field mapping".to_owned()
                    } else {
                        format!("Searching… {done} of {total} HOMER requests answered")
                    }}</span>
                    <button type="button" on:click=on_cancel>"Cancel"</button>
                </div>
            }.into_any(),
            RunState::Cancelled => view! {
                <div class="banner warn" role="status">
                    <span>"Search cancelled."</span>
                    <button type="button" on:click=on_retry>"Run again"</button>
                </div>
            }.into_any(),
            RunState::Invalid { message, error } => {
                let pointer = error.as_ref().filter(|e| e.input == Input::Query).map(|e| {
                    error_pointer(&query_text.get_untracked(), e)
                });
                view! {
                    <div class="banner error query-error" role="alert">
                        <div>
                            <div>{message.clone()}</div>
                            {pointer}
                        </div>
                    </div>
                }.into_any()
            }
            RunState::Failed { error, elapsed_ms } => view! {
                <div class="banner error" role="alert">
                    <span>{format!("Search failed after {:.1} s: {error}", elapsed_ms / 1000.0)}</span>
                    <button type="button" on:click=on_retry>"Retry"</button>
                </div>
            }.into_any(),
            RunState::Done { outcome, elapsed_ms, limit_reached, failures, limit } => {
                let count = outcome.len();
                let noun = outcome.noun();
                view! {
                    <p class="result-meta" role="status">
                        {format!("{count} {noun} in {:.2} s", elapsed_ms / 1000.0)}
                    </p>
                    {(*limit_reached).then(|| view! {
                        <div class="banner warn" role="status" data-testid="limit-banner">
                            {format!("Limit reached: only the first {limit} are shown. Narrow the time range or add filters (number, user, method), or raise Limit.")}
                        </div>
                    })}
                    {(!failures.is_empty()).then(|| view! {
                        <div class="banner error" role="alert">
                            <span>{format!("Some HOMER requests failed, results may be incomplete: {}", failures.join("; "))}</span>
                            <button type="button" on:click=on_retry>"Retry"</button>
                        </div>
                    })}
                    {(count == 0).then(|| view! {
                        <p class="notice">{format!("No {noun} match these filters in this time range.")}</p>
                    })}
                }.into_any()
            }
        })
    }
}

/// The query text with the offending token marked.
fn error_pointer(text: &str, error: &QueryError) -> impl IntoView {
    let start = error.span.start.min(text.len());
    let end = error.span.end.clamp(start, text.len());
    let (before, token, after) = match (text.get(..start), text.get(start..end), text.get(end..)) {
        (Some(b), Some(t), Some(a)) => (b.to_string(), t.to_string(), a.to_string()),
        _ => (text.to_string(), String::new(), String::new()),
    };
    let token = if token.is_empty() {
        " ".to_string()
    } else {
        token
    };
    view! {
        <code class="query-pointer" data-testid="query-error-pointer">
            {before}<mark data-testid="query-error-token">{token}</mark>{after}
        </code>
    }
}

//END
