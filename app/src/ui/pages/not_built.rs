//! The one-line notice for a view whose issue is not done yet.

use leptos::prelude::*;

/// "Not built yet" for `title`.
#[component]
pub fn NotBuilt(title: &'static str) -> impl IntoView {
    view! {
        <h1>{title}</h1>
        <p class="notice">{format!("The {title} view is not built yet.")}</p>
    }
}
