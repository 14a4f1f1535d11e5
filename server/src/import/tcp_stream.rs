//! SIP over TCP in a capture: one direction of one connection, reassembled from its segments and cut
//! into SIP messages.
//!
//! Segments are put in sequence-number order (wrapping), retransmitted bytes are taken once, and the
//! byte stream is cut into messages at the blank line after the headers plus `Content-Length` (or its
//! compact form `l`) bytes of body; a message without a length has no body (RFC 3261 §18.3 makes it
//! mandatory over TCP). CRLF keep-alives between messages are skipped.
//!
//! A capture can start in the middle of a message, and a lost segment leaves a hole: in both cases
//! the bytes before the next SIP start line are left out (counted in [`Reassembled::skipped`]). At a
//! hole, what was buffered before it is handed out as it is, for the tolerant scanner to judge.

/// One TCP segment with payload, as read from the capture.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct TcpSegment {
    /// Position of the segment in the capture file.
    pub(super) order: usize,
    /// Capture time, microseconds since the Unix epoch.
    pub(super) ts_us: i64,
    /// Sequence number of the first payload byte.
    pub(super) seq: u32,
    /// The payload.
    pub(super) payload: Vec<u8>,
}

/// A message candidate cut from the stream (it still has to scan as SIP).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct StreamMessage {
    /// File position of the segment holding the message's first byte.
    pub(super) order: usize,
    /// Capture time of that segment.
    pub(super) ts_us: i64,
    /// The message bytes.
    pub(super) bytes: Vec<u8>,
}

/// What one direction of a connection held.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct Reassembled {
    /// Message candidates in stream order.
    pub(super) messages: Vec<StreamMessage>,
    /// Runs of bytes left out before a SIP start line (capture started mid-message, or a hole).
    pub(super) skipped: usize,
}

/// Reassembles the segments of one direction of one TCP connection, in any order.
pub(super) fn reassemble(mut segments: Vec<TcpSegment>) -> Reassembled {
    let mut out = Reassembled::default();
    let Some(base) = segments.first().map(|s| s.seq) else {
        return out;
    };
    // Offsets relative to the first segment in the file; one retransmitted from before it sorts
    // first. Reading the wrapped difference as signed keeps the order across a sequence wrap.
    let offset = |seq: u32| i64::from(seq.wrapping_sub(base) as i32);
    segments.sort_by_key(|s| (offset(s.seq), s.order));
    let mut stream = SipStream::default();
    let mut next: Option<i64> = None;
    for segment in segments {
        let start = offset(segment.seq);
        let end = start.saturating_add(i64::try_from(segment.payload.len()).unwrap_or(i64::MAX));
        let fresh = match next {
            None => 0,
            Some(n) if end <= n => continue, // a retransmission of bytes already taken
            Some(n) if start > n => {
                stream.hole(&mut out);
                0
            }
            Some(n) => usize::try_from(n - start).unwrap_or(0),
        };
        stream.push(
            segment.payload.get(fresh..).unwrap_or_default(),
            segment.order,
            segment.ts_us,
        );
        stream.drain(&mut out);
        next = Some(end);
    }
    stream.hole(&mut out);
    out
}

/// The bytes of a stream not yet cut into messages, with where each segment's bytes begin.
#[derive(Debug)]
struct SipStream {
    buf: Vec<u8>,
    /// `(offset in buf, file order, time)` of each pushed segment, ascending by offset.
    pieces: Vec<(usize, usize, i64)>,
    /// Looking for a SIP start line: at the start of the stream and after a hole.
    resync: bool,
}

impl Default for SipStream {
    fn default() -> Self {
        SipStream {
            buf: Vec::new(),
            pieces: Vec::new(),
            resync: true,
        }
    }
}

impl SipStream {
    fn push(&mut self, bytes: &[u8], order: usize, ts_us: i64) {
        if bytes.is_empty() {
            return;
        }
        self.pieces.push((self.buf.len(), order, ts_us));
        self.buf.extend_from_slice(bytes);
    }

    /// Cuts every complete message off the front of the buffer.
    fn drain(&mut self, out: &mut Reassembled) {
        loop {
            if self.resync && !self.find_start_line(out) {
                return;
            }
            let keepalive = self
                .buf
                .iter()
                .take_while(|b| matches!(b, b'\r' | b'\n'))
                .count();
            self.consume(keepalive);
            match message_len(&self.buf) {
                Some(len) if len <= self.buf.len() => {
                    let message = self.take(len);
                    out.messages.push(message);
                }
                _ => return,
            }
        }
    }

    /// Hands out what is buffered as one candidate (a truncated message, or garbage the scanner will
    /// refuse), and starts looking for a start line again.
    fn hole(&mut self, out: &mut Reassembled) {
        if self.resync && !self.buf.is_empty() {
            out.skipped += 1;
        } else if self.buf.iter().any(|b| !matches!(b, b'\r' | b'\n')) {
            let len = self.buf.len();
            let message = self.take(len);
            out.messages.push(message);
        }
        self.buf.clear();
        self.pieces.clear();
        self.resync = true;
    }

    /// Drops the bytes before the first SIP start line; false while none has arrived (the last,
    /// possibly partial line is kept).
    fn find_start_line(&mut self, out: &mut Reassembled) -> bool {
        let mut at = 0;
        while let Some(len) = self.buf.get(at..).and_then(line_len) {
            let line = self.buf.get(at..at + len).unwrap_or_default();
            if is_start_line(line) {
                if at > 0 {
                    out.skipped += 1;
                    self.consume(at);
                }
                self.resync = false;
                return true;
            }
            at += len;
        }
        if at > 0 {
            out.skipped += 1;
            self.consume(at);
        }
        false
    }

    /// Removes `len` bytes from the front and returns them as a message.
    fn take(&mut self, len: usize) -> StreamMessage {
        let (order, ts_us) = self.piece_at(0);
        let bytes = self.buf.get(..len).unwrap_or_default().to_vec();
        self.consume(len);
        StreamMessage {
            order,
            ts_us,
            bytes,
        }
    }

    /// Removes `len` bytes from the front, keeping the piece table in step.
    fn consume(&mut self, len: usize) {
        if len == 0 {
            return;
        }
        let len = len.min(self.buf.len());
        let (order, ts_us) = self.piece_at(len);
        self.buf.drain(..len);
        self.pieces.retain(|&(offset, _, _)| offset > len);
        for piece in &mut self.pieces {
            piece.0 -= len;
        }
        if !self.buf.is_empty() {
            self.pieces.insert(0, (0, order, ts_us));
        }
    }

    /// File order and time of the segment holding byte `offset` of the buffer.
    fn piece_at(&self, offset: usize) -> (usize, i64) {
        self.pieces
            .iter()
            .take_while(|&&(start, _, _)| start <= offset)
            .last()
            .map_or((0, 0), |&(_, order, ts)| (order, ts))
    }
}

/// Length of the first line of `bytes` including its `\n`, or `None` while it has no `\n`.
fn line_len(bytes: &[u8]) -> Option<usize> {
    bytes.iter().position(|&b| b == b'\n').map(|p| p + 1)
}

/// A request line (`METHOD uri SIP/2.0`) or a status line (`SIP/2.0 200 OK`).
fn is_start_line(line: &[u8]) -> bool {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    line.starts_with(b"SIP/2.0 ") || line.ends_with(b" SIP/2.0")
}

/// The length of the message at the front of `buf` (headers, blank line, `Content-Length` bytes of
/// body), or `None` while the blank line has not arrived.
fn message_len(buf: &[u8]) -> Option<usize> {
    let mut at = 0;
    let mut content_length = 0usize;
    loop {
        let len = line_len(buf.get(at..)?)?;
        let line = buf.get(at..at + len)?;
        at += len;
        if line == b"\n" || line == b"\r\n" {
            return Some(at.saturating_add(content_length));
        }
        if let Some(value) = content_length_value(line) {
            content_length = value;
        }
    }
}

/// The value of a `Content-Length` / `l` header line, if this is one and it is a number.
fn content_length_value(line: &[u8]) -> Option<usize> {
    let colon = line.iter().position(|&b| b == b':')?;
    let name = line.get(..colon)?.trim_ascii();
    if !(name.eq_ignore_ascii_case(b"content-length") || name.eq_ignore_ascii_case(b"l")) {
        return None;
    }
    std::str::from_utf8(line.get(colon + 1..)?.trim_ascii())
        .ok()?
        .parse()
        .ok()
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    const INVITE: &[u8] =
        b"INVITE sip:b@x SIP/2.0\r\nCall-ID: a\r\nContent-Length: 14\r\n\r\nv=0\r\n\r\no=- 1\r\n";
    const OK: &[u8] = b"SIP/2.0 200 OK\r\nCall-ID: a\r\nl: 0\r\n\r\n";
    const BYE: &[u8] = b"BYE sip:b@x SIP/2.0\nCall-ID: a\n\n";

    fn segments(parts: &[(u32, &[u8])]) -> Vec<TcpSegment> {
        parts
            .iter()
            .enumerate()
            .map(|(i, (seq, payload))| TcpSegment {
                order: i,
                ts_us: 1000 + i as i64,
                seq: *seq,
                payload: payload.to_vec(),
            })
            .collect()
    }

    fn bytes(out: &Reassembled) -> Vec<&[u8]> {
        out.messages.iter().map(|m| m.bytes.as_slice()).collect()
    }

    #[test]
    fn reassemble_joins_a_message_split_over_segments_with_its_first_segment_time() {
        let (a, b, c) = (&INVITE[..10], &INVITE[10..50], &INVITE[50..]);
        let out = reassemble(segments(&[(100, a), (110, b), (150, c)]));
        assert_eq!(bytes(&out), vec![INVITE]);
        assert_eq!((out.messages[0].order, out.messages[0].ts_us), (0, 1000));
        assert_eq!(out.skipped, 0);
    }

    #[test]
    fn reassemble_cuts_several_messages_from_one_segment_by_content_length() {
        let mut stream = INVITE.to_vec();
        stream.extend_from_slice(b"\r\n\r\n");
        stream.extend_from_slice(OK);
        stream.extend_from_slice(&BYE[..5]);
        let out = reassemble(segments(&[
            (1, &stream),
            (1 + stream.len() as u32, &BYE[5..]),
        ]));
        assert_eq!(bytes(&out), vec![INVITE, OK, BYE]);
        let orders: Vec<usize> = out.messages.iter().map(|m| m.order).collect();
        assert_eq!(orders, vec![0, 0, 0], "BYE starts in the first segment");
    }

    #[test]
    fn reassemble_orders_by_sequence_and_takes_retransmitted_bytes_once() {
        let first = &INVITE[..30];
        let rest = &INVITE[30..];
        let seq = u32::MAX - 10; // the stream wraps around 2^32 inside the message
        let out = reassemble(segments(&[
            (seq.wrapping_add(30), rest),
            (seq, first),
            (seq, first),
            (seq.wrapping_add(20), &INVITE[20..40]),
            (seq.wrapping_add(INVITE.len() as u32), OK),
            (seq.wrapping_add(INVITE.len() as u32), OK),
        ]));
        assert_eq!(bytes(&out), vec![INVITE, OK]);
        assert_eq!(out.messages[0].order, 1);
    }

    #[test]
    fn reassemble_skips_to_the_next_start_line_after_a_hole_or_a_mid_message_start() {
        let mut tail_then_ok = INVITE[40..].to_vec();
        tail_then_ok.extend_from_slice(OK);
        let ok_at = 40 + tail_then_ok.len() as u32;
        let out = reassemble(segments(&[
            (40, &tail_then_ok), // the capture starts inside the INVITE
            (ok_at + 10, BYE),   // 10 bytes lost before the BYE
        ]));
        assert_eq!(bytes(&out), vec![OK, BYE]);
        assert_eq!(out.skipped, 1);
    }

    #[test]
    fn reassemble_hands_out_a_truncated_last_message_and_skips_a_stream_that_is_not_sip() {
        let out = reassemble(segments(&[(7, &INVITE[..INVITE.len() - 3])]));
        assert_eq!(bytes(&out), vec![&INVITE[..INVITE.len() - 3]]);
        let http = reassemble(segments(&[(1, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")]));
        assert!(http.messages.is_empty());
        assert_eq!(http.skipped, 1);
    }

    #[test]
    fn message_len_reads_the_compact_and_the_long_length_header() {
        assert_eq!(message_len(OK), Some(OK.len()));
        assert_eq!(message_len(INVITE), Some(INVITE.len()));
        assert_eq!(message_len(b"SIP/2.0 200 OK\r\nl: x\r\n\r\n"), Some(24));
        assert_eq!(message_len(b"SIP/2.0 200 OK\r\nCall-ID: a\r\n"), None);
    }
}
