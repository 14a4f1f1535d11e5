//! User settings of the QoS computation and their URL form (`qos_clock`, `qos_latency`), so a
//! shared link reproduces the same numbers. Pure: no I/O, no browser.

use serde::{Deserialize, Serialize};

/// URL key of [`QosSettings::clock_override`].
pub const CLOCK_KEY: &str = "qos_clock";
/// URL key of [`QosSettings::latency_ms`].
pub const LATENCY_KEY: &str = "qos_latency";
/// Assumed one-way network latency when no RTT can be measured, in ms.
pub const DEFAULT_LATENCY_MS: f64 = 20.0;
/// Largest accepted RTP clock rate, in Hz.
pub const MAX_CLOCK_RATE: u32 = 384_000;
/// Largest accepted assumed latency, in ms.
pub const MAX_LATENCY_MS: f64 = 10_000.0;

/// Errors reading the settings from the URL. Messages quote the input and suggest a fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    /// `qos_clock` is not a positive integer in range.
    #[error("qos_clock \"{input}\" is not a clock rate; use a rate in Hz such as 8000 or 48000")]
    InvalidClock {
        /// The text found in the URL.
        input: String,
    },
    /// `qos_latency` is not a non-negative number in range.
    #[error(
        "qos_latency \"{input}\" is not a latency; use milliseconds from 0 to 10000, such as 20"
    )]
    InvalidLatency {
        /// The text found in the URL.
        input: String,
    },
}

/// How streams are scored.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct QosSettings {
    /// RTP clock rate in Hz that replaces the SDP's for jitter conversion; `None` = use the SDP.
    #[serde(rename = "qos_clock", skip_serializing_if = "Option::is_none")]
    pub clock_override: Option<u32>,
    /// Assumed one-way network latency in ms, used when no RTT is measured (≥ 0).
    #[serde(rename = "qos_latency")]
    pub latency_ms: f64,
}

impl Default for QosSettings {
    fn default() -> Self {
        Self {
            clock_override: None,
            latency_ms: DEFAULT_LATENCY_MS,
        }
    }
}

impl QosSettings {
    /// Reads the settings from URL query values; absent keys keep their defaults.
    ///
    /// # Errors
    ///
    /// [`SettingsError`] when a present value is malformed or out of range.
    pub fn from_lookup<'a>(
        lookup: impl Fn(&str) -> Option<&'a str>,
    ) -> Result<Self, SettingsError> {
        let mut settings = Self::default();
        if let Some(text) = lookup(CLOCK_KEY) {
            let clock = text
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|c| (1..=MAX_CLOCK_RATE).contains(c))
                .ok_or_else(|| SettingsError::InvalidClock {
                    input: text.to_owned(),
                })?;
            settings.clock_override = Some(clock);
        }
        if let Some(text) = lookup(LATENCY_KEY) {
            let latency = text
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|l| (0.0..=MAX_LATENCY_MS).contains(l))
                .ok_or_else(|| SettingsError::InvalidLatency {
                    input: text.to_owned(),
                })?;
            settings.latency_ms = latency;
        }
        Ok(settings)
    }

    /// The URL query pairs for these settings, leaving out values equal to the defaults so
    /// links stay short.
    pub fn to_query_pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = Vec::new();
        if let Some(clock) = self.clock_override {
            pairs.push((CLOCK_KEY, clock.to_string()));
        }
        if self.latency_ms != DEFAULT_LATENCY_MS {
            pairs.push((LATENCY_KEY, self.latency_ms.to_string()));
        }
        pairs
    }

    /// The assumed latency, read as 0 when it is not a finite non-negative number.
    pub(crate) fn latency_or_zero(&self) -> f64 {
        if self.latency_ms.is_finite() && self.latency_ms > 0.0 {
            self.latency_ms
        } else {
            0.0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn read(pairs: &[(&str, &str)]) -> Result<QosSettings, SettingsError> {
        let map: HashMap<&str, &str> = pairs.iter().copied().collect();
        QosSettings::from_lookup(|key| map.get(key).copied())
    }

    #[test]
    fn settings_default_without_keys() {
        assert_eq!(read(&[]).unwrap(), QosSettings::default());
        assert_eq!(QosSettings::default().latency_ms, 20.0);
        assert!(QosSettings::default().to_query_pairs().is_empty());
    }

    #[test]
    fn settings_round_trip_through_query_pairs() {
        let settings = QosSettings {
            clock_override: Some(48000),
            latency_ms: 35.5,
        };
        let pairs = settings.to_query_pairs();
        let borrowed: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        assert_eq!(read(&borrowed).unwrap(), settings);
    }

    #[test]
    fn settings_reject_bad_values_quoting_input() {
        let error = read(&[("qos_clock", "fast")]).unwrap_err();
        assert_eq!(
            error,
            SettingsError::InvalidClock {
                input: "fast".into()
            }
        );
        assert!(error.to_string().contains("\"fast\""));
        assert!(read(&[("qos_clock", "0")]).is_err());
        assert!(read(&[("qos_latency", "-1")]).is_err());
        assert!(read(&[("qos_latency", "NaN")]).is_err());
    }

    #[test]
    fn settings_serde_uses_url_keys() {
        let settings = QosSettings {
            clock_override: Some(16000),
            latency_ms: 20.0,
        };
        let json = serde_json::to_string(&settings).unwrap();
        assert_eq!(json, r#"{"qos_clock":16000,"qos_latency":20.0}"#);
        let back: QosSettings = serde_json::from_str(r#"{"qos_clock":16000}"#).unwrap();
        assert_eq!(back, settings);
    }
}
