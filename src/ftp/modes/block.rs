//! Block mode (`MODE B`, RFC 959 §3.4.2): the file goes as blocks, each
//! after a 3-byte header: a descriptor byte, then the count of data bytes
//! in the block (16 bits, most significant byte first).
//!
//! ```text
//! +----------------+----------------+----------------+
//! |   descriptor   |          byte count             |
//! +----------------+----------------+----------------+
//! ```
//!
//! Descriptor bits: 128 the block ends a record (EOR), 64 it ends the file
//! (EOF), 32 its data is suspected to have errors, 16 it is a restart
//! marker (its bytes are the marker, not file data). Several may be set;
//! the other bits are undefined and refused.

use super::{CodecError, OUTPUT_LIMIT, RestartMarker};

/// Descriptor: the block ends a record.
pub const EOR: u8 = 128;
/// Descriptor: the block ends the file.
pub const EOF: u8 = 64;
/// Descriptor: the block's data is suspected to have errors.
pub const SUSPECT: u8 = 32;
/// Descriptor: the block is a restart marker.
pub const RESTART: u8 = 16;
const KNOWN: u8 = EOR | EOF | SUSPECT | RESTART;

/// The most data one block holds (its count is 16 bits).
pub const MAX_BLOCK: usize = u16::MAX as usize;

#[derive(Debug)]
enum State {
    /// Reading a header; `len` of its 3 bytes are in `got`.
    Header { got: [u8; 3], len: usize },
    /// Inside a data block: `left` bytes of it to come.
    Data { desc: u8, left: usize },
    /// Inside a restart marker block: `left` marker bytes to come.
    Marker { desc: u8, left: usize },
    /// After the end-of-file block.
    Done,
}

/// Decodes block mode, chunk by chunk (see [`super::Decoder::decode`]).
#[derive(Debug)]
pub struct BlockDecoder {
    state: State,
    marker: Vec<u8>,
    markers: Vec<RestartMarker>,
    produced: u64,
    suspect: u64,
}

impl Default for BlockDecoder {
    fn default() -> Self {
        BlockDecoder::new()
    }
}

impl BlockDecoder {
    pub fn new() -> BlockDecoder {
        BlockDecoder {
            state: State::Header {
                got: [0; 3],
                len: 0,
            },
            marker: Vec::new(),
            markers: Vec::new(),
            produced: 0,
            suspect: 0,
        }
    }

    pub fn decode(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<usize, CodecError> {
        let mut pos = 0;
        while pos < input.len() && out.len() < OUTPUT_LIMIT {
            match &mut self.state {
                State::Done => {
                    return Err(CodecError(format!(
                        "{} more bytes came after the end-of-file block",
                        input.len() - pos
                    )));
                }
                State::Header { got, len } => {
                    let n = (3 - *len).min(input.len() - pos);
                    got[*len..*len + n].copy_from_slice(&input[pos..pos + n]);
                    *len += n;
                    pos += n;
                    if *len == 3 {
                        let [desc, hi, lo] = *got;
                        self.start_block(desc, usize::from(u16::from_be_bytes([hi, lo])))?;
                    }
                }
                State::Data { desc, left } => {
                    let desc = *desc;
                    let n = (*left).min(input.len() - pos).min(OUTPUT_LIMIT - out.len());
                    out.extend_from_slice(&input[pos..pos + n]);
                    pos += n;
                    *left -= n;
                    let done = *left == 0;
                    self.produced += n as u64;
                    if desc & SUSPECT != 0 {
                        self.suspect += n as u64;
                    }
                    if done {
                        self.end_block(desc);
                    }
                }
                State::Marker { desc, left } => {
                    let desc = *desc;
                    let n = (*left).min(input.len() - pos);
                    self.marker.extend_from_slice(&input[pos..pos + n]);
                    pos += n;
                    *left -= n;
                    if *left == 0 {
                        self.markers.push(RestartMarker {
                            marker: std::mem::take(&mut self.marker),
                            offset: self.produced,
                        });
                        self.end_block(desc);
                    }
                }
            }
        }
        Ok(pos)
    }

    fn start_block(&mut self, desc: u8, count: usize) -> Result<(), CodecError> {
        if desc & !KNOWN != 0 {
            return Err(CodecError(format!(
                "a block header has the undefined descriptor {desc} (only 128, 64, 32 and 16 and their sums exist)"
            )));
        }
        if desc & RESTART != 0 {
            if count == 0 {
                return Err(CodecError("a restart marker block holds no marker".into()));
            }
            self.state = State::Marker { desc, left: count };
        } else if count == 0 {
            self.end_block(desc);
        } else {
            self.state = State::Data { desc, left: count };
        }
        Ok(())
    }

    fn end_block(&mut self, desc: u8) {
        self.state = if desc & EOF != 0 {
            State::Done
        } else {
            State::Header {
                got: [0; 3],
                len: 0,
            }
        };
    }

    pub fn is_done(&self) -> bool {
        matches!(self.state, State::Done)
    }

    pub fn finish(&self) -> Result<(), CodecError> {
        match &self.state {
            State::Done => Ok(()),
            State::Header { len: 0, .. } => Err(CodecError(
                "the data connection closed before the end-of-file block; the file is incomplete"
                    .into(),
            )),
            State::Header { len, .. } => Err(CodecError(format!(
                "the data connection closed inside a block header ({len} of its 3 bytes came); the file is incomplete"
            ))),
            State::Data { left, .. } => Err(CodecError(format!(
                "the data connection closed {left} bytes before the end of a block; the file is incomplete"
            ))),
            State::Marker { left, .. } => Err(CodecError(format!(
                "the data connection closed {left} bytes before the end of a restart marker; the file is incomplete"
            ))),
        }
    }

    pub fn take_markers(&mut self) -> Vec<RestartMarker> {
        std::mem::take(&mut self.markers)
    }

    pub fn suspect_bytes(&self) -> u64 {
        self.suspect
    }
}

/// Encodes block mode: each chunk becomes blocks of up to [`MAX_BLOCK`]
/// bytes; [`BlockEncoder::finish`] sends an empty block flagged EOF (the
/// encoder cannot know which chunk is the last).
#[derive(Debug, Default)]
pub struct BlockEncoder;

impl BlockEncoder {
    pub fn new() -> BlockEncoder {
        BlockEncoder
    }

    pub fn encode(&mut self, input: &[u8], out: &mut Vec<u8>) {
        out.reserve(input.len() + 3 * input.len().div_ceil(MAX_BLOCK));
        for block in input.chunks(MAX_BLOCK) {
            header(out, 0, block.len());
            out.extend_from_slice(block);
        }
    }

    /// A restart marker block. RFC 959 asks for printable characters
    /// without spaces; the caller chooses them. Empty markers are not sent.
    /// Markers longer than a block are cut to [`MAX_BLOCK`] bytes.
    pub fn marker(&mut self, marker: &[u8], out: &mut Vec<u8>) {
        if marker.is_empty() {
            return;
        }
        let marker = &marker[..marker.len().min(MAX_BLOCK)];
        header(out, RESTART, marker.len());
        out.extend_from_slice(marker);
    }

    pub fn finish(&mut self, out: &mut Vec<u8>) {
        header(out, EOF, 0);
    }
}

fn header(out: &mut Vec<u8>, desc: u8, count: usize) {
    // Callers pass at most MAX_BLOCK, which fits the 16-bit count.
    let count = count.min(MAX_BLOCK) as u16;
    out.push(desc);
    out.extend_from_slice(&count.to_be_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_all(bytes: &[u8]) -> (Result<Vec<u8>, CodecError>, Vec<RestartMarker>) {
        let mut d = BlockDecoder::new();
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

    /// RFC 959 §3.4.2's example: "to transmit a six-character marker, the
    /// following would be sent": descriptor 16, byte count 6, six marker
    /// bytes. Here between two data blocks, the second one ending the file.
    #[test]
    fn rfc_959_six_character_marker_between_data_blocks() {
        let wire = [
            &[0u8, 0, 5][..],
            b"Hello",
            &[16, 0, 6],
            b"MARK01",
            &[EOF, 0, 6],
            b" world",
        ]
        .concat();
        let (data, markers) = decode_all(&wire);
        assert_eq!(data.unwrap(), b"Hello world");
        assert_eq!(
            markers,
            vec![RestartMarker {
                marker: b"MARK01".to_vec(),
                offset: 5
            }]
        );
    }

    /// Descriptor codes add up (RFC 959: "more than one descriptor coded
    /// condition may exist for a particular block"): EOR + EOF = 192 on the
    /// last block of a record-structured file; suspect data is kept.
    #[test]
    fn combined_descriptors_and_suspect_data() {
        let wire = [
            &[SUSPECT, 0, 3][..],
            b"abc",
            &[EOR, 0, 2],
            b"de",
            &[EOR | EOF, 0, 1],
            b"f",
        ]
        .concat();
        let mut d = BlockDecoder::new();
        let mut out = Vec::new();
        assert_eq!(d.decode(&wire, &mut out).unwrap(), wire.len());
        assert!(d.is_done());
        assert_eq!(out, b"abcdef");
        assert_eq!(d.suspect_bytes(), 3);
    }

    #[test]
    fn the_encoder_splits_into_blocks_and_ends_with_an_eof_block() {
        let mut e = BlockEncoder::new();
        let mut out = Vec::new();
        e.encode(&vec![7u8; MAX_BLOCK + 2], &mut out);
        e.marker(b"R1", &mut out);
        e.finish(&mut out);
        assert_eq!(&out[..3], &[0, 0xff, 0xff]);
        let second = 3 + MAX_BLOCK;
        assert_eq!(&out[second..second + 5], &[0, 0, 2, 7, 7]);
        assert_eq!(&out[second + 5..], &[RESTART, 0, 2, b'R', b'1', EOF, 0, 0]);
    }

    #[test]
    fn malformed_input_is_an_error_that_says_what_is_wrong() {
        let cases: &[(&[u8], &str)] = &[
            (&[], "before the end-of-file block"),
            (&[0, 0], "inside a block header (2 of its 3 bytes"),
            (&[0, 0, 10, 1, 2, 3], "7 bytes before the end of a block"),
            (&[1, 0, 0], "undefined descriptor 1"),
            (&[RESTART, 0, 0], "holds no marker"),
            (&[RESTART, 0, 4, b'a'], "before the end of a restart marker"),
            (&[EOF, 0, 0, 0], "came after the end-of-file block"),
        ];
        for (wire, want) in cases {
            let err = decode_all(wire).0.unwrap_err();
            assert!(err.0.contains(want), "{wire:?}: {err}");
        }
    }

    #[test]
    fn output_is_handed_on_in_bounded_pieces() {
        let mut e = BlockEncoder::new();
        let mut wire = Vec::new();
        e.encode(&vec![1u8; 3 * OUTPUT_LIMIT], &mut wire);
        e.finish(&mut wire);
        let mut d = BlockDecoder::new();
        let mut out = Vec::new();
        let mut pos = 0;
        let mut total = 0;
        while !d.is_done() {
            pos += d.decode(&wire[pos..], &mut out).unwrap();
            assert!(out.len() <= OUTPUT_LIMIT);
            total += out.len();
            out.clear();
        }
        assert_eq!(total, 3 * OUTPUT_LIMIT);
    }
}
