//! The SQL query API: admin only, views over the partitions, the 10-minute default window, and
//! refused escape attempts, row cap and time budget.

mod common;

use std::time::Duration;

use app::domain::api::Role;
use app::domain::fixture::{single_call, Outcome};
use axum::http::StatusCode;
use axum::{Extension, Router};
use common::store::{now_us, open_store, send, store_all};
use serde_json::{json, Value};
use server::auth::Session;
use server::store::sql_api::{router_with_limits, SqlLimits};
use server::store::Store;

fn app(store: &Store, role: Option<Role>, limits: SqlLimits) -> Router {
    let router = router_with_limits(store.clone(), limits);
    match role {
        Some(role) => router.layer(Extension(Session {
            username: "u".into(),
            role,
            expires_at: i64::MAX,
            may_share: false,
        })),
        None => router,
    }
}

fn url(sql: &str) -> String {
    let mut out = String::from("/query?q=");
    for b in sql.bytes() {
        if b.is_ascii_alphanumeric() {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

async fn get(app: &Router, sql: &str) -> (StatusCode, Value, bool) {
    let (status, headers, bytes) = send(app, "GET", &url(sql), None).await;
    let truncated = headers.get("x-query-truncated").is_some();
    (status, serde_json::from_slice(&bytes).unwrap(), truncated)
}

fn stored() -> Store {
    let (store, _) = open_store("sql", Vec::new(), |_| {});
    // One call two hours ago, one a minute ago.
    store_all(
        &store,
        &single_call(1, now_us() - 7_200_000_000, Outcome::Busy),
    );
    store_all(
        &store,
        &single_call(2, now_us() - 60_000_000, Outcome::Answered),
    );
    store
}

#[tokio::test]
async fn admin_queries_readable_views_with_a_ten_minute_default() {
    let store = stored();
    let app = app(&store, Some(Role::Admin), SqlLimits::default());
    let (status, recent, _) = get(&app, "SELECT method, call_id, src_ip, payload FROM hep_1").await;
    assert_eq!(status, StatusCode::OK, "{recent}");
    let recent = recent.as_array().unwrap();
    let answered = single_call(2, 0, Outcome::Answered).len();
    assert_eq!(recent.len(), answered, "only the last 10 minutes");
    assert!(recent[0]["payload"].as_str().unwrap().contains("SIP/2.0"));

    let since = now_us() - 3 * 3_600_000_000;
    let (_, all, _) = get(
        &app,
        &format!("SELECT count(*) AS n FROM hep_1 WHERE time_us > {since}"),
    )
    .await;
    let busy = single_call(1, 0, Outcome::Busy).len();
    assert_eq!(all[0]["n"], answered + busy);

    let (status, body) = {
        let (s, _, b) = send(
            &app,
            "POST",
            "/query",
            Some(&json!({"query": "SELECT 1 AS one"})),
        )
        .await;
        (s, serde_json::from_slice::<Value>(&b).unwrap())
    };
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!([{"one": 1}]));
    let (status, empty, _) = get(&app, "SELECT * FROM hep_5").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(empty, json!([]));
}

#[tokio::test]
async fn non_admins_and_anonymous_users_are_refused() {
    let store = stored();
    let (status, _, _) = get(
        &app(&store, Some(Role::Viewer), SqlLimits::default()),
        "SELECT 1",
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = get(&app(&store, None, SqlLimits::default()), "SELECT 1").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn escape_attempts_are_refused_with_the_sqlite_message() {
    let store = stored();
    let app = app(&store, Some(Role::Admin), SqlLimits::default());
    let partition = {
        let (_, rows, _) = get(&app, "SELECT suffix FROM partitions").await;
        rows[0]["suffix"].as_str().unwrap().to_owned()
    };
    let table = format!("hep_proto_1_call_{partition}");
    // Near midnight UTC the fixture spans two day partitions: compare with the count before.
    let (_, before, _) = get(&app, "SELECT count(*) AS n FROM partitions").await;
    for sql in [
        format!("INSERT INTO {table} (id) VALUES (1)"),
        format!("UPDATE {table} SET method = 'X'"),
        format!("DELETE FROM {table}"),
        format!("DROP TABLE {table}"),
        "DROP VIEW hep_1".to_owned(),
        "CREATE TABLE evil (x)".to_owned(),
        "ATTACH DATABASE '/tmp/evil.sqlite' AS evil".to_owned(),
        "PRAGMA writable_schema = 1".to_owned(),
        "PRAGMA table_info(partitions)".to_owned(),
        "SELECT load_extension('/tmp/evil.so')".to_owned(),
        "SELECT readfile('/etc/passwd')".to_owned(),
        "SELECT writefile('/tmp/x', 'y')".to_owned(),
        "BEGIN IMMEDIATE".to_owned(),
        "SELECT 1; DELETE FROM partitions".to_owned(),
    ] {
        let (status, body, _) = get(&app, &sql).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{sql}: {body}");
        assert!(
            body["error"].as_str().is_some_and(|e| !e.is_empty()),
            "{sql}"
        );
    }
    let (_, left, _) = get(&app, "SELECT count(*) AS n FROM partitions").await;
    assert_eq!(left[0]["n"], before[0]["n"]);
}

#[tokio::test]
async fn runaway_query_is_interrupted_and_big_answers_truncated() {
    let store = stored();
    let limits = SqlLimits {
        max_rows: 5,
        budget: Duration::from_millis(300),
    };
    let app = app(&store, Some(Role::Admin), limits);
    let started = std::time::Instant::now();
    let (status, body, _) = get(
        &app,
        "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c) SELECT count(*) FROM c",
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["interrupted"], true);
    assert!(started.elapsed() < Duration::from_secs(10));

    let (status, rows, truncated) = get(
        &app,
        "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c LIMIT 50) SELECT n FROM c",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(truncated);
    assert_eq!(rows.as_array().unwrap().len(), 5);
}

#[tokio::test]
async fn full_server_mounts_the_query_api_behind_login_and_reports_store_health() {
    let server = common::app::TestServer::start("").await;
    let health: Value = common::app::get_with(&server, "/healthz", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(health["status"], "ok");
    assert_eq!(health["store"]["stored"], 0);
    let anonymous = common::app::get_with(&server, "/api/query?q=SELECT%201", None).await;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let login = common::app::login(&server, "admin", common::app::ADMIN_PASSWORD).await;
    let cookie = common::app::session_cookie(&login);
    let answer: Value =
        common::app::get_with(&server, "/api/query?q=SELECT%201%20AS%20one", Some(&cookie))
            .await
            .json()
            .await
            .unwrap();
    assert_eq!(answer, json!([{"one": 1}]));
    server.shutdown().await.unwrap();
}
