//! Properties of the MODE B/C/Z codecs over arbitrary data: round trips
//! through Ferry's encoders and decoders with arbitrary chunking on both
//! sides; Ferry's decoders on data framed by the tests' independent RFC 959
//! encoder (`support::rfc959`) with arbitrary block splits and restart
//! markers; every truncation an error, never a short file; garbage never a
//! panic.

mod support;

use ferry::ftp::modes::block::BlockEncoder;
use ferry::ftp::modes::compressed::CompressedEncoder;
use ferry::ftp::modes::{Decoder, Encoder, OUTPUT_LIMIT, RestartMarker, TransferMode};
use proptest::prelude::*;
use support::rfc959::{self, Piece, Record};

const FRAMED: [TransferMode; 3] = [
    TransferMode::Block,
    TransferMode::Compressed,
    TransferMode::Deflate,
];

/// Feed `wire` to a decoder in pieces of the given sizes (cycled), the way
/// the session does: call again until the input is used and the output
/// stays below the limit. Returns the data, the markers, and the verdict of
/// `finish` (or the first decode error).
fn decode_in_pieces(
    mode: TransferMode,
    wire: &[u8],
    pieces: &[usize],
) -> (Vec<u8>, Vec<RestartMarker>, Result<(), String>) {
    let mut dec = Decoder::new(mode).expect("a framed mode");
    let (mut data, mut markers) = (Vec::new(), Vec::new());
    let mut out = Vec::new();
    let mut at = 0;
    let mut sizes = pieces.iter().copied().cycle();
    while at < wire.len() && !dec.is_done() {
        let end = (at + sizes.next().unwrap_or(wire.len()).max(1)).min(wire.len());
        let piece = &wire[at..end];
        at = end;
        let mut pos = 0;
        loop {
            out.clear();
            match dec.decode(&piece[pos..], &mut out) {
                Ok(n) => pos += n,
                Err(e) => return (data, markers, Err(e.0)),
            }
            assert!(out.len() <= OUTPUT_LIMIT + 64 * 1024);
            data.extend_from_slice(&out);
            markers.extend(dec.take_markers());
            if pos >= piece.len() && out.is_empty() {
                break;
            }
        }
    }
    if at < wire.len() {
        // The end was decoded with bytes left over: the session stops
        // reading there; nothing else may count as file data.
        return (data, markers, Ok(()));
    }
    let verdict = dec.finish().map_err(|e| e.0);
    (data, markers, verdict)
}

fn encode_in_pieces(mode: TransferMode, data: &[u8], pieces: &[usize]) -> Vec<u8> {
    let mut enc = Encoder::new(mode).expect("a framed mode");
    let mut wire = Vec::new();
    let mut at = 0;
    let mut sizes = pieces.iter().copied().cycle();
    while at < data.len() {
        let end = (at + sizes.next().unwrap_or(data.len()).max(1)).min(data.len());
        enc.encode(&data[at..end], &mut wire);
        at = end;
    }
    enc.finish(&mut wire);
    wire
}

/// Arbitrary data, biased towards runs (what compressed mode encodes).
fn data() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(
        prop_oneof![
            prop::collection::vec(any::<u8>(), 0..300),
            (any::<u8>(), 1usize..200).prop_map(|(b, n)| vec![b; n]),
            (1usize..200).prop_map(|n| vec![0; n]),
        ],
        0..12,
    )
    .prop_map(|parts| parts.concat())
}

fn pieces() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(1usize..5000, 1..6)
}

/// Printable marker text without spaces, as RFC 959 asks.
fn marker() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(33u8..127, 1..20)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn ferry_encoders_and_decoders_round_trip(
        data in data(),
        enc_pieces in pieces(),
        dec_pieces in pieces(),
    ) {
        for mode in FRAMED {
            let wire = encode_in_pieces(mode, &data, &enc_pieces);
            let (got, markers, verdict) = decode_in_pieces(mode, &wire, &dec_pieces);
            prop_assert_eq!(verdict, Ok(()), "{}", mode);
            prop_assert!(got == data, "{} round trip differs", mode);
            prop_assert!(markers.is_empty());
        }
    }

    #[test]
    fn ferry_markers_round_trip_in_block_and_compressed_mode(
        segments in prop::collection::vec((data(), prop::option::of(marker())), 0..6),
        dec_pieces in pieces(),
    ) {
        let mut block = BlockEncoder::new();
        let mut compressed = CompressedEncoder::new();
        let (mut b_wire, mut c_wire) = (Vec::new(), Vec::new());
        let mut all = Vec::new();
        let mut want = Vec::new();
        for (data, mark) in &segments {
            block.encode(data, &mut b_wire);
            compressed.encode(data, &mut c_wire);
            all.extend_from_slice(data);
            if let Some(m) = mark {
                block.marker(m, &mut b_wire);
                compressed.marker(m, &mut c_wire);
                want.push(RestartMarker { marker: m.clone(), offset: all.len() as u64 });
            }
        }
        block.finish(&mut b_wire);
        compressed.finish(&mut c_wire);
        for (mode, wire) in [(TransferMode::Block, b_wire), (TransferMode::Compressed, c_wire)] {
            let (got, markers, verdict) = decode_in_pieces(mode, &wire, &dec_pieces);
            prop_assert_eq!(verdict, Ok(()), "{}", mode);
            prop_assert!(got == all, "{} data differs", mode);
            prop_assert_eq!(&markers, &want, "{}", mode);
        }
    }

    /// Ferry's decoder on blocks split anywhere by the independent encoder,
    /// with restart markers between them.
    #[test]
    fn independent_block_framing_with_arbitrary_splits_and_markers(
        data in data(),
        cuts in prop::collection::vec(0usize..4000, 0..8),
        marks in prop::collection::vec((0usize..4000, marker()), 0..4),
        dec_pieces in pieces(),
    ) {
        let mut points: Vec<(usize, Option<Vec<u8>>)> = cuts
            .into_iter()
            .map(|c| (c.min(data.len()), None))
            .chain(marks.into_iter().map(|(at, m)| (at.min(data.len()), Some(m))))
            .collect();
        points.sort_by_key(|(at, m)| (*at, m.is_some()));
        let mut pieces = Vec::new();
        let mut want = Vec::new();
        let mut from = 0;
        for (at, mark) in points {
            if at > from {
                pieces.push(Piece::Data(0, data[from..at].to_vec()));
                from = at;
            }
            if let Some(m) = mark {
                want.push(RestartMarker { marker: m.clone(), offset: at as u64 });
                pieces.push(Piece::Marker(m));
            }
        }
        if from < data.len() || pieces.is_empty() {
            pieces.push(Piece::Data(0, data[from..].to_vec()));
        }
        let wire = rfc959::block_encode(&pieces);
        let (got, markers, verdict) = decode_in_pieces(TransferMode::Block, &wire, &dec_pieces);
        prop_assert_eq!(verdict, Ok(()));
        prop_assert!(got == data);
        prop_assert_eq!(markers, want);
        // And the independent decoder reads what Ferry's encoder writes.
        let ours = encode_in_pieces(TransferMode::Block, &data, &dec_pieces);
        prop_assert!(rfc959::block_decode(&ours).0 == data);
    }

    #[test]
    fn independent_compressed_framing_decodes_both_ways(
        data in data(),
        dec_pieces in pieces(),
    ) {
        let wire = rfc959::compressed_encode(&data);
        let (got, _, verdict) = decode_in_pieces(TransferMode::Compressed, &wire, &dec_pieces);
        prop_assert_eq!(verdict, Ok(()));
        prop_assert!(got == data);
        let ours = encode_in_pieces(TransferMode::Compressed, &data, &dec_pieces);
        prop_assert!(rfc959::compressed_decode(&ours).0 == data);
    }

    /// Any record sequence the RFC allows, markers included.
    #[test]
    fn arbitrary_compressed_records_decode_as_the_rfc_says(
        records in prop::collection::vec(prop_oneof![
            prop::collection::vec(any::<u8>(), 1..128).prop_map(Record::Bytes),
            (1u8..64, any::<u8>()).prop_map(|(n, d)| Record::Replicated(n, d)),
            (1u8..64).prop_map(Record::Filler),
            prop::collection::vec(33u8..127, 1..128).prop_map(Record::Marker),
        ], 0..40),
        dec_pieces in pieces(),
    ) {
        let wire = rfc959::compressed_from_records(&records);
        let (want, want_markers) = rfc959::compressed_decode(&wire);
        let (got, markers, verdict) = decode_in_pieces(TransferMode::Compressed, &wire, &dec_pieces);
        prop_assert_eq!(verdict, Ok(()));
        prop_assert!(got == want);
        let markers: Vec<(Vec<u8>, usize)> =
            markers.into_iter().map(|m| (m.marker, m.offset as usize)).collect();
        prop_assert_eq!(markers, want_markers);
    }

    /// A connection that ends early is an error in every framed mode, never
    /// a complete-looking short file.
    #[test]
    fn every_truncation_is_an_error(data in data(), cut in any::<prop::sample::Index>()) {
        for mode in FRAMED {
            let wire = encode_in_pieces(mode, &data, &[4096]);
            let keep = cut.index(wire.len());
            if mode == TransferMode::Deflate && keep == 0 {
                // Nothing at all is how some servers send an empty file.
                continue;
            }
            let (_, _, verdict) = decode_in_pieces(mode, &wire[..keep], &[1000]);
            prop_assert!(verdict.is_err(), "{} cut at {} of {} passed", mode, keep, wire.len());
        }
    }

    #[test]
    fn garbage_is_an_error_or_data_never_a_panic(
        wire in prop::collection::vec(any::<u8>(), 0..3000),
        dec_pieces in pieces(),
    ) {
        for mode in FRAMED {
            let _ = decode_in_pieces(mode, &wire, &dec_pieces);
        }
    }
}
