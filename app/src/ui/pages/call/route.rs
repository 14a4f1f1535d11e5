//! `use_call_route`: the route state shared by `/call/{ids}` and `/qos/{ids}`: the Call-IDs of the
//! path, the query string, and a way to replace the query string (history replace, no scroll), so
//! each page reads its typed query from one place and writes it back the same way.

use leptos::prelude::*;
use leptos_router::hooks::{use_location, use_navigate, use_params_map};
use leptos_router::NavigateOptions;

use crate::domain::call_view::call_ids_from_segment;

/// The route state of a call or QoS page. Every field is a cheap reactive handle.
#[derive(Clone, Copy)]
pub struct CallRoute {
    /// The Call-IDs of the `{ids}` path segment, in link order.
    pub call_ids: Memo<Vec<String>>,
    /// The query string with its leading `?`, or empty.
    pub search: Memo<String>,
    /// The path without the query string.
    pub pathname: Memo<String>,
    /// Replaces the query string of the current path (pass it with its leading `?`, or empty).
    pub set_search: Callback<String>,
}

/// Reads the current `/call/{ids}`, `/qos/{ids}` or `/s/{token}` route.
pub fn use_call_route() -> CallRoute {
    let params = use_params_map();
    let location = use_location();
    let navigate = use_navigate();
    // A share page (`/s/{token}`) names its Call-IDs itself.
    let shared_ids = crate::ui::context::use_shared_call().map(|s| s.call_ids);
    let call_ids = Memo::new(move |_| {
        if let Some(ids) = &shared_ids {
            return ids.clone();
        }
        params.with(|p| {
            p.get("ids")
                .map(|ids| call_ids_from_segment(&ids))
                .unwrap_or_default()
        })
    });
    // The router keeps the query string without its `?`.
    let search = Memo::new(move |_| {
        location.search.with(|s| {
            let s = s.trim_start_matches('?');
            if s.is_empty() {
                String::new()
            } else {
                format!("?{s}")
            }
        })
    });
    let pathname = Memo::new(move |_| location.pathname.get());
    let set_search = Callback::new(move |search: String| {
        navigate(
            &format!("{}{search}", location.pathname.get_untracked()),
            NavigateOptions {
                replace: true,
                scroll: false,
                ..Default::default()
            },
        );
    });
    CallRoute {
        call_ids,
        search,
        pathname,
        set_search,
    }
}
