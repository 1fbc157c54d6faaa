//! Saved sites in the window, end to end: the real app in egui_kittest over a
//! temporary config folder and the in-memory password store, driven by
//! accessible labels, connecting to the in-process libunftp server.

mod support;

use std::path::Path;
use std::sync::Arc;

use eframe::egui;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use ferry::engine::AnyPath;
use ferry::sites::{
    ConnectionMode, LogonType, MemorySecrets, SecretStore, Site, SiteList, SiteStore, TRUST_FILE,
};
use ferry::ui::app::{Connection, State};
use ferry::ui::job::FolderPicker;
use ferry::ui::{AppConfig, FerryApp, SitesConfig};
use support::server::{PASSWORD, ServerOptions, TestServer, USER};
use support::window::{remote_names, runtime, wait_until};

/// The app over `config` (sites and trust files) with `secrets` as its keyring.
fn app_with(
    local: &Path,
    config: &Path,
    secrets: Arc<MemorySecrets>,
    state: State,
) -> Harness<'static, FerryApp> {
    let local = local.to_path_buf();
    let dir = config.to_path_buf();
    let mut h = Harness::builder()
        .with_size([1280.0, 860.0])
        .with_step_dt(1.0 / 60.0)
        .build_eframe(move |cc| {
            FerryApp::with_state(
                cc.egui_ctx.clone(),
                state,
                AppConfig {
                    local_start: Some(local),
                    sites: Some(SitesConfig {
                        dir,
                        secrets: secrets as Arc<dyn SecretStore>,
                    }),
                    ..AppConfig::default()
                },
            )
            .expect("app starts")
        });
    h.step();
    wait_until(&mut h, "the saved sites read", |a| !a.sites_loading());
    h
}

fn app(local: &Path, config: &Path, secrets: Arc<MemorySecrets>) -> Harness<'static, FerryApp> {
    let mut h = app_with(local, config, secrets, State::default());
    wait_until(&mut h, "the keyring's status", |a| {
        a.keyring_status.is_some()
    });
    h
}

fn seeded_server(rt: &tokio::runtime::Runtime, tls: bool) -> TestServer {
    let server = rt.block_on(TestServer::start(ServerOptions { tls, active: true }));
    std::fs::create_dir_all(server.path("docs/inner")).unwrap();
    std::fs::write(server.path("docs/readme.txt"), b"read me").unwrap();
    std::fs::write(server.path("hello.txt"), b"hello from the server").unwrap();
    server
}

/// The widget labelled `label` lowest on screen: a dialog's, not the
/// quick-connect bar's of the same name at the top of the window.
fn lowest<'h>(h: &'h Harness<'_, FerryApp>, label: &'h str) -> egui_kittest::Node<'h> {
    h.get_all_by_label(label)
        .max_by(|a, b| a.rect().top().total_cmp(&b.rect().top()))
        .unwrap_or_else(|| panic!("no widget labelled {label:?}"))
}

/// Scroll the (lowest) widget labelled `label` into view and wait until it
/// stops moving (egui scrolls smoothly, starting a frame after the request:
/// one still frame is not the end).
fn scroll_to(h: &mut Harness<'_, FerryApp>, label: &str) {
    lowest(h, label).scroll_to_me();
    let mut last = lowest(h, label).rect();
    let mut still = 0;
    for _ in 0..120 {
        h.step();
        let now = lowest(h, label).rect();
        still = if now == last { still + 1 } else { 0 };
        if still == 3 {
            return;
        }
        last = now;
    }
    panic!("{label} kept moving");
}

/// Replace the text of the (lowest) input labelled `label` by typing.
fn type_into(h: &mut Harness<'_, FerryApp>, label: &str, text: &str) {
    scroll_to(h, label);
    // Focus the way a screen reader does: a synthetic click right after a
    // window appears can be lost.
    lowest(h, label).focus();
    h.step();
    assert!(lowest(h, label).is_focused(), "{label} has the focus");
    h.key_combination_modifiers(egui::Modifiers::COMMAND, &[egui::Key::A]);
    lowest(h, label).type_text(text);
    h.step();
}

/// Open a menu of the menu bar.
fn open_menu(h: &mut Harness<'_, FerryApp>, menu: &str) {
    h.get_by_label(menu).click();
    h.run_steps(4);
}

/// Click the (lowest) widget labelled `label`, and wait for any save it
/// started (the sites file is written on a thread of its own).
fn click_last(h: &mut Harness<'_, FerryApp>, label: &str) {
    scroll_to(h, label);
    lowest(h, label).click();
    h.run_steps(2);
    wait_until(h, "the sites file written", |a| !a.is_saving());
}

/// A site for the test server, saved straight into `config`.
fn saved_site(config: &Path, server: &TestServer, name: &str) -> Site {
    let mut site = Site::new(name, "127.0.0.1");
    site.port = Some(server.addr.port());
    site.user = USER.into();
    site.mode = ConnectionMode::Passive;
    SiteStore::at(config)
        .save(&SiteList {
            sites: vec![site.clone()],
            ..SiteList::default()
        })
        .unwrap();
    site
}

fn stored_sites(config: &Path) -> Vec<Site> {
    SiteStore::at(config).load().unwrap().sites.sites
}

/// No file in the config folder holds `secret`, in any form a grep would find.
fn assert_nowhere_on_disk(config: &Path, secret: &str) {
    let files = support::files_under(config);
    assert!(!files.is_empty(), "something was saved");
    for (name, bytes) in files {
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains(secret), "{name} holds the password:\n{text}");
    }
}

#[test]
fn a_site_made_in_the_manager_survives_a_restart_and_connects_to_its_default_folder() {
    let rt = runtime();
    let server = seeded_server(&rt, false);
    let local = tempfile::tempdir().unwrap();
    let site_local = tempfile::tempdir().unwrap();
    let config = tempfile::tempdir().unwrap();
    let keyring = Arc::new(MemorySecrets::new());

    let mut h = app(local.path(), config.path(), keyring.clone());
    h.key_combination_modifiers(egui::Modifiers::COMMAND, &[egui::Key::S]);
    h.run_steps(2);
    assert!(h.state().site_manager.open, "Ctrl+S opens the Site Manager");
    h.get_by_label("New site").click();
    h.run_steps(2);
    type_into(&mut h, "Site name", "Test server");
    type_into(&mut h, "Host", "127.0.0.1");
    type_into(&mut h, "Port", &server.addr.port().to_string());
    type_into(&mut h, "User", USER);
    type_into(&mut h, "Password", PASSWORD);
    h.get_by_label("Remember password").click();
    h.step();
    type_into(
        &mut h,
        "Default local folder",
        &site_local.path().display().to_string(),
    );
    type_into(&mut h, "Remote folder", "/docs");
    // A field of the shared connection form: typed here, kept in the site.
    type_into(&mut h, "Server time zone", "+5:30");
    h.check_accessibility();
    click_last(&mut h, "Save");

    let sites = stored_sites(config.path());
    assert_eq!(sites.len(), 1, "{:?}", h.state().site_manager.error);
    let id = sites[0].id.clone();
    assert_eq!(sites[0].name, "Test server");
    assert_eq!(sites[0].port, Some(server.addr.port()));
    assert_eq!(sites[0].remote_folder.as_deref(), Some("/docs"));
    assert_eq!(sites[0].time_offset_minutes, Some(330));
    assert!(sites[0].remember_password);
    wait_until(&mut h, "the password in the keyring", |_| {
        keyring.get(&id).unwrap().is_some()
    });
    assert_eq!(keyring.get(&id).unwrap().as_deref(), Some(PASSWORD));
    assert_nowhere_on_disk(config.path(), PASSWORD);
    click_last(&mut h, "OK");
    assert!(!h.state().site_manager.open);
    drop(h);

    // A new app over the same config folder (and the same keyring).
    let mut h = app(local.path(), config.path(), keyring.clone());
    open_menu(&mut h, "File");
    // Menu entries with a shortcut are named with it ("Site Manager… Ctrl+S").
    h.get_by_label("Site Manager… Ctrl+S").click();
    h.run_steps(2);
    h.get_by_label("Test server").click();
    h.run_steps(2);
    click_last(&mut h, "Connect");
    wait_until(&mut h, "the default remote folder's listing", |a| {
        remote_names(a).contains(&"readme.txt".to_string())
    });
    let app = h.state();
    assert!(matches!(app.connection, Connection::Connected { .. }));
    assert_eq!(app.remote.path(), Some(&AnyPath::Remote(b"/docs".to_vec())));
    assert_eq!(
        app.local.path(),
        Some(&AnyPath::Local(site_local.path().to_path_buf()))
    );
    assert_eq!(app.connected_site.as_deref(), Some(id.as_str()));
    assert_eq!(app.state.recent_sites, vec![id.clone()]);

    // The lead's hook for auto mode's fallback writes the mode into the profile.
    h.state_mut()
        .remember_working_mode(ferry::ftp::DataMode::Active);
    wait_until(&mut h, "the sites file written", |a| !a.is_saving());
    assert_eq!(
        stored_sites(config.path())[0].last_working_mode,
        Some(ConnectionMode::Active)
    );
    assert_nowhere_on_disk(config.path(), PASSWORD);
}

#[test]
fn recent_sites_in_the_file_menu_connect() {
    let rt = runtime();
    let server = seeded_server(&rt, false);
    let local = tempfile::tempdir().unwrap();
    let config = tempfile::tempdir().unwrap();
    let keyring = Arc::new(MemorySecrets::new());
    let mut site = saved_site(config.path(), &server, "Recent one");
    site.remember_password = true;
    SiteStore::at(config.path())
        .save(&SiteList {
            sites: vec![site.clone()],
            ..SiteList::default()
        })
        .unwrap();
    keyring.set(&site.id, PASSWORD).unwrap();
    let state = State {
        recent_sites: vec![site.id.clone(), "a-deleted-site".into()],
        ..State::default()
    };
    let mut h = app_with(local.path(), config.path(), keyring, state);
    open_menu(&mut h, "File");
    h.get_by_label("Recent one").click();
    wait_until(&mut h, "the listing, with the remembered password", |a| {
        remote_names(a).contains(&"hello.txt".to_string())
    });
    assert_eq!(h.state().connected_site.as_deref(), Some(site.id.as_str()));
}

#[test]
fn cancel_discards_an_edit() {
    let rt = runtime();
    let server = seeded_server(&rt, false);
    let local = tempfile::tempdir().unwrap();
    let config = tempfile::tempdir().unwrap();
    saved_site(config.path(), &server, "Keep me");
    let before = std::fs::read(config.path().join("sites.toml")).unwrap();
    let mut h = app(local.path(), config.path(), Arc::new(MemorySecrets::new()));
    h.state_mut().open_site_manager(None);
    h.run_steps(2);
    type_into(&mut h, "Site name", "Changed");
    type_into(&mut h, "Host", "elsewhere.example.org");
    assert!(h.state().site_manager.is_dirty());
    assert!(
        h.query_by_label("Changed").is_some(),
        "the tree follows the edit"
    );
    click_last(&mut h, "Cancel");
    assert!(!h.state().site_manager.open);
    assert_eq!(
        std::fs::read(config.path().join("sites.toml")).unwrap(),
        before,
        "the file is untouched"
    );
    assert_eq!(h.state().sites.sites[0].name, "Keep me");
    h.state_mut().open_site_manager(None);
    h.run_steps(2);
    assert!(h.query_by_label("Keep me").is_some());
    assert!(h.query_by_label("Changed").is_none());
}

/// A password store whose `set` waits until the test opens the gate (at
/// most 10 s), as a keyring waiting for the user to unlock it would.
struct GatedSecrets {
    inner: MemorySecrets,
    gate: std::sync::Mutex<std::sync::mpsc::Receiver<()>>,
}

impl SecretStore for GatedSecrets {
    fn status(&self) -> ferry::sites::KeyringStatus {
        self.inner.status()
    }
    fn get(&self, site_id: &str) -> ferry::sites::Result<Option<String>> {
        self.inner.get(site_id)
    }
    fn set(&self, site_id: &str, password: &str) -> ferry::sites::Result<()> {
        let _ = self
            .gate
            .lock()
            .unwrap()
            .recv_timeout(std::time::Duration::from_secs(10));
        self.inner.set(site_id, password)
    }
    fn delete(&self, site_id: &str) -> ferry::sites::Result<()> {
        self.inner.delete(site_id)
    }
}

#[test]
fn the_first_frame_is_drawn_while_the_saved_sites_are_still_being_read() {
    let local = tempfile::tempdir().unwrap();
    let config = tempfile::tempdir().unwrap();
    // A hand-written password: reading the file moves it into the keyring,
    // which here blocks until the gate opens.
    std::fs::write(
        SiteStore::at(config.path()).path(),
        "schema_version = 1\n[[sites]]\nid = \"s1\"\nname = \"Typed\"\nhost = \"h\"\nuser = \"u\"\npassword = \"typed-in-clear\"\n",
    )
    .unwrap();
    let (open_gate, gate) = std::sync::mpsc::channel();
    let secrets = Arc::new(GatedSecrets {
        inner: MemorySecrets::new(),
        gate: std::sync::Mutex::new(gate),
    });
    let (local_dir, dir, store) = (
        local.path().to_path_buf(),
        config.path().to_path_buf(),
        secrets.clone(),
    );
    let mut h = Harness::builder()
        .with_size([1280.0, 860.0])
        .build_eframe(move |cc| {
            FerryApp::with_state(
                cc.egui_ctx.clone(),
                State::default(),
                AppConfig {
                    local_start: Some(local_dir),
                    sites: Some(SitesConfig {
                        dir,
                        secrets: store as Arc<dyn SecretStore>,
                    }),
                    ..AppConfig::default()
                },
            )
            .expect("app starts")
        });
    h.run_steps(3);
    assert!(h.state().sites_loading(), "the sites are still being read");
    assert!(h.query_by_label("Host").is_some(), "the window is drawn");
    assert!(h.state().sites.sites.is_empty());

    open_gate.send(()).unwrap();
    wait_until(&mut h, "the saved sites read", |a| !a.sites_loading());
    assert_eq!(h.state().sites.sites[0].name, "Typed");
    assert_eq!(
        secrets.inner.get("s1").unwrap().as_deref(),
        Some("typed-in-clear")
    );
}

/// Open the Site Manager on its only site, with `picker` as the folder picker.
fn manager_with_picker(
    h: &mut Harness<'_, FerryApp>,
    picker: impl Fn(&str, Option<std::path::PathBuf>) -> Option<std::path::PathBuf>
    + Send
    + Sync
    + 'static,
) {
    h.state_mut().site_manager.folder_picker = FolderPicker::new(picker);
    h.state_mut().open_site_manager(None);
    h.run_steps(2);
    scroll_to(h, "Browse…");
}

fn browse_disabled(h: &Harness<'_, FerryApp>) -> bool {
    lowest(h, "Browse…").accesskit_node().is_disabled()
}

/// Step until Browse… is enabled again (at most 10 s).
fn wait_for_browse(h: &mut Harness<'_, FerryApp>) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while browse_disabled(h) && std::time::Instant::now() < deadline {
        h.step();
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    h.step();
}

#[test]
fn cancelling_the_folder_picker_enables_browse_again() {
    let local = tempfile::tempdir().unwrap();
    let config = tempfile::tempdir().unwrap();
    let site = Site::new("Box", "box.example");
    SiteStore::at(config.path())
        .save(&SiteList {
            sites: vec![site],
            ..SiteList::default()
        })
        .unwrap();
    let mut h = app(local.path(), config.path(), Arc::new(MemorySecrets::new()));
    // The picker stays open until the test answers "cancel".
    let (cancel, cancelled) = std::sync::mpsc::channel::<()>();
    let cancelled = std::sync::Mutex::new(cancelled);
    manager_with_picker(&mut h, move |_, _| {
        let _ = cancelled
            .lock()
            .unwrap()
            .recv_timeout(std::time::Duration::from_secs(10));
        None
    });
    assert!(!browse_disabled(&h));
    // As a screen reader clicks: a synthetic pointer click right after a
    // window appears can be lost.
    lowest(&h, "Browse…").click_accesskit();
    h.run_steps(2);
    assert!(browse_disabled(&h), "Browse… waits for the open picker");

    cancel.send(()).unwrap();
    wait_for_browse(&mut h);
    assert!(!browse_disabled(&h), "Browse… works again after a cancel");
    assert_eq!(
        h.state().site_manager.saved_sites().sites[0].local_folder,
        None
    );
}

#[test]
fn a_folder_picked_with_browse_becomes_the_default_local_folder() {
    let local = tempfile::tempdir().unwrap();
    let config = tempfile::tempdir().unwrap();
    SiteStore::at(config.path())
        .save(&SiteList {
            sites: vec![Site::new("Box", "box.example")],
            ..SiteList::default()
        })
        .unwrap();
    let mut h = app(local.path(), config.path(), Arc::new(MemorySecrets::new()));
    let picked = local.path().to_path_buf();
    manager_with_picker(&mut h, move |title, _| {
        assert_eq!(title, "Default local folder");
        Some(picked.clone())
    });
    // As a screen reader clicks: a synthetic pointer click right after a
    // window appears can be lost.
    lowest(&h, "Browse…").click_accesskit();
    let picked = Some(local.path().to_path_buf());
    wait_until(&mut h, "the picked folder", |a| {
        a.site_manager.sites().sites[0].local_folder == picked
    });
    assert!(!browse_disabled(&h));
    let shown = local.path().display().to_string();
    assert_eq!(
        lowest(&h, "Default local folder").value().as_deref(),
        Some(shown.as_str()),
        "the folder field shows the pick"
    );
    assert!(
        h.state().site_manager.is_dirty(),
        "the pick is an edit to save"
    );
}

#[test]
fn delete_asks_first_and_only_ok_removes_the_site_and_its_password() {
    let rt = runtime();
    let server = seeded_server(&rt, false);
    let local = tempfile::tempdir().unwrap();
    let config = tempfile::tempdir().unwrap();
    let keyring = Arc::new(MemorySecrets::new());
    let mut site = saved_site(config.path(), &server, "Old server");
    site.remember_password = true;
    SiteStore::at(config.path())
        .save(&SiteList {
            sites: vec![site.clone()],
            ..SiteList::default()
        })
        .unwrap();
    keyring.set(&site.id, PASSWORD).unwrap();
    let mut h = app(local.path(), config.path(), keyring.clone());
    h.state_mut().open_site_manager(None);
    h.run_steps(2);
    h.get_by_label("Old server").click();
    h.step();

    h.get_by_label("Delete…").click();
    h.run_steps(2);
    assert!(
        h.query_by_label_contains("Delete the site \"Old server\"?")
            .is_some(),
        "asks first"
    );
    // The question's Cancel (centred), not the Site Manager's (at its bottom).
    h.get_all_by_label("Cancel")
        .min_by(|a, b| a.rect().top().total_cmp(&b.rect().top()))
        .unwrap()
        .click();
    h.run_steps(2);
    assert!(h.query_by_label_contains("Delete the site").is_none());
    assert!(h.state().site_manager.open, "only the question closed");
    assert_eq!(h.state().site_manager.sites().sites.len(), 1);

    h.get_by_label("Delete…").click();
    h.run_steps(2);
    h.get_by_label("Delete").click();
    h.run_steps(2);
    assert!(h.state().site_manager.sites().sites.is_empty());
    assert_eq!(stored_sites(config.path()).len(), 1, "not before OK");
    click_last(&mut h, "OK");
    assert!(stored_sites(config.path()).is_empty());
    wait_until(&mut h, "the password forgotten", |_| {
        keyring.get(&site.id).unwrap().is_none()
    });
}

#[test]
fn save_as_site_from_the_quick_connect_bar_keeps_the_password_out_of_every_file() {
    let rt = runtime();
    let server = seeded_server(&rt, false);
    let local = tempfile::tempdir().unwrap();
    let config = tempfile::tempdir().unwrap();
    let keyring = Arc::new(MemorySecrets::new());
    let mut h = app(local.path(), config.path(), keyring.clone());
    let port = server.addr.port().to_string();
    for (label, text) in [
        ("Host", "127.0.0.1"),
        ("Port", port.as_str()),
        ("User", USER),
        ("Password", PASSWORD),
    ] {
        type_into(&mut h, label, text);
    }
    h.get_by_label("Save as site…").click();
    h.run_steps(2);
    assert!(h.state().site_manager.open);
    // Prefilled from the bar, with the password remembered by default.
    assert!(
        h.query_by_label("127.0.0.1").is_some(),
        "the new site in the tree"
    );
    click_last(&mut h, "OK");
    let sites = stored_sites(config.path());
    assert_eq!(sites.len(), 1);
    assert_eq!(
        (sites[0].user.as_str(), sites[0].port),
        (USER, Some(server.addr.port()))
    );
    wait_until(&mut h, "the password in the keyring", |_| {
        keyring.get(&sites[0].id).unwrap().is_some()
    });
    assert_nowhere_on_disk(config.path(), PASSWORD);

    // Unticking Remember password forgets it.
    h.state_mut().open_site_manager(Some(&sites[0].id));
    h.run_steps(2);
    h.get_by_label("Remember password").click();
    h.step();
    click_last(&mut h, "OK");
    assert!(!stored_sites(config.path())[0].remember_password);
    wait_until(&mut h, "the password forgotten", |_| {
        keyring.get(&sites[0].id).unwrap().is_none()
    });
}

#[test]
fn without_a_keyring_connecting_asks_for_the_password_and_saves_none() {
    let rt = runtime();
    let server = seeded_server(&rt, false);
    let local = tempfile::tempdir().unwrap();
    let config = tempfile::tempdir().unwrap();
    let mut site = saved_site(config.path(), &server, "No keyring here");
    // Remembered on another machine: here there is nothing to read it from.
    site.remember_password = true;
    SiteStore::at(config.path())
        .save(&SiteList {
            sites: vec![site.clone()],
            ..SiteList::default()
        })
        .unwrap();
    let mut h = app(
        local.path(),
        config.path(),
        Arc::new(MemorySecrets::unavailable()),
    );
    h.state_mut().open_site_manager(None);
    h.run_steps(2);
    let notice = h.state().notice.clone().unwrap_or_default();
    assert!(notice.contains("No keyring service"), "{notice}");
    assert_eq!(
        h.query_all_by_label_contains("Ferry asks for passwords when connecting")
            .count(),
        2,
        "the status line says so, and the dialog beside the checkbox"
    );
    type_into(&mut h, "Comment", "edited without a keyring");
    click_last(&mut h, "Connect");
    assert!(
        h.query_by_label_contains("Enter the password").is_some(),
        "asked for the password"
    );
    assert_eq!(
        stored_sites(config.path())[0].comment,
        "edited without a keyring",
        "Connect saved the edit first"
    );
    h.get_all_by_label("Password")
        .last()
        .unwrap()
        .type_text(PASSWORD);
    h.step();
    h.key_press(egui::Key::Enter);
    wait_until(&mut h, "the listing", |a| {
        remote_names(a).contains(&"hello.txt".to_string())
    });
    assert_nowhere_on_disk(config.path(), PASSWORD);
}

#[test]
fn the_anonymous_logon_needs_no_password_at_all() {
    let rt = runtime();
    let server = seeded_server(&rt, false);
    let local = tempfile::tempdir().unwrap();
    let config = tempfile::tempdir().unwrap();
    let mut site = saved_site(config.path(), &server, "Anonymous");
    site.logon = LogonType::Anonymous;
    let mut h = app(local.path(), config.path(), Arc::new(MemorySecrets::new()));
    h.state_mut().connect_site(site, None);
    h.run_steps(2);
    assert!(h.query_by_label_contains("Enter the password").is_none());
    // The test server knows only alice: it refuses the anonymous login itself.
    wait_until(&mut h, "the login answer", |a| a.banner.is_some());
    let banner = h.state().banner.clone().unwrap().message;
    assert!(banner.contains("login failed: 530"), "{banner}");
}

/// Connect to `site` from the Site Manager, retrying only on libunftp's
/// AUTH TLS race (see `support::is_libunftp_auth_tls_race`); returns once
/// connected or once the certificate prompt is up.
fn connect_tls(h: &mut Harness<'_, FerryApp>, site: &Site) {
    for _ in 0..3 {
        h.state_mut().banner = None;
        h.state_mut()
            .connect_site(site.clone(), Some(PASSWORD.into()));
        wait_until(h, "the certificate prompt or the listing", |a| {
            a.cert_prompt.is_some()
                || a.banner.is_some()
                || remote_names(a).contains(&"hello.txt".to_string())
        });
        match h.state().banner.clone() {
            Some(b) if support::is_libunftp_auth_tls_race(&b.message) => continue,
            Some(b) => panic!("{}", b.message),
            None => {
                // A modal is placed on its second frame: click only after that.
                h.run_steps(3);
                return;
            }
        }
    }
    panic!("three attempts lost libunftp's AUTH TLS race");
}

#[test]
fn always_trust_goes_to_the_trust_file_and_a_changed_certificate_shows_both() {
    let rt = runtime();
    let server = seeded_server(&rt, true);
    let local = tempfile::tempdir().unwrap();
    let config = tempfile::tempdir().unwrap();
    let mut site = saved_site(config.path(), &server, "TLS server");
    site.protocol = ferry::sites::Protocol::ExplicitTls;
    let mut h = app(local.path(), config.path(), Arc::new(MemorySecrets::new()));
    connect_tls(&mut h, &site);
    assert!(
        h.state().cert_prompt.is_some(),
        "an unknown certificate asks"
    );
    h.get_by_label("Always trust this host").click();
    h.run_steps(2);
    // The trust file is written on a thread of its own.
    let trust_file = config.path().join(TRUST_FILE);
    wait_until(&mut h, "the trust file written", |_| trust_file.exists());
    assert!(h.state().banner.is_none(), "{:?}", h.state().banner);
    let fingerprint = server.cert_sha256_hex.clone().unwrap();
    let trust = std::fs::read_to_string(&trust_file).unwrap();
    assert!(
        trust.contains(&format!(
            "\"127.0.0.1:{}\" = \"{fingerprint}\"",
            server.addr.port()
        )),
        "{trust}"
    );
    assert!(
        h.state().state.trusted_certificates.is_empty(),
        "not in the window state"
    );
    drop(h);

    // Next run: the trusted certificate is pinned, no question.
    let mut h = app(local.path(), config.path(), Arc::new(MemorySecrets::new()));
    connect_tls(&mut h, &site);
    assert!(h.state().cert_prompt.is_none());
    wait_until(&mut h, "the listing", |a| {
        remote_names(a).contains(&"hello.txt".to_string())
    });
    drop(h);

    // Another certificate was trusted for this server: a loud warning with both.
    let old = "ab".repeat(32);
    std::fs::write(
        config.path().join(TRUST_FILE),
        format!(
            "[trusted]\n\"127.0.0.1:{}\" = \"{old}\"\n",
            server.addr.port()
        ),
    )
    .unwrap();
    let mut h = app(local.path(), config.path(), Arc::new(MemorySecrets::new()));
    connect_tls(&mut h, &site);
    let prompt = h
        .state()
        .cert_prompt
        .clone()
        .expect("the changed certificate is shown");
    assert!(prompt.is_changed());
    assert_eq!(prompt.previous.as_deref(), Some(old.as_str()));
    assert!(h.query_by_label("Certificate changed").is_some());
    assert!(h.query_by_label("Trusted before").is_some());
    assert!(
        h.query_by_label_contains("AB:AB:AB:AB").is_some(),
        "the old fingerprint"
    );
    // The new fingerprint's first line (its first byte may recur in other lines).
    let new_line = fingerprint[..16]
        .to_uppercase()
        .as_bytes()
        .chunks(2)
        .map(|b| String::from_utf8_lossy(b).into_owned())
        .collect::<Vec<_>>()
        .join(":");
    assert!(
        h.query_by_label_contains(&new_line).is_some(),
        "the new fingerprint"
    );
    h.get_all_by_label("Cancel").last().unwrap().click();
    h.step();
    assert!(!matches!(
        h.state().connection,
        Connection::Connected { .. }
    ));
}

#[test]
fn certificates_trusted_by_an_older_ferry_move_into_the_trust_file_once() {
    let local = tempfile::tempdir().unwrap();
    let config = tempfile::tempdir().unwrap();
    let fp = "cd".repeat(32);
    let mut state = State::default();
    state
        .trusted_certificates
        .insert("ftp.example.org:990".into(), fp.clone());
    let h = app_with(
        local.path(),
        config.path(),
        Arc::new(MemorySecrets::new()),
        state,
    );
    assert!(h.state().state.trusted_certificates.is_empty());
    let trust = std::fs::read_to_string(config.path().join(TRUST_FILE)).unwrap();
    assert!(
        trust.contains(&format!("\"ftp.example.org:990\" = \"{fp}\"")),
        "{trust}"
    );
}

#[test]
fn a_sites_file_with_a_bad_entry_says_so_and_keeps_the_rest() {
    let local = tempfile::tempdir().unwrap();
    let config = tempfile::tempdir().unwrap();
    std::fs::write(
        config.path().join("sites.toml"),
        "schema_version = 1\n[[sites]]\nname = \"Good\"\nhost = \"h\"\n[[sites]]\nname = \"Bad\"\n",
    )
    .unwrap();
    let h = app(local.path(), config.path(), Arc::new(MemorySecrets::new()));
    let banner = h
        .state()
        .banner
        .clone()
        .expect("the problem is shown")
        .message;
    assert!(banner.contains("\"Bad\""), "{banner}");
    assert_eq!(h.state().sites.sites.len(), 1);
}

#[test]
fn import_reports_what_came_in_and_export_writes_no_password() {
    let local = tempfile::tempdir().unwrap();
    let config = tempfile::tempdir().unwrap();
    let keyring = Arc::new(MemorySecrets::new());
    let xml = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        xml.path(),
        r#"<?xml version="1.0"?>
<FileZilla3><Servers>
  <Folder>Work<Server><Host>ftp.example.org</Host><Port>21</Port><Protocol>0</Protocol>
    <Type>0</Type><User>bob</User><Pass encoding="base64">aHVudGVyMg==</Pass><Logontype>1</Logontype>
    <Name>Work FTP</Name></Server></Folder>
  <Server><Host>sftp.example.org</Host><Port>22</Port><Protocol>1</Protocol><Type>0</Type>
    <Logontype>0</Logontype><Name>An SFTP one</Name></Server>
</Servers></FileZilla3>"#,
    )
    .unwrap();
    let mut h = app(local.path(), config.path(), keyring.clone());
    let ctx = h.ctx.clone();
    h.state_mut()
        .import_sites(Some(xml.path().to_path_buf()), &ctx);
    wait_until(&mut h, "the import", |a| {
        !a.file_job_running() && !a.is_saving()
    });
    assert!(
        h.query_by_label_contains("Imported 1 site, skipped 1")
            .is_some()
    );
    assert!(h.query_by_label_contains("Skipped An SFTP one").is_some());
    let sites = stored_sites(config.path());
    assert_eq!(
        (sites[0].name.as_str(), sites[0].folder.as_slice()),
        ("Work FTP", &["Work".to_string()][..])
    );
    assert_eq!(
        keyring.get(&sites[0].id).unwrap().as_deref(),
        Some("hunter2")
    );
    assert_nowhere_on_disk(config.path(), "hunter2");
    h.get_by_label("Close").click();
    h.step();

    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("export.toml");
    h.state_mut().export_sites(Some(file.clone()), &ctx);
    wait_until(&mut h, "the export", |a| !a.file_job_running());
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(
        text.contains("Work FTP") && !text.contains("hunter2"),
        "{text}"
    );
    assert!(
        h.state()
            .notice
            .clone()
            .unwrap_or_default()
            .contains("Exported 1 site to")
    );
}

/// Press at `from`, move to `to` over a few frames, release there.
fn drag(h: &mut Harness<'_, FerryApp>, from: egui::Pos2, to: egui::Pos2) {
    h.hover_at(from);
    h.step();
    h.drag_at(from);
    h.step();
    for i in 1..=5 {
        h.hover_at(from + (to - from) * (i as f32 / 5.0));
        h.step();
    }
    h.drop_at(to);
    h.run_steps(2);
}

#[test]
fn dragging_a_site_onto_a_folder_moves_it_there_and_onto_a_site_puts_it_before() {
    let local = tempfile::tempdir().unwrap();
    let config = tempfile::tempdir().unwrap();
    let mut a = Site::new("Site A", "a.example.org");
    a.user = USER.into();
    let mut b = Site::new("Site B", "b.example.org");
    b.user = USER.into();
    SiteStore::at(config.path())
        .save(&SiteList {
            sites: vec![a, b],
            folders: vec![vec!["Work".into()]],
            ..SiteList::default()
        })
        .unwrap();
    let mut h = app(local.path(), config.path(), Arc::new(MemorySecrets::new()));
    h.state_mut().open_site_manager(None);
    h.run_steps(3);
    let from = h.get_by_label("Site B").rect().center();
    let to = h.get_by_label("Work").rect().center();
    drag(&mut h, from, to);
    let order = |h: &Harness<'_, FerryApp>| -> Vec<(String, Vec<String>)> {
        h.state()
            .site_manager
            .sites()
            .sites
            .iter()
            .map(|s| (s.name.clone(), s.folder.clone()))
            .collect()
    };
    assert_eq!(
        order(&h),
        [
            ("Site A".to_string(), vec![]),
            ("Site B".to_string(), vec!["Work".to_string()])
        ]
    );
    // Site A onto Site B: into B's folder, just before it.
    let from = h.get_by_label("Site A").rect().center();
    let to = h.get_by_label("Site B").rect().center();
    drag(&mut h, from, to);
    assert_eq!(
        order(&h),
        [
            ("Site A".to_string(), vec!["Work".to_string()]),
            ("Site B".to_string(), vec!["Work".to_string()])
        ]
    );
    assert_eq!(
        stored_sites(config.path())[1].folder,
        Vec::<String>::new(),
        "not before Save"
    );
    click_last(&mut h, "Save");
    let stored = stored_sites(config.path());
    assert!(stored.iter().all(|s| s.folder == ["Work"]), "{stored:?}");
}

#[test]
fn saving_keeps_sites_the_command_line_added_meanwhile() {
    let local = tempfile::tempdir().unwrap();
    let config = tempfile::tempdir().unwrap();
    let mut h = app(local.path(), config.path(), Arc::new(MemorySecrets::new()));
    h.state_mut().open_site_manager(None);
    h.run_steps(2);
    // `ferry sites import` (or a second window) writes the file meanwhile.
    let mut theirs = Site::new("Added elsewhere", "other.example.org");
    theirs.logon = LogonType::Anonymous;
    SiteStore::at(config.path())
        .save(&SiteList {
            sites: vec![theirs],
            ..SiteList::default()
        })
        .unwrap();
    h.get_by_label("New site").click();
    h.run_steps(2);
    type_into(&mut h, "Site name", "Mine");
    type_into(&mut h, "Host", "mine.example.org");
    type_into(&mut h, "User", USER);
    click_last(&mut h, "Save");
    let names = |config: &Path| -> Vec<String> {
        stored_sites(config).into_iter().map(|s| s.name).collect()
    };
    assert_eq!(names(config.path()), ["Mine", "Added elsewhere"]);
    assert!(
        h.query_by_label("Added elsewhere").is_some(),
        "shown in the tree"
    );
    // And the next save, from the same dialog, keeps it too.
    type_into(&mut h, "Host", "mine2.example.org");
    click_last(&mut h, "OK");
    assert_eq!(names(config.path()), ["Mine", "Added elsewhere"]);
}

#[test]
fn save_as_site_from_the_connection_dialog_and_inline_rename() {
    let local = tempfile::tempdir().unwrap();
    let config = tempfile::tempdir().unwrap();
    let mut h = app(local.path(), config.path(), Arc::new(MemorySecrets::new()));
    h.key_combination_modifiers(egui::Modifiers::COMMAND, &[egui::Key::N]);
    h.run_steps(3);
    assert!(h.state().dialog.open);
    type_into(&mut h, "Host", "dialog.example.org");
    type_into(&mut h, "User", USER);
    click_last(&mut h, "Save as site…");
    assert!(!h.state().dialog.open);
    assert!(h.state().site_manager.open);
    h.run_steps(2);
    assert!(h.query_by_label("dialog.example.org").is_some());

    h.get_by_label("Rename").click();
    h.run_steps(3);
    // The rename field opens focused with the name selected: typing replaces it.
    h.get_by_label("New name").type_text("Renamed");
    h.step();
    h.key_press(egui::Key::Enter);
    h.run_steps(2);
    assert!(h.query_by_label("Renamed").is_some());
    click_last(&mut h, "OK");
    let sites = stored_sites(config.path());
    assert_eq!(
        (sites[0].name.as_str(), sites[0].host.as_str()),
        ("Renamed", "dialog.example.org")
    );
}

#[test]
fn the_tree_answers_the_keyboard() {
    let local = tempfile::tempdir().unwrap();
    let config = tempfile::tempdir().unwrap();
    let mut a = Site::new("First", "a.example.org");
    a.user = USER.into();
    let mut b = Site::new("Second", "b.example.org");
    b.user = USER.into();
    let b_id = b.id.clone();
    SiteStore::at(config.path())
        .save(&SiteList {
            sites: vec![a, b],
            ..SiteList::default()
        })
        .unwrap();
    let mut h = app(local.path(), config.path(), Arc::new(MemorySecrets::new()));
    h.state_mut().open_site_manager(None);
    h.run_steps(2);
    h.key_press(egui::Key::ArrowDown);
    h.run_steps(2);
    assert_eq!(
        h.state().site_manager.selected,
        Some(ferry::ui::site_manager::Selection::Site(b_id.clone()))
    );
    // After a click on a row too.
    h.get_by_label("First").click();
    h.run_steps(2);
    h.key_press(egui::Key::ArrowDown);
    h.run_steps(2);
    assert_eq!(
        h.state().site_manager.selected,
        Some(ferry::ui::site_manager::Selection::Site(b_id.clone()))
    );
    h.key_press(egui::Key::F2);
    h.run_steps(3);
    assert!(h.query_by_label("New name").is_some());
    h.check_accessibility();
    h.key_press(egui::Key::Escape);
    h.run_steps(2);
    assert!(h.query_by_label("New name").is_none());
    assert!(h.state().site_manager.open, "Escape ended the rename only");
    h.key_press(egui::Key::Delete);
    h.run_steps(2);
    assert!(
        h.query_by_label_contains("Delete the site \"Second\"?")
            .is_some()
    );
    h.check_accessibility();
}

#[test]
fn the_password_prompt_can_remember_the_password() {
    let rt = runtime();
    let server = seeded_server(&rt, false);
    let local = tempfile::tempdir().unwrap();
    let config = tempfile::tempdir().unwrap();
    let keyring = Arc::new(MemorySecrets::new());
    let site = saved_site(config.path(), &server, "Ask me");
    let mut h = app(local.path(), config.path(), keyring.clone());
    h.state_mut().open_site_manager(None);
    h.run_steps(2);
    // Double-click connects.
    h.get_by_label("Ask me").click();
    h.step();
    h.get_by_label("Ask me").click();
    h.run_steps(3);
    assert!(!h.state().site_manager.open);
    assert!(h.query_by_label_contains("Enter the password").is_some());
    h.check_accessibility();
    lowest(&h, "Password").type_text(PASSWORD);
    h.step();
    h.get_by_label("Remember password").click();
    h.step();
    lowest(&h, "Password").focus();
    h.step();
    h.key_press(egui::Key::Enter);
    wait_until(&mut h, "the listing", |a| {
        remote_names(a).contains(&"hello.txt".to_string())
    });
    // The site is written on a thread of its own, maybe after the listing.
    wait_until(&mut h, "the site saved as remembering it", |_| {
        stored_sites(config.path())[0].remember_password
    });
    wait_until(&mut h, "the password in the keyring", |_| {
        keyring.get(&site.id).unwrap().is_some()
    });
    assert_nowhere_on_disk(config.path(), PASSWORD);
}

#[test]
fn a_duplicate_gets_its_own_copy_of_the_remembered_password() {
    let local = tempfile::tempdir().unwrap();
    let config = tempfile::tempdir().unwrap();
    let keyring = Arc::new(MemorySecrets::new());
    let mut site = Site::new("Original", "ftp.example.org");
    site.user = USER.into();
    site.remember_password = true;
    SiteStore::at(config.path())
        .save(&SiteList {
            sites: vec![site.clone()],
            ..SiteList::default()
        })
        .unwrap();
    keyring.set(&site.id, PASSWORD).unwrap();
    let mut h = app(local.path(), config.path(), keyring.clone());
    h.state_mut().open_site_manager(None);
    h.run_steps(2);
    h.get_by_label("Duplicate").click();
    h.run_steps(2);
    assert!(h.query_by_label("Original (copy)").is_some());
    click_last(&mut h, "OK");
    let sites = stored_sites(config.path());
    assert_eq!(sites.len(), 2);
    let copy = sites.iter().find(|s| s.name == "Original (copy)").unwrap();
    assert_ne!(copy.id, site.id);
    wait_until(&mut h, "the copied password", |_| {
        keyring.get(&copy.id).unwrap().is_some()
    });
    assert_eq!(keyring.get(&copy.id).unwrap().as_deref(), Some(PASSWORD));
    assert_eq!(keyring.get(&site.id).unwrap().as_deref(), Some(PASSWORD));
}

#[test]
fn a_failed_save_keeps_the_dialog_open_and_says_why() {
    let local = tempfile::tempdir().unwrap();
    let config = tempfile::tempdir().unwrap();
    let mut h = app(local.path(), config.path(), Arc::new(MemorySecrets::new()));
    h.state_mut().open_site_manager(None);
    h.run_steps(2);
    // Something in the way of the file: the atomic rename cannot replace a folder.
    std::fs::create_dir(config.path().join("sites.toml")).unwrap();
    h.get_by_label("New site").click();
    h.run_steps(2);
    type_into(&mut h, "Host", "h.example.org");
    type_into(&mut h, "User", USER);
    click_last(&mut h, "OK");
    h.run_steps(2);
    assert!(
        h.state().site_manager.open,
        "OK did not close over a failed save"
    );
    let error = h.state().site_manager.error.clone().unwrap_or_default();
    assert!(error.starts_with("Not saved:"), "{error}");
    assert!(
        h.query_by_label_contains("Not saved:").is_some(),
        "on screen"
    );
    assert!(h.state().site_manager.is_dirty(), "the edit is still there");
}

#[test]
fn test_connection_in_the_manager_uses_the_remembered_password_and_can_fix_the_mode() {
    let rt = runtime();
    let server = seeded_server(&rt, false);
    let local = tempfile::tempdir().unwrap();
    let config = tempfile::tempdir().unwrap();
    let keyring = Arc::new(MemorySecrets::new());
    let mut site = saved_site(config.path(), &server, "Testable");
    site.mode = ConnectionMode::Active;
    site.remember_password = true;
    SiteStore::at(config.path())
        .save(&SiteList {
            sites: vec![site.clone()],
            ..SiteList::default()
        })
        .unwrap();
    keyring.set(&site.id, PASSWORD).unwrap();
    let mut h = app(local.path(), config.path(), keyring);
    h.state_mut().open_site_manager(None);
    h.run_steps(2);
    h.get_by_label("Testable").click();
    h.run_steps(2);
    h.get_by_label("Test connection").click();
    wait_until(&mut h, "the test's verdict", |a| {
        a.test.as_ref().is_some_and(|(t, _)| t.report.is_some())
    });
    let (test, _) = h.state().test.as_ref().unwrap();
    assert!(test.report.as_ref().unwrap().works(), "{:#?}", test.steps);
    assert!(
        h.state().site_manager.open,
        "testing does not close the manager"
    );
    assert!(
        h.state().connection == Connection::Disconnected,
        "testing does not connect"
    );
    h.check_accessibility();
    // The site asks for Active; passive works on this server, so it is offered.
    h.get_by_label("Use Passive for this site").click();
    h.run_steps(2);
    assert!(h.state().test.is_none());
    click_last(&mut h, "OK");
    assert_eq!(stored_sites(config.path())[0].mode, ConnectionMode::Passive);
}

#[test]
fn an_auto_site_remembers_the_mode_that_worked_when_passive_is_blocked() {
    use support::fake::{FakeServer, Step, engine_open_script, passive_blocked_active_listing};
    let rt = runtime();
    let mut steps = engine_open_script();
    steps.extend(passive_blocked_active_listing(
        b"-rw-r--r-- 1 u g 5 Jan  1  2024 behind-nat.txt\r\n",
    ));
    steps.push(Step::Hold);
    let fake = rt.block_on(FakeServer::start(steps));
    let local = tempfile::tempdir().unwrap();
    let config = tempfile::tempdir().unwrap();
    let mut site = Site::new("Behind NAT", "127.0.0.1");
    site.port = Some(fake.addr.port());
    site.logon = LogonType::Anonymous;
    site.timeout_secs = Some(2);
    assert_eq!(site.mode, ConnectionMode::Auto);
    SiteStore::at(config.path())
        .save(&SiteList {
            sites: vec![site.clone()],
            ..SiteList::default()
        })
        .unwrap();
    let mut h = app(local.path(), config.path(), Arc::new(MemorySecrets::new()));
    h.state_mut().connect_site(site, None);
    wait_until(&mut h, "the listing through active mode", |a| {
        remote_names(a).contains(&"behind-nat.txt".to_string())
    });
    let notice = h.state().notice.clone().unwrap_or_default();
    assert!(
        notice.ends_with("timed out after 2 s; switched to active mode"),
        "the status line says why: {notice}"
    );
    wait_until(&mut h, "the sites file written", |a| !a.is_saving());
    assert_eq!(
        stored_sites(config.path())[0].last_working_mode,
        Some(ConnectionMode::Active)
    );
}

#[test]
fn quick_connect_after_a_saved_site_is_not_blocked_by_fields_the_bar_does_not_show() {
    let rt = runtime();
    let server = seeded_server(&rt, false);
    let local = tempfile::tempdir().unwrap();
    let config = tempfile::tempdir().unwrap();
    let keyring = Arc::new(MemorySecrets::new());
    // A site as most are saved: no timeout of its own.
    let mut site = saved_site(config.path(), &server, "No timeout");
    site.remember_password = true;
    SiteStore::at(config.path())
        .save(&SiteList {
            sites: vec![site.clone()],
            ..SiteList::default()
        })
        .unwrap();
    keyring.set(&site.id, PASSWORD).unwrap();
    let state = State {
        recent_sites: vec![site.id.clone()],
        ..State::default()
    };
    let mut h = app_with(local.path(), config.path(), keyring, state);
    open_menu(&mut h, "File");
    h.get_by_label("No timeout").click();
    wait_until(&mut h, "the site's listing", |a| {
        remote_names(a).contains(&"hello.txt".to_string())
    });
    assert_eq!(h.state().connected_site.as_deref(), Some(site.id.as_str()));

    // File → Connect shows the site's settings with Connect available.
    h.state_mut().run_action(
        ferry::ui::actions::Action::Connect,
        &egui::Context::default(),
    );
    h.run_steps(3);
    assert_eq!(lowest(&h, "Host").value().as_deref(), Some("127.0.0.1"));
    use egui_kittest::kittest::NodeT as _;
    let connect = lowest(&h, "Connect");
    assert_eq!(
        connect.accesskit_node().role(),
        egui::accesskit::Role::Button
    );
    assert!(
        !connect.accesskit_node().is_disabled(),
        "Connect is available"
    );
    h.key_press(egui::Key::Escape);
    h.run_steps(3);
    assert!(!h.state().dialog.open);

    // Enter in the bar connects: the bar has no timeout field to complain about.
    type_into(&mut h, "Password", PASSWORD);
    h.key_press(egui::Key::Enter);
    h.run_steps(2);
    assert!(
        h.query_by_label_contains("Timeout").is_none(),
        "no error about a field the bar does not show"
    );
    wait_until(&mut h, "a new connection from the bar", |a| {
        a.connected_site.is_none()
            && matches!(a.connection, Connection::Connected { .. })
            && remote_names(a).contains(&"hello.txt".to_string())
    });
}

#[test]
fn a_new_site_shows_no_errors_before_anything_is_typed() {
    let local = tempfile::tempdir().unwrap();
    let config = tempfile::tempdir().unwrap();
    let mut h = app(local.path(), config.path(), Arc::new(MemorySecrets::new()));
    open_menu(&mut h, "File");
    h.get_by_label("Site Manager… Ctrl+S").click();
    h.run_steps(2);
    click_last(&mut h, "New site");
    h.run_steps(2);
    lowest(&h, "Host");
    assert!(
        h.query_by_label_contains("Enter the server's host name")
            .is_none(),
        "no red before anything is typed"
    );
    assert!(h.query_by_label_contains("Enter a user name").is_none());
    // Saving is what shows them.
    click_last(&mut h, "Save");
    h.run_steps(2);
    h.get_by_label("Enter the server's host name or address");
}

/// Pick `item` from the (lowest) choice list labelled `list`.
fn choose(h: &mut Harness<'_, FerryApp>, list: &str, item: &str) {
    scroll_to(h, list);
    lowest(h, list).click();
    h.run_steps(4);
    h.get_by_label(item).click();
    h.run_steps(2);
}

/// Download the remote pane's row `name` through its context menu, and wait
/// until it is complete in `dir` (no `.part` left).
fn download(h: &mut Harness<'_, FerryApp>, name: &str, dir: &Path) {
    let edge = h.state().local_pane_right_edge();
    let row = |h: &'_ Harness<'_, FerryApp>, secondary: bool| {
        let node = h
            .get_all_by_label(name)
            .find(|n| n.rect().center().x > edge)
            .unwrap_or_else(|| panic!("no row {name:?} in the remote pane"));
        if secondary {
            node.click_secondary();
        } else {
            node.click();
        }
    };
    row(h, false);
    h.step();
    row(h, true);
    h.run_steps(4);
    h.query_by_label("Download")
        .unwrap_or_else(|| panic!("{name}'s context menu has no Download"))
        .click();
    let target = dir.join(name);
    let part = dir.join(format!("{name}.part"));
    wait_until(h, &format!("{name} downloaded"), |_| {
        target.exists() && !part.exists()
    });
}

#[test]
fn transfer_type_and_segments_chosen_in_the_manager_are_saved_and_used_by_downloads() {
    use ferry::ftp::ascii::TypeChoice;
    let rt = runtime();
    let server = seeded_server(&rt, false);
    // libunftp sends files unchanged in TYPE A, as a server with CRLF line
    // ends would: only an ASCII download turns them into this computer's LF.
    std::fs::write(server.path("notes.txt"), b"one\r\ntwo\r\n").unwrap();
    let local = tempfile::tempdir().unwrap();
    let config = tempfile::tempdir().unwrap();
    let mut site = saved_site(config.path(), &server, "Text server");
    site.remember_password = true;
    SiteStore::at(config.path())
        .save(&SiteList {
            sites: vec![site.clone()],
            ..SiteList::default()
        })
        .unwrap();
    let keyring = Arc::new(MemorySecrets::new());
    keyring.set(&site.id, PASSWORD).unwrap();
    let mut h = app(local.path(), config.path(), keyring);
    h.state_mut().open_site_manager(None);
    h.run_steps(2);
    h.get_by_label("Text server").click();
    h.run_steps(2);
    // Both follow the Preferences until chosen.
    scroll_to(&mut h, "Transfer type");
    assert_eq!(
        lowest(&h, "Transfer type").value().as_deref(),
        Some("As in Preferences (Binary)")
    );
    choose(&mut h, "Transfer type", "ASCII");
    h.check_accessibility();
    click_last(&mut h, "Save");
    let stored = stored_sites(config.path()).remove(0);
    assert_eq!(
        (stored.transfer_type, stored.segments),
        (Some(TypeChoice::Ascii), None)
    );
    click_last(&mut h, "Connect");
    wait_until(&mut h, "the listing", |a| {
        remote_names(a).contains(&"notes.txt".to_string())
    });
    download(&mut h, "notes.txt", local.path());
    assert_eq!(
        std::fs::read(local.path().join("notes.txt")).unwrap(),
        b"one\ntwo\n",
        "downloaded as text"
    );

    // Text goes in one stream: segments are for binary files. The file is
    // new, so only the next connection's listing shows it.
    let big: Vec<u8> = (0..(17u32 << 20) + 9)
        .map(|i| (i % 251) as u8 ^ (i >> 16) as u8)
        .collect();
    std::fs::write(server.path("big.bin"), &big).unwrap();
    h.state_mut().open_site_manager(None);
    h.run_steps(2);
    h.get_by_label("Text server").click();
    h.run_steps(2);
    choose(&mut h, "Transfer type", "Binary");
    choose(&mut h, "Segments", "2");
    click_last(&mut h, "Connect");
    let stored = stored_sites(config.path()).remove(0);
    assert_eq!(
        (stored.transfer_type, stored.segments),
        (Some(TypeChoice::Binary), Some(2))
    );
    wait_until(&mut h, "the next connection's listing", |a| {
        !a.remote.is_loading() && remote_names(a).contains(&"big.bin".to_string())
    });
    download(&mut h, "big.bin", local.path());
    assert!(std::fs::read(local.path().join("big.bin")).unwrap() == big);
    let log: Vec<String> = h.state().log.visible_texts().map(str::to_string).collect();
    assert!(
        log.iter()
            .any(|l| l.contains("Downloading in 2 ranges on 2 connections")),
        "the site's segments were used: {log:#?}"
    );
}

#[test]
fn synchronized_browsing_ticked_in_the_manager_comes_on_when_connecting_and_follows_the_window() {
    let rt = runtime();
    let server = seeded_server(&rt, false);
    let local = tempfile::tempdir().unwrap();
    let pair = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(pair.path().join("inner")).unwrap();
    let config = tempfile::tempdir().unwrap();
    let mut site = saved_site(config.path(), &server, "Mirror");
    site.remember_password = true;
    site.local_folder = Some(pair.path().to_path_buf());
    site.remote_folder = Some("/docs".into());
    SiteStore::at(config.path())
        .save(&SiteList {
            sites: vec![site.clone()],
            ..SiteList::default()
        })
        .unwrap();
    let keyring = Arc::new(MemorySecrets::new());
    keyring.set(&site.id, PASSWORD).unwrap();
    let mut h = app(local.path(), config.path(), keyring);
    h.state_mut().open_site_manager(None);
    h.run_steps(2);
    h.get_by_label("Mirror").click();
    h.run_steps(2);
    let ticked = |h: &Harness<'_, FerryApp>| {
        lowest(h, "Use synchronized browsing")
            .accesskit_node()
            .toggled()
            == Some(egui::accesskit::Toggled::True)
    };
    scroll_to(&mut h, "Use synchronized browsing");
    assert!(!ticked(&h));
    lowest(&h, "Use synchronized browsing").click();
    h.run_steps(2);
    assert!(ticked(&h));
    // Connect saves first.
    click_last(&mut h, "Connect");
    assert!(stored_sites(config.path())[0].sync_browsing);
    wait_until(
        &mut h,
        "synchronized browsing on in the site's folders",
        |a| a.sync_browse.is_on() && remote_names(a).contains(&"readme.txt".to_string()),
    );
    // It works: a folder opened on this side opens on the server too.
    assert_eq!(
        h.state().local.path(),
        Some(&AnyPath::Local(pair.path().to_path_buf()))
    );
    let edge = h.state().local_pane_right_edge();
    h.get_all_by_label("inner")
        .find(|n| n.rect().center().x < edge)
        .expect("the local row")
        .click();
    h.run_steps(2);
    h.key_press(egui::Key::Enter);
    wait_until(&mut h, "the remote pane following", |a| {
        a.remote.path() == Some(&AnyPath::Remote(b"/docs/inner".to_vec()))
    });

    // Switched off in the window: the site and the manager's box follow.
    h.get_by_label("Synchronized browsing").click();
    h.run_steps(2);
    assert!(!h.state().sync_browse.is_on());
    wait_until(&mut h, "the site saved with it off", |_| {
        !stored_sites(config.path())[0].sync_browsing
    });
    h.state_mut().open_site_manager(None);
    h.run_steps(2);
    h.get_by_label("Mirror").click();
    h.run_steps(2);
    scroll_to(&mut h, "Use synchronized browsing");
    assert!(!ticked(&h), "the manager shows what the window changed");
    assert!(
        !h.state().site_manager.is_dirty(),
        "and has nothing to save"
    );
}
