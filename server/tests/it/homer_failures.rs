//! Upstream failures: refused, slow (timeout), 500, empty body, dropped mid-response, garbage.
//! Each ends in Homer's own answer or a JSON `{"error","backend","detail"}`, never a hang.

use crate::common;

use std::time::{Duration, Instant};

use crate::common::fake_homer::Mode;
use crate::common::{client, fake_and_proxy, header, post_search, proxy};
use reqwest::StatusCode;

async fn search(api: &str) -> reqwest::Response {
    post_search(api, "v3/search/call/data").await
}

async fn error_json(response: reqwest::Response) -> serde_json::Value {
    assert_eq!(header(&response, "content-type"), "application/json");
    response.json().await.unwrap()
}

#[tokio::test]
async fn refused_connection_answers_502_json() {
    let refused = common::refused_addr().await;
    let (api, _) = proxy(vec![client(
        "main",
        &format!("http://{refused}"),
        Duration::from_secs(5),
    )])
    .await;
    let response = search(&api).await;
    assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
    let body = error_json(response).await;
    assert_eq!(body["error"], "homer unreachable");
    assert_eq!(body["backend"], "main");
    assert!(!body["detail"].as_str().unwrap().is_empty());
}

#[tokio::test]
async fn slow_homer_answers_504_within_the_configured_timeout() {
    let (fake, api) = fake_and_proxy(Duration::from_millis(400)).await;
    // Log in first, so the timeout below is the search's own.
    assert_eq!(search(&api).await.status(), StatusCode::CREATED);
    fake.state.set_mode(Mode::Delay(Duration::from_secs(5)));
    let started = Instant::now();
    let response = search(&api).await;
    let elapsed = started.elapsed();
    assert_eq!(response.status(), StatusCode::GATEWAY_TIMEOUT);
    assert!(elapsed < Duration::from_millis(1500), "took {elapsed:?}");
    assert!(elapsed >= Duration::from_millis(400), "took {elapsed:?}");
    let body = error_json(response).await;
    assert_eq!(body["error"], "homer timed out");
    assert_eq!(body["backend"], "main");
}

#[tokio::test]
async fn homer_500_passes_through_unchanged() {
    let (fake, api) = fake_and_proxy(Duration::from_secs(5)).await;
    fake.state.set_mode(Mode::Status500);
    let response = search(&api).await;
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let body = error_json(response).await;
    assert_eq!(
        body,
        serde_json::json!({"message": "Internal Server Error"})
    );
}

#[tokio::test]
async fn empty_body_passes_through_with_homers_status() {
    let (fake, api) = fake_and_proxy(Duration::from_secs(5)).await;
    fake.state.set_mode(Mode::EmptyBody);
    let response = search(&api).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert!(response.bytes().await.unwrap().is_empty());
}

#[tokio::test]
async fn json_dropped_mid_response_answers_502_json() {
    let (fake, api) = fake_and_proxy(Duration::from_secs(5)).await;
    fake.state.set_mode(Mode::DropMidResponse);
    let response = search(&api).await;
    assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
    let body = error_json(response).await;
    assert_eq!(body["error"], "homer answer broken");
}

#[tokio::test]
async fn pcap_dropped_mid_stream_ends_the_download_with_an_error() {
    let (fake, api) = fake_and_proxy(Duration::from_secs(5)).await;
    fake.state.set_mode(Mode::DropMidResponse);
    let response = post_search(&api, "v3/export/call/messages/pcap").await;
    // Headers were already sent when the stream broke; the body must fail, not hang or look whole.
    assert_eq!(response.status(), StatusCode::OK);
    let started = Instant::now();
    let body = tokio::time::timeout(Duration::from_secs(5), response.bytes())
        .await
        .expect("the broken download must end promptly");
    assert!(body.is_err(), "a cut stream must not look complete");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn garbage_answer_is_502_json() {
    let garbage = common::garbage_server().await;
    let (api, _) = proxy(vec![client(
        "main",
        &format!("http://{garbage}"),
        Duration::from_secs(5),
    )])
    .await;
    let response = search(&api).await;
    assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
    let body = error_json(response).await;
    assert_eq!(body["backend"], "main");
    assert!(body["error"].as_str().unwrap().starts_with("homer"));
}

#[tokio::test]
async fn no_backend_answers_503_json() {
    let (api, _) = proxy(Vec::new()).await;
    let response = search(&api).await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body = error_json(response).await;
    assert_eq!(body["error"], "no backend is configured");
}

/// A client for the fake whose answers may be at most `limit` bytes.
fn capped_client(url: &str, limit: u64) -> server::homer::HomerClient {
    use server::homer::client::{HomerClient, HomerClientOptions};
    HomerClient::new(
        "main",
        server::homer::config::BaseUrl::parse("main", url).unwrap(),
        server::homer::dex::Credentials {
            username: common::fake_homer::USERNAME.to_owned(),
            password: server::homer::Secret::new(common::fake_homer::PASSWORD),
        },
        HomerClientOptions {
            max_answer_bytes: limit,
            ..HomerClientOptions::default()
        },
    )
    .unwrap()
}

#[tokio::test]
async fn answer_over_the_cap_is_a_502_json_and_is_not_buffered() {
    let fake = common::fake_homer::FakeHomer::start().await;
    let (api, _) = proxy(vec![capped_client(&fake.url(), 1024 * 1024)]).await;
    // Under the cap: passed on.
    assert_eq!(search(&api).await.status(), StatusCode::CREATED);
    fake.state.set_mode(Mode::HugeJson(512 * 1024));
    assert_eq!(search(&api).await.status(), StatusCode::CREATED);
    // Over it, chunked without a length: 502 with a clear message.
    fake.state.set_mode(Mode::HugeJson(64 * 1024 * 1024));
    let started = Instant::now();
    let response = search(&api).await;
    assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
    let body = error_json(response).await;
    assert_eq!(body["error"], "homer answer too large");
    assert_eq!(body["backend"], "main");
    let detail = body["detail"].as_str().unwrap();
    assert!(detail.contains("1048576 bytes"), "{detail}");
    assert!(detail.contains("max_answer_bytes"), "{detail}");
    println!(
        "64 MiB answer refused at a 1 MiB cap in {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn streamed_export_over_the_cap_is_cut() {
    let fake = common::fake_homer::FakeHomer::start().await;
    // The PCAP export is 3 MiB, chunked: the download is cut at the cap, never passed on whole.
    let (api, _) = proxy(vec![capped_client(&fake.url(), 1024 * 1024)]).await;
    let response = post_search(&api, "v3/export/call/messages/pcap").await;
    match response.bytes().await {
        Err(_) => {}
        Ok(bytes) => assert!(
            bytes.len() <= 1024 * 1024,
            "{} bytes passed a 1 MiB cap",
            bytes.len()
        ),
    }
    // With a cap above it, it streams through whole.
    let (api, _) = proxy(vec![capped_client(&fake.url(), 4 * 1024 * 1024)]).await;
    let response = post_search(&api, "v3/export/call/messages/pcap").await;
    assert!(response.status().is_success());
    assert_eq!(
        response.bytes().await.unwrap().len(),
        common::fake_homer::PCAP_LEN
    );
}
