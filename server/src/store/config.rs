//! `[store]` and `[[alias]]` as written in the config file, and their validation into the store crate's
//! [`StoreConfig`] and [`AliasConfig`] (re-exported here, so `crate::store::config::…` paths stay).

use std::path::{Path, PathBuf};

use app::domain::alias::{host_network, IpNet};
use serde::Deserialize;

pub use hepscope_store::config::*;

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
    /// Bytes of packets held for the writer (queued or in its uncommitted batch) before new ones
    /// are dropped (default 256 MiB).
    pub queue_bytes: Option<usize>,
    /// Longest a message search may read before it is stopped with an error, e.g. "30s" (default).
    pub search_timeout: Option<String>,
    /// Largest JSON answer of the SQL query API, bytes (default 64 MiB); longer ones are cut.
    pub sql_max_answer_bytes: Option<usize>,
    /// Most rows a transaction, report or export read returns (default 20000).
    pub transaction_max_rows: Option<usize>,
    /// Most payload bytes one capture import may give once inflated (default 1 GiB).
    pub import_max_bytes: Option<usize>,
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
    if let Some(bytes) = raw.sql_max_answer_bytes {
        if bytes < 1024 {
            return Err(invalid(
                "sql_max_answer_bytes",
                "must be at least 1024".into(),
            ));
        }
        config.sql_max_answer_bytes = bytes;
    }
    if let Some(rows) = raw.transaction_max_rows {
        if rows == 0 {
            return Err(invalid("transaction_max_rows", "must be at least 1".into()));
        }
        config.transaction_max_rows = rows;
    }
    if let Some(bytes) = raw.import_max_bytes {
        if bytes < 1024 {
            return Err(invalid("import_max_bytes", "must be at least 1024".into()));
        }
        config.import_max_bytes = bytes;
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
            Some(hepscope_store::disk::MaxDisk::parse(&text).map_err(|m| invalid("max_disk", m))?);
    }
    if let Some(queue) = raw.queue {
        if queue == 0 {
            return Err(invalid("queue", "must be at least 1".into()));
        }
        config.queue = queue;
    }
    if let Some(bytes) = raw.queue_bytes {
        if bytes < MIN_QUEUE_BYTES {
            return Err(invalid(
                "queue_bytes",
                format!("{bytes} is below the least of {MIN_QUEUE_BYTES} bytes (1 MiB)"),
            ));
        }
        config.queue_bytes = bytes;
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
    // One CIDR type for config and resolution: `ip/prefix` through `ipnet`, a bare address is a host.
    let text = raw.ip.trim();
    let net = if text.contains('/') {
        text.parse::<IpNet>().ok()
    } else {
        text.parse::<std::net::IpAddr>().ok().map(host_network)
    };
    let net = net.ok_or_else(|| {
        invalid(format!(
            "{:?} is not an IP address or ip/prefix (prefix 0 to 32, or to 128 for IPv6)",
            raw.ip
        ))
    })?;
    let (ip, prefix) = (net.addr(), net.prefix_len());
    Ok(AliasConfig {
        ip,
        prefix,
        port: raw.port,
        name: raw.name.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store(text: &str) -> Result<StoreConfig, ConfigError> {
        store_config(toml::from_str(text).unwrap(), Path::new("/data"))
    }

    #[test]
    fn queue_bytes_defaults_to_256_mib_and_is_read() {
        assert_eq!(store("").unwrap().queue_bytes, 256 * 1024 * 1024);
        assert_eq!(
            store("queue_bytes = 8388608").unwrap().queue_bytes,
            8 * 1024 * 1024
        );
    }

    #[test]
    fn read_caps_have_defaults_and_take_overrides() {
        let config = store("").unwrap();
        assert_eq!(config.sql_max_answer_bytes, 64 * 1024 * 1024);
        assert_eq!(config.transaction_max_rows, 20_000);
        assert_eq!(config.import_max_bytes, 1024 * 1024 * 1024);
        let config = store(
            "sql_max_answer_bytes = 2048\ntransaction_max_rows = 7\nimport_max_bytes = 4096\n",
        )
        .unwrap();
        assert_eq!(
            (
                config.sql_max_answer_bytes,
                config.transaction_max_rows,
                config.import_max_bytes
            ),
            (2048, 7, 4096)
        );
    }

    #[test]
    fn queue_bytes_under_a_mib_names_the_key() {
        let err = store("queue_bytes = 1000").unwrap_err();
        assert!(err.to_string().contains("store.queue_bytes"), "{err}");
    }

    #[test]
    fn read_caps_refuse_useless_values() {
        for (text, key) in [
            ("sql_max_answer_bytes = 10\n", "store.sql_max_answer_bytes"),
            ("transaction_max_rows = 0\n", "store.transaction_max_rows"),
            ("import_max_bytes = 0\n", "store.import_max_bytes"),
        ] {
            let err = store(text).unwrap_err().to_string();
            assert!(err.contains(key), "{text}: {err}");
        }
    }
}
