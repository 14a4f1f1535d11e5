//! `hepscope search`: messages matching dex's filters, as a table or the browser's JSON. The
//! filters compile with the browser's compiler (`app::domain::query`: number fan-out as separate
//! requests, the query language, time ranges) and the answers merge with its merge.

use app::domain::calls::{name_directions, HostPort};
use app::domain::homer::HomerRow;
use app::domain::ladder::AliasTable;
use app::domain::query::{compile_with_mapping, run_search, CompiledSearch, ResultView, SearchRun};
use app::domain::results::{format_us, host_port, rows_download, DownloadFormat};
use app::domain::search_form::SearchForm;
use clap::Args;

use super::backend::Conn;
use super::output::{self, Printer};
use super::{CliError, Format};

/// dex's search filters (shared by `search` and `calls`).
#[derive(Args, Debug, Clone, Default)]
pub struct FilterArgs {
    /// From or To user, with and without a leading `+` (separate requests, merged).
    #[arg(long, value_name = "NUMBER")]
    pub number: Option<String>,
    /// SIP From user (`%` is a wildcard).
    #[arg(long = "from-user", value_name = "USER")]
    pub from_user: Option<String>,
    /// SIP To user (`%` is a wildcard).
    #[arg(long = "to-user", value_name = "USER")]
    pub to_user: Option<String>,
    /// User-Agent.
    #[arg(long, value_name = "UA")]
    pub ua: Option<String>,
    /// Query: `field = 'value' [AND|OR …]`; fields from_user, to_user, ruri_user, user_agent (ua),
    /// cseq, method, status, call_id (sid); `=` and `!=`, `%` wildcard.
    #[arg(short = 'q', long, value_name = "EXPR")]
    pub query: Option<String>,
    /// Call-ID.
    #[arg(long = "call-id", value_name = "CALL-ID")]
    pub call_id: Option<String>,
    /// Start: a duration ago (30m, 1h, 2h30m, 1d, 7d) or a time (2006-01-02 15:04) [default: 24h].
    #[arg(long, value_name = "TIME", conflicts_with = "at")]
    pub since: Option<String>,
    /// End: a duration ago or a time [default: now].
    #[arg(long, value_name = "TIME", conflicts_with = "at")]
    pub until: Option<String>,
    /// The window TIME ± 5 minutes (not with --since/--until).
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
    /// Keep only these methods or reply codes (client-side); repeatable.
    #[arg(short = 'm', long = "method", value_name = "METHOD")]
    pub methods: Vec<String>,
    /// Most results [default: search 200, calls 100].
    #[arg(short = 'l', long, value_name = "N")]
    pub limit: Option<u32>,
    /// json or jsonl (the browser's download fields); default: a table.
    #[arg(short = 'o', long = "output", value_enum)]
    pub output: Option<Format>,
}

impl FilterArgs {
    /// The browser's search form for these flags.
    pub fn form(&self) -> SearchForm {
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        SearchForm {
            number: text(&self.number),
            from_user: text(&self.from_user),
            to_user: text(&self.to_user),
            user_agent: text(&self.ua),
            call_id: text(&self.call_id),
            query: text(&self.query),
            since: text(&self.since),
            until: text(&self.until),
            at: text(&self.at),
            methods: self.methods.clone(),
            limit: self.limit,
            ..SearchForm::default()
        }
    }
}

/// Compiles the flags against the backend's mapping, as the browser does.
///
/// # Errors
/// Bad flags (exit 2, with the query error's pointer), the mapping unreadable (exit 3).
pub async fn compile_filters(
    conn: &Conn,
    filters: &FilterArgs,
    view: ResultView,
    printer: &Printer,
) -> Result<CompiledSearch, CliError> {
    let form = filters.form();
    let mapping = conn.mapping().await?;
    compile_with_mapping(&form, view, jiff::Timestamp::now(), &printer.tz, &mapping).map_err(|e| {
        let text = match e.input {
            app::domain::query::Input::Query => {
                let start = e.span.start.min(form.query.len());
                format!("{e}\n  {}\n  {}^", form.query, " ".repeat(start))
            }
            _ => e.to_string(),
        };
        CliError::Usage(text)
    })
}

/// Runs a compiled search and tells stderr about partial failures and the limit.
///
/// # Errors
/// Every request failed (exit 3).
pub async fn run_compiled(conn: &Conn, compiled: &CompiledSearch) -> Result<SearchRun, CliError> {
    let run = run_search(conn, compiled)
        .await
        .map_err(CliError::Backend)?;
    if !run.failures.is_empty() {
        output::notice(&format!(
            "some requests failed, results may be incomplete: {}",
            run.failures.join("; ")
        ));
    }
    if run.limit_reached {
        output::limit_reached(compiled.limit, run.outcome.noun());
    }
    Ok(run)
}

/// `hepscope search`.
///
/// # Errors
/// See [`CliError`]; no messages is exit 1.
pub async fn run(conn: &Conn, filters: &FilterArgs, printer: &Printer) -> Result<(), CliError> {
    let compiled = compile_filters(conn, filters, ResultView::Messages, printer).await?;
    let run = run_compiled(conn, &compiled).await?;
    let app::domain::query::SearchOutcome::Rows(rows) = run.outcome else {
        return Err(CliError::Local(
            "the search answered calls, not messages".into(),
        ));
    };
    match filters.output {
        Some(format) => output::print(&output::download_text(rows_download(
            &rows,
            &printer.tz,
            download(format),
        ))),
        None if rows.is_empty() => {}
        None => output::print(&messages_table(&rows, printer)),
    }
    if rows.is_empty() {
        return Err(CliError::NoResults(
            "no messages match these filters in this time range".into(),
        ));
    }
    Ok(())
}

/// The browser's download format for `-o`.
pub fn download(format: Format) -> DownloadFormat {
    match format {
        Format::Json => DownloadFormat::Json,
        Format::Jsonl => DownloadFormat::Jsonl,
    }
}

/// The messages table: time, method, from, to, source, destination, user agent, Call-ID.
pub fn messages_table(rows: &[HomerRow], printer: &Printer) -> String {
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                r.time_us()
                    .map(|us| format_us(us, &printer.tz))
                    .unwrap_or_default(),
                r.method.clone(),
                r.from_user.clone(),
                r.to_user.clone(),
                host_port(&r.src_ip, r.src_port),
                host_port(&r.dst_ip, r.dst_port),
                r.user_agent.clone(),
                super::backend::row_call_id(r).to_owned(),
            ]
        })
        .collect();
    printer.table(
        &[
            "TIME", "METHOD", "FROM", "TO", "SRC", "DST", "UA", "CALL-ID",
        ],
        &cells,
        &|col, cell| (col == 1).then(|| method_colour(cell)).flatten(),
    )
}

/// Green for 2xx, yellow 1xx, red 4xx–6xx; requests plain.
pub fn method_colour(label: &str) -> Option<&'static str> {
    match label.as_bytes().first() {
        Some(b'1') => Some("33"),
        Some(b'2') => Some("32"),
        Some(b'3'..=b'6') => Some("31"),
        _ => None,
    }
}

/// Names call directions with the backend's aliases, as the browser's calls view does.
pub async fn name_calls(conn: &Conn, calls: &mut [app::domain::calls::CallSummary]) {
    use app::domain::fetch::V3Fetch;
    match conn.aliases().await {
        Ok(list) => {
            let table = AliasTable::from_list(&list);
            if !table.is_empty() {
                name_directions(calls, |h: &HostPort| table.resolve(h));
            }
        }
        Err(e) => output::notice(&format!(
            "host aliases are unavailable, hosts are named by address: {e}"
        )),
    }
}
