//! `GET /api/v4/stream/hep` on the main router: the auth paths (cookie, bearer, a stream ticket as
//! access_token, none, a session token in the URL, bad Origin or Sec-Fetch-Site), sockets closing when
//! their session ends, the stream switch, and the payload policy matrix (client flag × allow_payload ×
//! admin).

use crate::live_support;

use std::sync::Arc;

use crate::common::app::TestServer;

use crate::live_support::{
    auth_state, broker, config, connect, next_json, refused_status, Running,
};
use app::domain::api::Role;
use server::live::{CoordinatorStreamConfig, LiveEvent, LiveState, Origin};
use server::{router, AppState};

/// The main server's state with `broker` and the coordinator settings `stream`, and its auth.
fn state(
    broker: Arc<server::live::Broker>,
    stream: CoordinatorStreamConfig,
) -> (AppState, server::auth::AuthState) {
    state_with(broker, stream, auth_state())
}

fn state_with(
    broker: Arc<server::live::Broker>,
    stream: CoordinatorStreamConfig,
    auth: server::auth::AuthState,
) -> (AppState, server::auth::AuthState) {
    let state = AppState {
        config: Arc::new(config()),
        auth: auth.clone(),
        backends: server::backends::registry(Vec::new()).unwrap(),
        store: None,
        shares: live_support::shares(),
        audit: live_support::audit(),
        live: LiveState::new(Some(broker), stream),
    };
    (state, auth)
}

/// Serves the main router with `broker` and the coordinator settings `stream`.
async fn serve(
    broker: Arc<server::live::Broker>,
    stream: CoordinatorStreamConfig,
) -> (Running, server::auth::AuthState) {
    let (state, auth) = state(broker, stream);
    let running = Running::start("127.0.0.1:0".parse().unwrap(), router(state)).await;
    (running, auth)
}

async fn start(enable: bool, allow_payload: bool) -> (Running, server::auth::AuthState) {
    start_with(enable, allow_payload, auth_state()).await
}

async fn start_with(
    enable: bool,
    allow_payload: bool,
    auth: server::auth::AuthState,
) -> (Running, server::auth::AuthState) {
    let broker = broker(32, 256, 0);
    broker.publish(Arc::new(LiveEvent {
        ts_ms: 42,
        proto: 1,
        src_ip: "10.0.0.1".into(),
        src_port: 5060,
        dst_ip: "10.0.0.2".into(),
        dst_port: 5060,
        node_id: 0,
        sip: None,
        payload: "INVITE sip:x SIP/2.0\r\n".into(),
        origin: Origin::Relayed,
    }));
    let (state, auth) = state_with(
        broker,
        CoordinatorStreamConfig {
            enable,
            allow_payload,
            ..CoordinatorStreamConfig::default()
        },
        auth,
    );
    let running = Running::start("127.0.0.1:0".parse().unwrap(), router(state)).await;
    (running, auth)
}

fn token(auth: &server::auth::AuthState, user: &str, role: Role) -> String {
    auth.issue(user, role).unwrap().0
}

fn bearer(t: &str) -> [(&'static str, String); 1] {
    [("authorization", format!("Bearer {t}"))]
}

/// A stream ticket from `POST /api/stream-ticket`, taken with the session token `t`.
async fn ticket(app: &Running, t: &str) -> String {
    let response = reqwest::Client::new()
        .post(format!("http://{}/api/stream-ticket", app.addr))
        .bearer_auth(t)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body: serde_json::Value = response.json().await.unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let expires_at = body["expires_at"].as_i64().unwrap();
    assert!(
        expires_at - now <= 60,
        "a ticket lives a minute at most: {body}"
    );
    body["ticket"].as_str().unwrap().to_string()
}

/// The close frame's code, waiting up to `wait` and skipping data frames.
async fn close_code(ws: &mut live_support::Ws, wait: std::time::Duration) -> Option<u16> {
    use futures_util::StreamExt;
    use tokio_tungstenite::tungstenite::Message;
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let next = tokio::time::timeout_at(deadline, ws.next()).await.ok()??;
        if let Ok(Message::Close(frame)) = next {
            return frame.map(|f| u16::from(f.code));
        }
    }
}

#[tokio::test]
async fn cookie_bearer_and_a_stream_ticket_each_open_the_stream() {
    let (app, auth) = start(true, false).await;
    let t = token(&auth, "viewer", Role::Viewer);
    let url = format!("ws://{}/api/v4/stream/hep?history=1", app.addr);
    let origin = format!("http://{}", app.addr);
    let mut by_cookie = connect(
        &url,
        &[
            ("cookie", format!("hepscope_session={t}")),
            ("origin", origin.clone()),
        ],
    )
    .await
    .unwrap();
    assert_eq!(next_json(&mut by_cookie).await.unwrap()["ts"], 42);
    let mut by_bearer = connect(&url, &[("authorization", format!("Bearer {t}"))])
        .await
        .unwrap();
    assert_eq!(next_json(&mut by_bearer).await.unwrap()["ts"], 42);
    let ticket = ticket(&app, &t).await;
    let mut by_query = connect(
        &format!("{url}&access_token={ticket}"),
        &[("origin", origin)],
    )
    .await
    .unwrap();
    assert_eq!(next_json(&mut by_query).await.unwrap()["ts"], 42);
    app.stop().await;
}

#[tokio::test]
async fn a_session_token_in_the_url_is_refused() {
    let (app, auth) = start(true, false).await;
    let t = token(&auth, "viewer", Role::Viewer);
    let url = format!("ws://{}/api/v4/stream/hep?access_token={t}", app.addr);
    assert_eq!(refused_status(connect(&url, &[]).await), 401);
    // And a ticket is no session: it opens no API route.
    let ticket = ticket(&app, &t).await;
    let me = reqwest::Client::new()
        .get(format!("http://{}/api/me", app.addr))
        .bearer_auth(&ticket)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 401);
    app.stop().await;
}

#[tokio::test]
async fn an_open_stream_closes_when_its_user_logs_out() {
    let (app, auth) = start(true, false).await;
    let t = token(&auth, "viewer", Role::Viewer);
    let url = format!("ws://{}/api/v4/stream/hep", app.addr);
    let cookie = format!("hepscope_session={t}");
    let mut by_cookie = connect(&url, &[("cookie", cookie.clone())]).await.unwrap();
    let ticket = ticket(&app, &t).await;
    let mut by_ticket = connect(&format!("{url}?access_token={ticket}"), &[])
        .await
        .unwrap();
    let logout = reqwest::Client::new()
        .post(format!("http://{}/api/logout", app.addr))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), 204);
    let wait = std::time::Duration::from_secs(3);
    assert_eq!(close_code(&mut by_cookie, wait).await, Some(1008));
    assert_eq!(close_code(&mut by_ticket, wait).await, Some(1008));
    // The revoked token opens nothing any more.
    assert_eq!(refused_status(connect(&url, &bearer(&t)).await), 401);
    app.stop().await;
}

#[tokio::test]
async fn an_open_stream_closes_when_its_session_expires() {
    let auth = live_support::auth_state_with_ttl(std::time::Duration::from_secs(2));
    let (app, auth) = start_with(true, false, auth).await;
    let t = token(&auth, "viewer", Role::Viewer);
    let url = format!("ws://{}/api/v4/stream/hep", app.addr);
    let mut ws = connect(&url, &bearer(&t)).await.unwrap();
    let started = std::time::Instant::now();
    assert_eq!(
        close_code(&mut ws, std::time::Duration::from_secs(5)).await,
        Some(1008)
    );
    assert!(started.elapsed() <= std::time::Duration::from_secs(4));
    app.stop().await;
}

#[tokio::test]
async fn missing_or_bad_credentials_get_401() {
    let (app, _) = start(true, false).await;
    let url = format!("ws://{}/api/v4/stream/hep", app.addr);
    assert_eq!(refused_status(connect(&url, &[]).await), 401);
    assert_eq!(
        refused_status(connect(&format!("{url}?access_token=forged"), &[]).await),
        401
    );
    assert_eq!(
        refused_status(connect(&url, &[("authorization", "Bearer forged".into())]).await),
        401
    );
    app.stop().await;
}

#[tokio::test]
async fn foreign_origin_gets_403_even_with_a_valid_cookie() {
    let (app, auth) = start(true, false).await;
    let t = token(&auth, "admin", Role::Admin);
    let url = format!("ws://{}/api/v4/stream/hep", app.addr);
    let result = connect(
        &url,
        &[
            ("cookie", format!("hepscope_session={t}")),
            ("origin", "http://evil.example".into()),
        ],
    )
    .await;
    assert_eq!(refused_status(result), 403);
    for headers in [
        [("origin", "null".to_string())],
        [("sec-fetch-site", "cross-site".to_string())],
    ] {
        let mut with_cookie = vec![("cookie", format!("hepscope_session={t}"))];
        with_cookie.extend(headers);
        assert_eq!(refused_status(connect(&url, &with_cookie).await), 403);
    }
    app.stop().await;
}

#[tokio::test]
async fn stream_switched_off_gets_503() {
    let (app, auth) = start(false, false).await;
    let t = token(&auth, "admin", Role::Admin);
    let url = format!("ws://{}/api/v4/stream/hep", app.addr);
    assert_eq!(refused_status(connect(&url, &bearer(&t)).await), 503);
    app.stop().await;
}

#[tokio::test]
async fn payload_is_sent_only_when_asked_allowed_and_admin() {
    for allow in [false, true] {
        let (app, auth) = start(true, allow).await;
        for (user, role) in [("viewer", Role::Viewer), ("admin", Role::Admin)] {
            for asks in [false, true] {
                let t = token(&auth, user, role);
                let flag = if asks { "&include_payload=1" } else { "" };
                let url = format!("ws://{}/api/v4/stream/hep?history=1{flag}", app.addr);
                let mut ws = connect(&url, &bearer(&t)).await.unwrap();
                let frame = next_json(&mut ws).await.unwrap();
                let expected = asks && allow && role == Role::Admin;
                assert_eq!(
                    frame.get("payload").is_some(),
                    expected,
                    "asks={asks} allow_payload={allow} user={user}: {frame}"
                );
                if expected {
                    assert_eq!(frame["payload"], "INVITE sip:x SIP/2.0\r\n");
                }
            }
        }
        app.stop().await;
    }
}

#[tokio::test]
async fn history_is_capped_by_history_limit() {
    let broker = broker(32, 256, 0);
    for ts in 0..10 {
        broker.publish(Arc::new(LiveEvent {
            ts_ms: ts,
            proto: 5,
            src_ip: String::new(),
            src_port: 0,
            dst_ip: String::new(),
            dst_port: 0,
            node_id: 0,
            sip: None,
            payload: String::new(),
            origin: Origin::Local,
        }));
    }
    let (app, auth) = serve(
        broker,
        CoordinatorStreamConfig {
            enable: true,
            history_limit: 3,
            ..CoordinatorStreamConfig::default()
        },
    )
    .await;
    let t = token(&auth, "viewer", Role::Viewer);
    let url = format!("ws://{}/api/v4/stream/hep?history=50", app.addr);
    let mut ws = connect(&url, &bearer(&t)).await.unwrap();
    let mut got = Vec::new();
    while let Some(f) =
        live_support::next_json_within(&mut ws, std::time::Duration::from_millis(300)).await
    {
        got.push(f["ts"].as_i64().unwrap());
    }
    assert_eq!(got, vec![7, 8, 9]);
    app.stop().await;
}

/// The server as `hepscope serve` starts it ([`server::App`]) stops within its grace period while a
/// logged-in user's stream is open: the broker closes it first.
#[tokio::test]
async fn main_server_stops_promptly_with_a_stream_open() {
    let server = TestServer::start(
        "[ingest.hep_stream]\nenable = true\n[coordinator.hep_stream]\nenable = true\n",
    )
    .await;
    let state = server.running().state().clone();
    let broker = Arc::clone(state.live.broker().expect("live streaming is on"));
    let t = token(&state.auth, "admin", Role::Admin);
    let _ws = connect(
        &format!("ws://{}/api/v4/stream/hep", server.addr),
        &bearer(&t),
    )
    .await
    .unwrap();
    assert!(
        live_support::eventually(std::time::Duration::from_secs(5), || async {
            broker.stats().subscribers == 1
        })
        .await
    );
    let result = tokio::time::timeout(std::time::Duration::from_secs(3), server.shutdown()).await;
    assert!(
        matches!(result, Ok(Ok(()))),
        "stop waited for the open stream"
    );
}

/// Clients of the node endpoint and logged-in users have places of their own: filling one side never
/// refuses the other.
#[tokio::test]
async fn node_clients_never_take_logged_in_users_places() {
    let server = TestServer::start(
        "[ingest.hep_stream]\nenable = true\nmax_subscribers = 1\nnode_max_subscribers = 1\n\
         [coordinator.hep_stream]\nenable = true\n",
    )
    .await;
    let node_url = format!(
        "ws://{}/stream",
        server.addresses().stream.expect("the node endpoint runs")
    );
    let auth = server.running().state().auth.clone();
    let t = token(&auth, "admin", Role::Admin);
    let user_url = format!("ws://{}/api/v4/stream/hep", server.addr);
    let bearer = || [("authorization", format!("Bearer {t}"))];

    let _node = connect(&node_url, &[]).await.unwrap();
    assert_eq!(refused_status(connect(&node_url, &[]).await), 503);
    let _user = connect(&user_url, &bearer())
        .await
        .expect("a full node endpoint leaves the user's place");
    assert_eq!(refused_status(connect(&user_url, &bearer()).await), 503);
    assert_eq!(refused_status(connect(&node_url, &[]).await), 503);
    server.shutdown().await.unwrap();
}
