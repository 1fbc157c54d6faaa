//! Transfer modes: how file data is framed on a data connection. Stream
//! mode (`MODE S`) sends the bytes as they are; block (`MODE B`) and
//! compressed (`MODE C`) mode wrap them in RFC 959 §3.4's headers; deflate
//! (`MODE Z`, draft-preston-ftpext-deflate) sends one zlib stream.
//!
//! Every codec is a chunk-in, chunk-out state machine that keeps only its
//! own small state between chunks (a block header, a run, the zlib window),
//! never a whole file: the session feeds it what the socket or the file
//! yields and writes out what it returns. Decoders check what the server
//! sends and fail with a [`CodecError`] saying what is wrong, never with a
//! panic or a silently short file: block and compressed data must end with
//! their end-of-file mark, deflate data with the end of its zlib stream.

pub mod block;
pub mod compressed;
pub mod deflate;

use std::fmt;

/// The FTP transfer mode of a data connection (also what a saved site asks
/// for, written in its file as "stream", "block", "compressed" or "deflate").
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum TransferMode {
    /// `MODE S`: the bytes as they are; the end of the file is the end of
    /// the connection. What every server speaks.
    #[default]
    #[serde(alias = "Stream")]
    Stream,
    /// `MODE B`: blocks with a 3-byte header (descriptor, 16-bit count);
    /// an explicit end-of-file block, and restart markers.
    #[serde(alias = "Block")]
    Block,
    /// `MODE C`: run-length encoding (byte strings, replicated bytes,
    /// filler) with escape sequences for end of file and restart markers.
    #[serde(alias = "Compressed")]
    Compressed,
    /// `MODE Z`: a zlib (deflate) stream.
    #[serde(alias = "Deflate")]
    Deflate,
}

impl TransferMode {
    pub const ALL: [TransferMode; 4] = [
        TransferMode::Stream,
        TransferMode::Block,
        TransferMode::Compressed,
        TransferMode::Deflate,
    ];

    /// The argument of the `MODE` command.
    pub fn letter(self) -> &'static str {
        match self {
            TransferMode::Stream => "S",
            TransferMode::Block => "B",
            TransferMode::Compressed => "C",
            TransferMode::Deflate => "Z",
        }
    }
}

impl fmt::Display for TransferMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TransferMode::Stream => "MODE S (stream)",
            TransferMode::Block => "MODE B (block)",
            TransferMode::Compressed => "MODE C (compressed)",
            TransferMode::Deflate => "MODE Z (deflate)",
        })
    }
}

/// A place the sender marked in the data (RFC 959 §3.5): the marker as
/// sent, and how many file bytes of this transfer had arrived before it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestartMarker {
    pub marker: Vec<u8>,
    pub offset: u64,
}

/// Malformed data from the server: what is wrong, in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodecError(pub String);

impl fmt::Display for CodecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CodecError {}

/// A decoder stops adding to its output once it holds this much (it may
/// pass it by at most 64 KiB), so data that expands a lot (a filler run,
/// a deflated run of zeros) is handed on in bounded pieces.
pub const OUTPUT_LIMIT: usize = 1 << 20;

/// The zlib level Ferry compresses uploads with, and asks servers to use
/// for downloads (`OPTS MODE Z LEVEL`). Level 1 deflates text to
/// about a third at several times the speed of the default level 6; on a
/// link fast enough for the difference to matter, speed is what counts.
pub const DEFLATE_LEVEL: u32 = 1;

/// Turns what arrives on a data connection in a framed mode back into file
/// bytes.
pub enum Decoder {
    Block(block::BlockDecoder),
    Compressed(compressed::CompressedDecoder),
    Deflate(deflate::DeflateDecoder),
}

impl Decoder {
    /// The decoder for `mode`; `None` for stream mode (nothing to undo).
    pub fn new(mode: TransferMode) -> Option<Decoder> {
        match mode {
            TransferMode::Stream => None,
            TransferMode::Block => Some(Decoder::Block(block::BlockDecoder::new())),
            TransferMode::Compressed => {
                Some(Decoder::Compressed(compressed::CompressedDecoder::new()))
            }
            TransferMode::Deflate => Some(Decoder::Deflate(deflate::DeflateDecoder::new())),
        }
    }

    /// Decode from `input` into `out` and return how many input bytes were
    /// used. It stops early when `out` reaches [`OUTPUT_LIMIT`]: call again
    /// with the rest (or with nothing, for deflate's pending output) after
    /// writing `out` away, until all input is used and `out` stays below
    /// the limit.
    pub fn decode(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<usize, CodecError> {
        match self {
            Decoder::Block(d) => d.decode(input, out),
            Decoder::Compressed(d) => d.decode(input, out),
            Decoder::Deflate(d) => d.decode(input, out),
        }
    }

    /// Whether the end of the file has been decoded. Block mode lets the
    /// server keep the connection open after it, so stop reading then.
    pub fn is_done(&self) -> bool {
        match self {
            Decoder::Block(d) => d.is_done(),
            Decoder::Compressed(d) => d.is_done(),
            Decoder::Deflate(d) => d.is_done(),
        }
    }

    /// The connection ended: an error unless the data ended where it may.
    pub fn finish(&self) -> Result<(), CodecError> {
        match self {
            Decoder::Block(d) => d.finish(),
            Decoder::Compressed(d) => d.finish(),
            Decoder::Deflate(d) => d.finish(),
        }
    }

    /// Restart markers decoded since the last call, oldest first.
    pub fn take_markers(&mut self) -> Vec<RestartMarker> {
        match self {
            Decoder::Block(d) => d.take_markers(),
            Decoder::Compressed(d) => d.take_markers(),
            Decoder::Deflate(_) => Vec::new(),
        }
    }

    /// How many decoded bytes the sender flagged as suspect (RFC 959's
    /// descriptor 32: it read them with errors but sent them anyway).
    pub fn suspect_bytes(&self) -> u64 {
        match self {
            Decoder::Block(d) => d.suspect_bytes(),
            Decoder::Compressed(d) => d.suspect_bytes(),
            Decoder::Deflate(_) => 0,
        }
    }
}

/// Turns file bytes into what goes on a data connection in a framed mode.
pub enum Encoder {
    Block(block::BlockEncoder),
    Compressed(compressed::CompressedEncoder),
    Deflate(deflate::DeflateEncoder),
}

impl Encoder {
    /// The encoder for `mode`; `None` for stream mode (bytes go as they are).
    pub fn new(mode: TransferMode) -> Option<Encoder> {
        match mode {
            TransferMode::Stream => None,
            TransferMode::Block => Some(Encoder::Block(block::BlockEncoder::new())),
            TransferMode::Compressed => {
                Some(Encoder::Compressed(compressed::CompressedEncoder::new()))
            }
            TransferMode::Deflate => Some(Encoder::Deflate(deflate::DeflateEncoder::new(
                DEFLATE_LEVEL,
            ))),
        }
    }

    /// Encode all of `input`, appending to `out`.
    pub fn encode(&mut self, input: &[u8], out: &mut Vec<u8>) {
        match self {
            Encoder::Block(e) => e.encode(input, out),
            Encoder::Compressed(e) => e.encode(input, out),
            Encoder::Deflate(e) => e.encode(input, out),
        }
    }

    /// The end of the file: append whatever is held back and the mode's
    /// end-of-file mark.
    pub fn finish(&mut self, out: &mut Vec<u8>) {
        match self {
            Encoder::Block(e) => e.finish(out),
            Encoder::Compressed(e) => e.finish(out),
            Encoder::Deflate(e) => e.finish(out),
        }
    }
}

/// File name endings of formats that are compressed already: deflating
/// them again costs CPU on both sides and saves nothing.
const COMPRESSED_EXTENSIONS: &[&str] = &[
    // archives and compressed streams
    "zip", "gz", "tgz", "bz2", "tbz", "tbz2", "xz", "txz", "zst", "tzst", "lz", "lz4", "lzma",
    "lzo", "z", "7z", "rar", "cab", "br", "sz", // packages built on them
    "deb", "rpm", "apk", "jar", "war", "whl", "nupkg", "crate", "dmg", "msi", "appimage", "snap",
    // office documents and e-books (zip inside)
    "docx", "xlsx", "pptx", "odt", "ods", "odp", "epub", // images
    "jpg", "jpeg", "png", "gif", "webp", "heic", "heif", "avif", "jxl", // audio and video
    "mp3", "mp4", "m4a", "m4v", "aac", "ogg", "oga", "ogv", "opus", "flac", "mkv", "webm", "mov",
    "avi", "wmv", "wma", "flv", // fonts
    "woff", "woff2",
];

/// The ending of the file name in `path`, lower case, without the dot;
/// empty when the name has none.
pub fn extension(path: &[u8]) -> String {
    let name = path.rsplit(|&b| b == b'/').next().unwrap_or(path);
    match name.iter().rposition(|&b| b == b'.') {
        Some(dot) => String::from_utf8_lossy(&name[dot + 1..]).to_ascii_lowercase(),
        None => String::new(),
    }
}

/// Whether `path` names a file that is already compressed (by its ending).
pub fn already_compressed(path: &[u8]) -> bool {
    let ext = extension(path);
    !ext.is_empty() && COMPRESSED_EXTENSIONS.contains(&ext.as_str())
}

/// How much of the start of an upload [`deflate_saves_enough`] looks at.
pub const PROBE_LEN: usize = 64 * 1024;

/// Whether deflating `sample` (the start of a file) saves at least 10 %:
/// the cheap check (well under a millisecond) that keeps incompressible
/// uploads out of MODE Z. An empty sample saves nothing.
pub fn deflate_saves_enough(sample: &[u8]) -> bool {
    let sample = &sample[..sample.len().min(PROBE_LEN)];
    if sample.is_empty() {
        return false;
    }
    let mut enc = deflate::DeflateEncoder::new(DEFLATE_LEVEL);
    let mut out = Vec::with_capacity(sample.len() / 2);
    enc.encode(sample, &mut out);
    enc.finish(&mut out);
    out.len() * 10 <= sample.len() * 9
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compressed_formats_are_known_by_their_ending() {
        for p in [
            &b"a.zip"[..],
            b"dir/photo.JPG",
            b"/x/y/movie.mp4",
            b"backup.tar.gz",
            b"a.b.zst",
        ] {
            assert!(already_compressed(p), "{}", String::from_utf8_lossy(p));
        }
        for p in [
            &b"notes.txt"[..],
            b"zip",
            b"dir.zip/readme",
            b"data.csv",
            b"noext",
            b".gz/x",
        ] {
            assert!(!already_compressed(p), "{}", String::from_utf8_lossy(p));
        }
    }

    #[test]
    fn the_probe_tells_text_from_random_bytes() {
        let text = "The quick brown fox jumps over the lazy dog. ".repeat(2000);
        assert!(deflate_saves_enough(text.as_bytes()));
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let random: Vec<u8> = (0..PROBE_LEN)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        assert!(!deflate_saves_enough(&random));
        assert!(!deflate_saves_enough(b""));
    }

    #[test]
    fn stream_mode_has_no_codec() {
        assert!(Decoder::new(TransferMode::Stream).is_none());
        assert!(Encoder::new(TransferMode::Stream).is_none());
        let letters: String = TransferMode::ALL.iter().map(|m| m.letter()).collect();
        assert_eq!(letters, "SBCZ");
    }
}
