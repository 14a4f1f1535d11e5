//! Tokens → [`Expr`]: `field op value { (and|or) field op value }` with parentheses.
//!
//! AND binds tighter than OR; `and`/`or` are case-insensitive. Every error carries the byte span
//! of the offending token (an empty span at the end of input when something is missing).

use std::ops::Range;

use super::ast::{Comparison, Expr, Field, Op};
use super::error::{QueryError, QueryErrorKind};
use super::lex::{lex, Token, TokenKind};

/// Deepest parenthesis nesting accepted (keeps recursion bounded).
pub const MAX_DEPTH: usize = 32;

/// Parses a query; blank text is `Ok(None)` (no expression filter).
///
/// # Errors
/// Any lexing or syntax error, or an unknown field, with its span in `source`.
pub fn parse(source: &str) -> Result<Option<Expr>, QueryError> {
    let tokens = lex(source)?;
    if tokens.is_empty() {
        return Ok(None);
    }
    let mut parser = Parser {
        source,
        tokens: &tokens,
        pos: 0,
    };
    let expr = parser.or_expr(0)?;
    if let Some(token) = parser.peek() {
        let kind = if token.kind == TokenKind::RParen {
            QueryErrorKind::UnmatchedParen
        } else {
            QueryErrorKind::ExpectedConnective(token.text(source).to_owned())
        };
        return Err(QueryError::query(token.span.clone(), kind));
    }
    Ok(Some(expr))
}

struct Parser<'a> {
    source: &'a str,
    tokens: &'a [Token],
    pos: usize,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Keyword {
    And,
    Or,
}

fn keyword(token: &Token) -> Option<Keyword> {
    match &token.kind {
        TokenKind::Word(w) if w.eq_ignore_ascii_case("and") => Some(Keyword::And),
        TokenKind::Word(w) if w.eq_ignore_ascii_case("or") => Some(Keyword::Or),
        _ => None,
    }
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<&'a Token> {
        self.tokens.get(self.pos)
    }

    fn next(&mut self) -> Option<&'a Token> {
        let token = self.tokens.get(self.pos)?;
        self.pos += 1;
        Some(token)
    }

    fn end_span(&self) -> Range<usize> {
        self.source.len()..self.source.len()
    }

    fn text(&self, token: Option<&Token>) -> String {
        token.map_or_else(String::new, |t| t.text(self.source).to_owned())
    }

    fn span(&self, token: Option<&Token>) -> Range<usize> {
        token.map_or_else(|| self.end_span(), |t| t.span.clone())
    }

    fn or_expr(&mut self, depth: usize) -> Result<Expr, QueryError> {
        let mut operands = vec![self.and_expr(depth)?];
        while self.peek().and_then(keyword) == Some(Keyword::Or) {
            self.pos += 1;
            operands.push(self.and_expr(depth)?);
        }
        Ok(flatten(operands, Expr::Or))
    }

    fn and_expr(&mut self, depth: usize) -> Result<Expr, QueryError> {
        let mut operands = vec![self.primary(depth)?];
        while self.peek().and_then(keyword) == Some(Keyword::And) {
            self.pos += 1;
            operands.push(self.primary(depth)?);
        }
        Ok(flatten(operands, Expr::And))
    }

    fn primary(&mut self, depth: usize) -> Result<Expr, QueryError> {
        let token = self.next();
        match token.map(|t| &t.kind) {
            Some(TokenKind::LParen) => {
                let open = self.span(token);
                if depth >= MAX_DEPTH {
                    return Err(QueryError::query(open, QueryErrorKind::TooDeep));
                }
                let inner = self.or_expr(depth + 1)?;
                let close = self.next();
                match close.map(|t| &t.kind) {
                    Some(TokenKind::RParen) => Ok(inner),
                    None => Err(QueryError::query(open, QueryErrorKind::UnclosedParen)),
                    Some(_) => Err(QueryError::query(
                        self.span(close),
                        QueryErrorKind::ExpectedConnective(self.text(close)),
                    )),
                }
            }
            Some(TokenKind::Word(name)) if token.and_then(keyword).is_none() => {
                let field_span = self.span(token);
                let field = Field::parse(name).ok_or_else(|| {
                    QueryError::query(
                        field_span.clone(),
                        QueryErrorKind::UnknownField(name.clone()),
                    )
                })?;
                self.comparison(field, field_span).map(Expr::Cmp)
            }
            _ => Err(QueryError::query(
                self.span(token),
                QueryErrorKind::ExpectedField(self.text(token)),
            )),
        }
    }

    fn comparison(
        &mut self,
        field: Field,
        field_span: Range<usize>,
    ) -> Result<Comparison, QueryError> {
        let op_token = self.next();
        let op = match op_token.map(|t| &t.kind) {
            Some(TokenKind::Eq) => Op::Eq,
            Some(TokenKind::Ne) => Op::Ne,
            _ => {
                return Err(QueryError::query(
                    self.span(op_token),
                    QueryErrorKind::ExpectedOperator(self.text(op_token)),
                ))
            }
        };
        let value_token = self.next();
        let value = match value_token.map(|t| &t.kind) {
            Some(TokenKind::Str(v)) => v.clone(),
            Some(TokenKind::Word(v)) if value_token.and_then(keyword).is_none() => v.clone(),
            _ => {
                return Err(QueryError::query(
                    self.span(value_token),
                    QueryErrorKind::ExpectedValue(self.text(value_token)),
                ))
            }
        };
        Ok(Comparison {
            field,
            op,
            value,
            field_span,
            value_span: self.span(value_token),
        })
    }
}

fn flatten(mut operands: Vec<Expr>, join: fn(Vec<Expr>) -> Expr) -> Expr {
    if operands.len() == 1 {
        if let Some(only) = operands.pop() {
            return only;
        }
    }
    join(operands)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Renders an expression compactly: `(a=x & (b!=y | c=z))`.
    fn show(expr: &Expr) -> String {
        match expr {
            Expr::Cmp(c) => {
                let op = if c.op == Op::Eq { "=" } else { "!=" };
                format!("{}{op}{}", c.field.name(), c.value)
            }
            Expr::And(items) => {
                format!(
                    "({})",
                    items.iter().map(show).collect::<Vec<_>>().join(" & ")
                )
            }
            Expr::Or(items) => {
                format!(
                    "({})",
                    items.iter().map(show).collect::<Vec<_>>().join(" | ")
                )
            }
        }
    }

    #[test]
    fn parse_case_table() {
        let cases = [
            ("from_user = '1001'", "from_user=1001"),
            ("FROM_USER = '1001'", "from_user=1001"),
            ("ua != 'Phone%'", "user_agent!=Phone%"),
            ("sid = 'abc@host'", "call_id=abc@host"),
            (
                "status = 486 and method = INVITE",
                "(status=486 & method=INVITE)",
            ),
            ("a_or_b", ""),
            (
                "from_user = '1' OR to_user = '2' AND cseq = '1 INVITE'",
                "(from_user=1 | (to_user=2 & cseq=1 INVITE))",
            ),
            (
                "(from_user = '1' or to_user = '2') and status = '200'",
                "((from_user=1 | to_user=2) & status=200)",
            ),
            ("((method = 'BYE'))", "method=BYE"),
            (
                "ruri_user='x' and ruri_user='y' and ruri_user='z'",
                "(ruri_user=x & ruri_user=y & ruri_user=z)",
            ),
        ];
        for (source, expected) in cases {
            if expected.is_empty() {
                assert!(parse(source).is_err(), "{source:?}");
                continue;
            }
            let expr = parse(source).unwrap().unwrap();
            assert_eq!(show(&expr), expected, "source {source:?}");
        }
    }

    #[test]
    fn parse_blank_is_no_expression() {
        assert_eq!(parse("").unwrap(), None);
        assert_eq!(parse("   ").unwrap(), None);
    }

    #[test]
    fn parse_errors_carry_spans_of_the_offending_token() {
        use QueryErrorKind as K;
        let cases: Vec<(&str, std::ops::Range<usize>, K)> = vec![
            ("from = '1'", 0..4, K::UnknownField("from".into())),
            ("from_user '1'", 10..13, K::ExpectedOperator("'1'".into())),
            ("from_user", 9..9, K::ExpectedOperator(String::new())),
            ("from_user =", 11..11, K::ExpectedValue(String::new())),
            ("from_user = and", 12..15, K::ExpectedValue("and".into())),
            (
                "from_user = '1' to_user = '2'",
                16..23,
                K::ExpectedConnective("to_user".into()),
            ),
            (
                "from_user = '1' and",
                19..19,
                K::ExpectedField(String::new()),
            ),
            ("'1' = from_user", 0..3, K::ExpectedField("'1'".into())),
            ("(from_user = '1'", 0..1, K::UnclosedParen),
            ("from_user = '1')", 15..16, K::UnmatchedParen),
            ("()", 1..2, K::ExpectedField(")".into())),
            (
                "(from_user = '1' x",
                17..18,
                K::ExpectedConnective("x".into()),
            ),
            ("or", 0..2, K::ExpectedField("or".into())),
        ];
        for (source, span, kind) in cases {
            let err = parse(source).unwrap_err();
            assert_eq!((err.span, err.kind), (span, kind), "source {source:?}");
        }
    }

    #[test]
    fn parse_rejects_deep_nesting_without_overflow() {
        let source = format!("{}method = 'BYE'{}", "(".repeat(200), ")".repeat(200));
        let err = parse(&source).unwrap_err();
        assert_eq!(err.kind, QueryErrorKind::TooDeep);
        assert_eq!(err.span, MAX_DEPTH..MAX_DEPTH + 1);
    }
}
