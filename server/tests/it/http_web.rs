//! The front end, fallbacks, health, metrics, compression and shutdown over real HTTP.

use crate::common;

use crate::common::app::{client, get_with, TestServer};
use serde_json::Value;

#[tokio::test]
async fn deep_links_get_index_html_without_cache() {
    let server = TestServer::start("").await;
    for path in [
        "/",
        "/call/abc@host?since=1h",
        "/search?number=%2B4922",
        "/live",
    ] {
        let response = client().get(server.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(response.headers()["cache-control"], "no-cache", "{path}");
        assert!(response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html"));
        assert!(response
            .text()
            .await
            .unwrap()
            .contains("<title>hepscope</title>"));
    }
}

#[tokio::test]
async fn hashed_assets_are_cached_for_a_year_and_missing_ones_are_404() {
    let server = TestServer::start("").await;
    let response = get_with(&server, "/app-0123456789abcdef_bg.wasm", None).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/wasm");
    assert_eq!(
        response.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    let missing = get_with(&server, "/missing-0123456789abcdef.js", None).await;
    assert_eq!(missing.status(), 404);
}

#[tokio::test]
async fn unknown_api_routes_are_404_json() {
    let server = TestServer::start("").await;
    let response = get_with(&server, "/api/nope", None).await;
    assert_eq!(response.status(), 404);
    assert_eq!(response.headers()["content-type"], "application/json");
    let body: Value = response.json().await.unwrap();
    assert!(body["error"].as_str().unwrap().contains("/api/nope"));
}

#[tokio::test]
async fn responses_are_compressed_when_the_client_accepts_it() {
    let server = TestServer::start("").await;
    for encoding in ["gzip", "br"] {
        let response = client()
            .get(server.url("/app-0123456789abcdef_bg.wasm"))
            .header("accept-encoding", encoding)
            .send()
            .await
            .unwrap();
        assert_eq!(response.headers()["content-encoding"], encoding);
        let body = response.bytes().await.unwrap();
        assert!(body.len() < 20_000 / 10, "{encoding}: {} bytes", body.len());
    }
}

#[tokio::test]
async fn health_and_metrics_need_no_session() {
    let server = TestServer::start("").await;
    server::telemetry::metrics_handle();
    let health: Value = get_with(&server, "/healthz", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(health["status"], "ok");
    let metrics = get_with(&server, "/metrics", None)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("hepscope_http_requests_total"),
        "{metrics}"
    );
}

#[tokio::test]
async fn missing_front_end_is_explained() {
    let server = TestServer::start("").await;
    std::fs::remove_file(server.dist.join("index.html")).unwrap();
    let response = get_with(&server, "/search", None).await;
    assert_eq!(response.status(), 503);
    assert!(response.text().await.unwrap().contains("trunk build"));
}

#[tokio::test]
async fn shutdown_finishes_cleanly() {
    let server = TestServer::start("").await;
    let url = server.url("/healthz");
    assert_eq!(client().get(&url).send().await.unwrap().status(), 200);
    server.shutdown().await.unwrap();
    assert!(client().get(&url).send().await.is_err());
}

#[test]
fn a_bad_config_file_stops_the_binary_with_the_key_and_file_named() {
    let dir = common::app::temp_dir("badcfg");
    let path = dir.join("hepscope.toml");
    std::fs::write(&path, "listen = \"127.0.0.1:0\"\nlisten_typo = 1\n").unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_hepscope"))
        .arg("--config")
        .arg(&path)
        .arg("--data-dir")
        .arg(dir.join("data"))
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("listen_typo"), "{stderr}");
    assert!(stderr.contains("hepscope.toml"), "{stderr}");
}

#[test]
fn hash_password_prints_an_argon2_hash() {
    use std::io::Write;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_hepscope"))
        .arg("hash-password")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"s3cret\n").unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    let hash = String::from_utf8(output.stdout).unwrap();
    assert!(hash.trim().starts_with("$argon2id$"), "{hash}");
    assert!(server::users::verify_password(hash.trim(), "s3cret"));
}

/// Every response carries the security headers; `index.html`'s policy allows its own inline scripts by
/// hash and nothing else inline.
#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let server = TestServer::start("").await;
    let inline =
        "import init from '/app-0123456789abcdef.js';init('/app-0123456789abcdef_bg.wasm');";
    std::fs::write(
        server.dist.join("index.html"),
        format!(
            "<!doctype html><title>hepscope</title><script type=\"module\">{inline}</script>\
             <script src=\"/other.js\"></script>"
        ),
    )
    .unwrap();
    let login = common::app::login(&server, "admin", common::app::ADMIN_PASSWORD).await;
    assert_eq!(login.status(), 200);
    check_security_headers(&login, "POST /api/login");
    for path in [
        "/",
        "/call/abc@host",
        "/index.html",
        "/app-0123456789abcdef_bg.wasm",
        "/missing.js",
        "/api/nope",
        "/api/me",
        "/healthz",
        "/metrics",
    ] {
        let response = get_with(&server, path, None).await;
        check_security_headers(&response, path);
    }
    let page = get_with(&server, "/s/some.share.token", None).await;
    let csp = page.headers()["content-security-policy"].to_str().unwrap();
    let hash = {
        use base64::Engine;
        use sha2::Digest;
        base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(inline.as_bytes()))
    };
    assert!(csp.contains(&format!("'sha256-{hash}'")), "{csp}");
    assert!(
        csp.contains("script-src 'self' 'wasm-unsafe-eval'"),
        "{csp}"
    );
    let api = get_with(&server, "/api/nope", None).await;
    let api_csp = api.headers()["content-security-policy"].to_str().unwrap();
    assert!(!api_csp.contains("sha256"), "{api_csp}");
}

fn check_security_headers(response: &reqwest::Response, what: &str) {
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .unwrap_or_else(|| panic!("{what}: no {name}"))
            .to_str()
            .unwrap()
            .to_string()
    };
    let csp = header("content-security-policy");
    assert!(csp.starts_with("default-src 'self'"), "{what}: {csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{what}: {csp}");
    assert!(csp.contains("'wasm-unsafe-eval'"), "{what}: {csp}");
    assert!(
        !csp.contains("script-src 'self' 'unsafe-inline'"),
        "{what}: {csp}"
    );
    assert_eq!(header("x-content-type-options"), "nosniff", "{what}");
    assert_eq!(header("referrer-policy"), "no-referrer", "{what}");
}

/// The data dir and every file hepscope writes there are owner-only, including modes left open before.
#[cfg(unix)]
#[tokio::test]
async fn data_dir_and_files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |path: &std::path::Path| {
        std::fs::metadata(path)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
            .permissions()
            .mode()
            & 0o777
    };
    let server = TestServer::start("").await;
    let data = server.data.clone();
    // A share record makes `shares.json`; a HEP-less store still has its SQLite files.
    let login = common::app::login(&server, "admin", common::app::ADMIN_PASSWORD).await;
    let cookie = common::app::session_cookie(&login);
    let _ = common::app::post_with(
        &server,
        "/api/shares",
        Some(&cookie),
        &serde_json::json!({"call_ids": ["c@x"], "backend": "embedded", "from": 0, "to": 1}),
    )
    .await;
    server.shutdown().await.unwrap();
    assert_eq!(mode(&data), 0o700, "data dir");
    let mut files = Vec::new();
    let mut dirs = vec![data.clone()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                assert_eq!(mode(&path), 0o700, "{}", path.display());
                dirs.push(path);
            } else {
                assert_eq!(mode(&path), 0o600, "{}", path.display());
                files.push(path.file_name().unwrap().to_string_lossy().into_owned());
            }
        }
    }
    for expected in [
        "session.key",
        "share.key",
        "admin.json",
        "shares.json",
        "hepscope.index.sqlite",
        "hepscope.sqlite",
        "hepscope.sqlite-wal",
    ] {
        assert!(
            files.iter().any(|f| f == expected),
            "{expected} not in {files:?}"
        );
    }

    // Modes an older version left open are fixed at the next start.
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
    let key = data.join("session.key");
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let raw: server::config::RawConfig = toml::from_str("").unwrap();
    let overrides = server::config::Overrides {
        data_dir: Some(data.clone()),
        dist_dir: Some(data.join("dist")),
        ..server::config::Overrides::default()
    };
    let env = std::collections::BTreeMap::new();
    let config = server::config::Config::from_raw(raw, None, &overrides, &env).unwrap();
    let _state = server::AppState::from_config(config, Vec::new()).unwrap();
    assert_eq!(mode(&data), 0o700);
    assert_eq!(mode(&key), 0o600);
}
