//! The `hepscope` command: `serve` (default), `demo`, `hash-password`.

use std::io::BufRead;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use server::config::{Config, Overrides, ProcessEnv};
use server::{router, serve, shutdown, telemetry, AppState};

/// SIP call tracing for support staff, in the browser.
#[derive(Parser, Debug)]
#[command(name = "hepscope", version, about)]
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
    /// Trunk's output directory with index.html.
    #[arg(long = "dist", global = true, env = "HEPSCOPE_DIST_DIR")]
    dist_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Serve the web UI and API (the default).
    Serve,
    /// Serve with the embedded store and generated demo traffic.
    Demo,
    /// Read a password from standard input and print its argon2 hash for `[[users]]` in the config.
    HashPassword,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    if let Some(Command::HashPassword) = cli.command {
        return hash_password();
    }
    telemetry::init_tracing();
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let overrides = Overrides {
        listen: cli.listen.clone(),
        data_dir: cli.data_dir.clone(),
        dist_dir: cli.dist_dir.clone(),
    };
    let config = Config::load(cli.config.as_deref(), &overrides, &ProcessEnv)?;
    let demo = matches!(cli.command, Some(Command::Demo));
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?
        .block_on(run(config, demo))
}

async fn run(config: Config, demo: bool) -> anyhow::Result<()> {
    telemetry::metrics_handle();
    let listen = config.listen;
    if let Some(source) = &config.source {
        tracing::info!(file = %source.display(), "config loaded");
    }
    let (state, bootstrap) = AppState::from_config(config)?;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("binding the web listener on {listen}"))?;
    let addr = listener.local_addr().context("reading the bound address")?;
    println!("hepscope is listening on http://{addr}/");
    if let Some(password) = bootstrap.generated_admin_password {
        println!("Log in as admin with the password {password}");
        println!("(printed once; it is stored hashed in the data dir; set HEPSCOPE_ADMIN_PASSWORD to change it)");
    }
    if demo {
        tracing::warn!(
            "demo: the embedded store and its traffic generator are not built yet; serving only"
        );
    }
    serve(listener, router(state), shutdown::signal()).await
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
