//! The engine contract: the UI (or any front end) sends [`Command`]s and
//! receives [`Event`]s. Nothing else crosses between them; the UI never
//! touches a socket or blocks on the disk.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::SystemTime;

use crate::ftp::log::LogLine;
use crate::ftp::{CertificateInfo, ConnectOptions, DataMode};

/// Which pane an operation is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Side {
    Local,
    Remote,
}

/// A path on either side. Remote paths are bytes (servers may use any
/// encoding); local paths are the OS's.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AnyPath {
    Local(PathBuf),
    Remote(Vec<u8>),
}

/// A file or folder to act on: its path, and whether it is a folder (known
/// from the listing it was picked in, so nobody has to ask the disk again).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathItem {
    pub path: AnyPath,
    pub is_dir: bool,
}

impl AnyPath {
    pub fn side(&self) -> Side {
        match self {
            AnyPath::Local(_) => Side::Local,
            AnyPath::Remote(_) => Side::Remote,
        }
    }

    /// The folder containing this path; None at the top.
    pub fn parent(&self) -> Option<AnyPath> {
        match self {
            AnyPath::Local(p) => p.parent().map(|p| AnyPath::Local(p.to_path_buf())),
            AnyPath::Remote(p) => {
                let trimmed = p.strip_suffix(b"/").unwrap_or(p);
                if trimmed.is_empty() {
                    return None;
                }
                Some(AnyPath::Remote(super::remote_path::parent(p)))
            }
        }
    }

    /// A child of this folder.
    pub fn join(&self, name: &[u8]) -> AnyPath {
        match self {
            AnyPath::Local(p) => AnyPath::Local(p.join(os_name(name))),
            AnyPath::Remote(p) => AnyPath::Remote(super::remote_path::join(p, name)),
        }
    }

    /// The last component's bytes (empty at the top): the name a copy of
    /// this item gets in another folder.
    pub fn file_name(&self) -> Vec<u8> {
        match self {
            AnyPath::Local(p) => p
                .file_name()
                .map(|n| n.as_encoded_bytes().to_vec())
                .unwrap_or_default(),
            AnyPath::Remote(p) => {
                let trimmed = p.strip_suffix(b"/").unwrap_or(p);
                trimmed
                    .rsplit(|&b| b == b'/')
                    .next()
                    .unwrap_or_default()
                    .to_vec()
            }
        }
    }

    /// The path for display (remote bytes decoded lossily).
    pub fn display(&self) -> String {
        match self {
            AnyPath::Local(p) => p.display().to_string(),
            AnyPath::Remote(p) => String::from_utf8_lossy(p).into_owned(),
        }
    }
}

/// A local file name from the bytes a listing carried (exact on Unix,
/// where names are bytes; lossy elsewhere).
#[cfg(unix)]
fn os_name(name: &[u8]) -> std::ffi::OsString {
    use std::os::unix::ffi::OsStrExt;
    std::ffi::OsStr::from_bytes(name).to_os_string()
}

#[cfg(not(unix))]
fn os_name(name: &[u8]) -> std::ffi::OsString {
    String::from_utf8_lossy(name).into_owned().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parent_and_join_on_both_sides() {
        let r = AnyPath::Remote(b"/a/b".to_vec());
        assert_eq!(r.parent(), Some(AnyPath::Remote(b"/a".to_vec())));
        assert_eq!(AnyPath::Remote(b"/".to_vec()).parent(), None);
        assert_eq!(
            AnyPath::Remote(b"/a".to_vec()).parent(),
            Some(AnyPath::Remote(b"/".to_vec()))
        );
        assert_eq!(r.join(b"c"), AnyPath::Remote(b"/a/b/c".to_vec()));
        let l = AnyPath::Local(PathBuf::from("/tmp/x"));
        assert_eq!(l.parent(), Some(AnyPath::Local(PathBuf::from("/tmp"))));
        assert_eq!(l.join(b"y"), AnyPath::Local(PathBuf::from("/tmp/x/y")));
        assert_eq!(AnyPath::Local(PathBuf::from("/")).parent(), None);
        assert_eq!(r.file_name(), b"b");
        assert_eq!(AnyPath::Remote(b"/a/dir/".to_vec()).file_name(), b"dir");
        assert_eq!(AnyPath::Remote(b"/".to_vec()).file_name(), b"");
        assert_eq!(l.file_name(), b"x");
    }

    #[test]
    fn interner_shares_equal_texts_and_keeps_distinct_ones_apart() {
        let mut shared = Interner::default();
        let alice = shared.intern("alice staff");
        let bob = shared.intern("bob staff");
        // Again right after (the last-text shortcut) and after another (the map).
        let alice_again = shared.intern("alice staff");
        let bob_again = shared.intern("bob staff");
        let alice_third = shared.intern(&String::from("alice staff"));
        assert!(Arc::ptr_eq(&alice, &alice_again));
        assert!(Arc::ptr_eq(&alice, &alice_third));
        assert!(Arc::ptr_eq(&bob, &bob_again));
        assert!(!Arc::ptr_eq(&alice, &bob));
        assert_eq!((&*alice, &*bob), ("alice staff", "bob staff"));
        // A prefix is a text of its own, not the longer one.
        let prefix = shared.intern("alice");
        assert_eq!(&*prefix, "alice");
        assert!(!Arc::ptr_eq(&prefix, &alice));
        assert_eq!(shared.len(), 3);
        // One copy of "alice staff" for all: the interner's and three here.
        assert_eq!(Arc::strong_count(&alice), 4);
    }
}

/// What kind of thing an entry is, on either side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    File,
    Dir,
    /// A symbolic link; `target_is_dir` says whether opening it shows a folder.
    Symlink {
        target_is_dir: bool,
    },
    /// A listing line no parser understood.
    Unknown,
}

/// One row of a pane: the same shape for local and remote listings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The name as the file system or server has it (bytes, possibly not UTF-8).
    pub name: Box<[u8]>,
    /// The name for display.
    pub display_name: Box<str>,
    pub kind: Kind,
    pub size: Option<u64>,
    pub modified: Option<chrono::NaiveDateTime>,
    /// Shared by every entry of a listing with the same text (see [`Interner`]).
    pub permissions: Option<Arc<str>>,
    /// "owner group", shared like `permissions`.
    pub owner: Option<Arc<str>>,
    /// For symlinks, where they point (for display).
    pub link_target: Option<Box<str>>,
}

impl Entry {
    /// True for folders and links to folders: double-click opens them.
    pub fn opens_as_dir(&self) -> bool {
        matches!(
            self.kind,
            Kind::Dir
                | Kind::Symlink {
                    target_is_dir: true
                }
        )
    }

    /// Dotfiles, hidden by default.
    pub fn is_hidden(&self) -> bool {
        self.name.first() == Some(&b'.')
    }
}

/// One shared copy of each distinct text (owner, permissions) of a listing.
///
/// A folder of a million entries has a handful of owners and modes; storing
/// them once each instead of once per entry saves two allocations per entry
/// (at least 64 bytes with malloc's overhead). Each parsing thread keeps its
/// own interner, so no lock is taken per entry.
#[derive(Debug, Default)]
pub struct Interner {
    /// The text asked for last: listings often repeat the same owner and
    /// mode many lines in a row, so this skips the hash.
    last: Option<Arc<str>>,
    known: rustc_hash::FxHashSet<Arc<str>>,
}

impl Interner {
    /// The shared copy of `text`, made on first sight.
    pub fn intern(&mut self, text: &str) -> Arc<str> {
        if let Some(last) = &self.last
            && **last == *text
        {
            return Arc::clone(last);
        }
        let shared = match self.known.get(text) {
            Some(known) => Arc::clone(known),
            None => {
                let shared: Arc<str> = Arc::from(text);
                self.known.insert(Arc::clone(&shared));
                shared
            }
        };
        self.last = Some(Arc::clone(&shared));
        shared
    }

    /// How many distinct texts it holds.
    pub fn len(&self) -> usize {
        self.known.len()
    }

    /// True before the first text.
    pub fn is_empty(&self) -> bool {
        self.known.is_empty()
    }
}

/// Which way a transfer goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Direction {
    Download,
    Upload,
}

/// Commands the UI sends to the engine. Each is answered by one or more events.
#[derive(Debug, Clone)]
pub enum Command {
    /// Open the remote side: connect and log in with `options`, then list
    /// `initial_path` (or the login folder). Replaces any current connection.
    /// Answered by `Connecting`, then `Connected` and a `Listing`, or
    /// `ConnectFailed` / `CertificateUntrusted`.
    Connect {
        options: ConnectOptions,
        initial_path: Option<Vec<u8>>,
    },
    /// Close the remote connection (QUIT). Answered by `Disconnected`.
    Disconnect,
    /// Run the connection test on its own connection (the browsing one is
    /// left alone), listing `path` or the login folder. Answered by a
    /// `TestStep` per step, then `TestDone`.
    TestConnection {
        /// Chosen by the UI; the test's events carry it, so a late event of
        /// an earlier test is never taken for this one's.
        id: u64,
        options: ConnectOptions,
        path: Option<Vec<u8>>,
    },
    /// List a folder on either side. Answered by `Listing` or `ListingFailed`.
    /// `show_hidden` applies to local folders (and `LIST -a` remotely).
    List { path: AnyPath, show_hidden: bool },
    /// Stop the remote listings asked for so far: the one streaming in
    /// stops reading (its data connection is closed and ABOR brings the
    /// session back in step) and is answered by `ListingCancelled`; one not
    /// started yet is answered the same way without being sent. The
    /// session stays connected. Local listings: `CancelLocalListing`.
    CancelListing,
    /// Stop the local listings asked for so far: reading the folder stops
    /// at the next entry, answered by `ListingCancelled`.
    CancelLocalListing,
    /// Create a folder. Answered by `OperationDone` or `OperationFailed`.
    MakeDir { path: AnyPath },
    /// Rename or move within one side. Answered by `OperationDone` or `OperationFailed`.
    Rename { from: AnyPath, to: AnyPath },
    /// Delete files and folders (folders recursively), reporting
    /// `DeleteProgress` on the way, then `OperationDone` or `OperationFailed`.
    Delete { paths: Vec<PathItem> },
    /// Queue entries for transfer between the sides: download remote entries
    /// into a local folder, or upload local entries into a remote folder.
    /// Folders expand recursively into file jobs. Jobs run on connections of
    /// their own (up to the queue's concurrency) so browsing stays
    /// responsive. Answered by `JobsChanged` (new rows, then each change of
    /// state), `JobsProgress` and, when nothing is left to do, `QueueIdle`.
    Enqueue {
        direction: Direction,
        sources: Vec<PathItem>,
        target_dir: AnyPath,
        /// What these jobs (and the files their folders expand into) do
        /// when their target exists, instead of the queue's setting. A
        /// synchronization has already decided, so it overwrites without
        /// asking; `None` for ordinary transfers.
        on_existing: Option<OnExisting>,
    },
    /// Cancel these jobs (all unfinished ones when empty): a running transfer
    /// is stopped with ABOR, a partial download is kept as `.part`.
    CancelJobs { ids: Vec<u64> },
    /// Stop starting jobs and interrupt the running ones (they resume with
    /// REST on `paused: false`), or carry on.
    PauseQueue { paused: bool },
    /// Put failed or cancelled jobs back in the queue (all of them when
    /// `ids` is empty); they resume from what is already there.
    RetryJobs { ids: Vec<u64> },
    /// Forget finished, skipped, failed and cancelled jobs (answered by `JobsRemoved`).
    ClearFinished { failed_too: bool },
    /// Take these jobs out of the queue (every job when empty), whatever
    /// their state: a running one is stopped first, as by `CancelJobs`.
    RemoveJobs { ids: Vec<u64> },
    /// Move jobs in the queue order.
    MoveJobs { ids: Vec<u64>, to: MoveTo },
    /// Give jobs a priority: higher ones start first.
    SetPriority { ids: Vec<u64>, priority: Priority },
    /// Answer a `JobConflict`: what to do with job `id`'s existing target,
    /// and whether the same goes for every later conflict in this queue.
    AnswerConflict {
        id: u64,
        choice: OnExisting,
        apply_to_all: bool,
    },
    /// Read the saved transfer queue now. The window sends it once its first
    /// frame is drawn, so start-up never waits on the disk.
    RestoreQueue,
    /// Change the queue's settings (concurrency 1–32, default answer for
    /// existing targets).
    QueueSettings {
        concurrency: usize,
        on_existing: OnExisting,
    },
    /// Change how the queue's downloads are split and which transfer type
    /// its files use, where the site does not say (the Preferences).
    TransferSettings(crate::engine::queue::TransferSettings),
    /// Change the queue's speed limits: global per direction, or these
    /// jobs' own; running transfers follow within a quarter second.
    SpeedLimit(crate::engine::rate_limit::SpeedLimitCommand),
    /// Switch the data connection mode of the current connection.
    SetDataMode(DataMode),
    /// Edit in place: open a remote file of the current connection in an
    /// editor, send its saves back, stop. Answered by `Event::Edit`.
    Edit(super::edit::EditCommand),
    /// Change permissions (SITE CHMOD remotely, on a connection of its
    /// own; `set_permissions` locally), or cancel that. Answered by
    /// `Event::Chmod`.
    Chmod(super::chmod::ChmodCommand),
    /// `command` for the window tab `tab`: it targets that tab's browsing
    /// session (connect, list, remote operations, data mode), which lives
    /// beside the others, and every event it causes comes back wrapped in
    /// `Event::Tab` with the same id. Commands outside a `Tab` address the
    /// default session, whose events are not wrapped.
    Tab { tab: TabId, command: Box<Command> },
}

/// A window tab, each with a browsing session of its own (see `Command::Tab`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TabId(pub u64);

/// Events the engine sends back. The engine wakes the UI after each send.
#[derive(Debug, Clone)]
pub enum Event {
    /// A protocol log line (password already masked).
    Log(LogLine),
    /// What the engine is waiting for right now on `side`, for the status
    /// line ("Opening data connection (passive) to …"); `None` when idle.
    Busy {
        side: Side,
        what: Option<String>,
        since: SystemTime,
    },
    /// Connecting to `host` has started.
    Connecting { host: String },
    /// Logged in. `home` is the login folder; `certificate` is set for TLS.
    Connected {
        host: String,
        home: Vec<u8>,
        certificate: Option<Box<CertificateInfo>>,
    },
    /// Could not connect or log in. `message` says what failed and what to try.
    ConnectFailed { message: String, login: bool },
    /// The server's certificate is not trusted; the UI asks the user, then
    /// sends `Connect` again with the fingerprint pinned (or gives up).
    CertificateUntrusted {
        certificate: Box<CertificateInfo>,
        reason: String,
        options: Box<ConnectOptions>,
        initial_path: Option<Vec<u8>>,
    },
    /// The connection was closed: by `Disconnect` (`reason` None) or lost.
    Disconnected { reason: Option<String> },
    /// A folder's contents.
    Listing { path: AnyPath, entries: Vec<Entry> },
    /// A remote listing is streaming in: `entries` lines received so far
    /// (at most about ten a second; the final `Listing` may differ by a
    /// header line such as `total`).
    ListingProgress { path: AnyPath, entries: u64 },
    /// A listing stopped by `CancelListing` or `CancelLocalListing`.
    ListingCancelled { path: AnyPath },
    /// A folder could not be listed. `data_mode` is set when the data
    /// connection failed in that mode (the UI offers the other one).
    ListingFailed {
        path: AnyPath,
        message: String,
        data_mode: Option<DataMode>,
    },
    /// A MakeDir/Rename/Delete finished; `refresh` is the folder to re-list.
    OperationDone {
        side: Side,
        what: String,
        refresh: AnyPath,
    },
    /// A MakeDir/Rename/Delete failed.
    OperationFailed { side: Side, message: String },
    /// Progress of a recursive delete.
    DeleteProgress { side: Side, done: u64, total: u64 },
    /// Jobs were added to the queue or changed (state, size, error, order):
    /// the full current view of each, in queue order.
    JobsChanged(Vec<JobView>),
    /// Jobs left the queue (cleared, or a folder replaced by its contents).
    JobsRemoved(Vec<u64>),
    /// These jobs now have this limit of their own (bytes per second;
    /// None: only the global one), on top of the global limit.
    JobLimits { ids: Vec<u64>, limit: Option<u64> },
    /// The queue's order changed (jobs moved, or a folder's contents took
    /// its place): every job id, first to last.
    QueueOrder(Vec<u64>),
    /// Bytes moved so far by each running job, about ten times a second.
    JobsProgress(Vec<(u64, u64)>),
    /// Job `id`'s target exists and the queue's answer is "ask": the job
    /// waits for `Command::AnswerConflict`.
    JobConflict(Box<Conflict>),
    /// The queue was paused or carries on.
    QueuePaused(bool),
    /// Nothing is left to run and no question is open (jobs may still wait
    /// for a pause to end or for a connection to their server).
    QueueIdle {
        done: usize,
        skipped: usize,
        failed: usize,
    },
    /// One step of connection test `id` finished.
    TestStep {
        id: u64,
        step: crate::engine::diagnose::Step,
    },
    /// Connection test `id` is over: every step, the verdict, the mode to use.
    TestDone {
        id: u64,
        report: crate::engine::diagnose::Report,
    },
    /// Auto mode could not open a data connection in one mode and switched
    /// to `mode`, which worked. `server` is `user@host:port`; `notice` is
    /// one line saying what failed and what was done.
    DataModeSwitched {
        server: String,
        mode: DataMode,
        notice: String,
    },
    /// Something about the queue as a whole the user should read (for
    /// example, a transfer asked for while not connected).
    QueueNotice(String),
    /// An event caused by a command sent inside `Command::Tab`: about that
    /// tab's browsing session or its panes.
    Tab { tab: TabId, event: Box<Event> },
    /// A file being edited in place changed state, or editing it stopped.
    Edit(super::edit::EditEvent),
    /// How a permissions change goes.
    Chmod(super::chmod::ChmodEvent),
}

/// What to do when a transfer's target already exists.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
pub enum OnExisting {
    /// Ask the user (the window); the job waits for an answer.
    #[default]
    Ask,
    /// Replace it.
    Overwrite,
    /// Replace it only when the source is newer (MDTM against the file time).
    OverwriteIfNewer,
    /// Continue from its size (REST): for an interrupted copy of the same file.
    Resume,
    /// Keep both: the new copy is named `NAME (1).ext`.
    Rename,
    /// Leave it and skip the job.
    Skip,
    /// Mirroring: replace it when the size differs or the source is newer.
    IfChanged,
}

impl OnExisting {
    /// The choices a user is offered, in order, with their labels.
    pub const CHOICES: [(OnExisting, &'static str); 5] = [
        (OnExisting::Overwrite, "Overwrite"),
        (OnExisting::OverwriteIfNewer, "Overwrite if newer"),
        (OnExisting::Resume, "Resume"),
        (OnExisting::Rename, "Rename"),
        (OnExisting::Skip, "Skip"),
    ];

    pub fn label(self) -> &'static str {
        match self {
            OnExisting::Ask => "Ask",
            OnExisting::IfChanged => "Only if changed",
            other => OnExisting::CHOICES
                .iter()
                .find(|(c, _)| *c == other)
                .map(|(_, l)| *l)
                .unwrap_or("Ask"),
        }
    }
}

/// A job's place in line: higher priorities start first.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Default,
    serde::Serialize,
    serde::Deserialize,
)]
pub enum Priority {
    Low,
    #[default]
    Normal,
    High,
}

/// Where `Command::MoveJobs` moves jobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MoveTo {
    Up,
    Down,
    Top,
    Bottom,
}

/// Where a job is in its life.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobState {
    /// Waiting for its turn (or for a connection to its server).
    Queued,
    /// A folder being listed; it is replaced by its contents.
    Expanding,
    /// Moving bytes.
    Running,
    /// Its target exists; waiting for the user's answer.
    Asking,
    /// The last try failed; the next one starts after a pause.
    Retrying { attempt: u32, of: u32 },
    /// Arrived whole.
    Done,
    /// Not transferred, for the reason in the job's `error`.
    Skipped,
    /// Gave up; the job's `error` says why.
    Failed,
    /// Cancelled by the user.
    Cancelled,
}

impl JobState {
    /// Still to do: queued, running, or waiting.
    pub fn is_pending(&self) -> bool {
        matches!(
            self,
            JobState::Queued
                | JobState::Expanding
                | JobState::Running
                | JobState::Asking
                | JobState::Retrying { .. }
        )
    }

    /// Failed or cancelled: can be retried.
    pub fn is_failed(&self) -> bool {
        matches!(self, JobState::Failed | JobState::Cancelled)
    }

    pub fn label(&self) -> String {
        match self {
            JobState::Queued => "Queued".into(),
            JobState::Expanding => "Listing folder".into(),
            JobState::Running => "Transferring".into(),
            JobState::Asking => "Target exists".into(),
            JobState::Retrying { attempt, of } => format!("Retrying ({attempt} of {of})"),
            JobState::Done => "Done".into(),
            JobState::Skipped => "Skipped".into(),
            JobState::Failed => "Failed".into(),
            JobState::Cancelled => "Cancelled".into(),
        }
    }
}

/// One row of the transfer queue as the window shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct JobView {
    pub id: u64,
    pub direction: Direction,
    pub source: AnyPath,
    pub target: AnyPath,
    /// A folder still to be expanded into its files.
    pub is_dir: bool,
    pub size: Option<u64>,
    pub bytes: u64,
    pub state: JobState,
    /// Why it failed or was skipped (the last try's error).
    pub error: Option<String>,
    pub priority: Priority,
    /// `user@host:port` of the server the job belongs to.
    pub site: String,
    /// When and how fast it finished (a done job).
    pub finished: Option<Finished>,
}

/// How a done job went: the row shows its finish time, duration and speed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Finished {
    /// When it finished (wall clock).
    pub at: std::time::SystemTime,
    /// From its start on a connection to its end, retries included.
    pub took: std::time::Duration,
    /// Bytes moved in that time (a resumed job's earlier bytes not counted).
    pub moved: u64,
}

/// A job whose target exists, for the "what now?" question.
#[derive(Debug, Clone, PartialEq)]
pub struct Conflict {
    pub id: u64,
    pub direction: Direction,
    pub source: AnyPath,
    pub target: AnyPath,
    pub source_size: Option<u64>,
    pub source_time: Option<chrono::NaiveDateTime>,
    pub target_size: Option<u64>,
    pub target_time: Option<chrono::NaiveDateTime>,
}
