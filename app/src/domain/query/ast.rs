//! The query language's syntax tree: comparisons joined by AND and OR.
//!
//! There is no NOT: negation lives in the `!=` operator, so every expression has a disjunctive
//! normal form made of plain comparisons (see `compile`).

use std::ops::Range;

/// A searchable field of the query language and the HOMER id it maps to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Field {
    /// User part of the From URI.
    FromUser,
    /// User part of the To URI.
    ToUser,
    /// User part of the Request-URI (only in the call profile's mapping).
    RuriUser,
    /// User-Agent header (alias `ua`).
    UserAgent,
    /// Whole CSeq header value, e.g. `1 INVITE`.
    CSeq,
    /// Request method.
    Method,
    /// Reply code; HOMER keeps it in `method` for responses.
    Status,
    /// Call-ID (alias `sid`), HOMER's indexed session id.
    CallId,
    /// Source IP of the packet (alias `source_ip`, HOMER 7's search name).
    SrcIp,
    /// Destination IP of the packet (alias `destination_ip`).
    DstIp,
    /// Source port; a number in HOMER's mapping.
    SrcPort,
    /// Destination port; a number in HOMER's mapping.
    DstPort,
    /// Host part of the Request-URI (not in HOMER 7's default mapping).
    RuriDomain,
    /// Host part of the From URI (not in HOMER 7's default mapping).
    FromDomain,
    /// Host part of the To URI (not in HOMER 7's default mapping).
    ToDomain,
    /// HOMER's correlation id: the `X-CID` header where the message has one, else its Call-ID.
    XCid,
}

impl Field {
    /// Every field, in the order shown in help texts.
    pub const ALL: [Field; 16] = [
        Field::FromUser,
        Field::ToUser,
        Field::RuriUser,
        Field::UserAgent,
        Field::CSeq,
        Field::Method,
        Field::Status,
        Field::CallId,
        Field::SrcIp,
        Field::DstIp,
        Field::SrcPort,
        Field::DstPort,
        Field::RuriDomain,
        Field::FromDomain,
        Field::ToDomain,
        Field::XCid,
    ];

    /// Reads a field name (case-insensitive; `ua`, `sid`, `source_ip` and `destination_ip` are
    /// aliases).
    pub fn parse(name: &str) -> Option<Self> {
        let lower = name.to_ascii_lowercase();
        Some(match lower.as_str() {
            "from_user" => Field::FromUser,
            "to_user" => Field::ToUser,
            "ruri_user" => Field::RuriUser,
            "user_agent" | "ua" => Field::UserAgent,
            "cseq" => Field::CSeq,
            "method" => Field::Method,
            "status" => Field::Status,
            "call_id" | "sid" => Field::CallId,
            "src_ip" | "source_ip" => Field::SrcIp,
            "dst_ip" | "destination_ip" => Field::DstIp,
            "src_port" => Field::SrcPort,
            "dst_port" => Field::DstPort,
            "ruri_domain" => Field::RuriDomain,
            "from_domain" => Field::FromDomain,
            "to_domain" => Field::ToDomain,
            "x_cid" => Field::XCid,
            _ => return None,
        })
    }

    /// The canonical name in the query language.
    pub fn name(self) -> &'static str {
        match self {
            Field::FromUser => "from_user",
            Field::ToUser => "to_user",
            Field::RuriUser => "ruri_user",
            Field::UserAgent => "user_agent",
            Field::CSeq => "cseq",
            Field::Method => "method",
            Field::Status => "status",
            Field::CallId => "call_id",
            Field::SrcIp => "src_ip",
            Field::DstIp => "dst_ip",
            Field::SrcPort => "src_port",
            Field::DstPort => "dst_port",
            Field::RuriDomain => "ruri_domain",
            Field::FromDomain => "from_domain",
            Field::ToDomain => "to_domain",
            Field::XCid => "x_cid",
        }
    }

    /// The HOMER 7 filter id (`docs/homer7-api.md` §3.2).
    pub fn homer_id(self) -> &'static str {
        match self {
            Field::FromUser => "data_header.from_user",
            Field::ToUser => "data_header.to_user",
            Field::RuriUser => "data_header.ruri_user",
            Field::UserAgent => "data_header.user_agent",
            Field::CSeq => "data_header.cseq",
            Field::Method | Field::Status => "data_header.method",
            Field::CallId => "sid",
            Field::SrcIp => "protocol_header.srcIp",
            Field::DstIp => "protocol_header.dstIp",
            Field::SrcPort => "protocol_header.srcPort",
            Field::DstPort => "protocol_header.dstPort",
            Field::RuriDomain => "data_header.ruri_domain",
            Field::FromDomain => "data_header.from_domain",
            Field::ToDomain => "data_header.to_domain",
            Field::XCid => "protocol_header.correlation_id",
        }
    }

    /// Whether HOMER 7's mapping types the field as a number (`type: integer`): the value must be
    /// digits, and homer-app cannot negate it (§3.3).
    pub fn is_number(self) -> bool {
        matches!(self, Field::SrcPort | Field::DstPort)
    }

    /// Whether HOMER 7's default mapping lacks the field in every profile: homer-app drops an
    /// unmapped filter silently (§3.2), so it is sent only to a backend whose mapping lists it.
    pub fn needs_custom_mapping(self) -> bool {
        matches!(
            self,
            Field::RuriDomain | Field::FromDomain | Field::ToDomain
        )
    }

    /// Whether HOMER 7's default mapping for `profile_key` (e.g. `1_call`) lists the field.
    pub fn in_default_mapping(self, profile_key: &str) -> bool {
        match self {
            Field::RuriUser => profile_key == "1_call",
            _ => !self.needs_custom_mapping(),
        }
    }

    /// The valid names, comma-separated, for error messages.
    pub fn valid_names() -> String {
        let names: Vec<&str> = Self::ALL.iter().map(|f| f.name()).collect();
        format!(
            "{} (aliases: ua, sid, source_ip, destination_ip)",
            names.join(", ")
        )
    }
}

/// A comparison operator. `%` in the value makes either one a LIKE.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    /// `=` (LIKE when the value holds `%`).
    Eq,
    /// `!=` (NOT LIKE when the value holds `%`).
    Ne,
}

/// `field op 'value'`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Comparison {
    /// The field.
    pub field: Field,
    /// The operator.
    pub op: Op,
    /// The value, quotes removed.
    pub value: String,
    /// Byte span of the field name in the query.
    pub field_span: Range<usize>,
    /// Byte span of the value token (quotes included).
    pub value_span: Range<usize>,
}

/// A query expression.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expr {
    /// One comparison.
    Cmp(Comparison),
    /// All must hold (two or more operands).
    And(Vec<Expr>),
    /// One must hold (two or more operands).
    Or(Vec<Expr>),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_names_round_trip_and_aliases_resolve() {
        for field in Field::ALL {
            assert_eq!(Field::parse(field.name()), Some(field));
        }
        assert_eq!(Field::parse("UA"), Some(Field::UserAgent));
        assert_eq!(Field::parse("sid"), Some(Field::CallId));
        assert_eq!(Field::parse("from"), None);
        assert_eq!(Field::Status.homer_id(), "data_header.method");
        assert_eq!(Field::parse("Source_IP"), Some(Field::SrcIp));
        assert_eq!(Field::parse("destination_ip"), Some(Field::DstIp));
        assert_eq!(Field::parse("x-cid"), None);
    }

    #[test]
    fn new_fields_map_to_homer_default_ids_and_types() {
        let cases = [
            (Field::SrcIp, "protocol_header.srcIp", false),
            (Field::DstIp, "protocol_header.dstIp", false),
            (Field::SrcPort, "protocol_header.srcPort", true),
            (Field::DstPort, "protocol_header.dstPort", true),
            (Field::XCid, "protocol_header.correlation_id", false),
            (Field::RuriDomain, "data_header.ruri_domain", false),
            (Field::FromDomain, "data_header.from_domain", false),
            (Field::ToDomain, "data_header.to_domain", false),
        ];
        for (field, id, number) in cases {
            assert_eq!(field.homer_id(), id);
            assert_eq!(field.is_number(), number, "{id}");
        }
        assert!(Field::SrcIp.in_default_mapping("1_registration"));
        assert!(!Field::RuriDomain.in_default_mapping("1_call"));
        assert!(!Field::RuriUser.in_default_mapping("1_default"));
    }
}
