//! `[audit]`: how long records are kept, and where else they go (syslog, a JSONL file).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use crate::duration::parse_duration;
use crate::settings::ConfigError;

/// Default `[audit] retention`.
pub const DEFAULT_RETENTION: Duration = Duration::from_secs(365 * 86_400);

/// `[audit]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAudit {
    /// How long records are kept, e.g. "365d" (the default).
    pub retention: Option<String>,
    /// `udp://host:port`: every record also goes there as an RFC 5424 syslog message.
    pub syslog: Option<String>,
    /// Every record is also appended to this file as one JSON line.
    pub jsonl: Option<PathBuf>,
}

/// Validated `[audit]` settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditConfig {
    pub retention: Duration,
    /// The syslog receiver, resolved once at start.
    pub syslog: Option<SocketAddr>,
    pub jsonl: Option<PathBuf>,
}

impl Default for AuditConfig {
    fn default() -> Self {
        AuditConfig {
            retention: DEFAULT_RETENTION,
            syslog: None,
            jsonl: None,
        }
    }
}

impl AuditConfig {
    /// Validates `[audit]`.
    ///
    /// # Errors
    /// A retention that is not a duration of at least a second, or a syslog address that is not
    /// `udp://host:port` or does not resolve.
    pub fn from_raw(raw: RawAudit) -> Result<AuditConfig, ConfigError> {
        let retention = match raw.retention {
            None => DEFAULT_RETENTION,
            Some(text) => parse_duration(&text)
                .filter(|d| d.as_secs() >= 1)
                .ok_or_else(|| ConfigError::Invalid {
                    what: "audit.retention".into(),
                    message: format!("{text:?} is not a duration of at least 1s, like 365d"),
                })?,
        };
        let syslog = raw.syslog.map(|url| syslog_addr(&url)).transpose()?;
        Ok(AuditConfig {
            retention,
            syslog,
            jsonl: raw.jsonl,
        })
    }
}

fn syslog_addr(url: &str) -> Result<SocketAddr, ConfigError> {
    use std::net::ToSocketAddrs;
    let invalid = |message: String| ConfigError::Invalid {
        what: "audit.syslog".into(),
        message,
    };
    let host_port = url
        .strip_prefix("udp://")
        .ok_or_else(|| invalid(format!("{url:?}: only udp://host:port is supported")))?;
    host_port
        .to_socket_addrs()
        .map_err(|e| invalid(format!("{url:?}: {e}")))?
        .next()
        .ok_or_else(|| invalid(format!("{url:?} resolves to no address")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_validation() {
        let config = AuditConfig::from_raw(RawAudit::default()).unwrap();
        assert_eq!(config, AuditConfig::default());
        let raw: RawAudit =
            toml::from_str("retention = \"30d\"\nsyslog = \"udp://127.0.0.1:514\"\n").unwrap();
        let config = AuditConfig::from_raw(raw).unwrap();
        assert_eq!(config.retention, Duration::from_secs(30 * 86_400));
        assert_eq!(config.syslog, Some("127.0.0.1:514".parse().unwrap()));
        let raw: RawAudit = toml::from_str("syslog = \"tcp://h:514\"\n").unwrap();
        let err = AuditConfig::from_raw(raw).unwrap_err().to_string();
        assert!(
            err.contains("audit.syslog") && err.contains("udp://"),
            "{err}"
        );
        let raw: RawAudit = toml::from_str("retention = \"soon\"\n").unwrap();
        let err = AuditConfig::from_raw(raw).unwrap_err().to_string();
        assert!(err.contains("audit.retention"), "{err}");
    }
}
