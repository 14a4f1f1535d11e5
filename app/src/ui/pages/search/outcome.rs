//! The results of a finished search: the download buttons and the sorted table (messages, or calls
//! with their directions named by the host aliases).

use std::sync::Arc;

use jiff::tz::TimeZone;
use leptos::prelude::*;

use crate::domain::calls::{name_directions, CallSummary, HostPort};
use crate::domain::homer::HomerRow;
use crate::domain::ladder::AliasTable;
use crate::domain::results::{self, ColumnSort, DownloadFormat};
use crate::domain::search_form::SearchForm;
use crate::ui::components::download::save_text;

use super::state::{RunState, SearchOutcome};
use super::tables::{CallsTable, MessagesTable};

/// Downloads and the table of a `Done` search; nothing otherwise.
#[component]
pub fn SearchResults(
    state: Signal<RunState>,
    form: Memo<SearchForm>,
    order: Memo<Option<ColumnSort>>,
    zone: Signal<TimeZone>,
    alias_table: Signal<AliasTable>,
    on_sort: Callback<&'static str>,
    on_select: Callback<(String, bool)>,
) -> impl IntoView {
    let sort_signal = Signal::derive(move || order.get().map(|o| (o.column, o.descending)));
    let selected = Signal::derive(move || form.get().selected);
    let download = move |format: DownloadFormat| {
        let zone = zone.get_untracked();
        state.with_untracked(|s| {
            if let RunState::Done { outcome, .. } = s {
                let (ext, mime) = format.extension_and_mime();
                let (name, text) = match outcome.as_ref() {
                    SearchOutcome::Rows(rows) => (
                        "hepscope-messages",
                        results::rows_download(
                            &sorted_rows(rows, order.get_untracked()),
                            &zone,
                            format,
                        ),
                    ),
                    SearchOutcome::Calls(calls) => (
                        "hepscope-calls",
                        results::calls_download(
                            &sorted_calls(
                                calls,
                                order.get_untracked(),
                                &alias_table.get_untracked(),
                            ),
                            &zone,
                            format,
                        ),
                    ),
                };
                if let Err(e) = save_text(&format!("{name}.{ext}"), mime, &text) {
                    leptos::logging::warn!("download failed: {e}");
                }
            }
        });
    };

    view! {
    {move || state.with(|s| match s {
        RunState::Done { outcome, .. } => {
            let outcome = outcome.clone();
            let downloads = view! {
                <div class="downloads" role="group" aria-label="Download results">
                    <button type="button" on:click=move |_| download(DownloadFormat::Json)>"JSON"</button>
                    <button type="button" on:click=move |_| download(DownloadFormat::Jsonl)>"JSONL"</button>
                    <button type="button" on:click=move |_| download(DownloadFormat::Csv)>"CSV"</button>
                </div>
            };
            let table = match outcome.as_ref() {
                SearchOutcome::Rows(rows) => {
                    let rows = Arc::new(rows.clone());
                    let sorted = Memo::new(move |_| Arc::new(sorted_rows(&rows, order.get())));
                    view! { <MessagesTable rows=sorted zone=zone sort=sort_signal on_sort=on_sort /> }.into_any()
                }
                SearchOutcome::Calls(calls) => {
                    let calls = Arc::new(calls.clone());
                    let sorted = Memo::new(move |_| {
                        Arc::new(alias_table.with(|a| sorted_calls(&calls, order.get(), a)))
                    });
                    view! {
                        <CallsTable calls=sorted zone=zone sort=sort_signal on_sort=on_sort
                            selected=selected on_select=on_select backend=Signal::derive(move || form.get().backend) />
                    }.into_any()
                }
            };
            view! { {downloads} {table} }.into_any()
        }
        _ => ().into_any(),
    })}
    }
}

fn sorted_rows(rows: &[HomerRow], order: Option<ColumnSort>) -> Vec<HomerRow> {
    let mut rows = rows.to_vec();
    if let Some(order) = order {
        results::sort_rows(&mut rows, &order);
    }
    rows
}

/// The calls with their directions named by `aliases`, in the table's order.
fn sorted_calls(
    calls: &[CallSummary],
    order: Option<ColumnSort>,
    aliases: &AliasTable,
) -> Vec<CallSummary> {
    let mut calls = calls.to_vec();
    if !aliases.is_empty() {
        name_directions(&mut calls, |h: &HostPort| aliases.resolve(h));
    }
    if let Some(order) = order {
        results::sort_calls(&mut calls, &order);
    }
    calls
}
