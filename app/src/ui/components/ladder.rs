//! The ladder (virtualized rows under a sticky host header, each drawing every host's lifeline) with
//! its `/` search and `?` shortcuts: used by the call, analyze and live views.

use std::sync::Arc;

use jiff::tz::TimeZone;
use leptos::prelude::*;

use crate::domain::call_view::CallQuery;
use crate::domain::ladder::{search_rows, step_match, LadderMessage, LadderView, Row, PALETTE};
use crate::domain::results::visible_window;

use super::ladder_search::{is_typing, LadderSearch, ShortcutsDialog};

/// Height of one ladder row in pixels (CSS `.lrow` matches).
const ROW_HEIGHT: f64 = 30.0;

fn colour(index: usize) -> &'static str {
    PALETTE
        .get(index % PALETTE.len().max(1))
        .copied()
        .unwrap_or("#1f6feb")
}

fn lane_x(lane: usize, lanes: usize) -> f64 {
    (lane as f64 + 0.5) / lanes.max(1) as f64 * 100.0
}

fn row_name(row: &Row, time: &str) -> String {
    let mut name = format!("{time} {} from {} to {}", row.label, row.src, row.dst);
    if row.has_sdp {
        name.push_str(", with SDP");
    }
    name
}

/// The ladder of the loaded call, with its search box and shortcuts list.
#[component]
pub fn Ladder(
    /// The call's messages, so the search also reads their raw text; without them (the live
    /// view) it matches labels and Call-IDs.
    #[prop(optional)]
    messages: Option<Arc<Vec<LadderMessage>>>,
    ladder: Memo<Arc<LadderView>>,
    query: Memo<CallQuery>,
    set_query: Callback<CallQuery>,
    zone: Signal<TimeZone>,
) -> impl IntoView {
    let scroll_top = RwSignal::new(0.0_f64);
    let viewport = RwSignal::new(600.0_f64);
    let hovered = RwSignal::new(None::<usize>);
    let container = NodeRef::<leptos::html::Div>::new();
    let count = Signal::derive(move || ladder.with(|l| l.rows.len()));
    let window = Memo::new(move |_| {
        visible_window(
            scroll_top.get(),
            viewport.get(),
            ROW_HEIGHT,
            count.get(),
            10,
        )
    });
    let on_scroll = move |_| {
        if let Some(el) = container.get_untracked() {
            scroll_top.set(f64::from(el.scroll_top()));
            viewport.set(f64::from(el.client_height()));
        }
    };
    Effect::new(move |_| {
        if let Some(el) = container.get() {
            viewport.set(f64::from(el.client_height()).max(ROW_HEIGHT));
        }
    });
    // The row position of the open message, for keyboard moves.
    let open_position = move || {
        let msg = query.with(|q| q.msg)?;
        ladder.with(|l| l.rows.iter().position(|r| r.message == msg))
    };
    let open_at = move |position: usize| {
        let message = ladder.with_untracked(|l| l.rows.get(position).map(|r| r.message));
        if let Some(message) = message {
            let mut next = query.get_untracked();
            next.msg = Some(message);
            set_query.run(next);
            if let Some(el) = container.get_untracked() {
                let top = position as f64 * ROW_HEIGHT;
                let current = f64::from(el.scroll_top());
                let height = f64::from(el.client_height());
                if top < current || top + ROW_HEIGHT > current + height - ROW_HEIGHT {
                    el.set_scroll_top((top - height / 2.0).max(0.0) as i32);
                }
            }
        }
    };
    // `/` search: local state (the open match is in the URL as the open message).
    let search_open = RwSignal::new(false);
    let search_text = RwSignal::new(String::new());
    let shortcuts_open = RwSignal::new(false);
    let search_input = NodeRef::<leptos::html::Input>::new();
    let matches = Memo::new(move |_| {
        let messages = messages.as_ref().map_or(&[][..], |m| m.as_slice());
        search_text.with(|text| ladder.with(|l| search_rows(l, messages, text)))
    });
    let open_position_untracked = move || {
        let msg = query.with_untracked(|q| q.msg)?;
        ladder.with_untracked(|l| l.rows.iter().position(|r| r.message == msg))
    };
    let jump = Callback::new(move |forward: bool| {
        let next = matches.with_untracked(|m| step_match(m, open_position_untracked(), forward));
        if let Some(position) = next {
            open_at(position);
        }
    });
    let close_search = Callback::new(move |()| {
        search_open.set(false);
        if let Some(el) = container.get_untracked() {
            let _ = el.focus();
        }
    });
    Effect::new(move |_| {
        if search_open.get() {
            if let Some(input) = search_input.get() {
                let _ = input.focus();
                input.select();
            }
        }
    });
    let keys = window_event_listener(leptos::ev::keydown, move |ev| {
        if shortcuts_open.get_untracked() {
            if ev.key() == "Escape" {
                ev.prevent_default();
                shortcuts_open.set(false);
            }
            return;
        }
        if is_typing(&ev) || ev.ctrl_key() || ev.meta_key() || ev.alt_key() {
            return;
        }
        match ev.key().as_str() {
            "/" => {
                ev.prevent_default();
                search_open.set(true);
                if let Some(input) = search_input.get_untracked() {
                    let _ = input.focus();
                    input.select();
                }
            }
            "?" => {
                ev.prevent_default();
                shortcuts_open.set(true);
            }
            "n" | "N" if search_open.get_untracked() => {
                ev.prevent_default();
                jump.run(ev.key() == "n");
            }
            "Escape" if search_open.get_untracked() => close_search.run(()),
            _ => {}
        }
    });
    on_cleanup(move || keys.remove());
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        let n = count.get_untracked();
        if n == 0 {
            return;
        }
        let current = open_position();
        match ev.key().as_str() {
            "ArrowDown" | "j" => {
                ev.prevent_default();
                open_at(current.map_or(0, |p| (p + 1).min(n - 1)));
            }
            "ArrowUp" | "k" => {
                ev.prevent_default();
                open_at(current.map_or(0, |p| p.saturating_sub(1)));
            }
            "Home" => open_at(0),
            "End" => open_at(n - 1),
            "Enter" => open_at(current.unwrap_or(0)),
            _ => {}
        }
    };

    let header = move || {
        ladder.with(|l| {
            l.lanes
                .iter()
                .map(|lane| {
                    view! {
                        <div role="columnheader" class="lane-head" title=format!("{} {}", lane.label, lane.sublabel)>
                            <div class="lane-label">{lane.label.clone()}</div>
                            <div class="lane-sub">{lane.sublabel.clone()}</div>
                        </div>
                    }
                })
                .collect_view()
        })
    };
    // The rows in the window, keyed by position: scrolling mounts only the rows entering the window
    // and drops those leaving it. A new ladder, time mode or zone renders them afresh; the open
    // message and the hovered transaction only update classes.
    let time_mode = Memo::new(move |_| query.with(|q| q.time));
    let time_zone = Memo::new(move |_| zone.get());
    let open_msg = Memo::new(move |_| query.with(|q| q.msg));
    let hover_tx = Memo::new(move |_| {
        hovered
            .get()
            .and_then(|h| ladder.with(|l| l.rows.get(h).and_then(|r| r.transaction.clone())))
    });
    let rows = move || {
        let view_now = ladder.get();
        let mode = time_mode.get();
        let tz = time_zone.get();
        let row_view = move |i: usize| {
            let row = view_now.rows.get(i)?;
            let lanes = view_now.lanes.len();
            let time = row.time_text(mode, &tz);
            let name = row_name(row, &time);
            let x1 = lane_x(row.from_lane, lanes);
            let x2 = lane_x(row.to_lane, lanes);
            let stroke = colour(row.colour);
            let message = row.message;
            let transaction = row.transaction.clone();
            let media = row.kind != crate::domain::ladder::MessageKind::Sip;
            let is_open = move || open_msg.get() == Some(message);
            let class = move || {
                let in_tx = transaction.is_some() && hover_tx.with(|h| *h == transaction);
                format!(
                    "lrow{}{}{}",
                    if is_open() { " open" } else { "" },
                    if in_tx { " tx" } else { "" },
                    if media { " media" } else { "" },
                )
            };
            let label = if row.retransmissions + row.duplicates > 0 {
                format!(
                    "{} ×{}",
                    row.label,
                    1 + row.retransmissions + row.duplicates
                )
            } else {
                row.label.clone()
            };
            let (lx, anchor) = if row.is_self_message() {
                (x1 + 2.0, "start")
            } else {
                ((x1 + x2) / 2.0, "middle")
            };
            let arrow = if row.is_self_message() {
                view! { <circle cx=format!("{x1}%") cy="20" r="4" fill=stroke/> }.into_any()
            } else {
                view! {
                    <line x1=format!("{x1}%") x2=format!("{x2}%") y1="20" y2="20" stroke=stroke stroke-width="2"
                        marker-end=format!("url(#arrow-{})", row.colour % PALETTE.len().max(1))/>
                }.into_any()
            };
            let lifelines = (0..lanes)
                .map(|lane| {
                    let x = format!("{}%", lane_x(lane, lanes));
                    view! { <line class="lifeline" x1=x.clone() x2=x y1="0" y2="30"/> }
                })
                .collect_view();
            let sdp = row.has_sdp.then_some(" (SDP)");
            Some(view! {
                <div role="row" class=class aria-label=name aria-selected=move || is_open().to_string()
                    data-message=message
                    on:click=move |_| open_at(i)
                    on:mouseenter=move |_| hovered.set(Some(i))
                    on:mouseleave=move |_| hovered.set(None)>
                    <div role="cell" class="ltime mono">{time}</div>
                    <div role="cell" class="larrow">
                        <svg width="100%" height="30" aria-hidden="true">
                            {lifelines}
                            {arrow}
                            <text x=format!("{lx}%") y="14" text-anchor=anchor class="llabel">
                                {label}{sdp}
                            </text>
                        </svg>
                    </div>
                </div>
            })
        };
        view! {
            <For each=move || { let (start, end) = window.get(); start..end } key=|i| *i children=row_view/>
        }
    };
    let legend = move || {
        ladder.with(|l| {
            (l.legend.len() > 1).then(|| {
                l.legend
                    .iter()
                    .map(|e| view! {
                        <span class="legend-item"><span class="swatch" style=format!("background:{}", colour(e.colour))></span>{e.call_id.clone()}</span>
                    })
                    .collect_view()
            })
        })
    };
    view! {
        <div class="ladder-wrap">
            <div class="ladder-tools">
                <div class="legend" aria-label="Call-IDs">{legend}</div>
                <span class="spacer"></span>
                <button type="button" title="Search the ladder (/)" aria-expanded=move || search_open.get().to_string()
                    on:click=move |_| search_open.update(|o| *o = !*o)>"Search"</button>
                <button type="button" title="Keyboard shortcuts (?)" aria-label="Keyboard shortcuts"
                    on:click=move |_| shortcuts_open.set(true)>"?"</button>
            </div>
            {move || search_open.get().then(|| view! {
                <LadderSearch text=search_text matches=matches current=Signal::derive(open_position)
                    jump=jump close=close_search input=search_input/>
            })}
            {move || shortcuts_open.get().then(|| view! { <ShortcutsDialog open=shortcuts_open/> })}
            <svg width="0" height="0" style="position:absolute" aria-hidden="true">
                <defs>
                    {PALETTE.iter().enumerate().map(|(i, c)| view! {
                        <marker id=format!("arrow-{i}") viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
                            <path d="M 0 0 L 10 5 L 0 10 z" fill=*c/>
                        </marker>
                    }).collect_view()}
                </defs>
            </svg>
            <div class="ladder" role="table" aria-label="SIP ladder" aria-rowcount=move || count.get() + 1
                node_ref=container on:scroll=on_scroll on:keydown=on_key tabindex="0">
                <div role="row" class="lhead">
                    <div role="columnheader" class="ltime">"Time"</div>
                    <div class="lanes" style=move || format!("grid-template-columns: repeat({}, 1fr)", ladder.with(|l| l.lanes.len().max(1)))>
                        {header}
                    </div>
                </div>
                <div style=move || format!("height:{}px", window.get().0 as f64 * ROW_HEIGHT)></div>
                {rows}
                <div style=move || format!("height:{}px", count.get().saturating_sub(window.get().1) as f64 * ROW_HEIGHT)></div>
            </div>
            <p class="notice">{move || ladder.with(|l| {
                let h = l.hidden;
                if h.total() == 0 { format!("{} messages", l.rows.len()) } else {
                    format!("{} messages shown, {} hidden by filters", l.rows.len(), h.total())
                }
            })}</p>
        </div>
    }
}
