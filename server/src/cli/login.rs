//! `hepscope login URL`: asks for a user name and password (the password without echo on a
//! terminal), logs in to the hepscope server (`POST /api/auth/login`, or `/api/login` on servers
//! without it), creates an API token (`POST /api/auth/tokens` with
//! `{"name":"hepscope-cli@<host>","rights":[…],"expires_in":"90d"}`), and stores it for the URL in
//! the config file (0600), where the other commands find it.

use std::io::{BufRead, IsTerminal, Write};

use clap::Args;
use serde_json::json;

use super::backend::http_client;
use super::credentials::{config_path, store_token};
use super::CliError;

/// Rights asked for the token: what the commands use (searching, raw messages for `show --raw`
/// and `--sipp`, exports).
pub const TOKEN_RIGHTS: [&str; 3] = ["search", "raw", "export"];
/// Lifetime asked for the token.
pub const TOKEN_EXPIRES_IN: &str = "90d";
/// The session cookie the login answers with.
const SESSION_COOKIE: &str = "hepscope_session";

/// `hepscope login` flags.
#[derive(Args, Debug, Clone)]
pub struct LoginArgs {
    /// The hepscope server, e.g. https://hepscope.example.com
    #[arg(value_name = "URL")]
    pub url: String,
    /// User name (asked when not given).
    #[arg(long, value_name = "USER")]
    pub user: Option<String>,
}

/// `hepscope login`.
///
/// # Errors
/// Refused login or token (exit 3), unreadable input or config (exit 1).
pub async fn run(args: &LoginArgs, env: &dyn Fn(&str) -> Option<String>) -> Result<(), CliError> {
    let url = args.url.trim().trim_end_matches('/').to_owned();
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let username = match &args.user {
        Some(u) => u.clone(),
        None => prompt(&mut input, "User: ", false)?,
    };
    let password = prompt(&mut input, "Password: ", true)?;
    drop(input);
    let http = http_client()?;
    let body = json!({"username": username, "password": password});
    let mut response = post(&http, &format!("{url}/api/auth/login"), &body, None).await?;
    if response.status() == reqwest::StatusCode::NOT_FOUND {
        response = post(&http, &format!("{url}/api/login"), &body, None).await?;
    }
    if !response.status().is_success() {
        return Err(refused("login", response).await);
    }
    let session = response
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.strip_prefix(&format!("{SESSION_COOKIE}=")))
        .and_then(|rest| rest.split(';').next())
        .map(str::to_owned)
        .ok_or_else(|| CliError::Backend(format!("{url} answered the login without a session")))?;
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .or_else(|| env("HOSTNAME"))
        .unwrap_or_else(|| "localhost".into());
    let request = json!({
        "name": format!("hepscope-cli@{host}"),
        "rights": TOKEN_RIGHTS,
        "expires_in": TOKEN_EXPIRES_IN,
    });
    let response = post(
        &http,
        &format!("{url}/api/auth/tokens"),
        &request,
        Some(&session),
    )
    .await?;
    if !response.status().is_success() {
        return Err(refused("creating an API token", response).await);
    }
    let created: serde_json::Value = response
        .json()
        .await
        .map_err(|e| CliError::Backend(format!("unexpected answer creating the token: {e}")))?;
    let token = created
        .get("token")
        .and_then(serde_json::Value::as_str)
        .ok_or_else(|| CliError::Backend("the token answer has no `token`".into()))?;
    let path = config_path(env)
        .ok_or_else(|| CliError::Local("neither XDG_CONFIG_HOME nor HOME is set".into()))?;
    store_token(&path, &url, token)?;
    eprintln!(
        "hepscope: logged in to {url} as {username}; API token stored in {} (expires in {TOKEN_EXPIRES_IN})",
        path.display()
    );
    Ok(())
}

async fn post(
    http: &reqwest::Client,
    url: &str,
    body: &serde_json::Value,
    bearer: Option<&str>,
) -> Result<reqwest::Response, CliError> {
    let mut request = http.post(url).json(body);
    if let Some(token) = bearer {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    request
        .send()
        .await
        .map_err(|e| CliError::Backend(format!("cannot reach {url}: {e}")))
}

async fn refused(what: &str, response: reqwest::Response) -> CliError {
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    let message = app::domain::api::error_message(&text).unwrap_or(text);
    CliError::Backend(format!("{what} refused (HTTP {status}): {message}"))
}

/// Reads one line after `label` on stderr; `secret` turns the terminal's echo off meanwhile.
fn prompt(input: &mut impl BufRead, label: &str, secret: bool) -> Result<String, CliError> {
    eprint!("{label}");
    let _ = std::io::stderr().flush();
    let echo_off = secret.then(EchoOff::new).flatten();
    let mut line = String::new();
    let read = input.read_line(&mut line);
    drop(echo_off);
    if secret && std::io::stdin().is_terminal() {
        eprintln!();
    }
    read.map_err(|e| CliError::Local(format!("reading {label}: {e}")))?;
    let value = line.trim_end_matches(['\r', '\n']).to_owned();
    if value.is_empty() {
        return Err(CliError::Usage(format!(
            "{} is empty",
            label.trim_end_matches(": ")
        )));
    }
    Ok(value)
}

/// The terminal's echo switched off until dropped (nothing when stdin is not a terminal).
struct EchoOff {
    saved: rustix::termios::Termios,
}

impl EchoOff {
    fn new() -> Option<Self> {
        let stdin = std::io::stdin();
        if !stdin.is_terminal() {
            return None;
        }
        let saved = rustix::termios::tcgetattr(&stdin).ok()?;
        let mut quiet = saved.clone();
        quiet.local_modes.remove(rustix::termios::LocalModes::ECHO);
        rustix::termios::tcsetattr(&stdin, rustix::termios::OptionalActions::Now, &quiet).ok()?;
        Some(Self { saved })
    }
}

impl Drop for EchoOff {
    fn drop(&mut self) {
        let _ = rustix::termios::tcsetattr(
            std::io::stdin(),
            rustix::termios::OptionalActions::Now,
            &self.saved,
        );
    }
}
