//! `/qos/{ids}` and the call view's Quality tab: call quality from RTCP (dex's `qos`): a table per stream with loss, jitter, RTT
//! and both MOS estimates, charts over time, the clock and latency settings in the URL, and a
//! JSON download. The maths is `domain::qos`; this page loads and renders.

use std::sync::Arc;

use leptos::prelude::*;

use crate::domain::call_view::{CallQuery, CallTab};
use crate::domain::qos::settings::{CLOCK_KEY, LATENCY_KEY};
use crate::domain::qos::view::{
    band_class, direction, download_name, emodel_tooltip, fixed, is_rr_only, jitter_tooltip,
    loss_tooltip, rtt_tooltip, simple_tooltip, with_query_value, QosQuery,
};
use crate::domain::qos::{
    CallQos, QualityBand, StreamQos, EMODEL_LABEL, REPORTED_LABEL, SIMPLE_LABEL,
};
use crate::ui::api::fetch::UiFetch;
use crate::ui::api::recorder;
use crate::ui::api::ApiRoot;
use crate::ui::components::download::save_text;

use super::qos_chart::{QosChart, CHARTS};
use super::route::{use_call_route, CallRoute};
use super::state::{keyed_load, require_call_ids, LoadState};

use crate::domain::qos::load::{load_qos, qos_window, QosInputs as Loaded};

/// The QoS page: a title, a link to the ladder, and the [`QosView`].
#[component]
pub fn QosPage() -> impl IntoView {
    let route = use_call_route();
    let ladder_link = move || {
        let mut next = CallQuery::from_query_string(&route.search.get());
        next.tab = CallTab::Ladder;
        format!(
            "/call/{}{}",
            route.call_ids.get().join(","),
            next.to_search()
        )
    };
    view! {
        <h1 class="call-title">
            {move || {
                let ids = route.call_ids.get();
                match ids.as_slice() {
                    [] => "Call quality".to_string(),
                    [one] => format!("Call quality: {one}"),
                    more => format!("Call quality: {} calls", more.len()),
                }
            }}
        </h1>
        <p class="qos-nav">
            <a href=ladder_link>"Back to the ladder"</a>
        </p>
        <QosView route=route/>
    }
}

/// The quality of the route's Call-IDs in its window: settings, table, charts and download. Used by
/// `/qos/{ids}` and by the call view's Quality tab; its settings live in the route's query string.
#[component]
pub fn QosView(route: CallRoute) -> impl IntoView {
    let call_ids = route.call_ids;
    let query = Memo::new(move |_| QosQuery::from_query_string(&route.search.get()));
    let set_value = Callback::new(move |(key, value): (&'static str, String)| {
        route.set_search.run(with_query_value(
            &route.search.get_untracked(),
            key,
            Some(&value),
        ));
    });

    let load_key = Memo::new(move |_| {
        let q = query.get();
        (call_ids.get(), ApiRoot::backend(&q.backend), q.t)
    });
    let state = keyed_load(load_key, |(ids, root, t)| async move {
        require_call_ids(&ids)?;
        load(&root, &ids, t).await
    });

    view! {
        {move || query.get().settings_error.map(|e| view! {
            <div class="banner error" role="alert">{format!("Settings ignored: {e}")}</div>
        })}
        {move || match state.get() {
            LoadState::Loading => view! { <p class="notice" role="status">"Loading the RTCP reports…"</p> }.into_any(),
            LoadState::Failed(e) => view! {
                <div class="banner error" role="alert"><span>{format!("Cannot load the call's quality: {e}")}</span></div>
            }.into_any(),
            LoadState::Loaded(loaded) => view! {
                <QosBody loaded=loaded query=query set_value=set_value call_ids=call_ids/>
            }.into_any(),
        }}
    }
}

/// Loads the reports and codecs through the shared [`load_qos`] (as `hepscope qos`), its requests
/// on `ui::api`'s request path.
async fn load(root: &ApiRoot, ids: &[String], t: Option<i64>) -> Result<Loaded, String> {
    recorder::start_run();
    let now = jiff::Timestamp::now().as_millisecond();
    let fetch = UiFetch::new(root.clone());
    load_qos(&fetch, ids, qos_window(t, now)).await
}

/// Settings, table, charts and download of a loaded call.
#[component]
fn QosBody(
    loaded: Arc<Loaded>,
    query: Memo<QosQuery>,
    set_value: Callback<(&'static str, String)>,
    call_ids: Memo<Vec<String>>,
) -> impl IntoView {
    let for_memo = loaded.clone();
    let qos = Memo::new(move |_| {
        let settings = query.get().settings;
        Arc::new(
            CallQos::from_reports(&for_memo.reports, &for_memo.codecs, &settings)
                .with_endpoint_streams(for_memo.endpoint.clone()),
        )
    });
    let message = RwSignal::new(None::<String>);
    let download = move |_| {
        let qos = qos.get_untracked();
        let result = serde_json::to_string_pretty(&*qos)
            .map_err(|e| e.to_string())
            .and_then(|json| {
                save_text(
                    &download_name(&call_ids.get_untracked()),
                    "application/json",
                    &json,
                )
            });
        message.set(result.err().map(|e| format!("Download failed: {e}")));
    };
    let setting = move |key: &'static str| {
        move |ev: leptos::ev::Event| set_value.run((key, event_target_value(&ev)))
    };
    let rejected = loaded.rejected.len();
    view! {
        {loaded.notices.clone().into_iter().map(|n| view! { <div class="banner warn" role="status">{n}</div> }).collect_view()}
        <div class="call-toolbar qos-toolbar" role="toolbar" aria-label="Quality settings">
            <label class="field-inline">"Clock rate"
                <input type="number" min="1" step="1" aria-label="Clock rate"
                    placeholder=move || qos.with(|q| q.codec.clock_rate.to_string())
                    prop:value=move || query.with(|q| q.settings.clock_override.map(|c| c.to_string()).unwrap_or_default())
                    on:change=setting(CLOCK_KEY)/>
            </label>
            <label class="field-inline">"Latency (ms)"
                <input type="number" min="0" step="any" aria-label="Latency (ms)"
                    prop:value=move || query.with(|q| q.settings.latency_ms.to_string())
                    on:change=setting(LATENCY_KEY)/>
            </label>
            <span class="qos-codec" title="The codec and clock used for scoring">
                {move || qos.with(|q| format!("Codec {} at {} Hz", q.codec.name, q.codec.clock_rate))}
            </span>
            <span class="spacer"></span>
            <button type="button" on:click=download>"Download JSON"</button>
        </div>
        {move || message.get().map(|m| view! { <div class="banner warn" role="status">{m}</div> })}
        {(rejected > 0).then(|| view! {
            <div class="banner warn" role="status">{format!("{rejected} RTCP row(s) could not be read and were left out.")}</div>
        })}
        {move || if qos.with(|q| q.is_empty()) {
            view! { <p class="notice qos-empty" role="status">"This call has no RTCP."</p> }.into_any()
        } else {
            view! {
                <StreamTable qos=qos/>
                <div class="qos-charts">
                    {CHARTS.into_iter().map(|spec| view! { <QosChart spec=spec qos=qos/> }).collect_view()}
                </div>
            }.into_any()
        }}
    }
}

/// The per-stream table.
#[component]
fn StreamTable(qos: Memo<Arc<CallQos>>) -> impl IntoView {
    view! {
        <div class="qos-table-wrap">
            <table class="qos-table" aria-label="Streams">
                <thead><tr>
                    <th>"Direction"</th><th>"Codec"</th><th>"Packets"</th><th>"Lost"</th><th>"Loss %"</th>
                    <th>"Jitter avg (ms)"</th><th>"Jitter max (ms)"</th><th>"RTT (ms)"</th>
                    <th>{format!("{EMODEL_LABEL} avg")}</th><th>{format!("{EMODEL_LABEL} worst")}</th>
                    <th>{SIMPLE_LABEL}</th><th title=REPORTED_LABEL>"Reported MOS"</th><th>"Quality"</th>
                </tr></thead>
                <tbody>
                    {move || {
                        let qos = qos.get();
                        qos.streams.iter().map(|s| stream_row(s, &qos)).collect_view()
                    }}
                    {move || qos.get().endpoint_streams.iter().map(|s| {
                        let cells = crate::domain::qos::view::endpoint_cells(s);
                        view! { <tr data-testid="qos-endpoint-stream">{cells.into_iter().map(|c| view! { <td>{c}</td> }).collect_view()}</tr> }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

fn stream_row(stream: &StreamQos, qos: &CallQos) -> AnyView {
    let rr_only = is_rr_only(stream);
    let packets = match (stream.packets_sent, stream.packets_expected) {
        (Some(sent), _) => sent.to_string(),
        (None, Some(expected)) => format!("≈{expected}"),
        (None, None) => "—".to_string(),
    };
    let packets_title = if rr_only {
        "The sender sent no SR (RR only): packets expected from the receiver's sequence numbers"
    } else {
        "Packets sent, from the sender's latest SR"
    };
    let emodel_title = emodel_tooltip(stream, &qos.codec);
    let simple_title = simple_tooltip(stream);
    let band = stream.mos_emodel.map(|m| QualityBand::from_mos(m.avg));
    let reported = stream
        .reported_mos_lq
        .or(stream.reported_mos_cq)
        .map(|m| m.avg);
    view! {
        <tr data-testid="qos-stream" data-rr-only=rr_only.to_string()>
            <td class="mono">{direction(stream)}</td>
            <td title=format!("SSRC {:#010x}, clock {} Hz\n{}", stream.ssrc, stream.clock_rate, crate::domain::qos::view::inputs_text(stream))>{stream.codec.clone()}{(stream.inputs.scale == crate::domain::qos::codec::Scale::Wideband).then(|| view! { " " <span class="tag">"wideband"</span> })}</td>
            <td class="num" title=packets_title>{packets}{rr_only.then(|| view! { " " <span class="tag">"RR only"</span> })}</td>
            <td class="num">{stream.packets_lost}</td>
            <td class="num" title=loss_tooltip(stream)>{fixed(Some(stream.loss_pct), 2)}</td>
            <td class="num" data-testid="qos-jitter-avg" title=jitter_tooltip(stream)>{fixed(stream.jitter_ms.map(|j| j.avg), 2)}</td>
            <td class="num" title=jitter_tooltip(stream)>{fixed(stream.jitter_ms.map(|j| j.worst), 2)}</td>
            <td class="num" title=rtt_tooltip(stream, &qos.settings)>{fixed(stream.rtt_ms.map(|r| r.avg), 1)}</td>
            <td class="num" data-testid="qos-mos-emodel" title=emodel_title.clone()>{fixed(stream.mos_emodel.map(|m| m.avg), 2)}</td>
            <td class="num" title=emodel_title>{fixed(stream.mos_emodel.map(|m| m.worst), 2)}</td>
            <td class="num" data-testid="qos-mos-simple" title=simple_title>{fixed(stream.mos_simple.map(|m| m.avg), 2)}</td>
            <td class="num" title=REPORTED_LABEL>{fixed(reported, 2)}</td>
            <td>{band.map(|b| view! {
                <span class=format!("band band-{}", band_class(b))
                    title="Excellent ≥ 4.3, Good 3.6–4.3, Fair 2.6–3.6, Poor < 2.6 (E-model average)">{b.label()}</span>
            })}</td>
        </tr>
    }
    .into_any()
}
