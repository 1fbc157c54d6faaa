//! The bookmark dialogs: "Bookmark this folder" (Ctrl+D: name, the paired
//! local folder, this site or every site) and "Manage bookmarks" (rename,
//! delete, reorder, then Save). They return [`BookmarkIntent`]s; the app
//! stores the bookmarks (a site's with the site, global ones in the
//! preferences) and opens them.

use std::path::PathBuf;

use eframe::egui::{self, RichText};

use crate::sites::{Bookmark, BookmarkEdit, BookmarkScope};

/// What the bookmark dialogs and the Bookmarks menu ask of the app.
#[must_use]
#[derive(Debug, Clone, PartialEq)]
pub enum BookmarkIntent {
    /// Add `bookmark` to the list of `scope`.
    Add {
        scope: BookmarkScope,
        bookmark: Bookmark,
    },
    /// Open the bookmark at `index` of the list of `scope`: the remote
    /// folder, and the local one when paired (connecting to the bookmark's
    /// site first when another server, or none, is connected).
    Open { scope: BookmarkScope, index: usize },
    /// Open `bookmark` of `scope` in a new tab: a site's connects to its
    /// site there, a global one to the server of the tab it was asked from.
    OpenInNewTab {
        scope: BookmarkScope,
        bookmark: Bookmark,
    },
    /// Save `list` as the list of `scope` (the manage dialog's Save).
    Replace {
        scope: BookmarkScope,
        list: Vec<Bookmark>,
    },
}

/// "Bookmark this folder".
#[derive(Debug, Clone, Default)]
pub struct AddBookmarkDialog {
    pub open: bool,
    pub name: String,
    /// The remote folder, as text.
    pub remote: String,
    /// The local pane's folder, offered for pairing.
    pub local: Option<PathBuf>,
    pub pair_local: bool,
    /// The connected saved site, as (id, name); `None` offers only global.
    pub site: Option<(String, String)>,
    /// Add to the site's list (else the global one).
    pub for_site: bool,
    pub error: Option<String>,
}

impl AddBookmarkDialog {
    /// Open for the remote folder `remote`, with the local pane's folder
    /// offered for pairing and the connected saved site, if any.
    pub fn open_for(
        &mut self,
        remote: String,
        local: Option<PathBuf>,
        site: Option<(String, String)>,
    ) {
        let bookmark = Bookmark::for_folder(&remote, None);
        *self = AddBookmarkDialog {
            open: true,
            name: bookmark.name,
            remote: bookmark.remote,
            local,
            pair_local: false,
            for_site: site.is_some(),
            site,
            error: None,
        };
    }

    /// Draw if open; OK returns the bookmark to add.
    pub fn show(&mut self, ctx: &egui::Context) -> Option<BookmarkIntent> {
        if !self.open {
            return None;
        }
        let mut result = None;
        let mut close = false;
        egui::Modal::new(egui::Id::unique("ferry-add-bookmark")).show(ctx, |ui| {
            ui.set_width(440.0);
            ui.heading("Bookmark this folder");
            egui::Grid::new("ferry-add-bookmark-grid")
                .num_columns(2)
                .spacing([10.0, 6.0])
                .show(ui, |ui| {
                    let l = ui.label("Bookmark name");
                    let r = ui
                        .add(egui::TextEdit::singleline(&mut self.name).desired_width(300.0))
                        .labelled_by(l.id);
                    if !r.has_focus() && ui.memory(|m| m.focused().is_none()) {
                        r.request_focus();
                    }
                    ui.end_row();
                    ui.label("Remote folder");
                    ui.label(RichText::new(&self.remote).monospace());
                    ui.end_row();
                });
            match &self.local {
                Some(local) => {
                    ui.checkbox(
                        &mut self.pair_local,
                        format!("Also open the local folder {}", local.display()),
                    );
                }
                None => {
                    ui.label(RichText::new("The local pane has no folder to pair.").weak());
                }
            }
            ui.horizontal(|ui| {
                let site_name = self.site.as_ref().map(|(_, n)| n.clone());
                ui.add_enabled_ui(site_name.is_some(), |ui| {
                    ui.radio_value(
                        &mut self.for_site,
                        true,
                        format!("For this site ({})", site_name.unwrap_or_default()),
                    )
                    .on_disabled_hover_text(
                        "Connected without a saved site: save it in the Site Manager first",
                    );
                });
                ui.radio_value(&mut self.for_site, false, "For every site (global)");
            });
            if let Some(e) = &self.error {
                ui.colored_label(ui.visuals().error_fg_color, e);
            }
            ui.separator();
            ui.horizontal(|ui| {
                let enter = ui.input(|i| i.key_pressed(egui::Key::Enter));
                if ui.button("Add bookmark").clicked() || enter {
                    match self.bookmark() {
                        Ok(intent) => {
                            result = Some(intent);
                            close = true;
                        }
                        Err(e) => self.error = Some(e),
                    }
                }
                if ui.button("Cancel").clicked() || ui.input(|i| i.key_pressed(egui::Key::Escape)) {
                    close = true;
                }
            });
        });
        if close {
            self.open = false;
        }
        result
    }

    fn bookmark(&self) -> Result<BookmarkIntent, String> {
        let name = self.name.trim();
        if name.is_empty() {
            return Err("Name: give the bookmark a name".into());
        }
        let scope = match (&self.site, self.for_site) {
            (Some((id, _)), true) => BookmarkScope::Site(id.clone()),
            _ => BookmarkScope::Global,
        };
        Ok(BookmarkIntent::Add {
            scope,
            bookmark: Bookmark {
                name: name.to_string(),
                remote: self.remote.clone(),
                local: self.local.clone().filter(|_| self.pair_local),
            },
        })
    }
}

/// One list the manage dialog can edit.
#[derive(Debug, Clone, PartialEq)]
pub struct BookmarkList {
    pub scope: BookmarkScope,
    /// "Global" or the site's name.
    pub title: String,
    pub bookmarks: Vec<Bookmark>,
}

/// "Manage bookmarks": a working copy of every list; Save writes the ones changed.
#[derive(Debug, Clone, Default)]
pub struct ManageBookmarks {
    pub open: bool,
    /// The lists as they were when opened.
    saved: Vec<BookmarkList>,
    /// The lists as edited.
    pub lists: Vec<BookmarkList>,
    /// Which list is shown.
    pub current: usize,
}

impl ManageBookmarks {
    /// Open with these lists (global first, then sites), showing `current`.
    pub fn open_with(&mut self, lists: Vec<BookmarkList>, current: usize) {
        self.open = true;
        self.saved = lists.clone();
        self.current = current.min(lists.len().saturating_sub(1));
        self.lists = lists;
    }

    /// Change the list shown (the buttons do this; so do tests).
    pub fn edit(&mut self, edit: BookmarkEdit) -> bool {
        self.lists
            .get_mut(self.current)
            .is_some_and(|l| edit.apply(&mut l.bookmarks))
    }

    /// Whether anything differs from what was opened.
    pub fn changed(&self) -> bool {
        self.lists != self.saved
    }

    /// The lists that changed, to save.
    fn changes(&self) -> Vec<BookmarkIntent> {
        self.lists
            .iter()
            .filter(|l| !self.saved.iter().any(|s| s == *l))
            .map(|l| BookmarkIntent::Replace {
                scope: l.scope.clone(),
                list: l.bookmarks.clone(),
            })
            .collect()
    }

    /// Draw if open; Save returns the lists to write.
    pub fn show(&mut self, ctx: &egui::Context) -> Vec<BookmarkIntent> {
        if !self.open {
            return Vec::new();
        }
        let mut result = Vec::new();
        let mut open = true;
        let mut edit = None;
        egui::Window::new("Manage bookmarks")
            .id(egui::Id::unique("ferry-manage-bookmarks"))
            .open(&mut open)
            .collapsible(false)
            .default_size([560.0, 360.0])
            .show(ctx, |ui| {
                ui.horizontal(|ui| {
                    let l = ui.label("Bookmarks of");
                    let title = self
                        .lists
                        .get(self.current)
                        .map(|l| l.title.clone())
                        .unwrap_or_default();
                    egui::ComboBox::from_id_salt("ferry-bookmark-list")
                        .selected_text(title)
                        .show_ui(ui, |ui| {
                            for (i, list) in self.lists.iter().enumerate() {
                                ui.selectable_value(&mut self.current, i, &list.title);
                            }
                        })
                        .response
                        .labelled_by(l.id);
                });
                ui.separator();
                let Some(list) = self.lists.get_mut(self.current) else {
                    ui.label("No bookmarks yet: press Ctrl+D in a folder to add one.");
                    return;
                };
                if list.bookmarks.is_empty() {
                    ui.label(RichText::new("No bookmarks here yet.").weak());
                }
                let count = list.bookmarks.len();
                egui::ScrollArea::vertical()
                    .max_height(260.0)
                    .show(ui, |ui| {
                        egui::Grid::new("ferry-bookmark-rows")
                            .num_columns(4)
                            .spacing([8.0, 4.0])
                            .show(ui, |ui| {
                                for (index, b) in list.bookmarks.iter_mut().enumerate() {
                                    let number = ui.label(format!("{}.", index + 1));
                                    let mut name = b.name.clone();
                                    ui.add(
                                        egui::TextEdit::singleline(&mut name).desired_width(160.0),
                                    )
                                    .labelled_by(number.id)
                                    .on_hover_text("The name in the Bookmarks menu");
                                    if name != b.name {
                                        // An empty name is kept while typing, refused on Save.
                                        b.name = name;
                                    }
                                    let mut where_ = b.remote.clone();
                                    if let Some(l) = &b.local {
                                        where_.push_str(&format!("  and  {}", l.display()));
                                    }
                                    ui.label(RichText::new(where_).small());
                                    ui.horizontal(|ui| {
                                        let label = |what: &str| format!("{what} {}", b.name);
                                        if ui
                                            .button("Open in new tab")
                                            .on_hover_text("Open this bookmark in a new tab")
                                            .widget_info_label(label("Open in new tab"))
                                            .clicked()
                                        {
                                            result.push(BookmarkIntent::OpenInNewTab {
                                                scope: list.scope.clone(),
                                                bookmark: b.clone(),
                                            });
                                        }
                                        if ui
                                            .add_enabled(index > 0, egui::Button::new("Up"))
                                            .on_hover_text("Move up")
                                            .widget_info_label(label("Move up"))
                                            .clicked()
                                        {
                                            edit = Some(BookmarkEdit::MoveUp { index });
                                        }
                                        if ui
                                            .add_enabled(
                                                index + 1 < count,
                                                egui::Button::new("Down"),
                                            )
                                            .on_hover_text("Move down")
                                            .widget_info_label(label("Move down"))
                                            .clicked()
                                        {
                                            edit = Some(BookmarkEdit::MoveDown { index });
                                        }
                                        if ui
                                            .button("Delete")
                                            .on_hover_text("Delete")
                                            .widget_info_label(label("Delete"))
                                            .clicked()
                                        {
                                            edit = Some(BookmarkEdit::Delete { index });
                                        }
                                    });
                                    ui.end_row();
                                }
                            });
                    });
                ui.separator();
                ui.horizontal(|ui| {
                    let empty = self
                        .lists
                        .iter()
                        .any(|l| l.bookmarks.iter().any(|b| b.name.trim().is_empty()));
                    if ui
                        .add_enabled(self.changed() && !empty, egui::Button::new("Save"))
                        .on_disabled_hover_text("Nothing changed, or a name is empty")
                        .clicked()
                    {
                        for list in &mut self.lists {
                            for b in &mut list.bookmarks {
                                b.name = b.name.trim().to_string();
                            }
                        }
                        result = self.changes();
                        self.saved = self.lists.clone();
                    }
                    if ui.button("Close").clicked() {
                        self.open = false;
                    }
                    if self.changed() {
                        ui.label(RichText::new("Not saved yet").weak());
                    }
                });
            });
        if let Some(edit) = edit {
            self.edit(edit);
        }
        if !open {
            self.open = false;
        }
        result
    }
}

/// Give a widget an accessible name other than its text (icon buttons).
trait WidgetInfoLabel {
    fn widget_info_label(self, label: String) -> Self;
}

impl WidgetInfoLabel for egui::Response {
    fn widget_info_label(self, label: String) -> Self {
        let enabled = self.enabled();
        self.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, enabled, &label));
        self
    }
}
