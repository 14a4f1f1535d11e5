//! A real hepscope server on 127.0.0.1:0 with a temporary data dir and dist, and HTTP helpers.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use server::config::{Config, Overrides, RawConfig};
use server::{router, serve, AppState};
use tokio::sync::oneshot;

pub const ADMIN_PASSWORD: &str = "test-admin-password";

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A fresh temporary directory for one test.
pub fn temp_dir(name: &str) -> PathBuf {
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let dir = std::env::temp_dir().join(format!("hepscope-test-{}-{name}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The state a [`TestServer`] runs with (the admin's password is [`ADMIN_PASSWORD`]), with its
/// temporary dist and data dirs.
pub fn test_state(toml_text: &str) -> (AppState, PathBuf, PathBuf) {
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
        ..Overrides::default()
    };
    let config = Config::from_raw(raw, None, &overrides, &env).unwrap();
    let (state, _) = AppState::from_config(config, Vec::new()).unwrap();
    (state, dist, data)
}

/// A running server; stops when dropped.
pub struct TestServer {
    pub addr: SocketAddr,
    pub dist: PathBuf,
    pub data: PathBuf,
    stop: Option<oneshot::Sender<()>>,
    pub task: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

impl TestServer {
    /// Starts a server with the given TOML config text.
    pub async fn start(toml_text: &str) -> TestServer {
        let (state, dist, data) = test_state(toml_text);
        TestServer::serve_state(state, dist, data).await
    }

    /// Serves a state from [`test_state`] (to prepare its store first).
    pub async fn serve_state(state: AppState, dist: PathBuf, data: PathBuf) -> TestServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        TestServer::serve_on(listener, state, dist, data)
    }

    /// Starts a server on `listener`, bound by the caller: for a config that names its own URL
    /// (an OIDC redirect URL).
    pub async fn start_on(listener: tokio::net::TcpListener, toml_text: &str) -> TestServer {
        let (state, dist, data) = test_state(toml_text);
        TestServer::serve_on(listener, state, dist, data)
    }

    fn serve_on(
        listener: tokio::net::TcpListener,
        state: AppState,
        dist: PathBuf,
        data: PathBuf,
    ) -> TestServer {
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(serve(listener, router(state), async {
            let _ = stopped.await;
        }));
        TestServer {
            addr,
            dist,
            data,
            stop: Some(stop),
            task: Some(task),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Asks the server to stop and waits for it.
    pub async fn shutdown(mut self) -> anyhow::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.task.take() {
            Some(task) => task.await.unwrap(),
            None => Ok(()),
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
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
