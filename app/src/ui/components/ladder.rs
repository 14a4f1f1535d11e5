//! The ladder (virtualized rows under a sticky host header, each drawing every host's lifeline) with
//! its `/` search and `?` shortcuts: used by the call, analyze and live views.

use std::sync::Arc;

use jiff::tz::TimeZone;
use leptos::prelude::*;

use crate::domain::call_view::CallQuery;
use crate::domain::ladder::{
    search_rows, step_match, LadderMessage, LadderView, Row, TransactionKey, PALETTE,
};

use super::ladder_search::{is_typing, LadderSearch, ShortcutsDialog};
use super::virtual_table::VirtualWindow;

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

/// What the ladder's parts share: the view, its URL state and the scroller. Cheap handles.
#[derive(Clone, Copy)]
struct LadderCtx {
    ladder: Memo<Arc<LadderView>>,
    query: Memo<CallQuery>,
    set_query: Callback<CallQuery>,
    scroller: VirtualWindow,
    hovered: RwSignal<Option<usize>>,
}

impl LadderCtx {
    /// The row position of the open message.
    fn open_position(self) -> Option<usize> {
        let msg = self.query.with(|q| q.msg)?;
        self.ladder
            .with(|l| l.rows.iter().position(|r| r.message == msg))
    }

    fn open_position_untracked(self) -> Option<usize> {
        untrack(|| self.open_position())
    }

    /// Opens the message of row `position` (in the URL) and scrolls it into view.
    fn open_at(self, position: usize) {
        let message = self
            .ladder
            .with_untracked(|l| l.rows.get(position).map(|r| r.message));
        if let Some(message) = message {
            let mut next = self.query.get_untracked();
            next.msg = Some(message);
            self.set_query.run(next);
            self.scroller.reveal(position);
        }
    }
}

/// The `/` search and `?` shortcuts: local state (the open match is in the URL as the open message).
#[derive(Clone, Copy)]
struct SearchState {
    open: RwSignal<bool>,
    text: RwSignal<String>,
    shortcuts_open: RwSignal<bool>,
    input: NodeRef<leptos::html::Input>,
    matches: Memo<Vec<usize>>,
    jump: Callback<bool>,
    close: Callback<()>,
}

/// The search state, and the window's `/`, `?`, `n`/`N` and Escape keys.
fn use_ladder_search(ctx: LadderCtx, messages: Option<Arc<Vec<LadderMessage>>>) -> SearchState {
    let open = RwSignal::new(false);
    let text = RwSignal::new(String::new());
    let shortcuts_open = RwSignal::new(false);
    let input = NodeRef::<leptos::html::Input>::new();
    let matches = Memo::new(move |_| {
        let messages = messages.as_ref().map_or(&[][..], |m| m.as_slice());
        text.with(|text| ctx.ladder.with(|l| search_rows(l, messages, text)))
    });
    let jump = Callback::new(move |forward: bool| {
        let next =
            matches.with_untracked(|m| step_match(m, ctx.open_position_untracked(), forward));
        if let Some(position) = next {
            ctx.open_at(position);
        }
    });
    let close = Callback::new(move |()| {
        open.set(false);
        if let Some(el) = ctx.scroller.container.get_untracked() {
            let _ = el.focus();
        }
    });
    let focus_input = move |input: Option<web_sys::HtmlInputElement>| {
        if let Some(input) = input {
            let _ = input.focus();
            input.select();
        }
    };
    Effect::new(move |_| {
        if open.get() {
            focus_input(input.get());
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
                open.set(true);
                focus_input(input.get_untracked());
            }
            "?" => {
                ev.prevent_default();
                shortcuts_open.set(true);
            }
            "n" | "N" if open.get_untracked() => {
                ev.prevent_default();
                jump.run(ev.key() == "n");
            }
            "Escape" if open.get_untracked() => close.run(()),
            _ => {}
        }
    });
    on_cleanup(move || keys.remove());
    SearchState {
        open,
        text,
        shortcuts_open,
        input,
        matches,
        jump,
        close,
    }
}

/// The ladder's own keys (focus on the ladder): j/k and arrows move, Home/End, Enter opens.
fn on_ladder_key(ctx: LadderCtx, ev: leptos::ev::KeyboardEvent) {
    let n = ctx.ladder.with_untracked(|l| l.rows.len());
    if n == 0 {
        return;
    }
    let current = ctx.open_position_untracked();
    match ev.key().as_str() {
        "ArrowDown" | "j" => {
            ev.prevent_default();
            ctx.open_at(current.map_or(0, |p| (p + 1).min(n - 1)));
        }
        "ArrowUp" | "k" => {
            ev.prevent_default();
            ctx.open_at(current.map_or(0, |p| p.saturating_sub(1)));
        }
        "Home" => ctx.open_at(0),
        "End" => ctx.open_at(n - 1),
        "Enter" => ctx.open_at(current.unwrap_or(0)),
        _ => {}
    }
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
    let count = Signal::derive(move || ladder.with(|l| l.rows.len()));
    let ctx = LadderCtx {
        ladder,
        query,
        set_query,
        scroller: VirtualWindow::new(ROW_HEIGHT, count, 10),
        hovered: RwSignal::new(None),
    };
    let search = use_ladder_search(ctx, messages);
    let scroller = ctx.scroller;
    view! {
        <div class="ladder-wrap">
            <div class="ladder-tools">
                <div class="legend" aria-label="Call-IDs"><Legend ladder=ladder/></div>
                <span class="spacer"></span>
                <button type="button" title="Search the ladder (/)" aria-expanded=move || search.open.get().to_string()
                    on:click=move |_| search.open.update(|o| *o = !*o)>"Search"</button>
                <button type="button" title="Keyboard shortcuts (?)" aria-label="Keyboard shortcuts"
                    on:click=move |_| search.shortcuts_open.set(true)>"?"</button>
            </div>
            {move || search.open.get().then(|| view! {
                <LadderSearch text=search.text matches=search.matches current=Signal::derive(move || ctx.open_position())
                    jump=search.jump close=search.close input=search.input/>
            })}
            {move || search.shortcuts_open.get().then(|| view! { <ShortcutsDialog open=search.shortcuts_open/> })}
            <ArrowMarkers/>
            <div class="ladder" role="table" aria-label="SIP ladder" aria-rowcount=move || count.get() + 1
                node_ref=scroller.container on:scroll=move |_| scroller.on_scroll()
                on:keydown=move |ev| on_ladder_key(ctx, ev) tabindex="0">
                <LaneHeader ladder=ladder/>
                <div style=move || format!("height:{}px", scroller.above_px())></div>
                <LadderRows ctx=ctx zone=zone/>
                <div style=move || format!("height:{}px", scroller.below_px())></div>
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

/// The sticky row of host names.
#[component]
fn LaneHeader(ladder: Memo<Arc<LadderView>>) -> impl IntoView {
    let lanes = move || {
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
    view! {
        <div role="row" class="lhead">
            <div role="columnheader" class="ltime">"Time"</div>
            <div class="lanes" style=move || format!("grid-template-columns: repeat({}, 1fr)", ladder.with(|l| l.lanes.len().max(1)))>
                {lanes}
            </div>
        </div>
    }
}

/// One colour swatch per Call-ID when the ladder shows several.
#[component]
fn Legend(ladder: Memo<Arc<LadderView>>) -> impl IntoView {
    move || {
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
    }
}

/// One arrowhead marker per palette colour.
#[component]
fn ArrowMarkers() -> impl IntoView {
    view! {
        <svg width="0" height="0" style="position:absolute" aria-hidden="true">
            <defs>
                {PALETTE.iter().enumerate().map(|(i, c)| view! {
                    <marker id=format!("arrow-{i}") viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
                        <path d="M 0 0 L 10 5 L 0 10 z" fill=*c/>
                    </marker>
                }).collect_view()}
            </defs>
        </svg>
    }
}

/// The rows in the scroller's window, keyed by position: scrolling mounts only the rows entering
/// the window and drops those leaving it. A new ladder, time mode or zone renders them afresh; the
/// open message and the hovered transaction only update classes.
#[component]
fn LadderRows(ctx: LadderCtx, zone: Signal<TimeZone>) -> impl IntoView {
    let time_mode = Memo::new(move |_| ctx.query.with(|q| q.time));
    let time_zone = Memo::new(move |_| zone.get());
    let open_msg = Memo::new(move |_| ctx.query.with(|q| q.msg));
    let hover_tx = Memo::new(move |_| {
        ctx.hovered.get().and_then(|h| {
            ctx.ladder
                .with(|l| l.rows.get(h).and_then(|r| r.transaction.clone()))
        })
    });
    move || {
        let view_now = ctx.ladder.get();
        let mode = time_mode.get();
        let tz = time_zone.get();
        let row_view = move |i: usize| {
            let row = view_now.rows.get(i)?;
            let time = row.time_text(mode, &tz);
            Some(ladder_row(
                ctx,
                i,
                row,
                view_now.lanes.len(),
                time,
                open_msg,
                hover_tx,
            ))
        };
        view! {
            <For each=move || { let (start, end) = ctx.scroller.window.get(); start..end } key=|i| *i children=row_view/>
        }
    }
}

/// Row `i`: its time, the arrow between two lanes (a dot for a message to itself) with its label,
/// and every lane's lifeline.
fn ladder_row(
    ctx: LadderCtx,
    i: usize,
    row: &Row,
    lanes: usize,
    time: String,
    open_msg: Memo<Option<usize>>,
    hover_tx: Memo<Option<TransactionKey>>,
) -> impl IntoView {
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
    let repeats = row.retransmissions + row.duplicates;
    let label = if repeats > 0 {
        format!("{} ×{}", row.label, 1 + repeats)
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
    view! {
        <div role="row" class=class aria-label=name aria-selected=move || is_open().to_string()
            data-message=message
            on:click=move |_| ctx.open_at(i)
            on:mouseenter=move |_| ctx.hovered.set(Some(i))
            on:mouseleave=move |_| ctx.hovered.set(None)>
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
    }
}
