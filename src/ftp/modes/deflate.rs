//! Deflate mode (`MODE Z`, draft-preston-ftpext-deflate): the data
//! connection carries one zlib stream (RFC 1950) of the file.

use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};

use super::{CodecError, OUTPUT_LIMIT};

/// Room made in the output for each round of (de)compression.
const ROOM: usize = 64 * 1024;

/// Inflates a MODE Z data stream, chunk by chunk (see
/// [`super::Decoder::decode`]).
pub struct DeflateDecoder {
    z: Decompress,
    done: bool,
}

impl Default for DeflateDecoder {
    fn default() -> Self {
        DeflateDecoder::new()
    }
}

impl DeflateDecoder {
    pub fn new() -> DeflateDecoder {
        DeflateDecoder {
            z: Decompress::new(true),
            done: false,
        }
    }

    pub fn decode(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<usize, CodecError> {
        if self.done {
            if input.is_empty() {
                return Ok(0);
            }
            return Err(CodecError(format!(
                "{} more bytes came after the end of the deflate stream",
                input.len()
            )));
        }
        let mut pos = 0;
        while out.len() < OUTPUT_LIMIT {
            // Exactly ROOM bytes of room, so the output stays bounded.
            let start = out.len();
            out.resize(start + ROOM, 0);
            let (in0, out0) = (self.z.total_in(), self.z.total_out());
            let result = self
                .z
                .decompress(&input[pos..], &mut out[start..], FlushDecompress::None);
            // Bounded by the slice lengths: they fit usize.
            let used = (self.z.total_in() - in0) as usize;
            let made = (self.z.total_out() - out0) as usize;
            out.truncate(start + made);
            let status =
                result.map_err(|e| CodecError(format!("the deflate data is corrupt ({e})")))?;
            pos += used;
            if status == Status::StreamEnd {
                self.done = true;
                if pos < input.len() {
                    return Err(CodecError(format!(
                        "{} more bytes came after the end of the deflate stream",
                        input.len() - pos
                    )));
                }
                break;
            }
            if used == 0 && made == 0 {
                // Needs more input (or all of it is used up).
                break;
            }
        }
        Ok(pos)
    }

    pub fn is_done(&self) -> bool {
        self.done
    }

    /// Complete when the stream ended, or when nothing came at all (an
    /// empty file from a server that sends no stream for it).
    pub fn finish(&self) -> Result<(), CodecError> {
        if self.done || self.z.total_in() == 0 {
            Ok(())
        } else {
            Err(CodecError(
                "the data connection closed before the end of the deflate stream; the file is incomplete"
                    .into(),
            ))
        }
    }
}

/// Deflates an upload into one zlib stream.
pub struct DeflateEncoder {
    z: Compress,
}

impl DeflateEncoder {
    /// `level` 0-9, as zlib's.
    pub fn new(level: u32) -> DeflateEncoder {
        DeflateEncoder {
            z: Compress::new(Compression::new(level.min(9)), true),
        }
    }

    pub fn encode(&mut self, input: &[u8], out: &mut Vec<u8>) {
        let mut pos = 0;
        while pos < input.len() {
            if out.capacity() - out.len() < ROOM {
                out.reserve(ROOM.max(input.len() - pos));
            }
            let before = self.z.total_in();
            // Compressing into a Vec with room cannot fail: errors come only
            // from misuse of the zlib state, which this type does not allow.
            let _ = self.z.compress_vec(&input[pos..], out, FlushCompress::None);
            pos += (self.z.total_in() - before) as usize;
        }
    }

    pub fn finish(&mut self, out: &mut Vec<u8>) {
        loop {
            if out.capacity() - out.len() < ROOM {
                out.reserve(ROOM);
            }
            match self.z.compress_vec(&[], out, FlushCompress::Finish) {
                Ok(Status::StreamEnd) | Err(_) => return,
                Ok(_) => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_in_small_pieces() {
        let text = "line of text with some repetition 0123456789\n".repeat(5000);
        let mut e = DeflateEncoder::new(1);
        let mut wire = Vec::new();
        for piece in text.as_bytes().chunks(1000) {
            e.encode(piece, &mut wire);
        }
        e.finish(&mut wire);
        assert!(wire.len() < text.len() / 10);
        let mut d = DeflateDecoder::new();
        let mut out = Vec::new();
        for piece in wire.chunks(17) {
            let mut pos = 0;
            while pos < piece.len() {
                pos += d.decode(&piece[pos..], &mut out).unwrap();
            }
        }
        assert!(d.is_done());
        d.finish().unwrap();
        assert_eq!(out, text.as_bytes());
    }

    #[test]
    fn a_bomb_comes_out_in_bounded_pieces() {
        let mut e = DeflateEncoder::new(9);
        let mut wire = Vec::new();
        e.encode(&vec![0u8; 8 * OUTPUT_LIMIT], &mut wire);
        e.finish(&mut wire);
        let mut d = DeflateDecoder::new();
        let (mut pos, mut total, mut out) = (0, 0, Vec::new());
        loop {
            pos += d.decode(&wire[pos..], &mut out).unwrap();
            assert!(out.len() < OUTPUT_LIMIT + ROOM, "{}", out.len());
            total += out.len();
            let more = !out.is_empty();
            out.clear();
            if pos == wire.len() && !more {
                break;
            }
        }
        assert_eq!(total, 8 * OUTPUT_LIMIT);
        assert!(d.is_done());
    }

    #[test]
    fn corrupt_truncated_and_trailing_data_are_errors() {
        let mut d = DeflateDecoder::new();
        let err = d.decode(b"not zlib at all", &mut Vec::new()).unwrap_err();
        assert!(err.0.contains("corrupt"), "{err}");

        let mut e = DeflateEncoder::new(6);
        let mut wire = Vec::new();
        e.encode(b"hello hello hello", &mut wire);
        e.finish(&mut wire);
        let mut d = DeflateDecoder::new();
        d.decode(&wire[..wire.len() - 3], &mut Vec::new()).unwrap();
        assert!(d.finish().unwrap_err().0.contains("before the end"));

        let mut d = DeflateDecoder::new();
        let mut with_tail = wire.clone();
        with_tail.extend_from_slice(b"xx");
        let err = d.decode(&with_tail, &mut Vec::new()).unwrap_err();
        assert!(err.0.contains("2 more bytes"), "{err}");
        assert!(DeflateDecoder::new().finish().is_ok());
    }
}
