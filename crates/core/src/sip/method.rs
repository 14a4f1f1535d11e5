//! The SIP request method as an enum with an `Other` fallback, converted once from the wire.
//!
//! Pure: no I/O. Parsing never fails, so an unknown method still yields a usable message.

use std::convert::Infallible;
use std::fmt;
use std::str::FromStr;

/// The names of the methods [`Method`] knows, in the order filters offer them.
pub const KNOWN_METHOD_NAMES: &[&str] = &[
    "INVITE",
    "ACK",
    "BYE",
    "CANCEL",
    "REGISTER",
    "OPTIONS",
    "UPDATE",
    "PRACK",
    "REFER",
    "INFO",
    "NOTIFY",
    "SUBSCRIBE",
    "MESSAGE",
    "PUBLISH",
];

/// A SIP request method (RFC 3261 §7.1 plus the extension methods seen in captures).
///
/// Method names are case-sensitive (RFC 3261 §7.1), so `invite` is `Other("invite")`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Method {
    Invite,
    Ack,
    Bye,
    Cancel,
    Register,
    Options,
    /// RFC 3311.
    Update,
    /// RFC 3262.
    Prack,
    /// RFC 3515.
    Refer,
    /// RFC 6086.
    Info,
    /// RFC 6665.
    Notify,
    /// RFC 6665.
    Subscribe,
    /// RFC 3428.
    Message,
    /// RFC 3903.
    Publish,
    /// Any other token, kept verbatim.
    Other(String),
}

impl Method {
    /// The method as written on the wire.
    pub fn as_str(&self) -> &str {
        match self {
            Method::Invite => "INVITE",
            Method::Ack => "ACK",
            Method::Bye => "BYE",
            Method::Cancel => "CANCEL",
            Method::Register => "REGISTER",
            Method::Options => "OPTIONS",
            Method::Update => "UPDATE",
            Method::Prack => "PRACK",
            Method::Refer => "REFER",
            Method::Info => "INFO",
            Method::Notify => "NOTIFY",
            Method::Subscribe => "SUBSCRIBE",
            Method::Message => "MESSAGE",
            Method::Publish => "PUBLISH",
            Method::Other(token) => token,
        }
    }

    /// Converts a method token; never fails (unknown tokens become [`Method::Other`]).
    pub fn parse(token: &str) -> Method {
        match token {
            "INVITE" => Method::Invite,
            "ACK" => Method::Ack,
            "BYE" => Method::Bye,
            "CANCEL" => Method::Cancel,
            "REGISTER" => Method::Register,
            "OPTIONS" => Method::Options,
            "UPDATE" => Method::Update,
            "PRACK" => Method::Prack,
            "REFER" => Method::Refer,
            "INFO" => Method::Info,
            "NOTIFY" => Method::Notify,
            "SUBSCRIBE" => Method::Subscribe,
            "MESSAGE" => Method::Message,
            "PUBLISH" => Method::Publish,
            other => Method::Other(other.to_owned()),
        }
    }
}

impl FromStr for Method {
    type Err = Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Method::parse(s))
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_known_method_name_parses_to_a_known_method() {
        for name in KNOWN_METHOD_NAMES {
            let method = Method::parse(name);
            assert!(!matches!(method, Method::Other(_)), "{name}");
            assert_eq!(method.as_str(), *name);
        }
    }

    use super::*;

    #[test]
    fn method_parse_round_trips_known_names() {
        let all = [
            Method::Invite,
            Method::Ack,
            Method::Bye,
            Method::Cancel,
            Method::Register,
            Method::Options,
            Method::Update,
            Method::Prack,
            Method::Refer,
            Method::Info,
            Method::Notify,
            Method::Subscribe,
            Method::Message,
            Method::Publish,
        ];
        for method in all {
            assert_eq!(Method::parse(method.as_str()), method);
        }
    }

    #[test]
    fn method_parse_keeps_unknown_token_verbatim() {
        assert_eq!(Method::parse("FOOBAR"), Method::Other("FOOBAR".into()));
        assert_eq!(
            "FOOBAR".parse::<Method>(),
            Ok(Method::Other("FOOBAR".into()))
        );
        assert_eq!(Method::parse("FOOBAR").as_str(), "FOOBAR");
    }

    #[test]
    fn method_parse_is_case_sensitive() {
        assert_eq!(Method::parse("invite"), Method::Other("invite".into()));
    }
}
