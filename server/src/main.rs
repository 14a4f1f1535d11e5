//! The `hepscope` command: `serve` (default), `demo`, `send-hep`, `hash-password`.

use std::io::BufRead;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use server::app::StartOptions;
use server::config::{Config, Overrides, ProcessEnv};
use server::{shutdown, telemetry, App};

/// SIP call tracing for support staff, in the browser.
#[derive(Parser, Debug)]
#[command(name = "hepscope", version = telemetry::LONG_VERSION, about)]
struct Cli {
    /// Config file (TOML). Default: hepscope.toml in the working directory, if present.
    #[arg(long, global = true, env = "HEPSCOPE_CONFIG")]
    config: Option<PathBuf>,
    /// Address of the web UI and API.
    #[arg(long, global = true, env = "HEPSCOPE_LISTEN")]
    listen: Option<String>,
    /// Where hepscope keeps its state (admin password hash, session key, captures).
    #[arg(long, global = true, env = "HEPSCOPE_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Serve the front end from this directory (Trunk's output with index.html) instead of the one
    /// embedded in the binary.
    #[arg(long = "dist", global = true, env = "HEPSCOPE_DIST_DIR")]
    dist_dir: Option<PathBuf>,
    /// Address of the HEP receiver, UDP and TCP (default 127.0.0.1:9060).
    #[arg(long, global = true, env = "HEPSCOPE_HEP_LISTEN")]
    hep_listen: Option<String>,
    /// Do not run the HEP receiver.
    #[arg(long, global = true)]
    no_hep: bool,
    /// Address of the unauthenticated node live stream `GET /stream` (default 127.0.0.1:8083).
    #[arg(long, global = true, env = "HEPSCOPE_STREAM_LISTEN")]
    stream_listen: Option<String>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Serve the web UI and API (the default).
    Serve,
    /// Serve with the embedded store and generated demo traffic.
    Demo,
    /// Store a pcap or pcapng capture (SIP over UDP/TCP, HEP datagrams) in the embedded store.
    Import {
        /// The capture file.
        file: PathBuf,
    },
    /// Read a password from standard input and print its argon2 hash for `[[users]]` in the config.
    HashPassword,
    /// Send generated demo traffic (SIP, RTCP, logs as HEP3) to any HEP server, e.g. a Homer.
    SendHep(server::demo::SendHepArgs),
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    if let Some(Command::HashPassword) = cli.command {
        return hash_password();
    }
    if let Some(Command::SendHep(args)) = &cli.command {
        return send_hep(args);
    }
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let overrides = Overrides {
        listen: cli.listen.clone(),
        data_dir: cli.data_dir.clone(),
        dist_dir: cli.dist_dir.clone(),
        hep_listen: cli.hep_listen.clone(),
        no_hep: cli.no_hep,
        stream_listen: cli.stream_listen.clone(),
    };
    let config = Config::load(cli.config.as_deref(), &overrides, &ProcessEnv)?;
    telemetry::init_tracing(config.log_format);
    if let Some(Command::Import { file }) = &cli.command {
        return import(config, file);
    }
    let demo = matches!(cli.command, Some(Command::Demo));
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?
        .block_on(run(config, demo))
}

/// `serve` and `demo`: starts every listener, prints where, and stops gracefully on SIGINT or SIGTERM.
async fn run(config: Config, demo: bool) -> anyhow::Result<()> {
    if let Some(source) = &config.source {
        tracing::info!(file = %source.display(), "config loaded");
    }
    let data_dir = config.data_dir.clone();
    let options = StartOptions {
        demo,
        ..StartOptions::default()
    };
    let mut running = App::prepare(config, options).await?.bind().await?;
    let addrs = running.addresses();
    if let Some(udp) = addrs.hep_udp {
        println!("HEP receiver on udp/tcp {udp}");
    }
    if let Some(tls) = addrs.hep_tls {
        println!("HEP over TLS on tcp {tls}");
    }
    if let Some(stream) = addrs.stream {
        println!("live stream node endpoint on ws://{stream}/stream");
    }
    let scheme = if addrs.https { "https" } else { "http" };
    println!("hepscope is listening on {scheme}://{}/", addrs.http);
    if let Some(password) = running.generated_admin_password.take() {
        announce_admin_password(&data_dir, &password)?;
    }
    if demo {
        match addrs.hep_udp {
            Some(udp) => println!(
                "demo traffic: HEP over UDP and TCP to 127.0.0.1:{}",
                udp.port()
            ),
            None => tracing::warn!("demo: the HEP receiver is off (--no-hep), so no demo traffic"),
        }
    }
    running.run_until(shutdown::signal()).await
}

/// Tells where the generated admin password is. On a terminal it is printed; as a service (stdout
/// going to a journal or log file) it is written to `<data_dir>/admin-password`, readable by the
/// service user only, and only that path is logged, so the password never lands in shared logs.
fn announce_admin_password(data_dir: &std::path::Path, password: &str) -> anyhow::Result<()> {
    use std::io::IsTerminal;
    if std::io::stdout().is_terminal() {
        println!("Log in as admin with the password {password}");
        println!("(printed once; it is stored hashed in the data dir; set HEPSCOPE_ADMIN_PASSWORD to change it)");
        return Ok(());
    }
    let path = data_dir.join("admin-password");
    server::private_fs::write_file(&path, format!("{password}\n").as_bytes())
        .context("writing the generated admin password")?;
    println!(
        "The generated password of the user admin is in {} (delete the file once read; set \
         HEPSCOPE_ADMIN_PASSWORD to change it)",
        path.display()
    );
    tracing::info!(file = %path.display(), "generated admin password written");
    Ok(())
}

fn send_hep(args: &server::demo::SendHepArgs) -> anyhow::Result<()> {
    telemetry::init_tracing(server::config::LogFormat::Text);
    let sent = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?
        .block_on(server::demo::send_hep(args, shutdown::signal()))?;
    let stats = match sent {
        server::demo::Sent::Traffic(stats) => stats,
        server::demo::Sent::LongCall(call) => {
            println!(
                "long call {} with {} SIP messages from {} (epoch ms)",
                call.call_id, call.messages, call.start_ms
            );
            call.stats
        }
    };
    println!(
        "sent {} HEP packets to {} ({} failed)",
        stats.sent, args.to, stats.errors
    );
    Ok(())
}

fn hash_password() -> anyhow::Result<()> {
    eprintln!("Password (read from standard input):");
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("reading the password")?;
    let password = line.trim_end_matches(['\r', '\n']);
    if password.is_empty() {
        anyhow::bail!("the password is empty");
    }
    println!("{}", server::users::hash_password(password)?);
    Ok(())
}

fn import(config: Config, file: &std::path::Path) -> anyhow::Result<()> {
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    if !config.store.enabled {
        anyhow::bail!("the embedded store is disabled ([store] enabled = false)");
    }
    let store = server::store::Store::open(config.store.clone(), config.aliases.clone())
        .context("opening the embedded store")?;
    let now_us = jiff::Timestamp::now().as_microsecond();
    let report = server::import_http::import_capture(&store, &bytes, now_us)
        .with_context(|| format!("importing {}", file.display()))?;
    println!(
        "stored {} packets from {} ({} SIP, {} HEP, {} skipped)",
        report.stored,
        file.display(),
        report.sip,
        report.hep,
        report.skipped
    );
    Ok(())
}
