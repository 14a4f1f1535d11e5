//! `[hep]`: where the HEP receiver listens, the optional capture password and the TCP connection limits, as
//! written ([`RawHep`]) and validated ([`HepConfig`]). Environment variables are read by `config.rs`, not here.

use std::net::SocketAddr;

use serde::Deserialize;

use super::tcp::{
    TcpLimits, DEFAULT_MAX_TCP_CONNECTIONS, DEFAULT_MAX_TCP_CONNECTIONS_PER_ADDRESS,
    DEFAULT_TCP_IDLE_TIMEOUT, DEFAULT_TCP_PACKET_TIMEOUT,
};
use crate::duration::parse_duration;
use crate::settings::ConfigError;

/// Default HEP address, UDP and TCP (HEP's registered port 9060).
pub const DEFAULT_HEP_LISTEN: &str = "127.0.0.1:9060";

/// `[hep]` as written. `Debug` hides the capture password.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawHep {
    /// Run the receiver (default true; `--no-hep` turns it off).
    pub enable: Option<bool>,
    /// Address for both UDP and TCP.
    pub listen: Option<String>,
    /// When set, packets whose auth key (chunk 0x0e) differs are dropped and counted.
    pub capture_password: Option<String>,
    /// Most TCP connections open at once (default 256); more are closed on accept.
    pub tcp_max_connections: Option<usize>,
    /// A TCP connection silent this long is closed (default `5m`).
    pub tcp_idle_timeout: Option<String>,
    /// Most TCP connections open at once from one client address, an IPv6 one by its /64
    /// (default 32); more are closed on accept.
    pub tcp_max_connections_per_address: Option<usize>,
    /// A TCP connection that does not complete a packet this long after its first byte is closed
    /// (default `10s`).
    pub tcp_packet_timeout: Option<String>,
    /// Address of a HEP-over-TLS listener (TCP), with `[http]`'s certificate; none by default.
    pub tls_listen: Option<String>,
}

/// `[hep]`, validated. `Debug` hides the capture password.
#[derive(Clone, PartialEq, Eq)]
pub struct HepConfig {
    /// Run the receiver.
    pub enable: bool,
    /// UDP and TCP address.
    pub listen: SocketAddr,
    /// Required auth key, if any.
    pub capture_password: Option<String>,
    /// TCP connection cap and idle timeout.
    pub tcp: TcpLimits,
    /// HEP over TLS (same limits as TCP), if configured.
    pub tls_listen: Option<SocketAddr>,
}

impl HepConfig {
    /// Validates `[hep]`; `listen` (flag or environment) wins over the file, `disabled` (`--no-hep`) over
    /// `enable`.
    ///
    /// # Errors
    /// The address or the idle timeout does not parse, or a limit is 0.
    pub fn from_raw(
        raw: RawHep,
        listen: Option<String>,
        disabled: bool,
    ) -> Result<HepConfig, ConfigError> {
        let text = listen
            .or(raw.listen)
            .unwrap_or_else(|| DEFAULT_HEP_LISTEN.to_string());
        let listen = text.parse().map_err(|e| ConfigError::Invalid {
            what: "hep.listen".into(),
            message: format!("{text:?} is not an address like {DEFAULT_HEP_LISTEN} ({e})"),
        })?;
        let max_connections = raw
            .tcp_max_connections
            .unwrap_or(DEFAULT_MAX_TCP_CONNECTIONS);
        if max_connections == 0 {
            return Err(ConfigError::Invalid {
                what: "hep.tcp_max_connections".into(),
                message: "must be at least 1".into(),
            });
        }
        let max_per_address = raw
            .tcp_max_connections_per_address
            .unwrap_or(DEFAULT_MAX_TCP_CONNECTIONS_PER_ADDRESS);
        if max_per_address == 0 {
            return Err(ConfigError::Invalid {
                what: "hep.tcp_max_connections_per_address".into(),
                message: "must be at least 1".into(),
            });
        }
        let idle_timeout = timeout(
            "hep.tcp_idle_timeout",
            raw.tcp_idle_timeout,
            DEFAULT_TCP_IDLE_TIMEOUT,
        )?;
        let packet_timeout = timeout(
            "hep.tcp_packet_timeout",
            raw.tcp_packet_timeout,
            DEFAULT_TCP_PACKET_TIMEOUT,
        )?;
        let tls_listen = match raw.tls_listen {
            None => None,
            Some(text) => Some(text.parse().map_err(|e| ConfigError::Invalid {
                what: "hep.tls_listen".into(),
                message: format!("{text:?} is not an address like 0.0.0.0:9061 ({e})"),
            })?),
        };
        Ok(HepConfig {
            tls_listen,
            enable: !disabled && raw.enable.unwrap_or(true),
            listen,
            capture_password: raw.capture_password.filter(|p| !p.is_empty()),
            tcp: TcpLimits {
                max_connections,
                max_per_address,
                idle_timeout,
                packet_timeout,
            },
        })
    }

    /// True when the receiver listens beyond this host with no capture password: anyone who can
    /// reach the port can then store packets (and fill the disk). Start-up warns about it.
    pub fn open_to_the_network(&self) -> bool {
        self.enable && !self.listen.ip().is_loopback() && self.capture_password.is_none()
    }
}

/// A non-zero duration setting, `default` when absent.
fn timeout(
    what: &str,
    text: Option<String>,
    default: std::time::Duration,
) -> Result<std::time::Duration, ConfigError> {
    match text {
        None => Ok(default),
        Some(text) => parse_duration(&text)
            .filter(|d| !d.is_zero())
            .ok_or_else(|| ConfigError::Invalid {
                what: what.into(),
                message: format!("{text:?} is not a non-zero duration like 30s or 5m"),
            }),
    }
}

impl std::fmt::Debug for RawHep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawHep")
            .field("enable", &self.enable)
            .field("listen", &self.listen)
            .field(
                "capture_password",
                &format_args!("{}", crate::settings::redacted(&self.capture_password)),
            )
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for HepConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HepConfig")
            .field("enable", &self.enable)
            .field("listen", &self.listen)
            .field(
                "capture_password",
                &format_args!("{}", crate::settings::redacted(&self.capture_password)),
            )
            .field("tcp", &self.tcp)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_listen_on_9060_and_run() {
        let c = HepConfig::from_raw(RawHep::default(), None, false).unwrap();
        assert_eq!(c.listen.to_string(), DEFAULT_HEP_LISTEN);
        assert!(c.enable);
        assert_eq!(c.capture_password, None);
        assert_eq!(c.tcp, TcpLimits::default());
        assert_eq!(c.tcp.max_connections, 256);
        assert_eq!(c.tcp.max_per_address, 32);
        assert_eq!(c.tcp.idle_timeout.as_secs(), 300);
        assert_eq!(c.tcp.packet_timeout.as_secs(), 10);
    }

    #[test]
    fn tcp_limits_are_read_from_the_file() {
        let raw: RawHep = toml::from_str(
            "tcp_max_connections = 8\ntcp_idle_timeout = \"30s\"\n\
             tcp_max_connections_per_address = 4\ntcp_packet_timeout = \"2s\"",
        )
        .unwrap();
        let c = HepConfig::from_raw(raw, None, false).unwrap();
        assert_eq!(c.tcp.max_connections, 8);
        assert_eq!(c.tcp.idle_timeout.as_secs(), 30);
        assert_eq!(c.tcp.max_per_address, 4);
        assert_eq!(c.tcp.packet_timeout.as_secs(), 2);
    }

    #[test]
    fn zero_or_unreadable_tcp_limits_name_the_key() {
        for (text, key) in [
            ("tcp_max_connections = 0", "hep.tcp_max_connections"),
            ("tcp_idle_timeout = \"0s\"", "hep.tcp_idle_timeout"),
            ("tcp_idle_timeout = \"soon\"", "hep.tcp_idle_timeout"),
            (
                "tcp_max_connections_per_address = 0",
                "hep.tcp_max_connections_per_address",
            ),
            ("tcp_packet_timeout = \"0s\"", "hep.tcp_packet_timeout"),
        ] {
            let raw: RawHep = toml::from_str(text).unwrap();
            let err = HepConfig::from_raw(raw, None, false).unwrap_err();
            assert!(err.to_string().contains(key), "{text}: {err}");
        }
    }

    #[test]
    fn override_and_no_hep_win_over_the_file() {
        let raw: RawHep =
            toml::from_str("enable = true\nlisten = \"127.0.0.1:1\"\ncapture_password = \"pw\"")
                .unwrap();
        let c = HepConfig::from_raw(raw, Some("0.0.0.0:2".into()), true).unwrap();
        assert_eq!((c.listen.port(), c.enable), (2, false));
        assert_eq!(c.capture_password.as_deref(), Some("pw"));
    }

    #[test]
    fn only_a_receiver_beyond_loopback_without_a_password_is_open_to_the_network() {
        let hep = |listen: &str, password: Option<&str>, disabled: bool| {
            let raw = RawHep {
                capture_password: password.map(String::from),
                ..RawHep::default()
            };
            HepConfig::from_raw(raw, Some(listen.into()), disabled).unwrap()
        };
        assert!(hep("0.0.0.0:9060", None, false).open_to_the_network());
        assert!(hep("10.1.2.3:9060", None, false).open_to_the_network());
        assert!(hep("[::]:9060", None, false).open_to_the_network());
        assert!(
            hep("10.1.2.3:9060", Some(""), false).open_to_the_network(),
            "empty is none"
        );
        assert!(!hep("0.0.0.0:9060", Some("pw"), false).open_to_the_network());
        assert!(!hep("127.0.0.1:9060", None, false).open_to_the_network());
        assert!(!hep("127.0.0.2:9060", None, false).open_to_the_network());
        assert!(!hep("[::1]:9060", None, false).open_to_the_network());
        assert!(
            !hep("0.0.0.0:9060", None, true).open_to_the_network(),
            "off"
        );
    }

    #[test]
    fn bad_address_names_the_key() {
        let err = HepConfig::from_raw(RawHep::default(), Some("x".into()), false).unwrap_err();
        assert!(err.to_string().contains("hep.listen"), "{err}");
    }
}
