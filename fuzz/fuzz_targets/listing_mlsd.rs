//! The MLSD listing parser: any line yields an entry or nothing, never a panic.
#![no_main]
use ferry::ftp::listing::{parse_mlsd_line, parse_listing, ListingFormat};
use libfuzzer_sys::fuzz_target;

fn now() -> chrono::NaiveDateTime {
    chrono::NaiveDate::from_ymd_opt(2026, 6, 15)
        .and_then(|d| d.and_hms_opt(12, 0, 0))
        .unwrap_or_default()
}

fuzz_target!(|data: &[u8]| {
    if let Some(entry) = parse_mlsd_line(data) {
        assert!(!entry.name.is_empty() || entry.raw.is_some());
    }
    let _ = parse_listing(data, ListingFormat::List, now());
    let _ = parse_listing(data, ListingFormat::Mlsd, now());
});
