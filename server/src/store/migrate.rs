//! Upgrades a store file written by an older hepscope to the current layout, in place, when the
//! store opens. Each partition is upgraded in its own transaction and every step can run again, so
//! a migration stopped halfway (kill, power loss) simply resumes on the next start.

use rusqlite::{params, Connection, OptionalExtension};

use super::index::{Profile, Row};
use super::schema::{self, SCHEMA_VERSION};
use super::terms;

/// Rows read per step of a partition's upgrade; each step becomes one postings segment, so memory
/// stays bounded whatever the partition's size.
const STEP_ROWS: i64 = 100_000;
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
    for (suffix, _) in &partitions {
        tracing::info!(partition = %suffix, "upgrading a store partition to postings");
        postings_from_v1(conn, suffix)?;
    }
    conn.execute(
        "UPDATE meta SET value = ?1 WHERE key = 'schema_version'",
        params![SCHEMA_VERSION],
    )?;
    Ok(partitions.len())
}

/// Version 1 → 2 for one partition: write the postings of every row, then drop the column indexes.
fn postings_from_v1(conn: &Connection, suffix: &str) -> rusqlite::Result<()> {
    let tx = conn.unchecked_transaction()?;
    tx.execute_batch(&schema::index_tables_ddl(suffix))?;
    let terms_table = schema::terms_table(suffix);
    let segs_table = schema::segments_table(suffix);
    tx.execute_batch(&format!(
        "DELETE FROM {terms_table}; DELETE FROM {segs_table};"
    ))?;
    let mut seg = 0i64;
    for profile in Profile::ALL {
        let table = schema::table_name(profile, suffix);
        let mut after = 0i64;
        loop {
            let mut postings: Vec<(i64, i64)> = Vec::new();
            let (mut min_us, mut max_us) = (i64::MAX, i64::MIN);
            let mut read = 0i64;
            {
                let mut stmt = tx.prepare(&format!(
                    "SELECT id, time_us, sid, from_user, to_user, ruri_user, src_ip, dst_ip \
                     FROM {table} WHERE id > ?1 ORDER BY id LIMIT ?2"
                ))?;
                let mut rows = stmt.query(params![after, STEP_ROWS])?;
                while let Some(r) = rows.next()? {
                    let id: i64 = r.get(0)?;
                    let row = Row {
                        time_us: r.get(1)?,
                        sid: r.get(2)?,
                        from_user: r.get(3)?,
                        to_user: r.get(4)?,
                        ruri_user: r.get(5)?,
                        src_ip: r.get(6)?,
                        dst_ip: r.get(7)?,
                        ..Row::default()
                    };
                    min_us = min_us.min(row.time_us);
                    max_us = max_us.max(row.time_us);
                    postings.extend(terms::row_terms(&row, profile.is_sip()).map(|t| (t, id)));
                    after = id;
                    read += 1;
                }
            }
            if read == 0 {
                break;
            }
            postings.sort_unstable();
            let mut insert = tx.prepare_cached(&format!(
                "INSERT OR IGNORE INTO {terms_table} (seg, term, id) VALUES (?1, ?2, ?3)"
            ))?;
            for (term, id) in postings {
                insert.execute(params![seg, term, id])?;
            }
            tx.execute(
                &format!("INSERT INTO {segs_table} (seg, min_us, max_us) VALUES (?1, ?2, ?3)"),
                params![seg, min_us, max_us],
            )?;
            seg += 1;
        }
        let mut drops = String::new();
        for column in V1_INDEXED {
            drops.push_str(&format!("DROP INDEX IF EXISTS {table}_{column};\n"));
        }
        tx.execute_batch(&drops)?;
    }
    tx.commit()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::PartitionSpan;
    use crate::store::partition::Partition;
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
        conn.execute_batch("DROP TABLE hep_terms_20260704; DROP TABLE hep_segs_20260704;")
            .unwrap();
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
        let by_sid =
            read::rows_by_sid(&conn, &[Profile::Call], window, &["call-2".into()]).unwrap();
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
