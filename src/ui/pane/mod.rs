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

mod icons;
mod path_bar;
mod selection;
mod table;
#[cfg(test)]
mod tests;
mod view;

use std::borrow::Cow;
use std::collections::HashSet;
use std::path::PathBuf;

use eframe::egui::{
    self, Align, Align2, Color32, CursorIcon, Event, Id, Key, Label, Layout, Painter, Pos2, Rect,
    Response, RichText, Role, Sense, Shape, Stroke, StrokeKind, TextEdit, TextStyle, Ui, UiBuilder,
    WidgetInfo, pos2, vec2,
};
use egui_extras::{Column, TableBuilder};

use super::actions::{self, Action};
use super::folder_tree::{FolderTree, TreeAction};
use super::format;
use crate::engine::{AnyPath, Entry, FolderChange, Kind, LocalWatcher, PathItem, Side};
use crate::filters::NameFilter;
use crate::ftp::NameCharset;

pub(crate) use crate::engine::listing_order::natural_key;
pub use crate::engine::listing_order::{SortColumn, compare_entries, natural_cmp, sorted_order};
pub(crate) use icons::paint_folder;
use icons::*;
pub use path_bar::{breadcrumbs, parse_typed_path, path_text};
use selection::Bits;
pub(crate) use table::sort_header;
pub(crate) use view::Filter;
use view::*;

/// The name of the child of `ancestor` on the way down to `descendant`, when
/// `ancestor` is above `descendant` (`/a` and `/a/b/c` give `b`).
fn child_toward(ancestor: &AnyPath, descendant: &AnyPath) -> Option<Vec<u8>> {
    let mut child = descendant.clone();
    // A path has as many parents as components; the bound only guards
    // against a parent() that would not shrink.
    for _ in 0..4096 {
        let parent = child.parent()?;
        if parent == *ancestor {
            return Some(child.file_name()).filter(|n| !n.is_empty());
        }
        if parent == child {
            return None;
        }
        child = parent;
    }
    None
}

/// What of a pane survives a restart.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct PaneSettings {
    pub sort: SortColumn,
    pub ascending: bool,
    /// Widths of the Size, Modified, Permissions and Owner columns (Name takes the rest).
    pub column_widths: [f32; 4],
    /// Whether the folder tree shows above the rows (View → Folder trees).
    pub folder_tree: bool,
    /// The folder tree's height.
    pub tree_height: f32,
}

impl Default for PaneSettings {
    fn default() -> Self {
        PaneSettings {
            sort: SortColumn::Name,
            ascending: true,
            column_widths: [80.0, 130.0, 90.0, 110.0],
            folder_tree: false,
            tree_height: 160.0,
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
    /// The folder tree needs this folder's listing (the pane keeps showing
    /// its own folder): send the engine's List command.
    List(AnyPath),
    /// The button of the status line's offer was pressed.
    AcceptOffer,
    /// Stop the listing on its way (Esc or the Cancel button while a
    /// folder loads); the pane already went back to its previous folder.
    CancelListing,
}

/// A message in the status line with a button that acts on it
/// (synchronized browsing: "no such folder here", Create it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusOffer {
    pub text: String,
    pub button: &'static str,
}

/// What a drag from a pane carries: the dragged rows' paths (and whether each
/// is a folder).
#[derive(Debug, Clone, PartialEq)]
pub struct PaneDrag {
    pub side: Side,
    pub paths: Vec<PathItem>,
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
    /// Shared with a sort running on its own thread (see `ensure_view`).
    entries: std::sync::Arc<Vec<Entry>>,
    /// Whether hidden (dot) files are shown.
    pub show_hidden: bool,
    /// How the server encodes names (the remote pane's path bar).
    pub charset: NameCharset,
    /// Bumped whenever `entries` is replaced.
    generation: u64,
    sort: SortColumn,
    ascending: bool,
    /// Every entry index of listing `sorted_gen`, sorted for `sorted_for`
    /// (None, or another column, while a sort runs on its own thread).
    sorted: Vec<u32>,
    sorted_for: Option<(u64, SortColumn, bool)>,
    sorted_gen: u64,
    /// A big listing's sort for another column, on its own thread.
    background_sort: Option<BackgroundSort>,
    /// How many listings the pane sorted itself (the engine sends them in
    /// name order, which is only checked).
    sorts_run: u64,
    /// Woken when a background sort is done (set on the first frame).
    repaint: Option<egui::Context>,
    /// The entry indices shown, in display order.
    view: Vec<u32>,
    /// Entry index → place in `view` (or `HIDDEN`).
    position: Vec<u32>,
    view_for: Option<ViewKey>,
    /// The rows of the shorter filters typed on the way to this one (their
    /// text, their view), so erasing back is instant.
    filter_history: Vec<(String, Vec<u32>)>,
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
    /// Entries of the listing on its way received so far (a big folder
    /// streams in for a while).
    streamed: Option<u64>,
    error: Option<String>,
    stale: bool,
    rename: Option<Rename>,
    path_edit: Option<PathEdit>,
    scroll: Scroll,
    /// Rows that fit in the table (Page Up/Down), as of the last frame.
    page_rows: usize,
    /// The local pane's folder watcher (started on the first frame).
    watcher: Option<LocalWatcher>,
    /// The folder tree above the rows.
    tree: FolderTree,
    /// Whether the tree is shown (it learns from listings only then).
    tree_shown: bool,
    /// The name filters of this pane (View → Filters…).
    name_filter: std::sync::Arc<NameFilter>,
    /// The user switched the name filters off in this pane (status line).
    filters_off: bool,
    /// Bumped when the name filters or their switch change.
    filters_generation: u64,
    /// Shown in the status line instead of the counts (set by the app).
    pub offer: Option<StatusOffer>,
    /// The offer's button was pressed this frame.
    offer_taken: bool,
    /// Files that compare identical with the other pane's, left out while
    /// Compare's "Hide identical" is on (names; folders are never hidden).
    compare_hidden: Option<std::sync::Arc<HashSet<Vec<u8>>>>,
    /// How many of them are left out, for (generation, show_hidden).
    compare_hidden_count: Option<((u64, bool), usize)>,
}

impl PaneState {
    pub fn new(side: Side) -> PaneState {
        PaneState {
            side,
            path: None,
            listed: None,
            parent: None,
            entries: Default::default(),
            show_hidden: false,
            charset: NameCharset::Auto,
            generation: 0,
            sort: SortColumn::Name,
            ascending: true,
            sorted: Vec::new(),
            sorted_for: None,
            sorted_gen: 0,
            background_sort: None,
            sorts_run: 0,
            repaint: None,
            view: Vec::new(),
            position: Vec::new(),
            view_for: None,
            filter_history: Vec::new(),
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
            streamed: None,
            error: None,
            stale: false,
            rename: None,
            path_edit: None,
            scroll: Scroll::Stay,
            page_rows: 20,
            watcher: None,
            tree: FolderTree::new(side),
            tree_shown: false,
            name_filter: std::sync::Arc::new(NameFilter::default()),
            filters_off: false,
            filters_generation: 0,
            offer: None,
            offer_taken: false,
            compare_hidden: None,
            compare_hidden_count: None,
        }
    }

    /// Hide what these name filters match (the pane's enabled filters).
    pub fn set_name_filter(&mut self, filter: NameFilter) {
        self.name_filter = std::sync::Arc::new(filter);
        self.filters_generation += 1;
    }

    /// Whether the name filters apply in this pane (the status line's
    /// switch; on unless the user switched them off here).
    pub fn filters_on(&self) -> bool {
        !self.filters_off
    }

    /// Switch the name filters on or off in this pane.
    pub fn set_filters_on(&mut self, on: bool) {
        if self.filters_off == on {
            self.filters_off = !on;
            self.filters_generation += 1;
        }
    }

    /// How many entries the name filters hide in this folder.
    pub fn hidden_by_filters(&mut self) -> usize {
        self.ensure_view();
        self.totals.filtered
    }

    /// The name filters when they apply (some rule, not switched off).
    fn active_name_filter(&self) -> Option<std::sync::Arc<NameFilter>> {
        (!self.filters_off && !self.name_filter.is_empty()).then(|| self.name_filter.clone())
    }

    /// The status line's marker for the name filters and what a click on it
    /// does: "3 hidden by filters" (click: show them), "Filters off"
    /// (click: hide again); None when they hide nothing here.
    pub fn filter_marker(&mut self) -> Option<(String, &'static str)> {
        if self.filters_off {
            return (!self.name_filter.is_empty()).then(|| {
                (
                    "Filters off".to_string(),
                    "The name filters are off in this pane: click to hide what they match again",
                )
            });
        }
        let n = self.hidden_by_filters();
        (n > 0).then(|| {
            (
                format!("{} hidden by filters", format::thousands(n as u64)),
                "Entries the name filters hide (View → Filters…): click to show them in this pane",
            )
        })
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
        if self.tree_shown {
            self.tree.on_listing(&path, &entries);
        }
        let mut entries = entries;
        // A listing collected from a parser's Vec keeps its spare capacity;
        // with 100,000 entries that is megabytes held for nothing.
        entries.shrink_to_fit();
        let old = std::mem::replace(&mut self.entries, std::sync::Arc::new(entries));
        self.generation += 1;
        let mut selection = Bits::new(self.entries.len());
        let (mut cursor, mut anchor) = (None, None);
        let mut rename = None;
        if same {
            let name_of = |row: Option<Row>| match row? {
                Row::Parent => Some(None),
                Row::Entry(i) => old.get(i as usize).map(|e| Some(&e.name[..])),
            };
            let selected: HashSet<&[u8]> = self
                .selection
                .iter()
                .filter_map(|i| old.get(i as usize))
                .map(|e| &e.name[..])
                .collect();
            let (cursor_name, anchor_name) = (name_of(self.cursor), name_of(self.anchor));
            cursor = cursor_name.and_then(|n| n.is_none().then_some(Row::Parent));
            anchor = anchor_name.and_then(|n| n.is_none().then_some(Row::Parent));
            let renaming = self.rename.as_ref().and_then(|r| {
                old.get(r.entry as usize)
                    .map(|e| (&e.name[..], r.text.clone()))
            });
            for (i, e) in self.entries.iter().enumerate() {
                let name = &e.name[..];
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
        self.streamed = None;
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
    /// Going up (or to any folder above) selects the folder the pane came
    /// from, as file managers do.
    pub fn set_loading(&mut self, path: AnyPath) {
        if self.listed.as_ref() != Some(&path) {
            self.rename = None;
            self.reveal = self
                .listed
                .as_ref()
                .and_then(|from| child_toward(&path, from));
        }
        self.path = Some(path);
        self.loading = true;
        self.loading_since = None;
        self.streamed = None;
        self.error = None;
    }

    /// `entries` of the listing of `path` have arrived so far.
    pub fn listing_progress(&mut self, path: &AnyPath, entries: u64) {
        if self.loading && self.path.as_ref() == Some(path) {
            self.streamed = Some(entries);
        }
    }

    /// How many entries of the listing on its way have arrived, while one streams in.
    pub fn streamed(&self) -> Option<u64> {
        self.streamed.filter(|_| self.loading)
    }

    /// Stop waiting for the listing on its way: the pane goes back to the
    /// folder its rows are from, as they were. With no rows yet (the first
    /// listing after connecting) it says the listing was cancelled.
    /// Returns whether a listing was on its way.
    pub fn cancel_loading(&mut self) -> bool {
        if !self.loading {
            return false;
        }
        self.loading = false;
        self.loading_since = None;
        self.streamed = None;
        self.reveal = None;
        if self.listed.is_some() {
            self.path = self.listed.clone();
        } else {
            self.error = Some("listing cancelled; Refresh lists the folder again".into());
        }
        true
    }

    /// Show (or clear) an error in place of the listing.
    pub fn set_error(&mut self, message: Option<String>) {
        if message.is_some() {
            self.loading = false;
            self.rename = None;
        }
        self.error = message;
    }

    /// Forget the listing and the folder (another server is being connected).
    pub fn clear(&mut self) {
        self.set_listing(AnyPath::Remote(Vec::new()), Vec::new());
        self.path = None;
        self.listed = None;
        self.loading = false;
        self.error = None;
        self.stale = false;
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

    /// Set the filter box's text (as typing does) and update the rows shown.
    pub fn set_filter(&mut self, text: &str) {
        if self.filter != text {
            self.filter = text.to_string();
            self.ensure_view();
        }
    }

    /// How many entries are shown (hidden files and the filter applied).
    pub fn shown_count(&mut self) -> usize {
        self.ensure_view();
        self.view.len()
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
            text: entry.display_name.to_string(),
            fresh: true,
        });
        self.cursor = Some(Row::Entry(i));
        self.scroll = Scroll::Cursor;
    }

    /// Leave these files out of the rows (Compare's "Hide identical"), or
    /// show them all again with `None`. Folders stay: they can still be opened.
    pub fn set_compare_hidden(&mut self, names: Option<std::sync::Arc<HashSet<Vec<u8>>>>) {
        let same = match (&self.compare_hidden, &names) {
            (Some(a), Some(b)) => std::sync::Arc::ptr_eq(a, b),
            (None, None) => true,
            _ => false,
        };
        if !same {
            self.compare_hidden = names;
            self.compare_hidden_count = None;
            // The rows are worked out again on the next frame.
            self.view_for = None;
            self.summary = None;
        }
    }

    /// Whether Compare's "Hide identical" leaves this entry out.
    fn compare_hides(&self, e: &Entry) -> bool {
        self.compare_hidden
            .as_ref()
            .is_some_and(|h| !e.opens_as_dir() && h.contains(&e.name[..]))
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
        if self.compare_hidden.is_some() {
            let key = (self.generation, self.show_hidden);
            let hidden = match self.compare_hidden_count {
                Some((k, n)) if k == key => n,
                _ => {
                    let n = self
                        .entries
                        .iter()
                        .filter(|e| (self.show_hidden || !e.is_hidden()) && self.compare_hides(e))
                        .count();
                    self.compare_hidden_count = Some((key, n));
                    n
                }
            };
            parts.push(format!(
                "{} identical hidden",
                format::thousands(hidden as u64)
            ));
        }
        if self.is_sorting() {
            parts.push("sorting…".to_string());
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
        if self.repaint.is_none() {
            self.repaint = Some(ui.ctx().clone());
        }
        self.follow_local_changes(ui.ctx(), &mut actions);
        self.ensure_view();
        self.keyboard(ui, &ids, active);
        if self.loading && active && self.escape_pressed(ui, &ids) && self.cancel_loading() {
            actions.push(PaneAction::CancelListing);
        }

        self.toolbar_ui(ui, &ids, &mut actions);
        self.ensure_view();
        ui.add_space(2.0);
        self.tree_shown = settings.folder_tree;
        if self.tree_shown {
            self.tree_ui(ui, settings, &mut actions);
        }

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
        self.status_ui(ui, &mut actions);
        if std::mem::take(&mut self.offer_taken) {
            actions.push(PaneAction::AcceptOffer);
        }
        self.drop_zone_ui(ui, &ids, &mut actions);
        actions
    }

    /// The folder tree in the top part of the pane, and the splitter below it.
    fn tree_ui(&mut self, ui: &mut Ui, settings: &mut PaneSettings, actions: &mut Vec<PaneAction>) {
        self.tree.set_current(self.path.as_ref());
        // Shown just now: the rows already are the current folder's listing.
        if let Some(listed) = &self.listed
            && self.path.as_ref() == Some(listed)
            && !self.tree.is_listed(listed)
        {
            self.tree.on_listing(listed, &self.entries);
        }
        let most = (ui.available_height() - 120.0).max(60.0);
        let height = settings.tree_height.clamp(60.0, most);
        let rect = Rect::from_min_size(ui.cursor().min, vec2(ui.available_width(), height));
        let tree_actions = ui
            .scope_builder(UiBuilder::new().max_rect(rect), |ui| {
                ui.set_clip_rect(rect.intersect(ui.clip_rect()));
                self.tree.ui(ui, self.show_hidden)
            })
            .inner;
        ui.advance_cursor_after_rect(rect);
        for action in tree_actions {
            let action = match action {
                TreeAction::Open(path) | TreeAction::Refresh(path) => PaneAction::Navigate(path),
                TreeAction::List(path) => PaneAction::List(path),
                TreeAction::Dropped { drag, folder } => PaneAction::Dropped { drag, folder },
                // Open the folder, then ask for the new one's name there.
                TreeAction::NewFolderIn(path) => {
                    if self.path.as_ref() != Some(&path) {
                        actions.push(PaneAction::Navigate(path));
                    }
                    PaneAction::Run(Action::NewFolder)
                }
            };
            actions.push(action);
        }
        let (handle, response) =
            ui.allocate_exact_size(vec2(ui.available_width(), 7.0), Sense::drag());
        response.widget_info(|| WidgetInfo::labeled(Role::Splitter, true, "Folder tree height"));
        let response = response.on_hover_cursor(CursorIcon::ResizeVertical);
        if response.dragged() {
            settings.tree_height = (height + response.drag_delta().y).clamp(60.0, most);
        }
        let stroke = if response.hovered() || response.dragged() {
            ui.visuals().widgets.hovered.fg_stroke
        } else {
            ui.visuals().widgets.noninteractive.bg_stroke
        };
        ui.painter()
            .hline(handle.x_range(), handle.center().y, stroke);
    }

    /// A listing of another folder than the pane's arrived: the folder tree
    /// may have asked for it.
    pub fn tree_listing(&mut self, path: &AnyPath, entries: &[Entry]) {
        if self.tree_shown {
            self.tree.on_listing(path, entries);
        }
    }

    /// Whether the folder tree waits for a listing it asked for.
    pub fn tree_is_waiting(&self) -> bool {
        self.tree.is_waiting()
    }

    /// A listing failed. True when the folder tree had asked for it (the
    /// tree shows the error on that folder).
    pub fn tree_listing_failed(&mut self, path: &AnyPath, message: &str) -> bool {
        self.tree.on_listing_failed(path, message)
    }

    /// The local pane: watch the folder shown and take in what changed in it
    /// (a re-listing only when the watcher lost track).
    fn follow_local_changes(&mut self, ctx: &egui::Context, actions: &mut Vec<PaneAction>) {
        let Some(AnyPath::Local(folder)) = self.listed.clone() else {
            return;
        };
        let watcher = self.watcher.get_or_insert_with(|| {
            let ctx = ctx.clone();
            LocalWatcher::new(move || ctx.request_repaint())
        });
        watcher.watch(&folder);
        for change in watcher.take_changes() {
            if change.relist && change.folder == folder && !self.loading {
                actions.push(PaneAction::Navigate(AnyPath::Local(folder.clone())));
            } else {
                self.apply_change(change);
            }
        }
    }

    /// Take in entries that appeared, changed or went away in the listed
    /// folder, keeping selection, cursor and scroll position by name.
    pub fn apply_change(&mut self, change: FolderChange) {
        if change.relist {
            return;
        }
        let folder = AnyPath::Local(change.folder);
        self.merge_changes(&folder, change.changed, &change.removed);
    }

    /// Take in entries that appeared or changed in the listed `folder` (a
    /// finished upload), replacing any of the same name; as [`Self::apply_change`].
    pub fn merge_entries(&mut self, folder: &AnyPath, changed: Vec<Entry>) {
        self.merge_changes(folder, changed, &[]);
    }

    fn merge_changes(&mut self, folder: &AnyPath, changed: Vec<Entry>, removed: &[Vec<u8>]) {
        if self.listed.as_ref() != Some(folder) {
            return;
        }
        if changed.is_empty() && removed.is_empty() {
            return;
        }
        let mut gone: HashSet<&[u8]> = removed.iter().map(Vec::as_slice).collect();
        gone.extend(changed.iter().map(|e| &e.name[..]));
        let mut entries: Vec<Entry> = self
            .entries
            .iter()
            .filter(|e| !gone.contains(&e.name[..]))
            .cloned()
            .collect();
        entries.extend(changed);
        let (path, loading, wanted) = (folder.clone(), self.loading, self.path.clone());
        self.set_listing(path, entries);
        // A listing of another folder may be on its way: the pane still waits for it.
        if loading && wanted.is_some() && wanted != self.listed {
            self.path = wanted;
            self.loading = true;
        }
    }

    /// Whether the local pane notices changes to `folder` by itself, so
    /// nobody needs to list it again after a transfer.
    pub fn watches(&self, folder: &AnyPath) -> bool {
        match (folder, &self.watcher) {
            (AnyPath::Local(p), Some(w)) => w.watching() == Some(p.as_path()),
            _ => false,
        }
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
    pub fn selected_paths(&self) -> Vec<PathItem> {
        // The rows belong to the listed folder, which may differ from the
        // one being loaded.
        let Some(base) = self.listing_path() else {
            return Vec::new();
        };
        self.selected()
            .into_iter()
            .map(|e| PathItem {
                path: base.join(&e.name),
                is_dir: e.kind == Kind::Dir,
            })
            .collect()
    }
}
