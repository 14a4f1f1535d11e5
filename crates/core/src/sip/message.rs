//! `SipMessage`: an owned, scanned SIP message with typed access to the fields hepscope indexes
//! (the heplify-server `data_header` set) and to any header by name.
//!
//! Pure: no I/O. Values are parsed lazily from the stored header text, so a field nobody reads costs
//! nothing.

use std::ops::Range;

use super::header::HeaderName;
use super::method::Method;
use super::scan::ScanWarning;
use super::uri::{find_param, first_element, NameAddr, Uri, Via};
use crate::sdp::{self, Sdp};

/// Headers whose value links the legs of one call, checked by default (Homer's `X-CID`, and `X-Call-ID`).
pub const DEFAULT_CORRELATION_HEADERS: &[&str] = &["X-CID", "X-Call-ID"];

/// The first line of a SIP message (RFC 3261 §7.1, §7.2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StartLine {
    Request { method: Method, uri: String },
    Response { code: u16, reason: String },
}

/// A parsed CSeq header (RFC 3261 §20.16).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CSeq {
    pub seq: u32,
    pub method: Method,
}

/// One header line as scanned, with its place in the original bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeaderLine<'a> {
    /// The name as written (a compact form stays compact).
    pub name: &'a str,
    /// The value with folding removed and outer whitespace trimmed.
    pub value: &'a str,
    pub kind: HeaderName,
    /// Byte range of the line(s), terminators excluded, in the scanned input; for highlighting.
    pub span: Range<usize>,
}

/// Where one header lives: `name` and `value` index [`SipMessage::text`], `span` the scanned input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct HeaderEntry {
    pub(super) kind: HeaderName,
    pub(super) name: Range<usize>,
    pub(super) value: Range<usize>,
    pub(super) span: Range<usize>,
}

/// A scanned SIP message. Build one with [`super::scan`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SipMessage {
    pub(super) start_line: StartLine,
    /// Header names and unfolded values, back to back (one allocation for all headers).
    pub(super) text: String,
    pub(super) headers: Vec<HeaderEntry>,
    pub(super) body: Vec<u8>,
    pub(super) truncated: bool,
    pub(super) cseq: Option<CSeq>,
    pub(super) content_length: Option<usize>,
    pub(super) warnings: Vec<ScanWarning>,
}

impl SipMessage {
    /// The request or status line.
    pub fn start_line(&self) -> &StartLine {
        &self.start_line
    }

    /// True for requests, false for responses.
    pub fn is_request(&self) -> bool {
        matches!(self.start_line, StartLine::Request { .. })
    }

    /// The request method; `None` for responses (see [`SipMessage::cseq`] for theirs).
    pub fn method(&self) -> Option<&Method> {
        match &self.start_line {
            StartLine::Request { method, .. } => Some(method),
            StartLine::Response { .. } => None,
        }
    }

    /// The status code of a response.
    pub fn status(&self) -> Option<u16> {
        match self.start_line {
            StartLine::Response { code, .. } => Some(code),
            StartLine::Request { .. } => None,
        }
    }

    /// A short label for lists and ladders: `"INVITE"` or `"200 OK"`.
    pub fn method_or_status_label(&self) -> String {
        match &self.start_line {
            StartLine::Request { method, .. } => method.as_str().to_owned(),
            StartLine::Response { code, reason } if reason.is_empty() => code.to_string(),
            StartLine::Response { code, reason } => format!("{code} {reason}"),
        }
    }

    /// The Request-URI of a request.
    pub fn request_uri(&self) -> Option<Uri<'_>> {
        match &self.start_line {
            StartLine::Request { uri, .. } => Some(Uri::parse(uri)),
            StartLine::Response { .. } => None,
        }
    }

    /// The Request-URI user (a `tel:` number for tel URIs).
    pub fn ruri_user(&self) -> Option<&str> {
        self.request_uri().and_then(|uri| uri.user)
    }

    /// The Request-URI host or domain.
    pub fn ruri_domain(&self) -> Option<&str> {
        self.request_uri().and_then(|uri| uri.host)
    }

    /// The first Call-ID value.
    pub fn call_id(&self) -> Option<&str> {
        self.first(HeaderName::CallId).filter(|v| !v.is_empty())
    }

    /// The CSeq, when present and well formed.
    pub fn cseq(&self) -> Option<&CSeq> {
        self.cseq.as_ref()
    }

    /// The From value.
    pub fn from(&self) -> Option<NameAddr<'_>> {
        self.first(HeaderName::From).map(NameAddr::parse)
    }

    /// The From URI user.
    pub fn from_user(&self) -> Option<&str> {
        self.from().and_then(|v| v.uri.user)
    }

    /// The From URI host or domain.
    pub fn from_domain(&self) -> Option<&str> {
        self.from().and_then(|v| v.uri.host)
    }

    /// The From tag.
    pub fn from_tag(&self) -> Option<&str> {
        self.from().and_then(|v| v.tag())
    }

    /// The To value.
    pub fn to(&self) -> Option<NameAddr<'_>> {
        self.first(HeaderName::To).map(NameAddr::parse)
    }

    /// The To URI user.
    pub fn to_user(&self) -> Option<&str> {
        self.to().and_then(|v| v.uri.user)
    }

    /// The To URI host or domain.
    pub fn to_domain(&self) -> Option<&str> {
        self.to().and_then(|v| v.uri.host)
    }

    /// The To tag (absent on an initial request).
    pub fn to_tag(&self) -> Option<&str> {
        self.to().and_then(|v| v.tag())
    }

    /// The topmost Via value (the first element of the first Via header).
    pub fn via(&self) -> Option<Via<'_>> {
        self.first(HeaderName::Via)
            .map(|v| Via::parse(first_element(v)))
    }

    /// The branch of the topmost Via.
    pub fn via_branch(&self) -> Option<&str> {
        self.via().and_then(|via| via.branch())
    }

    /// The first Contact value (`None` for `Contact: *`).
    pub fn contact(&self) -> Option<NameAddr<'_>> {
        self.first(HeaderName::Contact)
            .map(first_element)
            .filter(|v| *v != "*")
            .map(NameAddr::parse)
    }

    /// The Contact URI user.
    pub fn contact_user(&self) -> Option<&str> {
        self.contact().and_then(|v| v.uri.user)
    }

    /// The Contact URI host.
    pub fn contact_host(&self) -> Option<&str> {
        self.contact().and_then(|v| v.uri.host)
    }

    /// The User-Agent value.
    pub fn user_agent(&self) -> Option<&str> {
        self.first(HeaderName::UserAgent)
    }

    /// The Server value.
    pub fn server(&self) -> Option<&str> {
        self.first(HeaderName::Server)
    }

    /// The user of the first P-Asserted-Identity value (RFC 3325).
    pub fn pai_user(&self) -> Option<&str> {
        self.first(HeaderName::PAssertedIdentity)
            .map(|v| NameAddr::parse(first_element(v)))
            .and_then(|v| v.uri.user)
    }

    /// The `username` of the first Authorization or Proxy-Authorization header (RFC 3261 §22.4).
    pub fn auth_user(&self) -> Option<&str> {
        self.lines()
            .find(|h| {
                matches!(
                    h.kind,
                    HeaderName::Authorization | HeaderName::ProxyAuthorization
                )
            })
            .and_then(|h| {
                let params = h
                    .value
                    .split_once(char::is_whitespace)
                    .map_or("", |(_, p)| p);
                params.split(',').find_map(|p| find_param(p, "username"))
            })
            .filter(|user| !user.is_empty())
    }

    /// The Content-Type value, parameters included.
    pub fn content_type(&self) -> Option<&str> {
        self.first(HeaderName::ContentType)
    }

    /// The Reason header value (RFC 3326), for example `Q.850;cause=16`.
    pub fn reason(&self) -> Option<&str> {
        self.first(HeaderName::Reason)
    }

    /// The Expires header, in seconds.
    pub fn expires(&self) -> Option<u32> {
        self.first(HeaderName::Expires).and_then(|v| v.parse().ok())
    }

    /// The Max-Forwards header.
    pub fn max_forwards(&self) -> Option<u32> {
        self.first(HeaderName::MaxForwards)
            .and_then(|v| v.parse().ok())
    }

    /// The declared Content-Length, when present and numeric.
    pub fn content_length(&self) -> Option<usize> {
        self.content_length
    }

    /// Every value of the named header in wire order. Names match case-insensitively and compact forms
    /// are equivalent (`i` finds `Call-ID` lines and the reverse). A line holding a comma-separated list
    /// is one value.
    pub fn header<'s, 'n>(&'s self, name: &'n str) -> impl Iterator<Item = &'s str> + use<'s, 'n> {
        let kind = HeaderName::classify(name);
        self.lines()
            .filter(move |h| match kind {
                HeaderName::Other => {
                    h.kind == HeaderName::Other && h.name.eq_ignore_ascii_case(name)
                }
                known => h.kind == known,
            })
            .map(|h| h.value)
    }

    /// All headers in wire order as `(name, value)`.
    pub fn headers(&self) -> impl Iterator<Item = (&str, &str)> {
        self.lines().map(|h| (h.name, h.value))
    }

    /// All headers in wire order with their kind and input span.
    pub fn lines(&self) -> impl Iterator<Item = HeaderLine<'_>> {
        self.headers.iter().map(|entry| HeaderLine {
            name: self.text.get(entry.name.clone()).unwrap_or(""),
            value: self.text.get(entry.value.clone()).unwrap_or(""),
            kind: entry.kind,
            span: entry.span.clone(),
        })
    }

    /// The body as received: at most Content-Length bytes, fewer when truncated.
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// True when the capture ended early: before the blank line, or before Content-Length bytes of body.
    pub fn is_truncated(&self) -> bool {
        self.truncated
    }

    /// What the scanner tolerated, in input order.
    pub fn warnings(&self) -> &[ScanWarning] {
        &self.warnings
    }

    /// True when the body is SDP, alone or as a part of a multipart body.
    pub fn has_sdp(&self) -> bool {
        self.sdp_text().is_some()
    }

    /// The SDP offer or answer, read leniently.
    pub fn sdp(&self) -> Option<Sdp> {
        self.sdp_text()
            .map(|bytes| sdp::parse(&String::from_utf8_lossy(bytes)))
    }

    /// Values of the given correlation headers (see [`DEFAULT_CORRELATION_HEADERS`]) as
    /// `(header name as asked, value)`, in list order then wire order; empty values are skipped.
    pub fn correlation_ids<S: AsRef<str>>(&self, header_names: &[S]) -> Vec<(String, String)> {
        header_names
            .iter()
            .map(AsRef::as_ref)
            .flat_map(|name| {
                self.header(name)
                    .filter(|value| !value.is_empty())
                    .map(move |value| (name.to_owned(), value.to_owned()))
            })
            .collect()
    }

    fn first(&self, kind: HeaderName) -> Option<&str> {
        self.headers
            .iter()
            .find(|entry| entry.kind == kind)
            .and_then(|entry| self.text.get(entry.value.clone()))
    }

    fn sdp_text(&self) -> Option<&[u8]> {
        let content_type = self.content_type()?;
        let media_type = content_type.split(';').next().unwrap_or("").trim();
        if self.body.is_empty() {
            return None;
        }
        if media_type.eq_ignore_ascii_case("application/sdp") {
            return Some(&self.body);
        }
        let is_multipart = media_type
            .get(..10)
            .is_some_and(|prefix| prefix.eq_ignore_ascii_case("multipart/"));
        if is_multipart {
            return multipart_sdp(&self.body);
        }
        None
    }
}

/// The SDP part of a multipart body (RFC 5621): the text after the blank line that follows an
/// `application/sdp` part header, up to the next boundary line.
fn multipart_sdp(body: &[u8]) -> Option<&[u8]> {
    let needle = b"application/sdp";
    let at = body
        .windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))?;
    let rest = body.get(at..)?;
    let (blank, skip) = [(&b"\r\n\r\n"[..], 4), (&b"\n\n"[..], 2)]
        .iter()
        .filter_map(|(sep, skip)| {
            rest.windows(sep.len())
                .position(|w| w == *sep)
                .map(|p| (p, *skip))
        })
        .min()?;
    let part = rest.get(blank + skip..)?;
    let end = part
        .windows(3)
        .position(|w| w == b"\n--")
        .unwrap_or(part.len());
    part.get(..end)
}
