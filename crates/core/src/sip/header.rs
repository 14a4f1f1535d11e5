//! Header names the scanner recognises, with their compact forms, so lookups compare enums rather than
//! strings.
//!
//! Pure: no I/O, no allocation.

/// A header name classified once at scan time. Unknown names are [`HeaderName::Other`] and are matched
/// by their text, case-insensitively (RFC 3261 §7.3.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HeaderName {
    AcceptContact,
    AllowEvents,
    Authorization,
    CallId,
    Contact,
    ContentEncoding,
    ContentLength,
    ContentType,
    CSeq,
    Diversion,
    Event,
    Expires,
    From,
    Identity,
    MaxForwards,
    PAssertedIdentity,
    ProxyAuthorization,
    Reason,
    RecordRoute,
    ReferTo,
    ReferredBy,
    RejectContact,
    RequestDisposition,
    Route,
    Server,
    SessionExpires,
    Subject,
    Supported,
    To,
    UserAgent,
    Via,
    WwwAuthenticate,
    /// Any other header; compare by name.
    Other,
}

/// Full names, as conventionally spelled.
const FULL_NAMES: &[(&str, HeaderName)] = &[
    ("Via", HeaderName::Via),
    ("From", HeaderName::From),
    ("To", HeaderName::To),
    ("Call-ID", HeaderName::CallId),
    ("CSeq", HeaderName::CSeq),
    ("Contact", HeaderName::Contact),
    ("Content-Length", HeaderName::ContentLength),
    ("Content-Type", HeaderName::ContentType),
    ("Max-Forwards", HeaderName::MaxForwards),
    ("User-Agent", HeaderName::UserAgent),
    ("Server", HeaderName::Server),
    ("Record-Route", HeaderName::RecordRoute),
    ("Route", HeaderName::Route),
    ("P-Asserted-Identity", HeaderName::PAssertedIdentity),
    ("Reason", HeaderName::Reason),
    ("Expires", HeaderName::Expires),
    ("Authorization", HeaderName::Authorization),
    ("Proxy-Authorization", HeaderName::ProxyAuthorization),
    ("WWW-Authenticate", HeaderName::WwwAuthenticate),
    ("Diversion", HeaderName::Diversion),
    ("Supported", HeaderName::Supported),
    ("Subject", HeaderName::Subject),
    ("Content-Encoding", HeaderName::ContentEncoding),
    ("Event", HeaderName::Event),
    ("Refer-To", HeaderName::ReferTo),
    ("Allow-Events", HeaderName::AllowEvents),
    ("Session-Expires", HeaderName::SessionExpires),
    ("Identity", HeaderName::Identity),
    ("Referred-By", HeaderName::ReferredBy),
    ("Accept-Contact", HeaderName::AcceptContact),
    ("Request-Disposition", HeaderName::RequestDisposition),
    ("Reject-Contact", HeaderName::RejectContact),
];

impl HeaderName {
    /// Classifies a header name, case-insensitively, mapping compact forms (RFC 3261 §7.3.3 and the
    /// extensions registered with IANA: `i f t v m l c k s e o r u x y b a d j`).
    pub fn classify(name: &str) -> HeaderName {
        if let [byte] = name.as_bytes() {
            return Self::from_compact(byte.to_ascii_lowercase());
        }
        FULL_NAMES
            .iter()
            .find(|(full, _)| full.eq_ignore_ascii_case(name))
            .map_or(HeaderName::Other, |&(_, kind)| kind)
    }

    fn from_compact(letter: u8) -> HeaderName {
        match letter {
            b'i' => HeaderName::CallId,
            b'f' => HeaderName::From,
            b't' => HeaderName::To,
            b'v' => HeaderName::Via,
            b'm' => HeaderName::Contact,
            b'l' => HeaderName::ContentLength,
            b'c' => HeaderName::ContentType,
            b'k' => HeaderName::Supported,
            b's' => HeaderName::Subject,
            b'e' => HeaderName::ContentEncoding,
            b'o' => HeaderName::Event,
            b'r' => HeaderName::ReferTo,
            b'u' => HeaderName::AllowEvents,
            b'x' => HeaderName::SessionExpires,
            b'y' => HeaderName::Identity,
            b'b' => HeaderName::ReferredBy,
            b'a' => HeaderName::AcceptContact,
            b'd' => HeaderName::RequestDisposition,
            b'j' => HeaderName::RejectContact,
            _ => HeaderName::Other,
        }
    }

    /// The conventional full spelling, or `None` for [`HeaderName::Other`].
    pub fn as_str(self) -> Option<&'static str> {
        FULL_NAMES
            .iter()
            .find(|(_, kind)| *kind == self)
            .map(|&(full, _)| full)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classify_maps_every_compact_form() {
        let cases = [
            ("i", HeaderName::CallId),
            ("f", HeaderName::From),
            ("t", HeaderName::To),
            ("v", HeaderName::Via),
            ("m", HeaderName::Contact),
            ("l", HeaderName::ContentLength),
            ("c", HeaderName::ContentType),
            ("k", HeaderName::Supported),
            ("s", HeaderName::Subject),
            ("e", HeaderName::ContentEncoding),
            ("o", HeaderName::Event),
            ("r", HeaderName::ReferTo),
            ("u", HeaderName::AllowEvents),
            ("x", HeaderName::SessionExpires),
            ("y", HeaderName::Identity),
            ("b", HeaderName::ReferredBy),
            ("a", HeaderName::AcceptContact),
            ("d", HeaderName::RequestDisposition),
            ("j", HeaderName::RejectContact),
            ("I", HeaderName::CallId),
            ("z", HeaderName::Other),
        ];
        for (name, kind) in cases {
            assert_eq!(HeaderName::classify(name), kind, "{name}");
        }
    }

    #[test]
    fn classify_ignores_case_of_full_names() {
        assert_eq!(HeaderName::classify("call-id"), HeaderName::CallId);
        assert_eq!(HeaderName::classify("CSEQ"), HeaderName::CSeq);
        assert_eq!(HeaderName::classify("X-CID"), HeaderName::Other);
        assert_eq!(HeaderName::CallId.as_str(), Some("Call-ID"));
        assert_eq!(HeaderName::Other.as_str(), None);
    }
}
