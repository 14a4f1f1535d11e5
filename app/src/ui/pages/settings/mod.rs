//! `/settings`: the user's account, display preferences, shared links, API tokens and (admins)
//! the audit log.

use leptos::prelude::*;

mod shares;
mod tokens;

use crate::ui::context::SessionCtx;
use crate::ui::theme::ThemeToggle;

/// The settings view.
#[component]
pub fn SettingsPage() -> impl IntoView {
    let session = expect_context::<SessionCtx>();
    view! {
        <h1>"Settings"</h1>
        <section class="panel">
            <h2>"Account"</h2>
            {move || session.me.get().map(|me| view! {
                <p>"Logged in as " <strong>{me.username.clone()}</strong> " (" {me.role.as_str()} ")."</p>
            })}
            <h2>"Display"</h2>
            <p>"Theme: " <ThemeToggle/></p>
        </section>
        <shares::SharedLinks/>
        <tokens::ApiTokens/>
        <tokens::AuditLog/>
    }
}
