//! The live stream's settings: `[ingest.hep_stream]` and `[coordinator.hep_stream]`, with homer-core's keys
//! and defaults (reference `docs/hep-and-live-stream.md` §4.7), as written ([`RawIngest`], [`RawCoordinator`]) and
//! validated ([`LiveConfig`]). Environment variables are read by `config.rs`, not here.

use std::net::SocketAddr;
use std::time::Duration;

use serde::Deserialize;

use crate::secret::Secret;
use crate::settings::ConfigError;

/// Default address of the node endpoint `GET /stream`.
pub const DEFAULT_STREAM_LISTEN: &str = "127.0.0.1:8083";
/// Default of `[ingest.hep_stream] node_max_subscribers`.
pub const DEFAULT_NODE_MAX_SUBSCRIBERS: usize = 8;

/// Default `[ingest.hep_stream] buffer_bytes`: 32 MiB, room for the 10,000 events of the default
/// `buffer_size` at over 3 KiB each (a SIP message is typically 0.5 to 2 KiB).
pub const DEFAULT_BUFFER_BYTES: usize = 32 * 1024 * 1024;
/// The smallest `[ingest.hep_stream] buffer_bytes`.
pub const MIN_BUFFER_BYTES: usize = 1024 * 1024;

/// `[ingest]` as written (only `hep_stream` lives here for now).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawIngest {
    /// `[ingest.hep_stream]`.
    #[serde(default)]
    pub hep_stream: RawIngestStream,
}

/// `[ingest.hep_stream]` as written: the broker on the ingest path and the node endpoint.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawIngestStream {
    /// Publish decoded HEP to the broker and serve the node endpoint (default false).
    pub enable: Option<bool>,
    /// Events kept for history (default 10000; 0 = none).
    pub buffer_size: Option<usize>,
    /// Bytes of events kept for history (default 32 MiB); the oldest go first past it.
    pub buffer_bytes: Option<usize>,
    /// Subscribers at once (default 32).
    pub max_subscribers: Option<usize>,
    /// Queue length per subscriber (default 256).
    pub per_sub_queue_len: Option<usize>,
    /// Events per second per subscriber (default 500; 0 = unlimited).
    pub rate_per_sub_pps: Option<u32>,
    /// Address of the node endpoint `GET /stream`.
    pub listen: Option<String>,
    /// When set, `GET /stream` needs it as `Authorization: Bearer <token>` or `?token=<token>`.
    pub token: Option<Secret>,
    /// Subscribers at once on `GET /stream`, on top of and apart from `max_subscribers` (default 8).
    pub node_max_subscribers: Option<usize>,
}

/// `[coordinator]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCoordinator {
    /// `[coordinator.hep_stream]`.
    #[serde(default)]
    pub hep_stream: RawCoordinatorStream,
}

/// `[coordinator.hep_stream]` as written: `GET /api/v4/stream/hep` and fan-in.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCoordinatorStream {
    /// Serve `GET /api/v4/stream/hep` (default false).
    pub enable: Option<bool>,
    /// Admins who ask get payloads (default false).
    pub allow_payload: Option<bool>,
    /// Connect timeout for upstream nodes, ms (default 2000).
    pub fan_out_timeout_ms: Option<u64>,
    /// Cap on `history=N` (default 200).
    pub history_limit: Option<usize>,
    /// Upstream node stream URLs, e.g. `ws://10.0.0.7:8083/stream`.
    #[serde(default)]
    pub nodes: Vec<String>,
}

/// Sizes and limits of the broker.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BrokerConfig {
    /// Events kept for history replay; 0 = no history.
    pub buffer_size: usize,
    /// Bytes ([`crate::live::StreamEvent::approx_bytes`]) the history may hold: payloads of up to
    /// 64 KiB would otherwise let `buffer_size` events take gigabytes.
    pub buffer_bytes: usize,
    /// Most subscribers at once; one more is refused.
    pub max_subscribers: usize,
    /// Events queued per subscriber before further events are dropped for it.
    pub per_sub_queue_len: usize,
    /// Events per second per subscriber; 0 = unlimited.
    pub rate_per_sub_pps: u32,
}

impl Default for BrokerConfig {
    fn default() -> Self {
        BrokerConfig {
            buffer_size: 10_000,
            buffer_bytes: DEFAULT_BUFFER_BYTES,
            max_subscribers: 32,
            per_sub_queue_len: 256,
            rate_per_sub_pps: 500,
        }
    }
}

/// `[ingest.hep_stream]`, validated.
#[derive(Clone, Debug)]
pub struct IngestStreamConfig {
    /// Publish decoded HEP to the broker and serve `GET /stream` on `listen`. Off by default.
    pub enable: bool,
    /// Address of the node endpoint.
    pub listen: SocketAddr,
    /// Ring and subscriber limits.
    pub broker: BrokerConfig,
    /// The token `GET /stream` requires, if any.
    pub token: Option<Secret>,
    /// Subscribers at once on `GET /stream`; the logged-in users' `max_subscribers` are not shared.
    pub node_max_subscribers: usize,
}

/// `[coordinator.hep_stream]`, validated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CoordinatorStreamConfig {
    /// Serve `GET /api/v4/stream/hep` (503 when off). Off by default.
    pub enable: bool,
    /// Payloads may be sent (to admins who ask).
    pub allow_payload: bool,
    /// Connect timeout for upstream nodes.
    pub fan_out_timeout: Duration,
    /// Cap on `history=N`.
    pub history_limit: usize,
    /// Upstream node stream URLs (`ws://` or `wss://`).
    pub nodes: Vec<String>,
}

impl Default for CoordinatorStreamConfig {
    fn default() -> Self {
        CoordinatorStreamConfig {
            enable: false,
            allow_payload: false,
            fan_out_timeout: Duration::from_millis(2000),
            history_limit: 200,
            nodes: Vec::new(),
        }
    }
}

/// Both halves of the live stream's settings.
#[derive(Clone, Debug)]
pub struct LiveConfig {
    /// `[ingest.hep_stream]`.
    pub ingest: IngestStreamConfig,
    /// `[coordinator.hep_stream]`.
    pub coordinator: CoordinatorStreamConfig,
}

impl LiveConfig {
    /// Validates the two sections; `stream_listen` (flag or environment) wins over the file.
    ///
    /// # Errors
    /// A bad address, a zero subscriber cap or queue length, or a node URL that is not `ws://`/`wss://`.
    pub fn from_raw(
        ingest: RawIngest,
        coordinator: RawCoordinator,
        stream_listen: Option<String>,
    ) -> Result<LiveConfig, ConfigError> {
        let raw = ingest.hep_stream;
        let ingest_enable = raw.enable.unwrap_or(false);
        let listen_text = stream_listen
            .or(raw.listen)
            .unwrap_or_else(|| DEFAULT_STREAM_LISTEN.to_string());
        let listen = listen_text.parse().map_err(|e| {
            invalid(
                "ingest.hep_stream.listen",
                format!("{listen_text:?} is not an address like {DEFAULT_STREAM_LISTEN} ({e})"),
            )
        })?;
        let defaults = BrokerConfig::default();
        let broker = BrokerConfig {
            buffer_size: raw.buffer_size.unwrap_or(defaults.buffer_size),
            buffer_bytes: raw.buffer_bytes.unwrap_or(defaults.buffer_bytes),
            max_subscribers: raw.max_subscribers.unwrap_or(defaults.max_subscribers),
            per_sub_queue_len: raw.per_sub_queue_len.unwrap_or(defaults.per_sub_queue_len),
            rate_per_sub_pps: raw.rate_per_sub_pps.unwrap_or(defaults.rate_per_sub_pps),
        };
        if broker.buffer_bytes < MIN_BUFFER_BYTES {
            return Err(invalid(
                "ingest.hep_stream.buffer_bytes",
                format!(
                    "{} is below the least of {MIN_BUFFER_BYTES} bytes (1 MiB)",
                    broker.buffer_bytes
                ),
            ));
        }
        if broker.max_subscribers == 0 {
            return Err(invalid(
                "ingest.hep_stream.max_subscribers",
                "must be at least 1".into(),
            ));
        }
        let node_max_subscribers = raw
            .node_max_subscribers
            .unwrap_or(DEFAULT_NODE_MAX_SUBSCRIBERS);
        if node_max_subscribers == 0 {
            return Err(invalid(
                "ingest.hep_stream.node_max_subscribers",
                "must be at least 1".into(),
            ));
        }
        let token = raw.token;
        if token.as_ref().is_some_and(|t| t.expose().trim().is_empty()) {
            return Err(invalid(
                "ingest.hep_stream.token",
                "is empty; remove it or set a long random value".into(),
            ));
        }
        if broker.per_sub_queue_len == 0 {
            return Err(invalid(
                "ingest.hep_stream.per_sub_queue_len",
                "must be at least 1".into(),
            ));
        }

        let raw = coordinator.hep_stream;
        let defaults = CoordinatorStreamConfig::default();
        for node in &raw.nodes {
            if !(node.starts_with("ws://") || node.starts_with("wss://")) {
                return Err(invalid(
                    "coordinator.hep_stream.nodes",
                    format!("{node:?} is not a ws:// or wss:// URL like ws://10.0.0.7:8083/stream"),
                ));
            }
        }
        let coordinator = CoordinatorStreamConfig {
            enable: raw.enable.unwrap_or(defaults.enable),
            allow_payload: raw.allow_payload.unwrap_or(defaults.allow_payload),
            fan_out_timeout: raw
                .fan_out_timeout_ms
                .map(Duration::from_millis)
                .unwrap_or(defaults.fan_out_timeout),
            history_limit: raw.history_limit.unwrap_or(defaults.history_limit),
            nodes: raw.nodes,
        };
        Ok(LiveConfig {
            ingest: IngestStreamConfig {
                enable: ingest_enable,
                listen,
                broker,
                token,
                node_max_subscribers,
            },
            coordinator,
        })
    }
}

fn invalid(what: &str, message: String) -> ConfigError {
    ConfigError::Invalid {
        what: what.into(),
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct File {
        #[serde(default)]
        ingest: RawIngest,
        #[serde(default)]
        coordinator: RawCoordinator,
    }

    fn load(text: &str, listen: Option<&str>) -> Result<LiveConfig, ConfigError> {
        let file: File = toml::from_str(text).unwrap();
        LiveConfig::from_raw(file.ingest, file.coordinator, listen.map(String::from))
    }

    #[test]
    fn defaults_mirror_homer_core_and_are_off() {
        let c = load("", None).unwrap();
        assert!(!c.ingest.enable && !c.coordinator.enable && !c.coordinator.allow_payload);
        assert_eq!(c.ingest.broker, BrokerConfig::default());
        assert_eq!(c.ingest.broker.buffer_bytes, 32 * 1024 * 1024);
        assert_eq!(c.ingest.listen.to_string(), DEFAULT_STREAM_LISTEN);
        assert_eq!(c.coordinator.history_limit, 200);
        assert_eq!(c.coordinator.fan_out_timeout, Duration::from_millis(2000));
        assert!(c.ingest.token.is_none());
        assert_eq!(c.ingest.node_max_subscribers, DEFAULT_NODE_MAX_SUBSCRIBERS);
    }

    #[test]
    fn node_token_and_cap_are_read_and_checked() {
        let c = load(
            "[ingest.hep_stream]\ntoken = \"node-token-123\"\nnode_max_subscribers = 3\n",
            None,
        )
        .unwrap();
        assert_eq!(
            c.ingest.token.as_ref().map(Secret::expose),
            Some("node-token-123")
        );
        assert_eq!(c.ingest.node_max_subscribers, 3);
        assert!(!format!("{c:?}").contains("node-token-123"));
        let err = load("[ingest.hep_stream]\nnode_max_subscribers = 0\n", None).unwrap_err();
        assert!(err.to_string().contains("node_max_subscribers"), "{err}");
        let err = load("[ingest.hep_stream]\ntoken = \" \"\n", None).unwrap_err();
        assert!(err.to_string().contains("token"), "{err}");
    }

    #[test]
    fn keys_are_read_from_both_sections() {
        let c = load(
            "[ingest.hep_stream]\nenable = true\nbuffer_size = 0\nmax_subscribers = 4\n\
             buffer_bytes = 2097152\n\
             per_sub_queue_len = 8\nrate_per_sub_pps = 0\nlisten = \"127.0.0.1:9999\"\n\
             [coordinator.hep_stream]\nenable = true\nallow_payload = true\nfan_out_timeout_ms = 50\n\
             history_limit = 20\nnodes = [\"ws://10.0.0.7:8083/stream\"]\n",
            None,
        )
        .unwrap();
        assert!(c.ingest.enable && c.coordinator.enable && c.coordinator.allow_payload);
        assert_eq!(
            c.ingest.broker,
            BrokerConfig {
                buffer_size: 0,
                buffer_bytes: 2 * 1024 * 1024,
                max_subscribers: 4,
                per_sub_queue_len: 8,
                rate_per_sub_pps: 0
            }
        );
        assert_eq!(c.ingest.listen.port(), 9999);
        assert_eq!(c.coordinator.history_limit, 20);
        assert_eq!(c.coordinator.nodes.len(), 1);
    }

    #[test]
    fn listen_override_wins_over_the_file() {
        let c = load(
            "[ingest.hep_stream]\nlisten = \"127.0.0.1:1\"\n",
            Some("127.0.0.1:2"),
        )
        .unwrap();
        assert_eq!(c.ingest.listen.port(), 2);
    }

    #[test]
    fn bad_values_are_refused_with_their_key() {
        let err = load("[ingest.hep_stream]\nbuffer_bytes = 1000\n", None).unwrap_err();
        assert!(err.to_string().contains("buffer_bytes"), "{err}");
        let err = load("[ingest.hep_stream]\nmax_subscribers = 0\n", None).unwrap_err();
        assert!(err.to_string().contains("max_subscribers"), "{err}");
        let err = load("[coordinator.hep_stream]\nnodes = [\"http://x\"]\n", None).unwrap_err();
        assert!(err.to_string().contains("ws://"), "{err}");
        let err = load("", Some("nowhere")).unwrap_err();
        assert!(err.to_string().contains("listen"), "{err}");
    }
}
