//! Upgrades a store file written by an older hepscope to the current layout, in place, when the
//! store opens. Every step can run again, so a migration stopped halfway (kill, power loss) simply
//! resumes on the next start.
//!
//! Layout 1 → 2: the per-column indexes are dropped; the postings that replace them are written by
//! [`super::postings::repair`], which posts every row of a partition that has none yet.

use rusqlite::{params, Connection, OptionalExtension};

use super::index::Profile;
use super::schema::{self, SCHEMA_VERSION};

/// The per-column indexes of layout version 1, replaced by the postings.
const V1_INDEXED: [&str; 6] = [
    "sid",
    "from_user",
    "to_user",
    "ruri_user",
    "src_ip",
    "dst_ip",
];

/// Why a store cannot be opened at its version.
#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    #[error("the store was written by a newer hepscope (layout {found}; this one knows up to {SCHEMA_VERSION}); use that version or another store path")]
    TooNew { found: i64 },
    #[error("upgrading the store's layout: {0}")]
    Sqlite(#[from] rusqlite::Error),
}

/// Brings the file to [`SCHEMA_VERSION`]; returns how many partitions were upgraded.
///
/// # Errors
/// A newer layout than this build knows, or SQLite fails (the version is then left as it was).
pub fn migrate(conn: &Connection) -> Result<usize, MigrateError> {
    schema::create_catalogue(conn)?;
    let found: i64 = conn
        .query_row(
            "SELECT value FROM meta WHERE key = 'schema_version'",
            [],
            |r| r.get(0),
        )
        .optional()?
        .unwrap_or(SCHEMA_VERSION);
    if found > SCHEMA_VERSION {
        return Err(MigrateError::TooNew { found });
    }
    if found == SCHEMA_VERSION {
        return Ok(0);
    }
    let partitions = schema::list_partitions(conn)?;
    let mut drops = String::new();
    for (suffix, _) in &partitions {
        for profile in Profile::ALL {
            let table = schema::table_name(profile, suffix);
            for column in V1_INDEXED {
                drops.push_str(&format!("DROP INDEX IF EXISTS {table}_{column};\n"));
            }
        }
    }
    let tx = conn.unchecked_transaction()?;
    tx.execute_batch(&drops)?;
    tx.execute(
        "UPDATE meta SET value = ?1 WHERE key = 'schema_version'",
        params![SCHEMA_VERSION],
    )?;
    tx.commit()?;
    Ok(partitions.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::PartitionSpan;
    use crate::store::partition::Partition;
    use crate::store::postings;
    use crate::store::read::{self, Condition, Window};
    use crate::store::terms::{Field, Term};

    /// A version-1 partition as hepscope 0.1 wrote it: the same data table, with column indexes.
    fn v1_store() -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        schema::create_catalogue(&conn).unwrap();
        conn.execute_batch("UPDATE meta SET value = 1 WHERE key = 'schema_version';")
            .unwrap();
        let p = Partition::containing(1_783_166_400_000_000, PartitionSpan::Day);
        schema::create_partition(&conn, &p).unwrap();
        for column in V1_INDEXED {
            conn.execute_batch(&format!(
                "CREATE INDEX hep_proto_1_call_20260704_{column} ON hep_proto_1_call_20260704 \
                 ({column}, time_us);"
            ))
            .unwrap();
        }
        for (id, user) in [(1, "1001"), (2, "1002"), (3, "1001")] {
            conn.execute(
                &format!(
                    "INSERT INTO hep_proto_1_call_20260704 (id, {}) VALUES (?1, ?2, ?3, NULL, \
                     'INVITE', '1 INVITE', ?4, '', '', '2000', '', '', '2000', '', '', \
                     '10.0.0.1', 5060, '10.0.0.2', 5060, 2, 17, 1, 0, 'n', NULL, x'00')",
                    schema::COLUMNS
                ),
                params![
                    id,
                    1_783_166_400_000_000i64 + id,
                    format!("call-{id}"),
                    user
                ],
            )
            .unwrap();
        }
        conn
    }

    #[test]
    fn a_version_1_store_gets_postings_and_loses_its_column_indexes() {
        let conn = v1_store();
        assert_eq!(migrate(&conn).unwrap(), 1);
        assert_eq!(
            migrate(&conn).unwrap(),
            0,
            "a second open has nothing to do"
        );
        let index_path = std::env::temp_dir().join(format!(
            "hepscope-migrate-{}.index.sqlite",
            std::process::id()
        ));
        let _ = std::fs::remove_file(&index_path);
        let mut index = postings::open_writer(&index_path).unwrap();
        assert_eq!(postings::repair(&conn, &mut index).unwrap(), 3);
        assert_eq!(
            postings::repair(&conn, &mut index).unwrap(),
            0,
            "posted once"
        );
        postings::attach(&conn, &index_path).unwrap();
        let window = Window {
            from_us: 1_783_166_400_000_000,
            to_us: 1_783_166_400_000_100,
        };
        let condition = Condition {
            sql: "from_user = ?".into(),
            params: vec![rusqlite::types::Value::Text("1001".into())],
            terms: Some(vec![Term {
                field: Field::FromUser,
                value: "1001".into(),
            }]),
        };
        let found = read::search(&conn, Profile::Call, window, &condition, 10).unwrap();
        let ids: Vec<i64> = found.iter().map(|r| r.id).collect();
        assert_eq!(ids, vec![3, 1]);
        let by_sid = read::rows_by_sid(
            &conn,
            &[Profile::Call],
            window,
            &["call-2".into()],
            usize::MAX,
        )
        .unwrap();
        assert_eq!(by_sid.len(), 1);
        let left: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE type = 'index' \
                 AND name LIKE 'hep_proto_1_call_20260704_%' AND name NOT LIKE '%_time'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(left, 0);
        let _ = std::fs::remove_file(&index_path);
    }

    #[test]
    fn a_newer_store_is_refused_and_left_alone() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
             INSERT INTO meta VALUES ('schema_version', 99);",
        )
        .unwrap();
        let err = migrate(&conn).unwrap_err();
        assert!(err.to_string().contains("newer hepscope"), "{err}");
    }
}
