//! The Analyze form: its fields follow the URL, and Analyze writes the options back to it.

use leptos::prelude::*;

use crate::domain::analyze_view::AnalyzeQuery;
use crate::domain::legs::{AnalyzeOptions, Seed};
use crate::ui::components::form::text_input;

use super::state::AnalysisRun;

/// The options form.
#[component]
pub fn AnalyzeForm(
    query: Memo<AnalyzeQuery>,
    go: Callback<AnalyzeQuery>,
    analysis: AnalysisRun,
) -> impl IntoView {
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
                    analysis.rerun.run(());
                } else {
                    go.run(next);
                }
            }
            Err(e) => analysis.form_error.run(e.to_string()),
        }
    };

    view! {
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
