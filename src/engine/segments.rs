//! Segmented downloads, as lftp's `pget -n`: one large file is split into
//! ranges, each fetched on a connection of its own (REST to its start, the
//! RETR ended at its end), all written into one `NAME.part` with
//! positioned writes. This pays when the server or the path caps each
//! connection's rate (vsftpd's `local_max_rate`, a shaped link).
//!
//! Safety of the partial file: the ranges leave holes until every one is
//! complete, so the `.part`'s length says nothing. What is known to be on
//! disk is kept beside it in `NAME.part.segments` (each range's start, end
//! and the bytes flushed so far), written after the `.part` is flushed and
//! before any range starts. A resume with segments continues each range
//! from there; a resume in one stream (or another client's) first cuts the
//! `.part` back to its complete beginning ([`forget_segments`]). The file
//! takes its name only once every range is complete and its length is the
//! server's SIZE.
//!
//! Falls back to one stream (the plain [`download_file`]) when: fewer than
//! two segments are asked for; the server gives no SIZE; it does not list
//! `REST STREAM` in FEAT (RFC 3659: every server that restarts downloads
//! says so); the file is smaller than two segments of [`MIN_SEGMENT`]; the
//! target is not a plain file (a device, a pipe, a link); or no second
//! connection could be opened.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use tokio::io::AsyncReadExt;
use tokio::sync::watch;
use tokio::task::JoinSet;

use super::rate_limit::{RateLimit, Throttled};
use super::transfer::{Existing, Known, download_file, local_error, part_path};
use crate::ftp::{EarlyEnd, FtpError, Session};

/// The smallest range worth a connection of its own: 8 MiB. A file is
/// split into at most `size / MIN_SEGMENT` ranges, so files under 16 MiB go
/// in one stream (lftp's `pget:min-chunk-size` is 1 MiB; a connection's
/// login and data setup cost more than that over a slow link).
pub const MIN_SEGMENT: u64 = 8 << 20;
/// The most segments one file is split into.
pub const MAX_SEGMENTS: usize = 16;
/// Tries after the first for a range whose transfer broke off.
const RANGE_RETRIES: u32 = 3;
/// How often the flushed progress of each range is written down.
const CHECKPOINT_EVERY: Duration = Duration::from_secs(2);
/// The read buffer of each range.
const RANGE_CHUNK: usize = 256 * 1024;
/// The first line of a `.part.segments` file.
const SIDECAR_HEADER: &str = "ferry segments 1";

/// How a download is split.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SegmentPlan {
    /// Connections at most (1: one stream; capped at [`MAX_SEGMENTS`]).
    pub count: usize,
    /// The smallest range (default [`MIN_SEGMENT`]).
    pub min_segment: u64,
    /// How a range's RETR is ended at the range's end.
    pub end: EarlyEnd,
}

impl SegmentPlan {
    pub fn new(count: usize) -> SegmentPlan {
        SegmentPlan {
            count: count.clamp(1, MAX_SEGMENTS),
            min_segment: MIN_SEGMENT,
            end: EarlyEnd::default(),
        }
    }

    /// Ranges for a file of `size` bytes: `count` at most, none smaller
    /// than `min_segment`.
    fn pieces(&self, size: u64) -> usize {
        let by_size = size / self.min_segment.max(1);
        (self.count as u64).min(by_size).max(1) as usize
    }
}

/// `NAME.part.segments`: which ranges of `NAME.part` are on disk.
pub fn sidecar_path(part: &Path) -> PathBuf {
    let mut name = part.file_name().unwrap_or_default().to_os_string();
    name.push(".segments");
    part.with_file_name(name)
}

/// One range of the file: `start..end`, of which `start..done` is written.
#[derive(Debug)]
struct Range {
    start: u64,
    end: u64,
    done: AtomicU64,
}

/// The ranges of a file and the bytes they have on disk, as saved.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Saved {
    size: u64,
    /// (start, end, done) for each range, in order.
    ranges: Vec<(u64, u64, u64)>,
}

impl Saved {
    fn split(size: u64, from: u64, pieces: usize) -> Saved {
        let span = size - from;
        let pieces = pieces.max(1) as u64;
        let ranges = (0..pieces)
            .map(|i| {
                let start = from + span * i / pieces;
                let end = from + span * (i + 1) / pieces;
                (start, end, start)
            })
            .filter(|(s, e, _)| e > s)
            .collect();
        let mut saved = Saved { size, ranges };
        if from > 0 {
            // The complete beginning is a range of its own, already done.
            saved.ranges.insert(0, (0, from, from));
        }
        saved
    }

    fn to_text(&self) -> String {
        let mut out = format!("{SIDECAR_HEADER}\nsize {}\n", self.size);
        for (s, e, d) in &self.ranges {
            out.push_str(&format!("{s} {e} {d}\n"));
        }
        out
    }

    /// Parse a sidecar; None when it is not one, or its ranges do not
    /// cover `0..size` exactly, in order (then it is not trusted).
    fn parse(text: &str) -> Option<Saved> {
        let mut lines = text.lines();
        if lines.next()? != SIDECAR_HEADER {
            return None;
        }
        let size: u64 = lines.next()?.strip_prefix("size ")?.parse().ok()?;
        let mut ranges = Vec::new();
        let mut at = 0;
        for line in lines {
            let mut n = line.split(' ').map(str::parse::<u64>);
            let (s, e, d) = (n.next()?.ok()?, n.next()?.ok()?, n.next()?.ok()?);
            if n.next().is_some() || s != at || e <= s || d < s || d > e {
                return None;
            }
            at = e;
            ranges.push((s, e, d));
        }
        (at == size && !ranges.is_empty()).then_some(Saved { size, ranges })
    }

    /// The bytes from the start of the file that are all on disk.
    fn complete_prefix(&self) -> u64 {
        for (_, e, d) in &self.ranges {
            if d < e {
                return *d;
            }
        }
        self.size
    }
}

/// Before a download in one stream opens `part`: a segmented download
/// left holes in it, so cut it back to the beginning that is known to be
/// complete (when `resume`), and forget the ranges. Without a
/// `.part.segments` beside it, nothing changes. Blocking file work.
pub fn forget_segments(part: &Path, resume: bool) -> std::io::Result<()> {
    let sidecar = sidecar_path(part);
    let text = match std::fs::read_to_string(&sidecar) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    if resume {
        // An unreadable record trusts nothing: start over.
        let keep = Saved::parse(&text).map_or(0, |s| s.complete_prefix());
        if let Ok(f) = std::fs::OpenOptions::new().write(true).open(part) {
            f.set_len(keep)?;
            f.sync_all()?;
        }
    }
    std::fs::remove_file(&sidecar)
}

/// Everything the ranges' workers share.
struct Shared {
    remote: Vec<u8>,
    size: u64,
    ranges: Vec<Range>,
    /// The next range no worker has taken yet.
    next: AtomicUsize,
    file: Arc<std::fs::File>,
    part: PathBuf,
    end: EarlyEnd,
    limit: Option<RateLimit>,
    /// Set when a worker failed for good: the others stop too.
    failed: AtomicBool,
}

impl Shared {
    /// Bytes on disk, from earlier runs too.
    fn written(&self) -> u64 {
        self.ranges
            .iter()
            .map(|r| r.done.load(Ordering::Relaxed) - r.start)
            .sum()
    }

    fn snapshot(&self) -> Saved {
        Saved {
            size: self.size,
            ranges: self
                .ranges
                .iter()
                .map(|r| (r.start, r.end, r.done.load(Ordering::Acquire)))
                .collect(),
        }
    }

    fn take_range(&self) -> Option<&Range> {
        loop {
            let i = self.next.fetch_add(1, Ordering::Relaxed);
            let r = self.ranges.get(i)?;
            if r.done.load(Ordering::Relaxed) < r.end {
                return Some(r);
            }
        }
    }
}

/// Flush the `.part`, then write down what it holds (the snapshot is taken
/// first, so the record never claims more than was flushed).
async fn checkpoint(shared: &Arc<Shared>) -> Result<(), FtpError> {
    let saved = shared.snapshot();
    let shared = shared.clone();
    blocking(move || {
        shared
            .file
            .sync_data()
            .map_err(local_error("writing the download file", &shared.part))?;
        write_sidecar(&shared.part, &saved)
    })
    .await
}

fn write_sidecar(part: &Path, saved: &Saved) -> Result<(), FtpError> {
    let sidecar = sidecar_path(part);
    crate::safe_file::write_atomic(&sidecar, saved.to_text().as_bytes())
        .map_err(local_error("recording the download's progress", &sidecar))
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, FtpError> + Send + 'static,
) -> Result<T, FtpError> {
    tokio::task::spawn_blocking(work).await.unwrap_or_else(|e| {
        Err(FtpError::Local {
            what: "writing the download",
            source: std::io::Error::other(e.to_string()),
            path: String::new(),
        })
    })
}

#[cfg(unix)]
fn write_at(file: &std::fs::File, buf: &[u8], pos: u64) -> std::io::Result<()> {
    use std::os::unix::fs::FileExt;
    file.write_all_at(buf, pos)
}

#[cfg(windows)]
fn write_at(file: &std::fs::File, mut buf: &[u8], mut pos: u64) -> std::io::Result<()> {
    use std::os::windows::fs::FileExt;
    while !buf.is_empty() {
        let n = file.seek_write(buf, pos)?;
        if n == 0 {
            return Err(std::io::ErrorKind::WriteZero.into());
        }
        buf = &buf[n..];
        pos += n as u64;
    }
    Ok(())
}

/// Download `remote` to `target` in up to `plan.count` ranges at once:
/// `session` fetches one and further sessions, opened with its options,
/// the others. Falls back to [`download_file`] in one stream where
/// splitting cannot work or pay (see the module's notes; the log says
/// why). `progress` gets the bytes on disk and the size. Returns the
/// file's size.
#[allow(clippy::too_many_arguments)]
pub async fn download_segmented(
    session: &mut Session,
    plan: SegmentPlan,
    remote: &[u8],
    target: &Path,
    existing: Existing,
    known: Known,
    limit: Option<&RateLimit>,
    progress: &mut (dyn FnMut(u64, Option<u64>) + Send),
) -> Result<u64, FtpError> {
    let one_stream = |why: String, session: &Session| {
        session
            .log()
            .status(format!("Downloading in one stream: {why}"));
    };
    if plan.count < 2 {
        return download_file(session, remote, target, existing, known, limit, progress).await;
    }
    // A link, device or pipe: the plain path knows how to write through it.
    let plain_target = match tokio::fs::symlink_metadata(target).await {
        Ok(m) => m.file_type().is_file(),
        Err(_) => true,
    };
    let size = match known.size {
        Some(n) => Some(n),
        None => session.size(remote).await.ok(),
    };
    let text = session.is_text_transfer(remote).await;
    let why_not = if !plain_target {
        Some("the target is not a plain file".to_string())
    } else if text {
        Some("text (ASCII) transfers convert line ends, so ranges cannot be placed".to_string())
    } else if !session.features().rest_stream() {
        Some("the server does not offer REST STREAM, which ranges need".to_string())
    } else if let Some(size) = size {
        let pieces = plan.pieces(size);
        (pieces < 2).then(|| {
            format!(
                "the file ({size} bytes) is smaller than two segments of {} MiB",
                plan.min_segment >> 20
            )
        })
    } else {
        Some("the server gave no size for the file".to_string())
    };
    let Some(size) = size.filter(|_| why_not.is_none()) else {
        one_stream(why_not.unwrap_or_default(), session);
        let known = Known { size, ..known };
        return download_file(session, remote, target, existing, known, limit, progress).await;
    };
    let part = part_path(target);
    let saved = {
        let (part, target) = (part.clone(), target.to_path_buf());
        let pieces = plan.pieces(size);
        blocking(move || prepare_part(&part, &target, existing, size, pieces)).await?
    };
    // Connections for all ranges not yet complete, the session's included.
    let open_ranges = saved.ranges.iter().filter(|(_, e, d)| d < e).count();
    let wanted = open_ranges.min(plan.count).saturating_sub(1);
    let file = {
        let part = part.clone();
        blocking(move || {
            std::fs::OpenOptions::new()
                .write(true)
                .open(&part)
                .map_err(local_error("opening the download file", &part))
        })
        .await?
    };
    let shared = Arc::new(Shared {
        remote: remote.to_vec(),
        size,
        ranges: saved
            .ranges
            .iter()
            .map(|&(start, end, done)| Range {
                start,
                end,
                done: AtomicU64::new(done),
            })
            .collect(),
        next: AtomicUsize::new(0),
        file: Arc::new(file),
        part: part.clone(),
        end: plan.end,
        limit: limit.cloned(),
        failed: AtomicBool::new(false),
    });
    session.log().status(format!(
        "Downloading in {} ranges on {} connections",
        open_ranges,
        wanted + 1
    ));
    let (stop_tx, stop_rx) = watch::channel(false);
    let cancel = session.cancel_signal();
    let mut workers = JoinSet::new();
    // The further connections log in while this session's range runs
    // already; each takes ranges as soon as it is in.
    for _ in 0..wanted {
        let (shared, mut stop, mut cancel) = (shared.clone(), stop_rx.clone(), cancel.clone());
        let (opts, sink, log) = (
            session.options().clone(),
            session.log_sink(),
            session.log().clone(),
        );
        workers.spawn(async move {
            let connected = tokio::select! {
                r = Session::connect(opts, sink) => r,
                () = stopped(&mut stop, &mut cancel) => return Err(FtpError::Cancelled),
            };
            let mut s = match connected {
                Ok(s) => s,
                Err(e) => {
                    // A server limiting connections per address refuses the
                    // surplus: the connections that are in share its ranges.
                    log.status(format!(
                        "A further connection for a range failed ({e}); the other connections take its range"
                    ));
                    return Ok(());
                }
            };
            let result = fetch_ranges(&mut s, &shared, stop, cancel).await;
            // Quitting is a courtesy; the ranges are already decided.
            let _ = s.quit().await;
            result
        });
    }
    let mut first_error: Option<FtpError> = None;
    let note = |result: Result<(), FtpError>, first_error: &mut Option<FtpError>| {
        if let Err(e) = result {
            shared.failed.store(true, Ordering::Relaxed);
            let _ = stop_tx.send(true);
            // A worker stopped because another failed reports Cancelled:
            // the first real reason wins.
            if first_error
                .as_ref()
                .is_none_or(|f| matches!(f, FtpError::Cancelled))
            {
                *first_error = Some(e);
            }
        }
    };
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    let mut last_checkpoint = tokio::time::Instant::now();
    {
        let main = fetch_ranges(session, &shared, stop_rx.clone(), cancel.clone());
        tokio::pin!(main);
        let mut main_done = false;
        while !main_done || !workers.is_empty() {
            tokio::select! {
                r = &mut main, if !main_done => {
                    main_done = true;
                    note(r, &mut first_error);
                }
                Some(joined) = workers.join_next(), if !workers.is_empty() => {
                    let r = joined.unwrap_or_else(|e| Err(FtpError::Local {
                        what: "downloading a range",
                        source: std::io::Error::other(e.to_string()),
                        path: part.display().to_string(),
                    }));
                    note(r, &mut first_error);
                }
                _ = tick.tick() => {
                    progress(shared.written(), Some(size));
                    if last_checkpoint.elapsed() >= CHECKPOINT_EVERY {
                        last_checkpoint = tokio::time::Instant::now();
                        if let Err(e) = checkpoint(&shared).await {
                            note(Err(e), &mut first_error);
                        }
                    }
                }
            }
        }
    }
    // What is on disk is recorded whatever happened, for a resume.
    let recorded = checkpoint(&shared).await;
    progress(shared.written(), Some(size));
    if let Some(e) = first_error {
        return Err(e);
    }
    recorded?;
    let snapshot = shared.snapshot();
    let got = snapshot.complete_prefix();
    if got != size {
        return Err(FtpError::Incomplete {
            got,
            expected: size,
            path: part.display().to_string(),
        });
    }
    let mtime = match known.modified {
        Some(t) => Some(t),
        None => session.mdtm(remote).await.ok(),
    };
    let target_buf = target.to_path_buf();
    blocking(move || {
        let len = shared
            .file
            .metadata()
            .map_err(local_error("checking the download file", &shared.part))?
            .len();
        if len != size {
            return Err(FtpError::Incomplete {
                got: len.min(size),
                expected: size,
                path: shared.part.display().to_string(),
            });
        }
        if let Some(t) = mtime {
            // The time is a courtesy; the data is already safe.
            let _ = shared.file.set_modified(t.and_utc().into());
        }
        std::fs::rename(&shared.part, &target_buf)
            .map_err(local_error("renaming the finished download", &target_buf))?;
        // Only now: until the rename, the record says what the .part holds.
        let _ = std::fs::remove_file(sidecar_path(&shared.part));
        Ok(())
    })
    .await?;
    Ok(size)
}

/// Make `part` ready for ranges and return them: fresh, or continued from
/// its record (a resume whose record matches the server's size), or from
/// its complete beginning (a `.part` from a download in one stream). The
/// record is written before any range starts.
fn prepare_part(
    part: &Path,
    target: &Path,
    existing: Existing,
    size: u64,
    pieces: usize,
) -> Result<Saved, FtpError> {
    if std::fs::symlink_metadata(part).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(FtpError::Local {
            what: "writing the download",
            source: std::io::Error::other(
                "the partial file is a symbolic link; remove it, Ferry will not write through it",
            ),
            path: part.display().to_string(),
        });
    }
    let sidecar = sidecar_path(part);
    let mut saved = None;
    if existing == Existing::Resume {
        if !part.exists() && target.exists() {
            std::fs::rename(target, part)
                .map_err(local_error("moving the partial file aside", target))?;
        }
        let record = std::fs::read_to_string(&sidecar)
            .ok()
            .and_then(|t| Saved::parse(&t));
        match record {
            Some(r) if r.size == size && part.exists() => saved = Some(r),
            Some(_) => {
                // The file changed on the server: its ranges are worthless.
                let _ = std::fs::remove_file(part);
            }
            None => {
                let have = std::fs::metadata(part).map(|m| m.len()).unwrap_or(0);
                if have > size {
                    return Err(FtpError::Local {
                        what: "resuming",
                        source: std::io::Error::other(format!(
                            "the local file is larger ({have} bytes) than the remote one ({size}); remove it to download again"
                        )),
                        path: part.display().to_string(),
                    });
                }
                if have > 0 {
                    saved = Some(Saved::split(size, have, pieces));
                }
            }
        }
    }
    let fresh = saved.is_none();
    let saved = saved.unwrap_or_else(|| Saved::split(size, 0, pieces));
    let file = std::fs::OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(fresh)
        .open(part)
        .map_err(local_error("creating the download file", part))?;
    file.sync_all()
        .map_err(local_error("creating the download file", part))?;
    write_sidecar(part, &saved)?;
    Ok(saved)
}

/// Take ranges until none is left, fetching each (with retries).
async fn fetch_ranges(
    s: &mut Session,
    shared: &Shared,
    stop: watch::Receiver<bool>,
    cancel: Option<watch::Receiver<bool>>,
) -> Result<(), FtpError> {
    while let Some(range) = shared.take_range() {
        if shared.failed.load(Ordering::Relaxed) {
            return Err(FtpError::Cancelled);
        }
        fetch_range(s, shared, range, stop.clone(), cancel.clone()).await?;
    }
    Ok(())
}

/// Fetch one range, resuming it from where it stopped after a failure of
/// the data or control connection (reconnecting when needed), up to
/// [`RANGE_RETRIES`] times. A refusal (5xx), a local error or a cancel
/// ends it at once.
async fn fetch_range(
    s: &mut Session,
    shared: &Shared,
    range: &Range,
    mut stop: watch::Receiver<bool>,
    mut cancel: Option<watch::Receiver<bool>>,
) -> Result<(), FtpError> {
    let mut tries = 0;
    loop {
        let result = if s.is_connected() {
            fetch_once(s, shared, range, &mut stop, &mut cancel).await
        } else {
            s.reconnect().await
        };
        let e = match result {
            Ok(()) if range.done.load(Ordering::Relaxed) >= range.end => return Ok(()),
            // Reconnected: fetch from where the range stopped.
            Ok(()) => continue,
            Err(e) => e,
        };
        let final_error = matches!(e, FtpError::Cancelled | FtpError::Local { .. })
            || e.reply_code().is_some_and(|c| c >= 500);
        if final_error || tries >= RANGE_RETRIES || shared.failed.load(Ordering::Relaxed) {
            return Err(e);
        }
        tries += 1;
        s.log().error(format!(
            "Range {}-{} stopped at {} ({e}); trying again ({tries} of {RANGE_RETRIES})",
            range.start,
            range.end,
            range.done.load(Ordering::Relaxed)
        ));
        let pause = Duration::from_secs(1 << (tries - 1).min(3));
        tokio::select! {
            () = tokio::time::sleep(pause) => {}
            () = stopped(&mut stop, &mut cancel) => return Err(FtpError::Cancelled),
        }
    }
}

/// Until the user cancels or another range failed for good.
async fn stopped(stop: &mut watch::Receiver<bool>, cancel: &mut Option<watch::Receiver<bool>>) {
    let user = async {
        match cancel {
            // A dropped sender can no longer cancel: wait forever.
            Some(rx) => {
                if rx.wait_for(|c| *c).await.is_err() {
                    std::future::pending::<()>().await;
                }
            }
            None => std::future::pending().await,
        }
    };
    let others = async {
        if stop.wait_for(|c| *c).await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    tokio::select! {
        () = user => {}
        () = others => {}
    }
}

/// Why a range's read loop stopped early.
enum Stop {
    /// Reading the data connection failed.
    Read(std::io::Error),
    /// Cancelled, or writing the file failed.
    Failed(FtpError),
}

/// One RETR from where the range stands to its end.
async fn fetch_once(
    s: &mut Session,
    shared: &Shared,
    range: &Range,
    stop: &mut watch::Receiver<bool>,
    cancel: &mut Option<watch::Receiver<bool>>,
) -> Result<(), FtpError> {
    let mut pos = range.done.load(Ordering::Relaxed);
    let mut data = s.retrieve(&shared.remote, pos).await?;
    let mut buf = vec![0u8; RANGE_CHUNK];
    let failure = {
        let mut reader = Throttled::new(
            tokio::io::BufReader::with_capacity(RANGE_CHUNK, &mut data),
            shared.limit.clone(),
        );
        loop {
            if pos >= range.end {
                break None;
            }
            let want = ((range.end - pos) as usize).min(buf.len());
            let read = tokio::select! {
                r = reader.read(&mut buf[..want]) => r,
                () = stopped(stop, cancel) => break Some(Stop::Failed(FtpError::Cancelled)),
            };
            let n = match read {
                Ok(0) => break None,
                Ok(n) => n,
                Err(e) => break Some(Stop::Read(e)),
            };
            let file = shared.file.clone();
            let chunk = std::mem::take(&mut buf);
            let written = tokio::task::spawn_blocking(move || {
                let r = write_at(&file, &chunk[..n], pos);
                (chunk, r)
            })
            .await
            .unwrap_or_else(|e| (Vec::new(), Err(std::io::Error::other(e.to_string()))));
            match written {
                (chunk, Ok(())) => buf = chunk,
                (_, Err(source)) => {
                    break Some(Stop::Failed(FtpError::Local {
                        what: "writing the download file",
                        source,
                        path: shared.part.display().to_string(),
                    }));
                }
            }
            pos += n as u64;
            range.done.store(pos, Ordering::Release);
        }
    };
    match failure {
        Some(stop) => {
            let err = match stop {
                Stop::Read(e) => data.error(e),
                Stop::Failed(e) => e,
            };
            s.abort_transfer(data).await?;
            Err(err)
        }
        None if pos < range.end => {
            // The server ended the data early: its reply says why.
            s.finish_transfer(data).await?;
            Err(FtpError::Incomplete {
                got: pos,
                expected: range.end,
                path: shared.part.display().to_string(),
            })
        }
        None if range.end == shared.size => s.finish_transfer(data).await,
        None => s.end_transfer_early(data, shared.end).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_splits_into_ranges_no_smaller_than_the_minimum() {
        let plan = SegmentPlan::new(4);
        assert_eq!(plan.pieces(MIN_SEGMENT * 2 - 1), 1);
        assert_eq!(plan.pieces(MIN_SEGMENT * 2), 2);
        assert_eq!(plan.pieces(MIN_SEGMENT * 100), 4);
        assert_eq!(SegmentPlan::new(99).count, MAX_SEGMENTS);
        let s = Saved::split(100, 0, 3);
        assert_eq!(s.ranges, [(0, 33, 0), (33, 66, 33), (66, 100, 66)]);
        let s = Saved::split(100, 40, 2);
        assert_eq!(s.ranges, [(0, 40, 40), (40, 70, 40), (70, 100, 70)]);
    }

    #[test]
    fn the_record_round_trips_and_a_doubtful_one_is_refused() {
        let s = Saved {
            size: 100,
            ranges: vec![(0, 50, 50), (50, 100, 70)],
        };
        assert_eq!(Saved::parse(&s.to_text()), Some(s.clone()));
        assert_eq!(s.complete_prefix(), 70);
        let holes = Saved {
            size: 100,
            ranges: vec![(0, 50, 10), (50, 100, 100)],
        };
        assert_eq!(
            holes.complete_prefix(),
            10,
            "bytes after a hole do not count"
        );
        for bad in [
            "",
            "ferry segments 1\nsize 100\n0 50 50\n",
            "ferry segments 1\nsize 100\n0 50 60\n50 100 50\n",
            "ferry segments 1\nsize 100\n0 50 50\n60 100 60\n",
            "something else\nsize 100\n0 100 0\n",
        ] {
            assert_eq!(Saved::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn a_one_stream_resume_cuts_a_segmented_part_back_to_its_complete_beginning() {
        let dir = tempfile::tempdir().unwrap();
        let part = dir.path().join("f.part");
        std::fs::write(&part, vec![7u8; 100]).unwrap();
        let s = Saved {
            size: 100,
            ranges: vec![(0, 50, 30), (50, 100, 100)],
        };
        std::fs::write(sidecar_path(&part), s.to_text()).unwrap();
        forget_segments(&part, true).unwrap();
        assert_eq!(std::fs::metadata(&part).unwrap().len(), 30);
        assert!(!sidecar_path(&part).exists());
        // Without a record nothing changes.
        forget_segments(&part, true).unwrap();
        assert_eq!(std::fs::metadata(&part).unwrap().len(), 30);
    }
}
