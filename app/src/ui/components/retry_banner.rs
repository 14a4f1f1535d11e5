//! The alert shown when a view's data cannot be loaded, with a button to ask again.

use leptos::prelude::*;

/// `message` in an error banner (`role="alert"`), with a "Retry" button that runs `on_retry`.
#[component]
pub fn RetryBanner(#[prop(into)] message: String, on_retry: Callback<()>) -> impl IntoView {
    view! {
        <div class="banner error" role="alert">
            <span>{message}</span>
            <button type="button" on:click=move |_| on_retry.run(())>"Retry"</button>
        </div>
    }
}
