//! The one writer thread: takes rows from a bounded channel and commits them in batched
//! transactions (at most `batch_size` rows, at least every [`FLUSH_INTERVAL`]), creates partitions
//! on demand and drops the ones past retention.
//!
//! A failed commit (disk full, I/O error) loses that batch only: it is counted, logged at most once
//! per [`ERROR_LOG_INTERVAL`], reported as degraded health, and the thread keeps taking rows.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::Ordering;
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TryRecvError};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rusqlite::{params, CachedStatement, Connection};

use super::index::{PacketRow, Profile, Row};
use super::partition::{retention_cutoff, Partition};
use super::postings::{self, SegmentPostings};
use super::schema::{self, COLUMNS};
use super::terms::{self, SEGMENT_ROWS, SEGMENT_SPAN_US};
use super::Shared;
use crate::config::PartitionSpan;

/// Rows wait at most this long before they are committed.
pub const FLUSH_INTERVAL: Duration = Duration::from_millis(100);
/// While rows wait for their commit, an empty queue is looked at again after this long rather
/// than waited on: a waiting writer would be woken by every single row a busy sender queues.
const IDLE_POLL: Duration = Duration::from_millis(1);
/// Write errors are logged at most this often (the rest are counted).
pub const ERROR_LOG_INTERVAL: Duration = Duration::from_secs(10);
/// How often the writer looks for partitions past retention.
const RETENTION_INTERVAL: Duration = Duration::from_secs(60);
/// Prepared statements the writer keeps: an insert per profile and a link insert, for the few
/// partitions a batch touches.
const STATEMENT_CACHE: usize = 64;
/// The segment a partition's postings go to now.
#[derive(Clone, Copy, Debug)]
struct Segment {
    /// The id of its first row.
    seg: i64,
    rows: u64,
    opened_us: i64,
}

/// What the writer is asked to do.
pub(super) enum Command {
    /// One live row; committed with the next batch.
    Row(Box<PacketRow>),
    /// Rows stored in one transaction, all or nothing; the reply is the number stored (rows
    /// older than retention are skipped).
    Batch(Vec<PacketRow>, SyncSender<Result<usize, String>>),
    /// Commit what is pending, then reply.
    Flush(SyncSender<()>),
    /// Drop partitions past retention as of `now_us`; reply with the dropped suffixes.
    Retention(i64, SyncSender<Result<Vec<String>, String>>),
}

/// Settings the writer needs.
pub(super) struct WriterSettings {
    pub batch_size: usize,
    pub span: PartitionSpan,
    pub retention_us: i64,
    /// Commit once the pending rows hold this many bytes, however few they are.
    pub batch_bytes: usize,
    /// The disk guard's limit.
    pub max_disk: Option<super::disk::MaxDisk>,
    /// The store file (for the disk guard's sizes).
    pub path: std::path::PathBuf,
}

/// The writer's state; [`Writer::run`] consumes it on its thread.
pub(super) struct Writer {
    conn: Connection,
    settings: WriterSettings,
    shared: Arc<Shared>,
    /// Partitions known to exist (committed).
    known: HashSet<Partition>,
    /// The INSERT statements' text per partition and profile, formatted once: the per-row work
    /// is then a hash lookup of the prepared statement.
    insert_sql: HashMap<(Partition, Profile), String>,
    /// The link INSERT's text per partition.
    link_sql: HashMap<Partition, String>,
    /// The open postings segment of each partition written since the start.
    segments: HashMap<Partition, Segment>,
    /// The newest capture time stored, for [`retention_cutoff`] (`None` while the store is empty).
    newest_us: Option<i64>,
    /// The postings thread: each committed batch's postings go there.
    postings: SyncSender<postings::Command>,
    next_id: i64,
    /// Bytes of the pending live rows (their [`PacketRow::approx_bytes`]), given back to the
    /// queue's byte count when they are committed.
    pending_bytes: usize,
    last_error_log: Option<Instant>,
    suppressed_errors: u64,
}

impl Writer {
    /// Prepares the writer on an open, configured connection whose catalogue exists (the store
    /// creates it when it opens, in [`super::migrate::migrate`]).
    ///
    /// # Errors
    /// The catalogue cannot be read.
    pub fn new(
        conn: Connection,
        settings: WriterSettings,
        shared: Arc<Shared>,
        postings: SyncSender<postings::Command>,
    ) -> rusqlite::Result<Writer> {
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        let next_id = schema::max_row_id(&conn)? + 1;
        let known = schema::list_partitions(&conn)?
            .into_iter()
            .map(|(_, p)| p)
            .collect();
        let newest_us = newest_capture(&conn)?;
        Ok(Writer {
            conn,
            settings,
            shared,
            known,
            insert_sql: HashMap::new(),
            link_sql: HashMap::new(),
            segments: HashMap::new(),
            newest_us,
            postings,
            next_id,
            pending_bytes: 0,
            last_error_log: None,
            suppressed_errors: 0,
        })
    }

    /// Runs until every sender is gone, then commits the last batch.
    pub fn run(mut self, commands: Receiver<Command>) {
        let mut pending: Vec<PacketRow> = Vec::with_capacity(self.settings.batch_size);
        let mut first_pending: Option<Instant> = None;
        let mut last_retention = Instant::now();
        loop {
            match next_command(&commands, first_pending) {
                Ok(Command::Row(row)) => {
                    self.shared.queued.fetch_sub(1, Ordering::Relaxed);
                    self.pending_bytes += row.approx_bytes();
                    pending.push(*row);
                    first_pending.get_or_insert_with(Instant::now);
                    if pending.len() >= self.settings.batch_size
                        || self.pending_bytes >= self.settings.batch_bytes
                    {
                        self.commit_live(&mut pending);
                        first_pending = None;
                    }
                }
                Ok(Command::Batch(rows, reply)) => {
                    self.commit_live(&mut pending);
                    first_pending = None;
                    let result = self.write(&rows, now_us()).map_err(|e| {
                        self.report_error("storing a batch", &e);
                        e.to_string()
                    });
                    if let Ok(stored) = result {
                        self.shared
                            .stored
                            .fetch_add(stored as u64, Ordering::Relaxed);
                    }
                    // An import is searchable when it returns.
                    self.flush_postings();
                    let _ = reply.send(result);
                }
                Ok(Command::Flush(reply)) => {
                    self.commit_live(&mut pending);
                    first_pending = None;
                    self.flush_postings();
                    let _ = reply.send(());
                }
                Ok(Command::Retention(now, reply)) => {
                    self.commit_live(&mut pending);
                    first_pending = None;
                    let _ = reply.send(self.apply_retention(now).map_err(|e| e.to_string()));
                }
                Err(RecvTimeoutError::Timeout) => {
                    self.commit_live(&mut pending);
                    first_pending = None;
                }
                Err(RecvTimeoutError::Disconnected) => {
                    self.commit_live(&mut pending);
                    break;
                }
            }
            if last_retention.elapsed() >= RETENTION_INTERVAL {
                last_retention = Instant::now();
                if let Err(e) = self.apply_retention(now_us()) {
                    self.report_error("dropping old partitions", &e);
                }
            }
        }
    }

    fn commit_live(&mut self, pending: &mut Vec<PacketRow>) {
        if pending.is_empty() {
            return;
        }
        match self.write(pending, now_us()) {
            Ok(stored) => {
                self.shared
                    .stored
                    .fetch_add(stored as u64, Ordering::Relaxed);
                metrics::counter!("hepscope_store_rows_total").increment(stored as u64);
            }
            Err(e) => {
                let lost = pending.len() as u64;
                self.shared.lost.fetch_add(lost, Ordering::Relaxed);
                metrics::counter!("hepscope_store_lost_rows_total").increment(lost);
                self.report_error("storing received packets", &e);
            }
        }
        pending.clear();
        self.shared
            .queued_bytes
            .fetch_sub(std::mem::take(&mut self.pending_bytes), Ordering::Relaxed);
    }

    /// Stores `rows` in one transaction, with their postings and correlation links; rows older
    /// than retention are skipped and counted.
    fn write(&mut self, rows: &[PacketRow], now: i64) -> rusqlite::Result<usize> {
        let tx = self.conn.transaction()?;
        let mut created: Vec<Partition> = Vec::new();
        let mut stored = 0usize;
        let mut next_id = self.next_id;
        let mut batches: HashMap<(Partition, i64), SegmentPostings> = HashMap::new();
        let mut links_written: HashSet<(Partition, &str, &str)> = HashSet::new();
        // Per partition, the highest row id of the batch (ids only grow, so the last one).
        let mut through: HashMap<Partition, i64> = HashMap::new();
        // The batch's INSERT statements, looked up once per batch rather than once per row.
        let mut statements: HashMap<(Partition, Profile), CachedStatement<'_>> = HashMap::new();
        let cutoff = retention_cutoff(now, self.newest_us, self.settings.retention_us);
        let mut newest = self.newest_us;
        for PacketRow { row, links } in rows {
            let Some(profile) = row.profile else { continue };
            let partition = Partition::containing(row.time_us, self.settings.span);
            if partition.expired(cutoff) {
                self.shared.expired.fetch_add(1, Ordering::Relaxed);
                continue;
            }
            if !self.known.contains(&partition) && !created.contains(&partition) {
                schema::create_partition(&tx, &partition)?;
                created.push(partition);
            }
            let insert = match statements.entry((partition, profile)) {
                Entry::Occupied(found) => found.into_mut(),
                Entry::Vacant(slot) => {
                    let sql = self
                        .insert_sql
                        .entry((partition, profile))
                        .or_insert_with(|| {
                            insert_sql(&schema::table_name(profile, &partition.suffix()))
                        });
                    slot.insert(tx.prepare_cached(sql)?)
                }
            };
            insert_row(insert, next_id, row)?;
            let seg = segment_for(&mut self.segments, partition, next_id, now);
            let batch = batches
                .entry((partition, seg))
                .or_insert_with(|| SegmentPostings {
                    suffix: partition.suffix(),
                    seg,
                    postings: Vec::new(),
                    min_us: row.time_us,
                    max_us: row.time_us,
                });
            batch.min_us = batch.min_us.min(row.time_us);
            batch.max_us = batch.max_us.max(row.time_us);
            let id = next_id;
            through.insert(partition, id);
            batch
                .postings
                .extend(terms::row_terms(row, profile.is_sip()).map(|term| (term, id)));
            for link in links {
                if !links_written.insert((partition, link.as_str(), row.sid.as_str())) {
                    continue;
                }
                let sql = self.link_sql.entry(partition).or_insert_with(|| {
                    format!(
                        "INSERT INTO {} (value, sid, time_us) VALUES (?1, ?2, ?3)",
                        schema::link_table(&partition.suffix())
                    )
                });
                tx.prepare_cached(sql)?
                    .execute(params![link, row.sid, row.time_us])?;
            }
            next_id += 1;
            stored += 1;
            newest = Some(newest.map_or(row.time_us, |n| n.max(row.time_us)));
        }
        drop(statements);
        // The ids are taken even if the commit fails: a gap is harmless, a reuse is not.
        self.next_id = next_id;
        tx.commit()?;
        self.newest_us = newest;
        self.known.extend(created);
        self.shared.set_healthy();
        let command = postings::Command::Write(
            batches.into_values().collect(),
            through
                .into_iter()
                .map(|(partition, id)| (partition.suffix(), id))
                .collect(),
        );
        // Blocks while the postings thread is a full queue behind: the writer slows rather than
        // letting rows go unsearchable.
        if self.postings.send(command).is_err() {
            self.report_postings_gone();
        }
        Ok(stored)
    }

    fn apply_retention(&mut self, now: i64) -> rusqlite::Result<Vec<String>> {
        let mut dropped = Vec::new();
        let cutoff = retention_cutoff(now, self.newest_us, self.settings.retention_us);
        for (suffix, partition) in schema::list_partitions(&self.conn)? {
            if partition.expired(cutoff) {
                schema::drop_partition(&self.conn, &suffix)?;
                self.known.remove(&partition);
                tracing::info!(partition = %suffix, "dropped a store partition past retention");
                metrics::counter!("hepscope_store_partitions_dropped_total", "reason" => "retention")
                    .increment(1);
                dropped.push(suffix);
            }
        }
        self.forget_dropped(&dropped);
        dropped.extend(self.enforce_max_disk()?);
        Ok(dropped)
    }

    /// The disk guard: while the store uses more than `max_disk`, drops the oldest partition, but
    /// never the newest one (live rows go there). Each drop is logged and counted.
    fn enforce_max_disk(&mut self) -> rusqlite::Result<Vec<String>> {
        let mut dropped = Vec::new();
        let Some(max) = self.settings.max_disk else {
            return Ok(dropped);
        };
        let limit = match max.limit_bytes(&self.settings.path) {
            Ok(limit) => limit,
            Err(e) => {
                tracing::warn!(error = %e, "store: cannot read the volume size for max_disk");
                return Ok(dropped);
            }
        };
        loop {
            let used = super::disk::guarded_bytes(&self.conn, &self.settings.path)?;
            if used <= limit {
                break;
            }
            let partitions = schema::list_partitions(&self.conn)?;
            let Some((suffix, partition)) = partitions.first().filter(|_| partitions.len() > 1)
            else {
                tracing::warn!(
                    used,
                    limit,
                    "store over max_disk with only its newest partition left"
                );
                break;
            };
            schema::drop_partition(&self.conn, suffix)?;
            self.known.remove(partition);
            tracing::warn!(partition = %suffix, used, limit,
                "store over max_disk: dropped its oldest partition before retention");
            metrics::counter!("hepscope_store_partitions_dropped_total", "reason" => "max_disk")
                .increment(1);
            self.forget_dropped(std::slice::from_ref(suffix));
            // The postings of the dropped partition are gone before the next measurement.
            self.flush_postings();
            dropped.push(suffix.clone());
        }
        Ok(dropped)
    }

    /// Forgets the statements and segments of dropped partitions and drops their postings.
    fn forget_dropped(&mut self, dropped: &[String]) {
        // Statements cached for dropped tables would fail; start afresh.
        self.conn.flush_prepared_statement_cache();
        self.insert_sql.retain(|(p, _), _| self.known.contains(p));
        self.link_sql.retain(|p, _| self.known.contains(p));
        self.segments.retain(|p, _| self.known.contains(p));
        if !dropped.is_empty()
            && self
                .postings
                .send(postings::Command::Drop(dropped.to_vec()))
                .is_err()
        {
            self.report_postings_gone();
        }
    }

    /// Waits until the postings thread has committed everything sent so far.
    fn flush_postings(&mut self) {
        let (reply, answer) = std::sync::mpsc::sync_channel(1);
        if self.postings.send(postings::Command::Flush(reply)).is_err() || answer.recv().is_err() {
            self.report_postings_gone();
        }
    }

    fn report_postings_gone(&mut self) {
        self.shared
            .set_degraded("the search postings thread has stopped".into());
        tracing::error!("store: the search postings thread has stopped");
    }

    fn report_error(&mut self, what: &str, error: &rusqlite::Error) {
        self.shared.write_errors.fetch_add(1, Ordering::Relaxed);
        metrics::counter!("hepscope_store_write_errors_total").increment(1);
        self.shared.set_degraded(format!("{what}: {error}"));
        let due = self
            .last_error_log
            .is_none_or(|at| at.elapsed() >= ERROR_LOG_INTERVAL);
        if due {
            tracing::error!(
                error = %error,
                suppressed = self.suppressed_errors,
                "store: {what} failed"
            );
            self.last_error_log = Some(Instant::now());
            self.suppressed_errors = 0;
        } else {
            self.suppressed_errors += 1;
        }
    }
}

/// The next command: waited for while no rows are pending (up to the retention interval), polled
/// every [`IDLE_POLL`] while rows are (up to their flush time).
fn next_command(
    commands: &Receiver<Command>,
    first_pending: Option<Instant>,
) -> Result<Command, RecvTimeoutError> {
    let Some(at) = first_pending else {
        return commands.recv_timeout(RETENTION_INTERVAL);
    };
    loop {
        match commands.try_recv() {
            Ok(command) => return Ok(command),
            Err(TryRecvError::Disconnected) => return Err(RecvTimeoutError::Disconnected),
            Err(TryRecvError::Empty) => {
                let left = FLUSH_INTERVAL.saturating_sub(at.elapsed());
                if left.is_zero() {
                    return Err(RecvTimeoutError::Timeout);
                }
                std::thread::sleep(left.min(IDLE_POLL));
            }
        }
    }
}

/// The segment the row with `id` of `partition` goes to: the open one, or a new one (named by
/// this row's id) when there is none yet, or it is full or old.
fn segment_for(
    segments: &mut HashMap<Partition, Segment>,
    partition: Partition,
    id: i64,
    now: i64,
) -> i64 {
    let fresh = Segment {
        seg: id,
        rows: 0,
        opened_us: now,
    };
    let segment = segments.entry(partition).or_insert(fresh);
    if segment.rows >= SEGMENT_ROWS || now.saturating_sub(segment.opened_us) >= SEGMENT_SPAN_US {
        *segment = fresh;
    }
    segment.rows += 1;
    segment.seg
}

/// The INSERT of a data row into `table`.
fn insert_sql(table: &str) -> String {
    format!(
        "INSERT INTO {table} (id, {COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, \
         ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25)"
    )
}

fn insert_row(stmt: &mut CachedStatement<'_>, id: i64, row: &Row) -> rusqlite::Result<()> {
    stmt.execute(params![
        id,
        row.time_us,
        row.sid,
        row.correlation_id,
        row.method,
        row.cseq,
        row.from_user,
        row.from_tag,
        row.from_domain,
        row.to_user,
        row.to_tag,
        row.to_domain,
        row.ruri_user,
        row.ruri_domain,
        row.user_agent,
        row.src_ip,
        row.src_port,
        row.dst_ip,
        row.dst_port,
        row.family,
        row.transport,
        row.payload_type,
        row.capture_id,
        row.node,
        row.raw,
    ])?;
    Ok(())
}

/// The newest capture time in the store: the largest `time_us` of the newest partition that
/// holds a row (each table's time index answers at once).
fn newest_capture(conn: &Connection) -> rusqlite::Result<Option<i64>> {
    for (suffix, _) in schema::list_partitions(conn)?.iter().rev() {
        let mut newest: Option<i64> = None;
        for profile in Profile::ALL {
            let sql = format!(
                "SELECT MAX(time_us) FROM {}",
                schema::table_name(profile, suffix)
            );
            match conn.query_row(&sql, [], |r| r.get::<_, Option<i64>>(0)) {
                Ok(Some(t)) => newest = Some(newest.map_or(t, |n| n.max(t))),
                Ok(None) => {}
                // A stray catalogue entry whose tables are gone.
                Err(e) if super::read::is_missing_table(&e) => {}
                Err(e) => return Err(e),
            }
        }
        if newest.is_some() {
            return Ok(newest);
        }
    }
    Ok(None)
}

/// The wall clock in µs since the Unix epoch (the writer's "now" for retention).
pub(super) fn now_us() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(time_us: i64, raw_len: usize) -> PacketRow {
        PacketRow {
            row: Row {
                profile: Some(Profile::Call),
                time_us,
                sid: "cid".into(),
                method: "INVITE".into(),
                raw: vec![b'x'; raw_len],
                ..Row::default()
            },
            links: Vec::new(),
        }
    }

    /// A writer on an in-memory store with its postings thread.
    fn writer(retention_us: i64) -> (Writer, Arc<Shared>) {
        let conn = Connection::open_in_memory().unwrap();
        let shared = Arc::new(Shared::default());
        let settings = WriterSettings {
            batch_size: 10,
            span: PartitionSpan::Day,
            retention_us,
            batch_bytes: usize::MAX,
            max_disk: None,
            path: std::path::PathBuf::new(),
        };
        schema::create_catalogue(&conn).unwrap();
        let index = postings::open_writer(std::path::Path::new(":memory:")).unwrap();
        let (postings_tx, postings_rx) = std::sync::mpsc::sync_channel(4);
        let postings_shared = shared.clone();
        std::thread::spawn(move || postings::run(index, postings_rx, postings_shared));
        let writer = Writer::new(conn, settings, shared.clone(), postings_tx).unwrap();
        (writer, shared)
    }

    #[test]
    fn a_clock_a_year_ahead_neither_expires_new_rows_nor_drops_every_partition() {
        const T: i64 = 1_783_166_400_000_000; // 2026-07-04T12:00:00Z
        let day = 86_400_000_000;
        let (mut writer, shared) = writer(7 * day);
        // One row a day over the last 8 days: 8 day partitions, all within retention at T.
        let rows: Vec<PacketRow> = (0..8).map(|k| row(T - k * day, 10)).collect();
        assert_eq!(writer.write(&rows, T).unwrap(), 8);
        assert_eq!(writer.apply_retention(T).unwrap(), Vec::<String>::new());
        // The clock jumps a year ahead; agents keep sending their (right) capture times.
        let jumped = T + 365 * day;
        assert_eq!(
            writer.write(&[row(T + 3_600_000_000, 10)], jumped).unwrap(),
            1
        );
        assert_eq!(shared.expired.load(Ordering::Relaxed), 0);
        let dropped = writer.apply_retention(jumped).unwrap();
        // Only what is more than 6 days older than the newest row: the day of T - 7 days.
        assert_eq!(dropped, vec!["20260627".to_owned()]);
        assert_eq!(schema::list_partitions(&writer.conn).unwrap().len(), 7);
        // Reopened, the writer finds the newest capture time again.
        assert_eq!(
            newest_capture(&writer.conn).unwrap(),
            Some(T + 3_600_000_000)
        );
    }

    #[test]
    fn disk_full_degrades_health_counts_the_loss_and_keeps_going() {
        let (mut writer, shared) = writer(i64::MAX / 4);
        let now = now_us();
        let mut first = vec![row(now, 10)];
        writer.commit_live(&mut first);
        assert_eq!(shared.stored.load(Ordering::Relaxed), 1);
        // Simulate a full disk: the file may not grow any more.
        let pages: i64 = writer
            .conn
            .query_row("PRAGMA page_count", [], |r| r.get(0))
            .unwrap();
        writer
            .conn
            .pragma_update(None, "max_page_count", pages)
            .unwrap();
        let mut big: Vec<PacketRow> = (0..10).map(|_| row(now, 100_000)).collect();
        writer.commit_live(&mut big);
        assert_eq!(shared.lost.load(Ordering::Relaxed), 10);
        assert!(shared
            .degraded
            .lock()
            .unwrap()
            .as_deref()
            .is_some_and(|r| r.contains("full")));
        // Space again: the next batch is stored and health recovers.
        writer
            .conn
            .pragma_update(None, "max_page_count", 1_000_000)
            .unwrap();
        let mut small = vec![row(now, 10)];
        writer.commit_live(&mut small);
        assert_eq!(shared.stored.load(Ordering::Relaxed), 2);
        assert!(shared.degraded.lock().unwrap().is_none());
    }
}
