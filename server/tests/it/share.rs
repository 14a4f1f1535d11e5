//! Share links over real HTTP: create, list and revoke with a session; the public routes without one,
//! forced to the share's Call-IDs; tampered, expired and revoked links; the share right; restarts.

use crate::common;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::common::app::{client, temp_dir};
use crate::common::store::{now_us, store_all};
use app::domain::fixture::{single_call, Outcome, Packet};
use serde_json::{json, Value};
use server::config::{Config, Overrides, RawConfig};
use server::{App, AppState, RunningApp};

const PASSWORD: &str = "share-test-password";

/// One argon2 hash for every test user (hashing is slow in debug builds).
fn password_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| server::users::hash_password(PASSWORD).unwrap())
}

/// `alice` is an admin, `bob` a viewer with the share right, `carol` a viewer without it.
fn users_toml(extra: &str) -> String {
    let hash = password_hash();
    format!(
        "{extra}\n\
         [[users]]\nusername = \"alice\"\npassword_hash = \"{hash}\"\nrole = \"admin\"\n\
         [[users]]\nusername = \"bob\"\npassword_hash = \"{hash}\"\nshare = true\n\
         [[users]]\nusername = \"carol\"\npassword_hash = \"{hash}\"\n"
    )
}

struct Server {
    addr: SocketAddr,
    running: RunningApp,
}

impl Server {
    /// A server on `data` with the given extra config, its store holding `packets`.
    async fn start(data: &Path, extra_toml: &str, packets: &[&[Packet]]) -> Server {
        let raw: RawConfig = toml::from_str(&users_toml(extra_toml)).unwrap();
        let overrides = Overrides {
            listen: Some("127.0.0.1:0".into()),
            data_dir: Some(data.to_path_buf()),
            dist_dir: Some(data.join("dist")),
            hep_listen: Some("127.0.0.1:0".into()),
            ..Overrides::default()
        };
        let config = Config::from_raw(raw, None, &overrides, &BTreeMap::new()).unwrap();
        let (state, _) = AppState::from_config(config, Vec::new()).unwrap();
        let store = state.store.clone().unwrap();
        for p in packets {
            assert!(store_all(&store, p) > 0);
        }
        let running = App::from_state(state).bind().await.unwrap();
        Server {
            addr: running.addresses().http,
            running,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    async fn stop(self) {
        self.running.stop().await.unwrap();
    }

    /// The session cookie of `user`.
    async fn login(&self, user: &str) -> String {
        let response = client()
            .post(self.url("/api/login"))
            .json(&json!({ "username": user, "password": PASSWORD }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "login {user}");
        common::app::session_cookie(&response)
    }

    async fn create(&self, cookie: &str, body: Value) -> (u16, Value) {
        let response = client()
            .post(self.url("/api/shares"))
            .header("cookie", cookie)
            .json(&body)
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.json().await.unwrap())
    }

    /// Creates a share and returns its id and token.
    async fn share(&self, cookie: &str, body: Value) -> (String, String) {
        let (status, created) = self.create(cookie, body).await;
        assert_eq!(status, 200, "{created}");
        let url = created["url"].as_str().unwrap();
        let token = url.strip_prefix("/s/").unwrap().to_string();
        (created["id"].as_str().unwrap().to_string(), token)
    }

    async fn get(&self, path: &str, cookie: Option<&str>) -> (u16, Value) {
        let mut request = client().get(self.url(path));
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn post(&self, path: &str, body: Value) -> reqwest::Response {
        client()
            .post(self.url(path))
            .json(&body)
            .send()
            .await
            .unwrap()
    }
}

struct Calls {
    a: Vec<Packet>,
    b: Vec<Packet>,
    from_ms: i64,
    to_ms: i64,
}

impl Calls {
    fn new() -> Calls {
        let start = now_us() - 600_000_000;
        Calls {
            a: single_call(31, start, Outcome::Answered),
            b: single_call(32, start + 10_000_000, Outcome::Answered),
            from_ms: start / 1000 - 60_000,
            to_ms: start / 1000 + 3_600_000,
        }
    }

    fn id_a(&self) -> String {
        self.a[0].call_id.clone()
    }

    fn id_b(&self) -> String {
        self.b[0].call_id.clone()
    }

    fn body(&self, ttl: Option<&str>) -> Value {
        let mut body = json!({ "call_ids": [self.id_a()], "from": self.from_ms, "to": self.to_ms });
        if let Some(ttl) = ttl {
            body["ttl"] = json!(ttl);
        }
        body
    }

    fn transaction_for_b(&self) -> Value {
        json!({
            "timestamp": { "from": 0, "to": self.to_ms },
            "param": { "search": { "1_call": { "callid": [self.id_b()] } } }
        })
    }
}

fn sids(answer: &Value) -> Vec<String> {
    answer["data"]["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["sid"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn admin_creates_lists_and_revokes_a_share() {
    let calls = Calls::new();
    let server = Server::start(&temp_dir("share-crud"), "", &[&calls.a]).await;
    let alice = server.login("alice").await;
    let (status, created) = server.create(&alice, calls.body(None)).await;
    assert_eq!(status, 200, "{created}");
    let expires_at = created["expires_at"].as_i64().unwrap();
    let now = jiff::Timestamp::now().as_second();
    assert!(
        (now + 72 * 3600 - 5..=now + 72 * 3600 + 5).contains(&expires_at),
        "the default lifetime is 72 h: {created}"
    );
    let id = created["id"].as_str().unwrap();

    let (status, list) = server.get("/api/shares", Some(&alice)).await;
    assert_eq!(status, 200);
    assert_eq!(list[0]["id"], id);
    assert_eq!(list[0]["status"], "active");
    assert_eq!(list[0]["created_by"], "alice");
    assert_eq!(list[0]["call_ids"], json!([calls.id_a()]));
    assert_eq!(list[0]["backend"], "embedded");

    let revoked = client()
        .delete(server.url(&format!("/api/shares/{id}")))
        .header("cookie", &alice)
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 204);
    let (_, list) = server.get("/api/shares", Some(&alice)).await;
    assert_eq!(list[0]["status"], "revoked");
    let token = created["url"]
        .as_str()
        .unwrap()
        .strip_prefix("/s/")
        .unwrap();
    let (status, body) = server.get(&format!("/api/shared/{token}"), None).await;
    assert_eq!((status, body), (410, json!({ "error": "revoked" })));
    let response = server
        .post(
            &format!("/api/shared/{token}/v3/call/transaction"),
            json!({}),
        )
        .await;
    assert_eq!(response.status(), 410);
}

#[tokio::test]
async fn shared_link_opens_without_login_forced_to_its_call_ids() {
    let calls = Calls::new();
    let server = Server::start(&temp_dir("share-public"), "", &[&calls.a, &calls.b]).await;
    let alice = server.login("alice").await;
    let (_, token) = server.share(&alice, calls.body(None)).await;

    let (status, info) = server.get(&format!("/api/shared/{token}"), None).await;
    assert_eq!(status, 200, "{info}");
    assert_eq!(info["call_ids"], json!([calls.id_a()]));
    assert_eq!(info["status"], "active");

    // The request asks for call B over another window: the answer is call A's.
    let response = server
        .post(
            &format!("/api/shared/{token}/v3/call/transaction"),
            calls.transaction_for_b(),
        )
        .await;
    assert!(response.status().is_success(), "{}", response.status());
    assert_eq!(response.headers()["cache-control"], "no-store");
    let answer: Value = response.json().await.unwrap();
    let found = sids(&answer);
    assert!(!found.is_empty());
    assert!(found.iter().all(|s| *s == calls.id_a()), "{found:?}");

    let pcap = server
        .post(
            &format!("/api/shared/{token}/v3/export/call/messages/pcap"),
            calls.transaction_for_b(),
        )
        .await;
    assert!(pcap.status().is_success());
    let bytes = pcap.bytes().await.unwrap();
    assert!(bytes.len() > 24, "a pcap header and packets");
    let text = server
        .post(
            &format!("/api/shared/{token}/v3/export/call/messages/text"),
            json!({}),
        )
        .await;
    assert!(text.status().is_success());
    let text = text.text().await.unwrap();
    assert!(text.contains(&calls.id_a()) && !text.contains(&calls.id_b()));
    let (status, _) = server
        .get(&format!("/api/shared/{token}/v3/alias"), None)
        .await;
    assert!((200..300).contains(&status), "{status}");

    // Nothing else is reachable with the token, and the session routes still need a session.
    let other = server
        .post(
            &format!("/api/shared/{token}/v3/search/call/data"),
            json!({}),
        )
        .await;
    assert_eq!(other.status(), 404);
    let (status, _) = server.get("/api/shares", None).await;
    assert_eq!(status, 401);
    let direct = server.post("/api/v3/call/transaction", json!({})).await;
    assert_eq!(direct.status(), 401);
}

#[tokio::test]
async fn tampered_or_unknown_token_is_refused_as_invalid() {
    let calls = Calls::new();
    let server = Server::start(&temp_dir("share-tamper"), "", &[&calls.a]).await;
    let alice = server.login("alice").await;
    let (_, token) = server.share(&alice, calls.body(None)).await;
    let (_, other) = server
        .share(
            &alice,
            json!({ "call_ids": ["other@x"], "from": 1, "to": 2 }),
        )
        .await;
    // This token's signature over the other share's claims.
    let parts: Vec<&str> = token.split('.').collect();
    let other_parts: Vec<&str> = other.split('.').collect();
    let tampered = format!("{}.{}.{}", parts[0], other_parts[1], parts[2]);
    let session_token = alice.split_once('=').unwrap().1;
    for bad in [tampered.as_str(), "garbage", session_token] {
        let (status, body) = server.get(&format!("/api/shared/{bad}"), None).await;
        assert_eq!(
            (status, body),
            (403, json!({ "error": "invalid" })),
            "{bad}"
        );
    }
}

#[tokio::test]
async fn expired_link_is_refused_and_ttl_is_bounded() {
    let calls = Calls::new();
    let server = Server::start(
        &temp_dir("share-expiry"),
        "[share]\nttl = \"1h\"\nmax_ttl = \"2h\"\n",
        &[&calls.a],
    )
    .await;
    let alice = server.login("alice").await;
    let (status, body) = server.create(&alice, calls.body(Some("3h"))).await;
    assert_eq!(status, 400, "{body}");
    assert!(body["error"].as_str().unwrap().contains("longer"), "{body}");
    let (status, _) = server.create(&alice, calls.body(Some("soon"))).await;
    assert_eq!(status, 400);

    let (_, token) = server.share(&alice, calls.body(Some("1s"))).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let (status, body) = server.get(&format!("/api/shared/{token}"), None).await;
        if status == 410 {
            assert_eq!(body, json!({ "error": "expired" }));
            break;
        }
        assert_eq!(status, 200, "{body}");
        assert!(
            std::time::Instant::now() < deadline,
            "the link never expired"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let (_, list) = server.get("/api/shares", Some(&alice)).await;
    assert_eq!(list[0]["status"], "expired");
}

#[tokio::test]
async fn user_without_the_share_right_is_refused() {
    let calls = Calls::new();
    let server = Server::start(&temp_dir("share-right"), "", &[&calls.a]).await;
    let carol = server.login("carol").await;
    let bob = server.login("bob").await;
    let alice = server.login("alice").await;
    let (_, me) = server.get("/api/me", Some(&carol)).await;
    assert_eq!(me["may_share"], false);
    let (_, me) = server.get("/api/me", Some(&bob)).await;
    assert_eq!(me["may_share"], true);

    let (status, body) = server.create(&carol, calls.body(None)).await;
    assert_eq!(status, 403, "{body}");
    let (bob_share, _) = server.share(&bob, calls.body(None)).await;
    server.share(&alice, calls.body(None)).await;

    // Bob sees his own share only; Alice (admin) sees both; Carol cannot revoke Bob's.
    let (_, list) = server.get("/api/shares", Some(&bob)).await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    let (_, list) = server.get("/api/shares", Some(&alice)).await;
    assert_eq!(list.as_array().unwrap().len(), 2);
    let response = client()
        .delete(server.url(&format!("/api/shares/{bob_share}")))
        .header("cookie", &carol)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
}

#[tokio::test]
async fn shares_and_revocations_survive_a_restart() {
    let calls = Calls::new();
    let data: PathBuf = temp_dir("share-restart");
    let server = Server::start(&data, "", &[&calls.a]).await;
    let alice = server.login("alice").await;
    let (_, kept) = server.share(&alice, calls.body(None)).await;
    let (revoked_id, revoked) = server.share(&alice, calls.body(None)).await;
    let response = client()
        .delete(server.url(&format!("/api/shares/{revoked_id}")))
        .header("cookie", &alice)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    server.stop().await;

    let server = Server::start(&data, "", &[]).await;
    let (status, _) = server.get(&format!("/api/shared/{kept}"), None).await;
    assert_eq!(status, 200);
    let (status, body) = server.get(&format!("/api/shared/{revoked}"), None).await;
    assert_eq!((status, body), (410, json!({ "error": "revoked" })));
}

#[tokio::test]
async fn many_invalid_tokens_from_one_address_get_429() {
    let calls = Calls::new();
    let server = Server::start(&temp_dir("share-limit"), "", &[&calls.a]).await;
    let alice = server.login("alice").await;
    let (_, token) = server.share(&alice, calls.body(None)).await;
    for n in 0..server::share::MAX_INVALID_PER_WINDOW {
        let (status, _) = server.get(&format!("/api/shared/guess-{n}"), None).await;
        assert_eq!(status, 403);
    }
    let response = client()
        .get(server.url("/api/shared/guess-last"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 429);
    assert!(response.headers().contains_key("retry-after"));
    // The brake applies to the address, so a valid link waits too.
    let (status, _) = server.get(&format!("/api/shared/{token}"), None).await;
    assert_eq!(status, 429);
}

#[tokio::test]
async fn the_share_link_brake_counts_the_forwarded_client_behind_a_trusted_proxy() {
    let calls = Calls::new();
    let server = Server::start(
        &temp_dir("share-proxy"),
        "[http]\ntrusted_proxies = [\"127.0.0.1\"]\n",
        &[&calls.a],
    )
    .await;
    for n in 0..server::share::MAX_INVALID_PER_WINDOW {
        assert_eq!(guess(&server, n, "203.0.113.1").await, 403);
    }
    assert_eq!(
        guess(&server, 999, "203.0.113.1").await,
        429,
        "the guessing client waits"
    );
    assert_eq!(
        guess(&server, 999, "203.0.113.2").await,
        403,
        "another client behind the proxy does not"
    );
}

/// GETs an invalid share link as if the proxy at 127.0.0.1 forwarded it for `forwarded_for`; the status.
async fn guess(server: &Server, n: u32, forwarded_for: &str) -> u16 {
    client()
        .get(server.url(&format!("/api/shared/guess-{n}")))
        .header("x-forwarded-for", forwarded_for)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}
