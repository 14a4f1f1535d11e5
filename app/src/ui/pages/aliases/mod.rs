//! `/aliases`: dex's `aliases`. The selected backend's host aliases (the names ladders show instead
//! of IPs), filtered by name or address, and a lookup of the name one address gets. The backend,
//! the filter and the looked-up address are in the URL.

use crate::ui::components::retry_banner::RetryBanner;
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::NavigateOptions;

use crate::domain::homer::AliasList;
use crate::domain::hosts_view::{alias_rows, lookup_alias, FILTER_KEY, LOOKUP_KEY};
use crate::domain::percent::percent_encode;
use crate::ui::api::{self, ApiError, ApiRoot};
use crate::ui::components::download::save_text;

async fn load(backend: String) -> Result<AliasList, ApiError> {
    api::aliases(&ApiRoot::backend(&backend)).await
}

/// The aliases view.
#[component]
pub fn AliasesPage() -> impl IntoView {
    let query = use_query_map();
    let navigate = use_navigate();
    let param = move |key: &'static str| query.with(|q| q.get(key).unwrap_or_default());
    let backend = Memo::new(move |_| param("backend"));
    let filter = Memo::new(move |_| param(FILTER_KEY));
    let lookup = Memo::new(move |_| param(LOOKUP_KEY));
    let aliases = LocalResource::new(move || load(backend.get()));

    let filter_input = RwSignal::new(String::new());
    let lookup_input = RwSignal::new(String::new());
    Effect::new(move |_| filter_input.set(filter.get()));
    Effect::new(move |_| lookup_input.set(lookup.get()));

    let apply = move || {
        let mut parts = Vec::new();
        for (key, value) in [
            ("backend", backend.get_untracked()),
            (FILTER_KEY, filter_input.get_untracked()),
            (LOOKUP_KEY, lookup_input.get_untracked()),
        ] {
            let value = value.trim().to_owned();
            if !value.is_empty() {
                parts.push(format!("{key}={}", percent_encode(&value)));
            }
        }
        let search = if parts.is_empty() {
            String::new()
        } else {
            format!("?{}", parts.join("&"))
        };
        navigate(
            &format!("/aliases{search}"),
            NavigateOptions {
                replace: true,
                scroll: false,
                ..Default::default()
            },
        );
    };
    let apply_filter = apply.clone();
    let download_error = RwSignal::new(None::<String>);

    view! {
        <h1>"Aliases"</h1>
        <p class="help">
            "Names for hosts, from the selected backend. Ladders show them instead of IP addresses: the "
            "longest matching network wins, and an alias for the exact port wins over one for any port. "
            "Inactive aliases are listed but not used."
        </p>
        <form class="filters" on:submit=move |ev| { ev.prevent_default(); apply_filter(); }>
            <label>"Filter"
                <input type="search" placeholder="name or address" prop:value=move || filter_input.get()
                    on:input=move |ev| filter_input.set(event_target_value(&ev))/>
            </label>
            <label>"Which alias names"
                <input type="text" placeholder="10.0.0.5:5060" prop:value=move || lookup_input.get()
                    on:input=move |ev| lookup_input.set(event_target_value(&ev))/>
            </label>
            <button type="submit">"Apply"</button>
        </form>
        {move || match aliases.get() {
            None => view! { <p class="notice">"Loading…"</p> }.into_any(),
            Some(Err(e)) => view! {
                <RetryBanner message=format!("Cannot load the aliases: {e}")
                    on_retry=Callback::new(move |()| aliases.refetch()) />
            }.into_any(),
            Some(Ok(list)) => {
                let answer = (!lookup.get().trim().is_empty()).then(|| {
                    let address = lookup.get();
                    match lookup_alias(&list, &address) {
                        Ok(Some(name)) => view! {
                            <div class="banner ok" role="status" data-testid="alias-lookup">
                                {format!("{} is shown as “{name}”.", address.trim())}
                            </div>
                        }.into_any(),
                        Ok(None) => view! {
                            <div class="banner warn" role="status" data-testid="alias-lookup">
                                {format!("No active alias covers {}: ladders show the address.", address.trim())}
                            </div>
                        }.into_any(),
                        Err(e) => view! {
                            <div class="banner error" role="alert" data-testid="alias-lookup">{e.to_string()}</div>
                        }.into_any(),
                    }
                });
                let total = list.data.len();
                let rows = alias_rows(&list, &filter.get());
                let shown = rows.len();
                let json = serde_json::to_string_pretty(&list).unwrap_or_default();
                view! {
                    {answer}
                    <p class="summary">
                        {if total == 0 {
                            "This backend has no aliases: ladders show addresses.".to_string()
                        } else {
                            format!("{shown} of {total} aliases")
                        }}
                        " "
                        <button type="button" disabled=total == 0 on:click=move |_| {
                            download_error.set(save_text("aliases.json", "application/json", &json).err());
                        }>"Download JSON"</button>
                    </p>
                    {move || download_error.get().map(|e| view! { <div class="banner error" role="alert">{e}</div> })}
                    {(total > 0 && shown == 0).then(|| view! {
                        <div class="banner warn" role="status">"No alias matches the filter."</div>
                    })}
                    {(shown > 0).then(|| view! {
                        <table class="grid" aria-label="Aliases" data-testid="aliases">
                            <thead><tr>
                                <th>"Name"</th><th>"Network"</th><th>"Port"</th><th>"Capture"</th><th>"Active"</th>
                            </tr></thead>
                            <tbody>
                                {rows.into_iter().map(|r| view! {
                                    <tr class:inactive=!r.active>
                                        <td><strong>{r.name}</strong></td>
                                        <td class="mono">{r.network}</td>
                                        <td>{r.port}</td>
                                        <td>{r.capture_id}</td>
                                        <td>{if r.active { "yes" } else { "no" }}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    })}
                }.into_any()
            }
        }}
    }
}
