//! `hepscope analyze CALL-ID -c HEADER` or `--from-user A --to-user B [--at T] -c HEADER`: every leg
//! of a call across proxies and B2BUAs (dex's `analyze`): the leg table, then one ladder across all
//! endpoints. The steps are the Analyze view's (`app::domain::legs::run`); `-o json` is its JSON
//! download.

use app::domain::analyze_view::{AnalyzeQuery, ShownAnalysis};
use app::domain::ladder::LadderMessage;
use app::domain::legs::run::run_analysis;
use app::domain::legs::AnalyzeOptions;
use app::domain::results::host_port;
use clap::Args;

use super::backend::Conn;
use super::output::{self, Printer};
use super::show::{ladder, ladder_text};
use super::{CliError, Format};

/// `hepscope analyze` flags.
#[derive(Args, Debug, Clone)]
pub struct AnalyzeArgs {
    /// The seed leg's Call-ID (or give --from-user and --to-user).
    #[arg(value_name = "CALL-ID", required_unless_present_all = ["from_user", "to_user"])]
    pub call_id: Option<String>,
    /// The seed's caller (From user).
    #[arg(
        long = "from-user",
        value_name = "USER",
        requires = "to_user",
        conflicts_with = "call_id"
    )]
    pub from_user: Option<String>,
    /// The seed's callee (To user).
    #[arg(long = "to-user", value_name = "USER", requires = "from_user")]
    pub to_user: Option<String>,
    /// Header whose shared value links legs (exact name); repeatable.
    #[arg(
        short = 'c',
        long = "correlate",
        required = true,
        value_name = "HEADER"
    )]
    pub correlate: Vec<String>,
    /// Extra columns: headers starting with PREFIX; repeatable.
    #[arg(short = 'H', long = "header", value_name = "PREFIX")]
    pub headers: Vec<String>,
    /// Extra numbers to fan out by; repeatable.
    #[arg(short = 'N', long = "number", value_name = "NUMBER")]
    pub numbers: Vec<String>,
    /// Start of the seed search [default: 10d].
    #[arg(long, value_name = "TIME", conflicts_with = "at")]
    pub since: Option<String>,
    /// End of the seed search [default: now].
    #[arg(long, value_name = "TIME", conflicts_with = "at")]
    pub until: Option<String>,
    /// Seed search window TIME ± 5 minutes.
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
    /// Rows per search.
    #[arg(short = 'l', long, default_value_t = 100, value_name = "N")]
    pub limit: u32,
    /// json (the Analyze view's download); default: the leg table and the ladder.
    #[arg(short = 'o', long = "output", value_enum)]
    pub output: Option<Format>,
}

impl AnalyzeArgs {
    /// The Analyze view's query for these flags (its URL pairs).
    ///
    /// # Errors
    /// A value the view would refuse (exit 2).
    pub fn query(&self) -> Result<AnalyzeQuery, CliError> {
        let mut pairs: Vec<(&str, String)> = Vec::new();
        match &self.call_id {
            Some(id) => pairs.push(("call_id", id.clone())),
            None => {
                pairs.push(("caller", self.from_user.clone().unwrap_or_default()));
                pairs.push(("callee", self.to_user.clone().unwrap_or_default()));
            }
        }
        for (key, value) in [
            ("at", &self.at),
            ("since", &self.since),
            ("until", &self.until),
        ] {
            if let Some(v) = value {
                pairs.push((key, v.clone()));
            }
        }
        pairs.extend(self.correlate.iter().map(|c| ("correlate", c.clone())));
        pairs.extend(self.headers.iter().map(|h| ("prefix", h.clone())));
        pairs.extend(self.numbers.iter().map(|n| ("number", n.clone())));
        pairs.push(("limit", self.limit.to_string()));
        let options = AnalyzeOptions::from_pairs(pairs.iter().map(|(k, v)| (*k, v.as_str())))
            .map_err(|e| CliError::Usage(e.to_string()))?;
        Ok(AnalyzeQuery {
            options,
            ..AnalyzeQuery::default()
        })
    }
}

/// `hepscope analyze`.
///
/// # Errors
/// See [`CliError`]; no seed found is exit 1.
pub async fn run(conn: &Conn, args: &AnalyzeArgs, printer: &Printer) -> Result<(), CliError> {
    let query = args.query()?;
    let outcome = run_analysis(conn, &query, jiff::Timestamp::now(), &printer.tz, |_| {})
        .await
        .map_err(|e| {
            if e.contains("not found") || e.contains("no call") {
                CliError::NoResults(e)
            } else {
                CliError::Backend(e)
            }
        })?;
    for notice in outcome.notices.iter().chain(&outcome.failures) {
        output::notice(notice);
    }
    let shown = ShownAnalysis::new(&outcome.analysis, &query);
    if let Some(Format::Json | Format::Jsonl) = args.output {
        let mut text = shown.to_json(&query);
        if args.output == Some(Format::Jsonl) {
            text = serde_json::from_str::<serde_json::Value>(&text)
                .map(|v| v.to_string())
                .unwrap_or(text);
        }
        text.push('\n');
        output::print(&text);
        return Ok(());
    }
    output::print(&legs_table(&shown, printer));
    let rows = shown.leg_messages(&outcome.rows);
    let messages = LadderMessage::from_rows(&rows);
    let view = ladder(&messages, &outcome.aliases);
    output::print("\n");
    output::print(&ladder_text(
        &view,
        &messages,
        &outcome.aliases,
        printer,
        false,
        true,
    ));
    Ok(())
}

/// The leg table: one line per leg, the chosen header columns last.
pub fn legs_table(shown: &ShownAnalysis, printer: &Printer) -> String {
    let mut header: Vec<&str> = vec![
        "#", "START", "FROM", "TO", "SRC", "DST", "STATUS", "WHY", "CALL-ID",
    ];
    header.extend(shown.header_columns.iter().map(String::as_str));
    let cells: Vec<Vec<String>> = shown
        .legs
        .iter()
        .enumerate()
        .map(|(i, (leg, _))| {
            let mut row = vec![
                (i + 1).to_string(),
                app::domain::results::format_us(leg.start_us, &printer.tz),
                leg.from.clone(),
                leg.to.clone(),
                leg.src
                    .as_ref()
                    .map(|h| host_port(&h.ip, h.port))
                    .unwrap_or_default(),
                leg.dst
                    .as_ref()
                    .map(|h| host_port(&h.ip, h.port))
                    .unwrap_or_default(),
                leg.status.to_string(),
                leg.included_because.to_string(),
                leg.call_id.clone(),
            ];
            for column in &shown.header_columns {
                row.push(
                    leg.headers
                        .iter()
                        .filter(|(n, _)| n.eq_ignore_ascii_case(column))
                        .map(|(_, v)| v.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                );
            }
            row
        })
        .collect();
    printer.table(&header, &cells, &|_, _| None)
}
