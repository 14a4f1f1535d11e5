//! HOMER search filters -> SQL over the store's columns, with bound values.
//!
//! Filter elements follow homer-app's `buildQuery` conventions (`docs/homer7-api.md` §3.3): `%` makes a
//! LIKE, `;` an IN list, a `!=` prefix negates, a `||` prefix joins with OR, `isEmpty`/`isNull` are
//! keywords, `raw` is matched case-insensitively, `limit` sets the row limit. `smartinput` is the
//! expression language of §3.4 (`field op value {AND|OR field op value}`, `A OR B AND C` read as
//! `A OR (B AND C)`). Unlike homer-app, mistakes are explicit errors rather than silently empty or
//! unfiltered answers, and smartinput combines with other elements by AND.

use app::domain::homer::FilterElement;
use rusqlite::types::Value;

use super::mapping;
use crate::store::index::Profile;
use crate::store::read::Condition;
use crate::store::terms::{Field, Plan, Term};

/// Highest row limit accepted from a `limit` element.
pub const MAX_LIMIT: usize = 100_000;
/// homer-app's limit when no `limit` element is sent.
pub const DEFAULT_LIMIT: usize = 200;

/// Why a filter cannot be compiled; the message is sent back with a 400.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FilterError {
    #[error("unknown search field {0:?}: use an id from /mapping/protocol")]
    UnknownField(String),
    #[error("field {0:?} is in the mapping but is not stored; it cannot be searched")]
    NotAColumn(String),
    #[error("field {field:?} is a number; {value:?} is not")]
    NotANumber { field: String, value: String },
    #[error("limit {0:?} is not a number from 0 to 100000")]
    BadLimit(String),
    #[error("smartinput {input:?}: {reason}")]
    Smartinput { input: String, reason: String },
}

/// A compiled search: the condition and the row limit.
#[derive(Clone, Debug, PartialEq)]
pub struct CompiledFilter {
    pub condition: Condition,
    pub limit: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Text,
    Integer,
    /// The payload: matched case-insensitively (homer-app's ILIKE).
    Raw,
}

/// The SQL expression and kind of a mapping id; `None` for names that are not fields at all.
fn column(id: &str) -> Option<Result<(&'static str, Kind), FilterError>> {
    use Kind::{Integer, Text};
    let found = match id {
        "sid" | "data_header.callid" => ("sid", Text),
        "id" => ("id", Integer),
        "create_date" => ("(time_us / 1000)", Integer),
        "raw" => ("CAST(raw AS TEXT)", Kind::Raw),
        "data_header.method" => ("method", Text),
        "data_header.cseq" => ("cseq", Text),
        "data_header.from_user" => ("from_user", Text),
        "data_header.from_tag" => ("from_tag", Text),
        "data_header.from_domain" => ("from_domain", Text),
        "data_header.to_user" => ("to_user", Text),
        "data_header.to_tag" => ("to_tag", Text),
        "data_header.to_domain" => ("to_domain", Text),
        "data_header.ruri_user" => ("ruri_user", Text),
        "data_header.ruri_domain" => ("ruri_domain", Text),
        "data_header.user_agent" => ("user_agent", Text),
        // heplify-server never writes data_header.protocol: it is always empty.
        "data_header.protocol" => ("''", Text),
        "protocol_header.srcIp" => ("src_ip", Text),
        "protocol_header.dstIp" => ("dst_ip", Text),
        "protocol_header.srcPort" => ("src_port", Integer),
        "protocol_header.dstPort" => ("dst_port", Integer),
        "protocol_header.correlation_id" => ("COALESCE(correlation_id, sid)", Text),
        // A string holding the node name, as heplify-server stores it.
        "protocol_header.captureId" => ("node", Text),
        // The capture password is never stored: every row reads as sent without one.
        "protocol_header.capturePass" => ("''", Text),
        "protocol_header.payloadType" => ("payload_type", Integer),
        "protocol_header.protocolFamily" => ("family", Integer),
        "protocol_header.protocol" => ("transport", Integer),
        "protocol_header.timeSeconds" => ("(time_us / 1000000)", Integer),
        "protocol_header.timeUseconds" => ("(time_us % 1000000)", Integer),
        "node" | "profile" => return Some(Err(FilterError::NotAColumn(id.to_owned()))),
        _ => return None,
    };
    Some(Ok(found))
}

/// The column of `id` if the profile's mapping allows it.
fn allowed_column(profile: Profile, id: &str) -> Result<(&'static str, Kind), FilterError> {
    let always = ["raw", "id", "sid", "create_date"].contains(&id);
    if !always && !mapping::allows(profile, id) {
        return Err(FilterError::UnknownField(id.to_owned()));
    }
    column(id).unwrap_or_else(|| Err(FilterError::UnknownField(id.to_owned())))
}

/// Compiles the filter elements of one `param.search.<key>` list.
///
/// # Errors
/// [`FilterError`] for unknown fields, bad numbers, a bad limit or a smartinput syntax error.
pub fn compile(
    profile: Profile,
    elements: &[FilterElement],
    orlogic: bool,
) -> Result<CompiledFilter, FilterError> {
    let mut sql = String::new();
    let mut params = Vec::new();
    let mut plan = Plan::default();
    let mut limit = DEFAULT_LIMIT;
    for element in elements {
        match element.name.as_str() {
            "limit" => {
                limit = element
                    .value
                    .trim()
                    .parse::<usize>()
                    .ok()
                    .filter(|l| *l <= MAX_LIMIT)
                    .ok_or_else(|| FilterError::BadLimit(element.value.clone()))?;
            }
            "smartinput" => {
                let (part, values, terms) = smartinput(profile, &element.value)?;
                join(&mut sql, orlogic, &format!("({part})"));
                plan.push(orlogic, terms);
                params.extend(values);
            }
            name => {
                let (part, values, or, terms) = element_sql(profile, name, &element.value)?;
                join(&mut sql, orlogic || or, &part);
                plan.push(orlogic || or, terms);
                params.extend(values);
            }
        }
    }
    Ok(CompiledFilter {
        condition: Condition {
            sql,
            params,
            terms: plan.finish(),
        },
        limit,
    })
}

fn join(sql: &mut String, or: bool, part: &str) {
    if !sql.is_empty() {
        sql.push_str(if or { " OR " } else { " AND " });
    }
    sql.push_str(part);
}

/// The terms of `column = value` (or `column IN values`) when the column has postings in
/// `profile`'s tables and no value is empty (empty values are not posted).
fn equality_terms(profile: Profile, column: &str, values: &[&str]) -> Option<Vec<Term>> {
    let field = Field::for_column(column)?;
    if (field.sip_only() && !profile.is_sip()) || values.iter().any(|v| v.is_empty()) {
        return None;
    }
    Some(
        values
            .iter()
            .map(|v| Term {
                field,
                value: (*v).to_owned(),
            })
            .collect(),
    )
}

/// One element's SQL and values, whether it joins with OR (`||` prefix), and the terms that cover it.
type ElementSql = (String, Vec<Value>, bool, Option<Vec<Term>>);

/// One element: its SQL, values, whether it joins with OR (`||` prefix), and its terms.
fn element_sql(profile: Profile, name: &str, value: &str) -> Result<ElementSql, FilterError> {
    let (col, kind) = allowed_column(profile, name)?;
    let mut rest = value;
    let (mut or, mut negate) = (false, false);
    loop {
        if let Some(r) = rest.strip_prefix("||") {
            or = true;
            rest = r;
        } else if let Some(r) = rest.strip_prefix("!=") {
            negate = true;
            rest = r;
        } else {
            break;
        }
    }
    let not = if negate { "NOT " } else { "" };
    if rest == "isEmpty" || rest == "isNull" {
        let test = if kind == Kind::Integer {
            format!("{col} IS NULL")
        } else {
            format!("({col} IS NULL OR {col} = '')")
        };
        return Ok((format!("{not}{test}"), Vec::new(), or, None));
    }
    let parts: Vec<&str> = rest.split(';').collect();
    let like = parts.iter().any(|p| p.contains('%'));
    let terms = if kind == Kind::Text && !negate && !like {
        equality_terms(profile, col, &parts)
    } else {
        None
    };
    let (sql, values) = match kind {
        Kind::Integer => {
            let numbers = parts
                .iter()
                .map(|p| integer(name, p))
                .collect::<Result<Vec<_>, _>>()?;
            (format!("{col} {not}IN ({})", marks(numbers.len())), numbers)
        }
        Kind::Raw => {
            let likes: Vec<String> = parts
                .iter()
                .map(|_| format!("lower({col}) LIKE lower(?)"))
                .collect();
            (format!("{not}({})", likes.join(" OR ")), texts(&parts))
        }
        Kind::Text if like => {
            let likes: Vec<String> = parts.iter().map(|_| format!("{col} LIKE ?")).collect();
            (format!("{not}({})", likes.join(" OR ")), texts(&parts))
        }
        Kind::Text if parts.len() == 1 => {
            let op = if negate { "<>" } else { "=" };
            (format!("{col} {op} ?"), texts(&parts))
        }
        Kind::Text => (
            format!("{col} {not}IN ({})", marks(parts.len())),
            texts(&parts),
        ),
    };
    Ok((sql, values, or, terms))
}

fn integer(field: &str, text: &str) -> Result<Value, FilterError> {
    text.trim()
        .parse::<i64>()
        .map(Value::Integer)
        .map_err(|_| FilterError::NotANumber {
            field: field.to_owned(),
            value: text.to_owned(),
        })
}

fn texts(parts: &[&str]) -> Vec<Value> {
    parts.iter().map(|p| Value::Text((*p).to_owned())).collect()
}

fn marks(n: usize) -> String {
    vec!["?"; n].join(", ")
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Token {
    Word(String),
    Quoted(String),
    Op(&'static str),
}

fn tokenize(input: &str) -> Result<Vec<Token>, String> {
    let mut tokens = Vec::new();
    let mut chars = input.char_indices().peekable();
    while let Some(&(at, c)) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
        } else if c == '\'' {
            chars.next();
            let mut text = String::new();
            let mut closed = false;
            while let Some((_, c)) = chars.next() {
                if c == '\'' {
                    if chars.peek().is_some_and(|(_, n)| *n == '\'') {
                        chars.next();
                        text.push('\'');
                    } else {
                        closed = true;
                        break;
                    }
                } else {
                    text.push(c);
                }
            }
            if !closed {
                return Err(format!("the quote at {at} is not closed"));
            }
            tokens.push(Token::Quoted(text));
        } else if c == '(' || c == ')' {
            return Err("parentheses are not supported; AND binds tighter than OR".into());
        } else if "=!<>".contains(c) {
            chars.next();
            let next = chars.peek().map(|(_, n)| *n);
            let op = match (c, next) {
                ('!', Some('=')) | ('<', Some('>')) => "<>",
                ('>', Some('=')) => ">=",
                ('<', Some('=')) => "<=",
                ('=', _) => "=",
                ('>', _) => ">",
                ('<', _) => "<",
                _ => return Err(format!("unexpected {c:?} at {at}")),
            };
            if op.len() == 2 {
                chars.next();
            }
            tokens.push(Token::Op(op));
        } else {
            let mut word = String::new();
            while let Some(&(_, c)) = chars.peek() {
                if c.is_whitespace() || "=!<>'()".contains(c) {
                    break;
                }
                word.push(c);
                chars.next();
            }
            tokens.push(Token::Word(word));
        }
    }
    Ok(tokens)
}

/// A smartinput expression's SQL and values, and the terms that cover it.
type SmartinputSql = (String, Vec<Value>, Option<Vec<Term>>);

/// Compiles a smartinput expression: its SQL, values and the terms that cover it.
fn smartinput(profile: Profile, input: &str) -> Result<SmartinputSql, FilterError> {
    let fail = |reason: String| FilterError::Smartinput {
        input: input.to_owned(),
        reason,
    };
    let tokens = tokenize(input).map_err(fail)?;
    let mut sql = String::new();
    let mut params = Vec::new();
    let mut plan = Plan::default();
    let mut or = false;
    let mut iter = tokens.into_iter();
    loop {
        let field = match iter.next() {
            Some(Token::Word(w)) => w,
            other => return Err(fail(format!("expected a field name, found {other:?}"))),
        };
        let op = match iter.next() {
            Some(Token::Op(op)) => op,
            Some(Token::Word(w)) if w.eq_ignore_ascii_case("like") => "LIKE",
            other => {
                return Err(fail(format!(
                    "expected an operator after {field}, found {other:?}"
                )))
            }
        };
        let value = match iter.next() {
            Some(Token::Quoted(v)) | Some(Token::Word(v)) => v,
            other => {
                return Err(fail(format!(
                    "expected a value after {field} {op}, found {other:?}"
                )))
            }
        };
        let (col, kind) = match allowed_column(profile, &field) {
            Ok(found) => found,
            Err(e) => return Err(fail(e.to_string())),
        };
        let equality = kind == Kind::Text && op == "=" && !value.contains('%');
        let terms = if equality && value != "isEmpty" {
            equality_terms(profile, col, &[&value])
        } else {
            None
        };
        plan.push(or, terms);
        let part = match kind {
            _ if value == "isEmpty" && op == "=" => format!("{col} = ''"),
            _ if value == "isEmpty" && op == "<>" => format!("{col} <> ''"),
            Kind::Integer if op == "LIKE" => {
                return Err(fail(format!("{field} is a number; LIKE needs text")))
            }
            Kind::Integer => {
                params.push(integer(&field, &value).map_err(|e| fail(e.to_string()))?);
                format!("{col} {op} ?")
            }
            Kind::Raw => {
                params.push(Value::Text(value.clone()));
                let not = if op == "<>" { "NOT " } else { "" };
                format!("lower({col}) {not}LIKE lower(?)")
            }
            Kind::Text => {
                let like = value.contains('%') || op == "LIKE";
                params.push(Value::Text(value.clone()));
                match (like, op) {
                    (true, "<>") => format!("{col} NOT LIKE ?"),
                    (true, _) => format!("{col} LIKE ?"),
                    (false, op) => format!("{col} {op} ?"),
                }
            }
        };
        sql.push_str(&part);
        match iter.next() {
            None => break,
            Some(Token::Word(w)) if w.eq_ignore_ascii_case("and") => {
                sql.push_str(" AND ");
                or = false;
            }
            Some(Token::Word(w)) if w.eq_ignore_ascii_case("or") => {
                sql.push_str(" OR ");
                or = true;
            }
            other => return Err(fail(format!("expected AND or OR, found {other:?}"))),
        }
    }
    Ok((sql, params, plan.finish()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn el(name: &str, value: &str) -> FilterElement {
        FilterElement::string(name, value)
    }

    fn sql(elements: &[FilterElement]) -> (String, Vec<Value>, usize) {
        let c = compile(Profile::Call, elements, false).unwrap();
        (c.condition.sql, c.condition.params, c.limit)
    }

    fn text(v: &str) -> Value {
        Value::Text(v.into())
    }

    #[test]
    fn element_value_conventions_become_sql() {
        let cases: &[(&str, &str, &str)] = &[
            ("data_header.from_user", "1001", "from_user = ?"),
            ("data_header.from_user", "!=1001", "from_user <> ?"),
            ("data_header.from_user", "10%", "(from_user LIKE ?)"),
            ("data_header.from_user", "!=10%", "NOT (from_user LIKE ?)"),
            ("data_header.method", "INVITE;BYE", "method IN (?, ?)"),
            ("data_header.method", "!=INVITE;BYE", "method NOT IN (?, ?)"),
            ("protocol_header.srcPort", "5060", "src_port IN (?)"),
            (
                "data_header.user_agent",
                "isEmpty",
                "(user_agent IS NULL OR user_agent = '')",
            ),
            ("raw", "%X-CID%", "(lower(CAST(raw AS TEXT)) LIKE lower(?))"),
            ("sid", "a;b%", "(sid LIKE ? OR sid LIKE ?)"),
            ("protocol_header.dstIp", "10.0.%", "(dst_ip LIKE ?)"),
            ("protocol_header.dstPort", "5080", "dst_port IN (?)"),
            ("data_header.ruri_domain", "example.com", "ruri_domain = ?"),
            ("data_header.from_domain", "ex%", "(from_domain LIKE ?)"),
            ("data_header.to_domain", "!=example.com", "to_domain <> ?"),
            (
                "protocol_header.correlation_id",
                "leg-a",
                "COALESCE(correlation_id, sid) = ?",
            ),
        ];
        for (name, value, want) in cases {
            assert_eq!(sql(&[el(name, value)]).0, *want, "{name} {value}");
        }
    }

    #[test]
    fn elements_join_with_and_or_with_or_prefix_and_limit_is_read() {
        let (s, params, limit) = sql(&[
            el("limit", "5"),
            el("data_header.from_user", "1001"),
            el("data_header.to_user", "||2002"),
            el("protocol_header.srcIp", "10.0.0.5"),
        ]);
        assert_eq!(s, "from_user = ? OR to_user = ? AND src_ip = ?");
        assert_eq!(params, vec![text("1001"), text("2002"), text("10.0.0.5")]);
        assert_eq!(limit, 5);
        assert_eq!(sql(&[]).2, DEFAULT_LIMIT);
    }

    #[test]
    fn bad_elements_are_explicit_errors() {
        let bad = [
            el("data_header.pid_user", "1"),
            el("node", "x"),
            el("protocol_header.srcPort", "abc"),
            el("limit", ""),
            el("limit", "1000000"),
            el("data_header.ruri_user' OR 1=1 --", "1"),
        ];
        for element in bad {
            assert!(
                compile(Profile::Call, std::slice::from_ref(&element), false).is_err(),
                "{element:?}"
            );
        }
        // ruri_user is not in the 1_default mapping.
        assert!(compile(
            Profile::SipDefault,
            &[el("data_header.ruri_user", "1")],
            false
        )
        .is_err());
    }

    #[test]
    fn smartinput_follows_homer_grammar_with_precedence() {
        let (s, params, _) = sql(&[el(
            "smartinput",
            "data_header.method = 'INVITE' or protocol_header.dstPort >= 5080 AND data_header.to_user LIKE '+49%'",
        )]);
        assert_eq!(s, "(method = ? OR dst_port >= ? AND to_user LIKE ?)");
        assert_eq!(
            params,
            vec![text("INVITE"), Value::Integer(5080), text("+49%")]
        );
        let (s, _, _) = sql(&[el(
            "smartinput",
            "sid!='x y' AND data_header.from_user = asterisk",
        )]);
        assert_eq!(s, "(sid <> ? AND from_user = ?)");
        let (s, _, _) = sql(&[el("smartinput", "data_header.user_agent = isEmpty")]);
        assert_eq!(s, "(user_agent = '')");
    }

    #[test]
    fn smartinput_errors_name_the_problem() {
        for input in [
            "from_user = '1001'",
            "data_header.from_user",
            "data_header.from_user = 'x",
            "(data_header.from_user = 1)",
            "protocol_header.srcPort = abc",
            "data_header.from_user = 1 data_header.to_user = 2",
        ] {
            let err = compile(Profile::Call, &[el("smartinput", input)], false).unwrap_err();
            assert!(
                matches!(err, FilterError::Smartinput { .. }),
                "{input}: {err}"
            );
        }
    }

    #[test]
    fn orlogic_joins_everything_with_or() {
        let c = compile(
            Profile::Call,
            &[
                el("data_header.from_user", "1"),
                el("data_header.to_user", "2"),
            ],
            true,
        )
        .unwrap();
        assert_eq!(c.condition.sql, "from_user = ? OR to_user = ?");
    }

    fn terms(profile: Profile, elements: &[FilterElement], orlogic: bool) -> Option<Vec<String>> {
        let c = compile(profile, elements, orlogic).unwrap();
        c.condition.terms.map(|t| {
            t.iter()
                .map(|t| format!("{:?}={}", t.field, t.value))
                .collect()
        })
    }

    #[test]
    fn equalities_on_posted_fields_choose_the_postings() {
        let call = Profile::Call;
        let user = |v: &str| el("data_header.from_user", v);
        assert_eq!(
            terms(call, &[user("1001")], false),
            Some(vec!["FromUser=1001".into()])
        );
        assert_eq!(
            terms(call, &[el("sid", "a;b")], false),
            Some(vec!["Sid=a".into(), "Sid=b".into()])
        );
        // AND: one indexed part covers the group, whatever else it holds.
        assert_eq!(
            terms(
                call,
                &[el("data_header.method", "INVITE"), user("1001")],
                false
            ),
            Some(vec!["FromUser=1001".into()])
        );
        // OR (`||` or orlogic): every group needs one.
        let to = el("data_header.to_user", "||2002");
        assert_eq!(
            terms(call, &[user("1001"), to], false),
            Some(vec!["FromUser=1001".into(), "ToUser=2002".into()])
        );
        assert_eq!(
            terms(
                call,
                &[user("1001"), el("data_header.method", "INVITE")],
                true
            ),
            None
        );
        // Not equality, or an empty value, or a field without postings in this table: time range.
        for value in ["10%", "!=1001", "isEmpty", ""] {
            assert_eq!(terms(call, &[user(value)], false), None, "{value:?}");
        }
        assert_eq!(
            terms(call, &[el("protocol_header.dstIp", "10.0.0.9")], false),
            Some(vec!["DstIp=10.0.0.9".into()])
        );
        assert_eq!(
            terms(
                Profile::Rtcp,
                &[el("protocol_header.srcIp", "10.0.0.1")],
                false
            ),
            None
        );
        assert_eq!(
            terms(Profile::Rtcp, &[el("sid", "c1")], false),
            Some(vec!["Sid=c1".into()])
        );
    }

    #[test]
    fn smartinput_equalities_choose_the_postings_group_by_group() {
        let si = |v: &str| terms(Profile::Call, &[el("smartinput", v)], false);
        assert_eq!(
            si("data_header.from_user = '1' OR data_header.to_user = '2' AND data_header.method = 'BYE'"),
            Some(vec!["FromUser=1".into(), "ToUser=2".into()])
        );
        assert_eq!(
            si("data_header.method = 'BYE' AND protocol_header.srcIp = '10.0.0.1'"),
            Some(vec!["SrcIp=10.0.0.1".into()])
        );
        assert_eq!(
            si("data_header.from_user = '1' OR data_header.method = 'BYE'"),
            None
        );
        assert_eq!(si("data_header.from_user LIKE '1%'"), None);
        assert_eq!(si("data_header.from_user <> '1'"), None);
    }
}
