//! Configuration: the TOML file as written ([`RawConfig`]), overridden by flags and environment, validated
//! into [`Config`].
//!
//! This is the only module that reads environment variables (through [`Env`]), so everything else can be
//! tested with plain values.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use app::domain::api::Role;

use crate::duration::parse_duration;
use crate::homer::config::HomerBackendConfig;
use crate::store::config::{alias_config, store_config};
pub use crate::store::config::{AliasConfig, PartitionSpan, RawAlias, RawStore, StoreConfig};
use serde::Deserialize;

/// Default address of the web UI and API.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
/// Default config file, read when present and no `--config` is given.
pub const DEFAULT_CONFIG_FILE: &str = "hepscope.toml";

/// Why the configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("{what}: {message}")]
    Invalid { what: String, message: String },
}

/// The config file exactly as written. Unknown keys are an error (`deny_unknown_fields`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    pub listen: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub dist_dir: Option<PathBuf>,
    #[serde(default)]
    pub auth: RawAuth,
    #[serde(default)]
    pub users: Vec<RawUser>,
    /// `[hep]`: the HEP receiver.
    #[serde(default)]
    pub hep: crate::ingest::RawHep,
    /// `[ingest.hep_stream]`: the live broker and node endpoint.
    #[serde(default)]
    pub ingest: crate::live::config::RawIngest,
    /// `[coordinator.hep_stream]`: the session-protected stream and fan-in.
    #[serde(default)]
    pub coordinator: crate::live::config::RawCoordinator,
    /// `[[homer]]`: HOMER 7 backends.
    #[serde(default)]
    pub homer: Vec<HomerBackendConfig>,
    /// dex's config file (default `~/.dex/config.json`).
    pub dex_config: Option<PathBuf>,
    /// Kubernetes namespace for discovering `homer-webapp`.
    pub namespace: Option<String>,
    /// Look for `homer-webapp` in Kubernetes DNS when no Homer is configured. Default: only when running
    /// in a pod (`KUBERNETES_SERVICE_HOST` is set).
    pub discovery: Option<bool>,
    #[serde(default)]
    pub store: RawStore,
    /// `[[alias]]`: names for IP addresses (and ports), served by the embedded HOMER API.
    #[serde(default)]
    pub alias: Vec<RawAlias>,
    /// `[share]`: share links.
    #[serde(default)]
    pub share: crate::share::RawShare,
    /// `[log]`: log output.
    #[serde(default)]
    pub log: RawLog,
    /// `[http]`: the web listener.
    #[serde(default)]
    pub http: RawHttp,
}

/// `[http]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawHttp {
    /// PEM certificate chain: with `tls_key`, hepscope serves HTTPS itself (reloaded on SIGHUP).
    pub tls_cert: Option<PathBuf>,
    /// PEM private key of `tls_cert`.
    pub tls_key: Option<PathBuf>,
}

fn tls_files(raw: &RawHttp) -> Result<Option<crate::tls::TlsFiles>, ConfigError> {
    match (&raw.tls_cert, &raw.tls_key) {
        (None, None) => Ok(None),
        (Some(cert), Some(key)) => Ok(Some(crate::tls::TlsFiles {
            cert: cert.clone(),
            key: key.clone(),
        })),
        _ => Err(ConfigError::Invalid {
            what: "http.tls_cert".into(),
            message: "tls_cert and tls_key go together: set both or neither".into(),
        }),
    }
}

/// `[log]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLog {
    /// `text` (default) or `json` (one JSON object per line, for log pipelines).
    pub format: Option<String>,
}

/// How log lines are written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line (tracing-subscriber's JSON, fields flattened).
    Json,
}

impl LogFormat {
    fn from_raw(raw: RawLog) -> Result<LogFormat, ConfigError> {
        match raw.format.as_deref() {
            None | Some("text") => Ok(LogFormat::Text),
            Some("json") => Ok(LogFormat::Json),
            Some(other) => Err(ConfigError::Invalid {
                what: "log.format".into(),
                message: format!("{other:?} is not \"text\" or \"json\""),
            }),
        }
    }
}

/// `[auth]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAuth {
    /// HS256 secret for session tokens; generated once and kept in the data dir when absent.
    pub jwt_secret: Option<String>,
    /// Session lifetime, e.g. "12h".
    pub session_ttl: Option<String>,
    /// Set the cookie's `Secure` flag (serve over HTTPS, e.g. behind a TLS proxy).
    pub cookie_secure: Option<bool>,
    /// Failed logins allowed per client address and per user name within `lockout_window`.
    pub max_failed_logins: Option<u32>,
    /// Window for counting failed logins, e.g. "1m".
    pub lockout_window: Option<String>,
}

/// `[[users]]` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawUser {
    pub username: String,
    /// An argon2 PHC string, as printed by `hepscope hash-password`.
    pub password_hash: String,
    #[serde(default)]
    pub role: Role,
    /// May create share links without being an admin.
    #[serde(default)]
    pub share: bool,
}

/// Values given on the command line or in the environment; they win over the file.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub listen: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub dist_dir: Option<PathBuf>,
    /// `--hep-listen` / `HEPSCOPE_HEP_LISTEN` (the flag is read by clap with its `env`).
    pub hep_listen: Option<String>,
    /// `--no-hep`: do not run the HEP receiver.
    pub no_hep: bool,
    /// `--stream-listen` / `HEPSCOPE_STREAM_LISTEN`.
    pub stream_listen: Option<String>,
}

/// A source of environment variables: the process environment in `main`, a map in tests.
pub trait Env {
    /// The variable's value, if set and not empty.
    fn var(&self, name: &str) -> Option<String>;
}

/// The real process environment.
pub struct ProcessEnv;

impl Env for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.is_empty())
    }
}

impl Env for BTreeMap<String, String> {
    fn var(&self, name: &str) -> Option<String> {
        self.get(name).filter(|v| !v.is_empty()).cloned()
    }
}

/// A user from the config file.
#[derive(Clone, Debug)]
pub struct ConfiguredUser {
    pub username: String,
    pub password_hash: String,
    pub role: Role,
    /// The `share = true` right.
    pub share: bool,
}

/// Session and login settings.
#[derive(Clone, Debug)]
pub struct AuthConfig {
    pub jwt_secret: Option<String>,
    pub session_ttl: Duration,
    pub cookie_secure: bool,
    pub max_failed_logins: u32,
    pub lockout_window: Duration,
    /// `HEPSCOPE_ADMIN_PASSWORD`: sets the password of the built-in `admin` when no users are configured.
    pub admin_password: Option<String>,
}

/// Where HOMER 7 backends come from.
#[derive(Clone, Debug, Default)]
pub struct HomerSettings {
    pub backends: Vec<HomerBackendConfig>,
    pub dex_config: Option<PathBuf>,
    pub namespace: Option<String>,
    pub discovery: bool,
}

/// The validated configuration.
#[derive(Clone, Debug)]
pub struct Config {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    /// Trunk's output (index.html and the hashed assets) to serve instead of the front end embedded
    /// in the binary; `None` serves the embedded one.
    pub dist_dir: Option<PathBuf>,
    pub auth: AuthConfig,
    pub users: Vec<ConfiguredUser>,
    pub homer: HomerSettings,
    /// The embedded store.
    pub store: StoreConfig,
    /// Address aliases.
    pub aliases: Vec<AliasConfig>,
    /// The HEP receiver.
    pub hep: crate::ingest::HepConfig,
    /// The live stream.
    pub live: crate::live::LiveConfig,
    /// Share links.
    pub share: crate::share::ShareConfig,
    /// `[log] format`.
    pub log_format: LogFormat,
    /// `[http] tls_cert` / `tls_key`: serve HTTPS (and HEP over TLS when `[hep] tls_listen` is set).
    pub tls: Option<crate::tls::TlsFiles>,
    /// The file the config came from, if any (for messages).
    pub source: Option<PathBuf>,
}

impl Config {
    /// Loads the config: `path` if given (it must exist), else `hepscope.toml` in the working directory if
    /// present, else defaults; then applies `overrides` and the environment.
    ///
    /// # Errors
    /// A missing or unreadable explicit file, a TOML error, an unknown key (named with the file), or an
    /// invalid value.
    pub fn load(
        path: Option<&Path>,
        overrides: &Overrides,
        env: &dyn Env,
    ) -> Result<Config, ConfigError> {
        let (raw, source) = match path {
            Some(p) => (read_file(p)?, Some(p.to_path_buf())),
            None => {
                let p = Path::new(DEFAULT_CONFIG_FILE);
                if p.exists() {
                    (read_file(p)?, Some(p.to_path_buf()))
                } else {
                    (RawConfig::default(), None)
                }
            }
        };
        Self::from_raw(raw, source, overrides, env)
    }

    /// Validates a parsed file together with overrides and environment.
    ///
    /// # Errors
    /// An invalid address, duration or user entry.
    pub fn from_raw(
        raw: RawConfig,
        source: Option<PathBuf>,
        overrides: &Overrides,
        env: &dyn Env,
    ) -> Result<Config, ConfigError> {
        let listen_text = overrides
            .listen
            .clone()
            .or_else(|| env.var("HEPSCOPE_LISTEN"))
            .or(raw.listen)
            .unwrap_or_else(|| DEFAULT_LISTEN.to_string());
        let listen = listen_text.parse().map_err(|e| ConfigError::Invalid {
            what: "listen".into(),
            message: format!("{listen_text:?} is not an address like 127.0.0.1:8080 ({e})"),
        })?;
        let data_dir = overrides
            .data_dir
            .clone()
            .or_else(|| env.var("HEPSCOPE_DATA_DIR").map(PathBuf::from))
            .or(raw.data_dir)
            .unwrap_or_else(|| PathBuf::from("./data"));
        let dist_dir = overrides
            .dist_dir
            .clone()
            .or_else(|| env.var("HEPSCOPE_DIST_DIR").map(PathBuf::from))
            .or(raw.dist_dir);

        let tls = tls_files(&raw.http)?;
        let auth = AuthConfig {
            jwt_secret: raw.auth.jwt_secret,
            session_ttl: duration_setting("auth.session_ttl", raw.auth.session_ttl, "12h")?,
            // Over HTTPS served by hepscope itself the cookie is Secure unless the file says otherwise.
            cookie_secure: raw.auth.cookie_secure.unwrap_or(tls.is_some()),
            max_failed_logins: raw.auth.max_failed_logins.unwrap_or(5),
            lockout_window: duration_setting("auth.lockout_window", raw.auth.lockout_window, "1m")?,
            admin_password: env.var("HEPSCOPE_ADMIN_PASSWORD"),
        };
        if auth.max_failed_logins == 0 {
            return Err(ConfigError::Invalid {
                what: "auth.max_failed_logins".into(),
                message: "must be at least 1".into(),
            });
        }

        let mut users = Vec::with_capacity(raw.users.len());
        for user in raw.users {
            if user.username.trim().is_empty() {
                return Err(ConfigError::Invalid {
                    what: "users".into(),
                    message: "a user has an empty username".into(),
                });
            }
            if !user.password_hash.starts_with("$argon2") {
                return Err(ConfigError::Invalid {
                    what: format!("users.{}", user.username),
                    message: "password_hash must be an argon2 hash from `hepscope hash-password`"
                        .into(),
                });
            }
            if users
                .iter()
                .any(|u: &ConfiguredUser| u.username == user.username)
            {
                return Err(ConfigError::Invalid {
                    what: format!("users.{}", user.username),
                    message: "the user is listed twice".into(),
                });
            }
            users.push(ConfiguredUser {
                username: user.username,
                password_hash: user.password_hash,
                role: user.role,
                share: user.share,
            });
        }

        let homer = HomerSettings {
            backends: raw.homer,
            dex_config: raw.dex_config,
            namespace: raw.namespace,
            discovery: raw
                .discovery
                .unwrap_or_else(|| env.var("KUBERNETES_SERVICE_HOST").is_some()),
        };
        let store = store_config(raw.store, &data_dir)?;
        let aliases = raw
            .alias
            .into_iter()
            .map(alias_config)
            .collect::<Result<Vec<_>, _>>()?;
        let hep = crate::ingest::HepConfig::from_raw(
            raw.hep,
            overrides
                .hep_listen
                .clone()
                .or_else(|| env.var("HEPSCOPE_HEP_LISTEN")),
            overrides.no_hep,
        )?;
        let live = crate::live::LiveConfig::from_raw(
            raw.ingest,
            raw.coordinator,
            overrides
                .stream_listen
                .clone()
                .or_else(|| env.var("HEPSCOPE_STREAM_LISTEN")),
        )?;
        let share = crate::share::ShareConfig::from_raw(raw.share)?;
        let log_format = LogFormat::from_raw(raw.log)?;
        if let (Some(addr), None) = (hep.tls_listen, &tls) {
            return Err(ConfigError::Invalid {
                what: "hep.tls_listen".into(),
                message: format!(
                    "HEP over TLS on {addr} needs the certificate of [http] tls_cert and tls_key"
                ),
            });
        }

        Ok(Config {
            listen,
            data_dir,
            dist_dir,
            auth,
            users,
            homer,
            store,
            aliases,
            hep,
            live,
            share,
            log_format,
            tls,
            source,
        })
    }
}

fn read_file(path: &Path) -> Result<RawConfig, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    toml::from_str(&text).map_err(|e| ConfigError::Parse {
        path: path.to_path_buf(),
        message: e.to_string().trim().replace('\n', " "),
    })
}

pub(crate) fn duration_setting(
    what: &str,
    value: Option<String>,
    default: &str,
) -> Result<Duration, ConfigError> {
    let text = value.unwrap_or_else(|| default.to_string());
    parse_duration(&text).ok_or_else(|| ConfigError::Invalid {
        what: what.into(),
        message: format!("{text:?} is not a duration like 30s, 5m, 12h or 7d"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_apply_without_a_file() {
        let config =
            Config::from_raw(RawConfig::default(), None, &Overrides::default(), &env(&[])).unwrap();
        assert_eq!(config.listen.to_string(), DEFAULT_LISTEN);
        assert_eq!(config.data_dir, PathBuf::from("./data"));
        assert_eq!(config.auth.session_ttl, Duration::from_secs(12 * 3600));
    }

    #[test]
    fn flags_beat_env_and_env_beats_file() {
        let raw: RawConfig = toml::from_str("listen = \"127.0.0.1:1000\"").unwrap();
        let e = env(&[("HEPSCOPE_LISTEN", "127.0.0.1:2000")]);
        let config = Config::from_raw(raw, None, &Overrides::default(), &e).unwrap();
        assert_eq!(config.listen.port(), 2000);
        let raw: RawConfig = toml::from_str("listen = \"127.0.0.1:1000\"").unwrap();
        let flags = Overrides {
            listen: Some("127.0.0.1:3000".into()),
            ..Overrides::default()
        };
        let config = Config::from_raw(raw, None, &flags, &e).unwrap();
        assert_eq!(config.listen.port(), 3000);
    }

    #[test]
    fn unknown_key_is_an_error_naming_key_and_file() {
        let dir = std::env::temp_dir().join(format!("hepscope-cfg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("bad.toml");
        std::fs::write(&path, "listen = \"127.0.0.1:1\"\nlisten_port = 3\n").unwrap();
        let err = Config::load(Some(&path), &Overrides::default(), &env(&[])).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("listen_port"), "{text}");
        assert!(text.contains("bad.toml"), "{text}");
    }

    #[test]
    fn bad_password_hash_is_refused() {
        let raw: RawConfig =
            toml::from_str("[[users]]\nusername = \"bob\"\npassword_hash = \"plain\"\n").unwrap();
        let err = Config::from_raw(raw, None, &Overrides::default(), &env(&[])).unwrap_err();
        assert!(err.to_string().contains("users.bob"));
    }

    #[test]
    fn store_section_defaults_and_overrides() {
        let config =
            Config::from_raw(RawConfig::default(), None, &Overrides::default(), &env(&[])).unwrap();
        assert!(config.store.enabled);
        assert_eq!(config.store.retention, Duration::from_secs(7 * 86_400));
        assert_eq!(config.store.partition, PartitionSpan::Day);
        assert_eq!(config.store.search_timeout, Duration::from_secs(30));
        assert_eq!(config.store.max_disk, None, "no disk limit by default");
        assert_eq!(
            config.store.path,
            PathBuf::from("./data/store/hepscope.sqlite")
        );
        let raw: RawConfig = toml::from_str(
            "[store]\nretention = \"2h\"\npartition = \"hour\"\ncorrelation_headers = [\"X-Acme\"]\n\
             search_timeout = \"5s\"\nmax_disk = \"80%\"\n\
             [[alias]]\nip = \"10.0.0.0/24\"\nname = \"core\"\n",
        )
        .unwrap();
        let config = Config::from_raw(raw, None, &Overrides::default(), &env(&[])).unwrap();
        assert_eq!(config.store.partition, PartitionSpan::Hour);
        assert_eq!(config.store.correlation_headers, vec!["X-Acme"]);
        assert_eq!(config.store.search_timeout, Duration::from_secs(5));
        assert_eq!(
            config.store.max_disk,
            Some(crate::store::disk::MaxDisk::Percent(80))
        );
        assert_eq!(config.aliases[0].prefix, 24);
        assert_eq!(config.aliases[0].port, 0);
    }

    #[test]
    fn store_section_rejects_bad_values() {
        for text in [
            "[store]\npartition = \"week\"\n",
            "[store]\nretention = \"soon\"\n",
            "[store]\nbatch_size = 0\n",
            "[store]\nsearch_timeout = \"0s\"\n",
            "[store]\nmax_disk = \"lots\"\n",
            "[store]\nmax_disk = \"0%\"\n",
            "[[alias]]\nip = \"nonsense\"\nname = \"x\"\n",
            "[[alias]]\nip = \"10.0.0.1/40\"\nname = \"x\"\n",
        ] {
            let raw: RawConfig = toml::from_str(text).unwrap();
            assert!(
                Config::from_raw(raw, None, &Overrides::default(), &env(&[])).is_err(),
                "{text}"
            );
        }
        assert!(toml::from_str::<RawConfig>("[store]\nsize = 1\n").is_err());
    }

    #[test]
    fn log_format_defaults_to_text_and_refuses_others() {
        let config =
            Config::from_raw(RawConfig::default(), None, &Overrides::default(), &env(&[])).unwrap();
        assert_eq!(config.log_format, LogFormat::Text);
        assert_eq!(
            config.dist_dir, None,
            "the embedded front end is the default"
        );
        let raw: RawConfig = toml::from_str("[log]\nformat = \"json\"\n").unwrap();
        let config = Config::from_raw(raw, None, &Overrides::default(), &env(&[])).unwrap();
        assert_eq!(config.log_format, LogFormat::Json);
        let raw: RawConfig = toml::from_str("[log]\nformat = \"xml\"\n").unwrap();
        let err = Config::from_raw(raw, None, &Overrides::default(), &env(&[])).unwrap_err();
        assert!(err.to_string().contains("log.format"), "{err}");
    }

    #[test]
    fn tls_needs_cert_and_key_and_makes_the_cookie_secure() {
        let config =
            Config::from_raw(RawConfig::default(), None, &Overrides::default(), &env(&[])).unwrap();
        assert!(config.tls.is_none());
        assert!(!config.auth.cookie_secure);
        let raw: RawConfig =
            toml::from_str("[http]\ntls_cert = \"c.pem\"\ntls_key = \"k.pem\"\n").unwrap();
        let config = Config::from_raw(raw, None, &Overrides::default(), &env(&[])).unwrap();
        assert_eq!(config.tls.unwrap().cert, PathBuf::from("c.pem"));
        assert!(config.auth.cookie_secure);
        let raw: RawConfig = toml::from_str(
            "[http]\ntls_cert = \"c.pem\"\ntls_key = \"k.pem\"\n[auth]\ncookie_secure = false\n",
        )
        .unwrap();
        let config = Config::from_raw(raw, None, &Overrides::default(), &env(&[])).unwrap();
        assert!(!config.auth.cookie_secure, "the file may still turn it off");
        for text in [
            "[http]\ntls_cert = \"c.pem\"\n",
            "[http]\ntls_key = \"k.pem\"\n",
            "[hep]\ntls_listen = \"127.0.0.1:9061\"\n",
            "[hep]\ntls_listen = \"nowhere\"\n[http]\ntls_cert = \"c\"\ntls_key = \"k\"\n",
        ] {
            let raw: RawConfig = toml::from_str(text).unwrap();
            assert!(
                Config::from_raw(raw, None, &Overrides::default(), &env(&[])).is_err(),
                "{text}"
            );
        }
    }

    #[test]
    fn bad_listen_address_is_explained() {
        let e = env(&[("HEPSCOPE_LISTEN", "localhost")]);
        let err =
            Config::from_raw(RawConfig::default(), None, &Overrides::default(), &e).unwrap_err();
        assert!(err.to_string().contains("listen"));
    }
}
