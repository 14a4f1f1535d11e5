//! The debug panel: the exact HOMER request bodies of the last run (dex's `--debug`).

use leptos::prelude::*;

use crate::ui::api::recorder::Recorder;

/// The exact HOMER request bodies of the last run.
#[component]
pub fn DebugPanel(debug: Recorder) -> impl IntoView {
    view! {
        <section class="panel debug" aria-label="HOMER requests">
            <h2>"HOMER requests"</h2>
            {move || debug.sent.get().into_iter().map(|r| view! {
                <div class="debug-request">
                    <div class="mono">{format!("POST {}", r.url)}</div>
                    <pre>{r.body}</pre>
                </div>
            }).collect_view()}
        </section>
    }
}
