//! One file pane, the same widget for local and remote folders: a path bar
//! (Up, Refresh, clickable breadcrumbs, a typed path), a filter box, a
//! virtualized sortable table with multi-selection, inline rename and a
//! context menu built from the action table, and a status line.
//!
//! Speed: sorting and filtering happen only when the listing, the sort, the
//! filter or `show_hidden` change, into cached `Vec<u32>`s of entry indices;
//! a frame touches only the rows on screen. The selection is a bitset of
//! entry indices, mapped by name only when a new listing of the same folder
//! arrives. Icons are painted, so they need no emoji font.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::HashSet;
use std::path::PathBuf;

use eframe::egui::{
    self, Align, Align2, Color32, CursorIcon, Event, Id, Key, Label, Layout, Painter, Pos2, Rect,
    Response, RichText, Role, Sense, Shape, Stroke, StrokeKind, TextEdit, TextStyle, Ui, UiBuilder,
    WidgetInfo, pos2, vec2,
};
use egui_extras::{Column, TableBuilder};

use super::actions::{self, Action};
use super::format;
use crate::engine::{AnyPath, Entry, Kind, Side};
use crate::ftp::NameCharset;

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

/// What of a pane survives a restart.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct PaneSettings {
    pub sort: SortColumn,
    pub ascending: bool,
    /// Widths of the Size, Modified, Permissions and Owner columns (Name takes the rest).
    pub column_widths: [f32; 4],
}

impl Default for PaneSettings {
    fn default() -> Self {
        PaneSettings {
            sort: SortColumn::Name,
            ascending: true,
            column_widths: [80.0, 130.0, 90.0, 70.0],
        }
    }
}

/// What the user did in a pane this frame; the app applies it.
#[derive(Debug, Clone, PartialEq)]
#[must_use]
pub enum PaneAction {
    /// Go to this folder (path bar, breadcrumb, opening a folder, "..").
    Navigate(AnyPath),
    /// Run an action from the table on this pane's selection.
    Run(Action),
    /// An inline rename was confirmed.
    Rename { from: Vec<u8>, to: String },
    /// The pane was clicked or focused: it becomes the active pane.
    Focus,
    /// Rows dragged from a pane were dropped here, into `folder` (this
    /// pane's folder, or a folder row): transfer them, or move them when they
    /// come from this same pane.
    Dropped { drag: PaneDrag, folder: AnyPath },
}

/// What a drag from a pane carries: the dragged rows' paths (and whether each
/// is a folder).
#[derive(Debug, Clone, PartialEq)]
pub struct PaneDrag {
    pub side: Side,
    pub paths: Vec<(AnyPath, bool)>,
}

/// The Name column never gets narrower than this.
const NAME_MIN_WIDTH: f32 = 120.0;
/// Bounds of the other columns' widths.
const COLUMN_MIN_WIDTH: f32 = 36.0;
const COLUMN_MAX_WIDTH: f32 = 600.0;
/// Below this pane width the filter box gets its own line.
const WIDE_PANE: f32 = 460.0;
const FILTER_WIDTH: f32 = 190.0;
/// `position` value of an entry that is not shown.
const HIDDEN: u32 = u32::MAX;
/// A refresh that answers faster than this does not grey the rows.
const GREY_AFTER_SECONDS: f64 = 0.2;
const SPINNER_SIZE: f32 = 14.0;

/// A row of the table: the ".." row, or an entry by its index in the listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Row {
    Parent,
    Entry(u32),
}

/// A cursor movement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Move {
    By(isize),
    Home,
    End,
}

/// Where the table should scroll on the next frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scroll {
    Stay,
    Top,
    Cursor,
}

/// Counts of the entries shown (hidden files excluded unless shown; before filtering).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Totals {
    files: u64,
    folders: u64,
    bytes: u64,
    shown: usize,
}

/// What the cached view was computed from.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ViewKey {
    generation: u64,
    sort: SortColumn,
    ascending: bool,
    show_hidden: bool,
    filter: String,
}

/// A set of entry indices.
#[derive(Debug, Clone, Default)]
struct Bits {
    words: Vec<u64>,
    count: usize,
}

impl Bits {
    fn new(len: usize) -> Bits {
        Bits {
            words: vec![0; len.div_ceil(64)],
            count: 0,
        }
    }

    fn contains(&self, i: u32) -> bool {
        self.words
            .get(i as usize / 64)
            .is_some_and(|w| (w >> (i % 64)) & 1 == 1)
    }

    fn set(&mut self, i: u32, on: bool) {
        let Some(word) = self.words.get_mut(i as usize / 64) else {
            return;
        };
        let mask = 1u64 << (i % 64);
        let was = *word & mask != 0;
        if on && !was {
            *word |= mask;
            self.count += 1;
        } else if !on && was {
            *word &= !mask;
            self.count -= 1;
        }
    }

    fn toggle(&mut self, i: u32) {
        self.set(i, !self.contains(i));
    }

    fn clear(&mut self) {
        if self.count > 0 {
            self.words.fill(0);
            self.count = 0;
        }
    }

    fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        self.words.iter().enumerate().flat_map(|(w, &word)| {
            let mut word = word;
            std::iter::from_fn(move || {
                if word == 0 {
                    return None;
                }
                let bit = word.trailing_zeros();
                word &= word - 1;
                Some((w * 64) as u32 + bit)
            })
        })
    }
}

/// An inline rename in progress.
#[derive(Debug, Clone)]
struct Rename {
    entry: u32,
    text: String,
    /// Not shown yet: focus it and select the name without its extension.
    fresh: bool,
}

/// The path bar in text mode.
#[derive(Debug, Clone)]
struct PathEdit {
    text: String,
    fresh: bool,
}

/// How an inline rename ended this frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RenameEnd {
    Commit,
    Cancel,
}

/// What happened to the rows this frame.
#[derive(Debug, Default)]
struct RowEvents {
    click: Option<Row>,
    double: Option<Row>,
    secondary: Option<Row>,
    empty_click: bool,
    empty_secondary: bool,
    /// A drag started on this row.
    drag: Option<Row>,
    /// Rows were dropped on a folder row.
    dropped: Option<(PaneDrag, AnyPath)>,
}

/// The widget ids a pane needs across frames.
struct Ids {
    base: Id,
    filter: Id,
    path: Id,
    rename: Id,
    menu: Id,
}

impl Ids {
    fn new(side: Side) -> Ids {
        let base = Id::unique(("ferry-pane", side));
        Ids {
            base,
            filter: base.with("filter"),
            path: base.with("path"),
            rename: base.with("rename"),
            menu: base.with("context-menu"),
        }
    }
}

/// One pane's transient state: listing, selection, filter, rename.
pub struct PaneState {
    side: Side,
    /// The folder shown or being loaded (what the path bar shows).
    path: Option<AnyPath>,
    /// The folder `entries` belong to.
    listed: Option<AnyPath>,
    /// Its parent, when it has one (the ".." row).
    parent: Option<AnyPath>,
    entries: Vec<Entry>,
    /// Whether hidden (dot) files are shown.
    pub show_hidden: bool,
    /// How the server encodes names (the remote pane's path bar).
    pub charset: NameCharset,
    /// Bumped whenever `entries` is replaced.
    generation: u64,
    sort: SortColumn,
    ascending: bool,
    /// Every entry index, sorted.
    sorted: Vec<u32>,
    sorted_for: Option<(u64, SortColumn, bool)>,
    /// The entry indices shown, in display order.
    view: Vec<u32>,
    /// Entry index → place in `view` (or `HIDDEN`).
    position: Vec<u32>,
    view_for: Option<ViewKey>,
    totals: Totals,
    selection: Bits,
    /// Visible selected entries and their bytes; None when it must be recounted.
    summary: Option<(u64, u64)>,
    cursor: Option<Row>,
    anchor: Option<Row>,
    filter: String,
    focus_filter: bool,
    /// Select this name when the next listing of this folder has it.
    reveal: Option<Vec<u8>>,
    loading: bool,
    loading_since: Option<f64>,
    error: Option<String>,
    stale: bool,
    rename: Option<Rename>,
    path_edit: Option<PathEdit>,
    scroll: Scroll,
    /// Rows that fit in the table (Page Up/Down), as of the last frame.
    page_rows: usize,
}

impl PaneState {
    pub fn new(side: Side) -> PaneState {
        PaneState {
            side,
            path: None,
            listed: None,
            parent: None,
            entries: Vec::new(),
            show_hidden: false,
            charset: NameCharset::Auto,
            generation: 0,
            sort: SortColumn::Name,
            ascending: true,
            sorted: Vec::new(),
            sorted_for: None,
            view: Vec::new(),
            position: Vec::new(),
            view_for: None,
            totals: Totals::default(),
            selection: Bits::default(),
            summary: None,
            cursor: None,
            anchor: None,
            filter: String::new(),
            focus_filter: false,
            reveal: None,
            loading: false,
            loading_since: None,
            error: None,
            stale: false,
            rename: None,
            path_edit: None,
            scroll: Scroll::Stay,
            page_rows: 20,
        }
    }

    pub fn side(&self) -> Side {
        self.side
    }

    /// Whether a listing is on its way.
    pub fn is_loading(&self) -> bool {
        self.loading
    }

    /// The folder shown (or being loaded).
    pub fn path(&self) -> Option<&AnyPath> {
        self.path.as_ref()
    }

    /// The folder the rows belong to. While another folder loads this is
    /// still the old one, which `path()` no longer is.
    pub fn listing_path(&self) -> Option<&AnyPath> {
        self.listed.as_ref()
    }

    /// A new listing arrived for `path`. A listing of the folder already
    /// shown keeps the selection, cursor, filter and scroll position (by
    /// name); another folder starts afresh.
    pub fn set_listing(&mut self, path: AnyPath, entries: Vec<Entry>) {
        let same = self.listed.as_ref() == Some(&path);
        let old = std::mem::replace(&mut self.entries, entries);
        // A listing collected from a parser's Vec keeps its spare capacity;
        // with 100,000 entries that is megabytes held for nothing.
        self.entries.shrink_to_fit();
        self.generation += 1;
        let mut selection = Bits::new(self.entries.len());
        let (mut cursor, mut anchor) = (None, None);
        let mut rename = None;
        if same {
            let name_of = |row: Option<Row>| match row? {
                Row::Parent => Some(None),
                Row::Entry(i) => old.get(i as usize).map(|e| Some(e.name.as_slice())),
            };
            let selected: HashSet<&[u8]> = self
                .selection
                .iter()
                .filter_map(|i| old.get(i as usize))
                .map(|e| e.name.as_slice())
                .collect();
            let (cursor_name, anchor_name) = (name_of(self.cursor), name_of(self.anchor));
            cursor = cursor_name.and_then(|n| n.is_none().then_some(Row::Parent));
            anchor = anchor_name.and_then(|n| n.is_none().then_some(Row::Parent));
            let renaming = self.rename.as_ref().and_then(|r| {
                old.get(r.entry as usize)
                    .map(|e| (e.name.as_slice(), r.text.clone()))
            });
            for (i, e) in self.entries.iter().enumerate() {
                let name = e.name.as_slice();
                let i = i as u32;
                if selected.contains(name) {
                    selection.set(i, true);
                }
                if cursor_name == Some(Some(name)) {
                    cursor = Some(Row::Entry(i));
                }
                if anchor_name == Some(Some(name)) {
                    anchor = Some(Row::Entry(i));
                }
                if let Some((n, text)) = &renaming
                    && *n == name
                {
                    rename = Some(Rename {
                        entry: i,
                        text: text.clone(),
                        fresh: false,
                    });
                }
            }
        } else {
            self.filter.clear();
            self.path_edit = None;
            self.scroll = Scroll::Top;
        }
        drop(old);
        self.selection = selection;
        self.cursor = cursor;
        self.anchor = anchor;
        self.rename = rename;
        self.summary = None;
        self.parent = path.parent();
        self.listed = Some(path.clone());
        self.path = Some(path);
        self.loading = false;
        self.loading_since = None;
        self.error = None;
        self.ensure_view();
        if let Some(name) = self.reveal.take()
            && !self.select_name(&name)
        {
            // Not there yet (the rename or upload may still be under way).
            self.reveal = Some(name);
        }
    }

    /// A listing of `path` was asked for; show that it is loading.
    pub fn set_loading(&mut self, path: AnyPath) {
        if self.listed.as_ref() != Some(&path) {
            self.rename = None;
            self.reveal = None;
        }
        self.path = Some(path);
        self.loading = true;
        self.loading_since = None;
        self.error = None;
    }

    /// Show (or clear) an error in place of the listing.
    pub fn set_error(&mut self, message: Option<String>) {
        if message.is_some() {
            self.loading = false;
            self.rename = None;
        }
        self.error = message;
    }

    /// Grey the listing out (connection lost) or bring it back.
    pub fn set_stale(&mut self, stale: bool) {
        self.stale = stale;
        if stale {
            self.rename = None;
        }
    }

    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The entries shown (hidden files and the filter applied), in display order.
    pub fn visible(&self) -> Vec<&Entry> {
        self.visible_order()
            .iter()
            .filter_map(|&i| self.entries.get(i as usize))
            .collect()
    }

    /// The selected entries, in display order; the cursor row when nothing
    /// (visible) is selected. Never the ".." row. Empty while the rows
    /// belong to another folder than `path()` (loading, failed).
    pub fn selected(&self) -> Vec<&Entry> {
        if !self.rows_actionable() {
            return Vec::new();
        }
        let order = self.visible_order();
        if self.selection.count > 0 {
            let picked: Vec<&Entry> = order
                .iter()
                .filter(|&&i| self.selection.contains(i))
                .filter_map(|&i| self.entries.get(i as usize))
                .collect();
            if !picked.is_empty() {
                return picked;
            }
        }
        match self.cursor {
            Some(Row::Entry(i)) if order.contains(&i) => {
                self.entries.get(i as usize).into_iter().collect()
            }
            _ => Vec::new(),
        }
    }

    /// Whether the keyboard cursor is on the ".." row (Enter there goes up).
    pub fn cursor_on_parent(&self) -> bool {
        self.cursor == Some(Row::Parent) && self.parent.is_some() && self.rows_actionable()
    }

    pub fn select_all(&mut self) {
        self.ensure_view();
        for &i in &self.view {
            self.selection.set(i, true);
        }
        self.summary = None;
    }

    /// Select the entry with this name and scroll to it; if this folder's
    /// listing does not have it yet, do so when the next listing has it
    /// (after a rename, a new folder or an upload).
    pub fn reveal(&mut self, name: &[u8]) {
        if !self.select_name(name) {
            self.reveal = Some(name.to_vec());
        }
    }

    /// Start an inline rename of the focused entry.
    pub fn start_rename(&mut self) {
        if !self.rows_actionable() || self.stale {
            return;
        }
        self.ensure_view();
        let target = match self.cursor {
            Some(Row::Entry(i)) if self.index_of(Row::Entry(i)).is_some() => Some(i),
            _ => self
                .view
                .iter()
                .copied()
                .find(|&i| self.selection.contains(i)),
        };
        let Some(i) = target else {
            return;
        };
        let Some(entry) = self.entries.get(i as usize) else {
            return;
        };
        self.rename = Some(Rename {
            entry: i,
            text: entry.display_name.clone(),
            fresh: true,
        });
        self.cursor = Some(Row::Entry(i));
        self.scroll = Scroll::Cursor;
    }

    /// The status line: counts, sizes, selection and filter.
    pub fn status_line(&mut self) -> String {
        self.ensure_view();
        let t = self.totals;
        let mut parts = vec![format!(
            "{}, {}, {} total",
            format::count(t.files, "file", "files"),
            format::count(t.folders, "folder", "folders"),
            format::human_size(t.bytes)
        )];
        let (count, bytes) = self.selection_summary();
        if count > 0 {
            parts.push(format!(
                "{} selected ({})",
                format::thousands(count),
                format::human_size(bytes)
            ));
        }
        if !Filter::new(&self.filter).is_empty() {
            parts.push(format!(
                "showing {} of {}",
                format::thousands(self.view.len() as u64),
                format::thousands(t.shown as u64)
            ));
        }
        parts.join("  ·  ")
    }

    /// Draw the pane; `active` is whether it has the keyboard.
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        settings: &mut PaneSettings,
        active: bool,
    ) -> Vec<PaneAction> {
        let mut actions = Vec::new();
        let ids = Ids::new(self.side);
        if ui.input(|i| i.pointer.any_pressed()) && ui.rect_contains_pointer(ui.max_rect()) {
            actions.push(PaneAction::Focus);
        }
        if self.loading && self.loading_since.is_none() {
            self.loading_since = Some(ui.input(|i| i.time));
        }
        self.set_sort(settings.sort, settings.ascending);
        self.ensure_view();
        self.keyboard(ui, &ids, active);

        self.toolbar_ui(ui, &ids, &mut actions);
        self.ensure_view();
        ui.add_space(2.0);

        let status_height = ui.text_style_height(&TextStyle::Body) + 6.0;
        let free = ui.available_rect_before_wrap();
        let table_rect = Rect::from_min_max(
            free.min,
            pos2(free.max.x, (free.max.y - status_height).max(free.min.y)),
        );
        ui.scope_builder(UiBuilder::new().max_rect(table_rect), |ui| {
            self.table_area_ui(ui, settings, &ids, active, &mut actions);
        });
        ui.add_space(2.0);
        self.status_ui(ui);
        self.drop_zone_ui(ui, &ids, &mut actions);
        actions
    }

    /// The whole pane takes rows dragged from the other pane, into its folder.
    fn drop_zone_ui(&mut self, ui: &mut Ui, ids: &Ids, actions: &mut Vec<PaneAction>) {
        let rect = ui.min_rect();
        let response = ui.interact(rect, ids.base.with("drop-zone"), Sense::hover());
        let from_other = response
            .dnd_hover_payload::<PaneDrag>()
            .is_some_and(|p| p.side != self.side);
        if !from_other || self.stale {
            return;
        }
        ui.painter().rect_stroke(
            rect,
            4.0,
            Stroke::new(2.0, ui.visuals().selection.stroke.color),
            StrokeKind::Inside,
        );
        if let Some(drag) = response.dnd_release_payload::<PaneDrag>()
            && let Some(folder) = self.listed.clone()
        {
            actions.push(PaneAction::Dropped {
                drag: (*drag).clone(),
                folder,
            });
        }
    }

    /// The selected rows' paths (the cursor's row when nothing is selected),
    /// with whether each is a folder.
    pub fn selected_paths(&self) -> Vec<(AnyPath, bool)> {
        // The rows belong to the listed folder, which may differ from the
        // one being loaded.
        let Some(base) = self.listing_path() else {
            return Vec::new();
        };
        self.selected()
            .into_iter()
            .map(|e| (base.join(&e.name), e.kind == Kind::Dir))
            .collect()
    }
}

// ------------------------------------------------------------------------------------------------
// View: sort, filter, positions
// ------------------------------------------------------------------------------------------------

impl PaneState {
    fn set_sort(&mut self, sort: SortColumn, ascending: bool) {
        self.sort = sort;
        self.ascending = ascending;
    }

    fn view_is_current(&self) -> bool {
        self.sorted_for == Some((self.generation, self.sort, self.ascending))
            && self.view_for.as_ref().is_some_and(|k| {
                k.generation == self.generation
                    && k.sort == self.sort
                    && k.ascending == self.ascending
                    && k.show_hidden == self.show_hidden
                    && k.filter == self.filter
            })
    }

    /// Recompute the sorted order and the shown rows if what they depend on changed.
    fn ensure_view(&mut self) {
        let sort_key = (self.generation, self.sort, self.ascending);
        if self.sorted_for != Some(sort_key) {
            self.sorted = sorted_order(&self.entries, self.sort, self.ascending);
            self.sorted_for = Some(sort_key);
        }
        if self.view_is_current() {
            return;
        }
        let (view, totals) = compute_view(
            &self.entries,
            &self.sorted,
            self.show_hidden,
            &Filter::new(&self.filter),
        );
        self.position.clear();
        self.position.resize(self.entries.len(), HIDDEN);
        for (place, &i) in view.iter().enumerate() {
            if let Some(p) = self.position.get_mut(i as usize) {
                *p = place as u32;
            }
        }
        self.view = view;
        self.totals = totals;
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
        });
    }

    /// The shown entry indices in display order, even if `show_hidden` was
    /// flipped since the last frame.
    fn visible_order(&self) -> Cow<'_, [u32]> {
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
        Cow::Owned(compute_view(&self.entries, &sorted, self.show_hidden, &filter).0)
    }

    /// The rows are of the folder the path bar shows, and no error hides them.
    fn rows_actionable(&self) -> bool {
        self.error.is_none() && self.listed.is_some() && self.path == self.listed
    }

    fn row_offset(&self) -> usize {
        usize::from(self.parent.is_some())
    }

    fn row_count(&self) -> usize {
        self.row_offset() + self.view.len()
    }

    fn row_at(&self, index: usize) -> Option<Row> {
        if self.parent.is_some() && index == 0 {
            return Some(Row::Parent);
        }
        let place = index.checked_sub(self.row_offset())?;
        self.view.get(place).map(|&i| Row::Entry(i))
    }

    fn index_of(&self, row: Row) -> Option<usize> {
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
    fn selection_summary(&mut self) -> (u64, u64) {
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
    fn action_target_count(&mut self) -> u64 {
        let (count, _) = self.selection_summary();
        if count > 0 {
            return count;
        }
        match self.cursor {
            Some(Row::Entry(i)) if self.index_of(Row::Entry(i)).is_some() => 1,
            _ => 0,
        }
    }

    fn action_enabled(&mut self, action: Action) -> bool {
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
            _ => true,
        }
    }
}

// ------------------------------------------------------------------------------------------------
// Selection and cursor
// ------------------------------------------------------------------------------------------------

impl PaneState {
    /// A click on a row: alone, with Ctrl/Cmd (toggle) or Shift (range from the anchor).
    fn click(&mut self, row: Row, command: bool, shift: bool) {
        if shift {
            let anchor = self
                .anchor
                .filter(|a| self.index_of(*a).is_some())
                .unwrap_or(row);
            if !command {
                self.selection.clear();
            }
            self.select_range(anchor, row);
            self.anchor = Some(anchor);
        } else if command {
            if let Row::Entry(i) = row {
                self.selection.toggle(i);
            }
            self.anchor = Some(row);
        } else {
            self.selection.clear();
            if let Row::Entry(i) = row {
                self.selection.set(i, true);
            }
            self.anchor = Some(row);
        }
        self.cursor = Some(row);
        self.summary = None;
    }

    fn select_range(&mut self, a: Row, b: Row) {
        let (Some(x), Some(y)) = (self.index_of(a), self.index_of(b)) else {
            return;
        };
        for index in x.min(y)..=x.max(y) {
            if let Some(Row::Entry(i)) = self.row_at(index) {
                self.selection.set(i, true);
            }
        }
    }

    /// Move the cursor; plain moves select the new row, Shift extends from the anchor.
    fn move_cursor(&mut self, movement: Move, extend: bool) {
        let n = self.row_count();
        if n == 0 {
            return;
        }
        let current = self.cursor.and_then(|r| self.index_of(r));
        let target = match (movement, current) {
            (Move::Home, _) => 0,
            (Move::End, _) => n - 1,
            (Move::By(d), Some(c)) => c.saturating_add_signed(d).min(n - 1),
            (Move::By(d), None) if d < 0 => n - 1,
            (Move::By(_), None) => 0,
        };
        let Some(row) = self.row_at(target) else {
            return;
        };
        if extend {
            let anchor = self
                .anchor
                .filter(|a| self.index_of(*a).is_some())
                .or(self.cursor.filter(|c| self.index_of(*c).is_some()))
                .unwrap_or(row);
            self.selection.clear();
            self.select_range(anchor, row);
            self.anchor = Some(anchor);
        } else {
            self.selection.clear();
            if let Row::Entry(i) = row {
                self.selection.set(i, true);
            }
            self.anchor = Some(row);
        }
        self.cursor = Some(row);
        self.summary = None;
        self.scroll = Scroll::Cursor;
    }

    /// Select only the entry with this name (if shown) and scroll to it.
    fn select_name(&mut self, name: &[u8]) -> bool {
        self.ensure_view();
        let Some(i) = self.entries.iter().position(|e| e.name == name) else {
            return false;
        };
        let row = Row::Entry(i as u32);
        if self.index_of(row).is_none() {
            return false;
        }
        self.click(row, false, false);
        self.scroll = Scroll::Cursor;
        true
    }

    /// The folder a row opens, if it opens as a folder.
    fn folder_of(&self, row: Row) -> Option<AnyPath> {
        match row {
            Row::Parent => self.parent.clone(),
            Row::Entry(i) => {
                let e = self.entries.get(i as usize)?;
                e.opens_as_dir()
                    .then(|| self.listed.as_ref().map(|base| base.join(&e.name)))
                    .flatten()
            }
        }
    }

    fn apply_row_events(
        &mut self,
        modifiers: egui::Modifiers,
        events: RowEvents,
        actions: &mut Vec<PaneAction>,
    ) {
        if let Some(row) = events.secondary {
            let selected = matches!(row, Row::Entry(i) if self.selection.contains(i));
            if !selected {
                self.click(row, false, false);
            } else {
                self.cursor = Some(row);
            }
        } else if let Some(row) = events.double {
            if let Some(folder) = self.folder_of(row) {
                actions.push(PaneAction::Navigate(folder));
            } else if let Row::Entry(i) = row
                && self
                    .entries
                    .get(i as usize)
                    .is_some_and(|e| e.kind != Kind::Unknown)
            {
                actions.push(PaneAction::Run(Action::Transfer));
            }
        } else if let Some(row) = events.click {
            self.click(row, modifiers.command, modifiers.shift);
        }
        if events.empty_click || events.empty_secondary {
            self.selection.clear();
            self.summary = None;
        }
    }
}

// ------------------------------------------------------------------------------------------------
// Keyboard
// ------------------------------------------------------------------------------------------------

impl PaneState {
    /// Arrow keys, Page Up/Down and Home/End move the cursor (Shift extends
    /// the selection); typing a character focuses the filter box. Enter, F2,
    /// Delete and friends belong to the app's action table.
    fn keyboard(&mut self, ui: &Ui, ids: &Ids, active: bool) {
        if !active || !self.rows_actionable() || self.rename.is_some() || self.path_edit.is_some() {
            return;
        }
        let ctx = ui.ctx();
        if egui::Popup::is_any_open(ctx) {
            return;
        }
        let in_filter = ctx.memory(|m| m.has_focus(ids.filter));
        let typing = ctx.text_edit_focused();
        if typing && !in_filter {
            return;
        }
        let page = self.page_rows.max(1) as isize;
        let mut moves = Vec::new();
        ctx.input_mut(|i| {
            i.events.retain(|e| {
                let Event::Key {
                    key,
                    pressed: true,
                    modifiers,
                    ..
                } = e
                else {
                    return true;
                };
                if modifiers.command || modifiers.alt {
                    return true;
                }
                let movement = match key {
                    Key::ArrowUp => Move::By(-1),
                    Key::ArrowDown => Move::By(1),
                    Key::PageUp => Move::By(-page),
                    Key::PageDown => Move::By(page),
                    Key::Home if !in_filter => Move::Home,
                    Key::End if !in_filter => Move::End,
                    _ => return true,
                };
                moves.push((movement, modifiers.shift));
                false
            });
        });
        for (movement, extend) in moves {
            self.move_cursor(movement, extend);
        }
        if !typing {
            let typed = ui.input(|i| {
                i.events
                    .iter()
                    .any(|e| matches!(e, Event::Text(t) if t.chars().any(|c| !c.is_control())))
            });
            if typed {
                // The filter box takes focus before it is drawn, so it
                // receives this very character.
                self.focus_filter = true;
            }
        }
    }
}

// ------------------------------------------------------------------------------------------------
// Drawing
// ------------------------------------------------------------------------------------------------

impl PaneState {
    fn toolbar_ui(&mut self, ui: &mut Ui, ids: &Ids, actions: &mut Vec<PaneAction>) {
        let wide = ui.available_width() >= WIDE_PANE;
        ui.horizontal(|ui| {
            let up = self.path.as_ref().and_then(AnyPath::parent).is_some();
            if action_icon_button(ui, Icon::Up, Action::GoUp, up).clicked() {
                actions.push(PaneAction::Run(Action::GoUp));
            }
            let refresh = self.path.is_some();
            if action_icon_button(ui, Icon::Refresh, Action::Refresh, refresh).clicked() {
                actions.push(PaneAction::Run(Action::Refresh));
            }
            let filter_width = if wide { FILTER_WIDTH } else { 0.0 };
            let bar_width = (ui.available_width() - filter_width).max(60.0);
            let height = ui.spacing().interact_size.y + 4.0;
            ui.allocate_ui_with_layout(
                vec2(bar_width, height),
                Layout::left_to_right(Align::Center),
                |ui| self.path_bar_ui(ui, ids, actions),
            );
            if wide {
                self.filter_ui(ui, ids);
            }
        });
        if !wide {
            ui.horizontal(|ui| self.filter_ui(ui, ids));
        }
    }

    fn path_bar_ui(&mut self, ui: &mut Ui, ids: &Ids, actions: &mut Vec<PaneAction>) {
        let fill = ui.visuals().extreme_bg_color;
        let stroke = ui.visuals().widgets.noninteractive.bg_stroke;
        egui::Frame::new()
            .fill(fill)
            .stroke(stroke)
            .corner_radius(4.0)
            .inner_margin(egui::Margin::symmetric(4, 1))
            .show(ui, |ui| {
                ui.set_width(ui.available_width());
                ui.horizontal(|ui| {
                    // The same height in both modes, so the table does not jump.
                    ui.set_min_height(ui.spacing().interact_size.y + 2.0);
                    if self.path_edit.is_some() {
                        self.path_edit_ui(ui, ids, actions);
                    } else {
                        self.breadcrumbs_ui(ui, ids, actions);
                    }
                });
            });
    }

    fn breadcrumbs_ui(&mut self, ui: &mut Ui, ids: &Ids, actions: &mut Vec<PaneAction>) {
        // What follows the crumbs: [spinner] and the edit button, each after a gap.
        let gap = ui.spacing().item_spacing.x;
        let mut tail = gap + ui.spacing().interact_size.y + 2.0;
        if self.loading {
            tail += gap + SPINNER_SIZE;
        }
        let crumbs_width = (ui.available_width() - tail - gap).max(10.0);
        let mut start_edit = false;
        let crumbs = self
            .path
            .as_ref()
            .map(|p| breadcrumbs(p, &self.charset))
            .unwrap_or_default();
        egui::ScrollArea::horizontal()
            .id_salt(ids.base.with("crumbs"))
            .max_width(crumbs_width)
            .stick_to_right(true)
            .scroll_bar_visibility(egui::scroll_area::ScrollBarVisibility::AlwaysHidden)
            .show(ui, |ui| {
                ui.horizontal(|ui| {
                    ui.spacing_mut().item_spacing.x = 2.0;
                    let last = crumbs.len().saturating_sub(1);
                    for (n, (label, path)) in crumbs.iter().enumerate() {
                        if n > 0 && !(n == 1 && crumbs[0].0 == "/") {
                            ui.label(RichText::new("›").weak());
                        }
                        let text = if n == last {
                            RichText::new(label).strong()
                        } else {
                            RichText::new(label)
                        };
                        let button = egui::Button::new(text).frame(false);
                        if ui
                            .add(button)
                            .on_hover_text(path_text(path, &self.charset))
                            .clicked()
                        {
                            actions.push(PaneAction::Navigate(path.clone()));
                        }
                    }
                });
            });
        // The empty rest of the bar switches to typing a path.
        let rest = ui.available_width() - tail;
        if rest > 1.0 {
            let height = ui.spacing().interact_size.y;
            let (_, response) = ui.allocate_exact_size(vec2(rest, height), Sense::click());
            if response.clicked() {
                start_edit = true;
            }
        }
        if self.loading {
            ui.add(egui::Spinner::new().size(SPINNER_SIZE));
        }
        if icon_button(ui, Icon::Edit, "Edit path", true)
            .on_hover_text("Type a path")
            .clicked()
        {
            start_edit = true;
        }
        if start_edit {
            ui.ctx().request_repaint();
            self.path_edit = Some(PathEdit {
                text: self
                    .path
                    .as_ref()
                    .map(|p| path_text(p, &self.charset))
                    .unwrap_or_default(),
                fresh: true,
            });
        }
    }

    fn path_edit_ui(&mut self, ui: &mut Ui, ids: &Ids, actions: &mut Vec<PaneAction>) {
        let Some(edit) = self.path_edit.as_mut() else {
            return;
        };
        let label = ui.label(RichText::new("Path").weak());
        if edit.fresh {
            let mut state = egui::text_edit::TextEditState::default();
            state
                .cursor
                .set_char_range(Some(egui::text::CCursorRange::select_all_str(&edit.text)));
            state.store(ui.ctx(), ids.path);
            ui.memory_mut(|m| m.request_focus(ids.path));
            edit.fresh = false;
        }
        let response = ui
            .add(
                TextEdit::singleline(&mut edit.text)
                    .id(ids.path)
                    .frame(egui::Frame::NONE)
                    .desired_width(ui.available_width()),
            )
            .labelled_by(label.id);
        if response.lost_focus() {
            let enter = ui.input(|i| i.key_pressed(Key::Enter));
            if enter
                && let Some(path) =
                    parse_typed_path(&edit.text, self.path.as_ref(), self.side, &self.charset)
            {
                actions.push(PaneAction::Navigate(path));
            }
            self.path_edit = None;
            ui.ctx().request_repaint();
        } else if !response.has_focus() {
            self.path_edit = None;
            ui.ctx().request_repaint();
        }
    }

    fn filter_ui(&mut self, ui: &mut Ui, ids: &Ids) {
        let label = ui.label("Filter");
        if self.focus_filter {
            self.focus_filter = false;
            let end = egui::text::CCursor::new(self.filter.chars().count());
            let mut state =
                egui::text_edit::TextEditState::load(ui.ctx(), ids.filter).unwrap_or_default();
            state
                .cursor
                .set_char_range(Some(egui::text::CCursorRange::one(end)));
            state.store(ui.ctx(), ids.filter);
            ui.memory_mut(|m| m.request_focus(ids.filter));
        }
        let clear_width = if self.filter.is_empty() {
            0.0
        } else {
            ui.spacing().interact_size.y + ui.spacing().item_spacing.x
        };
        let response = ui
            .add(
                TextEdit::singleline(&mut self.filter)
                    .id(ids.filter)
                    .hint_text("Type to filter")
                    .desired_width((ui.available_width() - clear_width).max(40.0)),
            )
            .labelled_by(label.id);
        if response.lost_focus() {
            if ui.input(|i| i.key_pressed(Key::Escape)) {
                self.filter.clear();
                ui.ctx().request_repaint();
            } else if ui.input(|i| i.key_pressed(Key::Enter)) {
                self.ensure_view();
                if self.cursor.and_then(|r| self.index_of(r)).is_none()
                    && let Some(&first) = self.view.first()
                {
                    self.click(Row::Entry(first), false, false);
                    self.scroll = Scroll::Cursor;
                }
            }
        }
        if !self.filter.is_empty() && icon_button(ui, Icon::Close, "Clear filter", true).clicked() {
            self.filter.clear();
            ui.ctx().request_repaint();
        }
    }

    fn table_area_ui(
        &mut self,
        ui: &mut Ui,
        settings: &mut PaneSettings,
        ids: &Ids,
        active: bool,
        actions: &mut Vec<PaneAction>,
    ) {
        if let Some(message) = &self.error {
            ui.add_space(12.0);
            ui.horizontal_wrapped(|ui| {
                ui.colored_label(
                    ui.visuals().error_fg_color,
                    format!("Could not list this folder: {message}"),
                );
            });
            return;
        }
        if self.listed.is_none() {
            ui.add_space(24.0);
            ui.vertical_centered(|ui| {
                if self.loading {
                    ui.spinner();
                    ui.weak("Loading…");
                } else if self.side == Side::Remote {
                    ui.weak("Connect to a server to see its files");
                } else {
                    ui.weak("No folder");
                }
            });
            return;
        }
        // While another folder loads the rows are not that folder's: they take
        // no clicks. They only look dimmed once the answer is slow, so a quick
        // answer does not flash every row grey for a frame or two.
        let loading_other = self.loading && self.path != self.listed;
        let waited = match self.loading_since {
            Some(since) if self.loading => ui.input(|i| i.time) - since,
            _ => 0.0,
        };
        let slow = waited > GREY_AFTER_SECONDS;
        if self.loading && !slow {
            // The spinner repaints only while the breadcrumbs show (not while
            // a path is typed): wake up when the rows are due to dim.
            let due = (GREY_AFTER_SECONDS - waited).max(0.0) + 0.01;
            ui.ctx()
                .request_repaint_after(std::time::Duration::from_secs_f64(due));
        }
        if self.stale {
            ui.disable();
        } else if loading_other {
            let opacity = ui.opacity();
            ui.disable();
            if !slow {
                ui.set_opacity(opacity);
            }
        } else if slow {
            ui.multiply_opacity(0.55);
        }
        self.table_ui(ui, settings, ids, active, actions);
    }

    fn table_ui(
        &mut self,
        ui: &mut Ui,
        settings: &mut PaneSettings,
        ids: &Ids,
        active: bool,
        actions: &mut Vec<PaneAction>,
    ) {
        let row_height = ui.text_style_height(&TextStyle::Body).max(16.0) + 6.0;
        let widths = column_widths(ui, settings);
        let spacing_y = ui.spacing().item_spacing.y;
        let mut table = TableBuilder::new(ui)
            .id_salt(("ferry-pane-table", self.side))
            .striped(true)
            .sense(Sense::click_and_drag())
            .auto_shrink(false)
            .animate_scrolling(false)
            .min_scrolled_height(0.0)
            .cell_layout(Layout::left_to_right(Align::Center))
            .column(Column::remainder().at_least(NAME_MIN_WIDTH).clip(true));
        for w in widths {
            table = table.column(Column::exact(w).clip(true));
        }
        match std::mem::replace(&mut self.scroll, Scroll::Stay) {
            Scroll::Stay => {}
            Scroll::Top => table = table.vertical_scroll_offset(0.0),
            Scroll::Cursor => {
                if let Some(index) = self.cursor.and_then(|r| self.index_of(r)) {
                    table = table.scroll_to_row(index, None);
                }
            }
        }

        let mut header_rects = [Rect::NOTHING; 5];
        let mut sort_clicked = None;
        let table = table.header(row_height + 2.0, |mut header| {
            for (n, (title, column)) in COLUMNS.iter().enumerate() {
                header.col(|ui| {
                    header_rects[n] = ui.max_rect();
                    let sorted = settings.sort == *column;
                    let right = *column == SortColumn::Size;
                    if sort_header(ui, title, right, sorted, settings.ascending).clicked() {
                        sort_clicked = Some(*column);
                    }
                });
            }
        });

        let mut rename = self.rename.take();
        let mut rename_shown = false;
        let mut rename_end = None;
        let mut events = RowEvents::default();
        let this = &*self;
        let output = table.body(|mut body| {
            let painter = body.ui_mut().painter().clone();
            let body_x = body.max_rect().x_range();
            let cursor_stroke = body.ui_mut().visuals().selection.stroke.color;
            if !active {
                let visuals = body.ui_mut().visuals_mut();
                visuals.selection.bg_fill = visuals.selection.bg_fill.gamma_multiply(0.5);
            }
            body.rows(row_height, this.row_count(), |mut row| {
                let Some(r) = this.row_at(row.index()) else {
                    return;
                };
                row.set_selected(matches!(r, Row::Entry(i) if this.selection.contains(i)));
                let mut row_y = None;
                match r {
                    Row::Parent => {
                        row.col(|ui| {
                            row_y = Some(ui.max_rect().y_range());
                            icon(ui, Icon::Parent);
                            ui.add(Label::new("..").selectable(false));
                        });
                        for _ in 0..4 {
                            row.col(|_| {});
                        }
                    }
                    Row::Entry(i) => {
                        let Some(e) = this.entries.get(i as usize) else {
                            return;
                        };
                        row.col(|ui| {
                            row_y = Some(ui.max_rect().y_range());
                            entry_icon(ui, e);
                            match rename.as_mut().filter(|rn| rn.entry == i) {
                                Some(rn) => {
                                    rename_shown = true;
                                    rename_end = rename_ui(ui, ids.rename, rn, e.opens_as_dir());
                                }
                                None => name_label(ui, e),
                            }
                        });
                        row.col(|ui| {
                            if let (Some(size), false) = (e.size, e.opens_as_dir()) {
                                ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
                                    ui.add(Label::new(format::human_size(size)).selectable(false))
                                        .on_hover_text(format::exact_bytes(size));
                                });
                            }
                        });
                        row.col(|ui| {
                            if let Some(t) = e.modified {
                                ui.add(Label::new(format::modified(t)).selectable(false))
                                    .on_hover_text(format::modified_exact(t));
                            }
                        });
                        row.col(|ui| {
                            if let Some(p) = &e.permissions {
                                ui.add(
                                    Label::new(RichText::new(p.as_str()).monospace())
                                        .selectable(false),
                                );
                            }
                        });
                        row.col(|ui| {
                            if let Some(o) = &e.owner {
                                ui.add(Label::new(o.as_str()).selectable(false));
                            }
                        });
                    }
                }
                if active
                    && this.cursor == Some(r)
                    && let Some(y) = row_y
                {
                    let rect = Rect::from_x_y_ranges(body_x, y).expand2(vec2(0.0, spacing_y / 2.0));
                    painter.rect_stroke(
                        rect.shrink(0.5),
                        2.0,
                        Stroke::new(1.0, cursor_stroke),
                        StrokeKind::Inside,
                    );
                }
                let response = row.response();
                if response.double_clicked() {
                    events.double = Some(r);
                } else if response.clicked() {
                    events.click = Some(r);
                }
                if response.drag_started() && matches!(r, Row::Entry(_)) {
                    events.drag = Some(r);
                }
                // A folder row under a drag is a drop target of its own.
                if let Some(folder) = this.folder_of(r).filter(|_| r != Row::Parent)
                    && let Some(payload) = response.dnd_hover_payload::<PaneDrag>()
                    && !payload.paths.iter().any(|(p, _)| *p == folder)
                {
                    painter.rect_stroke(
                        response.rect,
                        2.0,
                        Stroke::new(2.0, cursor_stroke),
                        StrokeKind::Inside,
                    );
                    if let Some(payload) = response.dnd_release_payload::<PaneDrag>() {
                        events.dropped = Some(((*payload).clone(), folder));
                    }
                }
                if response.secondary_clicked() {
                    events.secondary = Some(r);
                }
            });
        });

        // Below the last row: a click clears the selection, a right click offers the folder menu.
        if output.content_size.y < output.inner_rect.height() {
            let mut rect = output.inner_rect;
            rect.min.y += output.content_size.y;
            let response = ui.interact(rect, ids.base.with("below-rows"), Sense::click());
            events.empty_click = response.clicked();
            events.empty_secondary = response.secondary_clicked();
            if self.view.is_empty() && rect.height() > row_height * 2.0 {
                let text = if Filter::new(&self.filter).is_empty() {
                    "This folder is empty".to_string()
                } else {
                    format!("No names contain “{}”", self.filter.trim())
                };
                ui.painter().text(
                    rect.center_top() + vec2(0.0, row_height),
                    Align2::CENTER_TOP,
                    text,
                    TextStyle::Body.resolve(ui.style()),
                    ui.visuals().weak_text_color(),
                );
            }
        }
        self.page_rows =
            ((output.inner_rect.height() / (row_height + spacing_y)).floor() as usize).max(1);

        resize_handles(ui, ids, &header_rects, settings);
        if let Some(column) = sort_clicked {
            if settings.sort == column {
                settings.ascending = !settings.ascending;
            } else {
                settings.sort = column;
                settings.ascending = true;
            }
        }

        match rename_end {
            Some(RenameEnd::Commit) => {
                if let Some(rn) = rename.take()
                    && let Some(e) = self.entries.get(rn.entry as usize)
                    && rn.text != e.display_name
                {
                    self.reveal = Some(rn.text.as_bytes().to_vec());
                    actions.push(PaneAction::Rename {
                        from: e.name.clone(),
                        to: rn.text,
                    });
                }
            }
            Some(RenameEnd::Cancel) => rename = None,
            None => {
                // Scrolled away or focus taken elsewhere: the rename is over.
                if rename.as_ref().is_some_and(|rn| !rn.fresh) && !rename_shown {
                    rename = None;
                }
            }
        }
        self.rename = rename;

        // Clicks are seen after the rows were drawn: draw them again with the new state.
        let changed = events.click.is_some()
            || events.double.is_some()
            || events.secondary.is_some()
            || events.empty_click
            || events.empty_secondary
            || sort_clicked.is_some()
            || rename_end.is_some();
        if changed {
            ui.ctx().request_repaint();
        }
        if let Some(r) = events.drag.take() {
            if let Row::Entry(i) = r
                && !self.selection.contains(i)
            {
                self.click(r, false, false);
            }
            let paths = self.selected_paths();
            if !paths.is_empty() {
                egui::DragAndDrop::set_payload(
                    ui.ctx(),
                    PaneDrag {
                        side: self.side,
                        paths,
                    },
                );
            }
        }
        if let Some((drag, folder)) = events.dropped.take() {
            actions.push(PaneAction::Dropped { drag, folder });
        }
        let open_menu = events.secondary.is_some() || events.empty_secondary;
        self.apply_row_events(ui.input(|i| i.modifiers), events, actions);
        self.context_menu(ui, ids, open_menu, actions);
    }

    fn context_menu(&mut self, ui: &Ui, ids: &Ids, open: bool, actions: &mut Vec<PaneAction>) {
        let popup = egui::Popup::new(
            ids.menu,
            ui.ctx().clone(),
            egui::PopupAnchor::PointerFixed,
            ui.layer_id(),
        )
        .kind(egui::PopupKind::Menu)
        .layout(Layout::top_down_justified(Align::Min))
        .style(egui::containers::menu::menu_style)
        .gap(0.0)
        .open_memory(open.then_some(egui::SetOpenCommand::Bool(true)));
        if !open && !popup.is_open() {
            return;
        }
        let side = self.side;
        let items: Vec<(Action, bool)> = actions::pane_actions()
            .filter(|info| actions::offered_on(info.action, side))
            .map(|info| (info.action, self.action_enabled(info.action)))
            .collect();
        let side = self.side;
        popup.show(|ui| {
            for (action, enabled) in items {
                if matches!(action, Action::Refresh | Action::CopyPath) {
                    ui.separator();
                }
                let info = action.info();
                let mut button = egui::Button::new(action.label_for(side));
                if let Some(shortcut) = info.shortcut {
                    button = button.shortcut_text(ui.ctx().format_shortcut(&shortcut));
                }
                if ui
                    .add_enabled(enabled, button)
                    .on_hover_text(info.tooltip)
                    .clicked()
                {
                    actions.push(PaneAction::Run(action));
                }
            }
        });
    }

    fn status_ui(&mut self, ui: &mut Ui) {
        let text = if self.listed.is_some() {
            self.status_line()
        } else {
            String::new()
        };
        ui.horizontal(|ui| {
            ui.add(Label::new(RichText::new(text).weak()).truncate());
        });
    }
}

/// The columns in order: header title and what it sorts by.
const COLUMNS: [(&str, SortColumn); 5] = [
    ("Name", SortColumn::Name),
    ("Size", SortColumn::Size),
    ("Modified", SortColumn::Modified),
    ("Permissions", SortColumn::Permissions),
    ("Owner", SortColumn::Owner),
];

/// The widths to draw the Size…Owner columns at: the saved ones, shrunk in
/// proportion when the pane is too narrow to leave Name its minimum.
fn column_widths(ui: &Ui, settings: &PaneSettings) -> [f32; 4] {
    let spacing = ui.spacing().item_spacing.x;
    let available = ui.available_rect_before_wrap().width()
        - ui.spacing().scroll.allocated_width()
        - 4.0 * spacing;
    let mut widths = settings
        .column_widths
        .map(|w| w.clamp(COLUMN_MIN_WIDTH, COLUMN_MAX_WIDTH));
    let total: f32 = widths.iter().sum();
    let room = available - NAME_MIN_WIDTH;
    if total > room && total > 0.0 {
        let scale = (room / total).max(0.0);
        widths = widths.map(|w| (w * scale).max(24.0));
    }
    widths
}

/// Drag handles on the header's column borders; each resizes the column to
/// its right (Name takes the rest), a double click restores the default.
fn resize_handles(ui: &Ui, ids: &Ids, header: &[Rect; 5], settings: &mut PaneSettings) {
    let stroke = ui.visuals().widgets.noninteractive.bg_stroke;
    for k in 0..4 {
        let (left, right) = (header[k], header[k + 1]);
        if left == Rect::NOTHING || right == Rect::NOTHING {
            continue;
        }
        let x = (left.right() + right.left()) / 2.0;
        let y = left.y_range();
        let rect = Rect::from_x_y_ranges(x - 4.0..=x + 4.0, y);
        let response = ui.interact(rect, ids.base.with(("resize", k)), Sense::click_and_drag());
        if response.hovered() || response.dragged() {
            ui.ctx().set_cursor_icon(CursorIcon::ResizeColumn);
        }
        if response.dragged() {
            let w = settings.column_widths[k] - response.drag_delta().x;
            settings.column_widths[k] = w.clamp(COLUMN_MIN_WIDTH, COLUMN_MAX_WIDTH);
        }
        if response.double_clicked() {
            settings.column_widths[k] = PaneSettings::default().column_widths[k];
        }
        let stroke = if response.hovered() || response.dragged() {
            ui.visuals().widgets.hovered.bg_stroke
        } else {
            stroke
        };
        ui.painter().vline(x, y.shrink(3.0), stroke);
    }
    if let Some(first) = header.first().filter(|r| **r != Rect::NOTHING) {
        let right = header[4].right();
        ui.painter().hline(
            first.left()..=right,
            first.bottom() + ui.spacing().item_spacing.y / 2.0,
            stroke,
        );
    }
}

/// A header cell that sorts by its column, with ▲/▼ on the sorted one.
fn sort_header(ui: &mut Ui, title: &str, right: bool, sorted: bool, ascending: bool) -> Response {
    let rect = ui.max_rect();
    let response = ui.allocate_rect(rect, Sense::click());
    response.widget_info(|| WidgetInfo::selected(Role::Button, true, sorted, title));
    let response = response.on_hover_text(format!("Sort by {}", title.to_lowercase()));
    if !ui.is_rect_visible(rect) {
        return response;
    }
    let painter = ui.painter();
    if response.hovered() {
        painter.rect_filled(rect, 2.0, ui.visuals().widgets.hovered.weak_bg_fill);
    }
    let color = if sorted {
        ui.visuals().strong_text_color()
    } else {
        ui.visuals().text_color()
    };
    let galley = painter.layout_no_wrap(
        title.to_string(),
        TextStyle::Body.resolve(ui.style()),
        color,
    );
    let arrow = 9.0;
    let y = rect.center().y - galley.size().y / 2.0;
    let (text_x, arrow_x) = if right {
        let arrow_x = rect.right() - arrow / 2.0 - 1.0;
        (arrow_x - arrow - galley.size().x, arrow_x)
    } else {
        let text_x = rect.left() + 2.0;
        (text_x, text_x + galley.size().x + 4.0 + arrow / 2.0)
    };
    painter.galley(pos2(text_x, y), galley, color);
    if sorted {
        let c = pos2(arrow_x, rect.center().y);
        let (h, w) = (3.0, 4.0);
        let points = if ascending {
            vec![c + vec2(-w, h), c + vec2(w, h), c + vec2(0.0, -h)]
        } else {
            vec![c + vec2(-w, -h), c + vec2(w, -h), c + vec2(0.0, h)]
        };
        painter.add(Shape::convex_polygon(points, color, Stroke::NONE));
    }
    response
}

/// The name cell's text; a link also says where it points.
fn name_label(ui: &mut Ui, e: &Entry) {
    let response = ui.add(
        Label::new(e.display_name.as_str())
            .selectable(false)
            .truncate(),
    );
    if let Kind::Symlink { .. } = e.kind {
        let target = e.link_target.as_deref().unwrap_or("an unknown target");
        response.on_hover_text(format!("Link to {target}"));
    }
}

/// The inline rename field; returns how it ended, if it did this frame.
fn rename_ui(ui: &mut Ui, id: Id, rename: &mut Rename, is_dir: bool) -> Option<RenameEnd> {
    if rename.fresh {
        let stem = stem_chars(&rename.text, is_dir);
        let mut state = egui::text_edit::TextEditState::default();
        state
            .cursor
            .set_char_range(Some(egui::text::CCursorRange::two(
                egui::text::CCursor::new(0),
                egui::text::CCursor::new(stem),
            )));
        state.store(ui.ctx(), id);
        ui.memory_mut(|m| m.request_focus(id));
        rename.fresh = false;
    }
    let response = ui.add(
        TextEdit::singleline(&mut rename.text)
            .id(id)
            .margin(egui::Margin::symmetric(2, 0))
            .desired_width(ui.available_width()),
    );
    ui.ctx()
        .accesskit_node_builder(response.id, |node| node.set_label("New name"));
    if response.lost_focus() {
        return Some(if ui.input(|i| i.key_pressed(Key::Enter)) {
            RenameEnd::Commit
        } else {
            RenameEnd::Cancel
        });
    }
    (!response.has_focus()).then_some(RenameEnd::Cancel)
}

/// How many characters of a name to preselect for renaming: all of a
/// folder's, a file's up to its extension.
fn stem_chars(name: &str, is_dir: bool) -> usize {
    let stem = match name.rfind('.') {
        Some(dot) if dot > 0 && !is_dir => &name[..dot],
        _ => name,
    };
    stem.chars().count()
}

// ------------------------------------------------------------------------------------------------
// Sorting and filtering (public for the benchmark: what the app pays)
// ------------------------------------------------------------------------------------------------

/// Entry indices in display order: folders (and links to folders) first,
/// then by `sort`, ties by name.
pub fn sorted_order(entries: &[Entry], sort: SortColumn, ascending: bool) -> Vec<u32> {
    // Same order as `compare_entries`, faster: every name's natural-order
    // key is computed once into one buffer, and the sort moves 16-byte items
    // whose `primary` number decides most comparisons without touching the
    // entries.
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
            let primary = match sort {
                SortColumn::Name => prefix(name_key(i as u32)),
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
            SortItem {
                primary,
                index: i as u32,
                dir,
            }
        })
        .collect();
    items.sort_unstable_by(|x, y| {
        y.dir.cmp(&x.dir).then_with(|| {
            let (a, b) = (&entries[x.index as usize], &entries[y.index as usize]);
            let key = x.primary.cmp(&y.primary).then_with(|| match sort {
                SortColumn::Name => name_key(x.index).cmp(name_key(y.index)),
                SortColumn::Size | SortColumn::Modified => Ordering::Equal,
                SortColumn::Permissions => a.permissions.cmp(&b.permissions),
                SortColumn::Owner => match (&a.owner, &b.owner) {
                    (Some(p), Some(q)) => natural_cmp(p, q),
                    (p, q) => p.is_some().cmp(&q.is_some()),
                },
            });
            let key = if ascending { key } else { key.reverse() };
            key.then_with(|| name_key(x.index).cmp(name_key(y.index)))
                .then_with(|| a.name.cmp(&b.name))
                .then(x.index.cmp(&y.index))
        })
    });
    items.into_iter().map(|item| item.index).collect()
}

/// One entry while sorting.
struct SortItem {
    /// Decides the order when it differs; equal values fall back to the full comparison.
    primary: u64,
    index: u32,
    dir: bool,
}

/// The first 8 bytes, big-endian, zero-padded: ordered like the bytes themselves.
fn prefix(bytes: &[u8]) -> u64 {
    let mut word = [0u8; 8];
    let n = bytes.len().min(8);
    word[..n].copy_from_slice(&bytes[..n]);
    u64::from_be_bytes(word)
}

/// Append a byte string whose plain byte order is [`natural_cmp`]'s order:
/// ASCII lowercased, other characters lowercased (UTF-8 keeps code-point
/// order), and each run of digits as `0`, the number of its digits without
/// leading zeros, then those digits.
fn natural_key(name: &str, out: &mut Vec<u8>) {
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

fn trim_zeros(digits: &[u8]) -> &[u8] {
    let first = digits
        .iter()
        .position(|&d| d != b'0')
        .unwrap_or(digits.len());
    &digits[first..]
}

/// The filter box's text, prepared for matching display names.
struct Filter {
    needle: String,
    ascii: bool,
}

impl Filter {
    fn new(text: &str) -> Filter {
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

    fn is_empty(&self) -> bool {
        self.needle.is_empty()
    }

    /// Case-insensitive substring match.
    fn matches(&self, name: &str) -> bool {
        if self.needle.is_empty() {
            return true;
        }
        if self.ascii {
            let needle = self.needle.as_bytes();
            name.as_bytes()
                .windows(needle.len())
                .any(|w| w.eq_ignore_ascii_case(needle))
        } else {
            name.to_lowercase().contains(&self.needle)
        }
    }
}

/// The shown entries of a sorted order, and the totals before filtering.
fn compute_view(
    entries: &[Entry],
    sorted: &[u32],
    show_hidden: bool,
    filter: &Filter,
) -> (Vec<u32>, Totals) {
    let mut view = Vec::with_capacity(sorted.len());
    let mut totals = Totals::default();
    for &i in sorted {
        let Some(e) = entries.get(i as usize) else {
            continue;
        };
        if !show_hidden && e.is_hidden() {
            continue;
        }
        totals.shown += 1;
        if e.opens_as_dir() {
            totals.folders += 1;
        } else {
            totals.files += 1;
            totals.bytes = totals.bytes.saturating_add(e.size.unwrap_or(0));
        }
        if filter.matches(&e.display_name) {
            view.push(i);
        }
    }
    (view, totals)
}

// ------------------------------------------------------------------------------------------------
// Paths
// ------------------------------------------------------------------------------------------------

/// A path as text, a remote one read in the server's `charset`.
pub fn path_text(path: &AnyPath, charset: &NameCharset) -> String {
    match path {
        AnyPath::Remote(bytes) => charset.decode(bytes).into_owned(),
        local => local.display(),
    }
}

/// The clickable segments of a path bar, each with the folder it opens:
/// `/srv/data` → `/`, `srv`, `data`. Remote names are read in `charset`.
pub fn breadcrumbs(path: &AnyPath, charset: &NameCharset) -> Vec<(String, AnyPath)> {
    match path {
        AnyPath::Local(p) => {
            let mut crumbs: Vec<(String, AnyPath)> = p
                .ancestors()
                .filter(|a| !a.as_os_str().is_empty())
                .map(|a| {
                    let label = a.file_name().map_or_else(
                        || a.display().to_string(),
                        |n| n.to_string_lossy().into_owned(),
                    );
                    (label, AnyPath::Local(a.to_path_buf()))
                })
                .collect();
            crumbs.reverse();
            crumbs
        }
        AnyPath::Remote(bytes) => {
            let absolute = bytes.first() == Some(&b'/');
            let mut crumbs = Vec::new();
            if absolute {
                crumbs.push(("/".to_string(), AnyPath::Remote(b"/".to_vec())));
            }
            let mut prefix = Vec::with_capacity(bytes.len());
            for segment in bytes.split(|&b| b == b'/').filter(|s| !s.is_empty()) {
                if absolute || !prefix.is_empty() {
                    prefix.push(b'/');
                }
                prefix.extend_from_slice(segment);
                crumbs.push((
                    charset.decode(segment).into_owned(),
                    AnyPath::Remote(prefix.clone()),
                ));
            }
            crumbs
        }
    }
}

/// The folder a typed path means: absolute as typed, relative to `base`
/// otherwise; `~` is the home folder on this computer.
/// A typed path; a remote one is encoded in the server's `charset` (`None`
/// when it cannot hold the text).
pub fn parse_typed_path(
    text: &str,
    base: Option<&AnyPath>,
    side: Side,
    charset: &NameCharset,
) -> Option<AnyPath> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    match side {
        Side::Local => {
            let home = || std::env::var_os("HOME").map(PathBuf::from);
            let path = if text == "~" {
                home()?
            } else if let Some(rest) = text.strip_prefix("~/") {
                home()?.join(rest)
            } else {
                PathBuf::from(text)
            };
            if path.is_absolute() {
                return Some(AnyPath::Local(path));
            }
            match base {
                Some(AnyPath::Local(b)) => Some(AnyPath::Local(b.join(path))),
                _ => None,
            }
        }
        Side::Remote => {
            let mut bytes = charset.encode(text).ok()?;
            while bytes.len() > 1 && bytes.ends_with(b"/") {
                bytes.pop();
            }
            if bytes.first() == Some(&b'/') {
                return Some(AnyPath::Remote(bytes));
            }
            match base {
                Some(b @ AnyPath::Remote(_)) => Some(b.join(&bytes)),
                _ => Some(AnyPath::Remote([b"/".as_slice(), &bytes].concat())),
            }
        }
    }
}

// ------------------------------------------------------------------------------------------------
// Icons (painted: the default fonts have no emoji)
// ------------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Icon {
    Up,
    Refresh,
    Edit,
    Close,
    Parent,
}

/// An icon-only button whose accessible name is `label`.
fn icon_button(ui: &mut Ui, icon: Icon, label: &str, enabled: bool) -> Response {
    let size = vec2(ui.spacing().interact_size.y, ui.spacing().interact_size.y) + vec2(2.0, 2.0);
    let sense = if enabled {
        Sense::click()
    } else {
        Sense::hover()
    };
    let (rect, response) = ui.allocate_exact_size(size, sense);
    response.widget_info(|| WidgetInfo::labeled(Role::Button, enabled, label));
    if ui.is_rect_visible(rect) {
        let visuals = ui.style().interact(&response);
        if enabled && (response.hovered() || response.is_pointer_button_down_on()) {
            ui.painter()
                .rect_filled(rect, visuals.corner_radius, visuals.weak_bg_fill);
        }
        let color = if enabled {
            visuals.fg_stroke.color
        } else {
            ui.visuals().weak_text_color().gamma_multiply(0.6)
        };
        paint_icon(ui.painter(), rect.shrink(5.0), icon, color);
    }
    response
}

/// An icon button for an action of the table, with its tooltip and shortcut.
fn action_icon_button(ui: &mut Ui, icon: Icon, action: Action, enabled: bool) -> Response {
    let info = action.info();
    let tip = match info.shortcut {
        Some(s) => format!("{} ({})", info.tooltip, ui.ctx().format_shortcut(&s)),
        None => info.tooltip.to_string(),
    };
    icon_button(ui, icon, info.label, enabled).on_hover_text(tip)
}

fn icon(ui: &mut Ui, icon: Icon) {
    let (rect, _) = ui.allocate_exact_size(vec2(16.0, 16.0), Sense::hover());
    if ui.is_rect_visible(rect) {
        let color = ui.visuals().weak_text_color();
        paint_icon(ui.painter(), rect.shrink(2.0), icon, color);
    }
}

fn paint_icon(painter: &Painter, rect: Rect, icon: Icon, color: Color32) {
    let stroke = Stroke::new(1.5, color);
    let c = rect.center();
    let r = rect.width().min(rect.height()) / 2.0;
    match icon {
        Icon::Up | Icon::Parent => {
            let top = pos2(c.x, c.y - r);
            painter.line_segment([pos2(c.x, c.y + r), top], stroke);
            painter.add(Shape::line(
                vec![
                    top + vec2(-r * 0.7, r * 0.7),
                    top,
                    top + vec2(r * 0.7, r * 0.7),
                ],
                stroke,
            ));
        }
        Icon::Refresh => {
            let start = -0.35 * std::f32::consts::PI;
            let sweep = 1.6 * std::f32::consts::PI;
            let points: Vec<Pos2> = (0..=20)
                .map(|k| {
                    let a = start + sweep * k as f32 / 20.0;
                    c + vec2(a.cos(), a.sin()) * r * 0.85
                })
                .collect();
            let end = *points.last().unwrap_or(&c);
            painter.add(Shape::line(points, stroke));
            let a = start + sweep;
            let tangent = vec2(-a.sin(), a.cos());
            let normal = vec2(a.cos(), a.sin());
            painter.add(Shape::convex_polygon(
                vec![end + tangent * 3.5, end + normal * 3.0, end - normal * 3.0],
                color,
                Stroke::NONE,
            ));
        }
        Icon::Edit => {
            let tip = pos2(rect.left() + 1.0, rect.bottom() - 1.0);
            let back = pos2(rect.right() - 1.0, rect.top() + 1.0);
            painter.line_segment([tip + vec2(2.0, -2.0), back], Stroke::new(3.0, color));
            painter.add(Shape::convex_polygon(
                vec![tip, tip + vec2(0.5, -3.5), tip + vec2(3.5, -0.5)],
                color,
                Stroke::NONE,
            ));
        }
        Icon::Close => {
            let d = r * 0.7;
            painter.line_segment([c + vec2(-d, -d), c + vec2(d, d)], stroke);
            painter.line_segment([c + vec2(-d, d), c + vec2(d, -d)], stroke);
        }
    }
}

/// The icon of a table row: folder, file, link (with a badge) or unknown.
fn entry_icon(ui: &mut Ui, e: &Entry) {
    let (rect, _) = ui.allocate_exact_size(vec2(16.0, 16.0), Sense::hover());
    if !ui.is_rect_visible(rect) {
        return;
    }
    let painter = ui.painter();
    let ink = ui.visuals().widgets.noninteractive.fg_stroke.color;
    match e.kind {
        Kind::Dir => paint_folder(painter, rect, ui.visuals().dark_mode),
        Kind::File => paint_file(painter, rect, ink),
        Kind::Unknown => {
            paint_file(painter, rect, ink);
            painter.text(
                rect.center() + vec2(0.0, 1.5),
                Align2::CENTER_CENTER,
                "?",
                egui::FontId::proportional(9.0),
                ink,
            );
        }
        Kind::Symlink { target_is_dir } => {
            if target_is_dir {
                paint_folder(painter, rect, ui.visuals().dark_mode);
            } else {
                paint_file(painter, rect, ink);
            }
            // A link badge: a small arrow out of a circle, bottom left.
            let c = pos2(rect.left() + 4.0, rect.bottom() - 4.0);
            painter.circle_filled(c, 4.0, Color32::from_rgb(0x3B, 0x82, 0xD6));
            let white = Stroke::new(1.2, Color32::WHITE);
            painter.line_segment([c + vec2(-1.6, 1.6), c + vec2(1.8, -1.8)], white);
            painter.add(Shape::line(
                vec![
                    c + vec2(-0.4, -1.8),
                    c + vec2(1.8, -1.8),
                    c + vec2(1.8, 0.4),
                ],
                white,
            ));
        }
    }
}

fn paint_folder(painter: &Painter, rect: Rect, dark: bool) {
    let (body, tab) = if dark {
        (
            Color32::from_rgb(0xD9, 0xA8, 0x4E),
            Color32::from_rgb(0xB8, 0x88, 0x36),
        )
    } else {
        (
            Color32::from_rgb(0xF0, 0xB8, 0x4C),
            Color32::from_rgb(0xD0, 0x96, 0x30),
        )
    };
    let outer = rect.shrink2(vec2(1.0, 2.0));
    let tab_rect = Rect::from_min_size(outer.min, vec2(outer.width() * 0.45, 4.0));
    painter.rect_filled(tab_rect, 1.5, tab);
    let body_rect = Rect::from_min_max(pos2(outer.left(), outer.top() + 2.0), outer.max);
    painter.rect_filled(body_rect, 1.5, body);
}

fn paint_file(painter: &Painter, rect: Rect, ink: Color32) {
    let r = Rect::from_center_size(rect.center(), vec2(10.0, 13.0));
    let fold = 3.5;
    let stroke = Stroke::new(1.1, ink);
    let outline = vec![
        r.left_top(),
        pos2(r.right() - fold, r.top()),
        pos2(r.right(), r.top() + fold),
        r.right_bottom(),
        r.left_bottom(),
    ];
    painter.add(Shape::closed_line(outline, stroke));
    painter.add(Shape::line(
        vec![
            pos2(r.right() - fold, r.top()),
            pos2(r.right() - fold, r.top() + fold),
            pos2(r.right(), r.top() + fold),
        ],
        stroke,
    ));
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn entry(name: &str, kind: Kind, size: Option<u64>) -> Entry {
        Entry {
            name: name.as_bytes().to_vec(),
            display_name: name.to_string(),
            kind,
            size,
            modified: None,
            permissions: None,
            owner: None,
            link_target: None,
        }
    }

    fn file(name: &str, size: u64) -> Entry {
        entry(name, Kind::File, Some(size))
    }

    fn dir(name: &str) -> Entry {
        entry(name, Kind::Dir, Some(4096))
    }

    fn at(mut e: Entry, day: u32) -> Entry {
        e.modified = NaiveDate::from_ymd_opt(2024, 3, day).and_then(|d| d.and_hms_opt(12, 0, 0));
        e
    }

    fn remote(path: &str) -> AnyPath {
        AnyPath::Remote(path.as_bytes().to_vec())
    }

    fn names(entries: &[&Entry]) -> Vec<String> {
        entries.iter().map(|e| e.display_name.clone()).collect()
    }

    fn order(entries: &[Entry], sort: SortColumn, ascending: bool) -> Vec<String> {
        sorted_order(entries, sort, ascending)
            .into_iter()
            .map(|i| entries[i as usize].display_name.clone())
            .collect()
    }

    fn pane_with(entries: Vec<Entry>) -> PaneState {
        let mut pane = PaneState::new(Side::Remote);
        pane.set_listing(remote("/srv/data"), entries);
        pane
    }

    /// The entry row of a name (panics when it is not shown).
    fn row(pane: &PaneState, name: &str) -> Row {
        let i = pane
            .entries
            .iter()
            .position(|e| e.display_name == name)
            .expect("entry exists") as u32;
        assert!(pane.index_of(Row::Entry(i)).is_some(), "{name} is shown");
        Row::Entry(i)
    }

    fn sample() -> Vec<Entry> {
        vec![
            file("b.txt", 200),
            dir("Zeta"),
            file("A.txt", 3_000),
            dir("alpha"),
            file("c10.log", 10),
            file("c9.log", 50),
            file(".hidden", 1),
            entry(
                "link-dir",
                Kind::Symlink {
                    target_is_dir: true,
                },
                Some(7),
            ),
        ]
    }

    #[test]
    fn natural_order_ignores_case_and_compares_numbers_by_value() {
        let table = [
            ("a", "B", Ordering::Less),
            ("B", "a", Ordering::Greater),
            ("file2", "file10", Ordering::Less),
            ("file10", "file9", Ordering::Greater),
            ("file007", "file7", Ordering::Equal),
            ("x", "x1", Ordering::Less),
            ("Äpfel", "äpfel", Ordering::Equal),
            ("ä", "b", Ordering::Greater),
            ("", "a", Ordering::Less),
            ("report 2023", "Report 2024", Ordering::Less),
        ];
        for (a, b, want) in table {
            assert_eq!(natural_cmp(a, b), want, "{a:?} vs {b:?}");
        }
    }

    #[test]
    fn natural_keys_order_like_natural_cmp() {
        let names = [
            "a",
            "A",
            "b",
            "a1",
            "a01",
            "a10",
            "a9",
            "a!",
            "a:",
            "a/",
            "a0",
            "a00b",
            "ä",
            "Äb",
            "z",
            "file2.txt",
            "File10.txt",
            "x 1",
            "x1",
            "",
            "K",
            "\u{212A}",
            "ß",
            "1",
            "01",
            "10",
            "9z",
            "İx",
            "ix",
        ];
        for a in names {
            for b in names {
                let (mut ka, mut kb) = (Vec::new(), Vec::new());
                natural_key(a, &mut ka);
                natural_key(b, &mut kb);
                assert_eq!(ka.cmp(&kb), natural_cmp(a, b), "{a:?} vs {b:?}");
            }
        }
    }

    #[test]
    fn the_fast_sort_agrees_with_the_reference_comparison() {
        let mut entries = sample();
        for (n, name) in ["x10", "X9", "x09", "Ärger", "arg", "10", "9", "x09"]
            .iter()
            .enumerate()
        {
            let mut e = at(file(name, (n as u64 * 7) % 3), 1 + (n as u32 * 5) % 4);
            e.permissions = ["rw-r--r--", "rwxr-xr-x", "r--------"]
                .get(n % 4)
                .map(|p| p.to_string());
            e.owner = ["bob", "alice", "Bob2", "bob10"]
                .get(n % 5)
                .map(|o| o.to_string());
            entries.push(e);
        }
        entries.push(dir("X10"));
        for sort in [
            SortColumn::Name,
            SortColumn::Size,
            SortColumn::Modified,
            SortColumn::Permissions,
            SortColumn::Owner,
        ] {
            for ascending in [true, false] {
                let mut reference: Vec<u32> = (0..entries.len() as u32).collect();
                reference.sort_by(|&a, &b| {
                    compare_entries(&entries[a as usize], &entries[b as usize], sort, ascending)
                        .then(a.cmp(&b))
                });
                assert_eq!(
                    sorted_order(&entries, sort, ascending),
                    reference,
                    "{sort:?} ascending={ascending}"
                );
            }
        }
    }

    #[test]
    fn folders_come_first_then_names_in_natural_order() {
        assert_eq!(
            order(&sample(), SortColumn::Name, true),
            [
                "alpha", "link-dir", "Zeta", ".hidden", "A.txt", "b.txt", "c9.log", "c10.log"
            ]
        );
    }

    #[test]
    fn reversing_keeps_folders_first() {
        assert_eq!(
            order(&sample(), SortColumn::Name, false),
            [
                "Zeta", "link-dir", "alpha", "c10.log", "c9.log", "b.txt", "A.txt", ".hidden"
            ]
        );
    }

    #[test]
    fn size_sorts_files_by_bytes_and_folders_by_name() {
        assert_eq!(
            order(&sample(), SortColumn::Size, true),
            [
                "alpha", "link-dir", "Zeta", ".hidden", "c10.log", "c9.log", "b.txt", "A.txt"
            ]
        );
        assert_eq!(
            order(&sample(), SortColumn::Size, false)[3..],
            ["A.txt", "b.txt", "c9.log", "c10.log", ".hidden"]
        );
    }

    #[test]
    fn time_sorts_oldest_first_and_unknown_times_before_all() {
        let entries = vec![
            at(file("new", 1), 20),
            file("undated", 1),
            at(file("old", 1), 2),
            at(dir("dir-new"), 9),
            at(dir("dir-old"), 1),
        ];
        assert_eq!(
            order(&entries, SortColumn::Modified, true),
            ["dir-old", "dir-new", "undated", "old", "new"]
        );
        assert_eq!(
            order(&entries, SortColumn::Modified, false),
            ["dir-new", "dir-old", "new", "old", "undated"]
        );
    }

    #[test]
    fn hidden_files_are_left_out_unless_shown() {
        let mut pane = pane_with(sample());
        assert!(!names(&pane.visible()).contains(&".hidden".to_string()));
        assert_eq!(pane.status_line(), "4 files, 3 folders, 3.3 kB total");
        pane.show_hidden = true;
        // Visible right away, before the next frame recomputes the cache.
        assert!(names(&pane.visible()).contains(&".hidden".to_string()));
        assert_eq!(pane.status_line(), "5 files, 3 folders, 3.3 kB total");
    }

    #[test]
    fn filter_matches_substrings_case_insensitively_and_says_how_many_show() {
        let mut pane = pane_with(sample());
        pane.filter = "TXT".into();
        pane.ensure_view();
        assert_eq!(names(&pane.visible()), ["A.txt", "b.txt"]);
        assert_eq!(
            pane.status_line(),
            "4 files, 3 folders, 3.3 kB total  ·  showing 2 of 7"
        );
        pane.filter = "ä".into();
        pane.ensure_view();
        assert!(pane.visible().is_empty());
        let mut pane = pane_with(vec![file("Ärger.txt", 1), file("other", 1)]);
        pane.filter = "äR".into();
        pane.ensure_view();
        assert_eq!(names(&pane.visible()), ["Ärger.txt"]);
    }

    #[test]
    fn click_selects_one_ctrl_toggles_shift_selects_a_range() {
        let mut pane = pane_with(sample());
        // Display order: .., alpha, link-dir, Zeta, A.txt, b.txt, c9.log, c10.log
        pane.click(row(&pane, "A.txt"), false, false);
        assert_eq!(names(&pane.selected()), ["A.txt"]);
        pane.click(row(&pane, "c9.log"), true, false);
        assert_eq!(names(&pane.selected()), ["A.txt", "c9.log"]);
        pane.click(row(&pane, "A.txt"), true, false);
        assert_eq!(names(&pane.selected()), ["c9.log"]);
        // The anchor is the last plain or Ctrl click: A.txt.
        pane.click(row(&pane, "link-dir"), false, true);
        assert_eq!(names(&pane.selected()), ["link-dir", "Zeta", "A.txt"]);
        pane.click(row(&pane, "c10.log"), false, true);
        assert_eq!(
            names(&pane.selected()),
            ["A.txt", "b.txt", "c9.log", "c10.log"]
        );
        // Ctrl+Shift adds a range to what is selected.
        pane.click(row(&pane, "alpha"), false, false);
        pane.click(row(&pane, "c9.log"), true, false);
        pane.click(row(&pane, "c10.log"), true, true);
        assert_eq!(names(&pane.selected()), ["alpha", "c9.log", "c10.log"]);
        let (count, bytes) = pane.selection_summary();
        assert_eq!((count, bytes), (3, 60));
    }

    #[test]
    fn selection_survives_resorting_and_filtering() {
        let mut pane = pane_with(sample());
        pane.click(row(&pane, "b.txt"), false, false);
        pane.click(row(&pane, "c9.log"), true, false);
        pane.set_sort(SortColumn::Size, false);
        pane.ensure_view();
        assert_eq!(names(&pane.selected()), ["b.txt", "c9.log"]);
        pane.filter = "log".into();
        pane.ensure_view();
        assert_eq!(names(&pane.selected()), ["c9.log"]);
        pane.filter.clear();
        pane.ensure_view();
        assert_eq!(names(&pane.selected()), ["b.txt", "c9.log"]);
    }

    #[test]
    fn a_new_listing_of_the_same_folder_keeps_the_selection_by_name() {
        let mut pane = pane_with(sample());
        pane.click(row(&pane, "b.txt"), false, false);
        pane.click(row(&pane, "Zeta"), true, false);
        pane.filter = "t".into();
        let mut fresh = sample();
        fresh.reverse();
        fresh.push(file("new.txt", 5));
        fresh.retain(|e| e.display_name != "Zeta");
        pane.set_loading(remote("/srv/data"));
        pane.set_listing(remote("/srv/data"), fresh);
        assert_eq!(names(&pane.selected()), ["b.txt"]);
        assert_eq!(pane.filter, "t");
        assert_eq!(pane.cursor, None, "the cursor was on Zeta, which is gone");
    }

    #[test]
    fn another_folder_clears_selection_cursor_and_filter() {
        let mut pane = pane_with(sample());
        pane.click(row(&pane, "b.txt"), false, false);
        pane.filter = "b".into();
        pane.set_loading(remote("/srv/other"));
        assert!(
            pane.selected().is_empty(),
            "the old rows are not acted on while another folder loads"
        );
        pane.set_listing(remote("/srv/other"), sample());
        assert!(pane.selected().is_empty());
        assert_eq!(pane.cursor, None);
        assert!(pane.filter.is_empty());
    }

    #[test]
    fn selected_falls_back_to_the_cursor_and_never_returns_the_parent_row() {
        let mut pane = pane_with(sample());
        pane.click(row(&pane, "b.txt"), true, false);
        pane.click(row(&pane, "b.txt"), true, false);
        assert_eq!(pane.selection.count, 0);
        assert_eq!(names(&pane.selected()), ["b.txt"], "the cursor row");
        pane.click(Row::Parent, false, false);
        assert!(pane.selected().is_empty());
        assert!(pane.cursor_on_parent());
        pane.select_all();
        assert_eq!(pane.selected().len(), 7, "every shown entry, not ..");
        let mut top = PaneState::new(Side::Remote);
        top.set_listing(remote("/"), sample());
        assert_eq!(top.row_at(0), Some(Row::Entry(3)), "no .. at the top");
    }

    #[test]
    fn arrows_move_the_cursor_and_shift_extends() {
        let mut pane = pane_with(sample());
        pane.move_cursor(Move::By(1), false);
        assert_eq!(pane.cursor, Some(Row::Parent));
        pane.move_cursor(Move::By(1), false);
        assert_eq!(names(&pane.selected()), ["alpha"]);
        pane.move_cursor(Move::By(2), true);
        assert_eq!(names(&pane.selected()), ["alpha", "link-dir", "Zeta"]);
        pane.move_cursor(Move::By(-1), true);
        assert_eq!(names(&pane.selected()), ["alpha", "link-dir"]);
        pane.move_cursor(Move::End, false);
        assert_eq!(names(&pane.selected()), ["c10.log"]);
        pane.move_cursor(Move::By(100), false);
        assert_eq!(names(&pane.selected()), ["c10.log"]);
        pane.move_cursor(Move::Home, true);
        assert_eq!(pane.selected().len(), 7);
        assert_eq!(pane.cursor, Some(Row::Parent));
    }

    #[test]
    fn double_click_opens_folders_and_links_to_folders_and_transfers_files() {
        let mut pane = pane_with(sample());
        let mut actions = Vec::new();
        let none = egui::Modifiers::NONE;
        for name in ["alpha", "link-dir", "b.txt"] {
            let events = RowEvents {
                double: Some(row(&pane, name)),
                ..RowEvents::default()
            };
            pane.apply_row_events(none, events, &mut actions);
        }
        let events = RowEvents {
            double: Some(Row::Parent),
            ..RowEvents::default()
        };
        pane.apply_row_events(none, events, &mut actions);
        assert_eq!(
            actions,
            [
                PaneAction::Navigate(remote("/srv/data/alpha")),
                PaneAction::Navigate(remote("/srv/data/link-dir")),
                PaneAction::Run(Action::Transfer),
                PaneAction::Navigate(remote("/srv")),
            ]
        );
    }

    #[test]
    fn rename_preselects_the_name_without_its_extension() {
        assert_eq!(stem_chars("report.final.pdf", false), 12);
        assert_eq!(stem_chars(".bashrc", false), 7);
        assert_eq!(stem_chars("photos.2024", true), 11);
        assert_eq!(stem_chars("Ärger.txt", false), 5);
        let mut pane = pane_with(sample());
        pane.click(row(&pane, "b.txt"), false, false);
        pane.start_rename();
        let rename = pane.rename.as_ref().expect("rename started");
        assert_eq!(rename.text, "b.txt");
    }

    #[test]
    fn a_renamed_entry_is_selected_when_the_new_listing_has_it() {
        let mut pane = pane_with(sample());
        pane.reveal(b"renamed.txt");
        assert!(pane.selected().is_empty());
        let mut fresh = sample();
        fresh.push(file("renamed.txt", 9));
        pane.set_listing(remote("/srv/data"), fresh);
        assert_eq!(names(&pane.selected()), ["renamed.txt"]);
    }

    #[test]
    fn loading_errors_and_stale_state_guard_the_selection() {
        let mut pane = pane_with(sample());
        pane.click(row(&pane, "b.txt"), false, false);
        pane.set_loading(remote("/srv/data"));
        assert_eq!(
            names(&pane.selected()),
            ["b.txt"],
            "a refresh keeps working"
        );
        pane.set_error(Some("550 No such folder".into()));
        assert!(pane.selected().is_empty());
        pane.set_error(None);
        assert_eq!(names(&pane.selected()), ["b.txt"]);
    }

    #[test]
    fn bits_count_and_iterate() {
        let mut bits = Bits::new(130);
        for i in [0, 63, 64, 129, 64] {
            bits.set(i, true);
        }
        assert_eq!(bits.count, 4);
        assert_eq!(bits.iter().collect::<Vec<_>>(), [0, 63, 64, 129]);
        bits.toggle(63);
        bits.set(500, true);
        assert_eq!(bits.iter().collect::<Vec<_>>(), [0, 64, 129]);
        assert_eq!(bits.count, 3);
        bits.clear();
        assert_eq!(bits.iter().count(), 0);
    }

    #[test]
    fn breadcrumbs_open_every_ancestor() {
        let crumbs = breadcrumbs(&remote("/srv/data/in"), &NameCharset::Auto);
        let labels: Vec<&str> = crumbs.iter().map(|(l, _)| l.as_str()).collect();
        assert_eq!(labels, ["/", "srv", "data", "in"]);
        assert_eq!(crumbs[2].1, remote("/srv/data"));
        assert_eq!(breadcrumbs(&remote("/"), &NameCharset::Auto).len(), 1);
        let crumbs = breadcrumbs(
            &AnyPath::Local(PathBuf::from("/home/ann")),
            &NameCharset::Auto,
        );
        let labels: Vec<&str> = crumbs.iter().map(|(l, _)| l.as_str()).collect();
        assert_eq!(labels, ["/", "home", "ann"]);
        assert_eq!(crumbs[1].1, AnyPath::Local(PathBuf::from("/home")));
    }

    #[test]
    fn typed_paths_are_absolute_or_relative_to_the_current_folder() {
        let base = remote("/srv/data");
        let table = [
            ("/pub/", Some(remote("/pub"))),
            ("/", Some(remote("/"))),
            ("in/2024", Some(remote("/srv/data/in/2024"))),
            ("  ", None),
        ];
        for (text, want) in table {
            assert_eq!(
                parse_typed_path(text, Some(&base), Side::Remote, &NameCharset::Auto),
                want,
                "{text:?}"
            );
        }
        let local = AnyPath::Local(PathBuf::from("/tmp"));
        assert_eq!(
            parse_typed_path("x/y", Some(&local), Side::Local, &NameCharset::Auto),
            Some(AnyPath::Local(PathBuf::from("/tmp/x/y")))
        );
        assert_eq!(
            parse_typed_path("/etc", Some(&local), Side::Local, &NameCharset::Auto),
            Some(AnyPath::Local(PathBuf::from("/etc")))
        );
    }
}
