//! The top bar: navigation, backend and time range (both kept in the URL), theme, user menu.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_location, use_navigate, use_query_map};

use super::client;
use super::session::SessionCtx;
use super::theme::ThemeToggle;

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
    let since = move || query.with(|q| q.get("since").unwrap_or_else(|| "24h".to_string()));

    let logout = move |_| {
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            // Even if the request fails, forget the session locally and show the login page.
            let _ = client::logout().await;
            session.me.set(None);
            navigate("/login", Default::default());
        });
    };

    let nav = [
        ("/search", "Search"),
        ("/calls", "Calls"),
        ("/analyze", "Analyze"),
        ("/live", "Live"),
        ("/settings", "Settings"),
    ];
    view! {
        <header class="topbar">
            <a class="brand" href="/search">"hepscope"</a>
            <nav class="nav" aria-label="Views">
                {nav.into_iter().map(|(href, label)| view! { <A href=href>{label}</A> }).collect_view()}
            </nav>
            <span class="spacer"></span>
            <label>
                "Backend"
                <select aria-label="Backend" disabled=true title="Backends come with the HOMER connector and the embedded store">
                    <option>"default"</option>
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
