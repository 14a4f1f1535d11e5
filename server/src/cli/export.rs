//! `hepscope export CALL-ID...`: the backend's PCAP (or text) export of the Call-IDs, the same
//! request as the call view's PCAP and Text buttons, written to `<call-id>.pcap` (`.txt`), to
//! `-o FILE`, or to stdout with `-o -`.

use std::io::Write;
use std::path::PathBuf;

use app::domain::call_view::file_stem;
use app::domain::homer::{ProfileKey, TransactionRequest};
use clap::{Args, ValueEnum};

use super::backend::Conn;
use super::output::Printer;
use super::show::WindowArgs;
use super::CliError;

/// What to export.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// A capture Wireshark opens.
    #[default]
    Pcap,
    /// HOMER's text export of the messages.
    Text,
}

/// `hepscope export` flags.
#[derive(Args, Debug, Clone)]
pub struct ExportArgs {
    /// One or more Call-IDs.
    #[arg(required = true, value_name = "CALL-ID")]
    pub call_ids: Vec<String>,
    /// Output file; `-` for stdout [default: <call-id>.pcap or .txt].
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// pcap or text.
    #[arg(long, value_enum, default_value_t = ExportFormat::Pcap)]
    pub format: ExportFormat,
    #[command(flatten)]
    pub window: WindowArgs,
}

/// `hepscope export`.
///
/// # Errors
/// See [`CliError`]; an empty export (no messages) is exit 1.
pub async fn run(conn: &Conn, args: &ExportArgs, printer: &Printer) -> Result<(), CliError> {
    let window = args.window.window(printer)?;
    let request = TransactionRequest::new(&ProfileKey::call(), window, args.call_ids.clone());
    let (route, ext) = match args.format {
        ExportFormat::Pcap => ("export/call/messages/pcap", "pcap"),
        ExportFormat::Text => ("export/call/messages/text", "txt"),
    };
    let body = serde_json::to_value(&request).map_err(|e| CliError::Local(e.to_string()))?;
    let answer = conn
        .v3(axum::http::Method::POST, route, Some(&body))
        .await?;
    // A PCAP of no packets is its 24-byte global header alone.
    let empty = match args.format {
        ExportFormat::Pcap => answer.body.len() <= 24,
        ExportFormat::Text => answer.body.iter().all(u8::is_ascii_whitespace),
    };
    if empty {
        return Err(CliError::NoResults(format!(
            "no messages for {} in the searched window",
            args.call_ids.join(", ")
        )));
    }
    let path = args
        .output
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("{}.{ext}", file_stem(&args.call_ids))));
    if path.as_os_str() == "-" {
        let mut stdout = std::io::stdout().lock();
        stdout
            .write_all(&answer.body)
            .and_then(|()| stdout.flush())
            .map_err(|e| CliError::Local(format!("writing to stdout: {e}")))?;
    } else {
        std::fs::write(&path, &answer.body)
            .map_err(|e| CliError::Local(format!("writing {}: {e}", path.display())))?;
        eprintln!(
            "hepscope: wrote {} bytes to {}",
            answer.body.len(),
            path.display()
        );
    }
    Ok(())
}
