//! The Leptos front end (feature `ui`).

/// Mounts the app on the page body.
pub fn start() {
    console_error_panic_hook::set_once();
}
