//! The rows a tab shows: its jobs sorted by a column and narrowed by the
//! filter box. Worked out once per change of the jobs (the queue's
//! generation), the sort, the filter or the tab, never per frame; typing
//! one more character of the filter only looks at the rows shown already.

use std::borrow::Cow;
use std::cmp::Reverse;

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

impl QueueSort {
    /// Whether a job's place in this order can change when only its state
    /// does (the others depend on paths, sizes and servers, which do not change).
    fn follows_state(self) -> bool {
        self == QueueSort::State
    }
}

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

impl QueueView {
    /// Sort by `column`: a first click sorts ascending, the next one
    /// descending, the third goes back to the queue's own order.
    pub fn click_sort(&mut self, column: QueueSort) {
        self.sort = match self.sort {
            Some((c, true)) if c == column => Some((column, false)),
            Some((c, false)) if c == column => None,
            _ => Some((column, true)),
        };
    }

    /// Every job's id in the order of `sort`, ties in queue order, into `self.sorted`.
    fn ensure_sorted(&mut self, sort: QueueSort, ascending: bool) {
        let generation = if sort.follows_state() {
            self.generation
        } else {
            self.set_generation
        };
        let wanted = SortedFor {
            generation,
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
            macro_rules! by {
                ($key:expr) => {{
                    let key = $key;
                    if ascending {
                        ids.sort_by_cached_key(|id| jobs.get(id).map(&key));
                    } else {
                        ids.sort_by_cached_key(|id| Reverse(jobs.get(id).map(&key)));
                    }
                }};
            }
            match sort {
                QueueSort::Local => by!(|j: &JobView| text_key(&path_text(local_remote(j).0))),
                QueueSort::Remote => by!(|j: &JobView| text_key(&path_text(local_remote(j).1))),
                QueueSort::Server => by!(|j: &JobView| text_key(&j.site)),
                QueueSort::Size => by!(|j: &JobView| j.size),
                QueueSort::State => by!(|j: &JobView| state_rank(&j.state)),
            }
            self.sorted = Some((wanted, ids));
        }
    }

    /// The ids of the rows the tab shows, sorted and filtered.
    pub(super) fn shown_rows(&mut self) -> &[u64] {
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
        match &self.shown {
            Some((_, rows)) => rows,
            None => &[],
        }
    }

    fn compute_shown(&mut self, wanted: &ShownFor) -> Vec<u64> {
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
                    .filter(|id| self.jobs.get(id).is_some_and(keep))
                    .collect()
            }
            Some((sort, ascending)) => {
                self.ensure_sorted(sort, ascending);
                let ids = self.sorted.as_ref().map_or(&[][..], |(_, ids)| ids);
                ids.iter()
                    .copied()
                    .filter(|id| self.jobs.get(id).is_some_and(keep))
                    .collect()
            }
        }
    }
}
