//! Correlation keys that are not plain header values: the ICID of `P-Charging-Vector`
//! (RFC 7315 §4.6), the UUID pair of RFC 7989 `Session-ID`, and the `_b2b-N` Call-ID suffix
//! family (Kamailio/sipwise B2BUAs). Each is a [`CorrelationRule`] the analysis can switch on or
//! off. Pure: no I/O.

use serde::{Deserialize, Serialize};

use super::candidate::LegCandidate;
use super::correlate::strip_b2b_suffix;

/// A correlation rule beyond the configured headers. The serde name is the URL value
/// (`?rule=icid&rule=session_id`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CorrelationRule {
    /// Legs share the `icid-value` of `P-Charging-Vector` (IMS charging correlation).
    Icid,
    /// Legs share a non-null UUID of RFC 7989 `Session-ID` (either side of the pair).
    SessionId,
    /// The Call-IDs differ only by a `_b2b-N` suffix (`abc` and `abc_b2b-1`).
    B2bSuffix,
}

impl CorrelationRule {
    /// Every rule, in display order; also the default selection.
    pub const ALL: [CorrelationRule; 3] = [Self::Icid, Self::SessionId, Self::B2bSuffix];

    /// The URL and serde name.
    pub fn key(self) -> &'static str {
        match self {
            Self::Icid => "icid",
            Self::SessionId => "session_id",
            Self::B2bSuffix => "b2b_suffix",
        }
    }

    /// Reads a URL value (the serde name), ignoring case and surrounding blanks.
    pub fn from_key(key: &str) -> Option<Self> {
        let key = key.trim();
        Self::ALL
            .into_iter()
            .find(|rule| rule.key().eq_ignore_ascii_case(key))
    }

    /// The label shown in the options and the leg table.
    pub fn label(self) -> &'static str {
        match self {
            Self::Icid => "P-Charging-Vector ICID",
            Self::SessionId => "Session-ID (RFC 7989)",
            Self::B2bSuffix => "Call-ID _b2b-N suffix",
        }
    }

    /// The values `leg` has under this rule. For [`CorrelationRule::B2bSuffix`] that is the
    /// Call-ID without its suffix, so the whole family shares one value.
    pub fn values(self, leg: &LegCandidate) -> Vec<String> {
        match self {
            Self::Icid => leg
                .header_values("P-Charging-Vector")
                .filter_map(icid)
                .collect(),
            Self::SessionId => {
                let mut uuids: Vec<String> = leg
                    .header_values("Session-ID")
                    .flat_map(session_uuids)
                    .collect();
                uuids.dedup();
                uuids
            }
            Self::B2bSuffix => vec![strip_b2b_suffix(&leg.call_id).to_owned()],
        }
    }
}

/// A key value a leg shares with another leg of the analysis, shown in the leg table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatchedKey {
    /// The rule that matched.
    pub rule: CorrelationRule,
    /// The shared value (an ICID, a UUID, or the Call-ID base of a `_b2b` family).
    pub value: String,
}

/// The `icid-value` parameter of a `P-Charging-Vector` value (RFC 7315 §4.6:
/// `icid-value=<token or quoted string>` among `;` parameters), unquoted; `None` when absent or
/// blank.
pub fn icid(header_value: &str) -> Option<String> {
    header_value
        .split(';')
        .filter_map(|param| param.split_once('='))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("icid-value"))
        .map(|(_, value)| value.trim().trim_matches('"').trim().to_owned())
        .filter(|value| !value.is_empty())
}

/// The null UUID of RFC 7989 §6: the side that has not yet learnt its peer's UUID.
pub const NULL_SESSION_UUID: &str = "00000000000000000000000000000000";

/// The UUIDs of a `Session-ID` value (RFC 7989 §6: `local-uuid *(;sess-id-param)` with
/// `remote=<uuid>`), lower-cased; the null UUID and anything that is not 32 hex digits are
/// left out.
pub fn session_uuids(header_value: &str) -> Vec<String> {
    let mut parts = header_value.split(';');
    let local = parts.next().map(str::trim);
    let remote = parts
        .filter_map(|param| param.split_once('='))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("remote"))
        .map(|(_, value)| value.trim());
    local
        .into_iter()
        .chain(remote)
        .map(str::to_ascii_lowercase)
        .filter(|uuid| uuid.len() == 32 && uuid.bytes().all(|b| b.is_ascii_hexdigit()))
        .filter(|uuid| uuid != NULL_SESSION_UUID)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn icid_is_read_among_other_parameters() {
        let pcv = "icid-value=AyretyU0dm+6O2IrT5tAFrbHLso=023551024; orig-ioi=home1.net; \
                   term-ioi=home2.net";
        assert_eq!(
            icid(pcv).as_deref(),
            Some("AyretyU0dm+6O2IrT5tAFrbHLso=023551024")
        );
        assert_eq!(
            icid("orig-ioi=a.net; ICID-Value=\"1234bc9876e\"").as_deref(),
            Some("1234bc9876e")
        );
    }

    #[test]
    fn icid_missing_or_blank_is_none() {
        assert_eq!(icid("orig-ioi=home1.net; term-ioi=home2.net"), None);
        assert_eq!(icid("icid-value=; orig-ioi=x"), None);
        assert_eq!(icid("icid-value=\"\""), None);
        assert_eq!(icid(""), None);
    }

    #[test]
    fn session_id_gives_both_uuids_lowercased() {
        let value = "ab30317f1a784dc48ff824d0d3715d86;remote=47755A9DE7794BA387653F2099600EF2";
        assert_eq!(
            session_uuids(value),
            [
                "ab30317f1a784dc48ff824d0d3715d86",
                "47755a9de7794ba387653f2099600ef2"
            ]
        );
        assert_eq!(
            session_uuids("ab30317f1a784dc48ff824d0d3715d86"),
            ["ab30317f1a784dc48ff824d0d3715d86"]
        );
    }

    #[test]
    fn session_id_null_and_malformed_uuids_are_ignored() {
        let value = format!("ab30317f1a784dc48ff824d0d3715d86;remote={NULL_SESSION_UUID}");
        assert_eq!(session_uuids(&value), ["ab30317f1a784dc48ff824d0d3715d86"]);
        assert!(
            session_uuids(&format!("{NULL_SESSION_UUID};remote={NULL_SESSION_UUID}")).is_empty()
        );
        assert!(session_uuids("not-a-uuid;remote=1234").is_empty());
        assert!(session_uuids("").is_empty());
    }

    #[test]
    fn rules_round_trip_through_their_url_names() {
        for rule in CorrelationRule::ALL {
            assert_eq!(CorrelationRule::from_key(rule.key()), Some(rule));
            let json = serde_json::to_string(&rule).unwrap();
            assert_eq!(json, format!("\"{}\"", rule.key()));
        }
        assert_eq!(
            CorrelationRule::from_key(" ICID "),
            Some(CorrelationRule::Icid)
        );
        assert_eq!(CorrelationRule::from_key("x-cid"), None);
    }
}
