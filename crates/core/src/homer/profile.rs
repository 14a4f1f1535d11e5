//! The table families of HOMER 7 (`hep_proto_<key>`, heplify-server's routing, reference
//! `docs/homer7-api.md` §12.1): one type for the store's tables and the browser's search form.

use crate::sip::Method;

use super::ProfileKey;

/// A table family: `hep_proto_<key>` in HOMER's naming.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Profile {
    /// `1_call`.
    #[default]
    Call,
    /// `1_registration`.
    Registration,
    /// `1_default`: SIP that is neither call nor registration.
    SipDefault,
    /// `5_default`: RTCP reports (JSON).
    Rtcp,
    /// `35_default`: every other report type (32, 34, 35, 53, ...).
    Report,
    /// `100_default`: log lines.
    Log,
}

impl Profile {
    /// Every profile, in table-creation order.
    pub const ALL: [Profile; 6] = [
        Profile::Call,
        Profile::Registration,
        Profile::SipDefault,
        Profile::Rtcp,
        Profile::Report,
        Profile::Log,
    ];

    /// The SIP profiles, the ones the search form offers.
    pub const SIP: [Profile; 3] = [Profile::Call, Profile::Registration, Profile::SipDefault];

    /// The URL and UI name (`call`, `registration`, `other` for the SIP default table, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Profile::Call => "call",
            Profile::Registration => "registration",
            Profile::SipDefault => "other",
            Profile::Rtcp => "rtcp",
            Profile::Report => "report",
            Profile::Log => "log",
        }
    }

    /// Reads a search form's URL name: one of the [`Profile::SIP`] names.
    pub fn parse(text: &str) -> Option<Self> {
        Self::SIP.into_iter().find(|p| p.as_str() == text)
    }

    /// The HOMER `param.search` key.
    pub fn homer_key(self) -> ProfileKey {
        ProfileKey(self.key().to_owned())
    }

    /// The HOMER key, e.g. `1_call`.
    pub fn key(self) -> &'static str {
        match self {
            Profile::Call => "1_call",
            Profile::Registration => "1_registration",
            Profile::SipDefault => "1_default",
            Profile::Rtcp => "5_default",
            Profile::Report => "35_default",
            Profile::Log => "100_default",
        }
    }

    /// Reads a HOMER key (`1_call`, ...).
    pub fn from_key(key: &str) -> Option<Profile> {
        Profile::ALL.into_iter().find(|p| p.key() == key)
    }

    /// True for the three SIP profiles.
    pub fn is_sip(self) -> bool {
        matches!(
            self,
            Profile::Call | Profile::Registration | Profile::SipDefault
        )
    }

    /// The SIP profile of a CSeq method (heplify-server `decoder/sip.go`).
    pub fn for_cseq_method(method: &Method) -> Profile {
        match method {
            Method::Invite
            | Method::Ack
            | Method::Bye
            | Method::Cancel
            | Method::Update
            | Method::Prack
            | Method::Refer
            | Method::Info
            | Method::Notify => Profile::Call,
            Method::Register => Profile::Registration,
            _ => Profile::SipDefault,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_url_names_round_trip() {
        for p in Profile::ALL {
            assert_eq!(Profile::from_key(p.key()), Some(p));
            assert_eq!(p.homer_key().as_str(), p.key());
        }
        for p in Profile::SIP {
            assert_eq!(Profile::parse(p.as_str()), Some(p));
        }
        assert_eq!(
            Profile::parse("rtcp"),
            None,
            "the search form offers SIP tables only"
        );
        assert_eq!(Profile::default(), Profile::Call);
    }
}
