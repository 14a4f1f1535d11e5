//! `/live`: SIP and other HEP traffic as it is captured, from `/api/v4/stream/hep`. Filters and the
//! followed Call-ID live in the URL; the table keeps the newest events (older ones are dropped and
//! counted), can be paused, shows the event rate and drops, and `?follow=<Call-ID>` turns it into a
//! ladder of that call that grows as messages arrive.

use std::sync::Arc;

use jiff::tz::TimeZone;
use leptos::prelude::*;
use leptos_router::hooks::{use_location, use_navigate};
use leptos_router::NavigateOptions;

use crate::domain::call_view::CallQuery;
use crate::domain::ladder::{layout, AliasTable, LadderMessage, LadderOptions};
use crate::domain::live::{
    to_ladder_message, Frame, LiveBuffer, LiveEvent, LiveQuery, Proto, RateMeter, StreamStats,
    MAX_HISTORY,
};
use crate::domain::results::{format_ms, host_port};
use crate::ui::api;
use crate::ui::components::virtual_table::{Column, VirtualTable};

use crate::ui::components::call_link::call_link;
use crate::ui::components::ladder::Ladder;

mod socket;

use socket::{Batch, LinkState};

/// Methods offered by the filter: the ones the SIP scanner knows.
use crate::domain::sip::KNOWN_METHOD_NAMES as METHODS;
/// Messages kept for the live ladder.
const LADDER_CAP: usize = 2_000;

fn now_ms() -> i64 {
    // Date.now() is a whole number of ms well within i64.
    js_sys::Date::now() as i64
}

/// Everything the stream feeds.
#[derive(Clone, Copy)]
struct LiveState {
    buffer: RwSignal<LiveBuffer>,
    ladder: RwSignal<Vec<LadderMessage>>,
    link: RwSignal<LinkState>,
    stats: RwSignal<Option<StreamStats>>,
    rate: RwSignal<f64>,
    unreadable: RwSignal<u64>,
}

impl LiveState {
    fn new() -> Self {
        Self {
            buffer: RwSignal::new(LiveBuffer::default()),
            ladder: RwSignal::new(Vec::new()),
            link: RwSignal::new(LinkState::Connecting),
            stats: RwSignal::new(None),
            rate: RwSignal::new(0.0),
            unreadable: RwSignal::new(0),
        }
    }

    /// Takes one tick's frames; false once the page is gone.
    fn take(self, batch: Batch, follow: Option<&str>, meter: &mut RateMeter) -> bool {
        let mut events: Vec<LiveEvent> = Vec::new();
        for frame in batch.frames {
            match frame {
                Frame::Event(e) => events.push(*e),
                Frame::Stats(s) => {
                    if self.stats.try_set(Some(s)).is_some() {
                        return false;
                    }
                }
            }
        }
        let now = now_ms();
        meter.record(now, events.len() as u64);
        if self.rate.try_set(meter.rate(now)).is_some() {
            return false;
        }
        if batch.unreadable > 0 {
            self.unreadable.try_update(|n| *n += batch.unreadable);
        }
        if events.is_empty() {
            return true;
        }
        if let Some(id) = follow {
            let added: Vec<LadderMessage> = events
                .iter()
                .filter(|e| e.call_id() == id)
                .map(to_ladder_message)
                .collect();
            if !added.is_empty() {
                self.ladder.try_update(|l| {
                    l.extend(added);
                    let excess = l.len().saturating_sub(LADDER_CAP);
                    l.drain(..excess);
                });
            }
        }
        self.buffer
            .try_update(|b| events.into_iter().for_each(|e| b.push(e)))
            .is_some()
    }
}

/// The live view.
#[component]
pub fn LivePage() -> impl IntoView {
    let location = use_location();
    let navigate = use_navigate();
    let query = Memo::new(move |_| LiveQuery::from_query_string(&location.search.get()));
    let set_query = Callback::new(move |next: LiveQuery| {
        navigate(
            &format!("/live{}", next.to_search()),
            NavigateOptions {
                replace: true,
                scroll: false,
                ..Default::default()
            },
        );
    });
    let state = LiveState::new();
    let stream_url =
        Memo::new(move |_| query.with(|q| (api::live_stream_url(q), q.follow.clone())));
    // One connection per stream address: the task runs under this effect's owner, so a new address
    // (or leaving the page) cleans it up, which drops the task and closes its socket.
    Effect::new(move |_| {
        let (url, follow) = stream_url.get();
        state.buffer.update(LiveBuffer::clear);
        state.ladder.set(Vec::new());
        state.stats.set(None);
        leptos::task::spawn_local_scoped_with_cancellation(async move {
            let meter = std::cell::RefCell::new(RateMeter::default());
            socket::run(
                url,
                |link| {
                    if link != LinkState::Connected {
                        state.rate.try_set(0.0);
                    }
                    state.link.try_set(link).is_none()
                },
                |batch| state.take(batch, follow.as_deref(), &mut meter.borrow_mut()),
            )
            .await;
        });
    });

    view! {
        <h1>{move || match query.with(|q| q.follow.clone()) {
            Some(id) => format!("Live call {id}"),
            None => "Live".to_owned(),
        }}</h1>
        <Filters query=query set_query=set_query/>
        <StatusBar state=state/>
        {move || match query.with(|q| q.follow.clone()) {
            Some(id) => view! { <LiveLadder state=state call_id=id query=query set_query=set_query/> }.into_any(),
            None => view! { <LiveTable state=state query=query set_query=set_query/> }.into_any(),
        }}
    }
}

/// Protocol, methods, only requests and history.
#[component]
fn Filters(query: Memo<LiveQuery>, set_query: Callback<LiveQuery>) -> impl IntoView {
    let change = move |edit: &dyn Fn(&mut LiveQuery)| {
        let mut next = query.get_untracked();
        edit(&mut next);
        set_query.run(next);
    };
    view! {
        <form class="live-filters panel" aria-label="Live filters" on:submit=|ev| ev.prevent_default()>
            <label class="field">
                <span>"Protocol"</span>
                <select name="proto" on:change=move |ev| {
                    let value = event_target_value(&ev);
                    change(&|q| q.proto = value.parse().ok().and_then(Proto::from_id));
                }>
                    <option value="" selected=move || query.with(|q| q.proto.is_none())>"All"</option>
                    {Proto::ALL.into_iter().map(|p| view! {
                        <option value=p.id().to_string() selected=move || query.with(|q| q.proto == Some(p))>{p.label()}</option>
                    }).collect_view()}
                </select>
            </label>
            <fieldset class="live-methods">
                <legend>"Methods"</legend>
                {METHODS.iter().map(|m| view! {
                    <label class="check">
                        <input type="checkbox" prop:checked=move || query.with(|q| q.methods.iter().any(|x| x == m))
                            on:change=move |ev| {
                                let on = event_target_checked(&ev);
                                change(&|q| if on { q.add_method(m) } else { q.methods.retain(|x| x != m) });
                            }/>
                        {*m}
                    </label>
                }).collect_view()}
            </fieldset>
            <label class="check">
                <input type="checkbox" prop:checked=move || query.with(|q| q.only_requests)
                    on:change=move |ev| {
                        let on = event_target_checked(&ev);
                        change(&|q| q.only_requests = on);
                    }/>
                "Only requests"
            </label>
            <label class="field">
                <span>"History"</span>
                <input name="history" type="number" min="0" max=MAX_HISTORY.to_string()
                    prop:value=move || query.with(|q| q.history.to_string())
                    on:change=move |ev| {
                        if let Ok(n) = event_target_value(&ev).trim().parse::<u32>() {
                            change(&|q| q.history = n.min(MAX_HISTORY));
                        }
                    }/>
            </label>
        </form>
    }
}

/// Connection, rate, pause and drops.
#[component]
fn StatusBar(state: LiveState) -> impl IntoView {
    let paused = Memo::new(move |_| state.buffer.with(LiveBuffer::is_paused));
    let toggle = move |_| {
        state.buffer.update(|b| {
            if b.is_paused() {
                b.resume();
            } else {
                b.pause();
            }
        });
    };
    view! {
        <div class="live-status" role="group" aria-label="Live status">
            {move || match state.link.get() {
                LinkState::Connecting => view! { <span class="live-link" role="status">"Connecting…"</span> }.into_any(),
                LinkState::Connected => view! { <span class="live-link ok" role="status">"Connected"</span> }.into_any(),
                LinkState::Disconnected { retry_in_s } => view! {
                    <span class="live-link bad" role="alert">{format!("Disconnected — reconnecting in {retry_in_s} s")}</span>
                }.into_any(),
            }}
            <span data-testid="live-rate">{move || format!("{:.1} events/s", state.rate.get())}</span>
            <button type="button" on:click=toggle aria-pressed=move || paused.get().to_string()>
                {move || if paused.get() { "Resume" } else { "Pause" }}
            </button>
            {move || state.buffer.with(|b| (b.is_paused()).then(|| {
                format!("Paused — {} new events waiting", b.waiting())
            }))}
        </div>
        {move || state.buffer.with(|b| (b.dropped() > 0).then(|| view! {
            <div class="banner warn" role="status">{format!(
                "Showing the newest {} events; {} older ones were dropped.", b.cap(), b.dropped()
            )}</div>
        }))}
        {move || state.stats.get().filter(|s| s.dropped() > 0).map(|s| view! {
            <div class="banner warn" role="status">{format!(
                "The server dropped {} events for this view ({} because it could not keep up, {} by its rate limit).",
                s.dropped(), s.dropped_backpressure, s.dropped_rate
            )}</div>
        })}
        {move || (state.unreadable.get() > 0).then(|| view! {
            <div class="banner warn" role="status">{format!("{} unreadable stream messages were skipped.", state.unreadable.get())}</div>
        })}
    }
}

fn col(label: &'static str) -> Column {
    Column {
        label,
        sort_key: None,
    }
}

/// The newest events first.
#[component]
fn LiveTable(
    state: LiveState,
    query: Memo<LiveQuery>,
    set_query: Callback<LiveQuery>,
) -> impl IntoView {
    let zone = TimeZone::system();
    let count = Signal::derive(move || state.buffer.with(LiveBuffer::len));
    let render_row = move |i: usize| {
        let event = state.buffer.with(|b| b.newest(i).cloned());
        event.map(|e| {
            let call_id = e.call_id().to_owned();
            let cseq_method = e
                .sip
                .as_ref()
                .filter(|_| e.is_response())
                .map(|s| s.method.clone());
            let (from, to) = e
                .sip
                .as_ref()
                .map(|s| (s.from_user.clone(), s.to_user.clone()))
                .unwrap_or_default();
            let id_cell = (!call_id.is_empty()).then(|| {
                let link = call_link(std::slice::from_ref(&call_id), "", Some(e.ts));
                let follow_id = call_id.clone();
                // The button first: a long Call-ID is cut at the cell's end.
                view! {
                    <button type="button" class="link" title="Follow this call as a live ladder"
                        on:click=move |_| {
                            let mut next = query.get_untracked();
                            next.follow = Some(follow_id.clone());
                            set_query.run(next);
                        }>"Follow"</button>
                    " "
                    <a href=link title=call_id.clone()>{call_id.clone()}</a>
                }
            });
            view! {
                <tr class="vrow" data-testid="live-row" aria-rowindex=i + 2>
                    <td class="mono">{format_ms(e.ts, &zone)}</td>
                    <td class="mono">{format!("{} → {}", host_port(&e.src_ip, e.src_port), host_port(&e.dst_ip, e.dst_port))}</td>
                    <td class="live-method">{e.label()}
                        {cseq_method.map(|m| view! { <span class="notice">{format!(" ({m})")}</span> })}
                    </td>
                    <td>{from}</td>
                    <td>{to}</td>
                    <td class="ellipsis">{id_cell}</td>
                </tr>
            }
        })
    };
    view! {
        {move || (count.get() == 0).then(|| view! {
            <p class="notice" role="status">"Waiting for traffic that matches the filters…"</p>
        })}
        <VirtualTable
            caption="Live events"
            columns=vec![col("Time"), col("Source → destination"), col("Method / status"), col("From"), col("To"), col("Call-ID")]
            row_count=count
            sort=Signal::derive(|| None)
            on_sort=Callback::new(|_: &'static str| {})
            render_row=render_row
            prepended=Signal::derive(move || state.buffer.with(LiveBuffer::shown_total))
        />
    }
}

/// The followed call's ladder, growing as messages arrive.
#[component]
fn LiveLadder(
    state: LiveState,
    call_id: String,
    query: Memo<LiveQuery>,
    set_query: Callback<LiveQuery>,
) -> impl IntoView {
    let ladder_query = RwSignal::new(CallQuery::default());
    let ladder_memo = Memo::new(move |_| ladder_query.get());
    let set_ladder_query = Callback::new(move |q: CallQuery| ladder_query.set(q));
    let view_model = Memo::new(move |_| {
        let options = ladder_query.with(|q| LadderOptions {
            lane_mode: q.lanes,
            filter: q.filter(),
        });
        Arc::new(
            state
                .ladder
                .with(|m| layout(m, &AliasTable::default(), &options)),
        )
    });
    let zone = Signal::derive(TimeZone::system);
    let first_ts = move || {
        state
            .ladder
            .with(|m| m.iter().map(|m| m.time_us / 1000).min())
    };
    let id_for_link = call_id.clone();
    view! {
        <div class="live-follow">
            <button type="button" on:click=move |_| {
                let mut next = query.get_untracked();
                next.follow = None;
                set_query.run(next);
            }>"Back to all traffic"</button>
            <a href=move || call_link(std::slice::from_ref(&id_for_link), "", first_ts())>"Open in the call view"</a>
            <span class="notice">{move || format!("{} messages", state.ladder.with(Vec::len))}</span>
        </div>
        {move || state.ladder.with(Vec::is_empty).then(|| view! {
            <p class="notice" role="status">{format!("Waiting for messages of {call_id}…")}</p>
        })}
        <Ladder ladder=view_model query=ladder_memo set_query=set_ladder_query zone=zone/>
    }
}
