//! The router and the logged-in shell around every view.

use crate::ui::components::retry_banner::RetryBanner;
use leptos::prelude::*;
use leptos_router::components::{Outlet, ParentRoute, Redirect, Route, Router, Routes};
use leptos_router::hooks::{use_location, use_navigate};
use leptos_router::path;

use super::api::recorder::Recorder;
use super::api::{self, ApiError};
use super::context::SessionCtx;
use super::pages::aliases::AliasesPage;
use super::pages::analyze::AnalyzePage;
use super::pages::backends::BackendsPage;
use super::pages::call::{CallPage, QosPage, SharedCallPage};
use super::pages::live::LivePage;
use super::pages::{login::LoginPage, search::SearchPage, settings::SettingsPage};
use super::topbar::TopBar;
use crate::domain::percent::percent_encode;
use crate::domain::query::ResultView;

/// The whole app.
#[component]
pub fn App() -> impl IntoView {
    provide_context(SessionCtx::new());
    provide_context(Recorder::from_storage());
    view! {
        <Router>
            <Routes fallback=|| view! { <main><h1>"Page not found"</h1><p><a href="/search">"Go to search"</a></p></main> }>
                <Route path=path!("/login") view=LoginPage/>
                <Route path=path!("/s/:token") view=SharedCallPage/>
                <ParentRoute path=path!("") view=Shell>
                    <Route path=path!("") view=|| view! { <Redirect path="/search"/> }/>
                    <Route path=path!("search") view=|| view! { <SearchPage view=ResultView::Messages/> }/>
                    <Route path=path!("calls") view=|| view! { <SearchPage view=ResultView::Calls/> }/>
                    <Route path=path!("call/:ids") view=CallPage/>
                    <Route path=path!("qos/:ids") view=QosPage/>
                    <Route path=path!("analyze") view=AnalyzePage/>
                    <Route path=path!("live") view=LivePage/>
                    <Route path=path!("backends") view=BackendsPage/>
                    <Route path=path!("aliases") view=AliasesPage/>
                    <Route path=path!("settings") view=SettingsPage/>
                </ParentRoute>
            </Routes>
        </Router>
    }
}

/// Checks the session once, sends a logged-out user to the login page (remembering where they were
/// going), and frames every view with the top bar.
#[component]
fn Shell() -> impl IntoView {
    let session = expect_context::<SessionCtx>();
    let location = use_location();
    let navigate = use_navigate();
    let check = LocalResource::new(api::me);
    let error = RwSignal::new(None::<String>);
    Effect::new(move |_| match check.get() {
        Some(Ok(me)) => session.me.set(Some(me)),
        Some(Err(ApiError::Unauthorized(_))) => {
            let here = format!(
                "{}{}",
                location.pathname.get_untracked(),
                location.search.get_untracked()
            );
            let search = location.search.get_untracked();
            let here = if search.is_empty() || search.starts_with('?') {
                here
            } else {
                format!("{}?{}", location.pathname.get_untracked(), search)
            };
            navigate(
                &format!("/login?next={}", percent_encode(&here)),
                Default::default(),
            );
        }
        Some(Err(e)) => error.set(Some(e.to_string())),
        None => {}
    });
    view! {
        <Show
            when=move || session.me.get().is_some()
            fallback=move || view! {
                <main>
                    {move || match error.get() {
                        Some(e) => view! {
                            <RetryBanner message=e on_retry=Callback::new(move |()| {
                                error.set(None);
                                check.refetch();
                            }) />
                        }.into_any(),
                        None => view! { <p class="notice">"Loading…"</p> }.into_any(),
                    }}
                </main>
            }
        >
            <TopBar/>
            <main>
                <Outlet/>
            </main>
        </Show>
    }
}
