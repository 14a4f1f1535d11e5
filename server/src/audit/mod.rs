//! The audit log: append-only records of who did what (sign-ins, searches, call views, exports,
//! shares, imports, SQL, tokens, admin actions), in their own SQLite file (`audit.sqlite` in the data
//! dir, never mixed with HEP data), pruned after `[audit] retention`, and optionally copied to syslog
//! (RFC 5424 over UDP) and a JSONL file for SIEMs.
//!
//! Handlers call [`AuditLog::record`]; it hands the record to one writer thread, so a request never
//! waits for the disk. Reads ([`AuditLog::query`]) first wait for what was recorded before them.
//!
//! - [`config`]: the audit section of the config.
//! - [`routes`]: `GET /api/audit` and `GET /api/audit.csv` (the `admin` right).

pub mod config;
mod writer;

use std::path::Path;
use std::sync::mpsc;
use std::sync::Arc;

use rusqlite::{params_from_iter, Connection, OpenFlags};
use serde::{Deserialize, Serialize};

pub use config::{AuditConfig, RawAudit};

use crate::client_addr::ClientAddr;

/// File in the data dir holding the audit log.
pub const AUDIT_FILE: &str = "audit.sqlite";
/// Most records one query answers.
pub const MAX_QUERY_ROWS: usize = 10_000;

/// What was done.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// A sign-in; the object is the method (`local`, `ldap`, `oidc`, `token`).
    SignIn,
    /// A call search; the object names the backend, the filter and the result count.
    Search,
    /// A call's ladder opened; the object is its Call-IDs.
    CallView,
    /// A PCAP or text export; the object is the format and the Call-IDs.
    Export,
    ShareCreate,
    ShareRevoke,
    /// An outside reader opened a share link; the object is the share id.
    ShareOpen,
    Import,
    /// SQL against the embedded store; the object is the query text.
    Sql,
    TokenCreate,
    TokenRevoke,
    /// An admin-only action (backend check, …).
    Admin,
}

impl Action {
    /// The action's name as stored and filtered on.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::SignIn => "sign_in",
            Action::Search => "search",
            Action::CallView => "call_view",
            Action::Export => "export",
            Action::ShareCreate => "share_create",
            Action::ShareRevoke => "share_revoke",
            Action::ShareOpen => "share_open",
            Action::Import => "import",
            Action::Sql => "sql",
            Action::TokenCreate => "token_create",
            Action::TokenRevoke => "token_revoke",
            Action::Admin => "admin",
        }
    }
}

/// How it went.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Success,
    Failure,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Failure => "failure",
        }
    }
}

pub use hepscope_core::access::AuditRecord as Record;

/// A record of `action` on `object` by `user` from `client`, now.
pub fn entry(
    user: &str,
    client: Option<ClientAddr>,
    action: Action,
    object: impl Into<String>,
    outcome: Outcome,
) -> Record {
    Record {
        time: unix_millis(),
        user: user.to_string(),
        client: client.map(|c| c.to_string()).unwrap_or_default(),
        action: action.as_str().to_string(),
        object: object.into(),
        outcome: outcome.as_str().to_string(),
    }
}

/// Why the audit log could not be opened or read.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("audit log {path}: {source}")]
    Sqlite {
        path: String,
        source: rusqlite::Error,
    },
    #[error("audit log directory: {0}")]
    Dir(#[from] crate::private_fs::PrivateFsError),
    #[error("the audit writer has stopped")]
    Stopped,
}

/// Filters of [`AuditLog::query`].
#[derive(Clone, Debug, Default, Deserialize)]
pub struct Query {
    pub user: Option<String>,
    pub action: Option<String>,
    /// From this time (ms since the epoch), inclusive.
    pub from: Option<i64>,
    /// Up to this time (ms since the epoch), inclusive.
    pub to: Option<i64>,
    /// At most this many, newest first (default and cap [`MAX_QUERY_ROWS`]).
    pub limit: Option<usize>,
}

/// The audit log; cheap to clone.
#[derive(Clone)]
pub struct AuditLog {
    inner: Arc<Inner>,
}

struct Inner {
    sender: mpsc::Sender<writer::Message>,
    path: std::path::PathBuf,
}

impl AuditLog {
    /// Opens (creating) `audit.sqlite` in `data_dir`, prunes it, and starts the writer thread.
    ///
    /// # Errors
    /// The file cannot be created or opened.
    pub fn open(data_dir: &Path, config: AuditConfig) -> Result<AuditLog, AuditError> {
        crate::private_fs::create_dir(data_dir)?;
        let path = data_dir.join(AUDIT_FILE);
        let sqlite = |source| AuditError::Sqlite {
            path: path.display().to_string(),
            source,
        };
        let connection = Connection::open(&path).map_err(sqlite)?;
        connection
            .execute_batch(
                "PRAGMA journal_mode = TRUNCATE;
                 PRAGMA busy_timeout = 5000;
                 CREATE TABLE IF NOT EXISTS audit (
                     id INTEGER PRIMARY KEY,
                     time INTEGER NOT NULL,
                     user TEXT NOT NULL,
                     client TEXT NOT NULL,
                     action TEXT NOT NULL,
                     object TEXT NOT NULL,
                     outcome TEXT NOT NULL
                 );
                 CREATE INDEX IF NOT EXISTS audit_time ON audit (time);",
            )
            .map_err(sqlite)?;
        let _ = crate::private_fs::tighten(data_dir);
        let sender = writer::start(connection, config);
        Ok(AuditLog {
            inner: Arc::new(Inner { sender, path }),
        })
    }

    /// Appends `record` (the writer thread stores it and copies it to syslog and the JSONL file).
    pub fn record(&self, record: Record) {
        if self
            .inner
            .sender
            .send(writer::Message::Record(Box::new(record)))
            .is_err()
        {
            tracing::error!("audit writer stopped; a record was lost");
        }
    }

    /// Waits until everything recorded so far is stored (blocking; call off the async runtime).
    ///
    /// # Errors
    /// The writer has stopped.
    pub fn flush(&self) -> Result<(), AuditError> {
        let (done, wait) = mpsc::channel();
        self.inner
            .sender
            .send(writer::Message::Flush(done))
            .map_err(|_| AuditError::Stopped)?;
        wait.recv().map_err(|_| AuditError::Stopped)
    }

    /// Deletes records older than `retention` now (the writer also does it hourly).
    ///
    /// # Errors
    /// The writer has stopped.
    pub fn prune(&self) -> Result<(), AuditError> {
        self.inner
            .sender
            .send(writer::Message::Prune)
            .map_err(|_| AuditError::Stopped)?;
        self.flush()
    }

    /// The records matching `query`, newest first (blocking; call off the async runtime).
    ///
    /// # Errors
    /// The file cannot be read.
    pub fn query(&self, query: &Query) -> Result<Vec<Record>, AuditError> {
        self.flush()?;
        let sqlite = |source| AuditError::Sqlite {
            path: self.inner.path.display().to_string(),
            source,
        };
        let connection =
            Connection::open_with_flags(&self.inner.path, OpenFlags::SQLITE_OPEN_READ_ONLY)
                .map_err(sqlite)?;
        // A rollback journal that stays (truncated) beside the file: no WAL files coming and going.
        connection
            .busy_timeout(std::time::Duration::from_secs(5))
            .map_err(sqlite)?;
        let mut sql = String::from(
            "SELECT time, user, client, action, object, outcome FROM audit WHERE 1 = 1",
        );
        let mut values: Vec<rusqlite::types::Value> = Vec::new();
        if let Some(user) = query.user.as_ref().filter(|u| !u.is_empty()) {
            sql.push_str(" AND user = ?");
            values.push(user.clone().into());
        }
        if let Some(action) = query.action.as_ref().filter(|a| !a.is_empty()) {
            sql.push_str(" AND action = ?");
            values.push(action.clone().into());
        }
        if let Some(from) = query.from {
            sql.push_str(" AND time >= ?");
            values.push(from.into());
        }
        if let Some(to) = query.to {
            sql.push_str(" AND time <= ?");
            values.push(to.into());
        }
        let limit = query.limit.unwrap_or(MAX_QUERY_ROWS).min(MAX_QUERY_ROWS);
        sql.push_str(&format!(" ORDER BY id DESC LIMIT {limit}"));
        let mut statement = connection.prepare(&sql).map_err(sqlite)?;
        let rows = statement
            .query_map(params_from_iter(values), |row| {
                Ok(Record {
                    time: row.get(0)?,
                    user: row.get(1)?,
                    client: row.get(2)?,
                    action: row.get(3)?,
                    object: row.get(4)?,
                    outcome: row.get(5)?,
                })
            })
            .map_err(sqlite)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(sqlite)
    }
}

/// Who did something: the signed-in session ([`crate::auth::Session`] implements it), so the log does not
/// depend on how sessions are made.
pub trait Actor {
    /// The user name recorded.
    fn audit_name(&self) -> &str;
}

/// Extractor: the request's audit log (the router's `Extension<AuditLog>`) and client address, so a
/// handler records with `audit.by(&session, Action::Export, "pcap …", Outcome::Success)`. Without
/// the extension (a module's routes mounted alone in a test) nothing is recorded.
#[derive(Clone)]
pub struct Audit {
    log: Option<AuditLog>,
    client: Option<ClientAddr>,
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Audit {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(Audit {
            log: parts.extensions.get::<AuditLog>().cloned(),
            client: parts.extensions.get::<ClientAddr>().copied(),
        })
    }
}

impl Audit {
    /// Records `action` on `object` by `user` from this request's client.
    pub fn record(&self, user: &str, action: Action, object: impl Into<String>, outcome: Outcome) {
        if let Some(log) = &self.log {
            log.record(entry(user, self.client, action, object, outcome));
        }
    }

    /// [`Self::record`] by the session's user.
    pub fn by(
        &self,
        actor: &impl Actor,
        action: Action,
        object: impl Into<String>,
        outcome: Outcome,
    ) {
        self.record(actor.audit_name(), action, object, outcome);
    }
}

/// The records as CSV with a header line (fields quoted where needed).
pub fn to_csv(records: &[Record]) -> String {
    let mut out = String::from("time,user,client,action,object,outcome\n");
    for r in records {
        let time = jiff::Timestamp::from_millisecond(r.time)
            .map(|t| t.to_string())
            .unwrap_or_else(|_| r.time.to_string());
        let fields = [&time, &r.user, &r.client, &r.action, &r.object, &r.outcome];
        let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        out.push_str(&line.join(","));
        out.push('\n');
    }
    out
}

/// A CSV field, quoted when it holds a comma, quote or line break; a leading `=`, `+`, `-` or `@`
/// gets a `'` so a spreadsheet does not run it as a formula.
fn csv_field(field: &str) -> String {
    let guarded = if field.starts_with(['=', '+', '-', '@']) {
        format!("'{field}")
    } else {
        field.to_string()
    };
    if guarded.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", guarded.replace('"', "\"\""))
    } else {
        guarded
    }
}

fn unix_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn dir(name: &str) -> std::path::PathBuf {
        let dir =
            std::env::temp_dir().join(format!("hepscope-audit-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn records_are_stored_filtered_and_pruned() {
        let dir = dir("prune");
        let log = AuditLog::open(
            &dir,
            AuditConfig {
                retention: Duration::from_secs(1),
                ..AuditConfig::default()
            },
        )
        .unwrap();
        log.record(entry(
            "alice",
            None,
            Action::Search,
            "embedded",
            Outcome::Success,
        ));
        log.record(entry(
            "bob",
            None,
            Action::Sql,
            "SELECT 1",
            Outcome::Success,
        ));
        let all = log.query(&Query::default()).unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].user, "bob", "newest first");
        let alice = log
            .query(&Query {
                user: Some("alice".into()),
                ..Query::default()
            })
            .unwrap();
        assert_eq!(alice.len(), 1);
        assert_eq!(alice[0].action, "search");
        std::thread::sleep(Duration::from_millis(1100));
        log.record(entry("carol", None, Action::Search, "x", Outcome::Success));
        log.prune().unwrap();
        let left = log.query(&Query::default()).unwrap();
        assert_eq!(left.len(), 1, "{left:?}");
        assert_eq!(left[0].user, "carol");
    }

    #[test]
    fn csv_has_a_header_and_quotes_and_defuses_formulas() {
        let mut r = entry("a,b", None, Action::Sql, "=cmd()", Outcome::Success);
        r.time = 0;
        let csv = to_csv(&[r]);
        let mut lines = csv.lines();
        assert_eq!(lines.next(), Some("time,user,client,action,object,outcome"));
        assert_eq!(
            lines.next(),
            Some("1970-01-01T00:00:00Z,\"a,b\",,sql,'=cmd(),success")
        );
    }
}
