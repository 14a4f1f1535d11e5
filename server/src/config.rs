//! Configuration: the TOML file as written ([`RawConfig`]), overridden by flags and environment, validated
//! into [`Config`].
//!
//! This is the only module that reads environment variables (through [`Env`]), so everything else can be
//! tested with plain values.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use app::domain::api::Role;

use crate::auth_config::fmt_user;
pub use crate::auth_config::{AuthConfig, ConfiguredUser};
use crate::homer::config::HomerBackendConfig;
pub use crate::settings::ConfigError;
pub(crate) use crate::settings::{duration_setting, redacted};
pub use crate::settings::{Env, ProcessEnv};
use crate::store::config::{alias_config, store_config};
pub use crate::store::config::{AliasConfig, PartitionSpan, RawAlias, RawStore, StoreConfig};
pub use crate::telemetry::LogFormat;
use serde::Deserialize;

/// Default address of the web UI and API.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
/// Default config file, read when present and no `--config` is given.
pub const DEFAULT_CONFIG_FILE: &str = "hepscope.toml";

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
    /// `[audit]`: the audit log.
    #[serde(default)]
    pub audit: crate::audit::RawAudit,
    /// `[share]`: share links.
    #[serde(default)]
    pub share: crate::share::RawShare,
    /// `[log]`: log output.
    #[serde(default)]
    pub log: RawLog,
    /// `[http]`: the web listener (behind a reverse proxy, its limits, TLS).
    #[serde(default)]
    pub http: RawHttp,
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

/// `[http]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawHttp {
    /// Reverse proxies (addresses or CIDRs) whose `X-Forwarded-For`/`Forwarded` name the client.
    pub trusted_proxies: Option<Vec<String>>,
    /// The URL browsers use, e.g. "https://hepscope.example.net"; the Origin check compares against it.
    pub public_url: Option<String>,
    /// Time a client has to send a request's headers, e.g. "10s".
    pub header_read_timeout: Option<String>,
    /// Connections served at once (default 1024).
    pub max_connections: Option<usize>,
    /// PEM certificate chain: with `tls_key`, hepscope serves HTTPS itself (reloaded on SIGHUP).
    pub tls_cert: Option<PathBuf>,
    /// PEM private key of `tls_cert`.
    pub tls_key: Option<PathBuf>,
}

/// `[auth]` as written. `Debug` hides the secret.
#[derive(Default, Deserialize)]
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
    /// `[[auth.role_map]]`: directory group → role and rights.
    #[serde(default)]
    pub role_map: Vec<crate::rights::RoleMapEntry>,
    /// `false` turns password logins against hepscope's own users off (company sign-in only).
    pub local: Option<bool>,
    /// `[auth.ldap]`: sign-in against a directory.
    pub ldap: Option<crate::auth::ldap::RawLdap>,
    /// `[auth.oidc]`: sign-in with an OpenID provider.
    pub oidc: Option<crate::auth::oidc::RawOidc>,
}

/// `[[users]]` as written. `Debug` hides the hash.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawUser {
    pub username: String,
    /// An argon2 PHC string, as printed by `hepscope hash-password`.
    pub password_hash: String,
    #[serde(default)]
    pub role: Role,
    /// May create share links without being an admin (the older spelling of the `share` right).
    #[serde(default)]
    pub share: bool,
    /// What the user may do; without it, the role's defaults.
    #[serde(default)]
    pub rights: Option<crate::auth::Rights>,
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

/// Validated `[http]` settings.
#[derive(Clone, Debug, Default)]
pub struct HttpConfig {
    /// Peers whose forwarding headers are believed ([`crate::client_addr`]); none by default.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// The origin browsers use (`scheme://host[:port]`, no path), when set.
    pub public_origin: Option<String>,
    /// Header-read timeout and connection cap of the listener.
    pub limits: crate::http_listener::HttpLimits,
}

/// Shortest accepted `jwt_secret`, in bytes: HS256 is only as strong as its key.
pub const MIN_JWT_SECRET_BYTES: usize = 32;

impl std::fmt::Debug for RawAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawAuth")
            .field(
                "jwt_secret",
                &format_args!("{}", redacted(&self.jwt_secret)),
            )
            .field("session_ttl", &self.session_ttl)
            .field("cookie_secure", &self.cookie_secure)
            .field("max_failed_logins", &self.max_failed_logins)
            .field("lockout_window", &self.lockout_window)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for RawUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        fmt_user(f, "RawUser", (&self.username, &self.role, self.share))
    }
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
    /// `[audit]`.
    pub audit: crate::audit::AuditConfig,
    /// The web listener behind a reverse proxy.
    pub http: HttpConfig,
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
            role_map: crate::auth::RoleMap::new(raw.auth.role_map).map_err(|message| {
                ConfigError::Invalid {
                    what: "auth.role_map".into(),
                    message,
                }
            })?,
            local: raw.auth.local.unwrap_or(true),
            ldap: raw
                .auth
                .ldap
                .map(|ldap| crate::auth::ldap::LdapConfig::from_raw(ldap, env))
                .transpose()?,
            oidc: None,
        };
        let raw_oidc = raw.auth.oidc;
        if let Some(secret) = &auth.jwt_secret {
            if secret.len() < MIN_JWT_SECRET_BYTES {
                return Err(ConfigError::Invalid {
                    what: "auth.jwt_secret".into(),
                    message: format!(
                        "is {} bytes; use at least {MIN_JWT_SECRET_BYTES} random bytes, or leave it out \
                         to have one generated in the data dir",
                        secret.len()
                    ),
                });
            }
        }
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
                rights: user.rights,
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
        let audit = crate::audit::AuditConfig::from_raw(raw.audit)?;
        let http = http_config(raw.http)?;
        let mut auth = auth;
        auth.oidc = raw_oidc
            .map(|oidc| {
                crate::auth::oidc::OidcConfig::from_raw(oidc, http.public_origin.as_deref(), env)
            })
            .transpose()?;
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
            audit,
            http,
            log_format,
            tls,
            source,
        })
    }
}

/// Validates `[http] trusted_proxies` and `public_url`.
fn http_config(raw: RawHttp) -> Result<HttpConfig, ConfigError> {
    let limits = http_limits(raw.header_read_timeout, raw.max_connections)?;
    let mut trusted_proxies = Vec::new();
    for text in raw.trusted_proxies.unwrap_or_default() {
        let net = text
            .parse::<ipnet::IpNet>()
            .or_else(|_| text.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
            .map_err(|_| ConfigError::Invalid {
                what: "http.trusted_proxies".into(),
                message: format!("{text:?} is not an address or CIDR like 10.0.0.0/8"),
            })?;
        trusted_proxies.push(net.trunc());
    }
    let public_origin = raw.public_url.map(|url| public_origin(&url)).transpose()?;
    Ok(HttpConfig {
        trusted_proxies,
        public_origin,
        limits,
    })
}

/// `scheme://host[:port]` of `public_url`, lower-cased; a trailing `/` is allowed, any other path is not
/// (an Origin header never has one).
fn public_origin(url: &str) -> Result<String, ConfigError> {
    let invalid = |why: &str| ConfigError::Invalid {
        what: "http.public_url".into(),
        message: format!("{url:?} {why}; write it like https://hepscope.example.net"),
    };
    let trimmed = url.trim().trim_end_matches('/');
    let (scheme, authority) = trimmed
        .split_once("://")
        .ok_or_else(|| invalid("has no scheme"))?;
    if !matches!(scheme, "http" | "https") {
        return Err(invalid("is not http or https"));
    }
    if authority.is_empty() || authority.contains(['/', '?', '#', '@', ' ']) {
        return Err(invalid("must be scheme://host[:port] without a path"));
    }
    Ok(format!("{scheme}://{authority}").to_ascii_lowercase())
}

fn read_file(path: &Path) -> Result<RawConfig, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    toml::from_str(&text).map_err(|e| ConfigError::Parse {
        path: path.to_path_buf(),
        message: parse_error_message(&text, &e),
    })
}

/// A TOML error as `line L, column C: message`, without the source line toml quotes (it may hold a
/// password) and without the rejected value (`invalid type: string "…"`).
fn parse_error_message(text: &str, error: &toml::de::Error) -> String {
    let message = redact_values(error.message().trim()).replace('\n', " ");
    match error.span() {
        Some(span) => {
            let before = text.get(..span.start).unwrap_or(text);
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
            format!("line {line}, column {column}: {message}")
        }
        None => message,
    }
}

/// serde's `invalid type: string "x", expected …` and `invalid value: …` name the value; keep the kind.
fn redact_values(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(at) = ["invalid type: ", "invalid value: "]
        .iter()
        .filter_map(|p| rest.find(p).map(|i| (i, p.len())))
        .min()
    {
        let (start, prefix) = at;
        let after = start + prefix;
        out.push_str(rest.get(..after).unwrap_or(""));
        let tail = rest.get(after..).unwrap_or("");
        // The value runs to ", expected"; the kind is its first word.
        let end = tail.find(", expected").unwrap_or(tail.len());
        let kind = tail
            .get(..end)
            .unwrap_or("")
            .split([' ', '`', '"'])
            .next()
            .unwrap_or("");
        out.push_str(kind);
        if end > kind.len() {
            out.push_str(" (value hidden)");
        }
        rest = tail.get(end..).unwrap_or("");
    }
    out.push_str(rest);
    out
}

fn http_limits(
    header_read_timeout: Option<String>,
    max_connections: Option<usize>,
) -> Result<crate::http_listener::HttpLimits, ConfigError> {
    use crate::http_listener::DEFAULT_MAX_CONNECTIONS;
    let header_read_timeout =
        duration_setting("http.header_read_timeout", header_read_timeout, "10s")?;
    if header_read_timeout.is_zero() {
        return Err(ConfigError::Invalid {
            what: "http.header_read_timeout".into(),
            message: "must be more than 0s".into(),
        });
    }
    let max_connections = max_connections.unwrap_or(DEFAULT_MAX_CONNECTIONS);
    if max_connections == 0 {
        return Err(ConfigError::Invalid {
            what: "http.max_connections".into(),
            message: "must be at least 1".into(),
        });
    }
    Ok(crate::http_listener::HttpLimits {
        header_read_timeout,
        max_connections,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;
    use std::time::Duration;

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn company_sign_in_settings() {
        let parse = |text: &str| {
            let raw: RawConfig = toml::from_str(text).unwrap();
            Config::from_raw(raw, None, &Overrides::default(), &env(&[]))
        };
        let config = parse("").unwrap();
        assert!(config.auth.local, "local logins are on by default");
        assert!(config.auth.ldap.is_none() && config.auth.oidc.is_none());
        let oidc = "[auth]\nlocal = false\n[auth.oidc]\nissuer = 'https://id.example.org'\nclient_id = 'h'\n";
        let error = parse(oidc).unwrap_err().to_string();
        assert!(error.contains("auth.oidc.redirect_url"), "{error}");
        let config = parse(&format!(
            "{oidc}[http]\npublic_url = 'https://hepscope.example.org'\n"
        ))
        .unwrap();
        assert!(!config.auth.local);
        assert_eq!(
            config.auth.oidc.unwrap().redirect_url,
            "https://hepscope.example.org/api/auth/oidc/callback"
        );
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
    fn session_ttl_reads_the_same_durations_as_homer_timeouts() {
        for (text, secs) in [("1m30s", 90), ("PT1M30S", 90), ("1.5h", 5400), ("90", 90)] {
            let raw: RawConfig =
                toml::from_str(&format!("[auth]\nsession_ttl = {text:?}")).unwrap();
            let config = Config::from_raw(raw, None, &Overrides::default(), &env(&[])).unwrap();
            assert_eq!(config.auth.session_ttl, Duration::from_secs(secs), "{text}");
        }
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
    fn user_rights_role_map_and_audit_are_read_and_unknown_rights_refused() {
        use crate::auth::Right;
        let text = "[auth]\n[[auth.role_map]]\ngroup = \"voip-support\"\nrights = [\"export\"]\n\
                    [[users]]\nusername = \"bob\"\npassword_hash = \"$argon2id$x\"\nrights = [\"raw\"]\n\
                    [audit]\nretention = \"7d\"\n";
        let raw: RawConfig = toml::from_str(text).unwrap();
        let config = Config::from_raw(raw, None, &Overrides::default(), &env(&[])).unwrap();
        let rights = config.users[0].rights.clone().unwrap();
        assert!(rights.has(Right::Raw) && rights.has(Right::Search) && !rights.has(Right::Export));
        let grant = config
            .auth
            .role_map
            .grant(&["voip-support".into()])
            .unwrap();
        assert!(grant.rights.has(Right::Export));
        assert_eq!(config.audit.retention.as_secs(), 7 * 86_400);
        let err = toml::from_str::<RawConfig>(
            "[[users]]\nusername = \"bob\"\npassword_hash = \"$argon2id$x\"\nrights = [\"root\"]\n",
        )
        .unwrap_err();
        assert!(err.to_string().contains("unknown right \"root\""), "{err}");
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

    /// Writes `text` to a fresh file and loads it.
    fn load_text(name: &str, text: &str) -> Result<Config, ConfigError> {
        let dir = std::env::temp_dir().join(format!("hepscope-cfg-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("hepscope.toml");
        std::fs::write(&path, text).unwrap();
        Config::load(Some(&path), &Overrides::default(), &env(&[]))
    }

    #[test]
    fn parse_errors_never_quote_a_secret() {
        let cases = [
            // A mistyped key in the line holding the password.
            (
                "typo",
                "[[homer]]\nname = \"h\"\nurl = \"http://h:9080\"\npasswrd = \"hunter2-typo\"\n",
                "passwrd",
            ),
            // A syntax error in the line holding the secret.
            (
                "syntax",
                "[auth]\njwt_secret = \"hunter2-syntax\" x\n",
                "line 2",
            ),
            // A wrong type: serde names the value.
            (
                "type",
                "[hep]\ncapture_password = [\"hunter2-type\"]\n",
                "line 2, column 20: invalid type: sequence",
            ),
            ("int", "[auth]\njwt_secret = 424242424242\n", "invalid type"),
        ];
        for (name, text, expected) in cases {
            let err = load_text(name, text).unwrap_err().to_string();
            assert!(!err.contains("hunter2"), "{err}");
            assert!(!err.contains("424242"), "{err}");
            assert!(err.contains(expected), "{expected}: {err}");
            assert!(err.contains("line "), "{err}");
        }
    }

    #[test]
    fn debug_output_hides_every_secret() {
        let text = "[auth]\njwt_secret = \"jwt-secret-0123456789-0123456789-x\"\n\
                    [hep]\ncapture_password = \"capture-secret\"\n\
                    [[homer]]\nname = \"h\"\nurl = \"http://h:9080\"\npassword = \"homer-secret\"\n\
                    [[users]]\nusername = \"bob\"\npassword_hash = \"$argon2id$hash-secret\"\n";
        let raw: RawConfig = toml::from_str(text).unwrap();
        let raw_debug = format!("{raw:?}");
        let e = env(&[("HEPSCOPE_ADMIN_PASSWORD", "admin-secret")]);
        let config = Config::from_raw(raw, None, &Overrides::default(), &e).unwrap();
        let debug = format!("{config:?}");
        for secret in [
            "jwt-secret",
            "capture-secret",
            "homer-secret",
            "hash-secret",
            "admin-secret",
        ] {
            assert!(!raw_debug.contains(secret), "{secret} in {raw_debug}");
            assert!(!debug.contains(secret), "{secret} in {debug}");
        }
        assert!(debug.contains("jwt_secret: Some(***)"), "{debug}");
        assert!(debug.contains("capture_password: Some(***)"), "{debug}");
    }

    #[test]
    fn http_limits_default_and_validate() {
        let config =
            Config::from_raw(RawConfig::default(), None, &Overrides::default(), &env(&[])).unwrap();
        assert_eq!(
            config.http.limits.header_read_timeout,
            Duration::from_secs(10)
        );
        assert_eq!(config.http.limits.max_connections, 1024);
        let raw: RawConfig =
            toml::from_str("[http]\nheader_read_timeout = \"3s\"\nmax_connections = 7\n").unwrap();
        let config = Config::from_raw(raw, None, &Overrides::default(), &env(&[])).unwrap();
        assert_eq!(
            config.http.limits.header_read_timeout,
            Duration::from_secs(3)
        );
        assert_eq!(config.http.limits.max_connections, 7);
        for (text, key) in [
            ("[http]\nmax_connections = 0\n", "http.max_connections"),
            (
                "[http]\nheader_read_timeout = \"0s\"\n",
                "http.header_read_timeout",
            ),
            (
                "[http]\nheader_read_timeout = \"soon\"\n",
                "http.header_read_timeout",
            ),
        ] {
            let raw: RawConfig = toml::from_str(text).unwrap();
            let err = Config::from_raw(raw, None, &Overrides::default(), &env(&[])).unwrap_err();
            assert!(err.to_string().contains(key), "{err}");
        }
    }

    #[test]
    fn short_jwt_secret_is_a_start_up_error() {
        let raw: RawConfig = toml::from_str("[auth]\njwt_secret = \"too-short\"\n").unwrap();
        let err = Config::from_raw(raw, None, &Overrides::default(), &env(&[])).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("auth.jwt_secret"), "{text}");
        assert!(text.contains("32"), "{text}");
        assert!(
            !text.contains("too-short"),
            "the secret is not echoed: {text}"
        );
        let raw: RawConfig =
            toml::from_str(&format!("[auth]\njwt_secret = \"{}\"\n", "k".repeat(32))).unwrap();
        assert!(Config::from_raw(raw, None, &Overrides::default(), &env(&[])).is_ok());
    }

    #[test]
    fn http_section_defaults_to_no_trusted_proxy_and_no_public_url() {
        let config =
            Config::from_raw(RawConfig::default(), None, &Overrides::default(), &env(&[])).unwrap();
        assert!(config.http.trusted_proxies.is_empty());
        assert!(config.http.public_origin.is_none());
        let raw: RawConfig = toml::from_str(
            "[http]\ntrusted_proxies = [\"10.0.0.0/8\", \"127.0.0.1\", \"::1\"]\n\
             public_url = \"https://HepScope.example.net/\"\n",
        )
        .unwrap();
        let config = Config::from_raw(raw, None, &Overrides::default(), &env(&[])).unwrap();
        let nets: Vec<String> = config
            .http
            .trusted_proxies
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(nets, ["10.0.0.0/8", "127.0.0.1/32", "::1/128"]);
        assert_eq!(
            config.http.public_origin.as_deref(),
            Some("https://hepscope.example.net")
        );
    }

    #[test]
    fn http_section_rejects_bad_values() {
        for text in [
            "[http]\ntrusted_proxies = [\"10.0.0.0/40\"]\n",
            "[http]\ntrusted_proxies = [\"proxy.local\"]\n",
            "[http]\npublic_url = \"hepscope.example.net\"\n",
            "[http]\npublic_url = \"ftp://hepscope.example.net\"\n",
            "[http]\npublic_url = \"https://hepscope.example.net/app\"\n",
        ] {
            let raw: RawConfig = toml::from_str(text).unwrap();
            let err = Config::from_raw(raw, None, &Overrides::default(), &env(&[])).unwrap_err();
            assert!(err.to_string().contains("http."), "{text}: {err}");
        }
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
