//! Every user action in one table: its label, tooltip and shortcut. Menus,
//! context menus, toolbar buttons and keyboard handling are all built from
//! it, so they can never disagree.

use eframe::egui::{Key, KeyboardShortcut, Modifiers};

/// Something the user can do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Connect,
    SiteManager,
    SaveAsSite,
    ImportSites,
    ExportSites,
    Disconnect,
    Reconnect,
    CancelAll,
    ToggleQueue,
    Refresh,
    NewFolder,
    Rename,
    Delete,
    Transfer,
    DownloadTo,
    CopyPath,
    GoUp,
    Open,
    SelectAll,
    ToggleHidden,
    ToggleLog,
    ToggleFolderTrees,
    ShowQueue,
    CompareFolders,
    SyncBrowse,
    Preferences,
    Quit,
    ViewFile,
    EditFile,
    OpenWith,
    FilesBeingEdited,
    Permissions,
    Filters,
    FindFiles,
    AddBookmark,
    ManageBookmarks,
    NewTab,
    CloseTab,
    NextTab,
    PreviousTab,
}

/// Where an action can be offered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Application-wide (File menu, toolbar).
    App,
    /// About the selection in a pane (context menu, Edit menu).
    Pane,
}

/// One row of the table.
pub struct ActionInfo {
    pub action: Action,
    pub label: &'static str,
    pub tooltip: &'static str,
    pub shortcut: Option<KeyboardShortcut>,
    pub scope: Scope,
}

const fn key(k: Key) -> Option<KeyboardShortcut> {
    Some(KeyboardShortcut::new(Modifiers::NONE, k))
}

const fn cmd(k: Key) -> Option<KeyboardShortcut> {
    Some(KeyboardShortcut::new(Modifiers::COMMAND, k))
}

/// The table. Order is menu order.
pub const ACTIONS: &[ActionInfo] = &[
    ActionInfo {
        action: Action::Connect,
        label: "Connect…",
        tooltip: "Open the connection dialog",
        shortcut: cmd(Key::N),
        scope: Scope::App,
    },
    ActionInfo {
        action: Action::SiteManager,
        label: "Site Manager…",
        tooltip: "Open the saved sites: edit, organise and connect",
        shortcut: cmd(Key::S),
        scope: Scope::App,
    },
    ActionInfo {
        action: Action::SaveAsSite,
        label: "Save connection as site…",
        tooltip: "Keep the quick-connect settings as a saved site",
        shortcut: None,
        scope: Scope::App,
    },
    ActionInfo {
        action: Action::ImportSites,
        label: "Import FileZilla sites…",
        tooltip: "Read FileZilla's sitemanager.xml into the saved sites",
        shortcut: None,
        scope: Scope::App,
    },
    ActionInfo {
        action: Action::ExportSites,
        label: "Export sites…",
        tooltip: "Write the saved sites to a TOML file (without passwords)",
        shortcut: None,
        scope: Scope::App,
    },
    ActionInfo {
        action: Action::Disconnect,
        label: "Disconnect",
        tooltip: "Close the connection to the server",
        shortcut: None,
        scope: Scope::App,
    },
    ActionInfo {
        action: Action::Reconnect,
        label: "Reconnect",
        tooltip: "Connect again to the last server, in the folder you were in",
        shortcut: cmd(Key::R),
        scope: Scope::App,
    },
    ActionInfo {
        action: Action::CancelAll,
        label: "Cancel all transfers",
        tooltip: "Stop every running and waiting transfer (what was transferred stays, for Retry)",
        shortcut: None,
        scope: Scope::App,
    },
    ActionInfo {
        action: Action::ToggleQueue,
        label: "Process queue",
        tooltip: "Run the transfer queue, or pause it (running transfers stop and later resume where they were)",
        shortcut: cmd(Key::P),
        scope: Scope::App,
    },
    ActionInfo {
        action: Action::Open,
        label: "Open",
        tooltip: "Open the selected folder",
        shortcut: key(Key::Enter),
        scope: Scope::Pane,
    },
    ActionInfo {
        action: Action::ViewFile,
        label: "View",
        tooltip: "Open the file with the desktop's application (a remote one as a temporary copy)",
        shortcut: key(Key::F3),
        scope: Scope::Pane,
    },
    ActionInfo {
        action: Action::EditFile,
        label: "Edit",
        tooltip: "Open the file in your editor; a remote one as a copy that Ferry uploads when you save",
        shortcut: key(Key::F4),
        scope: Scope::Pane,
    },
    ActionInfo {
        action: Action::OpenWith,
        label: "Open with…",
        tooltip: "Edit the remote file with a program you name",
        shortcut: None,
        scope: Scope::Pane,
    },
    ActionInfo {
        action: Action::Transfer,
        label: "Transfer",
        tooltip: "Download or upload the selection to the other pane's folder",
        shortcut: None,
        scope: Scope::Pane,
    },
    ActionInfo {
        action: Action::DownloadTo,
        label: "Download to…",
        tooltip: "Download the selection into a folder you pick",
        shortcut: None,
        scope: Scope::Pane,
    },
    ActionInfo {
        action: Action::Refresh,
        label: "Refresh",
        tooltip: "List this folder again",
        shortcut: key(Key::F5),
        scope: Scope::Pane,
    },
    ActionInfo {
        action: Action::FindFiles,
        label: "Find files…",
        tooltip: "Search this folder and the folders in it by name, size and date",
        shortcut: cmd(Key::F),
        scope: Scope::Pane,
    },
    ActionInfo {
        action: Action::NewFolder,
        label: "New folder…",
        tooltip: "Create a folder here",
        shortcut: key(Key::F7),
        scope: Scope::Pane,
    },
    ActionInfo {
        action: Action::Rename,
        label: "Rename",
        tooltip: "Rename the selected item",
        shortcut: key(Key::F2),
        scope: Scope::Pane,
    },
    ActionInfo {
        action: Action::Delete,
        label: "Delete…",
        tooltip: "Delete the selection (folders with everything in them)",
        shortcut: key(Key::Delete),
        scope: Scope::Pane,
    },
    ActionInfo {
        action: Action::Permissions,
        label: "Permissions…",
        tooltip: "Show the selection's owner, size and permissions, and change the permissions",
        shortcut: None,
        scope: Scope::Pane,
    },
    ActionInfo {
        action: Action::CopyPath,
        label: "Copy path / URL",
        tooltip: "Copy the selection's full path (remote: as an ftp:// URL)",
        shortcut: None,
        scope: Scope::Pane,
    },
    ActionInfo {
        action: Action::GoUp,
        label: "Up",
        tooltip: "Go to the parent folder",
        shortcut: key(Key::Backspace),
        scope: Scope::Pane,
    },
    ActionInfo {
        action: Action::SelectAll,
        label: "Select all",
        tooltip: "Select every row",
        shortcut: cmd(Key::A),
        scope: Scope::Pane,
    },
    ActionInfo {
        action: Action::ToggleHidden,
        label: "Show hidden files",
        tooltip: "Show or hide files whose name starts with a dot",
        shortcut: cmd(Key::H),
        scope: Scope::App,
    },
    ActionInfo {
        action: Action::ToggleLog,
        label: "Transfers and message log",
        tooltip: "Show or hide the panel with the transfer queue and the message log",
        shortcut: cmd(Key::L),
        scope: Scope::App,
    },
    ActionInfo {
        action: Action::ToggleFolderTrees,
        label: "Folder trees",
        tooltip: "Show or hide a folder tree above each pane",
        shortcut: None,
        scope: Scope::App,
    },
    ActionInfo {
        action: Action::ShowQueue,
        label: "Transfer queue",
        tooltip: "Show the transfer queue",
        shortcut: cmd(Key::J),
        scope: Scope::App,
    },
    ActionInfo {
        action: Action::CompareFolders,
        label: "Compare and synchronize…",
        tooltip: "Colour both panes by how their files compare, and synchronize the two folders",
        shortcut: cmd(Key::O),
        scope: Scope::App,
    },
    ActionInfo {
        action: Action::Filters,
        label: "Filters…",
        tooltip: "Hide files and folders by name in the panes (globs or regular expressions), and optionally leave them out of folder transfers",
        shortcut: cmd(Key::I),
        scope: Scope::App,
    },
    ActionInfo {
        action: Action::SyncBrowse,
        label: "Synchronized browsing",
        tooltip: "Opening a folder in one pane opens the same folder, relative to the two folders \
                  shown now, in the other pane (remembered for the site)",
        shortcut: None,
        scope: Scope::App,
    },
    ActionInfo {
        action: Action::FilesBeingEdited,
        label: "Files being edited",
        tooltip: "The remote files open in an editor: their state, upload now, stop editing",
        shortcut: None,
        scope: Scope::App,
    },
    ActionInfo {
        action: Action::AddBookmark,
        label: "Bookmark this folder…",
        tooltip: "Add the remote folder (and, if you like, the local one) to the bookmarks",
        shortcut: cmd(Key::D),
        scope: Scope::App,
    },
    ActionInfo {
        action: Action::ManageBookmarks,
        label: "Manage bookmarks…",
        tooltip: "Rename, delete and reorder bookmarks",
        shortcut: None,
        scope: Scope::App,
    },
    ActionInfo {
        action: Action::Preferences,
        label: "Preferences…",
        tooltip: "Ferry's defaults: transfers, new connections, appearance, editor",
        shortcut: cmd(Key::Comma),
        scope: Scope::App,
    },
    ActionInfo {
        action: Action::Quit,
        label: "Quit",
        tooltip: "Close Ferry",
        shortcut: cmd(Key::Q),
        scope: Scope::App,
    },
    ActionInfo {
        action: Action::NewTab,
        label: "New tab",
        tooltip: "Open a tab for another connection",
        shortcut: cmd(Key::T),
        scope: Scope::App,
    },
    ActionInfo {
        action: Action::CloseTab,
        label: "Close tab",
        tooltip: "Disconnect and close this tab (asks first if its transfers are still queued)",
        shortcut: cmd(Key::W),
        scope: Scope::App,
    },
    // Before Next tab: Ctrl+Tab also matches while Shift is held.
    ActionInfo {
        action: Action::PreviousTab,
        label: "Previous tab",
        tooltip: "Switch to the tab on the left (Ctrl+1…9 go to a tab by number)",
        shortcut: Some(KeyboardShortcut::new(
            Modifiers::COMMAND.plus(Modifiers::SHIFT),
            Key::Tab,
        )),
        scope: Scope::App,
    },
    ActionInfo {
        action: Action::NextTab,
        label: "Next tab",
        tooltip: "Switch to the tab on the right (Ctrl+1…9 go to a tab by number)",
        shortcut: cmd(Key::Tab),
        scope: Scope::App,
    },
];

impl Action {
    pub fn info(self) -> &'static ActionInfo {
        ACTIONS
            .iter()
            .find(|a| a.action == self)
            // Every Action has a row: the `every_action_has_a_row` test checks it.
            .unwrap_or(&ACTIONS[0])
    }

    /// The action's label, with the transfer direction spelled out for a pane.
    pub fn label_for(self, side: crate::engine::Side) -> &'static str {
        match (self, side) {
            (Action::Transfer, crate::engine::Side::Remote) => "Download",
            (Action::Transfer, crate::engine::Side::Local) => "Upload",
            _ => self.info().label,
        }
    }
}

/// Pane actions in menu order, for context menus.
pub fn pane_actions() -> impl Iterator<Item = &'static ActionInfo> {
    ACTIONS.iter().filter(|a| a.scope == Scope::Pane)
}

/// Whether `action` makes sense in the pane of `side` ("Download to…" is remote only).
pub fn offered_on(action: Action, side: crate::engine::Side) -> bool {
    let remote_only = matches!(action, Action::DownloadTo | Action::OpenWith);
    !remote_only || side == crate::engine::Side::Remote
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_has_a_row_and_shortcuts_are_unique() {
        use Action::*;
        let all = [
            Connect,
            SiteManager,
            SaveAsSite,
            ImportSites,
            ExportSites,
            Disconnect,
            Reconnect,
            CancelAll,
            ToggleQueue,
            Refresh,
            NewFolder,
            Rename,
            Delete,
            Transfer,
            DownloadTo,
            CopyPath,
            GoUp,
            Open,
            SelectAll,
            ToggleHidden,
            ToggleLog,
            ToggleFolderTrees,
            ShowQueue,
            CompareFolders,
            SyncBrowse,
            Preferences,
            Quit,
            ViewFile,
            EditFile,
            OpenWith,
            FilesBeingEdited,
            Permissions,
            Filters,
            FindFiles,
            AddBookmark,
            ManageBookmarks,
            NewTab,
            CloseTab,
            NextTab,
            PreviousTab,
        ];
        for a in all {
            assert_eq!(a.info().action, a, "{a:?} has no row");
        }
        let shortcuts: Vec<_> = ACTIONS.iter().filter_map(|a| a.shortcut).collect();
        for (i, s) in shortcuts.iter().enumerate() {
            assert!(!shortcuts[i + 1..].contains(s), "shortcut {s:?} used twice");
        }
    }
}
