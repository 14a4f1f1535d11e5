//! Latency of `POST /api/v3/search/call/data` directly against the fake HOMER 7 and through
//! hepscope's proxy, in one run: prints p50/p99 of both and the added latency (target ≤ 1 ms p50).
//!
//! Run with `cargo bench -p server --bench proxy_latency`. Requests are sequential and
//! interleaved (direct, proxied, direct, …) so drift in machine load hits both series alike.

#[path = "../tests/it/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use common::fake_homer::{FakeHomer, PASSWORD, USERNAME};

const WARMUP: usize = 200;
const SAMPLES: usize = 2_000;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a Tokio runtime for the bench");
    runtime.block_on(run());
}

async fn run() {
    let fake = FakeHomer::start().await;
    let (api, _) = common::proxy(vec![common::client(
        "main",
        &fake.url(),
        Duration::from_secs(30),
    )])
    .await;
    let http = common::http();
    let login: serde_json::Value = http
        .post(format!("{}/api/v3/auth", fake.url()))
        .json(&serde_json::json!({"username": USERNAME, "password": PASSWORD}))
        .send()
        .await
        .expect("login to the fake")
        .json()
        .await
        .expect("login answer");
    let token = login["token"].as_str().expect("a token").to_owned();
    let body = serde_json::to_vec(&common::search_body()).expect("search body");

    let direct_url = format!("{}/api/v3/search/call/data", fake.url());
    let proxy_url = format!("{api}/v3/search/call/data");
    let direct = || {
        http.post(&direct_url)
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body(body.clone())
    };
    let proxied = || {
        http.post(&proxy_url)
            .header("content-type", "application/json")
            .body(body.clone())
    };

    for _ in 0..WARMUP {
        time(direct()).await;
        time(proxied()).await;
    }
    let mut direct_us = Vec::with_capacity(SAMPLES);
    let mut proxied_us = Vec::with_capacity(SAMPLES);
    for _ in 0..SAMPLES {
        direct_us.push(time(direct()).await);
        proxied_us.push(time(proxied()).await);
    }
    direct_us.sort_by(f64::total_cmp);
    proxied_us.sort_by(f64::total_cmp);

    let (d50, d99) = (percentile(&direct_us, 0.50), percentile(&direct_us, 0.99));
    let (p50, p99) = (percentile(&proxied_us, 0.50), percentile(&proxied_us, 0.99));
    println!("search/call/data, {SAMPLES} sequential requests each (after {WARMUP} warm-up)");
    println!(
        "direct to fake Homer : p50 {:>8.1} µs   p99 {:>8.1} µs",
        d50, d99
    );
    println!(
        "through hepscope     : p50 {:>8.1} µs   p99 {:>8.1} µs",
        p50, p99
    );
    println!(
        "added by the proxy   : p50 {:>8.1} µs   p99 {:>8.1} µs   (target p50 <= 1000 µs: {})",
        p50 - d50,
        p99 - d99,
        if p50 - d50 <= 1000.0 { "met" } else { "MISSED" }
    );
}

/// Sends one request, reads the whole body, and returns the time taken in microseconds.
async fn time(request: reqwest::RequestBuilder) -> f64 {
    let started = Instant::now();
    let response = request.send().await.expect("request");
    assert!(
        response.status().is_success(),
        "status {}",
        response.status()
    );
    response.bytes().await.expect("body");
    started.elapsed().as_secs_f64() * 1e6
}

/// The `q` quantile of sorted samples (nearest rank).
fn percentile(sorted: &[f64], q: f64) -> f64 {
    let rank = ((sorted.len() as f64 * q).ceil() as usize).saturating_sub(1);
    sorted.get(rank).copied().unwrap_or(f64::NAN)
}
