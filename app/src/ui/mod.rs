//! The Leptos front end (feature `ui`): routes, pages and components. Data and rules come from
//! [`crate::domain`]; only [`client`] talks to the server.

mod app;
pub mod client;
mod components;
mod homer;
mod pages;
mod session;
mod theme;
mod topbar;

/// Mounts the app on the page body.
pub fn start() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
