//! The `hepscope` command: `serve` (default), `demo`, `import`, `send-hep`, `hash-password`, and the
//! command line of `server::cli` (`search`, `calls`, `show`, `export`, `qos`, `analyze`, `endpoints`,
//! `aliases`, `discover`, `login`).

use std::io::BufRead;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};
use server::config::{Config, Overrides, ProcessEnv};
use server::ingest::{Fanout, HepReceiver, Intake};
use server::live::LiveRuntime;
use server::{router, serve_with, shutdown, telemetry, AppState};

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
    #[command(flatten)]
    globals: server::cli::Globals,
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
    #[command(flatten)]
    Cli(server::cli::CliCommand),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    if let Some(Command::Cli(command)) = &cli.command {
        return server::cli::dispatch(command.clone(), &cli.globals);
    }
    match serve_main(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("Error: {e:?}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn serve_main(cli: Cli) -> anyhow::Result<()> {
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

async fn run(mut config: Config, demo: bool) -> anyhow::Result<()> {
    telemetry::metrics_handle();
    let listen = config.listen;
    let data_dir = config.data_dir.clone();
    if let Some(source) = &config.source {
        tracing::info!(file = %source.display(), "config loaded");
    }
    if demo {
        config.live.ingest.enable = true;
        config.live.coordinator.enable = true;
        if config.aliases.is_empty() {
            config.aliases = server::demo::demo_aliases();
        }
    }
    let hep = config.hep.clone();
    let tls_files = config.tls.clone();
    let web_cert = match &config.tls {
        Some(files) => Some(
            server::tls::Certificate::load(files.clone(), server::tls::Protocol::Http)
                .context("loading [http] tls_cert and tls_key")?,
        ),
        None => None,
    };
    // Every certificate is re-read on SIGHUP (`systemctl reload`), which never stops the process.
    let mut certs: Vec<_> = web_cert.iter().cloned().collect();
    let live = LiveRuntime::start(&config.live).await?;
    let entries = server::backends::homer_registry_entries(&config, &ProcessEnv).await?;
    if entries.is_empty() {
        tracing::info!("no HOMER 7 backend configured");
    }
    let (mut state, bootstrap) = AppState::from_config(config, entries)?;
    state.live = live.state();
    let mut sinks = Fanout::new();
    if let Some(store) = &state.store {
        sinks = sinks.with(Arc::new(store.clone()));
    }
    if let Some(sink) = live.sink(Some(server::live::summarize::sip_summary)) {
        sinks = sinks.with(sink);
    }
    if hep.open_to_the_network() {
        tracing::warn!(listen = %hep.listen, "the HEP receiver listens beyond this host and no [hep] capture_password is set: anyone who can reach the port can store packets; set one, or listen on a private address");
    }
    let receiver = if hep.enable {
        let intake = Arc::new(Intake::new(Arc::new(sinks), hep.capture_password.clone()));
        let mut receiver = HepReceiver::start_with(hep.listen, intake.clone(), hep.tcp).await?;
        println!("HEP receiver on udp/tcp {}", receiver.udp_addr());
        if let (Some(tls_listen), Some(files)) = (hep.tls_listen, &tls_files) {
            let cert = server::tls::Certificate::load(files.clone(), server::tls::Protocol::Hep)
                .context("loading [http] tls_cert and tls_key for HEP over TLS")?;
            certs.push(cert.clone());
            let addr = receiver
                .start_tls(tls_listen, cert, intake, hep.tcp)
                .await?;
            println!("HEP over TLS on tcp {addr}");
        }
        Some(receiver)
    } else {
        None
    };
    server::tls::reload_on_sighup(certs);
    if let Some(addr) = live.node_addr() {
        println!("live stream node endpoint on ws://{addr}/stream");
    }
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("binding the web listener on {listen}"))?;
    let addr = listener.local_addr().context("reading the bound address")?;
    let listener = match &web_cert {
        Some(cert) => {
            println!("hepscope is listening on https://{addr}/");
            Listener::Tls(listener, cert.clone())
        }
        None => {
            println!("hepscope is listening on http://{addr}/");
            Listener::Plain(listener)
        }
    };
    if let Some(password) = bootstrap.generated_admin_password {
        announce_admin_password(&data_dir, &password)?;
    }
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    if demo {
        match &receiver {
            Some(r) => {
                let target = std::net::SocketAddr::new(
                    std::net::Ipv4Addr::LOCALHOST.into(),
                    r.udp_addr().port(),
                );
                let seed = jiff::Timestamp::now().as_second().unsigned_abs();
                let mut stop = stop_rx.clone();
                tokio::spawn(async move {
                    let config = server::demo::DemoConfig::for_local_receiver(target, seed);
                    let stopped = async move {
                        let _ = stop.wait_for(|s| *s).await;
                    };
                    if let Err(e) = server::demo::run(config, stopped).await {
                        tracing::error!(error = %e, "demo traffic stopped");
                    }
                });
                println!("demo traffic: HEP over UDP and TCP to {target}");
            }
            None => tracing::warn!("demo: the HEP receiver is off (--no-hep), so no demo traffic"),
        }
    }
    let store = state.store.clone();
    let broker = live.state().broker().cloned();
    let shutdown = async move {
        shutdown::signal().await;
        let _ = stop_tx.send(true);
        // Live WebSockets get their close frame now; HTTP stops accepting.
        if let Some(broker) = broker {
            broker.close();
        }
    };
    let mut stopping = stop_rx.clone();
    let limits = state.config.http.limits;
    let app = router(state);
    let serving = async move {
        match listener {
            Listener::Plain(l) => serve_with(l, app, shutdown, limits).await,
            Listener::Tls(l, cert) => server::serve_tls(l, app, shutdown, limits, cert).await,
        }
    };
    let served = tokio::select! {
        served = serving => served,
        () = async move {
            let _ = stopping.wait_for(|s| *s).await;
            tokio::time::sleep(shutdown::GRACE).await;
        } => {
            tracing::warn!("HTTP requests still running after the grace period; closing them");
            Ok(())
        }
    };
    if let Some(receiver) = receiver {
        shutdown::within("HEP receiver", receiver.stop()).await;
    }
    shutdown::within("live stream", live.stop()).await;
    if let Some(store) = store {
        shutdown::flush_store(store).await;
    }
    served
}

/// Tells where the generated admin password is. On a terminal it is printed; as a service (stdout
/// going to a journal or log file) it is written to `<data_dir>/admin-password`, readable by the
/// service user only, and only that path is logged, so the password never lands in shared logs.
fn announce_admin_password(data_dir: &std::path::Path, password: &str) -> anyhow::Result<()> {
    use std::io::{IsTerminal, Write};
    if std::io::stdout().is_terminal() {
        println!("Log in as admin with the password {password}");
        println!("(printed once; it is stored hashed in the data dir; set HEPSCOPE_ADMIN_PASSWORD to change it)");
        return Ok(());
    }
    let path = data_dir.join("admin-password");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(&path)
        .with_context(|| format!("writing the generated admin password to {}", path.display()))?;
    writeln!(file, "{password}")
        .with_context(|| format!("writing the generated admin password to {}", path.display()))?;
    println!(
        "The generated password of the user admin is in {} (delete the file once read; set \
         HEPSCOPE_ADMIN_PASSWORD to change it)",
        path.display()
    );
    tracing::info!(file = %path.display(), "generated admin password written");
    Ok(())
}

/// The web listener: plain TCP, or TLS with `[http] tls_cert`.
enum Listener {
    Plain(tokio::net::TcpListener),
    Tls(tokio::net::TcpListener, Arc<server::tls::Certificate>),
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
