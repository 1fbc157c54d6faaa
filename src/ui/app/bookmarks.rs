//! Bookmarks: adding the current folder (Ctrl+D), the Bookmarks menu,
//! opening one (connecting to its site first when needed), and saving the
//! lists: a site's with the site, global ones in the preferences.

use super::*;
use crate::sites::{Bookmark, BookmarkScope};
use crate::ui::bookmarks_dialog::{BookmarkIntent, BookmarkList};

impl FerryApp {
    /// The bookmarks of `scope` (empty for a site that is gone).
    pub fn bookmarks(&self, scope: &BookmarkScope) -> Vec<Bookmark> {
        match scope {
            BookmarkScope::Global => self.preferences.bookmarks.clone(),
            BookmarkScope::Site(id) => self
                .sites
                .get(id)
                .map(|s| s.bookmarks.clone())
                .unwrap_or_default(),
        }
    }

    /// Ctrl+D: ask how to bookmark the remote pane's folder.
    pub(super) fn start_add_bookmark(&mut self) {
        let live = matches!(self.connection, Connection::Connected { .. });
        let Some(AnyPath::Remote(path)) = self.remote.listing_path().cloned().filter(|_| live)
        else {
            self.notice = Some("Connect to a server and open a folder to bookmark it".into());
            return;
        };
        let charset = self
            .last_request
            .as_ref()
            .map(|r| r.options.charset)
            .unwrap_or_default();
        let remote = charset.decode(&path).into_owned();
        let local = match self.local.path() {
            Some(AnyPath::Local(p)) => Some(p.clone()),
            _ => None,
        };
        let site = self
            .connected_site
            .as_ref()
            .and_then(|id| self.sites.get(id))
            .map(|s| (s.id.clone(), s.name.clone()));
        self.add_bookmark.open_for(remote, local, site);
    }

    /// Open Manage bookmarks on every list: global, then each saved site
    /// that has bookmarks or is connected; the connected site's is shown.
    pub(super) fn open_manage_bookmarks(&mut self) {
        let mut lists = vec![BookmarkList {
            scope: BookmarkScope::Global,
            title: "Global (every site)".into(),
            bookmarks: self.preferences.bookmarks.clone(),
        }];
        let mut current = 0;
        for site in &self.sites.sites {
            let connected = self.connected_site.as_deref() == Some(site.id.as_str());
            if site.bookmarks.is_empty() && !connected {
                continue;
            }
            if connected {
                current = lists.len();
            }
            lists.push(BookmarkList {
                scope: BookmarkScope::Site(site.id.clone()),
                title: site.name.clone(),
                bookmarks: site.bookmarks.clone(),
            });
        }
        self.manage_bookmarks.open_with(lists, current);
    }

    pub(super) fn apply_bookmark(&mut self, intent: BookmarkIntent) {
        match intent {
            BookmarkIntent::Add { scope, bookmark } => {
                let name = bookmark.name.clone();
                let mut list = self.bookmarks(&scope);
                list.push(bookmark);
                if self.store_bookmarks(scope, list) {
                    self.notice = Some(format!("Bookmarked {name}"));
                }
            }
            BookmarkIntent::Replace { scope, list } => {
                if self.store_bookmarks(scope, list) {
                    self.notice = Some("Bookmarks saved".into());
                }
            }
            BookmarkIntent::Open { scope, index } => {
                let Some(bookmark) = self.bookmarks(&scope).get(index).cloned() else {
                    return;
                };
                self.open_bookmark(&scope, bookmark);
            }
            BookmarkIntent::OpenInNewTab { scope, bookmark } => {
                self.open_bookmark_in_new_tab(scope, bookmark)
            }
        }
    }

    /// Keep `list` as the bookmarks of `scope`, in memory at once and on
    /// disk on the writer threads; false (with a notice) when it cannot be.
    fn store_bookmarks(&mut self, scope: BookmarkScope, list: Vec<Bookmark>) -> bool {
        match scope {
            BookmarkScope::Global => {
                self.preferences.bookmarks = list;
                self.save_preferences();
                true
            }
            BookmarkScope::Site(id) => {
                let Some(site) = self.sites.get_mut(&id) else {
                    self.notice = Some("Not saved: the site was deleted meanwhile".into());
                    return false;
                };
                site.bookmarks = list.clone();
                // The Site Manager's copies too, so its next Save keeps them.
                let for_manager = list.clone();
                self.site_manager
                    .update_saved_site(&id, |s| s.bookmarks = for_manager.clone());
                let change = move |sites: &mut SiteList| {
                    if let Some(site) = sites.get_mut(&id) {
                        site.bookmarks = list;
                    }
                };
                let job = WriteJob::Update {
                    change: Box::new(change),
                    then: AfterSave::Nothing,
                };
                if let Err(e) = self.write_sites(job) {
                    self.notice = Some(format!("The bookmarks were not saved: {e}"));
                    return false;
                }
                true
            }
        }
    }

    /// Open a bookmark: its remote folder (and the local one when paired).
    /// A bookmark of a site that is not the connected one connects to that
    /// site first, straight into the bookmark's folders.
    pub(super) fn open_bookmark(&mut self, scope: &BookmarkScope, bookmark: Bookmark) {
        let live = matches!(
            self.connection,
            Connection::Connected { .. } | Connection::Connecting { .. }
        );
        if let BookmarkScope::Site(id) = scope
            && (!live || self.connected_site.as_ref() != Some(id))
        {
            let Some(site) = self.sites.get(id).cloned() else {
                self.notice = Some("The bookmark's site was deleted".into());
                return;
            };
            let mut site = site;
            // This connection only: the saved site keeps its own folders.
            site.remote_folder = Some(bookmark.remote.clone());
            if bookmark.local.is_some() {
                site.local_folder = bookmark.local.clone();
            }
            self.notice = Some(format!(
                "Connecting to {} for {}…",
                site.name, bookmark.name
            ));
            self.connect_site(site, None);
            return;
        }
        if let Some(local) = &bookmark.local {
            self.navigate(AnyPath::Local(local.clone()));
        }
        if !live {
            self.notice = Some(format!(
                "Connect to a server to open the remote folder of {}: {}",
                bookmark.name, bookmark.remote
            ));
            return;
        }
        let charset = self
            .last_request
            .as_ref()
            .map(|r| r.options.charset)
            .unwrap_or_default();
        match charset.encode(&bookmark.remote) {
            Ok(path) => {
                self.active = Side::Remote;
                self.navigate(AnyPath::Remote(path));
            }
            Err(why) => {
                self.notice = Some(format!(
                    "Cannot open the bookmark: {why}: {}",
                    bookmark.remote
                ))
            }
        }
    }

    /// The Bookmarks menu; returns what the user picked.
    pub(super) fn bookmarks_menu(&self, ui: &mut egui::Ui) -> Option<Intent> {
        let mut picked = None;
        for a in [Action::AddBookmark, Action::ManageBookmarks] {
            if action_button(ui, a, None) {
                picked = Some(Intent::Action(a));
            }
        }
        let mut item = |ui: &mut egui::Ui, scope: &BookmarkScope, index: usize, b: &Bookmark| {
            let mut tip = format!("Open {}", b.remote);
            if let Some(local) = &b.local {
                tip.push_str(&format!(" and, locally, {}", local.display()));
            }
            tip.push_str(" (middle-click: in a new tab)");
            let r = ui.button(&b.name).on_hover_text(tip);
            if r.clicked() {
                picked = Some(Intent::Bookmark(BookmarkIntent::Open {
                    scope: scope.clone(),
                    index,
                }));
                ui.close();
            } else if r.middle_clicked() {
                picked = Some(Intent::Bookmark(BookmarkIntent::OpenInNewTab {
                    scope: scope.clone(),
                    bookmark: b.clone(),
                }));
                ui.close();
            }
        };
        let heading = |ui: &mut egui::Ui, text: &str| {
            ui.label(
                egui::RichText::new(text)
                    .small()
                    .color(ui.visuals().weak_text_color()),
            );
        };
        let connected = self
            .connected_site
            .as_ref()
            .and_then(|id| self.sites.get(id));
        if let Some(site) = connected.filter(|s| !s.bookmarks.is_empty()) {
            ui.separator();
            heading(ui, &site.name);
            let scope = BookmarkScope::Site(site.id.clone());
            for (i, b) in site.bookmarks.iter().enumerate() {
                item(ui, &scope, i, b);
            }
        }
        if !self.preferences.bookmarks.is_empty() {
            ui.separator();
            heading(ui, "Global");
            for (i, b) in self.preferences.bookmarks.iter().enumerate() {
                item(ui, &BookmarkScope::Global, i, b);
            }
        }
        let others: Vec<&Site> = self
            .sites
            .sites
            .iter()
            .filter(|s| !s.bookmarks.is_empty() && Some(&s.id) != self.connected_site.as_ref())
            .collect();
        if !others.is_empty() {
            ui.separator();
            heading(ui, "Other sites (connects first)");
            for site in others {
                ui.menu_button(&site.name, |ui| {
                    let scope = BookmarkScope::Site(site.id.clone());
                    for (i, b) in site.bookmarks.iter().enumerate() {
                        item(ui, &scope, i, b);
                    }
                });
            }
        }
        picked
    }
}
