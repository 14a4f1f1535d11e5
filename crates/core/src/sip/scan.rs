//! The tolerant SIP scanner: bytes -> [`SipMessage`] in one pass, no regex, one text allocation for all
//! headers.
//!
//! A capture tool must not drop a message it cannot fully parse, so the scanner accepts CRLF or bare LF,
//! compact names, folded lines, truncated bodies and non-UTF-8 bytes, and records what it tolerated as
//! [`ScanWarning`]s. It fails only when there is no usable start line. Pure: no I/O; never panics.

use std::fmt;

use thiserror::Error;

use super::header::HeaderName;
use super::message::{CSeq, HeaderEntry, SipMessage, StartLine};
use super::method::Method;

/// Header lines after this many are skipped (with one warning); bounds memory per packet.
pub const MAX_HEADERS: usize = 256;
/// Longer lines are cut to this many bytes (with a warning).
pub const MAX_LINE_LEN: usize = 8 * 1024;
/// How much of a rejected start line an error quotes.
const PREVIEW_LEN: usize = 64;

/// Why bytes could not be scanned as a SIP message.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum ScanError {
    /// Empty input, or it ends inside a start line that does not parse yet: wait for more bytes.
    #[error("incomplete SIP message: the input ends before the start line does")]
    Incomplete,
    /// The first line is not a SIP request or status line (no `SIP/` version), e.g. HTTP or binary.
    #[error("not a SIP message: start line {line:?} has no SIP version (expected \"SIP/2.0\")")]
    NotSip { line: String },
    /// The start line names SIP but is broken.
    #[error("malformed SIP start line at byte {at}: {fault}")]
    Malformed { at: usize, fault: StartLineFault },
}

/// What is wrong with a start line that claims to be SIP.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum StartLineFault {
    #[error("request line has no Request-URI (expected \"METHOD uri SIP/2.0\")")]
    MissingRequestUri,
    #[error("method {0:?} is not a token")]
    InvalidMethod(String),
    #[error("status code {0:?} is not a number from 100 to 699")]
    InvalidStatusCode(String),
}

/// Something the scanner tolerated; `at` is the byte offset of the line in the input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScanWarning {
    pub at: usize,
    pub kind: WarningKind,
}

/// The kinds of tolerated faults.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WarningKind {
    /// A header line without `:`; skipped.
    HeaderWithoutColon,
    /// A header name that is empty or not a token; skipped.
    InvalidHeaderName,
    /// A continuation line with no header before it; skipped.
    OrphanContinuation,
    /// A line longer than [`MAX_LINE_LEN`]; cut.
    LineTooLong,
    /// More than [`MAX_HEADERS`] headers; the rest are skipped.
    TooManyHeaders,
    /// Bytes that are not UTF-8; replaced with U+FFFD.
    NonUtf8,
    /// No Call-ID header.
    MissingCallId,
    /// No CSeq header.
    MissingCSeq,
    /// A CSeq that is not `number METHOD`.
    InvalidCSeq,
    /// A Content-Length that is not a number; the body runs to the end of the input.
    InvalidContentLength,
    /// The input ended before the blank line that ends the headers.
    HeadersUnterminated,
    /// Content-Length promised more bytes than the input holds.
    BodyTruncated { declared: usize, available: usize },
}

impl fmt::Display for WarningKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WarningKind::HeaderWithoutColon => f.write_str("header line without ':' skipped"),
            WarningKind::InvalidHeaderName => {
                f.write_str("header line with an invalid name skipped")
            }
            WarningKind::OrphanContinuation => {
                f.write_str("continuation line before any header skipped")
            }
            WarningKind::LineTooLong => write!(f, "line longer than {MAX_LINE_LEN} bytes cut"),
            WarningKind::TooManyHeaders => {
                write!(f, "more than {MAX_HEADERS} headers; the rest skipped")
            }
            WarningKind::NonUtf8 => f.write_str("bytes that are not UTF-8 replaced"),
            WarningKind::MissingCallId => f.write_str("no Call-ID header"),
            WarningKind::MissingCSeq => f.write_str("no CSeq header"),
            WarningKind::InvalidCSeq => f.write_str("CSeq is not \"number METHOD\""),
            WarningKind::InvalidContentLength => f.write_str("Content-Length is not a number"),
            WarningKind::HeadersUnterminated => {
                f.write_str("input ends before the blank line after the headers")
            }
            WarningKind::BodyTruncated {
                declared,
                available,
            } => {
                write!(
                    f,
                    "body truncated: Content-Length {declared}, {available} bytes present"
                )
            }
        }
    }
}

/// One line of input: `start..end` excludes the terminator; `next` is where the following line starts.
struct Line {
    start: usize,
    end: usize,
    next: usize,
    terminated: bool,
}

/// Finds the line starting at `pos`, ending at LF (a CR before it is dropped) or at the end of input.
fn line_at(bytes: &[u8], pos: usize) -> Option<Line> {
    let rest = bytes.get(pos..).filter(|rest| !rest.is_empty())?;
    let (end, next, terminated) = match rest.iter().position(|&b| b == b'\n') {
        Some(lf) => (pos + lf, pos + lf + 1, true),
        None => (bytes.len(), bytes.len(), false),
    };
    let end = if end > pos && bytes.get(end - 1) == Some(&b'\r') {
        end - 1
    } else {
        end
    };
    Some(Line {
        start: pos,
        end,
        next,
        terminated,
    })
}

/// Scans one SIP message (RFC 3261 §7).
///
/// Leading CRLFs (keep-alives, RFC 3261 §7.5) are skipped. The body is the bytes after the blank line,
/// limited by Content-Length; when fewer are present the message is kept and marked truncated. Bytes
/// past Content-Length (a following message on a stream) are ignored.
///
/// # Errors
///
/// [`ScanError::Incomplete`] for empty input or an unterminated start line that does not parse,
/// [`ScanError::NotSip`] when the first line has no SIP version, [`ScanError::Malformed`] when the start
/// line names SIP but lacks a Request-URI or a valid status code. A missing Call-ID is only a warning.
pub fn scan(bytes: &[u8]) -> Result<SipMessage, ScanError> {
    let start = bytes
        .iter()
        .position(|&b| b != b'\r' && b != b'\n')
        .ok_or(ScanError::Incomplete)?;
    let first = line_at(bytes, start).ok_or(ScanError::Incomplete)?;
    let line_bytes = bytes.get(first.start..first.end).unwrap_or_default();
    let line_bytes = line_bytes.get(..MAX_LINE_LEN).unwrap_or(line_bytes);
    let start_line = match parse_start_line(&String::from_utf8_lossy(line_bytes), first.start) {
        Ok(line) => line,
        Err(_) if !first.terminated => return Err(ScanError::Incomplete),
        Err(err) => return Err(err),
    };

    let mut scanner = HeaderScanner {
        bytes,
        text: String::with_capacity(bytes.len().min(4096)),
        headers: Vec::with_capacity(16),
        warnings: Vec::new(),
        skipping: false,
    };
    let mut pos = first.next;
    let mut body_start = None;
    let mut truncated = !first.terminated;
    while let Some(line) = line_at(bytes, pos) {
        pos = line.next;
        if line.start == line.end {
            if line.terminated {
                body_start = Some(line.next);
                break;
            }
            continue;
        }
        if !line.terminated {
            truncated = true;
        }
        scanner.line(&line);
    }
    let HeaderScanner {
        text,
        headers,
        mut warnings,
        ..
    } = scanner;
    if body_start.is_none() {
        truncated = true;
        warnings.push(ScanWarning {
            at: bytes.len(),
            kind: WarningKind::HeadersUnterminated,
        });
    }

    let value_of = |kind: HeaderName| {
        headers
            .iter()
            .find(|h| h.kind == kind)
            .map(|h| (h.span.start, text.get(h.value.clone()).unwrap_or("")))
    };
    if value_of(HeaderName::CallId).is_none_or(|(_, v)| v.is_empty()) {
        warnings.push(ScanWarning {
            at: start,
            kind: WarningKind::MissingCallId,
        });
    }
    let cseq = match value_of(HeaderName::CSeq) {
        None => {
            warnings.push(ScanWarning {
                at: start,
                kind: WarningKind::MissingCSeq,
            });
            None
        }
        Some((at, value)) => {
            let cseq = parse_cseq(value);
            if cseq.is_none() {
                warnings.push(ScanWarning {
                    at,
                    kind: WarningKind::InvalidCSeq,
                });
            }
            cseq
        }
    };
    let content_length = match value_of(HeaderName::ContentLength) {
        None => None,
        Some((at, value)) => {
            let parsed = value.parse::<usize>().ok();
            if parsed.is_none() {
                warnings.push(ScanWarning {
                    at,
                    kind: WarningKind::InvalidContentLength,
                });
            }
            parsed
        }
    };

    let available = body_start.and_then(|s| bytes.get(s..)).unwrap_or_default();
    let body = match content_length {
        Some(declared) if declared > available.len() => {
            truncated = true;
            warnings.push(ScanWarning {
                at: body_start.unwrap_or(bytes.len()),
                kind: WarningKind::BodyTruncated {
                    declared,
                    available: available.len(),
                },
            });
            available
        }
        Some(declared) => available.get(..declared).unwrap_or(available),
        None => available,
    };

    Ok(SipMessage {
        start_line,
        text,
        headers,
        body: body.to_vec(),
        truncated,
        cseq,
        content_length,
        warnings,
    })
}

/// Accumulates header lines into one text buffer.
struct HeaderScanner<'b> {
    bytes: &'b [u8],
    text: String,
    headers: Vec<HeaderEntry>,
    warnings: Vec<ScanWarning>,
    /// True after [`MAX_HEADERS`]: header and continuation lines are dropped.
    skipping: bool,
}

impl HeaderScanner<'_> {
    fn warn(&mut self, at: usize, kind: WarningKind) {
        self.warnings.push(ScanWarning { at, kind });
    }

    fn line(&mut self, line: &Line) {
        let mut content = self.bytes.get(line.start..line.end).unwrap_or_default();
        if content.len() > MAX_LINE_LEN {
            self.warn(line.start, WarningKind::LineTooLong);
            content = content.get(..MAX_LINE_LEN).unwrap_or(content);
        }
        if matches!(content.first(), Some(b' ' | b'\t')) {
            self.continuation(line, content);
            return;
        }
        if self.skipping {
            return;
        }
        if self.headers.len() >= MAX_HEADERS {
            self.skipping = true;
            self.warn(line.start, WarningKind::TooManyHeaders);
            return;
        }
        let Some(colon) = content.iter().position(|&b| b == b':') else {
            self.warn(line.start, WarningKind::HeaderWithoutColon);
            return;
        };
        let name = trim(content.get(..colon).unwrap_or_default());
        if name.is_empty() || !name.iter().all(|&b| is_token_byte(b)) {
            self.warn(line.start, WarningKind::InvalidHeaderName);
            return;
        }
        let value = trim(content.get(colon + 1..).unwrap_or_default());
        let name_start = self.text.len();
        // Token bytes are ASCII, so the name is always valid UTF-8.
        self.push_lossy(line.start, name);
        let name_range = name_start..self.text.len();
        let value_start = self.text.len();
        self.push_lossy(line.start, value);
        let kind = HeaderName::classify(self.text.get(name_range.clone()).unwrap_or(""));
        self.headers.push(HeaderEntry {
            kind,
            name: name_range,
            value: value_start..self.text.len(),
            span: line.start..line.end,
        });
    }

    /// Unfolds a continuation line into the previous value with one space (RFC 3261 §7.3.1).
    fn continuation(&mut self, line: &Line, content: &[u8]) {
        if self.skipping {
            return;
        }
        let Some(last_end) = self.headers.last().map(|h| h.value.end) else {
            self.warn(line.start, WarningKind::OrphanContinuation);
            return;
        };
        let extra = trim(content);
        if extra.is_empty() {
            return;
        }
        // The last value is the last thing in `text`, so appending extends it.
        if last_end != self.text.len() {
            return;
        }
        if last_end > self.headers.last().map_or(0, |h| h.value.start) {
            self.text.push(' ');
        }
        self.push_lossy(line.start, extra);
        let end = self.text.len();
        if let Some(last) = self.headers.last_mut() {
            last.value.end = end;
            last.span.end = line.end;
        }
    }

    fn push_lossy(&mut self, at: usize, bytes: &[u8]) {
        match std::str::from_utf8(bytes) {
            Ok(text) => self.text.push_str(text),
            Err(_) => {
                self.text.push_str(&String::from_utf8_lossy(bytes));
                self.warn(at, WarningKind::NonUtf8);
            }
        }
    }
}

/// Parses a request line or status line (RFC 3261 §7.1, §7.2), tolerating runs of spaces.
fn parse_start_line(line: &str, at: usize) -> Result<StartLine, ScanError> {
    let line = line.trim();
    let (first, rest) = line.split_once([' ', '\t']).unwrap_or((line, ""));
    let rest = rest.trim_start();
    if is_sip_version(first) {
        let (code, reason) = rest.split_once([' ', '\t']).unwrap_or((rest, ""));
        let valid = code.len() == 3 && code.bytes().all(|b| b.is_ascii_digit());
        let code_value = code
            .parse::<u16>()
            .ok()
            .filter(|c| valid && (100..=699).contains(c));
        return match code_value {
            Some(code) => Ok(StartLine::Response {
                code,
                reason: reason.trim().to_owned(),
            }),
            None => Err(ScanError::Malformed {
                at,
                fault: StartLineFault::InvalidStatusCode(preview(code)),
            }),
        };
    }
    let (uri, version) = rest.rsplit_once([' ', '\t']).unwrap_or(("", rest));
    if !is_sip_version(version) {
        return Err(ScanError::NotSip {
            line: preview(line),
        });
    }
    if first.is_empty() || !first.bytes().all(is_token_byte) {
        return Err(ScanError::Malformed {
            at,
            fault: StartLineFault::InvalidMethod(preview(first)),
        });
    }
    let uri = uri.trim();
    if uri.is_empty() {
        return Err(ScanError::Malformed {
            at,
            fault: StartLineFault::MissingRequestUri,
        });
    }
    Ok(StartLine::Request {
        method: Method::parse(first),
        uri: uri.to_owned(),
    })
}

/// `SIP/2.0`, matched case-insensitively; other versions are accepted too (a capture tool shows them).
fn is_sip_version(token: &str) -> bool {
    token
        .get(..4)
        .is_some_and(|prefix| prefix.eq_ignore_ascii_case("SIP/"))
}

/// Parses `CSeq: 4711 INVITE` (RFC 3261 §20.16).
fn parse_cseq(value: &str) -> Option<CSeq> {
    let mut parts = value.split_ascii_whitespace();
    let seq = parts.next()?.parse().ok()?;
    let method = parts.next()?;
    Some(CSeq {
        seq,
        method: Method::parse(method),
    })
}

/// RFC 3261 §25.1 `token` characters.
fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-.!%*_+`'~".contains(&b)
}

fn trim(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(start, |p| p + 1);
    bytes.get(start..end).unwrap_or_default()
}

fn preview(text: &str) -> String {
    text.chars().take(PREVIEW_LEN).collect()
}

#[cfg(test)]
mod tests;
