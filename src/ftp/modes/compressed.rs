//! Compressed mode (`MODE C`, RFC 959 §3.4.3): run-length encoding in four
//! kinds of records.
//!
//! ```text
//! byte string      |0|    n (1-127)  | d(1) ... d(n)     n data bytes
//! replicated byte  |1 0| n (6 bits)  | d                 d, n times
//! filler string    |1 1| n (6 bits)  |                   n filler bytes
//! escape sequence  |0 0 0 0 0 0 0 0| descriptor         control
//! ```
//!
//! The filler byte is a zero byte in image type (`TYPE I`, all Ferry
//! transfers). The escape's descriptor has block mode's codes and applies to
//! the string after it: 64 ends the file, 16 makes the next byte string a
//! restart marker, 32 flags suspect data, 128 ends a record.

use super::block::{EOF, EOR, RESTART, SUSPECT};
use super::{CodecError, OUTPUT_LIMIT, RestartMarker};

const KNOWN: u8 = EOR | EOF | SUSPECT | RESTART;
/// The longest byte string.
pub const MAX_STRING: usize = 127;
/// The longest replicated or filler run.
pub const MAX_RUN: usize = 63;
/// The filler byte of image type.
const FILLER: u8 = 0;

#[derive(Debug)]
enum State {
    /// Expecting the first byte of a record.
    Record,
    /// Inside a byte string: `left` data bytes to come.
    String { left: usize },
    /// A replicated-byte record's byte is next, to write `n` times.
    Replicate { n: usize },
    /// An escape's descriptor byte is next.
    Descriptor,
    /// After a restart escape: the byte string holding the marker is next.
    MarkerHeader { desc: u8 },
    /// Inside the marker's byte string.
    Marker { desc: u8, left: usize },
    /// After the end-of-file escape.
    Done,
}

/// Decodes compressed mode, chunk by chunk (see [`super::Decoder::decode`]).
/// Replicated and filler records with a count of 0 are accepted as empty.
#[derive(Debug)]
pub struct CompressedDecoder {
    state: State,
    /// The next byte string is flagged suspect.
    suspect_next: bool,
    in_suspect: bool,
    marker: Vec<u8>,
    markers: Vec<RestartMarker>,
    produced: u64,
    suspect: u64,
}

impl Default for CompressedDecoder {
    fn default() -> Self {
        CompressedDecoder::new()
    }
}

impl CompressedDecoder {
    pub fn new() -> CompressedDecoder {
        CompressedDecoder {
            state: State::Record,
            suspect_next: false,
            in_suspect: false,
            marker: Vec::new(),
            markers: Vec::new(),
            produced: 0,
            suspect: 0,
        }
    }

    fn emit(&mut self, out: &mut Vec<u8>, bytes: &[u8]) {
        out.extend_from_slice(bytes);
        self.produced += bytes.len() as u64;
        if self.in_suspect {
            self.suspect += bytes.len() as u64;
        }
    }

    fn emit_run(&mut self, out: &mut Vec<u8>, byte: u8, n: usize) {
        out.resize(out.len() + n, byte);
        self.produced += n as u64;
        if self.in_suspect {
            self.suspect += n as u64;
        }
    }

    pub fn decode(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<usize, CodecError> {
        let mut pos = 0;
        while pos < input.len() && out.len() < OUTPUT_LIMIT {
            let b = input[pos];
            match self.state {
                State::Done => {
                    return Err(CodecError(format!(
                        "{} more bytes came after the end-of-file escape",
                        input.len() - pos
                    )));
                }
                State::Record => {
                    pos += 1;
                    // A flag from an escape applies to this one record.
                    self.in_suspect = std::mem::take(&mut self.suspect_next);
                    if b == 0 {
                        self.state = State::Descriptor;
                    } else if b & 0x80 == 0 {
                        self.state = State::String {
                            left: usize::from(b),
                        };
                    } else if b & 0x40 == 0 {
                        self.state = State::Replicate {
                            n: usize::from(b & 0x3f),
                        };
                    } else {
                        self.emit_run(out, FILLER, usize::from(b & 0x3f));
                    }
                }
                State::String { left } => {
                    let n = left.min(input.len() - pos).min(OUTPUT_LIMIT - out.len());
                    self.emit(out, &input[pos..pos + n]);
                    pos += n;
                    self.state = if n == left {
                        State::Record
                    } else {
                        State::String { left: left - n }
                    };
                }
                State::Replicate { n } => {
                    pos += 1;
                    self.emit_run(out, b, n);
                    self.state = State::Record;
                }
                State::Descriptor => {
                    pos += 1;
                    if b & !KNOWN != 0 {
                        return Err(CodecError(format!(
                            "an escape sequence has the undefined descriptor {b} (only 128, 64, 32 and 16 and their sums exist)"
                        )));
                    }
                    self.suspect_next = b & SUSPECT != 0;
                    self.state = if b & RESTART != 0 {
                        State::MarkerHeader { desc: b }
                    } else if b & EOF != 0 {
                        State::Done
                    } else {
                        State::Record
                    };
                }
                State::MarkerHeader { desc } => {
                    pos += 1;
                    if b == 0 || b & 0x80 != 0 {
                        return Err(CodecError(format!(
                            "a restart marker escape is followed by the record byte {b:#04x}, not by the byte string holding the marker"
                        )));
                    }
                    self.state = State::Marker {
                        desc,
                        left: usize::from(b),
                    };
                }
                State::Marker { desc, left } => {
                    let n = left.min(input.len() - pos);
                    self.marker.extend_from_slice(&input[pos..pos + n]);
                    pos += n;
                    if n < left {
                        self.state = State::Marker {
                            desc,
                            left: left - n,
                        };
                    } else {
                        self.markers.push(RestartMarker {
                            marker: std::mem::take(&mut self.marker),
                            offset: self.produced,
                        });
                        self.suspect_next = false;
                        self.state = if desc & EOF != 0 {
                            State::Done
                        } else {
                            State::Record
                        };
                    }
                }
            }
        }
        Ok(pos)
    }

    pub fn is_done(&self) -> bool {
        matches!(self.state, State::Done)
    }

    pub fn finish(&self) -> Result<(), CodecError> {
        let inside = match self.state {
            State::Done => return Ok(()),
            State::Record => {
                return Err(CodecError(
                    "the data connection closed before the end-of-file escape; the file is incomplete"
                        .into(),
                ));
            }
            State::String { .. } => "a byte string",
            State::Replicate { .. } => "a replicated-byte record",
            State::Descriptor => "an escape sequence",
            State::MarkerHeader { .. } | State::Marker { .. } => "a restart marker",
        };
        Err(CodecError(format!(
            "the data connection closed inside {inside}; the file is incomplete"
        )))
    }

    pub fn take_markers(&mut self) -> Vec<RestartMarker> {
        std::mem::take(&mut self.markers)
    }

    pub fn suspect_bytes(&self) -> u64 {
        self.suspect
    }
}

/// Encodes compressed mode: runs of zero bytes (2 or more) become filler
/// records, runs of another byte (3 or more) replicated-byte records, and
/// the rest byte strings of up to 127 bytes. Keeps at most one pending
/// string and one run between chunks.
#[derive(Debug, Default)]
pub struct CompressedEncoder {
    string: Vec<u8>,
    run_byte: u8,
    run_len: usize,
}

impl CompressedEncoder {
    pub fn new() -> CompressedEncoder {
        CompressedEncoder {
            string: Vec::with_capacity(MAX_STRING),
            run_byte: 0,
            run_len: 0,
        }
    }

    pub fn encode(&mut self, input: &[u8], out: &mut Vec<u8>) {
        out.reserve(input.len() + input.len() / MAX_STRING + 2);
        for &b in input {
            if self.run_len > 0 && b == self.run_byte {
                self.run_len += 1;
                if self.run_len == MAX_RUN {
                    self.end_run(out);
                }
            } else {
                self.end_run(out);
                self.run_byte = b;
                self.run_len = 1;
            }
        }
    }

    /// A restart marker: an escape with descriptor 16, then the marker as
    /// a byte string (cut to 127 bytes). Empty markers are not sent.
    pub fn marker(&mut self, marker: &[u8], out: &mut Vec<u8>) {
        if marker.is_empty() {
            return;
        }
        self.end_run(out);
        self.end_string(out);
        let marker = &marker[..marker.len().min(MAX_STRING)];
        out.extend_from_slice(&[0, RESTART, marker.len() as u8]);
        out.extend_from_slice(marker);
    }

    pub fn finish(&mut self, out: &mut Vec<u8>) {
        self.end_run(out);
        self.end_string(out);
        out.extend_from_slice(&[0, EOF]);
    }

    fn end_run(&mut self, out: &mut Vec<u8>) {
        let (byte, n) = (self.run_byte, self.run_len);
        self.run_len = 0;
        if n == 0 {
            return;
        }
        let worth = if byte == FILLER { n >= 2 } else { n >= 3 };
        if worth {
            self.end_string(out);
            // n <= MAX_RUN (63): it fits the record's 6 bits.
            if byte == FILLER {
                out.push(0xc0 | n as u8);
            } else {
                out.extend_from_slice(&[0x80 | n as u8, byte]);
            }
        } else {
            for _ in 0..n {
                self.string.push(byte);
                if self.string.len() == MAX_STRING {
                    self.end_string(out);
                }
            }
        }
    }

    fn end_string(&mut self, out: &mut Vec<u8>) {
        if !self.string.is_empty() {
            // At most MAX_STRING (127) bytes: the count fits 7 bits.
            out.push(self.string.len() as u8);
            out.extend_from_slice(&self.string);
            self.string.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_all(bytes: &[u8]) -> (Result<Vec<u8>, CodecError>, Vec<RestartMarker>) {
        let mut d = CompressedDecoder::new();
        let mut out = Vec::new();
        let mut pos = 0;
        let r = loop {
            match d.decode(&bytes[pos..], &mut out) {
                Ok(n) if pos + n == bytes.len() => break d.finish().map(|()| out),
                Ok(n) => pos += n,
                Err(e) => break Err(e),
            }
        };
        (r, d.take_markers())
    }

    /// Each record kind of RFC 959 §3.4.3, worked by hand: a byte string
    /// of 3 ("abc": 0x03 a b c), 5 replicated 'x' (10 000101 = 0x85, 'x'),
    /// 4 filler bytes in image type (11 000100 = 0xc4: four zero bytes), an
    /// escape with a restart marker (0x00 0x10, then the marker "M1" as a
    /// byte string 0x02 M 1), one more string, and the EOF escape (0x00 0x40).
    #[test]
    fn rfc_959_records_worked_by_hand() {
        let wire = [
            &[0x03][..],
            b"abc",
            &[0x85, b'x'],
            &[0xc4],
            &[0x00, 0x10, 0x02],
            b"M1",
            &[0x01, b'!'],
            &[0x00, 0x40],
        ]
        .concat();
        let (data, markers) = decode_all(&wire);
        assert_eq!(data.unwrap(), b"abcxxxxx\0\0\0\0!");
        assert_eq!(
            markers,
            vec![RestartMarker {
                marker: b"M1".to_vec(),
                offset: 12
            }]
        );
    }

    #[test]
    fn the_encoder_uses_filler_and_replication_where_they_save() {
        let mut e = CompressedEncoder::new();
        let mut out = Vec::new();
        let input = [&b"ab"[..], &[0; 5], b"yyyy", b"zz", &[0]].concat();
        e.encode(&input, &mut out);
        e.finish(&mut out);
        // "ab" string, 5 zeros as filler, 4 'y' replicated, "zz\0" string, EOF.
        assert_eq!(
            out,
            [
                &[0x02, b'a', b'b', 0xc5, 0x84, b'y', 0x03, b'z', b'z', 0][..],
                &[0x00, 0x40]
            ]
            .concat()
        );
        assert_eq!(decode_all(&out).0.unwrap(), input);
    }

    #[test]
    fn long_runs_and_strings_are_split_at_the_record_limits() {
        let mut e = CompressedEncoder::new();
        let mut out = Vec::new();
        let input: Vec<u8> = [vec![9u8; 100], (0..=255u8).cycle().take(300).collect()].concat();
        // Encode in odd pieces: runs and strings continue across chunks.
        for piece in input.chunks(7) {
            e.encode(piece, &mut out);
        }
        e.finish(&mut out);
        assert_eq!(&out[..4], &[0x80 | 63, 9, 0x80 | 37, 9]);
        assert_eq!(decode_all(&out).0.unwrap(), input);
    }

    #[test]
    fn malformed_input_is_an_error_that_says_what_is_wrong() {
        let cases: &[(&[u8], &str)] = &[
            (&[], "before the end-of-file escape"),
            (&[0x05, b'a'], "inside a byte string"),
            (&[0x83], "inside a replicated-byte record"),
            (&[0x00], "inside an escape sequence"),
            (&[0x00, 0x01], "undefined descriptor 1"),
            (&[0x00, 0x10, 0x85, b'x'], "not by the byte string"),
            (&[0x00, 0x10, 0x03, b'a'], "inside a restart marker"),
            (&[0x00, 0x40, 0x01], "after the end-of-file escape"),
        ];
        for (wire, want) in cases {
            let err = decode_all(wire).0.unwrap_err();
            assert!(err.0.contains(want), "{wire:?}: {err}");
        }
    }

    #[test]
    fn suspect_data_is_kept_and_counted() {
        let wire = [&[0x00, SUSPECT, 0x02][..], b"ok", &[0x01, b'!', 0x00, 0x40]].concat();
        let mut d = CompressedDecoder::new();
        let mut out = Vec::new();
        d.decode(&wire, &mut out).unwrap();
        assert!(d.is_done());
        assert_eq!((out.as_slice(), d.suspect_bytes()), (&b"ok!"[..], 2));
    }
}
