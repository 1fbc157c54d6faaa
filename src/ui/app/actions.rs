//! Running what the user asked for: actions from the menu, the toolbar and
//! the keyboard, the panes' requests, the banner's buttons, queueing
//! transfers.

use super::*;

impl FerryApp {
    /// Queue a transfer of `sources` into `target_dir` (the other side).
    pub(super) fn enqueue(&mut self, sources: Vec<PathItem>, target_dir: AnyPath) {
        if sources.is_empty() {
            return;
        }
        if !matches!(self.connection, Connection::Connected { .. }) {
            self.notice = Some("Connect to a server first".into());
            return;
        }
        let direction = match target_dir.side() {
            Side::Local => Direction::Download,
            Side::Remote => Direction::Upload,
        };
        if sources
            .iter()
            .any(|item| item.path.side() == target_dir.side())
        {
            return;
        }
        self.state.show_log = true;
        self.state.bottom_tab = BottomTab::Queue;
        self.send(Command::Enqueue {
            direction,
            sources,
            target_dir,
            on_existing: None,
        });
    }

    /// Run an action from the table on the active pane (or the app).
    pub fn run_action(&mut self, action: Action, ctx: &egui::Context) {
        let side = self.active;
        match action {
            Action::Connect => {
                let password = std::mem::take(&mut self.dialog.form.password);
                self.dialog.form = self.quick.form.clone();
                if self.dialog.form.password.is_empty() {
                    self.dialog.form.password = password;
                }
                self.dialog.open = true;
            }
            Action::Disconnect => self.send(Command::Disconnect),
            // Back where the user was, as the banner's Reconnect does.
            Action::Reconnect => self.reconnect_tab(),
            Action::NewTab => self.new_tab(),
            Action::CloseTab => self.close_tab(self.active_tab()),
            Action::NextTab => self.cycle_tab(true),
            Action::PreviousTab => self.cycle_tab(false),
            Action::CancelAll => self.send(Command::CancelJobs { ids: Vec::new() }),
            Action::ToggleQueue => self.send(Command::PauseQueue {
                paused: !self.queue.paused,
            }),
            Action::Quit => ctx.send_viewport_cmd(egui::ViewportCommand::Close),
            Action::ToggleLog => self.state.show_log = !self.state.show_log,
            Action::ToggleHidden => self.set_show_hidden(!self.state.show_hidden),
            Action::ToggleFolderTrees => {
                let on = !self.state.local_pane.folder_tree;
                self.state.local_pane.folder_tree = on;
                self.state.remote_pane.folder_tree = on;
            }
            Action::Preferences => self.open_preferences(),
            Action::CompareFolders => {
                self.sync.filters = [Side::Local, Side::Remote]
                    .into_iter()
                    .map(|side| self.preferences.filters.for_side(side))
                    .filter(|f| !f.is_empty())
                    .map(std::sync::Arc::new)
                    .collect();
                self.sync.toggle();
            }
            Action::SyncBrowse => self.toggle_sync_browse(),
            Action::Refresh => self.refresh(side),
            Action::GoUp => {
                if let Some(parent) = self.pane(side).path().and_then(AnyPath::parent) {
                    self.browse(parent);
                }
            }
            // The transfer list, when it was clicked last and is on screen.
            Action::SelectAll
                if self.queue.focused
                    && self.state.show_log
                    && self.state.bottom_tab == BottomTab::Queue =>
            {
                self.queue.select_all()
            }
            Action::SelectAll => self.pane_mut(side).select_all(),
            Action::Open => {
                let selected: Vec<_> = self.pane(side).selected().into_iter().cloned().collect();
                let base = self.pane(side).listing_path().cloned();
                match (selected.as_slice(), base) {
                    // The pane cannot see Enter (shortcuts are the app's): ".." goes up.
                    ([], Some(_)) if self.pane(side).cursor_on_parent() => {
                        self.run_action(Action::GoUp, ctx)
                    }
                    ([one], Some(base)) if one.opens_as_dir() => self.browse(base.join(&one.name)),
                    ([_, ..], Some(_)) => self.run_action(Action::Transfer, ctx),
                    _ => {}
                }
            }
            Action::NewFolder => {
                if self.pane(side).path().is_some() {
                    self.modal = Some(Modal::NewFolder {
                        side,
                        name: String::new(),
                    });
                }
            }
            Action::Rename => self.pane_mut(side).start_rename(),
            Action::Delete => {
                let paths = self.selected_paths(side);
                if !paths.is_empty() {
                    self.modal = Some(Modal::ConfirmDelete { side, paths });
                }
            }
            Action::CopyPath => {
                let text: Vec<String> = self
                    .selected_paths(side)
                    .into_iter()
                    .map(|item| self.path_for_clipboard(&item.path))
                    .collect();
                if !text.is_empty() {
                    ctx.copy_text(text.join("\n"));
                    self.notice = Some(format!(
                        "Copied {}",
                        crate::ui::format::count(text.len() as u64, "path", "paths")
                    ));
                }
            }
            Action::Transfer => {
                let sources = self.selected_paths(side);
                let other = match side {
                    Side::Local => Side::Remote,
                    Side::Remote => Side::Local,
                };
                if let Some(target_dir) = self.pane(other).path().cloned() {
                    self.enqueue(sources, target_dir);
                }
            }
            Action::DownloadTo => {
                let sources = self.selected_paths(Side::Remote);
                if sources.is_empty() {
                    return;
                }
                // The native dialog blocks: it runs on a thread of its own.
                let start = self.local.path().map(|p| PathBuf::from(p.display()));
                let picker = self.folder_picker.clone();
                let job = Job::spawn("ferry-folder-picker", ctx, move || {
                    picker
                        .pick("Download to…", start)
                        .map(|folder| (sources, folder))
                });
                match job {
                    Ok(job) => self.picked_folder = job,
                    Err(e) => self.notice = Some(format!("Could not open the folder picker: {e}")),
                }
            }
            Action::ShowQueue => {
                self.state.show_log = true;
                self.state.bottom_tab = BottomTab::Queue;
            }
            Action::SiteManager => self.open_site_manager(None),
            Action::SaveAsSite => {
                let mut form = self.quick.form.clone();
                if form.user.trim().is_empty() {
                    form.logon = LogonType::Anonymous;
                }
                self.save_as_site(form);
            }
            Action::ViewFile | Action::EditFile | Action::OpenWith => {
                let selected = self.selected_paths(side);
                let editor = &self.preferences.editing.editor;
                match self.edits.start(action, side, selected, editor) {
                    Ok(Some(command)) => self.send(command),
                    Ok(None) => {}
                    Err(why) => self.notice = Some(why),
                }
            }
            Action::FilesBeingEdited => self.edits.open = true,
            Action::Filters => self.open_filters(),
            Action::Permissions => {
                let base = self.pane(side).listing_path().cloned();
                let entries = self.pane(side).selected().into_iter().cloned().collect();
                let server = self.last_request.as_ref().map(|r| r.options.addr_text());
                if let Err(why) = self.permissions.open_for(side, base, entries, server) {
                    self.notice = Some(why);
                }
            }
            Action::FindFiles => self.open_find(side),
            Action::AddBookmark => self.start_add_bookmark(),
            Action::ManageBookmarks => self.open_manage_bookmarks(),
            Action::ImportSites => self.import_sites(None, ctx),
            Action::ExportSites => self.export_sites(None, ctx),
        }
    }

    pub(super) fn selected_paths(&self, side: Side) -> Vec<PathItem> {
        self.pane(side).selected_paths()
    }

    pub(super) fn path_for_clipboard(&self, path: &AnyPath) -> String {
        match (path, &self.last_request) {
            (AnyPath::Remote(p), Some(r)) => crate::ftp::url::FtpUrl::of(&r.options, p).encoded(),
            _ => path.display(),
        }
    }

    pub(super) fn apply_pane_action(
        &mut self,
        side: Side,
        action: PaneAction,
        ctx: &egui::Context,
    ) {
        match action {
            PaneAction::Focus => self.active = side,
            PaneAction::List(path) => self.send(Command::List {
                path,
                show_hidden: self.state.show_hidden,
            }),
            // Either side stops reading the folder.
            PaneAction::CancelListing => self.send(match side {
                Side::Remote => Command::CancelListing,
                Side::Local => Command::CancelLocalListing,
            }),
            PaneAction::Navigate(p) => {
                self.active = side;
                self.browse(p);
            }
            PaneAction::AcceptOffer => self.create_missing_folder(side),
            PaneAction::Run(action) => {
                self.active = side;
                self.run_action(action, ctx);
            }
            PaneAction::Dropped { drag, folder } => {
                self.active = side;
                if drag.side == side {
                    let paths: Vec<_> = drag
                        .paths
                        .into_iter()
                        .filter(|item| item.path.parent().as_ref() != Some(&folder))
                        .collect();
                    if !paths.is_empty() {
                        self.modal = Some(Modal::ConfirmMove { paths, folder });
                    }
                } else {
                    self.enqueue(drag.paths, folder);
                }
            }
            PaneAction::Rename { from, to } => {
                let Some(base) = self.pane(side).path().cloned() else {
                    return;
                };
                let to = match self.name_bytes(side, &to) {
                    Ok(to) => to,
                    Err(why) => {
                        self.notice = Some(format!("Not renamed: {why}"));
                        return;
                    }
                };
                if to.is_empty() || to.contains(&b'/') || to == from {
                    return;
                }
                self.send(Command::Rename {
                    from: base.join(&from),
                    to: base.join(&to),
                });
            }
        }
    }

    pub(super) fn apply_banner_action(&mut self, action: BannerAction) {
        match action {
            BannerAction::Dismiss => self.banner = None,
            BannerAction::OpenLog => {
                self.state.show_log = true;
                self.state.bottom_tab = BottomTab::Log;
            }
            BannerAction::EnterPassword => {
                self.banner = None;
                let site = self
                    .connected_site
                    .as_ref()
                    .and_then(|id| self.sites.get(id))
                    .cloned();
                match site {
                    Some(site) => {
                        self.modal = Some(Modal::AskPassword {
                            site: Box::new(site),
                            password: String::new(),
                            note: Some("The server refused the password.".into()),
                            remember: false,
                            test: false,
                        });
                    }
                    // A quick connection: the dialog, filled in as it was,
                    // without the refused password.
                    None => {
                        self.dialog.form = self.quick.form.clone();
                        self.dialog.form.password.clear();
                        self.dialog.open = true;
                    }
                }
            }
            BannerAction::Retry | BannerAction::Reconnect => {
                self.banner = None;
                if matches!(self.connection, Connection::Connected { .. }) {
                    self.refresh(Side::Remote);
                } else {
                    self.reconnect_tab();
                }
            }
            BannerAction::SwitchMode(mode) => {
                self.banner = None;
                self.send(Command::SetDataMode(mode));
                if let Some(r) = self.last_request.as_mut() {
                    r.options.mode = mode;
                }
                self.quick.form.mode = match mode {
                    DataMode::Passive => ConnectionMode::Passive,
                    DataMode::Active => ConnectionMode::Active,
                };
                self.refresh(Side::Remote);
            }
        }
    }

    /// The keyboard shortcuts pressed this frame, as actions.
    pub(super) fn shortcuts(&self, ctx: &egui::Context) -> Vec<Intent> {
        // While a text field has focus, its keys are its own (Delete,
        // Backspace, Enter, Ctrl+A select text); only app-wide Ctrl/Cmd
        // shortcuts (connect, quit, hidden files, log) still work.
        let typing = ctx.text_edit_focused();
        let mut fired = Vec::new();
        ctx.input_mut(|i| {
            for info in ACTIONS {
                let Some(shortcut) = info.shortcut else {
                    continue;
                };
                if typing && (shortcut.modifiers.is_none() || info.scope == Scope::Pane) {
                    continue;
                }
                if i.consume_shortcut(&shortcut) {
                    fired.push(Intent::Action(info.action));
                }
            }
        });
        fired
    }

    /// A name the user typed, as bytes for `side`: a remote name in the
    /// server's charset (fails when the charset cannot hold it).
    pub(super) fn name_bytes(&self, side: Side, name: &str) -> Result<Vec<u8>, String> {
        match (side, &self.last_request) {
            (Side::Remote, Some(r)) => r.options.charset.encode(name),
            _ => Ok(name.as_bytes().to_vec()),
        }
    }
}
