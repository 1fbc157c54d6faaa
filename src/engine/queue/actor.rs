//! The queue task: it owns the jobs, answers the dispatcher's and the
//! workers' messages one at a time, starts jobs while there is room, and
//! tells the UI what changed. Nothing it does per message scans the whole
//! queue (see `jobs.rs`), except what the user asks of all jobs at once.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rustc_hash::FxHashMap;
use tokio::sync::{mpsc, watch};

use super::super::Outbox;
use super::super::protocol::{Direction, Event, Finished, JobState, JobView, OnExisting, Priority};
use super::super::rate_limit::{QueueLimits, SpeedLimitCommand};
use super::super::transfer::Known;
use super::caps::{self, Caps};
use super::jobs::{Job, Jobs, Stop};
use super::journal::Journal;
use super::store::{Loaded, broken_name};
use super::worker::Worker;
use super::{
    Child, MAX_CONCURRENCY, Outcome, QueueCommand, QueueConfig, QueueMsg, SiteKey, child_of,
};
use crate::ftp::{ConnectOptions, Session};

/// With more than one transfer connection, folders are listed on
/// connections of their own beside them (as FileZilla browses beside its
/// transfer slots), at most this many: the second only while the
/// transfers have no file to start.
const LISTING_LANES: usize = 2;
/// How often running jobs report their bytes.
const PROGRESS_EVERY: Duration = Duration::from_millis(100);
/// Spare connections are closed after the queue has been idle this long.
const CLOSE_IDLE_AFTER: Duration = Duration::from_secs(30);
/// The full queue order goes to the UI at most this often (it is a list
/// of every id; a folder of 100,000 files expands in thousands of steps).
const ORDER_EVERY: Duration = Duration::from_millis(100);

/// A job on a worker: its stop switch and its byte counter.
struct Running {
    stop: watch::Sender<bool>,
    bytes: Arc<AtomicU64>,
    /// When it started, and its bytes then (for the done row's speed).
    started: Instant,
    bytes_at_start: u64,
    /// A folder being listed.
    folder: bool,
    /// Its server (its connection counts toward the server's limit).
    site: Arc<SiteKey>,
    /// It holds a logged-in connection (one from the idle ones, or its own
    /// once it said so); false while it opens its own.
    connected: bool,
    /// Its connection was refused for too many connections: it holds none
    /// and goes back to the queue.
    refused: bool,
}

pub(super) fn spawn(
    config: QueueConfig,
    out: Outbox,
    me: mpsc::WeakUnboundedSender<QueueMsg>,
    rx: mpsc::UnboundedReceiver<QueueMsg>,
) {
    let journal = config
        .save_path
        .clone()
        .map(|path| Journal::open(path, out.clone()));
    let config_limit = config.rate_limit.clone();
    let mut queue = Queue {
        config,
        out,
        journal,
        busy: Duration::ZERO,
        me,
        jobs: Jobs::default(),
        running: FxHashMap::default(),
        idle: HashMap::new(),
        logins: HashMap::new(),
        paused: false,
        answer_all: None,
        transfer: Default::default(),
        active: false,
        idle_since: None,
        order_sent: None,
        order_due: false,
        restore_pending: false,
        limits: QueueLimits::new(config_limit.as_ref()),
        warming: HashMap::new(),
        proven: HashSet::new(),
        caps: Caps::default(),
    };
    if queue.config.restore_later {
        queue.restore_pending = queue.config.save_path.is_some();
        tokio::spawn(queue.run(rx));
        return;
    }
    tokio::spawn(async move {
        // Reading the saved queue touches the disk: not on the caller's
        // thread (the window's, before its first frame).
        let restored = tokio::task::spawn_blocking(move || {
            queue.restore();
            tracing::debug!(jobs = queue.jobs.ids().count(), "queue restored");
            queue
        });
        if let Ok(queue) = restored.await {
            queue.run(rx).await;
        }
    });
}

struct Queue {
    config: QueueConfig,
    out: Outbox,
    /// For workers to report back; weak so the task ends with its handles.
    me: mpsc::WeakUnboundedSender<QueueMsg>,
    /// The jobs, in queue order; priority is applied on top when picking.
    jobs: Jobs,
    running: FxHashMap<u64, Running>,
    /// Logged-in sessions waiting for their next job.
    idle: HashMap<SiteKey, Vec<Session>>,
    /// Where and how to log in, per server (in memory only).
    logins: HashMap<SiteKey, ConnectOptions>,
    paused: bool,
    /// "Apply to all" answer for conflicts in this queue.
    answer_all: Option<OnExisting>,
    /// Segments and transfer type where a site does not choose its own.
    transfer: super::TransferSettings,
    /// Where changes are saved (None: not saved, or the saved queue could
    /// not be read and must not be overwritten).
    journal: Option<Journal>,
    /// Time spent handling messages and ticks (for the journal's share).
    busy: Duration,
    /// Had something to run since the last `QueueIdle`.
    active: bool,
    /// When the queue last ran out of work (spare sessions close later).
    idle_since: Option<Instant>,
    /// When the order was last sent to the UI.
    order_sent: Option<Instant>,
    /// The order changed since it was last sent.
    order_due: bool,
    /// The saved queue is still to be read: nothing is saved until it is.
    restore_pending: bool,
    /// Speed limits: per direction, shared by every connection, and per job.
    limits: QueueLimits,
    /// Transfer connections being opened ahead of their jobs, per server.
    warming: HashMap<SiteKey, usize>,
    /// Servers this queue has logged in to with their current login: only
    /// then are connections opened ahead of their jobs (a mistyped
    /// password must cost one refused login, not one per connection, which
    /// is what gets an address banned).
    proven: HashSet<SiteKey>,
    /// The connections at once each server allows, where one said so.
    caps: Caps,
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
            let saving = self.journal.as_ref().is_some_and(Journal::has_pending);
            let ticking = !self.running.is_empty() || saving || self.order_due;
            let close_at = self
                .idle_since
                .filter(|_| !self.idle.is_empty())
                .map(|t| tokio::time::Instant::from_std(t + CLOSE_IDLE_AFTER));
            tokio::select! {
                msg = rx.recv() => match msg {
                    Some(msg) => {
                        let started = Instant::now();
                        self.handle(msg);
                        self.say_caps();
                        self.busy += started.elapsed();
                    }
                    None => break,
                },
                _ = tick.tick(), if ticking => {
                    let started = Instant::now();
                    self.on_tick();
                    self.busy += started.elapsed();
                }
                () = sleep_until(close_at) => {
                    for (_, pool) in self.idle.drain() {
                        quit_all(pool);
                    }
                }
            }
            let started = Instant::now();
            self.schedule();
            self.check_idle();
            self.busy += started.elapsed();
        }
        self.report_cost();
        if let Some(journal) = self.journal.take().filter(|_| !self.restore_pending) {
            // Waits for the last write: the queue ends only as the engine does.
            let _ = tokio::task::spawn_blocking(move || journal.close()).await;
        }
    }

    /// The journal's share of the queue task's time, for the benchmark
    /// (`RUST_LOG=ferry::engine::queue=debug`).
    fn report_cost(&self) {
        let Some(journal) = self.journal.as_ref().map(|j| j.spent.as_secs_f64()) else {
            return;
        };
        tracing::debug!(
            journal_ms = journal * 1e3,
            busy_ms = self.busy.as_secs_f64() * 1e3,
            "queue journal cost"
        );
    }

    fn handle(&mut self, msg: QueueMsg) {
        match msg {
            QueueMsg::Login(options) => self.login(options),
            QueueMsg::Enqueue {
                login,
                direction,
                sources,
                target_dir,
                on_existing,
            } => {
                let site = SiteKey::of(&login);
                let login_charset = login.charset;
                self.login(login);
                let added: Vec<Job> = sources
                    .into_iter()
                    .map(|item| {
                        let child =
                            child_of(&item.path, item.is_dir, &target_dir, None, &login_charset);
                        let mut job = self.new_job(direction, child, &site);
                        job.answer = on_existing;
                        job
                    })
                    .collect();
                self.push_back(added);
            }
            QueueMsg::EnqueueAs {
                login,
                direction,
                items,
            } => {
                let site = SiteKey::of(&login);
                self.login(login);
                let added: Vec<Job> = items
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
                        self.new_job(direction, child, &site)
                    })
                    .collect();
                self.push_back(added);
            }
            QueueMsg::Session(session) => {
                let site = SiteKey::of(session.options());
                if self.logins.contains_key(&site) {
                    self.idle.entry(site).or_default().push(session);
                } else {
                    quit_all(vec![session]);
                }
            }
            QueueMsg::Warmed {
                options,
                session,
                too_many,
            } => self.warmed(options, session, too_many),
            QueueMsg::TooMany { id, answer } => {
                let _ = answer.send(self.too_many(id));
            }
            QueueMsg::Connected { id } => {
                if let Some(run) = self.running.get_mut(&id) {
                    run.connected = true;
                }
            }
            QueueMsg::Command(command) => self.command(command),
            QueueMsg::Restored(saved) => {
                self.restore_pending = false;
                self.restored(saved);
                tracing::debug!(jobs = self.jobs.ids().count(), "queue restored");
            }
            QueueMsg::Started { id, size } => {
                let Some(mut job) = self.jobs.get_mut(id) else {
                    return;
                };
                job.view.state = JobState::Running;
                if size.is_some() {
                    job.view.size = size;
                }
                drop(job);
                self.changed(&[id]);
            }
            QueueMsg::Retrying { id, attempt, error } => {
                let of = self.config.retries + 1;
                let Some(mut job) = self.jobs.get_mut(id) else {
                    return;
                };
                job.view.state = JobState::Retrying { attempt, of };
                job.view.error = Some(error);
                drop(job);
                self.changed(&[id]);
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
        self.proven.remove(&site);
        self.caps.forget(&site);
        // Restored jobs stop waiting for this server.
        let waiting = self.jobs.ids_where(|j| {
            *j.site == site && j.view.state == JobState::Queued && j.view.error.is_some()
        });
        for &id in &waiting {
            if let Some(mut job) = self.jobs.get_mut(id) {
                job.view.error = None;
            }
        }
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

    /// A new job (not yet in the queue) for `child`.
    fn new_job(&mut self, direction: Direction, child: Child, site: &SiteKey) -> Job {
        let id = next_id();
        let (state, error) = match child.refused {
            Some((state, why)) => (state, Some(why)),
            None => (JobState::Queued, None),
        };
        let (site_id, site) = self.jobs.site(site);
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
                finished: None,
            },
            site,
            site_id,
            resume: false,
            answer: None,
            known: Known {
                size: child.size,
                modified: child.modified,
            },
            stopping: None,
            saved: None,
            limit: None,
        }
    }

    /// Add `jobs` at the end of the queue and tell the UI.
    fn push_back(&mut self, jobs: Vec<Job>) {
        let ids: Vec<u64> = jobs.iter().map(|j| j.view.id).collect();
        self.jobs.push_back(jobs);
        self.changed(&ids);
    }

    fn command(&mut self, command: QueueCommand) {
        match command {
            QueueCommand::RestoreSaved => self.restore_in_background(),
            QueueCommand::CancelJobs { ids } => {
                let ids = self.ids_or(ids, |j| j.view.state.is_pending());
                let mut changed = Vec::new();
                for id in ids {
                    let Some(mut job) = self.jobs.get_mut(id) else {
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
            QueueCommand::PauseQueue { paused } => {
                self.paused = paused;
                if paused {
                    for (id, run) in &self.running {
                        if let Some(mut job) = self.jobs.get_mut(*id) {
                            job.stopping.get_or_insert(Stop::Pause);
                        }
                        let _ = run.stop.send(true);
                    }
                }
                self.out.send(Event::QueuePaused(paused));
            }
            QueueCommand::RetryJobs { ids } => {
                let ids = self.ids_or(ids, |j| j.view.state.is_failed());
                let mut changed = Vec::new();
                for id in ids {
                    if let Some(mut job) = self.jobs.get_mut(id)
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
            QueueCommand::ClearFinished { failed_too } => {
                let gone = self.jobs.ids_where(|j| {
                    matches!(j.view.state, JobState::Done | JobState::Skipped)
                        || (failed_too && j.view.state.is_failed())
                });
                self.remove(&gone);
            }
            QueueCommand::RemoveJobs { ids } => {
                let ids = self.ids_or(ids, |_| true);
                let mut gone = Vec::new();
                for id in ids {
                    let Some(mut job) = self.jobs.get_mut(id) else {
                        continue;
                    };
                    if let Some(run) = self.running.get(&id) {
                        // It leaves when its worker reports back.
                        job.stopping = Some(Stop::Remove);
                        let _ = run.stop.send(true);
                    } else {
                        gone.push(id);
                    }
                }
                self.remove(&gone);
            }
            QueueCommand::MoveJobs { ids, to } => {
                let moved = self.jobs.move_ids(&ids, to);
                if let Some(journal) = self.journal.as_mut().filter(|_| !self.restore_pending) {
                    for id in moved {
                        if let Some(job) = self.jobs.get(id) {
                            journal.moved(job, self.jobs.place(id).to_vec());
                        }
                    }
                }
                self.order_changed();
            }
            QueueCommand::SetPriority { ids, priority } => {
                for &id in &ids {
                    if let Some(mut job) = self.jobs.get_mut(id) {
                        job.view.priority = priority;
                    }
                }
                self.changed(&ids);
            }
            QueueCommand::AnswerConflict {
                id,
                choice,
                apply_to_all,
            } => {
                let mut ids = vec![id];
                if apply_to_all {
                    self.answer_all = Some(choice);
                    ids = self.jobs.ids_where(|j| j.view.state == JobState::Asking);
                }
                let mut changed = Vec::new();
                for id in ids {
                    if let Some(mut job) = self.jobs.get_mut(id)
                        && job.view.state == JobState::Asking
                    {
                        job.answer = Some(choice);
                        job.view.state = JobState::Queued;
                        changed.push(id);
                    }
                }
                self.changed(&changed);
            }
            QueueCommand::QueueSettings {
                concurrency,
                on_existing,
            } => {
                self.config.concurrency = concurrency.clamp(1, MAX_CONCURRENCY);
                self.config.on_existing = on_existing;
            }
            QueueCommand::TransferSettings(settings) => self.transfer = settings,
            QueueCommand::SpeedLimit(command) => self.speed_limit(command),
        }
    }

    /// `ids`, or every job matching `all` when `ids` is empty.
    fn ids_or(&self, ids: Vec<u64>, all: impl Fn(&Job) -> bool) -> Vec<u64> {
        if !ids.is_empty() {
            return ids;
        }
        self.jobs.ids_where(all)
    }

    fn finished(&mut self, id: u64, outcome: Outcome, mut session: Option<Session>) {
        let run = self.running.remove(&id);
        let keep = self.pool_size();
        if let Some(s) = session.as_mut() {
            self.adopt_mode_switch(s);
        }
        let Some(site) = self.jobs.get(id).map(|job| (*job.site).clone()) else {
            return;
        };
        if let Some(session) = session {
            if session.is_connected() && self.logins.contains_key(&site) {
                let first_login = self.proven.insert(site.clone());
                let pool = self.idle.entry(site.clone()).or_default();
                if pool.len() < keep {
                    pool.push(session);
                } else {
                    quit_all(vec![session]);
                }
                // A folder listed on the queue's first login to its server:
                // its files' connections log in now that the login works.
                if first_login && run.as_ref().is_some_and(|r| r.folder) {
                    self.warm_if_parallel(&site);
                }
            } else {
                quit_all(vec![session]);
            }
        }
        let Some(mut job) = self.jobs.get_mut(id) else {
            return;
        };
        let stopping = job.stopping.take();
        if stopping == Some(Stop::Remove) {
            drop(job);
            self.remove(&[id]);
            return;
        }
        // A folder cancelled while it was being listed stays cancelled: its
        // contents are not queued.
        let outcome = match outcome {
            Outcome::Expanded(_) if stopping == Some(Stop::Cancel) => Outcome::Stopped,
            Outcome::Requeue if stopping.is_some() => Outcome::Stopped,
            other => other,
        };
        match outcome {
            Outcome::Done { target, bytes } => {
                job.view.state = JobState::Done;
                job.view.target = target;
                job.view.bytes = bytes;
                job.view.size = Some(bytes);
                job.view.error = None;
                job.view.finished = run.map(|r| Finished {
                    at: std::time::SystemTime::now(),
                    took: r.started.elapsed(),
                    moved: bytes.saturating_sub(r.bytes_at_start),
                });
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
                    drop(job);
                    self.changed(&[id]);
                    self.out.send(Event::JobConflict(conflict));
                    return;
                }
            },
            Outcome::Requeue => {
                job.view.state = JobState::Queued;
                job.view.error = None;
            }
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
                // A folder's files inherit an answer given for the folder
                // (a synchronization's "overwrite").
                let answer = job.answer;
                drop(job);
                let exclude = self.config.exclude.clone();
                let charset = self
                    .logins
                    .get(site.as_ref())
                    .map(|o| o.charset)
                    .unwrap_or_default();
                let children: Vec<Job> = children
                    .into_iter()
                    // Left out by the filters or --exclude (a refused entry
                    // stays, to say why).
                    .filter(|c| {
                        c.refused.is_some()
                            || !exclude
                                .as_ref()
                                .is_some_and(|x| x.excludes(&c.source, c.is_dir, &charset))
                    })
                    .map(|c| {
                        let mut job = self.new_job(direction, c, &site);
                        job.view.priority = priority;
                        job.answer = answer;
                        job
                    })
                    .collect();
                let ids: Vec<u64> = children.iter().map(|j| j.view.id).collect();
                let mut children = children;
                if let Some(limit) = self.limits.inherit(id, &ids) {
                    for child in &mut children {
                        child.limit = Some(limit);
                    }
                    let ids = ids.clone();
                    self.out.send(Event::JobLimits {
                        ids,
                        limit: Some(limit.rate),
                    });
                }
                let folder_saved = self.jobs.get(id).is_some_and(|j| j.saved.is_some());
                self.jobs.replace(id, children);
                // Its files first: a write cut short between the two
                // records keeps the folder rather than losing it.
                self.changed(&ids);
                if let Some(journal) = self.journal.as_mut().filter(|_| !self.restore_pending)
                    && folder_saved
                {
                    journal.forget([id]);
                }
                self.out.send(Event::JobsRemoved(vec![id]));
                self.order_changed();
                return;
            }
        }
        drop(job);
        self.changed(&[id]);
    }

    /// Start jobs while there is room.
    fn schedule(&mut self) {
        if self.paused {
            return;
        }
        while let Some(id) = self.next_to_start() {
            if !self.start(id) {
                // Shutting down (no sender left to report back on).
                return;
            }
        }
    }

    /// The first queued job of the highest priority whose server we can
    /// log in to.
    fn next_job(&self) -> Option<u64> {
        self.jobs
            .next(|site: &SiteKey| self.logins.contains_key(site))
    }

    /// The job to start now, if there is room for it. With one connection,
    /// folders and files take turns on it in queue order. With more, the
    /// transfers keep to their N connections and folders are listed on one
    /// more, ahead of the queue order (the first folder waiting, of the
    /// priority that runs now), so a tree's files are known long before
    /// the transfers reach its last folders, and no listing takes a
    /// transfer connection's time. When the transfers run out of files
    /// while folders wait, a second connection lists too.
    ///
    /// A server that said how many connections it allows gets no more,
    /// listings and transfers together; at that limit a folder waiting
    /// while none of its server's folders is listed takes the next
    /// connection to come free, ahead of that server's files.
    fn next_to_start(&self) -> Option<u64> {
        let may_run = |site: &SiteKey| self.logins.contains_key(site);
        if self.config.concurrency <= 1 {
            return (self.running.is_empty())
                .then(|| self.jobs.next(may_run))
                .flatten();
        }
        let fits = |site: &SiteKey| may_run(site) && self.has_room(site);
        let listings = self.running.values().filter(|r| r.folder).count();
        let transfers = self.running.len() - listings;
        let mut held = None;
        if listings == 0 {
            if let Some(id) = self.jobs.next_folder(fits) {
                return Some(id);
            }
            // Its server is at its limit: the folder's turn comes first.
            held = self
                .jobs
                .next_folder(may_run)
                .and_then(|id| self.jobs.get(id))
                .map(|j| j.site.clone());
        }
        if transfers >= self.config.concurrency {
            return None;
        }
        let file_fits = |site: &SiteKey| fits(site) && held.as_deref() != Some(site);
        if let Some(id) = self.jobs.next_file(file_fits) {
            // A connection being logged in for it comes soon: opening
            // another would only log in twice.
            let site = self.jobs.get(id).map(|j| &*j.site);
            let waits = site.is_some_and(|site| {
                self.warming.contains_key(site) && self.idle.get(site).is_none_or(Vec::is_empty)
            });
            return (!waits).then_some(id);
        }
        if listings < LISTING_LANES {
            return self.jobs.next_folder(fits);
        }
        None
    }

    /// The connections to `site` the queue holds: its running jobs', its
    /// idle ones and those being opened ahead.
    fn open(&self, site: &SiteKey) -> usize {
        self.running
            .values()
            .filter(|r| *r.site == *site && !r.refused)
            .count()
            + self.idle.get(site).map_or(0, Vec::len)
            + self.warming.get(site).copied().unwrap_or(0)
    }

    /// Whether a job for `site` may start now: it has no learned limit, an
    /// idle connection is there, or one more stays within the limit.
    fn has_room(&self, site: &SiteKey) -> bool {
        match self.caps.of(site, Instant::now()) {
            None => true,
            Some(cap) => {
                self.idle.get(site).is_some_and(|pool| !pool.is_empty()) || self.open(site) < cap
            }
        }
    }

    /// Running job `id`'s connection was refused for too many connections:
    /// true when other connections to its server are open, which is then
    /// its limit from now on (the job goes back to the queue).
    fn too_many(&mut self, id: u64) -> bool {
        let Some(site) = self.running.get(&id).map(|r| r.site.clone()) else {
            return false;
        };
        if self.config.concurrency <= 1 {
            return false;
        }
        let others = self.open(&site).saturating_sub(1);
        let capped = self.caps.refused(&site, others, Instant::now());
        if let Some(run) = self.running.get_mut(&id).filter(|_| capped) {
            // No longer open, even before its worker reports back.
            run.refused = true;
        }
        capped
    }

    /// Say the learned limits in the log, each once the connections being
    /// opened to its server have all answered (the number is settled then:
    /// several refused together lower it in turn).
    fn say_caps(&mut self) {
        for site in self.caps.unsaid() {
            let opening = self.warming.contains_key(&site)
                || self
                    .running
                    .values()
                    .any(|r| !r.connected && !r.refused && *r.site == site);
            if opening {
                continue;
            }
            let Some(cap) = self.caps.take_unsaid(&site) else {
                continue;
            };
            let server = match self.logins.get(&site) {
                Some(o) if o.port != 21 => o.addr_text(),
                _ => site.host.clone(),
            };
            self.out.send(Event::Log(crate::ftp::log::LogLine {
                session: 0,
                kind: crate::ftp::log::LogKind::Status,
                time: std::time::SystemTime::now(),
                text: caps::line(&server, cap),
            }));
        }
    }

    /// How many logged-in sessions per server the queue keeps for its
    /// next jobs: one per transfer connection and listing connection.
    fn pool_size(&self) -> usize {
        if self.config.concurrency > 1 {
            self.config.concurrency + LISTING_LANES
        } else {
            1
        }
    }

    /// Start job `id` on a worker; false when it could not be.
    fn start(&mut self, id: u64) -> bool {
        let Some(tx) = self.me.upgrade() else {
            return false;
        };
        let Some(mut job) = self.jobs.get_mut(id) else {
            return false;
        };
        let Some(mut options) = self.logins.get(&*job.site).cloned() else {
            return false;
        };
        self.transfer.fill(&mut options);
        job.view.state = if job.view.is_dir {
            JobState::Expanding
        } else {
            JobState::Running
        };
        let (stop_tx, stop_rx) = watch::channel(false);
        let folder = job.view.is_dir;
        let bytes_at_start = job.view.bytes;
        let bytes = Arc::new(AtomicU64::new(bytes_at_start));
        let session = self.idle.get_mut(&*job.site).and_then(Vec::pop);
        let connected = session.is_some();
        // Connections ahead only once this login is known to work: a
        // logged-in session from the pool proves it.
        if connected {
            self.proven.insert((*job.site).clone());
        }
        let warm = (folder && self.proven.contains(&*job.site)).then(|| (*job.site).clone());
        let site = job.site.clone();
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
            rate_limit: Some(self.limits.for_job(id, job.view.direction)),
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
        drop(job);
        self.running.insert(
            id,
            Running {
                stop: stop_tx,
                bytes,
                started: Instant::now(),
                bytes_at_start,
                folder,
                site,
                connected,
                refused: false,
            },
        );
        self.active = true;
        self.idle_since = None;
        self.changed(&[id]);
        if let Some(site) = warm {
            self.warm_if_parallel(&site);
        }
        tokio::spawn(async move {
            let (outcome, session) = worker.run(session).await;
            let _ = tx.send(QueueMsg::Finished {
                id,
                outcome,
                session,
            });
        });
        true
    }

    /// While a folder of `site` is listed, log in the transfer connections
    /// its files will need, all at once: they are ready when the listing
    /// is, instead of each logging in after it (several round trips each).
    fn warm_if_parallel(&mut self, site: &SiteKey) {
        if self.config.concurrency <= 1 {
            return;
        }
        let (Some(login), Some(tx)) = (self.logins.get(site).cloned(), self.me.upgrade()) else {
            return;
        };
        let listings = self
            .running
            .values()
            .filter(|r| r.folder && *r.site == *site)
            .count();
        let have = self.open(site);
        let want = (self.config.concurrency + listings)
            .min(self.caps.of(site, Instant::now()).unwrap_or(usize::MAX));
        if have >= want {
            return;
        }
        *self.warming.entry(site.clone()).or_default() += want - have;
        for _ in have..want {
            let mut options = login.clone();
            self.transfer.fill(&mut options);
            let log = if self.config.protocol_log {
                self.out.plain_log_sink()
            } else {
                crate::ftp::log::null_log()
            };
            let tx = tx.clone();
            let login = login.clone();
            tokio::spawn(async move {
                let result = Session::connect(options, log).await;
                let too_many = result
                    .as_ref()
                    .is_err_and(super::caps::too_many_connections);
                let _ = tx.send(QueueMsg::Warmed {
                    options: Box::new(login),
                    session: result.ok().map(Box::new),
                    too_many,
                });
            });
        }
    }

    /// A connection opened by [`Queue::warm_if_parallel`] is ready (or failed): it
    /// waits for the next job, unless the login changed meanwhile.
    fn warmed(
        &mut self,
        options: Box<ConnectOptions>,
        session: Option<Box<Session>>,
        too_many: bool,
    ) {
        let site = SiteKey::of(&options);
        if let Some(n) = self.warming.get_mut(&site) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                self.warming.remove(&site);
            }
        }
        let current = self.logins.get(&site) == Some(&*options);
        if too_many && current {
            // What is open (or still being opened) is what the server allows.
            let open = self.open(&site);
            self.caps.refused(&site, open, Instant::now());
        }
        let Some(session) = session else {
            // The job that needs it connects itself, with retries.
            return;
        };
        let keep = self.pool_size();
        if self.logins.get(&site) == Some(&*options) {
            let pool = self.idle.entry(site).or_default();
            if pool.len() < keep {
                pool.push(*session);
                return;
            }
        }
        quit_all(vec![*session]);
    }

    fn on_tick(&mut self) {
        if !self.running.is_empty() {
            let mut progress: Vec<(u64, u64)> = self
                .running
                .iter()
                .map(|(id, r)| (*id, r.bytes.load(Ordering::Relaxed)))
                .collect();
            progress.sort_unstable();
            for &(id, bytes) in &progress {
                // Bytes are not indexed: the plain view is enough.
                if let Some(mut job) = self.jobs.get_mut(id) {
                    job.view.bytes = bytes;
                }
            }
            self.out.send(Event::JobsProgress(progress));
        }
        if self.order_due {
            self.send_order();
        }
        self.save(false);
    }

    /// Say `QueueIdle` once when nothing is left to run and no question is
    /// open (jobs may still wait for a pause to end or a login).
    fn check_idle(&mut self) {
        let counts = self.jobs.counts();
        if !self.active
            || !self.running.is_empty()
            || (!self.paused && self.next_job().is_some())
            || counts.asking > 0
        {
            return;
        }
        self.active = false;
        self.idle_since = Some(Instant::now());
        if self.order_due {
            self.send_order();
        }
        self.save(true);
        self.report_cost();
        self.out.send(Event::QueueIdle {
            done: counts.done,
            skipped: counts.skipped,
            failed: counts.failed,
        });
    }

    fn changed(&mut self, ids: &[u64]) {
        if ids.is_empty() {
            return;
        }
        let mut views = Vec::with_capacity(ids.len());
        match self.journal.as_mut().filter(|_| !self.restore_pending) {
            Some(journal) => {
                // In chunks: the journal reads a chunk's jobs right after
                // their views were copied for the window, while they are
                // still in the cache (100,000 files of a folder arrive in
                // one call). Only the journal's part is counted as its time.
                let mut spent = std::time::Duration::ZERO;
                for chunk in ids.chunks(256) {
                    views.extend(
                        chunk
                            .iter()
                            .filter_map(|id| self.jobs.get(*id).map(|j| j.view.clone())),
                    );
                    let started = Instant::now();
                    for &id in chunk {
                        if let Some((job, order)) = self.jobs.get_with_order(id) {
                            let place =
                                Journal::needs_place(job).then(|| Jobs::place_in(order, id));
                            journal.note(job, place);
                        }
                    }
                    spent += started.elapsed();
                }
                journal.spent += spent;
            }
            None => views.extend(
                ids.iter()
                    .filter_map(|id| self.jobs.get(*id).map(|j| j.view.clone())),
            ),
        }
        self.out.send(Event::JobsChanged(views));
    }

    fn remove(&mut self, ids: &[u64]) {
        if ids.is_empty() {
            return;
        }
        if let Some(journal) = self.journal.as_mut().filter(|_| !self.restore_pending) {
            let jobs = &self.jobs;
            journal.forget(
                ids.iter()
                    .copied()
                    .filter(|&id| jobs.get(id).is_some_and(|j| j.saved.is_some())),
            );
        }
        for &id in ids {
            self.jobs.remove(id);
        }
        self.limits.forget(ids);
        self.out.send(Event::JobsRemoved(ids.to_vec()));
    }

    /// Change the global limits, or give jobs still to run a limit of their
    /// own (and tell the window which ones took it).
    fn speed_limit(&mut self, command: SpeedLimitCommand) {
        match command {
            SpeedLimitCommand::Global(limits) => self.limits.set_global(limits),
            SpeedLimitCommand::Jobs { ids, limit } => {
                let mut took = Vec::new();
                // The jobs sharing a bucket change together: each once.
                let mut seen = rustc_hash::FxHashSet::default();
                for id in ids {
                    let Some(job) = self.jobs.get(id) else {
                        continue;
                    };
                    if !job.view.state.is_pending() || seen.contains(&id) {
                        continue;
                    }
                    for changed in self.limits.set_job(id, job.view.direction, limit) {
                        if seen.insert(changed) {
                            took.push(changed);
                        }
                    }
                }
                for &id in &took {
                    let saved = self.limits.of_job(id);
                    if let Some(mut job) = self.jobs.get_mut(id) {
                        job.limit = saved;
                    }
                }
                if !took.is_empty() {
                    // Saved with the jobs, so a restart keeps it.
                    self.changed(&took);
                    self.out.send(Event::JobLimits { ids: took, limit });
                }
            }
        }
    }

    /// The order changed: send it now, or with the next tick when it was
    /// sent less than `ORDER_EVERY` ago (the UI places new jobs at the end
    /// until then).
    fn order_changed(&mut self) {
        if self.order_sent.is_some_and(|at| at.elapsed() < ORDER_EVERY) {
            self.order_due = true;
        } else {
            self.send_order();
        }
    }

    fn send_order(&mut self) {
        self.order_due = false;
        self.order_sent = Some(Instant::now());
        self.out.send(Event::QueueOrder(self.jobs.ids().collect()));
    }

    // ----- saving and restoring -----

    /// Hand the journal's records to its writer (at most twice a second
    /// unless `now`), and rewrite the file when it is mostly dead records.
    fn save(&mut self, now: bool) {
        if self.restore_pending {
            // Saving now would write before the file was read.
            return;
        }
        let Some(journal) = self.journal.as_mut() else {
            return;
        };
        if journal.wants_rewrite() {
            journal.rewrite(self.jobs.with_places_mut());
        } else {
            journal.flush(now);
        }
    }

    fn restore(&mut self) {
        let Some(path) = self.config.save_path.clone() else {
            return;
        };
        let saved = read_saved(&path, &self.out);
        self.restored(saved);
    }

    /// Read the saved queue on a blocking thread; the answer comes back as
    /// [`QueueMsg::Restored`].
    fn restore_in_background(&mut self) {
        let (Some(path), Some(tx)) = (self.config.save_path.clone(), self.me.upgrade()) else {
            self.restore_pending = false;
            return;
        };
        if !self.restore_pending {
            return;
        }
        let out = self.out.clone();
        tokio::task::spawn_blocking(move || {
            let _ = tx.send(QueueMsg::Restored(read_saved(&path, &out)));
        });
    }

    /// The saved queue was read: add its jobs after those already queued,
    /// and write the file afresh (jobs with this run's ids, without dead
    /// records or a line cut short by a crash). An unreadable file is
    /// never overwritten: nothing is saved in this run.
    fn restored(&mut self, saved: Saved) {
        match saved {
            Saved::Unreadable => {
                if let Some(journal) = self.journal.take() {
                    tokio::task::spawn_blocking(move || journal.close());
                }
                return;
            }
            // No file, and nothing queued yet: the first change creates it.
            Saved::Nothing if self.jobs.ids().next().is_none() => return,
            Saved::Nothing => {}
            Saved::Jobs(loaded) => self.apply_saved(loaded),
        }
        if let Some(journal) = self.journal.as_mut() {
            journal.rewrite(self.jobs.with_places_mut());
        }
    }

    /// Add the saved jobs after those already queued.
    fn apply_saved(&mut self, saved: Loaded) {
        let mut restored = Vec::new();
        // The file's limit groups, as this run's.
        let mut groups = rustc_hash::FxHashMap::default();
        let mut limited: rustc_hash::FxHashMap<u64, Vec<u64>> = Default::default();
        for saved_job in saved.jobs {
            let Some(source) = saved_job.source.path() else {
                continue;
            };
            let Some(target) = saved_job.target.path() else {
                continue;
            };
            let child = Child {
                source,
                target,
                is_dir: saved_job.is_dir,
                size: saved_job.size,
                modified: None,
                refused: saved_job.failed.then(|| {
                    (
                        JobState::Failed,
                        saved_job.error.clone().unwrap_or_else(|| "failed".into()),
                    )
                }),
            };
            let mut job = self.new_job(saved_job.direction, child, &saved_job.site);
            job.resume = true;
            job.view.priority = saved_job.priority;
            if let Some(limit) = saved_job.limit {
                let id = job.view.id;
                self.limits
                    .restore(id, saved_job.direction, limit, &mut groups);
                job.limit = self.limits.of_job(id);
                limited.entry(limit.rate).or_default().push(id);
            }
            if job.view.state == JobState::Queued {
                job.view.error = Some(format!(
                    "waiting for you to connect to {} (from the last session)",
                    saved_job.site.display()
                ));
            }
            restored.push(job);
        }
        self.push_back(restored);
        for (rate, ids) in limited {
            self.out.send(Event::JobLimits {
                ids,
                limit: Some(rate),
            });
        }
    }
}

/// What reading the saved queue found.
pub(crate) enum Saved {
    /// No saved queue (or one kept aside as unreadable JSON).
    Nothing,
    Jobs(Loaded),
    /// The file is there but could not be read: it must not be overwritten.
    Unreadable,
}

/// The saved queue at `path` (the user is told of trouble; a file that is
/// not a queue at all is kept aside; damaged records are skipped, and the
/// file as it was is kept aside too, since it is rewritten next).
fn read_saved(path: &std::path::Path, out: &Outbox) -> Saved {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Saved::Nothing,
        Err(e) => {
            out.send(Event::QueueNotice(format!(
                "could not read the saved transfer queue: {e}; changes to the queue are not saved in this session: {}",
                path.display()
            )));
            return Saved::Unreadable;
        }
    };
    match super::store::parse(&bytes) {
        Ok(loaded) => {
            if loaded.torn {
                tracing::info!("the saved queue's last record was cut short (a crash?); skipped");
            }
            if loaded.damaged > 0 {
                let aside = broken_name(path);
                let kept = std::fs::copy(path, &aside).is_ok();
                out.send(Event::QueueNotice(format!(
                    "{} of the saved transfer queue could not be read and {} skipped; {}",
                    if loaded.damaged == 1 {
                        "1 record".to_string()
                    } else {
                        format!("{} records", loaded.damaged)
                    },
                    if loaded.damaged == 1 { "was" } else { "were" },
                    if kept {
                        format!("the file as it was is kept as {}", aside.display())
                    } else {
                        "the rest was restored".into()
                    }
                )));
            }
            Saved::Jobs(loaded)
        }
        Err(e) => {
            let aside = broken_name(path);
            let kept = std::fs::rename(path, &aside).is_ok();
            out.send(Event::QueueNotice(format!(
                "the saved transfer queue could not be read ({e}); {}",
                if kept {
                    format!("it was kept as {}", aside.display())
                } else {
                    "it was left as it is".into()
                }
            )));
            if kept {
                Saved::Nothing
            } else {
                Saved::Unreadable
            }
        }
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
