//! The background worker between the UI and the protocol: it owns the
//! remote session, local file-system work and transfers, and speaks only
//! [`Command`] in, [`Event`] out (see `protocol.rs`).

pub mod diagnose;
pub mod existing;
mod local;
pub mod protocol;
pub mod queue;
mod read_ahead;
mod remote;
mod remote_path;
pub mod transfer;

use std::sync::Arc;
use std::sync::mpsc as std_mpsc;

use tokio::sync::mpsc;

pub use protocol::{
    AnyPath, Command, Conflict, Direction, Entry, Event, JobState, JobView, Kind, MoveTo,
    OnExisting, PathItem, Priority, Side,
};
pub use queue::{QueueCommand, QueueConfig, QueueHandle};
pub use remote::remote_entry;

use crate::ftp::ConnectOptions;
use crate::ftp::log::{LogKind, LogLine, SharedLog};

/// Wakes the UI after the engine sent an event (`egui::Context::request_repaint`).
pub type Waker = Arc<dyn Fn() + Send + Sync>;

/// The engine's side of the event channel: send, then wake the UI.
#[derive(Clone)]
pub struct Outbox {
    tx: std_mpsc::Sender<Event>,
    waker: Waker,
}

impl Outbox {
    /// Events go to `tx`; `waker` runs after each one (the window's
    /// `request_repaint`, or a notify for the command line).
    pub fn new(tx: std_mpsc::Sender<Event>, waker: Waker) -> Outbox {
        Outbox { tx, waker }
    }

    pub(crate) fn send(&self, event: Event) {
        // A closed channel means the UI is gone; nothing is left to tell.
        let _ = self.tx.send(event);
        (self.waker)();
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
        let out = Outbox { tx: etx, waker };
        let queue = {
            let _guard = runtime.enter();
            queue::spawn(queue, out.clone())
        };
        runtime.spawn(dispatch(rx, out, queue));
        Ok(Engine {
            handle: EngineHandle { tx },
            events: erx,
            runtime: Some(runtime),
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
    }
}

/// The engine's main loop: routes each command to the task that owns it.
async fn dispatch(mut rx: mpsc::UnboundedReceiver<Command>, out: Outbox, queue: QueueHandle) {
    let mut remote: Option<remote::RemoteHandle> = None;
    let mut options: Option<ConnectOptions> = None;
    while let Some(command) = rx.recv().await {
        match command {
            Command::Connect {
                options: opts,
                initial_path,
            } => {
                if let Some(old) = remote.take() {
                    old.send(remote::RemoteOp::Quit);
                }
                options = Some(opts.clone());
                queue.login(opts.clone());
                remote = Some(remote::spawn(opts, initial_path, out.clone()));
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
            Command::Disconnect => match remote.take() {
                Some(r) => r.send(remote::RemoteOp::Quit),
                None => out.send(Event::Disconnected { reason: None }),
            },
            Command::SetDataMode(mode) => {
                if let Some(o) = options.as_mut() {
                    o.mode = mode;
                    queue.login(o.clone());
                }
                if let Some(r) = &remote {
                    r.send(remote::RemoteOp::SetMode(mode));
                }
            }
            Command::List { path, show_hidden } => match path {
                AnyPath::Local(p) => {
                    tokio::spawn(local::list(p, out.clone()));
                }
                AnyPath::Remote(p) => match live(&mut remote) {
                    Some(r) => r.send(remote::RemoteOp::List(p, show_hidden)),
                    None => out.send(Event::ListingFailed {
                        path: AnyPath::Remote(p),
                        message: "not connected; connect to a server first".into(),
                        data_mode: None,
                    }),
                },
            },
            Command::MakeDir { path } => match path {
                AnyPath::Local(p) => {
                    tokio::spawn(local::make_dir(p, out.clone()));
                }
                AnyPath::Remote(p) => remote_op(&mut remote, &out, remote::RemoteOp::MakeDir(p)),
            },
            Command::Rename { from, to } => match (from, to) {
                (AnyPath::Local(a), AnyPath::Local(b)) => {
                    tokio::spawn(local::rename(a, b, out.clone()));
                }
                (AnyPath::Remote(a), AnyPath::Remote(b)) => {
                    remote_op(&mut remote, &out, remote::RemoteOp::Rename(a, b))
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
                    remote_op(&mut remote, &out, remote::RemoteOp::Delete(list));
                }
            }
            Command::Enqueue {
                direction,
                sources,
                target_dir,
            } => match options.clone() {
                Some(opts) if live(&mut remote).is_some() => {
                    queue.enqueue(opts, direction, sources, target_dir);
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
            Command::QueueSettings {
                concurrency,
                on_existing,
            } => queue.command(QueueCommand::QueueSettings {
                concurrency,
                on_existing,
            }),
        }
    }
    if let Some(r) = remote.take() {
        r.send(remote::RemoteOp::Quit);
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
