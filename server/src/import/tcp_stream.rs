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

use std::collections::VecDeque;

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

/// The longest message candidate, bytes: a message whose headers have not ended by then, or
/// whose `Content-Length` makes it longer, is skipped (counted in [`Reassembled::skipped`]), and a
/// line that long is no start line. It bounds the buffer, and with the scan resuming where it
/// stopped, keeps reassembly linear in the stream's length.
pub(super) const MAX_CANDIDATE: usize = 64 * 1024;

/// The bytes of a stream not yet cut into messages, with where each segment's bytes begin.
#[derive(Debug)]
struct SipStream {
    buf: Vec<u8>,
    /// Bytes of `buf` before this are consumed (moved out now and then, not per message).
    head: usize,
    /// `(offset in buf, file order, time)` of each pushed segment, ascending by offset; the first
    /// holds `head`.
    pieces: VecDeque<(usize, usize, i64)>,
    /// Looking for a SIP start line: at the start of the stream and after a hole.
    resync: bool,
    /// Where the current line starts (at least `head`).
    scan: usize,
    /// Where the search for the current line's end resumes (at least `scan`).
    searched: usize,
    /// The `Content-Length` read so far from the current message's headers.
    content_length: usize,
    /// The current message's length, once its blank line has arrived.
    message_len: Option<usize>,
    /// Bytes of an over-long message still to be skipped as they arrive.
    skip: usize,
    /// While looking for a start line: the bytes up to the next line end belong to a line
    /// dropped as too long.
    discard_line: bool,
    /// A run of skipped bytes has been counted already.
    skipping: bool,
}

impl Default for SipStream {
    fn default() -> Self {
        SipStream {
            buf: Vec::new(),
            head: 0,
            pieces: VecDeque::new(),
            resync: true,
            scan: 0,
            searched: 0,
            content_length: 0,
            message_len: None,
            skip: 0,
            discard_line: false,
            skipping: false,
        }
    }
}

impl SipStream {
    fn push(&mut self, bytes: &[u8], order: usize, ts_us: i64) {
        let skipped = self.skip.min(bytes.len());
        self.skip -= skipped;
        let bytes = bytes.get(skipped..).unwrap_or_default();
        if bytes.is_empty() {
            return;
        }
        self.compact();
        self.pieces.push_back((self.buf.len(), order, ts_us));
        self.buf.extend_from_slice(bytes);
    }

    /// The bytes not consumed yet.
    fn pending(&self) -> &[u8] {
        self.buf.get(self.head..).unwrap_or_default()
    }

    /// Cuts every complete message off the front of the buffer.
    fn drain(&mut self, out: &mut Reassembled) {
        loop {
            if self.resync && !self.find_start_line(out) {
                return;
            }
            if self.scan == self.head {
                let keepalive = self
                    .pending()
                    .iter()
                    .take_while(|b| matches!(b, b'\r' | b'\n'))
                    .count();
                if keepalive > 0 {
                    self.consume(keepalive);
                }
            }
            let Some(len) = self.message_len.or_else(|| self.read_headers()) else {
                if self.pending().len() > MAX_CANDIDATE {
                    // Headers that never end: skip what is here and look for a start line.
                    self.count_skip(out);
                    self.discard_line = self.buf.last() != Some(&b'\n');
                    self.consume(self.pending().len());
                    self.resync = true;
                }
                return;
            };
            let available = self.pending().len();
            if len > MAX_CANDIDATE {
                self.count_skip(out);
                self.skipping = false;
                self.skip = len.saturating_sub(available);
                self.consume(len.min(available));
            } else if len <= available {
                let message = self.take(len);
                out.messages.push(message);
            } else {
                self.message_len = Some(len);
                return;
            }
        }
    }

    /// Reads the header lines that arrived since the last call; the message's length once the
    /// blank line is there.
    fn read_headers(&mut self) -> Option<usize> {
        while let Some(end) = self.next_line_end() {
            let line = self.buf.get(self.scan..end).unwrap_or_default();
            let blank = line == b"\n" || line == b"\r\n";
            if let Some(value) = content_length_value(line) {
                self.content_length = value;
            }
            self.scan = end;
            if blank {
                return Some((end - self.head).saturating_add(self.content_length));
            }
        }
        None
    }

    /// The end (after its `\n`) of the line starting at `scan`, searching only bytes not
    /// searched before; `None` while it has not arrived.
    fn next_line_end(&mut self) -> Option<usize> {
        let from = self.searched.max(self.scan);
        match self.buf.get(from..).and_then(line_len) {
            Some(len) => {
                self.searched = from + len;
                Some(from + len)
            }
            None => {
                self.searched = self.buf.len();
                None
            }
        }
    }

    /// Hands out what is buffered as one candidate (a truncated message, or garbage the scanner will
    /// refuse), and starts looking for a start line again.
    fn hole(&mut self, out: &mut Reassembled) {
        if self.resync && !self.pending().is_empty() {
            self.count_skip(out);
        } else if !self.resync && self.pending().iter().any(|b| !matches!(b, b'\r' | b'\n')) {
            let len = self.pending().len();
            let message = self.take(len);
            out.messages.push(message);
        }
        self.buf.clear();
        self.pieces.clear();
        self.head = 0;
        self.reset_message();
        self.skip = 0;
        self.discard_line = false;
        self.skipping = false;
        self.resync = true;
    }

    /// Drops the lines before the first SIP start line; false while none has arrived (the last,
    /// possibly partial line is kept unless it is longer than any start line).
    fn find_start_line(&mut self, out: &mut Reassembled) -> bool {
        loop {
            let Some(end) = self.next_line_end() else {
                let long = self.pending().len() > MAX_CANDIDATE;
                if long || (self.discard_line && !self.pending().is_empty()) {
                    self.count_skip(out);
                    self.consume(self.pending().len());
                    self.discard_line = true;
                }
                return false;
            };
            let line = self.buf.get(self.head..end).unwrap_or_default();
            if !self.discard_line && is_start_line(line) {
                self.resync = false;
                self.skipping = false;
                // The start line is the message's first line: its headers follow.
                self.scan = end;
                return true;
            }
            self.discard_line = false;
            self.count_skip(out);
            self.consume(end - self.head);
        }
    }

    /// Counts a run of left-out bytes once.
    fn count_skip(&mut self, out: &mut Reassembled) {
        if !self.skipping {
            out.skipped += 1;
            self.skipping = true;
        }
    }

    /// Removes `len` bytes from the front and returns them as a message.
    fn take(&mut self, len: usize) -> StreamMessage {
        self.drop_passed_pieces();
        let (order, ts_us) = self.pieces.front().map_or((0, 0), |&(_, o, t)| (o, t));
        let bytes = self
            .buf
            .get(self.head..self.head + len)
            .unwrap_or_default()
            .to_vec();
        self.consume(len);
        StreamMessage {
            order,
            ts_us,
            bytes,
        }
    }

    /// Consumes `len` bytes from the front, keeping the piece table in step, and starts a new
    /// message there.
    fn consume(&mut self, len: usize) {
        self.head = (self.head + len).min(self.buf.len());
        self.drop_passed_pieces();
        self.reset_message();
    }

    /// Drops the pieces wholly before `head`, so the first one holds it.
    fn drop_passed_pieces(&mut self) {
        while self
            .pieces
            .get(1)
            .is_some_and(|&(offset, _, _)| offset <= self.head)
        {
            self.pieces.pop_front();
        }
    }

    fn reset_message(&mut self) {
        self.scan = self.head;
        self.searched = self.head;
        self.content_length = 0;
        self.message_len = None;
    }

    /// Moves the consumed bytes out once they are at least half the buffer (so each byte moves
    /// a bounded number of times).
    fn compact(&mut self) {
        if self.head == 0 || self.head * 2 < self.buf.len() {
            return;
        }
        let head = self.head;
        self.buf.drain(..head);
        for piece in &mut self.pieces {
            piece.0 = piece.0.saturating_sub(head);
        }
        self.scan -= head;
        self.searched -= head;
        self.head = 0;
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

    /// A 10 MB stream in 1 KiB segments, pushed through [`reassemble`]: the time it takes.
    fn timed(stream: &[u8]) -> (Reassembled, std::time::Duration) {
        let parts: Vec<(u32, &[u8])> = stream
            .chunks(1024)
            .enumerate()
            .map(|(i, c)| ((i * 1024) as u32, c))
            .collect();
        let segments = segments(&parts);
        let started = std::time::Instant::now();
        let out = reassemble(segments);
        (out, started.elapsed())
    }

    #[test]
    fn streams_without_message_ends_are_reassembled_in_linear_time() {
        const SIZE: usize = 10 * 1024 * 1024;
        let mut headers = b"INVITE sip:b@x SIP/2.0\r\n".to_vec();
        while headers.len() < SIZE {
            headers.extend_from_slice(b"X-Pad: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n");
        }
        let one_line = vec![b'a'; SIZE];
        let mut huge_body = b"INVITE sip:b@x SIP/2.0\r\nContent-Length: 99999999\r\n\r\n".to_vec();
        huge_body.resize(SIZE, b'v');
        huge_body.extend_from_slice(OK);
        let mut many = Vec::new();
        while many.len() < SIZE {
            many.extend_from_slice(OK);
        }
        let count = many.len() / OK.len();
        for (name, stream) in [
            ("endless headers", headers),
            ("one line", one_line),
            ("a 100 MB Content-Length", huge_body),
        ] {
            let (out, elapsed) = timed(&stream);
            eprintln!("{name}: {elapsed:?}");
            assert!(
                elapsed < std::time::Duration::from_secs(5),
                "{name}: {elapsed:?}"
            );
            assert!(
                out.messages.iter().all(|m| m.bytes.len() <= MAX_CANDIDATE),
                "{name}"
            );
            assert!(out.skipped >= 1, "{name}");
        }
        let started = std::time::Instant::now();
        let out = reassemble(segments(&[(1, &many)]));
        let elapsed = started.elapsed();
        eprintln!("{count} messages in one segment: {elapsed:?}");
        assert!(elapsed < std::time::Duration::from_secs(5), "{elapsed:?}");
        assert_eq!(out.messages.len(), count);
    }

    #[test]
    fn an_over_long_message_is_skipped_and_the_next_one_found() {
        let mut long = b"INVITE sip:b@x SIP/2.0\r\nContent-Length: 70000\r\n\r\n".to_vec();
        long.resize(long.len() + 70_000, b'v');
        long.extend_from_slice(OK);
        let parts: Vec<(u32, &[u8])> = long
            .chunks(1000)
            .enumerate()
            .map(|(i, c)| (1 + (i * 1000) as u32, c))
            .collect();
        let out = reassemble(segments(&parts));
        assert_eq!(bytes(&out), vec![OK]);
        assert_eq!(out.skipped, 1);
    }
}
