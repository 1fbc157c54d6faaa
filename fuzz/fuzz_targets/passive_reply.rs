//! PASV and EPSV reply parsing: never panics; a parsed port is never 0.
#![no_main]
use ferry::ftp::data::{parse_epsv, parse_pasv};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Some(addr) = parse_pasv(&text) {
        assert_ne!(addr.port(), 0);
    }
    if let Some(port) = parse_epsv(&text) {
        assert_ne!(port, 0);
    }
});
