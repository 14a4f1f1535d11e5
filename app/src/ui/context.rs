//! What views share through context: the logged-in user and, on a share link's page, the shared
//! call. (The debug panel's recorder is [`super::api::recorder::Recorder`].) Pages read these
//! instead of importing each other.

use leptos::prelude::*;

use crate::domain::api::Me;
use crate::ui::api::ApiRoot;

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

/// The share a public page (`/s/{token}`) shows, given to the call view through context.
#[derive(Clone, Debug)]
pub struct SharedCall {
    pub call_ids: Vec<String>,
    /// The share's API root: every read goes through the share.
    pub api_root: ApiRoot,
}

/// The share the current view shows, when it is a public share page.
pub fn use_shared_call() -> Option<SharedCall> {
    use_context::<SharedCall>()
}
