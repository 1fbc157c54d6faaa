//! Framing of the control connection: bytes in, RFC 959 replies out.
//!
//! The decoder is fed whatever the socket returned — replies may arrive split
//! at any byte — and keeps all partial state itself, so a read that is
//! cancelled between feeds loses nothing.

use std::fmt;

/// The longest reply line accepted; longer is a protocol error, not a memory blow-up.
pub const MAX_LINE: usize = 64 * 1024;
/// The largest whole (multi-line) reply accepted.
pub const MAX_REPLY: usize = 1024 * 1024;

/// One complete server reply: a three-digit code and its lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub code: u16,
    /// The reply's lines as sent, without line endings. They may not be
    /// UTF-8 (a PWD reply carries a path in the server's encoding).
    pub lines: Vec<Vec<u8>>,
}

impl Reply {
    /// 1xx: the command started; another reply will follow.
    pub fn is_preliminary(&self) -> bool {
        (100..200).contains(&self.code)
    }
    /// 2xx: the command succeeded.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.code)
    }

    /// The first line's text after the code, lossily decoded.
    pub fn text(&self) -> String {
        let first = self.lines.first().map(Vec::as_slice).unwrap_or_default();
        String::from_utf8_lossy(first.get(4..).unwrap_or_default()).into_owned()
    }

    /// The first line's bytes after the code.
    pub fn text_bytes(&self) -> &[u8] {
        self.lines
            .first()
            .and_then(|l| l.get(4..))
            .unwrap_or_default()
    }

    /// The lines between the first and the last of a multi-line reply (the
    /// body of FEAT or STAT), lossily decoded.
    pub fn body(&self) -> impl Iterator<Item = String> + '_ {
        let n = self.lines.len();
        self.lines
            .iter()
            .enumerate()
            .filter(move |(i, _)| *i != 0 && *i + 1 != n)
            .map(|(_, l)| String::from_utf8_lossy(l).into_owned())
    }
}

impl fmt::Display for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.code, self.text())
    }
}

/// Why bytes could not be framed into a reply.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReplyError {
    #[error("a reply line is longer than {MAX_LINE} bytes")]
    LineTooLong,
    #[error("a reply is longer than {MAX_REPLY} bytes")]
    ReplyTooLong,
    #[error("a reply line does not start with a three-digit code: {0:?}")]
    BadLine(String),
}

/// Incremental reply decoder. Feed it bytes; take complete replies out.
#[derive(Debug, Default)]
pub struct ReplyDecoder {
    buf: Vec<u8>,
    /// Start of unconsumed bytes in `buf`.
    start: usize,
    /// How far from `start` we already searched for a newline.
    scanned: usize,
    /// A multi-line reply in progress: its code, lines and size so far.
    partial: Option<(u16, Vec<Vec<u8>>, usize)>,
}

impl ReplyDecoder {
    pub fn new() -> ReplyDecoder {
        ReplyDecoder::default()
    }

    /// Append bytes received from the server.
    pub fn feed(&mut self, bytes: &[u8]) {
        if self.start > 0 && self.start * 2 >= self.buf.len() {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    /// True when bytes of an unfinished reply are buffered.
    pub fn has_partial(&self) -> bool {
        self.partial.is_some() || self.start < self.buf.len()
    }

    /// The next complete reply, `Ok(None)` when more bytes are needed.
    pub fn next_reply(&mut self) -> Result<Option<Reply>, ReplyError> {
        while let Some(line) = self.next_line()? {
            if let Some(reply) = self.take_line(line)? {
                return Ok(Some(reply));
            }
        }
        Ok(None)
    }

    fn next_line(&mut self) -> Result<Option<Vec<u8>>, ReplyError> {
        let pending = &self.buf[self.start..];
        match pending[self.scanned..].iter().position(|&b| b == b'\n') {
            Some(i) => {
                let end = self.scanned + i;
                if end > MAX_LINE {
                    return Err(ReplyError::LineTooLong);
                }
                let mut line = pending[..end].to_vec();
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                self.start += end + 1;
                self.scanned = 0;
                Ok(Some(line))
            }
            None if pending.len() > MAX_LINE => Err(ReplyError::LineTooLong),
            None => {
                self.scanned = pending.len();
                Ok(None)
            }
        }
    }

    fn take_line(&mut self, line: Vec<u8>) -> Result<Option<Reply>, ReplyError> {
        if let Some((code, lines, size)) = self.partial.as_mut() {
            *size += line.len() + 2;
            if *size > MAX_REPLY {
                return Err(ReplyError::ReplyTooLong);
            }
            let ends = parse_code(&line) == Some(*code) && matches!(line.get(3), None | Some(b' '));
            lines.push(line);
            if ends {
                let (code, lines, _) = self.partial.take().unwrap_or_default();
                return Ok(Some(Reply { code, lines }));
            }
            return Ok(None);
        }
        let Some(code) = parse_code(&line) else {
            // Some servers send a stray blank line between replies; skip it.
            if line.iter().all(u8::is_ascii_whitespace) {
                return Ok(None);
            }
            return Err(ReplyError::BadLine(
                String::from_utf8_lossy(&line[..line.len().min(80)]).into_owned(),
            ));
        };
        match line.get(3) {
            Some(b'-') => {
                let size = line.len() + 2;
                self.partial = Some((code, vec![line], size));
                Ok(None)
            }
            // "220 text", a bare "220", and the rare "220text" are single-line replies.
            _ => Ok(Some(Reply {
                code,
                lines: vec![line],
            })),
        }
    }
}

fn parse_code(line: &[u8]) -> Option<u16> {
    let digits = line.get(..3)?;
    if !digits.iter().all(u8::is_ascii_digit) || !(b'1'..=b'5').contains(&digits[0]) {
        return None;
    }
    Some(
        digits
            .iter()
            .fold(0u16, |n, d| n * 10 + u16::from(d - b'0')),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_all(chunks: &[&[u8]]) -> Result<Vec<Reply>, ReplyError> {
        let mut d = ReplyDecoder::new();
        let mut out = Vec::new();
        for c in chunks {
            d.feed(c);
            while let Some(r) = d.next_reply()? {
                out.push(r);
            }
        }
        Ok(out)
    }

    #[test]
    fn single_line_replies_of_every_shape() {
        let cases: &[(&[u8], u16, &str)] = &[
            (b"220 ready\r\n", 220, "ready"),
            (b"220 ready\n", 220, "ready"),
            (b"200\r\n", 200, ""),
            (b"550 no such file: a b\r\n", 550, "no such file: a b"),
        ];
        for (input, code, text) in cases {
            let r = decode_all(&[input]).unwrap();
            assert_eq!(r.len(), 1, "{input:?}");
            assert_eq!(r[0].code, *code);
            assert_eq!(r[0].text(), *text);
        }
    }

    #[test]
    fn multi_line_reply_with_continuation_lines_of_any_shape() {
        let input = b"211-Features:\r\n MLST type*;size*;\r\n211-not the end\r\n\r\n213 other code\r\nplain text\r\n211 End\r\n";
        let r = decode_all(&[input]).unwrap();
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].code, 211);
        assert_eq!(r[0].lines.len(), 7);
        assert_eq!(r[0].body().count(), 5);
        assert_eq!(r[0].lines[6], b"211 End");
    }

    #[test]
    fn replies_split_at_every_byte_boundary_decode_the_same() {
        let input: &[u8] =
            b"220-Welcome\r\n to the\r\n220 server\r\n331 Password required\r\n230 ok\r\n";
        let whole = decode_all(&[input]).unwrap();
        assert_eq!(whole.len(), 3);
        for split in 0..input.len() {
            let (a, b) = input.split_at(split);
            assert_eq!(decode_all(&[a, b]).unwrap(), whole, "split at {split}");
        }
        let bytes: Vec<&[u8]> = input.chunks(1).collect();
        assert_eq!(decode_all(&bytes).unwrap(), whole);
    }

    #[test]
    fn an_overlong_line_is_an_error_even_before_its_newline() {
        let long = vec![b'a'; MAX_LINE + 10];
        let mut d = ReplyDecoder::new();
        d.feed(b"220 ");
        d.feed(&long);
        assert_eq!(d.next_reply(), Err(ReplyError::LineTooLong));
    }

    #[test]
    fn an_endless_multi_line_reply_stops_at_the_reply_limit() {
        let mut d = ReplyDecoder::new();
        d.feed(b"211-start\r\n");
        let line = [b' '; 1000];
        let mut fed = 0;
        let err = loop {
            d.feed(&line);
            d.feed(b"\r\n");
            fed += 1002;
            match d.next_reply() {
                Ok(None) => assert!(fed < MAX_REPLY + 10_000, "no limit hit"),
                Ok(Some(r)) => panic!("unexpected reply {r}"),
                Err(e) => break e,
            }
        };
        assert_eq!(err, ReplyError::ReplyTooLong);
    }

    #[test]
    fn a_line_without_a_code_is_a_clear_error() {
        assert!(matches!(
            decode_all(&[b"hello there\r\n"]),
            Err(ReplyError::BadLine(_))
        ));
        assert!(matches!(
            decode_all(&[b"999 nope\r\n"]),
            Err(ReplyError::BadLine(_))
        ));
    }

    #[test]
    fn non_utf8_bytes_are_kept() {
        let r = decode_all(&[b"257 \"/caf\xe9\" created\r\n"]).unwrap();
        assert_eq!(r[0].text_bytes(), b"\"/caf\xe9\" created");
    }

    #[test]
    fn has_partial_tracks_unfinished_replies() {
        let mut d = ReplyDecoder::new();
        assert!(!d.has_partial());
        d.feed(b"150 Open");
        assert_eq!(d.next_reply(), Ok(None));
        assert!(d.has_partial());
        d.feed(b"ing\r\n");
        assert_eq!(d.next_reply().unwrap().unwrap().code, 150);
        assert!(!d.has_partial());
    }
}
