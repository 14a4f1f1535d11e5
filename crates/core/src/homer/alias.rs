//! `GET /api/v3/alias`: IP aliases (`docs/homer7-api.md` §8.1).
//!
//! Search answers' `aliasSrc`/`aliasDst` are wrong for IPv4, so clients resolve aliases from this
//! list. Matching (longest prefix, then exact port, then port 0) is [`crate::alias::resolve`].

use serde::{Deserialize, Serialize};

use super::lenient;

/// One alias row.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Alias {
    /// Row id.
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub id: Option<i64>,
    /// Row guid.
    #[serde(deserialize_with = "lenient::string")]
    pub guid: String,
    /// Display name, e.g. `SBC-1`.
    #[serde(deserialize_with = "lenient::string")]
    pub alias: String,
    /// Network address (with `mask`).
    #[serde(deserialize_with = "lenient::string")]
    pub ip: String,
    /// Port; 0 means any port.
    #[serde(deserialize_with = "lenient::i64_or_zero")]
    pub port: i64,
    /// CIDR prefix length; `None` when absent (a host route). `Some(0)` is a real `/0`: every address
    /// of the family, as the embedded store's `[[alias]] ip = "0.0.0.0/0"` means it.
    #[serde(
        deserialize_with = "lenient::opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub mask: Option<i64>,
    /// Capture id (a string; `"0"` for any).
    #[serde(rename = "captureID", deserialize_with = "lenient::string")]
    pub capture_id: String,
    /// Inactive aliases are listed but must not be used.
    #[serde(deserialize_with = "lenient::bool_or_false")]
    pub status: bool,
}

/// The answer of `GET /api/v3/alias` (201).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AliasList {
    /// Aliases, sorted by guid.
    #[serde(deserialize_with = "lenient::seq_lenient")]
    pub data: Vec<Alias>,
}

impl AliasList {
    /// The aliases that may be used for resolution (`status == true`).
    pub fn active(&self) -> impl Iterator<Item = &Alias> {
        self.data.iter().filter(|a| a.status)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alias_list_reads_documented_shape_and_string_numbers() {
        let list: AliasList = serde_json::from_str(
            r#"{"data":[
              {"id":1,"guid":"9b0b","alias":"SBC-1","ip":"10.0.0.5","port":5060,"mask":32,"captureID":"0","status":true},
              {"id":2,"guid":"9b0c","alias":"old","ip":"10.0.1.0","port":"0","mask":"24","captureID":0,"status":false}
            ]}"#,
        )
        .unwrap();
        assert_eq!(list.data.len(), 2);
        assert_eq!(list.data[1].mask, Some(24));
        assert_eq!(list.data[1].capture_id, "0");
        assert_eq!(list.active().count(), 1);
    }
}
