//! `QueryError`: every way a search form can fail to compile, with the input it came from and
//! the byte span to underline there.
//!
//! Messages are lowercase, quote the offending text and suggest a fix.

use std::fmt;
use std::ops::Range;

use super::ast::Field;

/// The form input an error belongs to (so the UI knows which box to underline).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Input {
    /// The query expression.
    Query,
    /// The number convenience filter.
    Number,
    /// The From user filter.
    FromUser,
    /// The To user filter.
    ToUser,
    /// The User-Agent filter.
    UserAgent,
    /// The Call-ID filter.
    CallId,
    /// The `since` time.
    Since,
    /// The `until` time.
    Until,
    /// The `at` time.
    At,
    /// The method list.
    Methods,
    /// The row limit.
    Limit,
}

impl Input {
    /// The input's name as shown in messages and used as URL key.
    pub fn name(self) -> &'static str {
        match self {
            Input::Query => "query",
            Input::Number => "number",
            Input::FromUser => "from_user",
            Input::ToUser => "to_user",
            Input::UserAgent => "user_agent",
            Input::CallId => "call_id",
            Input::Since => "since",
            Input::Until => "until",
            Input::At => "at",
            Input::Methods => "method",
            Input::Limit => "limit",
        }
    }
}

/// What went wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum QueryErrorKind {
    /// A quote was opened and never closed.
    UnterminatedString,
    /// A character that starts no token (`!` alone, `<`, `>`, ...).
    UnexpectedChar(char),
    /// A field name that the language does not know.
    UnknownField(String),
    /// A field that the chosen profile's table cannot be searched on.
    FieldNotInProfile {
        /// The field.
        field: Field,
        /// The profile key, e.g. `1_default`.
        profile: String,
    },
    /// A field HOMER 7's default mapping lacks, and the backend's mapping (when known) too:
    /// homer-app would drop the filter silently and answer unfiltered rows.
    FieldNotMapped {
        /// The field.
        field: Field,
        /// The profile key, e.g. `1_call`.
        profile: String,
    },
    /// A port value that is not a number from 1 to 65535.
    InvalidPort(String),
    /// `!=` on a number field: homer-app turns the value into 0 (§3.3), so it cannot be sent.
    NegatedNumber(Field),
    /// A field name was expected; the text found (empty at the end of input).
    ExpectedField(String),
    /// `=` or `!=` was expected after a field.
    ExpectedOperator(String),
    /// A value was expected after an operator.
    ExpectedValue(String),
    /// `AND`, `OR` or `)` was expected.
    ExpectedConnective(String),
    /// A `(` is never closed.
    UnclosedParen,
    /// A `)` has no matching `(`.
    UnmatchedParen,
    /// Parentheses nested deeper than the parser allows.
    TooDeep,
    /// An empty value (`''`): homer-app turns these into `= ''` filters or `LIMIT 0`.
    EmptyValue,
    /// A character homer-app mangles or treats as syntax inside filter values.
    UnsupportedChar(char),
    /// A value homer-app reads as syntax (`!=...`, `||...`, `isEmpty`, `isNull`).
    ReservedValue(String),
    /// A status that is not a reply code (digits, `%` allowed).
    InvalidStatus(String),
    /// The OR alternatives expand to more HOMER requests than allowed.
    TooManyAlternatives {
        /// Requests the search would need (at least).
        needed: usize,
        /// The maximum.
        max: usize,
    },
    /// A time that is neither a duration nor an absolute time.
    InvalidTime(String),
    /// `at` combined with `since` or `until`.
    AtWithRange,
    /// The time range is empty or reversed (from ≥ to), epoch ms.
    EmptyRange {
        /// Start, epoch ms.
        from_ms: i64,
        /// End, epoch ms.
        to_ms: i64,
    },
    /// A method name that is not a SIP token.
    InvalidMethod(String),
    /// A limit of 0.
    ZeroLimit,
}

/// A search form error: where (`input`, byte `span` in that input's text) and what (`kind`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueryError {
    /// The form input holding the fault.
    pub input: Input,
    /// Byte range of the offending text in that input.
    pub span: Range<usize>,
    /// What went wrong.
    pub kind: QueryErrorKind,
}

impl QueryError {
    /// An error in `input` at `span`.
    pub fn new(input: Input, span: Range<usize>, kind: QueryErrorKind) -> Self {
        Self { input, span, kind }
    }

    /// An error in the query expression at `span`.
    pub fn query(span: Range<usize>, kind: QueryErrorKind) -> Self {
        Self::new(Input::Query, span, kind)
    }
}

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let input = self.input.name();
        match &self.kind {
            QueryErrorKind::UnterminatedString => {
                write!(f, "{input}: unterminated string; close it with the same quote")
            }
            QueryErrorKind::UnexpectedChar(c) => write!(
                f,
                "{input}: unexpected character '{c}'; operators are '=' and '!=', \
                 and values go in quotes"
            ),
            QueryErrorKind::UnknownField(name) => write!(
                f,
                "{input}: unknown field '{name}'; use one of: {}",
                Field::valid_names()
            ),
            QueryErrorKind::FieldNotInProfile { field, profile } => write!(
                f,
                "{input}: field '{}' cannot be searched in profile '{profile}'; \
                 switch to the call profile or drop it",
                field.name()
            ),
            QueryErrorKind::FieldNotMapped { field, profile } => write!(
                f,
                "{input}: field '{}' is not in this backend's mapping for '{profile}' \
                 (homer 7's default mapping lacks '{}'; the embedded store has it); drop it",
                field.name(),
                field.homer_id()
            ),
            QueryErrorKind::InvalidPort(value) => write!(
                f,
                "{input}: port '{value}' is not a number from 1 to 65535 \
                 (ports are numbers: no '%' wildcard)"
            ),
            QueryErrorKind::NegatedNumber(field) => write!(
                f,
                "{input}: '!=' does not work on the number field '{}' in homer; \
                 use '=' or drop it",
                field.name()
            ),
            QueryErrorKind::ExpectedField(found) => {
                write!(f, "{input}: expected a field name, found {}; ", describe(found))?;
                write!(f, "write 'field = 'value''")
            }
            QueryErrorKind::ExpectedOperator(found) => write!(
                f,
                "{input}: expected '=' or '!=' after the field, found {}",
                describe(found)
            ),
            QueryErrorKind::ExpectedValue(found) => write!(
                f,
                "{input}: expected a quoted value, found {}; write 'field = 'value''",
                describe(found)
            ),
            QueryErrorKind::ExpectedConnective(found) => write!(
                f,
                "{input}: expected 'and', 'or' or ')', found {}; join conditions with and/or",
                describe(found)
            ),
            QueryErrorKind::UnclosedParen => {
                write!(f, "{input}: '(' is never closed; add a ')'")
            }
            QueryErrorKind::UnmatchedParen => {
                write!(f, "{input}: ')' has no matching '('; remove it")
            }
            QueryErrorKind::TooDeep => {
                write!(f, "{input}: parentheses nest too deep; simplify the expression")
            }
            QueryErrorKind::EmptyValue => {
                write!(f, "{input}: empty value ''; use '%' to match any value")
            }
            QueryErrorKind::UnsupportedChar(c) => write!(
                f,
                "{input}: homer cannot search for '{c}' in a value; replace it with the '%' wildcard"
            ),
            QueryErrorKind::ReservedValue(v) => write!(
                f,
                "{input}: value '{v}' is homer syntax, not text; use '!=' as the operator or \
                 wrap the special part in '%'"
            ),
            QueryErrorKind::InvalidStatus(v) => write!(
                f,
                "{input}: status '{v}' is not a reply code; use three digits such as '486', \
                 or '4%' for a class"
            ),
            QueryErrorKind::TooManyAlternatives { needed, max } => write!(
                f,
                "{input}: the 'or' alternatives need {needed} homer searches (at most {max}); \
                 narrow the query"
            ),
            QueryErrorKind::InvalidTime(t) => write!(
                f,
                "{input}: cannot read time '{t}'; use a duration such as '30m', '2h30m', '7d', \
                 or a time such as '2026-02-04 17:13'"
            ),
            QueryErrorKind::AtWithRange => write!(
                f,
                "at: 'at' searches 5 minutes either side and cannot be combined with \
                 'since' or 'until'; clear one of them"
            ),
            QueryErrorKind::EmptyRange { from_ms, to_ms } => write!(
                f,
                "{input}: the time range is empty (from {} to {}); make 'since' earlier \
                 than 'until'",
                fmt_ms(*from_ms),
                fmt_ms(*to_ms)
            ),
            QueryErrorKind::InvalidMethod(m) => write!(
                f,
                "{input}: '{m}' is not a sip method or reply code; use names such as 'INVITE' \
                 or codes such as '486'"
            ),
            QueryErrorKind::ZeroLimit => {
                write!(f, "{input}: a limit of 0 returns nothing; use at least 1")
            }
        }
    }
}

impl std::error::Error for QueryError {}

fn describe(found: &str) -> String {
    if found.is_empty() {
        "the end of the query".to_owned()
    } else {
        format!("'{found}'")
    }
}

fn fmt_ms(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms).map_or_else(|_| ms.to_string(), |t| t.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_lowercase_quote_the_token_and_suggest_a_fix() {
        let err = QueryError::query(0..3, QueryErrorKind::UnknownField("foo".into()));
        let text = err.to_string();
        assert!(
            text.starts_with("query: unknown field 'foo'; use one of: from_user"),
            "{text}"
        );
        let err = QueryError::query(5..5, QueryErrorKind::ExpectedValue(String::new()));
        assert!(err.to_string().contains("the end of the query"));
    }
}
