//! Shared setup for the server's integration tests: serving routers on `127.0.0.1:0`, the fake
//! HOMER 7, a proxy in front of it, broken upstreams, and a tracing capture.

#![allow(dead_code)] // Not every helper is used by every suite.

pub mod alone;
pub mod app;
pub mod fake_homer;
pub mod oidc;
pub mod process;
pub mod slapd;
pub mod store;

use std::io::Write;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use server::homer::client::{HomerClient, HomerClientOptions};
use server::homer::config::BaseUrl;
use server::homer::dex::Credentials;
use server::homer::{BackendRegistry, HomerBackend, RegisteredBackend, Secret};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// `router` as if a `role` user had logged in (the session `require_session` would have stored), for
/// tests that mount a module's routes without the login in front.
pub fn with_session(router: Router, username: &str, role: ::app::domain::api::Role) -> Router {
    router.layer(axum::Extension(server::auth::Session::local(
        username, role,
    )))
}

/// Serves `router` on a fresh `127.0.0.1` port.
pub async fn serve(router: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, router).await.unwrap();
    });
    addr
}

/// A client for the Homer at `url` with the fake's credentials.
pub fn client(name: &str, url: &str, request_timeout: Duration) -> HomerClient {
    client_with(name, url, fake_homer::PASSWORD, request_timeout)
}

/// A client for the Homer at `url` with the given password.
pub fn client_with(
    name: &str,
    url: &str,
    password: &str,
    request_timeout: Duration,
) -> HomerClient {
    HomerClient::new(
        name,
        BaseUrl::parse(name, url).unwrap(),
        Credentials {
            username: fake_homer::USERNAME.to_owned(),
            password: Secret::new(password),
        },
        HomerClientOptions {
            connect_timeout: Duration::from_secs(2),
            request_timeout,
            ..HomerClientOptions::default()
        },
    )
    .unwrap()
}

/// hepscope's HOMER routes nested under `/api`, as the lead wires them, on a fresh port.
pub async fn proxy(clients: Vec<HomerClient>) -> (String, Arc<BackendRegistry>) {
    let backends = clients
        .into_iter()
        .map(|client| RegisteredBackend {
            backend: Arc::new(HomerBackend::new(client, false, Duration::from_secs(2))),
            default: false,
        })
        .collect();
    let registry = Arc::new(BackendRegistry::new(backends).unwrap());
    // Behind the session check, as in `server::router`: an admin's session in the extensions.
    let app = Router::new().nest("/api", server::homer::router(Arc::clone(&registry)));
    let app = with_session(app, "admin", ::app::domain::api::Role::Admin);
    let addr = serve(app).await;
    (format!("http://{addr}/api"), registry)
}

/// The fake plus a proxy whose only (default) backend is it, named `main`.
pub async fn fake_and_proxy(request_timeout: Duration) -> (fake_homer::FakeHomer, String) {
    let fake = fake_homer::FakeHomer::start().await;
    let (api, _) = proxy(vec![client("main", &fake.url(), request_timeout)]).await;
    (fake, api)
}

/// A plain HTTP client for talking to the proxy.
pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap()
}

/// A Homer search body as homer-ui sends it.
pub fn search_body() -> serde_json::Value {
    serde_json::json!({
        "timestamp": {"from": 1_700_000_000_000_u64, "to": 1_700_003_600_000_u64},
        "param": {"search": {"1_call": [
            {"name": "data_header.from_user", "value": "1001", "type": "string", "hepid": 1},
            {"name": "limit", "value": "200", "type": "string", "hepid": 1}
        ]}, "location": {}, "orlogic": false, "limit": 200}
    })
}

/// POSTs [`search_body`] to `{api}/{path}` (e.g. `v3/search/call/data`).
pub async fn post_search(api: &str, path: &str) -> reqwest::Response {
    http()
        .post(format!("{api}/{path}"))
        .json(&search_body())
        .send()
        .await
        .unwrap()
}

/// A response header as text; fails the test naming the header when it is missing.
pub fn header<'r>(response: &'r reqwest::Response, name: &str) -> &'r str {
    response
        .headers()
        .get(name)
        .unwrap_or_else(|| panic!("no {name} header"))
        .to_str()
        .unwrap()
}

/// A local address nothing listens on (connections are refused).
pub async fn refused_addr() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap()
}

/// A server that answers every connection with non-HTTP bytes and closes it.
pub async fn garbage_server() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 1024];
                let _ = socket.read(&mut buf).await;
                let _ = socket
                    .write_all(b"SSH-2.0-OpenSSH_9.2\r\n\x00\x01garbage")
                    .await;
            });
        }
    });
    addr
}

/// Captured tracing output, shared with the subscriber's writer.
#[derive(Clone, Default)]
pub struct LogCapture(Arc<Mutex<Vec<u8>>>);

impl LogCapture {
    /// Everything logged so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }

    /// Installs a TRACE-level subscriber writing here, for the current thread.
    pub fn install(&self) -> tracing::subscriber::DefaultGuard {
        let capture = self.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || capture.clone())
            .finish();
        tracing::subscriber::set_default(subscriber)
    }
}

impl Write for LogCapture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The step names of a backend check report (`GET /api/backends/{name}/check`), in order.
pub fn check_steps(report: &serde_json::Value) -> Vec<&str> {
    report["steps"]
        .as_array()
        .map(|steps| steps.iter().filter_map(|s| s["step"].as_str()).collect())
        .unwrap_or_default()
}
