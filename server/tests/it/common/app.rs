//! A real hepscope server on 127.0.0.1:0 with a temporary data dir and dist, and HTTP helpers.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use server::app::{Addresses, HomerSource, StartOptions};
use server::config::{Config, Overrides, RawConfig};
use server::{App, AppState, RunningApp};

pub const ADMIN_PASSWORD: &str = "test-admin-password";

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A fresh temporary directory for one test, under `$TMPDIR/hepscope-tests/<pid>/`.
pub fn temp_dir(name: &str) -> PathBuf {
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let dir = run_dir().join(format!("{name}-{n}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// This process's directory for test data. The harness has no hook after the last test, and some tests
/// write hundreds of megabytes (the SQL API's hour partitions), so the first call of each run removes
/// the directories of test processes that are no longer running: the disk holds at most one run's data.
fn run_dir() -> PathBuf {
    static CLEANED: std::sync::Once = std::sync::Once::new();
    let root = std::env::temp_dir().join("hepscope-tests");
    CLEANED.call_once(|| {
        for entry in std::fs::read_dir(&root).into_iter().flatten().flatten() {
            let name = entry.file_name();
            let running = name
                .to_str()
                .and_then(|pid| pid.parse::<u32>().ok())
                .is_some_and(|pid| std::path::Path::new(&format!("/proc/{pid}")).exists());
            if !running {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    });
    root.join(std::process::id().to_string())
}

/// The config a [`TestServer`] runs with (the admin's password is [`ADMIN_PASSWORD`]; HTTP, HEP and the
/// live stream on port 0), with its temporary dist and data dirs.
pub fn test_config(toml_text: &str) -> (Config, PathBuf, PathBuf) {
    let dist = temp_dir("dist");
    std::fs::write(
        dist.join("index.html"),
        "<!doctype html><title>hepscope</title>",
    )
    .unwrap();
    std::fs::write(
        dist.join("app-0123456789abcdef_bg.wasm"),
        vec![b'a'; 20_000],
    )
    .unwrap();
    let data = temp_dir("data");
    let raw: RawConfig = toml::from_str(toml_text).unwrap();
    let env: BTreeMap<String, String> = [(
        "HEPSCOPE_ADMIN_PASSWORD".to_string(),
        ADMIN_PASSWORD.to_string(),
    )]
    .into();
    let overrides = Overrides {
        listen: Some("127.0.0.1:0".into()),
        data_dir: Some(data.clone()),
        dist_dir: Some(dist.clone()),
        hep_listen: Some("127.0.0.1:0".into()),
        stream_listen: Some("127.0.0.1:0".into()),
        ..Overrides::default()
    };
    let config = Config::from_raw(raw, None, &overrides, &env).unwrap();
    (config, dist, data)
}

/// The state a [`TestServer`] runs with, built as [`App::prepare`] builds it (no HOMER backend).
pub fn test_state(toml_text: &str) -> (AppState, PathBuf, PathBuf) {
    let (config, dist, data) = test_config(toml_text);
    let (state, _) = AppState::from_config(config, Vec::new()).unwrap();
    (state, dist, data)
}

/// A running server, started by [`App`] as `hepscope serve` starts it (HEP receiver included); stops
/// when dropped.
pub struct TestServer {
    pub addr: SocketAddr,
    pub dist: PathBuf,
    pub data: PathBuf,
    running: Option<RunningApp>,
}

impl TestServer {
    /// Starts a server with the given TOML config text.
    pub async fn start(toml_text: &str) -> TestServer {
        let (config, dist, data) = test_config(toml_text);
        let options = StartOptions {
            homer: HomerSource::Given(Vec::new()),
            ..StartOptions::default()
        };
        let app = App::prepare(config, options).await.unwrap();
        TestServer::bind(app, dist, data).await
    }

    /// Serves a state from [`test_state`] (to prepare its store first).
    pub async fn serve_state(state: AppState, dist: PathBuf, data: PathBuf) -> TestServer {
        TestServer::bind(App::from_state(state), dist, data).await
    }

    /// Starts a server on the port of `listener`, bound by the caller: for a config that names its own URL
    /// (an OIDC redirect URL). [`App`] binds its own sockets, so the port is handed over.
    pub async fn start_on(listener: tokio::net::TcpListener, toml_text: &str) -> TestServer {
        let addr = listener.local_addr().unwrap();
        drop(listener);
        let (mut config, dist, data) = test_config(toml_text);
        config.listen = addr;
        let options = StartOptions {
            homer: HomerSource::Given(Vec::new()),
            ..StartOptions::default()
        };
        let app = App::prepare(config, options).await.unwrap();
        TestServer::bind(app, dist, data).await
    }

    async fn bind(app: App, dist: PathBuf, data: PathBuf) -> TestServer {
        let running = app.bind().await.unwrap();
        TestServer {
            addr: running.addresses().http,
            dist,
            data,
            running: Some(running),
        }
    }

    /// Every address the server bound (HEP, live stream).
    pub fn addresses(&self) -> Addresses {
        self.running().addresses()
    }

    /// The running app (its state: store, shares).
    pub fn running(&self) -> &RunningApp {
        self.running
            .as_ref()
            .expect("a TestServer runs until shutdown() consumes it")
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Stops the server as `hepscope` stops on SIGTERM, and waits for it.
    pub async fn shutdown(mut self) -> anyhow::Result<()> {
        match self.running.take() {
            Some(running) => running.stop().await,
            None => Ok(()),
        }
    }
}

/// A client that keeps no cookies by itself and never decompresses, so tests see raw headers.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// GETs `path`, with the session cookie when one is given.
pub async fn get_with(server: &TestServer, path: &str, cookie: Option<&str>) -> reqwest::Response {
    let mut request = client().get(server.url(path));
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    request.send().await.unwrap()
}

/// POSTs `body` as JSON to `path`, with the session cookie when one is given.
pub async fn post_with(
    server: &TestServer,
    path: &str,
    cookie: Option<&str>,
    body: &serde_json::Value,
) -> reqwest::Response {
    let mut request = client().post(server.url(path)).json(body);
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    request.send().await.unwrap()
}

/// Logs in and returns the `name=value` part of the session cookie.
pub async fn login(server: &TestServer, username: &str, password: &str) -> reqwest::Response {
    client()
        .post(server.url("/api/login"))
        .json(&serde_json::json!({ "username": username, "password": password }))
        .send()
        .await
        .unwrap()
}

/// The session cookie pair from a login response.
pub fn session_cookie(response: &reqwest::Response) -> String {
    let set_cookie = response
        .headers()
        .get("set-cookie")
        .expect("a Set-Cookie header")
        .to_str()
        .unwrap();
    set_cookie.split(';').next().unwrap().to_string()
}

/// The audit log's sign-in records of `user` as (method, outcome), once `count` are written.
pub async fn audit_sign_ins(
    server: &TestServer,
    user: &str,
    count: usize,
) -> Vec<(String, String)> {
    let admin = session_cookie(&login(server, "admin", ADMIN_PASSWORD).await);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let path = format!("/api/audit?user={user}&action=sign_in");
        let records: Vec<serde_json::Value> = get_with(server, &path, Some(&admin))
            .await
            .json()
            .await
            .unwrap();
        if records.len() >= count || std::time::Instant::now() > deadline {
            return records
                .iter()
                .map(|r| {
                    let field = |k: &str| r[k].as_str().unwrap_or_default().to_string();
                    (field("object"), field("outcome"))
                })
                .collect();
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
