//! The main window: menus, quick-connect bar, two panes, error banner,
//! message log and status line. Engine events are drained once per frame in
//! [`FerryApp::drain_events`]; the views return what the user asked for as
//! intents, which the app carries out in one place (`intents.rs`).

mod actions;
mod bookmarks;
mod events;
mod filters;
mod find;
mod intents;
mod modals;
mod preferences;
mod proxy;
mod sites;
mod sync_browse;
mod tabs;
mod uploads;

pub use tabs::{SavedTab, TabStatus, TabView};

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use eframe::egui;

use super::actions::{ACTIONS, Action, Scope};
use super::cert_dialog::{self, CertDecision, CertPrompt};
use super::connect_dialog::{ConnectDialog, ConnectForm, ConnectRequest};
use super::connect_form::widget::{PasswordPrompt, PromptOutcome, password_prompt};
use super::job::{FolderPicker, Job, Worker};
use super::keyring_worker::{KeyringJob, KeyringReply, KeyringWorker};
use super::log_view::LogView;
use super::pane::{PaneAction, PaneDrag, PaneSettings, PaneState};
use super::per_side::PerSide;
use super::queue_view::{QueueSettings, QueueView};
use super::quick_connect::QuickConnect;
use super::site_manager::{self, FollowUp, ManagerIntent, PasswordChange, SiteManager};
use super::sites_writer::{SitesWriter, WriteDone, WriteJob};
use super::test_view::{ConnectionTest, TestIntent};
use crate::engine::{AnyPath, Command, Direction, Engine, Event, PathItem, QueueConfig, Side};
use crate::ftp::{CertificateInfo, ConnectOptions, DataMode, Security, TrustPolicy, tls};
use crate::sites::{
    ConnectionMode, ImportReport, KeyringStatus, LogonType, SecretStore, Site, SiteList, SiteStore,
    TrustCheck, TrustStore,
};
use intents::Intent;

/// How long a status-line notice ("Deleted 3 items") stays, in seconds.
pub const NOTICE_SECS: f64 = 8.0;

/// How many recently used sites the File menu lists.
const RECENT_SITES: usize = 8;

/// Login details of the embedded demo server, to connect at start.
#[derive(Clone)]
pub struct DemoLogin {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub password: String,
}

impl std::fmt::Debug for DemoLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DemoLogin")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("user", &self.user)
            .field("password", &crate::ftp::options::masked(&self.password))
            .finish()
    }
}

/// How the app starts (tests set these; `ferry` takes the defaults).
#[derive(Debug, Clone, Default)]
pub struct AppConfig {
    /// Connect to this demo server at start.
    pub demo: Option<DemoLogin>,
    /// The local pane's first folder (default: the last one used, else home).
    pub local_start: Option<PathBuf>,
    /// Where the transfer queue is saved between runs (None: not saved).
    pub queue_file: Option<PathBuf>,
    /// Saved sites, trusted certificates and remembered passwords (None: no
    /// Site Manager, and "Always trust" lasts for this run only).
    pub sites: Option<SitesConfig>,
    /// The preferences file, read and written on a thread of its own
    /// (None: the defaults, not saved).
    pub prefs_file: Option<PathBuf>,
    /// Where synchronizing keeps each pair of folders' sync state (None:
    /// newer times decide, nothing is saved).
    pub sync_state_dir: Option<PathBuf>,
}

/// Where the saved sites live: the config folder (sites file and trust file,
/// nothing secret) and the password store.
#[derive(Clone)]
pub struct SitesConfig {
    /// `sites.toml` and `trusted_certs.toml` are here.
    pub dir: PathBuf,
    /// The OS keyring in the app; `MemorySecrets` in tests.
    pub secrets: Arc<dyn SecretStore>,
}

impl std::fmt::Debug for SitesConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SitesConfig")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

/// What the bottom panel shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum BottomTab {
    #[default]
    Queue,
    Log,
}

/// Everything that survives a restart (eframe storage).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct State {
    pub local_pane: PaneSettings,
    pub remote_pane: PaneSettings,
    /// The local pane's share of the width.
    pub split: f32,
    pub show_log: bool,
    pub show_hidden: bool,
    pub last_form: ConnectForm,
    pub local_path: Option<PathBuf>,
    /// host:port → SHA-256 fingerprint (hex) the user chose to always trust,
    /// from before the trust file: read once, moved into `trusted_certs.toml`
    /// at start, and then empty.
    pub trusted_certificates: BTreeMap<String, String>,
    pub queue: QueueSettings,
    pub bottom_tab: BottomTab,
    /// Ids of the sites connected to most recently, newest first.
    pub recent_sites: Vec<String>,
    /// The quick-connect bar's recent connections, newest first (no passwords).
    pub quick_history: Vec<super::quick_connect::HistoryEntry>,
    /// The tabs open at the last exit (no passwords), and which was active.
    pub tabs: Vec<SavedTab>,
    pub active_tab: usize,
}

impl Default for State {
    fn default() -> Self {
        State {
            local_pane: PaneSettings::default(),
            remote_pane: PaneSettings::default(),
            split: 0.5,
            show_log: true,
            show_hidden: false,
            last_form: ConnectForm::default(),
            local_path: None,
            trusted_certificates: BTreeMap::new(),
            queue: QueueSettings::default(),
            bottom_tab: BottomTab::default(),
            recent_sites: Vec::new(),
            quick_history: Vec::new(),
            tabs: Vec::new(),
            active_tab: 0,
        }
    }
}

/// Where the remote side stands.
#[derive(Debug, Clone, PartialEq)]
pub enum Connection {
    Disconnected,
    Connecting { host: String },
    Connected { host: String },
    Lost { host: String, reason: String },
}

/// An obvious next step offered by the error banner.
#[derive(Debug, Clone, PartialEq)]
pub enum BannerAction {
    Retry,
    /// After a refused login: ask for the password again instead of
    /// resending the one the server refused.
    EnterPassword,
    Reconnect,
    SwitchMode(DataMode),
    OpenLog,
    Dismiss,
}

/// A non-modal error shown above the remote pane.
#[derive(Debug, Clone, PartialEq)]
pub struct Banner {
    pub message: String,
    pub actions: Vec<BannerAction>,
}

/// "Download to…": what to download, and the folder the user picked.
type PickedFolder = (Vec<PathItem>, PathBuf);

/// What a connection test runs, and where it came from.
#[derive(Debug, Clone)]
pub struct TestRun {
    pub request: ConnectRequest,
    pub origin: TestOrigin,
}

/// Where "Test connection" was pressed: its "Use … for this site" goes there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TestOrigin {
    Dialog,
    /// The Site Manager, for the site with this id.
    Site(String),
}

/// The remote folder a site opens on connect, absolute.
fn site_remote_folder(site: &Site) -> Option<Vec<u8>> {
    site.remote_folder.as_deref().map(|p| {
        let p = p.trim();
        if p.starts_with('/') {
            p.as_bytes().to_vec()
        } else {
            format!("/{p}").into_bytes()
        }
    })
}

/// A small modal question. No `Debug`: it may carry a typed password.
#[derive(Clone, PartialEq)]
enum Modal {
    NewFolder {
        side: Side,
        name: String,
    },
    ConfirmDelete {
        side: Side,
        paths: Vec<PathItem>,
    },
    /// Rows dragged onto a folder of their own pane: move them there?
    ConfirmMove {
        paths: Vec<PathItem>,
        folder: AnyPath,
    },
    /// A saved site needs a password that is not remembered.
    AskPassword {
        site: Box<Site>,
        password: String,
        /// Why it was not taken from the keyring, when that is news.
        note: Option<String>,
        /// Keep it in the keyring (offered when there is one, for normal logon).
        remember: bool,
        /// For the connection test, not to connect.
        test: bool,
    },
    /// What a FileZilla import did.
    ImportReport {
        from: PathBuf,
        report: ImportReport,
    },
}

/// What an import added: sites, new tree folders, and its report.
type Imported = (Vec<Site>, Vec<Vec<String>>, ImportReport);

/// What to do once the sites file was written.
enum AfterSave {
    Nothing,
    /// The Site Manager's Save: what it saved, the password changes that
    /// follow, and then maybe close it or connect.
    Manager {
        snapshot: SiteList,
        passwords: Vec<(String, PasswordChange)>,
        follow: Option<FollowUp>,
    },
    /// An import: show what it did.
    Import {
        from: PathBuf,
        report: ImportReport,
    },
    /// Remember a password (the site now says it is remembered).
    Keyring(KeyringJob),
}

/// The result of an import or export run on a thread of its own.
#[derive(Debug)]
enum FileJob {
    Imported {
        from: PathBuf,
        result: Result<Imported, String>,
    },
    Exported {
        to: PathBuf,
        result: Result<usize, String>,
    },
}

/// Writes the trust file: (host:port, fingerprint) in, the store as saved out.
type TrustWriter = Worker<(String, [u8; 32]), Result<TrustStore, String>>;

/// Dropped files (with whether each is a folder), and the folder to upload them to.
type Dropped = (Vec<PathItem>, AnyPath);

/// The saved-sites side of the app, present when it has a config folder.
struct SavedSites {
    /// `None` when the sites file could not be read (saving would overwrite
    /// it) or the writer thread could not start.
    writer: Option<SitesWriter<AfterSave>>,
    /// Reading the sites and trust files, at start.
    loading: Job<sites::LoadedSites>,
    /// Writes asked for and not finished yet.
    saving: usize,
    /// Why `writer` is `None`.
    unavailable: Option<String>,
    trust: Option<TrustStore>,
    /// Writes the trust file ("Always trust"); answers with the store as saved.
    trust_writer: Option<TrustWriter>,
    secrets: Arc<dyn SecretStore>,
    keyring: Option<KeyringWorker>,
}

/// The application.
pub struct FerryApp {
    pub state: State,
    engine: Engine,
    pub local: PaneState,
    pub remote: PaneState,
    pub active: Side,
    pub quick: QuickConnect,
    pub dialog: ConnectDialog,
    pub log: LogView,
    pub banner: Option<Banner>,
    pub cert_prompt: Option<CertPrompt>,
    pub connection: Connection,
    /// Whether the connected session is encrypted (TLS), for the padlock.
    pub encrypted: bool,
    last_request: Option<ConnectRequest>,
    busy: PerSide<Option<(String, SystemTime)>>,
    modal: Option<Modal>,
    pub queue: QueueView,
    /// View → Compare and synchronize.
    pub sync: super::sync_dialog::SyncWindow,
    /// View → Synchronized browsing.
    pub sync_browse: super::sync_browse::SyncBrowse,
    /// Panes whose folder received finished transfers, and when a pane was
    /// last refreshed for that (egui time): at most twice a second.
    refresh_due: PerSide<Option<AnyPath>>,
    last_transfer_refresh: f64,
    /// Remote folders that queued uploads go into (not re-listed until done).
    pending_uploads: uploads::PendingUploads,
    /// The folder picked for "Download to…" arrives here from its thread.
    picked_folder: Job<PickedFolder>,
    /// Asks for the "Download to…" folder (the native dialog).
    folder_picker: FolderPicker,
    delete_progress: Option<(u64, u64)>,
    /// What the last operation reported (status line), for a few seconds.
    pub notice: Option<String>,
    /// The notice on show, and since when (egui time): it goes after
    /// [`NOTICE_SECS`], and the connection state shows again.
    notice_since: Option<(String, f64)>,
    /// The connection test window, with what it runs.
    pub test: Option<(ConnectionTest, TestRun)>,
    /// How many connection tests were started (each run's id).
    tests_run: u64,
    /// The saved sites as on disk.
    pub sites: SiteList,
    saved: Option<SavedSites>,
    /// Whether passwords can be remembered (`None` until the keyring answers).
    pub keyring_status: Option<KeyringStatus>,
    /// The "no keyring" notice was shown (it is shown once per run).
    keyring_notice_given: bool,
    pub site_manager: SiteManager,
    /// The saved site the current connection was made from, by id.
    pub connected_site: Option<String>,
    /// Import and export results arrive here from their threads.
    file_jobs: Job<FileJob>,
    /// Where the local pane ends on screen (tests tell the panes' rows apart by it).
    local_right: f32,
    /// The bottom panel on screen.
    bottom_rect: egui::Rect,
    /// The window's width last frame (the pane split follows it).
    last_width: f32,
    /// egui's clock at the start of this frame.
    now: f64,
    /// The local pane's first folder, found on a thread.
    local_start: Job<PathBuf>,
    /// Saved sites to read once the first frame is drawn.
    sites_config: Option<SitesConfig>,
    /// The first frame was drawn.
    first_frame_drawn: bool,
    /// The preferences file to read once the first frame is drawn (`Some(None)`:
    /// defaults, never saved).
    prefs_file: Option<Option<PathBuf>>,
    /// Files dropped from the OS, while it is found which are folders.
    dropped: Vec<Job<Dropped>>,
    /// Whether a site's default local folder exists: (site name, folder, exists).
    site_folder: Job<(String, PathBuf, bool)>,
    /// The window's context: background jobs repaint it when they end.
    ctx: egui::Context,
    /// The window title last asked for.
    sent_title: String,
    /// The preferences in use, the window that edits them, and their file's thread.
    pub preferences: crate::prefs::Preferences,
    pub preferences_window: super::preferences::PreferencesWindow,
    prefs_io: preferences::PrefsIo,
    /// Files being edited in place.
    pub edits: super::edit_list::EditList,
    /// Properties / Permissions….
    pub permissions: super::permissions_dialog::PermissionsDialog,
    /// View → Filters….
    pub filters: super::filters_dialog::FiltersDialog,
    /// What the transfer queue leaves out of folders (the filters, when
    /// they apply to transfers); shared with the queue.
    transfer_exclusions: crate::filters::TransferExclusions,
    /// Proxy passwords by their key in the password store (never shown,
    /// never written but to the store), and the keys already asked for.
    proxy_passwords: std::collections::HashMap<String, String>,
    proxy_passwords_asked: std::collections::HashSet<String>,
    /// Find files (Ctrl+F).
    pub find: super::find_window::FindWindow,
    /// Bookmark this folder (Ctrl+D), and Manage bookmarks.
    pub add_bookmark: super::bookmarks_dialog::AddBookmarkDialog,
    pub manage_bookmarks: super::bookmarks_dialog::ManageBookmarks,
    /// The active tab's id; its connection is in the fields above.
    tab: tabs::TabMeta,
    /// Every window tab, the others' connections parked.
    tabs: tabs::Tabs,
}

impl FerryApp {
    /// Build the app: restore state, start the engine, list the local
    /// folder, and connect to the demo server if there is one.
    pub fn new(cc: &eframe::CreationContext<'_>, config: AppConfig) -> std::io::Result<FerryApp> {
        let state: State = cc
            .storage
            .and_then(|s| eframe::get_value(s, eframe::APP_KEY))
            .unwrap_or_default();
        super::fonts::install(&cc.egui_ctx);
        Self::with_state(cc.egui_ctx.clone(), state, config)
    }

    /// Build the app from an explicit state (tests, and `new`).
    pub fn with_state(
        ctx: egui::Context,
        state: State,
        config: AppConfig,
    ) -> std::io::Result<FerryApp> {
        let waker_ctx = ctx.clone();
        let transfer_exclusions = crate::filters::TransferExclusions::default();
        let queue = QueueConfig {
            exclude: Some(transfer_exclusions.clone()),
            save_path: config.queue_file.clone(),
            restore_later: true,
            concurrency: state.queue.concurrency,
            on_existing: state.queue.on_existing,
            ..QueueConfig::default()
        };
        let engine = Engine::start_with(super::repaint::engine_waker(waker_ctx), queue)?;
        let mut app = FerryApp {
            quick: QuickConnect {
                form: state.last_form.clone(),
                history: state.quick_history.clone(),
            },
            dialog: ConnectDialog {
                open: false,
                form: state.last_form.clone(),
                prefs_choices: Default::default(),
            },
            state,
            engine,
            local: PaneState::new(Side::Local),
            remote: PaneState::new(Side::Remote),
            active: Side::Local,
            log: LogView::default(),
            banner: None,
            cert_prompt: None,
            connection: Connection::Disconnected,
            encrypted: false,
            last_request: None,
            busy: PerSide::default(),
            modal: None,
            queue: QueueView::default(),
            sync: Default::default(),
            sync_browse: Default::default(),
            refresh_due: PerSide::default(),
            last_transfer_refresh: 0.0,
            pending_uploads: Default::default(),
            picked_folder: Job::default(),
            folder_picker: FolderPicker::default(),
            delete_progress: None,
            notice: None,
            notice_since: None,
            test: None,
            tests_run: 0,
            sites: SiteList::default(),
            saved: None,
            keyring_status: None,
            keyring_notice_given: false,
            site_manager: SiteManager::default(),
            connected_site: None,
            file_jobs: Job::default(),
            local_right: 0.0,
            bottom_rect: egui::Rect::NOTHING,
            last_width: 0.0,
            now: 0.0,
            local_start: Job::default(),
            sites_config: None,
            first_frame_drawn: false,
            prefs_file: None,
            dropped: Vec::new(),
            site_folder: Job::default(),
            ctx: ctx.clone(),
            sent_title: String::new(),
            preferences: Default::default(),
            preferences_window: Default::default(),
            prefs_io: Default::default(),
            edits: Default::default(),
            permissions: Default::default(),
            filters: Default::default(),
            transfer_exclusions,
            proxy_passwords: Default::default(),
            proxy_passwords_asked: Default::default(),
            find: Default::default(),
            add_bookmark: Default::default(),
            manage_bookmarks: Default::default(),
            tab: Default::default(),
            tabs: Default::default(),
        };
        // Hints, notes and field errors use the small style: egui's 9
        // points is hard to read, 11.5 sits just under the 12.5 body text.
        ctx.all_styles_mut(|s| {
            if let Some(small) = s.text_styles.get_mut(&egui::TextStyle::Small) {
                small.size = small.size.max(11.5);
            }
        });
        // Read once the first frame is drawn: it must not wait on the disk or the keyring.
        app.prefs_file = Some(config.prefs_file);
        app.sites_config = config.sites;
        app.sync.state_dir = config.sync_state_dir;
        app.send(app.state.queue.command());
        app.quick.form.show_hidden = app.state.show_hidden;
        app.dialog.form.show_hidden = app.state.show_hidden;
        app.local.show_hidden = app.state.show_hidden;
        app.remote.show_hidden = app.state.show_hidden;
        match config.local_start {
            Some(start) => app.navigate(AnyPath::Local(start)),
            None => {
                // The last folder may be on a dead network mount: ask on a thread.
                let last = app.state.local_path.clone();
                let job = Job::spawn("ferry-local-start", &ctx, move || {
                    let start = last
                        .filter(|p| p.is_dir())
                        .or_else(home_dir)
                        .unwrap_or_else(|| PathBuf::from("/"));
                    Some(start)
                });
                match job {
                    Ok(job) => app.local_start = job,
                    Err(_) => {
                        app.navigate(AnyPath::Local(home_dir().unwrap_or_else(|| "/".into())))
                    }
                }
            }
        }
        if config.demo.is_some() {
            app.tabs.keep_saved = true;
        } else {
            let saved_tabs = std::mem::take(&mut app.state.tabs);
            app.restore_tabs(saved_tabs, app.state.active_tab);
        }
        if let Some(demo) = config.demo {
            let mut form = ConnectForm {
                host: demo.host,
                port: demo.port.to_string(),
                user: demo.user,
                password: demo.password,
                logon: LogonType::Normal,
                ..ConnectForm::default()
            };
            form.show_hidden = app.state.show_hidden;
            app.quick.form = form.clone();
            if let Ok(request) = form.validate() {
                app.connect(request);
            }
        }
        Ok(app)
    }

    /// Send `command` for the active tab (its browsing session and panes).
    fn send(&self, command: Command) {
        self.engine.handle.send(Command::Tab {
            tab: self.tab.id,
            command: Box::new(command),
        });
    }

    fn pane_mut(&mut self, side: Side) -> &mut PaneState {
        match side {
            Side::Local => &mut self.local,
            Side::Remote => &mut self.remote,
        }
    }

    fn pane(&self, side: Side) -> &PaneState {
        match side {
            Side::Local => &self.local,
            Side::Remote => &self.remote,
        }
    }

    /// Where the transfers and log panel is on screen.
    pub fn bottom_panel_rect(&self) -> egui::Rect {
        self.bottom_rect
    }

    /// The x coordinate where the local pane ends on screen.
    pub fn local_pane_right_edge(&self) -> f32 {
        self.local_right
    }

    /// Connect with a validated request (not from a saved site), pinning a
    /// certificate the user trusted before.
    pub fn connect(&mut self, request: ConnectRequest) {
        self.connect_with(request, None);
    }

    /// Connect, remembering which saved site (if any) this is.
    fn connect_with(&mut self, mut request: ConnectRequest, site: Option<String>) {
        self.tab_connecting(&mut request, site.as_deref());
        self.sync_browse_connecting(&request, site.as_deref());
        self.connected_site = site;
        self.apply_proxy(&mut request);
        let key = request.options.addr_text();
        if request.options.trust == TrustPolicy::SystemRoots
            && let Some(trust) = self.saved.as_ref().and_then(|s| s.trust.as_ref())
        {
            request.options.trust = trust.policy_for(&key);
        }
        self.state.show_hidden = request.show_hidden;
        self.local.show_hidden = request.show_hidden;
        self.remote.show_hidden = request.show_hidden;
        request.options.list_hidden = request.show_hidden;
        self.banner = None;
        // Another server's listing must not stay browsable while (or after
        // failing) connecting to this one; the same server's stays greyed
        // until the connection is back.
        let same_server = self.last_request.as_ref().is_some_and(|r| {
            r.options.addr_text() == key && r.options.user == request.options.user
        });
        if same_server {
            self.remote.set_stale(true);
        } else {
            self.remote.clear();
        }
        self.remote.charset = request.options.charset;
        self.last_request = Some(request.clone());
        self.send(Command::Connect {
            options: request.options,
            initial_path: request.initial_path,
        });
    }

    /// Ask the engine to list a folder on either side.
    pub fn navigate(&mut self, path: AnyPath) {
        let side = path.side();
        self.pane_mut(side).set_loading(path.clone());
        self.send(Command::List {
            path,
            show_hidden: self.state.show_hidden,
        });
    }

    fn refresh(&mut self, side: Side) {
        if let Some(p) = self.pane(side).path().cloned() {
            self.navigate(p);
        }
    }

    /// A notice goes once it has been shown for [`NOTICE_SECS`]; a new
    /// text starts the clock again.
    fn expire_notice(&mut self, ctx: &egui::Context) {
        let Some(text) = &self.notice else {
            self.notice_since = None;
            return;
        };
        let since = match &self.notice_since {
            Some((shown, since)) if shown == text => *since,
            _ => {
                self.notice_since = Some((text.clone(), self.now));
                self.now
            }
        };
        let left = NOTICE_SECS - (self.now - since);
        if left <= 0.0 {
            self.notice = None;
            self.notice_since = None;
        } else {
            ctx.request_repaint_after(Duration::from_secs_f64(left));
        }
    }

    /// "alice@ftp.example.org — Ferry" while connected (or connecting, or
    /// lost), "Ferry" otherwise.
    pub fn window_title(&self) -> String {
        match (&self.connection, &self.last_request) {
            (Connection::Disconnected, _) | (_, None) => "Ferry".to_string(),
            (_, Some(r)) => {
                let login = format!("{}@{}", r.options.user, r.options.host);
                match self.active_tab_title() {
                    // A saved site: its name first, as the tab shows it.
                    title if title != login => format!("{title} — {login} — Ferry"),
                    _ => format!("{login} — Ferry"),
                }
            }
        }
    }

    /// What the toolbar's buttons show: enabled, pressed.
    fn toolbar_state(&self) -> super::toolbar::ToolbarState {
        use super::queue_view::QueueTab;
        let live = matches!(
            self.connection,
            Connection::Connected { .. } | Connection::Connecting { .. }
        );
        super::toolbar::ToolbarState {
            connected: live,
            can_reconnect: !live && (self.last_request.is_some() || self.connected_site.is_some()),
            can_refresh: self.pane(self.active).path().is_some(),
            has_transfers: self.queue.count(QueueTab::Queued) > 0,
            processing: !self.queue.paused,
            log_shown: self.state.show_log,
            sync_browsing: self.sync_browse.is_on(),
        }
    }

    fn status_text(&self) -> String {
        let now = SystemTime::now();
        if let Some((what, since)) = self.busy.remote.as_ref().or(self.busy.local.as_ref()) {
            let secs = now.duration_since(*since).unwrap_or_default().as_secs();
            return format!("{what} ({secs} s)");
        }
        if let Some((done, total)) = self.delete_progress {
            return format!("Deleting… {done} of {total}");
        }
        if let Some(text) = self.queue.status() {
            return text;
        }
        match (&self.notice, &self.connection) {
            (Some(n), _) => n.clone(),
            (None, Connection::Connected { host }) if self.encrypted => {
                let how = match self.last_request.as_ref().map(|r| r.options.security) {
                    Some(Security::Implicit) => "implicit TLS",
                    _ => "explicit TLS",
                };
                format!("Connected to {host}, encrypted ({how})")
            }
            (None, Connection::Connected { host }) => {
                let asked_for_tls = self.last_request.as_ref().is_some_and(|r| {
                    r.options.security == crate::ftp::Security::ExplicitIfAvailable
                });
                if asked_for_tls {
                    format!("Connected to {host}, not encrypted: the server does not offer TLS")
                } else {
                    format!("Connected to {host}, not encrypted")
                }
            }
            (None, Connection::Connecting { host }) => format!("Connecting to {host}…"),
            (None, Connection::Lost { host, .. }) => format!("Connection to {host} lost"),
            (None, Connection::Disconnected) => "Not connected".into(),
        }
    }

    /// The menu bar; returns what the user picked.
    fn menu_bar(&mut self, ui: &mut egui::Ui) -> Option<Intent> {
        let mut fired = None;
        let mut recent_clicked = None;
        let mut bookmark = None;
        egui::MenuBar::new().ui(ui, |ui| {
            ui.menu_button("File", |ui| {
                for a in [Action::Connect, Action::SiteManager, Action::SaveAsSite] {
                    if action_button(ui, a, None) {
                        fired = Some(a);
                    }
                }
                ui.separator();
                for a in [
                    Action::NewTab,
                    Action::CloseTab,
                    Action::NextTab,
                    Action::PreviousTab,
                ] {
                    if action_button(ui, a, None) {
                        fired = Some(a);
                    }
                }
                let recent: Vec<Site> = self
                    .state
                    .recent_sites
                    .iter()
                    .filter_map(|id| self.sites.get(id).cloned())
                    .collect();
                if !recent.is_empty() {
                    ui.separator();
                    ui.label(
                        egui::RichText::new("Recent sites")
                            .small()
                            .color(ui.visuals().weak_text_color()),
                    );
                    for site in recent {
                        let r = ui
                            .button(&site.name)
                            .on_hover_text(format!("Connect to {}", site.host_port()));
                        if r.clicked() {
                            recent_clicked = Some(site);
                            ui.close();
                        }
                    }
                }
                ui.separator();
                for a in [Action::ImportSites, Action::ExportSites] {
                    if action_button(ui, a, None) {
                        fired = Some(a);
                    }
                }
                ui.separator();
                for a in [Action::Disconnect, Action::Reconnect, Action::Quit] {
                    if action_button(ui, a, None) {
                        fired = Some(a);
                    }
                }
            });
            ui.menu_button("Edit", |ui| {
                let side = self.active;
                for info in super::actions::pane_actions()
                    .filter(|a| super::actions::offered_on(a.action, side))
                {
                    if action_button(ui, info.action, Some(side)) {
                        fired = Some(info.action);
                    }
                }
                ui.separator();
                if action_button(ui, Action::Preferences, None) {
                    fired = Some(Action::Preferences);
                }
            });
            ui.menu_button("View", |ui| {
                if action_toggle(ui, Action::ToggleHidden, self.state.show_hidden) {
                    fired = Some(Action::ToggleHidden);
                }
                if action_toggle(ui, Action::ToggleLog, self.state.show_log) {
                    fired = Some(Action::ToggleLog);
                }
                let mut trees = self.state.local_pane.folder_tree;
                if ui
                    .checkbox(&mut trees, Action::ToggleFolderTrees.info().label)
                    .clicked()
                {
                    fired = Some(Action::ToggleFolderTrees);
                }
                for a in [Action::ShowQueue, Action::FilesBeingEdited] {
                    if action_button(ui, a, None) {
                        fired = Some(a);
                    }
                }
                if action_button(ui, Action::CompareFolders, None) {
                    fired = Some(Action::CompareFolders);
                }
                if action_button(ui, Action::Filters, None) {
                    fired = Some(Action::Filters);
                }
                if action_toggle(ui, Action::SyncBrowse, self.sync_browse.is_on()) {
                    fired = Some(Action::SyncBrowse);
                }
            });
            ui.menu_button("Bookmarks", |ui| {
                bookmark = self.bookmarks_menu(ui);
            });
            ui.menu_button("Transfer", |ui| {
                if action_toggle(ui, Action::ToggleQueue, !self.queue.paused) {
                    fired = Some(Action::ToggleQueue);
                }
                if action_button(ui, Action::CancelAll, None) {
                    fired = Some(Action::CancelAll);
                }
            });
        });
        recent_clicked
            .map(|site| Intent::ConnectSite(Box::new(site)))
            .or(bookmark)
            .or(fired.map(Intent::Action))
    }

    /// The error banner; returns the button the user pressed.
    /// It lies over the bottom of `pane` (the remote pane), so the list
    /// under it never moves and the next click lands where it was aimed.
    fn banner_ui(&self, ctx: &egui::Context, pane: egui::Rect) -> Option<Intent> {
        let banner = self.banner.as_ref()?;
        let mut clicked = None;
        let margin = 10.0;
        egui::Area::new(egui::Id::unique("ferry-error-banner"))
            .order(egui::Order::Middle)
            .pivot(egui::Align2::LEFT_BOTTOM)
            .fixed_pos(pane.left_bottom() + egui::vec2(margin, -margin))
            .show(ctx, |ui| {
                ui.set_width(pane.width() - 2.0 * margin);
                let visuals = ui.visuals();
                // Opaque: the rows under it must not show through.
                let fill = visuals
                    .panel_fill
                    .lerp_to_gamma(visuals.error_fg_color, 0.15);
                egui::Frame::new()
                    .fill(fill)
                    .stroke(egui::Stroke::new(
                        1.0,
                        visuals.error_fg_color.gamma_multiply(0.5),
                    ))
                    .shadow(visuals.popup_shadow)
                    .inner_margin(egui::Margin::symmetric(10, 8))
                    .corner_radius(6.0)
                    .show(ui, |ui| {
                        ui.set_width(ui.available_width());
                        Self::banner_contents(ui, banner, &mut clicked);
                    });
            });
        clicked.map(Intent::Banner)
    }

    fn banner_contents(ui: &mut egui::Ui, banner: &Banner, clicked: &mut Option<BannerAction>) {
        ui.horizontal_wrapped(|ui| {
            warning_icon(ui);
            ui.label(&banner.message);
        });
        ui.horizontal(|ui| {
            for a in &banner.actions {
                let label = match a {
                    BannerAction::Retry => "Retry".to_string(),
                    BannerAction::EnterPassword => "Enter password…".to_string(),
                    BannerAction::Reconnect => "Reconnect".to_string(),
                    BannerAction::SwitchMode(DataMode::Active) => {
                        "Switch to active mode".to_string()
                    }
                    BannerAction::SwitchMode(DataMode::Passive) => {
                        "Switch to passive mode".to_string()
                    }
                    BannerAction::OpenLog => "Open log".to_string(),
                    BannerAction::Dismiss => "Dismiss".to_string(),
                };
                if ui.button(label).clicked() {
                    *clicked = Some(a.clone());
                }
            }
        });
    }
}

/// A warning triangle, painted (the bundled fonts have no ⚠ glyph).
impl FerryApp {
    /// The bottom panel: the transfer queue or the message log; returns
    /// what the user asked of the queue.
    fn bottom_ui(&mut self, ui: &mut egui::Ui) -> Vec<Intent> {
        ui.horizontal(|ui| {
            let queue_label = match self.queue.count(super::queue_view::QueueTab::Queued) {
                0 => "Transfers".to_string(),
                n => format!("Transfers ({n})"),
            };
            ui.selectable_value(&mut self.state.bottom_tab, BottomTab::Queue, queue_label);
            ui.selectable_value(&mut self.state.bottom_tab, BottomTab::Log, "Message log");
        });
        ui.separator();
        let mut intents = Vec::new();
        match self.state.bottom_tab {
            BottomTab::Queue => {
                let before = self.state.queue;
                let commands = self.queue.ui(ui, &mut self.state.queue);
                intents.extend(commands.into_iter().map(Intent::Engine));
                if before != self.state.queue {
                    intents.push(Intent::Engine(self.state.queue.command()));
                }
            }
            BottomTab::Log => self.log.ui(ui),
        }
        intents
    }

    /// Files dropped on the window from the OS file manager are uploaded to
    /// the remote pane's folder.
    fn files_from_os(&mut self, ctx: &egui::Context) {
        let (hovering, dropped) = ctx.input(|i| {
            (
                !i.raw.hovered_files.is_empty(),
                i.raw
                    .dropped_files
                    .iter()
                    .map(|f| f.path().to_path_buf())
                    .filter(|p| !p.as_os_str().is_empty())
                    .collect::<Vec<_>>(),
            )
        });
        if hovering {
            let text = match (&self.connection, self.remote.path()) {
                (Connection::Connected { .. }, Some(p)) => {
                    format!("Drop to upload to {}", p.display())
                }
                _ => "Connect to a server to upload dropped files".into(),
            };
            egui::Tooltip::always_open(
                ctx.clone(),
                egui::LayerId::background(),
                egui::Id::unique("os-drop"),
                egui::PopupAnchor::Pointer,
            )
            .show(|ui| ui.label(text));
        }
        if dropped.is_empty() {
            return;
        }
        let Some(target) = self.remote.path().cloned() else {
            self.notice = Some("Connect to a server to upload dropped files".into());
            return;
        };
        // Whether each is a folder: one stat each, which a dead network
        // mount could hang, so on a thread; queued when it answers.
        let job = Job::spawn("ferry-dropped-files", ctx, move || {
            let sources = dropped
                .into_iter()
                .map(|p| {
                    let is_dir = p.is_dir();
                    PathItem {
                        path: AnyPath::Local(p),
                        is_dir,
                    }
                })
                .collect();
            Some((sources, target))
        });
        match job {
            Ok(job) => self.dropped.push(job),
            Err(e) => self.notice = Some(format!("Could not read the dropped files: {e}")),
        }
    }

    /// Queue the dropped files whose folders are known now.
    fn dropped_ready(&mut self) {
        let mut ready = Vec::new();
        self.dropped.retain_mut(|job| {
            ready.extend(job.poll());
            job.is_running()
        });
        for (sources, target) in ready {
            self.enqueue(sources, target);
        }
    }

    /// While rows are dragged, say what a drop would do next to the pointer.
    fn drag_label(&self, ctx: &egui::Context) {
        let Some(drag) = egui::DragAndDrop::payload::<PaneDrag>(ctx) else {
            return;
        };
        let verb = match drag.side {
            Side::Remote => "Download",
            Side::Local => "Upload",
        };
        let text = match drag.paths.as_slice() {
            [PathItem { path: p, .. }] => format!(
                "{verb} {}",
                p.display().rsplit('/').next().unwrap_or_default()
            ),
            many => format!("{verb} {} items", many.len()),
        };
        egui::Tooltip::always_open(
            ctx.clone(),
            egui::LayerId::background(),
            egui::Id::unique("pane-drag"),
            egui::PopupAnchor::Pointer,
        )
        .show(|ui| ui.label(text));
    }
}

fn warning_icon(ui: &mut egui::Ui) {
    let size = ui.text_style_height(&egui::TextStyle::Body);
    let (rect, _) = ui.allocate_exact_size(egui::vec2(size, size), egui::Sense::hover());
    let color = ui.visuals().error_fg_color;
    let points = vec![
        egui::pos2(rect.center().x, rect.top() + 1.0),
        egui::pos2(rect.right() - 1.0, rect.bottom() - 1.0),
        egui::pos2(rect.left() + 1.0, rect.bottom() - 1.0),
    ];
    ui.painter().add(egui::Shape::convex_polygon(
        points,
        color,
        egui::Stroke::NONE,
    ));
    let mark = egui::FontId::proportional(size * 0.7);
    ui.painter().text(
        egui::pos2(rect.center().x, rect.bottom() - size * 0.4),
        egui::Align2::CENTER_CENTER,
        "!",
        mark,
        ui.visuals().extreme_bg_color,
    );
}

/// A menu entry for an action, with its shortcut; true when clicked.
fn action_button(ui: &mut egui::Ui, action: Action, side: Option<Side>) -> bool {
    let info = action.info();
    let label = side.map_or(info.label, |s| action.label_for(s));
    let mut button = egui::Button::new(label);
    if let Some(s) = info.shortcut {
        button = button.shortcut_text(ui.ctx().format_shortcut(&s));
    }
    let r = ui.add(button).on_hover_text(info.tooltip);
    r.clicked()
}

/// A menu check box for a toggle action, with its shortcut; true when clicked.
fn action_toggle(ui: &mut egui::Ui, action: Action, on: bool) -> bool {
    let info = action.info();
    let mut value = on;
    let shortcut = info
        .shortcut
        .map(|s| egui::RichText::new(ui.ctx().format_shortcut(&s)).weak())
        .unwrap_or_default();
    let atoms = (info.label, egui::Atom::grow(), shortcut);
    ui.add(egui::Checkbox::new(&mut value, atoms))
        .on_hover_text(info.tooltip)
        .clicked()
}

fn home_dir() -> Option<PathBuf> {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_dir())
}

impl eframe::App for FerryApp {
    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        self.state.quick_history = self.quick.history.clone();
        if !self.tabs.keep_saved {
            (self.state.tabs, self.state.active_tab) = self.saved_tabs();
        }
        eframe::set_value(storage, eframe::APP_KEY, &self.state);
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.show(ui);
    }
}

impl FerryApp {
    /// One frame: drain events, then draw everything.
    pub fn show(&mut self, ui: &mut egui::Ui) {
        let ctx = &ui.ctx().clone();
        self.now = ctx.input(|i| i.time);
        // RUST_LOG=ferry::frames=trace: each frame and what asked for it.
        tracing::trace!(target: "ferry::frames", pass = ctx.cumulative_pass_nr(), causes = ?ctx.repaint_causes(), "frame");
        self.drain_events();
        self.sync_browse_frame();
        self.expire_notice(ctx);
        if self.modal.is_none()
            && self.cert_prompt.is_none()
            && !self.dialog.open
            && !self.site_manager.open
            && !self.preferences_window.open
            && !self.permissions.open
            && !self.filters.open
            && !self.add_bookmark.open
            && self.find.confirm_delete.is_none()
            && !self.tab_question_open()
        {
            let keys = self.shortcuts(ctx);
            self.apply_intents(keys, ctx);
            let number = self.tab_number_keys(ctx);
            self.apply_intents(number, ctx);
        }

        let menu = egui::Panel::top("menu").show(ui, |ui| self.menu_bar(ui));
        self.apply_intents(menu.inner, ctx);
        let style = ctx.global_style();
        let toolbar_state = self.toolbar_state();
        let toolbar = egui::Panel::top("toolbar")
            .frame(egui::Frame::side_top_panel(&style).inner_margin(egui::Margin::symmetric(6, 2)))
            .show(ui, |ui| super::toolbar::toolbar(ui, &toolbar_state));
        self.apply_intents(toolbar.inner.map(Intent::Action), ctx);
        let quick = egui::Panel::top("quick-connect")
            .frame(egui::Frame::side_top_panel(&style).inner_margin(egui::Margin::symmetric(8, 6)))
            .show(ui, |ui| self.quick.ui(ui));
        self.apply_intents(quick.inner.map(Intent::Quick), ctx);
        // FileZilla's way: the strip appears once a second tab is open.
        if self.tab_count() > 1 {
            let strip = egui::Panel::top("tabs")
                .frame(
                    egui::Frame::side_top_panel(&style).inner_margin(egui::Margin {
                        left: 6,
                        right: 6,
                        top: 4,
                        bottom: 0,
                    }),
                )
                .show(ui, |ui| self.tab_strip(ui));
            self.apply_intents(strip.inner.map(Intent::Tab), ctx);
        }
        egui::Panel::bottom("status")
            .frame(egui::Frame::side_top_panel(&style).inner_margin(egui::Margin::symmetric(8, 4)))
            .show(ui, |ui| {
                ui.horizontal(|ui| {
                    let dot = match self.connection {
                        Connection::Connected { .. } => egui::Color32::from_rgb(60, 180, 90),
                        Connection::Connecting { .. } => egui::Color32::from_rgb(220, 170, 40),
                        Connection::Lost { .. } => ui.visuals().error_fg_color,
                        Connection::Disconnected => ui.visuals().weak_text_color(),
                    };
                    let (rect, _) =
                        ui.allocate_exact_size(egui::vec2(10.0, 10.0), egui::Sense::hover());
                    ui.painter().circle_filled(rect.center(), 4.5, dot);
                    if matches!(self.connection, Connection::Connected { .. }) {
                        let security = self.last_request.as_ref().map(|r| r.options.security);
                        padlock(ui, self.encrypted, security);
                    }
                    ui.label(self.status_text());
                    if !self.busy.is_empty() {
                        super::repaint::spinner(ui);
                    }
                    if let Some(limit) = self.queue.limit_status() {
                        ui.separator();
                        ui.label(limit).on_hover_text(
                            "Speed limits are on (the queue panel's \"Speed limit\" switch)",
                        );
                    }
                });
            });
        if self.state.show_log {
            let bottom = egui::Panel::bottom("log")
                .resizable(true)
                .default_size(200.0)
                .min_size(80.0)
                .show(ui, |ui| {
                    // The panel keeps the height the user gave it: its
                    // content fills it and is clipped to it, so a taller tab
                    // or an emptied queue never resizes it.
                    let rect = ui.available_rect_before_wrap();
                    ui.set_min_height(rect.height());
                    let clip = rect.intersect(ui.clip_rect());
                    let mut content = ui.new_child(egui::UiBuilder::new().max_rect(rect));
                    content.set_clip_rect(clip);
                    self.bottom_ui(&mut content)
                });
            self.bottom_rect = bottom.response.rect;
            self.apply_intents(bottom.inner, ctx);
        }
        let login = self.last_request.as_ref().map(|r| &r.options);
        for command in self.sync.ui(ctx, &self.local, &self.remote, login) {
            self.send(command);
        }
        let hidden = self.sync.pane_hidden();
        self.local.set_compare_hidden(hidden.clone());
        self.remote.set_compare_hidden(hidden);
        let width = ctx.content_rect().width();
        // Keys belong to an open dialog, not to the pane behind it.
        let dialog_open = self.site_manager.open
            || self.dialog.open
            || self.modal.is_some()
            || self.cert_prompt.is_some()
            || self.preferences_window.open
            || self.filters.open
            || self.add_bookmark.open;
        // Both panes get the same frame, so their headers line up.
        let pane_frame = egui::Frame::central_panel(&style).inner_margin(egui::Margin::same(6));
        // The split is a share of the width: when the window's width changes
        // (a resize, or the first frames at the window's real size) the
        // local pane is set back to its share instead of keeping its old
        // width, and only a drag of the splitter changes the share.
        let width_changed = (width - self.last_width).abs() > 0.5;
        self.last_width = width;
        let share = (width * self.state.split).clamp(200.0, (width - 200.0).max(201.0));
        let mut local_panel = egui::Panel::left("local-pane")
            .frame(pane_frame)
            .resizable(true)
            .default_size(share)
            .size_range(200.0..=(width - 200.0).max(201.0));
        if width_changed {
            local_panel = local_panel.exact_size(share);
        }
        let local = local_panel.show(ui, |ui| {
            let active = self.active == Side::Local && !dialog_open;
            let actions = self.local.ui(ui, &mut self.state.local_pane, active);
            let intents = actions.into_iter().map(|a| Intent::Pane(Side::Local, a));
            self.apply_intents(intents, ctx);
        });
        self.local_right = local.response.rect.right();
        if width > 0.0 && !width_changed {
            self.state.split = (local.response.rect.width() / width).clamp(0.1, 0.9);
        }
        egui::CentralPanel::default()
            .frame(pane_frame)
            .show(ui, |ui| {
                let pane = ui.max_rect();
                let active = self.active == Side::Remote && !dialog_open;
                let actions = self.remote.ui(ui, &mut self.state.remote_pane, active);
                let intents = actions.into_iter().map(|a| Intent::Pane(Side::Remote, a));
                self.apply_intents(intents, ctx);
                let banner = self.banner_ui(ctx, pane);
                self.apply_intents(banner, ctx);
            });

        let dialog = self.dialog.show(ctx);
        self.apply_intents(dialog.map(Intent::Dialog), ctx);
        let manager = self.sites_ui(ctx);
        self.apply_intents(manager.map(Intent::Manager), ctx);
        let prefs = self.preferences_ui(ctx);
        self.apply_intents(prefs.map(Intent::Prefs), ctx);
        let filters = self.filters.show(ctx);
        self.apply_intents(filters.map(Intent::Filters), ctx);
        self.modal_ui(ctx);
        self.close_tab_question(ctx);
        self.reconnect_restored_tabs();
        let edits = self.edits.ui(ctx);
        self.apply_intents(edits.into_iter().map(Intent::Engine), ctx);
        let permissions = self.permissions.ui(ctx);
        self.apply_intents(permissions.into_iter().map(Intent::Engine), ctx);
        let find = self.find.ui(ctx);
        self.apply_intents(find.into_iter().map(Intent::Find), ctx);
        let added = self.add_bookmark.show(ctx);
        self.apply_intents(added.map(Intent::Bookmark), ctx);
        let managed = self.manage_bookmarks.show(ctx);
        self.apply_intents(managed.into_iter().map(Intent::Bookmark), ctx);
        let test = self.test_ui(ctx);
        self.apply_intents(test.map(Intent::Test), ctx);
        let cert = self.cert_ui(ctx);
        self.apply_intents(cert.map(Intent::Cert), ctx);
        if self.modal.is_none() && self.cert_prompt.is_none() {
            let conflict = self.queue.conflict_ui(ctx);
            self.apply_intents(conflict.map(Intent::Engine), ctx);
        }
        self.files_from_os(ctx);
        self.dropped_ready();
        self.drag_label(ctx);
        self.refresh_after_transfers(ctx);
        if let Some((sources, folder)) = self.picked_folder.poll() {
            self.enqueue(sources, AnyPath::Local(folder));
        }
        if let Some((name, dir, exists)) = self.site_folder.poll() {
            if exists {
                self.navigate(AnyPath::Local(dir));
            } else {
                self.sync_browse_no_site_folder();
                self.notice = Some(format!(
                    "The default local folder of {name} does not exist: {}",
                    dir.display()
                ));
            }
        }
        if let Some(start) = self.local_start.poll()
            && self.local.path().is_none()
        {
            self.navigate(AnyPath::Local(start));
        }
        if !self.first_frame_drawn {
            self.first_frame_drawn = true;
            tracing::debug!("first frame drawn");
            self.send(Command::RestoreQueue);
            if let Some(file) = self.prefs_file.take() {
                self.start_preferences(file, ctx);
            }
            if let Some(config) = self.sites_config.take() {
                self.load_sites(config, ctx);
            }
        }

        let title = self.window_title();
        if self.sent_title != title {
            ctx.send_viewport_cmd(egui::ViewportCommand::Title(title.clone()));
            self.sent_title = title;
        }

        // Waiting shows elapsed seconds: tick once a second, only while waiting.
        if !self.busy.is_empty() {
            ctx.request_repaint_after(Duration::from_secs(1));
        }
    }
}

/// The padlock's accessible name and tooltip: whether the session is
/// encrypted, and how (explicit or implicit TLS, or a fallback to plain FTP).
fn padlock_text(locked: bool, security: Option<Security>) -> (&'static str, &'static str) {
    match (locked, security) {
        (true, Some(Security::Implicit)) => (
            "Encrypted",
            "Encrypted: implicit TLS (FTPS), from the first byte",
        ),
        (true, Some(Security::ExplicitIfAvailable)) => (
            "Encrypted",
            "Encrypted: explicit TLS (AUTH TLS), which the server offered",
        ),
        (true, _) => ("Encrypted", "Encrypted: explicit TLS (AUTH TLS)"),
        (false, Some(Security::ExplicitIfAvailable)) => (
            "Not encrypted",
            "Not encrypted: the server does not offer TLS, so 'explicit TLS if available' \
             fell back to plain FTP; the password and files cross the network readable",
        ),
        (false, _) => (
            "Not encrypted",
            "Not encrypted: plain FTP; the password and files cross the network readable",
        ),
    }
}

/// The status line's padlock: closed on a TLS connection, open otherwise.
/// Its accessible name says which, its tooltip how.
fn padlock(ui: &mut egui::Ui, locked: bool, security: Option<Security>) -> egui::Response {
    let (name, tip) = padlock_text(locked, security);
    let (rect, response) = ui.allocate_exact_size(egui::vec2(12.0, 14.0), egui::Sense::hover());
    response.widget_info(|| egui::WidgetInfo::labeled(egui::accesskit::Role::Image, true, name));
    let color = if locked {
        egui::Color32::from_rgb(60, 180, 90)
    } else {
        ui.visuals().warn_fg_color
    };
    let painter = ui.painter();
    let body = egui::Rect::from_min_max(
        egui::pos2(rect.left() + 1.0, rect.center().y),
        egui::pos2(rect.right() - 1.0, rect.bottom() - 1.0),
    );
    painter.rect_filled(body, 1.5, color);
    // The shackle: an arch over the body, lifted off its right post when open.
    let stroke = egui::Stroke::new(1.6, color);
    let (left, right) = (body.left() + 2.5, body.right() - 2.5);
    let radius = (right - left) / 2.0;
    let mid = (left + right) / 2.0;
    let lift = if locked { 0.0 } else { 3.0 };
    let top = rect.top() + 1.5 - lift;
    let arch: Vec<egui::Pos2> = (0..=8)
        .map(|i| {
            let a = std::f32::consts::PI * (i as f32 / 8.0);
            egui::pos2(mid - radius * a.cos(), top + radius - radius * a.sin())
        })
        .collect();
    painter.line_segment(
        [
            egui::pos2(left, body.top() - lift),
            egui::pos2(left, top + radius),
        ],
        stroke,
    );
    painter.add(egui::Shape::line(arch, stroke));
    painter.line_segment(
        [
            egui::pos2(right, top + radius),
            egui::pos2(right, body.top()),
        ],
        stroke,
    );
    response.on_hover_text(tip)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_padlock_says_how_the_session_is_secured() {
        let tip = |locked, security| padlock_text(locked, Some(security)).1;
        assert!(tip(true, Security::Explicit).contains("explicit TLS"));
        assert!(tip(true, Security::Implicit).contains("implicit TLS"));
        assert!(tip(true, Security::ExplicitIfAvailable).contains("server offered"));
        assert!(tip(false, Security::ExplicitIfAvailable).contains("fell back to plain FTP"));
        assert!(tip(false, Security::None).contains("plain FTP"));
        assert_eq!(padlock_text(false, None).0, "Not encrypted");
    }
}
