//! Synchronized browsing in the window: the View menu's toggle (remembered
//! for the connected site), following the user's navigation in the other
//! pane, the other side's missing folder (said in that pane's status line,
//! with Create folder), and switching off, with a notice, when the user
//! leaves the pair of folders it started from.

use super::*;
use crate::ui::pane::StatusOffer;
use crate::ui::sync_browse::{self, Armed, Missing, Unmapped};

impl FerryApp {
    /// A folder the user opened in a pane (double-click, Enter, breadcrumb,
    /// typed path, Up, the folder tree): open it, and with synchronized
    /// browsing on, the same relative folder in the other pane once this
    /// one is listed.
    pub(super) fn browse(&mut self, path: AnyPath) {
        let side = path.side();
        // The same folder again is a refresh: the other pane stays as it is.
        let refresh = self.pane(side).path() == Some(&path);
        self.navigate(path.clone());
        if refresh {
            return;
        }
        let charset = self.remote.charset;
        match self.sync_browse.counterpart(&path, charset) {
            None => {}
            Some(Ok(target))
                if target.side() == Side::Remote
                    && !matches!(self.connection, Connection::Connected { .. }) =>
            {
                self.sync_browse.stop();
                self.notice = Some(
                    "Synchronized browsing is off: the server is not connected, so the remote pane cannot follow"
                        .into(),
                );
            }
            Some(Ok(target)) => {
                let sb = &mut self.sync_browse;
                sb.pending = Some((path, target));
                sb.following = None;
                sb.missing = None;
            }
            Some(Err(Unmapped::Outside { root })) => {
                self.sync_browse.stop();
                self.notice = Some(format!(
                    "Synchronized browsing is off: {} is outside {}, where it was switched on",
                    path.display(),
                    root.display()
                ));
            }
            Some(Err(Unmapped::Charset(why))) => {
                self.sync_browse.stop();
                self.notice = Some(format!(
                    "Synchronized browsing is off: the other side cannot have this folder: {why}"
                ));
            }
        }
    }

    /// View → Synchronized browsing, and its toolbar button.
    pub(super) fn toggle_sync_browse(&mut self) {
        if self.sync_browse.is_on() {
            self.sync_browse.stop();
            self.notice = Some("Synchronized browsing is off".into());
            self.remember_sync_browsing(false);
            return;
        }
        let connected = matches!(self.connection, Connection::Connected { .. });
        let (Some(local), Some(remote), true) = (
            self.local.listing_path().cloned(),
            self.remote.listing_path().cloned(),
            connected,
        ) else {
            self.notice = Some(
                "Synchronized browsing needs a folder open in both panes: connect to a server first"
                    .into(),
            );
            return;
        };
        self.notice = Some(format!(
            "Synchronized browsing: {} and {} open together",
            local.display(),
            remote.display()
        ));
        self.sync_browse.start(local, remote);
        self.remember_sync_browsing(true);
    }

    /// A connection is about to be made (to `site`, when it is a saved
    /// one): a reconnect to the same server keeps synchronized browsing;
    /// another server ends it, and a site that had it on arms it again.
    pub(super) fn sync_browse_connecting(&mut self, request: &ConnectRequest, site: Option<&str>) {
        let same_server = self.last_request.as_ref().is_some_and(|r| {
            r.options.addr_text() == request.options.addr_text()
                && r.options.user == request.options.user
        });
        if same_server && self.sync_browse.is_on() {
            return;
        }
        self.sync_browse.stop();
        let Some(site) = site.and_then(|id| self.sites.get(id)) else {
            return;
        };
        if site.sync_browsing {
            self.sync_browse.armed = Some(Armed {
                local: site.local_folder.clone().map(AnyPath::Local),
                remote_listed: false,
            });
        }
    }

    /// The site's default local folder does not exist: arming does not wait for it.
    pub(super) fn sync_browse_no_site_folder(&mut self) {
        if let Some(armed) = self.sync_browse.armed.as_mut() {
            armed.local = None;
        }
    }

    /// Keep the connected site's "synchronized browsing" as the user left it.
    fn remember_sync_browsing(&mut self, on: bool) {
        let Some(id) = self.connected_site.clone() else {
            return;
        };
        if self.sites.get(&id).is_none_or(|s| s.sync_browsing == on) {
            return;
        }
        // At once, so that switching back before the write ends is saved too.
        if let Some(site) = self.sites.get_mut(&id) {
            site.sync_browsing = on;
        }
        self.site_manager
            .update_saved_site(&id, |s| s.sync_browsing = on);
        let change = move |sites: &mut SiteList| {
            if let Some(site) = sites.get_mut(&id) {
                site.sync_browsing = on;
            }
        };
        let job = WriteJob::Update {
            change: Box::new(change),
            then: AfterSave::Nothing,
        };
        if let Err(e) = self.write_sites(job) {
            self.notice = Some(format!(
                "Could not remember synchronized browsing for the site: {e}"
            ));
        }
    }

    /// Each frame: switch on when armed and both panes show a folder, and
    /// put the missing folder's offer into its pane's status line.
    pub(super) fn sync_browse_frame(&mut self) {
        if let Some(armed) = self.sync_browse.armed.clone() {
            let connected = matches!(self.connection, Connection::Connected { .. });
            let ready = |p: &PaneState| !p.is_loading() && p.listing_path().is_some();
            let local_ok = armed
                .local
                .as_ref()
                .is_none_or(|w| self.local.listing_path() == Some(w));
            if connected
                && armed.remote_listed
                && ready(&self.local)
                && ready(&self.remote)
                && local_ok
            {
                let (Some(l), Some(r)) = (
                    self.local.listing_path().cloned(),
                    self.remote.listing_path().cloned(),
                ) else {
                    return;
                };
                self.notice = Some(format!(
                    "Synchronized browsing (remembered for this site): {} and {} open together",
                    l.display(),
                    r.display()
                ));
                self.sync_browse.start(l, r);
            }
        }
        let text = self.sync_browse.missing_text();
        let missing_side = self.sync_browse.missing.as_ref().map(|m| m.path.side());
        let creating = !self.sync_browse.creating.is_empty();
        for side in [Side::Local, Side::Remote] {
            let offer = match (&text, missing_side) {
                (Some(text), Some(s)) if s == side => Some(StatusOffer {
                    text: if creating {
                        format!("{text}: creating…")
                    } else {
                        text.clone()
                    },
                    button: "Create folder",
                }),
                _ => None,
            };
            let pane = self.pane_mut(side);
            if pane.offer != offer {
                pane.offer = offer;
            }
        }
    }

    /// The status line's Create folder: make the missing folder (each
    /// missing level below the folder the pane shows), then open it.
    pub(super) fn create_missing_folder(&mut self, side: Side) {
        let Some(missing) = self.sync_browse.missing.clone() else {
            return;
        };
        if missing.path.side() != side || !self.sync_browse.creating.is_empty() {
            return;
        }
        let levels = sync_browse::levels_to_create(self.pane(side).listing_path(), &missing.path);
        let Some(first) = levels.first().cloned() else {
            return;
        };
        self.sync_browse.creating = levels;
        self.sync_browse.create_target = Some(missing.path);
        self.send(Command::MakeDir { path: first });
    }

    /// Engine events synchronized browsing follows. True when the event is
    /// fully handled here (the app's usual handling must not run).
    pub(super) fn sync_browse_event(&mut self, event: &Event) -> bool {
        match event {
            Event::Listing { path, .. } => {
                if let Some(armed) = self.sync_browse.armed.as_mut()
                    && path.side() == Side::Remote
                {
                    armed.remote_listed = true;
                }
                let pending = self.sync_browse.pending.take_if(|(p, _)| p == path);
                if let Some((_, target)) = pending {
                    self.follow(target);
                }
                if self.sync_browse.following.as_ref() == Some(path) {
                    self.sync_browse.following = None;
                    self.sync_browse.missing = None;
                }
                false
            }
            Event::ListingFailed { path, message, .. } => {
                if self
                    .sync_browse
                    .pending
                    .as_ref()
                    .is_some_and(|(p, _)| p == path)
                {
                    // The user's own folder failed: its pane says why; the
                    // other one stays where it is.
                    self.sync_browse.pending = None;
                    return false;
                }
                if self.sync_browse.following.as_ref() != Some(path) {
                    return false;
                }
                self.sync_browse.following = None;
                self.sync_browse.missing = Some(Missing {
                    path: path.clone(),
                    reason: Some(message.clone()),
                });
                // The pane goes back to the folder it still has rows of.
                let side = path.side();
                match self.pane(side).listing_path().cloned() {
                    Some(back) => self.navigate(back),
                    None => self.pane_mut(side).set_error(Some(message.clone())),
                }
                true
            }
            Event::OperationDone { side, what, .. } => {
                let Some(made) = self.sync_browse.creating.first() else {
                    return false;
                };
                if made.side() != *side {
                    return false;
                }
                self.sync_browse.creating.remove(0);
                self.notice = Some(what.clone());
                if let Some(next) = self.sync_browse.creating.first().cloned() {
                    self.send(Command::MakeDir { path: next });
                } else if let Some(target) = self.sync_browse.create_target.take() {
                    self.sync_browse.missing = None;
                    self.sync_browse.following = Some(target.clone());
                    self.navigate(target);
                }
                true
            }
            Event::QueueIdle { .. } => {
                // A sync's Run waits for its transfers to save the sync state.
                let ctx = self.ctx.clone();
                self.sync.queue_idle(&ctx);
                false
            }
            Event::OperationFailed { side, .. } => {
                if self.sync_browse.creating.first().map(AnyPath::side) == Some(*side) {
                    self.sync_browse.creating.clear();
                    self.sync_browse.create_target = None;
                }
                false
            }
            _ => false,
        }
    }

    /// Open `target` in its pane to follow the other one, unless that
    /// pane's listing already shows that the folder is not there.
    fn follow(&mut self, target: AnyPath) {
        let side = target.side();
        let pane = self.pane(side);
        if pane.path() == Some(&target) && !pane.is_loading() {
            return;
        }
        let name = target.file_name();
        // A listing without hidden files cannot say a dot folder is missing.
        let known_missing = !pane.is_loading()
            && !name.starts_with(b".")
            && target.parent().as_ref() == pane.listing_path()
            && !pane
                .entries()
                .iter()
                .any(|e| *e.name == *name && e.opens_as_dir());
        if known_missing {
            self.sync_browse.missing = Some(Missing {
                path: target,
                reason: None,
            });
            return;
        }
        self.sync_browse.following = Some(target.clone());
        self.navigate(target);
    }
}
