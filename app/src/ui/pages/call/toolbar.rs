//! The call view's toolbar: lane and time modes, filters, exports and the shareable link.

use std::sync::Arc;

use leptos::prelude::*;

use crate::domain::api::Right;
use crate::domain::call_view::CallQuery;
use crate::domain::ladder::{png_size, to_svg, LadderView, LaneMode, SvgOptions, TimeMode};
use crate::domain::sipp::{sipp_scenario, SippRole};
use crate::ui::api::{self, ApiRoot, Export};
use crate::ui::components::download::{save_blob, save_bytes, save_text};
use crate::ui::context::SessionCtx;

use super::png::svg_to_png;
use super::Loaded;

/// Toggles, exports and the link.
#[component]
pub fn Toolbar(
    query: Memo<CallQuery>,
    set_query: Callback<CallQuery>,
    ladder: Memo<Arc<LadderView>>,
    loaded: Arc<Loaded>,
    call_ids: Memo<Vec<String>>,
) -> impl IntoView {
    let message = RwSignal::new(None::<String>);
    let update = move |f: &dyn Fn(&mut CallQuery)| {
        let mut next = query.get_untracked();
        f(&mut next);
        set_query.run(next);
    };
    let checkbox = move |label: &'static str,
                         get: fn(&CallQuery) -> bool,
                         set: fn(&mut CallQuery, bool)| {
        view! {
            <label class="check">
                <input type="checkbox" prop:checked=move || query.with(get)
                    on:change=move |ev| { let on = event_target_checked(&ev); update(&move |q| set(q, on)); } />
                {label}
            </label>
        }
    };
    let body = serde_json::to_string(&loaded.request).unwrap_or_default();
    // On a share page, exports go through the share's API root.
    let shared_root = crate::ui::context::use_shared_call().map(|s| s.api_root);
    // Controls follow the session's rights (the server refuses the routes too); a share page has
    // its own exports and bodies.
    let session = expect_context::<SessionCtx>();
    let on_share = shared_root.is_some();
    let has = move |right: Right| {
        on_share
            || session
                .me
                .with(|m| m.as_ref().is_some_and(|me| me.has(right)))
    };
    let base_name = move || crate::domain::call_view::file_stem(&call_ids.get_untracked());
    let download_export = move |kind: Export, ext: &'static str, mime: &'static str| {
        let body = body.clone();
        let root = shared_root
            .clone()
            .unwrap_or_else(|| ApiRoot::backend(&query.get_untracked().backend));
        let fallback = format!("{}.{ext}", base_name());
        leptos::task::spawn_local(async move {
            match api::export(&root, kind, body).await {
                Ok((bytes, name)) => {
                    let name = if name.is_empty() { fallback } else { name };
                    if let Err(e) = save_bytes(&name, mime, &bytes) {
                        message.set(Some(e));
                    }
                }
                Err(e) => message.set(Some(format!("Export failed: {e}"))),
            }
        });
    };
    let pcap = {
        let d = download_export.clone();
        move |_| d(Export::Pcap, "pcap", "application/vnd.tcpdump.pcap")
    };
    let text = move |_| download_export(Export::Text, "txt", "text/plain");
    let svg = move |_| {
        let svg = ladder.with_untracked(|l| to_svg(l, &SvgOptions::default()));
        if let Err(e) = save_text(&format!("{}.svg", base_name()), "image/svg+xml", &svg) {
            message.set(Some(e));
        }
    };
    let png = move |_| {
        let options = SvgOptions::default();
        let drawn = ladder
            .with_untracked(|l| png_size(l, &options).map(|size| (to_svg(l, &options), size)));
        let (svg, (width, height)) = match drawn {
            Ok(drawn) => drawn,
            Err(e) => return message.set(Some(format!("No PNG: {e}."))),
        };
        let name = format!("{}.png", base_name());
        message.set(Some("Drawing the PNG…".into()));
        leptos::task::spawn_local(async move {
            let saved = svg_to_png(&svg, width, height)
                .await
                .and_then(|blob| save_blob(&name, &blob));
            message.set(saved.err().map(|e| format!("PNG export failed: {e}")));
        });
    };
    let sipp = {
        let loaded = loaded.clone();
        move |_| {
            let name = base_name();
            let saved = sipp_scenario(&loaded.rows, SippRole::Uac, &name)
                .map_err(|e| format!("No SIPp scenario: {e}."))
                .and_then(|xml| save_text(&format!("{name}.uac.xml"), "application/xml", &xml));
            message.set(saved.err());
        }
    };
    let copy_link = move |_| {
        if let Some(w) = web_sys::window() {
            if let Ok(href) = w.location().href() {
                let _ = w.navigator().clipboard().write_text(&href);
                message.set(Some("Link copied.".into()));
            }
        }
    };
    view! {
        <div class="call-toolbar" role="toolbar" aria-label="Ladder options">
            <label class="field-inline">"Columns"
                <select aria-label="Columns" on:change=move |ev| {
                    let v = event_target_value(&ev);
                    update(&move |q| q.lanes = LaneMode::parse(&v).unwrap_or_default());
                }>
                    {LaneMode::ALL.into_iter().map(|m| view! {
                        <option value=m.as_str() selected=move || query.with(|q| q.lanes == m)>{match m {
                            LaneMode::HostPort => "IP:port", LaneMode::Ip => "IP", LaneMode::Alias => "Alias",
                        }}</option>
                    }).collect_view()}
                </select>
            </label>
            <label class="field-inline">"Time"
                <select aria-label="Time" on:change=move |ev| {
                    let v = event_target_value(&ev);
                    update(&move |q| q.time = TimeMode::parse(&v).unwrap_or_default());
                }>
                    {[TimeMode::Absolute, TimeMode::Delta, TimeMode::Relative].into_iter().map(|m| view! {
                        <option value=m.as_str() selected=move || query.with(|q| q.time == m)>{match m {
                            TimeMode::Absolute => "Absolute", TimeMode::Delta => "Delta", TimeMode::Relative => "Relative",
                        }}</option>
                    }).collect_view()}
                </select>
            </label>
            {checkbox("Hide OPTIONS", |q| q.hide_options, |q, on| q.hide_options = on)}
            {checkbox("Hide 1xx", |q| q.hide_provisional, |q, on| q.hide_provisional = on)}
            {checkbox("Collapse retransmissions", |q| q.collapse, |q, on| q.collapse = on)}
            {checkbox("RTCP", |q| q.show_rtcp, |q, on| q.show_rtcp = on)}
            {checkbox("Logs", |q| q.show_logs, |q, on| q.show_logs = on)}
            <span class="spacer"></span>
            <Show when=move || has(Right::Export)>
                <button type="button" on:click=pcap.clone()>"PCAP"</button>
                <button type="button" on:click=text.clone()>"Text"</button>
            </Show>
            <button type="button" on:click=svg>"SVG"</button>
            <button type="button" on:click=png>"PNG"</button>
            <button type="button" on:click=sipp title="A SIPp scenario of the caller's side (the first INVITE's sender)">"SIPp scenario"</button>
            <button type="button" on:click=copy_link>"Copy link"</button>
            <super::share::ShareButton request=loaded.request.clone() query=query/>
        </div>
        {move || message.get().map(|m| view! { <div class="banner warn" role="status">{m}</div> })}
        <Show when=move || !has(Right::Raw)>
            <div class="banner info bodies-withheld" role="status">
                "bodies withheld: you lack the raw right"
            </div>
        </Show>
    }
}
