//! Comparing one file on both sides: by size, by modification time, or
//! both, with times compared at the precision the listing gives them.

use chrono::{NaiveDateTime, TimeDelta, Timelike};

use crate::engine::Side;

/// How finely a listing gives a file's modification time. A Unix `LIST`
/// line shows minutes for recent files and only the day for older ones; DOS
/// listings show minutes; MLSD and local files carry seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TimePrecision {
    Second,
    Minute,
    Day,
}

impl TimePrecision {
    /// The precision of a time from a `LIST` line: a Unix listing shows a
    /// year instead of the time for files older than about six months, and
    /// the parser then gives midnight; anything else has minutes.
    pub fn of_list_time(time: NaiveDateTime) -> TimePrecision {
        if time.hour() == 0 && time.minute() == 0 && time.second() == 0 {
            TimePrecision::Day
        } else {
            TimePrecision::Minute
        }
    }

    /// `time` cut down to this precision.
    pub fn truncate(self, time: NaiveDateTime) -> NaiveDateTime {
        let cut = match self {
            TimePrecision::Second => time.with_nanosecond(0),
            TimePrecision::Minute => time.with_nanosecond(0).and_then(|t| t.with_second(0)),
            TimePrecision::Day => Some(time.date().and_hms_opt(0, 0, 0).unwrap_or(time)),
        };
        // with_second(0)/with_nanosecond(0) only fail for out-of-range values, never for 0.
        cut.unwrap_or(time)
    }
}

/// What a listing says about one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileInfo {
    pub size: Option<u64>,
    /// Modification time in UTC (a `LIST` time already corrected by the
    /// server's offset).
    pub modified: Option<NaiveDateTime>,
    pub precision: TimePrecision,
}

/// What decides that two files differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum Rule {
    /// Only the size (for servers whose times cannot be trusted).
    Size,
    /// Only the modification time.
    Time,
    /// Either (the default, like FileZilla's and lftp's).
    #[default]
    Both,
}

impl Rule {
    pub const ALL: [(Rule, &'static str); 3] = [
        (Rule::Both, "Size and time"),
        (Rule::Size, "Size only"),
        (Rule::Time, "Time only"),
    ];

    pub fn label(self) -> &'static str {
        Rule::ALL
            .iter()
            .find(|(r, _)| *r == self)
            .map_or("", |(_, l)| *l)
    }
}

/// How to compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CompareOptions {
    pub rule: Rule,
    /// Times this close (after cutting both to the coarser precision) are
    /// the same; for file systems with 2-second times (FAT) and clocks a
    /// little apart.
    pub tolerance: TimeDelta,
}

impl Default for CompareOptions {
    fn default() -> Self {
        CompareOptions {
            rule: Rule::Both,
            tolerance: TimeDelta::seconds(1),
        }
    }
}

/// The outcome of comparing a file present on both sides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Nothing the rule looks at differs.
    Identical,
    /// Same size (or size not compared), but this side's copy is newer.
    Newer(Side),
    /// The sizes differ; `newer` says which side's time is later, if the
    /// times differ and are known.
    SizeDiffers { newer: Option<Side> },
}

impl Verdict {
    pub fn is_identical(self) -> bool {
        self == Verdict::Identical
    }
}

/// Which side is newer, if the times differ beyond precision and tolerance;
/// None when they are the same or either is unknown.
pub fn newer_side(local: &FileInfo, remote: &FileInfo, tolerance: TimeDelta) -> Option<Side> {
    let (Some(l), Some(r)) = (local.modified, remote.modified) else {
        return None;
    };
    let precision = local.precision.max(remote.precision);
    let (l, r) = (precision.truncate(l), precision.truncate(r));
    let diff = l - r;
    if diff.abs() <= tolerance {
        None
    } else if diff > TimeDelta::zero() {
        Some(Side::Local)
    } else {
        Some(Side::Remote)
    }
}

/// Compare the local and remote copies of one file under `options`. A
/// size or time that a listing does not give is not counted as a difference.
pub fn compare(local: &FileInfo, remote: &FileInfo, options: &CompareOptions) -> Verdict {
    let size_differs = match (local.size, remote.size) {
        (Some(a), Some(b)) => a != b,
        _ => false,
    };
    let newer = newer_side(local, remote, options.tolerance);
    match options.rule {
        Rule::Size if size_differs => Verdict::SizeDiffers { newer },
        Rule::Size => Verdict::Identical,
        Rule::Time => newer.map_or(Verdict::Identical, Verdict::Newer),
        Rule::Both if size_differs => Verdict::SizeDiffers { newer },
        Rule::Both => newer.map_or(Verdict::Identical, Verdict::Newer),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use proptest::prelude::*;

    fn at(h: u32, m: u32, s: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 3, 14)
            .and_then(|d| d.and_hms_opt(h, m, s))
            .expect("valid test time")
    }

    fn file(size: u64, time: NaiveDateTime, precision: TimePrecision) -> FileInfo {
        FileInfo {
            size: Some(size),
            modified: Some(time),
            precision,
        }
    }

    const SECONDS: TimePrecision = TimePrecision::Second;
    const MINUTES: TimePrecision = TimePrecision::Minute;

    fn both() -> CompareOptions {
        CompareOptions {
            rule: Rule::Both,
            tolerance: TimeDelta::zero(),
        }
    }

    #[test]
    fn a_listing_with_minutes_only_matches_a_local_time_with_seconds() {
        let local = file(10, at(12, 30, 59), SECONDS);
        let remote = file(10, at(12, 30, 0), MINUTES);
        assert_eq!(compare(&local, &remote, &both()), Verdict::Identical);
        let later = file(10, at(12, 31, 0), MINUTES);
        assert_eq!(
            compare(&local, &later, &both()),
            Verdict::Newer(Side::Remote)
        );
    }

    #[test]
    fn a_listing_with_the_day_only_matches_any_time_that_day() {
        let local = file(10, at(17, 5, 3), SECONDS);
        let remote = file(10, at(0, 0, 0), TimePrecision::of_list_time(at(0, 0, 0)));
        assert_eq!(remote.precision, TimePrecision::Day);
        assert_eq!(compare(&local, &remote, &both()), Verdict::Identical);
    }

    #[test]
    fn the_same_size_with_a_newer_time_is_a_difference_under_time_and_both() {
        let local = file(10, at(12, 0, 5), SECONDS);
        let remote = file(10, at(12, 0, 0), SECONDS);
        assert_eq!(
            compare(&local, &remote, &both()),
            Verdict::Newer(Side::Local)
        );
        let time = CompareOptions {
            rule: Rule::Time,
            ..both()
        };
        assert_eq!(compare(&local, &remote, &time), Verdict::Newer(Side::Local));
        let size = CompareOptions {
            rule: Rule::Size,
            ..both()
        };
        assert_eq!(compare(&local, &remote, &size), Verdict::Identical);
    }

    #[test]
    fn a_different_size_is_a_difference_except_under_time_only() {
        let local = file(10, at(12, 0, 0), SECONDS);
        let remote = file(11, at(12, 0, 0), SECONDS);
        assert_eq!(
            compare(&local, &remote, &both()),
            Verdict::SizeDiffers { newer: None }
        );
        let time = CompareOptions {
            rule: Rule::Time,
            ..both()
        };
        assert_eq!(compare(&local, &remote, &time), Verdict::Identical);
    }

    #[test]
    fn the_tolerance_absorbs_small_clock_differences() {
        let local = file(10, at(12, 0, 2), SECONDS);
        let remote = file(10, at(12, 0, 0), SECONDS);
        let two = CompareOptions {
            rule: Rule::Both,
            tolerance: TimeDelta::seconds(2),
        };
        assert_eq!(compare(&local, &remote, &two), Verdict::Identical);
    }

    #[test]
    fn an_unknown_time_or_size_is_not_a_difference() {
        let local = file(10, at(12, 0, 0), SECONDS);
        let remote = FileInfo {
            size: None,
            modified: None,
            precision: MINUTES,
        };
        assert_eq!(compare(&local, &remote, &both()), Verdict::Identical);
    }

    fn any_time() -> impl Strategy<Value = NaiveDateTime> {
        (0i64..2_000_000_000).prop_map(|s| {
            chrono::DateTime::from_timestamp(s, 0)
                .map(|d| d.naive_utc())
                .unwrap_or_default()
        })
    }

    fn any_precision() -> impl Strategy<Value = TimePrecision> {
        prop_oneof![Just(SECONDS), Just(MINUTES), Just(TimePrecision::Day)]
    }

    proptest! {
        /// A file compared with itself as a coarser listing shows it is identical.
        #[test]
        fn a_file_is_identical_to_its_own_listing(
            size in 0u64..u64::MAX,
            time in any_time(),
            precision in any_precision(),
        ) {
            let local = file(size, time, SECONDS);
            let remote = file(size, precision.truncate(time), precision);
            prop_assert_eq!(compare(&local, &remote, &both()), Verdict::Identical);
        }

        /// Swapping the sides swaps which one is newer, never the verdict's kind.
        #[test]
        fn comparing_is_symmetric(
            a in (0u64..100, any_time(), any_precision()),
            b in (0u64..100, any_time(), any_precision()),
        ) {
            let (x, y) = (file(a.0, a.1, a.2), file(b.0, b.1, b.2));
            let flip = |s: Side| if s == Side::Local { Side::Remote } else { Side::Local };
            let there = compare(&x, &y, &both());
            let back = compare(&y, &x, &both());
            let mirrored = match there {
                Verdict::Identical => Verdict::Identical,
                Verdict::Newer(s) => Verdict::Newer(flip(s)),
                Verdict::SizeDiffers { newer } => Verdict::SizeDiffers { newer: newer.map(flip) },
            };
            prop_assert_eq!(back, mirrored);
        }
    }
}
