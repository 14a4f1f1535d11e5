//! Lenient serde helpers for HOMER 7 JSON, whose shapes vary by endpoint and version.
//!
//! homer-app sends numbers as strings in places, `node` as a string or an array (a gabs merge
//! collision, `docs/homer7-api.md` §5.3), and `create_date` as epoch ms, epoch µs or RFC 3339 text.
//! Every helper here accepts all of these and maps `null` to the default; none of them panics.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

/// An integer that may arrive as a JSON number (integral float included) or a numeric string.
fn value_to_i64(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64().or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
                // The guard above keeps the float inside i64's exact range.
                .map(|f| f as i64)
        }),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Deserializes an optional integer from a number, a numeric string or `null`.
///
/// Any other shape (an object, a non-numeric string) becomes `None` rather than an error:
/// one odd field must not make a whole search answer unreadable.
pub fn opt_i64<'de, D: Deserializer<'de>>(de: D) -> Result<Option<i64>, D::Error> {
    let value = Option::<Value>::deserialize(de)?;
    Ok(value.as_ref().and_then(value_to_i64))
}

/// Deserializes an integer, defaulting to 0 when absent, `null` or unreadable.
pub fn i64_or_zero<'de, D: Deserializer<'de>>(de: D) -> Result<i64, D::Error> {
    Ok(opt_i64(de)?.unwrap_or(0))
}

/// Deserializes an optional port (0..=65535) from a number or a numeric string.
pub fn opt_u16<'de, D: Deserializer<'de>>(de: D) -> Result<Option<u16>, D::Error> {
    Ok(opt_i64(de)?.and_then(|n| u16::try_from(n).ok()))
}

/// Deserializes a string that may arrive as a number (`captureId`), a bool or `null`.
pub fn string<'de, D: Deserializer<'de>>(de: D) -> Result<String, D::Error> {
    let value = Option::<Value>::deserialize(de)?;
    Ok(match value {
        Some(Value::String(s)) => s,
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::Bool(b)) => b.to_string(),
        _ => String::new(),
    })
}

/// Deserializes an optional string; numbers become text, `null` and other shapes `None`.
pub fn opt_string<'de, D: Deserializer<'de>>(de: D) -> Result<Option<String>, D::Error> {
    let value = Option::<Value>::deserialize(de)?;
    Ok(match value {
        Some(Value::String(s)) => Some(s),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    })
}

/// Deserializes a list of strings sent either as one string or as an array of strings.
///
/// Non-string array items are skipped; `null` gives an empty list.
pub fn string_or_seq<'de, D: Deserializer<'de>>(de: D) -> Result<Vec<String>, D::Error> {
    let value = Option::<Value>::deserialize(de)?;
    Ok(match value {
        Some(Value::String(s)) => vec![s],
        Some(Value::Array(items)) => items
            .into_iter()
            .filter_map(|item| match item {
                Value::String(s) => Some(s),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    })
}

/// Deserializes a bool sent as `true`/`false`, `"true"`/`"false"`, 0/1 or `null` (false).
pub fn bool_or_false<'de, D: Deserializer<'de>>(de: D) -> Result<bool, D::Error> {
    let value = Option::<Value>::deserialize(de)?;
    Ok(match value {
        Some(Value::Bool(b)) => b,
        Some(Value::String(s)) => s.eq_ignore_ascii_case("true") || s == "1",
        Some(Value::Number(n)) => n.as_i64().is_some_and(|n| n != 0),
        _ => false,
    })
}

/// Deserializes a sequence, treating `null` (Go's nil slice) as empty.
pub fn seq_or_empty<'de, D, T>(de: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(de)?.unwrap_or_default())
}

/// Deserializes a sequence leniently: `null`, an object (homer-app's `"data":{}` error shape)
/// or a scalar give an empty list; an array must hold readable items.
pub fn seq_lenient<'de, D, T>(de: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    match Option::<Value>::deserialize(de)? {
        Some(items @ Value::Array(_)) => {
            serde_json::from_value(items).map_err(serde::de::Error::custom)
        }
        _ => Ok(Vec::new()),
    }
}

/// Epoch values above this are microseconds, below are milliseconds (ms of year 5138).
const MICROS_THRESHOLD: i64 = 100_000_000_000_000;

/// A `create_date` as HOMER sends it: an epoch number or RFC 3339 text.
///
/// Search rows carry epoch **ms**; some newer builds send **µs** (told apart by magnitude);
/// QoS and log rows carry the DB timestamp as RFC 3339 text (`docs/homer7-api.md` §6.2, §10).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CreateDate {
    /// Milliseconds since the Unix epoch.
    EpochMs(i64),
    /// Microseconds since the Unix epoch.
    EpochUs(i64),
    /// Parsed RFC 3339 text.
    Text(jiff::Timestamp),
}

impl CreateDate {
    /// The instant in microseconds since the Unix epoch.
    pub fn to_us(self) -> i64 {
        match self {
            CreateDate::EpochMs(ms) => ms.saturating_mul(1000),
            CreateDate::EpochUs(us) => us,
            CreateDate::Text(ts) => ts.as_microsecond(),
        }
    }

    /// The instant in milliseconds since the Unix epoch (floored).
    pub fn to_ms(self) -> i64 {
        self.to_us().div_euclid(1000)
    }

    /// Reads an epoch number by magnitude (µs when very large, ms otherwise).
    pub fn from_epoch(n: i64) -> Self {
        if n.abs() >= MICROS_THRESHOLD {
            CreateDate::EpochUs(n)
        } else {
            CreateDate::EpochMs(n)
        }
    }
}

impl Serialize for CreateDate {
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        match self {
            CreateDate::EpochMs(n) | CreateDate::EpochUs(n) => ser.serialize_i64(*n),
            CreateDate::Text(ts) => ser.collect_str(ts),
        }
    }
}

/// Deserializes an optional [`CreateDate`]; unreadable values become `None`.
pub fn opt_create_date<'de, D: Deserializer<'de>>(de: D) -> Result<Option<CreateDate>, D::Error> {
    let value = Option::<Value>::deserialize(de)?;
    Ok(match value {
        Some(Value::String(s)) => match s.trim().parse::<jiff::Timestamp>() {
            Ok(ts) => Some(CreateDate::Text(ts)),
            Err(_) => s.trim().parse::<i64>().ok().map(CreateDate::from_epoch),
        },
        Some(other) => value_to_i64(&other).map(CreateDate::from_epoch),
        None => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Probe {
        #[serde(default, deserialize_with = "opt_i64")]
        n: Option<i64>,
        #[serde(default, deserialize_with = "string_or_seq")]
        node: Vec<String>,
        #[serde(default, deserialize_with = "opt_create_date")]
        at: Option<CreateDate>,
        #[serde(default, deserialize_with = "string")]
        s: String,
    }

    fn probe(json: &str) -> Probe {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn integers_accept_numbers_strings_and_integral_floats() {
        assert_eq!(probe(r#"{"n":5060}"#).n, Some(5060));
        assert_eq!(probe(r#"{"n":"5060"}"#).n, Some(5060));
        assert_eq!(probe(r#"{"n":5060.0}"#).n, Some(5060));
        assert_eq!(probe(r#"{"n":5060.5}"#).n, None);
        assert_eq!(probe(r#"{"n":null}"#).n, None);
        assert_eq!(probe(r#"{"n":"abc"}"#).n, None);
        assert_eq!(probe(r#"{}"#).n, None);
    }

    #[test]
    fn node_accepts_string_or_array() {
        assert_eq!(probe(r#"{"node":"localnode"}"#).node, vec!["localnode"]);
        assert_eq!(
            probe(r#"{"node":["2001","localnode"]}"#).node,
            vec!["2001", "localnode"]
        );
        assert!(probe(r#"{"node":null}"#).node.is_empty());
    }

    #[test]
    fn create_date_reads_ms_us_and_rfc3339() {
        let ms = probe(r#"{"at":1700000123456}"#).at.unwrap();
        assert_eq!(ms.to_us(), 1_700_000_123_456_000);
        let us = probe(r#"{"at":1700000123456789}"#).at.unwrap();
        assert_eq!(us.to_us(), 1_700_000_123_456_789);
        let text = probe(r#"{"at":"2023-11-14T22:15:30.12Z"}"#).at.unwrap();
        assert_eq!(text.to_ms(), 1_700_000_130_120);
        assert_eq!(probe(r#"{"at":"garbage"}"#).at, None);
    }

    #[test]
    fn string_accepts_numbers() {
        assert_eq!(probe(r#"{"s":2001}"#).s, "2001");
        assert_eq!(probe(r#"{"s":"node1"}"#).s, "node1");
    }
}
