//! Saving the queue as it changes: each change to a kept job (pending or
//! failed) becomes one journal record, buffered and handed to a writer
//! thread at most twice a second, which encodes, appends and fsyncs it (the
//! queue's own task only copies what changed; the jobs that finished since
//! the last hand-over share one record). The writer also compacts the file
//! when its records are mostly dead, by filtering its own lines (the
//! queue's task takes no part in it). Nothing here costs the queue more as
//! the queue grows. A crash loses at most the records of the last half
//! second or so (the last of them perhaps cut short, which reading skips).

use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rustc_hash::FxHashSet;

use super::super::Outbox;
use super::super::protocol::{AnyPath, Direction, Event, Priority};
use super::super::rate_limit::JobLimit;
use super::SiteKey;
use super::jobs::Job;
use super::store::{JOURNAL_HEADER, Record, SavedJob, SavedPath, line};

/// Records are handed to the writer at most this often.
pub(super) const FLUSH_EVERY: Duration = Duration::from_millis(500);
/// The writer compacts the file once it holds more than this many records
/// and more than twice as many as there are live jobs.
const COMPACT_AFTER: usize = 10_000;

/// What was last written of a kept job: a record follows only when this
/// changes. Kept in the job itself ([`Job::saved`]), so noting a change
/// costs no lookup beside the job's own.
#[derive(Clone, Copy, PartialEq)]
pub(super) struct Written {
    failed: bool,
    priority: Priority,
    /// A hash of the error of a failed job (its text is in the file).
    error: u64,
    limit: Option<JobLimit>,
}

impl Written {
    fn of(job: &Job) -> Written {
        let failed = job.view.state.is_failed();
        let error = if failed {
            use std::hash::{Hash, Hasher};
            let mut h = rustc_hash::FxHasher::default();
            job.view.error.hash(&mut h);
            h.finish()
        } else {
            0
        };
        Written {
            failed,
            priority: job.view.priority,
            error,
            limit: job.limit,
        }
    }
}

/// A record as the queue hands it over: a new job is a copy of its view,
/// encoded (paths percent-encoded, JSON) on the writer's thread.
enum Pending {
    Add {
        key: u64,
        place: Arc<[u32]>,
        job: Box<Copied>,
    },
    /// Boxed: a record is far larger than an add (a whole saved job
    /// fits in it), and the buffer holds one of these per new job.
    Other(Box<Record>),
}

// A folder of 100,000 files buffers 100,000 adds: at a record's size
// (about 250 bytes) that buffer was 25 MB of fresh memory per flush.
const _: () = assert!(std::mem::size_of::<Pending>() <= 40);

/// What the saved queue keeps of a job, copied as it is.
struct Copied {
    direction: Direction,
    source: AnyPath,
    target: AnyPath,
    is_dir: bool,
    size: Option<u64>,
    failed: bool,
    error: Option<String>,
    priority: Priority,
    site: Arc<SiteKey>,
    limit: Option<JobLimit>,
}

impl Pending {
    fn add(job: &Job, place: Arc<[u32]>) -> Pending {
        let v = &job.view;
        let failed = v.state.is_failed();
        Pending::Add {
            key: v.id,
            place,
            job: Box::new(Copied {
                direction: v.direction,
                source: v.source.clone(),
                target: v.target.clone(),
                is_dir: v.is_dir,
                size: v.size,
                failed,
                error: v.error.clone().filter(|_| failed),
                priority: v.priority,
                site: job.site.clone(),
                limit: job.limit,
            }),
        }
    }

    fn encode(self, out: &mut Vec<u8>) {
        let record = match self {
            Pending::Add { key, place, job } => Record::Add {
                key,
                place: place.to_vec(),
                job: SavedJob {
                    direction: job.direction,
                    source: SavedPath::of(&job.source),
                    target: SavedPath::of(&job.target),
                    is_dir: job.is_dir,
                    size: job.size,
                    failed: job.failed,
                    error: job.error,
                    priority: job.priority,
                    site: (*job.site).clone(),
                    limit: job.limit,
                },
            },
            Pending::Other(record) => *record,
        };
        line(&record, out);
    }
}

/// Work for the writer thread, in order.
enum Write {
    /// Append these records and fsync.
    Append(Vec<Pending>),
    /// Replace the whole file with these records (atomically).
    Replace(Vec<Pending>),
}

/// The queue's side of the journal.
pub(super) struct Journal {
    tx: Option<mpsc::Sender<Write>>,
    thread: Option<JoinHandle<()>>,
    /// Records not yet handed to the writer.
    buffer: Vec<Pending>,
    /// Where in `buffer` the delete record of this hand-over is, which the
    /// jobs that leave join.
    deletes: Option<usize>,
    last_flush: Instant,
    /// Set by the writer when a write failed: the file may lack records,
    /// so it is rewritten whole.
    broken: Arc<AtomicBool>,
    /// Time spent here, on the queue's task (for the cost figures).
    pub(super) spent: Duration,
}

/// Whether a job is kept in the saved queue.
fn kept(job: &Job) -> bool {
    job.view.state.is_pending() || job.view.state.is_failed()
}

impl Journal {
    /// A journal writing to `path` (on its own thread).
    pub(super) fn open(path: PathBuf, out: Outbox) -> Journal {
        let (tx, rx) = mpsc::channel();
        let broken = Arc::new(AtomicBool::new(false));
        let flag = broken.clone();
        let thread = std::thread::Builder::new()
            .name("queue-journal".into())
            .spawn(move || writer(&path, &rx, &out, &flag))
            .ok();
        Journal {
            tx: thread.as_ref().map(|_| tx),
            thread,
            buffer: Vec::new(),
            deletes: None,
            last_flush: Instant::now(),
            broken,
            spent: Duration::ZERO,
        }
    }

    /// Record what changed of `job` (nothing when nothing kept changed);
    /// `place` is its place in the order, needed when it is new to the
    /// file ([`Journal::needs_place`]). The caller adds the time to `spent`
    /// (once per batch of jobs).
    pub(super) fn note(&mut self, job: &mut Job, place: Option<Arc<[u32]>>) {
        let id = job.view.id;
        let now = kept(job).then(|| Written::of(job));
        match (job.saved, now) {
            (None, Some(w)) => {
                let place = place.unwrap_or_else(|| Arc::from([]));
                self.push(Pending::add(job, place));
                job.saved = Some(w);
            }
            (Some(before), Some(w)) if before != w => {
                self.push_record(Record::Set {
                    key: id,
                    failed: w.failed,
                    error: job.view.error.clone().filter(|_| w.failed),
                    priority: w.priority,
                    limit: w.limit,
                });
                job.saved = Some(w);
            }
            (Some(_), None) => {
                job.saved = None;
                self.delete(id);
            }
            _ => {}
        }
    }

    /// Whether noting `job` now writes its whole record (and so needs its place).
    pub(super) fn needs_place(job: &Job) -> bool {
        job.saved.is_none() && kept(job)
    }

    /// Jobs that are in the file (their [`Job::saved`] was set) left the queue.
    pub(super) fn forget(&mut self, ids: impl IntoIterator<Item = u64>) {
        let started = Instant::now();
        for id in ids {
            self.delete(id);
        }
        self.spent += started.elapsed();
    }

    /// Add `id` to the last delete record, when no job was added since it:
    /// replayed, a delete ahead of a job's add would leave the job in. A
    /// delete ahead of a set or a move is harmless (those are ignored for
    /// a job that is not there), so the jobs finishing between two folders
    /// expanding share one record.
    fn delete(&mut self, id: u64) {
        if let Some(Pending::Other(record)) = self.deletes.and_then(|at| self.buffer.get_mut(at))
            && let Record::Del { keys } = &mut **record
        {
            keys.push(id);
            return;
        }
        self.deletes = Some(self.buffer.len());
        self.push_record(Record::Del { keys: vec![id] });
    }

    /// A job moved to `place` (recorded when it is in the file).
    pub(super) fn moved(&mut self, job: &Job, place: Vec<u32>) {
        if job.saved.is_some() {
            self.push_record(Record::Place {
                key: job.view.id,
                place,
            });
        }
    }

    fn push_record(&mut self, record: Record) {
        self.push(Pending::Other(Box::new(record)));
    }

    fn push(&mut self, pending: Pending) {
        if matches!(pending, Pending::Add { .. }) {
            self.deletes = None;
        }
        self.buffer.push(pending);
    }

    /// Whether records wait to be written.
    pub(super) fn has_pending(&self) -> bool {
        !self.buffer.is_empty()
    }

    /// Whether the file must be rewritten whole (a write failed).
    pub(super) fn wants_rewrite(&self) -> bool {
        self.broken.load(Ordering::Relaxed)
    }

    /// Hand the buffered records to the writer when `FLUSH_EVERY` has
    /// passed since the last time (`now`: whatever the time).
    pub(super) fn flush(&mut self, now: bool) {
        if self.buffer.is_empty() || (!now && self.last_flush.elapsed() < FLUSH_EVERY) {
            return;
        }
        let started = Instant::now();
        self.last_flush = started;
        self.deletes = None;
        let records = std::mem::take(&mut self.buffer);
        self.send(Write::Append(records));
        self.spent += started.elapsed();
    }

    /// Replace the file with the kept ones of `jobs` (each with its
    /// place); each job's [`Job::saved`] then says what the file holds.
    pub(super) fn rewrite<'a>(&mut self, jobs: impl Iterator<Item = (&'a mut Job, Arc<[u32]>)>) {
        let started = Instant::now();
        self.broken.store(false, Ordering::Relaxed);
        self.buffer.clear();
        self.deletes = None;
        let mut file = Vec::new();
        for (job, place) in jobs {
            job.saved = kept(job).then(|| Written::of(job));
            if job.saved.is_some() {
                file.push(Pending::add(job, place));
            }
        }
        self.last_flush = Instant::now();
        self.send(Write::Replace(file));
        self.spent += started.elapsed();
    }

    fn send(&mut self, write: Write) {
        if let Some(tx) = &self.tx
            && tx.send(write).is_err()
        {
            self.tx = None;
        }
    }

    /// Write what is buffered and wait for the writer to finish.
    pub(super) fn close(mut self) {
        self.flush(true);
        self.tx = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// What the writer knows of the file it writes: the live keys and how many
/// records it holds, so it can tell when compacting pays.
#[derive(Default)]
struct FileState {
    live: FxHashSet<u64>,
    records: usize,
}

impl FileState {
    /// Count a record written.
    fn count(&mut self, pending: &Pending) {
        self.records += 1;
        match pending {
            Pending::Add { key, .. } => {
                self.live.insert(*key);
            }
            Pending::Other(record) => match &**record {
                Record::Add { key, .. } => {
                    self.live.insert(*key);
                }
                Record::Del { keys } => {
                    for key in keys {
                        self.live.remove(key);
                    }
                }
                Record::Set { .. } | Record::Place { .. } => {}
            },
        }
    }

    /// The records outnumber the live jobs (see [`COMPACT_AFTER`]).
    fn wants_compacting(&self) -> bool {
        self.records > COMPACT_AFTER && self.records > 2 * self.live.len()
    }
}

/// The writer thread: appends (several at once, one fsync) and rewrites,
/// in order, until the queue drops its sender, and compacts the file when
/// it is mostly dead records. A failure is reported once until a write
/// succeeds again.
fn writer(path: &Path, rx: &mpsc::Receiver<Write>, out: &Outbox, broken: &AtomicBool) {
    let mut file: Option<File> = None;
    let mut state = FileState::default();
    let mut failing = false;
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        batch.extend(rx.try_iter());
        let mut result = Ok(());
        let mut appended = Vec::new();
        for write in batch {
            match write {
                Write::Append(records) => {
                    for record in records {
                        state.count(&record);
                        record.encode(&mut appended);
                    }
                }
                Write::Replace(records) => {
                    if !appended.is_empty() {
                        result = result.and(append(path, &mut file, &appended));
                        appended.clear();
                    }
                    file = None;
                    state = FileState::default();
                    let mut bytes = format!("{JOURNAL_HEADER}\n").into_bytes();
                    for record in records {
                        state.count(&record);
                        record.encode(&mut bytes);
                    }
                    result = result.and(crate::safe_file::write_atomic(path, &bytes));
                }
            }
        }
        if !appended.is_empty() {
            result = result.and(append(path, &mut file, &appended));
        }
        if result.is_ok() && state.wants_compacting() {
            file = None;
            result = compact(path, &mut state);
        }
        match result {
            Ok(()) => failing = false,
            Err(e) => {
                file = None;
                broken.store(true, Ordering::Relaxed);
                if !failing {
                    failing = true;
                    out.send(Event::QueueNotice(format!(
                        "could not save the transfer queue: {e}; it is tried again with the next change: {}",
                        path.display()
                    )));
                }
            }
        }
    }
}

/// Rewrite the journal with only the records of live jobs, in their order
/// (atomically): replaying it gives the same queue. Delete records go (the
/// jobs they name are gone, or added again later on), and so does a line
/// that cannot be read, as reading would skip it.
fn compact(path: &Path, state: &mut FileState) -> std::io::Result<()> {
    let bytes = std::fs::read(path)?;
    let Some(body) = bytes.strip_prefix(JOURNAL_HEADER.as_bytes()) else {
        return Err(std::io::Error::other("the journal lost its header"));
    };
    let mut kept = Vec::with_capacity(body.len() / 2);
    kept.extend_from_slice(JOURNAL_HEADER.as_bytes());
    kept.push(b'\n');
    let mut records = 0;
    for line in body.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        if key_of(line).is_some_and(|key| state.live.contains(&key)) {
            kept.extend_from_slice(line);
            kept.push(b'\n');
            records += 1;
        }
    }
    crate::safe_file::write_atomic(path, &kept)?;
    state.records = records;
    Ok(())
}

/// The key of an add, set or place record (None for a delete, or a line
/// that cannot be read).
fn key_of(line: &[u8]) -> Option<u64> {
    #[derive(serde::Deserialize)]
    struct Keyed {
        key: Option<u64>,
    }
    serde_json::from_slice::<Keyed>(line).ok()?.key
}

/// Append `bytes` to the journal (created with its header when missing)
/// and make them durable.
fn append(path: &Path, file: &mut Option<File>, bytes: &[u8]) -> std::io::Result<()> {
    let f = match file {
        Some(f) => f,
        None => {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            if std::fs::metadata(path).map_or(true, |m| m.len() == 0) {
                // A new file: header and records written whole under
                // another name, then renamed, so the file never exists
                // empty or half written (a reader or a crash could find
                // it so).
                let mut first = format!("{JOURNAL_HEADER}\n").into_bytes();
                first.extend_from_slice(bytes);
                crate::safe_file::write_atomic(path, &first)?;
                *file = Some(OpenOptions::new().append(true).open(path)?);
                return Ok(());
            }
            file.insert(OpenOptions::new().append(true).open(path)?)
        }
    };
    f.write_all(bytes)?;
    f.sync_data()
}

#[cfg(test)]
mod tests {
    use super::super::store::parse;
    use super::*;

    fn add(key: u64, place: u32) -> Pending {
        Pending::Other(Box::new(Record::Add {
            key,
            place: vec![place],
            job: SavedJob {
                direction: Direction::Download,
                source: SavedPath::of(&AnyPath::Remote(format!("/r/{key}").into_bytes())),
                target: SavedPath::of(&AnyPath::Local(format!("/l/{key}").into())),
                is_dir: false,
                size: Some(key),
                failed: false,
                error: None,
                priority: Priority::Normal,
                site: SiteKey {
                    host: "h".into(),
                    port: 21,
                    user: "u".into(),
                },
                limit: None,
            },
        }))
    }

    /// (source, place order, failed, error, priority) of each job, in order.
    fn replayed(bytes: &[u8]) -> Vec<(String, bool, Option<String>, Priority)> {
        let loaded = parse(bytes).unwrap();
        assert_eq!((loaded.damaged, loaded.torn), (0, false));
        loaded
            .jobs
            .iter()
            .map(|j| {
                let Some(AnyPath::Remote(p)) = j.source.path() else {
                    panic!("remote source expected")
                };
                (
                    String::from_utf8(p).unwrap(),
                    j.failed,
                    j.error.clone(),
                    j.priority,
                )
            })
            .collect()
    }

    #[test]
    fn compacting_keeps_exactly_the_queue_the_journal_replays_to() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("queue.json");
        let mut state = FileState::default();
        let mut records = Vec::new();
        for key in 1..=12_000 {
            records.push(add(key, key as u32));
        }
        records.push(Pending::Other(Box::new(Record::Set {
            key: 11_999,
            failed: true,
            error: Some("550 gone".into()),
            priority: Priority::High,
            limit: None,
        })));
        records.push(Pending::Other(Box::new(Record::Place {
            key: 12_000,
            place: vec![0],
        })));
        records.push(Pending::Other(Box::new(Record::Del {
            keys: (1..=11_990).collect(),
        })));
        // Deleted, then added again (a cancelled job retried).
        records.push(add(5, 5));
        let mut bytes = Vec::new();
        for record in records {
            state.count(&record);
            record.encode(&mut bytes);
        }
        let mut file = None;
        append(&path, &mut file, &bytes).unwrap();
        drop(file);
        let before = replayed(&std::fs::read(&path).unwrap());
        assert_eq!(before.len(), 11);
        assert!(state.wants_compacting());

        compact(&path, &mut state).unwrap();
        let after = std::fs::read(&path).unwrap();
        assert_eq!(replayed(&after), before);
        assert_eq!(before[0].0, "/r/12000", "moved to the front");
        assert_eq!(
            before[before.len() - 1],
            (
                "/r/11999".into(),
                true,
                Some("550 gone".into()),
                Priority::High
            )
        );
        // The 11 live jobs' adds (job 5's two: a live key's lines all
        // stay), one set and one move.
        assert_eq!(state.records, 14);
        assert_eq!(after.split(|&b| b == b'\n').count(), 1 + 14 + 1);
        assert!(!state.wants_compacting());
    }
}
