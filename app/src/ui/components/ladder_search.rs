//! The ladder's search box (opened by `/`) and the keyboard shortcuts dialog (opened by `?`). The
//! matching is `domain::ladder::search_rows`; these components only render and route keys.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// Every key of the call view, as (keys, what they do), for the shortcuts dialog.
pub const SHORTCUTS: [(&str, &str); 9] = [
    ("↓ or j", "Open the next message"),
    ("↑ or k", "Open the previous message"),
    ("Home / End", "Open the first / last message"),
    (
        "Enter",
        "Open the selected message (in the search box: next match)",
    ),
    (
        "/",
        "Search the ladder: method, status, Call-ID, headers or body",
    ),
    ("n or Enter", "Next match"),
    ("N or Shift+Enter", "Previous match"),
    ("Esc", "Close the search box or this list"),
    ("?", "Show this list"),
];

/// True when a key event comes from a field the user types in, where `/`, `?` and `n` are text.
pub fn is_typing(ev: &web_sys::KeyboardEvent) -> bool {
    ev.target()
        .and_then(|t| t.dyn_into::<web_sys::HtmlElement>().ok())
        .is_some_and(|el| {
            el.is_content_editable()
                || matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT")
        })
}

/// The search box above the ladder: the text, the match count, previous / next and close.
#[component]
pub fn LadderSearch(
    /// The search text (local view state: it is not part of a shared link).
    text: RwSignal<String>,
    /// Row positions of the matches.
    matches: Memo<Vec<usize>>,
    /// Row position of the open message.
    current: Signal<Option<usize>>,
    /// Jumps to the next (`true`) or previous match.
    jump: Callback<bool>,
    /// Closes the box.
    close: Callback<()>,
    input: NodeRef<leptos::html::Input>,
) -> impl IntoView {
    let count = move || {
        let total = matches.with(Vec::len);
        if text.with(|t| t.trim().is_empty()) {
            return String::new();
        }
        if total == 0 {
            return "No match".to_string();
        }
        let at = current
            .get()
            .and_then(|c| matches.with(|m| m.iter().position(|&p| p == c)));
        match at {
            Some(i) => format!("{} of {total}", i + 1),
            None if total == 1 => "1 match".to_string(),
            None => format!("{total} matches"),
        }
    };
    let on_key = move |ev: web_sys::KeyboardEvent| match ev.key().as_str() {
        "Enter" => {
            ev.prevent_default();
            jump.run(!ev.shift_key());
        }
        "Escape" => {
            ev.prevent_default();
            close.run(());
        }
        _ => {}
    };
    view! {
        <div class="ladder-search" role="search" aria-label="Search the ladder">
            <input type="search" node_ref=input aria-label="Search the ladder" placeholder="Method, status, Call-ID, header or body text"
                prop:value=move || text.get()
                on:input=move |ev| text.set(event_target_value(&ev))
                on:keydown=on_key/>
            <span class="match-count" role="status" aria-live="polite">{count}</span>
            <button type="button" aria-label="Previous match" title="Previous match (N, Shift+Enter)"
                on:click=move |_| jump.run(false)>"↑"</button>
            <button type="button" aria-label="Next match" title="Next match (n, Enter)"
                on:click=move |_| jump.run(true)>"↓"</button>
            <button type="button" aria-label="Close the search" on:click=move |_| close.run(())>"×"</button>
        </div>
    }
}

/// The list of keyboard shortcuts, as a modal dialog. Esc, the Close button or a click outside
/// closes it.
#[component]
pub fn ShortcutsDialog(open: RwSignal<bool>) -> impl IntoView {
    let close_button = NodeRef::<leptos::html::Button>::new();
    Effect::new(move |_| {
        if let Some(button) = close_button.get() {
            let _ = button.focus();
        }
    });
    let close = move |_| open.set(false);
    view! {
        <div class="dialog-backdrop" on:click=close>
            <div class="dialog" role="dialog" aria-modal="true" aria-labelledby="shortcuts-title"
                on:click=|ev| ev.stop_propagation()>
                <h2 id="shortcuts-title">"Keyboard shortcuts"</h2>
                <table class="shortcuts">
                    <tbody>
                        {SHORTCUTS.into_iter().map(|(keys, what)| view! {
                            <tr><th scope="row"><kbd>{keys}</kbd></th><td>{what}</td></tr>
                        }).collect_view()}
                    </tbody>
                </table>
                <p class="notice">"Hover a message to highlight its whole transaction."</p>
                <button type="button" node_ref=close_button on:click=close>"Close"</button>
            </div>
        </div>
    }
}
