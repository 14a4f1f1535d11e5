//! `/login`: the login form and, with `[auth.oidc]`, "Sign in with …". After login the user goes to
//! `next` (the deep link they first opened); a failed company sign-in comes back with `sso_error`.

use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::domain::api::AuthMethods;
use crate::ui::client;
use crate::ui::session::{safe_next, SessionCtx};

/// The login view.
#[component]
pub fn LoginPage() -> impl IntoView {
    let session = expect_context::<SessionCtx>();
    let query = use_query_map();
    let navigate = use_navigate();
    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(query.with_untracked(|q| q.get("sso_error")));
    let busy = RwSignal::new(false);
    // Until the methods are known, the password form shows (the common case, and no flash).
    let methods = LocalResource::new(client::auth_methods);
    let method = move || {
        methods.get().and_then(Result::ok).unwrap_or(AuthMethods {
            local: true,
            ..AuthMethods::default()
        })
    };
    let sso_href = move || {
        let next = safe_next(query.with(|q| q.get("next")));
        format!(
            "/api/auth/oidc/start?next={}",
            String::from(js_sys::encode_uri_component(&next))
        )
    };

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(None);
        let next = safe_next(query.with_untracked(|q| q.get("next")));
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            match client::login(username.get_untracked(), password.get_untracked()).await {
                Ok(me) => {
                    session.me.set(Some(me));
                    navigate(&next, Default::default());
                }
                Err(e) => {
                    password.try_set(String::new());
                    error.try_set(Some(e.to_string()));
                }
            }
            busy.try_set(false);
        });
    };

    view! {
        <div class="login-wrap">
            <form class="login panel" on:submit=submit>
                <h1>"hepscope"</h1>
                <Show when=move || method().password_form()>
                    <label class="field">
                        <span>"User name"</span>
                        <input
                            name="username"
                            autocomplete="username"
                            required=true
                            prop:value=username
                            on:input=move |ev| username.set(event_target_value(&ev))
                        />
                    </label>
                    <label class="field">
                        <span>"Password"</span>
                        <input
                            name="password"
                            type="password"
                            autocomplete="current-password"
                            required=true
                            prop:value=password
                            on:input=move |ev| password.set(event_target_value(&ev))
                        />
                    </label>
                </Show>
                {move || error.get().map(|e| view! { <div class="banner error" role="alert">{e}</div> })}
                <Show when=move || method().password_form()>
                    <button class="primary" type="submit" disabled=busy>
                        {move || if busy.get() { "Logging in…" } else { "Log in" }}
                    </button>
                </Show>
                {move || method().oidc.map(|oidc| view! {
                    // A full navigation (rel=external): the server redirects to the provider.
                    <a class="button sso" rel="external" href=sso_href>
                        {format!("Sign in with {}", oidc.name)}
                    </a>
                })}
            </form>
        </div>
    }
}
