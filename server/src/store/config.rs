//! `[store]` and `[[alias]]`: the embedded store's settings as written in the config file, and
//! validated.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::config::{duration_setting, ConfigError};

/// `[store]` as written: the embedded HEP store.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStore {
    /// Run the store (default true).
    pub enabled: Option<bool>,
    /// The SQLite file; relative paths are under `data_dir` (default `store/hepscope.sqlite`).
    pub path: Option<PathBuf>,
    /// How long rows are kept, e.g. "7d" (default); whole partitions are dropped.
    pub retention: Option<String>,
    /// Partition size: "day" (default) or "hour".
    pub partition: Option<String>,
    /// SIP headers whose values link call legs (default `["X-CID", "X-Call-ID"]`).
    pub correlation_headers: Option<Vec<String>>,
    /// Rows per write transaction (default 10000).
    pub batch_size: Option<usize>,
    /// Packets queued for the writer before new ones are dropped (default 100000).
    pub queue: Option<usize>,
    /// Longest a message search may read before it is stopped with an error, e.g. "30s" (default).
    pub search_timeout: Option<String>,
    /// Most disk the store may use, e.g. "50GB" or "80%" of its volume (default: no limit); past
    /// it the oldest partitions are dropped before their retention.
    pub max_disk: Option<String>,
}

/// `[[alias]]` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAlias {
    /// An IP address, or a network as `ip/prefix`.
    pub ip: String,
    /// 0 (the default) matches any port.
    #[serde(default)]
    pub port: u16,
    pub name: String,
}

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
    /// Longest a message search (`search/call/data`) may read before it is stopped.
    pub search_timeout: Duration,
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
            correlation_headers: app::domain::sip::DEFAULT_CORRELATION_HEADERS
                .iter()
                .map(|h| (*h).to_owned())
                .collect(),
            batch_size: 10_000,
            queue: 100_000,
            search_timeout: Duration::from_secs(30),
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

pub(crate) fn store_config(raw: RawStore, data_dir: &Path) -> Result<StoreConfig, ConfigError> {
    let invalid = |what: &str, message: String| ConfigError::Invalid {
        what: format!("store.{what}"),
        message,
    };
    let path = raw
        .path
        .unwrap_or_else(|| PathBuf::from("store").join("hepscope.sqlite"));
    let path = if path.is_absolute() {
        path
    } else {
        data_dir.join(path)
    };
    let mut config = StoreConfig::at(path);
    config.enabled = raw.enabled.unwrap_or(true);
    config.retention = duration_setting("store.retention", raw.retention, "7d")?;
    if config.retention.is_zero() {
        return Err(invalid("retention", "must be longer than 0".into()));
    }
    config.search_timeout = duration_setting("store.search_timeout", raw.search_timeout, "30s")?;
    if config.search_timeout.is_zero() {
        return Err(invalid("search_timeout", "must be longer than 0".into()));
    }
    config.partition = match raw.partition.as_deref() {
        None | Some("day") => PartitionSpan::Day,
        Some("hour") => PartitionSpan::Hour,
        Some(other) => {
            return Err(invalid(
                "partition",
                format!("{other:?} is not \"day\" or \"hour\""),
            ))
        }
    };
    if let Some(headers) = raw.correlation_headers {
        if let Some(bad) = headers.iter().find(|h| {
            h.is_empty()
                || !h
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        }) {
            return Err(invalid(
                "correlation_headers",
                format!("{bad:?} is not a header name"),
            ));
        }
        config.correlation_headers = headers;
    }
    if let Some(batch) = raw.batch_size {
        if batch == 0 {
            return Err(invalid("batch_size", "must be at least 1".into()));
        }
        config.batch_size = batch;
    }
    if let Some(text) = raw.max_disk {
        config.max_disk =
            Some(super::disk::MaxDisk::parse(&text).map_err(|m| invalid("max_disk", m))?);
    }
    if let Some(queue) = raw.queue {
        if queue == 0 {
            return Err(invalid("queue", "must be at least 1".into()));
        }
        config.queue = queue;
    }
    Ok(config)
}

pub(crate) fn alias_config(raw: RawAlias) -> Result<AliasConfig, ConfigError> {
    let invalid = |message: String| ConfigError::Invalid {
        what: format!("alias {:?}", raw.name),
        message,
    };
    if raw.name.trim().is_empty() {
        return Err(invalid("the name is empty".into()));
    }
    let (ip_text, prefix_text) = match raw.ip.split_once('/') {
        Some((ip, prefix)) => (ip, Some(prefix)),
        None => (raw.ip.as_str(), None),
    };
    let ip: std::net::IpAddr = ip_text
        .trim()
        .parse()
        .map_err(|_| invalid(format!("{:?} is not an IP address or ip/prefix", raw.ip)))?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    let prefix = match prefix_text {
        None => max,
        Some(text) => text
            .trim()
            .parse::<u8>()
            .ok()
            .filter(|p| *p <= max)
            .ok_or_else(|| invalid(format!("prefix {text:?} is not 0 to {max}")))?,
    };
    Ok(AliasConfig {
        ip,
        prefix,
        port: raw.port,
        name: raw.name.clone(),
    })
}
