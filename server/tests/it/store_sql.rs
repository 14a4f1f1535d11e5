//! The SQL query API: admin only, views over the partitions, the 10-minute default window, and
//! refused escape attempts, row cap and time budget; HEPop's `/query` path and column names.

use crate::common;

use std::time::Duration;

use crate::common::store::{now_us, open_store, send, store_all};
use app::domain::api::Role;
use app::domain::fixture::{single_call, Outcome};
use axum::http::StatusCode;
use axum::Router;
use serde_json::{json, Value};
use server::store::sql_api::{router_with_limits, SqlLimits};
use server::store::Store;

fn app(store: &Store, role: Option<Role>, limits: SqlLimits) -> Router {
    let router = router_with_limits(store.clone(), limits);
    match role {
        Some(role) => common::with_session(router, "u", role),
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

/// Status, rows (or the error body) and whether the answer says it was truncated.
async fn get(app: &Router, sql: &str) -> (StatusCode, Value, bool) {
    let (status, headers, bytes) = send(app, "GET", &url(sql), None).await;
    let mut body: Value = serde_json::from_slice(&bytes).unwrap();
    let truncated = headers.get("x-query-truncated").is_some();
    if truncated {
        assert_eq!(body["truncated"], true, "{body}");
        assert!(body["message"].as_str().unwrap().contains("truncated"));
        body = body["rows"].take();
    }
    (status, body, truncated)
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
        ..SqlLimits::default()
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
    let answer: Value = common::app::client()
        .get(server.url("/api/query?q=SELECT%201%20AS%20one"))
        .header("cookie", &cookie)
        .header("sec-fetch-site", "same-origin")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answer, json!([{"one": 1}]));
    server.shutdown().await.unwrap();
}

/// A number of this process from `/proc/self/status` (`VmRSS`, `VmHWM`), MiB.
fn proc_mib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status
        .lines()
        .find(|l| l.starts_with(field))
        .unwrap_or_else(|| panic!("{field} in /proc/self/status"));
    let kib: u64 = line
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap();
    kib / 1024
}

async fn logged_in_admin(server: &common::app::TestServer) -> String {
    let login = common::app::login(server, "admin", common::app::ADMIN_PASSWORD).await;
    common::app::session_cookie(&login)
}

#[tokio::test]
async fn huge_values_fail_fast_and_big_answers_are_cut_with_bounded_memory() {
    // The peak RSS measured is the process's: alone, it is this test's.
    if !common::alone::in_own_process(
        "store_sql::huge_values_fail_fast_and_big_answers_are_cut_with_bounded_memory",
    ) {
        return;
    }
    let server = common::app::TestServer::start("").await;
    let cookie = logged_in_admin(&server).await;
    let token = cookie.split_once('=').unwrap().1.to_owned();
    let query = |sql: &str| {
        common::app::client()
            .get(server.url(&format!("/api{}", url(sql))))
            .header("authorization", format!("Bearer {token}"))
            .send()
    };
    let fifty = "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c LIMIT 50)";
    let started = std::time::Instant::now();
    let answer = query(&format!("{fifty} SELECT n, zeroblob(2e8) AS b FROM c"))
        .await
        .unwrap();
    let status = answer.status();
    let body: Value = answer.json().await.unwrap();
    let elapsed = started.elapsed();
    let (rss, peak) = (proc_mib("VmRSS:"), proc_mib("VmHWM:"));
    eprintln!("zeroblob(2e8) x 50: {status} in {elapsed:?}, RSS {rss} MiB, peak {peak} MiB");
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("too big"),
        "{body}"
    );
    assert!(elapsed < Duration::from_secs(15), "{elapsed:?}");
    assert!(peak < 600, "peak RSS {peak} MiB");

    // Values under the length limit whose JSON passes the 64 MiB answer cap: cut, not failed.
    let started = std::time::Instant::now();
    let answer = query(&format!(
        "{fifty} SELECT n, printf('%.15000000c', 'x') AS b FROM c"
    ))
    .await
    .unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    assert_eq!(common::header(&answer, "x-query-truncated"), "true");
    let bytes = answer.bytes().await.unwrap();
    let elapsed = started.elapsed();
    let body: Value = serde_json::from_slice(&bytes).unwrap();
    let rows = body["rows"].as_array().unwrap().len();
    let (rss, peak) = (proc_mib("VmRSS:"), proc_mib("VmHWM:"));
    eprintln!(
        "15 MB text x 50: {rows} rows, {} bytes in {elapsed:?}, RSS {rss} MiB, peak {peak} MiB",
        bytes.len()
    );
    assert_eq!(body["truncated"], true);
    assert!(
        body["message"].as_str().unwrap().contains("bytes"),
        "{body:.200}"
    );
    assert!(rows > 0 && rows < 50, "{rows}");
    assert!(bytes.len() <= 64 * 1024 * 1024 + 1024, "{}", bytes.len());
    assert!(peak < 600, "peak RSS {peak} MiB");
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn answer_byte_cap_cuts_between_rows_and_says_so() {
    let store = stored();
    let limits = SqlLimits {
        max_bytes: 10_000,
        ..SqlLimits::default()
    };
    let app = app(&store, Some(Role::Admin), limits);
    let (status, rows, truncated) = get(
        &app,
        "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c LIMIT 100) \
         SELECT n, printf('%.1000c', 'x') AS pad FROM c",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(truncated);
    let rows = rows.as_array().unwrap();
    assert!((8..10).contains(&rows.len()), "{}", rows.len());
    assert_eq!(rows.last().unwrap()["pad"].as_str().unwrap().len(), 1000);
}

#[tokio::test]
async fn a_link_with_the_session_cookie_cannot_run_a_query() {
    let server = common::app::TestServer::start("").await;
    let cookie = logged_in_admin(&server).await;
    let token = cookie.split_once('=').unwrap().1.to_owned();
    let path = "/api/query?q=SELECT%201%20AS%20one";
    let get = |fetch_site: Option<&str>, bearer: bool| {
        let mut request = common::app::client().get(server.url(path));
        if bearer {
            request = request.header("authorization", format!("Bearer {token}"));
        } else {
            request = request.header("cookie", &cookie);
        }
        if let Some(site) = fetch_site {
            request = request.header("sec-fetch-site", site);
        }
        request.send()
    };
    for site in [None, Some("cross-site"), Some("same-site"), Some("none")] {
        let answer = get(site, false).await.unwrap();
        assert_eq!(answer.status(), StatusCode::FORBIDDEN, "{site:?}");
        let body: Value = answer.json().await.unwrap();
        assert!(body["error"].as_str().unwrap().contains("Sec-Fetch-Site"));
    }
    assert_eq!(
        get(Some("same-origin"), false).await.unwrap().status(),
        StatusCode::OK
    );
    assert_eq!(get(None, true).await.unwrap().status(), StatusCode::OK);
    // POST stays as it was (the Origin check guards writes).
    let post = common::app::post_with(
        &server,
        "/api/query",
        Some(&cookie),
        &json!({"query": "SELECT 1"}),
    )
    .await;
    assert_eq!(post.status(), StatusCode::OK);
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn time_in_the_select_list_keeps_the_ten_minute_default() {
    let store = stored();
    let app = app(&store, Some(Role::Admin), SqlLimits::default());
    let answered = single_call(2, 0, Outcome::Answered).len();
    for sql in [
        "SELECT time, time_us, method FROM hep_1",
        "SELECT method FROM hep_1 ORDER BY time DESC",
    ] {
        let (status, rows, _) = get(&app, sql).await;
        assert_eq!(status, StatusCode::OK, "{rows}");
        assert_eq!(rows.as_array().unwrap().len(), answered, "{sql}");
    }
}

#[tokio::test]
async fn more_than_500_hour_partitions_and_stray_ones_still_answer() {
    let (store, path) = open_store("sql-hours", Vec::new(), |c| {
        c.partition = server::config::PartitionSpan::Hour;
        c.retention = Duration::from_secs(30 * 86_400);
    });
    let hour = 3_600_000_000;
    let now = now_us();
    let mut packets = Vec::new();
    for i in 0..520u64 {
        packets.extend(single_call(
            i,
            now - i64::try_from(i).unwrap() * hour - 120_000_000,
            Outcome::Busy,
        ));
    }
    store_all(&store, &packets);
    // A catalogue entry whose tables are gone, far in the past.
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute(
        "INSERT INTO partitions (suffix, start_us, end_us) VALUES ('19990101_00', 915148800000000, 915152400000000)",
        [],
    )
    .unwrap();
    let partitions: i64 = conn
        .query_row("SELECT count(*) FROM partitions", [], |r| r.get(0))
        .unwrap();
    assert!(partitions > 500, "{partitions}");
    let app = app(&store, Some(Role::Admin), SqlLimits::default());
    let per_call = single_call(0, 0, Outcome::Busy).len();
    let (status, all, _) = get(&app, "SELECT count(*) AS n FROM hep_1 WHERE time_us > 0").await;
    assert_eq!(status, StatusCode::OK, "{all}");
    assert_eq!(all[0]["n"], 520 * per_call);
    let (status, all, _) = get(
        &app,
        "SELECT count(*) AS n FROM hep_1 WHERE method = 'INVITE' OR time_us > 0",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{all}");
    assert_eq!(all[0]["n"], 520 * per_call);
    let since = now - 3 * hour;
    let (status, recent, _) = get(
        &app,
        &format!("SELECT count(*) AS n FROM hep_1 WHERE time_us >= {since}"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{recent}");
    assert_eq!(recent[0]["n"], 3 * per_call);
    let (status, latest, _) = get(&app, "SELECT count(*) AS n FROM hep_1").await;
    assert_eq!(status, StatusCode::OK, "{latest}");
    assert_eq!(latest[0]["n"], per_call);
}

/// A full server whose store holds `single_call` 1 two hours ago and 2 a minute ago (UDP, IPv4),
/// with a viewer `vera`; and the admin's session cookie.
async fn hepop_server() -> (
    common::app::TestServer,
    String,
    Vec<app::domain::fixture::Packet>,
) {
    let hash = server::users::hash_password("viewer-pass").unwrap();
    let admin = server::users::hash_password(common::app::ADMIN_PASSWORD).unwrap();
    let toml = format!(
        "[[users]]\nusername = \"vera\"\npassword_hash = \"{hash}\"\nrole = \"viewer\"\n\
         [[users]]\nusername = \"admin\"\npassword_hash = \"{admin}\"\nrole = \"admin\"\n"
    );
    let (state, dist, data) = common::app::test_state(&toml);
    let store = state.store.clone().unwrap();
    let mut packets = single_call(1, now_us() - 7_200_000_000, Outcome::Busy);
    packets.extend(single_call(2, now_us() - 60_000_000, Outcome::Answered));
    store_all(&store, &packets);
    let server = common::app::TestServer::serve_state(state, dist, data).await;
    let cookie = logged_in_admin(&server).await;
    (server, cookie, packets)
}

/// GET `path` with `Authorization: Bearer`: status and body bytes.
async fn bearer_get(
    server: &common::app::TestServer,
    token: &str,
    path: &str,
) -> (StatusCode, Vec<u8>) {
    let answer = common::app::client()
        .get(server.url(path))
        .header("authorization", format!("Bearer {token}"))
        .send()
        .await
        .unwrap();
    (answer.status(), answer.bytes().await.unwrap().to_vec())
}

#[tokio::test]
async fn hepop_query_path_answers_like_api_query_with_hepop_columns() {
    let (server, cookie, packets) = hepop_server().await;
    let token = cookie.split_once('=').unwrap().1.to_owned();
    let since_sec = (now_us() - 3 * 3_600_000_000) / 1_000_000;
    let sql = format!(
        "SELECT id, time_us, time_sec, time_usec, proto_type, protocol, ip_family, capture_id, \
         correlation_id, call_id FROM hep_1 WHERE time_sec >= {since_sec} ORDER BY time_us, id"
    );
    let (status, root) = bearer_get(&server, &token, &url(&sql)).await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&root));
    let (_, api) = bearer_get(&server, &token, &format!("/api{}", url(&sql))).await;
    assert_eq!(
        root, api,
        "GET /query and GET /api/query answer the same bytes"
    );
    let post_root =
        common::app::post_with(&server, "/query", Some(&cookie), &json!({"query": sql})).await;
    assert_eq!(post_root.status(), StatusCode::OK);
    let post_api =
        common::app::post_with(&server, "/api/query", Some(&cookie), &json!({"query": sql})).await;
    assert_eq!(
        post_root.bytes().await.unwrap(),
        post_api.bytes().await.unwrap()
    );
    assert_eq!(root, api);

    // time_sec in WHERE lifts the 10-minute window: the call of two hours ago is there too.
    let rows: Value = serde_json::from_slice(&root).unwrap();
    let rows = rows.as_array().unwrap();
    let sip: Vec<_> = packets
        .iter()
        .filter(|p| p.kind == app::domain::fixture::PacketKind::Sip)
        .collect();
    assert_eq!(rows.len(), sip.len());
    for row in rows {
        let (time_us, sec, usec) = (
            row["time_us"].as_i64().unwrap(),
            row["time_sec"].as_i64().unwrap(),
            row["time_usec"].as_i64().unwrap(),
        );
        assert_eq!(sec * 1_000_000 + usec, time_us, "{row}");
        assert!((0..1_000_000).contains(&usec));
        assert_eq!(row["proto_type"], 1, "HEP payload type SIP: {row}");
        assert_eq!(row["protocol"], 17, "UDP: {row}");
        assert_eq!(row["ip_family"], 2, "IPv4 as HEP chunk 1 says it: {row}");
        let packet = sip
            .iter()
            .find(|p| p.ts_us == time_us && p.call_id == row["call_id"])
            .unwrap_or_else(|| panic!("no packet for {row}"));
        assert_eq!(row["capture_id"], packet.capture_id, "{row}");
        assert_eq!(row["correlation_id"], row["call_id"]);
    }

    // Without a time condition, HEPop's columns in the SELECT list keep the 10-minute default.
    let (_, recent) = bearer_get(&server, &token, &url("SELECT time_sec FROM hep_1")).await;
    let recent: Value = serde_json::from_slice(&recent).unwrap();
    let answered = single_call(2, 0, Outcome::Answered).len();
    assert_eq!(recent.as_array().unwrap().len(), answered);
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn limit_offset_pages_are_disjoint_and_cover_the_ordered_set() {
    let (server, cookie, _) = hepop_server().await;
    let token = cookie.split_once('=').unwrap().1.to_owned();
    let since = now_us() - 3 * 3_600_000_000;
    let base = format!(
        "SELECT id, time_us, method FROM hep_1 WHERE time_us >= {since} ORDER BY time_us, id"
    );
    let (_, all) = bearer_get(&server, &token, &url(&base)).await;
    let all: Vec<Value> = serde_json::from_slice(&all).unwrap();
    assert!(all.len() > 10, "{}", all.len());
    let mut paged: Vec<Value> = Vec::new();
    let page_size = 4;
    for page in 0.. {
        let sql = format!("{base} LIMIT {page_size} OFFSET {}", page * page_size);
        let (status, rows) = bearer_get(&server, &token, &url(&sql)).await;
        assert_eq!(status, StatusCode::OK);
        let rows: Vec<Value> = serde_json::from_slice(&rows).unwrap();
        assert!(rows.len() <= page_size);
        for row in &rows {
            assert!(!paged.contains(row), "pages overlap at {row}");
        }
        let last = rows.len() < page_size;
        paged.extend(rows);
        if last {
            break;
        }
    }
    assert_eq!(paged, all, "the pages in order are the whole ordered set");
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn hepop_query_path_refuses_viewers_anonymous_links_and_cross_site_posts() {
    let (server, cookie, _) = hepop_server().await;
    let path = "/query?q=SELECT%201%20AS%20one";
    let anonymous = common::app::get_with(&server, path, None).await;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let anonymous =
        common::app::post_with(&server, "/query", None, &json!({"query": "SELECT 1"})).await;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);

    let viewer = common::app::login(&server, "vera", "viewer-pass").await;
    let viewer = common::app::session_cookie(&viewer);
    let refused = common::app::client()
        .get(server.url(path))
        .header("cookie", &viewer)
        .header("sec-fetch-site", "same-origin")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let refused = common::app::post_with(
        &server,
        "/query",
        Some(&viewer),
        &json!({"query": "SELECT 1"}),
    )
    .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);

    // The admin's cookie: a link (no Sec-Fetch-Site) is refused, the app's own fetch is not.
    let link = common::app::get_with(&server, path, Some(&cookie)).await;
    assert_eq!(link.status(), StatusCode::FORBIDDEN);
    let body: Value = link.json().await.unwrap();
    assert!(body["error"].as_str().unwrap().contains("Sec-Fetch-Site"));
    let own = common::app::client()
        .get(server.url(path))
        .header("cookie", &cookie)
        .header("sec-fetch-site", "same-origin")
        .send()
        .await
        .unwrap();
    assert_eq!(own.status(), StatusCode::OK);

    // A POST from another site's page is refused like every other state-changing route.
    let cross = common::app::client()
        .post(server.url("/query"))
        .header("cookie", &cookie)
        .header("origin", "https://evil.example")
        .json(&json!({"query": "SELECT 1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(cross.status(), StatusCode::FORBIDDEN);
    let body: Value = cross.json().await.unwrap();
    assert!(!body["error"].as_str().unwrap().contains("admin"), "{body}");
    server.shutdown().await.unwrap();
}
