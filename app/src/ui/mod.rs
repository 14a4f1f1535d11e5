//! The Leptos front end (feature `ui`): routes, pages and components. Data and rules come from
//! [`crate::domain`]; only [`api`] talks to the server.

pub mod api;
mod app;
mod components;
mod context;
mod pages;
mod theme;
mod topbar;

/// Mounts the app on the page body.
pub fn start() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
