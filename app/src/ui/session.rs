//! The logged-in user, shared through context.

use leptos::prelude::*;

use crate::domain::api::Me;

/// Who is logged in; `None` until `/api/me` answered or after logout.
#[derive(Clone, Copy)]
pub struct SessionCtx {
    pub me: RwSignal<Option<Me>>,
}

impl SessionCtx {
    /// A context with nobody logged in.
    pub fn new() -> Self {
        Self {
            me: RwSignal::new(None),
        }
    }
}

/// Where to go after login: `next` when it is a path on this site, else the search view.
/// Refuses absolute and protocol-relative URLs so a crafted link cannot send the user elsewhere.
pub fn safe_next(next: Option<String>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.starts_with("/login") => n,
        _ => "/search".to_string(),
    }
}
