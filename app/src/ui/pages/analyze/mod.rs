//! `/analyze`: trace one call across B2BUA legs (dex's `analyze`, issue 9). The page starts the
//! searches of `analyze_run` (seed, fan-out by number, the candidates' messages) and renders what
//! `domain::legs::correlate` links, as a leg table and one combined ladder; every option and the
//! user's added/removed legs are in the URL.

use std::sync::Arc;

use jiff::tz::TimeZone;
use leptos::prelude::*;
use leptos_router::hooks::{use_location, use_navigate};
use leptos_router::NavigateOptions;

use crate::domain::analyze_view::{AnalyzeQuery, Origin, ShownAnalysis, Step};
use crate::domain::homer::HomerRow;
use crate::domain::ladder::AliasTable;
use crate::domain::legs::{Analysis, AnalyzeOptions, LegRow, Seed};
use crate::domain::percent::percent_encode;
use crate::domain::results::format_us;
use crate::ui::api::keyed::KeyedResource;
use crate::ui::api::{recorder, Alive};
use crate::ui::components::download::save_text;

use crate::ui::components::form::text_input;

mod ladder;
mod run;

use ladder::LegsLadder;
use run::analyze;

/// What the analysis is keyed on: the URL's options (or why they cannot be read) and a run number.
type RunKey = (Result<AnalyzeOptions, String>, u64);

/// Where the analysis is.
#[derive(Clone, Debug)]
enum AnalyzeState {
    /// Nothing to analyze yet.
    Idle,
    /// The URL's options are wrong.
    Invalid(String),
    /// Working on a step.
    Running(Step),
    /// The analysis could not be made.
    Failed(String),
    /// The correlation result, with partial failures and notices.
    Done {
        analysis: Arc<Analysis>,
        failures: Vec<String>,
        notices: Vec<String>,
        /// Every candidate leg's messages, for the combined ladder.
        rows: Arc<Vec<HomerRow>>,
        aliases: Arc<AliasTable>,
    },
}

/// The Analyze view.
#[component]
pub fn AnalyzePage() -> impl IntoView {
    let location = use_location();
    let navigate = use_navigate();
    let parsed = Memo::new(move |_| {
        AnalyzeQuery::from_query_string(&location.search.get()).map_err(|e| e.to_string())
    });
    let query = Memo::new(move |_| parsed.get().unwrap_or_default());
    // Only the options re-run the analysis; adding or removing a leg just re-renders.
    let options = Memo::new(move |_| parsed.get().map(|q| q.options));

    let call_id = RwSignal::new(String::new());
    let caller = RwSignal::new(String::new());
    let callee = RwSignal::new(String::new());
    let at = RwSignal::new(String::new());
    let since = RwSignal::new(String::new());
    let until = RwSignal::new(String::new());
    let correlate_text = RwSignal::new(String::new());
    let prefixes = RwSignal::new(String::new());
    let numbers = RwSignal::new(String::new());
    let limit = RwSignal::new(String::new());
    Effect::new(move |_| {
        let o = query.get().options;
        match o.seed {
            Seed::CallId(id) => {
                call_id.set(id);
                caller.set(String::new());
                callee.set(String::new());
            }
            Seed::Parties {
                caller: from,
                callee: to,
            } => {
                call_id.set(String::new());
                caller.set(from);
                callee.set(to);
            }
        }
        at.set(o.at);
        since.set(o.since);
        until.set(o.until);
        correlate_text.set(o.correlate.join(", "));
        prefixes.set(o.header_prefixes.join(", "));
        numbers.set(o.numbers.join(", "));
        limit.set(o.limit.to_string());
    });

    let go = Callback::new(move |next: AnalyzeQuery| {
        navigate(
            &format!("/analyze?{}", next.to_query_string()),
            NavigateOptions {
                replace: true,
                scroll: false,
                ..Default::default()
            },
        );
    });

    // The analysis, keyed on the URL's options and a run number (Analyze on unchanged options,
    // Retry); a form the options cannot be read from is an error for the key it was sent at.
    let run_no = RwSignal::new(0_u64);
    let step = RwSignal::new(Step::Seed);
    let form_error = RwSignal::new(None::<(RunKey, String)>);
    let key = Memo::new(move |_| (options.get(), run_no.get()));
    let resource = KeyedResource::new(key, move |_| {
        let parsed = parsed.get_untracked();
        let alive = Alive::current();
        async move {
            match parsed {
                Err(e) => AnalyzeState::Invalid(e),
                Ok(query) if !query.has_seed() => AnalyzeState::Idle,
                Ok(query) => {
                    recorder::start_run();
                    let report = move |s: Step| {
                        if alive.get() {
                            step.try_set(s);
                        }
                    };
                    report(Step::Seed);
                    match analyze(&query, report).await {
                        Ok(o) => AnalyzeState::Done {
                            analysis: Arc::new(o.analysis),
                            failures: o.failures,
                            notices: o.notices,
                            rows: Arc::new(o.rows),
                            aliases: Arc::new(o.aliases),
                        },
                        Err(e) => AnalyzeState::Failed(e),
                    }
                }
            }
        }
    });
    let state = Signal::derive(move || {
        let now = key.get();
        match form_error.get() {
            Some((k, e)) if k == now => AnalyzeState::Invalid(e),
            _ => resource
                .get()
                .unwrap_or_else(|| AnalyzeState::Running(step.get())),
        }
    });
    let run = move || run_no.update(|n| *n += 1);

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let mut pairs: Vec<(&str, String)> = Vec::new();
        let id = call_id.get_untracked();
        if id.trim().is_empty() {
            pairs.push(("caller", caller.get_untracked()));
            pairs.push(("callee", callee.get_untracked()));
        } else {
            pairs.push(("call_id", id));
        }
        pairs.push(("at", at.get_untracked()));
        pairs.push(("since", since.get_untracked()));
        pairs.push(("until", until.get_untracked()));
        let correlate_list = split_list(&correlate_text.get_untracked());
        if correlate_list.is_empty() {
            pairs.push(("correlate", String::new()));
        }
        pairs.extend(correlate_list.into_iter().map(|c| ("correlate", c)));
        pairs.extend(
            split_list(&prefixes.get_untracked())
                .into_iter()
                .map(|p| ("prefix", p)),
        );
        pairs.extend(
            split_list(&numbers.get_untracked())
                .into_iter()
                .map(|n| ("number", n)),
        );
        pairs.push(("limit", limit.get_untracked()));
        let trimmed: Vec<(&str, String)> = pairs
            .into_iter()
            .map(|(k, v)| (k, v.trim().to_owned()))
            .collect();
        match AnalyzeOptions::from_pairs(trimmed.iter().map(|(k, v)| (*k, v.as_str()))) {
            Ok(options) => {
                let next = AnalyzeQuery {
                    options,
                    ..AnalyzeQuery::default()
                };
                if next == query.get_untracked() {
                    run();
                } else {
                    go.run(next);
                }
            }
            Err(e) => form_error.set(Some((key.get_untracked(), e.to_string()))),
        }
    };

    let shown = Memo::new(move |_| {
        state.with(|s| match s {
            AnalyzeState::Done { analysis, .. } => {
                Some(Arc::new(ShownAnalysis::new(analysis, &query.get())))
            }
            _ => None,
        })
    });
    // The view below shadows `shown` with its value.
    let shown_for_ladder = shown;
    let ladder_rows = Signal::derive(move || {
        state.with(|s| match s {
            AnalyzeState::Done { rows, .. } => rows.clone(),
            _ => Arc::default(),
        })
    });
    let ladder_aliases = Signal::derive(move || {
        state.with(|s| match s {
            AnalyzeState::Done { aliases, .. } => aliases.clone(),
            _ => Arc::default(),
        })
    });
    let download = move |_| {
        if let Some(shown) = shown.get_untracked() {
            let text = shown.to_json(&query.get_untracked());
            if let Err(e) = save_text("hepscope-analysis.json", "application/json", &text) {
                leptos::logging::warn!("download failed: {e}");
            }
        }
    };

    view! {
        <h1>"Analyze"</h1>
        <form class="search-form panel" on:submit=submit aria-label="Analyze options">
            <div class="search-grid">
                {text_input("Call-ID", "call_id", call_id, "any leg's Call-ID")}
                {text_input("Caller", "caller", caller, "+4922112345")}
                {text_input("Callee", "callee", callee, "200")}
                {text_input("At", "at", at, "2026-02-04 17:13 (±5 min)")}
                {text_input("Since", "since", since, "10d (default), 30m")}
                {text_input("Until", "until", until, "now")}
                {text_input("Correlate headers", "correlate", correlate_text, "X-Acme-Call-ID, X-CID")}
                {text_input("Header prefixes", "prefix", prefixes, "X-Acme")}
                {text_input("Extra numbers", "number", numbers, "201, 202")}
                {text_input("Limit", "limit", limit, "10 legs")}
            </div>
            <div class="search-actions">
                <button class="primary" type="submit">"Analyze"</button>
                <span class="notice">"Enter a Call-ID, or a caller and callee. Lists are comma separated."</span>
            </div>
        </form>
        <StatusLine state=state on_retry=move |_| run()/>
        {move || shown.get().map(|shown| {
            let link = shown.ladder_link();
            view! {
                <div class="downloads analyze-actions">
                    <button type="button" on:click=download>"Download JSON"</button>
                    {link.map(|href| view! {
                        <a class="button" href=href data-testid="ladder-link">"Open all legs in one ladder"</a>
                    })}
                </div>
                <h2>"Legs"</h2>
                <LegTable shown=shown.clone() included=true query=query go=go/>
                <h2>"Combined ladder"</h2>
                <LegsLadder shown=shown_for_ladder rows=ladder_rows aliases=ladder_aliases/>
                {(!shown.others.is_empty()).then(|| view! {
                    <h2>"Suggested and removed legs"</h2>
                    <p class="notice">"Look-alikes the correlation did not link, and legs you removed. Add one to include it."</p>
                    <LegTable shown=shown.clone() included=false query=query go=go/>
                })}
            }
        })}
    }
}

/// Progress, failures and notices.
#[component]
fn StatusLine(
    state: Signal<AnalyzeState>,
    on_retry: impl Fn(leptos::ev::MouseEvent) + Clone + Send + Sync + 'static,
) -> impl IntoView {
    move || {
        let on_retry = on_retry.clone();
        state.with(|s| match s {
            AnalyzeState::Idle => view! {
                <p class="notice">"Enter a Call-ID of any leg, or a caller and callee, and press Analyze."</p>
            }.into_any(),
            AnalyzeState::Invalid(e) => view! {
                <div class="banner error" role="alert"><span>{e.clone()}</span></div>
            }.into_any(),
            AnalyzeState::Running(step) => view! {
                <div class="banner ok" role="status" aria-live="polite" data-testid="analyze-progress">
                    <span>{step.to_string()}</span>
                </div>
            }.into_any(),
            AnalyzeState::Failed(e) => view! {
                <div class="banner error" role="alert">
                    <span>{format!("Analysis failed: {e}")}</span>
                    <button type="button" on:click=on_retry>"Retry"</button>
                </div>
            }.into_any(),
            AnalyzeState::Done { analysis, failures, notices, .. } => {
                let legs = analysis.legs.len();
                let suggested = analysis.suggested.len();
                view! {
                    <p class="result-meta" role="status">
                        {format!("{legs} linked legs, {suggested} suggested")}
                    </p>
                    {notices.iter().map(|n| view! { <div class="banner warn" role="status">{n.clone()}</div> }).collect_view()}
                    {(!failures.is_empty()).then(|| view! {
                        <div class="banner error" role="alert" data-testid="analyze-failures">
                            <div>
                                <div>"Some searches failed; legs may be missing:"</div>
                                <ul>{failures.iter().map(|f| view! { <li>{f.clone()}</li> }).collect_view()}</ul>
                            </div>
                            <button type="button" on:click=on_retry>"Retry"</button>
                        </div>
                    })}
                }.into_any()
            }
        })
    }
}

/// The included legs (`included`) or the others, with the Add/Remove buttons.
#[component]
fn LegTable(
    shown: Arc<ShownAnalysis>,
    included: bool,
    query: Memo<AnalyzeQuery>,
    go: Callback<AnalyzeQuery>,
) -> impl IntoView {
    let zone = TimeZone::system();
    let columns = shown.header_columns.clone();
    let rows: Vec<(LegRow, Origin)> = if included {
        shown.legs.clone()
    } else {
        shown.others.clone()
    };
    let (label, testid) = if included {
        ("Legs of the call", "legs-table")
    } else {
        ("Suggested legs", "suggested-table")
    };
    let header_cells = columns
        .iter()
        .map(|c| view! { <th>{c.clone()}</th> })
        .collect_view();
    let body = rows
        .into_iter()
        .map(|(leg, origin)| {
            let linked = origin == Origin::Linked;
            let id = leg.call_id.clone();
            let href = format!(
                "/call/{}?t={}",
                percent_encode(&leg.call_id),
                leg.start_us.div_euclid(1000)
            );
            let hosts = format!(
                "{} → {}",
                leg.src.as_ref().map(ToString::to_string).unwrap_or_default(),
                leg.dst.as_ref().map(ToString::to_string).unwrap_or_default()
            );
            let cells = columns
                .iter()
                .map(|c| {
                    let value: Vec<&str> = leg
                        .headers
                        .iter()
                        .filter(|(n, _)| n.eq_ignore_ascii_case(c))
                        .map(|(_, v)| v.as_str())
                        .collect();
                    view! { <td class="mono">{value.join(", ")}</td> }
                })
                .collect_view();
            let reason = match (origin, included) {
                (Origin::Added, true) => format!("added by you; {}", leg.included_because),
                (Origin::Linked, false) => format!("removed by you; {}", leg.included_because),
                _ => leg.included_because.to_string(),
            };
            let is_seed = matches!(leg.included_because, crate::domain::legs::Reason::Seed);
            let button = if included {
                (!is_seed).then(|| {
                    let id = id.clone();
                    view! {
                        <button type="button" on:click=move |_| go.run(query.get_untracked().excluding(&id, linked))>"Remove"</button>
                    }
                    .into_any()
                })
            } else {
                let id = id.clone();
                Some(
                    view! {
                        <button type="button" on:click=move |_| go.run(query.get_untracked().including(&id, linked))>"Add"</button>
                    }
                    .into_any(),
                )
            };
            view! {
                <tr data-testid="leg-row">
                    <td class="mono"><a href=href>{id}</a></td>
                    <td>{leg.from.clone()}</td>
                    <td>{leg.to.clone()}</td>
                    <td class="mono">{hosts}</td>
                    <td>{format_us(leg.start_us, &zone)}</td>
                    <td>{format_us(leg.end_us, &zone)}</td>
                    <td>{leg.status.to_string()}</td>
                    {cells}
                    <td class="reason">{reason}</td>
                    <td>{button}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="analyze-table">
            <table class="grid" aria-label=label data-testid=testid>
                <thead>
                    <tr>
                        <th>"Call-ID"</th><th>"From"</th><th>"To"</th><th>"Source → destination"</th>
                        <th>"Start"</th><th>"End"</th><th>"Status"</th>
                        {header_cells}
                        <th>"Why"</th><th></th>
                    </tr>
                </thead>
                <tbody>{body}</tbody>
            </table>
        </div>
    }
}

/// Splits a comma (or whitespace) separated list, blanks dropped.
fn split_list(text: &str) -> Vec<String> {
    text.split([',', ' ', '\t'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}
