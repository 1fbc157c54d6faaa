//! The transfer queue: jobs (files, and folders that expand into files) run
//! on up to N connections of their own, reusing logged-in sessions between
//! jobs, so browsing stays responsive during a big transfer. Each file
//! grows as `NAME.part` and takes its name only when whole; an interrupted
//! one is retried with REST from what is already there. The queue (pending
//! and failed jobs, never a password) is saved on change and restored on the
//! next start. The window and the command line both drive it.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, watch};

use super::Outbox;
use super::protocol::{
    AnyPath, Command, Conflict, Direction, Event, JobState, JobView, MoveTo, OnExisting, Priority,
};
use super::queue_store::{SAVE_VERSION, SavedJob, SavedQueue, broken_name, write_atomically};
use super::queue_worker::Worker;
use super::remote::{is_plain_name, join};
use super::transfer::{Known, safe_local_name};
use crate::ftp::{ConnectOptions, NameCharset, Session};

/// Transfers at once unless the user says otherwise.
pub const DEFAULT_CONCURRENCY: usize = 4;
/// The most transfers at once the queue allows (servers limit connections per client).
pub const MAX_CONCURRENCY: usize = 32;
/// How often running jobs report their bytes.
const PROGRESS_EVERY: Duration = Duration::from_millis(100);
/// Spare connections are closed after the queue has been idle this long.
const CLOSE_IDLE_AFTER: Duration = Duration::from_secs(30);

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
    /// Send the transfer connections' protocol lines as `Event::Log` (the
    /// window's log; the command line only with -v).
    pub protocol_log: bool,
}

impl Default for QueueConfig {
    fn default() -> Self {
        QueueConfig {
            concurrency: DEFAULT_CONCURRENCY,
            on_existing: OnExisting::Ask,
            retries: 3,
            backoff: Duration::from_secs(2),
            save_path: None,
            protocol_log: true,
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
    /// The user connected (or reconnected) with these options: jobs for that
    /// server may run.
    Login(ConnectOptions),
    /// New work for the server `login` reaches.
    Enqueue {
        login: ConnectOptions,
        direction: Direction,
        sources: Vec<(AnyPath, bool)>,
        target_dir: AnyPath,
    },
    /// New work with explicit targets: (source, is it a folder, target).
    EnqueueAs {
        login: ConnectOptions,
        direction: Direction,
        items: Vec<(AnyPath, bool, AnyPath)>,
    },
    /// A logged-in session the queue may use for its jobs.
    Session(Session),
    /// One of the queue commands of [`Command`].
    Command(Command),
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
        sources: Vec<(AnyPath, bool)>,
        target_dir: AnyPath,
    ) {
        self.send(QueueMsg::Enqueue {
            login,
            direction,
            sources,
            target_dir,
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

    /// Send one of the queue commands (`CancelJobs`, `PauseQueue`, …).
    pub fn command(&self, command: Command) {
        self.send(QueueMsg::Command(command));
    }
}

/// Start the queue task on the current tokio runtime. Jobs saved at
/// `config.save_path` are restored (they wait for a login to their server).
pub fn spawn(config: QueueConfig, out: Outbox) -> QueueHandle {
    let (tx, rx) = mpsc::unbounded_channel();
    let mut queue = Queue {
        config,
        out,
        me: tx.downgrade(),
        jobs: HashMap::new(),
        order: Vec::new(),
        running: HashMap::new(),
        idle: HashMap::new(),
        logins: HashMap::new(),
        paused: false,
        answer_all: None,
        dirty: false,
        active: false,
        idle_since: None,
        last_save: Instant::now(),
    };
    queue.restore();
    tokio::spawn(queue.run(rx));
    QueueHandle { tx }
}

/// A job as the queue keeps it.
struct Job {
    view: JobView,
    site: SiteKey,
    /// Continue from what is already there (a retried, paused or restored job).
    resume: bool,
    /// The user's answer to this job's conflict.
    answer: Option<OnExisting>,
    /// What the listing said about the source (used on the first try only).
    known: Known,
    /// Why it is being stopped, while it is.
    stopping: Option<Stop>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    Pause,
    Cancel,
}

/// A job on a worker: its stop switch and its byte counter.
struct Running {
    stop: watch::Sender<bool>,
    bytes: Arc<AtomicU64>,
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

struct Queue {
    config: QueueConfig,
    out: Outbox,
    /// For workers to report back; weak so the task ends with its handles.
    me: mpsc::WeakUnboundedSender<QueueMsg>,
    jobs: HashMap<u64, Job>,
    /// Queue order (ids); priority is applied on top when picking the next job.
    order: Vec<u64>,
    running: HashMap<u64, Running>,
    /// Logged-in sessions waiting for their next job.
    idle: HashMap<SiteKey, Vec<Session>>,
    /// Where and how to log in, per server (in memory only).
    logins: HashMap<SiteKey, ConnectOptions>,
    paused: bool,
    /// "Apply to all" answer for conflicts in this queue.
    answer_all: Option<OnExisting>,
    /// Changed since the last save.
    dirty: bool,
    /// Had something to run since the last `QueueIdle`.
    active: bool,
    /// When the queue last ran out of work (spare sessions close later).
    idle_since: Option<Instant>,
    last_save: Instant,
}

static NEXT_JOB: AtomicU64 = AtomicU64::new(1);

fn next_id() -> u64 {
    NEXT_JOB.fetch_add(1, Ordering::Relaxed)
}

impl Queue {
    async fn run(mut self, mut rx: mpsc::UnboundedReceiver<QueueMsg>) {
        let mut tick = tokio::time::interval(PROGRESS_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            let ticking = !self.running.is_empty() || self.dirty;
            let close_at = self
                .idle_since
                .filter(|_| !self.idle.is_empty())
                .map(|t| tokio::time::Instant::from_std(t + CLOSE_IDLE_AFTER));
            tokio::select! {
                msg = rx.recv() => match msg {
                    Some(msg) => self.handle(msg),
                    None => break,
                },
                _ = tick.tick(), if ticking => self.on_tick(),
                () = sleep_until(close_at) => {
                    for (_, pool) in self.idle.drain() {
                        quit_all(pool);
                    }
                }
            }
            self.schedule();
            self.check_idle();
        }
        self.save();
    }

    fn handle(&mut self, msg: QueueMsg) {
        match msg {
            QueueMsg::Login(options) => self.login(options),
            QueueMsg::Enqueue {
                login,
                direction,
                sources,
                target_dir,
            } => {
                let site = SiteKey::of(&login);
                let login_charset = login.charset;
                self.login(login);
                let mut added = Vec::new();
                for (source, is_dir) in sources {
                    let child = child_of(&source, is_dir, &target_dir, None, &login_charset);
                    added.push(self.add_job(direction, child, &site));
                }
                self.order.extend(&added);
                self.changed(&added);
            }
            QueueMsg::EnqueueAs {
                login,
                direction,
                items,
            } => {
                let site = SiteKey::of(&login);
                self.login(login);
                let added: Vec<u64> = items
                    .into_iter()
                    .map(|(source, is_dir, target)| {
                        let child = Child {
                            source,
                            target,
                            is_dir,
                            size: None,
                            modified: None,
                            refused: None,
                        };
                        self.add_job(direction, child, &site)
                    })
                    .collect();
                self.order.extend(&added);
                self.changed(&added);
            }
            QueueMsg::Session(session) => {
                let site = SiteKey::of(session.options());
                if self.logins.contains_key(&site) {
                    self.idle.entry(site).or_default().push(session);
                } else {
                    quit_all(vec![session]);
                }
            }
            QueueMsg::Command(command) => self.command(command),
            QueueMsg::Started { id, size } => {
                if let Some(job) = self.jobs.get_mut(&id) {
                    job.view.state = JobState::Running;
                    if size.is_some() {
                        job.view.size = size;
                    }
                    self.changed(&[id]);
                }
            }
            QueueMsg::Retrying { id, attempt, error } => {
                if let Some(job) = self.jobs.get_mut(&id) {
                    job.view.state = JobState::Retrying {
                        attempt,
                        of: self.config.retries + 1,
                    };
                    job.view.error = Some(error);
                    self.changed(&[id]);
                }
            }
            QueueMsg::Finished {
                id,
                outcome,
                session,
            } => self.finished(id, outcome, session),
        }
    }

    fn login(&mut self, options: ConnectOptions) {
        let site = SiteKey::of(&options);
        if self.logins.get(&site) == Some(&options) {
            return;
        }
        // Sessions opened with older options (another password, mode or
        // trust decision) are not reused.
        if let Some(old) = self.idle.remove(&site) {
            quit_all(old);
        }
        // Restored jobs stop waiting for this server.
        let waiting: Vec<u64> = self
            .jobs
            .values_mut()
            .filter(|j| {
                j.site == site && j.view.state == JobState::Queued && j.view.error.is_some()
            })
            .map(|j| {
                j.view.error = None;
                j.view.id
            })
            .collect();
        self.logins.insert(site, options);
        self.changed(&waiting);
    }

    /// Auto mode switched a job's session to the other data mode: later
    /// sessions for that server start in the mode that works instead of
    /// waiting out the same deadline again, and the UI is told.
    fn adopt_mode_switch(&mut self, session: &mut Session) {
        let Some(switch) = session.take_mode_switch() else {
            return;
        };
        let site = SiteKey::of(session.options());
        // Only while the server's login still asks for auto mode: the user
        // may have reconnected with an explicit mode meanwhile.
        if let Some(options) = self.logins.get_mut(&site).filter(|o| o.auto_fallback) {
            options.mode = switch.to;
            for idle in self.idle.get_mut(&site).into_iter().flatten() {
                idle.set_mode(switch.to);
            }
        }
        let o = session.options();
        self.out.send(Event::DataModeSwitched {
            server: o.user_at(),
            mode: switch.to,
            notice: switch.notice,
        });
    }

    fn add_job(&mut self, direction: Direction, child: Child, site: &SiteKey) -> u64 {
        let id = next_id();
        let (state, error) = match child.refused {
            Some((state, why)) => (state, Some(why)),
            None => (JobState::Queued, None),
        };
        self.jobs.insert(
            id,
            Job {
                view: JobView {
                    id,
                    direction,
                    source: child.source,
                    target: child.target,
                    is_dir: child.is_dir,
                    size: child.size,
                    bytes: 0,
                    state,
                    error,
                    priority: Priority::Normal,
                    site: site.display(),
                },
                site: site.clone(),
                resume: false,
                answer: None,
                known: Known {
                    size: child.size,
                    modified: child.modified,
                },
                stopping: None,
            },
        );
        id
    }

    fn command(&mut self, command: Command) {
        match command {
            Command::CancelJobs { ids } => {
                let ids = self.ids_or(ids, |j| j.view.state.is_pending());
                let mut changed = Vec::new();
                for id in ids {
                    let Some(job) = self.jobs.get_mut(&id) else {
                        continue;
                    };
                    if let Some(run) = self.running.get(&id) {
                        job.stopping = Some(Stop::Cancel);
                        let _ = run.stop.send(true);
                    } else if job.view.state.is_pending() {
                        job.view.state = JobState::Cancelled;
                        job.view.error = Some("cancelled".into());
                        changed.push(id);
                    }
                }
                self.changed(&changed);
            }
            Command::PauseQueue { paused } => {
                self.paused = paused;
                if paused {
                    for (id, run) in &self.running {
                        if let Some(job) = self.jobs.get_mut(id) {
                            job.stopping.get_or_insert(Stop::Pause);
                        }
                        let _ = run.stop.send(true);
                    }
                }
                self.out.send(Event::QueuePaused(paused));
            }
            Command::RetryJobs { ids } => {
                let ids = self.ids_or(ids, |j| j.view.state.is_failed());
                let mut changed = Vec::new();
                for id in ids {
                    if let Some(job) = self.jobs.get_mut(&id)
                        && job.view.state.is_failed()
                    {
                        job.view.state = JobState::Queued;
                        job.view.error = None;
                        job.resume = true;
                        changed.push(id);
                    }
                }
                self.changed(&changed);
            }
            Command::ClearFinished { failed_too } => {
                let gone: Vec<u64> = self
                    .order
                    .iter()
                    .copied()
                    .filter(|id| {
                        self.jobs.get(id).is_some_and(|j| {
                            matches!(j.view.state, JobState::Done | JobState::Skipped)
                                || (failed_too && j.view.state.is_failed())
                        })
                    })
                    .collect();
                self.remove(&gone);
            }
            Command::MoveJobs { ids, to } => {
                move_in_order(&mut self.order, &ids, to);
                self.dirty = true;
                self.send_order();
            }
            Command::SetPriority { ids, priority } => {
                for id in &ids {
                    if let Some(job) = self.jobs.get_mut(id) {
                        job.view.priority = priority;
                    }
                }
                self.changed(&ids);
            }
            Command::AnswerConflict {
                id,
                choice,
                apply_to_all,
            } => {
                let mut ids = vec![id];
                if apply_to_all {
                    self.answer_all = Some(choice);
                    ids = self
                        .order
                        .iter()
                        .copied()
                        .filter(|i| {
                            self.jobs
                                .get(i)
                                .is_some_and(|j| j.view.state == JobState::Asking)
                        })
                        .collect();
                }
                let mut changed = Vec::new();
                for id in ids {
                    if let Some(job) = self.jobs.get_mut(&id)
                        && job.view.state == JobState::Asking
                    {
                        job.answer = Some(choice);
                        job.view.state = JobState::Queued;
                        changed.push(id);
                    }
                }
                self.changed(&changed);
            }
            Command::QueueSettings {
                concurrency,
                on_existing,
            } => {
                self.config.concurrency = concurrency.clamp(1, MAX_CONCURRENCY);
                self.config.on_existing = on_existing;
            }
            // Not queue commands; the dispatcher never sends them here.
            _ => {}
        }
    }

    /// `ids`, or every job matching `all` when `ids` is empty.
    fn ids_or(&self, ids: Vec<u64>, all: impl Fn(&Job) -> bool) -> Vec<u64> {
        if !ids.is_empty() {
            return ids;
        }
        self.order
            .iter()
            .copied()
            .filter(|id| self.jobs.get(id).is_some_and(&all))
            .collect()
    }

    fn finished(&mut self, id: u64, outcome: Outcome, mut session: Option<Session>) {
        self.running.remove(&id);
        if let Some(s) = session.as_mut() {
            self.adopt_mode_switch(s);
        }
        let Some(job) = self.jobs.get_mut(&id) else {
            return;
        };
        if let Some(session) = session {
            if session.is_connected() && self.logins.contains_key(&job.site) {
                let pool = self.idle.entry(job.site.clone()).or_default();
                if pool.len() < self.config.concurrency {
                    pool.push(session);
                } else {
                    quit_all(vec![session]);
                }
            } else {
                quit_all(vec![session]);
            }
        }
        let stopping = job.stopping.take();
        // A folder cancelled while it was being listed stays cancelled: its
        // contents are not queued.
        let outcome = match outcome {
            Outcome::Expanded(_) if stopping == Some(Stop::Cancel) => Outcome::Stopped,
            other => other,
        };
        match outcome {
            Outcome::Done { target, bytes } => {
                job.view.state = JobState::Done;
                job.view.target = target;
                job.view.bytes = bytes;
                job.view.size = Some(bytes);
                job.view.error = None;
            }
            Outcome::Skipped(why) => {
                job.view.state = JobState::Skipped;
                job.view.error = Some(why);
            }
            Outcome::Failed(why) => {
                job.view.state = JobState::Failed;
                job.view.error = Some(why);
            }
            Outcome::Ask(conflict) => match self.answer_all {
                Some(answer) => {
                    job.answer = Some(answer);
                    job.view.state = JobState::Queued;
                }
                None => {
                    job.view.state = JobState::Asking;
                    self.changed(&[id]);
                    self.out.send(Event::JobConflict(conflict));
                    return;
                }
            },
            Outcome::Stopped => match stopping {
                Some(Stop::Cancel) => {
                    job.view.state = JobState::Cancelled;
                    job.view.error = Some(match job.view.direction {
                        Direction::Download => {
                            "cancelled; what arrived is kept as NAME.part for a retry".into()
                        }
                        Direction::Upload => "cancelled".into(),
                    });
                }
                _ => {
                    job.view.state = JobState::Queued;
                    job.resume = true;
                }
            },
            Outcome::Expanded(children) => {
                let direction = job.view.direction;
                let site = job.site.clone();
                let priority = job.view.priority;
                let ids: Vec<u64> = children
                    .into_iter()
                    .map(|c| self.add_job(direction, c, &site))
                    .collect();
                for child in &ids {
                    if let Some(j) = self.jobs.get_mut(child) {
                        j.view.priority = priority;
                    }
                }
                let at = self.order.iter().position(|&i| i == id).unwrap_or(0);
                self.order.splice(at..at, ids.iter().copied());
                self.changed(&ids);
                self.remove(&[id]);
                self.send_order();
                return;
            }
        }
        self.changed(&[id]);
    }

    /// Start jobs while there is room.
    fn schedule(&mut self) {
        if self.paused {
            return;
        }
        while self.running.len() < self.config.concurrency {
            let Some(id) = self.next_job() else {
                return;
            };
            self.start(id);
        }
    }

    /// The first queued job of the highest priority whose server we can log in to.
    fn next_job(&self) -> Option<u64> {
        let mut best: Option<(Priority, u64)> = None;
        for id in &self.order {
            let Some(job) = self.jobs.get(id) else {
                continue;
            };
            if job.view.state != JobState::Queued || !self.logins.contains_key(&job.site) {
                continue;
            }
            if best.is_none_or(|(p, _)| job.view.priority > p) {
                best = Some((job.view.priority, *id));
            }
        }
        best.map(|(_, id)| id)
    }

    fn start(&mut self, id: u64) {
        let Some(tx) = self.me.upgrade() else {
            return;
        };
        let Some(job) = self.jobs.get_mut(&id) else {
            return;
        };
        let Some(options) = self.logins.get(&job.site).cloned() else {
            return;
        };
        job.view.state = if job.view.is_dir {
            JobState::Expanding
        } else {
            JobState::Running
        };
        let (stop_tx, stop_rx) = watch::channel(false);
        let bytes = Arc::new(AtomicU64::new(job.view.bytes));
        let session = self.idle.get_mut(&job.site).and_then(Vec::pop);
        let worker = Worker {
            id,
            source: job.view.source.clone(),
            target: job.view.target.clone(),
            is_dir: job.view.is_dir,
            policy: job
                .answer
                .or(self.answer_all)
                .unwrap_or(self.config.on_existing),
            resume: job.resume,
            known: job.known,
            retries: self.config.retries,
            backoff: self.config.backoff,
            options,
            log: if self.config.protocol_log {
                self.out.plain_log_sink()
            } else {
                crate::ftp::log::null_log()
            },
            stop: stop_rx,
            bytes: bytes.clone(),
            tx: tx.clone(),
        };
        self.running.insert(
            id,
            Running {
                stop: stop_tx,
                bytes,
            },
        );
        self.active = true;
        self.idle_since = None;
        self.changed(&[id]);
        tokio::spawn(async move {
            let (outcome, session) = worker.run(session).await;
            let _ = tx.send(QueueMsg::Finished {
                id,
                outcome,
                session,
            });
        });
    }

    fn on_tick(&mut self) {
        if !self.running.is_empty() {
            let mut progress: Vec<(u64, u64)> = self
                .running
                .iter()
                .map(|(id, r)| (*id, r.bytes.load(Ordering::Relaxed)))
                .collect();
            progress.sort_unstable();
            for (id, bytes) in &progress {
                if let Some(job) = self.jobs.get_mut(id) {
                    job.view.bytes = *bytes;
                }
            }
            self.out.send(Event::JobsProgress(progress));
        }
        if self.dirty && self.last_save.elapsed() >= Duration::from_millis(500) {
            self.save();
        }
    }

    /// Say `QueueIdle` once when nothing is left to run and no question is
    /// open (jobs may still wait for a pause to end or a login).
    fn check_idle(&mut self) {
        let asking = || self.jobs.values().any(|j| j.view.state == JobState::Asking);
        if !self.active
            || !self.running.is_empty()
            || (!self.paused && self.next_job().is_some())
            || asking()
        {
            return;
        }
        self.active = false;
        let (mut done, mut skipped, mut failed) = (0, 0, 0);
        for job in self.jobs.values() {
            match job.view.state {
                JobState::Done => done += 1,
                JobState::Skipped => skipped += 1,
                JobState::Failed | JobState::Cancelled => failed += 1,
                _ => {}
            }
        }
        self.idle_since = Some(Instant::now());
        self.save();
        self.out.send(Event::QueueIdle {
            done,
            skipped,
            failed,
        });
    }

    fn changed(&mut self, ids: &[u64]) {
        if ids.is_empty() {
            return;
        }
        let views = ids
            .iter()
            .filter_map(|id| self.jobs.get(id).map(|j| j.view.clone()))
            .collect();
        self.dirty = true;
        self.out.send(Event::JobsChanged(views));
    }

    fn remove(&mut self, ids: &[u64]) {
        if ids.is_empty() {
            return;
        }
        for id in ids {
            self.jobs.remove(id);
        }
        self.order.retain(|id| !ids.contains(id));
        self.dirty = true;
        self.out.send(Event::JobsRemoved(ids.to_vec()));
    }

    fn send_order(&self) {
        self.out.send(Event::QueueOrder(self.order.clone()));
    }

    // ----- saving and restoring -----

    fn save(&mut self) {
        self.dirty = false;
        self.last_save = Instant::now();
        let Some(path) = self.config.save_path.clone() else {
            return;
        };
        let saved = SavedQueue {
            version: SAVE_VERSION,
            jobs: self
                .order
                .iter()
                .filter_map(|id| self.jobs.get(id))
                .filter(|j| j.view.state.is_pending() || j.view.state.is_failed())
                .map(|j| SavedJob::of(&j.view, &j.site))
                .collect(),
        };
        if let Err(e) = write_atomically(&path, &saved) {
            self.out.send(Event::QueueNotice(format!(
                "could not save the transfer queue: {e}: {}",
                path.display()
            )));
        }
    }

    fn restore(&mut self) {
        let Some(path) = self.config.save_path.clone() else {
            return;
        };
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return,
            Err(e) => {
                self.out.send(Event::QueueNotice(format!(
                    "could not read the saved transfer queue: {e}: {}",
                    path.display()
                )));
                return;
            }
        };
        let saved: SavedQueue = match serde_json::from_slice(&bytes) {
            Ok(s) => s,
            Err(e) => {
                let aside = broken_name(&path);
                let kept = std::fs::rename(&path, &aside).is_ok();
                self.out.send(Event::QueueNotice(format!(
                    "the saved transfer queue could not be read ({e}); {}",
                    if kept {
                        format!("it was kept as {}", aside.display())
                    } else {
                        "it was left as it is".into()
                    }
                )));
                return;
            }
        };
        let mut ids = Vec::new();
        for job in saved.jobs {
            let Some(source) = job.source.path() else {
                continue;
            };
            let Some(target) = job.target.path() else {
                continue;
            };
            let child = Child {
                source,
                target,
                is_dir: job.is_dir,
                size: job.size,
                modified: None,
                refused: job.failed.then(|| {
                    (
                        JobState::Failed,
                        job.error.clone().unwrap_or_else(|| "failed".into()),
                    )
                }),
            };
            let id = self.add_job(job.direction, child, &job.site);
            if let Some(j) = self.jobs.get_mut(&id) {
                j.resume = true;
                j.view.priority = job.priority;
                if j.view.state == JobState::Queued {
                    j.view.error = Some(format!(
                        "waiting for you to connect to {} (from the last session)",
                        job.site.display()
                    ));
                }
            }
            ids.push(id);
        }
        self.order.extend(&ids);
        self.changed(&ids);
        self.dirty = false;
    }
}

/// Sleep until `at`, or forever without one.
async fn sleep_until(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

fn quit_all(sessions: Vec<Session>) {
    if sessions.is_empty() {
        return;
    }
    tokio::spawn(async move {
        for s in sessions {
            let _ = s.quit().await;
        }
    });
}

fn move_in_order(order: &mut Vec<u64>, ids: &[u64], to: MoveTo) {
    match to {
        MoveTo::Top | MoveTo::Bottom => {
            let (moved, rest): (Vec<u64>, Vec<u64>) = order.iter().partition(|id| ids.contains(id));
            *order = if to == MoveTo::Top {
                [moved, rest].concat()
            } else {
                [rest, moved].concat()
            };
        }
        MoveTo::Up => {
            for i in 1..order.len() {
                if ids.contains(&order[i]) && !ids.contains(&order[i - 1]) {
                    order.swap(i, i - 1);
                }
            }
        }
        MoveTo::Down => {
            for i in (0..order.len().saturating_sub(1)).rev() {
                if ids.contains(&order[i]) && !ids.contains(&order[i + 1]) {
                    order.swap(i, i + 1);
                }
            }
        }
    }
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
            // A local name that is not UTF-8 goes as its bytes.
            let remote = match std::str::from_utf8(&name) {
                Ok(text) => charset.encode(text),
                Err(_) => Ok(name.clone()),
            };
            match remote {
                Ok(remote)
                    if is_plain_name(&remote)
                        && !remote.iter().any(|&b| b == b'\r' || b == b'\n') =>
                {
                    Ok(AnyPath::Remote(join(dir, &remote)))
                }
                Ok(_) => Err(format!(
                    "refusing to upload {:?}: FTP cannot send that name",
                    String::from_utf8_lossy(&name)
                )),
                Err(why) => Err(format!("refusing to upload {why}")),
            }
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
    fn moving_jobs_keeps_every_id_once() {
        let mut order = vec![1, 2, 3, 4, 5];
        move_in_order(&mut order, &[3], MoveTo::Up);
        assert_eq!(order, [1, 3, 2, 4, 5]);
        move_in_order(&mut order, &[1], MoveTo::Up);
        assert_eq!(order, [1, 3, 2, 4, 5]);
        move_in_order(&mut order, &[3, 4], MoveTo::Down);
        assert_eq!(order, [1, 2, 3, 5, 4]);
        move_in_order(&mut order, &[5, 4], MoveTo::Top);
        assert_eq!(order, [5, 4, 1, 2, 3]);
        move_in_order(&mut order, &[5], MoveTo::Bottom);
        assert_eq!(order, [4, 1, 2, 3, 5]);
    }

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
