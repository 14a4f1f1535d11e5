//! Upgrades a store file written by an older hepscope to the current layout, in place, when the
//! store opens. Every step can run again, so a migration stopped halfway (kill, power loss) simply
//! resumes on the next start.
//!
//! Layout 1 → 2: the per-column indexes are dropped; the postings that replace them are written by
//! [`super::postings::repair`], which posts every row of a partition that has none yet.
//!
//! Layout 2 → 3: the HEP capture password (auth key) that older versions stored with every row is
//! set to NULL in every data table, with `secure_delete` on and the WAL checkpointed afterwards, so
//! the old value is overwritten in the file rather than left in a free page. The column stays (a
//! table rewrite would take minutes on a large store); new partitions have none.

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

/// The column of layouts 1 and 2 that held the HEP auth key.
const CAPTURE_PASS: &str = "capture_pass";

/// What [`migrate`] changed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Migrated {
    /// Partitions moved to the postings layout (1 → 2).
    pub to_postings: usize,
    /// Rows whose stored capture password was dropped (→ 3).
    pub passwords_dropped: usize,
}

/// Brings the file to [`SCHEMA_VERSION`].
///
/// # Errors
/// A newer layout than this build knows, or SQLite fails (the version is then left as it was).
pub fn migrate(conn: &Connection) -> Result<Migrated, MigrateError> {
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
        return Ok(Migrated::default());
    }
    let mut migrated = Migrated::default();
    let secure_delete: i64 = conn.query_row("PRAGMA secure_delete", [], |r| r.get(0))?;
    conn.pragma_update(None, "secure_delete", true)?;
    let tx = conn.unchecked_transaction()?;
    if found < 2 {
        let partitions = schema::list_partitions(&tx)?;
        let mut drops = String::new();
        for (suffix, _) in &partitions {
            for profile in Profile::ALL {
                let table = schema::table_name(profile, suffix);
                for column in V1_INDEXED {
                    drops.push_str(&format!("DROP INDEX IF EXISTS {table}_{column};\n"));
                }
            }
        }
        tx.execute_batch(&drops)?;
        migrated.to_postings = partitions.len();
    }
    migrated.passwords_dropped = drop_capture_passwords(&tx)?;
    tx.execute(
        "UPDATE meta SET value = ?1 WHERE key = 'schema_version'",
        params![SCHEMA_VERSION],
    )?;
    tx.commit()?;
    conn.pragma_update(None, "secure_delete", secure_delete)?;
    if migrated.passwords_dropped > 0 {
        // Copy the overwritten pages into the file now, so the old values leave it at once.
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
    }
    Ok(migrated)
}

/// Sets the capture password to NULL in every data table that still has the column (catalogued
/// or not); returns how many rows held one.
fn drop_capture_passwords(conn: &Connection) -> rusqlite::Result<usize> {
    let mut tables = conn.prepare(
        "SELECT m.name FROM sqlite_master AS m, pragma_table_info(m.name) AS c \
         WHERE m.type = 'table' AND m.name LIKE 'hep_proto_%' AND c.name = ?1",
    )?;
    let names = tables
        .query_map(params![CAPTURE_PASS], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<String>>>()?;
    let mut dropped = 0;
    for table in names {
        dropped += conn.execute(
            &format!(
                "UPDATE \"{table}\" SET {CAPTURE_PASS} = NULL WHERE {CAPTURE_PASS} IS NOT NULL"
            ),
            [],
        )?;
    }
    Ok(dropped)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::PartitionSpan;
    use crate::partition::Partition;
    use crate::postings;
    use crate::read::{self, Condition, Window};
    use crate::terms::{Field, Term};

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
                     '10.0.0.1', 5060, '10.0.0.2', 5060, 2, 17, 1, 0, 'n', x'00')",
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
        assert_eq!(migrate(&conn).unwrap().to_postings, 1);
        assert_eq!(
            migrate(&conn).unwrap(),
            Migrated::default(),
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

    /// Counts `needle` in the store file and its WAL.
    fn occurrences(path: &std::path::Path, needle: &[u8]) -> usize {
        let mut wal = path.as_os_str().to_owned();
        wal.push("-wal");
        [path.to_path_buf(), std::path::PathBuf::from(wal)]
            .iter()
            .filter_map(|p| std::fs::read(p).ok())
            .map(|bytes| bytes.windows(needle.len()).filter(|w| *w == needle).count())
            .sum()
    }

    #[test]
    fn opening_a_store_that_kept_capture_passwords_drops_them_from_rows_and_file() {
        const PASSWORD: &str = "hunter2-capture-secret";
        let dir =
            std::env::temp_dir().join(format!("hepscope-migrate-pass-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("store.sqlite");
        {
            // A version-2 file as hepscope 0.2 wrote it: a capture_pass column filled in.
            let conn = Connection::open(&path).unwrap();
            schema::configure(&conn).unwrap();
            schema::create_catalogue(&conn).unwrap();
            conn.execute_batch("UPDATE meta SET value = 2 WHERE key = 'schema_version';")
                .unwrap();
            let p = Partition::containing(1_783_166_400_000_000, PartitionSpan::Day);
            schema::create_partition(&conn, &p).unwrap();
            for profile in Profile::ALL {
                let table = schema::table_name(profile, &p.suffix());
                conn.execute_batch(&format!(
                    "ALTER TABLE {table} ADD COLUMN capture_pass TEXT;"
                ))
                .unwrap();
            }
            for id in 1..=40i64 {
                conn.execute(
                    &format!(
                        "INSERT INTO hep_proto_1_call_20260704 (id, {}, capture_pass) VALUES \
                         (?1, ?2, 'call-x', NULL, 'INVITE', '1 INVITE', '1001', '', '', '2000', \
                         '', '', '2000', '', '', '10.0.0.1', 5060, '10.0.0.2', 5060, 2, 17, 1, 0, \
                         'n', x'00', ?3)",
                        schema::COLUMNS
                    ),
                    params![id, 1_783_166_400_000_000i64 + id, PASSWORD],
                )
                .unwrap();
            }
            conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
                .unwrap();
        }
        assert!(
            occurrences(&path, PASSWORD.as_bytes()) >= 40,
            "the fixture holds the password"
        );

        let mut config = crate::config::StoreConfig::at(path.clone());
        config.retention = std::time::Duration::from_secs(100 * 365 * 86_400);
        let store = crate::Store::open(config, Vec::new()).unwrap();
        let (kept, left): (i64, i64) = store
            .read_blocking(|conn| {
                Ok(conn.query_row(
                    "SELECT count(*), count(capture_pass) FROM hep_proto_1_call_20260704",
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )?)
            })
            .unwrap();
        assert_eq!((kept, left), (40, 0), "rows kept, passwords gone");
        drop(store);
        assert_eq!(
            occurrences(&path, PASSWORD.as_bytes()),
            0,
            "no copy left in the file or its WAL"
        );
        let conn = Connection::open(&path).unwrap();
        assert_eq!(
            migrate(&conn).unwrap(),
            Migrated::default(),
            "migrated once"
        );
        let _ = std::fs::remove_dir_all(&dir);
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
