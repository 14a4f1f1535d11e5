//! Shared setup for the live-stream and ingest tests: HEP packets, a test-only SIP summarizer, servers on
//! port 0, and WebSocket clients.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use app::domain::api::Role;
use futures_util::StreamExt;
use serde_json::Value;
use server::auth::{AuthOptions, AuthState, Generations};
use server::config::{Config, Overrides, RawConfig};
use server::hep::{encode, HepPacket, ProtoType};
use server::live::{Broker, BrokerConfig, SipSummary};
use server::users::{User, Users};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A test-only stand-in for the shared SIP scanner: first line and Call-ID only.
pub fn test_summarizer(payload: &[u8]) -> Option<SipSummary> {
    let text = std::str::from_utf8(payload).ok()?;
    let first = text.lines().next()?;
    let mut summary = SipSummary::default();
    if let Some(rest) = first.strip_prefix("SIP/2.0 ") {
        let (code, reason) = rest.split_once(' ').unwrap_or((rest, ""));
        summary.resp_code = code.to_string();
        summary.resp_text = reason.to_string();
    } else {
        summary.method = first.split(' ').next()?.to_string();
    }
    for line in text.lines() {
        if let Some(v) = line.strip_prefix("Call-ID: ") {
            summary.callid = v.trim().to_string();
        }
        if let Some(v) = line.strip_prefix("CSeq: ") {
            summary.cseq = v.trim().to_string();
            if summary.method.is_empty() {
                summary.method = v.split(' ').nth(1).unwrap_or("").to_string();
            }
        }
    }
    Some(summary)
}

/// HEP3 bytes of a SIP message with the given first line and Call-ID.
pub fn sip_hep(first_line: &str, call_id: &str, ts_us: Option<i64>) -> Vec<u8> {
    let method = first_line.split(' ').next().unwrap_or("INVITE");
    let cseq_method = if method == "SIP/2.0" {
        "INVITE"
    } else {
        method
    };
    let text = format!(
        "{first_line}\r\nCall-ID: {call_id}\r\nCSeq: 1 {cseq_method}\r\nContent-Length: 0\r\n\r\n"
    );
    let mut p = HepPacket::new(
        "10.0.0.5:5060".parse().unwrap(),
        "10.0.0.9:5060".parse().unwrap(),
        ProtoType::Sip,
        text.into_bytes(),
    );
    p.ts_us = ts_us;
    p.capture_id = 2001;
    encode(&p, false).unwrap()
}

/// A broker with the given limits and a 1000-event ring.
pub fn broker(
    max_subscribers: usize,
    per_sub_queue_len: usize,
    rate_per_sub_pps: u32,
) -> Arc<Broker> {
    Broker::new(BrokerConfig {
        buffer_size: 1000,
        buffer_bytes: BrokerConfig::default().buffer_bytes,
        max_subscribers,
        per_sub_queue_len,
        rate_per_sub_pps,
    })
}

/// A server running `app` on `addr` until the returned sender fires.
pub struct Running {
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl Running {
    pub async fn start(addr: SocketAddr, app: axum::Router) -> Running {
        let listener = bind_retrying(addr).await;
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            server::serve(listener, app, async move {
                let _ = stopped.await;
            })
            .await
            .unwrap();
        });
        Running {
            addr,
            stop: Some(stop),
            task,
        }
    }

    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = tokio::time::timeout(Duration::from_secs(5), self.task).await;
    }
}

async fn bind_retrying(addr: SocketAddr) -> tokio::net::TcpListener {
    for _ in 0..100 {
        if let Ok(l) = tokio::net::TcpListener::bind(addr).await {
            return l;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("cannot bind {addr}");
}

/// Share links kept in a fresh temporary directory, over no backend.
pub fn shares() -> server::share::Shares {
    let dir = crate::common::app::temp_dir("live-shares");
    server::share::Shares::open(
        server::share::ShareConfig::default(),
        &dir,
        server::backends::registry(Vec::new()).unwrap(),
    )
    .unwrap()
}

/// An audit log in a fresh temp dir.
pub fn audit() -> server::audit::AuditLog {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let dir = std::env::temp_dir().join(format!("hepscope-live-audit-{}-{n}", std::process::id()));
    server::audit::AuditLog::open(&dir, server::audit::AuditConfig::default()).unwrap()
}

/// Two users: `admin` (admin) and `viewer` (viewer), with hour-long sessions.
pub fn auth_state() -> AuthState {
    auth_state_with_ttl(Duration::from_secs(3600))
}

/// [`auth_state`] with sessions lasting `session_ttl`.
pub fn auth_state_with_ttl(session_ttl: Duration) -> AuthState {
    let users = Users::from_list(vec![
        User {
            username: "admin".into(),
            password_hash: "unused".into(),
            role: Role::Admin,
            share: false,
            rights: None,
        },
        User {
            username: "viewer".into(),
            password_hash: "unused".into(),
            role: Role::Viewer,
            share: false,
            rights: None,
        },
    ]);
    AuthState::new(
        b"0123456789abcdef0123456789abcdef",
        users,
        Generations::in_memory(),
        AuthOptions {
            session_ttl,
            ..AuthOptions::default()
        },
    )
}

/// A default config (no file, no environment).
pub fn config() -> Config {
    Config::from_raw(
        RawConfig::default(),
        None,
        &Overrides::default(),
        &BTreeMap::<String, String>::new(),
    )
    .unwrap()
}

/// Connects with extra headers; the handshake error (with its HTTP status) on refusal.
pub async fn connect(
    url: &str,
    headers: &[(&'static str, String)],
) -> Result<Ws, tokio_tungstenite::tungstenite::Error> {
    let mut request = url.into_client_request().unwrap();
    for (name, value) in headers {
        request
            .headers_mut()
            .insert(*name, HeaderValue::from_str(value).unwrap());
    }
    tokio_tungstenite::connect_async(request)
        .await
        .map(|(ws, _)| ws)
}

/// The HTTP status of a refused handshake.
pub fn refused_status(result: Result<Ws, tokio_tungstenite::tungstenite::Error>) -> u16 {
    match result {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => response.status().as_u16(),
        Err(e) => panic!("expected an HTTP refusal, got {e}"),
        Ok(_) => panic!("expected a refusal, the socket opened"),
    }
}

/// The next text frame as JSON, within 5 s; `None` on close or timeout.
pub async fn next_json(ws: &mut Ws) -> Option<Value> {
    next_json_within(ws, Duration::from_secs(5)).await
}

/// The next text frame as JSON within `wait`.
pub async fn next_json_within(ws: &mut Ws, wait: Duration) -> Option<Value> {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let msg = tokio::time::timeout_at(deadline, ws.next())
            .await
            .ok()??
            .ok()?;
        match msg {
            Message::Text(text) => return Some(serde_json::from_str(text.as_str()).unwrap()),
            Message::Close(_) => return None,
            _ => {}
        }
    }
}

/// Polls `check` every 20 ms until it holds or `wait` passes.
pub async fn eventually<F, Fut>(wait: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + wait;
    while tokio::time::Instant::now() < deadline {
        if check().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    false
}
