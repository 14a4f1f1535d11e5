//! Login, sessions and the rate limit over real HTTP.

mod common;

use common::app::{client, get_with, login, post_with, session_cookie, TestServer, ADMIN_PASSWORD};
use common::check_steps;
use serde_json::Value;

#[tokio::test]
async fn login_with_the_right_password_sets_a_safe_session_cookie() {
    let server = TestServer::start("").await;
    let response = login(&server, "admin", ADMIN_PASSWORD).await;
    assert_eq!(response.status(), 200);
    let set_cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(set_cookie.starts_with("hepscope_session="), "{set_cookie}");
    assert!(set_cookie.contains("HttpOnly"), "{set_cookie}");
    assert!(set_cookie.contains("SameSite=Lax"), "{set_cookie}");
    assert!(set_cookie.contains("Path=/"), "{set_cookie}");
    assert!(set_cookie.contains("Max-Age=43200"), "{set_cookie}");
    assert!(
        !set_cookie.contains("Secure"),
        "plain-HTTP default: {set_cookie}"
    );
    let cookie = session_cookie(&response);
    let me: Value = response.json().await.unwrap();
    assert_eq!(me["username"], "admin");
    assert_eq!(me["role"], "admin");

    let me: Value = get_with(&server, "/api/me", Some(&cookie))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["username"], "admin");
}

#[tokio::test]
async fn secure_cookie_flag_follows_the_config() {
    let server = TestServer::start("[auth]\ncookie_secure = true\nsession_ttl = \"1h\"\n").await;
    let response = login(&server, "admin", ADMIN_PASSWORD).await;
    let set_cookie = response.headers()["set-cookie"].to_str().unwrap();
    assert!(set_cookie.contains("; Secure"), "{set_cookie}");
    assert!(set_cookie.contains("Max-Age=3600"), "{set_cookie}");
}

#[tokio::test]
async fn wrong_password_is_401_json_without_a_cookie() {
    let server = TestServer::start("").await;
    let response = login(&server, "admin", "nope").await;
    assert_eq!(response.status(), 401);
    assert!(response.headers().get("set-cookie").is_none());
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "wrong user name or password");
    let response = login(&server, "nobody", "nope").await;
    assert_eq!(response.status(), 401);
}

#[tokio::test]
async fn malformed_login_body_is_400_json() {
    let server = TestServer::start("").await;
    let response = client()
        .post(server.url("/api/login"))
        .header("content-type", "application/json")
        .body("{\"username\": 3")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert!(body["error"].as_str().unwrap().contains("username"));
}

#[tokio::test]
async fn api_without_session_is_401_json() {
    let server = TestServer::start("").await;
    let response = get_with(&server, "/api/me", None).await;
    assert_eq!(response.status(), 401);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "not logged in");
    let response = client()
        .get(server.url("/api/me"))
        .header("cookie", "hepscope_session=forged.token.value")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
}

#[tokio::test]
async fn bearer_token_authenticates_tools() {
    let server = TestServer::start("").await;
    let response = login(&server, "admin", ADMIN_PASSWORD).await;
    let cookie = session_cookie(&response);
    let token = cookie.trim_start_matches("hepscope_session=");
    let response = client()
        .get(server.url("/api/me"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn logout_clears_the_cookie() {
    let server = TestServer::start("").await;
    let response = client()
        .post(server.url("/api/logout"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    let set_cookie = response.headers()["set-cookie"].to_str().unwrap();
    assert!(set_cookie.starts_with("hepscope_session=;"), "{set_cookie}");
    assert!(set_cookie.contains("Max-Age=0"), "{set_cookie}");
}

#[tokio::test]
async fn failed_logins_are_rate_limited_with_retry_after() {
    let server =
        TestServer::start("[auth]\nmax_failed_logins = 3\nlockout_window = \"60s\"\n").await;
    for _ in 0..3 {
        assert_eq!(login(&server, "admin", "wrong").await.status(), 401);
    }
    let response = login(&server, "admin", ADMIN_PASSWORD).await;
    assert_eq!(response.status(), 429, "even the right password waits");
    let retry: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    let body: Value = response.json().await.unwrap();
    assert!(body["error"]
        .as_str()
        .unwrap()
        .contains("too many failed logins"));
}

#[tokio::test]
async fn configured_users_replace_the_built_in_admin() {
    let hash = server::users::hash_password("viewer-pass").unwrap();
    let toml =
        format!("[[users]]\nusername = \"vera\"\npassword_hash = \"{hash}\"\nrole = \"viewer\"\n");
    let server = TestServer::start(&toml).await;
    assert_eq!(login(&server, "admin", ADMIN_PASSWORD).await.status(), 401);
    let response = login(&server, "vera", "viewer-pass").await;
    assert_eq!(response.status(), 200);
    let me: Value = response.json().await.unwrap();
    assert_eq!(me["role"], "viewer");
}

#[tokio::test]
async fn cross_origin_login_is_refused() {
    let server = TestServer::start("").await;
    let response = client()
        .post(server.url("/api/login"))
        .header("origin", "http://evil.example")
        .json(&serde_json::json!({ "username": "admin", "password": ADMIN_PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    let same_origin = client()
        .post(server.url("/api/login"))
        .header("origin", format!("http://{}", server.addr))
        .json(&serde_json::json!({ "username": "admin", "password": ADMIN_PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(same_origin.status(), 200);
}

#[tokio::test]
async fn sessions_survive_a_restart_with_the_same_data_dir() {
    let server = TestServer::start("").await;
    let cookie = session_cookie(&login(&server, "admin", ADMIN_PASSWORD).await);
    let key_file = server.data.join("session.key");
    assert!(key_file.exists());
    let key = std::fs::read(&key_file).unwrap();
    let again = server::secret::session_key(None, &server.data).unwrap();
    assert_eq!(key, again, "the persisted key is reused");
    assert!(cookie.starts_with("hepscope_session="));
}

#[tokio::test]
async fn homer_routes_need_a_session_and_say_when_no_backend_exists() {
    let server = TestServer::start("[store]\nenabled = false\n").await;
    let anonymous = post_with(
        &server,
        "/api/v3/search/call/data",
        None,
        &serde_json::json!({}),
    )
    .await;
    assert_eq!(anonymous.status(), 401);
    let backends = get_with(&server, "/api/backends", None).await;
    assert_eq!(backends.status(), 401);

    let cookie = session_cookie(&login(&server, "admin", ADMIN_PASSWORD).await);
    let response = post_with(
        &server,
        "/api/v3/search/call/data",
        Some(&cookie),
        &serde_json::json!({}),
    )
    .await;
    assert_eq!(response.status(), 503);
    let body: Value = response.json().await.unwrap();
    assert!(
        body["error"].as_str().unwrap().contains("backend"),
        "{body}"
    );
}

#[tokio::test]
async fn the_embedded_store_is_the_default_backend_without_homer() {
    let server = TestServer::start("").await;
    let cookie = session_cookie(&login(&server, "admin", ADMIN_PASSWORD).await);
    let list: Value = get_with(&server, "/api/backends", Some(&cookie))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list[0]["name"], "embedded", "{list}");
    assert_eq!(list[0]["kind"], "embedded", "{list}");
    assert_eq!(list[0]["default"], true, "{list}");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let response = post_with(
        &server,
        "/api/v3/search/call/data",
        Some(&cookie),
        &serde_json::json!({
            "param": { "transaction": {}, "limit": 10, "search": { "1_call": [] }, "location": {} },
            "timestamp": { "from": now - 60_000, "to": now }
        }),
    )
    .await;
    assert_eq!(response.status(), 201, "HOMER answers reads with 201");
    let body: Value = response.json().await.unwrap();
    assert!(body["data"].is_array(), "{body}");
    let write = post_with(
        &server,
        "/api/v3/alias",
        Some(&cookie),
        &serde_json::json!({}),
    )
    .await;
    assert_eq!(write.status(), 403, "writes never reach a backend");
}

#[tokio::test]
async fn the_embedded_store_checks_its_writer_then_its_mapping() {
    let server = TestServer::start("").await;
    let cookie = session_cookie(&login(&server, "admin", ADMIN_PASSWORD).await);
    let report: Value = get_with(&server, "/api/backends/embedded/check", Some(&cookie))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(report["ok"], true, "{report}");
    assert_eq!(report["kind"], "embedded", "{report}");
    let steps = check_steps(&report);
    assert_eq!(steps, ["store", "mapping"], "{report}");
    assert!(report["steps"][0]["detail"]
        .as_str()
        .unwrap()
        .starts_with("writing: 0 messages stored"));
}
