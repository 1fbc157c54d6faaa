//! The background worker between the UI and the protocol: it owns the
//! remote session, local file-system work and transfers, and speaks only
//! [`Command`] in, [`Event`] out (see `protocol.rs`).

pub mod chmod;
pub mod diagnose;
pub mod edit;
mod edit_actor;
pub mod existing;
pub mod find;
pub mod listing_order;
mod local;
pub mod protocol;
pub mod queue;
pub mod rate_limit;
mod read_ahead;
mod remote;
mod remote_path;
pub mod segments;
pub mod transfer;

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc as std_mpsc;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

pub use local::{FolderChange, LocalWatcher};
pub use protocol::Interner;
pub use protocol::{
    AnyPath, Command, Conflict, Direction, Entry, Event, Finished, JobState, JobView, Kind, MoveTo,
    OnExisting, PathItem, Priority, Side, TabId,
};
pub use queue::{QueueCommand, QueueConfig, QueueHandle};
pub use remote::remote_entry;

use crate::ftp::ConnectOptions;
use crate::ftp::log::{LogKind, LogLine, SharedLog};

/// Wakes the UI after the engine sent events (`egui::Context::request_repaint`).
pub type Waker = Arc<dyn Fn() + Send + Sync>;

/// The shortest time between two wakes for progress, queue changes, log
/// lines and status (ten snapshots a second: the window draws a frame per
/// snapshot, and a figure that changes faster is not read). Other events,
/// such as a listing or a finished connect, go out at once.
pub const SNAPSHOT_INTERVAL: Duration = Duration::from_millis(100);

/// The engine's side of the event channel: queue, coalesce, then wake the UI.
///
/// Events that come in bursts (progress, job changes, log lines, status)
/// are gathered and delivered as one snapshot at most every
/// [`SNAPSHOT_INTERVAL`], with one wake per snapshot: a 5,000-file
/// transfer costs the window a repaint per snapshot, not one per event. The
/// first such event after a quiet spell goes out at once, and a snapshot is
/// never held back longer than the interval. Any other event delivers what
/// is pending first, then itself, at once. Nothing pending means no wakes.
#[derive(Clone)]
pub struct Outbox {
    shared: Arc<Shared>,
    /// Dropped with the last clone: tells the flusher thread to deliver what is left and end.
    _open: Arc<Open>,
    /// Set when the task holding this outbox no longer speaks for the
    /// connection (a browsing session replaced by a new one): its log lines
    /// still go out, its state events (busy, disconnected, listings) don't.
    retired: Option<Arc<AtomicBool>>,
    /// Set for the work of one window tab: every event goes out wrapped in
    /// `Event::Tab` with this id.
    tab: Option<TabId>,
}

struct Shared {
    tx: std_mpsc::Sender<Event>,
    waker: Waker,
    pending: Mutex<Pending>,
    /// Signals the flusher thread that a snapshot is due or the outbox closed.
    due: Condvar,
}

/// What waits for the next snapshot.
#[derive(Default)]
struct Pending {
    /// Log lines and status changes, oldest first (delivered before the
    /// other events of a snapshot). Every status is kept: each names a wait.
    notes: Vec<Event>,
    /// Queue and other ordered events; consecutive `JobsChanged` are merged.
    events: Vec<Event>,
    /// Where each job sits in the last `JobsChanged` of `events`, if it is last.
    changed_at: rustc_hash::FxHashMap<u64, usize>,
    /// The newest byte count of each running job (one `JobsProgress`, delivered last).
    progress: BTreeMap<u64, u64>,
    last_flush: Option<Instant>,
    /// No flusher thread (it could not be started): deliver everything at once.
    immediate: bool,
    closed: bool,
}

impl Pending {
    fn is_empty(&self) -> bool {
        self.notes.is_empty() && self.events.is_empty() && self.progress.is_empty()
    }

    /// Add an event that may wait for the next snapshot; give it back if it must go out at once.
    fn gather(&mut self, event: Event) -> Result<(), Event> {
        match event {
            // A wait that ends goes out at once (after what is pending), with
            // the result that ended it: the status line never lags behind it.
            Event::Busy { what: None, .. } => return Err(event),
            Event::Log(_) | Event::Busy { .. } => self.notes.push(event),
            // A tab's log lines and waits are notes too (a wait that ends goes at once).
            Event::Tab {
                event: ref inner, ..
            } if matches!(**inner, Event::Log(_) | Event::Busy { what: Some(_), .. }) => {
                self.notes.push(event)
            }
            Event::JobsProgress(list) => self.progress.extend(list),
            Event::JobsChanged(views) => {
                for view in &views {
                    // The view carries the bytes too, and is newer than any progress so far.
                    self.progress.remove(&view.id);
                }
                match self.events.last_mut() {
                    Some(Event::JobsChanged(merged)) => {
                        for view in views {
                            match self.changed_at.get(&view.id) {
                                Some(&i) => merged[i] = view,
                                None => {
                                    self.changed_at.insert(view.id, merged.len());
                                    merged.push(view);
                                }
                            }
                        }
                    }
                    _ => {
                        self.changed_at.clear();
                        self.changed_at
                            .extend(views.iter().enumerate().map(|(i, v)| (v.id, i)));
                        self.events.push(Event::JobsChanged(views));
                    }
                }
            }
            Event::JobsRemoved(_) | Event::QueueOrder(_) | Event::DeleteProgress { .. } => {
                self.changed_at.clear();
                self.events.push(event);
            }
            Event::Tab {
                event: ref inner, ..
            } if matches!(**inner, Event::DeleteProgress { .. }) => {
                self.changed_at.clear();
                self.events.push(event);
            }
            other => return Err(other),
        }
        Ok(())
    }
}

/// Held by every clone of an [`Outbox`]; the last one dropped closes it.
struct Open(Arc<Shared>);

impl Drop for Open {
    fn drop(&mut self) {
        self.0.lock().closed = true;
        self.0.due.notify_one();
    }
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, Pending> {
        // A poisoned lock only means a waker panicked mid-send; the pending
        // events are still whole.
        self.pending.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Deliver everything pending (logs and status, ordered events, progress),
    /// then `extra`, and wake the UI once. Called with the lock held, so
    /// snapshots from different threads never interleave.
    fn flush(&self, pending: &mut Pending, extra: Option<Event>) {
        // A closed channel means the UI is gone; nothing is left to tell.
        for note in pending.notes.drain(..) {
            let _ = self.tx.send(note);
        }
        for event in pending.events.drain(..) {
            let _ = self.tx.send(event);
        }
        pending.changed_at.clear();
        if !pending.progress.is_empty() {
            let progress = std::mem::take(&mut pending.progress).into_iter().collect();
            let _ = self.tx.send(Event::JobsProgress(progress));
        }
        if let Some(event) = extra {
            let _ = self.tx.send(event);
        }
        pending.last_flush = Some(Instant::now());
        (self.waker)();
    }

    /// The flusher thread: delivers a snapshot once the interval since the
    /// last one has passed, and what is left when the outbox closes.
    fn run_flusher(&self) {
        let mut pending = self.lock();
        loop {
            if pending.is_empty() {
                if pending.closed {
                    return;
                }
                pending = self.due.wait(pending).unwrap_or_else(|e| e.into_inner());
                continue;
            }
            let due = pending
                .last_flush
                .map_or_else(Instant::now, |t| t + SNAPSHOT_INTERVAL);
            let now = Instant::now();
            if now >= due || pending.closed {
                self.flush(&mut pending, None);
                continue;
            }
            pending = self
                .due
                .wait_timeout(pending, due - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }
}

impl Outbox {
    /// Events go to `tx`; `waker` runs after each snapshot (the window's
    /// `request_repaint`, or a notify for the command line). Starts the
    /// thread that delivers deferred snapshots; it ends with the last clone.
    pub fn new(tx: std_mpsc::Sender<Event>, waker: Waker) -> Outbox {
        let shared = Arc::new(Shared {
            tx,
            waker,
            pending: Mutex::new(Pending::default()),
            due: Condvar::new(),
        });
        let flusher = shared.clone();
        let started = std::thread::Builder::new()
            .name("ferry-outbox".into())
            .spawn(move || flusher.run_flusher());
        if let Err(e) = started {
            tracing::warn!("no thread for coalescing engine events, sending each at once: {e}");
            shared.lock().immediate = true;
        }
        Outbox {
            _open: Arc::new(Open(shared.clone())),
            shared,
            retired: None,
            tab: None,
        }
    }

    /// A clone whose events all go out wrapped in `Event::Tab` for `tab`.
    pub(crate) fn for_tab(&self, tab: TabId) -> Outbox {
        Outbox {
            tab: Some(tab),
            ..self.clone()
        }
    }

    /// A clone whose events, other than log lines, stop once `retired` is set.
    pub(crate) fn retirable(&self, retired: Arc<AtomicBool>) -> Outbox {
        Outbox {
            retired: Some(retired),
            ..self.clone()
        }
    }

    pub(crate) fn send(&self, event: Event) {
        if self
            .retired
            .as_ref()
            .is_some_and(|r| r.load(Ordering::Acquire))
            && !matches!(event, Event::Log(_))
        {
            return;
        }
        let event = match self.tab {
            Some(tab) => Event::Tab {
                tab,
                event: Box::new(event),
            },
            None => event,
        };
        let shared = &self.shared;
        let mut pending = shared.lock();
        // The flusher sleeps without a deadline only while nothing is pending.
        let was_empty = pending.is_empty();
        let event = pending.gather(event).err();
        let quiet = pending
            .last_flush
            .is_none_or(|t| t.elapsed() >= SNAPSHOT_INTERVAL);
        if event.is_some() || quiet || pending.immediate {
            shared.flush(&mut pending, event);
        } else if was_empty {
            shared.due.notify_one();
        }
    }

    /// A protocol log sink that forwards lines as events, and mirrors what
    /// the session is waiting for into `Busy` for the status line.
    pub(crate) fn log_sink(&self, side: Side) -> SharedLog {
        let out = self.clone();
        Arc::new(move |line: LogLine| {
            let wait = match line.kind {
                LogKind::Status if is_wait(&line.text) => Some(line.text.clone()),
                // Every command waits for its reply; say which.
                LogKind::Sent => {
                    let verb = line.text.split(' ').next().unwrap_or_default();
                    Some(format!("Waiting for reply to {verb}…"))
                }
                _ => None,
            };
            if let Some(what) = wait {
                out.send(Event::Busy {
                    side,
                    what: Some(what),
                    since: line.time,
                });
            }
            out.send(Event::Log(line));
        })
    }

    /// A protocol log sink that only forwards lines: for the transfer
    /// queue's connections, whose waits the queue panel shows (the status
    /// line is about browsing).
    pub(crate) fn plain_log_sink(&self) -> SharedLog {
        let out = self.clone();
        Arc::new(move |line: LogLine| out.send(Event::Log(line)))
    }

    pub(crate) fn idle(&self, side: Side) {
        self.send(Event::Busy {
            side,
            what: None,
            since: std::time::SystemTime::now(),
        });
    }

    pub(crate) fn busy(&self, side: Side, what: impl Into<String>) {
        self.send(Event::Busy {
            side,
            what: Some(what.into()),
            since: std::time::SystemTime::now(),
        });
    }
}

fn is_wait(text: &str) -> bool {
    [
        "Connecting",
        "Resolving",
        "Opening",
        "Waiting",
        "Starting TLS",
        "Reconnecting",
    ]
    .iter()
    .any(|p| text.starts_with(p))
}

/// A cloneable handle for sending commands to the engine.
#[derive(Clone)]
pub struct EngineHandle {
    tx: mpsc::UnboundedSender<Command>,
}

impl EngineHandle {
    /// Queue a command; never blocks.
    pub fn send(&self, command: Command) {
        // A closed channel means the engine has shut down with the app.
        let _ = self.tx.send(command);
    }
}

/// A running engine: its handle, its events, and the runtime it runs on.
pub struct Engine {
    pub handle: EngineHandle,
    pub events: std_mpsc::Receiver<Event>,
    runtime: Option<tokio::runtime::Runtime>,
    /// Files being edited in place: removed when the engine is dropped.
    edit_copies: edit_actor::TempCopies,
}

impl Engine {
    /// Start the engine on its own tokio runtime (background threads), with
    /// a transfer queue that is not saved.
    pub fn start(waker: Waker) -> std::io::Result<Engine> {
        Engine::start_with(waker, QueueConfig::default())
    }

    /// Start the engine with these queue settings (where the queue is saved,
    /// how many transfers at once).
    pub fn start_with(waker: Waker, queue: QueueConfig) -> std::io::Result<Engine> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("ferry-engine")
            .enable_all()
            .build()?;
        let (tx, rx) = mpsc::unbounded_channel();
        let (etx, erx) = std_mpsc::channel();
        let out = Outbox::new(etx, waker);
        let edit_copies = edit_actor::TempCopies::default();
        let (queue, edits) = {
            let _guard = runtime.enter();
            (
                queue::spawn(queue, out.clone()),
                edit_actor::spawn(out.clone(), edit_copies.clone()),
            )
        };
        runtime.spawn(dispatch(rx, out, queue, edits));
        Ok(Engine {
            handle: EngineHandle { tx },
            events: erx,
            runtime: Some(runtime),
            edit_copies,
        })
    }

    /// The runtime the engine runs on (the demo server runs there too).
    pub fn runtime(&self) -> Option<&tokio::runtime::Runtime> {
        self.runtime.as_ref()
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
        self.edit_copies.remove_all();
    }
}

/// The engine's main loop: routes each command to the task that owns it.
async fn dispatch(
    mut rx: mpsc::UnboundedReceiver<Command>,
    out: Outbox,
    queue: QueueHandle,
    edits: edit_actor::EditHandle,
) {
    let mut router = Router {
        out,
        queue,
        edits,
        sessions: HashMap::new(),
        chmods: chmod::Chmods::default(),
    };
    while let Some(command) = rx.recv().await {
        router.handle(None, command);
    }
    for (_, session) in router.sessions.drain() {
        if let Some(r) = session.remote {
            r.send(remote::RemoteOp::Quit);
        }
    }
}

/// One browsing session: the default one, or a window tab's.
#[derive(Default)]
struct Browsing {
    remote: Option<remote::RemoteHandle>,
    /// How it logged in: transfers queued from it go to this server.
    options: Option<ConnectOptions>,
    /// Its local pane's listings (a cancel stops this tab's, not another's).
    local_listings: local::Listings,
}

/// What the main loop owns: the browsing sessions by tab (`None`: the
/// default session) and the handles of the other tasks.
struct Router {
    out: Outbox,
    queue: QueueHandle,
    edits: edit_actor::EditHandle,
    sessions: HashMap<Option<TabId>, Browsing>,
    chmods: chmod::Chmods,
}

impl Router {
    /// Carry out `command` for the browsing session of `tab`.
    fn handle(&mut self, tab: Option<TabId>, command: Command) {
        let command = match command {
            Command::Tab { tab, command } => return self.handle(Some(tab), *command),
            command => command,
        };
        let out = match tab {
            Some(tab) => self.out.for_tab(tab),
            None => self.out.clone(),
        };
        let queue = &self.queue;
        let session = self.sessions.entry(tab).or_default();
        let remote = &mut session.remote;
        let options = &mut session.options;
        let local_listings = &session.local_listings;
        match command {
            // Unwrapped above.
            Command::Tab { .. } => {}
            Command::Connect {
                options: opts,
                initial_path,
            } => {
                if let Some(old) = remote.take() {
                    // Its late "disconnected" must not undo the new session's state.
                    old.retire();
                }
                *options = Some(opts.clone());
                // The queue keeps one login per server: each tab's transfers
                // go to the server that tab is connected to.
                queue.login(opts.clone());
                *remote = Some(remote::spawn(opts, initial_path, out.clone()));
            }
            Command::TestConnection { id, options, path } => {
                let out = out.clone();
                tokio::spawn(async move {
                    let steps = out.clone();
                    let report = diagnose::run(options, path, out.plain_log_sink(), move |step| {
                        steps.send(Event::TestStep {
                            id,
                            step: step.clone(),
                        })
                    })
                    .await;
                    out.send(Event::TestDone { id, report });
                });
            }
            Command::Disconnect => {
                // Said at once: a connection opened right after must not
                // be undone by this one's late goodbye.
                if let Some(r) = remote.take() {
                    r.retire();
                }
                if tab.is_some() {
                    // A closed tab leaves nothing behind.
                    self.sessions.remove(&tab);
                }
                out.idle(Side::Remote);
                out.send(Event::Disconnected { reason: None });
            }
            Command::SetDataMode(mode) => {
                if let Some(o) = options.as_mut() {
                    o.mode = mode;
                    queue.login(o.clone());
                }
                if let Some(r) = remote {
                    r.send(remote::RemoteOp::SetMode(mode));
                }
            }
            Command::List { path, show_hidden } => match path {
                AnyPath::Local(p) => {
                    tokio::spawn(local::list(p, local_listings.ticket(), out.clone()));
                }
                AnyPath::Remote(p) => match live(remote) {
                    Some(r) => r.list(p, show_hidden),
                    None => out.send(Event::ListingFailed {
                        path: AnyPath::Remote(p),
                        message: "not connected; connect to a server first".into(),
                        data_mode: None,
                    }),
                },
            },
            Command::CancelListing => {
                if let Some(r) = remote {
                    r.cancel_listings();
                }
            }
            Command::CancelLocalListing => local_listings.cancel_all(),
            Command::MakeDir { path } => match path {
                AnyPath::Local(p) => {
                    tokio::spawn(local::make_dir(p, out.clone()));
                }
                AnyPath::Remote(p) => remote_op(remote, &out, remote::RemoteOp::MakeDir(p)),
            },
            Command::Rename { from, to } => match (from, to) {
                (AnyPath::Local(a), AnyPath::Local(b)) => {
                    tokio::spawn(local::rename(a, b, out.clone()));
                }
                (AnyPath::Remote(a), AnyPath::Remote(b)) => {
                    remote_op(remote, &out, remote::RemoteOp::Rename(a, b))
                }
                (from, _) => out.send(Event::OperationFailed {
                    side: from.side(),
                    message: "cannot rename across the local and remote sides; transfer instead"
                        .into(),
                }),
            },
            Command::Delete { paths } => {
                let (local_paths, remote_paths): (Vec<_>, Vec<_>) = paths
                    .into_iter()
                    .partition(|item| item.path.side() == Side::Local);
                if !local_paths.is_empty() {
                    tokio::spawn(local::delete(local_paths, out.clone()));
                }
                if !remote_paths.is_empty() {
                    let list = remote_paths
                        .into_iter()
                        .filter_map(|item| match item.path {
                            AnyPath::Remote(b) => Some((b, item.is_dir)),
                            AnyPath::Local(_) => None,
                        })
                        .collect();
                    remote_op(remote, &out, remote::RemoteOp::Delete(list));
                }
            }
            Command::Enqueue {
                direction,
                sources,
                target_dir,
                on_existing,
            } => match options.clone() {
                Some(opts) if live(remote).is_some() => {
                    queue.enqueue_with(opts, direction, sources, target_dir, on_existing);
                }
                _ => out.send(Event::QueueNotice(
                    "not connected; connect to a server first".into(),
                )),
            },
            Command::CancelJobs { ids } => queue.command(QueueCommand::CancelJobs { ids }),
            Command::PauseQueue { paused } => queue.command(QueueCommand::PauseQueue { paused }),
            Command::RetryJobs { ids } => queue.command(QueueCommand::RetryJobs { ids }),
            Command::ClearFinished { failed_too } => {
                queue.command(QueueCommand::ClearFinished { failed_too })
            }
            Command::RemoveJobs { ids } => queue.command(QueueCommand::RemoveJobs { ids }),
            Command::MoveJobs { ids, to } => queue.command(QueueCommand::MoveJobs { ids, to }),
            Command::SetPriority { ids, priority } => {
                queue.command(QueueCommand::SetPriority { ids, priority })
            }
            Command::AnswerConflict {
                id,
                choice,
                apply_to_all,
            } => queue.command(QueueCommand::AnswerConflict {
                id,
                choice,
                apply_to_all,
            }),
            Command::RestoreQueue => queue.command(QueueCommand::RestoreSaved),
            Command::Edit(command) => {
                let connected = live(remote).is_some();
                self.edits
                    .send(command, options.clone().filter(|_| connected));
            }
            Command::Chmod(command) => {
                let connected = live(remote).is_some();
                self.chmods
                    .command(command, options.clone().filter(|_| connected), &out);
            }
            Command::QueueSettings {
                concurrency,
                on_existing,
            } => queue.command(QueueCommand::QueueSettings {
                concurrency,
                on_existing,
            }),
            Command::TransferSettings(settings) => {
                queue.command(QueueCommand::TransferSettings(settings))
            }
            Command::SpeedLimit(command) => queue.command(QueueCommand::SpeedLimit(command)),
        }
    }
}

/// The remote handle if its task is still running.
fn live(remote: &mut Option<remote::RemoteHandle>) -> Option<&remote::RemoteHandle> {
    if remote.as_ref().is_some_and(|r| r.is_closed()) {
        *remote = None;
    }
    remote.as_ref()
}

fn remote_op(remote: &mut Option<remote::RemoteHandle>, out: &Outbox, op: remote::RemoteOp) {
    match live(remote) {
        Some(r) => r.send(op),
        None => out.send(Event::OperationFailed {
            side: Side::Remote,
            message: "not connected; connect to a server first".into(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn job(id: u64, state: JobState, bytes: u64) -> JobView {
        JobView {
            id,
            direction: Direction::Download,
            source: AnyPath::Remote(format!("/r/{id}").into_bytes()),
            target: AnyPath::Local(format!("/l/{id}").into()),
            is_dir: false,
            size: Some(100),
            bytes,
            state,
            error: None,
            priority: Priority::Normal,
            site: "u@h:21".into(),
            finished: None,
        }
    }

    fn log(n: usize) -> Event {
        Event::Log(LogLine {
            session: 1,
            kind: LogKind::Status,
            time: std::time::SystemTime::now(),
            text: format!("line {n}"),
        })
    }

    /// An outbox whose waker counts its calls.
    fn counting_outbox() -> (Outbox, std_mpsc::Receiver<Event>, Arc<AtomicUsize>) {
        let wakes = Arc::new(AtomicUsize::new(0));
        let counter = wakes.clone();
        let (tx, rx) = std_mpsc::channel();
        let waker: Waker = Arc::new(move || {
            counter.fetch_add(1, Ordering::SeqCst);
        });
        (Outbox::new(tx, waker), rx, wakes)
    }

    /// Receive until `done` says the last event arrived (5 s limit).
    fn receive_until(rx: &std_mpsc::Receiver<Event>, done: impl Fn(&Event) -> bool) -> Vec<Event> {
        let mut events = Vec::new();
        loop {
            let event = rx
                .recv_timeout(std::time::Duration::from_secs(5))
                .expect("the snapshot arrives without another send");
            let last = done(&event);
            events.push(event);
            if last {
                return events;
            }
        }
    }

    #[test]
    fn a_burst_of_queue_events_wakes_the_ui_a_few_times_and_loses_no_state() {
        let (out, rx, wakes) = counting_outbox();
        let jobs = 2_000u64;
        let started = Instant::now();
        out.send(Event::JobsChanged(
            (0..jobs).map(|id| job(id, JobState::Queued, 0)).collect(),
        ));
        let mut sent = 1;
        for id in 0..jobs {
            out.send(Event::JobsChanged(vec![job(id, JobState::Running, 0)]));
            out.send(log(id as usize));
            out.send(Event::JobsProgress(vec![(id, 50)]));
            out.send(Event::JobsChanged(vec![job(id, JobState::Done, 100)]));
            sent += 4;
        }
        // The last job is still running: its progress is newer than its view.
        out.send(Event::JobsChanged(vec![job(jobs, JobState::Running, 0)]));
        out.send(Event::JobsRemoved(vec![0]));
        out.send(Event::JobsProgress(vec![(jobs, 70)]));
        sent += 3;
        let elapsed = started.elapsed();

        // Nothing else is sent: the last snapshot comes on its own.
        let events = receive_until(
            &rx,
            |e| matches!(e, Event::JobsProgress(p) if p == &[(jobs, 70)]),
        );
        let snapshots = wakes.load(Ordering::SeqCst);
        // One wake at the start, then at most one per interval, plus the trailing one.
        let allowed = 2 + (elapsed.as_millis() / SNAPSHOT_INTERVAL.as_millis()) as usize;
        assert!(
            snapshots <= allowed,
            "{snapshots} wakes for {sent} events in {elapsed:?}"
        );
        assert!(events.len() < sent / 2, "{} events delivered", events.len());

        // Applying what arrived, in order, gives the final state of every job.
        let mut state: HashMap<u64, (JobState, u64)> = HashMap::new();
        let mut lines = Vec::new();
        for event in events {
            match event {
                Event::JobsChanged(views) => {
                    for v in views {
                        state.insert(v.id, (v.state, v.bytes));
                    }
                }
                Event::JobsProgress(list) => {
                    for (id, bytes) in list {
                        state.get_mut(&id).expect("progress for a known job").1 = bytes;
                    }
                }
                Event::JobsRemoved(ids) => {
                    for id in ids {
                        state.remove(&id);
                    }
                }
                Event::Log(line) => lines.push(line.text),
                other => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!(state.len(), jobs as usize);
        assert!((1..jobs).all(|id| state[&id] == (JobState::Done, 100)));
        assert_eq!(state[&jobs], (JobState::Running, 70));
        let expected: Vec<String> = (0..jobs).map(|n| format!("line {n}")).collect();
        assert_eq!(lines, expected, "every log line, in order");
    }

    #[test]
    fn a_tabs_events_come_wrapped_and_its_log_lines_are_coalesced_too() {
        let (out, rx, wakes) = counting_outbox();
        let tab = out.for_tab(TabId(7));
        let started = Instant::now();
        for n in 0..500 {
            tab.send(log(n));
        }
        let elapsed = started.elapsed();
        tab.idle(Side::Remote);
        let events = receive_until(
            &rx,
            |e| matches!(e, Event::Tab { event, .. } if matches!(**event, Event::Busy { what: None, .. })),
        );
        let allowed = 2 + (elapsed.as_millis() / SNAPSHOT_INTERVAL.as_millis()) as usize;
        assert!(
            wakes.load(Ordering::SeqCst) <= allowed,
            "one wake per snapshot, not per line"
        );
        let lines: Vec<String> = events
            .into_iter()
            .filter_map(|e| match e {
                Event::Tab {
                    tab: TabId(7),
                    event,
                } => match *event {
                    Event::Log(line) => Some(line.text),
                    _ => None,
                },
                other => panic!("unwrapped {other:?}"),
            })
            .collect();
        let expected: Vec<String> = (0..500).map(|n| format!("line {n}")).collect();
        assert_eq!(lines, expected);
    }

    #[test]
    fn other_events_go_out_at_once_after_what_is_pending_and_idle_means_no_wakes() {
        let (out, rx, wakes) = counting_outbox();
        // The first queue event after a quiet spell goes out at once.
        out.send(Event::JobsChanged(vec![job(1, JobState::Running, 0)]));
        assert!(matches!(rx.try_recv(), Ok(Event::JobsChanged(_))));
        assert_eq!(wakes.load(Ordering::SeqCst), 1);
        // The next waits for the snapshot...
        out.send(Event::JobsChanged(vec![job(1, JobState::Done, 100)]));
        assert!(rx.try_recv().is_err());
        // ...unless something that is not a queue event comes: then both go, in order.
        out.send(Event::QueueIdle {
            done: 1,
            skipped: 0,
            failed: 0,
        });
        assert!(matches!(rx.try_recv(), Ok(Event::JobsChanged(v)) if v[0].state == JobState::Done));
        assert!(matches!(
            rx.try_recv(),
            Ok(Event::QueueIdle { done: 1, .. })
        ));
        assert_eq!(wakes.load(Ordering::SeqCst), 2);

        // With nothing sent, nothing wakes the UI.
        std::thread::sleep(SNAPSHOT_INTERVAL * 4);
        assert_eq!(wakes.load(Ordering::SeqCst), 2);
        assert!(rx.try_recv().is_err());
    }
}
