//! `/call/{ids}`: one or several Call-IDs as a SIP ladder (dex's `show`), with the raw messages, SDP,
//! filters, lane and time modes, keyboard navigation and exports, and a Quality tab (the QoS view
//! of the same Call-IDs). Every choice is in the URL.

use std::sync::Arc;

use jiff::tz::TimeZone;
use leptos::prelude::*;

use crate::domain::call_load::{load_call, CallWindow};
use crate::domain::homer::{HomerRow, TransactionRequest};
use crate::domain::ladder::{layout, AliasTable, LadderMessage, LadderOptions, LadderView};
use crate::ui::api::fetch::UiFetch;
use crate::ui::api::recorder::{self, Recorder};
use crate::ui::api::ApiRoot;

use crate::ui::components::debug_panel::DebugPanel;
use crate::ui::components::ladder::Ladder;
use crate::ui::components::zone::resolve_zone;

mod message;
mod png;
mod qos;
mod qos_chart;
mod route;
mod share;
mod state;
mod toolbar;

pub use qos::QosPage;
pub use share::SharedCallPage;

use message::MessagePane;
use qos::QosView;
use route::{use_call_route, CallRoute};
use state::{keyed_load, require_call_ids, CallQuery, CallTab, LoadState};

fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

/// The call view.
#[component]
pub fn CallPage() -> impl IntoView {
    // On a share page (`/s/{token}`) the share names the Call-IDs (see `use_call_route`) and is the API root.
    let shared_root = crate::ui::context::use_shared_call().map(|s| s.api_root);
    // A share opens the ladder only (the share's API serves the transaction and exports, not QoS).
    let in_app = shared_root.is_none();
    let route = use_call_route();
    let call_ids = route.call_ids;
    let query = Memo::new(move |_| CallQuery::from_query_string(&route.search.get()));
    let zone = Signal::derive(move || resolve_zone(&query.get().tz).unwrap_or(TimeZone::UTC));
    let set_query = Callback::new(move |next: CallQuery| route.set_search.run(next.to_search()));
    let tab = Memo::new(move |_| {
        if in_app {
            query.with(|q| q.tab)
        } else {
            CallTab::Ladder
        }
    });

    // The transaction (and the alias list), keyed on the Call-IDs, API root and time of the URL: a
    // newer key supersedes (and aborts) an older load, so a late answer never shows another call.
    let load_key = Memo::new(move |_| {
        let q = query.get();
        let root = shared_root
            .clone()
            .unwrap_or_else(|| ApiRoot::backend(&q.backend));
        (call_ids.get(), root, q.t)
    });
    let state = keyed_load(load_key, |(ids, root, t)| async move {
        require_call_ids(&ids)?;
        load(&root, &ids, t).await
    });

    view! {
        <h1 class="call-title">
            {move || {
                let ids = call_ids.get();
                match ids.len() {
                    0 => "Call".to_string(),
                    1 => format!("Call {}", ids.first().cloned().unwrap_or_default()),
                    n => format!("{n} calls"),
                }
            }}
        </h1>
        {in_app.then(|| view! { <Tabs query=query route=route/> })}
        {move || (tab.get() == CallTab::Qos).then(|| view! { <QosView route=route/> })}
        {move || if tab.get() == CallTab::Qos { ().into_any() } else { match state.get() {
            LoadState::Loading => view! { <p class="notice" role="status">"Loading the call…"</p> }.into_any(),
            LoadState::Failed(e) => view! {
                <div class="banner error" role="alert"><span>{format!("Cannot load the call: {e}")}</span></div>
            }.into_any(),
            LoadState::Loaded(loaded) => {
                let loaded_for_view = loaded.clone();
                let ladder = Memo::new(move |_| {
                    let q = query.get();
                    Arc::new(layout(
                        &loaded_for_view.messages,
                        &loaded_for_view.aliases,
                        &LadderOptions { lane_mode: q.lanes, filter: q.filter() },
                    ))
                });
                view! {
                    <CallBody loaded=loaded ladder=ladder query=query set_query=set_query zone=zone call_ids=call_ids/>
                }.into_any()
            }
        }}}
    }
}

/// The Ladder and Quality tabs: links to the same view with `tab` changed, so the tab is in the
/// URL and "Copy link" keeps it.
#[component]
fn Tabs(query: Memo<CallQuery>, route: CallRoute) -> impl IntoView {
    let tab = move |which: CallTab, label: &'static str| {
        let href = move || {
            let mut next = query.get();
            next.tab = which;
            format!("{}{}", route.pathname.get(), next.to_search())
        };
        let selected = move || query.with(|q| q.tab == which);
        view! {
            <a role="tab" class="tab" href=href aria-selected=move || selected().to_string()
                class:active=selected>{label}</a>
        }
    };
    view! {
        <nav class="call-tabs" role="tablist" aria-label="Call view">
            {tab(CallTab::Ladder, "Ladder")}
            {tab(CallTab::Qos, "Quality")}
        </nav>
    }
}

/// What the call view loaded.
pub struct Loaded {
    pub messages: Arc<Vec<LadderMessage>>,
    /// The rows the messages came from (the SIPp scenario reads their text).
    pub rows: Vec<HomerRow>,
    pub aliases: AliasTable,
    pub request: TransactionRequest,
    /// Something the user should know about the data (a call without an end, …).
    pub notices: Vec<String>,
}

/// Loads the call through the shared [`load_call`] (the same window, long-call follow-up and
/// notices as `hepscope show`), its requests on `ui::api`'s request path.
async fn load(root: &ApiRoot, ids: &[String], t: Option<i64>) -> Result<Loaded, String> {
    recorder::start_run();
    let fetch = UiFetch::new(root.clone());
    let loaded = load_call(&fetch, ids, CallWindow::from_link(t, now_ms())).await?;
    Ok(Loaded {
        messages: Arc::new(LadderMessage::from_rows(&loaded.rows)),
        rows: loaded.rows,
        aliases: loaded.aliases,
        request: loaded.request,
        notices: loaded.notices,
    })
}

/// The loaded call: toolbar, legend, ladder and the open message.
#[component]
fn CallBody(
    loaded: Arc<Loaded>,
    ladder: Memo<Arc<LadderView>>,
    query: Memo<CallQuery>,
    set_query: Callback<CallQuery>,
    zone: Signal<TimeZone>,
    call_ids: Memo<Vec<String>>,
) -> impl IntoView {
    let debug = expect_context::<Recorder>();
    let notices = loaded.notices.clone();
    let export_loaded = loaded.clone();
    let pane_loaded = loaded.clone();
    let ladder_loaded = loaded.clone();
    view! {
        {notices.into_iter().map(|n| view! { <div class="banner warn" role="status">{n}</div> }).collect_view()}
        <toolbar::Toolbar query=query set_query=set_query ladder=ladder loaded=export_loaded call_ids=call_ids/>
        {move || debug.enabled.get().then(|| view! { <DebugPanel debug=debug/> })}
        <div class="call-layout">
            <Ladder messages=Arc::clone(&ladder_loaded.messages) ladder=ladder query=query set_query=set_query zone=zone/>
            <MessagePane loaded=pane_loaded ladder=ladder query=query set_query=set_query zone=zone/>
        </div>
    }
}
