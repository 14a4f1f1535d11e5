//! The settings page's "API tokens" section (create with a name, rights and expiry; the token shown
//! once with a copy button; the list with last use; revoke) and, for the `admin` right, the "Audit
//! log" view with filters and a CSV download, over `ui::api::tokens` (see the README's HTTP API table).

use leptos::prelude::*;

use crate::domain::access::Rights;
use crate::domain::api::Right;
use crate::ui::api::tokens::{
    audit, audit_csv_url, audit_query, token_create, token_revoke, tokens_list, AuditRecord,
    TokenInfo, TokenRequest,
};
use crate::ui::components::zone::expiry_text;
use crate::ui::context::SessionCtx;

/// The "API tokens" section.
#[component]
pub fn ApiTokens() -> impl IntoView {
    let session = expect_context::<SessionCtx>();
    let mine = move || {
        session
            .me
            .with(|m| m.as_ref().map(|me| me.rights.clone()).unwrap_or_default())
    };
    let tokens = LocalResource::new(tokens_list);
    let name = RwSignal::new(String::new());
    let expiry = RwSignal::new("90d".to_string());
    let chosen = RwSignal::new(vec![Right::Search]);
    let created = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<String>);
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        error.set(None);
        let request = TokenRequest {
            name: name.get_untracked(),
            rights: Rights::new(chosen.get_untracked()),
            expires_in: Some(expiry.get_untracked()),
        };
        leptos::task::spawn_local(async move {
            match token_create(&request).await {
                Ok(answer) => {
                    created.try_set(Some(answer.token));
                    tokens.refetch();
                }
                Err(e) => {
                    error.try_set(Some(format!("Cannot create the token: {e}")));
                }
            }
        });
    };
    let revoke = move |id: String| {
        leptos::task::spawn_local(async move {
            match token_revoke(&id).await {
                Ok(()) => tokens.refetch(),
                Err(e) => {
                    error.try_set(Some(format!("Cannot revoke the token: {e}")));
                }
            }
        });
    };
    let copy = move |_| {
        if let (Some(w), Some(token)) = (web_sys::window(), created.get_untracked()) {
            let _ = w.navigator().clipboard().write_text(&token);
        }
    };
    let row = move |t: TokenInfo| {
        let id = t.id.clone();
        let rights: Vec<&str> = t.rights.iter().map(|r| r.as_str()).collect();
        view! {
            <tr>
                <td>{t.name.clone()}</td>
                <td>{t.user.clone()}</td>
                <td class="mono">{rights.join(", ")}</td>
                <td>{t.expires_at.map(expiry_text).unwrap_or_else(|| "never".into())}</td>
                <td>{t.last_used_at.map(expiry_text).unwrap_or_else(|| "never".into())}</td>
                <td><button type="button" on:click=move |_| revoke(id.clone())>"Revoke"</button></td>
            </tr>
        }
    };
    view! {
        <section class="panel" aria-labelledby="api-tokens-title">
            <h2 id="api-tokens-title">"API tokens"</h2>
            <p class="notice">"For tools and the command line: " <code>"Authorization: Bearer hst_…"</code></p>
            <form class="token-form" on:submit=create>
                <label>"Name " <input type="text" required prop:value=move || name.get()
                    on:input=move |ev| name.set(event_target_value(&ev))/></label>
                <fieldset><legend>"Rights"</legend>
                    {move || mine().into_iter().map(|right| view! {
                        <label class="check">
                            <input type="checkbox" prop:checked=move || chosen.with(|c| c.contains(&right))
                                on:change=move |ev| {
                                    let on = event_target_checked(&ev);
                                    chosen.update(|c| { c.retain(|r| *r != right); if on { c.push(right); } });
                                }/>
                            {right.as_str()}
                        </label>
                    }).collect_view()}
                </fieldset>
                <label>"Expires in " <select on:change=move |ev| expiry.set(event_target_value(&ev))>
                    <option value="1d">"1 day"</option>
                    <option value="30d">"30 days"</option>
                    <option value="90d" selected>"90 days"</option>
                    <option value="365d">"1 year"</option>
                </select></label>
                <button type="submit">"Create token"</button>
            </form>
            {move || error.get().map(|e| view! { <div class="banner error" role="alert"><span>{e}</span></div> })}
            {move || created.get().map(|token| view! {
                <div class="banner info" role="status">
                    <span>"Copy it now; it is not shown again: "</span>
                    <code data-testid="new-token">{token}</code>
                    <button type="button" on:click=copy>"Copy"</button>
                </div>
            })}
            {move || match tokens.get() {
                None => view! { <p class="notice" role="status">"Loading the tokens…"</p> }.into_any(),
                Some(Err(e)) => view! {
                    <div class="banner error" role="alert"><span>{format!("Cannot list the tokens: {e}")}</span></div>
                }.into_any(),
                Some(Ok(list)) => view! {
                    <table class="tokens" aria-label="API tokens">
                        <thead><tr>
                            <th scope="col">"Name"</th><th scope="col">"User"</th><th scope="col">"Rights"</th>
                            <th scope="col">"Expires"</th><th scope="col">"Last used"</th><th scope="col">"Action"</th>
                        </tr></thead>
                        <tbody>{list.into_iter().map(row).collect_view()}</tbody>
                    </table>
                }.into_any(),
            }}
        </section>
    }
}

/// The "Audit log" section, for the `admin` right.
#[component]
pub fn AuditLog() -> impl IntoView {
    let session = expect_context::<SessionCtx>();
    let admin = move || {
        session
            .me
            .with(|m| m.as_ref().is_some_and(|me| me.has(Right::Admin)))
    };
    let user = RwSignal::new(String::new());
    let action = RwSignal::new(String::new());
    let query = move || audit_query(&user.get(), &action.get());
    let records = LocalResource::new(move || {
        let query = query();
        async move { audit(&query).await }
    });
    let row = |r: AuditRecord| {
        view! {
            <tr>
                <td>{expiry_text(r.time / 1000)}</td>
                <td>{r.user}</td>
                <td class="mono">{r.client}</td>
                <td>{r.action}</td>
                <td class="mono">{r.object}</td>
                <td>{r.outcome}</td>
            </tr>
        }
    };
    view! {
        <Show when=admin>
            <section class="panel" aria-labelledby="audit-title">
                <h2 id="audit-title">"Audit log"</h2>
                <div class="audit-filters">
                    <label>"User " <input type="text" on:change=move |ev| user.set(event_target_value(&ev))/></label>
                    <label>"Action " <select on:change=move |ev| action.set(event_target_value(&ev))>
                        <option value="">"any"</option>
                        {["sign_in", "search", "call_view", "export", "share_create", "share_revoke",
                          "share_open", "import", "sql", "token_create", "token_revoke", "admin"]
                            .into_iter().map(|a| view! { <option value=a>{a}</option> }).collect_view()}
                    </select></label>
                    <a href=move || audit_csv_url(&query()) download="hepscope-audit.csv">"Download CSV"</a>
                </div>
                {move || match records.get() {
                    None => view! { <p class="notice" role="status">"Loading the audit log…"</p> }.into_any(),
                    Some(Err(e)) => view! {
                        <div class="banner error" role="alert"><span>{format!("Cannot read the audit log: {e}")}</span></div>
                    }.into_any(),
                    Some(Ok(list)) => view! {
                        <table class="audit" aria-label="Audit log">
                            <thead><tr>
                                <th scope="col">"Time"</th><th scope="col">"User"</th><th scope="col">"Client"</th>
                                <th scope="col">"Action"</th><th scope="col">"Object"</th><th scope="col">"Outcome"</th>
                            </tr></thead>
                            <tbody>{list.into_iter().map(row).collect_view()}</tbody>
                        </table>
                    }.into_any(),
                }}
            </section>
        </Show>
    }
}
