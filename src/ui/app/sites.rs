//! The app's saved-sites side: loading the sites and trust files, the Site
//! Manager's events, connecting to (or testing) a site, passwords through the
//! keyring thread, trusted certificates, import and export.

use super::tabs::SiteTab;
use super::*;

/// Saved sites: loading, the Site Manager, connecting to a site, passwords,
/// trusted certificates, import and export.
impl FerryApp {
    /// Start loading the sites and trust files on a thread of its own (the
    /// sites file may hold a password to move into the keyring, and a dead
    /// disk must not freeze the window), and start the keyring thread.
    /// Until [`Self::sites_loaded`] the saved sites are unavailable.
    pub(super) fn load_sites(&mut self, config: SitesConfig, ctx: &egui::Context) {
        let mut problems = Vec::new();
        let keyring = match KeyringWorker::start(config.secrets.clone(), ctx) {
            Ok(worker) => {
                worker.send(KeyringJob::Status);
                Some(worker)
            }
            Err(e) => {
                problems.push(format!("passwords cannot be remembered: {e}"));
                None
            }
        };
        let dir = config.dir.clone();
        let secrets = config.secrets.clone();
        let old_trusted = self.state.trusted_certificates.clone();
        let loading = Job::spawn("ferry-sites-load", ctx, move || {
            Some(load_saved_sites(&dir, &*secrets, old_trusted, problems))
        });
        let (loading, unavailable) = match loading {
            Ok(job) => (job, "they are still being read".to_string()),
            Err(e) => (Job::default(), format!("they could not be read: {e}")),
        };
        self.saved = Some(SavedSites {
            loading,
            writer: None,
            saving: 0,
            unavailable: Some(unavailable),
            trust: None,
            trust_writer: None,
            secrets: config.secrets,
            keyring,
        });
    }

    /// "Always trust": remember the certificate in memory at once, and write
    /// the trust file on its thread (it syncs to disk). False when there is
    /// no trust file to write to.
    pub(super) fn trust_for_good(&mut self, addr: String, fp: [u8; 32]) -> bool {
        let Some(writer) = self.saved.as_ref().and_then(|s| s.trust_writer.as_ref()) else {
            return false;
        };
        writer.send((addr, fp))
    }

    /// Answers from the trust file's thread: the trust store as now on disk,
    /// or why the certificate could not be remembered.
    pub(super) fn trust_written(&mut self) {
        let answers = self
            .saved
            .as_ref()
            .and_then(|s| s.trust_writer.as_ref())
            .map(Worker::answers)
            .unwrap_or_default();
        for answer in answers {
            match answer {
                Ok(trust) => {
                    if let Some(saved) = self.saved.as_mut() {
                        saved.trust = Some(trust);
                    }
                }
                Err(e) => {
                    self.banner = Some(Banner {
                        message: format!(
                            "The certificate is trusted for this connection only: {e}"
                        ),
                        actions: vec![BannerAction::Dismiss],
                    });
                }
            }
        }
    }

    /// Whether the sites and trust files are still being read.
    pub fn sites_loading(&self) -> bool {
        self.saved.as_ref().is_some_and(|s| s.loading.is_running())
    }

    /// The sites and trust files were read: take what they hold, start the
    /// threads that write them, and show any problem once in the banner.
    pub(super) fn sites_loaded(&mut self, loaded: LoadedSites, ctx: &egui::Context) {
        let LoadedSites {
            sites,
            store,
            trust,
            migrated,
            mut problems,
        } = loaded;
        let Some(saved) = self.saved.as_mut() else {
            return;
        };
        self.sites = sites;
        if migrated {
            self.state.trusted_certificates.clear();
        }
        saved.unavailable = None;
        match store.map(|store| SitesWriter::start(store, ctx)) {
            Ok(Ok(writer)) => saved.writer = Some(writer),
            Ok(Err(e)) => {
                let why = format!("the sites cannot be saved: {e}");
                problems.push(why.clone());
                saved.unavailable = Some(why);
            }
            // Unreadable (permissions, I/O): saving would overwrite what could not be read.
            Err(why) => saved.unavailable = Some(why),
        }
        if let Some(trust) = &trust {
            let mut writer_copy = trust.clone();
            let writer = Worker::start(
                "ferry-trust-writer",
                ctx,
                move |(addr, fp): (String, [u8; 32])| {
                    // Trusting saves the file at once (atomically, with fsync).
                    let result = writer_copy
                        .trust(&addr, &fp)
                        .map(|()| writer_copy.clone())
                        .map_err(|e| e.to_string());
                    Some(result)
                },
            );
            match writer {
                Ok(w) => saved.trust_writer = Some(w),
                Err(e) => problems.push(format!("certificates cannot be trusted for good: {e}")),
            }
        }
        saved.trust = trust;
        if !problems.is_empty() {
            self.banner = Some(Banner {
                message: format!("Saved sites: {}", problems.join("; ")),
                actions: vec![BannerAction::Dismiss],
            });
        }
        self.load_proxy_passwords();
    }

    /// Why the saved sites cannot be changed, if they cannot.
    pub(super) fn sites_unavailable(&self) -> Option<String> {
        match &self.saved {
            None => Some("Ferry runs without a config folder".into()),
            Some(s) => s.unavailable.clone(),
        }
    }

    /// Say once per run that passwords cannot be remembered here.
    pub(super) fn keyring_notice(&mut self) {
        if let Some(KeyringStatus::Unavailable { reason }) = &self.keyring_status
            && !self.keyring_notice_given
        {
            self.keyring_notice_given = true;
            tracing::info!("passwords cannot be remembered: {reason}");
            self.notice = Some(site_manager::KEYRING_UNAVAILABLE.to_string());
        }
    }

    /// Open the Site Manager on the saved sites, selecting `select`.
    pub fn open_site_manager(&mut self, select: Option<&str>) {
        if let Some(why) = self.sites_unavailable() {
            self.banner = Some(Banner {
                message: format!("Saved sites are unavailable: {why}"),
                actions: vec![BannerAction::Dismiss],
            });
            return;
        }
        let select = select.map(str::to_string).or(self.connected_site.clone());
        self.site_manager.open_with(&self.sites, select.as_deref());
        self.keyring_notice();
    }

    /// Open a connection form as a new site in the Site Manager ("Save as site").
    pub fn save_as_site(&mut self, form: ConnectForm) {
        if let Some(why) = self.sites_unavailable() {
            self.banner = Some(Banner {
                message: format!("Saved sites are unavailable: {why}"),
                actions: vec![BannerAction::Dismiss],
            });
            return;
        }
        let remember = self
            .keyring_status
            .as_ref()
            .is_some_and(KeyringStatus::is_available);
        self.site_manager.open_new(&self.sites, &form, remember);
        self.keyring_notice();
    }

    /// Connect to a saved site: the password typed in the Site Manager, else
    /// the remembered one (read on the keyring thread), else ask.
    pub fn connect_site(&mut self, site: Site, password: Option<String>) {
        self.site_asked_here(&site.id);
        self.site_with_password(site, password, false);
    }

    /// Run the connection test against `site` as edited (saved or not),
    /// with the password typed, remembered, or asked for.
    pub fn test_site(&mut self, site: Site, password: Option<String>) {
        self.site_with_password(site, password, true);
    }

    /// Find `site`'s password (given, in the keyring, or asked for), then
    /// connect to it or test it.
    pub(super) fn site_with_password(&mut self, site: Site, password: Option<String>, test: bool) {
        if !site.needs_password() {
            return self.site_ready(site, String::new(), test);
        }
        if let Some(p) = password {
            return self.site_ready(site, p, test);
        }
        let available = self
            .keyring_status
            .as_ref()
            .is_none_or(KeyringStatus::is_available);
        let worker = self.saved.as_ref().and_then(|s| s.keyring.as_ref());
        if site.logon == LogonType::Normal
            && site.remember_password
            && available
            && let Some(worker) = worker
        {
            self.notice = Some(format!("Reading the password for {}…", site.name));
            if worker.send(KeyringJob::GetForConnect {
                site: Box::new(site.clone()),
                test,
            }) {
                return;
            }
        }
        let note = (site.remember_password && !available)
            .then(|| "No keyring service: the password could not be remembered.".to_string());
        self.keyring_notice();
        self.modal = Some(Modal::AskPassword {
            site: Box::new(site),
            password: String::new(),
            note,
            remember: false,
            test,
        });
    }

    pub(super) fn site_ready(&mut self, site: Site, password: String, test: bool) {
        if test {
            let request = ConnectRequest {
                options: site.connect_options(&password),
                initial_path: site_remote_folder(&site),
                show_hidden: site.show_hidden,
                proxy: site.proxy.clone(),
            };
            let mode = site.mode.fixed();
            self.start_test(request, mode, TestOrigin::Site(site.id));
        } else {
            self.start_site(site, password);
        }
    }

    /// "Remember password" in the password prompt: into the keyring, and the
    /// site marked as remembering it.
    pub(super) fn remember_password(&mut self, site_id: &str, password: &str) {
        self.site_manager
            .update_saved_site(site_id, |s| s.remember_password = true);
        let id = site_id.to_string();
        let change = move |sites: &mut SiteList| {
            if let Some(site) = sites.get_mut(&id) {
                site.remember_password = true;
            }
        };
        let job = WriteJob::Update {
            change: Box::new(change),
            then: AfterSave::Keyring(KeyringJob::Set {
                site_id: site_id.to_string(),
                password: password.to_string(),
            }),
        };
        if let Err(e) = self.write_sites(job) {
            self.notice = Some(format!("The password was not remembered: {e}"));
        }
    }

    /// Connect to `site` with `password`, opening its default folders.
    pub(super) fn start_site(&mut self, site: Site, password: String) {
        match self.site_tab(&site.id) {
            SiteTab::Active => self.start_site_here(site, password),
            SiteTab::Other(tab) => {
                self.with_tab(tab, |app| app.start_site_here(site, password));
            }
            SiteTab::Closed => {}
        }
    }

    /// [`FerryApp::start_site`] in the active tab.
    fn start_site_here(&mut self, site: Site, password: String) {
        let request = ConnectRequest {
            options: site.connect_options(&password),
            initial_path: site_remote_folder(&site),
            show_hidden: site.show_hidden,
            proxy: site.proxy.clone(),
        };
        self.quick.form = ConnectForm::from_site(&site);
        self.notice = None;
        self.connect_with(request, Some(site.id.clone()));
        if let Some(dir) = site.local_folder.clone() {
            // It may be on a dead network mount: looked at on a thread.
            let name = site.name.clone();
            let job = Job::spawn("ferry-site-folder", &self.ctx, move || {
                let exists = dir.is_dir();
                Some((name, dir, exists))
            });
            match job {
                Ok(job) => self.site_folder = job,
                Err(e) => {
                    self.notice = Some(format!("Could not open the site's local folder: {e}"))
                }
            }
        }
    }

    /// Write `sites` as the saved sites (atomically).
    /// Queue a write of the sites file (on the writer thread); `Err` when
    /// the saved sites cannot be changed.
    pub(super) fn write_sites(&mut self, job: WriteJob<AfterSave>) -> Result<(), String> {
        let unavailable = self.sites_unavailable();
        let Some(saved) = self.saved.as_mut() else {
            return Err("Ferry runs without a config folder".into());
        };
        let Some(writer) = saved.writer.as_ref() else {
            return Err(format!(
                "saved sites are unavailable: {}",
                unavailable.unwrap_or_default()
            ));
        };
        if !writer.send(job) {
            return Err("the thread that writes the sites file stopped".into());
        }
        saved.saving += 1;
        Ok(())
    }

    /// Whether a write of the sites file is still under way.
    pub fn is_saving(&self) -> bool {
        self.saved.as_ref().is_some_and(|s| s.saving > 0)
    }

    /// A write finished: take the list now in the file (sites added
    /// elsewhere are shown in the Site Manager too), then do what was asked.
    pub(super) fn sites_written(&mut self, done: WriteDone<AfterSave>) {
        if let Some(saved) = self.saved.as_mut() {
            saved.saving = saved.saving.saturating_sub(1);
        }
        let written = match done.result {
            Ok(list) => list,
            Err(e) => {
                match done.then {
                    AfterSave::Manager { .. } if self.site_manager.open => {
                        // Neither close nor connect over a failed save.
                        self.site_manager.error = Some(format!("Not saved: {e}"));
                    }
                    AfterSave::Manager { .. } => {
                        self.banner = Some(Banner {
                            message: format!("The Site Manager's changes were not saved: {e}"),
                            actions: vec![BannerAction::Dismiss],
                        });
                    }
                    AfterSave::Import { .. } => {
                        self.banner = Some(Banner {
                            message: format!("The imported sites were not saved: {e}"),
                            actions: vec![BannerAction::Dismiss],
                        });
                    }
                    AfterSave::Keyring(_) => {
                        self.notice = Some(format!("The password was not remembered: {e}"));
                    }
                    AfterSave::Nothing => {
                        self.notice = Some(format!("The saved sites were not updated: {e}"));
                    }
                }
                return;
            }
        };
        let new = SiteList {
            sites: written
                .sites
                .iter()
                .filter(|s| self.sites.get(&s.id).is_none())
                .cloned()
                .collect(),
            folders: written
                .folders
                .iter()
                .filter(|f| !self.sites.folders.contains(f))
                .cloned()
                .collect(),
            ..SiteList::default()
        };
        self.sites = written;
        match done.then {
            AfterSave::Nothing => {}
            AfterSave::Manager {
                snapshot,
                passwords,
                follow,
            } => {
                self.site_manager.mark_saved(snapshot);
                if let Some(worker) = self.saved.as_ref().and_then(|s| s.keyring.as_ref()) {
                    for (site_id, change) in passwords {
                        worker.send(match change {
                            PasswordChange::Set(password) => {
                                // A proxy's password is used from now on.
                                if crate::sites::is_proxy_secret_id(&site_id) {
                                    self.proxy_passwords
                                        .insert(site_id.clone(), password.clone());
                                }
                                KeyringJob::Set { site_id, password }
                            }
                            PasswordChange::CopyFrom(from) => {
                                KeyringJob::Copy { from, to: site_id }
                            }
                            PasswordChange::Forget => KeyringJob::Delete { site_id },
                        });
                    }
                }
                match follow {
                    None => {}
                    Some(FollowUp::Close) => self.site_manager.open = false,
                    Some(FollowUp::Connect { site, password }) => {
                        self.site_manager.open = false;
                        // As saved (a site is saved whole, so this is it).
                        let site = self.sites.get(&site.id).cloned().unwrap_or(*site);
                        self.manager_tab();
                        self.connect_site(site, password);
                    }
                }
            }
            AfterSave::Import { from, report } => {
                self.modal = Some(Modal::ImportReport { from, report });
            }
            AfterSave::Keyring(job) => {
                if let Some(worker) = self.saved.as_ref().and_then(|s| s.keyring.as_ref()) {
                    worker.send(job);
                }
            }
        }
        self.site_manager.adopt(&new);
    }

    /// Remember in the connected site's profile the data connection mode that
    /// worked (auto mode starts with it next time), and save. Does nothing
    /// for a connection not made from a saved site.
    pub fn remember_working_mode(&mut self, mode: DataMode) {
        let Some(id) = self.connected_site.clone() else {
            return;
        };
        let mode = ConnectionMode::from(mode);
        if self
            .sites
            .get(&id)
            .is_none_or(|s| s.last_working_mode == Some(mode))
        {
            return;
        }
        self.site_manager
            .update_saved_site(&id, |s| s.last_working_mode = Some(mode));
        let change = move |sites: &mut SiteList| {
            if let Some(site) = sites.get_mut(&id) {
                site.last_working_mode = Some(mode);
            }
        };
        let job = WriteJob::Update {
            change: Box::new(change),
            then: AfterSave::Nothing,
        };
        if let Err(e) = self.write_sites(job) {
            self.notice = Some(format!("Could not remember the working mode: {e}"));
        }
    }

    /// Import FileZilla's sitemanager.xml (`from`, or one the user picks),
    /// on a thread: reading it and moving its passwords into the keyring block.
    pub fn import_sites(&mut self, from: Option<PathBuf>, ctx: &egui::Context) {
        if let Some(why) = self.sites_unavailable() {
            self.notice = Some(format!("Saved sites are unavailable: {why}"));
            return;
        }
        let Some(secrets) = self.saved.as_ref().map(|s| s.secrets.clone()) else {
            return;
        };
        let base = self.sites.clone();
        self.file_job(ctx, move || {
            let from = match from {
                Some(p) => p,
                None => {
                    let mut dialog = rfd::FileDialog::new()
                        .set_title("Import FileZilla sites")
                        .add_filter("FileZilla site list", &["xml"]);
                    // Where FileZilla keeps sitemanager.xml on Linux and the BSDs.
                    if let Some(dir) = home_dir()
                        .map(|h| h.join(".config/filezilla"))
                        .filter(|d| d.is_dir())
                    {
                        dialog = dialog.set_directory(dir);
                    }
                    dialog.pick_file()?
                }
            };
            let mut list = base.clone();
            let result = crate::sites::import_filezilla(&from, &mut list, &*secrets)
                .map(|report| {
                    let added = list.sites.split_off(base.sites.len());
                    let folders = list
                        .folders
                        .into_iter()
                        .filter(|f| !base.folders.contains(f))
                        .collect();
                    (added, folders, report)
                })
                .map_err(|e| e.to_string());
            Some(FileJob::Imported { from, result })
        });
    }

    /// Export the saved sites (no passwords) to `to`, or a file the user picks.
    pub fn export_sites(&mut self, to: Option<PathBuf>, ctx: &egui::Context) {
        let sites = self.sites.sites.clone();
        self.file_job(ctx, move || {
            let to = match to {
                Some(p) => p,
                None => rfd::FileDialog::new()
                    .set_title("Export sites")
                    .set_file_name("ferry-sites.toml")
                    .add_filter("TOML", &["toml"])
                    .save_file()?,
            };
            let result = crate::sites::export(&sites, &to)
                .map(|()| sites.len())
                .map_err(|e| e.to_string());
            Some(FileJob::Exported { to, result })
        });
    }

    pub(super) fn file_job(
        &mut self,
        ctx: &egui::Context,
        job: impl FnOnce() -> Option<FileJob> + Send + 'static,
    ) {
        match Job::spawn("ferry-sites-file", ctx, job) {
            Ok(job) => self.file_jobs = job,
            Err(e) => self.notice = Some(format!("Could not start the import/export: {e}")),
        }
    }

    /// Whether an import or export is still running.
    pub fn file_job_running(&self) -> bool {
        self.file_jobs.is_running()
    }

    /// One frame of the saved-sites side: keyring answers, import/export
    /// results, and the Site Manager; returns what the user did in it.
    pub(super) fn sites_ui(&mut self, ctx: &egui::Context) -> Option<ManagerIntent> {
        if let Some(saved) = self.saved.as_mut() {
            let was_loading = saved.loading.is_running();
            match saved.loading.poll() {
                Some(loaded) => self.sites_loaded(loaded, ctx),
                None if was_loading && !saved.loading.is_running() => {
                    saved.unavailable = Some("reading them stopped unexpectedly".into());
                }
                None => {}
            }
        }
        self.trust_written();
        let replies: Vec<KeyringReply> = self
            .saved
            .as_ref()
            .and_then(|s| s.keyring.as_ref())
            .map(KeyringWorker::replies)
            .unwrap_or_default();
        if let Some(worker) = self.saved.as_ref().and_then(|s| s.keyring.as_ref()) {
            worker.master_prompt_ui(ctx); // The password file's, when it is locked.
        }
        for reply in replies {
            match reply {
                KeyringReply::Status(status) => self.keyring_status = Some(status),
                KeyringReply::Secret { key, secret } => {
                    if let Some(secret) = secret {
                        self.proxy_passwords.entry(key).or_insert(secret);
                    }
                }
                KeyringReply::Failed(message) => {
                    self.banner = Some(Banner {
                        message,
                        actions: vec![BannerAction::Dismiss],
                    });
                }
                KeyringReply::Password {
                    site,
                    password: Some(password),
                    test,
                    ..
                } => self.site_ready(*site, password, test),
                KeyringReply::Password {
                    site,
                    password: None,
                    problem,
                    test,
                } => {
                    self.notice = None;
                    self.modal = Some(Modal::AskPassword {
                        site,
                        password: String::new(),
                        note: Some(problem.map_or_else(
                            || "No password is remembered for this site.".to_string(),
                            |p| format!("The remembered password could not be read: {p}"),
                        )),
                        remember: false,
                        test,
                    });
                }
            }
        }
        if let Some(job) = self.file_jobs.poll() {
            self.file_job_done(job);
        }
        let written: Vec<WriteDone<AfterSave>> = self
            .saved
            .as_ref()
            .and_then(|s| s.writer.as_ref())
            .map(SitesWriter::finished)
            .unwrap_or_default();
        for done in written {
            self.sites_written(done);
        }
        self.site_manager.saving = self.is_saving();
        self.site_manager.show(ctx, self.keyring_status.as_ref())
    }

    pub(super) fn file_job_done(&mut self, job: FileJob) {
        match job {
            FileJob::Exported { to, result } => {
                self.notice = Some(match result {
                    Ok(n) => format!(
                        "Exported {} to {} (without passwords)",
                        crate::ui::format::count(n as u64, "site", "sites"),
                        to.display()
                    ),
                    Err(e) => format!("Export failed: {e}"),
                });
            }
            FileJob::Imported { from, result } => {
                let (added, folders, report) = match result {
                    Ok(r) => r,
                    Err(e) => {
                        self.banner = Some(Banner {
                            message: format!("Import failed: {e}"),
                            actions: vec![BannerAction::Dismiss],
                        });
                        return;
                    }
                };
                // Appended to the sites as they are in the file now (not as
                // they were when the import started), so nothing is lost.
                let change = move |sites: &mut SiteList| {
                    sites.sites.extend(added);
                    for f in folders {
                        if !sites.folders.contains(&f) {
                            sites.folders.push(f);
                        }
                    }
                };
                let job = WriteJob::Update {
                    change: Box::new(change),
                    then: AfterSave::Import { from, report },
                };
                if let Err(e) = self.write_sites(job) {
                    self.banner = Some(Banner {
                        message: format!("The imported sites were not saved: {e}"),
                        actions: vec![BannerAction::Dismiss],
                    });
                }
            }
        }
    }
}

/// What reading the saved sites found (see [`load_saved_sites`]).
pub(super) struct LoadedSites {
    sites: SiteList,
    /// Where to save them; `Err(why)` when the sites file could not be read.
    store: Result<SiteStore, String>,
    trust: Option<TrustStore>,
    /// The certificates trusted in the window state are in the trust file now.
    migrated: bool,
    /// What to tell the user, once.
    problems: Vec<String>,
}

/// Read the sites and trust files in `dir` (leniently: problems are listed,
/// the rest loads), move a password found in the sites file into the
/// keyring, and move `old_trusted` (from the window state) into the trust
/// file. Blocks on the disk and the keyring: runs on a thread of its own.
fn load_saved_sites(
    dir: &std::path::Path,
    secrets: &dyn SecretStore,
    mut old_trusted: BTreeMap<String, String>,
    mut problems: Vec<String>,
) -> LoadedSites {
    let store = SiteStore::at(dir);
    let (sites, store) = match store.load() {
        Ok(mut loaded) => {
            problems.extend(loaded.warnings.iter().map(ToString::to_string));
            if !loaded.plaintext_passwords.is_empty() {
                // A hand-edited password in the file: moved into the keyring
                // and out of the file at once.
                let failed = loaded.move_plaintext_passwords(secrets);
                problems.extend(failed.iter().map(ToString::to_string));
                if let Err(e) = store.save(&loaded.sites) {
                    problems.push(format!("a password is still in the sites file: {e}"));
                }
            }
            tracing::debug!(sites = loaded.sites.sites.len(), "sites loaded");
            (loaded.sites, Ok(store))
        }
        Err(e) => {
            tracing::debug!("sites loaded: unreadable: {e}");
            problems.push(e.to_string());
            (SiteList::default(), Err(e.to_string()))
        }
    };
    let had_old = !old_trusted.is_empty();
    let trust = match TrustStore::load(dir) {
        Ok((mut trust, warnings)) => {
            problems.extend(
                warnings
                    .iter()
                    .map(|w| format!("trusted certificates: {w}")),
            );
            if let Err(e) = migrate_trusted(&mut old_trusted, &mut trust) {
                problems.push(e);
            }
            tracing::debug!("trust loaded");
            Some(trust)
        }
        Err(e) => {
            tracing::debug!("trust loaded: unreadable: {e}");
            problems.push(e.to_string());
            None
        }
    };
    LoadedSites {
        sites,
        store,
        trust,
        migrated: had_old && old_trusted.is_empty(),
        problems,
    }
}

/// Move trusted certificates kept in the window state by older versions into
/// the trust file; the state's list is emptied once they are all there.
fn migrate_trusted(
    old: &mut BTreeMap<String, String>,
    trust: &mut TrustStore,
) -> Result<(), String> {
    for (host_port, hex) in old.iter() {
        let Some(fp) = tls::parse_fingerprint(hex) else {
            continue;
        };
        if trust.check(host_port, &fp) == TrustCheck::Unknown {
            trust.trust(host_port, &fp).map_err(|e| {
                format!("trusted certificates were not moved to the trust file: {e}")
            })?;
        }
    }
    old.clear();
    Ok(())
}
