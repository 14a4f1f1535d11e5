//! A burst of parallel logins that all reach the password hash (40 clients behind a trusted proxy)
//! stays within a few hashes' memory: argon2 runs under a small semaphore. Run in a process of its own
//! (`common::alone`), so the process's peak RSS is this test's.

use crate::common::alone::in_own_process;
use crate::common::app::{client, TestServer};

/// Peak resident set size of this process (the server runs in it), in MB.
fn peak_rss_mb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap();
    kb / 1024
}

#[tokio::test]
async fn forty_parallel_logins_stay_within_a_few_hashes_of_memory() {
    if !in_own_process("auth_burst::forty_parallel_logins_stay_within_a_few_hashes_of_memory") {
        return;
    }
    let server = TestServer::start("[http]\ntrusted_proxies = [\"127.0.0.1\"]\n").await;
    let before = peak_rss_mb();
    let attempts = (0..40).map(|n| {
        client()
            .post(server.url("/api/login"))
            .header("x-forwarded-for", format!("203.0.113.{n}"))
            .json(&serde_json::json!({ "username": format!("user{n}"), "password": "wrong" }))
            .send()
    });
    let started = std::time::Instant::now();
    let responses = futures_util::future::join_all(attempts).await;
    let elapsed = started.elapsed();
    let mut statuses = Vec::new();
    for response in responses {
        let response = response.unwrap();
        let status = response.status().as_u16();
        if status == 503 {
            assert!(response.headers().contains_key("retry-after"));
        }
        statuses.push(status);
    }
    let after = peak_rss_mb();
    let permits = server::auth::default_hash_permits();
    eprintln!(
        "40 parallel logins: peak RSS {before} MB -> {after} MB (+{} MB) with {permits} hashing \
         slots in {elapsed:?}; statuses {statuses:?}",
        after - before
    );
    assert!(
        statuses.iter().all(|s| *s == 401 || *s == 503),
        "{statuses:?}"
    );
    assert!(statuses.contains(&401), "{statuses:?}");
    // argon2 takes ~19 MB per running hash: 40 at once would add ~760 MB.
    assert!(
        after - before < 200,
        "peak RSS grew by {} MB (from {before} to {after})",
        after - before
    );
}
