//! MODE B and MODE C framing written for the tests straight from RFC 959
//! §3.4, independently of Ferry's codecs (`ferry::ftp::modes`): whole
//! buffers in, whole buffers out, no state machines. The scripted server
//! sends what these encode and checks uploads with these decoders.

/// Block descriptor codes (RFC 959 §3.4.2).
pub const EOR: u8 = 128;
pub const EOF: u8 = 64;
pub const SUSPECT: u8 = 32;
pub const RESTART: u8 = 16;

/// One piece of a block-mode transfer.
#[derive(Debug, Clone)]
pub enum Piece {
    /// A data block with this descriptor (0 or a sum of EOR/SUSPECT).
    Data(u8, Vec<u8>),
    /// A restart marker block.
    Marker(Vec<u8>),
}

/// Block mode: each piece as one block; the last piece gets EOF (an empty
/// EOF block is added when the last piece is a marker or there are none).
pub fn block_encode(pieces: &[Piece]) -> Vec<u8> {
    let mut out = Vec::new();
    let last_is_data = matches!(pieces.last(), Some(Piece::Data(..)));
    for (i, p) in pieces.iter().enumerate() {
        let eof = if last_is_data && i + 1 == pieces.len() {
            EOF
        } else {
            0
        };
        let (desc, bytes) = match p {
            Piece::Data(d, b) => (d | eof, b),
            Piece::Marker(m) => (RESTART, m),
        };
        assert!(bytes.len() <= 65535, "a block holds at most 65535 bytes");
        out.push(desc);
        out.push((bytes.len() >> 8) as u8);
        out.push((bytes.len() & 0xff) as u8);
        out.extend_from_slice(bytes);
    }
    if !last_is_data {
        out.extend_from_slice(&[EOF, 0, 0]);
    }
    out
}

/// Decode a whole block-mode transfer: the file bytes and the markers
/// (with the count of file bytes before each). Panics on malformed input.
pub fn block_decode(wire: &[u8]) -> (Vec<u8>, Vec<(Vec<u8>, usize)>) {
    let (mut data, mut markers, mut i) = (Vec::new(), Vec::new(), 0);
    loop {
        assert!(i + 3 <= wire.len(), "block data ends without an EOF block");
        let desc = wire[i];
        let count = (usize::from(wire[i + 1]) << 8) | usize::from(wire[i + 2]);
        let body = &wire[i + 3..i + 3 + count];
        i += 3 + count;
        if desc & RESTART != 0 {
            markers.push((body.to_vec(), data.len()));
        } else {
            data.extend_from_slice(body);
        }
        if desc & EOF != 0 {
            assert_eq!(i, wire.len(), "bytes after the EOF block");
            return (data, markers);
        }
    }
}

/// One record of a compressed-mode transfer (RFC 959 §3.4.3).
#[derive(Debug, Clone)]
pub enum Record {
    /// A byte string (1-127 bytes).
    Bytes(Vec<u8>),
    /// `n` (1-63) copies of a byte.
    Replicated(u8, u8),
    /// `n` (1-63) filler bytes (zero, in image type).
    Filler(u8),
    /// An escape with a restart marker (1-127 bytes) as the next string.
    Marker(Vec<u8>),
}

/// Compressed mode from explicit records, ended by the EOF escape.
pub fn compressed_from_records(records: &[Record]) -> Vec<u8> {
    let mut out = Vec::new();
    for r in records {
        match r {
            Record::Bytes(b) => {
                assert!((1..=127).contains(&b.len()));
                out.push(b.len() as u8);
                out.extend_from_slice(b);
            }
            Record::Replicated(n, d) => {
                assert!((1..=63).contains(n));
                out.extend_from_slice(&[0b1000_0000 | n, *d]);
            }
            Record::Filler(n) => {
                assert!((1..=63).contains(n));
                out.push(0b1100_0000 | n);
            }
            Record::Marker(m) => {
                assert!((1..=127).contains(&m.len()));
                out.extend_from_slice(&[0, RESTART, m.len() as u8]);
                out.extend_from_slice(m);
            }
        }
    }
    out.extend_from_slice(&[0, EOF]);
    out
}

/// A simple compressed-mode encoding of `data`: runs of 4 or more become
/// filler (zeros) or replicated records, the rest byte strings.
pub fn compressed_encode(data: &[u8]) -> Vec<u8> {
    let mut records = Vec::new();
    let mut plain = Vec::new();
    let mut i = 0;
    while i < data.len() {
        let b = data[i];
        let run = data[i..].iter().take(63).take_while(|&&x| x == b).count();
        if run >= 4 {
            for chunk in plain.chunks(127) {
                records.push(Record::Bytes(chunk.to_vec()));
            }
            plain.clear();
            records.push(if b == 0 {
                Record::Filler(run as u8)
            } else {
                Record::Replicated(run as u8, b)
            });
            i += run;
        } else {
            plain.push(b);
            i += 1;
        }
    }
    for chunk in plain.chunks(127) {
        records.push(Record::Bytes(chunk.to_vec()));
    }
    compressed_from_records(&records)
}

/// Decode a whole compressed-mode transfer (image type: zero filler): the
/// file bytes and the markers with the count of file bytes before each.
/// Panics on malformed input.
pub fn compressed_decode(wire: &[u8]) -> (Vec<u8>, Vec<(Vec<u8>, usize)>) {
    let (mut data, mut markers, mut i) = (Vec::new(), Vec::new(), 0);
    loop {
        let head = wire[i];
        i += 1;
        match head >> 6 {
            _ if head == 0 => {
                let desc = wire[i];
                i += 1;
                if desc & RESTART != 0 {
                    let n = usize::from(wire[i]);
                    markers.push((wire[i + 1..i + 1 + n].to_vec(), data.len()));
                    i += 1 + n;
                }
                if desc & EOF != 0 {
                    assert_eq!(i, wire.len(), "bytes after the EOF escape");
                    return (data, markers);
                }
            }
            0 | 1 => {
                let n = usize::from(head);
                data.extend_from_slice(&wire[i..i + n]);
                i += n;
            }
            2 => {
                data.extend(std::iter::repeat_n(wire[i], usize::from(head & 63)));
                i += 1;
            }
            _ => data.extend(std::iter::repeat_n(0, usize::from(head & 63))),
        }
    }
}
