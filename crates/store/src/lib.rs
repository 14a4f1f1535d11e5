//! The embedded HEP store: SQLite (bundled, WAL, `synchronous=NORMAL`) in one file under the data
//! dir, written by one batching thread and read through a small pool of read-only connections on
//! `spawn_blocking`.
//!
//! - [`index`]: packet -> stored row and its table (heplify-server's routing).
//! - [`schema`], [`partition`]: one table set per UTC day or hour; retention drops whole partitions.
//! - [`writer`]: the writer thread; [`checkpoint`]: the thread that checkpoints the WAL beside it.
//!   [`read`]: queries shared by the APIs.
//!
//! This crate knows nothing of HTTP, sessions, HOMER routing or the ingest pipeline: packets come in as
//! [`hepscope_hep::hep::HepPacket`]s, reads go out as [`read::StoredRow`]s. The server adapts it: the HOMER
//! 7 API and the SQL API over HTTP (`server::store::api`, `server::store::sql_api`), the ingest sink and
//! the `[store]` section of the config file.
//!
//! Why one file with a table set per partition rather than one file per partition: a PCAP import
//! must be stored all or nothing, and SQLite commits atomically across attached files only without
//! WAL; one file also lets every reader see all partitions without ATTACH limits (hour partitions
//! over 7 days are 168). Dropped tables free their pages for the next partitions, so the file stays
//! about the size of the retention window without VACUUM.

mod checkpoint;
pub mod config;
pub mod disk;
pub mod index;
mod migrate;
pub mod partition;
pub mod postings;
pub mod read;
pub mod schema;
pub mod terms;
mod writer;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{sync_channel, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};

use rusqlite::{Connection, OpenFlags};
use serde::Serialize;

use crate::config::{AliasConfig, StoreConfig};
use hepscope_hep::hep::HepPacket;
use index::{row_from_packet, PacketRow};
use writer::{Command, Writer, WriterSettings};

pub use writer::{ERROR_LOG_INTERVAL, FLUSH_INTERVAL};

/// Read-only connections kept for reuse (each with a page cache of
/// [`schema::READER_CACHE_KIB`]).
const READER_POOL: usize = 4;

/// Why the store failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The file or its directory could not be created or opened.
    #[error("opening the store at {path}: {source}")]
    Open {
        path: PathBuf,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A query failed.
    #[error("store query failed: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The writer refused a batch (the transaction was rolled back).
    #[error("storing the batch failed: {0}")]
    Write(String),
    /// The writer thread is gone.
    #[error("the store's writer has stopped")]
    WriterStopped,
    /// A blocking task panicked or was cancelled.
    #[error("store task failed: {0}")]
    Task(String),
    /// A search read for longer than its budget and was stopped.
    #[error("the search read the store for {} s without finishing", .0.as_secs_f64())]
    TimedOut(std::time::Duration),
    /// A read matched more rows than its cap (`[store] transaction_max_rows`).
    #[error("limit reached: more than {0} messages match")]
    RowLimit(usize),
}

/// Counters and health shared with the writer.
#[derive(Debug, Default)]
pub(crate) struct Shared {
    /// Live rows sent to the writer and not yet taken by it (the writer decrements).
    queued: AtomicUsize,
    /// Bytes ([`PacketRow::approx_bytes`]) of live rows sent to the writer and not yet committed
    /// (queued or in its pending batch; the writer decrements after each commit).
    queued_bytes: AtomicUsize,
    stored: AtomicU64,
    dropped: AtomicU64,
    rejected: AtomicU64,
    expired: AtomicU64,
    lost: AtomicU64,
    write_errors: AtomicU64,
    degraded: Mutex<Option<String>>,
}

impl Shared {
    fn set_degraded(&self, reason: String) {
        if let Ok(mut slot) = self.degraded.lock() {
            *slot = Some(reason);
        }
    }

    fn set_healthy(&self) {
        if let Ok(mut slot) = self.degraded.lock() {
            *slot = None;
        }
    }
}

/// Ingest counters, for `/healthz` and tests.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct StoreStats {
    /// Rows committed.
    pub stored: u64,
    /// Packets dropped because the writer's queue was full.
    pub dropped: u64,
    /// SIP packets that did not scan as SIP.
    pub rejected: u64,
    /// Rows older than retention, not stored.
    pub expired: u64,
    /// Rows lost with a failed commit.
    pub lost: u64,
    /// Failed commits or retention runs.
    pub write_errors: u64,
    /// Why the store is degraded (the last write error), if it is.
    pub degraded: Option<String>,
}

/// The partitions' count and age, for `/metrics`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PartitionStats {
    pub count: usize,
    /// Start of the oldest partition, µs since the epoch.
    pub oldest_start_us: Option<i64>,
}

struct Inner {
    config: StoreConfig,
    aliases: Vec<AliasConfig>,
    commands: SyncSender<Command>,
    shared: Arc<Shared>,
    /// [`Store::congested`] above this many queued rows ...
    high_water: usize,
    /// ... or this many held bytes.
    high_water_bytes: usize,
    readers: Mutex<Vec<Connection>>,
    correlation_headers: Vec<String>,
    /// A capture import holds this ([`Store::begin_import`]).
    importing: Arc<AtomicBool>,
    /// Dropped with the last handle, which stops the checkpoint thread.
    _checkpoint_stop: SyncSender<()>,
}

/// Committed batches whose postings may wait for the postings thread before the writer blocks.
const POSTINGS_QUEUE: usize = 4;

/// A cheap, cloneable handle on the store. The writer stops when the last handle is dropped, after
/// committing what it holds.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

impl Store {
    /// Opens (or creates) the store file and starts the writer thread.
    ///
    /// # Errors
    /// [`StoreError::Open`] when the directory or file cannot be created, opened or set up.
    pub fn open(config: StoreConfig, aliases: Vec<AliasConfig>) -> Result<Store, StoreError> {
        let open_err = |source: Box<dyn std::error::Error + Send + Sync>| StoreError::Open {
            path: config.path.clone(),
            source,
        };
        // Owner-only files; SQLite gives `-wal`/`-shm` the mode of their database file.
        hepscope_private_fs::create_file(&config.path).map_err(|e| open_err(Box::new(e)))?;
        hepscope_private_fs::create_file(&postings::index_path(&config.path))
            .map_err(|e| open_err(Box::new(e)))?;
        if let Some(dir) = config.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            hepscope_private_fs::tighten(dir).map_err(|e| open_err(Box::new(e)))?;
        }
        let conn = Connection::open(&config.path).map_err(|e| open_err(Box::new(e)))?;
        schema::configure(&conn).map_err(|e| open_err(Box::new(e)))?;
        let migrated = migrate::migrate(&conn).map_err(|e| open_err(Box::new(e)))?;
        if migrated.to_postings > 0 {
            tracing::info!(
                partitions = migrated.to_postings,
                "store upgraded to the postings layout"
            );
        }
        if migrated.passwords_dropped > 0 {
            tracing::info!(
                rows = migrated.passwords_dropped,
                "store: the HEP capture passwords older versions kept with rows were dropped"
            );
        }
        let index_path = postings::index_path(&config.path);
        let mut index = postings::open_writer(&index_path).map_err(|e| open_err(Box::new(e)))?;
        let reposted = postings::repair(&conn, &mut index).map_err(|e| open_err(Box::new(e)))?;
        if reposted > 0 {
            tracing::info!(
                rows = reposted,
                "store: search postings written for rows that had none"
            );
        }
        let shared = Arc::new(Shared::default());
        let (postings_tx, postings_rx) = sync_channel(POSTINGS_QUEUE);
        let postings_shared = shared.clone();
        std::thread::Builder::new()
            .name("store-postings".into())
            .spawn(move || postings::run(index, postings_rx, postings_shared))
            .map_err(|e| open_err(Box::new(e)))?;
        let settings = WriterSettings {
            batch_size: config.batch_size,
            span: config.partition,
            retention_us: i64::try_from(config.retention.as_micros()).unwrap_or(i64::MAX),
            batch_bytes: batch_bytes(config.queue_bytes),
            max_disk: config.max_disk,
            path: config.path.clone(),
        };
        let writer = Writer::new(conn, settings, shared.clone(), postings_tx)
            .map_err(|e| open_err(Box::new(e)))?;
        let (commands, receiver) = sync_channel(config.queue);
        std::thread::Builder::new()
            .name("store-writer".into())
            .spawn(move || writer.run(receiver))
            .map_err(|e| open_err(Box::new(e)))?;
        let checkpoint_conn = checkpoint::open(&config.path).map_err(|e| open_err(Box::new(e)))?;
        let (checkpoint_stop, stop) = sync_channel(1);
        std::thread::Builder::new()
            .name("store-checkpoint".into())
            .spawn(move || checkpoint::run(checkpoint_conn, stop))
            .map_err(|e| open_err(Box::new(e)))?;
        let correlation_headers = config.correlation_headers.clone();
        let high_water_bytes = high_water(config.queue_bytes);
        let high_water = high_water(config.queue);
        Ok(Store {
            inner: Arc::new(Inner {
                config,
                aliases,
                commands,
                shared,
                high_water,
                high_water_bytes,
                readers: Mutex::new(Vec::new()),
                correlation_headers,
                importing: Arc::new(AtomicBool::new(false)),
                _checkpoint_stop: checkpoint_stop,
            }),
        })
    }

    /// The settings the store runs with.
    pub fn config(&self) -> &StoreConfig {
        &self.inner.config
    }

    /// The configured address aliases.
    pub fn aliases(&self) -> &[AliasConfig] {
        &self.inner.aliases
    }

    /// Queues one received packet without blocking. When the queue holds `queue` rows or
    /// `queue_bytes` bytes, the packet is dropped and counted by reason (`queue_full`,
    /// `queue_bytes`); a SIP payload that does not scan is rejected and counted. `received_at_us`
    /// stands in for a missing capture time.
    pub fn ingest(&self, packet: HepPacket, received_at_us: i64) {
        let Some(row) = self.row(packet, received_at_us) else {
            return;
        };
        let shared = &self.inner.shared;
        let bytes = row.approx_bytes();
        // Counted before the send, so the writer's decrement never comes first.
        let held = shared.queued_bytes.fetch_add(bytes, Ordering::Relaxed) + bytes;
        if held > self.inner.config.queue_bytes {
            shared.queued_bytes.fetch_sub(bytes, Ordering::Relaxed);
            self.dropped(DROPPED_QUEUE_BYTES);
            return;
        }
        shared.queued.fetch_add(1, Ordering::Relaxed);
        match self.inner.commands.try_send(Command::Row(Box::new(row))) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) | Err(TrySendError::Disconnected(_)) => {
                shared.queued.fetch_sub(1, Ordering::Relaxed);
                shared.queued_bytes.fetch_sub(bytes, Ordering::Relaxed);
                self.dropped(DROPPED_QUEUE_FULL);
            }
        }
    }

    /// Counts a packet dropped at the writer's queue, by `reason`.
    fn dropped(&self, reason: &'static str) {
        self.inner.shared.dropped.fetch_add(1, Ordering::Relaxed);
        metrics::counter!("hepscope_store_dropped_total", "reason" => reason).increment(1);
    }

    /// True while the writer holds more than three quarters of `queue` live rows or of
    /// `queue_bytes` bytes: a TCP receiver then stops reading its sockets (backpressure) until the
    /// writer has caught up, rather than have [`Store::ingest`] drop packets. Never blocks.
    pub fn congested(&self) -> bool {
        let shared = &self.inner.shared;
        shared.queued.load(Ordering::Relaxed) > self.inner.high_water
            || shared.queued_bytes.load(Ordering::Relaxed) > self.inner.high_water_bytes
    }

    /// Stores packets all or nothing in one transaction (for PCAP import); blocks until committed.
    /// Returns how many rows were stored (unscannable SIP and rows past retention are left out).
    ///
    /// # Errors
    /// [`StoreError::Write`] when the transaction failed (nothing was stored), or
    /// [`StoreError::WriterStopped`].
    pub fn ingest_batch(&self, packets: Vec<(HepPacket, i64)>) -> Result<usize, StoreError> {
        let rows: Vec<PacketRow> = packets
            .into_iter()
            .filter_map(|(packet, received)| self.row(packet, received))
            .collect();
        let (reply, answer) = sync_channel(1);
        self.inner
            .commands
            .send(Command::Batch(rows, reply))
            .map_err(|_| StoreError::WriterStopped)?;
        answer
            .recv()
            .map_err(|_| StoreError::WriterStopped)?
            .map_err(StoreError::Write)
    }

    /// Blocks until everything queued before the call is committed.
    ///
    /// # Errors
    /// [`StoreError::WriterStopped`].
    pub fn flush(&self) -> Result<(), StoreError> {
        let (reply, answer) = sync_channel(1);
        self.inner
            .commands
            .send(Command::Flush(reply))
            .map_err(|_| StoreError::WriterStopped)?;
        answer.recv().map_err(|_| StoreError::WriterStopped)
    }

    /// Drops the partitions past retention as of `now_us`, then, while the store uses more than
    /// `max_disk`, the oldest ones but the newest (the writer also does this every minute); returns
    /// their suffixes. The retention cutoff follows [`partition::retention_cutoff`]: never more than a
    /// day (or the retention, if shorter) past the newest stored capture time.
    ///
    /// # Errors
    /// [`StoreError::Write`] or [`StoreError::WriterStopped`].
    pub fn apply_retention(&self, now_us: i64) -> Result<Vec<String>, StoreError> {
        let (reply, answer) = sync_channel(1);
        self.inner
            .commands
            .send(Command::Retention(now_us, reply))
            .map_err(|_| StoreError::WriterStopped)?;
        answer
            .recv()
            .map_err(|_| StoreError::WriterStopped)?
            .map_err(StoreError::Write)
    }

    /// The right to run the one capture import at a time (an import holds a whole capture in
    /// memory and one write transaction), or `None` while another runs. Released when dropped.
    pub fn begin_import(&self) -> Option<ImportSlot> {
        let flag = &self.inner.importing;
        flag.compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
            .ok()
            .map(|_| ImportSlot(flag.clone()))
    }

    /// Ingest counters and health.
    pub fn stats(&self) -> StoreStats {
        let s = &self.inner.shared;
        StoreStats {
            stored: s.stored.load(Ordering::Relaxed),
            dropped: s.dropped.load(Ordering::Relaxed),
            rejected: s.rejected.load(Ordering::Relaxed),
            expired: s.expired.load(Ordering::Relaxed),
            lost: s.lost.load(Ordering::Relaxed),
            write_errors: s.write_errors.load(Ordering::Relaxed),
            degraded: s.degraded.lock().ok().and_then(|d| d.clone()),
        }
    }

    /// Live rows waiting in the writer's queue.
    pub fn queued_rows(&self) -> usize {
        self.inner.shared.queued.load(Ordering::Relaxed)
    }

    /// Bytes the writer holds: rows queued or in its uncommitted batch (bounded by `queue_bytes`).
    pub fn queued_bytes(&self) -> usize {
        self.inner.shared.queued_bytes.load(Ordering::Relaxed)
    }

    /// The size of the store's files on disk.
    pub fn disk_usage(&self) -> disk::DiskUsage {
        disk::DiskUsage::of(&self.inner.config.path)
    }

    /// How many partitions there are and when the oldest starts.
    ///
    /// # Errors
    /// As [`Store::read`].
    pub async fn partition_span_stats(&self) -> Result<PartitionStats, StoreError> {
        self.read(|conn| {
            let partitions = schema::list_partitions(conn)?;
            Ok(PartitionStats {
                count: partitions.len(),
                oldest_start_us: partitions.iter().map(|(_, p)| p.start_us).min(),
            })
        })
        .await
    }

    /// Runs `f` on a pooled read-only connection, on a blocking thread.
    ///
    /// # Errors
    /// Whatever `f` returns, a connection that cannot be opened, or a failed task.
    pub async fn read<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
        T: Send + 'static,
    {
        let store = self.clone();
        tokio::task::spawn_blocking(move || store.read_blocking(f))
            .await
            .map_err(|e| StoreError::Task(e.to_string()))?
    }

    /// [`Store::read`] for callers that may block (benchmarks, command-line tools).
    ///
    /// # Errors
    /// As [`Store::read`].
    pub fn read_blocking<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        F: FnOnce(&Connection) -> Result<T, StoreError>,
    {
        self.with_reader(|conn| f(conn))
    }

    /// [`Store::read`], stopped with [`StoreError::TimedOut`] once it has run for `budget`.
    ///
    /// # Errors
    /// As [`Store::read`], and [`StoreError::TimedOut`].
    pub async fn read_within<T, F>(
        &self,
        budget: std::time::Duration,
        f: F,
    ) -> Result<T, StoreError>
    where
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
        T: Send + 'static,
    {
        let store = self.clone();
        tokio::task::spawn_blocking(move || {
            store.with_reader(|conn| read::within_budget(conn, budget, f))
        })
        .await
        .map_err(|e| StoreError::Task(e.to_string()))?
    }

    /// Runs `f` on a pooled read connection (or a new one), then returns it to the pool.
    fn with_reader<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        F: FnOnce(&mut Connection) -> Result<T, StoreError>,
    {
        let pooled = self.inner.readers.lock().ok().and_then(|mut p| p.pop());
        let mut conn = match pooled {
            Some(conn) => conn,
            None => self.open_reader()?,
        };
        let result = f(&mut conn);
        if let Ok(mut pool) = self.inner.readers.lock() {
            if pool.len() < READER_POOL {
                pool.push(conn);
            }
        }
        result
    }

    /// A new read-only connection to the store file (the SQL API makes its own).
    ///
    /// # Errors
    /// The file cannot be opened.
    pub fn open_reader(&self) -> Result<Connection, StoreError> {
        let conn = Connection::open_with_flags(
            &self.inner.config.path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        schema::configure_reader(&conn)?;
        postings::attach(&conn, &postings::index_path(&self.inner.config.path))?;
        Ok(conn)
    }

    fn row(&self, packet: HepPacket, received_at_us: i64) -> Option<PacketRow> {
        let row = row_from_packet(packet, received_at_us, &self.inner.correlation_headers);
        if row.is_none() {
            self.inner.shared.rejected.fetch_add(1, Ordering::Relaxed);
            metrics::counter!("hepscope_store_rejected_total").increment(1);
        }
        row
    }
}

/// `hepscope_store_dropped_total{reason}` when the queue held `queue` rows.
const DROPPED_QUEUE_FULL: &str = "queue_full";
/// `hepscope_store_dropped_total{reason}` when the writer held `queue_bytes` bytes.
const DROPPED_QUEUE_BYTES: &str = "queue_bytes";

/// A running import's hold on [`Store::begin_import`].
#[derive(Debug)]
pub struct ImportSlot(Arc<AtomicBool>);

impl Drop for ImportSlot {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

/// The queued-row (or byte) count above which the store reports itself congested: three quarters
/// of the bound, leaving a quarter for the packets already read when the receivers pause.
fn high_water(queue: usize) -> usize {
    queue.saturating_mul(3) / 4
}

/// The pending batch's bytes at which the writer commits without waiting for `batch_size` rows
/// or the flush interval: a quarter of `queue_bytes`, so an uncommitted batch alone never makes
/// the store congested and big payloads cannot pile up `batch_size` deep.
fn batch_bytes(queue_bytes: usize) -> usize {
    (queue_bytes / 4).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_import_at_a_time() {
        let dir = std::env::temp_dir().join(format!("hepscope-import-slot-{}", std::process::id()));
        let store = Store::open(StoreConfig::at(dir.join("s.sqlite")), Vec::new()).unwrap();
        let first = store.begin_import().unwrap();
        assert!(store.clone().begin_import().is_none());
        drop(first);
        assert!(store.begin_import().is_some());
        drop(store);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn high_water_is_three_quarters_of_the_queue() {
        assert_eq!(high_water(100_000), 75_000);
        assert_eq!(high_water(32), 24);
        assert_eq!(high_water(1), 0);
        assert_eq!(high_water(usize::MAX), usize::MAX / 4);
    }
}
