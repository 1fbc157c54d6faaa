//! What the user asked for, from every view, carried out in one place.
//!
//! Views never reach into the app: each returns its own small intent type
//! (the panes a `PaneAction`, the queue view an engine `Command`), the app
//! wraps it in an [`Intent`] and [`FerryApp::apply_intent`] carries it out.

use super::*;
use crate::ui::connect_dialog::DialogIntent;
use crate::ui::filters_dialog::FiltersIntent;
use crate::ui::preferences::PrefsIntent;
use crate::ui::quick_connect::QuickIntent;
use crate::ui::site_manager::ManagerIntent;
use crate::ui::test_view::TestIntent;

/// Everything a view can ask of the app.
#[must_use]
pub(crate) enum Intent {
    /// Run a row of the action table (menus, toolbar, keyboard).
    Action(Action),
    /// Connect to a saved site (the File menu's recent sites).
    ConnectSite(Box<Site>),
    /// The quick-connect bar.
    Quick(QuickIntent),
    /// The connection dialog.
    Dialog(DialogIntent),
    /// The Site Manager.
    Manager(ManagerIntent),
    /// The connection test's window.
    Test(TestIntent),
    /// The answer to the certificate question.
    Cert(CertDecision),
    /// The Preferences window.
    Prefs(PrefsIntent),
    /// The Filters window.
    Filters(FiltersIntent),
    /// A file pane.
    Pane(Side, PaneAction),
    /// A button of the error banner.
    Banner(BannerAction),
    /// Find files' results and Start.
    Find(crate::ui::find_window::FindIntent),
    /// The bookmark dialogs and the Bookmarks menu.
    Bookmark(crate::ui::bookmarks_dialog::BookmarkIntent),
    /// The tab strip.
    Tab(super::tabs::TabIntent),
    /// Send this command to the engine as it is (the transfer queue's
    /// buttons and its "target exists" question).
    Engine(Command),
}

impl FerryApp {
    /// Carry out what the views asked for, in order.
    pub(super) fn apply_intents(
        &mut self,
        intents: impl IntoIterator<Item = Intent>,
        ctx: &egui::Context,
    ) {
        for intent in intents {
            self.apply_intent(intent, ctx);
        }
    }

    /// Carry out one intent: the one place where what the user asked for
    /// changes the app.
    pub(super) fn apply_intent(&mut self, intent: Intent, ctx: &egui::Context) {
        match intent {
            Intent::Action(action) => self.run_action(action, ctx),
            Intent::ConnectSite(site) => self.connect_site(*site, None),
            Intent::Quick(QuickIntent::Connect(request)) => self.connect(*request),
            Intent::Quick(QuickIntent::SaveAsSite) => self.run_action(Action::SaveAsSite, ctx),
            Intent::Dialog(intent) => self.apply_dialog(intent),
            Intent::Manager(intent) => self.apply_manager(intent),
            Intent::Test(intent) => self.apply_test(intent),
            Intent::Cert(decision) => self.apply_cert_in_tab(decision),
            Intent::Prefs(PrefsIntent::Apply {
                mut prefs,
                proxy_password,
                ..
            }) => {
                if let Some(password) = proxy_password
                    && let Ok(proxy) = crate::ftp::Proxy::parse(&prefs.network.proxy)
                    && !proxy.user.is_empty()
                {
                    let key = crate::sites::proxy_secret_id(&proxy.url());
                    self.remember_proxy_password(key, password.0);
                }
                // Bookmarks are not edited there: keep any added since it opened.
                prefs.bookmarks = self.preferences.bookmarks.clone();
                self.apply_preferences(*prefs, false, ctx);
                self.save_preferences();
            }
            Intent::Prefs(PrefsIntent::Cancel) => {}
            Intent::Prefs(PrefsIntent::OpenFilters) => self.open_filters(),
            Intent::Filters(intent) => self.apply_filters_intent(intent, ctx),
            Intent::Pane(side, action) => self.apply_pane_action(side, action, ctx),
            Intent::Banner(action) => self.apply_banner_action(action),
            Intent::Engine(command) => self.send(command),
            Intent::Find(intent) => self.apply_find(intent, ctx),
            Intent::Bookmark(intent) => self.apply_bookmark(intent),
            Intent::Tab(intent) => self.apply_tab_intent(intent),
        }
    }

    fn apply_dialog(&mut self, intent: DialogIntent) {
        match intent {
            DialogIntent::Connect(request) => {
                self.quick.form = self.dialog.form.clone();
                self.connect(request);
            }
            DialogIntent::Test(request) => {
                let mode = self.dialog.form.mode.fixed();
                self.start_test(request, mode, TestOrigin::Dialog);
            }
            DialogIntent::Cancelled => {
                // Kept for next time, in the bar too; the dialog cleared the password.
                self.quick.form = self.dialog.form.clone();
                self.state.last_form = self.dialog.form.clone();
            }
            DialogIntent::SaveAsSite => {
                let form = self.dialog.form.clone();
                self.save_as_site(form);
            }
        }
    }

    /// The Site Manager's requests; a Close or Connect after a Save waits
    /// for it to be on disk.
    fn apply_manager(&mut self, intent: ManagerIntent) {
        match intent {
            ManagerIntent::Save {
                sites,
                passwords,
                then,
            } => {
                let job = WriteJob::Replace {
                    base: self.site_manager.saved_sites().clone(),
                    sites: sites.clone(),
                    then: AfterSave::Manager {
                        snapshot: sites,
                        passwords,
                        follow: then,
                    },
                };
                if let Err(e) = self.write_sites(job) {
                    self.site_manager.error = Some(format!("Not saved: {e}"));
                }
            }
            ManagerIntent::Close => self.site_manager.open = false,
            ManagerIntent::Connect { site, password } => {
                self.site_manager.open = false;
                self.manager_tab();
                self.connect_site(*site, password);
            }
            ManagerIntent::Test { site, password } => self.test_site(*site, password),
        }
    }

    fn apply_test(&mut self, intent: TestIntent) {
        let Some((test, run)) = &self.test else {
            return;
        };
        match intent {
            TestIntent::Close => self.test = None,
            TestIntent::RunAgain => {
                let (run, mode) = (run.clone(), test.form_mode);
                self.start_test(run.request, mode, run.origin);
            }
            TestIntent::Trust => {
                let Some(untrusted) = test.report.as_ref().and_then(|r| r.untrusted.clone()) else {
                    return;
                };
                let options = Box::new(run.request.options.clone());
                let previous = self.trusted_before(&options, &untrusted.certificate);
                self.cert_prompt = Some(CertPrompt {
                    certificate: untrusted.certificate,
                    reason: untrusted.reason,
                    options,
                    initial_path: run.request.initial_path.clone(),
                    previous,
                });
                if let Some((test, _)) = self.test.as_mut() {
                    test.trusting = true;
                }
            }
            TestIntent::UseMode(mode) => {
                let choice = ConnectionMode::from(mode);
                match &run.origin {
                    TestOrigin::Dialog => {
                        self.dialog.form.mode = choice;
                        self.notice = Some(format!("The connection dialog now uses {mode} mode"));
                    }
                    TestOrigin::Site(id) => {
                        let id = id.clone();
                        self.site_manager.set_mode(&id, choice);
                        self.notice = Some(format!(
                            "The site now uses {mode} mode; Save or OK keeps it"
                        ));
                    }
                }
                self.test = None;
            }
        }
    }

    pub(super) fn apply_cert(&mut self, decision: CertDecision) {
        let Some(prompt) = self.cert_prompt.take() else {
            return;
        };
        let fp = prompt.certificate.sha256;
        // Trust… in the connection test: its decision is the test's.
        let for_test = self.test.as_mut().filter(|(t, _)| t.trusting);
        let for_test = for_test.map(|(t, run)| {
            t.trusting = false;
            (run.clone(), t.form_mode)
        });
        match decision {
            CertDecision::Cancel if for_test.is_some() => {}
            CertDecision::Cancel => {
                self.banner = Some(Banner {
                    message: format!(
                        "Not connected: the certificate of {} was not trusted",
                        prompt.options.addr_text()
                    ),
                    actions: vec![BannerAction::Dismiss],
                });
            }
            CertDecision::TrustOnce | CertDecision::AlwaysTrust => {
                if decision == CertDecision::AlwaysTrust {
                    let addr = prompt.options.addr_text();
                    // Written on the trust file's thread; a failure shows in the banner.
                    if !self.trust_for_good(addr.clone(), fp) {
                        self.notice = Some(format!(
                            "The certificate of {addr} is trusted until Ferry closes (no config folder to remember it in)"
                        ));
                    }
                }
                let mut options = *prompt.options;
                options.trust = TrustPolicy::Pinned(vec![fp]);
                if let Some((mut run, mode)) = for_test {
                    run.request.options = options;
                    self.start_test(run.request, mode, run.origin);
                    return;
                }
                let request = ConnectRequest {
                    options,
                    initial_path: prompt.initial_path,
                    show_hidden: self.state.show_hidden,
                    // The options hold the proxy already chosen.
                    proxy: crate::sites::SiteProxy::Direct,
                };
                self.connect_with(request, self.connected_site.clone());
            }
        }
    }
}
