//! `SearchForm` → HOMER 7 search requests plus the client-side steps.
//!
//! How an expression is sent: **as filter elements, never as `smartinput`**. homer-app's
//! smartinput has no grouping (`A OR B AND C` is read `A OR (B AND C)`), cannot be combined with
//! other filters and silently drops the whole expression on a parse error (§3.4), while filter
//! elements are ANDed reliably (§3.3). So the expression is rewritten into disjunctive normal
//! form (it has no NOT; negation lives in `!=`, sent as homer's `!=` value prefix), and each
//! conjunction becomes one request. The convenience filters' OR-alternatives (number → From or
//! To user, with and without `+`) are expanded the same way, and the final requests are the
//! cartesian product of all alternative sets, capped at [`MAX_REQUESTS`]. The caller runs them
//! all and merges the answers ([`merge_rows`]), which de-duplicates rows matched by several.
//!
//! Every request keeps homer-app's rules: one `param.search` key, full field ids, string values,
//! no empty values, the `limit` element last, no `smartinput`. Values homer-app would mangle
//! (`'` and `&` are HTML-escaped before matching, `;` splits into an IN list, `!=`/`||`
//! prefixes and `isEmpty`/`isNull` are syntax) are rejected with a hint to use `%` instead.

use std::ops::Range;

use jiff::tz::TimeZone;
use jiff::Timestamp;

use super::ast::{Comparison, Expr, Field, Op};
use super::error::{Input, QueryError, QueryErrorKind};
use super::merge::{merge_rows, MethodFilter};
use super::parse::parse;
use super::time::{resolve_range, TimeRange};
use crate::domain::calls::{group_calls, CallSummary};
use crate::domain::homer::search::TimezoneParam;
use crate::domain::homer::{FilterElement, HomerRow, MappingList, MappingProfile, SearchRequest};
use crate::domain::search_form::{Profile, SearchForm, SortOrder};

/// Most HOMER requests one search may expand into.
pub const MAX_REQUESTS: usize = 32;
/// Default limit of the messages view (rows).
pub const DEFAULT_MESSAGE_LIMIT: u32 = 200;
/// Default limit of the calls view (calls).
pub const DEFAULT_CALL_LIMIT: u32 = 100;
/// Rows asked from HOMER per call wanted in the calls view: a call is typically 6–15 rows
/// (INVITE, 100, 18x, 200, ACK, BYE, 200, some captured twice), and HOMER limits rows, not calls.
pub const ROWS_PER_CALL: u32 = 20;
/// Upper bound of the HOMER row limit in the calls view.
pub const MAX_CALL_VIEW_ROWS: u32 = 10_000;

/// The view a search feeds; it sets the default limit and what the limit counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ResultView {
    /// One line per message; the limit counts rows.
    #[default]
    Messages,
    /// One line per Call-ID; the limit counts calls.
    Calls,
}

/// A compiled search: the HOMER requests to run and what to do with their answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompiledSearch {
    /// The requests; run them all and pass their rows to a `finish_*` method.
    pub requests: Vec<SearchRequest>,
    /// The time range searched.
    pub range: TimeRange,
    /// Methods kept after the search.
    pub methods: MethodFilter,
    /// Rows (messages view) or calls (calls view) shown at most.
    pub limit: u32,
    /// Which view the search feeds.
    pub view: ResultView,
    /// Display order.
    pub sort: SortOrder,
}

impl CompiledSearch {
    /// Messages view: merged, de-duplicated, method-filtered rows in display order, at most
    /// `limit`.
    pub fn finish_rows<I>(&self, answers: I) -> Vec<HomerRow>
    where
        I: IntoIterator<Item = Vec<HomerRow>>,
    {
        let mut rows = self.methods.apply(merge_rows(answers));
        rows.truncate(usize::try_from(self.limit).unwrap_or(usize::MAX));
        if self.sort == SortOrder::OldestFirst {
            rows.reverse();
        }
        rows
    }

    /// Calls view: rows grouped by Call-ID; with a method filter, only calls having a matching
    /// row are kept (their other rows still count for the status). At most `limit` calls.
    pub fn finish_calls<I>(&self, answers: I) -> Vec<CallSummary>
    where
        I: IntoIterator<Item = Vec<HomerRow>>,
    {
        let rows = merge_rows(answers);
        let wanted: Vec<&str> = if self.methods.is_empty() {
            Vec::new()
        } else {
            rows.iter()
                .filter(|r| self.methods.matches(r))
                .map(|r| r.sid.as_str())
                .collect()
        };
        let mut calls: Vec<CallSummary> = group_calls(&rows)
            .into_iter()
            .filter(|c| self.methods.is_empty() || wanted.contains(&c.call_id.as_str()))
            .collect();
        calls.truncate(usize::try_from(self.limit).unwrap_or(usize::MAX));
        if self.sort == SortOrder::OldestFirst {
            calls.reverse();
        }
        calls
    }
}

/// Compiles the form for `view`, with `now` and the user's zone `tz` for times.
///
/// `tz` is `form.tz` resolved by the caller (blank: the browser's zone); looking a name up in
/// the tz database is I/O on native targets, so it stays outside the domain.
///
/// # Errors
/// The first problem found, as a [`QueryError`] naming the input and span: time inputs, limit,
/// methods, convenience values, then the query.
pub fn compile(
    form: &SearchForm,
    view: ResultView,
    now: Timestamp,
    tz: &TimeZone,
) -> Result<CompiledSearch, QueryError> {
    compile_inner(form, view, now, tz, None)
}

/// [`compile`] for a backend whose mapping (`GET /mapping/protocol`) is known: a query field is
/// accepted when the profile's `fields_mapping` lists its id, so fields outside HOMER 7's
/// default mapping (`ruri_domain`, ...) work where an admin mapped them or on the embedded
/// store. Without a row for the profile, HOMER 7's default mapping decides, as in [`compile`].
///
/// # Errors
/// As [`compile`].
pub fn compile_with_mapping(
    form: &SearchForm,
    view: ResultView,
    now: Timestamp,
    tz: &TimeZone,
    mapping: &MappingList,
) -> Result<CompiledSearch, QueryError> {
    let profile = mapping.profile(&form.profile.homer_key().to_string());
    compile_inner(form, view, now, tz, profile)
}

fn compile_inner(
    form: &SearchForm,
    view: ResultView,
    now: Timestamp,
    tz: &TimeZone,
    mapping: Option<&MappingProfile>,
) -> Result<CompiledSearch, QueryError> {
    let rules = Rules {
        profile: form.profile,
        mapping,
    };
    let range = resolve_range(&form.since, &form.until, &form.at, now, tz)?;
    let limit = match (form.limit, view) {
        (Some(0), _) => {
            return Err(QueryError::new(
                Input::Limit,
                0..1,
                QueryErrorKind::ZeroLimit,
            ))
        }
        (Some(n), _) => n,
        (None, ResultView::Messages) => DEFAULT_MESSAGE_LIMIT,
        (None, ResultView::Calls) => DEFAULT_CALL_LIMIT,
    };
    let homer_limit = match view {
        ResultView::Messages => limit,
        ResultView::Calls => limit.saturating_mul(ROWS_PER_CALL).min(MAX_CALL_VIEW_ROWS),
    };
    let methods = compile_methods(&form.methods)?;

    let mut groups: Vec<Vec<Vec<FilterElement>>> = Vec::new();
    if let Some(number) = number_alternatives(&form.number)? {
        groups.push(number);
    }
    let single = [
        (&form.from_user, Input::FromUser, Field::FromUser),
        (&form.to_user, Input::ToUser, Field::ToUser),
        (&form.user_agent, Input::UserAgent, Field::UserAgent),
        (&form.call_id, Input::CallId, Field::CallId),
    ];
    for (text, input, field) in single {
        if let Some((value, span)) = trimmed(text) {
            check_value(value, input, span.clone(), span.start)?;
            groups.push(vec![vec![FilterElement::string(field.homer_id(), value)]]);
        }
    }
    if let Some(expr) = parse(&form.query)? {
        groups.push(expression_alternatives(&expr, &form.query, rules)?);
    }

    let needed = groups
        .iter()
        .fold(1usize, |acc, g| acc.saturating_mul(g.len()));
    if needed > MAX_REQUESTS {
        let (input, span) = if form.query.trim().is_empty() {
            (Input::Number, 0..form.number.len())
        } else {
            (Input::Query, 0..form.query.len())
        };
        return Err(QueryError::new(
            input,
            span,
            QueryErrorKind::TooManyAlternatives {
                needed,
                max: MAX_REQUESTS,
            },
        ));
    }

    let key = form.profile.homer_key();
    let timezone = TimezoneParam::from_zone(tz, now);
    let requests = cartesian(&groups)
        .into_iter()
        .map(|filters| {
            SearchRequest::new(&key, range.to_homer(), filters, homer_limit)
                .with_timezone(timezone.clone())
        })
        .collect();
    Ok(CompiledSearch {
        requests,
        range,
        methods,
        limit,
        view,
        sort: form.sort,
    })
}

/// Checks the method list (RFC 3261 §25.1 `token` characters) and builds the filter.
fn compile_methods(methods: &[String]) -> Result<MethodFilter, QueryError> {
    for method in methods {
        let m = method.trim();
        let token = m
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-.!%*_+`'~".contains(c));
        if !token {
            return Err(QueryError::new(
                Input::Methods,
                0..method.len(),
                QueryErrorKind::InvalidMethod(method.clone()),
            ));
        }
    }
    Ok(MethodFilter::new(methods))
}

/// The text without surrounding whitespace and its span, or `None` when blank.
fn trimmed(text: &str) -> Option<(&str, Range<usize>)> {
    let value = text.trim();
    if value.is_empty() {
        return None;
    }
    let start = text.len() - text.trim_start().len();
    Some((value, start..start + value.len()))
}

/// Rejects values homer-app would mangle or read as syntax. `value_start` is the byte offset
/// of `value` in the input, for pointing at a bad character.
fn check_value(
    value: &str,
    input: Input,
    span: Range<usize>,
    value_start: usize,
) -> Result<(), QueryError> {
    if value.is_empty() {
        return Err(QueryError::new(input, span, QueryErrorKind::EmptyValue));
    }
    if let Some((i, c)) = value
        .char_indices()
        .find(|(_, c)| matches!(c, '\'' | '&' | ';'))
    {
        let at = value_start + i;
        return Err(QueryError::new(
            input,
            at..at + c.len_utf8(),
            QueryErrorKind::UnsupportedChar(c),
        ));
    }
    let reserved = value.starts_with("!=")
        || value.starts_with("||")
        || value == "isEmpty"
        || value == "isNull";
    if reserved {
        return Err(QueryError::new(
            input,
            span,
            QueryErrorKind::ReservedValue(value.to_owned()),
        ));
    }
    Ok(())
}

/// The number filter: From or To user, with and without a leading `+` (a leading `%` already
/// matches any prefix, so it gets no `+` variant).
fn number_alternatives(text: &str) -> Result<Option<Vec<Vec<FilterElement>>>, QueryError> {
    let Some((value, span)) = trimmed(text) else {
        return Ok(None);
    };
    let bare = value.strip_prefix('+').unwrap_or(value);
    let bare_start = span.start + (value.len() - bare.len());
    check_value(bare, Input::Number, span.clone(), bare_start)?;
    let mut variants = vec![bare.to_owned()];
    if !bare.starts_with('%') {
        variants.push(format!("+{bare}"));
    }
    let mut alternatives = Vec::new();
    for field in [Field::FromUser, Field::ToUser] {
        for v in &variants {
            alternatives.push(vec![FilterElement::string(field.homer_id(), v.clone())]);
        }
    }
    Ok(Some(alternatives))
}

/// Which fields the target accepts: the profile searched and, when known, the backend's mapping
/// of it.
#[derive(Clone, Copy, Debug)]
struct Rules<'a> {
    profile: Profile,
    mapping: Option<&'a MappingProfile>,
}

impl Rules<'_> {
    /// The error for a field the target would drop (homer-app ignores unmapped filters, §3.2).
    fn check_field(&self, cmp: &Comparison) -> Result<(), QueryError> {
        let key = self.profile.homer_key().to_string();
        let mapped = match self.mapping {
            Some(mapping) => mapping.accepts_filter(cmp.field.homer_id()),
            None => cmp.field.in_default_mapping(&key),
        };
        if mapped {
            return Ok(());
        }
        let kind = if cmp.field.needs_custom_mapping() {
            QueryErrorKind::FieldNotMapped {
                field: cmp.field,
                profile: key,
            }
        } else {
            QueryErrorKind::FieldNotInProfile {
                field: cmp.field,
                profile: key,
            }
        };
        Err(QueryError::query(cmp.field_span.clone(), kind))
    }
}

/// Checks a port: digits only (homer-app casts it with `::int`), 1 to 65535.
fn check_port(cmp: &Comparison) -> Result<(), QueryError> {
    let number = cmp.value.bytes().all(|b| b.is_ascii_digit())
        && cmp.value.parse::<u16>().is_ok_and(|p| p > 0);
    if !number {
        return Err(QueryError::query(
            cmp.value_span.clone(),
            QueryErrorKind::InvalidPort(cmp.value.clone()),
        ));
    }
    if cmp.op == Op::Ne {
        return Err(QueryError::query(
            cmp.field_span.start..cmp.value_span.end,
            QueryErrorKind::NegatedNumber(cmp.field),
        ));
    }
    Ok(())
}

/// Checks one comparison and turns it into a filter element.
fn comparison_element(
    cmp: &Comparison,
    query: &str,
    rules: Rules<'_>,
) -> Result<FilterElement, QueryError> {
    rules.check_field(cmp)?;
    let token = query.get(cmp.value_span.clone()).unwrap_or("");
    let quoted = token.starts_with('\'') || token.starts_with('"');
    let value_start = cmp.value_span.start + usize::from(quoted);
    check_value(
        &cmp.value,
        Input::Query,
        cmp.value_span.clone(),
        value_start,
    )?;
    let value = match cmp.field {
        Field::Status => {
            let digits_or_wildcard = cmp.value.chars().all(|c| c.is_ascii_digit() || c == '%');
            let exact_code = cmp.value.len() == 3 && cmp.value.bytes().all(|b| b.is_ascii_digit());
            if !(exact_code || (digits_or_wildcard && cmp.value.contains('%'))) {
                return Err(QueryError::query(
                    cmp.value_span.clone(),
                    QueryErrorKind::InvalidStatus(cmp.value.clone()),
                ));
            }
            cmp.value.clone()
        }
        // SIP methods are upper case on the wire; accept `invite` from the keyboard.
        Field::Method => cmp.value.to_ascii_uppercase(),
        field if field.is_number() => {
            check_port(cmp)?;
            return Ok(FilterElement::integer(field.homer_id(), cmp.value.clone()));
        }
        _ => cmp.value.clone(),
    };
    let value = match cmp.op {
        Op::Eq => value,
        Op::Ne => format!("!={value}"),
    };
    Ok(FilterElement::string(cmp.field.homer_id(), value))
}

/// Number of conjunctions in the DNF of `expr`, saturating.
fn dnf_len(expr: &Expr) -> usize {
    match expr {
        Expr::Cmp(_) => 1,
        Expr::And(items) => items
            .iter()
            .fold(1usize, |acc, e| acc.saturating_mul(dnf_len(e))),
        Expr::Or(items) => items
            .iter()
            .fold(0usize, |acc, e| acc.saturating_add(dnf_len(e))),
    }
}

/// The DNF of `expr` as filter-element lists (call only when `dnf_len` is small).
fn dnf(expr: &Expr, query: &str, rules: Rules<'_>) -> Result<Vec<Vec<FilterElement>>, QueryError> {
    match expr {
        Expr::Cmp(cmp) => Ok(vec![vec![comparison_element(cmp, query, rules)?]]),
        Expr::Or(items) => {
            let mut out = Vec::new();
            for item in items {
                out.extend(dnf(item, query, rules)?);
            }
            Ok(out)
        }
        Expr::And(items) => {
            let groups = items
                .iter()
                .map(|item| dnf(item, query, rules))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(cartesian(&groups))
        }
    }
}

fn expression_alternatives(
    expr: &Expr,
    query: &str,
    rules: Rules<'_>,
) -> Result<Vec<Vec<FilterElement>>, QueryError> {
    let needed = dnf_len(expr);
    if needed > MAX_REQUESTS {
        return Err(QueryError::query(
            0..query.len(),
            QueryErrorKind::TooManyAlternatives {
                needed,
                max: MAX_REQUESTS,
            },
        ));
    }
    dnf(expr, query, rules)
}

/// Every way of picking one alternative from each group, each pick's elements concatenated.
fn cartesian(groups: &[Vec<Vec<FilterElement>>]) -> Vec<Vec<FilterElement>> {
    let mut out: Vec<Vec<FilterElement>> = vec![Vec::new()];
    for group in groups {
        let mut next = Vec::with_capacity(out.len().saturating_mul(group.len()));
        for prefix in &out {
            for alternative in group {
                let mut combined = prefix.clone();
                combined.extend(alternative.iter().cloned());
                next.push(combined);
            }
        }
        out = next;
    }
    out
}

#[cfg(test)]
mod fields;
#[cfg(test)]
mod request_rules;
#[cfg(test)]
mod tests;
