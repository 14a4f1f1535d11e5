//! The browser-facing routes: forwarding, the allowlist, named backends, `/backends`, `check`,
//! and exports streamed with their headers.

use crate::common;

use std::time::Duration;

use crate::common::fake_homer::{pcap_bytes, search_answer, FakeHomer};
use crate::common::{
    check_steps, client, fake_and_proxy, header, http, post_search, proxy, search_body,
};
use reqwest::{Method, StatusCode};

#[tokio::test]
async fn proxy_forwards_method_body_and_query_and_keeps_201() {
    let (fake, api) = fake_and_proxy(Duration::from_secs(5)).await;
    let body = search_body();
    let response = http()
        .post(format!("{api}/v3/search/call/data?x=1&y=a%20b"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(header(&response, "content-type"), "application/json");
    let answer: serde_json::Value = response.json().await.unwrap();
    assert_eq!(answer, search_answer());
    let seen = fake.state.seen();
    let forwarded = seen
        .iter()
        .find(|s| s.path == "/api/v3/search/call/data")
        .unwrap();
    assert_eq!(forwarded.method, "POST");
    assert_eq!(forwarded.query.as_deref(), Some("x=1&y=a%20b"));
    assert_eq!(forwarded.content_type.as_deref(), Some("application/json"));
    let sent: serde_json::Value = serde_json::from_slice(&forwarded.body).unwrap();
    assert_eq!(sent, body);
}

#[tokio::test]
async fn allowlisted_read_routes_pass() {
    let (_fake, api) = fake_and_proxy(Duration::from_secs(5)).await;
    let http = http();
    let cases = [
        (Method::POST, "search/call/data", 201),
        (Method::POST, "search/call/message", 201),
        (Method::POST, "call/transaction", 201),
        (Method::POST, "call/report/qos", 201),
        (Method::POST, "call/report/log", 201),
        (Method::POST, "export/call/messages/text", 200),
        (Method::GET, "alias", 201),
        (Method::GET, "mapping/protocol", 200),
        (Method::GET, "mapping/protocol/1/call", 200),
        (Method::GET, "database/node/list", 200),
        (
            Method::GET,
            "smart/search/tag/1/call?query=%7B%22data%22%3A%22%22%7D",
            200,
        ),
        (Method::GET, "auth/type/list", 200),
    ];
    for (method, path, status) in cases {
        let response = http
            .request(method.clone(), format!("{api}/v3/{path}"))
            .json(&search_body())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), status, "{method} {path}");
    }
}

#[tokio::test]
async fn other_routes_answer_403_json_naming_the_route_and_never_reach_homer() {
    let (fake, api) = fake_and_proxy(Duration::from_secs(5)).await;
    let http = http();
    let cases = [
        (Method::POST, "alias"),
        (Method::DELETE, "alias/9b0b"),
        (Method::GET, "users"),
        (Method::POST, "users"),
        (Method::POST, "token/auth"),
        (Method::POST, "auth"),
        (Method::POST, "mapping/protocol"),
        (Method::GET, "mapping/protocol/reset"),
        (Method::GET, "search/call/data"),
        (Method::POST, "import/data/pcap"),
    ];
    for (method, path) in cases {
        let response = http
            .request(method.clone(), format!("{api}/v3/{path}"))
            .json(&serde_json::json!({"username": "x", "password": "y"}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{method} {path}");
        let body: serde_json::Value = response.json().await.unwrap();
        let error = body["error"].as_str().unwrap();
        assert!(
            error.contains(&format!("{method} /api/v3/{path}")),
            "{error}"
        );
    }
    // Nothing reached Homer, not even a login.
    assert!(fake.state.seen().is_empty(), "{:?}", fake.state.seen());
}

#[tokio::test]
async fn named_backends_route_by_name_and_unknown_names_are_404() {
    let first = FakeHomer::start().await;
    let second = FakeHomer::start().await;
    let (api, _) = proxy(vec![
        client("first", &first.url(), Duration::from_secs(5)),
        client("second", &second.url(), Duration::from_secs(5)),
    ])
    .await;
    let http = http();
    let response = http
        .post(format!("{api}/b/second/v3/search/call/data"))
        .json(&search_body())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    assert!(first.state.seen().is_empty());
    assert!(!second.state.seen().is_empty());

    let missing = http
        .post(format!("{api}/b/third/v3/search/call/data"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    let body: serde_json::Value = missing.json().await.unwrap();
    assert_eq!(body["backend"], "third");
}

#[tokio::test]
async fn backends_lists_name_kind_url_default_and_last_status() {
    let fake = FakeHomer::start().await;
    let refused = common::refused_addr().await;
    let (api, _) = proxy(vec![
        client("main", &fake.url(), Duration::from_secs(5)),
        client("gone", &format!("http://{refused}"), Duration::from_secs(5)),
    ])
    .await;
    let http = http();
    let list: serde_json::Value = http
        .get(format!("{api}/backends"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list[0]["name"], "main");
    assert_eq!(list[0]["kind"], "homer7");
    assert_eq!(list[0]["url"], fake.url());
    assert_eq!(list[0]["default"], true);
    assert_eq!(list[1]["default"], false);
    assert_eq!(list[0]["status"], "unknown");

    http.post(format!("{api}/v3/search/call/data"))
        .json(&search_body())
        .send()
        .await
        .unwrap();
    http.post(format!("{api}/b/gone/v3/search/call/data"))
        .json(&search_body())
        .send()
        .await
        .unwrap();
    let list: serde_json::Value = http
        .get(format!("{api}/backends"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list[0]["status"], "ok");
    assert!(list[1]["status"]
        .as_str()
        .unwrap()
        .contains("cannot connect"));
}

#[tokio::test]
async fn check_reports_dns_tcp_login_and_mapping_steps() {
    let (_fake, api) = fake_and_proxy(Duration::from_secs(5)).await;
    let report: serde_json::Value = http()
        .get(format!("{api}/backends/main/check"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(report["ok"], true, "{report}");
    let steps = check_steps(&report);
    assert_eq!(steps, ["dns", "tcp", "login", "mapping"]);
    assert!(report["steps"][3]["detail"]
        .as_str()
        .unwrap()
        .contains("1 mapping profiles"));
    assert!(report["steps"][0]["latency_ms"].as_f64().is_some());
}

#[tokio::test]
async fn check_reports_the_failing_step_with_its_error() {
    let refused = common::refused_addr().await;
    let (api, _) = proxy(vec![client(
        "gone",
        &format!("http://{refused}"),
        Duration::from_secs(5),
    )])
    .await;
    let report: serde_json::Value = http()
        .get(format!("{api}/backends/gone/check"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(report["ok"], false);
    let last = report["steps"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["step"], "tcp");
    assert_eq!(last["ok"], false);
    assert!(!last["detail"].as_str().unwrap().is_empty());
}

#[tokio::test]
async fn pcap_export_streams_with_content_type_and_disposition() {
    let (_fake, api) = fake_and_proxy(Duration::from_secs(5)).await;
    let response = post_search(&api, "v3/export/call/messages/pcap").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        header(&response, "content-type"),
        "application/octet-stream"
    );
    assert_eq!(
        header(&response, "content-disposition"),
        "attachment; filename=export-2026-11-23T19:00:00Z.pcap"
    );
    // Streamed, not buffered: no Content-Length is invented, the body arrives chunked.
    assert!(response.headers().get("content-length").is_none());
    let body = response.bytes().await.unwrap();
    assert_eq!(body.as_ref(), pcap_bytes().as_slice());
}

#[tokio::test]
async fn text_export_keeps_its_headers() {
    let (_fake, api) = fake_and_proxy(Duration::from_secs(5)).await;
    let response = post_search(&api, "v3/export/call/messages/text").await;
    assert_eq!(
        header(&response, "content-type"),
        "text/plain; charset=UTF-8"
    );
    assert!(header(&response, "content-disposition").ends_with(".txt"));
    assert!(response.text().await.unwrap().starts_with("proto:UDP"));
}

#[tokio::test]
async fn empty_qos_body_passes_through_as_201() {
    let (_fake, api) = fake_and_proxy(Duration::from_secs(5)).await;
    let response = post_search(&api, "v3/call/report/qos").await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(header(&response, "content-type"), "application/json");
    assert!(response.bytes().await.unwrap().is_empty());
}
