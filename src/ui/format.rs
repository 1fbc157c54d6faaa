//! Human-readable sizes, counts and times for the panes and the status line.
//!
//! Sizes use decimal SI units (1 kB = 1000 bytes, 1 MB = 1000 kB), as GNOME
//! Files and macOS Finder do: a "4.7 GB" disc image is what the box says, and
//! the exact byte count is always one hover away ([`exact_bytes`]).

use chrono::NaiveDateTime;

const UNITS: [&str; 7] = ["B", "kB", "MB", "GB", "TB", "PB", "EB"];

/// A size in at most three significant digits: `999 B`, `1.5 kB`, `12.3 MB`, `456 GB`.
pub fn human_size(bytes: u64) -> String {
    if bytes < 1000 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    // One decimal below 100, none above; rounding may carry into the next unit.
    if value < 100.0 {
        let tenths = (value * 10.0).round();
        if tenths < 1000.0 {
            return format!("{:.1} {}", tenths / 10.0, UNITS[unit]);
        }
    }
    let whole = value.round();
    if whole >= 1000.0 && unit < UNITS.len() - 1 {
        return format!("1.0 {}", UNITS[unit + 1]);
    }
    format!("{whole:.0} {}", UNITS[unit])
}

/// A number with thousands separators: `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The exact size, for tooltips: `1,234,567 bytes`, `1 byte`.
pub fn exact_bytes(bytes: u64) -> String {
    count(bytes, "byte", "bytes")
}

/// A count with its noun: `1 file`, `1,204 files`.
pub fn count(n: u64, one: &str, many: &str) -> String {
    let noun = if n == 1 { one } else { many };
    format!("{} {noun}", thousands(n))
}

/// The Modified column: `2024-03-05 12:34` (sorts and aligns the same in every locale).
pub fn modified(time: NaiveDateTime) -> String {
    time.format("%Y-%m-%d %H:%M").to_string()
}

/// The Modified column's tooltip, with seconds: `2024-03-05 12:34:56`.
pub fn modified_exact(time: NaiveDateTime) -> String {
    time.format("%Y-%m-%d %H:%M:%S").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    #[test]
    fn sizes_have_at_most_three_significant_digits_in_decimal_units() {
        let table: &[(u64, &str)] = &[
            (0, "0 B"),
            (1, "1 B"),
            (999, "999 B"),
            (1_000, "1.0 kB"),
            (1_024, "1.0 kB"),
            (1_500, "1.5 kB"),
            (12_345, "12.3 kB"),
            (99_940, "99.9 kB"),
            (99_960, "100 kB"),
            (123_456, "123 kB"),
            (999_400, "999 kB"),
            (999_600, "1.0 MB"),
            (1_500_000, "1.5 MB"),
            (123_456_789, "123 MB"),
            (4_700_000_000, "4.7 GB"),
            (1_000_000_000_000, "1.0 TB"),
            (u64::MAX, "18.4 EB"),
        ];
        for &(bytes, want) in table {
            assert_eq!(human_size(bytes), want, "human_size({bytes})");
        }
    }

    #[test]
    fn exact_sizes_and_counts_have_thousands_separators_and_plurals() {
        let table: &[(u64, &str)] = &[
            (0, "0 bytes"),
            (1, "1 byte"),
            (2, "2 bytes"),
            (999, "999 bytes"),
            (1_000, "1,000 bytes"),
            (123_456, "123,456 bytes"),
            (1_234_567, "1,234,567 bytes"),
            (u64::MAX, "18,446,744,073,709,551,615 bytes"),
        ];
        for &(bytes, want) in table {
            assert_eq!(exact_bytes(bytes), want, "exact_bytes({bytes})");
        }
        assert_eq!(count(1, "file", "files"), "1 file");
        assert_eq!(count(100_000, "file", "files"), "100,000 files");
        assert_eq!(count(0, "folder", "folders"), "0 folders");
    }

    #[test]
    fn times_are_year_first_to_the_minute_with_seconds_on_hover() {
        let t = |y, mo, d, h, mi, s| {
            NaiveDate::from_ymd_opt(y, mo, d)
                .and_then(|d| d.and_hms_opt(h, mi, s))
                .expect("valid test date")
        };
        let table = [
            (
                t(2024, 3, 5, 12, 34, 56),
                "2024-03-05 12:34",
                "2024-03-05 12:34:56",
            ),
            (
                t(1999, 12, 31, 23, 59, 59),
                "1999-12-31 23:59",
                "1999-12-31 23:59:59",
            ),
            (
                t(2023, 1, 1, 0, 0, 0),
                "2023-01-01 00:00",
                "2023-01-01 00:00:00",
            ),
        ];
        for (time, short, long) in table {
            assert_eq!(modified(time), short);
            assert_eq!(modified_exact(time), long);
        }
    }
}
