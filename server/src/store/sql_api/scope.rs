//! What a user's SQL says about time: whether its WHERE (or ON/HAVING) clauses constrain `time`,
//! `time_us` or HEPop's `time_sec`/`time_usec` (then the 10-minute default window does not apply), and, for a plain single SELECT,
//! the time range its conditions keep (then the views hold only the partitions in that range).
//!
//! A small tokenizer, not a parser: string literals, quoted identifiers and comments are skipped,
//! and each parenthesis level remembers the clause it sits in. Bounds are read only where they are
//! certain to bind every row of the views: exactly one SELECT and one WHERE, and no OR or NOT
//! anywhere; otherwise the range is left open (every partition), which is always correct.

/// A time range, µs since the epoch, both ends inclusive; `None` is open.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Range {
    pub from_us: Option<i64>,
    pub to_us: Option<i64>,
}

/// What the query says about time.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TimeScope {
    /// A WHERE, ON or HAVING clause names `time`, `time_us`, `time_sec` or `time_usec`.
    pub constrained: bool,
    /// The range those conditions certainly keep (open when unsure).
    pub range: Range,
}

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Word(String),
    Number(String),
    Text(String),
    Symbol(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Clause {
    Other,
    Condition,
}

/// Reads what `sql` says about time.
pub fn time_scope(sql: &str) -> TimeScope {
    let tokens = tokenize(sql);
    let mut clause = Clause::Other;
    let mut stack: Vec<Clause> = Vec::new();
    let mut constrained = false;
    let (mut selects, mut wheres, mut disjunction) = (0usize, 0usize, false);
    for token in &tokens {
        match token {
            Token::Symbol(s) if s == "(" => stack.push(clause),
            Token::Symbol(s) if s == ")" => clause = stack.pop().unwrap_or(Clause::Other),
            Token::Word(w) => match w.as_str() {
                "where" | "on" | "having" => {
                    wheres += usize::from(w == "where");
                    clause = Clause::Condition;
                }
                "select" => {
                    selects += 1;
                    clause = Clause::Other;
                }
                "from" | "group" | "order" | "limit" | "window" | "union" | "except"
                | "intersect" => clause = Clause::Other,
                "or" | "not" => disjunction = true,
                "time" | "time_us" | "time_sec" | "time_usec" if clause == Clause::Condition => {
                    constrained = true
                }
                _ => {}
            },
            _ => {}
        }
    }
    // One view read once: a bound on one alias of a self-join does not bind the other.
    let views = tokens
        .iter()
        .filter(|t| matches!(t, Token::Word(w) if super::views::VIEWS.contains(&w.as_str())))
        .count();
    let joined = tokens.iter().any(|t| *t == Token::Word("join".into()));
    let certain = selects == 1 && wheres == 1 && !disjunction && views <= 1 && !joined;
    let range = if certain {
        bounds(&tokens)
    } else {
        Range::default()
    };
    TimeScope { constrained, range }
}

/// The range kept by the comparisons of `time_us` and `time_sec` with integers and of `time` with
/// RFC 3339 text (`time_usec`, the µs within the second, bounds nothing).
fn bounds(tokens: &[Token]) -> Range {
    let mut range = Range::default();
    // Strict and loose comparisons keep the same partitions; `slack` loosens text comparisons.
    let mut tighten = |op: &str, value: i64, slack: i64| {
        let (low, high) = (value.saturating_sub(slack), value.saturating_add(slack));
        match op {
            ">" | ">=" => raise(&mut range.from_us, low),
            "<" | "<=" => lower(&mut range.to_us, high),
            "=" | "==" => {
                raise(&mut range.from_us, low);
                lower(&mut range.to_us, high);
            }
            _ => {}
        }
    };
    for (at, token) in tokens.iter().enumerate() {
        let Some(column) = time_column(tokens, at, token) else {
            continue;
        };
        let value_at = |i: usize| tokens.get(i).and_then(|t| literal(column, t));
        let slack = match column {
            Column::Time | Column::TimeSec => 1_000_000,
            Column::TimeUs => 0,
        };
        // `alias.time_us` starts at the alias.
        let dot = Token::Symbol(".".into());
        let start = if at.checked_sub(1).and_then(|i| tokens.get(i)) == Some(&dot) {
            at.saturating_sub(2)
        } else {
            at
        };
        let before = |n: usize| start.checked_sub(n).and_then(|i| tokens.get(i));
        // column <op> value, alone between boundaries (not `2 * time_us > 10`, `time_us > 5 + x`)
        if let (Some(Token::Symbol(op)), Some(value)) = (tokens.get(at + 1), value_at(at + 2)) {
            if boundary(before(1)) && boundary(tokens.get(at + 3)) {
                tighten(op, value, slack);
            }
        }
        // value <op> column
        if let (Some(Token::Symbol(op)), Some(value)) =
            (before(1), start.checked_sub(2).and_then(value_at))
        {
            if boundary(before(3)) && boundary(tokens.get(at + 1)) {
                tighten(&mirror(op), value, slack);
            }
        }
        // column BETWEEN a AND b
        if boundary(before(1))
            && tokens.get(at + 1) == Some(&Token::Word("between".into()))
            && tokens.get(at + 3) == Some(&Token::Word("and".into()))
            && boundary(tokens.get(at + 5))
        {
            if let (Some(a), Some(b)) = (value_at(at + 2), value_at(at + 4)) {
                tighten(">=", a, slack);
                tighten("<=", b, slack);
            }
        }
    }
    range
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Column {
    Time,
    TimeUs,
    /// HEPop's whole seconds: a bound is taken 1 s loose, as `time_sec > N` keeps `N + 0.5 s`.
    TimeSec,
}

/// `time`, `time_us` or `time_sec` (bare or after `alias.`) at `at`, not itself a qualifier.
fn time_column(tokens: &[Token], at: usize, token: &Token) -> Option<Column> {
    let column = match token {
        Token::Word(w) if w == "time" => Column::Time,
        Token::Word(w) if w == "time_us" => Column::TimeUs,
        Token::Word(w) if w == "time_sec" => Column::TimeSec,
        _ => return None,
    };
    (tokens.get(at + 1) != Some(&Token::Symbol(".".into()))).then_some(column)
}

/// Where a comparison starts or ends: nothing, a keyword or name, a parenthesis, a comma or `;`.
fn boundary(token: Option<&Token>) -> bool {
    match token {
        None | Some(Token::Word(_)) => true,
        Some(Token::Symbol(s)) => matches!(s.as_str(), "(" | ")" | "," | ";"),
        _ => false,
    }
}

/// The value of a literal compared with `column`, µs. Text compares as text (`time` is
/// `…T12:00:00.000Z`), so a text bound is taken 1 s loose.
fn literal(column: Column, token: &Token) -> Option<i64> {
    match (column, token) {
        (Column::TimeUs, Token::Number(n)) => n.parse().ok(),
        (Column::TimeSec, Token::Number(n)) => {
            n.parse::<i64>().ok().map(|s| s.saturating_mul(1_000_000))
        }
        (Column::Time, Token::Text(t)) => t
            .parse::<jiff::Timestamp>()
            .ok()
            .map(|ts| ts.as_microsecond()),
        _ => None,
    }
}

fn mirror(op: &str) -> String {
    match op {
        ">" => "<",
        ">=" => "<=",
        "<" => ">",
        "<=" => ">=",
        other => other,
    }
    .to_owned()
}

fn raise(slot: &mut Option<i64>, value: i64) {
    *slot = Some(slot.map_or(value, |v| v.max(value)));
}

fn lower(slot: &mut Option<i64>, value: i64) {
    *slot = Some(slot.map_or(value, |v| v.min(value)));
}

/// Words (lower-cased; quoted identifiers too), numbers, string literals and symbols; comments
/// and white space dropped.
fn tokenize(sql: &str) -> Vec<Token> {
    let chars: Vec<char> = sql.chars().collect();
    let mut out = Vec::new();
    let mut at = 0;
    let quoted = |at: usize, close: char| -> (String, usize) {
        let mut text = String::new();
        let mut i = at + 1;
        while let Some(&c) = chars.get(i) {
            if c == close {
                if chars.get(i + 1) == Some(&close) {
                    text.push(c);
                    i += 2;
                    continue;
                }
                return (text, i + 1);
            }
            text.push(c);
            i += 1;
        }
        (text, i)
    };
    while let Some(&c) = chars.get(at) {
        let next = chars.get(at + 1).copied();
        if c.is_whitespace() {
            at += 1;
        } else if c == '-' && next == Some('-') {
            while chars.get(at).is_some_and(|&c| c != '\n') {
                at += 1;
            }
        } else if c == '/' && next == Some('*') {
            at += 2;
            while chars.get(at).is_some() && !(chars[at] == '*' && chars.get(at + 1) == Some(&'/'))
            {
                at += 1;
            }
            at += 2;
        } else if c == '\'' {
            let (text, end) = quoted(at, '\'');
            out.push(Token::Text(text));
            at = end;
        } else if c == '"' || c == '`' || c == '[' {
            let (text, end) = quoted(at, if c == '[' { ']' } else { c });
            out.push(Token::Word(text.to_ascii_lowercase()));
            at = end;
        } else if c.is_ascii_digit() {
            let start = at;
            while chars
                .get(at)
                .is_some_and(|c| c.is_ascii_alphanumeric() || *c == '.')
            {
                at += 1;
            }
            out.push(Token::Number(chars[start..at].iter().collect()));
        } else if c.is_alphanumeric() || c == '_' || c == '$' {
            let start = at;
            while chars
                .get(at)
                .is_some_and(|c| c.is_alphanumeric() || *c == '_' || *c == '$')
            {
                at += 1;
            }
            let word: String = chars[start..at].iter().collect();
            out.push(Token::Word(word.to_ascii_lowercase()));
        } else {
            let two: String = chars[at..(at + 2).min(chars.len())].iter().collect();
            if matches!(two.as_str(), ">=" | "<=" | "==" | "!=" | "<>" | "||") {
                out.push(Token::Symbol(two));
                at += 2;
            } else {
                out.push(Token::Symbol(c.to_string()));
                at += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: i64 = 1_783_166_400_000_000; // 2026-07-04T12:00:00Z

    #[test]
    fn time_in_the_select_list_or_a_longer_word_does_not_constrain() {
        for sql in [
            "SELECT time, method FROM hep_1",
            "SELECT time_us FROM hep_1 ORDER BY time DESC",
            "SELECT runtime FROM hep_1 WHERE timeout > 1",
            "SELECT * FROM hep_1 WHERE method = 'time'",
            "SELECT * FROM hep_1 WHERE method = 'INVITE' -- time_us > 1",
            "SELECT max(time) FROM hep_1 GROUP BY time",
        ] {
            assert!(!time_scope(sql).constrained, "{sql}");
        }
    }

    #[test]
    fn time_in_where_on_or_having_constrains() {
        for sql in [
            "select * from hep_1 where TIME > '2026'",
            "SELECT * FROM hep_1 WHERE (method = 'BYE' AND h.time_us>1)",
            "SELECT * FROM hep_1 a JOIN hep_5 b ON a.call_id = b.call_id AND b.\"time_us\" > 0",
            "SELECT call_id FROM hep_1 GROUP BY call_id HAVING min(time_us) > 5",
            "SELECT * FROM hep_1 WHERE id IN (SELECT id FROM hep_1 WHERE time_us > 5)",
        ] {
            assert!(time_scope(sql).constrained, "{sql}");
        }
    }

    #[test]
    fn bounds_come_from_plain_comparisons_of_a_single_select() {
        let scope = time_scope(&format!(
            "SELECT count(*) FROM hep_1 WHERE time_us >= {T} AND {} > time_us",
            T + 10
        ));
        assert_eq!(
            scope.range,
            Range {
                from_us: Some(T),
                to_us: Some(T + 10)
            }
        );
        let between = time_scope(&format!(
            "SELECT * FROM hep_1 WHERE time_us BETWEEN {T} AND {} LIMIT 5",
            T + 5
        ));
        assert_eq!(between.range.to_us, Some(T + 5));
        let qualified = time_scope(&format!("SELECT * FROM hep_1 h WHERE h.time_us < {T}"));
        assert_eq!(qualified.range.to_us, Some(T));
        let text = time_scope("SELECT * FROM hep_1 WHERE time > '2026-07-04T12:00:00Z'");
        assert_eq!(text.range.from_us, Some(T - 1_000_000));
        assert_eq!(text.range.to_us, None);
    }

    #[test]
    fn hepop_time_sec_and_time_usec_constrain_and_time_sec_bounds_one_second_loose() {
        assert!(!time_scope("SELECT time_sec, time_usec FROM hep_1").constrained);
        assert!(time_scope("SELECT * FROM hep_1 WHERE time_usec < 500").constrained);
        let secs = T / 1_000_000;
        let scope = time_scope(&format!(
            "SELECT time_sec FROM hep_1 WHERE time_sec >= {secs} AND time_sec < {}",
            secs + 60
        ));
        assert!(scope.constrained);
        assert_eq!(
            scope.range,
            Range {
                from_us: Some(T - 1_000_000),
                to_us: Some(T + 61_000_000)
            }
        );
        assert_eq!(
            time_scope("SELECT * FROM hep_1 WHERE time_usec > 5").range,
            Range::default()
        );
    }

    #[test]
    fn uncertain_conditions_leave_the_range_open() {
        for sql in [
            format!("SELECT * FROM hep_1 WHERE time_us > {T} OR method = 'BYE'"),
            format!("SELECT * FROM hep_1 WHERE NOT time_us > {T}"),
            format!("SELECT * FROM hep_1 WHERE 2 * time_us > {T}"),
            format!("SELECT * FROM hep_1 WHERE time_us > {T} + 0"),
            format!("SELECT * FROM hep_1 WHERE time_us > {T} UNION SELECT * FROM hep_1"),
            format!(
                "SELECT * FROM hep_1 a JOIN hep_1 b ON a.call_id = b.call_id WHERE a.time_us > {T}"
            ),
            format!("SELECT * FROM hep_1 a, hep_5 b WHERE a.time_us > {T}"),
            format!("SELECT * FROM hep_1 WHERE id IN (SELECT id FROM hep_1 WHERE time_us > {T})"),
        ] {
            let scope = time_scope(&sql);
            assert!(scope.constrained, "{sql}");
            assert_eq!(scope.range, Range::default(), "{sql}");
        }
    }
}
