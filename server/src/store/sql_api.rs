//! HEPop's SQL query API over the store, for admins: `GET /query?q=<SQL>` and
//! `POST /query {"query": "<SQL>"}`, answering a JSON array of row objects.
//!
//! Each request gets its own read-only connection with TEMP views `hep_1` (all SIP tables),
//! `hep_5` (RTCP), `hep_35` (other reports) and `hep_100` (logs) spanning the partitions, with
//! readable columns: `id, time, time_us, profile, call_id, correlation_id, method, cseq, from_user,
//! to_user, ruri_user, user_agent, src_ip, src_port, dst_ip, dst_port, transport, payload_type, node,
//! payload`. `time` is RFC 3339 text (ms); compare `time_us` (µs since the epoch) to use the index.
//!
//! **Time range**: when the query names neither `time` nor `time_us`, the views hold only the last
//! 10 minutes; naming either (for example `WHERE time_us > 1783166400000000`) opens every partition.
//!
//! **Safety**: an authorizer lets the user's statement only SELECT, read and call functions other
//! than file and extension functions; INSERT/UPDATE/DELETE/DROP/CREATE, ATTACH, PRAGMA and
//! transactions are refused. A progress handler interrupts a statement after the time budget, and
//! at most a row cap of rows is returned (then the header `X-Query-Truncated: true` is set).

use std::time::Duration;

use axum::extract::rejection::JsonRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Json, Router};
use rusqlite::hooks::{AuthAction, AuthContext, Authorization};
use rusqlite::types::ValueRef;
use rusqlite::Connection;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::index::Profile;
use super::{read, schema, Store, StoreError};
use crate::auth::Session;

/// Without a time condition, the views cover this much recent time.
pub const DEFAULT_LOOKBACK: Duration = Duration::from_secs(600);
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

/// The row cap and time budget of one query.
#[derive(Clone, Copy, Debug)]
pub struct SqlLimits {
    pub max_rows: usize,
    pub budget: Duration,
}

impl Default for SqlLimits {
    fn default() -> Self {
        SqlLimits {
            max_rows: 10_000,
            budget: Duration::from_secs(5),
        }
    }
}

#[derive(Clone)]
struct SqlState {
    store: Store,
    limits: SqlLimits,
}

/// `/query` (GET and POST) with the default limits; mount under `/api` behind the session check.
pub fn router<S: Clone + Send + Sync + 'static>(store: Store) -> Router<S> {
    router_with_limits(store, SqlLimits::default())
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

#[derive(Deserialize)]
struct PostBody {
    query: String,
}

/// Why a query was refused or failed.
#[derive(Debug)]
enum QueryError {
    NotLoggedIn,
    NotAdmin,
    Bad(String),
    Interrupted(Duration),
    Store(StoreError),
}

impl IntoResponse for QueryError {
    fn into_response(self) -> Response {
        let (status, body) = match self {
            QueryError::NotLoggedIn => {
                (StatusCode::UNAUTHORIZED, json!({"error": "not logged in"}))
            }
            QueryError::NotAdmin => (
                StatusCode::FORBIDDEN,
                json!({"error": "the SQL query API requires admin access"}),
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

async fn query_get(
    State(state): State<SqlState>,
    session: Option<Extension<Session>>,
    Query(params): Query<GetParams>,
) -> Response {
    match params.q {
        Some(sql) => run(state, session, sql).await,
        None => QueryError::Bad("missing the query parameter q".into()).into_response(),
    }
}

async fn query_post(
    State(state): State<SqlState>,
    session: Option<Extension<Session>>,
    body: Result<Json<PostBody>, JsonRejection>,
) -> Response {
    match body {
        Ok(Json(body)) => run(state, session, body.query).await,
        Err(e) => QueryError::Bad(format!(
            "expected {{\"query\": \"<SQL>\"}}: {}",
            e.body_text()
        ))
        .into_response(),
    }
}

async fn run(state: SqlState, session: Option<Extension<Session>>, sql: String) -> Response {
    let result = match session {
        None => Err(QueryError::NotLoggedIn),
        Some(Extension(s)) if !s.is_admin() => Err(QueryError::NotAdmin),
        Some(_) => {
            let store = state.store.clone();
            let limits = state.limits;
            let now_us = jiff::Timestamp::now().as_microsecond();
            tokio::task::spawn_blocking(move || execute(&store, &sql, limits, now_us))
                .await
                .unwrap_or_else(|e| Err(QueryError::Store(StoreError::Task(e.to_string()))))
        }
    };
    match result {
        Ok((rows, truncated)) => {
            let mut response = Json(Value::Array(rows)).into_response();
            if truncated {
                response
                    .headers_mut()
                    .insert("x-query-truncated", HeaderValue::from_static("true"));
            }
            response
        }
        Err(e) => e.into_response(),
    }
}

/// True when the SQL names `time` or `time_us` as a word.
fn mentions_time(sql: &str) -> bool {
    sql.to_ascii_lowercase()
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .any(|word| word == "time" || word == "time_us")
}

const VIEW_COLUMNS: &str = "id, strftime('%Y-%m-%dT%H:%M:%fZ', time_us / 1000000.0, 'unixepoch') \
     AS time, time_us, '{profile}' AS profile, sid AS call_id, COALESCE(correlation_id, sid) AS \
     correlation_id, method, cseq, from_user, to_user, ruri_user, user_agent, src_ip, src_port, \
     dst_ip, dst_port, transport, payload_type, node, CAST(raw AS TEXT) AS payload";

/// Creates the TEMP views over the partitions overlapping `[from_us, ∞)`.
fn create_views(conn: &Connection, from_us: Option<i64>) -> Result<(), StoreError> {
    let partitions = schema::list_partitions(conn)?;
    let views: [(&str, &[Profile]); 4] = [
        (
            "hep_1",
            &[Profile::Call, Profile::Registration, Profile::SipDefault],
        ),
        ("hep_5", &[Profile::Rtcp]),
        ("hep_35", &[Profile::Report]),
        ("hep_100", &[Profile::Log]),
    ];
    let filter = from_us.map_or(String::new(), |f| format!(" WHERE time_us >= {f}"));
    for (view, profiles) in views {
        let mut selects = Vec::new();
        for (suffix, partition) in &partitions {
            if from_us.is_some_and(|f| partition.end_us() <= f) {
                continue;
            }
            for profile in profiles {
                selects.push(format!(
                    "SELECT {} FROM main.{}{filter}",
                    VIEW_COLUMNS.replace("{profile}", profile.key()),
                    schema::table_name(*profile, suffix)
                ));
            }
        }
        if selects.is_empty() {
            let empty = VIEW_COLUMNS
                .replace("{profile}", "")
                .replace("CAST(raw AS TEXT)", "raw");
            selects.push(format!(
                "SELECT {empty} FROM (SELECT 0 AS id, 0 AS time_us, '' AS sid, NULL AS \
                 correlation_id, '' AS method, '' AS cseq, '' AS from_user, '' AS to_user, '' AS \
                 ruri_user, '' AS user_agent, '' AS src_ip, 0 AS src_port, '' AS dst_ip, 0 AS \
                 dst_port, 0 AS transport, 0 AS payload_type, '' AS node, '' AS raw) WHERE 0"
            ));
        }
        conn.execute_batch(&format!(
            "CREATE TEMP VIEW {view} AS {};",
            selects.join(" UNION ALL ")
        ))?;
    }
    Ok(())
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

type Rows = (Vec<Value>, bool);

/// Runs one user query with the guards of this module.
fn execute(store: &Store, sql: &str, limits: SqlLimits, now_us: i64) -> Result<Rows, QueryError> {
    let mut conn = store.open_reader().map_err(QueryError::Store)?;
    let lookback = i64::try_from(DEFAULT_LOOKBACK.as_micros()).unwrap_or(i64::MAX);
    let from_us = (!mentions_time(sql)).then(|| now_us.saturating_sub(lookback));
    create_views(&conn, from_us).map_err(QueryError::Store)?;
    let sqlite = |e: rusqlite::Error| QueryError::Store(StoreError::Sqlite(e));
    conn.pragma_update(None, "query_only", true)
        .map_err(sqlite)?;
    conn.authorizer(Some(authorize)).map_err(sqlite)?;
    match read::within_budget(&mut conn, limits.budget, |c| {
        Ok(collect(c, sql, limits.max_rows))
    }) {
        Err(StoreError::TimedOut(budget)) => Err(QueryError::Interrupted(budget)),
        Err(e) => Err(QueryError::Store(e)),
        Ok(outcome) => outcome.map_err(|e| QueryError::Bad(e.to_string())),
    }
}

fn collect(conn: &Connection, sql: &str, max_rows: usize) -> rusqlite::Result<Rows> {
    let mut stmt = conn.prepare(sql)?;
    let names: Vec<String> = stmt.column_names().map(str::to_owned).collect();
    let mut rows = stmt.query([])?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        if out.len() >= max_rows {
            return Ok((out, true));
        }
        let mut object = Map::new();
        for (index, name) in names.iter().enumerate() {
            let value = match row.get_ref(index)? {
                ValueRef::Null => Value::Null,
                ValueRef::Integer(i) => json!(i),
                ValueRef::Real(f) => json!(f),
                ValueRef::Text(t) | ValueRef::Blob(t) => json!(String::from_utf8_lossy(t)),
            };
            object.insert(name.clone(), value);
        }
        out.push(Value::Object(object));
    }
    Ok((out, false))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_is_detected_as_a_word_only() {
        assert!(mentions_time("select * from hep_1 where time > '2026'"));
        assert!(mentions_time("SELECT * FROM hep_1 WHERE TIME_US>1"));
        assert!(!mentions_time("select runtime, timeout from hep_1"));
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
