//! Light and dark themes: the OS preference until the user picks one, which is kept in localStorage.

use leptos::prelude::*;

const STORAGE_KEY: &str = "hepscope-theme";

fn root() -> Option<web_sys::HtmlElement> {
    web_sys::window()?
        .document()?
        .document_element()
        .and_then(|e| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(e).ok())
}

/// The theme now applied to the page ("light" or "dark"); index.html sets it before the app loads.
pub fn current() -> String {
    root()
        .and_then(|r| r.dataset().get("theme"))
        .unwrap_or_else(|| "light".to_string())
}

/// Applies and remembers a theme.
pub fn apply(theme: &str) {
    if let Some(r) = root() {
        let _ = r.dataset().set("theme", theme);
    }
    if let Some(storage) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
        let _ = storage.set_item(STORAGE_KEY, theme);
    }
}

/// A button switching between light and dark.
#[component]
pub fn ThemeToggle() -> impl IntoView {
    let theme = RwSignal::new(current());
    let toggle = move |_| {
        let next = if theme.get_untracked() == "dark" {
            "light"
        } else {
            "dark"
        };
        apply(next);
        theme.set(next.to_string());
    };
    view! {
        <button
            type="button"
            class="theme-toggle"
            aria-pressed=move || (theme.get() == "dark").to_string()
            title="Switch between light and dark theme"
            on:click=toggle
        >
            {move || if theme.get() == "dark" { "Dark theme" } else { "Light theme" }}
        </button>
    }
}
