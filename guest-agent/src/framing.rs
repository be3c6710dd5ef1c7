//! Line framing: one JSON message per `\n`-terminated line, bounded in length.
//!
//! [`LineDecoder`] is pure: feed it whatever bytes a read returned and it hands back the
//! complete lines. It never holds more than its maximum: a longer line is reported once
//! ([`Frame::Overlong`]) as soon as it passes the limit, and the rest of it is dropped up
//! to the next newline, where decoding resynchronises. Blank lines (a bare `\n` is how a
//! host flushes a half line after reconnecting) yield nothing.

use crate::protocol::limits::MAX_LINE_BYTES;

/// What the decoder found in the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// A complete line without its `\n` (and without a trailing `\r`).
    Line(Vec<u8>),
    /// A line passed the maximum; it is being discarded up to its newline.
    Overlong,
}

/// Splits a byte stream into lines of at most `max_line` bytes.
#[derive(Debug, Clone)]
pub struct LineDecoder {
    buf: Vec<u8>,
    max_line: usize,
    discarding: bool,
}

impl Default for LineDecoder {
    fn default() -> Self {
        Self::new(MAX_LINE_BYTES)
    }
}

impl LineDecoder {
    pub fn new(max_line: usize) -> Self {
        LineDecoder {
            buf: Vec::new(),
            max_line,
            discarding: false,
        }
    }

    pub fn max_line(&self) -> usize {
        self.max_line
    }

    /// Bytes of an unfinished line held now (never more than the maximum).
    pub fn pending(&self) -> usize {
        self.buf.len()
    }

    /// Forgets any half line, e.g. after the peer reconnected.
    pub fn reset(&mut self) {
        self.buf.clear();
        self.discarding = false;
    }

    /// Takes the next bytes of the stream and returns the frames they complete, in order.
    pub fn push(&mut self, mut data: &[u8]) -> Vec<Frame> {
        let mut frames = Vec::new();
        while !data.is_empty() {
            let newline = memchr::memchr(b'\n', data);
            let (chunk, rest, complete) = match newline {
                Some(i) => (&data[..i], &data[i + 1..], true),
                None => (data, &[][..], false),
            };
            data = rest;
            if self.discarding {
                if complete {
                    self.discarding = false;
                }
                continue;
            }
            if self.buf.len() + chunk.len() > self.max_line {
                self.buf.clear();
                frames.push(Frame::Overlong);
                self.discarding = !complete;
                continue;
            }
            self.buf.extend_from_slice(chunk);
            if complete {
                let mut line = std::mem::take(&mut self.buf);
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                if !line.iter().all(u8::is_ascii_whitespace) {
                    frames.push(Frame::Line(line));
                }
            }
        }
        frames
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(s: &str) -> Frame {
        Frame::Line(s.as_bytes().to_vec())
    }

    #[test]
    fn whole_lines_come_out_in_order() {
        let mut d = LineDecoder::new(100);
        assert_eq!(
            d.push(b"a\nbb\nccc\n"),
            vec![line("a"), line("bb"), line("ccc")]
        );
        assert_eq!(d.pending(), 0);
    }

    #[test]
    fn a_line_split_across_pushes_is_joined() {
        let mut d = LineDecoder::new(100);
        assert!(d.push(b"{\"a\"").is_empty());
        assert!(d.push(b":").is_empty());
        assert_eq!(d.pending(), 5);
        assert_eq!(d.push(b"1}\n{"), vec![line("{\"a\":1}")]);
        assert_eq!(d.push(b"}\n"), vec![line("{}")]);
    }

    #[test]
    fn byte_at_a_time_gives_the_same_lines() {
        let input = b"one\r\ntwo\n\nthree\n";
        let mut d = LineDecoder::new(100);
        let frames: Vec<Frame> = input.iter().flat_map(|b| d.push(&[*b])).collect();
        assert_eq!(frames, vec![line("one"), line("two"), line("three")]);
    }

    #[test]
    fn blank_lines_resync_and_yield_nothing() {
        let mut d = LineDecoder::new(100);
        assert!(d.push(b"\n\n  \n\r\n").is_empty());
        // A half line from before a reconnect is flushed by the bare newline as garbage.
        assert_eq!(d.push(b"{\"hal\n{}\n"), vec![line("{\"hal"), line("{}")]);
    }

    #[test]
    fn overlong_line_is_reported_once_then_skipped() {
        let mut d = LineDecoder::new(4);
        assert_eq!(d.push(b"abcd\n"), vec![line("abcd")]);
        assert_eq!(d.push(b"abc"), vec![]);
        assert_eq!(d.push(b"de"), vec![Frame::Overlong]);
        assert_eq!(d.pending(), 0);
        assert_eq!(d.push(b"fghijklmnop"), vec![]);
        assert_eq!(d.pending(), 0);
        assert_eq!(d.push(b"xyz\nok\n"), vec![line("ok")]);
    }

    #[test]
    fn overlong_line_ending_in_the_same_push_does_not_eat_the_next() {
        let mut d = LineDecoder::new(3);
        assert_eq!(d.push(b"toolong\nok\n"), vec![Frame::Overlong, line("ok")]);
        assert_eq!(d.push(b"abcdefgh"), vec![Frame::Overlong]);
        assert_eq!(d.push(b"\nzz\n"), vec![line("zz")]);
    }

    #[test]
    fn buffer_never_exceeds_the_maximum() {
        let mut d = LineDecoder::new(1000);
        for _ in 0..50 {
            d.push(&[b'x'; 333]);
            assert!(d.pending() <= 1000);
        }
    }

    #[test]
    fn garbage_and_invalid_utf8_pass_through_as_lines() {
        let mut d = LineDecoder::default();
        assert_eq!(d.max_line(), MAX_LINE_BYTES);
        assert_eq!(
            d.push(b"\xff\xfe\x00\n}{\n"),
            vec![Frame::Line(vec![0xff, 0xfe, 0]), line("}{")]
        );
    }

    #[test]
    fn reset_drops_a_half_line() {
        let mut d = LineDecoder::new(10);
        d.push(b"half");
        d.reset();
        assert_eq!(d.push(b"new\n"), vec![line("new")]);
        d.push(b"0123456789x");
        d.reset();
        assert_eq!(d.push(b"a\n"), vec![line("a")]);
    }
}
