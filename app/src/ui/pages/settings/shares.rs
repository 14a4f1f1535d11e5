//! The settings page's "Shared links" table: the share links the user may see (all for admins),
//! with their status and a Revoke button.

use leptos::prelude::*;

use crate::domain::call_view::CallQuery;
use crate::domain::percent::percent_encode;
use crate::domain::share::{ShareInfo, ShareStatus};
use crate::ui::api;
use crate::ui::context::SessionCtx;

use crate::ui::components::zone::expiry_text;

/// The "Shared links" section; shown to users who may share.
#[component]
pub fn SharedLinks() -> impl IntoView {
    let session = expect_context::<SessionCtx>();
    let may_share = move || {
        session
            .me
            .with(|m| m.as_ref().is_some_and(|me| me.may_share))
    };
    let shares = LocalResource::new(api::shares_list);
    let error = RwSignal::new(None::<String>);
    let revoke = move |id: String| {
        error.set(None);
        leptos::task::spawn_local(async move {
            match api::share_revoke(&id).await {
                Ok(()) => shares.refetch(),
                Err(e) => {
                    error.try_set(Some(format!("Cannot revoke the link: {e}")));
                }
            }
        });
    };
    let row = move |info: ShareInfo| {
        let status = info.status;
        let share = info.share;
        let ids = share.call_ids.join(", ");
        let href = format!(
            "/call/{}{}",
            share
                .call_ids
                .iter()
                .map(|id| percent_encode(id))
                .collect::<Vec<_>>()
                .join(","),
            CallQuery {
                backend: share.backend.clone(),
                ..CallQuery::default()
            }
            .to_search()
        );
        let active = status == ShareStatus::Active;
        let id = share.id.clone();
        view! {
            <tr>
                <td class="mono"><a href=href>{ids}</a></td>
                <td>{share.created_by.clone()}</td>
                <td>{expiry_text(share.created_at)}</td>
                <td>{expiry_text(share.expires_at)}</td>
                <td class=format!("share-status {}", status.as_str())>{status.as_str()}</td>
                <td>{active.then(|| view! {
                    <button type="button" on:click=move |_| revoke(id.clone())>"Revoke"</button>
                })}</td>
            </tr>
        }
    };
    view! {
        <Show when=may_share>
            <section class="panel" aria-labelledby="shared-links-title">
                <h2 id="shared-links-title">"Shared links"</h2>
                {move || error.get().map(|e| view! { <div class="banner error" role="alert"><span>{e}</span></div> })}
                {move || match shares.get() {
                    None => view! { <p class="notice" role="status">"Loading the shared links…"</p> }.into_any(),
                    Some(Err(e)) => view! {
                        <div class="banner error" role="alert"><span>{format!("Cannot list the shared links: {e}")}</span></div>
                    }.into_any(),
                    Some(Ok(list)) if list.is_empty() => view! {
                        <p class="notice">"No shared links. Create one with “Share outside” on a call."</p>
                    }.into_any(),
                    Some(Ok(list)) => view! {
                        <table class="shares" aria-label="Shared links">
                            <thead><tr>
                                <th scope="col">"Call"</th><th scope="col">"Created by"</th><th scope="col">"Created"</th>
                                <th scope="col">"Expires"</th><th scope="col">"Status"</th><th scope="col">"Action"</th>
                            </tr></thead>
                            <tbody>{list.into_iter().map(row).collect_view()}</tbody>
                        </table>
                    }.into_any(),
                }}
            </section>
        </Show>
    }
}
