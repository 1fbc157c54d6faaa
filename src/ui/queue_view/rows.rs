//! The rows a tab shows: its jobs sorted by a column and narrowed by the
//! filter box. Worked out when the sort, the filter, the tab or the queue's
//! order changes, never per frame; typing one more character of the filter
//! only looks at the rows shown already. A snapshot's changed jobs are
//! placed into the rows worked out (each tab's, the sorted order, the rows
//! shown) by binary search, so taking it in costs the same at 100 jobs as
//! at 100,000.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::VecDeque;
use std::ops::Range;

use rustc_hash::{FxHashMap, FxHashSet};

use super::{QueueTab, QueueView};
use crate::engine::{AnyPath, JobState, JobView};
use crate::ui::pane::{Filter, natural_key};

/// A column the transfer list can be sorted by (a click on its header).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueSort {
    Local,
    Remote,
    Server,
    Size,
    State,
}

const NO_ROWS: &VecDeque<u64> = &VecDeque::new();

/// What the sorted order of every job was computed from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct SortedFor {
    generation: u64,
    sort: QueueSort,
    ascending: bool,
}

/// What the shown rows were computed from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ShownFor {
    generation: u64,
    tab: QueueTab,
    sort: Option<(QueueSort, bool)>,
    filter: String,
}

/// A path as text, for matching and sorting (borrowed when it is UTF-8).
fn path_text(path: &AnyPath) -> Cow<'_, str> {
    match path {
        AnyPath::Local(p) => p.to_string_lossy(),
        AnyPath::Remote(p) => String::from_utf8_lossy(p),
    }
}

/// The local and remote side of a job.
fn local_remote(job: &JobView) -> (&AnyPath, &AnyPath) {
    match job.direction {
        crate::engine::Direction::Download => (&job.target, &job.source),
        crate::engine::Direction::Upload => (&job.source, &job.target),
    }
}

/// Whether the filter box's text is in the job's local or remote path.
fn matches(filter: &Filter, job: &JobView) -> bool {
    let (local, remote) = local_remote(job);
    filter.matches(&path_text(local)) || filter.matches(&path_text(remote))
}

/// Running first, then waiting, then finished: the order of the State column.
fn state_rank(state: &JobState) -> u8 {
    match state {
        JobState::Running => 0,
        JobState::Expanding => 1,
        JobState::Asking => 2,
        JobState::Retrying { .. } => 3,
        JobState::Queued => 4,
        JobState::Failed => 5,
        JobState::Cancelled => 6,
        JobState::Skipped => 7,
        JobState::Done => 8,
    }
}

fn text_key(text: &str) -> Vec<u8> {
    let mut key = Vec::with_capacity(text.len() + 8);
    natural_key(text, &mut key);
    key
}

/// A job's key in the order of one column (the keys of one order are all
/// of the same kind).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum SortKey {
    Text(Vec<u8>),
    Size(Option<u64>),
    State(u8),
}

fn sort_key(sort: QueueSort, job: &JobView) -> SortKey {
    match sort {
        QueueSort::Local => SortKey::Text(text_key(&path_text(local_remote(job).0))),
        QueueSort::Remote => SortKey::Text(text_key(&path_text(local_remote(job).1))),
        QueueSort::Server => SortKey::Text(text_key(&job.site)),
        QueueSort::Size => SortKey::Size(job.size),
        QueueSort::State => SortKey::State(state_rank(&job.state)),
    }
}

/// An order of rows: by a column, ascending or not, ties in queue order;
/// or (None) the queue's order.
type Order = Option<(QueueSort, bool)>;

/// Where a row sits in an order: its key (none in the queue's order),
/// then its rank in the queue.
type Place = (Option<SortKey>, usize);

fn place_of(order: Order, job: &JobView, at: usize) -> Place {
    (order.map(|(sort, _)| sort_key(sort, job)), at)
}

fn compare(order: Order, a: &Place, b: &Place) -> Ordering {
    let by_key = match order {
        Some((_, false)) => b.0.cmp(&a.0),
        _ => a.0.cmp(&b.0),
    };
    by_key.then(a.1.cmp(&b.1))
}

/// The jobs and their ranks in the queue: where each row sits.
struct Places<'a> {
    jobs: &'a FxHashMap<u64, Box<JobView>>,
    pos: &'a FxHashMap<u64, usize>,
}

impl Places<'_> {
    /// Whether `row` comes before `place` in `order`.
    fn before(&self, order: Order, row: &u64, place: &Place) -> bool {
        let Some(&at) = self.pos.get(row) else {
            return false;
        };
        match order {
            // Queue order: the rank alone (no view to look up).
            None => at < place.1,
            Some(_) => self.jobs.get(row).is_some_and(|job| {
                compare(order, &place_of(order, job, at), place) == Ordering::Less
            }),
        }
    }

    /// Moves job `id` within `rows` (in `order`) from `from` (where its old
    /// view put it, if it was among them) to `to` (where its new one puts it,
    /// if it belongs there). False when it was not where it should have been
    /// (the rows must then be worked out again).
    fn shift(
        &self,
        rows: &mut VecDeque<u64>,
        order: Order,
        id: u64,
        from: Option<Place>,
        to: Option<Place>,
    ) -> bool {
        if from == to {
            return true;
        }
        // Every row but `id` (whose view here is still the old one) is
        // where its view puts it.
        let before = |row: &u64, place: &Place| self.before(order, row, place);
        // The first row not before `place`. Most rows placed go last (a
        // new job in queue order, a job finishing in the Done tab): one
        // comparison finds them.
        let search = |rows: &VecDeque<u64>, place: &Place| match rows.back() {
            Some(last) if before(last, place) => rows.len(),
            _ => rows.partition_point(|row| before(row, place)),
        };
        if let Some(from) = from {
            let at = match rows.front() {
                Some(&first) if first == id => 0,
                _ => search(rows, &from),
            };
            if rows.get(at) != Some(&id) {
                return false;
            }
            rows.remove(at);
        }
        if let Some(to) = to {
            let at = search(rows, &to);
            rows.insert(at, id);
        }
        true
    }
}

/// Up to this many jobs changing places in a new order, the sorted rows are
/// mended job by job (a binary search each, no pass over the rows). Small
/// in tests, whose queues hold a few dozen jobs, so that both ways run.
#[cfg(not(test))]
const MEND_AT_MOST: usize = 64;
#[cfg(test)]
const MEND_AT_MOST: usize = 4;

/// Sorted rows to mend: the rows, their order, which jobs they hold.
type SortedRows<'a> = (&'a mut VecDeque<u64>, Order, &'a dyn Fn(&JobView) -> bool);

/// Replaces `rows[range]` with `block`, moving only the rows after it.
fn replace_rows(rows: &mut VecDeque<u64>, range: Range<usize>, block: Vec<u64>) {
    let mut tail = rows.split_off(range.end);
    rows.truncate(range.start);
    rows.extend(block);
    rows.append(&mut tail);
}

/// The first index from `from` on whose row is not `before` (the rows from
/// `from` on are in order): probes 1, 2, 4… rows on, then a binary search.
fn gallop(rows: &VecDeque<u64>, from: usize, before: impl Fn(&u64) -> bool) -> usize {
    let n = rows.len();
    let (mut lo, mut hi, mut step) = (from, from, 1);
    while hi < n && before(&rows[hi]) {
        lo = hi + 1;
        hi += step;
        step *= 2;
    }
    let mut hi = hi.min(n);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if before(&rows[mid]) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo
}

impl QueueView {
    /// The queue's order is now `order`. Only the block between what the
    /// old and the new order share at either end is ranked and placed
    /// again: a listed folder's files take its place, a job leaves. At
    /// 100,000 jobs, ranking every job and working out every row again
    /// for each listed folder made frames of 8 ms and more.
    pub(super) fn reorder(&mut self, order: Vec<u64>) {
        let old = std::mem::take(&mut self.order);
        let spliced = !self.order_repeats && self.splice(&old, &order);
        self.order = order;
        if !spliced {
            self.index_order();
        }
    }

    /// See [`Self::reorder`]. False when the rows must be worked out
    /// again: the new order names a job twice.
    fn splice(&mut self, old: &[u64], new: &[u64]) -> bool {
        let p = old.iter().zip(new).take_while(|(a, b)| a == b).count();
        let most = old.len().min(new.len()) - p;
        let mut s = (old.iter().rev().zip(new.iter().rev()))
            .take(most)
            .take_while(|(a, b)| a == b)
            .count();
        let rank = |id: &u64| self.pos.get(id).copied();
        // The block's new ranks follow the last one before it...
        let below = match p.checked_sub(1) {
            Some(i) => match rank(&new[i]) {
                Some(r) => Some(r),
                None => return false,
            },
            None => None,
        };
        let first = below.map_or(0, |r| r + 1);
        // ...and stay under the first one after it; if there is no room,
        // the block runs to the end.
        let above = (s > 0).then(|| rank(&new[new.len() - s])).flatten();
        let above = above.filter(|&a| a >= first + (new.len() - p - s));
        if above.is_none() {
            s = 0;
        }
        let (old_mid, new_mid) = (&old[p..old.len() - s], &new[p..new.len() - s]);
        if old_mid.is_empty() && new_mid.is_empty() {
            return true;
        }
        let was: FxHashSet<u64> = old_mid.iter().copied().collect();
        let mut is = FxHashSet::default();
        for id in new_mid {
            // Twice in the block, or also before or after it.
            let outside = rank(id)
                .is_some_and(|r| below.is_some_and(|b| r <= b) || above.is_some_and(|a| r >= a));
            if !is.insert(*id) || outside {
                return false;
            }
        }
        // Rows in queue order: those ranked between the two ends are the block's.
        let between = |rows: &VecDeque<u64>| {
            let ranked = |f: &dyn Fn(usize) -> bool| {
                rows.partition_point(|row| self.pos.get(row).is_some_and(|&r| f(r)))
            };
            ranked(&|r| below.is_some_and(|b| r <= b))..ranked(&|r| above.is_none_or(|a| r < a))
        };
        let jobs = &self.jobs;
        let block = |keep: &dyn Fn(&JobView) -> bool| -> Vec<u64> {
            let kept = new_mid
                .iter()
                .filter(|id| jobs.get(id).is_some_and(|j| keep(j)));
            kept.copied().collect()
        };
        if let Some(d) = self.derived.get_mut() {
            for (ids, other, add) in [(old_mid, &is, false), (new_mid, &was, true)] {
                for job in ids.iter().filter(|id| !other.contains(id)) {
                    if let Some(job) = jobs.get(job) {
                        d.tally(job, add);
                    }
                }
            }
            for tab in QueueTab::ALL {
                let rows = &mut d.rows[tab.index()];
                replace_rows(rows, between(rows), block(&|j| tab.shows(&j.state)));
            }
        }
        // The shown rows likewise, when in queue order.
        let mut shown = self.shown.take();
        let holds = shown.as_ref().map(|(k, _)| {
            let (tab, filter) = (k.tab, Filter::new(&k.filter));
            move |j: &JobView| tab.shows(&j.state) && matches(&filter, j)
        });
        let mut sorted_shown = None;
        if let (Some((k, rows)), Some(holds)) = (&mut shown, &holds) {
            match k.sort {
                None => replace_rows(rows, between(rows), block(holds)),
                Some(_) => sorted_shown = shown.take(),
            }
        }
        // Sorted rows: the block's jobs leave where their old ranks put
        // them and come back where their new ones do: one by one for a
        // short block, else in one pass over the rows.
        let mut sorted = self.sorted.take();
        let one_by_one = old_mid.len() + new_mid.len() <= MEND_AT_MOST;
        let mut mended = true;
        for out in [true, false] {
            let ids = if out { old_mid } else { new_mid };
            if !out {
                for id in old_mid {
                    self.pos.remove(id);
                }
                for (i, &id) in new_mid.iter().enumerate() {
                    self.pos.insert(id, first + i);
                }
            }
            let mut each: Vec<SortedRows> = Vec::new();
            if let Some((k, rows)) = &mut sorted {
                each.push((rows, Some((k.sort, k.ascending)), &|_| true));
            }
            if let (Some((k, rows)), Some(holds)) = (&mut sorted_shown, &holds) {
                each.push((rows, k.sort, holds));
            }
            for (rows, order, holds) in each {
                if one_by_one {
                    mended &= self.mend(rows, order, ids, holds, out);
                } else if out {
                    rows.retain(|id| !was.contains(id));
                } else {
                    self.merge(rows, order, ids, holds);
                }
            }
        }
        self.next_rank = self.next_rank.max(first + new_mid.len());
        if mended {
            self.sorted = sorted;
            self.shown = shown.or(sorted_shown);
        } else {
            self.shown = shown;
        }
        true
    }

    /// Takes the jobs `ids` out of `rows` (in `order`), where their ranks
    /// put them (`out`), or back in, those that `holds`. False when one
    /// was not where it should have been.
    fn mend(
        &self,
        rows: &mut VecDeque<u64>,
        order: Order,
        ids: &[u64],
        holds: &dyn Fn(&JobView) -> bool,
        out: bool,
    ) -> bool {
        let places = Places {
            jobs: &self.jobs,
            pos: &self.pos,
        };
        ids.iter()
            .all(|&id| match (self.jobs.get(&id), self.pos.get(&id)) {
                (Some(job), Some(&at)) if holds(job) => {
                    let place = Some(place_of(order, job, at));
                    let (from, to) = if out { (place, None) } else { (None, place) };
                    places.shift(rows, order, id, from, to)
                }
                _ => true,
            })
    }

    /// New jobs of a snapshot (see [`Self::place`]), now in `jobs`, into
    /// the sorted rows: all at once, as a thousand of them (a listed
    /// folder's files) placed one by one made frames of 9 ms and more.
    pub(super) fn place_new(&mut self, ids: &[u64]) {
        if ids.is_empty() {
            return;
        }
        if let Some((k, rows)) = &mut self.sorted {
            let order = Some((k.sort, k.ascending));
            let mut rows = std::mem::take(rows);
            self.merge(&mut rows, order, ids, &|_| true);
            if let Some((_, kept)) = &mut self.sorted {
                *kept = rows;
            }
        }
        if let Some((k, mut rows)) = self.shown.take() {
            if k.sort.is_some() {
                let filter = Filter::new(&k.filter);
                let holds = |j: &JobView| k.tab.shows(&j.state) && matches(&filter, j);
                self.merge(&mut rows, k.sort, ids, &holds);
            }
            self.shown = Some((k, rows));
        }
    }

    /// Puts the jobs `ids` that `holds` into `rows` (in `order`), where
    /// their places put them, in one pass over the rows. The rows hold
    /// none of them. Jobs that land next to each other (new files of the
    /// same state or size) are found from where the one before landed.
    fn merge(
        &self,
        rows: &mut VecDeque<u64>,
        order: Order,
        ids: &[u64],
        holds: &dyn Fn(&JobView) -> bool,
    ) {
        let mut coming: Vec<(Place, u64)> = ids
            .iter()
            .filter_map(|&id| {
                let (job, &at) = (self.jobs.get(&id)?, self.pos.get(&id)?);
                holds(job).then(|| (place_of(order, job, at), id))
            })
            .collect();
        if coming.is_empty() {
            return;
        }
        coming.sort_by(|a, b| compare(order, &a.0, &b.0));
        let places = Places {
            jobs: &self.jobs,
            pos: &self.pos,
        };
        let mut merged = VecDeque::with_capacity(rows.len() + coming.len());
        let mut from = 0;
        for (place, id) in coming {
            let at = gallop(rows, from, |row| places.before(order, row, &place));
            merged.extend(rows.range(from..at));
            merged.push_back(id);
            from = at;
        }
        merged.extend(rows.range(from..));
        *rows = merged;
    }

    /// Sort by `column`: a first click sorts ascending, the next one
    /// descending, the third goes back to the queue's own order.
    pub fn click_sort(&mut self, column: QueueSort) {
        self.sort = match self.sort {
            Some((c, true)) if c == column => Some((column, false)),
            Some((c, false)) if c == column => None,
            _ => Some((column, true)),
        };
    }

    /// Takes the changed job `new` into the rows worked out so far (each
    /// tab's, the sorted order, the rows shown), before it replaces the
    /// job's old view. False when they must be worked out again.
    ///
    /// A new job goes into sorted rows later, with the rest of its snapshot
    /// ([`Self::place_new`]): its id is pushed on `new_ids`.
    pub(super) fn place(&mut self, new: &JobView, new_ids: &mut Vec<u64>) -> bool {
        let Some(&at) = self.pos.get(&new.id) else {
            // Not in the queue's order (yet): in no rows.
            return true;
        };
        let id = new.id;
        let old = self.jobs.get(&id);
        let places = Places {
            jobs: &self.jobs,
            pos: &self.pos,
        };
        if let Some(d) = self.derived.get_mut() {
            if let Some(old) = old {
                d.tally(old, false);
            }
            d.tally(new, true);
            let from = old.and_then(|o| QueueTab::of(&o.state));
            let to = QueueTab::of(&new.state);
            if from != to {
                let queue_order = |tab: Option<QueueTab>| tab.map(|_| (None, at));
                for tab in [from, to].into_iter().flatten() {
                    let (from, to) = (
                        queue_order(from.filter(|f| *f == tab)),
                        queue_order(to.filter(|t| *t == tab)),
                    );
                    if !places.shift(&mut d.rows[tab.index()], None, id, from, to) {
                        return false;
                    }
                }
            }
        }
        let sorted_shown = self.shown.as_ref().is_some_and(|(k, _)| k.sort.is_some());
        if old.is_none() && (self.sorted.is_some() || sorted_shown) {
            new_ids.push(id);
        }
        if let Some((k, ids)) = &mut self.sorted
            && let Some(old) = old
        {
            let order = Some((k.sort, k.ascending));
            let from = Some(place_of(order, old, at));
            if !places.shift(ids, order, id, from, Some(place_of(order, new, at))) {
                return false;
            }
        }
        if let Some((k, rows)) = &mut self.shown
            && (old.is_some() || k.sort.is_none())
        {
            let filter = Filter::new(&k.filter);
            let shows = |job: &JobView| k.tab.shows(&job.state) && matches(&filter, job);
            let from = old.filter(|o| shows(o)).map(|o| place_of(k.sort, o, at));
            let to = Some(new)
                .filter(|n| shows(n))
                .map(|n| place_of(k.sort, n, at));
            if !places.shift(rows, k.sort, id, from, to) {
                return false;
            }
        }
        true
    }

    /// Every job's id in the order of `sort`, ties in queue order, into `self.sorted`.
    fn ensure_sorted(&mut self, sort: QueueSort, ascending: bool) {
        let wanted = SortedFor {
            generation: self.generation,
            sort,
            ascending,
        };
        if self.sorted.as_ref().is_none_or(|(k, _)| *k != wanted) {
            let mut ids: Vec<u64> = self
                .order
                .iter()
                .copied()
                .filter(|id| self.jobs.contains_key(id))
                .collect();
            let jobs = &self.jobs;
            // Each key is computed once per job (the sort is stable: equal
            // keys keep the queue's order).
            let key = |id: &u64| jobs.get(id).map(|j| sort_key(sort, j));
            if ascending {
                ids.sort_by_cached_key(key);
            } else {
                ids.sort_by_cached_key(|id| std::cmp::Reverse(key(id)));
            }
            self.sorted = Some((wanted, ids.into()));
        }
    }

    /// The ids of the rows the tab shows, sorted and filtered.
    pub(super) fn shown_rows(&mut self) -> &VecDeque<u64> {
        let wanted = ShownFor {
            generation: self.generation,
            tab: self.tab,
            sort: self.sort,
            filter: self.filter.trim().to_string(),
        };
        if self.shown.as_ref().is_none_or(|(k, _)| *k != wanted) {
            let rows = self.compute_shown(&wanted);
            self.shown = Some((wanted, rows));
        }
        self.shown_now()
    }

    /// The rows worked out last by [`Self::shown_rows`].
    pub(super) fn shown_now(&self) -> &VecDeque<u64> {
        self.shown.as_ref().map_or(NO_ROWS, |(_, rows)| rows)
    }

    fn compute_shown(&mut self, wanted: &ShownFor) -> VecDeque<u64> {
        let filter = Filter::new(&wanted.filter);
        let previous = self.shown.take();
        // One more character typed: only the rows shown now can still match.
        if let Some((was, rows)) = previous
            && was.generation == wanted.generation
            && was.tab == wanted.tab
            && was.sort == wanted.sort
            && filter.narrows(&Filter::new(&was.filter))
        {
            return rows
                .into_iter()
                .filter(|id| self.jobs.get(id).is_some_and(|j| matches(&filter, j)))
                .collect();
        }
        let tab = wanted.tab;
        let keep = |job: &JobView| tab.shows(&job.state) && matches(&filter, job);
        match wanted.sort {
            None => {
                let rows = &self.derived().rows[tab.index()];
                if filter.is_empty() {
                    return rows.clone();
                }
                rows.iter()
                    .copied()
                    .filter(|id| self.jobs.get(id).is_some_and(|j| keep(j)))
                    .collect()
            }
            Some((sort, ascending)) => {
                self.ensure_sorted(sort, ascending);
                let ids = self.sorted.as_ref().map_or(NO_ROWS, |(_, ids)| ids);
                ids.iter()
                    .copied()
                    .filter(|id| self.jobs.get(id).is_some_and(|j| keep(j)))
                    .collect()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{Direction, Priority};
    use crate::ui::queue_view::is_active;

    /// xorshift64: the same sequence on every run.
    struct Rng(u64);

    impl Rng {
        fn below(&mut self, n: usize) -> usize {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 % n as u64) as usize
        }

        fn pick<T: Clone>(&mut self, from: &[T]) -> T {
            from[self.below(from.len())].clone()
        }
    }

    fn state(r: &mut Rng) -> JobState {
        r.pick(&[
            JobState::Queued,
            JobState::Expanding,
            JobState::Running,
            JobState::Asking,
            JobState::Retrying { attempt: 1, of: 3 },
            JobState::Done,
            JobState::Skipped,
            JobState::Failed,
            JobState::Cancelled,
        ])
    }

    /// A job with few different names, sizes and servers, so that keys tie
    /// and the filters split the rows.
    fn job(r: &mut Rng, id: u64) -> JobView {
        let name = r.pick(&["Alpha", "beta", "IMG_10", "img_9", "Zeta ü", "img_010"]);
        let remote = AnyPath::Remote(format!("/r/{name}").into_bytes());
        let local = AnyPath::Local(format!("/l/{}/{name}", r.below(3)).into());
        let upload = r.below(4) == 0;
        JobView {
            id,
            direction: if upload {
                crate::engine::Direction::Upload
            } else {
                Direction::Download
            },
            source: if upload {
                local.clone()
            } else {
                remote.clone()
            },
            target: if upload { remote } else { local },
            is_dir: r.below(5) == 0,
            size: r.pick(&[None, Some(0), Some(10), Some(25), Some(u64::MAX)]),
            bytes: r.below(30) as u64,
            state: state(r),
            error: None,
            priority: Priority::Normal,
            site: format!("u@h{}:21", r.below(3)),
            finished: None,
        }
    }

    /// A job in the queue's order, or now and then one the panel holds
    /// that the order no longer names.
    fn any_job(r: &mut Rng, q: &QueueView) -> u64 {
        let gone: Vec<u64> = q
            .jobs
            .keys()
            .copied()
            .filter(|id| !q.pos.contains_key(id))
            .collect();
        if gone.is_empty() || r.below(4) != 0 {
            r.pick(&q.order)
        } else {
            r.pick(&gone)
        }
    }

    /// The same jobs, order, tab, sort and filter, every row worked out from scratch.
    fn from_scratch(q: &QueueView) -> QueueView {
        let mut fresh = QueueView {
            jobs: q.jobs.clone(),
            order: q.order.clone(),
            tab: q.tab,
            sort: q.sort,
            filter: q.filter.clone(),
            // Counted afresh: checks the count kept as jobs change.
            active: q.jobs.values().filter(|j| is_active(&j.state)).count(),
            ..QueueView::default()
        };
        fresh.index_order();
        fresh
    }

    /// What the panel shows of the queue: the rows, the tabs' counts, the totals.
    #[allow(clippy::type_complexity)]
    fn seen(q: &mut QueueView) -> (Vec<u64>, [usize; 3], usize, u64, bool, Option<String>) {
        let rows: Vec<u64> = q.shown_rows().iter().copied().collect();
        let totals = q.totals();
        (
            rows,
            QueueTab::ALL.map(|t| q.count(t)),
            totals.files,
            totals.bytes,
            q.is_running(),
            q.expansion(),
        )
    }

    #[test]
    fn rows_kept_up_to_date_match_rows_worked_out_from_scratch() {
        let (mut placed, mut spliced) = (0, 0);
        for seed in 1..=300u64 {
            let mut r = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
            let mut q = QueueView::default();
            let mut next_id = 1u64;
            for step in 0..80 {
                let now = step as f64;
                match r.below(10) {
                    0..=5 => {
                        let mut views = Vec::new();
                        for _ in 0..=r.below(4) {
                            let id = if q.order.is_empty() || r.below(4) == 0 {
                                next_id += 1;
                                next_id
                            } else {
                                r.pick(&q.order)
                            };
                            views.push(job(&mut r, id));
                        }
                        let (generation, repeats) = (q.generation, q.order_repeats);
                        let _ = q.update(now, views);
                        if !repeats && !q.order_repeats {
                            // Placed, not worked out again.
                            assert_eq!(q.generation, generation, "seed {seed} step {step}");
                            placed += 1;
                        }
                    }
                    6 if !q.order.is_empty() => {
                        let ids: Vec<u64> = (0..=r.below(3)).map(|_| any_job(&mut r, &q)).collect();
                        let (generation, repeats) = (q.generation, q.order_repeats);
                        let _ = q.remove(&ids);
                        if !repeats {
                            assert_eq!(q.generation, generation, "seed {seed} step {step}");
                            spliced += 1;
                        }
                    }
                    7 if !q.order.is_empty() && r.below(2) == 0 => {
                        // As a listed folder's files reach the engine's order:
                        // the jobs appended at the end since the last order,
                        // and some not described yet, take the folder's place.
                        let mut order = q.order.clone();
                        let at = r.below(order.len());
                        let appended = r.below(order.len() - at);
                        let mut block = order.split_off(order.len() - appended);
                        for _ in 0..r.below(3) {
                            next_id += 1;
                            block.push(next_id);
                        }
                        if r.below(3) != 0 {
                            order.remove(at);
                        }
                        let at = at.min(order.len());
                        order.splice(at..at, block);
                        let (generation, repeats) = (q.generation, q.order_repeats);
                        let kept = (q.sorted.is_some(), q.shown.is_some());
                        q.set_order(order);
                        if !repeats {
                            assert_eq!(q.generation, generation, "seed {seed} step {step}");
                            // Mended, not dropped to be worked out again.
                            let now = (q.sorted.is_some(), q.shown.is_some());
                            assert_eq!(now, kept, "seed {seed} step {step}");
                            spliced += 1;
                        }
                    }
                    7 => {
                        let mut order = q.order.clone();
                        for i in (1..order.len()).rev() {
                            order.swap(i, r.below(i + 1));
                        }
                        if r.below(4) == 0 {
                            order.pop();
                        }
                        if r.below(4) == 0 {
                            // A job the engine has not described yet.
                            next_id += 1;
                            order.push(next_id);
                        }
                        q.set_order(order);
                    }
                    8 if !q.order.is_empty() => {
                        let progress = [(any_job(&mut r, &q), r.below(40) as u64)];
                        q.progress(now, &progress);
                    }
                    _ => {
                        q.tab = r.pick(&QueueTab::ALL);
                        q.sort = r.pick(&[
                            None,
                            Some((QueueSort::State, true)),
                            Some((QueueSort::State, false)),
                            Some((QueueSort::Size, true)),
                            Some((QueueSort::Size, false)),
                            Some((QueueSort::Local, true)),
                            Some((QueueSort::Remote, false)),
                            Some((QueueSort::Server, true)),
                        ]);
                        q.filter = r.pick(&["", "img", "img_1", "a", "ü", " B "]).into();
                    }
                }
                // Not every step: rows worked out for another tab, sort or
                // filter are kept up to date too.
                if r.below(3) != 0 {
                    let expected = seen(&mut from_scratch(&q));
                    assert_eq!(seen(&mut q), expected, "seed {seed} step {step}");
                }
            }
        }
        // The comparison is about the path that places changes.
        assert!(placed > 5_000, "only {placed} updates were placed");
        assert!(spliced > 1_000, "only {spliced} new orders were spliced");
    }
}
