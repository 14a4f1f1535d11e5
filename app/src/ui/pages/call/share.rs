//! Share links in the browser: the public `/s/{token}` page (the call view, read-only, loaded from the
//! share's API root, outside the login guard), the page that says why a link is refused, and the call
//! toolbar's "Share outside" button.

use crate::domain::api::Right;
use crate::ui::components::zone::expiry_text;
use leptos::context::Provider;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::domain::call_view::CallQuery;
use crate::domain::homer::TransactionRequest;
use crate::domain::share::{ShareCreated, ShareRefusal, ShareRequest};
use crate::ui::api::{self, ApiError, ApiRoot};
use crate::ui::context::{use_shared_call, SessionCtx, SharedCall};

use super::CallPage;

fn refusal_of(error: &ApiError) -> Option<ShareRefusal> {
    match error {
        ApiError::Status { status, message } if *status == 410 || *status == 403 => {
            ShareRefusal::parse(message)
        }
        _ => None,
    }
}

/// `/s/{token}`: a shared call, read-only, without login and without the top bar.
#[component]
pub fn SharedCallPage() -> impl IntoView {
    let params = use_params_map();
    let token = params.with_untracked(|p| p.get("token").unwrap_or_default());
    let api_root = ApiRoot::Share(token.clone());
    let info = LocalResource::new(move || {
        let token = token.clone();
        async move { api::shared_info(&token).await }
    });
    view! {
        <main class="shared-call">
            {move || match info.get() {
                None => view! { <p class="notice" role="status">"Opening the shared call…"</p> }.into_any(),
                Some(Ok(info)) => {
                    let share = info.share;
                    let shared = SharedCall { call_ids: share.call_ids.clone(), api_root: api_root.clone() };
                    view! {
                        <p class="share-note" role="note">
                            {format!("Shared by {} · read-only · this link works until {}", share.created_by, expiry_text(share.expires_at))}
                        </p>
                        <Provider value=shared><CallPage/></Provider>
                    }.into_any()
                }
                Some(Err(e)) => match refusal_of(&e) {
                    Some(refusal) => view! { <ShareRefused refusal=refusal/> }.into_any(),
                    None => view! {
                        <div class="banner error" role="alert"><span>{format!("Cannot open the shared call: {e}")}</span></div>
                    }.into_any(),
                },
            }}
        </main>
    }
}

/// Why a share link does not open.
#[component]
fn ShareRefused(refusal: ShareRefusal) -> impl IntoView {
    let detail = match refusal {
        ShareRefusal::Expired => "Share links stop working after a while. Ask the person who shared the call for a new link.",
        ShareRefusal::Revoked => "The person who shared the call, or an administrator, has withdrawn it. Ask them for a new link if you still need it.",
        ShareRefusal::Invalid => "The link is incomplete or was changed. Check that you copied all of it.",
    };
    view! {
        <section class="share-refused" aria-labelledby="share-refused-title">
            <h1 id="share-refused-title">{refusal.heading()}</h1>
            <p>{detail}</p>
        </section>
    }
}

/// "Share outside": creates a read-only link to the shown call that opens without login. Shown only
/// to users who may share (admins, `share = true`), never on a share page itself.
#[component]
pub fn ShareButton(request: TransactionRequest, query: Memo<CallQuery>) -> impl IntoView {
    let session = expect_context::<SessionCtx>();
    let shown = use_shared_call().is_none();
    let may_share = move || {
        shown
            && session
                .me
                .with(|m| m.as_ref().is_some_and(|me| me.has(Right::Share)))
    };
    let created = RwSignal::new(None::<ShareCreated>);
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let copied = RwSignal::new(false);
    let create = move |_| {
        let body = ShareRequest {
            call_ids: request.call_ids().into_iter().map(str::to_owned).collect(),
            backend: query.with_untracked(|q| q.backend.clone()),
            from: request.timestamp.from,
            to: request.timestamp.to,
            ttl: None,
        };
        busy.set(true);
        error.set(None);
        copied.set(false);
        leptos::task::spawn_local(async move {
            let result = api::share_create(&body).await;
            busy.try_set(false);
            match result {
                Ok(share) => {
                    created.try_set(Some(share));
                }
                Err(e) => {
                    error.try_set(Some(format!("Cannot create the share link: {e}")));
                }
            }
        });
    };
    let absolute = |path: &str| {
        let origin = web_sys::window()
            .and_then(|w| w.location().origin().ok())
            .unwrap_or_default();
        format!("{origin}{path}")
    };
    view! {
        <Show when=may_share>
            <span class="share-outside">
                <button type="button" on:click=create.clone() disabled=move || busy.get()>"Share outside"</button>
                {move || error.get().map(|e| view! { <div class="panel share-panel banner error" role="alert">{e}</div> })}
                {move || created.get().map(|share| {
                    let url = absolute(&share.url);
                    let copy_url = url.clone();
                    let copy = move |_| {
                        if let Some(w) = web_sys::window() {
                            let _ = w.navigator().clipboard().write_text(&copy_url);
                            copied.set(true);
                        }
                    };
                    view! {
                        <div class="panel share-panel" role="dialog" aria-label="Share outside">
                            <p>{format!("Anyone with this link can open this call (ladder, messages, PCAP) without logging in, until {}.", expiry_text(share.expires_at))}</p>
                            <input class="mono" type="text" readonly=true aria-label="Share link" prop:value=url/>
                            <div class="share-actions">
                                <button type="button" on:click=copy>{move || if copied.get() { "Copied" } else { "Copy link" }}</button>
                                <button type="button" on:click=move |_| created.set(None)>"Close"</button>
                            </div>
                            <p class="notice">"Revoke it at any time under Settings → Shared links."</p>
                        </div>
                    }
                })}
            </span>
        </Show>
    }
}
