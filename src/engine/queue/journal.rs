//! Saving the queue as it changes: each change to a kept job (pending or
//! failed) becomes one journal record, buffered and handed to a writer
//! thread at most twice a second, which encodes, appends and fsyncs it (the
//! queue's own task only copies what changed). Nothing here
//! costs more as the queue grows, except the rewrite of the whole file,
//! which happens only when the records outnumber the live jobs (so it is
//! paid for by the records before it). A crash loses at most the records
//! of the last half second or so (the last of them perhaps cut short,
//! which reading skips).

use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rustc_hash::FxHashMap;

use super::super::Outbox;
use super::super::protocol::{AnyPath, Direction, Event, Priority};
use super::SiteKey;
use super::jobs::Job;
use super::store::{JOURNAL_HEADER, Record, SavedJob, SavedPath, line};

/// Records are handed to the writer at most this often.
pub(super) const FLUSH_EVERY: Duration = Duration::from_millis(500);
/// The file is rewritten once it holds more than this many records and
/// more than twice as many as there are live jobs.
const COMPACT_AFTER: usize = 10_000;

/// What was last written of a kept job: a record follows only when this changes.
#[derive(Clone, Copy, PartialEq)]
struct Written {
    failed: bool,
    priority: Priority,
    /// A hash of the error of a failed job (its text is in the file).
    error: u64,
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
        }
    }
}

/// A record as the queue hands it over: a new job is a copy of its view,
/// encoded (paths percent-encoded, JSON) on the writer's thread.
enum Pending {
    Add {
        key: u64,
        place: Vec<u32>,
        job: Box<Copied>,
    },
    Other(Record),
}

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
}

impl Pending {
    fn add(job: &Job, place: Vec<u32>) -> Pending {
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
            }),
        }
    }

    fn encode(self, out: &mut Vec<u8>) {
        let record = match self {
            Pending::Add { key, place, job } => Record::Add {
                key,
                place,
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
                },
            },
            Pending::Other(record) => record,
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
    last_flush: Instant,
    /// Records in the file (and buffer) since it was last rewritten.
    records: usize,
    /// Every kept job in the file, by id.
    written: FxHashMap<u64, Written>,
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
            last_flush: Instant::now(),
            records: 0,
            written: FxHashMap::default(),
            broken,
            spent: Duration::ZERO,
        }
    }

    /// Record what changed of `job` (nothing when nothing kept changed).
    /// The caller adds the time to `spent` (once per batch of jobs).
    pub(super) fn note(&mut self, job: &Job, place: impl FnOnce() -> Vec<u32>) {
        let id = job.view.id;
        let now = kept(job).then(|| Written::of(job));
        match (self.written.get(&id).copied(), now) {
            (None, Some(w)) => {
                self.push(Pending::add(job, place()));
                self.written.insert(id, w);
            }
            (Some(before), Some(w)) if before != w => {
                self.push_record(Record::Set {
                    key: id,
                    failed: w.failed,
                    error: job.view.error.clone().filter(|_| w.failed),
                    priority: w.priority,
                });
                self.written.insert(id, w);
            }
            (Some(_), None) => {
                self.written.remove(&id);
                self.push_record(Record::Del { keys: vec![id] });
            }
            _ => {}
        }
    }

    /// Jobs left the queue.
    pub(super) fn forget(&mut self, ids: &[u64]) {
        let started = Instant::now();
        let keys: Vec<u64> = ids
            .iter()
            .copied()
            .filter(|id| self.written.remove(id).is_some())
            .collect();
        if !keys.is_empty() {
            self.push_record(Record::Del { keys });
        }
        self.spent += started.elapsed();
    }

    /// A kept job moved to `place`.
    pub(super) fn moved(&mut self, id: u64, place: Vec<u32>) {
        if self.written.contains_key(&id) {
            self.push_record(Record::Place { key: id, place });
        }
    }

    fn push_record(&mut self, record: Record) {
        self.push(Pending::Other(record));
    }

    fn push(&mut self, pending: Pending) {
        self.buffer.push(pending);
        self.records += 1;
    }

    /// Whether records wait to be written.
    pub(super) fn has_pending(&self) -> bool {
        !self.buffer.is_empty()
    }

    /// Whether the file should be rewritten (see [`COMPACT_AFTER`]).
    pub(super) fn wants_rewrite(&self) -> bool {
        (self.records > COMPACT_AFTER && self.records > 2 * self.written.len())
            || self.broken.load(Ordering::Relaxed)
    }

    /// Hand the buffered records to the writer when `FLUSH_EVERY` has
    /// passed since the last time (`now`: whatever the time).
    pub(super) fn flush(&mut self, now: bool) {
        if self.buffer.is_empty() || (!now && self.last_flush.elapsed() < FLUSH_EVERY) {
            return;
        }
        let started = Instant::now();
        self.last_flush = started;
        let records = std::mem::take(&mut self.buffer);
        self.send(Write::Append(records));
        self.spent += started.elapsed();
    }

    /// Replace the file with the kept ones of `jobs` (each with its place).
    pub(super) fn rewrite<'a>(&mut self, jobs: impl Iterator<Item = (&'a Job, Vec<u32>)>) {
        let started = Instant::now();
        self.broken.store(false, Ordering::Relaxed);
        self.buffer.clear();
        self.written.clear();
        self.records = 0;
        let mut file = Vec::new();
        for (job, place) in jobs.filter(|(j, _)| kept(j)) {
            file.push(Pending::add(job, place));
            self.written.insert(job.view.id, Written::of(job));
            self.records += 1;
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

/// The writer thread: appends (several at once, one fsync) and rewrites,
/// in order, until the queue drops its sender. A failure is reported once
/// until a write succeeds again.
fn writer(path: &Path, rx: &mpsc::Receiver<Write>, out: &Outbox, broken: &AtomicBool) {
    let mut file: Option<File> = None;
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
                        record.encode(&mut appended);
                    }
                }
                Write::Replace(records) => {
                    if !appended.is_empty() {
                        result = result.and(append(path, &mut file, &appended));
                        appended.clear();
                    }
                    file = None;
                    let mut bytes = format!("{JOURNAL_HEADER}\n").into_bytes();
                    for record in records {
                        record.encode(&mut bytes);
                    }
                    result = result.and(crate::safe_file::write_atomic(path, &bytes));
                }
            }
        }
        if !appended.is_empty() {
            result = result.and(append(path, &mut file, &appended));
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

/// Append `bytes` to the journal (created with its header when missing)
/// and make them durable.
fn append(path: &Path, file: &mut Option<File>, bytes: &[u8]) -> std::io::Result<()> {
    let f = match file {
        Some(f) => f,
        None => {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            let f = OpenOptions::new().create(true).append(true).open(path)?;
            if f.metadata()?.len() == 0 {
                // A new file: header and records in one write.
                let mut first = format!("{JOURNAL_HEADER}\n").into_bytes();
                first.extend_from_slice(bytes);
                let f = file.insert(f);
                f.write_all(&first)?;
                return f.sync_all();
            }
            file.insert(f)
        }
    };
    f.write_all(bytes)?;
    f.sync_data()
}
