//! Lenient, borrowing parsers for the parts of header values the product indexes: URIs (`sip:`, `sips:`,
//! `tel:`), name-addr / addr-spec values (From, To, Contact, P-Asserted-Identity), Via values and
//! `;name=value` parameter lists.
//!
//! Pure and allocation-free: every result borrows from the header text. Nothing here fails; a part that
//! cannot be found is `None`.

/// The scheme of a URI.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme<'a> {
    Sip,
    Sips,
    /// RFC 3966 telephone number.
    Tel,
    /// Any other scheme, as written (without the colon).
    Other(&'a str),
}

/// A URI split into the fields hepscope indexes. Borrowed from the header or start line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Uri<'a> {
    /// The whole URI text, trimmed.
    pub raw: &'a str,
    pub scheme: Scheme<'a>,
    /// `sip:` user part (without password), or the `tel:` number (`+4922112345`).
    pub user: Option<&'a str>,
    /// Host or domain; IPv6 references keep their brackets. `None` for `tel:` and unknown schemes.
    pub host: Option<&'a str>,
    pub port: Option<u16>,
    /// URI parameters after the host (`;transport=tcp;lr`), without the leading `;`.
    pub params: &'a str,
}

impl<'a> Uri<'a> {
    /// Parses a URI; unknown schemes and missing parts are tolerated.
    pub fn parse(text: &'a str) -> Uri<'a> {
        let raw = text.trim();
        let (scheme_text, rest) = match raw.split_once(':') {
            Some((scheme, rest)) if is_scheme(scheme) => (scheme, rest),
            _ => ("", raw),
        };
        let scheme = if scheme_text.eq_ignore_ascii_case("sip") {
            Scheme::Sip
        } else if scheme_text.eq_ignore_ascii_case("sips") {
            Scheme::Sips
        } else if scheme_text.eq_ignore_ascii_case("tel") {
            Scheme::Tel
        } else {
            Scheme::Other(scheme_text)
        };
        let mut uri = Uri {
            raw,
            scheme,
            user: None,
            host: None,
            port: None,
            params: "",
        };
        match scheme {
            Scheme::Sip | Scheme::Sips => {
                let rest = rest
                    .split_once('?')
                    .map_or(rest, |(before, _headers)| before);
                let (user, hostport) = match rest.rsplit_once('@') {
                    Some((userinfo, hostport)) => {
                        let user = userinfo.split_once(':').map_or(userinfo, |(u, _pw)| u);
                        (non_empty(user), hostport)
                    }
                    None => (None, rest),
                };
                let (hostport, params) = hostport.split_once(';').unwrap_or((hostport, ""));
                let (host, port) = split_host_port(hostport);
                uri.user = user;
                uri.host = non_empty(host);
                uri.port = port;
                uri.params = params;
            }
            Scheme::Tel => {
                let (number, params) = rest.split_once(';').unwrap_or((rest, ""));
                uri.user = non_empty(number.trim());
                uri.params = params;
            }
            Scheme::Other(_) => {}
        }
        uri
    }

    /// The value of a URI parameter (`lr` yields `Some("")`), matched case-insensitively.
    pub fn param(&self, name: &str) -> Option<&'a str> {
        find_param(self.params, name)
    }
}

/// A `name-addr` or `addr-spec` value (RFC 3261 §20.10, §25.1), such as a From, To or Contact value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NameAddr<'a> {
    /// The display name without quotes (escapes are kept as written); `None` when absent or empty.
    pub display_name: Option<&'a str>,
    pub uri: Uri<'a>,
    /// Header parameters after the URI (`tag=abc;expires=60`), without the leading `;`.
    pub params: &'a str,
}

impl<'a> NameAddr<'a> {
    /// Parses one value; pass the first element of a comma-separated list (see [`first_element`]).
    pub fn parse(text: &'a str) -> NameAddr<'a> {
        let text = text.trim();
        let (display_name, after_display) = match text.strip_prefix('"') {
            Some(quoted) => {
                let end = closing_quote(quoted);
                let name = quoted.get(..end).unwrap_or(quoted);
                let rest = quoted.get(end + 1..).unwrap_or("");
                (non_empty(name.trim()), rest)
            }
            None => match text.split_once('<') {
                Some((name, _)) => (non_empty(name.trim()), text.get(name.len()..).unwrap_or("")),
                None => (None, text),
            },
        };
        let after_display = after_display.trim_start();
        let (uri_text, params) = match after_display.strip_prefix('<') {
            Some(bracketed) => match bracketed.split_once('>') {
                Some((uri, params)) => (uri, params),
                None => (bracketed, ""),
            },
            // addr-spec: the URI ends at the first `;`, which starts header parameters (RFC 3261 §20.10).
            None => after_display
                .split_once(';')
                .map_or((after_display, ""), |(uri, params)| (uri, params)),
        };
        let params = params.trim_start();
        let params = params.strip_prefix(';').unwrap_or(params);
        NameAddr {
            display_name,
            uri: Uri::parse(uri_text),
            params,
        }
    }

    /// The value of a header parameter (for example `tag`), matched case-insensitively.
    pub fn param(&self, name: &str) -> Option<&'a str> {
        find_param(self.params, name)
    }

    /// The `tag` parameter of a From or To value.
    pub fn tag(&self) -> Option<&'a str> {
        self.param("tag").and_then(non_empty)
    }
}

/// One Via value (RFC 3261 §20.42): `SIP/2.0/UDP host:port;branch=...`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Via<'a> {
    /// The transport token (`UDP`, `TCP`, `TLS`, `WS`, ...), as written.
    pub transport: &'a str,
    /// The sent-by host; IPv6 references keep their brackets.
    pub host: &'a str,
    pub port: Option<u16>,
    /// Via parameters without the leading `;`.
    pub params: &'a str,
}

impl<'a> Via<'a> {
    /// Parses one Via value; pass the first element of the header (see [`first_element`]).
    pub fn parse(text: &'a str) -> Via<'a> {
        let (transport, rest) = split_via_protocol(text.trim());
        let (sent_by, params) = rest.split_once(';').unwrap_or((rest, ""));
        let (host, port) = split_host_port(sent_by.trim());
        Via {
            transport,
            host,
            port,
            params: params.trim(),
        }
    }

    /// The `branch` parameter (the transaction id, RFC 3261 §8.1.1.7).
    pub fn branch(&self) -> Option<&'a str> {
        find_param(self.params, "branch").and_then(non_empty)
    }

    /// Any Via parameter (`received`, `rport`), matched case-insensitively.
    pub fn param(&self, name: &str) -> Option<&'a str> {
        find_param(self.params, name)
    }
}

/// The first element of a comma-separated header value, ignoring commas inside quotes and `<...>`
/// (RFC 3261 §7.3.1 allows several Via, Contact or Route values on one line).
pub fn first_element(value: &str) -> &str {
    let mut in_quotes = false;
    let mut in_angle = false;
    let mut escaped = false;
    for (i, c) in value.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' if in_quotes => escaped = true,
            '"' => in_quotes = !in_quotes,
            '<' if !in_quotes => in_angle = true,
            '>' if !in_quotes => in_angle = false,
            ',' if !in_quotes && !in_angle => return value.get(..i).unwrap_or(value).trim(),
            _ => {}
        }
    }
    value.trim()
}

/// Looks up `name` in a `;`-separated parameter list; a flag parameter yields `Some("")`.
pub fn find_param<'a>(params: &'a str, name: &str) -> Option<&'a str> {
    params.split(';').find_map(|param| {
        let (key, value) = param.split_once('=').unwrap_or((param, ""));
        key.trim()
            .eq_ignore_ascii_case(name)
            .then(|| value.trim().trim_matches('"'))
    })
}

/// Splits `SIP/2.0/UDP rest` into the transport token and the rest, allowing spaces around the slashes
/// (RFC 3261 §20.42 uses SLASH, which permits surrounding whitespace).
fn split_via_protocol(text: &str) -> (&str, &str) {
    let mut slashes = 0;
    for (i, c) in text.char_indices() {
        if c == ';' {
            break;
        }
        if c == '/' {
            slashes += 1;
            if slashes == 2 {
                let after = text.get(i + 1..).unwrap_or("").trim_start();
                return match after.split_once(|c: char| c.is_ascii_whitespace()) {
                    Some((transport, rest)) => (transport, rest.trim_start()),
                    None => (after, ""),
                };
            }
        }
    }
    ("", text)
}

/// Splits `host[:port]` or `[v6]:port`; an unparsable port is dropped.
fn split_host_port(text: &str) -> (&str, Option<u16>) {
    let text = text.trim();
    if text.starts_with('[') {
        return match text.split_once(']') {
            Some((v6, rest)) => {
                let host = text.get(..v6.len() + 1).unwrap_or(text);
                let port = rest.strip_prefix(':').and_then(|p| p.trim().parse().ok());
                (host, port)
            }
            None => (text, None),
        };
    }
    match text.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') => (host, port.trim().parse().ok()),
        _ => (text, None),
    }
}

/// The byte index of the closing quote in a quoted string body (after the opening quote), honouring
/// `\"` escapes (RFC 3261 §25.1); the text length when unterminated.
fn closing_quote(quoted: &str) -> usize {
    let mut escaped = false;
    for (i, c) in quoted.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => return i,
            _ => {}
        }
    }
    quoted.len()
}

fn is_scheme(text: &str) -> bool {
    let mut chars = text.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

fn non_empty(text: &str) -> Option<&str> {
    (!text.is_empty()).then_some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_parse_splits_sip_user_host_port_params() {
        let uri = Uri::parse("sip:alice:secret@example.com:5070;transport=tcp?subject=x");
        assert_eq!(uri.scheme, Scheme::Sip);
        assert_eq!(uri.user, Some("alice"));
        assert_eq!(uri.host, Some("example.com"));
        assert_eq!(uri.port, Some(5070));
        assert_eq!(uri.param("transport"), Some("tcp"));
    }

    #[test]
    fn uri_parse_reads_tel_number_as_user() {
        let uri = Uri::parse("tel:+4922112345;phone-context=example.com");
        assert_eq!(uri.scheme, Scheme::Tel);
        assert_eq!(uri.user, Some("+4922112345"));
        assert_eq!(uri.host, None);
    }

    #[test]
    fn uri_parse_keeps_ipv6_brackets() {
        let uri = Uri::parse("sips:bob@[2001:db8::1]:5061");
        assert_eq!(uri.scheme, Scheme::Sips);
        assert_eq!(uri.host, Some("[2001:db8::1]"));
        assert_eq!(uri.port, Some(5061));
    }

    #[test]
    fn uri_parse_without_user_has_host_only() {
        let uri = Uri::parse("sip:example.com");
        assert_eq!(uri.user, None);
        assert_eq!(uri.host, Some("example.com"));
    }

    /// (input, display name, user, host, tag)
    type Case = (
        &'static str,
        Option<&'static str>,
        Option<&'static str>,
        Option<&'static str>,
        Option<&'static str>,
    );

    #[test]
    fn name_addr_parse_cases() {
        // (input, display name, user, host, tag)
        let cases: &[Case] = &[
            (
                "<sip:1001@a.example>;tag=x1",
                None,
                Some("1001"),
                Some("a.example"),
                Some("x1"),
            ),
            (
                "sip:1001@a.example;tag=x2",
                None,
                Some("1001"),
                Some("a.example"),
                Some("x2"),
            ),
            (
                "Alice <sip:alice@a.example>",
                Some("Alice"),
                Some("alice"),
                Some("a.example"),
                None,
            ),
            (
                "\"Bob <boss>\" <sip:bob@b.example>;tag=77",
                Some("Bob <boss>"),
                Some("bob"),
                Some("b.example"),
                Some("77"),
            ),
            (
                "\"Q \\\" R\" <tel:+4922112345>",
                Some("Q \\\" R"),
                Some("+4922112345"),
                None,
                None,
            ),
            (
                "  <sip:carol@c.example;transport=udp>  ;  tag = t3 ",
                None,
                Some("carol"),
                Some("c.example"),
                Some("t3"),
            ),
            (
                "<sip:dave@d.example",
                None,
                Some("dave"),
                Some("d.example"),
                None,
            ),
            ("", None, None, None, None),
        ];
        for &(input, display, user, host, tag) in cases {
            let value = NameAddr::parse(input);
            assert_eq!(value.display_name, display, "display name of {input:?}");
            assert_eq!(value.uri.user, user, "user of {input:?}");
            assert_eq!(value.uri.host, host, "host of {input:?}");
            assert_eq!(value.tag(), tag, "tag of {input:?}");
        }
    }

    #[test]
    fn via_parse_reads_transport_sent_by_and_branch() {
        let via = Via::parse("SIP/2.0/UDP 10.0.0.1:5060;rport;branch=z9hG4bK776asdhds");
        assert_eq!(via.transport, "UDP");
        assert_eq!(via.host, "10.0.0.1");
        assert_eq!(via.port, Some(5060));
        assert_eq!(via.branch(), Some("z9hG4bK776asdhds"));
        assert_eq!(via.param("rport"), Some(""));
    }

    #[test]
    fn via_parse_tolerates_spaces_and_ipv6() {
        let via = Via::parse("SIP / 2.0 / TCP [2001:db8::9]:5080 ; branch=z9hG4bKx");
        assert_eq!(via.host, "[2001:db8::9]");
        assert_eq!(via.port, Some(5080));
        assert_eq!(via.branch(), Some("z9hG4bKx"));
    }

    proptest::proptest! {
        #[test]
        fn parsers_never_panic_on_arbitrary_text(text in "\\PC{0,80}") {
            let _ = (NameAddr::parse(&text).tag(), Uri::parse(&text).param("x"), Via::parse(&text).branch());
            let _ = (first_element(&text), find_param(&text, "tag"));
        }
    }

    #[test]
    fn first_element_ignores_commas_in_quotes_and_brackets() {
        assert_eq!(
            first_element("\"a, b\" <sip:x@y>, <sip:z@w>"),
            "\"a, b\" <sip:x@y>"
        );
        assert_eq!(
            first_element("SIP/2.0/UDP a;branch=1, SIP/2.0/UDP b"),
            "SIP/2.0/UDP a;branch=1"
        );
        assert_eq!(first_element("<sip:a@b;x=1,2>"), "<sip:a@b;x=1,2>");
    }
}
