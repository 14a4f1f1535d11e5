//! The front end, fallbacks, health, metrics, compression and shutdown over real HTTP.

mod common;

use common::app::{client, get_with, TestServer};
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
