//! HEPop's SQL query API over the store, for admins: `GET /query?q=<SQL>` and
//! `POST /query {"query": "<SQL>"}`, answering a JSON array of row objects.
//!
//! Each request gets its own read-only connection with TEMP views `hep_1` (all SIP tables),
//! `hep_5` (RTCP), `hep_35` (other reports) and `hep_100` (logs) spanning the partitions, with
//! readable columns: `id, time, time_us, profile, call_id, correlation_id, method, cseq, from_user,
//! to_user, ruri_user, user_agent, src_ip, src_port, dst_ip, dst_port, transport, payload_type, node,
//! payload`, and HEPop's names `time_sec, time_usec, capture_id, proto_type, protocol, ip_family`.
//! `time` is RFC 3339 text (ms); compare `time_us` (µs since the epoch) to use the index.
//! The same routes answer under `/api` (`/api/query`) and at the root (`/query`, HEPop's path).
//!
//! **Time range** ([`scope`]): unless a WHERE, ON or HAVING clause names `time`, `time_us`,
//! `time_sec` or `time_usec`, the views hold only the last 10 minutes (naming `time` in the SELECT
//! list does not widen it). When the conditions bound the time (`WHERE time_us > 1783166400000000`,
//! `WHERE time_sec >= 1783166400`), the views span only the partitions in that range ([`views`]).
//!
//! **Safety**: an authorizer lets the user's statement only SELECT, read and call functions other
//! than file and extension functions; INSERT/UPDATE/DELETE/DROP/CREATE, ATTACH, PRAGMA and
//! transactions are refused. No string or blob may exceed [`MAX_VALUE_BYTES`]
//! (`SQLITE_LIMIT_LENGTH`), a progress handler interrupts a statement after the time budget, and
//! at most a row cap of rows and an answer-size cap of bytes are returned: then the answer is
//! `{"rows": [...], "truncated": true, "message": "..."}` (and the header
//! `X-Query-Truncated: true` is set) instead of the bare array.
//!
//! **Links**: a GET authenticated by the session cookie must carry `Sec-Fetch-Site: same-origin`
//! (browsers send it on the app's own fetches), so a link to `/api/query?q=…` clicked by an admin
//! cannot run a query; tools sending `Authorization: Bearer` are not affected.

mod scope;
mod views;

use std::time::Duration;

use axum::extract::rejection::JsonRejection;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Json, Router};
use rusqlite::hooks::{AuthAction, AuthContext, Authorization};
use rusqlite::limits::Limit;
use rusqlite::types::ValueRef;
use rusqlite::Connection;
use serde::Deserialize;
use serde_json::json;

use super::{read, Store, StoreError};
use crate::audit::{Action, Audit, Outcome};
use crate::auth::{Right, Session};
use crate::error::AppError;

/// Without a time condition, the views cover this much recent time.
pub const DEFAULT_LOOKBACK: Duration = Duration::from_secs(600);
/// The longest string or blob a query may make or read (`SQLITE_LIMIT_LENGTH`), bytes: a
/// `zeroblob(2e8)` fails at once instead of filling memory.
pub const MAX_VALUE_BYTES: i32 = 16 * 1024 * 1024;
/// The default cap of an answer's JSON, bytes.
pub const DEFAULT_MAX_ANSWER_BYTES: usize = crate::store::config::DEFAULT_SQL_MAX_ANSWER_BYTES;
/// Functions the user's SQL may not call (file access and extension loading).
const DENIED_FUNCTIONS: &[&str] = &[
    "load_extension",
    "readfile",
    "writefile",
    "edit",
    "fts3_tokenizer",
    "zipfile",
    "sqlar_compress",
    "sqlar_uncompress",
];

/// The row cap, answer-size cap and time budget of one query.
#[derive(Clone, Copy, Debug)]
pub struct SqlLimits {
    pub max_rows: usize,
    /// The answer's JSON stops before this many bytes (`[store] sql_max_answer_bytes`).
    pub max_bytes: usize,
    pub budget: Duration,
}

impl Default for SqlLimits {
    fn default() -> Self {
        SqlLimits {
            max_rows: 10_000,
            max_bytes: DEFAULT_MAX_ANSWER_BYTES,
            budget: Duration::from_secs(5),
        }
    }
}

#[derive(Clone)]
struct SqlState {
    store: Store,
    limits: SqlLimits,
}

/// `/query` (GET and POST) with the store's configured limits; mounted under `/api` and at the
/// root, behind the session check and the same-origin rule for POST.
pub fn router<S: Clone + Send + Sync + 'static>(store: Store) -> Router<S> {
    let limits = SqlLimits {
        max_bytes: store.config().sql_max_answer_bytes,
        ..SqlLimits::default()
    };
    router_with_limits(store, limits)
}

/// [`router`] with other limits.
pub fn router_with_limits<S: Clone + Send + Sync + 'static>(
    store: Store,
    limits: SqlLimits,
) -> Router<S> {
    Router::new()
        .route("/query", get(query_get).post(query_post))
        .with_state(SqlState { store, limits })
}

#[derive(Deserialize)]
struct GetParams {
    q: Option<String>,
}

/// `POST /api/query` body.
#[derive(Deserialize, utoipa::ToSchema)]
#[schema(as = SqlQuery)]
struct PostBody {
    query: String,
}

/// Characters of a query's text the audit log keeps.
const MAX_AUDITED_SQL_CHARS: usize = 4096;

/// Why a query was refused or failed.
#[derive(Debug)]
enum QueryError {
    /// Not logged in, or no `sql` right.
    App(AppError),
    CrossSiteLink,
    Bad(String),
    Interrupted(Duration),
    Store(StoreError),
}

impl IntoResponse for QueryError {
    fn into_response(self) -> Response {
        let (status, body) = match self {
            QueryError::App(e) => return e.into_response(),
            QueryError::CrossSiteLink => (
                StatusCode::FORBIDDEN,
                json!({"error": "a GET of the SQL query API with the session cookie must come \
                    from the app itself (Sec-Fetch-Site: same-origin); tools send \
                    Authorization: Bearer or use POST"}),
            ),
            QueryError::Bad(message) => (StatusCode::BAD_REQUEST, json!({"error": message})),
            QueryError::Interrupted(budget) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                json!({
                    "error": format!("interrupted: the query ran longer than {} ms", budget.as_millis()),
                    "interrupted": true,
                }),
            ),
            QueryError::Store(e) => {
                tracing::error!(error = %e, "SQL query API failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    json!({"error": "store error; see the server log"}),
                )
            }
        };
        (status, Json(body)).into_response()
    }
}

/// `GET /api/query?q=<SQL>` (admins).
#[utoipa::path(
    get,
    path = "/api/query",
    tag = "store",
    params(("q" = String, Query, description = "A SELECT over the views hep_1, hep_5, hep_35, hep_100")),
    security(("session_cookie" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "A JSON array of row objects; when capped, `{rows, truncated: true, message}` and `X-Query-Truncated: true`", body = serde_json::Value),
        (status = 400, description = "Not a read-only SELECT, or a SQL error", body = app::domain::api::ErrorBody),
        (status = 403, description = "Not an admin, or a cookie-authenticated GET without `Sec-Fetch-Site: same-origin`", body = app::domain::api::ErrorBody),
        (status = 422, description = "Interrupted after the time budget: `{error, interrupted: true}`", body = app::domain::api::ErrorBody),
    )
)]
async fn query_get(
    State(state): State<SqlState>,
    session: Option<Extension<Session>>,
    audit: Audit,
    headers: HeaderMap,
    Query(params): Query<GetParams>,
) -> Response {
    if session.is_some() && !link_safe(&headers) {
        return QueryError::CrossSiteLink.into_response();
    }
    match params.q {
        Some(sql) => run(state, session, audit, sql).await,
        None => QueryError::Bad("missing the query parameter q".into()).into_response(),
    }
}

/// `POST /api/query {"query": "<SQL>"}` (admins).
#[utoipa::path(
    post,
    path = "/api/query",
    tag = "store",
    request_body = PostBody,
    security(("session_cookie" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "A JSON array of row objects; when capped, `{rows, truncated: true, message}` and `X-Query-Truncated: true`", body = serde_json::Value),
        (status = 400, description = "Not a read-only SELECT, or a SQL error", body = app::domain::api::ErrorBody),
        (status = 403, description = "Not an admin, or a cookie-authenticated GET without `Sec-Fetch-Site: same-origin`", body = app::domain::api::ErrorBody),
        (status = 422, description = "Interrupted after the time budget: `{error, interrupted: true}`", body = app::domain::api::ErrorBody),
    )
)]
async fn query_post(
    State(state): State<SqlState>,
    session: Option<Extension<Session>>,
    audit: Audit,
    body: Result<Json<PostBody>, JsonRejection>,
) -> Response {
    match body {
        Ok(Json(body)) => run(state, session, audit, body.query).await,
        Err(e) => QueryError::Bad(format!(
            "expected {{\"query\": \"<SQL>\"}}: {}",
            e.body_text()
        ))
        .into_response(),
    }
}

/// False for a GET carrying the session cookie without `Sec-Fetch-Site: same-origin`: a link or
/// a cross-site page. A browser never adds `Authorization` to a navigation, so a request that
/// has no session cookie (a Bearer tool) is safe.
fn link_safe(headers: &HeaderMap) -> bool {
    let same_origin = headers
        .get("sec-fetch-site")
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"same-origin"));
    same_origin || crate::auth::session_cookie(headers).is_none()
}

async fn run(
    state: SqlState,
    session: Option<Extension<Session>>,
    audit: Audit,
    sql: String,
) -> Response {
    let allowed = session
        .ok_or(AppError::Unauthorized)
        .and_then(|Extension(s)| s.require(Right::Sql).map(|()| s));
    let result = match allowed {
        Err(e) => Err(QueryError::App(e)),
        Ok(session) => {
            let text: String = sql.chars().take(MAX_AUDITED_SQL_CHARS).collect();
            audit.by(&session, Action::Sql, text, Outcome::Success);
            let store = state.store.clone();
            let limits = state.limits;
            let now_us = jiff::Timestamp::now().as_microsecond();
            tokio::task::spawn_blocking(move || execute(&store, &sql, limits, now_us))
                .await
                .unwrap_or_else(|e| Err(QueryError::Store(StoreError::Task(e.to_string()))))
        }
    };
    match result {
        Ok(answer) => answer.into_response(),
        Err(e) => e.into_response(),
    }
}

/// Why an answer holds fewer rows than the query gives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Truncation {
    Rows(usize),
    Bytes(usize),
}

/// The rows as JSON text (`[...]`), and whether a cap cut them short.
struct Answer {
    json: Vec<u8>,
    truncated: Option<Truncation>,
}

impl IntoResponse for Answer {
    fn into_response(self) -> Response {
        let Some(cut) = self.truncated else {
            return ([(header::CONTENT_TYPE, "application/json")], self.json).into_response();
        };
        let message = match cut {
            Truncation::Rows(n) => format!("truncated: only the first {n} rows are returned"),
            Truncation::Bytes(n) => {
                format!("truncated: the answer stops before {n} bytes of JSON")
            }
        };
        let head =
            serde_json::to_vec(&json!({"truncated": true, "message": message})).unwrap_or_default();
        // {"truncated":…,"message":…} + ,"rows":[...]} — the rows are not parsed again.
        let mut body = Vec::with_capacity(head.len() + self.json.len() + 16);
        body.extend_from_slice(head.strip_suffix(b"}").unwrap_or(&head));
        body.extend_from_slice(b",\"rows\":");
        body.extend_from_slice(&self.json);
        body.push(b'}');
        let mut response = ([(header::CONTENT_TYPE, "application/json")], body).into_response();
        response
            .headers_mut()
            .insert("x-query-truncated", HeaderValue::from_static("true"));
        response
    }
}

fn authorize(context: AuthContext<'_>) -> Authorization {
    match context.action {
        AuthAction::Select | AuthAction::Read { .. } | AuthAction::Recursive => {
            Authorization::Allow
        }
        AuthAction::Function { function_name }
            if !DENIED_FUNCTIONS
                .iter()
                .any(|d| d.eq_ignore_ascii_case(function_name)) =>
        {
            Authorization::Allow
        }
        _ => Authorization::Deny,
    }
}

/// Runs one user query with the guards of this module.
fn execute(store: &Store, sql: &str, limits: SqlLimits, now_us: i64) -> Result<Answer, QueryError> {
    let mut conn = store.open_reader().map_err(QueryError::Store)?;
    let lookback = i64::try_from(DEFAULT_LOOKBACK.as_micros()).unwrap_or(i64::MAX);
    let scope = scope::time_scope(sql);
    let (range, window_from) = if scope.constrained {
        (scope.range, None)
    } else {
        let from = now_us.saturating_sub(lookback);
        (
            scope::Range {
                from_us: Some(from),
                to_us: None,
            },
            Some(from),
        )
    };
    views::create_views(&conn, range, window_from).map_err(QueryError::Store)?;
    let sqlite = |e: rusqlite::Error| QueryError::Store(StoreError::Sqlite(e));
    conn.pragma_update(None, "query_only", true)
        .map_err(sqlite)?;
    conn.set_limit(Limit::SQLITE_LIMIT_LENGTH, MAX_VALUE_BYTES)
        .map_err(sqlite)?;
    conn.authorizer(Some(authorize)).map_err(sqlite)?;
    match read::within_budget(&mut conn, limits.budget, |c| Ok(collect(c, sql, limits))) {
        Err(StoreError::TimedOut(budget)) => Err(QueryError::Interrupted(budget)),
        Err(e) => Err(QueryError::Store(e)),
        Ok(outcome) => outcome.map_err(|e| QueryError::Bad(e.to_string())),
    }
}

/// Runs `sql` and writes its rows as a JSON array, stopping at the row or byte cap. Values are
/// written one at a time into the capped answer, so memory stays about the cap plus one value
/// (at most [`MAX_VALUE_BYTES`]) however many columns a row has.
fn collect(conn: &Connection, sql: &str, limits: SqlLimits) -> rusqlite::Result<Answer> {
    let mut stmt = conn.prepare(sql)?;
    let names: Vec<String> = stmt.column_names().map(str::to_owned).collect();
    // A name given twice keeps its last column, as an object can hold a key once.
    let columns: Vec<(usize, &str)> = names
        .iter()
        .enumerate()
        .filter(|(index, name)| !names.iter().skip(index + 1).any(|later| later == *name))
        .map(|(index, name)| (index, name.as_str()))
        .collect();
    let mut rows = stmt.query([])?;
    let mut json = vec![b'['];
    let mut count = 0usize;
    let mut truncated = None;
    while let Some(row) = rows.next()? {
        if count >= limits.max_rows {
            truncated = Some(Truncation::Rows(limits.max_rows));
            break;
        }
        let end = json.len();
        // One byte stays free for the closing `]`.
        let limit = limits.max_bytes.saturating_sub(1);
        let mut out = Capped {
            out: &mut json,
            limit,
        };
        match write_row(&mut out, row, &columns, count > 0) {
            Ok(()) => count += 1,
            Err(RowError::Sql(e)) => return Err(e),
            Err(RowError::Cap) => {
                json.truncate(end);
                truncated = Some(Truncation::Bytes(limits.max_bytes));
                break;
            }
        }
    }
    json.push(b']');
    Ok(Answer { json, truncated })
}

enum RowError {
    Sql(rusqlite::Error),
    /// The answer cap was reached.
    Cap,
}

/// Writes one row as a JSON object (after a comma unless it is the first).
fn write_row(
    out: &mut Capped<'_>,
    row: &rusqlite::Row<'_>,
    columns: &[(usize, &str)],
    comma: bool,
) -> Result<(), RowError> {
    use std::io::Write;
    let cap = |_| RowError::Cap;
    if comma {
        out.write_all(b",").map_err(cap)?;
    }
    out.write_all(b"{").map_err(cap)?;
    for (n, (index, name)) in columns.iter().enumerate() {
        if n > 0 {
            out.write_all(b",").map_err(cap)?;
        }
        serde_json::to_writer(&mut *out, name).map_err(|_| RowError::Cap)?;
        out.write_all(b":").map_err(cap)?;
        let written = match row.get_ref(*index).map_err(RowError::Sql)? {
            ValueRef::Null => out.write_all(b"null").map_err(serde_json::Error::io),
            ValueRef::Integer(i) => serde_json::to_writer(&mut *out, &i),
            ValueRef::Real(f) => serde_json::to_writer(&mut *out, &f),
            ValueRef::Text(t) | ValueRef::Blob(t) => {
                serde_json::to_writer(&mut *out, &*String::from_utf8_lossy(t))
            }
        };
        written.map_err(|_| RowError::Cap)?;
    }
    out.write_all(b"}").map_err(cap)
}

/// Appends to `out` until it would pass `limit` bytes, then fails.
struct Capped<'a> {
    out: &'a mut Vec<u8>,
    limit: usize,
}

impl std::io::Write for Capped<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.out.len().saturating_add(buf.len()) > self.limit {
            return Err(std::io::Error::other("the answer cap is reached"));
        }
        self.out.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    #[test]
    fn a_row_of_many_big_columns_stops_at_the_cap_while_it_is_written() {
        let conn = Connection::open_in_memory().unwrap();
        let limits = SqlLimits {
            max_bytes: 1_000_000,
            ..SqlLimits::default()
        };
        let wide = (0..100)
            .map(|i| format!("zeroblob(100000) AS c{i}"))
            .collect::<Vec<_>>()
            .join(", ");
        let answer = collect(
            &conn,
            "SELECT 1 AS n, 'a\"b' AS t, 2.5 AS r, NULL AS z UNION ALL SELECT 2, '', 0, NULL",
            limits,
        );
        let answer = answer.unwrap();
        assert_eq!(answer.truncated, None);
        let rows: Value = serde_json::from_slice(&answer.json).unwrap();
        assert_eq!(
            rows,
            json!([{"n": 1, "t": "a\"b", "r": 2.5, "z": null}, {"n": 2, "t": "", "r": 0, "z": null}])
        );
        let answer = collect(&conn, &format!("SELECT {wide}"), limits).unwrap();
        assert_eq!(answer.truncated, Some(Truncation::Bytes(1_000_000)));
        assert_eq!(answer.json, b"[]");
    }

    #[test]
    fn authorizer_refuses_writes_attach_pragma_and_file_functions() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1);")
            .unwrap();
        conn.authorizer(Some(authorize)).unwrap();
        assert!(conn.prepare("SELECT x, upper('a') FROM t").is_ok());
        assert!(conn
            .prepare("WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n+1 FROM c LIMIT 3) SELECT n FROM c")
            .is_ok());
        for sql in [
            "INSERT INTO t VALUES (2)",
            "UPDATE t SET x = 3",
            "DELETE FROM t",
            "DROP TABLE t",
            "CREATE TABLE u (y)",
            "ATTACH DATABASE '/tmp/x.db' AS x",
            "PRAGMA journal_mode",
            "SELECT load_extension('x')",
            "BEGIN",
        ] {
            assert!(conn.prepare(sql).is_err(), "{sql}");
        }
    }
}
