//! The `dex homer discover` diagnostic behind `GET /api/backends/{name}/check`.
//!
//! For a HOMER 7: DNS, TCP connect, login, mapping fetch; for the embedded store: its writer's
//! state, then the mapping fetch. Each step has its result, error text and latency. Stops at the
//! first failing step. The report never carries credentials or tokens.

use std::time::{Duration, Instant};

use app::domain::api::{BackendInfo, BackendKind};
pub use app::domain::api::{CheckReport, CheckStep};
use axum::http::Method;
use axum::response::Response;
use bytes::Bytes;

use super::client::{HomerBody, HomerClient, V3Request};
use super::discovery::ServiceResolver;
use super::error::{truncate, UpstreamError};

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

struct Steps {
    started: Instant,
    steps: Vec<CheckStep>,
}

impl Steps {
    fn new() -> Self {
        Self {
            started: Instant::now(),
            steps: Vec::new(),
        }
    }

    /// Records a step; returns whether it passed.
    fn push(
        &mut self,
        step: &'static str,
        began: Instant,
        outcome: Result<String, String>,
    ) -> bool {
        let ok = outcome.is_ok();
        let detail = outcome.unwrap_or_else(|e| e);
        self.steps.push(CheckStep {
            step: step.to_owned(),
            ok,
            detail: truncate(detail, 300),
            latency_ms: millis(began.elapsed()),
        });
        ok
    }

    fn finish(self, info: BackendInfo) -> CheckReport {
        let ok = !self.steps.is_empty() && self.steps.iter().all(|s| s.ok);
        CheckReport {
            backend: info.name,
            kind: info.kind,
            url: info.url,
            ok,
            steps: self.steps,
            total_ms: millis(self.started.elapsed()),
        }
    }
}

/// Runs DNS, TCP, login and mapping steps against one HOMER 7.
pub async fn check_homer(
    client: &HomerClient,
    resolver: &dyn ServiceResolver,
    connect_timeout: Duration,
) -> CheckReport {
    let info = BackendInfo {
        name: client.name().to_owned(),
        kind: BackendKind::Homer7,
        url: Some(client.base_url().to_string()),
        default: false,
        status: String::new(),
    };
    let mut steps = Steps::new();
    let base = client.base_url();
    let (Some(host), Some(port)) = (base.host(), base.port()) else {
        steps.push(
            "dns",
            Instant::now(),
            Err("the URL has no host or port".into()),
        );
        return steps.finish(info);
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');

    let began = Instant::now();
    let addrs = match tokio::time::timeout(connect_timeout, resolver.resolve(host, port)).await {
        Ok(Ok(addrs)) if !addrs.is_empty() => addrs,
        Ok(Ok(_)) => Vec::new(),
        Ok(Err(e)) => {
            steps.push("dns", began, Err(format!("{host}: {e}")));
            return steps.finish(info);
        }
        Err(_) => {
            steps.push(
                "dns",
                began,
                Err(format!("{host}: no answer within {connect_timeout:?}")),
            );
            return steps.finish(info);
        }
    };
    let listed: Vec<String> = addrs.iter().map(ToString::to_string).collect();
    let resolved = if listed.is_empty() {
        Err(format!("{host}: no addresses"))
    } else {
        Ok(format!("{host} -> {}", listed.join(", ")))
    };
    if !steps.push("dns", began, resolved) {
        return steps.finish(info);
    }

    let began = Instant::now();
    let mut connected = Err(String::from("no address accepted"));
    for addr in addrs {
        match resolver.connect(addr, connect_timeout).await {
            Ok(()) => {
                connected = Ok(format!("connected to {addr}"));
                break;
            }
            Err(e) => connected = Err(format!("{addr}: {e}")),
        }
    }
    if !steps.push("tcp", began, connected) {
        return steps.finish(info);
    }

    let began = Instant::now();
    let login = client
        .login_once()
        .await
        .map(|_| format!("logged in as {}", client.username()))
        .map_err(|e| e.to_string());
    if !steps.push("login", began, login) {
        return steps.finish(info);
    }

    let began = Instant::now();
    let mapping = client
        .send(&mapping_request())
        .await
        .map_err(|e| e.to_string())
        .and_then(|answer| {
            let count = match &answer.body {
                HomerBody::Full(body) => mapping_count(body),
                HomerBody::Stream(_) => None,
            };
            describe_mapping(answer.status.as_u16(), count)
        });
    steps.push("mapping", began, mapping);
    steps.finish(info)
}

/// The default check of any backend: time a `GET mapping/protocol` through its `call`.
pub async fn check_via_mapping(
    info: BackendInfo,
    call: impl std::future::Future<Output = Result<Response, UpstreamError>>,
) -> CheckReport {
    let mut steps = Steps::new();
    mapping_step(&mut steps, call).await;
    steps.finish(info)
}

/// The embedded store's check: the `store` step (its writer's state, measured by the caller), then
/// the mapping call as for any backend. Stops after a failing store step.
pub async fn check_store_then_mapping(
    info: BackendInfo,
    store: Result<String, String>,
    call: impl std::future::Future<Output = Result<Response, UpstreamError>>,
) -> CheckReport {
    let mut steps = Steps::new();
    if steps.push("store", Instant::now(), store) {
        mapping_step(&mut steps, call).await;
    }
    steps.finish(info)
}

async fn mapping_step(
    steps: &mut Steps,
    call: impl std::future::Future<Output = Result<Response, UpstreamError>>,
) {
    let began = Instant::now();
    let outcome = match call.await {
        Ok(response) => {
            let status = response.status().as_u16();
            let body = axum::body::to_bytes(response.into_body(), 16 * 1024 * 1024)
                .await
                .ok();
            describe_mapping(status, body.as_deref().and_then(mapping_count))
        }
        Err(e) => Err(e.to_string()),
    };
    steps.push("mapping", began, outcome);
}

fn mapping_request() -> V3Request {
    V3Request {
        method: Method::GET,
        path: "mapping/protocol".to_owned(),
        query: None,
        body: Bytes::new(),
    }
}

/// The number of profiles in a `mapping/protocol` answer.
fn mapping_count(body: &[u8]) -> Option<usize> {
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()?
        .get("data")?
        .as_array()
        .map(Vec::len)
}

fn describe_mapping(status: u16, count: Option<usize>) -> Result<String, String> {
    match (status, count) {
        (200..=299, Some(n)) => Ok(format!("HTTP {status}, {n} mapping profiles")),
        (200..=299, None) => Err(format!(
            "HTTP {status}, but the answer is not a mapping list"
        )),
        _ => Err(format!("HTTP {status}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mapping_count_reads_the_data_array() {
        assert_eq!(mapping_count(br#"{"count":2,"data":[{},{}]}"#), Some(2));
        assert_eq!(mapping_count(b"<html>"), None);
    }

    #[test]
    fn describe_mapping_accepts_any_2xx_with_a_list() {
        assert!(describe_mapping(201, Some(1)).is_ok());
        assert!(describe_mapping(200, None).is_err());
        assert!(describe_mapping(400, Some(0)).is_err());
    }
}
