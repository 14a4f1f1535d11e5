//! The top bar: navigation, backend and time range (both kept in the URL), theme, user menu.

use crate::domain::api::Right;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_location, use_navigate, use_query_map};

use super::api;
use super::context::SessionCtx;
use super::theme::ThemeToggle;
use crate::domain::api::BackendKind;

/// Time ranges offered in the top bar, as the `since` values the views understand.
const RANGES: &[(&str, &str)] = &[
    ("15m", "Last 15 minutes"),
    ("1h", "Last hour"),
    ("6h", "Last 6 hours"),
    ("24h", "Last 24 hours"),
    ("7d", "Last 7 days"),
];

/// Returns `search` (with or without `?`) with `key` set to `value`, or removed when `value` is empty.
fn with_param(search: &str, key: &str, value: &str) -> String {
    let mut pairs: Vec<(String, String)> = search
        .trim_start_matches('?')
        .split('&')
        .filter(|p| !p.is_empty())
        .filter_map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (k != key).then(|| (k.to_string(), v.to_string()))
        })
        .collect();
    if !value.is_empty() {
        pairs.push((
            key.to_string(),
            String::from(js_sys::encode_uri_component(value)),
        ));
    }
    if pairs.is_empty() {
        String::new()
    } else {
        let joined: Vec<String> = pairs.into_iter().map(|(k, v)| format!("{k}={v}")).collect();
        format!("?{}", joined.join("&"))
    }
}

/// The bar at the top of every logged-in view.
#[component]
pub fn TopBar() -> impl IntoView {
    let session = expect_context::<SessionCtx>();
    let location = use_location();
    let query = use_query_map();
    let navigate = use_navigate();

    let set_param = {
        let navigate = navigate.clone();
        move |key: &'static str, value: String| {
            let search = with_param(&location.search.get_untracked(), key, &value);
            navigate(
                &format!("{}{}", location.pathname.get_untracked(), search),
                Default::default(),
            );
        }
    };
    let set_since = set_param.clone();
    let set_backend = set_param.clone();
    let backend = move || query.with(|q| q.get("backend").unwrap_or_default());
    let backends = LocalResource::new(api::backends);
    let since = move || query.with(|q| q.get("since").unwrap_or_else(|| "24h".to_string()));

    let logout = move |_| {
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            // Even if the request fails, forget the session locally and show the login page.
            let _ = api::logout().await;
            session.me.set(None);
            navigate("/login", Default::default());
        });
    };

    let nav = [
        ("/search", "Search"),
        ("/calls", "Calls"),
        ("/analyze", "Analyze"),
        ("/live", "Live"),
        ("/backends", "Backends"),
        ("/aliases", "Aliases"),
        ("/settings", "Settings"),
    ];
    view! {
        <header class="topbar">
            <a class="brand" href="/search">"hepscope"</a>
            <nav class="nav" aria-label="Views">
                {nav.into_iter().map(|(href, label)| {
                    // The Live view needs the live right; the other views only search.
                    let shown = move || {
                        href != "/live"
                            || session.me.with(|m| m.as_ref().is_some_and(|me| me.has(Right::Live)))
                    };
                    view! { <Show when=shown><A href=href>{label}</A></Show> }
                }).collect_view()}
            </nav>
            <span class="spacer"></span>
            <label>
                "Backend"
                <select
                    aria-label="Backend"
                    disabled=move || backends.get().map(|b| b.as_ref().map(|l| l.len() < 2).unwrap_or(true)).unwrap_or(true)
                    title=move || match backends.get() {
                        Some(Err(e)) => format!("cannot list backends: {e}"),
                        Some(Ok(list)) if list.is_empty() => "no backend configured".to_string(),
                        _ => "the HOMER 7 instance or embedded store to search".to_string(),
                    }
                    on:change=move |ev| set_backend("backend", event_target_value(&ev))
                >
                    {move || match backends.get() {
                        Some(Ok(list)) if !list.is_empty() => list.into_iter().map(|b| {
                            let value = if b.default { String::new() } else { b.name.clone() };
                            let selected_value = value.clone();
                            let label = format!("{} ({})", b.name, match b.kind {
                                BackendKind::Homer7 => "HOMER 7",
                                BackendKind::Embedded => "embedded",
                            });
                            view! {
                                <option value=value selected=move || backend() == selected_value>{label}</option>
                            }
                        }).collect_view().into_any(),
                        Some(Ok(_)) => view! { <option value="">"none configured"</option> }.into_any(),
                        Some(Err(_)) => view! { <option value="">"unavailable"</option> }.into_any(),
                        None => view! { <option value="">"…"</option> }.into_any(),
                    }}
                </select>
            </label>
            <label>
                "Time range"
                <select
                    aria-label="Time range"
                    on:change=move |ev| set_since("since", event_target_value(&ev))
                    prop:value=since
                >
                    {RANGES.iter().map(|(value, label)| view! {
                        <option value=*value selected=move || since() == *value>{*label}</option>
                    }).collect_view()}
                    // A `since` typed in a view (e.g. 30m) is shown as it is rather than as a blank.
                    {move || {
                        let current = since();
                        (!RANGES.iter().any(|(v, _)| *v == current)).then(|| view! {
                            <option value=current.clone() selected=true>{format!("Since {current}")}</option>
                        })
                    }}
                </select>
            </label>
            <ThemeToggle/>
            <span class="user" data-testid="current-user">
                {move || session.me.get().map(|m| format!("{} ({})", m.username, m.role.as_str())).unwrap_or_default()}
            </span>
            <button type="button" on:click=logout>"Log out"</button>
        </header>
    }
}
