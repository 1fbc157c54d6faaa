//! One queue job on its own connection: tries and retries (resuming with
//! REST), the answer to an existing target, and folders listed into jobs.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use tokio::sync::{mpsc, watch};

use super::caps::too_many_connections;
use super::{Child, Outcome, QueueMsg, child_of};
use crate::engine::existing::{self, Found, Verdict};
use crate::engine::protocol::{AnyPath, Conflict, Direction, JobState, OnExisting};
use crate::engine::rate_limit::RateLimit;
use crate::engine::remote_path::{is_plain_name, join};
use crate::engine::segments::{SegmentPlan, download_segmented};
use crate::engine::transfer::{Existing, Known, part_path, safe_local_name, upload_file};
use crate::ftp::listing::parse_listing;
use crate::ftp::log::SharedLog;
use crate::ftp::{ConnectOptions, EntryKind, FtpError, ListingFormat, Session};

/// The longest pause between two tries of a job.
const MAX_BACKOFF: Duration = Duration::from_secs(8);
/// How long a stopped job may take to send ABOR and get back in step before
/// its connection is dropped instead.
const STOP_GRACE: Duration = Duration::from_secs(3);

/// The pause before try number `retry + 1`: `base`, doubling, at most 8 s.
fn backoff_delay(base: Duration, retry: u32) -> Duration {
    base.saturating_mul(1 << retry.saturating_sub(1).min(16))
        .min(MAX_BACKOFF.max(base))
}

/// Whether trying again may help: connection trouble, timeouts, an
/// incomplete file, or a temporary (4xx) refusal. A permanent refusal, a
/// local failure (disk full, no permission) or a cancel is final.
fn retriable(e: &FtpError) -> bool {
    match e {
        FtpError::Resolve { .. }
        | FtpError::Io { .. }
        | FtpError::Timeout { .. }
        | FtpError::Tls { .. }
        | FtpError::ControlClosed { .. }
        | FtpError::Protocol { .. }
        | FtpError::OutOfStep { .. }
        | FtpError::Incomplete { .. }
        // A retry resumes, and resumed transfers go in stream mode.
        | FtpError::DataFormat { .. } => true,
        // vsftpd's "500 OOPS: …" is its session process failing (e.g.
        // `priv_sock_get_int` after thousands of transfers on one session):
        // the connection is gone, a new one works.
        FtpError::Reply { code, text, .. } => (400..500).contains(code) || session_died(text),
        FtpError::Login { code, .. } => (400..500).contains(code),
        FtpError::InvalidArgument { .. }
        | FtpError::UntrustedCertificate { .. }
        | FtpError::Busy
        | FtpError::Cancelled
        // Both modes were tried: trying again the same way will not help.
        | FtpError::DataBlocked { .. }
        // A proxy that refuses (a login, active mode) refuses again.
        | FtpError::Proxy { .. }
        | FtpError::Local { .. } => false,
    }
}

/// Whether the server's end of the session is gone: its process died
/// (vsftpd's "OOPS", after which it closes the connection), it closed the
/// control connection, or reset it (a server that closes with our next
/// command still unread in its buffer resets instead). A new connection is
/// then the whole remedy.
fn server_hung_up(e: &FtpError) -> bool {
    use std::io::ErrorKind::{BrokenPipe, ConnectionAborted, ConnectionReset};
    match e {
        FtpError::Reply { text, .. } => session_died(text),
        FtpError::ControlClosed { .. } => true,
        FtpError::Io {
            channel: crate::ftp::Channel::Control,
            source,
            ..
        } => matches!(
            source.kind(),
            ConnectionReset | ConnectionAborted | BrokenPipe
        ),
        _ => false,
    }
}

/// A reply text saying the server's session process died (vsftpd's
/// "OOPS", after which it closes the connection).
fn session_died(text: &str) -> bool {
    text.starts_with("OOPS:")
}

/// One job on its own connection.
pub(super) struct Worker {
    pub(super) id: u64,
    pub(super) source: AnyPath,
    pub(super) target: AnyPath,
    pub(super) is_dir: bool,
    /// What to do when the target exists.
    pub(super) policy: OnExisting,
    /// Continue from what is there (retried, paused or restored).
    pub(super) resume: bool,
    /// What the listing said about the source (first try only).
    pub(super) known: Known,
    pub(super) retries: u32,
    pub(super) backoff: Duration,
    /// The queue's speed limit, shared with every other worker.
    pub(super) rate_limit: Option<RateLimit>,
    pub(super) options: ConnectOptions,
    pub(super) log: SharedLog,
    /// Turns true when the job is to stop (paused or cancelled).
    pub(super) stop: watch::Receiver<bool>,
    /// Bytes moved so far, read by the queue for progress.
    pub(super) bytes: Arc<AtomicU64>,
    pub(super) tx: mpsc::UnboundedSender<QueueMsg>,
}

async fn stopped(stop: &mut watch::Receiver<bool>) {
    if stop.wait_for(|s| *s).await.is_err() {
        std::future::pending::<()>().await;
    }
}

impl Worker {
    /// Run the job, trying again after interruptions (resuming), and hand
    /// back the session when it is still usable.
    pub(super) async fn run(self, mut session: Option<Session>) -> (Outcome, Option<Session>) {
        let mut stop = self.stop.clone();
        let tries = self.retries + 1;
        let mut last_error = String::new();
        // The server's session ended under the last try (vsftpd's "OOPS",
        // or it hung up): a new connection works at once, nothing to wait
        // for. Once per job, so a server that keeps failing still gets the
        // back-off, and so does one that refuses the new connection.
        let (mut died_last, mut retried_at_once) = (false, false);
        for attempt in 1..=tries {
            if attempt > 1 {
                let _ = self.tx.send(QueueMsg::Retrying {
                    id: self.id,
                    attempt,
                    error: last_error.clone(),
                });
                let at_once = died_last && !retried_at_once;
                retried_at_once |= at_once;
                let delay = if at_once {
                    Duration::ZERO
                } else {
                    backoff_delay(self.backoff, attempt - 1)
                };
                tokio::select! {
                    () = tokio::time::sleep(delay) => {}
                    () = stopped(&mut stop) => return (Outcome::Stopped, session),
                }
            }
            let mut s = match session.take().filter(Session::is_connected) {
                Some(s) => s,
                None => {
                    let connect = Session::connect(self.options.clone(), self.log.clone());
                    let result = tokio::select! {
                        r = connect => r,
                        () = stopped(&mut stop) => return (Outcome::Stopped, None),
                    };
                    match result {
                        Ok(s) => {
                            let _ = self.tx.send(QueueMsg::Connected { id: self.id });
                            s
                        }
                        // The server allows no more connections, and the
                        // queue keeps to fewer: back to the queue, no try used.
                        Err(e) if too_many_connections(&e) && self.queue_keeps_fewer().await => {
                            return (Outcome::Requeue, None);
                        }
                        Err(e) if retriable(&e) => {
                            last_error = e.to_string();
                            died_last = false;
                            continue;
                        }
                        Err(e) => return (Outcome::Failed(e.to_string()), None),
                    }
                }
            };
            s.set_cancel(Some(self.stop.clone()));
            let resume = self.resume || attempt > 1;
            let result = {
                let work = self.attempt(&mut s, resume);
                tokio::pin!(work);
                tokio::select! {
                    biased;
                    r = &mut work => Some(r),
                    () = stopped(&mut stop) => tokio::time::timeout(STOP_GRACE, &mut work).await.ok(),
                }
            };
            s.set_cancel(None);
            let Some(result) = result else {
                // It did not stop in time: the session is mid-command.
                return (Outcome::Stopped, None);
            };
            let e = match result {
                Ok(outcome) => return (outcome, Some(s)),
                Err(FtpError::Cancelled) => return (Outcome::Stopped, Some(s)),
                Err(e) => e,
            };
            let died = matches!(&e, FtpError::Reply { text, .. } if session_died(text));
            died_last = server_hung_up(&e);
            let keep = (!e.is_fatal_to_session() && !died).then_some(s);
            if *stop.borrow() {
                return (Outcome::Stopped, keep);
            }
            if !retriable(&e) {
                return (Outcome::Failed(e.to_string()), keep);
            }
            last_error = e.to_string();
            session = keep;
        }
        let message = if tries > 1 {
            format!("{last_error} (gave up after {tries} tries)")
        } else {
            last_error
        };
        (Outcome::Failed(message), session)
    }

    /// Ask the queue whether it takes this job's "too many connections"
    /// refusal as the server's limit (other connections to it are open).
    async fn queue_keeps_fewer(&self) -> bool {
        let (answer, keeps) = tokio::sync::oneshot::channel();
        let asked = self.tx.send(QueueMsg::TooMany {
            id: self.id,
            answer,
        });
        asked.is_ok() && keeps.await.unwrap_or(false)
    }

    async fn attempt(&self, s: &mut Session, resume: bool) -> Result<Outcome, FtpError> {
        match (&self.source, &self.target, self.is_dir) {
            (AnyPath::Remote(src), AnyPath::Local(dst), true) => expand_remote(s, src, dst).await,
            (AnyPath::Local(src), AnyPath::Remote(dst), true) => expand_local(s, src, dst).await,
            (AnyPath::Remote(src), AnyPath::Local(dst), false) => {
                self.download(s, src, dst, resume).await
            }
            (AnyPath::Local(src), AnyPath::Remote(dst), false) => {
                self.upload(s, src, dst, resume).await
            }
            _ => Ok(Outcome::Failed(
                "a transfer must go between the local and remote sides".into(),
            )),
        }
    }

    fn progress(&self) -> impl FnMut(u64, Option<u64>) + Send + use<> {
        let bytes = self.bytes.clone();
        let tx = self.tx.clone();
        let id = self.id;
        let mut announced = false;
        move |n, total| {
            bytes.store(n, Ordering::Relaxed);
            if !announced {
                announced = true;
                let _ = tx.send(QueueMsg::Started { id, size: total });
            }
        }
    }

    async fn download(
        &self,
        s: &mut Session,
        src: &[u8],
        dst: &Path,
        resume: bool,
    ) -> Result<Outcome, FtpError> {
        let mut target = dst.to_path_buf();
        let mut existing = if resume {
            Existing::Resume
        } else {
            Existing::Overwrite
        };
        // Overwriting needs no look first: the rename replaces what is there.
        let look = !resume && self.policy != OnExisting::Overwrite;
        let found = if look {
            existing::look_local(&target).await
        } else {
            Found::Nothing
        };
        if found != Found::Nothing {
            let compare = matches!(found, Found::File { .. }) && existing::compares(self.policy);
            let (source_size, source_time) = if compare {
                (s.size(src).await.ok(), s.mdtm(src).await.ok())
            } else {
                (None, None)
            };
            let facts = Facts {
                source: AnyPath::Remote(src.to_vec()),
                target: AnyPath::Local(target.clone()),
                source_size,
                source_time,
                found,
            };
            match self.decision(facts, Direction::Download) {
                Decision::Go(e) => existing = e,
                Decision::Rename => target = free_local_name(&target),
                Decision::Stop(outcome) => return Ok(outcome),
            }
        }
        let mut progress = self.progress();
        // A retry or resume asks the server again: the listing may be stale.
        let known = if resume { Known::default() } else { self.known };
        // A session taken from the idle ones may predate the settings.
        let segments = SegmentPlan::new(self.options.segments.max(1).into());
        let bytes = download_segmented(
            s,
            segments,
            src,
            &target,
            existing,
            known,
            self.rate_limit.as_ref(),
            &mut progress,
        )
        .await?;
        Ok(Outcome::Done {
            target: AnyPath::Local(target),
            bytes,
        })
    }

    async fn upload(
        &self,
        s: &mut Session,
        src: &Path,
        dst: &[u8],
        resume: bool,
    ) -> Result<Outcome, FtpError> {
        let mut target = dst.to_vec();
        let mut existing = if resume {
            Existing::Resume
        } else {
            Existing::Overwrite
        };
        let look = !resume && self.policy != OnExisting::Overwrite;
        if look && let Some(remote_size) = remote_size(s, &target).await? {
            let meta = tokio::fs::metadata(src).await.ok();
            let facts = Facts {
                source: AnyPath::Local(src.to_path_buf()),
                target: AnyPath::Remote(target.clone()),
                source_size: meta.as_ref().map(|m| m.len()),
                source_time: meta.and_then(|m| m.modified().ok()).map(naive_utc),
                found: Found::File {
                    size: Some(remote_size),
                    modified: s.mdtm(&target).await.ok(),
                },
            };
            match self.decision(facts, Direction::Upload) {
                Decision::Go(e) => existing = e,
                Decision::Rename => target = free_remote_name(s, &target).await?,
                Decision::Stop(outcome) => return Ok(outcome),
            }
        }
        let mut progress = self.progress();
        let bytes = upload_file(
            s,
            src,
            &target,
            existing,
            self.rate_limit.as_ref(),
            &mut progress,
        )
        .await?;
        Ok(Outcome::Done {
            target: AnyPath::Remote(target),
            bytes,
        })
    }

    /// What to do with an existing target, from what is known of both
    /// copies: the rule the command line follows too.
    fn decision(&self, f: Facts, direction: Direction) -> Decision {
        let source = existing::Source {
            size: f.source_size,
            modified: f.source_time,
        };
        match existing::decide(self.policy, f.found, source) {
            Verdict::Go(e) => Decision::Go(e),
            Verdict::Rename => Decision::Rename,
            Verdict::Skip(why) => Decision::Stop(Outcome::Skipped(why)),
            Verdict::Refuse(why) => {
                Decision::Stop(Outcome::Failed(format!("{why}: {}", f.target.display())))
            }
            Verdict::Ask => {
                let (target_size, target_time) = match f.found {
                    Found::File { size, modified } => (size, modified),
                    _ => (None, None),
                };
                Decision::Stop(Outcome::Ask(Box::new(Conflict {
                    id: self.id,
                    direction,
                    source: f.source,
                    target: f.target,
                    source_size: f.source_size,
                    source_time: f.source_time,
                    target_size,
                    target_time,
                })))
            }
        }
    }
}

struct Facts {
    source: AnyPath,
    target: AnyPath,
    source_size: Option<u64>,
    source_time: Option<chrono::NaiveDateTime>,
    found: Found,
}

enum Decision {
    Go(Existing),
    Rename,
    Stop(Outcome),
}

fn naive_utc(t: SystemTime) -> chrono::NaiveDateTime {
    chrono::DateTime::<chrono::Utc>::from(t).naive_utc()
}

/// The remote file's size, or None when there is no such file.
async fn remote_size(s: &mut Session, path: &[u8]) -> Result<Option<u64>, FtpError> {
    match s.size(path).await {
        Ok(n) => Ok(Some(n)),
        Err(e) if e.is_fatal_to_session() => Err(e),
        // 550 (no such file) or a server without SIZE: nothing to compare.
        Err(_) => Ok(None),
    }
}

/// `NAME (1).ext`, `NAME (2).ext`, … : the first name free beside `path`
/// (a `.part` counts as taken).
fn free_local_name(path: &Path) -> PathBuf {
    for n in 1.. {
        let candidate = path.with_file_name(numbered(
            &path.file_name().unwrap_or_default().to_string_lossy(),
            n,
        ));
        if !candidate.exists() && !part_path(&candidate).exists() {
            return candidate;
        }
    }
    unreachable!("the loop above only ends by returning")
}

/// `NAME (1).ext`, `NAME (2).ext`, …: the first name free on the server
/// beside `path` (the queue's "keep both", and edit in place's).
pub(crate) async fn free_remote_name(s: &mut Session, path: &[u8]) -> Result<Vec<u8>, FtpError> {
    let (dir, name) = match path.iter().rposition(|&b| b == b'/') {
        Some(i) => (&path[..=i], &path[i + 1..]),
        None => (&path[..0], path),
    };
    let name = String::from_utf8_lossy(name).into_owned();
    for n in 1..1000 {
        let candidate = [dir, numbered(&name, n).as_bytes()].concat();
        if remote_size(s, &candidate).await?.is_none() {
            return Ok(candidate);
        }
    }
    Err(FtpError::Local {
        what: "finding a free name",
        source: std::io::Error::other("999 numbered copies exist already"),
        path: String::from_utf8_lossy(path).into_owned(),
    })
}

/// `report.pdf` → `report (2).pdf`; `archive.tar.gz` → `archive (2).tar.gz`.
fn numbered(name: &str, n: u32) -> String {
    let split = name
        .char_indices()
        .skip(1)
        .find(|&(_, c)| c == '.')
        .map(|(i, _)| i)
        .unwrap_or(name.len());
    format!("{} ({n}){}", &name[..split], &name[split..])
}

/// List a remote folder into jobs, creating the local folder. Names that
/// could escape the target folder are refused; links are not followed.
async fn expand_remote(s: &mut Session, src: &[u8], dst: &Path) -> Result<Outcome, FtpError> {
    if let Ok(meta) = tokio::fs::symlink_metadata(dst).await {
        if meta.file_type().is_symlink() {
            return Ok(Outcome::Failed(format!(
                "refusing to write through a symbolic link in the target folder: {}",
                dst.display()
            )));
        }
        if !meta.is_dir() {
            return Ok(Outcome::Failed(format!(
                "a file with this name is in the way of the folder: {}",
                dst.display()
            )));
        }
    }
    tokio::fs::create_dir_all(dst)
        .await
        .map_err(|source| FtpError::Local {
            what: "creating the folder",
            source,
            path: dst.display().to_string(),
        })?;
    let (format, raw) = s.list_raw(Some(src)).await?;
    let mut entries = parse_listing(&raw, format, chrono::Local::now().naive_local());
    // MLSD times are exact UTC; LIST times are rounded and local: ask MDTM.
    let exact_times = format == ListingFormat::Mlsd;
    entries.sort_by(|a, b| (a.is_dir(), &a.name).cmp(&(b.is_dir(), &b.name)));
    let target_dir = AnyPath::Local(dst.to_path_buf());
    let charset = s.options().charset;
    let mut children = Vec::new();
    for e in entries {
        let source = AnyPath::Remote(join(src, &e.name));
        if !is_plain_name(&e.name) || safe_local_name(&e.name, &charset).is_err() {
            children.push(Child {
                source: AnyPath::Remote(src.to_vec()),
                target: target_dir.clone(),
                is_dir: false,
                size: e.size,
                modified: None,
                refused: Some((
                    JobState::Failed,
                    format!(
                        "refusing the server's entry {:?}: its name could write outside the target folder",
                        charset.decode(&e.name)
                    ),
                )),
            });
            continue;
        }
        let mut child = child_of(
            &source,
            e.kind == EntryKind::Dir,
            &target_dir,
            e.size,
            &charset,
        );
        if exact_times {
            child.modified = e.modified;
        }
        match e.kind {
            EntryKind::File | EntryKind::Dir => {}
            EntryKind::Symlink => {
                child.refused = Some((
                    JobState::Skipped,
                    "a symbolic link on the server: not followed (it could loop)".into(),
                ));
            }
            EntryKind::Unknown => {
                child.refused = Some((
                    JobState::Skipped,
                    "the server's listing line for it could not be read".into(),
                ));
            }
        }
        children.push(child);
    }
    Ok(Outcome::Expanded(children))
}

/// The entries of a local folder: path, type (links not followed) and the
/// size of files. An entry that vanished meanwhile is left out.
fn read_local_dir(dir: &Path) -> std::io::Result<Vec<(PathBuf, std::fs::FileType, Option<u64>)>> {
    let mut items = Vec::new();
    for item in std::fs::read_dir(dir)? {
        let item = item?;
        let Ok(ft) = item.file_type() else {
            continue;
        };
        let size = if ft.is_file() {
            item.metadata().ok().map(|m| m.len())
        } else {
            None
        };
        items.push((item.path(), ft, size));
    }
    Ok(items)
}

/// Read a local folder into jobs, creating the remote folder. Links are not
/// followed (a link loop must not recurse forever).
async fn expand_local(s: &mut Session, src: &Path, dst: &[u8]) -> Result<Outcome, FtpError> {
    let local_err = |source| FtpError::Local {
        what: "reading the folder",
        source,
        path: src.display().to_string(),
    };
    // One blocking task for the whole folder: one per entry (tokio's
    // `metadata`) took seconds for a folder of 100,000 files.
    let dir = src.to_path_buf();
    let mut items = tokio::task::spawn_blocking(move || read_local_dir(&dir))
        .await
        .map_err(|e| local_err(std::io::Error::other(e.to_string())))?
        .map_err(local_err)?;
    match s.mkdir(dst).await {
        Ok(_) => {}
        Err(e) if e.is_fatal_to_session() => return Err(e),
        // Usually "exists"; a real problem shows on the first upload into it.
        Err(_) => {}
    }
    items.sort_by(|a, b| (a.1.is_dir(), &a.0).cmp(&(b.1.is_dir(), &b.0)));
    let target_dir = AnyPath::Remote(dst.to_vec());
    let charset = s.options().charset;
    let children = items
        .into_iter()
        .map(|(path, ft, size)| {
            let mut child = child_of(
                &AnyPath::Local(path),
                ft.is_dir(),
                &target_dir,
                size,
                &charset,
            );
            if child.refused.is_none() {
                if ft.is_symlink() {
                    child.refused = Some((
                        JobState::Skipped,
                        "a symbolic link: not followed (it could loop)".into(),
                    ));
                } else if !ft.is_dir() && !ft.is_file() {
                    child.refused =
                        Some((JobState::Skipped, "not a regular file or folder".into()));
                }
            }
            child
        })
        .collect();
    Ok(Outcome::Expanded(children))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbered_names_keep_the_whole_extension() {
        assert_eq!(numbered("report.pdf", 1), "report (1).pdf");
        assert_eq!(numbered("archive.tar.gz", 2), "archive (2).tar.gz");
        assert_eq!(numbered("README", 3), "README (3)");
        assert_eq!(numbered(".bashrc", 1), ".bashrc (1)");
    }

    #[test]
    fn backoff_doubles_from_the_base_up_to_eight_seconds() {
        let base = Duration::from_secs(2);
        let delays: Vec<u64> = (1..=5).map(|r| backoff_delay(base, r).as_secs()).collect();
        assert_eq!(delays, [2, 4, 8, 8, 8]);
        assert_eq!(
            backoff_delay(Duration::from_millis(10), 2),
            Duration::from_millis(20)
        );
    }

    #[test]
    fn a_control_connection_closed_reset_or_oopsed_is_a_server_that_hung_up() {
        let io = |channel, kind| FtpError::Io {
            channel,
            mode: crate::ftp::error::ModeNote(None),
            source: std::io::Error::from(kind),
            hint: "",
            addr: "h:21".into(),
        };
        use std::io::ErrorKind::{BrokenPipe, ConnectionRefused, ConnectionReset};
        assert!(server_hung_up(&FtpError::ControlClosed {
            addr: "h".into()
        }));
        assert!(server_hung_up(&io(
            crate::ftp::Channel::Control,
            ConnectionReset
        )));
        assert!(server_hung_up(&io(
            crate::ftp::Channel::Control,
            BrokenPipe
        )));
        assert!(server_hung_up(&FtpError::Reply {
            command: "EPSV".into(),
            code: 500,
            text: "OOPS: priv_sock_get_int".into(),
        }));
        // Not reaching it at all, or a data connection reset: not a session
        // that ended under us.
        assert!(!server_hung_up(&io(
            crate::ftp::Channel::Control,
            ConnectionRefused
        )));
        assert!(!server_hung_up(&io(
            crate::ftp::Channel::Data,
            ConnectionReset
        )));
        assert!(!server_hung_up(&FtpError::Reply {
            command: "RETR x".into(),
            code: 550,
            text: "No such file".into(),
        }));
    }

    #[test]
    fn only_temporary_failures_are_retried() {
        let reply = |code| FtpError::Reply {
            command: "RETR x".into(),
            code,
            text: String::new(),
        };
        assert!(retriable(&reply(426)));
        assert!(retriable(&FtpError::Reply {
            command: "PASV".into(),
            code: 500,
            text: "OOPS: priv_sock_get_int".into(),
        }));
        assert!(retriable(&reply(421)));
        assert!(!retriable(&reply(550)));
        assert!(retriable(&FtpError::ControlClosed { addr: "h".into() }));
        assert!(!retriable(&FtpError::Cancelled));
        assert!(!retriable(&FtpError::Local {
            what: "writing",
            source: std::io::Error::other("disk full"),
            path: "x".into(),
        }));
    }
}
