//! The result tables of the search (messages) and calls views.

use std::sync::Arc;

use jiff::tz::TimeZone;
use leptos::prelude::*;

use crate::domain::calls::{CallStatus, CallSummary};
use crate::domain::homer::HomerRow;
use crate::domain::results::{format_duration_ms, format_ms, format_us, host_port};
use crate::ui::components::call_link::call_link;
use crate::ui::components::virtual_table::{Column, VirtualTable};

fn col(label: &'static str, key: &'static str) -> Column {
    Column {
        label,
        sort_key: Some(key),
    }
}

/// Messages: time, method or status, from, to, R-URI, user agent, source → destination, Call-ID.
#[component]
pub fn MessagesTable(
    rows: Memo<Arc<Vec<HomerRow>>>,
    zone: Signal<TimeZone>,
    sort: Signal<Option<(String, bool)>>,
    on_sort: Callback<&'static str>,
) -> impl IntoView {
    let columns = vec![
        col("Time", "time"),
        col("Method / status", "method"),
        col("From", "from"),
        col("To", "to"),
        col("R-URI", "ruri"),
        col("User agent", "ua"),
        col("Source", "src"),
        col("Destination", "dst"),
        col("Call-ID", "callid"),
    ];
    let render_row = move |i: usize| {
        let row = rows.with(|r| r.get(i).cloned());
        row.map(|row| {
            let time = row
                .time_us()
                .map(|us| format_us(us, &zone.get_untracked()))
                .unwrap_or_default();
            let link = call_link(std::slice::from_ref(&row.sid), "", row.time_ms());
            view! {
                <tr class="vrow" aria-rowindex=i + 2>
                    <td class="mono">{time}</td>
                    <td>{row.method.clone()}</td>
                    <td>{row.from_user.clone()}</td>
                    <td>{row.to_user.clone()}</td>
                    <td>{row.ruri_user.clone()}</td>
                    <td class="ellipsis" title=row.user_agent.clone()>{row.user_agent.clone()}</td>
                    <td class="mono">{host_port(&row.src_ip, row.src_port)}</td>
                    <td class="mono">{host_port(&row.dst_ip, row.dst_port)}</td>
                    <td class="mono ellipsis"><a href=link>{row.sid.clone()}</a></td>
                </tr>
            }
        })
    };
    view! {
        <VirtualTable caption="Messages" columns=columns
            row_count=Signal::derive(move || rows.with(|r| r.len()))
            data_key=Signal::derive(move || {
                // A new time zone renders the rows again too.
                zone.track();
                rows.with(|r| Arc::as_ptr(r) as usize)
            })
            sort=sort on_sort=on_sort render_row=render_row />
    }
}

fn status_class(status: CallStatus) -> &'static str {
    match status {
        CallStatus::Answered => "status answered",
        CallStatus::Busy | CallStatus::Cancelled | CallStatus::NoAnswer => "status unanswered",
        CallStatus::Failed { .. } | CallStatus::Unauthorized { .. } | CallStatus::NoResponse => {
            "status failed"
        }
        _ => "status other",
    }
}

/// Calls: one row per Call-ID with status, duration and post-dial delay; several can be selected and
/// opened together.
#[component]
pub fn CallsTable(
    calls: Memo<Arc<Vec<CallSummary>>>,
    zone: Signal<TimeZone>,
    sort: Signal<Option<(String, bool)>>,
    on_sort: Callback<&'static str>,
    selected: Signal<Vec<String>>,
    on_select: Callback<(String, bool)>,
    backend: Signal<String>,
) -> impl IntoView {
    let columns = vec![
        Column {
            label: "Select",
            sort_key: None,
        },
        col("Time", "time"),
        col("Caller", "caller"),
        col("Callee", "callee"),
        col("Status", "status"),
        col("Duration", "duration"),
        col("PDD", "pdd"),
        col("Messages", "messages"),
        col("Direction", "direction"),
        col("Call-ID", "callid"),
    ];
    let render_row = move |i: usize| {
        let call = calls.with(|c| c.get(i).cloned());
        call.map(|call| {
            let id = call.call_id.clone();
            let id_check = id.clone();
            let id_change = id.clone();
            let link = call_link(std::slice::from_ref(&id), &backend.get_untracked(), Some(call.first_ts_ms));
            let route = match (&call.src, &call.dst) {
                (Some(s), Some(d)) => format!("{s} → {d}"),
                _ => String::new(),
            };
            view! {
                <tr class="vrow" aria-rowindex=i + 2>
                    <td>
                        <input type="checkbox" aria-label=format!("Select call {id}")
                            prop:checked=move || selected.with(|s| s.contains(&id_check))
                            on:change=move |ev| on_select.run((id_change.clone(), event_target_checked(&ev))) />
                    </td>
                    <td class="mono">{format_ms(call.first_ts_ms, &zone.get_untracked())}</td>
                    <td>{call.caller.clone()}</td>
                    <td>{call.callee.clone()}</td>
                    <td><span class=status_class(call.status)>{call.status.to_string()}</span></td>
                    <td>{call.duration_ms.map(format_duration_ms).unwrap_or_default()}</td>
                    <td>{call.post_dial_delay_ms.map(format_duration_ms).unwrap_or_default()}</td>
                    <td>{call.message_count}</td>
                    <td class="mono ellipsis" title=route>{call.direction.clone()}</td>
                    <td class="mono ellipsis"><a href=link>{id}</a></td>
                </tr>
            }
        })
    };
    let open_selected = move || {
        let ids = selected.get();
        let first = calls.with(|c| {
            c.iter()
                .filter(|call| ids.contains(&call.call_id))
                .map(|call| call.first_ts_ms)
                .min()
        });
        (ids.len(), call_link(&ids, &backend.get(), first))
    };
    view! {
        <div class="selection-bar">
            {move || {
                let (n, href) = open_selected();
                (n > 0).then(|| view! {
                    <a class="button primary" href=href>{format!("Open {n} selected call{} together", if n == 1 { "" } else { "s" })}</a>
                })
            }}
        </div>
        <VirtualTable caption="Calls" columns=columns
            row_count=Signal::derive(move || calls.with(|c| c.len()))
            data_key=Signal::derive(move || {
                // Rows show the time zone and link to the backend: either one renders them again.
                zone.track();
                backend.track();
                calls.with(|c| Arc::as_ptr(c) as usize)
            })
            sort=sort on_sort=on_sort render_row=render_row />
    }
}
