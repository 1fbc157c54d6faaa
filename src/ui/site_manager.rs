//! The Site Manager: the saved sites as a tree (folders, search, drag to move
//! or reorder) beside the selected site's settings. Every edit goes to a
//! working copy; Save and OK hand it to the app to write, Cancel drops it.
//! The dialog never touches the disk or the keyring itself: it returns
//! [`ManagerIntent`]s.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use eframe::egui;
use egui::accesskit::Role;

use super::connect_form::widget::{FormRows, WIDE, buttons_layout, grid, note, section, text_row};
use super::connect_form::{ConnectForm, ErrorGate, FieldErrors};
use super::job::{FolderPicker, Job};
use crate::sites::{Charset, ConnectionMode, KeyringStatus, LogonType, Site, SiteList};

/// Labels of the inputs only the Site Manager has (the others are the
/// connection dialog's [`field`] labels). Each is the input's accessible name.
pub mod label {
    pub const SEARCH: &str = "Search sites";
    pub const NAME: &str = "Site name";
    pub const REMEMBER: &str = "Remember password";
    pub const ACCOUNT: &str = "Account";
    pub const LOCAL_FOLDER: &str = "Default local folder";
    pub const SYNC_BROWSING: &str = "Use synchronized browsing";
    pub const CHARSET: &str = "Character set";
    pub const CHARSET_NAME: &str = "Character set name";
    pub const COMMENT: &str = "Comment";
    pub const RENAME: &str = "New name";
}

/// What is selected in the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// A site, by id.
    Site(String),
    /// A folder, by path (outermost first).
    Folder(Vec<String>),
}

/// What Save must do in the keyring for one site. Its Debug never shows a
/// typed password.
#[derive(Clone, PartialEq, Eq)]
pub enum PasswordChange {
    /// Remember this password (typed in the dialog).
    Set(String),
    /// Copy the password remembered for another site (a duplicate).
    CopyFrom(String),
    /// Forget the password (Remember password unticked, or site deleted).
    Forget,
}

impl std::fmt::Debug for PasswordChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PasswordChange::Set(p) => write!(f, "Set({})", crate::ftp::options::masked(p)),
            PasswordChange::CopyFrom(site) => write!(f, "CopyFrom({site:?})"),
            PasswordChange::Forget => f.write_str("Forget"),
        }
    }
}

/// What the user asked the app to do. Its Debug masks typed passwords.
#[must_use]
#[derive(Clone)]
pub enum ManagerIntent {
    /// Write these sites (atomically) and apply the password changes, then
    /// call [`SiteManager::mark_saved`] and do `then`; on failure set
    /// [`SiteManager::error`].
    Save {
        sites: SiteList,
        passwords: Vec<(String, PasswordChange)>,
        then: Option<FollowUp>,
    },
    /// Connect to this site (nothing needed saving); `password` is one
    /// typed in the dialog, if any.
    Connect {
        site: Box<Site>,
        password: Option<String>,
    },
    /// Run the connection test against this site as edited (not saved);
    /// `password` is one typed in the dialog, if any.
    Test {
        site: Box<Site>,
        password: Option<String>,
    },
    /// Close the dialog (changes, if any, were saved or are dropped).
    Close,
}

fn masked_password(p: &Option<String>) -> Option<&'static str> {
    p.as_deref().map(crate::ftp::options::masked)
}

impl std::fmt::Debug for ManagerIntent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ManagerIntent::Save {
                sites,
                passwords,
                then,
            } => f
                .debug_struct("Save")
                .field("sites", sites)
                .field("passwords", passwords)
                .field("then", then)
                .finish(),
            ManagerIntent::Connect { site, password } => f
                .debug_struct("Connect")
                .field("site", &site.name)
                .field("password", &masked_password(password))
                .finish(),
            ManagerIntent::Test { site, password } => f
                .debug_struct("Test")
                .field("site", &site.name)
                .field("password", &masked_password(password))
                .finish(),
            ManagerIntent::Close => f.write_str("Close"),
        }
    }
}

impl std::fmt::Debug for FollowUp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FollowUp::Close => f.write_str("Close"),
            FollowUp::Connect { site, password } => f
                .debug_struct("Connect")
                .field("site", &site.name)
                .field("password", &masked_password(password))
                .finish(),
        }
    }
}

/// What follows a Save once it is on disk.
#[derive(Clone)]
pub enum FollowUp {
    /// Close the dialog (OK).
    Close,
    /// Close the dialog and connect to the site (Connect with unsaved changes).
    Connect {
        site: Box<Site>,
        password: Option<String>,
    },
}

/// Add `new` to what the user asked for this frame: a Close or Connect
/// after a Save waits for it; otherwise the newest wins, and a Close never
/// replaces anything else.
fn emit(slot: &mut Option<ManagerIntent>, new: ManagerIntent) {
    match (slot.as_mut(), new) {
        (Some(ManagerIntent::Save { then, .. }), ManagerIntent::Close) => {
            then.get_or_insert(FollowUp::Close);
        }
        (Some(ManagerIntent::Save { then, .. }), ManagerIntent::Connect { site, password }) => {
            *then = Some(FollowUp::Connect { site, password });
        }
        (Some(_), ManagerIntent::Close) => {}
        (_, new) => *slot = Some(new),
    }
}

/// A drag in the site tree.
#[derive(Debug, Clone, PartialEq, Eq)]
enum TreeDrag {
    Site(String),
    Folder(Vec<String>),
}

/// One visible row of the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Row {
    Folder(Vec<String>),
    Site(String),
}

/// The dialog's state while open.
#[derive(Default)]
pub struct SiteManager {
    pub open: bool,
    /// What is on disk (as of the last load or save).
    saved: SiteList,
    /// What the user is editing.
    work: SiteList,
    /// The text fields of every site shown so far (typed passwords too;
    /// never persisted).
    forms: BTreeMap<String, ConnectForm>,
    /// Which errors each site's fields show yet (none on a new site until
    /// a field is visited or a save is tried).
    gates: BTreeMap<String, ErrorGate>,
    /// Duplicated sites whose source remembers a password: new id → source id.
    copied_from: BTreeMap<String, String>,
    pub selected: Option<Selection>,
    pub search: String,
    collapsed: BTreeSet<Vec<String>>,
    /// Inline rename in the tree: what, and the text so far.
    renaming: Option<(Selection, String)>,
    confirm_delete: Option<Selection>,
    /// A save failed or a site is invalid: shown above the buttons.
    pub error: Option<String>,
    /// The folder picker's answer: (site id, folder).
    picked: Job<(String, PathBuf)>,
    /// Asks for the local folder (the native dialog; tests put in their own).
    pub folder_picker: FolderPicker,
    /// Put the keyboard focus in the name field next frame.
    focus_name: bool,
    /// A save is being written (set by the app each frame): Save, OK and
    /// Connect wait for it.
    pub saving: bool,
    /// What a new site starts with (the app sets it from the preferences).
    pub new_site_defaults: crate::prefs::ConnectionDefaults,
    /// What "As in Preferences" stands for (the app sets it from them).
    pub prefs_choices: crate::ui::connect_form::PrefsChoices,
    /// The last Connect was "Open in new tab": the app opens one first.
    pub in_new_tab: bool,
}

impl SiteManager {
    /// Open over `sites` (the saved list), selecting `select` or the first site.
    pub fn open_with(&mut self, sites: &SiteList, select: Option<&str>) {
        *self = SiteManager {
            open: true,
            saved: sites.clone(),
            work: sites.clone(),
            collapsed: std::mem::take(&mut self.collapsed),
            folder_picker: self.folder_picker.clone(),
            // What the app told it of the preferences.
            new_site_defaults: self.new_site_defaults,
            prefs_choices: std::mem::take(&mut self.prefs_choices),
            ..SiteManager::default()
        };
        self.selected = select
            .filter(|id| sites.get(id).is_some())
            .map(|id| id.to_string())
            .or_else(|| sites.sites.first().map(|s| s.id.clone()))
            .map(Selection::Site);
    }

    /// Open with a new, unsaved site made from a connection form ("Save as
    /// site"); its password, if typed, is saved with it when remembered.
    pub fn open_new(&mut self, sites: &SiteList, form: &ConnectForm, remember: bool) {
        self.open_with(sites, None);
        let mut site = form.to_new_site();
        site.name = unique_name(&self.work, &[], &site.name);
        site.remember_password =
            remember && site.logon == LogonType::Normal && !form.password.is_empty();
        let mut edit = ConnectForm::from_site(&site);
        edit.password = form.password.clone();
        // As typed: a proxy password in it goes to the keyring on save.
        edit.proxy = form.proxy.clone();
        self.forms.insert(site.id.clone(), edit);
        self.selected = Some(Selection::Site(site.id.clone()));
        self.work.sites.push(site);
        self.focus_name = true;
    }

    /// The working copy (what the tree and fields show).
    pub fn sites(&self) -> &SiteList {
        &self.work
    }

    /// Whether anything differs from what is saved (a typed password, or
    /// text that is not valid yet, counts).
    pub fn is_dirty(&self) -> bool {
        self.work != self.saved
            || self.forms.iter().any(|(id, f)| {
                !f.password.is_empty() || self.work.get(id).is_some_and(|s| !untouched(s, f))
            })
    }

    /// What the dialog believes is in the file (as of opening or its last save).
    pub fn saved_sites(&self) -> &SiteList {
        &self.saved
    }

    /// The app wrote `snapshot` (a `Save`'s list): it is now what is on disk.
    pub fn mark_saved(&mut self, snapshot: SiteList) {
        self.saved = snapshot;
        for form in self.forms.values_mut() {
            form.password.clear();
        }
        self.copied_from.clear();
        self.error = None;
    }

    /// Sites and folders saved by someone else meanwhile (another Ferry, the
    /// command line): shown, and kept by the next save.
    pub fn adopt(&mut self, added: &SiteList) {
        for list in [&mut self.saved, &mut self.work] {
            for site in &added.sites {
                if list.get(&site.id).is_none() {
                    list.sites.push(site.clone());
                }
            }
            for folder in &added.folders {
                if !list.folders.contains(folder) {
                    list.folders.push(folder.clone());
                }
            }
        }
    }

    /// Change one saved site outside the dialog (the app remembered the mode
    /// that worked), in both copies, so a later Save keeps it.
    pub fn update_saved_site(&mut self, id: &str, change: impl Fn(&mut Site)) {
        for list in [&mut self.saved, &mut self.work] {
            if let Some(site) = list.get_mut(id) {
                change(site);
            }
        }
    }

    /// Draw the dialog if open. `keyring` is the password store's status
    /// (`None` while it is still being asked).
    pub fn show(
        &mut self,
        ctx: &egui::Context,
        keyring: Option<&KeyringStatus>,
    ) -> Option<ManagerIntent> {
        if !self.open {
            return None;
        }
        // A cancelled pick ends the job without an answer: Browse… is back.
        if let Some((id, folder)) = self.picked.poll()
            && let Some(site) = self.work.get_mut(&id)
        {
            site.local_folder = Some(folder);
        }
        let mut intent = None;
        let style = ctx.global_style();
        let content = ctx.content_rect();
        // The dialog's middle part (tree and fields); the rest is about 130 points.
        let body = (content.height() - 170.0).clamp(240.0, 540.0);
        let width = (content.width() - 80.0).clamp(560.0, 860.0);
        let escape = self.confirm_delete.is_none()
            && self.renaming.is_none()
            && !egui::Popup::is_any_open(ctx)
            && ctx.input_mut(|i| i.consume_key(egui::Modifiers::NONE, egui::Key::Escape));
        egui::Modal::new(egui::Id::unique("ferry-site-manager"))
            .frame(egui::Frame::popup(&style).inner_margin(egui::Margin::same(16)))
            .show(ctx, |ui| {
                ui.set_width(width);
                ui.horizontal(|ui| {
                    ui.heading("Site Manager");
                    if self.is_dirty() {
                        ui.label(
                            egui::RichText::new("unsaved changes")
                                .small()
                                .color(ui.visuals().weak_text_color()),
                        );
                    }
                });
                ui.add_space(6.0);
                // A fixed-size body: a vertical separator takes all the height it is given.
                ui.allocate_ui_with_layout(
                    egui::vec2(width, body),
                    egui::Layout::left_to_right(egui::Align::Min),
                    |ui| {
                        ui.set_height(body);
                        let tree_width = (width * 0.32).clamp(200.0, 280.0);
                        ui.allocate_ui_with_layout(
                            egui::vec2(tree_width, body),
                            egui::Layout::top_down(egui::Align::Min),
                            |ui| {
                                ui.set_width(tree_width);
                                // Search box above, two rows of buttons below.
                                self.tree_ui(ui, body - 110.0, &mut intent);
                            },
                        );
                        ui.separator();
                        ui.allocate_ui_with_layout(
                            egui::vec2(ui.available_width(), body),
                            egui::Layout::top_down(egui::Align::Min),
                            |ui| {
                                egui::ScrollArea::vertical()
                                    .id_salt("ferry-site-fields")
                                    .max_height(body)
                                    .auto_shrink([false, false])
                                    .show(ui, |ui| self.fields_ui(ui, keyring));
                            },
                        );
                    },
                );
                ui.add_space(6.0);
                if let Some(e) = &self.error {
                    ui.colored_label(ui.visuals().error_fg_color, e);
                }
                ui.separator();
                self.bottom_buttons(ui, &mut intent);
            });
        if escape {
            emit(&mut intent, ManagerIntent::Close);
        }
        self.confirm_delete_ui(ctx);
        intent
    }

    fn bottom_buttons(&mut self, ui: &mut egui::Ui, intent: &mut Option<ManagerIntent>) {
        let size = egui::vec2(80.0, 0.0);
        let site = self.selected_site().cloned();
        ui.horizontal(|ui| {
            let ready = !self.saving;
            let connect = ui
                .add_enabled(
                    site.is_some() && ready,
                    egui::Button::new("Connect").min_size(size),
                )
                .on_hover_text("Save the changes and connect to the selected site");
            if connect.clicked()
                && let Some(site) = &site
            {
                self.in_new_tab = false;
                self.connect(site.id.clone(), intent);
            }
            let in_tab = ui
                .add_enabled(
                    site.is_some() && ready,
                    egui::Button::new("Open in new tab"),
                )
                .on_hover_text("Save the changes and connect to the selected site in a new tab");
            if in_tab.clicked()
                && let Some(site) = &site
            {
                self.in_new_tab = true;
                self.connect(site.id.clone(), intent);
            }
            let test = ui
                .add_enabled(site.is_some(), egui::Button::new("Test connection"))
                .on_hover_text(
                    "Try each step with the settings as they are now (login, passive and \
                     active data connections) and say which mode works",
                );
            if test.clicked()
                && let Some(site) = &site
            {
                self.test(&site.id, intent);
            }
            buttons_layout(ui, |ui| {
                if ui
                    .add(egui::Button::new("Cancel").min_size(size))
                    .on_hover_text("Close without saving the changes")
                    .clicked()
                {
                    emit(intent, ManagerIntent::Close);
                }
                if ui
                    .add_enabled(
                        self.is_dirty() && ready,
                        egui::Button::new("Save").min_size(size),
                    )
                    .on_hover_text("Save the changes and keep the dialog open")
                    .clicked()
                    && let Some(save) = self.save_intent()
                {
                    emit(intent, save);
                }
                if ui
                    .add_enabled(ready, egui::Button::new("OK").min_size(size))
                    .on_hover_text("Save the changes and close")
                    .clicked()
                {
                    match self.save_intent() {
                        Some(save) => {
                            emit(intent, save);
                            emit(intent, ManagerIntent::Close);
                        }
                        None if self.error.is_none() => emit(intent, ManagerIntent::Close),
                        None => {}
                    }
                }
                if self.saving {
                    ui.spinner();
                    ui.label("Saving…");
                }
            });
        });
    }

    /// Save if needed, then connect to `id`.
    fn connect(&mut self, id: String, intent: &mut Option<ManagerIntent>) {
        if self.saving {
            return;
        }
        let password = self
            .forms
            .get(&id)
            .map(|f| f.password.clone())
            .filter(|p| !p.is_empty());
        if self.is_dirty() {
            match self.save_intent() {
                Some(save) => emit(intent, save),
                None if self.error.is_some() => return,
                None => {}
            }
        }
        let Some(site) = self.work.get(&id).cloned() else {
            return;
        };
        emit(
            intent,
            ManagerIntent::Connect {
                site: Box::new(site),
                password,
            },
        );
    }

    /// The connection test for site `id` with the fields as typed.
    fn test(&mut self, id: &str, intent: &mut Option<ManagerIntent>) {
        let Some(mut site) = self.work.get(id).cloned() else {
            return;
        };
        let mut password = None;
        if let Some(form) = self.forms.get(id) {
            if !form_errors(form).is_empty() {
                self.error = Some(format!(
                    "{} has a field that is not valid yet; fix it to test",
                    site.name
                ));
                return;
            }
            form.apply_to(&mut site);
            password = Some(form.password.clone()).filter(|p| !p.is_empty());
        }
        emit(
            intent,
            ManagerIntent::Test {
                site: Box::new(site),
                password,
            },
        );
    }

    /// Put `mode` into site `id`'s form (the connection test's advice); it
    /// is saved with Save or OK like any edit.
    pub fn set_mode(&mut self, id: &str, mode: ConnectionMode) {
        if let Some(form) = self.forms.get_mut(id) {
            form.mode = mode;
        } else if let Some(site) = self.work.get(id) {
            let mut form = ConnectForm::from_site(site);
            form.mode = mode;
            self.forms.insert(id.to_string(), form);
        }
    }

    /// The `Save` for the working copy, or `None` (with [`Self::error`] set)
    /// when a site has an invalid field; that site is selected.
    fn save_intent(&mut self) -> Option<ManagerIntent> {
        self.error = None;
        if !self.is_dirty() {
            return None;
        }
        for site in &self.work.sites {
            if site.name.trim().is_empty() {
                self.selected = Some(Selection::Site(site.id.clone()));
                self.error = Some("A site needs a name".into());
                return None;
            }
        }
        for (id, form) in &self.forms {
            let Some(site) = self.work.get(id) else {
                continue;
            };
            // Only what was changed must be valid: a site imported without
            // a user name does not block saving another one.
            if self.saved.get(id) == Some(site) && untouched(site, form) {
                continue;
            }
            if let Some((l, m)) = form_errors(form).first() {
                self.error = Some(format!("Not saved: {:?}, {l}: {m}", site.name));
                self.selected = Some(Selection::Site(id.clone()));
                self.gates.entry(id.clone()).or_default().attempted = true;
                return None;
            }
        }
        let mut passwords = Vec::new();
        for site in &self.work.sites {
            let typed = self
                .forms
                .get(&site.id)
                .map(|f| f.password.clone())
                .filter(|p| !p.is_empty());
            let was = self
                .saved
                .get(&site.id)
                .is_some_and(|s| s.remember_password);
            if site.remember_password {
                if let Some(p) = typed {
                    passwords.push((site.id.clone(), PasswordChange::Set(p)));
                } else if let Some(from) = self.copied_from.get(&site.id) {
                    passwords.push((site.id.clone(), PasswordChange::CopyFrom(from.clone())));
                }
            } else if was {
                passwords.push((site.id.clone(), PasswordChange::Forget));
            }
        }
        // A proxy password typed into a Proxy field's URL goes to the
        // keyring under the proxy's own key; the site keeps the URL without it.
        for form in self.forms.values() {
            if let Some((key, password)) = super::connect_form::proxy_field_password(&form.proxy) {
                passwords.push((key, PasswordChange::Set(password)));
            }
        }
        for old in &self.saved.sites {
            if old.remember_password && self.work.get(&old.id).is_none() {
                passwords.push((old.id.clone(), PasswordChange::Forget));
            }
        }
        Some(ManagerIntent::Save {
            sites: self.work.clone(),
            passwords,
            then: None,
        })
    }

    fn selected_site(&self) -> Option<&Site> {
        match &self.selected {
            Some(Selection::Site(id)) => self.work.get(id),
            _ => None,
        }
    }

    /// The folder new items go into: the selected folder, or the selected site's.
    fn current_folder(&self) -> Vec<String> {
        match &self.selected {
            Some(Selection::Folder(f)) => Some(f.clone()),
            Some(Selection::Site(id)) => self.work.get(id).map(|s| s.folder.clone()),
            None => None,
        }
        .unwrap_or_default()
    }

    // ------------------------------------------------------------ tree

    fn tree_ui(&mut self, ui: &mut egui::Ui, height: f32, intent: &mut Option<ManagerIntent>) {
        let search_label = ui.label(label::SEARCH);
        ui.add(
            egui::TextEdit::singleline(&mut self.search)
                .hint_text("Name, host or user")
                .desired_width(f32::INFINITY),
        )
        .labelled_by(search_label.id);
        ui.add_space(4.0);
        let rows = self.rows();
        let mut dropped: Option<(TreeDrag, Option<Row>)> = None;
        let mut clicked = None;
        let mut double = None;
        let mut drag_started = None;
        let mut toggle = None;
        let mut rename_done = None;
        let mut row_ids = Vec::new();
        let frame = egui::Frame::new()
            .fill(ui.visuals().extreme_bg_color)
            .stroke(ui.visuals().widgets.noninteractive.bg_stroke)
            .corner_radius(4.0)
            .inner_margin(egui::Margin::same(4));
        frame.show(ui, |ui| {
            egui::ScrollArea::vertical()
                .id_salt("ferry-site-tree")
                .max_height(height)
                .min_scrolled_height(height)
                .auto_shrink([false, false])
                .show(ui, |ui| {
                    ui.spacing_mut().item_spacing.y = 0.0;
                    if rows.is_empty() {
                        ui.label(
                            egui::RichText::new(if self.search.is_empty() {
                                "No saved sites yet. New site adds one."
                            } else {
                                "No site matches the search."
                            })
                            .color(ui.visuals().weak_text_color()),
                        );
                    }
                    for (depth, row) in &rows {
                        let sel = match row {
                            Row::Folder(p) => Selection::Folder(p.clone()),
                            Row::Site(id) => Selection::Site(id.clone()),
                        };
                        if let Some((what, text)) = self.renaming.as_mut()
                            && *what == sel
                        {
                            if let Some(done) = rename_row(ui, *depth, text) {
                                rename_done = Some(done);
                            }
                            continue;
                        }
                        let selected = self.selected.as_ref() == Some(&sel);
                        let (text, folder_open) = match row {
                            Row::Folder(p) => (
                                p.last().cloned().unwrap_or_default(),
                                Some(!self.collapsed.contains(p) || !self.search.is_empty()),
                            ),
                            Row::Site(id) => (
                                self.work
                                    .get(id)
                                    .map(|s| s.name.clone())
                                    .unwrap_or_default(),
                                None,
                            ),
                        };
                        let (response, arrow) = tree_row(ui, *depth, &text, selected, folder_open);
                        row_ids.push(response.id);
                        if arrow {
                            if let Row::Folder(p) = row {
                                toggle = Some(p.clone());
                            }
                        } else if response.double_clicked() {
                            match row {
                                Row::Site(id) => double = Some(id.clone()),
                                Row::Folder(p) => toggle = Some(p.clone()),
                            }
                        } else if response.clicked() {
                            clicked = Some(sel.clone());
                        }
                        if response.drag_started() {
                            drag_started = Some(match row {
                                Row::Folder(p) => TreeDrag::Folder(p.clone()),
                                Row::Site(id) => TreeDrag::Site(id.clone()),
                            });
                        }
                        if response.dnd_hover_payload::<TreeDrag>().is_some() {
                            let stroke =
                                egui::Stroke::new(2.0, ui.visuals().selection.stroke.color);
                            match row {
                                Row::Folder(_) => {
                                    ui.painter().rect_stroke(
                                        response.rect,
                                        2.0,
                                        stroke,
                                        egui::StrokeKind::Inside,
                                    );
                                }
                                Row::Site(_) => {
                                    let r = response.rect;
                                    ui.painter().hline(r.x_range(), r.top(), stroke);
                                }
                            }
                            if let Some(p) = response.dnd_release_payload::<TreeDrag>() {
                                dropped = Some(((*p).clone(), Some(row.clone())));
                            }
                        }
                    }
                    // Below the rows, to the bottom of the list: the top level.
                    let left = (height - ui.min_rect().height()).max(24.0);
                    {
                        let (rest, response) = ui.allocate_exact_size(
                            egui::vec2(ui.available_width(), left),
                            egui::Sense::hover(),
                        );
                        if response.dnd_hover_payload::<TreeDrag>().is_some() {
                            let stroke =
                                egui::Stroke::new(2.0, ui.visuals().selection.stroke.color);
                            ui.painter().hline(rest.x_range(), rest.top(), stroke);
                        }
                        if let Some(p) = response.dnd_release_payload::<TreeDrag>() {
                            dropped = Some(((*p).clone(), None));
                        }
                    }
                });
        });
        if let Some(d) = drag_started {
            egui::DragAndDrop::set_payload(ui.ctx(), d);
        }
        if let Some(d) = egui::DragAndDrop::payload::<TreeDrag>(ui.ctx()) {
            let name = match &*d {
                TreeDrag::Site(id) => self.work.get(id).map(|s| s.name.clone()),
                TreeDrag::Folder(p) => p.last().cloned(),
            };
            egui::Tooltip::always_open(
                ui.ctx().clone(),
                egui::LayerId::background(),
                egui::Id::unique("ferry-site-drag"),
                egui::PopupAnchor::Pointer,
            )
            .show(|ui| ui.label(format!("Move {}", name.unwrap_or_default())));
        }
        if let Some(sel) = clicked {
            self.selected = Some(sel);
        }
        self.tree_keys(ui.ctx(), &rows, &row_ids, intent);
        if let Some(p) = toggle
            && !self.collapsed.remove(&p)
        {
            self.collapsed.insert(p);
        }
        if let Some(id) = double {
            self.selected = Some(Selection::Site(id.clone()));
            self.connect(id, intent);
        }
        if let Some((drag, target)) = dropped {
            self.drop_on(drag, target);
        }
        match rename_done {
            Some(true) => self.finish_rename(),
            Some(false) => self.renaming = None,
            None => {}
        }

        ui.add_space(6.0);
        let has_sel = self.selected.is_some();
        let site_sel = self.selected_site().is_some();
        ui.horizontal_wrapped(|ui| {
            if ui
                .button("New site")
                .on_hover_text("Add a site in the selected folder")
                .clicked()
            {
                self.new_site();
            }
            if ui
                .button("New folder")
                .on_hover_text("Add a folder in the selected folder")
                .clicked()
            {
                self.new_folder();
            }
            if ui
                .add_enabled(site_sel, egui::Button::new("Duplicate"))
                .on_hover_text("Copy the selected site")
                .clicked()
            {
                self.duplicate();
            }
            if ui
                .add_enabled(has_sel, egui::Button::new("Rename"))
                .on_hover_text("Rename the selected site or folder")
                .clicked()
            {
                self.start_rename();
            }
            if ui
                .add_enabled(has_sel, egui::Button::new("Delete…"))
                .on_hover_text("Delete the selected site or folder (asks first)")
                .clicked()
            {
                self.confirm_delete = self.selected.clone();
            }
        });
    }

    /// With no text field focused: Up/Down move through the tree, Enter
    /// connects to the site (or opens/closes the folder), F2 renames,
    /// Delete asks to delete.
    fn tree_keys(
        &mut self,
        ctx: &egui::Context,
        rows: &[(usize, Row)],
        row_ids: &[egui::Id],
        intent: &mut Option<ManagerIntent>,
    ) {
        // A focused button or field keeps its keys (Enter on OK is OK).
        let elsewhere = ctx
            .memory(|m| m.focused())
            .is_some_and(|f| !row_ids.contains(&f));
        if elsewhere
            || ctx.text_edit_focused()
            || egui::Popup::is_any_open(ctx)
            || self.renaming.is_some()
            || self.confirm_delete.is_some()
        {
            return;
        }
        let (up, down, enter, f2, delete) = ctx.input_mut(|i| {
            let none = egui::Modifiers::NONE;
            (
                i.consume_key(none, egui::Key::ArrowUp),
                i.consume_key(none, egui::Key::ArrowDown),
                i.consume_key(none, egui::Key::Enter),
                i.consume_key(none, egui::Key::F2),
                i.consume_key(none, egui::Key::Delete),
            )
        });
        let as_selection = |row: &Row| match row {
            Row::Folder(p) => Selection::Folder(p.clone()),
            Row::Site(id) => Selection::Site(id.clone()),
        };
        let at = rows
            .iter()
            .position(|(_, r)| Some(as_selection(r)) == self.selected);
        if up || down {
            let next = match (at, up) {
                (None, _) => 0,
                (Some(i), true) => i.saturating_sub(1),
                (Some(i), false) => (i + 1).min(rows.len().saturating_sub(1)),
            };
            if let Some((_, row)) = rows.get(next) {
                self.selected = Some(as_selection(row));
            }
        }
        if enter {
            match self.selected.clone() {
                Some(Selection::Site(id)) => self.connect(id, intent),
                Some(Selection::Folder(p)) if !self.collapsed.remove(&p) => {
                    self.collapsed.insert(p);
                }
                _ => {}
            }
        }
        if f2 {
            self.start_rename();
        }
        if delete && self.selected.is_some() {
            self.confirm_delete = self.selected.clone();
        }
    }

    /// Every folder of the tree, with its ancestors.
    fn all_folders(&self) -> BTreeSet<Vec<String>> {
        let mut set = BTreeSet::new();
        for f in self
            .work
            .folders
            .iter()
            .chain(self.work.sites.iter().map(|s| &s.folder))
        {
            for n in 1..=f.len() {
                set.insert(f[..n].to_vec());
            }
        }
        set
    }

    fn matches(&self, site: &Site) -> bool {
        let q = self.search.trim().to_lowercase();
        q.is_empty()
            || [&site.name, &site.host, &site.user, &site.comment]
                .iter()
                .any(|t| t.to_lowercase().contains(&q))
    }

    /// The visible rows, in order, with their depth: each folder's folders
    /// (by name), then its sites (in saved order).
    fn rows(&self) -> Vec<(usize, Row)> {
        let folders = self.all_folders();
        let q = self.search.trim().to_lowercase();
        let searching = !q.is_empty();
        let visible_folder = |f: &Vec<String>| {
            !searching
                || f.iter().any(|part| part.to_lowercase().contains(&q))
                || self
                    .work
                    .sites
                    .iter()
                    .any(|s| s.folder.starts_with(f) && self.matches(s))
        };
        let mut out = Vec::new();
        fn walk(
            me: &SiteManager,
            folders: &BTreeSet<Vec<String>>,
            path: &[String],
            visible_folder: &dyn Fn(&Vec<String>) -> bool,
            out: &mut Vec<(usize, Row)>,
        ) {
            let searching = !me.search.trim().is_empty();
            for f in folders
                .iter()
                .filter(|f| f.len() == path.len() + 1 && f.starts_with(path) && visible_folder(f))
            {
                out.push((path.len(), Row::Folder(f.clone())));
                if searching || !me.collapsed.contains(f) {
                    walk(me, folders, f, visible_folder, out);
                }
            }
            for s in me
                .work
                .sites
                .iter()
                .filter(|s| s.folder == path && me.matches(s))
            {
                out.push((path.len(), Row::Site(s.id.clone())));
            }
        }
        walk(self, &folders, &[], &visible_folder, &mut out);
        out
    }

    fn drop_on(&mut self, drag: TreeDrag, target: Option<Row>) {
        match drag {
            TreeDrag::Site(id) => {
                let Some(index) = self.work.sites.iter().position(|s| s.id == id) else {
                    return;
                };
                let mut site = self.work.sites.remove(index);
                match target {
                    Some(Row::Site(before)) if before != id => {
                        let at = self
                            .work
                            .sites
                            .iter()
                            .position(|s| s.id == before)
                            .unwrap_or(self.work.sites.len());
                        site.folder = self
                            .work
                            .sites
                            .get(at)
                            .map(|s| s.folder.clone())
                            .unwrap_or_default();
                        self.work.sites.insert(at, site);
                    }
                    Some(Row::Site(_)) => self.work.sites.insert(index, site),
                    Some(Row::Folder(f)) => {
                        site.folder = f.clone();
                        self.collapsed.remove(&f);
                        self.work.sites.push(site);
                    }
                    None => {
                        site.folder = Vec::new();
                        self.work.sites.push(site);
                    }
                }
            }
            TreeDrag::Folder(from) => {
                let parent = match &target {
                    Some(Row::Folder(f)) => f.clone(),
                    Some(Row::Site(id)) => self
                        .work
                        .get(id)
                        .map(|s| s.folder.clone())
                        .unwrap_or_default(),
                    None => Vec::new(),
                };
                // Not into itself or one of its own folders.
                if parent.starts_with(&from) {
                    return;
                }
                let Some(name) = from.last() else {
                    return;
                };
                let mut to = parent;
                to.push(name.clone());
                if to != from {
                    self.move_folder(&from, &to);
                    self.selected = Some(Selection::Folder(to));
                }
            }
        }
    }

    /// Move (rename) folder `from` and everything in it to `to`.
    fn move_folder(&mut self, from: &[String], to: &[String]) {
        let re = |p: &Vec<String>| -> Option<Vec<String>> {
            p.starts_with(from).then(|| {
                let mut n = to.to_vec();
                n.extend_from_slice(&p[from.len()..]);
                n
            })
        };
        for s in &mut self.work.sites {
            if let Some(n) = re(&s.folder) {
                s.folder = n;
            }
        }
        let mut folders = Vec::new();
        for f in &self.work.folders {
            let f = re(f).unwrap_or_else(|| f.clone());
            if !folders.contains(&f) {
                folders.push(f);
            }
        }
        self.work.folders = folders;
        self.collapsed = self
            .collapsed
            .iter()
            .map(|c| re(c).unwrap_or_else(|| c.clone()))
            .collect();
    }

    fn new_site(&mut self) {
        let folder = self.current_folder();
        let mut site = Site::new(unique_name(&self.work, &folder, "New site"), "");
        self.new_site_defaults.apply_to_site(&mut site);
        site.folder = folder.clone();
        self.collapsed.remove(&folder);
        self.selected = Some(Selection::Site(site.id.clone()));
        self.forms
            .insert(site.id.clone(), ConnectForm::from_site(&site));
        self.work.sites.push(site);
        self.search.clear();
        self.focus_name = true;
    }

    fn new_folder(&mut self) {
        let parent = self.current_folder();
        let existing = self.all_folders();
        let mut name = "New folder".to_string();
        let mut n = 2;
        while existing.contains(&[parent.clone(), vec![name.clone()]].concat()) {
            name = format!("New folder {n}");
            n += 1;
        }
        let mut path = parent.clone();
        path.push(name.clone());
        self.collapsed.remove(&parent);
        self.work.folders.push(path.clone());
        self.selected = Some(Selection::Folder(path.clone()));
        self.search.clear();
        self.renaming = Some((Selection::Folder(path), name));
    }

    fn duplicate(&mut self) {
        let Some(source) = self.selected_site().cloned() else {
            return;
        };
        let mut copy = source.clone();
        copy.id = crate::sites::new_site_id();
        copy.name = unique_name(
            &self.work,
            &source.folder,
            &format!("{} (copy)", source.name),
        );
        copy.last_working_mode = None;
        let form = self
            .forms
            .get(&source.id)
            .cloned()
            .unwrap_or_else(|| ConnectForm::from_site(&source));
        if form.password.is_empty() && source.remember_password {
            self.copied_from.insert(copy.id.clone(), source.id.clone());
        }
        self.forms.insert(copy.id.clone(), form);
        let at = self
            .work
            .sites
            .iter()
            .position(|s| s.id == source.id)
            .map_or(self.work.sites.len(), |i| i + 1);
        self.selected = Some(Selection::Site(copy.id.clone()));
        self.work.sites.insert(at, copy);
        self.focus_name = true;
    }

    fn start_rename(&mut self) {
        let Some(sel) = self.selected.clone() else {
            return;
        };
        let text = match &sel {
            Selection::Site(id) => self.work.get(id).map(|s| s.name.clone()),
            Selection::Folder(p) => p.last().cloned(),
        };
        if let Some(text) = text {
            self.renaming = Some((sel, text));
        }
    }

    fn finish_rename(&mut self) {
        let Some((sel, text)) = self.renaming.take() else {
            return;
        };
        let name = text.trim().to_string();
        if name.is_empty() {
            return;
        }
        match sel {
            Selection::Site(id) => {
                if let Some(site) = self.work.get_mut(&id) {
                    site.name = name;
                }
            }
            Selection::Folder(from) => {
                if name.contains('/') {
                    self.error = Some("A folder name cannot contain /".into());
                    return;
                }
                let mut to = from.clone();
                if let Some(last) = to.last_mut() {
                    *last = name;
                }
                if to != from {
                    self.move_folder(&from, &to);
                    self.selected = Some(Selection::Folder(to));
                }
            }
        }
    }

    fn confirm_delete_ui(&mut self, ctx: &egui::Context) {
        let Some(sel) = self.confirm_delete.clone() else {
            return;
        };
        let (question, detail) = match &sel {
            Selection::Site(id) => (
                format!(
                    "Delete the site {:?}?",
                    self.work.get(id).map(|s| s.name.as_str()).unwrap_or("")
                ),
                "Its remembered password is forgotten too.".to_string(),
            ),
            Selection::Folder(p) => {
                let n = self
                    .work
                    .sites
                    .iter()
                    .filter(|s| s.folder.starts_with(p))
                    .count();
                (
                    format!("Delete the folder {:?}?", p.join("/")),
                    match n {
                        0 => "It is empty.".to_string(),
                        1 => "The site in it is deleted too.".to_string(),
                        n => format!("The {n} sites in it are deleted too."),
                    },
                )
            }
        };
        let mut close = false;
        let mut delete = false;
        let style = ctx.global_style();
        egui::Modal::new(egui::Id::unique("ferry-site-delete"))
            .frame(egui::Frame::popup(&style).inner_margin(egui::Margin::same(16)))
            .show(ctx, |ui| {
                ui.set_max_width(380.0);
                ui.heading("Delete?");
                ui.label(question);
                ui.label(detail);
                ui.label(
                    egui::RichText::new("Nothing is removed from disk until you press Save or OK.")
                        .small()
                        .color(ui.visuals().weak_text_color()),
                );
                ui.add_space(6.0);
                buttons_layout(ui, |ui| {
                    if ui.button("Cancel").clicked()
                        || ui.input(|i| i.key_pressed(egui::Key::Escape))
                    {
                        close = true;
                    }
                    if ui.button("Delete").clicked() {
                        delete = true;
                    }
                });
            });
        if delete {
            match &sel {
                Selection::Site(id) => {
                    self.work.sites.retain(|s| s.id != *id);
                    self.forms.remove(id);
                }
                Selection::Folder(p) => {
                    self.work.sites.retain(|s| !s.folder.starts_with(p));
                    self.work.folders.retain(|f| !f.starts_with(p));
                }
            }
            self.selected = None;
            close = true;
        }
        if close {
            self.confirm_delete = None;
        }
    }

    // ------------------------------------------------------------ fields

    fn fields_ui(&mut self, ui: &mut egui::Ui, keyring: Option<&KeyringStatus>) {
        let Some(Selection::Site(id)) = self.selected.clone() else {
            ui.add_space(40.0);
            ui.vertical_centered(|ui| {
                ui.label(
                    egui::RichText::new(match &self.selected {
                        Some(Selection::Folder(_)) => {
                            "A folder: drag sites onto it, or add one with New site."
                        }
                        _ => "Select a site, or add one with New site.",
                    })
                    .color(ui.visuals().weak_text_color()),
                );
            });
            return;
        };
        let Some(site) = self.work.get(&id).cloned() else {
            return;
        };
        let mut form = self
            .forms
            .get(&id)
            .cloned()
            .unwrap_or_else(|| ConnectForm::from_site(&site));
        let mut site = site;
        let errors = form_errors(&form);
        let focus_name = std::mem::take(&mut self.focus_name);
        let picking = self.picked.is_running();
        let mut browse = false;
        let gate = self.gates.entry(id.clone()).or_default();
        site_fields(
            ui,
            &mut site,
            &mut form,
            FormRows::new("ferry-site", &errors, gate, &self.prefs_choices),
            keyring,
            focus_name,
            picking,
            &mut browse,
        );
        form.apply_to(&mut site);
        if browse {
            self.browse_local(ui.ctx(), &site);
        }
        if let Some(s) = self.work.get_mut(&id)
            && *s != site
        {
            *s = site;
        }
        self.forms.insert(id, form);
    }

    /// The folder picker, on a thread of its own (the native one blocks).
    fn browse_local(&mut self, ctx: &egui::Context, site: &Site) {
        let id = site.id.clone();
        let start = site.local_folder.clone();
        let picker = self.folder_picker.clone();
        let job = Job::spawn("ferry-site-folder-picker", ctx, move || {
            picker
                .pick(label::LOCAL_FOLDER, start)
                .map(|folder| (id, folder))
        });
        match job {
            Ok(job) => self.picked = job,
            Err(e) => self.error = Some(format!("Could not open the folder picker: {e}")),
        }
    }
}

/// A tree row: indent, folder arrow, name. Returns the row's response and
/// whether the arrow was clicked.
fn tree_row(
    ui: &mut egui::Ui,
    depth: usize,
    text: &str,
    selected: bool,
    folder_open: Option<bool>,
) -> (egui::Response, bool) {
    let height = ui.spacing().interact_size.y + 2.0;
    let (rect, response) = ui.allocate_exact_size(
        egui::vec2(ui.available_width(), height),
        egui::Sense::click_and_drag(),
    );
    let role = if folder_open.is_some() {
        Role::TreeItem
    } else {
        Role::Button
    };
    response.widget_info(|| egui::WidgetInfo::selected(role, true, selected, text));
    let indent = 6.0 + depth as f32 * 16.0;
    let arrow_rect =
        egui::Rect::from_min_size(rect.min + egui::vec2(indent, 0.0), egui::vec2(14.0, height));
    let mut arrow_clicked = false;
    if folder_open.is_some()
        && response.clicked()
        && response
            .interact_pointer_pos()
            .is_some_and(|p| arrow_rect.contains(p))
    {
        arrow_clicked = true;
    }
    if ui.is_rect_visible(rect) {
        let visuals = ui.visuals();
        if selected {
            ui.painter()
                .rect_filled(rect, 2.0, visuals.selection.bg_fill);
        } else if response.hovered() {
            ui.painter()
                .rect_filled(rect, 2.0, visuals.widgets.hovered.weak_bg_fill);
        }
        let color = if selected {
            visuals.selection.stroke.color
        } else {
            visuals.text_color()
        };
        let c = arrow_rect.center();
        match folder_open {
            Some(open) => {
                let s = 4.0;
                let points = if open {
                    vec![
                        c + egui::vec2(-s, -s * 0.5),
                        c + egui::vec2(s, -s * 0.5),
                        c + egui::vec2(0.0, s * 0.7),
                    ]
                } else {
                    vec![
                        c + egui::vec2(-s * 0.5, -s),
                        c + egui::vec2(s * 0.7, 0.0),
                        c + egui::vec2(-s * 0.5, s),
                    ]
                };
                ui.painter().add(egui::Shape::convex_polygon(
                    points,
                    color,
                    egui::Stroke::NONE,
                ));
            }
            None => {
                ui.painter()
                    .circle_filled(c, 2.5, visuals.weak_text_color());
            }
        }
        let font = egui::TextStyle::Body.resolve(ui.style());
        let text_pos = egui::pos2(arrow_rect.right() + 4.0, rect.center().y);
        let galley = crate::ui::format::name_galley(
            ui.painter(),
            text,
            font,
            color,
            (rect.right() - text_pos.x).max(10.0),
        );
        let pos = egui::pos2(text_pos.x, rect.center().y - galley.size().y / 2.0);
        ui.painter().galley(pos, galley, color);
    }
    (response, arrow_clicked)
}

/// The inline rename field; `Some(true)` commits, `Some(false)` cancels.
/// It opens focused with the whole name selected, to type over it.
fn rename_row(ui: &mut egui::Ui, depth: usize, text: &mut String) -> Option<bool> {
    let mut result = None;
    ui.horizontal(|ui| {
        ui.add_space(6.0 + depth as f32 * 16.0 + 14.0);
        let output = egui::TextEdit::singleline(text)
            .background_color(ui.visuals().widgets.inactive.bg_fill)
            .desired_width(f32::INFINITY)
            .show(ui);
        let edit = (*output.response).clone().accessible_name(label::RENAME);
        if !edit.has_focus() && !edit.lost_focus() {
            edit.request_focus();
            let mut state = output.state;
            state
                .cursor
                .set_char_range(Some(egui::text::CCursorRange::select_all_str(text)));
            state.store(ui.ctx(), edit.id);
        }
        if edit.lost_focus() {
            result = Some(!ui.input(|i| i.key_pressed(egui::Key::Escape)));
        }
    });
    result
}

/// The selected site's inputs, grouped: the connection form's shared rows
/// (see `connect_form`), plus what only a saved site has: its name, whether
/// the password is remembered, the local folder, the character set, the
/// account and a comment. `browse` is set when Browse… was clicked.
#[allow(clippy::too_many_arguments)]
fn site_fields(
    ui: &mut egui::Ui,
    site: &mut Site,
    form: &mut ConnectForm,
    mut rows: FormRows<'_>,
    keyring: Option<&KeyringStatus>,
    focus_name: bool,
    picking: bool,
    browse: &mut bool,
) {
    let weak = ui.visuals().weak_text_color();
    let available = keyring.is_none_or(KeyringStatus::is_available);
    rows.password_hint = if site.remember_password && available {
        "Remembered (type to change)"
    } else {
        "Asked for when you connect"
    };
    section(ui, "General");
    grid(ui, "ferry-site-general", |ui| {
        let r = text_row(ui, label::NAME, None, |ui| {
            ui.add(egui::TextEdit::singleline(&mut site.name).desired_width(WIDE))
        });
        if focus_name {
            r.request_focus();
        }
        rows.login(ui, form);
        match form.logon {
            LogonType::Normal => {
                ui.label("");
                ui.vertical(|ui| {
                    ui.spacing_mut().item_spacing.y = 2.0;
                    ui.add_enabled(
                        available,
                        egui::Checkbox::new(&mut site.remember_password, label::REMEMBER),
                    )
                    .on_hover_text(match keyring {
                        Some(KeyringStatus::PasswordFile { .. }) => {
                            "Keep the password in Ferry's encrypted password file, opened \
                             with your master password once per run (there is no OS keyring)"
                        }
                        _ => "Keep the password in the OS keyring (never in Ferry's files)",
                    });
                    if let Some(KeyringStatus::Unavailable { reason }) = keyring {
                        note(ui, KEYRING_UNAVAILABLE, weak).on_hover_text(reason);
                    } else if !site.remember_password {
                        note(ui, "Ferry asks for the password when connecting.", weak);
                    }
                });
                ui.end_row();
            }
            LogonType::Ask => {
                ui.label("");
                note(
                    ui,
                    "The password is asked for on every connect and never kept.",
                    weak,
                );
                ui.end_row();
            }
            LogonType::Anonymous => {}
        }
    });

    section(ui, "Transfer");
    grid(ui, "ferry-site-transfer", |ui| {
        rows.modes(ui, form);
        rows.transfer(ui, form);
        rows.network(ui, form);
    });

    section(ui, "Folders");
    grid(ui, "ferry-site-folders", |ui| {
        let l = ui.label(label::LOCAL_FOLDER);
        ui.horizontal(|ui| {
            let mut text = site
                .local_folder
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            let r = ui
                .add(
                    egui::TextEdit::singleline(&mut text)
                        .hint_text("Unchanged")
                        .desired_width(WIDE - 84.0),
                )
                .labelled_by(l.id);
            if r.changed() {
                site.local_folder = (!text.trim().is_empty()).then(|| PathBuf::from(text.trim()));
            }
            if ui
                .add_enabled(!picking, egui::Button::new("Browse…"))
                .on_hover_text("Choose the folder")
                .clicked()
            {
                *browse = true;
            }
        });
        ui.end_row();
        rows.remote_folder(ui, form);
        ui.label("");
        ui.checkbox(&mut site.sync_browsing, label::SYNC_BROWSING)
            .on_hover_text(
                "Opening a folder in one pane opens the same folder in the other. It comes on \
                 once both panes show this site's folders after connecting; switching it in \
                 the window (View menu, toolbar) changes it here too.",
            );
        ui.end_row();
    });

    section(ui, "Advanced");
    grid(ui, "ferry-site-advanced", |ui| {
        let l = ui.label(label::CHARSET);
        ui.horizontal(|ui| {
            let shown = match &site.charset {
                Charset::Auto => "Auto (UTF-8 if the server says so)",
                Charset::Utf8 => "UTF-8",
                Charset::Other(_) => "Other",
            };
            egui::ComboBox::from_id_salt("ferry-site-charset")
                .selected_text(shown)
                .width(200.0)
                .show_ui(ui, |ui| {
                    ui.selectable_value(
                        &mut site.charset,
                        Charset::Auto,
                        "Auto (UTF-8 if the server says so)",
                    );
                    ui.selectable_value(&mut site.charset, Charset::Utf8, "UTF-8");
                    let other = matches!(site.charset, Charset::Other(_));
                    if ui.selectable_label(other, "Other").clicked() && !other {
                        site.charset = Charset::Other("ISO-8859-1".into());
                    }
                })
                .response
                .labelled_by(l.id);
            if let Charset::Other(name) = &mut site.charset {
                ui.add(egui::TextEdit::singleline(name).desired_width(90.0))
                    .accessible_name(label::CHARSET_NAME);
                if crate::ftp::NameCharset::from_label(name).is_none() {
                    note(
                        ui,
                        "Unknown encoding (try ISO-8859-1, windows-1252, Shift_JIS); names are read as UTF-8 until it is fixed",
                        ui.visuals().error_fg_color,
                    );
                }
            }
        });
        ui.end_row();

        if form.logon != LogonType::Anonymous {
            let mut account = site.account.clone().unwrap_or_default();
            let r = text_row(ui, label::ACCOUNT, None, |ui| {
                ui.add(
                    egui::TextEdit::singleline(&mut account)
                        .hint_text("Only if the server asks (ACCT)")
                        .desired_width(WIDE),
                )
            });
            if r.changed() {
                site.account = (!account.trim().is_empty()).then(|| account.trim().to_string());
            }
        }

        rows.show_hidden(ui, form);

        text_row(ui, label::COMMENT, None, |ui| {
            ui.add(
                egui::TextEdit::multiline(&mut site.comment)
                    .desired_rows(3)
                    .desired_width(WIDE),
            )
        });
    });
}

/// What the window says when passwords cannot be remembered (the keyring
/// library's reason goes in a tooltip and the log).
pub const KEYRING_UNAVAILABLE: &str =
    "No keyring service on this computer: Ferry asks for passwords when connecting.";

/// A name not yet used in `folder` ("Name", "Name 2", …).
fn unique_name(list: &SiteList, folder: &[String], base: &str) -> String {
    let taken = |n: &str| list.sites.iter().any(|s| s.folder == folder && s.name == n);
    if !taken(base) {
        return base.to_string();
    }
    (2..)
        .map(|n| format!("{base} {n}"))
        .find(|n| !taken(n))
        .unwrap_or_else(|| base.to_string())
}

/// Whether the form shows `site` as it is (nothing typed since).
fn untouched(site: &Site, form: &ConnectForm) -> bool {
    form.password.is_empty() && *form == ConnectForm::from_site(site)
}

/// What is wrong with a site's form.
fn form_errors(form: &ConnectForm) -> FieldErrors {
    form.validate().err().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sites::{PortRange, Protocol};

    #[test]
    fn a_password_change_never_shows_the_password_in_debug() {
        let change = PasswordChange::Set("hunter2-secret".into());
        let site = Box::new(Site::new("web", "ftp.example.org"));
        let save = ManagerIntent::Save {
            sites: SiteList::default(),
            passwords: vec![("id".into(), change.clone())],
            then: Some(FollowUp::Connect {
                site: site.clone(),
                password: Some("hunter2-typed".into()),
            }),
        };
        let test = ManagerIntent::Test {
            site,
            password: Some("hunter2-test".into()),
        };
        let text = format!("{change:?} {save:?} {test:?}");
        assert!(!text.contains("hunter2"), "{text}");
        assert!(text.contains("Set("), "{text}");
    }

    fn site(name: &str, folder: &[&str]) -> Site {
        let mut s = Site::new(name, "ftp.example.org");
        s.user = "alice".into();
        s.folder = folder.iter().map(|f| f.to_string()).collect();
        s
    }

    fn manager(sites: Vec<Site>) -> SiteManager {
        let mut m = SiteManager::default();
        m.open_with(
            &SiteList {
                sites,
                ..SiteList::default()
            },
            None,
        );
        m
    }

    fn names(m: &SiteManager) -> Vec<(String, String)> {
        m.work
            .sites
            .iter()
            .map(|s| (s.folder.join("/"), s.name.clone()))
            .collect()
    }

    #[test]
    fn a_site_survives_the_round_trip_through_the_form_unchanged() {
        let mut s = site("work", &["Clients"]);
        s.protocol = Protocol::ImplicitTls;
        s.port = Some(2990);
        s.mode = ConnectionMode::Active;
        s.timeout_secs = Some(45);
        s.external_ip = Some("203.0.113.5".parse().unwrap());
        s.active_port_range = Some(PortRange {
            first: 50000,
            last: 50010,
        });
        s.remote_folder = Some("/www".into());
        s.remember_password = true;
        let mut back = s.clone();
        ConnectForm::from_site(&s).apply_to(&mut back);
        assert_eq!(back, s);
        let plain = site("plain", &[]);
        let mut back = plain.clone();
        ConnectForm::from_site(&plain).apply_to(&mut back);
        assert_eq!(back, plain, "a default port and timeout stay unset");
    }

    #[test]
    fn save_as_site_keeps_the_form_settings_but_never_the_password() {
        let form = ConnectForm {
            host: "ftp.example.org".into(),
            port: "2121".into(),
            user: "bob".into(),
            password: "hunter2".into(),
            mode: ConnectionMode::Active,
            remote_path: "/pub".into(),
            ..ConnectForm::default()
        };
        let s = form.to_new_site();
        assert_eq!(s.name, "ftp.example.org");
        assert_eq!((s.port, s.user.as_str()), (Some(2121), "bob"));
        assert_eq!(s.mode, ConnectionMode::Active);
        assert_eq!(s.timeout_secs, None);
        assert_eq!(s.remote_folder.as_deref(), Some("/pub"));
        let text = toml::to_string(&s).unwrap();
        assert!(!text.contains("hunter2"), "{text}");
    }

    #[test]
    fn dropping_a_site_on_a_folder_moves_it_and_on_a_site_puts_it_before() {
        let mut m = manager(vec![site("a", &[]), site("b", &["F"]), site("c", &[])]);
        let a = m.work.sites[0].id.clone();
        let c = m.work.sites[2].id.clone();
        m.drop_on(
            TreeDrag::Site(a.clone()),
            Some(Row::Folder(vec!["F".into()])),
        );
        assert_eq!(
            names(&m),
            [
                ("F".into(), "b".into()),
                ("".into(), "c".into()),
                ("F".into(), "a".into())
            ]
        );
        m.drop_on(TreeDrag::Site(c), Some(Row::Site(a)));
        assert_eq!(
            names(&m),
            [
                ("F".into(), "b".into()),
                ("F".into(), "c".into()),
                ("F".into(), "a".into())
            ]
        );
        assert!(m.is_dirty());
    }

    #[test]
    fn a_folder_moves_with_its_sites_but_not_into_itself() {
        let mut m = manager(vec![site("a", &["F", "G"]), site("b", &["H"])]);
        m.drop_on(
            TreeDrag::Folder(vec!["F".into()]),
            Some(Row::Folder(vec!["F".into(), "G".into()])),
        );
        assert_eq!(m.work.sites[0].folder, ["F", "G"]);
        m.drop_on(
            TreeDrag::Folder(vec!["F".into()]),
            Some(Row::Folder(vec!["H".into()])),
        );
        assert_eq!(m.work.sites[0].folder, ["H", "F", "G"]);
    }

    #[test]
    fn search_shows_matching_sites_with_their_folders() {
        let mut m = manager(vec![site("alpha", &["F"]), site("beta", &["G"])]);
        m.search = "ALP".into();
        let rows = m.rows();
        assert_eq!(rows.len(), 2, "{rows:?}");
        assert_eq!(rows[0], (0, Row::Folder(vec!["F".into()])));
    }

    #[test]
    fn save_forgets_the_passwords_of_unticked_and_deleted_sites() {
        let mut keep = site("keep", &[]);
        keep.remember_password = true;
        let mut gone = site("gone", &[]);
        gone.remember_password = true;
        let (keep_id, gone_id) = (keep.id.clone(), gone.id.clone());
        let mut m = manager(vec![keep, gone]);
        m.work.sites.retain(|s| s.id != gone_id);
        m.work.sites[0].remember_password = false;
        let Some(ManagerIntent::Save { passwords, .. }) = m.save_intent() else {
            panic!("a save");
        };
        assert_eq!(
            passwords,
            [
                (keep_id, PasswordChange::Forget),
                (gone_id, PasswordChange::Forget)
            ]
        );
    }

    #[test]
    fn an_invalid_site_that_was_not_touched_does_not_block_saving_another() {
        let mut bad = site("no user", &[]);
        bad.user.clear();
        let mut m = manager(vec![bad.clone(), site("b", &[])]);
        m.forms.insert(bad.id.clone(), ConnectForm::from_site(&bad));
        m.work.sites[1].comment = "edited".into();
        assert!(matches!(m.save_intent(), Some(ManagerIntent::Save { .. })));
    }

    #[test]
    fn an_invalid_field_blocks_the_save_and_selects_the_site() {
        let mut m = manager(vec![site("a", &[]), site("b", &[])]);
        let b = m.work.sites[1].id.clone();
        let mut form = ConnectForm::from_site(&m.work.sites[1]);
        form.port = "99999".into();
        m.forms.insert(b.clone(), form);
        assert!(m.is_dirty(), "text that is not valid yet is a change");
        assert!(m.save_intent().is_none());
        assert_eq!(m.selected, Some(Selection::Site(b)));
        assert!(m.error.as_deref().unwrap_or("").contains("Port"));
    }

    #[test]
    fn saving_a_site_sends_a_proxy_password_typed_in_its_url_to_the_keyring() {
        let mut m = manager(Vec::new());
        let form = ConnectForm {
            host: "ftp.example.org".into(),
            user: "alice".into(),
            proxy: "http://bob:pr0xy-pw@127.0.0.1:3128".into(),
            ..ConnectForm::default()
        };
        m.open_new(&SiteList::default(), &form, false);
        let Some(ManagerIntent::Save {
            sites, passwords, ..
        }) = m.save_intent()
        else {
            panic!("the new site saves");
        };
        let site = &sites.sites[0];
        assert_eq!(
            site.proxy,
            crate::sites::SiteProxy::Url("http://bob@127.0.0.1:3128".into())
        );
        let key = crate::sites::proxy_secret_id("http://bob@127.0.0.1:3128");
        assert!(
            passwords
                .iter()
                .any(|(k, c)| *k == key && matches!(c, PasswordChange::Set(p) if p == "pr0xy-pw")),
            "{passwords:?}"
        );
        let text = toml::to_string(site).unwrap();
        assert!(!text.contains("pr0xy-pw"), "{text}");
    }
}
