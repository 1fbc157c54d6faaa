//! The server's time-zone offset, for servers whose `LIST` shows local time.
//!
//! MLSD times are UTC by definition (RFC 3659), and so are MDTM replies. A
//! `LIST` line, though, shows the time in whatever zone the server runs in,
//! and says nothing about which. The method (FileZilla's and lftp's, made
//! strict): take one file from the listing whose `LIST` time has minutes
//! (not a day-only old file), ask the server for its MDTM (UTC), and take
//! the difference. Real offsets are whole quarter hours within ±14 h, and
//! the `LIST` time is the MDTM time cut to the minute plus the offset; any
//! other difference (the file changed between the two commands, a server
//! that answers MDTM in local time too) means "no offset found", and the
//! times are used as they are. A saved site can also set the offset.

use chrono::{NaiveDateTime, TimeDelta};

use super::compare::TimePrecision;
use crate::ftp::{EntryKind, RemoteEntry, Session};

/// The largest offset a real time zone has (UTC+14, Kiribati).
const MAX_OFFSET: TimeDelta = TimeDelta::hours(14);

/// The offset of the server's `LIST` times from UTC, given one file's
/// `LIST` time and its MDTM time (UTC): `list − utc` when that is whole
/// quarter hours within ±14 h, else None.
pub fn offset_from(list_time: NaiveDateTime, mdtm_utc: NaiveDateTime) -> Option<TimeDelta> {
    let utc = TimePrecision::Minute.truncate(mdtm_utc);
    let diff = TimePrecision::Minute.truncate(list_time) - utc;
    let quarter = TimeDelta::minutes(15);
    let is_quarter = diff.num_seconds() % quarter.num_seconds() == 0;
    (is_quarter && diff.abs() <= MAX_OFFSET).then_some(diff)
}

/// Find the offset of `LIST` times on this server from one file of
/// `entries` (the listing of `dir`, with `dir` ending without `/`): one
/// MDTM round trip. `Ok(None)` when no file fits or the server has no MDTM.
pub async fn detect(
    session: &mut Session,
    dir: &[u8],
    entries: &[RemoteEntry],
) -> crate::ftp::Result<Option<TimeDelta>> {
    if !session.features().has("MDTM") {
        return Ok(None);
    }
    let candidate = entries.iter().find(|e| {
        e.kind == EntryKind::File
            && e.modified
                .is_some_and(|t| TimePrecision::of_list_time(t) == TimePrecision::Minute)
    });
    let Some(entry) = candidate else {
        return Ok(None);
    };
    let Some(list_time) = entry.modified else {
        return Ok(None);
    };
    let path = super::tree::remote_path(dir, &entry.name);
    match session.mdtm(&path).await {
        Ok(utc) => Ok(offset_from(list_time, utc)),
        Err(e) if e.is_fatal_to_session() => Err(e),
        Err(_) => Ok(None),
    }
}

/// Hours from UTC as people write them: `+2`, `-4`, `5:45`.
pub fn parse_offset(text: &str) -> Result<TimeDelta, String> {
    let bad = || format!("expected hours from UTC like +2, -4 or +5:45, not {text:?}");
    let (sign, rest) = match text.as_bytes().first() {
        Some(b'-') => (-1, &text[1..]),
        Some(b'+') => (1, &text[1..]),
        _ => (1, text),
    };
    let (h, m) = rest.split_once(':').unwrap_or((rest, "0"));
    let h: i64 = h.parse().map_err(|_| bad())?;
    let m: i64 = m.parse().map_err(|_| bad())?;
    if h > 14 || m >= 60 {
        return Err(bad());
    }
    Ok(TimeDelta::minutes(sign * (h * 60 + m)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn at(h: u32, m: u32, s: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 7, 1)
            .and_then(|d| d.and_hms_opt(h, m, s))
            .expect("valid test time")
    }

    #[test]
    fn whole_hour_and_quarter_hour_zones_are_found() {
        // Berlin in summer: LIST shows 14:05 for 12:05:37 UTC.
        assert_eq!(
            offset_from(at(14, 5, 0), at(12, 5, 37)),
            Some(TimeDelta::hours(2))
        );
        // Kathmandu, UTC+5:45.
        assert_eq!(
            offset_from(at(17, 50, 0), at(12, 5, 10)),
            Some(TimeDelta::minutes(345))
        );
        // New York in summer, UTC-4, across midnight.
        assert_eq!(
            offset_from(at(1, 0, 0), at(5, 0, 59)),
            Some(TimeDelta::hours(-4))
        );
        assert_eq!(
            offset_from(at(9, 0, 0), at(9, 0, 42)),
            Some(TimeDelta::zero())
        );
    }

    #[test]
    fn offsets_read_like_time_zones() {
        assert_eq!(parse_offset("+2"), Ok(TimeDelta::hours(2)));
        assert_eq!(parse_offset("-4"), Ok(TimeDelta::hours(-4)));
        assert_eq!(parse_offset("5:45"), Ok(TimeDelta::minutes(345)));
        assert!(parse_offset("+15").is_err());
        assert!(parse_offset("two").is_err());
    }

    #[test]
    fn a_difference_that_is_no_time_zone_gives_no_offset() {
        // The file changed between LIST and MDTM.
        assert_eq!(offset_from(at(12, 7, 0), at(12, 5, 0)), None);
        // More than any real zone.
        assert_eq!(offset_from(at(23, 0, 0), at(8, 0, 0)), None);
    }
}
