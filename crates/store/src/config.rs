//! The store's settings, validated: where the file is, how long rows are kept, partition size, the
//! writer's queue and batch, read caps, the disk guard; and the `[[alias]]` names it serves with rows.
//! Reading them from the config file (and its errors) is the server's business.

use std::path::PathBuf;
use std::time::Duration;

use hepscope_core::alias::{self, AliasRule, IpNet};

/// Default `[store] queue_bytes`: 256 MiB.
pub const DEFAULT_QUEUE_BYTES: usize = 256 * 1024 * 1024;
/// The smallest `[store] queue_bytes`: room for a few of the largest packets (64 KiB each).
pub const MIN_QUEUE_BYTES: usize = 1024 * 1024;
/// Default `[store] sql_max_answer_bytes`: 64 MiB.
pub const DEFAULT_SQL_MAX_ANSWER_BYTES: usize = 64 * 1024 * 1024;

/// How big one store partition is (one table set per partition).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PartitionSpan {
    /// One table set per UTC day.
    Day,
    /// One table set per UTC hour.
    Hour,
}

impl PartitionSpan {
    /// Length of a partition, µs.
    pub fn len_us(self) -> i64 {
        match self {
            PartitionSpan::Day => 86_400_000_000,
            PartitionSpan::Hour => 3_600_000_000,
        }
    }
}

/// `[store]`, validated.
#[derive(Clone, Debug)]
pub struct StoreConfig {
    pub enabled: bool,
    /// The SQLite file (absolute, or relative to the working directory).
    pub path: PathBuf,
    pub retention: Duration,
    pub partition: PartitionSpan,
    pub correlation_headers: Vec<String>,
    /// Rows per write transaction, at least 1.
    pub batch_size: usize,
    /// Capacity of the writer's queue, at least 1.
    pub queue: usize,
    /// Bytes of rows the writer may hold (queued and not yet committed), at least
    /// [`MIN_QUEUE_BYTES`].
    pub queue_bytes: usize,
    /// Longest a message search (`search/call/data`) may read before it is stopped.
    /// Longest a message search (`search/call/data`), transaction, report or export may read
    /// before it is stopped.
    pub search_timeout: Duration,
    /// Largest JSON answer of the SQL query API, bytes.
    pub sql_max_answer_bytes: usize,
    /// Most rows a transaction, report or export read returns (then it says the limit was hit).
    pub transaction_max_rows: usize,
    /// Most payload bytes (HEP payloads inflated, SIP messages) one capture import may give.
    pub import_max_bytes: usize,
    /// The disk guard's limit, if any.
    pub max_disk: Option<super::disk::MaxDisk>,
}

impl StoreConfig {
    /// The defaults with the database at `path`.
    pub fn at(path: PathBuf) -> StoreConfig {
        StoreConfig {
            enabled: true,
            path,
            retention: Duration::from_secs(7 * 86_400),
            partition: PartitionSpan::Day,
            correlation_headers: hepscope_core::sip::DEFAULT_CORRELATION_HEADERS
                .iter()
                .map(|h| (*h).to_owned())
                .collect(),
            batch_size: 10_000,
            queue: 100_000,
            queue_bytes: DEFAULT_QUEUE_BYTES,
            search_timeout: Duration::from_secs(30),
            sql_max_answer_bytes: DEFAULT_SQL_MAX_ANSWER_BYTES,
            transaction_max_rows: 20_000,
            import_max_bytes: 1024 * 1024 * 1024,
            max_disk: None,
        }
    }
}

/// One `[[alias]]`, validated: the network `ip/prefix` and port (0 = any) named `name`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AliasConfig {
    pub ip: std::net::IpAddr,
    /// Prefix length: 32 (or 128) for a single address.
    pub prefix: u8,
    pub port: u16,
    pub name: String,
}

/// The domain's one alias rule applies to configured aliases (`hepscope_core::alias::resolve`).
impl AliasRule for AliasConfig {
    fn network(&self) -> IpNet {
        // The config check keeps `prefix` within the family's length; a host route otherwise.
        IpNet::new(self.ip, self.prefix).unwrap_or_else(|_| alias::host_network(self.ip))
    }
    fn port(&self) -> Option<u16> {
        Some(self.port).filter(|p| *p != 0)
    }
    fn name(&self) -> &str {
        &self.name
    }
}
