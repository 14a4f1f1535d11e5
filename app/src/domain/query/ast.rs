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
}

impl Field {
    /// Every field, in the order shown in help texts.
    pub const ALL: [Field; 8] = [
        Field::FromUser,
        Field::ToUser,
        Field::RuriUser,
        Field::UserAgent,
        Field::CSeq,
        Field::Method,
        Field::Status,
        Field::CallId,
    ];

    /// Reads a field name (case-insensitive; `ua` and `sid` are aliases).
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
        }
    }

    /// The valid names, comma-separated, for error messages.
    pub fn valid_names() -> String {
        let names: Vec<&str> = Self::ALL.iter().map(|f| f.name()).collect();
        format!("{} (aliases: ua, sid)", names.join(", "))
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
    }
}
