//! The queue's jobs: a table by id, their order (`order.rs`) and counts
//! by state. Every change to a job goes through [`JobMut`], which puts the
//! job's entry in the ready set and the counts in step when it is dropped,
//! so nothing needs a scan of all jobs to stay true.

use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use rustc_hash::FxHashMap;

use super::super::protocol::{JobState, JobView, MoveTo, OnExisting, Priority};
use super::super::rate_limit::JobLimit;
use super::super::transfer::Known;
use super::SiteKey;
use super::journal::Written;
use super::order::{Order, SiteId};

/// A job as the queue keeps it.
pub(super) struct Job {
    pub(super) view: JobView,
    pub(super) site: Arc<SiteKey>,
    pub(super) site_id: SiteId,
    /// Continue from what is already there (a retried, paused or restored job).
    pub(super) resume: bool,
    /// The user's answer to this job's conflict.
    pub(super) answer: Option<OnExisting>,
    /// What the listing said about the source (used on the first try only).
    pub(super) known: Known,
    /// Why it is being stopped, while it is.
    pub(super) stopping: Option<Stop>,
    /// What the saved queue holds of it (None: it is not in the file).
    pub(super) saved: Option<Written>,
    /// Its own speed limit, as saved (the bucket is the queue's `QueueLimits`).
    pub(super) limit: Option<JobLimit>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Stop {
    Pause,
    Cancel,
    /// Cancel, then take it out of the queue.
    Remove,
}

/// What the indexes know of a job: whether it may start, and how it counts.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Indexed {
    ready: Option<Priority>,
    class: Class,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    Other,
    Asking,
    Done,
    Skipped,
    Failed,
}

impl Indexed {
    fn of(job: &Job) -> Indexed {
        let state = &job.view.state;
        Indexed {
            ready: (*state == JobState::Queued).then_some(job.view.priority),
            class: match state {
                JobState::Asking => Class::Asking,
                JobState::Done => Class::Done,
                JobState::Skipped => Class::Skipped,
                JobState::Failed | JobState::Cancelled => Class::Failed,
                _ => Class::Other,
            },
        }
    }
}

/// How many jobs are in the states `QueueIdle` reports, and asking.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(super) struct Counts {
    pub(super) asking: usize,
    pub(super) done: usize,
    pub(super) skipped: usize,
    pub(super) failed: usize,
}

impl Counts {
    fn slot(&mut self, class: Class) -> Option<&mut usize> {
        match class {
            Class::Other => None,
            Class::Asking => Some(&mut self.asking),
            Class::Done => Some(&mut self.done),
            Class::Skipped => Some(&mut self.skipped),
            Class::Failed => Some(&mut self.failed),
        }
    }

    fn add(&mut self, class: Class) {
        if let Some(n) = self.slot(class) {
            *n += 1;
        }
    }

    fn sub(&mut self, class: Class) {
        if let Some(n) = self.slot(class) {
            *n = n.saturating_sub(1);
        }
    }
}

#[derive(Default)]
pub(super) struct Jobs {
    map: FxHashMap<u64, Job>,
    order: Order,
    counts: Counts,
    /// Servers by number, so that jobs share one copy of each.
    sites: Vec<Arc<SiteKey>>,
    site_ids: FxHashMap<Arc<SiteKey>, SiteId>,
}

/// A job being changed; the indexes follow when it is dropped.
pub(super) struct JobMut<'a> {
    job: &'a mut Job,
    order: &'a mut Order,
    counts: &'a mut Counts,
    before: Indexed,
}

impl Deref for JobMut<'_> {
    type Target = Job;
    fn deref(&self) -> &Job {
        self.job
    }
}

impl DerefMut for JobMut<'_> {
    fn deref_mut(&mut self) -> &mut Job {
        self.job
    }
}

impl Drop for JobMut<'_> {
    fn drop(&mut self) {
        let after = Indexed::of(self.job);
        if after == self.before {
            return;
        }
        self.counts.sub(self.before.class);
        self.counts.add(after.class);
        if after.ready != self.before.ready {
            self.order.set_ready(self.job.view.id, after.ready);
        }
    }
}

impl Jobs {
    /// The number and shared copy of `site`.
    pub(super) fn site(&mut self, site: &SiteKey) -> (SiteId, Arc<SiteKey>) {
        if let Some(&id) = self.site_ids.get(site) {
            return (id, self.sites[id as usize].clone());
        }
        let id = SiteId::try_from(self.sites.len()).unwrap_or(SiteId::MAX);
        let shared = Arc::new(site.clone());
        self.sites.push(shared.clone());
        self.site_ids.insert(shared.clone(), id);
        (id, shared)
    }

    /// The server with number `id`.
    pub(super) fn site_key(&self, id: SiteId) -> Option<&SiteKey> {
        self.sites.get(id as usize).map(|s| &**s)
    }

    pub(super) fn get(&self, id: u64) -> Option<&Job> {
        self.map.get(&id)
    }

    pub(super) fn get_mut(&mut self, id: u64) -> Option<JobMut<'_>> {
        let job = self.map.get_mut(&id)?;
        let before = Indexed::of(job);
        Some(JobMut {
            job,
            order: &mut self.order,
            counts: &mut self.counts,
            before,
        })
    }

    pub(super) fn counts(&self) -> Counts {
        self.counts
    }

    /// Add jobs after the last one.
    pub(super) fn push_back(&mut self, jobs: Vec<Job>) {
        for job in jobs {
            self.order.push_back(job.view.id, job.site_id);
            self.insert(job);
        }
    }

    /// Put `jobs` where `folder` stands, and take `folder` out.
    pub(super) fn replace(&mut self, folder: u64, jobs: Vec<Job>) {
        let places: Vec<(u64, SiteId)> = jobs.iter().map(|j| (j.view.id, j.site_id)).collect();
        self.forget(folder);
        self.order.replace(folder, &places);
        for job in jobs {
            self.insert(job);
        }
    }

    fn insert(&mut self, job: Job) {
        let indexed = Indexed::of(&job);
        let id = job.view.id;
        self.counts.add(indexed.class);
        self.order.set_folder(id, job.view.is_dir);
        if let Some(old) = self.map.insert(id, job) {
            self.counts.sub(Indexed::of(&old).class);
        }
        self.order.set_ready(id, indexed.ready);
    }

    /// Take a job out of the table (its place in the order stays for `replace`).
    fn forget(&mut self, id: u64) {
        if let Some(job) = self.map.remove(&id) {
            self.counts.sub(Indexed::of(&job).class);
            self.order.set_ready(id, None);
        }
    }

    pub(super) fn remove(&mut self, id: u64) {
        self.forget(id);
        self.order.remove(id);
    }

    /// The next job to start: the first ready one of the highest
    /// priority, of a server `may_run` accepts.
    pub(super) fn next(&self, may_run: impl Fn(&SiteKey) -> bool) -> Option<u64> {
        self.order
            .next(|site| self.site_key(site).is_some_and(&may_run))
    }

    /// The first ready file of the highest priority (see `Order::next_file`).
    pub(super) fn next_file(&self, may_run: impl Fn(&SiteKey) -> bool) -> Option<u64> {
        self.order
            .next_file(|site| self.site_key(site).is_some_and(&may_run))
    }

    /// The first ready folder, when one of the priority [`Jobs::next`]
    /// would start now (see `Order::next_folder`).
    pub(super) fn next_folder(&self, may_run: impl Fn(&SiteKey) -> bool) -> Option<u64> {
        self.order
            .next_folder(|site| self.site_key(site).is_some_and(&may_run))
    }

    /// Every job id, first to last.
    pub(super) fn ids(&self) -> impl DoubleEndedIterator<Item = u64> + '_ {
        self.order.ids()
    }

    /// Every job, first to last.
    pub(super) fn in_order(&self) -> impl Iterator<Item = &Job> + '_ {
        self.order.ids().filter_map(|id| self.map.get(&id))
    }

    /// Ids of the jobs matching `which`, in queue order.
    pub(super) fn ids_where(&self, which: impl Fn(&Job) -> bool) -> Vec<u64> {
        self.in_order()
            .filter(|j| which(j))
            .map(|j| j.view.id)
            .collect()
    }

    /// Move jobs; returns those whose place changed.
    pub(super) fn move_ids(&mut self, ids: &[u64], to: MoveTo) -> Vec<u64> {
        self.order.move_ids(ids, to)
    }

    /// A job's place in the order, as numbers (for the saved queue).
    pub(super) fn place(&self, id: u64) -> Arc<[u32]> {
        self.order.place(id).unwrap_or_else(|| Arc::from([]))
    }

    /// Every job with its place (order not kept: the places say it), for
    /// rewriting the saved queue, which sets each job's `saved` (not
    /// indexed, so no `JobMut` is needed).
    pub(super) fn with_places_mut(&mut self) -> impl Iterator<Item = (&mut Job, Arc<[u32]>)> + '_ {
        let order = &self.order;
        self.map.values_mut().map(move |j| {
            let place = order.place(j.view.id).unwrap_or_else(|| Arc::from([]));
            (j, place)
        })
    }

    /// Job `id`, and the order to look its place up in when it is needed
    /// (only a job new to the saved queue needs it).
    pub(super) fn get_with_order(&mut self, id: u64) -> Option<(&mut Job, &Order)> {
        let job = self.map.get_mut(&id)?;
        Some((job, &self.order))
    }

    /// A job's place in the order (empty when it has none).
    pub(super) fn place_in(order: &Order, id: u64) -> Arc<[u32]> {
        order.place(id).unwrap_or_else(|| Arc::from([]))
    }
}
