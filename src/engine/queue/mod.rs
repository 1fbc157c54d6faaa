//! The transfer queue: jobs (files, and folders that expand into files) run
//! on up to N connections of their own, reusing logged-in sessions between
//! jobs, so browsing stays responsive during a big transfer. Each file
//! grows as `NAME.part` and takes its name only when whole; an interrupted
//! one is retried with REST from what is already there. The queue (pending
//! and failed jobs, never a password) is saved as a journal of changes and
//! restored on the next start. The window and the command line both drive it.
//!
//! - `actor.rs`: the queue task, which owns the jobs and answers messages;
//! - `jobs.rs` and `order.rs`: the jobs, their order and the pick of the
//!   next one, each O(log n) however long the queue is;
//! - `store.rs`: the saved queue's records, and reading them back;
//! - `journal.rs`: saving each change as it happens, on a writer thread;
//! - `worker.rs`: one job on its own connection.

mod actor;
mod caps;
mod jobs;
mod journal;
mod order;
mod store;
mod worker;

pub(crate) use worker::free_remote_name;

use std::path::PathBuf;
use std::time::Duration;

use tokio::sync::mpsc;

use super::Outbox;
use super::protocol::{
    AnyPath, Conflict, Direction, JobState, MoveTo, OnExisting, PathItem, Priority,
};
use super::remote_path::join;
use super::transfer::{safe_local_name, safe_remote_name};
use crate::ftp::{ConnectOptions, NameCharset, Session};

/// Transfers at once unless the user says otherwise.
pub const DEFAULT_CONCURRENCY: usize = 4;
/// The most transfers at once the queue allows (servers limit connections per client).
pub const MAX_CONCURRENCY: usize = 32;

/// How the queue behaves.
#[derive(Debug, Clone)]
pub struct QueueConfig {
    /// Transfers at once, each on its own connection (1–32).
    pub concurrency: usize,
    /// What to do when a target exists, unless the user answered otherwise.
    pub on_existing: OnExisting,
    /// Tries after the first one for an interrupted job.
    pub retries: u32,
    /// The pause before the first retry; it doubles for each further one, up to 8 s.
    pub backoff: Duration,
    /// Where the queue is saved on every change (None: not saved).
    pub save_path: Option<PathBuf>,
    /// Read the saved queue only on [`QueueCommand::RestoreSaved`] (the
    /// window sends it once its first frame is drawn, so start-up never
    /// waits on the disk); false: read it as the queue starts.
    pub restore_later: bool,
    /// Send the transfer connections' protocol lines as `Event::Log` (the
    /// window's log; the command line only with -v).
    pub protocol_log: bool,
    /// A speed limit shared by all the queue's transfers (None: no limit).
    pub rate_limit: Option<crate::engine::rate_limit::RateLimit>,
    /// Names left out when a folder is listed into jobs (the window's
    /// filters, `--exclude`); None: nothing is left out.
    pub exclude: Option<crate::filters::TransferExclusions>,
}

/// How the queue's files are transferred where the site does not say: the
/// Preferences' segments and transfer type (one stream, binary until
/// [`QueueCommand::TransferSettings`] says otherwise).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferSettings {
    /// Split a large download into this many ranges (1: one stream).
    pub segments: u16,
    pub transfer_type: crate::ftp::ascii::TypeChoice,
    /// Endings `TypeChoice::Auto` treats as text (empty: the defaults).
    pub text_endings: Vec<String>,
}

impl Default for TransferSettings {
    fn default() -> Self {
        TransferSettings {
            segments: 1,
            transfer_type: crate::ftp::ascii::TypeChoice::Binary,
            text_endings: Vec::new(),
        }
    }
}

impl TransferSettings {
    /// Lay these settings on a site's `options` where it chose nothing.
    pub fn fill(&self, options: &mut ConnectOptions) {
        if options.segments == 0 {
            options.segments = self.segments;
        }
        if options.transfer_type.is_none() {
            options.transfer_type = Some(self.transfer_type);
        }
        if options.text_endings.is_empty() {
            options.text_endings = self.text_endings.clone();
        }
    }
}

impl Default for QueueConfig {
    fn default() -> Self {
        QueueConfig {
            concurrency: DEFAULT_CONCURRENCY,
            on_existing: OnExisting::Ask,
            retries: 3,
            backoff: Duration::from_secs(2),
            save_path: None,
            restore_later: false,
            protocol_log: true,
            rate_limit: None,
            exclude: None,
        }
    }
}

/// Which server a job belongs to. Jobs are saved with this, never with a
/// password; restored jobs wait until the user connects to it again.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct SiteKey {
    pub host: String,
    pub port: u16,
    pub user: String,
}

impl SiteKey {
    pub fn of(options: &ConnectOptions) -> SiteKey {
        SiteKey {
            host: options.host.clone(),
            port: options.port,
            user: options.user.clone(),
        }
    }

    pub fn display(&self) -> String {
        format!("{}@{}:{}", self.user, self.host, self.port)
    }
}

/// Messages into the queue task: from the engine's dispatcher and from the
/// queue's own workers.
pub(crate) enum QueueMsg {
    /// The saved queue, read on a blocking thread.
    Restored(actor::Saved),
    /// The user connected (or reconnected) with these options: jobs for that
    /// server may run.
    Login(ConnectOptions),
    /// New work for the server `login` reaches.
    Enqueue {
        login: ConnectOptions,
        direction: Direction,
        sources: Vec<PathItem>,
        target_dir: AnyPath,
        /// Overrides the queue's "if it exists" setting for these jobs.
        on_existing: Option<OnExisting>,
    },
    /// New work with explicit targets: (source, is it a folder, target).
    EnqueueAs {
        login: ConnectOptions,
        direction: Direction,
        items: Vec<(AnyPath, bool, AnyPath)>,
    },
    /// A logged-in session the queue may use for its jobs.
    Session(Session),
    /// A transfer connection opened ahead of its first job (while a folder
    /// is listed) is logged in, or failed (None), with these options.
    Warmed {
        options: Box<ConnectOptions>,
        session: Option<Box<Session>>,
        /// It failed because the server allows no more connections.
        too_many: bool,
    },
    /// Job `id` opened its own connection (not an idle one) and logged in.
    Connected { id: u64 },
    /// Job `id`'s connection was refused with "too many connections": the
    /// queue answers true when it keeps to fewer connections from now on
    /// and the job goes back to the queue (no try used), false when the
    /// refusal is an ordinary failure (nothing else was open).
    TooMany {
        id: u64,
        answer: tokio::sync::oneshot::Sender<bool>,
    },
    /// One of the queue's commands.
    Command(QueueCommand),
    /// A job's transfer began; `size` when known.
    Started { id: u64, size: Option<u64> },
    /// A job's try failed and another one follows.
    Retrying {
        id: u64,
        attempt: u32,
        error: String,
    },
    /// A worker finished a job, handing back its session when still usable.
    Finished {
        id: u64,
        outcome: Outcome,
        session: Option<Session>,
    },
}

/// What the user can ask of the queue: the queue's part of the engine's
/// `Command` (the dispatcher turns one into the other), so that the queue's
/// match over them is exhaustive.
#[derive(Debug, Clone)]
pub enum QueueCommand {
    /// Read the saved queue now (with `restore_later`; once only). Nothing is
    /// saved until it has been read, so it is never overwritten unread.
    RestoreSaved,
    /// Cancel these jobs (all unfinished ones when empty): a running transfer
    /// is stopped with ABOR, a partial download is kept as `.part`.
    CancelJobs { ids: Vec<u64> },
    /// Stop starting jobs and interrupt the running ones (they resume with
    /// REST on `paused: false`), or carry on.
    PauseQueue { paused: bool },
    /// Put failed or cancelled jobs back in the queue (all of them when
    /// `ids` is empty); they resume from what is already there.
    RetryJobs { ids: Vec<u64> },
    /// Forget finished, skipped, failed and cancelled jobs.
    ClearFinished { failed_too: bool },
    /// Take these jobs out of the queue (every job when empty); a running
    /// one is stopped first and leaves once it has.
    RemoveJobs { ids: Vec<u64> },
    /// Move jobs in the queue order.
    MoveJobs { ids: Vec<u64>, to: MoveTo },
    /// Give jobs a priority: higher ones start first.
    SetPriority { ids: Vec<u64>, priority: Priority },
    /// Answer a `JobConflict`, for this job or every later one too.
    AnswerConflict {
        id: u64,
        choice: OnExisting,
        apply_to_all: bool,
    },
    /// Change the queue's settings (concurrency 1–32, default answer for
    /// existing targets).
    QueueSettings {
        concurrency: usize,
        on_existing: OnExisting,
    },
    /// Change the segments and transfer type of jobs started from now on.
    TransferSettings(TransferSettings),
    /// Change the speed limits, global or per job, running transfers included.
    SpeedLimit(crate::engine::rate_limit::SpeedLimitCommand),
}

/// A cloneable sender into the queue task.
#[derive(Clone)]
pub struct QueueHandle {
    tx: mpsc::UnboundedSender<QueueMsg>,
}

impl QueueHandle {
    pub(crate) fn send(&self, msg: QueueMsg) {
        // A closed channel means the engine is shutting down.
        let _ = self.tx.send(msg);
    }

    /// Allow jobs for the server `options` reaches to run.
    pub fn login(&self, options: ConnectOptions) {
        self.send(QueueMsg::Login(options));
    }

    /// Queue `sources` for transfer into `target_dir` on the server `login` reaches.
    pub fn enqueue(
        &self,
        login: ConnectOptions,
        direction: Direction,
        sources: Vec<PathItem>,
        target_dir: AnyPath,
    ) {
        self.enqueue_with(login, direction, sources, target_dir, None);
    }

    /// [`QueueHandle::enqueue`], with what these jobs do when their target
    /// exists instead of the queue's setting (`None`: the setting).
    pub fn enqueue_with(
        &self,
        login: ConnectOptions,
        direction: Direction,
        sources: Vec<PathItem>,
        target_dir: AnyPath,
        on_existing: Option<OnExisting>,
    ) {
        self.send(QueueMsg::Enqueue {
            login,
            direction,
            sources,
            target_dir,
            on_existing,
        });
    }

    /// Queue `source` to be copied as `target` (not into it), e.g. the
    /// command line's `get -r URL LOCAL` where LOCAL is the copy's name.
    pub fn enqueue_as(
        &self,
        login: ConnectOptions,
        direction: Direction,
        source: AnyPath,
        is_dir: bool,
        target: AnyPath,
    ) {
        self.send(QueueMsg::EnqueueAs {
            login,
            direction,
            items: vec![(source, is_dir, target)],
        });
    }

    /// Give the queue a logged-in session to use (saves a login).
    pub fn give_session(&self, session: Session) {
        self.send(QueueMsg::Session(session));
    }

    /// Send one of the queue's commands (`CancelJobs`, `PauseQueue`, …).
    pub fn command(&self, command: QueueCommand) {
        self.send(QueueMsg::Command(command));
    }
}

/// Start the queue task on the current tokio runtime. Jobs saved at
/// `config.save_path` are restored (they wait for a login to their server).
pub fn spawn(config: QueueConfig, out: Outbox) -> QueueHandle {
    let (tx, rx) = mpsc::unbounded_channel();
    actor::spawn(config, out, tx.downgrade(), rx);
    QueueHandle { tx }
}

/// How a worker's job ended.
pub(crate) enum Outcome {
    Done {
        target: AnyPath,
        bytes: u64,
    },
    Skipped(String),
    /// A folder was listed: these jobs take its place.
    Expanded(Vec<Child>),
    /// The target exists and the answer is "ask".
    Ask(Box<Conflict>),
    Failed(String),
    /// Paused or cancelled.
    Stopped,
    /// Refused for too many connections while others were open: queued
    /// again, to run when one of them is free.
    Requeue,
}

/// An item found in a folder being expanded.
pub(crate) struct Child {
    pub(super) source: AnyPath,
    pub(super) target: AnyPath,
    pub(super) is_dir: bool,
    pub(super) size: Option<u64>,
    /// The source's exact modification time, when the listing had one.
    pub(super) modified: Option<chrono::NaiveDateTime>,
    /// Set for items that are not transferred, with the reason.
    pub(super) refused: Option<(JobState, String)>,
}

/// The job for `source` inside `target_dir`; refused (with the reason) when
/// its name could escape the target folder.
/// Names on the server are in `charset`: a download's local name is decoded
/// from it, an upload's remote name encoded into it.
pub(super) fn child_of(
    source: &AnyPath,
    is_dir: bool,
    target_dir: &AnyPath,
    size: Option<u64>,
    charset: &NameCharset,
) -> Child {
    let name = source.file_name();
    let target = match target_dir {
        AnyPath::Local(dir) => safe_local_name(&name, charset).map(|n| AnyPath::Local(dir.join(n))),
        AnyPath::Remote(dir) => {
            safe_remote_name(&name, charset).map(|remote| AnyPath::Remote(join(dir, &remote)))
        }
    };
    match target {
        Ok(target) => Child {
            source: source.clone(),
            target,
            is_dir,
            size,
            modified: None,
            refused: None,
        },
        Err(why) => Child {
            source: source.clone(),
            target: target_dir.clone(),
            is_dir: false,
            size,
            modified: None,
            refused: Some((JobState::Failed, why)),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_names_become_refused_jobs_inside_the_target() {
        let dir = AnyPath::Local(PathBuf::from("/safe"));
        for bad in [&b"../escape"[..], b"/abs", b"a/b", b"nul\0x", b".."] {
            let c = child_of(
                &AnyPath::Remote(bad.to_vec()),
                false,
                &dir,
                None,
                &NameCharset::Auto,
            );
            // A remote path ending in the hostile name: only the last part counts.
            if let Some((state, why)) = &c.refused {
                assert_eq!(*state, JobState::Failed);
                assert!(why.contains("refusing"), "{why}");
                assert_eq!(c.target, dir);
            } else {
                let AnyPath::Local(t) = &c.target else {
                    panic!("local target expected")
                };
                assert!(
                    t.starts_with("/safe") && t.parent() == Some(std::path::Path::new("/safe"))
                );
            }
        }
    }
}
