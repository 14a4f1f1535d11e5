//! `hepscope show CALL-ID...`: the ladder as text lines (time, source, arrow, destination, method or
//! status, aliases where known); several Call-IDs merged and time-sorted; `--raw` prints whole
//! messages; `--sipp` writes a SIPp scenario instead. Loading and layout are the call view's
//! (`app::domain::call_load`, `app::domain::ladder` with the view's default filters).

use app::domain::call_load::{load_call, CallWindow, LoadedCall};
use app::domain::call_view::{file_stem, CallQuery};
use app::domain::homer::TimeWindow;
use app::domain::ladder::{layout, AliasTable, LadderMessage, LadderOptions, LadderView, LaneMode};
use app::domain::query::{resolve_range, Input};
use app::domain::results::{format_us, host_port};
use app::domain::sipp::{sipp_scenario, SippRole};
use clap::{Args, ValueEnum};

use super::backend::Conn;
use super::output::{self, Printer};
use super::CliError;

/// dex's window of `show`, `export`, `qos`: `--from 10d --to now`.
#[derive(Args, Debug, Clone)]
pub struct WindowArgs {
    /// Start: a duration ago or a time.
    #[arg(long = "from", default_value = "10d", value_name = "TIME")]
    pub from: String,
    /// End: a duration ago or a time [default: now].
    #[arg(long = "to", value_name = "TIME")]
    pub to: Option<String>,
}

impl WindowArgs {
    /// The window in epoch ms.
    ///
    /// # Errors
    /// Unreadable times (exit 2).
    pub fn window(&self, printer: &Printer) -> Result<TimeWindow, CliError> {
        let to = self.to.clone().unwrap_or_default();
        let range = resolve_range(&self.from, &to, "", jiff::Timestamp::now(), &printer.tz)
            .map_err(|e| {
                let name = if e.input == Input::Until {
                    "--to"
                } else {
                    "--from"
                };
                CliError::Usage(format!("{name}: {e}"))
            })?;
        Ok(TimeWindow::new(range.from_ms, range.to_ms))
    }
}

/// Which side a SIPp scenario plays.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum Role {
    /// The first INVITE's sender.
    #[default]
    Uac,
    /// Its receiver.
    Uas,
}

/// `hepscope show` flags.
#[derive(Args, Debug, Clone)]
pub struct ShowArgs {
    /// One or more Call-IDs (merged into one ladder).
    #[arg(required = true, value_name = "CALL-ID")]
    pub call_ids: Vec<String>,
    /// Print each message in full (headers and SDP).
    #[arg(long)]
    pub raw: bool,
    /// Print a SIPp scenario (XML for `sipp -sf`) of one side of the first INVITE's hop.
    #[arg(long)]
    pub sipp: bool,
    /// The side the SIPp scenario plays.
    #[arg(long = "sipp-role", value_enum, default_value_t = Role::Uac, requires = "sipp")]
    pub sipp_role: Role,
    #[command(flatten)]
    pub window: WindowArgs,
}

/// Loads Call-IDs in the window.
///
/// # Errors
/// Backend errors (exit 3); no message at all (exit 1).
pub async fn load(conn: &Conn, ids: &[String], window: TimeWindow) -> Result<LoadedCall, CliError> {
    let loaded = load_call(conn, ids, CallWindow::Range(window))
        .await
        .map_err(|e| {
            if e.starts_with("no messages for") {
                CliError::NoResults(e)
            } else {
                CliError::Backend(e)
            }
        })?;
    for notice in &loaded.notices {
        output::notice(notice);
    }
    Ok(loaded)
}

/// The call view's default ladder of the rows.
pub fn ladder(messages: &[LadderMessage], aliases: &AliasTable) -> LadderView {
    layout(
        messages,
        aliases,
        &LadderOptions {
            lane_mode: LaneMode::HostPort,
            filter: CallQuery::default().filter(),
        },
    )
}

/// `hepscope show`.
///
/// # Errors
/// See [`CliError`].
pub async fn run(conn: &Conn, args: &ShowArgs, printer: &Printer) -> Result<(), CliError> {
    let window = args.window.window(printer)?;
    let loaded = load(conn, &args.call_ids, window).await?;
    if args.sipp {
        let role = match args.sipp_role {
            Role::Uac => SippRole::Uac,
            Role::Uas => SippRole::Uas,
        };
        let xml = sipp_scenario(&loaded.rows, role, &file_stem(&args.call_ids))
            .map_err(|e| CliError::NoResults(e.to_string()))?;
        output::print(&xml);
        return Ok(());
    }
    let messages = LadderMessage::from_rows(&loaded.rows);
    let view = ladder(&messages, &loaded.aliases);
    output::print(&ladder_text(
        &view,
        &messages,
        &loaded.aliases,
        printer,
        args.raw,
        args.call_ids.len() > 1,
    ));
    Ok(())
}

/// One line per shown message; with `raw`, each followed by its text.
pub fn ladder_text(
    view: &LadderView,
    messages: &[LadderMessage],
    aliases: &AliasTable,
    printer: &Printer,
    raw: bool,
    with_call_id: bool,
) -> String {
    let name = |h: &app::domain::calls::HostPort| aliases.resolve(h).unwrap_or("").to_owned();
    let mut out = String::new();
    for row in &view.rows {
        let mut label = row.label.clone();
        if row.has_sdp {
            label.push_str(" (SDP)");
        }
        if row.retransmissions > 0 {
            label.push_str(&format!(" x{}", row.retransmissions + 1));
        }
        let (src_alias, dst_alias) = (name(&row.src), name(&row.dst));
        let mut line = format!(
            "{}  {:>21} -> {:<21}  {}",
            format_us(row.time_us, &printer.tz),
            host_port(&row.src.ip, row.src.port),
            host_port(&row.dst.ip, row.dst.port),
            printer.paint_label(&label),
        );
        if !src_alias.is_empty() || !dst_alias.is_empty() {
            let or_unknown = |a: String| if a.is_empty() { "?".to_owned() } else { a };
            line.push_str(&format!(
                "  [{} -> {}]",
                or_unknown(src_alias),
                or_unknown(dst_alias)
            ));
        }
        if with_call_id {
            line.push_str(&format!("  {}", row.call_id));
        }
        out.push_str(line.trim_end());
        out.push('\n');
        if raw {
            if let Some(text) = messages.get(row.message).and_then(|m| m.raw.as_deref()) {
                for l in text.lines() {
                    out.push_str("    ");
                    out.push_str(l.trim_end_matches('\r'));
                    out.push('\n');
                }
                out.push('\n');
            }
        }
    }
    out
}

impl Printer {
    /// A ladder label coloured by its class (1xx, 2xx, failures).
    pub fn paint_label(&self, label: &str) -> String {
        match super::search::method_colour(label) {
            Some(sgr) => self.paint(sgr, label),
            None => label.to_owned(),
        }
    }
}
