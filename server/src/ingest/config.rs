//! `[hep]`: where the HEP receiver listens and the optional capture password, as written ([`RawHep`]) and
//! validated ([`HepConfig`]). Environment variables are read by `config.rs`, not here.

use std::net::SocketAddr;

use serde::Deserialize;

use crate::config::ConfigError;

/// Default HEP address, UDP and TCP (HEP's registered port 9060).
pub const DEFAULT_HEP_LISTEN: &str = "127.0.0.1:9060";

/// `[hep]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawHep {
    /// Run the receiver (default true; `--no-hep` turns it off).
    pub enable: Option<bool>,
    /// Address for both UDP and TCP.
    pub listen: Option<String>,
    /// When set, packets whose auth key (chunk 0x0e) differs are dropped and counted.
    pub capture_password: Option<String>,
}

/// `[hep]`, validated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HepConfig {
    /// Run the receiver.
    pub enable: bool,
    /// UDP and TCP address.
    pub listen: SocketAddr,
    /// Required auth key, if any.
    pub capture_password: Option<String>,
}

impl HepConfig {
    /// Validates `[hep]`; `listen` (flag or environment) wins over the file, `disabled` (`--no-hep`) over
    /// `enable`.
    ///
    /// # Errors
    /// The address does not parse.
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
        Ok(HepConfig {
            enable: !disabled && raw.enable.unwrap_or(true),
            listen,
            capture_password: raw.capture_password.filter(|p| !p.is_empty()),
        })
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
    fn bad_address_names_the_key() {
        let err = HepConfig::from_raw(RawHep::default(), Some("x".into()), false).unwrap_err();
        assert!(err.to_string().contains("hep.listen"), "{err}");
    }
}
