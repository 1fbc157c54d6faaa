//! The view model: the sorted order of a listing, the filter, and which
//! entries are shown where. No egui here: the benchmark measures it alone.

use super::*;

/// How many shorter filters' rows are kept while typing.
const FILTER_HISTORY: usize = 16;

/// The column a pane is sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum SortColumn {
    #[default]
    Name,
    Size,
    Modified,
    Permissions,
    Owner,
}

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
}

impl PaneState {
    pub(super) fn set_sort(&mut self, sort: SortColumn, ascending: bool) {
        self.sort = sort;
        self.ascending = ascending;
    }

    pub(super) fn view_is_current(&self) -> bool {
        self.sorted_for == Some((self.generation, self.sort, self.ascending))
            && self.view_for.as_ref().is_some_and(|k| {
                k.generation == self.generation
                    && k.sort == self.sort
                    && k.ascending == self.ascending
                    && k.show_hidden == self.show_hidden
                    && k.filter == self.filter
                    && k.name_filters == self.filters_generation
            })
    }

    /// Recompute the sorted order and the shown rows if what they depend on changed.
    pub(super) fn ensure_view(&mut self) {
        let sort_key = (self.generation, self.sort, self.ascending);
        if self.sorted_for != Some(sort_key) {
            self.sorted = sorted_order(&self.entries, self.sort, self.ascending);
            self.sorted_for = Some(sort_key);
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
                    && filter.narrows(&Filter::new(&k.filter))
            });
        let same_order = same_rows
            && self
                .view_for
                .as_ref()
                .is_some_and(|k| k.sort == self.sort && k.ascending == self.ascending);
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
        });
    }

    /// The shown entry indices in display order, even if `show_hidden` was
    /// flipped since the last frame.
    pub(super) fn visible_order(&self) -> Cow<'_, [u32]> {
        if self.view_is_current() {
            return Cow::Borrowed(&self.view);
        }
        let sorted: Cow<'_, [u32]> =
            if self.sorted_for == Some((self.generation, self.sort, self.ascending)) {
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

/// Entry indices in display order: folders (and links to folders) first,
/// then by `sort`, ties by name.
pub fn sorted_order(entries: &[Entry], sort: SortColumn, ascending: bool) -> Vec<u32> {
    // Same order as `compare_entries`, faster: every name's natural-order
    // key is computed once into one buffer, and the sort moves 24-byte items
    // whose `primary` and `secondary` numbers decide most comparisons
    // without touching the entries or the keys.
    let mut keys = Vec::with_capacity(entries.len() * 24);
    let mut spans = Vec::with_capacity(entries.len());
    for e in entries {
        let start = keys.len();
        natural_key(&e.display_name, &mut keys);
        spans.push((start, keys.len()));
    }
    let name_key = |i: u32| {
        let (start, end) = spans[i as usize];
        &keys[start..end]
    };
    let mut owner_key = Vec::new();
    let mut items: Vec<SortItem> = entries
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let dir = e.opens_as_dir();
            let name = name_key(i as u32);
            let primary = match sort {
                SortColumn::Name => prefix(name),
                SortColumn::Size if dir => 0,
                SortColumn::Size => e.size.map_or(0, |s| s.saturating_add(1)),
                SortColumn::Modified => e.modified.map_or(0, |t| {
                    // Order-preserving i64 → u64, with 0 left for "no time".
                    ((t.and_utc().timestamp() ^ i64::MIN) as u64).max(1)
                }),
                SortColumn::Permissions => e
                    .permissions
                    .as_deref()
                    .map_or(0, |p| prefix(p.as_bytes()).max(1)),
                SortColumn::Owner => e.owner.as_deref().map_or(0, |o| {
                    owner_key.clear();
                    natural_key(o, &mut owner_key);
                    prefix(&owner_key).max(1)
                }),
            };
            // By name, the next 8 bytes of the name; otherwise the first 8
            // (ties go by name): most ties end here, without the keys.
            let secondary = match sort {
                SortColumn::Name => prefix(name.get(8..).unwrap_or_default()),
                _ => prefix(name),
            };
            SortItem {
                primary,
                secondary,
                index: i as u32,
                dir,
            }
        })
        .collect();
    let by_name = sort == SortColumn::Name;
    items.sort_unstable_by(|x, y| {
        y.dir.cmp(&x.dir).then_with(|| {
            let (a, b) = (&entries[x.index as usize], &entries[y.index as usize]);
            let key = x.primary.cmp(&y.primary).then_with(|| match sort {
                SortColumn::Name => x
                    .secondary
                    .cmp(&y.secondary)
                    .then_with(|| name_key(x.index).cmp(name_key(y.index))),
                SortColumn::Size | SortColumn::Modified => Ordering::Equal,
                SortColumn::Permissions => a.permissions.cmp(&b.permissions),
                SortColumn::Owner => match (&a.owner, &b.owner) {
                    (Some(p), Some(q)) => natural_cmp(p, q),
                    (p, q) => p.is_some().cmp(&q.is_some()),
                },
            });
            let key = if ascending { key } else { key.reverse() };
            key.then_with(|| {
                if by_name {
                    Ordering::Equal
                } else {
                    x.secondary.cmp(&y.secondary)
                }
            })
            .then_with(|| name_key(x.index).cmp(name_key(y.index)))
            .then_with(|| a.name.cmp(&b.name))
            .then(x.index.cmp(&y.index))
        })
    });
    items.into_iter().map(|item| item.index).collect()
}

/// One entry while sorting.
pub(super) struct SortItem {
    /// Decides the order when it differs; equal values fall back to the full comparison.
    primary: u64,
    /// The next deciding bytes (see `sorted_order`).
    secondary: u64,
    index: u32,
    dir: bool,
}

/// The first 8 bytes, big-endian, zero-padded: ordered like the bytes themselves.
pub(super) fn prefix(bytes: &[u8]) -> u64 {
    let mut word = [0u8; 8];
    let n = bytes.len().min(8);
    word[..n].copy_from_slice(&bytes[..n]);
    u64::from_be_bytes(word)
}

/// Append a byte string whose plain byte order is [`natural_cmp`]'s order:
/// ASCII lowercased, other characters lowercased (UTF-8 keeps code-point
/// order), and each run of digits as `0`, the number of its digits without
/// leading zeros, then those digits.
pub(crate) fn natural_key(name: &str, out: &mut Vec<u8>) {
    let bytes = name.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b.is_ascii_digit() {
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            let digits = trim_zeros(&bytes[start..i]);
            out.push(b'0');
            out.push(digits.len().min(255) as u8);
            out.extend_from_slice(digits);
        } else if b.is_ascii() {
            out.push(b.to_ascii_lowercase());
            i += 1;
        } else {
            // `i` is on a character boundary: only whole characters are skipped.
            let Some(c) = name.get(i..).and_then(|s| s.chars().next()) else {
                break;
            };
            let lower = c.to_lowercase().next().unwrap_or(c);
            let mut buf = [0u8; 4];
            out.extend_from_slice(lower.encode_utf8(&mut buf).as_bytes());
            i += c.len_utf8();
        }
    }
}

/// The display order of two entries; see [`sorted_order`].
pub fn compare_entries(a: &Entry, b: &Entry, sort: SortColumn, ascending: bool) -> Ordering {
    let (a_dir, b_dir) = (a.opens_as_dir(), b.opens_as_dir());
    b_dir.cmp(&a_dir).then_with(|| {
        let key = match sort {
            SortColumn::Name => natural_cmp(&a.display_name, &b.display_name),
            // Folders show no size: among them, size sorts by name.
            SortColumn::Size if a_dir => Ordering::Equal,
            SortColumn::Size => a.size.cmp(&b.size),
            SortColumn::Modified => a.modified.cmp(&b.modified),
            SortColumn::Permissions => a.permissions.cmp(&b.permissions),
            SortColumn::Owner => match (&a.owner, &b.owner) {
                (Some(x), Some(y)) => natural_cmp(x, y),
                (x, y) => x.is_some().cmp(&y.is_some()),
            },
        };
        let key = if ascending { key } else { key.reverse() };
        key.then_with(|| natural_cmp(&a.display_name, &b.display_name))
            .then_with(|| a.name.cmp(&b.name))
    })
}

/// Case-insensitive comparison where runs of digits compare as numbers:
/// `file2` < `File10`.
pub fn natural_cmp(a: &str, b: &str) -> Ordering {
    let (x, y) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    while i < x.len() && j < y.len() {
        let (cx, cy) = (x[i], y[j]);
        if cx.is_ascii_digit() && cy.is_ascii_digit() {
            let (si, sj) = (i, j);
            while i < x.len() && x[i].is_ascii_digit() {
                i += 1;
            }
            while j < y.len() && y[j].is_ascii_digit() {
                j += 1;
            }
            let (nx, ny) = (trim_zeros(&x[si..i]), trim_zeros(&y[sj..j]));
            let order = nx.len().cmp(&ny.len()).then_with(|| nx.cmp(ny));
            if order != Ordering::Equal {
                return order;
            }
            continue;
        }
        if cx.is_ascii() && cy.is_ascii() {
            let order = cx.to_ascii_lowercase().cmp(&cy.to_ascii_lowercase());
            if order != Ordering::Equal {
                return order;
            }
            i += 1;
            j += 1;
            continue;
        }
        // Outside ASCII: whole characters, lowercased. `i` and `j` are
        // always on character boundaries (only whole characters are skipped).
        let (Some(ca), Some(cb)) = (
            a.get(i..).and_then(|s| s.chars().next()),
            b.get(j..).and_then(|s| s.chars().next()),
        ) else {
            break;
        };
        let lower = |c: char| c.to_lowercase().next().unwrap_or(c);
        let order = lower(ca).cmp(&lower(cb));
        if order != Ordering::Equal {
            return order;
        }
        i += ca.len_utf8();
        j += cb.len_utf8();
    }
    (i < x.len()).cmp(&(j < y.len()))
}

pub(super) fn trim_zeros(digits: &[u8]) -> &[u8] {
    let first = digits
        .iter()
        .position(|&d| d != b'0')
        .unwrap_or(digits.len());
    &digits[first..]
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
