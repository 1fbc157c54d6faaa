//! Finding files: a walk down from one folder, remote or local, that hands
//! over each entry matching the conditions as soon as it is seen, with
//! progress and cancel. The window's Find files and `ferry find` both use
//! it. Like sync's walk, names that could leave the folder or break a line
//! are refused and reported, links are not followed; a folder that cannot
//! be listed is reported and the walk carries on.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;

use chrono::{NaiveDateTime, TimeDelta};

use super::AnyPath;
use super::transfer::safe_local_name;
use crate::ftp::{ConnectOptions, EntryKind, FtpError, ListingFormat, NameCharset, Session};
use crate::sync::tree::remote_path;

/// How a name is matched.
#[derive(Debug, Clone, Default)]
pub enum NamePattern {
    /// Every name.
    #[default]
    Any,
    /// A shell pattern (`*`, `?`, `[a-z]`) against the whole name.
    Glob {
        pattern: glob::Pattern,
        case_sensitive: bool,
    },
    /// A regular expression found anywhere in the name (anchor it with `^…$`).
    Regex(regex::Regex),
}

impl NamePattern {
    /// A shell pattern; an empty one matches every name.
    pub fn glob(text: &str, case_sensitive: bool) -> Result<NamePattern, String> {
        if text.trim().is_empty() {
            return Ok(NamePattern::Any);
        }
        glob::Pattern::new(text.trim())
            .map(|pattern| NamePattern::Glob {
                pattern,
                case_sensitive,
            })
            .map_err(|e| format!("not a valid name pattern ({}): {text}", e.msg))
    }

    /// A regular expression; an empty one matches every name.
    pub fn regex(text: &str, case_sensitive: bool) -> Result<NamePattern, String> {
        if text.is_empty() {
            return Ok(NamePattern::Any);
        }
        regex::RegexBuilder::new(text)
            .case_insensitive(!case_sensitive)
            .build()
            .map(NamePattern::Regex)
            .map_err(|e| {
                let first = e.to_string();
                let why = first.lines().last().unwrap_or("invalid").trim().to_string();
                format!("not a valid regular expression ({why}): {text}")
            })
    }

    fn matches(&self, name: &str) -> bool {
        match self {
            NamePattern::Any => true,
            NamePattern::Glob {
                pattern,
                case_sensitive,
            } => pattern.matches_with(
                name,
                glob::MatchOptions {
                    case_sensitive: *case_sensitive,
                    require_literal_separator: false,
                    require_literal_leading_dot: false,
                },
            ),
            NamePattern::Regex(re) => re.is_match(name),
        }
    }
}

/// Files, folders, or both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KindFilter {
    #[default]
    Both,
    Files,
    Folders,
}

/// What an entry must be to be found. Size and time conditions are about
/// files: a folder never meets them, and a file whose listing gave no size
/// or time cannot be shown to meet one, so it does not.
#[derive(Debug, Clone, Default)]
pub struct Criteria {
    pub name: NamePattern,
    pub kind: KindFilter,
    /// Bytes, inclusive.
    pub min_size: Option<u64>,
    pub max_size: Option<u64>,
    /// UTC, inclusive.
    pub modified_after: Option<NaiveDateTime>,
    /// UTC, exclusive.
    pub modified_before: Option<NaiveDateTime>,
}

impl Criteria {
    /// Whether an entry (its name, whether it is a folder, its size and
    /// time in UTC) meets every condition.
    pub fn matches(
        &self,
        name: &str,
        is_dir: bool,
        size: Option<u64>,
        modified: Option<NaiveDateTime>,
    ) -> bool {
        if !self.name.matches(name) {
            return false;
        }
        match (self.kind, is_dir) {
            (KindFilter::Files, true) | (KindFilter::Folders, false) => return false,
            _ => {}
        }
        let sized = self.min_size.is_some() || self.max_size.is_some();
        let dated = self.modified_after.is_some() || self.modified_before.is_some();
        if !sized && !dated {
            return true;
        }
        if is_dir {
            return false;
        }
        if sized {
            let Some(size) = size else { return false };
            if self.min_size.is_some_and(|m| size < m) || self.max_size.is_some_and(|m| size > m) {
                return false;
            }
        }
        if dated {
            let Some(t) = modified else { return false };
            if self.modified_after.is_some_and(|a| t < a)
                || self.modified_before.is_some_and(|b| t >= b)
            {
                return false;
            }
        }
        true
    }
}

/// A search: what to find, how deep, how to read the server's names.
#[derive(Debug, Clone, Default)]
pub struct FindOptions {
    pub criteria: Criteria,
    /// How many folder levels below the start to look into: 1 is the
    /// start folder's own entries only; `None` has no limit.
    pub max_depth: Option<u32>,
    /// The server's name encoding.
    pub charset: NameCharset,
    /// The server's `LIST` time offset when known; `None` detects it (MDTM).
    pub time_offset: Option<TimeDelta>,
}

/// One entry that matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub path: AnyPath,
    pub is_dir: bool,
    pub size: Option<u64>,
    /// UTC.
    pub modified: Option<NaiveDateTime>,
}

/// How far a search has got.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FindProgress {
    /// Folders listed.
    pub folders: u64,
    /// Entries seen in them (matching or not).
    pub entries: u64,
}

/// What a search reports as it goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    Hit(Hit),
    Progress(FindProgress),
    /// Something left out, and why: a folder that could not be listed, a
    /// refused name, a link not followed.
    Skipped(String),
}

/// Why a search stopped before its end.
#[derive(Debug, thiserror::Error)]
pub enum FindError {
    #[error(transparent)]
    Ftp(#[from] FtpError),
    #[error("could not read the folder: {source}: {path}")]
    Local {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cancelled")]
    Cancelled,
}

/// `YYYY-MM-DD` as the start of that day in local time, in UTC (the
/// search's times are UTC).
pub fn parse_day(s: &str) -> Result<NaiveDateTime, String> {
    use chrono::TimeZone;
    let day = chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| format!("expected a date as YYYY-MM-DD, e.g. 2024-03-31: {s}"))?;
    let midnight = day.and_time(chrono::NaiveTime::MIN);
    Ok(chrono::Local
        .from_local_datetime(&midnight)
        .earliest()
        .map_or(midnight, |t| t.naive_utc()))
}

/// Bytes, or a number with K, M, G or T (powers of 1024, as curl takes them).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let bad = || format!("expected a size in bytes, or with K, M, G or T, e.g. 10K or 5M: {s}");
    let t = s.trim();
    let (digits, shift) = match t.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => {
            let shift = match c.to_ascii_uppercase() {
                'K' => 10,
                'M' => 20,
                'G' => 30,
                'T' => 40,
                _ => return Err(bad()),
            };
            (&t[..i], shift)
        }
        _ => (t, 0),
    };
    let n: u64 = digits.trim().parse().map_err(|_| bad())?;
    n.checked_mul(1u64 << shift)
        .ok_or_else(|| format!("the size is too large: {s}"))
}

fn check_cancel(cancel: &AtomicBool) -> Result<(), FindError> {
    if cancel.load(Ordering::Relaxed) {
        Err(FindError::Cancelled)
    } else {
        Ok(())
    }
}

/// Whether a folder at `depth` (the start is 0) is looked into.
fn descend(options: &FindOptions, depth: u32) -> bool {
    options.max_depth.is_none_or(|max| depth < max)
}

/// Search below the remote folder `root` (as the server takes it; empty
/// for the login folder), one listing per folder, shallow folders first.
/// The start folder must be listable; any folder below it that is not is
/// reported as skipped.
pub async fn find_remote(
    session: &mut Session,
    root: &[u8],
    options: &FindOptions,
    report: &mut (dyn FnMut(Found) + Send),
    cancel: &AtomicBool,
) -> Result<FindProgress, FindError> {
    session.set_list_hidden(true);
    let mut offset = options.time_offset;
    let mut offset_known = offset.is_some();
    let mut count = FindProgress::default();
    let mut pending: VecDeque<(Vec<u8>, u32)> = VecDeque::from([(root.to_vec(), 0)]);
    while let Some((dir, depth)) = pending.pop_front() {
        check_cancel(cancel)?;
        let listed = session
            .list_raw((!dir.is_empty()).then_some(dir.as_slice()))
            .await;
        let (format, bytes) = match listed {
            Ok(listed) => listed,
            Err(e) if depth > 0 && !e.is_fatal_to_session() => {
                report(Found::Skipped(format!(
                    "could not list the folder, skipped it ({e}): {}",
                    options.charset.decode(&dir)
                )));
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        let entries =
            crate::ftp::listing::parse_listing(&bytes, format, chrono::Local::now().naive_local());
        if format == ListingFormat::List && !offset_known {
            offset = crate::sync::timezone::detect(session, &dir, &entries).await?;
            offset_known = offset.is_some();
        }
        count.folders += 1;
        for entry in entries {
            if entry.name == b"." || entry.name == b".." {
                continue;
            }
            count.entries += 1;
            let path = remote_path(&dir, &entry.name);
            let name = match safe_local_name(&entry.name, &options.charset) {
                Ok(name) => name,
                Err(why) => {
                    report(Found::Skipped(why));
                    continue;
                }
            };
            if entry.name.iter().any(|&b| b == b'\r' || b == b'\n') {
                report(Found::Skipped(format!(
                    "refusing the server's file name {:?}: it has a line break",
                    entry.display_name()
                )));
                continue;
            }
            let is_dir = match entry.kind {
                EntryKind::Dir => true,
                EntryKind::File => false,
                _ => {
                    report(Found::Skipped(format!(
                        "link or special file not followed: {}",
                        options.charset.decode(&path)
                    )));
                    continue;
                }
            };
            let modified = match format {
                ListingFormat::Mlsd => entry.modified,
                _ => entry.modified.map(|t| t - offset.unwrap_or_default()),
            };
            if options
                .criteria
                .matches(&name, is_dir, entry.size, modified)
            {
                report(Found::Hit(Hit {
                    path: AnyPath::Remote(path.clone()),
                    is_dir,
                    size: entry.size.filter(|_| !is_dir),
                    modified,
                }));
            }
            if is_dir && descend(options, depth + 1) {
                pending.push_back((path, depth + 1));
            }
        }
        report(Found::Progress(count));
    }
    Ok(count)
}

/// Search below the local folder `root` (blocking: run it on a thread of
/// its own). The start folder must be readable; any folder below it that
/// is not is reported as skipped.
pub fn find_local(
    root: &Path,
    options: &FindOptions,
    report: &mut dyn FnMut(Found),
    cancel: &AtomicBool,
) -> Result<FindProgress, FindError> {
    let mut count = FindProgress::default();
    let mut pending: VecDeque<(PathBuf, u32)> = VecDeque::from([(root.to_path_buf(), 0)]);
    while let Some((dir, depth)) = pending.pop_front() {
        check_cancel(cancel)?;
        let read = match std::fs::read_dir(&dir) {
            Ok(read) => read,
            Err(e) if depth > 0 => {
                report(Found::Skipped(format!(
                    "could not read the folder, skipped it ({e}): {}",
                    dir.display()
                )));
                continue;
            }
            Err(source) => {
                return Err(FindError::Local {
                    path: dir.display().to_string(),
                    source,
                });
            }
        };
        count.folders += 1;
        for item in read {
            let Ok(item) = item else { continue };
            count.entries += 1;
            let path = item.path();
            let meta = match std::fs::symlink_metadata(&path) {
                Ok(meta) => meta,
                Err(e) => {
                    report(Found::Skipped(format!(
                        "could not read the details, skipped ({e}): {}",
                        path.display()
                    )));
                    continue;
                }
            };
            let is_dir = meta.is_dir();
            if !is_dir && !meta.is_file() {
                report(Found::Skipped(format!(
                    "link or special file not followed: {}",
                    path.display()
                )));
                continue;
            }
            let name = item.file_name().to_string_lossy().into_owned();
            let modified = meta
                .modified()
                .ok()
                .map(|t| chrono::DateTime::<chrono::Utc>::from(t).naive_utc());
            let size = (!is_dir).then_some(meta.len());
            if options.criteria.matches(&name, is_dir, size, modified) {
                report(Found::Hit(Hit {
                    path: AnyPath::Local(path.clone()),
                    is_dir,
                    size,
                    modified,
                }));
            }
            if is_dir && descend(options, depth + 1) {
                pending.push_back((path, depth + 1));
            }
        }
        report(Found::Progress(count));
    }
    Ok(count)
}

/// What a background search sends to the window.
#[derive(Debug)]
pub enum FindUpdate {
    /// Entries that matched since the last update.
    Hits(Vec<Hit>),
    Progress(FindProgress),
    Skipped(String),
    /// The search ended: what it saw, or what failed and what to try
    /// (`Err("cancelled")` after [`Searching::cancel`]).
    Done(Result<FindProgress, String>),
}

/// A search under way: poll [`Searching::updates`] each frame. Dropping it
/// cancels the search.
pub struct Searching {
    pub updates: mpsc::Receiver<FindUpdate>,
    cancel: Arc<AtomicBool>,
}

impl Searching {
    /// Stop at the next folder; `Done` then says "cancelled".
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }
}

impl Drop for Searching {
    fn drop(&mut self) {
        self.cancel();
    }
}

/// Where a background search runs: on a connection of its own (the
/// browsing one stays free), or on the local disk.
#[derive(Debug, Clone)]
pub enum FindRoot {
    Remote {
        login: Box<ConnectOptions>,
        folder: Vec<u8>,
    },
    Local(PathBuf),
}

/// Start a search on a thread of its own; `wake` is called after each
/// update is sent (the window repaints). Hits are sent in batches of at
/// most one per listed folder, so a big folder does not flood the channel.
pub fn spawn(root: FindRoot, options: FindOptions, wake: Arc<dyn Fn() + Send + Sync>) -> Searching {
    let (tx, rx) = mpsc::channel();
    let cancel = Arc::new(AtomicBool::new(false));
    let stop = cancel.clone();
    let send = {
        let (tx, wake) = (tx.clone(), wake.clone());
        move |u: FindUpdate| {
            let _ = tx.send(u);
            wake();
        }
    };
    let spawned = std::thread::Builder::new()
        .name("ferry-find".into())
        .spawn(move || {
            let mut batch: Vec<Hit> = Vec::new();
            let mut report = |found: Found| match found {
                Found::Hit(hit) => batch.push(hit),
                Found::Progress(p) => {
                    if !batch.is_empty() {
                        send(FindUpdate::Hits(std::mem::take(&mut batch)));
                    }
                    send(FindUpdate::Progress(p));
                }
                Found::Skipped(why) => send(FindUpdate::Skipped(why)),
            };
            let result = match root {
                FindRoot::Local(dir) => find_local(&dir, &options, &mut report, &stop)
                    .map_err(|e| describe(e, &dir.display().to_string())),
                FindRoot::Remote { login, folder } => {
                    match tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                    {
                        Ok(rt) => rt.block_on(async {
                            let mut session = Session::connect(*login, crate::ftp::log::null_log())
                                .await
                                .map_err(|e| {
                                    format!("could not open a connection for the search: {e}")
                                })?;
                            let mut options = options;
                            if options.time_offset.is_none() {
                                options.time_offset = session
                                    .options()
                                    .list_time_offset_minutes
                                    .map(|m| TimeDelta::minutes(i64::from(m)));
                            }
                            let found =
                                find_remote(&mut session, &folder, &options, &mut report, &stop)
                                    .await
                                    .map_err(|e| describe(e, &options.charset.decode(&folder)));
                            let _ = session.quit().await;
                            found
                        }),
                        Err(e) => Err(format!("could not start the search: {e}")),
                    }
                }
            };
            if !batch.is_empty() {
                send(FindUpdate::Hits(batch));
            }
            send(FindUpdate::Done(result));
        });
    if let Err(e) = spawned {
        let _ = tx.send(FindUpdate::Done(Err(format!(
            "could not start the search: {e}"
        ))));
        wake();
    }
    Searching {
        updates: rx,
        cancel,
    }
}

fn describe(e: FindError, folder: &str) -> String {
    match e {
        FindError::Cancelled => "cancelled".into(),
        FindError::Ftp(e) => format!("the search stopped: {e}; check the folder: {folder}"),
        FindError::Local { .. } => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDateTime {
        chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .expect("date")
            .and_time(chrono::NaiveTime::MIN)
    }

    #[test]
    fn conditions_match_like_a_table_says() {
        let glob = |p, cs| Criteria {
            name: NamePattern::glob(p, cs).expect("glob"),
            ..Criteria::default()
        };
        let re = |p, cs| Criteria {
            name: NamePattern::regex(p, cs).expect("regex"),
            ..Criteria::default()
        };
        let t = Some(day("2024-06-01"));
        for (criteria, name, is_dir, size, want) in [
            (glob("*.LOG", false), "app.log", false, Some(1), true),
            (glob("*.LOG", true), "app.log", false, Some(1), false),
            (glob("", true), "x", true, None, true),
            (glob("[ab]*", true), "c.txt", false, None, false),
            (re(r"^a.*\.log$", true), "app.log", false, None, true),
            (re(r"LOG", false), "catalog.txt", false, None, true),
            (re(r"LOG", true), "catalog.txt", false, None, false),
            (
                Criteria {
                    kind: KindFilter::Folders,
                    ..Criteria::default()
                },
                "f",
                false,
                None,
                false,
            ),
            (
                Criteria {
                    kind: KindFilter::Files,
                    ..Criteria::default()
                },
                "d",
                true,
                None,
                false,
            ),
            (
                Criteria {
                    min_size: Some(10),
                    max_size: Some(20),
                    ..Criteria::default()
                },
                "f",
                false,
                Some(20),
                true,
            ),
            (
                Criteria {
                    min_size: Some(10),
                    ..Criteria::default()
                },
                "f",
                false,
                None,
                false,
            ),
            (
                Criteria {
                    min_size: Some(0),
                    ..Criteria::default()
                },
                "d",
                true,
                None,
                false,
            ),
            (
                Criteria {
                    modified_after: Some(day("2024-06-01")),
                    modified_before: Some(day("2024-06-02")),
                    ..Criteria::default()
                },
                "f",
                false,
                Some(1),
                true,
            ),
            (
                Criteria {
                    modified_before: Some(day("2024-06-01")),
                    ..Criteria::default()
                },
                "f",
                false,
                Some(1),
                false,
            ),
        ] {
            assert_eq!(
                criteria.matches(name, is_dir, size, t),
                want,
                "{criteria:?} {name}"
            );
        }
    }

    #[test]
    fn sizes_take_curl_suffixes() {
        assert_eq!(parse_size("0"), Ok(0));
        assert_eq!(parse_size("1500"), Ok(1500));
        assert_eq!(parse_size("10K"), Ok(10 * 1024));
        assert_eq!(parse_size("5m"), Ok(5 * 1024 * 1024));
        assert_eq!(parse_size("2G"), Ok(2 << 30));
        assert!(parse_size("5X").is_err());
        assert!(parse_size("K").is_err());
        assert!(parse_size("-1").is_err());
        assert!(parse_size("99999999999T").is_err());
    }

    #[test]
    fn dates_are_days() {
        assert!(parse_day("2024-03-31").is_ok());
        assert!(parse_day("2024-02-30").is_err());
        assert!(parse_day("31/03/2024").is_err());
    }

    #[test]
    fn bad_patterns_say_what_is_wrong() {
        let e = NamePattern::regex("a(b", true).expect_err("unclosed group");
        assert!(e.starts_with("not a valid regular expression"), "{e}");
        assert!(e.ends_with(": a(b"), "{e}");
        assert!(NamePattern::glob("[a", true).is_err());
    }

    #[test]
    fn a_local_search_goes_no_deeper_than_asked_and_skips_unreadable_folders() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir_all(dir.path().join("a/b")).expect("mkdir");
        std::fs::write(dir.path().join("top.txt"), b"1").expect("write");
        std::fs::write(dir.path().join("a/mid.txt"), b"22").expect("write");
        std::fs::write(dir.path().join("a/b/deep.txt"), b"333").expect("write");
        let run = |depth| {
            let options = FindOptions {
                criteria: Criteria {
                    name: NamePattern::glob("*.txt", true).expect("glob"),
                    ..Criteria::default()
                },
                max_depth: depth,
                ..FindOptions::default()
            };
            let mut names = Vec::new();
            let mut skipped = Vec::new();
            find_local(
                dir.path(),
                &options,
                &mut |f| match f {
                    Found::Hit(h) => names.push(h.path.file_name()),
                    Found::Skipped(s) => skipped.push(s),
                    Found::Progress(_) => {}
                },
                &AtomicBool::new(false),
            )
            .expect("search");
            names.sort();
            (names, skipped)
        };
        assert_eq!(run(Some(1)).0, vec![b"top.txt".to_vec()]);
        assert_eq!(run(Some(2)).0.len(), 2);
        assert_eq!(run(None).0.len(), 3);
    }

    #[test]
    fn a_cancelled_search_stops() {
        let dir = tempfile::tempdir().expect("temp dir");
        let r = find_local(
            dir.path(),
            &FindOptions::default(),
            &mut |_| {},
            &AtomicBool::new(true),
        );
        assert!(matches!(r, Err(FindError::Cancelled)));
    }
}
