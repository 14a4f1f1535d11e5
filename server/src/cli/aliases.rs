//! `hepscope aliases`: the backend's IP/port → name aliases (`GET /api/v3/alias`), in the aliases
//! view's order (`app::domain::hosts_view::alias_rows`: active first, then by name).

use app::domain::fetch::V3Fetch;
use app::domain::hosts_view::{alias_rows, AliasRow};
use clap::Args;
use serde_json::json;

use super::backend::Conn;
use super::output::{self, Printer};
use super::{CliError, Format};

/// `hepscope aliases` flags.
#[derive(Args, Debug, Clone)]
pub struct AliasesArgs {
    /// Only aliases whose name or address contains TEXT.
    #[arg(long, value_name = "TEXT", default_value = "")]
    pub filter: String,
    /// json or jsonl; default: a table.
    #[arg(short = 'o', long = "output", value_enum)]
    pub output: Option<Format>,
}

/// One alias as JSON.
pub fn alias_json(row: &AliasRow) -> serde_json::Value {
    json!({
        "name": row.name,
        "network": row.network,
        "port": row.port,
        "capture_id": row.capture_id,
        "active": row.active,
    })
}

/// `hepscope aliases`.
///
/// # Errors
/// See [`CliError`]; no alias is exit 1.
pub async fn run(conn: &Conn, args: &AliasesArgs, printer: &Printer) -> Result<(), CliError> {
    let list = conn.aliases().await?;
    let rows = alias_rows(&list, &args.filter);
    match args.output {
        Some(format) => {
            let values: Vec<_> = rows.iter().map(alias_json).collect();
            output::print(&output::json_values(&values, format));
        }
        None if rows.is_empty() => {}
        None => {
            let cells: Vec<Vec<String>> = rows
                .iter()
                .map(|r| {
                    vec![
                        r.name.clone(),
                        r.network.clone(),
                        r.port.clone(),
                        r.capture_id.clone(),
                        if r.active { "active" } else { "inactive" }.to_owned(),
                    ]
                })
                .collect();
            output::print(&printer.table(
                &["ALIAS", "ADDRESS", "PORT", "CAPTURE-ID", "STATUS"],
                &cells,
                &|_, _| None,
            ));
        }
    }
    if rows.is_empty() {
        return Err(CliError::NoResults("no aliases".into()));
    }
    Ok(())
}
