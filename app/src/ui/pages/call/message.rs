//! The call view's message pane: the open message's raw SIP, headers, SDP and a diff with a marked one.

use std::sync::Arc;

use jiff::tz::TimeZone;
use leptos::prelude::*;

use crate::domain::call_view::CallQuery;
use crate::domain::ladder::{diff_lines, DiffLine, LadderView};
use crate::domain::results::format_us;
use crate::domain::sip;

use super::Loaded;

/// The open message: raw SIP exactly as captured, headers, SDP, and a diff with a marked message.
#[component]
pub fn MessagePane(
    loaded: Arc<Loaded>,
    ladder: Memo<Arc<LadderView>>,
    query: Memo<CallQuery>,
    set_query: Callback<CallQuery>,
    zone: Signal<TimeZone>,
) -> impl IntoView {
    let _ = ladder;
    let copied = RwSignal::new(false);
    move || {
        let q = query.get();
        let Some(index) = q.msg else {
            return view! { <aside class="message-pane notice">"Click a message (or press j/k) to see it."</aside> }.into_any();
        };
        let Some(message) = loaded.messages.get(index).cloned() else {
            return view! { <aside class="message-pane notice">"That message is not in this call."</aside> }.into_any();
        };
        let raw = message.raw.clone().unwrap_or_default();
        let scanned = sip::scan(raw.as_bytes()).ok();
        let sdp_view = scanned.as_ref().and_then(|m| m.sdp().map(|parsed| (parsed, String::from_utf8_lossy(m.body()).to_string()))).map(|(parsed, body)| {
            let codecs = parsed.codecs();
            view! {
                <section class="sdp" aria-label="SDP">
                    <h3>"SDP"</h3>
                    <ul>
                        {codecs.into_iter().map(|c| view! {
                            <li>{format!("{} {} ({} Hz)", c.payload_type, c.name, c.clock_rate_hz)}</li>
                        }).collect_view()}
                    </ul>
                    <pre class="mono">{body}</pre>
                </section>
            }
        });
        let headers = scanned.as_ref().map(|m| {
            m.headers()
                .map(|(n, v)| view! { <div class="hdr"><span class="hname">{n.to_string()}</span>": "{v.to_string()}</div> })
                .collect_view()
        });
        let diff = q.cmp.filter(|c| *c != index).and_then(|c| loaded.messages.get(c)).map(|other| {
            let lines = diff_lines(other.raw.as_deref().unwrap_or(""), &raw);
            view! {
                <section class="diff" aria-label="Diff">
                    <h3>"Diff with the marked message"</h3>
                    <pre class="mono">
                        {lines.into_iter().map(|l| match l {
                            DiffLine::Same(t) => view! { <div class="same">{format!("  {t}")}</div> }.into_any(),
                            DiffLine::Removed(t) => view! { <div class="removed">{format!("- {t}")}</div> }.into_any(),
                            DiffLine::Added(t) => view! { <div class="added">{format!("+ {t}")}</div> }.into_any(),
                        }).collect_view()}
                    </pre>
                </section>
            }
        });
        let copy_text = raw.clone();
        let copy = move |_| {
            if let Some(w) = web_sys::window() {
                let _ = w.navigator().clipboard().write_text(&copy_text);
                copied.set(true);
            }
        };
        let mark = move |_| {
            let mut next = query.get_untracked();
            next.cmp = if next.cmp == Some(index) {
                None
            } else {
                Some(index)
            };
            set_query.run(next);
        };
        let marked = q.cmp == Some(index);
        view! {
            <aside class="message-pane" aria-label="Message">
                <div class="msg-meta">
                    <div class="mono">{format_us(message.time_us, &zone.get())}</div>
                    <div class="mono">{format!("{} → {}", message.src, message.dst)}</div>
                    <div>{format!("Capture node {}", if message.capture_id.is_empty() { "unknown" } else { &message.capture_id })}</div>
                </div>
                <div class="msg-actions">
                    <button type="button" on:click=copy>{move || if copied.get() { "Copied" } else { "Copy raw" }}</button>
                    <button type="button" on:click=mark aria-pressed=marked.to_string()>
                        {if marked { "Marked for diff" } else { "Mark for diff" }}
                    </button>
                </div>
                <details open=true>
                    <summary>"Raw message"</summary>
                    <pre class="mono raw" data-testid="raw-message">{raw.clone()}</pre>
                </details>
                <details>
                    <summary>"Headers"</summary>
                    <div class="headers mono">{headers}</div>
                </details>
                {sdp_view}
                {diff}
            </aside>
        }.into_any()
    }
}
