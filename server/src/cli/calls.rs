//! `hepscope calls`: one line per Call-ID (time, caller, callee, status by dex's rules, duration,
//! PDD, messages, direction), grouped by the browser's `app::domain::calls` and with the same
//! alias-named directions and JSON as its calls view.

use app::domain::calls::CallSummary;
use app::domain::query::{ResultView, SearchOutcome};
use app::domain::results::{calls_download, format_duration_ms, format_ms};

use super::backend::Conn;
use super::output::{self, Printer};
use super::search::{compile_filters, download, name_calls, run_compiled, FilterArgs};
use super::CliError;

/// `hepscope calls`.
///
/// # Errors
/// See [`CliError`]; no calls is exit 1.
pub async fn run(conn: &Conn, filters: &FilterArgs, printer: &Printer) -> Result<(), CliError> {
    let compiled = compile_filters(conn, filters, ResultView::Calls, printer).await?;
    let run = run_compiled(conn, &compiled).await?;
    let SearchOutcome::Calls(mut calls) = run.outcome else {
        return Err(CliError::Local(
            "the search answered messages, not calls".into(),
        ));
    };
    if !calls.is_empty() {
        name_calls(conn, &mut calls).await;
    }
    match filters.output {
        Some(format) => output::print(&output::download_text(calls_download(
            &calls,
            &printer.tz,
            download(format),
        ))),
        None if calls.is_empty() => {}
        None => output::print(&calls_table(&calls, printer)),
    }
    if calls.is_empty() {
        return Err(CliError::NoResults(
            "no calls match these filters in this time range".into(),
        ));
    }
    Ok(())
}

/// The calls table.
pub fn calls_table(calls: &[CallSummary], printer: &Printer) -> String {
    let cells: Vec<Vec<String>> = calls
        .iter()
        .map(|c| {
            vec![
                format_ms(c.first_ts_ms, &printer.tz),
                c.caller.clone(),
                c.callee.clone(),
                c.status.to_string(),
                c.duration_ms.map(format_duration_ms).unwrap_or_default(),
                c.post_dial_delay_ms
                    .map(format_duration_ms)
                    .unwrap_or_default(),
                c.message_count.to_string(),
                c.direction.clone(),
                c.call_id.clone(),
            ]
        })
        .collect();
    printer.table(
        &[
            "TIME",
            "CALLER",
            "CALLEE",
            "STATUS",
            "DURATION",
            "PDD",
            "MSGS",
            "DIRECTION",
            "CALL-ID",
        ],
        &cells,
        &|col, cell| (col == 3).then(|| status_colour(cell)).flatten(),
    )
}

fn status_colour(status: &str) -> Option<&'static str> {
    match status {
        "answered" => Some("32"),
        s if s.starts_with("failed") => Some("31"),
        "ringing" | "busy" | "cancelled" | "no answer" => Some("33"),
        _ => None,
    }
}
