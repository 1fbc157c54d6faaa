//! Window tabs in egui_kittest: several servers open at once, each tab with
//! its own connection, panes and log, one transfer queue for all, and the
//! tabs coming back at the next start. Against real in-process servers.

mod support;

use std::path::Path;
use std::sync::Arc;

use eframe::egui;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use ferry::engine::AnyPath;
use ferry::sites::{ConnectionMode, MemorySecrets, SecretStore, Site, SiteList, SiteStore};
use ferry::ui::app::{Connection, SavedTab, State, TabStatus};
use ferry::ui::connect_dialog::ConnectForm;
use ferry::ui::{AppConfig, FerryApp, SitesConfig};
use support::server::{PASSWORD, ServerOptions, TestServer, USER};
use support::window::{quick_connect_listing, remote_names, runtime, wait_until};

/// The app over `local`, with saved sites in `config` (if any), a keyring
/// holding `secrets`, and a preferences file (if any).
fn app_with(
    local: &Path,
    config: Option<(&Path, Arc<MemorySecrets>)>,
    prefs_file: Option<&Path>,
    state: State,
) -> Harness<'static, FerryApp> {
    let local = local.to_path_buf();
    let sites = config.map(|(dir, secrets)| SitesConfig {
        dir: dir.to_path_buf(),
        secrets: secrets as Arc<dyn SecretStore>,
    });
    let prefs_file = prefs_file.map(Path::to_path_buf);
    let mut h = Harness::builder()
        .with_size([1280.0, 800.0])
        .with_step_dt(1.0 / 60.0)
        .build_eframe(move |cc| {
            FerryApp::with_state(
                cc.egui_ctx.clone(),
                state,
                AppConfig {
                    local_start: Some(local),
                    sites,
                    prefs_file,
                    ..AppConfig::default()
                },
            )
            .expect("app starts")
        });
    h.step();
    h
}

fn app(local: &Path) -> Harness<'static, FerryApp> {
    app_with(local, None, None, State::default())
}

/// A server holding one file, `name`, with `text` in it.
fn server_with(rt: &tokio::runtime::Runtime, name: &str, text: &str) -> TestServer {
    let server = rt.block_on(TestServer::start(ServerOptions {
        tls: false,
        active: true,
    }));
    std::fs::create_dir_all(server.path("docs")).unwrap();
    std::fs::write(server.path(name), text).unwrap();
    server
}

fn press(h: &mut Harness<'_, FerryApp>, modifiers: egui::Modifiers, key: egui::Key) {
    h.key_combination_modifiers(modifiers, &[key]);
    h.run_steps(2);
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
}

/// Upload the local file `name` through its context menu.
fn upload(h: &mut Harness<'_, FerryApp>, name: &str) {
    wait_until(h, "the local listing", |a| {
        a.local.entries().iter().any(|e| *e.display_name == *name)
    });
    h.get_by_label(name).click();
    h.step();
    h.get_by_label(name).click_secondary();
    h.run_steps(4);
    h.get_by_label("Upload").click();
    h.run_steps(2);
}

fn pause_queue(h: &mut Harness<'_, FerryApp>, paused: bool) {
    press(h, egui::Modifiers::COMMAND, egui::Key::P);
    wait_until(h, "the queue paused or running", |a| {
        a.queue.paused == paused
    });
}

fn log_text(app: &FerryApp) -> String {
    app.log.visible_texts().collect::<Vec<_>>().join("\n")
}

#[test]
fn two_tabs_on_two_servers_list_their_own_files_and_transfer_to_their_own_server() {
    let rt = runtime();
    let a = server_with(&rt, "only-on-a.txt", "a");
    let b = server_with(&rt, "only-on-b.txt", "b");
    let local = tempfile::tempdir().unwrap();
    std::fs::write(local.path().join("for-a.txt"), b"bytes for server A").unwrap();
    std::fs::write(local.path().join("for-b.txt"), b"bytes for server B").unwrap();
    let mut h = app(local.path());
    assert!(
        h.query_by_label("New tab").is_none(),
        "no tab strip while there is one tab"
    );

    quick_connect_listing(&mut h, &a, "Passive", &["only-on-a.txt"]);
    press(&mut h, egui::Modifiers::COMMAND, egui::Key::T);
    assert_eq!((h.state().tab_count(), h.state().active_tab()), (2, 1));
    assert_eq!(h.state().connection, Connection::Disconnected);
    assert!(
        remote_names(h.state()).is_empty(),
        "a new tab waits for a connection"
    );
    // The strip shows both, each with its close button.
    assert_eq!(h.get_all_by_label("Close tab Not connected").count(), 1);
    quick_connect_listing(&mut h, &b, "Passive", &["only-on-b.txt"]);
    assert!(!remote_names(h.state()).contains(&"only-on-a.txt".to_string()));
    let views = h.state().tab_views();
    let title = format!("{USER}@127.0.0.1");
    assert!(
        views
            .iter()
            .all(|v| v.title == title && v.state == TabStatus::Connected)
    );
    assert_eq!(h.get_all_by_label(&format!("Close tab {title}")).count(), 2);
    let b_port = format!(":{}", b.addr.port());
    let a_port = format!(":{}", a.addr.port());
    assert!(log_text(h.state()).contains(&b_port));
    assert!(
        !log_text(h.state()).contains(&a_port),
        "each tab has its own log"
    );

    // Queue one upload in each tab while the queue waits, the other tab
    // active when the queue runs: each goes to its own tab's server.
    pause_queue(&mut h, true);
    upload(&mut h, "for-b.txt");
    press(&mut h, egui::Modifiers::COMMAND, egui::Key::Tab);
    assert_eq!(h.state().active_tab(), 0);
    assert_eq!(h.state().window_title(), format!("{title} — Ferry"));
    assert!(remote_names(h.state()).contains(&"only-on-a.txt".to_string()));
    assert!(log_text(h.state()).contains(&a_port));
    assert!(!log_text(h.state()).contains(&b_port));
    upload(&mut h, "for-a.txt");
    wait_until(&mut h, "both uploads queued", |app| {
        app.queue.waiting_for(&format!("{USER}@127.0.0.1{a_port}")) == 1
            && app.queue.waiting_for(&format!("{USER}@127.0.0.1{b_port}")) == 1
    });
    // Tab B active when the queue starts.
    press(&mut h, egui::Modifiers::COMMAND, egui::Key::Num2);
    assert_eq!(h.state().active_tab(), 1);
    pause_queue(&mut h, false);
    wait_until(&mut h, "both uploads on their servers", |_| {
        a.path("for-a.txt").is_file() && b.path("for-b.txt").is_file()
    });
    wait_until(&mut h, "the queue done", |app| {
        app.queue.waiting_for(&format!("{USER}@127.0.0.1{a_port}")) == 0
            && app.queue.waiting_for(&format!("{USER}@127.0.0.1{b_port}")) == 0
    });
    assert_eq!(
        std::fs::read(a.path("for-a.txt")).unwrap(),
        b"bytes for server A"
    );
    assert_eq!(
        std::fs::read(b.path("for-b.txt")).unwrap(),
        b"bytes for server B"
    );
    assert!(!a.path("for-b.txt").exists() && !b.path("for-a.txt").exists());

    // Dragging between the panes of the second tab downloads from its server
    // (once the pane has re-listed the folder the upload went to: a row that
    // moves under the pointer is not the row picked).
    wait_until(&mut h, "tab B's pane to show the upload", |app| {
        remote_names(app).contains(&"for-b.txt".to_string()) && !app.remote.is_loading()
    });
    let from = h.get_by_label("only-on-b.txt").rect().center();
    let local_right = h.state().local_pane_right_edge();
    assert!(from.x > local_right, "the row is in the remote pane");
    drag(&mut h, from, egui::pos2(local_right / 2.0, 450.0));
    wait_until(&mut h, "the dropped file to arrive", |_| {
        local.path().join("only-on-b.txt").is_file()
    });
    assert_eq!(
        std::fs::read(local.path().join("only-on-b.txt")).unwrap(),
        b"b"
    );

    // Each tab keeps its own remote folder.
    h.state_mut().navigate(AnyPath::Remote(b"/docs".to_vec()));
    wait_until(&mut h, "tab B in /docs", |app| {
        app.remote.path() == Some(&AnyPath::Remote(b"/docs".to_vec())) && !app.remote.is_loading()
    });
    press(
        &mut h,
        egui::Modifiers::COMMAND.plus(egui::Modifiers::SHIFT),
        egui::Key::Tab,
    );
    assert_eq!(h.state().active_tab(), 0);
    assert_eq!(
        h.state().remote.path(),
        Some(&AnyPath::Remote(b"/".to_vec()))
    );
    press(&mut h, egui::Modifiers::COMMAND, egui::Key::Num2);
    assert_eq!(
        h.state().remote.path(),
        Some(&AnyPath::Remote(b"/docs".to_vec()))
    );
    h.check_accessibility();
}

#[test]
fn closing_a_tab_asks_while_its_transfers_are_queued_and_the_last_tab_stays() {
    let rt = runtime();
    let a = server_with(&rt, "only-on-a.txt", "a");
    let local = tempfile::tempdir().unwrap();
    std::fs::write(local.path().join("waiting.txt"), b"waits in the queue").unwrap();
    let mut h = app(local.path());
    quick_connect_listing(&mut h, &a, "Passive", &["only-on-a.txt"]);
    pause_queue(&mut h, true);
    upload(&mut h, "waiting.txt");
    let server = format!("{USER}@127.0.0.1:{}", a.addr.port());
    wait_until(&mut h, "the upload queued", |app| {
        app.queue.waiting_for(&server) == 1
    });

    press(&mut h, egui::Modifiers::COMMAND, egui::Key::W);
    assert!(h.query_by_label("Close tab?").is_some(), "it asks first");
    h.get_by_label("Keep tab").click();
    h.run_steps(2);
    assert!(h.query_by_label("Close tab?").is_none());
    assert!(matches!(h.state().connection, Connection::Connected { .. }));

    press(&mut h, egui::Modifiers::COMMAND, egui::Key::W);
    h.get_by_label("Close tab").click();
    h.run_steps(2);
    // The last tab closed: an empty one takes its place, on the same local folder.
    assert_eq!(h.state().tab_count(), 1);
    assert_eq!(h.state().connection, Connection::Disconnected);
    assert!(remote_names(h.state()).is_empty());
    wait_until(&mut h, "the local folder", |app| {
        app.local
            .entries()
            .iter()
            .any(|e| &*e.display_name == "waiting.txt")
    });
    // The queued transfer was kept.
    assert_eq!(h.state().queue.waiting_for(&server), 1);

    // Without queued transfers it closes at once, by Ctrl+W, by its close
    // button, or by a middle click on it.
    for _ in 0..3 {
        press(&mut h, egui::Modifiers::COMMAND, egui::Key::T);
    }
    assert_eq!(h.state().tab_count(), 4);
    press(&mut h, egui::Modifiers::COMMAND, egui::Key::W);
    assert_eq!(h.state().tab_count(), 3);
    h.get_all_by_label("Close tab Not connected")
        .next()
        .unwrap()
        .click();
    h.run_steps(2);
    assert_eq!(h.state().tab_count(), 2);
    h.get_all_by_label("Not connected")
        .find(|n| n.accesskit_node().role() == egui::accesskit::Role::Button)
        .expect("the tab's title in the strip")
        .click_button(egui::PointerButton::Middle);
    h.run_steps(2);
    assert_eq!(h.state().tab_count(), 1);
    assert!(
        h.query_by_label("New tab").is_none(),
        "the strip goes with the second tab"
    );
}

/// Two saved sites with remembered passwords, in `config`.
fn two_sites(config: &Path, a: &TestServer, b: &TestServer) -> (Site, Site, Arc<MemorySecrets>) {
    let secrets = Arc::new(MemorySecrets::new());
    let site = |name: &str, server: &TestServer| {
        let mut site = Site::new(name, "127.0.0.1");
        site.port = Some(server.addr.port());
        site.user = USER.into();
        site.mode = ConnectionMode::Passive;
        site.remember_password = true;
        secrets.set(&site.id, PASSWORD).unwrap();
        site
    };
    let (sa, sb) = (site("Server A", a), site("Server B", b));
    SiteStore::at(config)
        .save(&SiteList {
            sites: vec![sa.clone(), sb.clone()],
            ..SiteList::default()
        })
        .unwrap();
    (sa, sb, secrets)
}

#[test]
fn tabs_come_back_disconnected_with_their_folders_and_reconnect_when_asked() {
    let rt = runtime();
    let a = server_with(&rt, "only-on-a.txt", "a");
    let b = server_with(&rt, "only-on-b.txt", "b");
    let local = tempfile::tempdir().unwrap();
    let config = tempfile::tempdir().unwrap();
    let (sa, sb, secrets) = two_sites(config.path(), &a, &b);

    let mut h = app_with(
        local.path(),
        Some((config.path(), secrets.clone())),
        None,
        State::default(),
    );
    wait_until(&mut h, "the saved sites", |app| !app.sites_loading());
    h.state_mut().connect_site(sa.clone(), None);
    wait_until(&mut h, "server A listed", |app| {
        remote_names(app).contains(&"only-on-a.txt".to_string())
    });
    h.state_mut().navigate(AnyPath::Remote(b"/docs".to_vec()));
    wait_until(&mut h, "A in /docs", |app| {
        app.remote.path() == Some(&AnyPath::Remote(b"/docs".to_vec())) && !app.remote.is_loading()
    });
    h.state_mut().new_tab();
    h.state_mut().connect_site(sb.clone(), None);
    wait_until(&mut h, "server B listed", |app| {
        remote_names(app).contains(&"only-on-b.txt".to_string())
    });
    h.state_mut().switch_tab(0);
    let titles: Vec<String> = h.state().tab_views().into_iter().map(|v| v.title).collect();
    assert_eq!(titles, ["Server A", "Server B"]);
    assert_eq!(
        h.state().window_title(),
        format!("Server A — {USER}@127.0.0.1 — Ferry")
    );
    let (tabs, active) = h.state_mut().saved_tabs();
    assert_eq!(active, 0);
    let text = serde_json::to_string(&tabs).unwrap();
    assert!(!text.contains(PASSWORD), "no password is saved: {text}");
    drop(h);

    // The next start: both tabs, not connected, A's still in /docs.
    let state = State {
        tabs,
        active_tab: 0,
        ..State::default()
    };
    let mut h = app_with(
        local.path(),
        Some((config.path(), secrets.clone())),
        None,
        state.clone(),
    );
    wait_until(&mut h, "the saved sites", |app| !app.sites_loading());
    h.run_steps(10);
    assert_eq!(h.state().tab_count(), 2);
    let views = h.state().tab_views();
    assert_eq!(views[0].title, "Server A");
    assert_eq!(views[1].title, "Server B");
    assert!(views.iter().all(|v| v.state == TabStatus::Disconnected));
    assert_eq!(
        h.state().local.path(),
        Some(&AnyPath::Local(local.path().to_path_buf()))
    );
    assert!(
        h.state()
            .banner
            .as_ref()
            .is_some_and(|b| b.message.contains("Not connected")),
        "the banner offers Reconnect"
    );
    // Reconnect from the banner: back in /docs on server A.
    // The banner's, below the toolbar's button of the same name.
    h.get_all_by_label("Reconnect")
        .max_by(|a, b| a.rect().top().total_cmp(&b.rect().top()))
        .unwrap()
        .click();
    wait_until(&mut h, "A reconnected in /docs", |app| {
        app.remote.path() == Some(&AnyPath::Remote(b"/docs".to_vec()))
            && matches!(app.connection, Connection::Connected { .. })
            && !app.remote.is_loading()
    });
    assert_eq!(
        h.state().tab_views()[1].state,
        TabStatus::Disconnected,
        "only when asked"
    );
    drop(h);

    // With "Reconnect tabs on start", both connect by themselves, each to
    // its server; a quick connection (its password is never saved) waits
    // for Reconnect instead of asking at start.
    let mut state = state;
    state.tabs.push(SavedTab {
        form: Some(ConnectForm {
            host: "127.0.0.1".into(),
            port: a.addr.port().to_string(),
            user: USER.into(),
            ..ConnectForm::default()
        }),
        ..SavedTab::default()
    });
    // A second tab on server A's site, and the quick connection active:
    // each of A's two tabs gets its own answer from the keyring, and the
    // active tab is left alone.
    state.tabs.push(state.tabs[0].clone());
    state.active_tab = 2;
    let prefs = tempfile::tempdir().unwrap();
    let prefs_file = prefs.path().join("preferences.toml");
    std::fs::write(&prefs_file, "[interface]\nreconnect_tabs = true\n").unwrap();
    let mut h = app_with(
        local.path(),
        Some((config.path(), secrets)),
        Some(&prefs_file),
        state,
    );
    wait_until(&mut h, "the three site tabs connected", |app| {
        let views = app.tab_views();
        [0, 1, 3]
            .iter()
            .all(|&i| views[i].state == TabStatus::Connected)
    });
    assert_eq!(h.state().tab_views()[3].title, "Server A");
    h.state_mut().switch_tab(0);
    wait_until(&mut h, "A listed in /docs", |app| {
        app.remote.path() == Some(&AnyPath::Remote(b"/docs".to_vec())) && !app.remote.is_loading()
    });
    h.state_mut().switch_tab(1);
    wait_until(&mut h, "B listed", |app| {
        remote_names(app).contains(&"only-on-b.txt".to_string())
    });
    h.state_mut().switch_tab(2);
    h.run_steps(4);
    assert_eq!(h.state().tab_views()[2].state, TabStatus::Disconnected);
    assert!(h.state().banner.is_some(), "it offers Reconnect");
    assert!(
        !h.state().dialog.open,
        "nothing asks for a password at start"
    );
}

#[test]
fn open_in_new_tab_from_the_site_manager_and_from_a_bookmark() {
    let rt = runtime();
    let a = server_with(&rt, "only-on-a.txt", "a");
    let b = server_with(&rt, "only-on-b.txt", "b");
    let local = tempfile::tempdir().unwrap();
    let config = tempfile::tempdir().unwrap();
    let (mut sa, sb, secrets) = two_sites(config.path(), &a, &b);
    sa.bookmarks.push(ferry::sites::Bookmark {
        name: "A docs".into(),
        remote: "/docs".into(),
        local: None,
    });
    SiteStore::at(config.path())
        .save(&SiteList {
            sites: vec![sa.clone(), sb.clone()],
            ..SiteList::default()
        })
        .unwrap();
    let mut h = app_with(
        local.path(),
        Some((config.path(), secrets)),
        None,
        State::default(),
    );
    wait_until(&mut h, "the saved sites", |app| !app.sites_loading());
    h.state_mut().connect_site(sa.clone(), None);
    wait_until(&mut h, "server A listed", |app| {
        remote_names(app).contains(&"only-on-a.txt".to_string())
    });

    // The Site Manager: B in a new tab, A's tab stays connected.
    h.state_mut().open_site_manager(Some(&sb.id));
    h.run_steps(4);
    h.get_by_label("Open in new tab").click();
    h.step();
    // Named after the site at once, while its password is read.
    assert_eq!(h.state().tab_views()[1].title, "Server B");
    wait_until(&mut h, "server B listed in a new tab", |app| {
        remote_names(app).contains(&"only-on-b.txt".to_string())
    });
    assert_eq!((h.state().tab_count(), h.state().active_tab()), (2, 1));
    assert!(!h.state().site_manager.open);
    let views = h.state().tab_views();
    assert_eq!(views[0].title, "Server A");
    assert_eq!(views[0].state, TabStatus::Connected);
    assert_eq!(views[1].title, "Server B");

    // A's bookmark, from the Manage bookmarks dialog, in a third tab.
    h.state_mut().switch_tab(0);
    h.get_by_label("Bookmarks").click();
    h.run_steps(4);
    h.get_by_label("Manage bookmarks…").click();
    h.run_steps(4);
    h.get_by_label("Open in new tab A docs").click();
    wait_until(&mut h, "A's /docs in a third tab", |app| {
        app.remote.path() == Some(&AnyPath::Remote(b"/docs".to_vec()))
            && matches!(app.connection, Connection::Connected { .. })
            && !app.remote.is_loading()
    });
    assert_eq!((h.state().tab_count(), h.state().active_tab()), (3, 2));
    assert_eq!(h.state().tab_views()[2].title, "Server A");
    // The first tab is still where it was.
    h.state_mut().switch_tab(0);
    assert_eq!(
        h.state().remote.path(),
        Some(&AnyPath::Remote(b"/".to_vec()))
    );
}

#[test]
fn a_global_bookmark_opens_in_a_new_tab_on_the_same_server() {
    let rt = runtime();
    let a = server_with(&rt, "only-on-a.txt", "a");
    let local = tempfile::tempdir().unwrap();
    let prefs = tempfile::tempdir().unwrap();
    let prefs_file = prefs.path().join("preferences.toml");
    std::fs::write(
        &prefs_file,
        "[[bookmarks]]\nname = \"Docs\"\nremote = \"/docs\"\n",
    )
    .unwrap();
    let mut h = app_with(local.path(), None, Some(&prefs_file), State::default());
    wait_until(&mut h, "the preferences", |app| app.preferences_loaded());
    quick_connect_listing(&mut h, &a, "Passive", &["only-on-a.txt"]);
    h.get_by_label("Bookmarks").click();
    h.run_steps(4);
    h.get_by_label("Manage bookmarks…").click();
    h.run_steps(4);
    h.get_by_label("Open in new tab Docs").click();
    wait_until(&mut h, "server A's /docs in a second tab", |app| {
        app.remote.path() == Some(&AnyPath::Remote(b"/docs".to_vec()))
            && matches!(app.connection, Connection::Connected { .. })
            && !app.remote.is_loading()
    });
    assert_eq!((h.state().tab_count(), h.state().active_tab()), (2, 1));
    let title = format!("{USER}@127.0.0.1");
    assert!(h.state().tab_views().iter().all(|v| v.title == title));
    h.state_mut().switch_tab(0);
    assert_eq!(
        h.state().remote.path(),
        Some(&AnyPath::Remote(b"/".to_vec()))
    );
}
