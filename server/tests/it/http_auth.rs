//! Login, sessions and the rate limit over real HTTP.

use crate::common::app::{
    client, get_with, login, post_with, session_cookie, TestServer, ADMIN_PASSWORD,
};
use crate::common::check_steps;
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
    // HEPop's SQL path says the store is off instead of serving the app's page.
    let query = get_with(&server, "/query?q=select%201", Some(&cookie)).await;
    assert_eq!(query.status(), 404);
    let body: Value = query.json().await.unwrap();
    assert!(body["error"].as_str().unwrap().contains("store"), "{body}");
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

/// Logs in as if the proxy at 127.0.0.1 forwarded the request for `forwarded_for`.
async fn login_from(
    server: &TestServer,
    forwarded_for: &str,
    username: &str,
    password: &str,
) -> reqwest::Response {
    client()
        .post(server.url("/api/login"))
        .header("x-forwarded-for", forwarded_for)
        .json(&serde_json::json!({ "username": username, "password": password }))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn parallel_wrong_passwords_are_counted_before_the_hash_runs() {
    let server = TestServer::start("[auth]\nmax_failed_logins = 5\n").await;
    let attempts = (0..40).map(|_| login(&server, "admin", "wrong"));
    let statuses: Vec<u16> = futures_util::future::join_all(attempts)
        .await
        .iter()
        .map(|r| r.status().as_u16())
        .collect();
    let count = |code| statuses.iter().filter(|s| **s == code).count();
    println!(
        "40 parallel wrong logins: {} x 401, {} x 429, {} x 503",
        count(401),
        count(429),
        count(503)
    );
    assert!(
        count(401) <= 5,
        "at most max_failed_logins 401s: {statuses:?}"
    );
    assert!(count(401) >= 1, "{statuses:?}");
    assert_eq!(
        count(401) + count(429),
        40,
        "the rest are 429: {statuses:?}"
    );
}

#[tokio::test]
async fn a_client_locking_itself_out_does_not_lock_out_the_user_behind_a_trusted_proxy() {
    let server = TestServer::start(
        "[auth]\nmax_failed_logins = 5\n[http]\ntrusted_proxies = [\"127.0.0.1\"]\n",
    )
    .await;
    for _ in 0..5 {
        let response = login_from(&server, "203.0.113.1", "admin", "guess").await;
        assert_eq!(response.status(), 401);
    }
    let locked = login_from(&server, "203.0.113.1", "admin", ADMIN_PASSWORD).await;
    assert_eq!(locked.status(), 429, "the guessing client is stopped");
    // A forged first hop is the client's own claim: the proxy's appended hop still names it.
    let forged = login_from(&server, "198.51.100.9, 203.0.113.1", "admin", "guess").await;
    assert_eq!(forged.status(), 429);
    let started = std::time::Instant::now();
    let other = login_from(&server, "203.0.113.2", "admin", ADMIN_PASSWORD).await;
    assert_eq!(other.status(), 200, "another client still logs in as admin");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(4),
        "slowed down at most a little: {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn an_untrusted_peers_forwarded_for_is_ignored() {
    let server = TestServer::start("[auth]\nmax_failed_logins = 3\n").await;
    for n in 0..3 {
        let response = login_from(&server, &format!("203.0.113.{n}"), "admin", "guess").await;
        assert_eq!(response.status(), 401);
    }
    let response = login_from(&server, "203.0.113.200", "admin", ADMIN_PASSWORD).await;
    assert_eq!(response.status(), 429, "all came from 127.0.0.1");
}

#[tokio::test]
async fn oversized_names_and_passwords_get_400_before_any_work() {
    let server = TestServer::start("[auth]\nmax_failed_logins = 2\n").await;
    let long_name = format!("admin{}", "n".repeat(300));
    for _ in 0..5 {
        let response = login(&server, &long_name, "x").await;
        assert_eq!(response.status(), 400);
        let body: Value = response.json().await.unwrap();
        assert!(body["error"].as_str().unwrap().contains("256"), "{body}");
        let response = login(&server, "admin", &"p".repeat(1025)).await;
        assert_eq!(response.status(), 400);
    }
    assert_eq!(
        login(&server, "admin", &"p".repeat(1024)).await.status(),
        401,
        "1 KiB is still a password"
    );
    // Refusals were not counted as attempts: the right password still gets in.
    assert_eq!(login(&server, "admin", ADMIN_PASSWORD).await.status(), 200);
}

#[tokio::test]
async fn logout_ends_the_session_everywhere() {
    let server = TestServer::start("").await;
    let first = session_cookie(&login(&server, "admin", ADMIN_PASSWORD).await);
    let second = session_cookie(&login(&server, "admin", ADMIN_PASSWORD).await);
    assert_eq!(
        get_with(&server, "/api/me", Some(&first)).await.status(),
        200
    );
    let response = client()
        .post(server.url("/api/logout"))
        .header("cookie", &first)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    assert_eq!(
        get_with(&server, "/api/me", Some(&first)).await.status(),
        401
    );
    assert_eq!(
        get_with(&server, "/api/me", Some(&second)).await.status(),
        401,
        "a logout ends all of the user's sessions"
    );
    let again = session_cookie(&login(&server, "admin", ADMIN_PASSWORD).await);
    assert_eq!(
        get_with(&server, "/api/me", Some(&again)).await.status(),
        200
    );
}

#[tokio::test]
async fn changing_the_admin_password_ends_old_sessions() {
    let server = TestServer::start("").await;
    let old = session_cookie(&login(&server, "admin", ADMIN_PASSWORD).await);
    let change = |current: &str, new: &str| serde_json::json!({ "current": current, "new": new });
    let wrong = post_with(
        &server,
        "/api/account/password",
        Some(&old),
        &change("nope", "new-secret-1"),
    )
    .await;
    assert_eq!(wrong.status(), 403);
    let short = post_with(
        &server,
        "/api/account/password",
        Some(&old),
        &change(ADMIN_PASSWORD, "short"),
    )
    .await;
    assert_eq!(short.status(), 400);
    let anonymous = post_with(
        &server,
        "/api/account/password",
        None,
        &change(ADMIN_PASSWORD, "new-secret-1"),
    )
    .await;
    assert_eq!(anonymous.status(), 401);
    let changed = post_with(
        &server,
        "/api/account/password",
        Some(&old),
        &change(ADMIN_PASSWORD, "new-secret-1"),
    )
    .await;
    assert_eq!(changed.status(), 200);
    let fresh = session_cookie(&changed);
    assert_eq!(get_with(&server, "/api/me", Some(&old)).await.status(), 401);
    assert_eq!(
        get_with(&server, "/api/me", Some(&fresh)).await.status(),
        200
    );
    assert_eq!(login(&server, "admin", ADMIN_PASSWORD).await.status(), 401);
    assert_eq!(login(&server, "admin", "new-secret-1").await.status(), 200);
    // Kept in the data dir.
    let stored = std::fs::read_to_string(server.data.join("admin.json")).unwrap();
    let stored: Value = serde_json::from_str(&stored).unwrap();
    assert!(server::users::verify_password(
        stored["password_hash"].as_str().unwrap(),
        "new-secret-1"
    ));
}

#[tokio::test]
async fn configured_users_change_their_password_in_the_config_file() {
    let hash = server::users::hash_password("viewer-pass").unwrap();
    let toml =
        format!("[[users]]\nusername = \"vera\"\npassword_hash = \"{hash}\"\nrole = \"viewer\"\n");
    let server = TestServer::start(&toml).await;
    let cookie = session_cookie(&login(&server, "vera", "viewer-pass").await);
    let response = post_with(
        &server,
        "/api/account/password",
        Some(&cookie),
        &serde_json::json!({ "current": "viewer-pass", "new": "another-pass" }),
    )
    .await;
    assert_eq!(response.status(), 409);
    let body: Value = response.json().await.unwrap();
    assert!(
        body["error"].as_str().unwrap().contains("config file"),
        "{body}"
    );
}

#[tokio::test]
async fn origin_null_and_cross_site_fetches_are_refused() {
    let server = TestServer::start("").await;
    let body = serde_json::json!({ "username": "admin", "password": ADMIN_PASSWORD });
    for (name, value) in [
        ("origin", "null"),
        ("sec-fetch-site", "cross-site"),
        ("sec-fetch-site", "same-site"),
    ] {
        let response = client()
            .post(server.url("/api/login"))
            .header(name, value)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 403, "{name}: {value}");
    }
    let same_origin = client()
        .post(server.url("/api/login"))
        .header("origin", format!("http://{}", server.addr))
        .header("sec-fetch-site", "same-origin")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(same_origin.status(), 200);
}

#[tokio::test]
async fn public_url_is_the_origin_when_a_proxy_rewrites_host() {
    let server = TestServer::start("[http]\npublic_url = \"https://hepscope.example.net\"\n").await;
    let body = serde_json::json!({ "username": "admin", "password": ADMIN_PASSWORD });
    let through_proxy = client()
        .post(server.url("/api/login"))
        .header("host", "hepscope-backend:8080")
        .header("origin", "https://hepscope.example.net")
        .header("sec-fetch-site", "same-origin")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(through_proxy.status(), 200);
    let host_only = client()
        .post(server.url("/api/login"))
        .header("origin", format!("http://{}", server.addr))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(
        host_only.status(),
        403,
        "with public_url, Host no longer decides"
    );
}

#[tokio::test]
async fn only_admins_run_the_backend_check() {
    let hash = server::users::hash_password("pass").unwrap();
    let toml = format!(
        "[[users]]\nusername = \"vera\"\npassword_hash = \"{hash}\"\nrole = \"viewer\"\n\
         [[users]]\nusername = \"ada\"\npassword_hash = \"{hash}\"\nrole = \"admin\"\n"
    );
    let server = TestServer::start(&toml).await;
    let viewer = session_cookie(&login(&server, "vera", "pass").await);
    let response = get_with(&server, "/api/backends/embedded/check", Some(&viewer)).await;
    assert_eq!(response.status(), 403);
    let body: Value = response.json().await.unwrap();
    assert!(
        body["error"].as_str().unwrap().contains("admin right"),
        "{body}"
    );
    assert_eq!(body["detail"], "missing right: admin", "{body}");
    let admin = session_cookie(&login(&server, "ada", "pass").await);
    let response = get_with(&server, "/api/backends/embedded/check", Some(&admin)).await;
    assert_eq!(response.status(), 200);
}
