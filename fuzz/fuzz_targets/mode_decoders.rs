//! The MODE B/C/Z decoders on server data: any bytes, cut into any pieces,
//! decode to data or a clear error, never a panic, and output stays bounded.
#![no_main]
use ferry::ftp::modes::{Decoder, OUTPUT_LIMIT, TransferMode};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&head, wire)) = data.split_first() else {
        return;
    };
    let mode = match head % 3 {
        0 => TransferMode::Block,
        1 => TransferMode::Compressed,
        _ => TransferMode::Deflate,
    };
    let piece = usize::from(head / 3).max(1) * 7;
    let Some(mut dec) = Decoder::new(mode) else {
        return;
    };
    let mut out = Vec::new();
    for chunk in wire.chunks(piece) {
        let mut pos = 0;
        loop {
            out.clear();
            match dec.decode(&chunk[pos..], &mut out) {
                Ok(n) => pos += n,
                Err(_) => return,
            }
            assert!(out.len() <= OUTPUT_LIMIT + 64 * 1024);
            let _ = dec.take_markers();
            if pos >= chunk.len() && out.is_empty() {
                break;
            }
        }
        if dec.is_done() {
            return;
        }
    }
    let _ = dec.finish();
});
