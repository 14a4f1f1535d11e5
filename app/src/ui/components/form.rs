//! Small form pieces shared by the search and analyze forms.

use leptos::prelude::*;

/// A labelled text field bound to `signal` (the search and analyze forms).
pub fn text_input(
    label: &'static str,
    name: &'static str,
    signal: RwSignal<String>,
    placeholder: &'static str,
) -> impl IntoView {
    view! {
        <label class="field">
            <span>{label}</span>
            <input name=name placeholder=placeholder prop:value=signal
                on:input=move |ev| signal.set(event_target_value(&ev)) />
        </label>
    }
}
