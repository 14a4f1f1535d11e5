//! `/analyze`: trace one call across B2BUA legs (dex's `analyze`, issue 9). The page starts the
//! searches of `analyze_run` (seed, fan-out by number, the candidates' messages) and renders what
//! `domain::legs::correlate` links, as a leg table and one combined ladder; every option and the
//! user's added/removed legs are in the URL.

use std::sync::Arc;

use jiff::tz::TimeZone;
use leptos::prelude::*;
use leptos_router::hooks::{use_location, use_navigate};
use leptos_router::NavigateOptions;

use crate::domain::analyze_view::{AnalyzeQuery, Origin, ShownAnalysis};
use crate::domain::legs::LegRow;
use crate::domain::percent::percent_encode;
use crate::domain::results::format_us;
use crate::ui::components::download::save_text;

mod form;
mod ladder;
mod run;
mod state;

use form::AnalyzeForm;
use ladder::LegsLadder;
use state::{use_analysis, AnalyzeState};

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
    let analysis = use_analysis(parsed, options);
    let state = analysis.state;
    let run = move || analysis.rerun.run(());

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
        <AnalyzeForm query=query go=go analysis=analysis/>
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
            let mut reason = match (origin, included) {
                (Origin::Added, true) => format!("added by you; {}", leg.included_because),
                (Origin::Linked, false) => format!("removed by you; {}", leg.included_because),
                _ => leg.included_because.to_string(),
            };
            if !leg.matched_keys.is_empty() {
                reason.push_str(&format!(" [keys: {}]", leg.matched_keys_text()));
            }
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
