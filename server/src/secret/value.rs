//! `Secret`: a password or token that never prints.
//!
//! Debug and Display write `***`; the value is reachable only through [`Secret::expose`], so a
//! stray `{:?}` in a log line or an error message cannot leak it. No `Serialize` on purpose.

use std::fmt;

use serde::{Deserialize, Deserializer};

/// A secret string (a HOMER password or JWT). Prints as `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself, for the one place that must send it (a login body, an
    /// `Authorization` header). Never log what this returns.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Secret)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_debug_and_display_hide_the_value() {
        let secret = Secret::new("hunter2");
        assert_eq!(format!("{secret:?}"), "***");
        assert_eq!(format!("{secret}"), "***");
        assert_eq!(secret.expose(), "hunter2");
    }

    #[test]
    fn secret_deserializes_from_a_json_string() {
        let secret: Secret = serde_json::from_str("\"pw\"").unwrap();
        assert_eq!(secret.expose(), "pw");
    }
}
