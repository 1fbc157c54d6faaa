//! STUB (being written): one file pane, the same widget for local and remote.

use eframe::egui;

use super::actions::Action;
use crate::engine::{AnyPath, Entry, Side};

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
}

/// One pane's transient state: listing, selection, filter, rename.
pub struct PaneState {
    side: Side,
    path: Option<AnyPath>,
    entries: Vec<Entry>,
    /// Whether hidden (dot) files are shown.
    pub show_hidden: bool,
}

impl PaneState {
    pub fn new(side: Side) -> PaneState {
        PaneState {
            side,
            path: None,
            entries: Vec::new(),
            show_hidden: false,
        }
    }

    pub fn side(&self) -> Side {
        self.side
    }

    /// The folder shown (or being loaded).
    pub fn path(&self) -> Option<&AnyPath> {
        self.path.as_ref()
    }

    /// A new listing arrived for `path`.
    pub fn set_listing(&mut self, path: AnyPath, entries: Vec<Entry>) {
        self.path = Some(path);
        self.entries = entries;
    }

    /// A listing of `path` was asked for; show that it is loading.
    pub fn set_loading(&mut self, path: AnyPath) {
        self.path = Some(path);
    }

    /// Show (or clear) an error in place of the listing.
    pub fn set_error(&mut self, _message: Option<String>) {}

    /// Grey the listing out (connection lost) or bring it back.
    pub fn set_stale(&mut self, _stale: bool) {}

    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The selected entries, in display order.
    pub fn selected(&self) -> Vec<&Entry> {
        Vec::new()
    }

    pub fn select_all(&mut self) {}

    /// Start an inline rename of the focused entry.
    pub fn start_rename(&mut self) {}

    /// Draw the pane; `active` is whether it has the keyboard.
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        _settings: &mut PaneSettings,
        _active: bool,
    ) -> Vec<PaneAction> {
        ui.label(format!("{} entries", self.entries.len()));
        Vec::new()
    }
}
