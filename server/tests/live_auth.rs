//! `GET /api/v4/stream/hep` on the main router: the auth paths (cookie, bearer, access_token, none, bad
//! Origin), the stream switch, and the payload policy matrix (client flag × allow_payload × admin).

mod live_support;

use std::sync::Arc;

use app::domain::api::Role;
use live_support::{auth_state, broker, config, connect, next_json, refused_status, Running};
use server::live::{CoordinatorStreamConfig, LiveEvent, LiveState, Origin};
use server::{router, AppState};

/// The main server's state with `broker` and the coordinator settings `stream`, and its auth.
fn state(
    broker: Arc<server::live::Broker>,
    stream: CoordinatorStreamConfig,
) -> (AppState, server::auth::AuthState) {
    let auth = auth_state();
    let state = AppState {
        config: Arc::new(config()),
        auth: auth.clone(),
        backends: server::backends::registry(Vec::new()).unwrap(),
        store: None,
        shares: live_support::shares(),
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
    serve(
        broker,
        CoordinatorStreamConfig {
            enable,
            allow_payload,
            ..CoordinatorStreamConfig::default()
        },
    )
    .await
}

fn token(auth: &server::auth::AuthState, user: &str, role: Role) -> String {
    auth.issue(user, role).unwrap().0
}

#[tokio::test]
async fn cookie_bearer_and_access_token_each_open_the_stream() {
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
    let mut by_query = connect(&format!("{url}&access_token={t}"), &[("origin", origin)])
        .await
        .unwrap();
    assert_eq!(next_json(&mut by_query).await.unwrap()["ts"], 42);
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
    app.stop().await;
}

#[tokio::test]
async fn stream_switched_off_gets_503() {
    let (app, auth) = start(false, false).await;
    let t = token(&auth, "admin", Role::Admin);
    let url = format!("ws://{}/api/v4/stream/hep?access_token={t}", app.addr);
    assert_eq!(refused_status(connect(&url, &[]).await), 503);
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
                let url = format!(
                    "ws://{}/api/v4/stream/hep?history=1&access_token={t}{flag}",
                    app.addr
                );
                let mut ws = connect(&url, &[]).await.unwrap();
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
    let url = format!(
        "ws://{}/api/v4/stream/hep?history=50&access_token={t}",
        app.addr
    );
    let mut ws = connect(&url, &[]).await.unwrap();
    let mut got = Vec::new();
    while let Some(f) =
        live_support::next_json_within(&mut ws, std::time::Duration::from_millis(300)).await
    {
        got.push(f["ts"].as_i64().unwrap());
    }
    assert_eq!(got, vec![7, 8, 9]);
    app.stop().await;
}

#[tokio::test]
async fn main_server_stops_promptly_with_a_stream_open() {
    let broker = broker(32, 256, 0);
    let (state, auth) = state(
        Arc::clone(&broker),
        CoordinatorStreamConfig {
            enable: true,
            ..CoordinatorStreamConfig::default()
        },
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let served = tokio::spawn(server::serve(listener, router(state), async move {
        let _ = stopped.await;
    }));
    let t = token(&auth, "viewer", Role::Viewer);
    let _ws = connect(
        &format!("ws://{addr}/api/v4/stream/hep?access_token={t}"),
        &[],
    )
    .await
    .unwrap();
    assert!(
        live_support::eventually(std::time::Duration::from_secs(5), || async {
            broker.stats().subscribers == 1
        })
        .await
    );
    let _ = stop.send(());
    let result = tokio::time::timeout(std::time::Duration::from_secs(3), served).await;
    assert!(result.is_ok(), "serve waited for the open stream");
    broker.close();
}

/// Clients of the node endpoint and logged-in users have places of their own: filling one side never
/// refuses the other.
#[tokio::test]
async fn node_clients_never_take_logged_in_users_places() {
    let raw: server::config::RawConfig = toml::from_str(
        "[ingest.hep_stream]\nenable = true\nlisten = \"127.0.0.1:0\"\nmax_subscribers = 1\n\
         node_max_subscribers = 1\n[coordinator.hep_stream]\nenable = true\n",
    )
    .unwrap();
    let config = server::config::Config::from_raw(
        raw,
        None,
        &server::config::Overrides::default(),
        &std::collections::BTreeMap::<String, String>::new(),
    )
    .unwrap();
    let runtime = server::live::LiveRuntime::start(&config.live)
        .await
        .unwrap();
    let node_url = format!("ws://{}/stream", runtime.node_addr().unwrap());
    let auth = auth_state();
    let state = AppState {
        config: Arc::new(live_support::config()),
        auth: auth.clone(),
        backends: server::backends::registry(Vec::new()).unwrap(),
        store: None,
        shares: live_support::shares(),
        live: runtime.state(),
    };
    let app = Running::start("127.0.0.1:0".parse().unwrap(), router(state)).await;
    let t = token(&auth, "viewer", Role::Viewer);
    let user_url = format!("ws://{}/api/v4/stream/hep", app.addr);
    let bearer = || [("authorization", format!("Bearer {t}"))];

    let _node = connect(&node_url, &[]).await.unwrap();
    assert_eq!(refused_status(connect(&node_url, &[]).await), 503);
    let _user = connect(&user_url, &bearer())
        .await
        .expect("a full node endpoint leaves the user's place");
    assert_eq!(refused_status(connect(&user_url, &bearer()).await), 503);
    assert_eq!(refused_status(connect(&node_url, &[]).await), 503);
    app.stop().await;
    runtime.stop().await;
}
