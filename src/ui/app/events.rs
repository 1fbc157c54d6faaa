//! The app's side of the engine contract: applying each engine event to the
//! window's state, and what follows from it (re-listing folders transfers
//! changed).

use super::*;

impl FerryApp {
    /// Apply every event the engine sent since the last frame.
    pub fn drain_events(&mut self) {
        let mut count = 0usize;
        while let Ok(event) = self.engine.events.try_recv() {
            count += 1;
            if tracing::enabled!(target: "ferry::frames", tracing::Level::TRACE) {
                tracing::trace!(target: "ferry::frames", "event {}", event_kind(&event));
            }
            self.apply(event);
        }
        tracing::trace!(target: "ferry::frames", count, "events drained");
    }

    pub(super) fn apply(&mut self, event: Event) {
        if self.sync_browse_event(&event) {
            return;
        }
        match event {
            Event::Log(line) => self.log.push(line),
            Event::Edit(event) => self.edits.apply(event),
            Event::Chmod(event) => {
                if let Some(folder) = self.permissions.apply(event)
                    && self.pane(folder.side()).path() == Some(&folder)
                {
                    self.navigate(folder);
                }
            }
            Event::Busy { side, what, since } => {
                *self.busy.get_mut(side) = what.map(|w| (w, since));
            }
            Event::Connecting { host } => self.connection = Connection::Connecting { host },
            Event::Connected {
                host, certificate, ..
            } => {
                self.connection = Connection::Connected { host };
                // Only a TLS session has the server's certificate.
                self.encrypted = certificate.is_some();
                self.banner = None;
                self.remote.set_stale(false);
                let mut form = self.quick.form.clone();
                form.password.clear();
                self.state.last_form = form;
                if let Some(id) = self.connected_site.clone() {
                    self.state.recent_sites.retain(|r| *r != id);
                    self.state.recent_sites.insert(0, id);
                    self.state.recent_sites.truncate(RECENT_SITES);
                }
            }
            Event::ConnectFailed { message, login } => {
                self.connection = Connection::Disconnected;
                self.banner = Some(Banner {
                    message: format!("Could not connect: {message}"),
                    actions: vec![
                        // A refused login is not retried with the same password.
                        if login {
                            BannerAction::EnterPassword
                        } else {
                            BannerAction::Retry
                        },
                        BannerAction::OpenLog,
                        BannerAction::Dismiss,
                    ],
                });
            }
            Event::CertificateUntrusted {
                certificate,
                reason,
                options,
                initial_path,
            } => {
                self.connection = Connection::Disconnected;
                self.cert_asked_here();
                let previous = self.trusted_before(&options, &certificate);
                self.cert_prompt = Some(CertPrompt {
                    certificate,
                    reason,
                    options,
                    initial_path,
                    previous,
                });
            }
            Event::Disconnected { reason } => {
                let host = match &self.connection {
                    Connection::Connected { host } | Connection::Connecting { host } => {
                        host.clone()
                    }
                    _ => String::new(),
                };
                match reason {
                    Some(reason) => {
                        self.remote.set_stale(true);
                        self.banner = Some(Banner {
                            message: format!("Connection lost: {reason}"),
                            actions: vec![
                                BannerAction::Reconnect,
                                BannerAction::OpenLog,
                                BannerAction::Dismiss,
                            ],
                        });
                        self.connection = Connection::Lost { host, reason };
                    }
                    None => {
                        self.connection = Connection::Disconnected;
                        self.remote.set_stale(true);
                    }
                }
            }
            Event::Listing { path, entries } => {
                let side = path.side();
                let pane = self.pane_mut(side);
                // Only the folder the pane is showing (a late answer for a
                // folder the user already left is dropped).
                if pane.path().is_none_or(|p| *p == path) {
                    pane.set_error(None);
                    pane.set_listing(path.clone(), entries);
                    if let AnyPath::Local(p) = path {
                        self.state.local_path = Some(p);
                    }
                } else {
                    // The folder tree may have asked for it.
                    pane.tree_listing(&path, &entries);
                }
            }
            Event::ListingProgress { path, entries } => {
                self.pane_mut(path.side()).listing_progress(&path, entries);
            }
            Event::ListingCancelled { path } => {
                let pane = self.pane_mut(path.side());
                // A folder the tree asked for stops waiting too.
                pane.tree_listing_failed(&path, "listing cancelled");
                if pane.path() == Some(&path) {
                    pane.cancel_loading();
                }
            }
            Event::ListingFailed {
                path,
                message,
                data_mode,
            } => {
                let side = path.side();
                // A folder only the tree asked for: it shows the error itself.
                if self.pane_mut(side).tree_listing_failed(&path, &message)
                    && self.pane(side).path() != Some(&path)
                {
                    return;
                }
                self.pane_mut(side).set_error(Some(message.clone()));
                if side == Side::Remote {
                    let mut actions = vec![BannerAction::Retry];
                    if let Some(mode) = data_mode {
                        actions.push(BannerAction::SwitchMode(mode.other()));
                    }
                    actions.extend([BannerAction::OpenLog, BannerAction::Dismiss]);
                    self.banner = Some(Banner {
                        message: format!("Could not list {}: {message}", path.display()),
                        actions,
                    });
                }
            }
            Event::OperationDone {
                side,
                what,
                refresh,
            } => {
                self.delete_progress = None;
                self.notice = Some(what);
                if self.pane(side).path() == Some(&refresh) {
                    self.navigate(refresh);
                } else {
                    self.refresh(side);
                }
            }
            Event::OperationFailed { side, message } => {
                self.delete_progress = None;
                self.banner = Some(Banner {
                    message: match side {
                        Side::Local => format!("On this computer: {message}"),
                        Side::Remote => format!("On the server: {message}"),
                    },
                    actions: vec![BannerAction::OpenLog, BannerAction::Dismiss],
                });
                self.refresh(side);
            }
            Event::DeleteProgress { done, total, .. } => self.delete_progress = Some((done, total)),
            Event::JobsChanged(views) => {
                self.track_uploads(&views);
                let now = self.now;
                for target in self.queue.update(now, views) {
                    self.refresh_parent(target);
                }
            }
            Event::JobsRemoved(ids) => {
                self.forget_uploads(&ids);
                for folder in self.queue.remove(&ids) {
                    self.refresh_parent(folder);
                }
            }
            Event::JobsProgress(progress) => {
                let now = self.now;
                self.queue.progress(now, &progress);
            }
            Event::QueueOrder(order) => self.queue.set_order(order),
            Event::JobLimits { ids, limit } => self.queue.set_job_limits(&ids, limit),
            Event::JobConflict(conflict) => self.queue.conflicts.push_back(*conflict),
            Event::QueuePaused(paused) => self.queue.paused = paused,
            Event::QueueIdle {
                done,
                skipped,
                failed,
            } => {
                let mut text = format!("Transfers finished: {done} done");
                if skipped > 0 {
                    text.push_str(&format!(", {skipped} skipped"));
                }
                if failed > 0 {
                    text.push_str(&format!(", {failed} failed (see the Failed tab)"));
                }
                self.notice = Some(text);
            }
            Event::TestStep { id, step } => {
                if let Some((test, _)) = self.test.as_mut().filter(|(t, _)| t.id == id) {
                    test.steps.push(step);
                }
            }
            Event::TestDone { id, report } => {
                if let Some((test, _)) = self.test.as_mut().filter(|(t, _)| t.id == id) {
                    test.report = Some(report);
                }
            }
            Event::DataModeSwitched {
                server,
                mode,
                notice,
            } => {
                // The status line says it until something else happens; the
                // log has the details.
                self.notice = Some(notice);
                // A transfer connection found the working mode: browsing and
                // the queue's next connections use it too.
                let ours = self
                    .last_request
                    .as_mut()
                    .map(|r| &mut r.options)
                    .filter(|o| o.auto_fallback && o.user_at() == server);
                if let Some(options) = ours
                    && matches!(self.connection, Connection::Connected { .. })
                {
                    // Retry and Reconnect start in the mode that works too,
                    // and so does the saved site this connection came from.
                    options.mode = mode;
                    self.send(Command::SetDataMode(mode));
                    self.remember_working_mode(mode);
                }
            }
            Event::Tab { tab, event } => self.apply_for_tab(tab, *event),
            Event::QueueNotice(message) => {
                self.banner = Some(Banner {
                    message: format!("Transfers: {message}"),
                    actions: vec![BannerAction::OpenLog, BannerAction::Dismiss],
                });
            }
        }
    }

    /// Note that `target`'s folder changed (refreshed soon, if it is shown).
    pub(super) fn refresh_parent(&mut self, target: AnyPath) {
        if let Some(folder) = target.parent() {
            let side = folder.side();
            // The local pane sees its folder's changes by itself (no re-listing).
            if self.local.watches(&folder) {
                return;
            }
            *self.refresh_due.get_mut(side) = Some(folder);
        }
    }

    /// Re-list the folders that received finished transfers, at most twice a
    /// second, and a remote folder only once no upload into it is pending.
    pub(super) fn refresh_after_transfers(&mut self, ctx: &egui::Context) {
        // A folder no pane shows needs no re-listing (it is listed afresh
        // when opened), and no frame to find that out.
        for side in [Side::Local, Side::Remote] {
            let shown = self.pane(side).path();
            if self.refresh_due.get(side).as_ref() != shown {
                *self.refresh_due.get_mut(side) = None;
            }
        }
        if self.refresh_due.is_empty() {
            return;
        }
        let now = ctx.input(|i| i.time);
        let wait = 0.5 - (now - self.last_transfer_refresh);
        if wait > 0.0 {
            ctx.request_repaint_after(Duration::from_secs_f64(wait));
            return;
        }
        self.last_transfer_refresh = now;
        let due = std::mem::take(&mut self.refresh_due);
        for folder in [due.local, due.remote].into_iter().flatten() {
            let side = folder.side();
            // Uploads still going there show as each lands (uploads.rs):
            // list it once they are all done.
            if self.pending_uploads.go_into(&folder) {
                *self.refresh_due.get_mut(side) = Some(folder);
                continue;
            }
            if self.pane(side).path() == Some(&folder) && !self.pane(side).is_loading() {
                self.navigate(folder);
            }
        }
    }
}

/// The event's variant name, for frame tracing.
fn event_kind(event: &Event) -> String {
    let text = format!("{event:?}");
    let end = text
        .find(|c: char| !c.is_alphanumeric())
        .unwrap_or(text.len());
    match event {
        Event::Tab { event, .. } => format!("Tab({})", event_kind(event)),
        _ => text[..end].to_string(),
    }
}
