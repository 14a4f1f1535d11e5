//! The postings file and its writer thread.
//!
//! The postings ([`super::terms`]) live in a file of their own next to the store file
//! (`hepscope.sqlite` → `hepscope.index.sqlite`), written by a thread of their own:
//! - the store file has 64 KiB pages, which make the writer's appends cheap, while a lookup seeks
//!   one postings page per segment, so the postings file keeps 16 KiB pages;
//! - the data writer commits a batch, then hands its postings to this thread, so the two halves
//!   of the work run on two cores.
//!
//! Readers attach the file as schema [`INDEX_SCHEMA`]. A batch's rows are searchable by time at
//! once and by their terms when this thread has committed (within a flush interval); a flush or
//! an import waits for both. `posted` records, per partition, the highest row id whose postings
//! are committed. After a crash, [`repair`] posts the rows above it, so no row stays unsearchable.

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::mpsc::{Receiver, SyncSender};
use std::sync::Arc;

use rusqlite::{params, Connection, OptionalExtension, Transaction};

use super::index::{Profile, Row};
use super::schema;
use super::terms;
use super::Shared;

/// The schema name the postings file is attached under.
pub const INDEX_SCHEMA: &str = "idx";
/// Page size of a new postings file (see the module notes).
const PAGE_SIZE: i64 = 16 * 1024;
/// Page cache of the postings writer, KiB: the ends of the B-trees it appends to.
const CACHE_KIB: i64 = 16 * 1024;
/// Postings bound per INSERT statement (a statement per posting costs more than the B-tree work).
const POSTINGS_PER_INSERT: usize = 64;
/// Rows read per step when [`repair`] posts rows; each step becomes one segment, so memory stays
/// bounded whatever the partition's size.
const REPAIR_STEP_ROWS: i64 = 100_000;

/// The postings file of the store file at `store`.
pub fn index_path(store: &Path) -> PathBuf {
    let stem = store
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "hepscope".into());
    store.with_file_name(format!("{stem}.index.sqlite"))
}

/// Opens (or creates) the postings file for writing: 16 KiB pages for a new file, WAL,
/// `synchronous=NORMAL`, a bounded page cache, and the `posted` table.
///
/// # Errors
/// The file cannot be opened or set up.
pub fn open_writer(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    conn.pragma_update(None, "page_size", PAGE_SIZE)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "cache_size", -CACHE_KIB)?;
    conn.pragma_update(None, "mmap_size", 0)?;
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS posted (suffix TEXT PRIMARY KEY, through_id INTEGER NOT NULL);",
    )?;
    Ok(conn)
}

/// Attaches the postings file at `path` to `conn` as [`INDEX_SCHEMA`] (read-only if `conn` is).
///
/// # Errors
/// SQLite refuses the file.
pub fn attach(conn: &Connection, path: &Path) -> rusqlite::Result<()> {
    conn.execute(
        &format!("ATTACH DATABASE ?1 AS {INDEX_SCHEMA}"),
        params![path.to_string_lossy()],
    )?;
    Ok(())
}

/// The postings table of the partition with `suffix`, as a reader names it.
pub fn terms_table(suffix: &str) -> String {
    format!("{INDEX_SCHEMA}.hep_terms_{suffix}")
}

/// The segment table of the partition with `suffix`, as a reader names it.
pub fn segments_table(suffix: &str) -> String {
    format!("{INDEX_SCHEMA}.hep_segs_{suffix}")
}

/// The DDL of a partition's postings tables (idempotent); `schema` is `""` on the postings file's
/// own connection, `"idx."` where it is attached.
pub(super) fn tables_ddl(schema: &str, suffix: &str) -> String {
    format!(
        "CREATE TABLE IF NOT EXISTS {schema}hep_terms_{suffix} (seg INTEGER NOT NULL,
             term INTEGER NOT NULL, id INTEGER NOT NULL, PRIMARY KEY (seg, term, id)) WITHOUT ROWID;
         CREATE TABLE IF NOT EXISTS {schema}hep_segs_{suffix} (seg INTEGER PRIMARY KEY,
             min_us INTEGER NOT NULL, max_us INTEGER NOT NULL);"
    )
}

/// One segment's postings from one batch, with the time range of its rows.
#[derive(Debug)]
pub(super) struct SegmentPostings {
    pub suffix: String,
    /// The segment: the id of its first row (ids only grow, so segments are unique and ordered).
    pub seg: i64,
    /// `(term, id)` pairs.
    pub postings: Vec<(i64, i64)>,
    pub min_us: i64,
    pub max_us: i64,
}

/// What the postings thread is asked to do.
pub(super) enum Command {
    /// A committed batch's postings, and per partition the highest row id in it.
    Write(Vec<SegmentPostings>, Vec<(String, i64)>),
    /// Drop the postings of partitions the writer dropped.
    Drop(Vec<String>),
    /// Reply once everything sent before is committed.
    Flush(SyncSender<()>),
}

/// Runs until the data writer is gone. A failed commit loses that batch's postings only (counted,
/// logged, health degraded); [`repair`] posts them again at the next start.
pub(super) fn run(mut conn: Connection, commands: Receiver<Command>, shared: Arc<Shared>) {
    // After a failed write, `posted` is no longer advanced: the next start re-posts from the last
    // good mark.
    let mut failed = false;
    while let Ok(command) = commands.recv() {
        let result = match command {
            Command::Write(mut segments, through) => {
                let through = if failed { &[][..] } else { &through[..] };
                let result = write(&mut conn, &mut segments, through);
                failed |= result.is_err();
                result
            }
            Command::Drop(suffixes) => drop_tables(&conn, &suffixes),
            Command::Flush(reply) => {
                let _ = reply.send(());
                Ok(())
            }
        };
        if let Err(e) = result {
            shared.write_errors.fetch_add(1, Ordering::Relaxed);
            metrics::counter!("hepscope_store_write_errors_total").increment(1);
            shared.set_degraded(format!("writing the search postings: {e}"));
            tracing::error!(error = %e, "store: writing the search postings failed");
        }
    }
}

fn write(
    conn: &mut Connection,
    segments: &mut [SegmentPostings],
    through: &[(String, i64)],
) -> rusqlite::Result<()> {
    let tx = conn.transaction()?;
    for segment in segments.iter_mut() {
        tx.execute_batch(&tables_ddl("", &segment.suffix))?;
        insert_postings(&tx, segment)?;
    }
    for (suffix, id) in through {
        tx.prepare_cached(
            "INSERT INTO posted (suffix, through_id) VALUES (?1, ?2) ON CONFLICT (suffix) \
             DO UPDATE SET through_id = max(through_id, excluded.through_id)",
        )?
        .execute(params![suffix, id])?;
    }
    tx.commit()
}

/// Writes one segment's postings, sorted in place (they go to the end of the table's B-tree, or
/// near it), and widens the segment's time range.
fn insert_postings(tx: &Transaction<'_>, segment: &mut SegmentPostings) -> rusqlite::Result<()> {
    let table = format!("hep_terms_{}", segment.suffix);
    segment.postings.sort_unstable();
    segment.postings.dedup();
    let postings = &segment.postings;
    let many = format!(
        "INSERT OR IGNORE INTO {table} (seg, term, id) VALUES {}",
        vec!["(?, ?, ?)"; POSTINGS_PER_INSERT].join(", ")
    );
    let chunks = postings.chunks_exact(POSTINGS_PER_INSERT);
    let rest = chunks.remainder();
    {
        let mut stmt = tx.prepare_cached(&many)?;
        let mut values: Vec<i64> = Vec::with_capacity(3 * POSTINGS_PER_INSERT);
        for chunk in chunks {
            values.clear();
            for &(term, id) in chunk {
                values.extend([segment.seg, term, id]);
            }
            stmt.execute(rusqlite::params_from_iter(values.iter()))?;
        }
    }
    let mut one = tx.prepare_cached(&format!(
        "INSERT OR IGNORE INTO {table} (seg, term, id) VALUES (?1, ?2, ?3)"
    ))?;
    for &(term, id) in rest {
        one.execute(params![segment.seg, term, id])?;
    }
    tx.prepare_cached(&format!(
        "INSERT INTO hep_segs_{} (seg, min_us, max_us) VALUES (?1, ?2, ?3) ON CONFLICT (seg) \
         DO UPDATE SET min_us = min(min_us, excluded.min_us), \
         max_us = max(max_us, excluded.max_us)",
        segment.suffix
    ))?
    .execute(params![segment.seg, segment.min_us, segment.max_us])?;
    Ok(())
}

fn drop_tables(conn: &Connection, suffixes: &[String]) -> rusqlite::Result<()> {
    for suffix in suffixes {
        conn.execute_batch(&format!(
            "DROP TABLE IF EXISTS hep_terms_{suffix}; DROP TABLE IF EXISTS hep_segs_{suffix};"
        ))?;
        conn.execute("DELETE FROM posted WHERE suffix = ?1", params![suffix])?;
    }
    Ok(())
}

/// Brings the postings file level with the store file, before the threads start: drops postings
/// of partitions the store no longer has, and posts every row above a partition's `through_id`
/// (rows committed just before a crash, or a whole store upgraded from layout 1). `store` is the
/// store file; `index` the postings file. Returns the rows posted.
///
/// # Errors
/// SQLite fails.
pub fn repair(store: &Connection, index: &mut Connection) -> rusqlite::Result<u64> {
    let partitions = schema::list_partitions(store)?;
    let known: Vec<&str> = partitions.iter().map(|(s, _)| s.as_str()).collect();
    let stale: Vec<String> = {
        let mut stmt = index.prepare(
            "SELECT substr(name, 11) FROM sqlite_master WHERE type = 'table' \
             AND name LIKE 'hep_terms_%'",
        )?;
        let names = stmt
            .query_map([], |r| r.get::<_, String>(0))?
            .collect::<Result<Vec<_>, _>>()?;
        names
            .into_iter()
            .filter(|s| !known.contains(&s.as_str()))
            .collect()
    };
    drop_tables(index, &stale)?;
    let mut posted = 0;
    for (suffix, _) in &partitions {
        let through: i64 = index
            .query_row(
                "SELECT through_id FROM posted WHERE suffix = ?1",
                params![suffix],
                |r| r.get(0),
            )
            .optional()?
            .unwrap_or(0);
        let mut highest = through;
        for profile in Profile::ALL {
            let (rows, last) = post_rows_after(store, index, suffix, profile, through)?;
            posted += rows;
            highest = highest.max(last);
        }
        // Only now: a repair stopped halfway starts again from the same place.
        if highest > through {
            write(index, &mut [], &[(suffix.clone(), highest)])?;
        }
    }
    Ok(posted)
}

/// Posts the rows of one table with ids above `through`, a step at a time, each step a segment;
/// returns the rows posted and the highest id.
fn post_rows_after(
    store: &Connection,
    index: &mut Connection,
    suffix: &str,
    profile: Profile,
    through: i64,
) -> rusqlite::Result<(u64, i64)> {
    let table = schema::table_name(profile, suffix);
    let mut after = through;
    let mut posted = 0u64;
    loop {
        let mut segment = SegmentPostings {
            suffix: suffix.to_owned(),
            seg: 0,
            postings: Vec::new(),
            min_us: i64::MAX,
            max_us: i64::MIN,
        };
        let mut read = 0u64;
        {
            let mut stmt = store.prepare(&format!(
                "SELECT id, time_us, sid, from_user, to_user, ruri_user, src_ip, dst_ip \
                 FROM {table} WHERE id > ?1 ORDER BY id LIMIT ?2"
            ))?;
            let mut rows = stmt.query(params![after, REPAIR_STEP_ROWS])?;
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
                if read == 0 {
                    segment.seg = id;
                }
                segment.min_us = segment.min_us.min(row.time_us);
                segment.max_us = segment.max_us.max(row.time_us);
                segment
                    .postings
                    .extend(terms::row_terms(&row, profile.is_sip()).map(|t| (t, id)));
                after = id;
                read += 1;
            }
        }
        if read == 0 {
            return Ok((posted, after));
        }
        write(index, &mut [segment], &[])?;
        posted += read;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::PartitionSpan;
    use crate::partition::Partition;
    use crate::terms::Field;

    const T: i64 = 1_783_166_400_000_000; // 2026-07-04T12:00:00Z

    fn store_with_rows(ids: std::ops::RangeInclusive<i64>) -> (Connection, String) {
        let conn = Connection::open_in_memory().unwrap();
        schema::create_catalogue(&conn).unwrap();
        let partition = Partition::containing(T, PartitionSpan::Day);
        schema::create_partition(&conn, &partition).unwrap();
        let table = schema::table_name(Profile::Call, &partition.suffix());
        for id in ids {
            conn.execute(
                &format!(
                    "INSERT INTO {table} (id, {}) VALUES (?1, ?2, 's', NULL, 'INVITE', '', \
                     '1001', '', '', '', '', '', '', '', '', '', 0, '', 0, 2, 17, 1, 0, 'n', \
                     x'00')",
                    schema::COLUMNS
                ),
                params![id, T + id],
            )
            .unwrap();
        }
        (conn, partition.suffix())
    }

    fn temp_index(name: &str) -> PathBuf {
        let path = std::env::temp_dir().join(format!(
            "hepscope-postings-{}-{name}.index.sqlite",
            std::process::id()
        ));
        let _ = std::fs::remove_file(&path);
        path
    }

    #[test]
    fn the_postings_file_sits_beside_the_store_file() {
        assert_eq!(
            index_path(Path::new("/data/store/hepscope.sqlite")),
            PathBuf::from("/data/store/hepscope.index.sqlite")
        );
    }

    #[test]
    fn repair_posts_the_rows_above_the_mark_and_drops_stale_partitions() {
        let (store, suffix) = store_with_rows(1..=5);
        let path = temp_index("repair");
        let mut index = open_writer(&path).unwrap();
        // Rows 1 and 2 are marked posted; a partition the store no longer has left postings.
        write(&mut index, &mut [], &[(suffix.clone(), 2)]).unwrap();
        index.execute_batch(&tables_ddl("", "19990101")).unwrap();

        assert_eq!(repair(&store, &mut index).unwrap(), 3);
        assert_eq!(
            repair(&store, &mut index).unwrap(),
            0,
            "nothing left to post"
        );
        let through: i64 = index
            .query_row(
                "SELECT through_id FROM posted WHERE suffix = ?1",
                params![suffix],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(through, 5);
        let stale: i64 = index
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE name LIKE '%19990101'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(stale, 0);
        let mut stmt = index
            .prepare(&format!(
                "SELECT id FROM hep_terms_{suffix} WHERE term = ?1 ORDER BY id"
            ))
            .unwrap();
        let ids: Vec<i64> = stmt
            .query_map(params![terms::term(Field::FromUser, "1001")], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(ids, vec![3, 4, 5], "only the rows above the mark");
        drop(stmt);
        drop(index);
        let _ = std::fs::remove_file(&path);
    }
}
