//! The SQLite layout: connection settings, the catalogue of partitions, and the tables and indexes of
//! one partition.
//!
//! Per partition `<S>` (`20260704` or `20260704_12`) there is one table per profile,
//! `hep_proto_<key>_<S>` (`hep_proto_1_call_20260704`), with the same columns for every profile, plus
//! `hep_link_<S>`, the correlation values (X-CID, ..., HEP chunk 17) that tie a row's `sid` to other
//! legs. The search postings of a partition ([`super::terms`]) are in the postings file
//! ([`super::postings`]). Row ids are unique across all tables (the writer hands them out), so `id`
//! alone names a row.

use rusqlite::{params, Connection};

use super::index::Profile;
use super::partition::Partition;
use crate::config::PartitionSpan;

/// Version of this layout, kept in `meta`. Version 1 had a B-tree index per searched column;
/// [`migrate`] turns it into version 2's postings. Versions 1 and 2 kept the HEP auth key in a
/// `capture_pass` column; version 3 writes no such column and its migration empties the old one.
pub const SCHEMA_VERSION: i64 = 3;

/// The columns of every data table, in insert order (after `id`).
pub const COLUMNS: &str = "time_us, sid, correlation_id, method, cseq, from_user, from_tag, \
     from_domain, to_user, to_tag, to_domain, ruri_user, ruri_domain, user_agent, src_ip, src_port, \
     dst_ip, dst_port, family, transport, payload_type, capture_id, node, raw";

/// Page cache of the writer's connection, KiB: holds the hot index pages of the current
/// partition so a batch rarely reads a page back from the file.
pub const WRITER_CACHE_KIB: i64 = 32 * 1024;
/// Page cache of each read connection, KiB (the read pool is small, so memory stays bounded).
pub const READER_CACHE_KIB: i64 = 8 * 1024;
/// Page size of a new store file, bytes (SQLite's default is 4096, its largest 65536). Every
/// B-tree the writer fills grows at its end (the rows, the time index, the postings), so big
/// pages mean fewer page splits, WAL frames and checksums per row: 64 KiB pages took the writer
/// from 9.8 µs a row (4 KiB) and 8.2 µs (16 KiB) to 7.2 µs, and Call-ID lookups in 10M rows stay
/// under 5 ms. An existing file keeps the size it was created with.
const PAGE_SIZE: i64 = 64 * 1024;
/// WAL pages written before the writer checkpoints by itself (SQLite's default is 1000): a
/// backstop of 128 MiB, as the checkpoint thread normally keeps the WAL far smaller.
const WAL_AUTOCHECKPOINT_PAGES: i64 = 128 * 1024 * 1024 / PAGE_SIZE;

/// Settings of the writer's connection: 64 KiB pages for a new file, WAL, `synchronous=NORMAL` (a commit is safe from a process
/// crash at once, from a power loss at the next checkpoint), a bounded page cache, no memory map,
/// a busy timeout, and case-sensitive LIKE (HOMER's Postgres LIKE is case-sensitive, and it lets
/// prefix patterns use the indexes).
///
/// # Errors
/// SQLite refuses a pragma.
pub fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    conn.pragma_update(None, "page_size", PAGE_SIZE)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "wal_autocheckpoint", WAL_AUTOCHECKPOINT_PAGES)?;
    conn.pragma_update(None, "cache_size", -WRITER_CACHE_KIB)?;
    conn.pragma_update(None, "mmap_size", 0)?;
    conn.pragma_update(None, "case_sensitive_like", true)?;
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    Ok(())
}

/// Settings of a read connection: the same LIKE rule as the writer, a bounded page cache and no
/// memory map (the process RSS stays bounded however large the file grows).
///
/// # Errors
/// SQLite refuses a pragma.
pub fn configure_reader(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    conn.pragma_update(None, "case_sensitive_like", true)?;
    conn.pragma_update(None, "cache_size", -READER_CACHE_KIB)?;
    conn.pragma_update(None, "mmap_size", 0)?;
    Ok(())
}

/// Creates the catalogue tables if missing.
///
/// # Errors
/// SQLite fails.
pub fn create_catalogue(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
         CREATE TABLE IF NOT EXISTS partitions (
             suffix TEXT PRIMARY KEY,
             start_us INTEGER NOT NULL,
             end_us INTEGER NOT NULL
         );",
    )?;
    conn.execute(
        "INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', ?1)",
        params![SCHEMA_VERSION],
    )?;
    Ok(())
}

/// The table of `profile` in the partition with `suffix`.
pub fn table_name(profile: Profile, suffix: &str) -> String {
    format!("hep_proto_{}_{suffix}", profile.key())
}

/// The correlation-link table of the partition with `suffix`.
pub fn link_table(suffix: &str) -> String {
    format!("hep_link_{suffix}")
}

/// Creates a partition's tables and indexes and records it in the catalogue (idempotent).
///
/// # Errors
/// SQLite fails (disk full, read-only file, ...).
pub fn create_partition(conn: &Connection, partition: &Partition) -> rusqlite::Result<()> {
    let suffix = partition.suffix();
    let mut ddl = String::new();
    for profile in Profile::ALL {
        let table = table_name(profile, &suffix);
        ddl.push_str(&format!(
            "CREATE TABLE IF NOT EXISTS {table} (
                 id INTEGER PRIMARY KEY, time_us INTEGER NOT NULL, sid TEXT NOT NULL,
                 correlation_id TEXT, method TEXT NOT NULL, cseq TEXT NOT NULL,
                 from_user TEXT NOT NULL, from_tag TEXT NOT NULL, from_domain TEXT NOT NULL,
                 to_user TEXT NOT NULL, to_tag TEXT NOT NULL, to_domain TEXT NOT NULL,
                 ruri_user TEXT NOT NULL, ruri_domain TEXT NOT NULL, user_agent TEXT NOT NULL,
                 src_ip TEXT NOT NULL, src_port INTEGER NOT NULL, dst_ip TEXT NOT NULL,
                 dst_port INTEGER NOT NULL, family INTEGER NOT NULL, transport INTEGER NOT NULL,
                 payload_type INTEGER NOT NULL, capture_id INTEGER NOT NULL, node TEXT NOT NULL,
                 raw BLOB NOT NULL);
             CREATE INDEX IF NOT EXISTS {table}_time ON {table} (time_us);\n"
        ));
    }
    let links = link_table(&suffix);
    ddl.push_str(&format!(
        "CREATE TABLE IF NOT EXISTS {links} (value TEXT NOT NULL, sid TEXT NOT NULL,
             time_us INTEGER NOT NULL);
         CREATE INDEX IF NOT EXISTS {links}_value ON {links} (value);
         CREATE INDEX IF NOT EXISTS {links}_sid ON {links} (sid);\n"
    ));
    conn.execute_batch(&ddl)?;
    conn.execute(
        "INSERT OR IGNORE INTO partitions (suffix, start_us, end_us) VALUES (?1, ?2, ?3)",
        params![suffix, partition.start_us, partition.end_us()],
    )?;
    Ok(())
}

/// Drops a partition's tables and its catalogue entry.
///
/// # Errors
/// SQLite fails.
pub fn drop_partition(conn: &Connection, suffix: &str) -> rusqlite::Result<()> {
    let mut ddl = String::new();
    for profile in Profile::ALL {
        ddl.push_str(&format!(
            "DROP TABLE IF EXISTS {};\n",
            table_name(profile, suffix)
        ));
    }
    ddl.push_str(&format!("DROP TABLE IF EXISTS {};\n", link_table(suffix)));
    conn.execute_batch(&ddl)?;
    conn.execute("DELETE FROM partitions WHERE suffix = ?1", params![suffix])?;
    Ok(())
}

/// The partitions in the catalogue, oldest first.
///
/// # Errors
/// SQLite fails.
pub fn list_partitions(conn: &Connection) -> rusqlite::Result<Vec<(String, Partition)>> {
    let mut stmt =
        conn.prepare_cached("SELECT suffix, start_us, end_us FROM partitions ORDER BY start_us")?;
    let rows = stmt.query_map([], |row| {
        let suffix: String = row.get(0)?;
        let start_us: i64 = row.get(1)?;
        let end_us: i64 = row.get(2)?;
        let span = if end_us - start_us == PartitionSpan::Hour.len_us() {
            PartitionSpan::Hour
        } else {
            PartitionSpan::Day
        };
        Ok((suffix, Partition { start_us, span }))
    })?;
    rows.collect()
}

/// The largest row id in any partition (0 when empty).
///
/// # Errors
/// SQLite fails.
pub fn max_row_id(conn: &Connection) -> rusqlite::Result<i64> {
    let mut max = 0;
    for (suffix, _) in list_partitions(conn)? {
        for profile in Profile::ALL {
            let sql = format!(
                "SELECT COALESCE(MAX(id), 0) FROM {}",
                table_name(profile, &suffix)
            );
            let id: i64 = conn.query_row(&sql, [], |row| row.get(0))?;
            max = max.max(id);
        }
    }
    Ok(max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partition_tables_are_created_listed_and_dropped() {
        let conn = Connection::open_in_memory().unwrap();
        create_catalogue(&conn).unwrap();
        let p = Partition::containing(1_783_166_400_000_000, PartitionSpan::Hour);
        create_partition(&conn, &p).unwrap();
        create_partition(&conn, &p).unwrap();
        let listed = list_partitions(&conn).unwrap();
        assert_eq!(listed, vec![("20260704_12".to_string(), p)]);
        assert_eq!(max_row_id(&conn).unwrap(), 0);
        conn.execute_batch(&format!(
            "INSERT INTO hep_proto_5_default_20260704_12 (id, {COLUMNS}) VALUES
             (17, 1, 's', NULL, '', '', '', '', '', '', '', '', '', '', '', '', 0, '', 0, 2, 17, 5, 0,
              'n', x'00')"
        ))
        .unwrap();
        assert_eq!(max_row_id(&conn).unwrap(), 17);
        drop_partition(&conn, "20260704_12").unwrap();
        assert!(list_partitions(&conn).unwrap().is_empty());
        let left: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE name LIKE 'hep_%'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(left, 0);
    }
}
