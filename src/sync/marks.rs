//! Compare colours for the two panes: each row of the listings already shown
//! marked as only on this side, newer on this side, a different size, or
//! identical. No round trip: a folder of thousands of entries is marked as
//! fast as it is sorted.

use std::collections::HashMap;

use chrono::{NaiveDateTime, TimeDelta, TimeZone, Timelike};

use super::compare::{CompareOptions, FileInfo, TimePrecision, Verdict, compare};
use crate::engine::{Entry, Kind, Side};

/// How a row compares with the other pane's row of the same name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RowMark {
    OnlyHere,
    NewerHere,
    SizeDiffers,
    Identical,
}

impl RowMark {
    /// The legend, in order.
    pub const LEGEND: [(RowMark, &'static str); 4] = [
        (RowMark::OnlyHere, "Only on this side"),
        (RowMark::NewerHere, "Newer on this side"),
        (RowMark::SizeDiffers, "Different size"),
        (RowMark::Identical, "Identical"),
    ];
}

/// The marks of both panes, by entry name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Marks {
    pub local: HashMap<Vec<u8>, RowMark>,
    pub remote: HashMap<Vec<u8>, RowMark>,
}

impl Marks {
    pub fn side(&self, side: Side) -> &HashMap<Vec<u8>, RowMark> {
        match side {
            Side::Local => &self.local,
            Side::Remote => &self.remote,
        }
    }
}

/// A local pane time (local wall-clock time) in UTC.
fn local_to_utc(t: NaiveDateTime) -> NaiveDateTime {
    chrono::Local
        .from_local_datetime(&t)
        .earliest()
        .map_or(t, |d| d.naive_utc())
}

fn remote_info(e: &Entry, offset: TimeDelta) -> FileInfo {
    // MLSD times carry seconds; a LIST time has minutes, or only the day.
    let precision = match e.modified {
        Some(t) if t.second() != 0 => TimePrecision::Second,
        Some(t) => TimePrecision::of_list_time(t),
        None => TimePrecision::Day,
    };
    FileInfo {
        size: e.size,
        modified: e.modified.map(|t| t - offset),
        precision,
    }
}

fn local_info(e: &Entry) -> FileInfo {
    FileInfo {
        size: e.size,
        modified: e.modified.map(local_to_utc),
        precision: TimePrecision::Second,
    }
}

fn is_dir(e: &Entry) -> bool {
    matches!(e.kind, Kind::Dir)
}

/// Mark the rows of two listings against each other. `remote_offset` is
/// subtracted from remote times (a LIST server's zone, when known).
pub fn mark(
    local: &[Entry],
    remote: &[Entry],
    options: &CompareOptions,
    remote_offset: TimeDelta,
) -> Marks {
    let theirs: HashMap<&[u8], &Entry> = remote.iter().map(|e| (&e.name[..], e)).collect();
    let mut marks = Marks::default();
    for l in local {
        let Some(r) = theirs.get(&l.name[..]) else {
            marks.local.insert(l.name.to_vec(), RowMark::OnlyHere);
            continue;
        };
        let (lm, rm) = match (is_dir(l), is_dir(r)) {
            (true, true) => (RowMark::Identical, RowMark::Identical),
            (false, false) => {
                match compare(&local_info(l), &remote_info(r, remote_offset), options) {
                    Verdict::Identical => (RowMark::Identical, RowMark::Identical),
                    Verdict::SizeDiffers { .. } => (RowMark::SizeDiffers, RowMark::SizeDiffers),
                    Verdict::Newer(Side::Local) => (RowMark::NewerHere, RowMark::Identical),
                    Verdict::Newer(Side::Remote) => (RowMark::Identical, RowMark::NewerHere),
                }
            }
            _ => (RowMark::SizeDiffers, RowMark::SizeDiffers),
        };
        // The older side of a newer pair is not identical: it gets no mark.
        if lm != RowMark::Identical || rm == RowMark::Identical {
            marks.local.insert(l.name.to_vec(), lm);
        }
        if rm != RowMark::Identical || lm == RowMark::Identical {
            marks.remote.insert(r.name.to_vec(), rm);
        }
    }
    let ours: std::collections::HashSet<&[u8]> = local.iter().map(|e| &e.name[..]).collect();
    for r in remote {
        if !ours.contains(&r.name[..]) {
            marks.remote.insert(r.name.to_vec(), RowMark::OnlyHere);
        }
    }
    marks
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn entry(name: &str, kind: Kind, size: u64, t: NaiveDateTime) -> Entry {
        Entry {
            name: name.as_bytes().into(),
            display_name: name.into(),
            kind,
            size: Some(size),
            modified: Some(t),
            permissions: None,
            owner: None,
            link_target: None,
        }
    }

    #[test]
    fn rows_are_marked_on_both_sides() {
        let utc = |m: u32, s: u32| {
            NaiveDate::from_ymd_opt(2026, 5, 1)
                .and_then(|d| d.and_hms_opt(9, m, s))
                .expect("valid time")
        };
        let local_time = |m, s| {
            chrono::Utc
                .from_utc_datetime(&utc(m, s))
                .with_timezone(&chrono::Local)
                .naive_local()
        };
        let local = vec![
            entry("same", Kind::File, 5, local_time(0, 10)),
            entry("newer", Kind::File, 5, local_time(30, 0)),
            entry("size", Kind::File, 6, local_time(0, 0)),
            entry("mine", Kind::File, 1, local_time(0, 0)),
            entry("dir", Kind::Dir, 0, local_time(0, 0)),
        ];
        let remote = vec![
            entry("same", Kind::File, 5, utc(0, 10)),
            entry("newer", Kind::File, 5, utc(10, 5)),
            entry("size", Kind::File, 5, utc(0, 0)),
            entry("theirs", Kind::File, 1, utc(0, 0)),
            entry("dir", Kind::Dir, 0, utc(0, 0)),
        ];
        let m = mark(
            &local,
            &remote,
            &CompareOptions::default(),
            TimeDelta::zero(),
        );
        let get = |map: &HashMap<Vec<u8>, RowMark>, n: &str| map.get(n.as_bytes()).copied();
        assert_eq!(get(&m.local, "same"), Some(RowMark::Identical));
        assert_eq!(get(&m.remote, "same"), Some(RowMark::Identical));
        assert_eq!(get(&m.local, "newer"), Some(RowMark::NewerHere));
        assert_eq!(get(&m.remote, "newer"), None);
        assert_eq!(get(&m.local, "size"), Some(RowMark::SizeDiffers));
        assert_eq!(get(&m.remote, "size"), Some(RowMark::SizeDiffers));
        assert_eq!(get(&m.local, "mine"), Some(RowMark::OnlyHere));
        assert_eq!(get(&m.remote, "theirs"), Some(RowMark::OnlyHere));
        assert_eq!(get(&m.local, "dir"), Some(RowMark::Identical));
    }
}
