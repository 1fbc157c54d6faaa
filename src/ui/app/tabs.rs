//! Window tabs: each holds one connection, with its own remote pane, local
//! folder, log, status and banner. The active tab's state lives in the app's
//! own fields (the rest of the app reads them as before); the others wait in
//! a [`TabState`] and are swapped in to apply their engine events, or when
//! the user switches to them. One transfer queue serves every tab.

use super::*;
use crate::engine::TabId;

/// What a tab has besides its panes and connection: its id (commands sent
/// while it is active go to its browsing session) and, for a tab restored at
/// start, where it was.
#[derive(Debug, Clone, Default)]
pub(super) struct TabMeta {
    pub(super) id: TabId,
    /// The remote folder a restored tab opens when it reconnects.
    resume_path: Option<Vec<u8>>,
    /// The form of its connection, without the password: what the tab
    /// reconnects with after a restart.
    pub(super) form: Option<ConnectForm>,
    /// The saved site this tab is about to connect to (its password is
    /// being read or asked for): the tab already bears its name.
    pending_site: Option<String>,
}

/// A tab that is not the active one: the fields the app holds for the active tab.
pub(super) struct TabState {
    meta: TabMeta,
    local: PaneState,
    remote: PaneState,
    active: Side,
    log: LogView,
    banner: Option<Banner>,
    connection: Connection,
    encrypted: bool,
    last_request: Option<ConnectRequest>,
    busy: PerSide<Option<(String, SystemTime)>>,
    connected_site: Option<String>,
    notice: Option<String>,
    notice_since: Option<(String, f64)>,
    delete_progress: Option<(u64, u64)>,
    /// Synchronized browsing pairs this tab's two panes.
    sync_browse: crate::ui::sync_browse::SyncBrowse,
}

impl TabState {
    /// A tab waiting for a connection.
    fn empty(id: TabId, show_hidden: bool) -> TabState {
        let mut local = PaneState::new(Side::Local);
        let mut remote = PaneState::new(Side::Remote);
        local.show_hidden = show_hidden;
        remote.show_hidden = show_hidden;
        TabState {
            meta: TabMeta {
                id,
                ..TabMeta::default()
            },
            local,
            remote,
            active: Side::Local,
            log: LogView::default(),
            banner: None,
            connection: Connection::Disconnected,
            encrypted: false,
            last_request: None,
            busy: PerSide::default(),
            connected_site: None,
            notice: None,
            notice_since: None,
            delete_progress: None,
            sync_browse: Default::default(),
        }
    }
}

/// One tab in the strip; `parked` is `None` for the active tab.
struct Slot {
    id: TabId,
    parked: Option<Box<TabState>>,
}

/// Every tab, in strip order.
pub(super) struct Tabs {
    slots: Vec<Slot>,
    next_id: u64,
    /// Closing this tab waits for the user's answer: its server still has
    /// this many queued transfers (tab, transfers, server).
    closing: Option<(TabId, usize, String)>,
    /// Tabs were restored at start: connect them once the preferences (and
    /// the saved sites) are read, if "Reconnect tabs on start" is on.
    reconnect_pending: bool,
    /// A demo run: its tabs (on a server that is gone after it) are not
    /// saved, and those of the last real run are kept for the next.
    pub(super) keep_saved: bool,
    /// Sites whose password is being read or asked for, and the tab that
    /// asked to connect to each: the connection goes there.
    site_waits: Vec<(String, TabId)>,
    /// The tab whose connection asked the certificate question on show.
    cert_tab: Option<TabId>,
}

impl Default for Tabs {
    fn default() -> Self {
        Tabs {
            slots: vec![Slot {
                id: TabId(0),
                parked: None,
            }],
            next_id: 1,
            closing: None,
            reconnect_pending: false,
            keep_saved: false,
            site_waits: Vec::new(),
            cert_tab: None,
        }
    }
}

/// A tab as saved with the window's state: how to reconnect it (never with
/// a password) and its folders.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct SavedTab {
    /// The saved site it was connected to, by id.
    pub site: Option<String>,
    /// A quick connection's form, without the password.
    pub form: Option<ConnectForm>,
    pub local_path: Option<PathBuf>,
    /// The remote folder, as the server's bytes.
    pub remote_path: Option<Vec<u8>>,
}

/// What the tab strip asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TabIntent {
    New,
    Switch(usize),
    Close(usize),
}

/// How a tab looks in the strip.
#[derive(Debug, Clone, PartialEq)]
pub struct TabView {
    pub title: String,
    pub state: TabStatus,
}

/// The dot beside a tab's title.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TabStatus {
    Connected,
    Busy,
    Lost,
    Disconnected,
}

impl TabStatus {
    fn describe(self) -> &'static str {
        match self {
            TabStatus::Connected => "connected",
            TabStatus::Busy => "busy",
            TabStatus::Lost => "connection lost",
            TabStatus::Disconnected => "not connected",
        }
    }
}

/// The longest title the strip shows; the tooltip has the whole one.
const TITLE_CHARS: usize = 28;

impl FerryApp {
    /// Swap the active tab's fields with `t`'s.
    fn swap_tab(&mut self, t: &mut TabState) {
        use std::mem::swap;
        swap(&mut self.tab, &mut t.meta);
        swap(&mut self.local, &mut t.local);
        swap(&mut self.remote, &mut t.remote);
        swap(&mut self.active, &mut t.active);
        swap(&mut self.log, &mut t.log);
        swap(&mut self.banner, &mut t.banner);
        swap(&mut self.connection, &mut t.connection);
        swap(&mut self.encrypted, &mut t.encrypted);
        swap(&mut self.last_request, &mut t.last_request);
        swap(&mut self.busy, &mut t.busy);
        swap(&mut self.connected_site, &mut t.connected_site);
        swap(&mut self.notice, &mut t.notice);
        swap(&mut self.notice_since, &mut t.notice_since);
        swap(&mut self.delete_progress, &mut t.delete_progress);
        swap(&mut self.sync_browse, &mut t.sync_browse);
    }

    /// Run `f` with tab `index` swapped in as the active one, then swap back.
    pub(super) fn with_tab<R>(
        &mut self,
        index: usize,
        f: impl FnOnce(&mut FerryApp) -> R,
    ) -> Option<R> {
        let Some(mut parked) = self.tabs.slots.get_mut(index)?.parked.take() else {
            // The active tab.
            return Some(f(self));
        };
        self.swap_tab(&mut parked);
        let result = f(self);
        self.swap_tab(&mut parked);
        self.tabs.slots[index].parked = Some(parked);
        Some(result)
    }

    /// An engine event about tab `tab`'s session or panes.
    pub(super) fn apply_for_tab(&mut self, tab: TabId, event: Event) {
        // A closed tab's late events have nowhere to go.
        if let Some(index) = self.tabs.slots.iter().position(|s| s.id == tab) {
            self.with_tab(index, |app| app.apply(event));
        }
    }

    /// How many tabs are open.
    pub fn tab_count(&self) -> usize {
        self.tabs.slots.len()
    }

    /// Which tab is active (0 is the leftmost).
    pub fn active_tab(&self) -> usize {
        self.tabs
            .slots
            .iter()
            .position(|s| s.parked.is_none())
            .unwrap_or(0)
    }

    /// The title and state of every tab, in strip order.
    pub fn tab_views(&self) -> Vec<TabView> {
        self.tabs
            .slots
            .iter()
            .map(|slot| match &slot.parked {
                None => self.tab_view(
                    &self.connection,
                    self.last_request.as_ref(),
                    self.tab
                        .pending_site
                        .as_deref()
                        .or(self.connected_site.as_deref()),
                    self.busy.remote.is_some(),
                ),
                Some(t) => self.tab_view(
                    &t.connection,
                    t.last_request.as_ref(),
                    t.meta
                        .pending_site
                        .as_deref()
                        .or(t.connected_site.as_deref()),
                    t.busy.remote.is_some(),
                ),
            })
            .collect()
    }

    fn tab_view(
        &self,
        connection: &Connection,
        request: Option<&ConnectRequest>,
        site: Option<&str>,
        busy: bool,
    ) -> TabView {
        let site_name = site
            .and_then(|id| self.sites.get(id))
            .map(|s| s.name.clone());
        let title = match (site_name, request) {
            (Some(name), _) => name,
            (None, Some(r)) => format!("{}@{}", r.options.user, r.options.host),
            (None, None) => "Not connected".into(),
        };
        let state = match connection {
            Connection::Connecting { .. } => TabStatus::Busy,
            Connection::Connected { .. } if busy => TabStatus::Busy,
            Connection::Connected { .. } => TabStatus::Connected,
            Connection::Lost { .. } => TabStatus::Lost,
            Connection::Disconnected => TabStatus::Disconnected,
        };
        TabView { title, state }
    }

    /// The active tab's title (site name, or user@host).
    pub(super) fn active_tab_title(&self) -> String {
        self.tab_views().swap_remove(self.active_tab()).title
    }

    /// Open a new tab, waiting for a connection, on the current local folder.
    pub fn new_tab(&mut self) {
        let id = TabId(self.tabs.next_id);
        self.tabs.next_id += 1;
        let local = self.local.path().cloned();
        let from = self.active_tab();
        let mut old = Box::new(TabState::empty(id, self.state.show_hidden));
        self.swap_tab(&mut old);
        self.tabs.slots[from].parked = Some(old);
        self.tabs.slots.push(Slot { id, parked: None });
        self.remote.charset = Default::default();
        if let Some(path) = local {
            self.navigate(path);
        }
    }

    /// A connection asked for "in a new tab": open one, unless the active
    /// tab is still empty (then it is used).
    pub fn open_tab_for_connection(&mut self) {
        let empty = self.connection == Connection::Disconnected
            && self.last_request.is_none()
            && self.connected_site.is_none();
        if !empty {
            self.new_tab();
        }
    }

    /// The Site Manager's "Open in new tab" was what connected.
    pub(super) fn manager_tab(&mut self) {
        if std::mem::take(&mut self.site_manager.in_new_tab) {
            self.open_tab_for_connection();
        }
    }

    /// A bookmark opened in a new tab: a site's connects there to its site;
    /// a global one connects there to the active tab's server (it names a
    /// folder on whatever server is open).
    pub(super) fn open_bookmark_in_new_tab(
        &mut self,
        scope: crate::sites::BookmarkScope,
        bookmark: crate::sites::Bookmark,
    ) {
        let live = matches!(self.connection, Connection::Connected { .. });
        let here = (self.last_request.clone(), self.connected_site.clone());
        self.open_tab_for_connection();
        match (scope, here) {
            (crate::sites::BookmarkScope::Global, (Some(mut request), site)) if live => {
                match request.options.charset.encode(&bookmark.remote) {
                    Ok(path) => request.initial_path = Some(path),
                    Err(why) => {
                        self.notice = Some(format!(
                            "Cannot open the bookmark: {why}: {}",
                            bookmark.remote
                        ));
                        return;
                    }
                }
                if let Some(local) = &bookmark.local {
                    self.navigate(AnyPath::Local(local.clone()));
                }
                self.connect_with(request, site);
            }
            (scope, _) => self.open_bookmark(&scope, bookmark),
        }
    }

    /// Make tab `index` the active one.
    pub fn switch_tab(&mut self, index: usize) {
        let from = self.active_tab();
        if index == from || index >= self.tabs.slots.len() {
            return;
        }
        let Some(mut next) = self.tabs.slots[index].parked.take() else {
            return;
        };
        self.swap_tab(&mut next);
        self.tabs.slots[from].parked = Some(next);
    }

    /// Close tab `index`, first asking if transfers for its server are still
    /// queued (and no other tab is on that server).
    pub fn close_tab(&mut self, index: usize) {
        let Some(slot) = self.tabs.slots.get(index) else {
            return;
        };
        let id = slot.id;
        let server = self.with_tab(index, |app| {
            app.last_request
                .as_ref()
                .map(|r| crate::engine::queue::SiteKey::of(&r.options).display())
        });
        let Some(Some(server)) = server else {
            return self.close_tab_now(id);
        };
        let elsewhere = (0..self.tabs.slots.len()).filter(|&i| i != index).any(|i| {
            self.with_tab(i, |app| {
                matches!(app.connection, Connection::Connected { .. })
                    && app.last_request.as_ref().is_some_and(|r| {
                        crate::engine::queue::SiteKey::of(&r.options).display() == server
                    })
            }) == Some(true)
        });
        let queued = self.queue.waiting_for(&server);
        if queued > 0 && !elsewhere {
            self.tabs.closing = Some((id, queued, server));
        } else {
            self.close_tab_now(id);
        }
    }

    /// Close the tab `id`: its session ends; the last tab is replaced by an
    /// empty one.
    fn close_tab_now(&mut self, id: TabId) {
        let Some(index) = self.tabs.slots.iter().position(|s| s.id == id) else {
            return;
        };
        // Straight to the engine: `send` speaks for the active tab.
        self.engine.handle.send(Command::Tab {
            tab: id,
            command: Box::new(Command::Disconnect),
        });
        if self.tabs.slots.len() == 1 {
            self.new_tab();
        } else if index == self.active_tab() {
            let next = if index + 1 < self.tabs.slots.len() {
                index + 1
            } else {
                index - 1
            };
            self.switch_tab(next);
        }
        self.tabs.slots.retain(|s| s.id != id);
    }

    pub(super) fn apply_tab_intent(&mut self, intent: TabIntent) {
        match intent {
            TabIntent::New => self.new_tab(),
            TabIntent::Switch(i) => self.switch_tab(i),
            TabIntent::Close(i) => self.close_tab(i),
        }
    }

    /// Ctrl+1…9 pressed this frame: switch to that tab (9: the last).
    pub(super) fn tab_number_keys(&self, ctx: &egui::Context) -> Option<Intent> {
        use egui::Key::*;
        let keys = [Num1, Num2, Num3, Num4, Num5, Num6, Num7, Num8, Num9];
        ctx.input_mut(|i| {
            keys.iter().enumerate().find_map(|(n, &key)| {
                i.consume_key(egui::Modifiers::COMMAND, key).then(|| {
                    let last = self.tabs.slots.len() - 1;
                    Intent::Tab(TabIntent::Switch(if n == 8 { last } else { n }))
                })
            })
        })
    }

    /// Ctrl+Tab / Ctrl+Shift+Tab: the next or previous tab, wrapping around.
    pub(super) fn cycle_tab(&mut self, forward: bool) {
        let n = self.tabs.slots.len();
        let i = self.active_tab();
        self.switch_tab(if forward {
            (i + 1) % n
        } else {
            (i + n - 1) % n
        });
    }

    /// Whether the close question is open (shortcuts wait for it).
    pub(super) fn tab_question_open(&self) -> bool {
        self.tabs.closing.is_some()
    }

    /// The strip above the panes, shown once there is a second tab.
    pub(super) fn tab_strip(&self, ui: &mut egui::Ui) -> Option<TabIntent> {
        let mut intent = None;
        let active = self.active_tab();
        ui.horizontal_wrapped(|ui| {
            ui.spacing_mut().item_spacing.x = 2.0;
            for (i, view) in self.tab_views().into_iter().enumerate() {
                let selected = i == active;
                let visuals = ui.visuals();
                let fill = if selected {
                    visuals.panel_fill
                } else {
                    visuals.faint_bg_color
                };
                let stroke = if selected {
                    visuals.widgets.active.bg_stroke
                } else {
                    visuals.widgets.noninteractive.bg_stroke
                };
                egui::Frame::new()
                    .fill(fill)
                    .stroke(stroke)
                    .corner_radius(egui::CornerRadius {
                        nw: 4,
                        ne: 4,
                        sw: 0,
                        se: 0,
                    })
                    .inner_margin(egui::Margin::symmetric(6, 2))
                    .show(ui, |ui| {
                        ui.horizontal(|ui| {
                            ui.spacing_mut().item_spacing.x = 4.0;
                            let color = match view.state {
                                TabStatus::Connected => egui::Color32::from_rgb(60, 180, 90),
                                TabStatus::Busy => egui::Color32::from_rgb(220, 170, 40),
                                TabStatus::Lost => ui.visuals().error_fg_color,
                                TabStatus::Disconnected => ui.visuals().weak_text_color(),
                            };
                            let (rect, _) =
                                ui.allocate_exact_size(egui::vec2(8.0, 8.0), egui::Sense::hover());
                            ui.painter().circle_filled(rect.center(), 3.5, color);
                            let short = if view.title.chars().count() > TITLE_CHARS {
                                let cut: String =
                                    view.title.chars().take(TITLE_CHARS - 1).collect();
                                format!("{cut}…")
                            } else {
                                view.title.clone()
                            };
                            let mut text = egui::RichText::new(short);
                            if selected {
                                text = text.strong();
                            }
                            let tip = format!("{}: {}", view.title, view.state.describe());
                            let label = ui
                                .add(egui::Button::new(text).frame(false))
                                .on_hover_text(tip);
                            if label.clicked() {
                                intent = Some(TabIntent::Switch(i));
                            }
                            if label.middle_clicked() {
                                intent = Some(TabIntent::Close(i));
                            }
                            let close = ui
                                .add(egui::Button::new("×").frame(false).small())
                                .on_hover_text("Close tab (Ctrl+W)");
                            let name = format!("Close tab {}", view.title);
                            close.widget_info(|| {
                                egui::WidgetInfo::labeled(egui::Role::Button, true, &name)
                            });
                            if close.clicked() {
                                intent = Some(TabIntent::Close(i));
                            }
                        });
                    });
            }
            let add = ui
                .add(egui::Button::new("+").frame(false))
                .on_hover_text("New tab (Ctrl+T)");
            add.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, "New tab"));
            if add.clicked() {
                intent = Some(TabIntent::New);
            }
        });
        intent
    }

    /// The question before closing a tab whose server has queued transfers.
    pub(super) fn close_tab_question(&mut self, ctx: &egui::Context) {
        let Some((id, queued, server)) = self.tabs.closing.clone() else {
            return;
        };
        let mut answer = None;
        egui::Modal::new(egui::Id::unique("close-tab")).show(ctx, |ui| {
            ui.heading("Close tab?");
            let transfers = if queued == 1 {
                "1 transfer".to_string()
            } else {
                format!("{queued} transfers")
            };
            ui.label(format!(
                "{transfers} for this server are still in the queue. They go on after the \
                 tab closes; cancel them in the queue if you no longer want them: {server}"
            ));
            ui.horizontal(|ui| {
                if ui.button("Close tab").clicked() {
                    answer = Some(true);
                }
                if ui.button("Keep tab").clicked() || ui.input(|i| i.key_pressed(egui::Key::Escape))
                {
                    answer = Some(false);
                }
            });
        });
        if let Some(close) = answer {
            self.tabs.closing = None;
            if close {
                self.close_tab_now(id);
            }
        }
    }

    /// The tabs as saved with the window's state, and which is active.
    pub fn saved_tabs(&mut self) -> (Vec<SavedTab>, usize) {
        let tabs = (0..self.tabs.slots.len())
            .filter_map(|i| {
                self.with_tab(i, |app| {
                    let form = app.last_request.as_ref().and(app.tab.form.clone());
                    let remote_path = match app.remote.path() {
                        Some(AnyPath::Remote(p)) => Some(p.clone()),
                        _ => app.tab.resume_path.clone(),
                    };
                    let local_path = match app.local.path() {
                        Some(AnyPath::Local(p)) => Some(p.clone()),
                        _ => None,
                    };
                    SavedTab {
                        site: app.connected_site.clone(),
                        // A site is found again by its id; only a quick
                        // connection needs its form.
                        form: form.filter(|_| app.connected_site.is_none()),
                        local_path,
                        remote_path,
                    }
                })
            })
            .collect();
        (tabs, self.active_tab())
    }

    /// Bring back the tabs saved last time, disconnected, with their folders.
    /// The first goes into the tab the app starts with.
    pub(super) fn restore_tabs(&mut self, saved: Vec<SavedTab>, active: usize) {
        let worth = saved.len() > 1
            || saved
                .first()
                .is_some_and(|t| t.site.is_some() || t.form.is_some());
        if !worth {
            return;
        }
        for (i, tab) in saved.into_iter().enumerate() {
            if i > 0 {
                self.new_tab();
            }
            if let Some(path) = tab.local_path.clone() {
                self.navigate(AnyPath::Local(path));
            }
            self.tab.resume_path = tab.remote_path.clone();
            let request = match (&tab.site, &tab.form) {
                (Some(_), _) => {
                    // Filled in once the saved sites are read.
                    self.connected_site = tab.site.clone();
                    None
                }
                (None, Some(form)) => {
                    self.tab.form = Some(form.clone());
                    form.validate().ok()
                }
                (None, None) => None,
            };
            if let Some(mut request) = request {
                request.initial_path = tab.remote_path.clone();
                self.last_request = Some(request);
            }
            if tab.site.is_some() || tab.form.is_some() {
                self.banner = Some(Banner {
                    message: "Not connected since the last start.".into(),
                    actions: vec![BannerAction::Reconnect, BannerAction::Dismiss],
                });
            }
        }
        self.switch_tab(active);
        self.tabs.reconnect_pending = true;
    }

    /// Reconnect every restored tab, once the preferences and saved sites
    /// are read, if the preferences ask for it.
    pub(super) fn reconnect_restored_tabs(&mut self) {
        if !self.tabs.reconnect_pending || !self.preferences_loaded() || self.sites_loading() {
            return;
        }
        self.tabs.reconnect_pending = false;
        if !self.preferences.interface.reconnect_tabs {
            return;
        }
        for i in 0..self.tabs.slots.len() {
            self.with_tab(i, |app| {
                if app.reconnects_unasked() {
                    app.reconnect_tab();
                }
            });
        }
    }

    /// Whether the active (restored) tab can connect without asking for a
    /// password: one question at a time is all the window shows, so tabs
    /// that would ask keep their Reconnect button instead.
    fn reconnects_unasked(&self) -> bool {
        if let Some(id) = &self.connected_site {
            return self.sites.get(id).is_some_and(|site| {
                !site.needs_password()
                    || (site.logon == LogonType::Normal && site.remember_password)
            });
        }
        let Some(request) = &self.last_request else {
            return false;
        };
        // A quick connection's password is never saved.
        !request.options.password.is_empty()
            || request.options.user == "anonymous"
            || self
                .tab
                .form
                .as_ref()
                .is_some_and(|f| f.logon == LogonType::Anonymous)
    }

    /// Reconnect the active tab: a saved site through its password (keyring
    /// or asked), a quick connection as it was; back in its remote folder.
    pub(super) fn reconnect_tab(&mut self) {
        self.banner = None;
        let folder = match self.remote.path() {
            Some(AnyPath::Remote(p)) => Some(p.clone()),
            _ => self.tab.resume_path.clone(),
        };
        let site = self
            .connected_site
            .as_ref()
            .and_then(|id| self.sites.get(id))
            .cloned();
        let restored = self.tab.resume_path.is_some() || self.last_request.is_none();
        match (site, self.last_request.clone()) {
            // A restored site tab has no password yet: the site's way to one.
            (Some(site), _) if restored => {
                self.tab.resume_path = folder;
                self.connect_site(site, None);
            }
            (_, Some(mut request)) => {
                request.initial_path = folder.or(request.initial_path);
                let form = self.tab.form.clone().unwrap_or_default();
                let needs_password = form.logon == LogonType::Normal
                    && request.options.password.is_empty()
                    && request.options.user != "anonymous";
                if needs_password && restored {
                    // Saved without its password: the dialog asks for it.
                    self.tab.resume_path = request.initial_path.clone();
                    self.quick.form = form.clone();
                    self.dialog.form = form;
                    self.dialog.open = true;
                } else {
                    self.tab.resume_path = None;
                    self.connect_with(request, self.connected_site.clone());
                }
            }
            (Some(site), None) => {
                self.tab.resume_path = folder;
                self.connect_site(site, None);
            }
            (None, None) => {}
        }
    }

    /// Connecting to the saved site `site_id` was asked for in the active tab.
    /// Several tabs may wait for the same site (tabs restored on start):
    /// answers come back in the order asked.
    pub(super) fn site_asked_here(&mut self, site_id: &str) {
        // A tab waits for one site at most: the last it asked for.
        let tab = self.tab.id;
        self.tabs.site_waits.retain(|(_, t)| *t != tab);
        self.tabs.site_waits.push((site_id.to_string(), tab));
        if self.last_request.is_none() {
            self.tab.pending_site = Some(site_id.to_string());
        }
    }

    /// Which tab a password for `site_id` (from the keyring or typed) goes
    /// to: the first that asked for it and still waits.
    pub(super) fn site_tab(&mut self, site_id: &str) -> SiteTab {
        let Some(at) = self
            .tabs
            .site_waits
            .iter()
            .position(|(id, _)| id == site_id)
        else {
            return SiteTab::Active;
        };
        let (_, tab) = self.tabs.site_waits.remove(at);
        match self.tabs.slots.iter().position(|s| s.id == tab) {
            None => SiteTab::Closed,
            Some(index) if index == self.active_tab() => SiteTab::Active,
            Some(index) => SiteTab::Other(index),
        }
    }

    /// The certificate question comes from the active tab's connection.
    pub(super) fn cert_asked_here(&mut self) {
        self.tabs.cert_tab = Some(self.tab.id);
    }

    /// The answer to the certificate question goes to the tab that asked
    /// (trusting reconnects there), or to the connection test.
    pub(super) fn apply_cert_in_tab(&mut self, decision: CertDecision) {
        let tab = self.tabs.cert_tab.take();
        let testing = self.test.as_ref().is_some_and(|(t, _)| t.trusting);
        let index = tab.and_then(|id| self.tabs.slots.iter().position(|s| s.id == id));
        match index {
            // The prompt is the app's (not swapped): answered with that tab in.
            Some(i) if !testing && i != self.active_tab() => {
                self.with_tab(i, |app| app.apply_cert(decision));
            }
            _ => self.apply_cert(decision),
        }
    }

    /// A connection starts in this tab: remember its form (without the
    /// password) for the next start, and send a restored tab back to its
    /// folder if it reconnects to the same server.
    pub(super) fn tab_connecting(&mut self, request: &mut ConnectRequest, site: Option<&str>) {
        // Connecting to anything ends a wait for a site's password (one
        // asked for and then cancelled must not land here later).
        let tab = self.tab.id;
        self.tabs.site_waits.retain(|(_, t)| *t != tab);
        let same_site = site.is_some() && site == self.connected_site.as_deref();
        let same_login = self.last_request.as_ref().is_some_and(|r| {
            r.options.host == request.options.host
                && r.options.port == request.options.port
                && r.options.user == request.options.user
        });
        if let Some(path) = self.tab.resume_path.take()
            && (same_site || same_login)
        {
            request.initial_path = Some(path);
        }
        self.tab.pending_site = None;
        let mut form = self.quick.form.clone();
        form.password.clear();
        self.tab.form = Some(form);
    }
}

/// Where a saved site's connection goes once its password is known.
pub(super) enum SiteTab {
    /// The active tab (it asked, or nothing was recorded).
    Active,
    /// Another tab, which asked before the user switched away.
    Other(usize),
    /// The tab that asked was closed meanwhile: nothing connects.
    Closed,
}
