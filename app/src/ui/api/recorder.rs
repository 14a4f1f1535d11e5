//! The debug panel's request recorder (dex's `--debug`): every HOMER request a view sends is kept
//! here, so the panel can show its exact body. Provided once by the app through context; the
//! request path in [`super::http`] finds it there, so no page hands it to the HTTP layer.

use leptos::prelude::*;

/// One request a view sent to HOMER, for the debug panel.
#[derive(Clone, Debug, PartialEq)]
pub struct SentRequest {
    pub url: String,
    pub body: String,
}

/// The debug panel's state: on/off (kept in localStorage) and the requests of the last run.
#[derive(Clone, Copy)]
pub struct Recorder {
    pub enabled: RwSignal<bool>,
    pub sent: RwSignal<Vec<SentRequest>>,
}

const DEBUG_KEY: &str = "hepscope-debug";

impl Recorder {
    /// Reads the saved toggle.
    pub fn from_storage() -> Self {
        let enabled = storage()
            .and_then(|s| s.get_item(DEBUG_KEY).ok().flatten())
            .is_some_and(|v| v == "1");
        Self {
            enabled: RwSignal::new(enabled),
            sent: RwSignal::new(Vec::new()),
        }
    }

    /// Switches the panel on or off and remembers it.
    pub fn set_enabled(&self, on: bool) {
        self.enabled.set(on);
        if let Some(s) = storage() {
            let _ = s.set_item(DEBUG_KEY, if on { "1" } else { "0" });
        }
    }

    /// Keeps one request (a page that is being left may already have dropped the signal).
    pub(super) fn record(&self, request: SentRequest) {
        self.sent.try_update(|s| s.push(request));
    }
}

/// Starts a new run for the debug panel: forgets the requests of the previous one. Called by a
/// view's loader before its first request.
pub fn start_run() {
    if let Some(recorder) = use_context::<Recorder>() {
        recorder.sent.try_set(Vec::new());
    }
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}
