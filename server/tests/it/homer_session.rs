//! The Homer session: login, token renewal (before `exp`, after 401 and after 400 "missing or
//! malformed jwt"), one login for many concurrent requests, and refused credentials.

use std::sync::atomic::Ordering;
use std::time::Duration;

use crate::common::fake_homer::FakeHomer;
use crate::common::{client, client_with, fake_and_proxy, http, proxy, search_body};
use reqwest::StatusCode;

async fn search(http: &reqwest::Client, api: &str) -> reqwest::Response {
    http.post(format!("{api}/v3/search/call/data"))
        .json(&search_body())
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn proxy_logs_in_once_and_reuses_the_token() {
    let (fake, api) = fake_and_proxy(Duration::from_secs(5)).await;
    let http = http();
    for _ in 0..3 {
        assert_eq!(search(&http, &api).await.status(), StatusCode::CREATED);
    }
    assert_eq!(fake.state.logins.load(Ordering::SeqCst), 1);
    let seen = fake.state.seen();
    let login = seen.iter().find(|s| s.path == "/api/v3/auth").unwrap();
    let body: serde_json::Value = serde_json::from_slice(&login.body).unwrap();
    assert_eq!(body["username"], "admin");
    assert_eq!(login.content_type.as_deref(), Some("application/json"));
    let token = fake.state.issued_tokens().pop().unwrap();
    let searches: Vec<_> = seen
        .iter()
        .filter(|s| s.path == "/api/v3/search/call/data")
        .collect();
    assert_eq!(searches.len(), 3);
    assert!(searches
        .iter()
        .all(|s| s.authorization.as_deref() == Some(format!("Bearer {token}").as_str())));
}

#[tokio::test]
async fn proxy_logs_in_again_after_a_401_and_retries_once() {
    let (fake, api) = fake_and_proxy(Duration::from_secs(5)).await;
    let http = http();
    assert_eq!(search(&http, &api).await.status(), StatusCode::CREATED);
    fake.state.revoke_tokens();
    let response = search(&http, &api).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(fake.state.logins.load(Ordering::SeqCst), 2);
    assert_eq!(fake.state.token_rejections.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn proxy_logs_in_again_after_missing_or_malformed_jwt() {
    let (fake, api) = fake_and_proxy(Duration::from_secs(5)).await;
    let http = http();
    assert_eq!(search(&http, &api).await.status(), StatusCode::CREATED);
    fake.state.force_missing_jwt.store(1, Ordering::SeqCst);
    assert_eq!(search(&http, &api).await.status(), StatusCode::CREATED);
    assert_eq!(fake.state.logins.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn proxy_renews_the_token_before_it_expires() {
    let fake = FakeHomer::start().await;
    // Lifetime 62 s against a 60 s renewal margin: after ~2 s the token is due for renewal,
    // although Homer would still accept it.
    fake.state.token_lifetime_secs.store(62, Ordering::SeqCst);
    let (api, _) = proxy(vec![client("main", &fake.url(), Duration::from_secs(5))]).await;
    let http = http();
    assert_eq!(search(&http, &api).await.status(), StatusCode::CREATED);
    assert_eq!(fake.state.logins.load(Ordering::SeqCst), 1);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(search(&http, &api).await.status(), StatusCode::CREATED);
    assert_eq!(fake.state.logins.load(Ordering::SeqCst), 2);
    assert_eq!(fake.state.token_rejections.load(Ordering::SeqCst), 0);
}

/// Runs 50 searches at once and checks that each one answers 201.
async fn fifty_concurrent_searches_succeed(http: &reqwest::Client, api: &str) {
    let requests = (0..50).map(|_| {
        let http = http.clone();
        let api = api.to_string();
        tokio::spawn(async move { search(&http, &api).await.status() })
    });
    for request in requests {
        assert_eq!(request.await.unwrap(), StatusCode::CREATED);
    }
}

#[tokio::test]
async fn fifty_concurrent_requests_cause_exactly_one_login() {
    let (fake, api) = fake_and_proxy(Duration::from_secs(10)).await;
    fake.state.login_delay_ms.store(300, Ordering::SeqCst);
    let http = http();
    fifty_concurrent_searches_succeed(&http, &api).await;
    assert_eq!(fake.state.logins.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn fifty_concurrent_requests_after_expiry_cause_one_new_login() {
    let (fake, api) = fake_and_proxy(Duration::from_secs(10)).await;
    let http = http();
    assert_eq!(search(&http, &api).await.status(), StatusCode::CREATED);
    fake.state.revoke_tokens();
    fake.state.login_delay_ms.store(200, Ordering::SeqCst);
    fifty_concurrent_searches_succeed(&http, &api).await;
    assert_eq!(fake.state.logins.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn wrong_server_credentials_answer_502_json_not_401() {
    let fake = FakeHomer::start().await;
    let (api, _) = proxy(vec![client_with(
        "main",
        &fake.url(),
        "wrong",
        Duration::from_secs(5),
    )])
    .await;
    let response = search(&http(), &api).await;
    assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"], "homer login failed");
    assert_eq!(body["backend"], "main");
    assert!(body["detail"]
        .as_str()
        .unwrap()
        .contains("incorrect password"));
}
