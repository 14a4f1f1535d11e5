//! The command line twin of the browser views: dex homer's commands as `hepscope <command>`
//! (`docs/dex-cli.md`), against a hepscope server or a HOMER 7 directly, on the same
//! `app::domain` code as the browser (request planning, merging, call status, ladder, QoS, legs),
//! so both give the same answers and the same JSON.
//!
//! - [`backend`]: the connection (`--url`, `--backend-kind` or probing, `--backend`, `--debug`)
//!   implementing the domain's `V3Fetch`.
//! - [`credentials`]: dex's HOMER credentials, hepscope API tokens and their config file.
//! - [`output`]: tables, colours, time zone, JSON.
//! - one module per command.
//!
//! Exit codes: 0 results, 1 no results (or a local failure), 2 usage, 3 backend unreachable or
//! authentication failed; the message goes to stderr.

pub mod aliases;
pub mod analyze;
pub mod backend;
pub mod calls;
pub mod credentials;
pub mod discover;
pub mod endpoints;
pub mod export;
pub mod login;
pub mod output;
pub mod qos;
pub mod search;
pub mod show;

use std::process::ExitCode;

use clap::{Args, ValueEnum};

/// The flags every command takes (dex's globals plus hepscope's).
#[derive(Args, Debug, Clone, Default)]
pub struct Globals {
    /// A HOMER 7 web app or a hepscope server (default: HOMER_URL, then Kubernetes discovery of
    /// homer-webapp).
    #[arg(long, global = true, value_name = "URL")]
    pub url: Option<String>,
    /// What `--url` is; probed when not given.
    #[arg(long = "backend-kind", global = true, value_enum)]
    pub backend_kind: Option<BackendKind>,
    /// Kubernetes namespace for the discovery of homer-webapp.
    #[arg(short = 'n', long, global = true, value_name = "NAMESPACE")]
    pub namespace: Option<String>,
    /// Print each API request and its body on stderr (secrets masked).
    #[arg(short = 'd', long, global = true)]
    pub debug: bool,
    /// A named backend of a hepscope server (`GET /api/backends`); default: its default backend.
    #[arg(long = "backend", global = true, value_name = "NAME")]
    pub backend: Option<String>,
    /// IANA time zone of printed times and of absolute times in flags (default: local time).
    #[arg(long, global = true, value_name = "ZONE")]
    pub tz: Option<String>,
    /// Colours: only on a terminal (auto), always or never.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

/// The kind of server behind `--url`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum BackendKind {
    /// homer-app's `/api/v3`, logged in with dex's credentials.
    Homer7,
    /// A hepscope server, with an API token.
    Hepscope,
}

/// When to colour the output.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    #[default]
    Auto,
    Always,
    Never,
}

/// `-o/--output` of the commands that print results.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Pretty JSON: the browser's JSON download of the same view.
    Json,
    /// One JSON object per line.
    Jsonl,
}

/// Why a command stopped; each kind has its exit code.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Nothing matched (exit 1).
    #[error("{0}")]
    NoResults(String),
    /// A local failure: a file could not be written, an answer not read (exit 1).
    #[error("{0}")]
    Local(String),
    /// Wrong flags or values (exit 2).
    #[error("{0}")]
    Usage(String),
    /// The backend could not be reached, refused the credentials or failed (exit 3).
    #[error("{0}")]
    Backend(String),
}

impl CliError {
    /// The process exit code.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::NoResults(_) | CliError::Local(_) => 1,
            CliError::Usage(_) => 2,
            CliError::Backend(_) => 3,
        }
    }
}

/// Runs `command` to completion on a fresh runtime and turns its outcome into an exit code,
/// printing the error on stderr.
pub fn main_with<F>(command: F) -> ExitCode
where
    F: std::future::Future<Output = Result<(), CliError>>,
{
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("hepscope: starting the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let label = match e {
                CliError::NoResults(_) => "",
                _ => "error: ",
            };
            eprintln!("hepscope: {label}{e}");
            ExitCode::from(e.exit_code())
        }
    }
}

/// The process environment as a lookup, as `server::homer` takes it.
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// The command-line commands (dex homer's, plus `login`).
#[derive(clap::Subcommand, Debug, Clone)]
pub enum CliCommand {
    /// Search SIP messages (dex homer search): filters, number fan-out, table or JSON.
    Search(search::FilterArgs),
    /// One line per call (dex homer calls): caller, callee, status, duration, PDD, direction.
    Calls(search::FilterArgs),
    /// The ladder of one or more Call-IDs as text (dex homer show); --raw, --sipp.
    Show(show::ShowArgs),
    /// Write the Call-IDs' PCAP (or text) export (dex homer export).
    Export(export::ExportArgs),
    /// RTCP quality per stream: loss, jitter, RTT, MOS and its band (dex homer qos).
    Qos(qos::QosArgs),
    /// Find every leg of a call across proxies and B2BUAs (dex homer analyze).
    Analyze(analyze::AnalyzeArgs),
    /// The configured endpoints, or a hepscope server's backends (dex homer endpoints).
    Endpoints(endpoints::EndpointsArgs),
    /// The backend's IP/port aliases (dex homer aliases).
    Aliases(aliases::AliasesArgs),
    /// Find homer-webapp in Kubernetes and check connectivity and login (dex homer discover).
    Discover,
    /// Log in to a hepscope server and store an API token for the other commands.
    Login(login::LoginArgs),
}

/// Runs one command; the process exit code.
pub fn dispatch(command: CliCommand, globals: &Globals) -> ExitCode {
    main_with(async move {
        let env = process_env;
        let printer = output::Printer::from_globals(globals)?;
        match &command {
            CliCommand::Endpoints(args) => {
                return endpoints::run(globals, &env, args, &printer).await
            }
            CliCommand::Discover => return discover::run(globals, &env).await,
            CliCommand::Login(args) => return login::run(args, &env).await,
            _ => {}
        }
        let conn = backend::Conn::open(globals, &env).await?;
        match &command {
            CliCommand::Search(args) => search::run(&conn, args, &printer).await,
            CliCommand::Calls(args) => calls::run(&conn, args, &printer).await,
            CliCommand::Show(args) => show::run(&conn, args, &printer).await,
            CliCommand::Export(args) => export::run(&conn, args, &printer).await,
            CliCommand::Qos(args) => qos::run(&conn, args, &printer).await,
            CliCommand::Analyze(args) => analyze::run(&conn, args, &printer).await,
            CliCommand::Aliases(args) => aliases::run(&conn, args, &printer).await,
            CliCommand::Endpoints(_) | CliCommand::Discover | CliCommand::Login(_) => Ok(()),
        }
    })
}
