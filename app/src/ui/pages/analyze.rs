//! `/analyze`: trace one call across B2BUA legs (dex's `analyze`, issue 9). The page runs the
//! searches (seed, fan-out by number, the candidates' INVITEs) and renders what
//! `domain::legs::correlate` links; every option and the user's added/removed legs are in the URL.

use std::collections::HashSet;
use std::sync::Arc;

use jiff::tz::TimeZone;
use jiff::Timestamp;
use leptos::prelude::*;
use leptos_router::hooks::{use_location, use_navigate};
use leptos_router::NavigateOptions;

use crate::domain::analyze_view::{AnalyzeQuery, Origin, ShownAnalysis, Step};
use crate::domain::homer::{HomerRow, SearchRequest, TransactionRequest, TransactionResponse};
use crate::domain::legs::{correlate, Analysis, LegCandidate, LegRow, Seed};
use crate::domain::query::{compile, ResultView};
use crate::domain::results::format_us;
use crate::domain::search_form::{percent_encode, SearchForm};
use crate::ui::client::ClientError;
use crate::ui::components::download::save_text;
use crate::ui::homer::{post_v3, search_call_data, DebugCtx};

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
    },
}

/// What one analysis produced.
struct Outcome {
    analysis: Analysis,
    failures: Vec<String>,
    notices: Vec<String>,
}

/// The Analyze view.
#[component]
pub fn AnalyzePage() -> impl IntoView {
    let debug = expect_context::<DebugCtx>();
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

    let state = RwSignal::new(AnalyzeState::Idle);
    let generation = StoredValue::new(0_u64);
    let run = move || {
        generation.update_value(|g| *g += 1);
        let mine = generation.get_value();
        let parsed = parsed.get_untracked();
        let query = match parsed {
            Ok(q) => q,
            Err(e) => return state.set(AnalyzeState::Invalid(e)),
        };
        if !query.has_seed() {
            return state.set(AnalyzeState::Idle);
        }
        debug.sent.set(Vec::new());
        let step = move |s: Step| {
            if generation.get_value() == mine {
                state.set(AnalyzeState::Running(s));
            }
        };
        step(Step::Seed);
        leptos::task::spawn_local(async move {
            let result = analyze(debug, &query, step).await;
            if generation.get_value() != mine {
                return;
            }
            state.set(match result {
                Ok(o) => AnalyzeState::Done {
                    analysis: Arc::new(o.analysis),
                    failures: o.failures,
                    notices: o.notices,
                },
                Err(e) => AnalyzeState::Failed(e),
            });
        });
    };
    Effect::new(move |_| {
        options.track();
        run();
    });

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
        match crate::domain::legs::AnalyzeOptions::from_pairs(
            trimmed.iter().map(|(k, v)| (*k, v.as_str())),
        ) {
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
            Err(e) => state.set(AnalyzeState::Invalid(e.to_string())),
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
    let download = move |_| {
        if let Some(shown) = shown.get_untracked() {
            let text = shown.to_json(&query.get_untracked());
            if let Err(e) = save_text("hepscope-analysis.json", "application/json", &text) {
                leptos::logging::warn!("download failed: {e}");
            }
        }
    };

    let text_input = |label: &'static str,
                      name: &'static str,
                      signal: RwSignal<String>,
                      placeholder: &'static str| {
        view! {
            <label class="field">
                <span>{label}</span>
                <input name=name placeholder=placeholder prop:value=signal
                    on:input=move |ev| signal.set(event_target_value(&ev)) />
            </label>
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
    state: RwSignal<AnalyzeState>,
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
            AnalyzeState::Done { analysis, failures, notices } => {
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

/// Runs the four steps of an analysis, reporting each through `step`.
async fn analyze(
    debug: DebugCtx,
    query: &AnalyzeQuery,
    step: impl Fn(Step),
) -> Result<Outcome, String> {
    let zone = TimeZone::system();
    let now = Timestamp::now();
    let mut failures = Vec::new();
    let mut notices = Vec::new();

    // 1. The seed leg.
    let form = query.seed_form().map_err(|e| e.to_string())?;
    let requests = compile_requests(&form, now, &zone)?;
    let (rows, seed_failures, _) = run_searches(debug, &requests).await;
    if rows.is_empty() && !seed_failures.is_empty() {
        return Err(format!(
            "the seed search failed: {}",
            seed_failures.join("; ")
        ));
    }
    failures.extend(seed_failures);
    let found = LegCandidate::from_rows(&rows);
    let seed = query.pick_seed(&found).map_err(|e| e.to_string())?;
    if matches!(query.options.seed, Seed::Parties { .. }) && found.len() > 1 {
        notices.push(format!(
            "{} calls match the caller and callee; analysing the first, {}. Narrow the time with At to pick another.",
            found.len(),
            seed.call_id
        ));
    }

    // 2. The fan-out by number around the seed.
    let forms = query.fanout_forms(&seed);
    step(Step::Fanout(forms.len()));
    let mut requests = Vec::new();
    for form in &forms {
        match compile_requests(form, now, &zone) {
            Ok(r) => requests.extend(r),
            Err(e) => failures.push(format!("number {}: {e}", form.number)),
        }
    }
    let (fanout_rows, fanout_failures, limit_hit) = run_searches(debug, &requests).await;
    failures.extend(fanout_failures);
    if limit_hit {
        notices.push(
            "A number search hit its row limit: some legs may be missing. Narrow the window or add fewer numbers."
                .to_owned(),
        );
    }
    let mut seen = HashSet::new();
    let mut call_ids = vec![seed.call_id.clone()];
    seen.insert(seed.call_id.clone());
    for row in &fanout_rows {
        let id = if row.sid.is_empty() {
            &row.callid
        } else {
            &row.sid
        };
        if !id.is_empty() && seen.insert(id.clone()) {
            call_ids.push(id.clone());
        }
    }

    // 3. The candidates' INVITEs.
    step(Step::Invites(call_ids.len()));
    let request = query.options.candidate_request(&seed, call_ids);
    let answer = transaction(debug, &request)
        .await
        .map_err(|e| format!("reading the candidate legs failed: {e}"))?;
    let mut candidates = LegCandidate::from_rows(&answer.data.messages);
    if !candidates.iter().any(|c| c.call_id == seed.call_id) {
        candidates.push(seed.clone());
    }

    // 4. The correlation.
    step(Step::Correlate);
    let analysis =
        correlate(&seed.call_id, &candidates, &query.options).map_err(|e| e.to_string())?;
    Ok(Outcome {
        analysis,
        failures,
        notices,
    })
}

fn compile_requests(
    form: &SearchForm,
    now: Timestamp,
    zone: &TimeZone,
) -> Result<Vec<SearchRequest>, String> {
    compile(form, ResultView::Calls, now, zone)
        .map(|c| c.requests)
        .map_err(|e| e.to_string())
}

/// Runs searches in parallel: every row, the failures, and whether one hit its row limit.
async fn run_searches(
    debug: DebugCtx,
    requests: &[SearchRequest],
) -> (Vec<HomerRow>, Vec<String>, bool) {
    let answers = futures::future::join_all(requests.iter().map(|request| async move {
        (
            request.row_limit(),
            search_call_data(debug, "", request, None).await,
        )
    }))
    .await;
    let mut rows = Vec::new();
    let mut failures = Vec::new();
    let mut limit_hit = false;
    for (row_limit, answer) in answers {
        match answer {
            Ok(data) => {
                limit_hit |= row_limit > 0 && data.len() >= row_limit as usize;
                rows.extend(data);
            }
            Err(e) => failures.push(e.to_string()),
        }
    }
    (rows, failures, limit_hit)
}

async fn transaction(
    debug: DebugCtx,
    request: &TransactionRequest,
) -> Result<TransactionResponse, ClientError> {
    let text = post_v3(debug, "", "call/transaction", request, None).await?;
    if text.trim().is_empty() {
        return Ok(TransactionResponse::default());
    }
    serde_json::from_str(&text).map_err(|e| ClientError::Decode(format!("call/transaction: {e}")))
}
