//! The saved transfer queue, as a journal: one JSON record per line
//! (paths percent-encoded so any name survives, never a password), appended
//! as jobs change and rewritten whole only when the dead records outnumber
//! the live ones. A crash can cut only the last line, which reading skips;
//! the file of the first format (one JSON document) is still read.
//!
//! ```text
//! {"ferry_queue_journal":2}
//! {"op":"add","key":7,"place":[2147483648],"job":{…}}
//! {"op":"set","key":7,"failed":true,"error":"550 …","priority":"Normal"}
//! {"op":"place","key":7,"place":[2147483640]}
//! {"op":"del","keys":[7]}
//! ```

use std::path::{Path, PathBuf};

use rustc_hash::FxHashMap;

use super::SiteKey;
use crate::engine::protocol::{AnyPath, Direction, Priority};
use crate::engine::rate_limit::JobLimit;

/// The first line of a journal.
pub(super) const JOURNAL_HEADER: &str = "{\"ferry_queue_journal\":2}";

/// The first format: one JSON document of every job, rewritten on each save.
#[derive(serde::Deserialize)]
struct SavedQueue {
    jobs: Vec<SavedJob>,
}

/// One line of the journal. Keys are the job ids of the run that wrote it.
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(tag = "op", rename_all = "lowercase")]
pub(super) enum Record {
    /// A job to keep, at `place` in the queue order.
    Add {
        key: u64,
        place: Vec<u32>,
        job: SavedJob,
    },
    /// A kept job failed, was retried or changed priority.
    Set {
        key: u64,
        failed: bool,
        error: Option<String>,
        priority: Priority,
        /// Its own speed limit (absent: none; files before it had none).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        limit: Option<JobLimit>,
    },
    /// A kept job moved in the queue order.
    Place { key: u64, place: Vec<u32> },
    /// Jobs that are no longer kept (done, skipped, removed, expanded).
    Del { keys: Vec<u64> },
}

/// What reading the saved queue found.
#[derive(Default)]
pub(crate) struct Loaded {
    /// The jobs, in queue order.
    pub(super) jobs: Vec<SavedJob>,
    /// Complete lines that could not be read (skipped).
    pub(super) damaged: usize,
    /// The last line was cut short (a crash while writing it; skipped).
    pub(super) torn: bool,
}

/// Read a saved queue: a journal, replayed, or the first format.
pub(super) fn parse(bytes: &[u8]) -> Result<Loaded, String> {
    let header = JOURNAL_HEADER.as_bytes();
    if !bytes.starts_with(header) {
        return serde_json::from_slice::<SavedQueue>(bytes)
            .map(|q| Loaded {
                jobs: q.jobs,
                ..Loaded::default()
            })
            .map_err(|e| e.to_string());
    }
    let mut jobs: FxHashMap<u64, (Vec<u32>, SavedJob)> = FxHashMap::default();
    let mut loaded = Loaded::default();
    let mut lines = bytes[header.len()..].split(|&b| b == b'\n').peekable();
    while let Some(line) = lines.next() {
        if lines.peek().is_none() {
            // Past the last newline: empty, or a line cut short.
            loaded.torn = !line.is_empty();
            break;
        }
        if line.is_empty() {
            continue;
        }
        match serde_json::from_slice::<Record>(line) {
            Ok(Record::Add { key, place, job }) => {
                jobs.insert(key, (place, job));
            }
            Ok(Record::Set {
                key,
                failed,
                error,
                priority,
                limit,
            }) => {
                if let Some((_, job)) = jobs.get_mut(&key) {
                    job.failed = failed;
                    job.error = error;
                    job.priority = priority;
                    job.limit = limit;
                }
            }
            Ok(Record::Place { key, place }) => {
                if let Some((p, _)) = jobs.get_mut(&key) {
                    *p = place;
                }
            }
            Ok(Record::Del { keys }) => {
                for key in keys {
                    jobs.remove(&key);
                }
            }
            Err(_) => loaded.damaged += 1,
        }
    }
    let mut ordered: Vec<(Vec<u32>, u64, SavedJob)> = jobs
        .into_iter()
        .map(|(key, (place, job))| (place, key, job))
        .collect();
    ordered.sort_unstable_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
    loaded.jobs = ordered.into_iter().map(|(_, _, job)| job).collect();
    Ok(loaded)
}

/// A record as one journal line (with its newline).
pub(super) fn line(record: &Record, out: &mut Vec<u8>) {
    // Serializing plain data to memory cannot fail; a failure would drop
    // only this record, never the file.
    if serde_json::to_writer(&mut *out, record).is_ok() {
        out.push(b'\n');
    }
}

#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub(super) struct SavedJob {
    pub(super) direction: Direction,
    pub(super) source: SavedPath,
    pub(super) target: SavedPath,
    pub(super) is_dir: bool,
    pub(super) size: Option<u64>,
    pub(super) failed: bool,
    pub(super) error: Option<String>,
    #[serde(default)]
    pub(super) priority: Priority,
    pub(super) site: SiteKey,
    /// Its own speed limit (absent: none; files before it had none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) limit: Option<JobLimit>,
}

/// A path as bytes, percent-encoded so any name survives JSON.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub(super) enum SavedPath {
    Local(String),
    Remote(String),
}

const ENCODE: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS.add(b'%');

impl SavedPath {
    pub(super) fn of(path: &AnyPath) -> SavedPath {
        let enc = |b: &[u8]| percent_encoding::percent_encode(b, ENCODE).to_string();
        match path {
            AnyPath::Local(p) => SavedPath::Local(enc(p.as_os_str().as_encoded_bytes())),
            AnyPath::Remote(p) => SavedPath::Remote(enc(p)),
        }
    }

    pub(super) fn path(&self) -> Option<AnyPath> {
        let dec = |s: &str| percent_encoding::percent_decode_str(s).collect::<Vec<u8>>();
        match self {
            SavedPath::Local(s) => local_path_from_bytes(dec(s)).map(AnyPath::Local),
            SavedPath::Remote(s) => Some(AnyPath::Remote(dec(s))),
        }
    }
}

#[cfg(unix)]
fn local_path_from_bytes(bytes: Vec<u8>) -> Option<PathBuf> {
    use std::os::unix::ffi::OsStringExt;
    Some(PathBuf::from(std::ffi::OsString::from_vec(bytes)))
}

#[cfg(not(unix))]
fn local_path_from_bytes(bytes: Vec<u8>) -> Option<PathBuf> {
    String::from_utf8(bytes).ok().map(PathBuf::from)
}

pub(super) fn broken_name(path: &Path) -> PathBuf {
    let stamp = chrono::Local::now().format("%Y%m%d-%H%M%S");
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".broken-{stamp}"));
    path.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saved_paths_survive_any_bytes() {
        let odd = AnyPath::Remote(b"/a/%41 b\xff\r\n.txt".to_vec());
        assert_eq!(SavedPath::of(&odd).path(), Some(odd));
        let local = AnyPath::Local(PathBuf::from("/tmp/ü 100%/x"));
        assert_eq!(SavedPath::of(&local).path(), Some(local));
    }

    fn saved(name: &str) -> SavedJob {
        SavedJob {
            direction: Direction::Download,
            source: SavedPath::of(&AnyPath::Remote(format!("/r/{name}").into_bytes())),
            target: SavedPath::of(&AnyPath::Local(format!("/l/{name}").into())),
            is_dir: false,
            size: Some(5),
            failed: false,
            error: None,
            priority: Priority::Normal,
            site: SiteKey {
                host: "h".into(),
                port: 21,
                user: "u".into(),
            },
            limit: None,
        }
    }

    fn names(loaded: &Loaded) -> Vec<String> {
        loaded
            .jobs
            .iter()
            .map(|j| match j.source.path() {
                Some(AnyPath::Remote(p)) => String::from_utf8_lossy(&p[3..]).into_owned(),
                _ => String::new(),
            })
            .collect()
    }

    /// A journal of adds, a move, a failure and a delete.
    fn journal() -> Vec<u8> {
        let mut out = format!("{JOURNAL_HEADER}\n").into_bytes();
        for (key, name) in [(1, "a"), (2, "b"), (3, "c"), (4, "d")] {
            let job = saved(name);
            line(
                &Record::Add {
                    key,
                    place: vec![10 + key as u32],
                    job,
                },
                &mut out,
            );
        }
        line(
            &Record::Place {
                key: 4,
                place: vec![5],
            },
            &mut out,
        );
        line(
            &Record::Set {
                key: 2,
                failed: true,
                error: Some("550 gone".into()),
                priority: Priority::High,
                limit: Some(JobLimit {
                    rate: 200 << 10,
                    shared: 9,
                }),
            },
            &mut out,
        );
        line(&Record::Del { keys: vec![3] }, &mut out);
        out
    }

    #[test]
    fn a_journal_replays_adds_moves_changes_and_deletes_in_queue_order() {
        let loaded = parse(&journal()).unwrap();
        assert_eq!(names(&loaded), ["d", "a", "b"]);
        assert!(loaded.jobs[2].failed);
        assert_eq!(loaded.jobs[2].error.as_deref(), Some("550 gone"));
        assert_eq!(loaded.jobs[2].priority, Priority::High);
        assert_eq!(
            loaded.jobs[2].limit,
            Some(JobLimit {
                rate: 200 << 10,
                shared: 9
            })
        );
        assert_eq!(loaded.jobs[0].limit, None);
        assert_eq!((loaded.damaged, loaded.torn), (0, false));
    }

    #[test]
    fn a_jobs_own_speed_limit_is_saved_with_it_and_older_records_have_none() {
        let mut job = saved("a");
        job.limit = Some(JobLimit {
            rate: 500 << 10,
            shared: 4,
        });
        let mut out = format!("{JOURNAL_HEADER}\n").into_bytes();
        line(
            &Record::Add {
                key: 1,
                place: vec![1],
                job,
            },
            &mut out,
        );
        // Records as a Ferry without per-job limits wrote them.
        out.extend_from_slice(br#"{"op":"add","key":2,"place":[2],"job":{"direction":"Download","source":{"Remote":"/r/b"},"target":{"Local":"/l/b"},"is_dir":false,"size":3,"failed":false,"error":null,"priority":"Normal","site":{"host":"h","port":21,"user":"u"}}}"#);
        out.push(b'\n');
        let loaded = parse(&out).unwrap();
        assert_eq!(names(&loaded), ["a", "b"]);
        assert_eq!(
            loaded.jobs[0].limit.map(|l| (l.rate, l.shared)),
            Some((500 << 10, 4))
        );
        assert_eq!(loaded.jobs[1].limit, None);
        assert_eq!(loaded.damaged, 0);
        // A job without a limit writes no field for it (as before).
        let mut plain = Vec::new();
        line(
            &Record::Add {
                key: 3,
                place: vec![3],
                job: saved("c"),
            },
            &mut plain,
        );
        assert!(!String::from_utf8(plain).unwrap().contains("limit"));
    }

    #[test]
    fn a_journal_cut_anywhere_in_its_last_record_loses_that_record_only() {
        let whole = journal();
        // The last record is the Del of "c".
        let last_start = whole[..whole.len() - 1]
            .iter()
            .rposition(|&b| b == b'\n')
            .unwrap()
            + 1;
        for cut in last_start + 1..whole.len() {
            let loaded = parse(&whole[..cut]).unwrap();
            assert_eq!(names(&loaded), ["d", "a", "b", "c"], "cut at {cut}");
            assert!(loaded.torn, "cut at {cut}");
            assert_eq!(loaded.damaged, 0);
        }
        // Cut right after a newline: nothing torn at all.
        assert!(!parse(&whole[..last_start]).unwrap().torn);
    }

    #[test]
    fn a_damaged_line_is_skipped_and_the_rest_is_kept() {
        let mut bytes = journal();
        // Zeros where a record was (as a crash on some file systems leaves them).
        let at = bytes.iter().position(|&b| b == b'\n').unwrap() + 5;
        bytes[at..at + 20].fill(0);
        let loaded = parse(&bytes).unwrap();
        assert_eq!(loaded.damaged, 1);
        assert_eq!(
            names(&loaded),
            ["d", "b"],
            "the first add is lost, not the queue"
        );
    }

    #[test]
    fn the_first_format_is_still_read() {
        let old = br#"{"version":1,"jobs":[{"direction":"Download","source":{"Remote":"/r/a"},"target":{"Local":"/l/a"},"is_dir":false,"size":3,"failed":false,"error":null,"site":{"host":"h","port":21,"user":"u"}}]}"#;
        let loaded = parse(old).unwrap();
        assert_eq!(names(&loaded), ["a"]);
        assert!(parse(b"{not json").is_err());
    }

    #[test]
    fn a_journal_record_of_a_job_stays_well_under_a_kibibyte() {
        let mut job = saved("a-rather-long-file-name-of-a-photo-2026-12-05-123456.jpeg");
        job.target = SavedPath::of(&AnyPath::Local(
            "/home/someone/Downloads/a folder/another/a-rather-long-file-name-of-a-photo-2026-12-05-123456.jpeg".into(),
        ));
        let mut out = Vec::new();
        line(
            &Record::Add {
                key: 123_456,
                place: vec![2_147_483_648, 12, 345],
                job,
            },
            &mut out,
        );
        assert!(out.len() < 1024, "{} bytes", out.len());
    }
}
