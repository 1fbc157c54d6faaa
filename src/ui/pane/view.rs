//! The view model: the sorted order of a listing, the filter, and which
//! entries are shown where. No egui here: the benchmark measures it alone.

use super::*;
use crate::engine::listing_order::is_in_order;

/// How many shorter filters' rows are kept while typing.
const FILTER_HISTORY: usize = 16;

/// Counts of the entries shown (hidden files excluded unless shown; before filtering).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Totals {
    pub(super) files: u64,
    pub(super) folders: u64,
    pub(super) bytes: u64,
    pub(super) shown: usize,
    /// Entries the name filters hide (not counted above).
    pub(super) filtered: usize,
}

/// Listings up to this many entries are sorted on the spot when the pane's
/// column differs from the order they came in (a few milliseconds); bigger
/// ones on a thread of their own, the rows staying as they are meanwhile.
const SORT_ON_THE_SPOT: usize = 20_000;

/// What the cached view was computed from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ViewKey {
    pub(super) generation: u64,
    pub(super) sort: SortColumn,
    pub(super) ascending: bool,
    pub(super) show_hidden: bool,
    pub(super) filter: String,
    /// [`PaneState::filters_generation`] (the name filters, or their switch).
    pub(super) name_filters: u64,
    /// `sorted_for` then: the order the rows were taken from (not the one
    /// wanted while a background sort runs).
    pub(super) order: Option<(u64, SortColumn, bool)>,
}

/// A sort running on its own thread, for `key`.
pub(super) struct BackgroundSort {
    key: (u64, SortColumn, bool),
    done: std::sync::mpsc::Receiver<Vec<u32>>,
}

impl PaneState {
    pub(super) fn set_sort(&mut self, sort: SortColumn, ascending: bool) {
        self.sort = sort;
        self.ascending = ascending;
    }

    pub(super) fn view_is_current(&self) -> bool {
        self.view_for.as_ref().is_some_and(|k| {
            k.generation == self.generation
                && k.sort == self.sort
                && k.ascending == self.ascending
                && k.show_hidden == self.show_hidden
                && k.filter == self.filter
                && k.name_filters == self.filters_generation
                && k.order == self.sorted_for
        })
    }

    /// Whether a sort for the pane's column runs on its own thread (the
    /// rows show in the previous order meanwhile).
    pub(super) fn is_sorting(&self) -> bool {
        self.background_sort.is_some()
    }

    /// Bring `sorted` to the order wanted: nothing to do for a listing that
    /// came in that order (the engine sends name order), a sort on the spot
    /// for a small one, else a sort on its own thread whose result a later
    /// frame picks up.
    fn update_order(&mut self) {
        let want = (self.generation, self.sort, self.ascending);
        if let Some(running) = &self.background_sort {
            if running.key == want {
                match running.done.try_recv() {
                    Ok(order) => {
                        self.background_sort = None;
                        self.set_sorted(order, want);
                        return;
                    }
                    Err(std::sync::mpsc::TryRecvError::Empty) => {
                        self.provisional_order();
                        return;
                    }
                    // The thread died: sort here after all.
                    Err(std::sync::mpsc::TryRecvError::Disconnected) => {}
                }
            }
            // For another listing or column: its result is not wanted.
            self.background_sort = None;
        }
        if is_in_order(&self.entries, self.sort, self.ascending) {
            let order = (0..self.entries.len() as u32).collect();
            self.set_sorted(order, want);
            return;
        }
        self.sorts_run += 1;
        if self.entries.len() > SORT_ON_THE_SPOT {
            let (entries, (sort, ascending)) = (self.entries.clone(), (self.sort, self.ascending));
            let repaint = self.repaint.clone();
            let (tx, done) = std::sync::mpsc::channel();
            let spawned = std::thread::Builder::new()
                .name("pane sort".into())
                .spawn(move || {
                    let _ = tx.send(sorted_order(&entries, sort, ascending));
                    if let Some(ctx) = repaint {
                        ctx.request_repaint();
                    }
                });
            if spawned.is_ok() {
                self.background_sort = Some(BackgroundSort { key: want, done });
                self.provisional_order();
                return;
            }
        }
        let order = sorted_order(&self.entries, self.sort, self.ascending);
        self.set_sorted(order, want);
    }

    fn set_sorted(&mut self, order: Vec<u32>, key: (u64, SortColumn, bool)) {
        self.sorted = order;
        self.sorted_for = Some(key);
        self.sorted_gen = key.0;
    }

    /// While a sort runs: the rows keep the order they had, or for a new
    /// listing the order it came in.
    fn provisional_order(&mut self) {
        if self.sorted_gen != self.generation {
            self.sorted = (0..self.entries.len() as u32).collect();
            self.sorted_for = None;
            self.sorted_gen = self.generation;
        }
    }

    /// Recompute the sorted order and the shown rows if what they depend on changed.
    pub(super) fn ensure_view(&mut self) {
        if self.sorted_for != Some((self.generation, self.sort, self.ascending)) {
            self.update_order();
        }
        if self.view_is_current() {
            return;
        }
        let filter = Filter::new(&self.filter);
        let same_rows = self.view_for.as_ref().is_some_and(|k| {
            k.generation == self.generation
                && k.show_hidden == self.show_hidden
                && k.name_filters == self.filters_generation
        }) && self.position.len() == self.entries.len();
        // Typing one more character only narrows what is shown: only the
        // rows shown now are candidates.
        let narrowing = same_rows
            && self.view_for.as_ref().is_some_and(|k| {
                k.sort == self.sort
                    && k.ascending == self.ascending
                    && k.order == self.sorted_for
                    && filter.narrows(&Filter::new(&k.filter))
            });
        let same_order = same_rows
            && self.view_for.as_ref().is_some_and(|k| {
                k.sort == self.sort && k.ascending == self.ascending && k.order == self.sorted_for
            });
        if !same_order {
            self.filter_history.clear();
        }
        // Erased back to a filter typed before: its rows are still here.
        let earlier = self
            .filter_history
            .iter()
            .rposition(|(text, _)| Filter::new(text).needle == filter.needle);
        if let Some(at) = earlier {
            self.filter_history.truncate(at + 1);
            if let Some((_, view)) = self.filter_history.pop() {
                self.set_view(view);
                self.view_changed();
                return;
            }
        }
        // Which entries match, found in the listing's own order: the names
        // are read front to back (memory-friendly), not in display order.
        let mut keep = vec![0u64; self.entries.len().div_ceil(64)];
        let names = self.active_name_filter();
        for (i, e) in self.entries.iter().enumerate() {
            if narrowing && self.position.get(i) == Some(&HIDDEN) {
                continue;
            }
            if (self.show_hidden || !e.is_hidden())
                && !names
                    .as_deref()
                    .is_some_and(|n| n.hides(&e.display_name, e.opens_as_dir()))
                && filter.matches(&e.display_name)
                && !self.compare_hides(e)
            {
                keep[i / 64] |= 1 << (i % 64);
            }
        }
        let kept = |i: u32| {
            keep.get(i as usize / 64)
                .is_some_and(|w| w & (1 << (i % 64)) != 0)
        };
        let order: &[u32] = if narrowing { &self.view } else { &self.sorted };
        let view: Vec<u32> = order.iter().copied().filter(|&i| kept(i)).collect();
        if !same_rows {
            self.totals = totals(&self.entries, self.show_hidden, names.as_deref());
        }
        let previous = std::mem::take(&mut self.view);
        if narrowing && let Some(k) = &self.view_for {
            self.filter_history.push((k.filter.clone(), previous));
            // Each is at most one index per entry; a long typed text keeps the latest.
            if self.filter_history.len() > FILTER_HISTORY {
                self.filter_history.remove(0);
            }
        } else {
            self.filter_history.clear();
        }
        self.set_view(view);
        self.view_changed();
    }

    /// Show these entry indices, in this order.
    fn set_view(&mut self, view: Vec<u32>) {
        self.position.clear();
        self.position.resize(self.entries.len(), HIDDEN);
        for (place, &i) in view.iter().enumerate() {
            if let Some(p) = self.position.get_mut(i as usize) {
                *p = place as u32;
            }
        }
        self.view = view;
    }

    /// After the shown rows changed: counts, scroll position, what they are for.
    fn view_changed(&mut self) {
        self.summary = None;
        let same_listing = self
            .view_for
            .as_ref()
            .is_some_and(|k| k.generation == self.generation);
        if same_listing && self.scroll == Scroll::Stay {
            // Re-sorted or re-filtered: keep the cursor in sight, else start at the top.
            self.scroll = match self.cursor.and_then(|r| self.index_of(r)) {
                Some(_) => Scroll::Cursor,
                None => Scroll::Top,
            };
        }
        self.view_for = Some(ViewKey {
            generation: self.generation,
            sort: self.sort,
            ascending: self.ascending,
            show_hidden: self.show_hidden,
            filter: self.filter.clone(),
            name_filters: self.filters_generation,
            order: self.sorted_for,
        });
    }

    /// The shown entry indices in display order, even if `show_hidden` was
    /// flipped since the last frame.
    pub(super) fn visible_order(&self) -> Cow<'_, [u32]> {
        if self.view_is_current() {
            return Cow::Borrowed(&self.view);
        }
        // The order being worked out is not waited for: the rows keep the
        // order they show in.
        let sorted: Cow<'_, [u32]> =
            if self.sorted_gen == self.generation && self.sorted.len() == self.entries.len() {
                Cow::Borrowed(&self.sorted)
            } else {
                Cow::Owned(sorted_order(&self.entries, self.sort, self.ascending))
            };
        let filter = Filter::new(&self.filter);
        let mut view = compute_view(
            &self.entries,
            &sorted,
            self.show_hidden,
            self.active_name_filter().as_deref(),
            &filter,
        );
        if self.compare_hidden.is_some() {
            view.retain(|&i| {
                self.entries
                    .get(i as usize)
                    .is_none_or(|e| !self.compare_hides(e))
            });
        }
        Cow::Owned(view)
    }

    /// The rows are of the folder the path bar shows, and no error hides them.
    pub(super) fn rows_actionable(&self) -> bool {
        self.error.is_none() && self.listed.is_some() && self.path == self.listed
    }

    pub(super) fn row_offset(&self) -> usize {
        usize::from(self.parent.is_some())
    }

    pub(super) fn row_count(&self) -> usize {
        self.row_offset() + self.view.len()
    }

    pub(super) fn row_at(&self, index: usize) -> Option<Row> {
        if self.parent.is_some() && index == 0 {
            return Some(Row::Parent);
        }
        let place = index.checked_sub(self.row_offset())?;
        self.view.get(place).map(|&i| Row::Entry(i))
    }

    pub(super) fn index_of(&self, row: Row) -> Option<usize> {
        match row {
            Row::Parent => self.parent.is_some().then_some(0),
            Row::Entry(i) => self
                .position
                .get(i as usize)
                .filter(|&&p| p != HIDDEN)
                .map(|&p| p as usize + self.row_offset()),
        }
    }

    /// Visible selected entries and their total size (files only).
    pub(super) fn selection_summary(&mut self) -> (u64, u64) {
        if let Some(s) = self.summary {
            return s;
        }
        let mut count = 0;
        let mut bytes = 0u64;
        for i in self.selection.iter() {
            if self.position.get(i as usize).is_some_and(|&p| p != HIDDEN) {
                count += 1;
                if let Some(e) = self.entries.get(i as usize)
                    && !e.opens_as_dir()
                {
                    bytes = bytes.saturating_add(e.size.unwrap_or(0));
                }
            }
        }
        self.summary = Some((count, bytes));
        (count, bytes)
    }

    /// How many entries an action would act on (selection, else cursor).
    pub(super) fn action_target_count(&mut self) -> u64 {
        let (count, _) = self.selection_summary();
        if count > 0 {
            return count;
        }
        match self.cursor {
            Some(Row::Entry(i)) if self.index_of(Row::Entry(i)).is_some() => 1,
            _ => 0,
        }
    }

    pub(super) fn action_enabled(&mut self, action: Action) -> bool {
        let actionable = self.rows_actionable() && !self.stale;
        match action {
            Action::Open
            | Action::Transfer
            | Action::DownloadTo
            | Action::Delete
            | Action::CopyPath => actionable && self.action_target_count() > 0,
            Action::Rename => actionable && self.action_target_count() == 1,
            Action::GoUp => self.path.as_ref().and_then(AnyPath::parent).is_some(),
            Action::Refresh => self.path.is_some(),
            Action::NewFolder | Action::SelectAll => actionable,
            // An editor opens files; a folder is opened with Open.
            Action::ViewFile | Action::EditFile | Action::OpenWith => {
                let targets = self.selected_paths();
                actionable && !targets.is_empty() && targets.iter().all(|t| !t.is_dir)
            }
            _ => true,
        }
    }
}

/// The filter box's text, prepared for matching display names (the
/// transfer list's filter box uses it too).
pub(crate) struct Filter {
    needle: String,
    ascii: bool,
}

impl Filter {
    pub(crate) fn new(text: &str) -> Filter {
        let text = text.trim();
        let ascii = text.is_ascii();
        Filter {
            needle: if ascii {
                text.to_ascii_lowercase()
            } else {
                text.to_lowercase()
            },
            ascii,
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.needle.is_empty()
    }

    /// Whether every name this filter matches is also matched by `wider`
    /// (the text grew around the old text), so only `wider`'s matches need
    /// checking.
    pub(crate) fn narrows(&self, wider: &Filter) -> bool {
        self.ascii == wider.ascii && self.needle.contains(&wider.needle)
    }

    /// Case-insensitive substring match.
    pub(crate) fn matches(&self, name: &str) -> bool {
        if self.needle.is_empty() {
            return true;
        }
        if self.ascii {
            ascii_contains_ignore_case(name.as_bytes(), self.needle.as_bytes())
        } else if name.is_ascii() {
            // A lowercased ASCII name is ASCII: it cannot hold a needle
            // with other characters.
            false
        } else {
            name.to_lowercase().contains(&self.needle)
        }
    }
}

/// Whether `haystack` contains `needle` (lowercase ASCII) ignoring ASCII
/// case. The candidates for a start are found with memchr, which scans many
/// bytes at a time; only they are compared.
fn ascii_contains_ignore_case(haystack: &[u8], needle: &[u8]) -> bool {
    let Some((&first, rest)) = needle.split_first() else {
        return true;
    };
    if haystack.len() < needle.len() {
        return false;
    }
    let last_start = haystack.len() - needle.len();
    let upper = first.to_ascii_uppercase();
    let starts = &haystack[..=last_start];
    let found = |at: usize| {
        haystack
            .get(at + 1..at + needle.len())
            .is_some_and(|w| w.eq_ignore_ascii_case(rest))
    };
    if upper == first {
        memchr::memchr_iter(first, starts).any(found)
    } else {
        memchr::memchr2_iter(first, upper, starts).any(found)
    }
}

/// Counts of the entries shown before the filter box's filtering, and of
/// those the name filters hide.
pub(super) fn totals(entries: &[Entry], show_hidden: bool, names: Option<&NameFilter>) -> Totals {
    let mut totals = Totals::default();
    for e in entries {
        if !show_hidden && e.is_hidden() {
            continue;
        }
        if names.is_some_and(|n| n.hides(&e.display_name, e.opens_as_dir())) {
            totals.filtered += 1;
            continue;
        }
        totals.shown += 1;
        if e.opens_as_dir() {
            totals.folders += 1;
        } else {
            totals.files += 1;
            totals.bytes = totals.bytes.saturating_add(e.size.unwrap_or(0));
        }
    }
    totals
}

/// The shown entries of a sorted order.
pub(super) fn compute_view(
    entries: &[Entry],
    sorted: &[u32],
    show_hidden: bool,
    names: Option<&NameFilter>,
    filter: &Filter,
) -> Vec<u32> {
    sorted
        .iter()
        .copied()
        .filter(|&i| {
            entries.get(i as usize).is_some_and(|e| {
                (show_hidden || !e.is_hidden())
                    && !names.is_some_and(|n| n.hides(&e.display_name, e.opens_as_dir()))
                    && filter.matches(&e.display_name)
            })
        })
        .collect()
}
