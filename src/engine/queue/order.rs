//! The queue's order and its pick of the next job, each in O(log n) per
//! change, however long the queue grows.
//!
//! Every job has a [`Place`]: a short sequence of numbers, compared
//! lexicographically. Jobs added at the end get the next number; the jobs
//! a folder expands into get the folder's place with one more number, so
//! they sort exactly where the folder stood, between its neighbours, with
//! no renumbering. Jobs that may start sit in one ordered set per server,
//! sorted by priority (highest first), then place.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use rustc_hash::{FxHashMap, FxHashSet};

use super::super::protocol::{MoveTo, Priority};

/// A job's place in the queue order. No live place is ever a prefix of
/// another one (each place expands at most once, and is then gone), so a
/// folder's children sort between the folder's neighbours.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Place(Arc<[u32]>);

impl Place {
    fn top(n: u32) -> Place {
        Place(Arc::from([n].as_slice()))
    }

    fn child(&self, n: u32) -> Place {
        let mut parts = Vec::with_capacity(self.0.len() + 1);
        parts.extend_from_slice(&self.0);
        parts.push(n);
        Place(parts.into())
    }
}

/// Which server a job belongs to, as a small number (see `Jobs`).
pub(super) type SiteId = u32;

struct Entry {
    place: Place,
    site: SiteId,
    /// Its priority while it may start (it is in the ready set).
    ready: Option<Priority>,
    /// A folder to expand (also in the ready folders while ready).
    folder: bool,
}

type ReadyKey = (Reverse<Priority>, Place, u64);

/// The queue order of job ids, and the ready ones by server.
pub(super) struct Order {
    entries: FxHashMap<u64, Entry>,
    by_place: BTreeMap<Place, u64>,
    /// The ready jobs that are files, by server (the transfer connections' work).
    ready: FxHashMap<SiteId, BTreeSet<ReadyKey>>,
    /// The ready jobs that are folders, by server: what is listed ahead.
    ready_folders: FxHashMap<SiteId, BTreeSet<ReadyKey>>,
    /// The first numbers handed out at the front and at the back so far.
    front: u32,
    back: u32,
}

impl Default for Order {
    fn default() -> Self {
        // Room for two thousand million moves to the top, and as many jobs
        // added at the end.
        let middle = 1 << 31;
        Order {
            entries: FxHashMap::default(),
            by_place: BTreeMap::new(),
            ready: FxHashMap::default(),
            ready_folders: FxHashMap::default(),
            front: middle,
            back: middle - 1,
        }
    }
}

impl Order {
    #[cfg(test)]
    fn len(&self) -> usize {
        self.by_place.len()
    }

    pub(super) fn contains(&self, id: u64) -> bool {
        self.entries.contains_key(&id)
    }

    /// Every id, first to last.
    pub(super) fn ids(&self) -> impl DoubleEndedIterator<Item = u64> + '_ {
        self.by_place.values().copied()
    }

    /// Add `id` after the last job.
    pub(super) fn push_back(&mut self, id: u64, site: SiteId) {
        self.back = self.back.saturating_add(1);
        self.put(id, Place::top(self.back), site);
    }

    /// Put `ids` where `folder` stands, in their order, and take `folder`
    /// out. Without `folder` in the order they go to the end.
    pub(super) fn replace(&mut self, folder: u64, ids: &[(u64, SiteId)]) {
        match self.entries.get(&folder).map(|e| e.place.clone()) {
            Some(place) => {
                self.remove(folder);
                for (n, &(id, site)) in (0u32..).zip(ids) {
                    self.put(id, place.child(n), site);
                }
            }
            None => {
                for &(id, site) in ids {
                    self.push_back(id, site);
                }
            }
        }
    }

    fn put(&mut self, id: u64, place: Place, site: SiteId) {
        self.remove(id);
        self.by_place.insert(place.clone(), id);
        self.entries.insert(
            id,
            Entry {
                place,
                site,
                ready: None,
                folder: false,
            },
        );
    }

    pub(super) fn remove(&mut self, id: u64) {
        self.set_ready(id, None);
        if let Some(entry) = self.entries.remove(&id) {
            self.by_place.remove(&entry.place);
        }
    }

    /// Whether `id` may start now (`Some` with its priority), or not.
    pub(super) fn set_ready(&mut self, id: u64, ready: Option<Priority>) {
        let Some(entry) = self.entries.get_mut(&id) else {
            return;
        };
        if entry.ready == ready {
            return;
        }
        // Each ready job is in one set: files, or folders.
        let sets = if entry.folder {
            &mut self.ready_folders
        } else {
            &mut self.ready
        };
        if let Some(old) = entry.ready.take() {
            let key = (Reverse(old), entry.place.clone(), id);
            unready(sets, entry.site, &key);
        }
        if let Some(priority) = ready {
            let key = (Reverse(priority), entry.place.clone(), id);
            sets.entry(entry.site).or_default().insert(key);
        }
        entry.ready = ready;
    }

    /// Say that `id` is a folder to expand (jobs are files until told).
    pub(super) fn set_folder(&mut self, id: u64, folder: bool) {
        let Some(ready) = self.entries.get(&id).map(|e| e.ready) else {
            return;
        };
        self.set_ready(id, None);
        if let Some(entry) = self.entries.get_mut(&id) {
            entry.folder = folder;
        }
        self.set_ready(id, ready);
    }

    /// The ready job of the highest priority, first in order among those,
    /// of a server `may_run` accepts.
    pub(super) fn next(&self, may_run: impl Fn(SiteId) -> bool) -> Option<u64> {
        self.first_any(&may_run).map(|(_, _, id)| *id)
    }

    /// The first ready job, file or folder.
    fn first_any(&self, may_run: &impl Fn(SiteId) -> bool) -> Option<&ReadyKey> {
        let file = first_ready(&self.ready, may_run);
        let folder = first_ready(&self.ready_folders, may_run);
        file.into_iter().chain(folder).min()
    }

    /// The ready file of the highest priority, first in order among those
    /// (what a transfer connection starts while folders are listed on
    /// connections of their own).
    pub(super) fn next_file(&self, may_run: impl Fn(SiteId) -> bool) -> Option<u64> {
        first_ready(&self.ready, &may_run).map(|(_, _, id)| *id)
    }

    /// The first ready folder when it is of the priority [`Order::next`]
    /// would start now: a folder further down may be listed ahead of the
    /// files before it, but not ahead of more urgent work.
    pub(super) fn next_folder(&self, may_run: impl Fn(SiteId) -> bool) -> Option<u64> {
        let (priority, _, _) = self.first_any(&may_run)?;
        first_ready(&self.ready_folders, &may_run)
            .filter(|(p, _, _)| p == priority)
            .map(|(_, _, id)| *id)
    }

    /// A job's place, as numbers (for the saved queue).
    pub(super) fn place(&self, id: u64) -> Option<Arc<[u32]>> {
        self.entries.get(&id).map(|e| e.place.0.clone())
    }

    /// Move `ids` (unknown ones are ignored) as the queue's buttons do:
    /// one place up or down, passing only jobs that do not move, or to the
    /// top or bottom, keeping their order among themselves. Returns the
    /// jobs whose place changed (those moved, and those they passed).
    pub(super) fn move_ids(&mut self, ids: &[u64], to: MoveTo) -> Vec<u64> {
        let mut changed = Vec::new();
        let moving: FxHashSet<u64> = ids.iter().copied().filter(|i| self.contains(*i)).collect();
        let mut places: Vec<(Place, u64)> = moving
            .iter()
            .map(|&id| (self.entries[&id].place.clone(), id))
            .collect();
        places.sort_unstable();
        match to {
            MoveTo::Top | MoveTo::Bottom => {
                let n = u32::try_from(places.len()).unwrap_or(u32::MAX);
                let first = if to == MoveTo::Top {
                    self.front = self.front.saturating_sub(n);
                    self.front
                } else {
                    let first = self.back.saturating_add(1);
                    self.back = self.back.saturating_add(n);
                    first
                };
                for (i, (_, id)) in (0u32..).zip(places) {
                    let site = self.entries[&id].site;
                    let ready = self.entries[&id].ready;
                    let folder = self.entries[&id].folder;
                    self.put(id, Place::top(first.saturating_add(i)), site);
                    self.set_folder(id, folder);
                    self.set_ready(id, ready);
                    changed.push(id);
                }
            }
            MoveTo::Up => {
                for (place, id) in places {
                    let before = self.by_place.range(..&place).next_back();
                    if let Some((_, &other)) = before
                        && !moving.contains(&other)
                    {
                        self.swap(id, other);
                        changed.extend([id, other]);
                    }
                }
            }
            MoveTo::Down => {
                for (place, id) in places.into_iter().rev() {
                    let after = self
                        .by_place
                        .range((
                            std::ops::Bound::Excluded(&place),
                            std::ops::Bound::Unbounded,
                        ))
                        .next();
                    if let Some((_, &other)) = after
                        && !moving.contains(&other)
                    {
                        self.swap(id, other);
                        changed.extend([id, other]);
                    }
                }
            }
        }
        changed
    }

    /// Exchange the places of two jobs.
    fn swap(&mut self, a: u64, b: u64) {
        let (Some(ea), Some(eb)) = (self.entries.get(&a), self.entries.get(&b)) else {
            return;
        };
        let (pa, sa, ra, fa) = (ea.place.clone(), ea.site, ea.ready, ea.folder);
        let (pb, sb, rb, fb) = (eb.place.clone(), eb.site, eb.ready, eb.folder);
        self.remove(a);
        self.remove(b);
        self.put(a, pb, sa);
        self.put(b, pa, sb);
        self.set_folder(a, fa);
        self.set_folder(b, fb);
        self.set_ready(a, ra);
        self.set_ready(b, rb);
    }
}

/// Take `key` out of `site`'s set in `sets`.
fn unready(sets: &mut FxHashMap<SiteId, BTreeSet<ReadyKey>>, site: SiteId, key: &ReadyKey) {
    if let Some(set) = sets.get_mut(&site) {
        set.remove(key);
        if set.is_empty() {
            sets.remove(&site);
        }
    }
}

/// The first key of the sets of the servers `may_run` accepts.
fn first_ready<'a>(
    sets: &'a FxHashMap<SiteId, BTreeSet<ReadyKey>>,
    may_run: &impl Fn(SiteId) -> bool,
) -> Option<&'a ReadyKey> {
    sets.iter()
        .filter(|(site, _)| may_run(**site))
        .filter_map(|(_, set)| set.first())
        .min()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order_of(ids: &[u64]) -> Order {
        let mut o = Order::default();
        for &id in ids {
            o.push_back(id, 0);
        }
        o
    }

    fn ids(o: &Order) -> Vec<u64> {
        o.ids().collect()
    }

    #[test]
    fn moves_keep_every_id_once_as_the_buttons_promise() {
        let mut o = order_of(&[1, 2, 3, 4, 5]);
        o.move_ids(&[3], MoveTo::Up);
        assert_eq!(ids(&o), [1, 3, 2, 4, 5]);
        o.move_ids(&[1], MoveTo::Up);
        assert_eq!(ids(&o), [1, 3, 2, 4, 5], "the first job stays first");
        o.move_ids(&[3, 4], MoveTo::Down);
        assert_eq!(ids(&o), [1, 2, 3, 5, 4]);
        o.move_ids(&[5, 4], MoveTo::Top);
        assert_eq!(ids(&o), [5, 4, 1, 2, 3], "their own order kept");
        o.move_ids(&[5], MoveTo::Bottom);
        assert_eq!(ids(&o), [4, 1, 2, 3, 5]);
        o.move_ids(&[1, 2], MoveTo::Up);
        assert_eq!(ids(&o), [1, 2, 4, 3, 5], "a block moves as one");
        o.move_ids(&[3, 5, 99], MoveTo::Down);
        assert_eq!(ids(&o), [1, 2, 4, 3, 5], "the last jobs stay last");
        o.move_ids(&[4, 4, 99], MoveTo::Top);
        assert_eq!(ids(&o), [4, 1, 2, 3, 5], "unknown and repeated ids");
        assert_eq!(o.len(), 5);
    }

    #[test]
    fn a_folders_children_take_its_place_even_when_expanded_again() {
        let mut o = order_of(&[1, 2, 3]);
        o.replace(2, &[(20, 0), (21, 0), (22, 0)]);
        assert_eq!(ids(&o), [1, 20, 21, 22, 3]);
        // A subfolder in the middle expands in its turn.
        o.replace(21, &[(210, 0), (211, 0)]);
        assert_eq!(ids(&o), [1, 20, 210, 211, 22, 3]);
        // Jobs added later still go to the end; an empty folder just goes.
        o.push_back(4, 0);
        o.replace(20, &[]);
        assert_eq!(ids(&o), [1, 210, 211, 22, 3, 4]);
        // A child moved to the top and expanded there.
        o.move_ids(&[211], MoveTo::Top);
        o.replace(211, &[(2110, 0)]);
        assert_eq!(ids(&o), [2110, 1, 210, 22, 3, 4]);
        // A folder swapped with its neighbour expands where it now is.
        o.move_ids(&[22], MoveTo::Up);
        o.replace(22, &[(220, 0), (221, 0)]);
        assert_eq!(ids(&o), [2110, 1, 220, 221, 210, 3, 4]);
        // A folder no longer in the order: its children go to the end.
        o.replace(999, &[(5, 0)]);
        assert_eq!(ids(&o), [2110, 1, 220, 221, 210, 3, 4, 5]);
    }

    #[test]
    fn the_next_job_is_by_priority_then_order_of_a_server_that_may_run() {
        let mut o = Order::default();
        for id in 1..=6 {
            o.push_back(id, if id % 2 == 0 { 1 } else { 0 });
        }
        let any = |_| true;
        assert_eq!(o.next(any), None, "nothing ready yet");
        for id in 1..=6 {
            o.set_ready(id, Some(Priority::Normal));
        }
        assert_eq!(o.next(any), Some(1), "queue order");
        o.set_ready(4, Some(Priority::High));
        o.set_ready(6, Some(Priority::High));
        assert_eq!(o.next(any), Some(4), "a higher priority first");
        assert_eq!(
            o.next(|site| site == 0),
            Some(1),
            "only a server with a login"
        );
        o.move_ids(&[6], MoveTo::Top);
        assert_eq!(o.next(any), Some(6), "order among the same priority");
        o.set_ready(6, None);
        o.set_ready(4, Some(Priority::Low));
        assert_eq!(o.next(any), Some(1));
        o.move_ids(&[3], MoveTo::Up);
        o.move_ids(&[3], MoveTo::Up);
        assert_eq!(o.next(any), Some(3), "moves carry the ready entry along");
        o.remove(3);
        o.remove(1);
        assert_eq!(o.next(any), Some(2));
        assert_eq!(o.next(|site| site == 0), Some(5));
        assert_eq!(o.next(|_| false), None);
        // A folder's ready children sort where the folder stood.
        o.set_ready(2, None);
        o.set_ready(5, None);
        o.replace(2, &[(7, 0), (8, 0)]);
        o.set_ready(8, Some(Priority::Normal));
        o.set_ready(7, Some(Priority::Normal));
        assert_eq!(ids(&o), [6, 7, 8, 4, 5]);
        assert_eq!(o.next(any), Some(7));
    }

    #[test]
    fn the_first_waiting_folder_of_the_running_priority_is_listed_ahead() {
        let mut o = order_of(&[1, 2, 3, 4, 5]);
        let any = |_| true;
        o.set_folder(3, true);
        o.set_folder(5, true);
        for id in 1..=5 {
            o.set_ready(id, Some(Priority::Normal));
        }
        assert_eq!(o.next(any), Some(1), "files keep their order");
        assert_eq!(o.next_folder(any), Some(3));
        o.set_ready(3, None);
        assert_eq!(o.next_folder(any), Some(5));
        o.move_ids(&[5], MoveTo::Top);
        o.move_ids(&[5], MoveTo::Down);
        assert_eq!(o.next_folder(any), Some(5), "a moved folder stays one");
        o.set_ready(2, Some(Priority::High));
        assert_eq!(o.next_folder(any), None, "not ahead of more urgent files");
        o.set_ready(5, Some(Priority::High));
        assert_eq!(o.next_folder(any), Some(5));
        assert_eq!(o.next_folder(|site| site == 1), None);
        o.remove(5);
        o.set_ready(3, Some(Priority::Normal));
        assert_eq!(o.next_folder(any), None, "no folder of the priority now");
        o.set_ready(2, None);
        assert_eq!(o.next_folder(any), Some(3));
        o.set_folder(3, false);
        assert_eq!(o.next_folder(any), None);
        assert_eq!(o.next(any), Some(1));
    }

    #[test]
    fn a_hundred_thousand_jobs_are_picked_in_order_without_rescanning() {
        let mut o = Order::default();
        for id in 0..100_000 {
            o.push_back(id, 0);
            o.set_ready(id, Some(Priority::Normal));
        }
        let mut picked = Vec::with_capacity(100_000);
        while let Some(id) = o.next(|_| true) {
            o.set_ready(id, None);
            o.remove(id);
            picked.push(id);
        }
        assert!(picked.iter().copied().eq(0..100_000));
        assert_eq!(o.len(), 0);
    }
}
