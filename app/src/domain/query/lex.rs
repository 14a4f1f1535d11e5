//! Query text → tokens with byte spans. No allocation beyond the token list; never panics.

use std::ops::Range;

use super::error::{QueryError, QueryErrorKind};

/// What a token is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TokenKind {
    /// A bare word: a field name, `and`/`or`, or an unquoted value.
    Word(String),
    /// A quoted value ('...' or "..."), quotes removed.
    Str(String),
    /// `=`
    Eq,
    /// `!=`
    Ne,
    /// `(`
    LParen,
    /// `)`
    RParen,
}

/// A token and its byte span in the query text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    /// What it is.
    pub kind: TokenKind,
    /// Where it is (byte offsets).
    pub span: Range<usize>,
}

impl Token {
    /// The token's source text, for error messages.
    pub fn text<'a>(&self, source: &'a str) -> &'a str {
        source.get(self.span.clone()).unwrap_or("")
    }
}

fn ends_word(c: char) -> bool {
    c.is_whitespace() || matches!(c, '(' | ')' | '=' | '!' | '<' | '>' | '\'' | '"')
}

/// Splits `source` into tokens.
///
/// # Errors
/// [`QueryErrorKind::UnterminatedString`] (span from the quote to the end) and
/// [`QueryErrorKind::UnexpectedChar`] (`!` not followed by `=`, `<`, `>`).
pub fn lex(source: &str) -> Result<Vec<Token>, QueryError> {
    let mut tokens = Vec::new();
    let mut chars = source.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        let single = |kind| Token {
            kind,
            span: start..start + c.len_utf8(),
        };
        match c {
            c if c.is_whitespace() => {}
            '(' => tokens.push(single(TokenKind::LParen)),
            ')' => tokens.push(single(TokenKind::RParen)),
            '=' => tokens.push(single(TokenKind::Eq)),
            '!' => match chars.peek() {
                Some((_, '=')) => {
                    chars.next();
                    tokens.push(Token {
                        kind: TokenKind::Ne,
                        span: start..start + 2,
                    });
                }
                _ => {
                    return Err(QueryError::query(
                        start..start + 1,
                        QueryErrorKind::UnexpectedChar('!'),
                    ))
                }
            },
            '<' | '>' => {
                return Err(QueryError::query(
                    start..start + 1,
                    QueryErrorKind::UnexpectedChar(c),
                ))
            }
            '\'' | '"' => {
                let quote = c;
                let mut value = String::new();
                let mut end = None;
                for (i, ch) in chars.by_ref() {
                    if ch == quote {
                        end = Some(i + 1);
                        break;
                    }
                    value.push(ch);
                }
                let Some(end) = end else {
                    return Err(QueryError::query(
                        start..source.len(),
                        QueryErrorKind::UnterminatedString,
                    ));
                };
                tokens.push(Token {
                    kind: TokenKind::Str(value),
                    span: start..end,
                });
            }
            _ => {
                let mut word = String::from(c);
                let mut end = start + c.len_utf8();
                while let Some(&(i, ch)) = chars.peek() {
                    if ends_word(ch) {
                        break;
                    }
                    word.push(ch);
                    end = i + ch.len_utf8();
                    chars.next();
                }
                tokens.push(Token {
                    kind: TokenKind::Word(word),
                    span: start..end,
                });
            }
        }
    }
    Ok(tokens)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(source: &str) -> Vec<TokenKind> {
        lex(source).unwrap().into_iter().map(|t| t.kind).collect()
    }

    fn word(s: &str) -> TokenKind {
        TokenKind::Word(s.into())
    }

    fn string(s: &str) -> TokenKind {
        TokenKind::Str(s.into())
    }

    #[test]
    fn lex_case_table() {
        use TokenKind::*;
        let cases: Vec<(&str, Vec<TokenKind>)> = vec![
            ("", vec![]),
            (
                "from_user = '1001'",
                vec![word("from_user"), Eq, string("1001")],
            ),
            (
                "from_user='1001'",
                vec![word("from_user"), Eq, string("1001")],
            ),
            ("ua!=\"Phone 1\"", vec![word("ua"), Ne, string("Phone 1")]),
            ("status = 486", vec![word("status"), Eq, word("486")]),
            (
                "(a = 'x' OR b != 'y%')",
                vec![
                    LParen,
                    word("a"),
                    Eq,
                    string("x"),
                    word("OR"),
                    word("b"),
                    Ne,
                    string("y%"),
                    RParen,
                ],
            ),
            ("  \t\n", vec![]),
            (
                "v = 'it''s'",
                vec![word("v"), Eq, string("it"), string("s")],
            ),
            ("x = 'é'", vec![word("x"), Eq, string("é")]),
        ];
        for (source, expected) in cases {
            assert_eq!(kinds(source), expected, "source {source:?}");
        }
    }

    #[test]
    fn lex_spans_are_byte_offsets() {
        let tokens = lex("é = 'ü'").unwrap();
        assert_eq!(tokens[0].span, 0..2);
        assert_eq!(tokens[1].span, 3..4);
        assert_eq!(tokens[2].span, 5..9);
        assert_eq!(tokens[2].text("é = 'ü'"), "'ü'");
    }

    #[test]
    fn lex_errors_carry_spans() {
        let cases: Vec<(&str, std::ops::Range<usize>, QueryErrorKind)> = vec![
            ("a = 'open", 4..9, QueryErrorKind::UnterminatedString),
            ("a ! 'x'", 2..3, QueryErrorKind::UnexpectedChar('!')),
            ("port >= 5", 5..6, QueryErrorKind::UnexpectedChar('>')),
            ("a < 5", 2..3, QueryErrorKind::UnexpectedChar('<')),
        ];
        for (source, span, kind) in cases {
            let err = lex(source).unwrap_err();
            assert_eq!((err.span, err.kind), (span, kind), "source {source:?}");
        }
    }
}
