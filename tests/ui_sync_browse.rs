//! View → Synchronized browsing, in the real app (egui_kittest) against the
//! in-process libunftp server: opening a folder in either pane opens the
//! same relative folder in the other, a folder missing on the other side is
//! said in that pane's status line and created on request, leaving the pair
//! of folders switches it off with a notice, and a saved site remembers it.

mod support;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use eframe::egui;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use ferry::engine::{AnyPath, Side};
use ferry::sites::{ConnectionMode, MemorySecrets, SecretStore, Site, SiteList, SiteStore};
use ferry::ui::{AppConfig, FerryApp, SitesConfig};
use support::server::{PASSWORD, ServerOptions, TestServer, USER};
use support::window::{runtime, wait_until};

/// The local pair folder `site/` and the server's root, with `docs/img` on
/// both sides and `newdir` on this computer only.
fn prepare(local: &Path, server: &TestServer) -> PathBuf {
    let site = local.join("site");
    std::fs::create_dir_all(site.join("docs/img")).expect("mkdir");
    std::fs::create_dir_all(site.join("newdir")).expect("mkdir");
    std::fs::write(site.join("docs/img/local.png"), b"png").expect("write");
    std::fs::create_dir_all(server.path("docs/img")).expect("mkdir");
    std::fs::write(server.path("docs/img/remote.png"), b"png").expect("write");
    std::fs::write(server.path("hello.txt"), b"hello").expect("write");
    site
}

fn app(local: &Path, sites: Option<&Path>) -> Harness<'static, FerryApp> {
    let local = local.to_path_buf();
    let sites = sites.map(|dir| SitesConfig {
        dir: dir.to_path_buf(),
        secrets: Arc::new(MemorySecrets::new()) as Arc<dyn SecretStore>,
    });
    let mut h = Harness::builder()
        .with_size([1280.0, 800.0])
        .with_step_dt(1.0 / 60.0)
        .build_eframe(move |cc| {
            FerryApp::with_state(
                cc.egui_ctx.clone(),
                Default::default(),
                AppConfig {
                    local_start: Some(local),
                    sites,
                    ..AppConfig::default()
                },
            )
            .expect("app starts")
        });
    h.step();
    h
}

fn connect(h: &mut Harness<'_, FerryApp>, server: &TestServer) {
    let form = &mut h.state_mut().quick.form;
    form.host = "127.0.0.1".into();
    form.port = server.addr.port().to_string();
    form.user = USER.into();
    form.password = PASSWORD.into();
    h.get_by_label("Password").click();
    h.step();
    h.key_press(egui::Key::Enter);
    wait_until(h, "the remote listing", |a| shows(a, &remote("/")));
}

fn remote(p: &str) -> AnyPath {
    AnyPath::Remote(p.as_bytes().to_vec())
}

/// The pane of `path`'s side shows that folder's listing (not loading).
fn shows(app: &FerryApp, path: &AnyPath) -> bool {
    let pane = match path.side() {
        Side::Local => &app.local,
        Side::Remote => &app.remote,
    };
    pane.listing_path() == Some(path) && !pane.is_loading()
}

/// Open the row `name` in the pane of `side`: select it and press Enter.
fn open(h: &mut Harness<'_, FerryApp>, side: Side, name: &str) {
    let edge = h.state().local_pane_right_edge();
    h.get_all_by_label(name)
        .find(|n| (n.rect().center().x > edge) == (side == Side::Remote))
        .unwrap_or_else(|| panic!("no row {name:?} in the {side:?} pane"))
        .click();
    h.run_steps(2);
    h.key_press(egui::Key::Enter);
    h.run_steps(2);
}

/// View → Synchronized browsing.
fn toggle_from_menu(h: &mut Harness<'_, FerryApp>) {
    h.get_by_label("View").click();
    h.run_steps(4);
    // The toolbar's button has the same name: the menu's entry is the wide one.
    h.get_all_by_label_contains("Synchronized browsing")
        .max_by(|a, b| a.rect().width().total_cmp(&b.rect().width()))
        .expect("the View menu's entry")
        .click();
    h.run_steps(2);
    // A check box leaves the menu open: close it.
    h.key_press(egui::Key::Escape);
    h.run_steps(2);
}

/// The runtime, the server, the temporary folder, the local pair folder in
/// it (see [`prepare`]), and the app connected to the server with both panes
/// at the pair's folders and synchronized browsing switched on from the View
/// menu. In this order, so that bound in a `let` they drop in reverse: the
/// app first, the runtime last.
type Pair = (
    tokio::runtime::Runtime,
    TestServer,
    tempfile::TempDir,
    PathBuf,
    Harness<'static, FerryApp>,
);

fn synced_pair() -> Pair {
    let rt = runtime();
    let server = rt.block_on(TestServer::start(ServerOptions::default()));
    let local = tempfile::tempdir().expect("temp dir");
    let site = prepare(local.path(), &server);
    let mut h = app(&site, None);
    connect(&mut h, &server);
    wait_until(&mut h, "the local listing", |a| {
        shows(a, &AnyPath::Local(site.clone()))
    });
    toggle_from_menu(&mut h);
    assert!(h.state().sync_browse.is_on(), "{:?}", h.state().notice);
    (rt, server, local, site, h)
}

#[test]
fn opening_a_folder_in_either_pane_opens_the_same_folder_in_the_other() {
    let (_rt, _server, _local, site, mut h) = synced_pair();

    // A local folder: the remote pane follows.
    open(&mut h, Side::Local, "docs");
    wait_until(&mut h, "both panes in docs", |a| {
        shows(a, &AnyPath::Local(site.join("docs"))) && shows(a, &remote("/docs"))
    });
    // A remote folder: the local pane follows.
    open(&mut h, Side::Remote, "img");
    wait_until(&mut h, "both panes in docs/img", |a| {
        shows(a, &AnyPath::Local(site.join("docs/img"))) && shows(a, &remote("/docs/img"))
    });
    // Going up (the remote pane's ".." row): the local pane goes up too.
    open(&mut h, Side::Remote, "..");
    wait_until(&mut h, "both panes back in docs", |a| {
        shows(a, &AnyPath::Local(site.join("docs"))) && shows(a, &remote("/docs"))
    });
    // A breadcrumb of the local path bar: the remote pane goes there too.
    let edge = h.state().local_pane_right_edge();
    h.get_all_by_label("site")
        .find(|n| n.rect().center().x < edge)
        .expect("the local breadcrumb of the pair's folder")
        .click();
    wait_until(&mut h, "both panes back at the pair's folders", |a| {
        shows(a, &AnyPath::Local(site.clone())) && shows(a, &remote("/"))
    });
    assert!(h.state().sync_browse.is_on());
    assert!(h.state().banner.is_none(), "{:?}", h.state().banner);

    // Switched off from the toolbar: the panes go their own ways.
    h.get_by_label("Synchronized browsing").click();
    h.run_steps(2);
    assert!(!h.state().sync_browse.is_on());
    open(&mut h, Side::Local, "docs");
    wait_until(&mut h, "the local pane in docs", |a| {
        shows(a, &AnyPath::Local(site.join("docs")))
    });
    h.run_steps(10);
    assert_eq!(h.state().remote.path(), Some(&remote("/")));
}

#[test]
fn a_folder_missing_on_the_other_side_is_said_and_created_on_request() {
    let (_rt, server, _local, site, mut h) = synced_pair();

    open(&mut h, Side::Local, "newdir");
    wait_until(&mut h, "the local pane in newdir", |a| {
        shows(a, &AnyPath::Local(site.join("newdir")))
    });
    h.run_steps(5);
    // The remote pane stays where it was and its status line says why.
    assert!(shows(h.state(), &remote("/")));
    assert!(h.state().banner.is_none(), "{:?}", h.state().banner);
    h.get_by_label_contains("no folder /newdir on the server");
    assert!(!server.path("newdir").exists());

    h.get_by_label("Create folder").click();
    wait_until(&mut h, "the remote pane in the new folder", |a| {
        shows(a, &remote("/newdir"))
    });
    assert!(server.path("newdir").is_dir());
    assert!(h.query_by_label("Create folder").is_none());
    assert!(h.state().sync_browse.is_on());

    // Deeper, by a typed path the other side cannot know from its listing:
    // its listing fails, the pane stays, and Create makes every level.
    std::fs::create_dir_all(site.join("newdir/a/b")).expect("mkdir");
    let edge = h.state().local_pane_right_edge();
    h.get_all_by_label("Edit path")
        .find(|n| n.rect().center().x < edge)
        .expect("the local pane's Edit path")
        .click();
    h.run_steps(2);
    let field = h
        .get_all_by_label("Path")
        .find(|n| n.rect().center().x < edge)
        .expect("the local path field");
    // The path is selected when editing starts: typing replaces it.
    field.type_text(&site.join("newdir/a/b").display().to_string());
    h.run_steps(1);
    h.key_press(egui::Key::Enter);
    wait_until(&mut h, "the local pane in newdir/a/b", |a| {
        shows(a, &AnyPath::Local(site.join("newdir/a/b")))
    });
    wait_until(&mut h, "the other side's failed listing", |a| {
        a.sync_browse.missing.is_some() && shows(a, &remote("/newdir"))
    });
    assert!(h.state().banner.is_none(), "{:?}", h.state().banner);
    h.get_by_label_contains("no folder /newdir/a/b on the server");
    h.get_by_label("Create folder").click();
    wait_until(&mut h, "the remote pane in the new folders", |a| {
        shows(a, &remote("/newdir/a/b"))
    });
    assert!(server.path("newdir/a/b").is_dir());
}

#[test]
fn leaving_the_pair_of_folders_switches_it_off_with_a_notice() {
    let (_rt, _server, local, _site, mut h) = synced_pair();

    // Up from the local pair folder: outside the pair.
    open(&mut h, Side::Local, "..");
    wait_until(&mut h, "the local pane one folder up", |a| {
        shows(a, &AnyPath::Local(local.path().to_path_buf()))
    });
    assert!(!h.state().sync_browse.is_on());
    let notice = h.state().notice.clone().unwrap_or_default();
    assert!(
        notice.contains("Synchronized browsing is off") && notice.contains("outside"),
        "{notice}"
    );
    assert_eq!(h.state().remote.path(), Some(&remote("/")));
}

#[test]
fn a_saved_site_remembers_synchronized_browsing() {
    let rt = runtime();
    let server = rt.block_on(TestServer::start(ServerOptions::default()));
    let local = tempfile::tempdir().expect("temp dir");
    let config = tempfile::tempdir().expect("temp dir");
    let pair = prepare(local.path(), &server);
    let mut saved = Site::new("Pair", "127.0.0.1");
    saved.port = Some(server.addr.port());
    saved.user = USER.into();
    saved.mode = ConnectionMode::Passive;
    saved.local_folder = Some(pair.join("docs"));
    saved.remote_folder = Some("/docs".into());
    SiteStore::at(config.path())
        .save(&SiteList {
            sites: vec![saved.clone()],
            ..SiteList::default()
        })
        .expect("save the site");
    let stored = || -> Site {
        SiteStore::at(config.path())
            .load()
            .expect("load")
            .sites
            .sites
            .remove(0)
    };

    let mut h = app(local.path(), Some(config.path()));
    wait_until(&mut h, "the saved sites read", |a| !a.sites_loading());
    h.state_mut()
        .connect_site(saved.clone(), Some(PASSWORD.into()));
    wait_until(&mut h, "both site folders", |a| {
        shows(a, &AnyPath::Local(pair.join("docs"))) && shows(a, &remote("/docs"))
    });
    h.run_steps(3);
    assert!(!h.state().sync_browse.is_on(), "off until switched on");
    toggle_from_menu(&mut h);
    assert!(h.state().sync_browse.is_on());
    wait_until(&mut h, "the site saved with it on", |_| {
        stored().sync_browsing
    });

    drop(h);

    // The next run: on again once both panes show the site's folders.
    let mut h = app(local.path(), Some(config.path()));
    wait_until(&mut h, "the saved sites read", |a| !a.sites_loading());
    let site = stored();
    assert!(site.sync_browsing);
    h.state_mut().connect_site(site, Some(PASSWORD.into()));
    wait_until(&mut h, "synchronized browsing back on", |a| {
        a.sync_browse.is_on()
    });
    assert!(shows(h.state(), &AnyPath::Local(pair.join("docs"))));
    assert!(shows(h.state(), &remote("/docs")));
    open(&mut h, Side::Local, "img");
    wait_until(&mut h, "both panes in img", |a| {
        shows(a, &AnyPath::Local(pair.join("docs/img"))) && shows(a, &remote("/docs/img"))
    });

    // Switched off: remembered off.
    h.get_by_label("Synchronized browsing").click();
    h.run_steps(2);
    wait_until(&mut h, "the site saved with it off", |_| {
        !stored().sync_browsing
    });
}

#[test]
fn without_a_connection_it_switches_off_instead_of_offering_folders() {
    let (_rt, _server, _local, site, mut h) = synced_pair();

    let ctx = h.ctx.clone();
    h.state_mut()
        .run_action(ferry::ui::actions::Action::Disconnect, &ctx);
    wait_until(&mut h, "disconnected", |a| {
        matches!(a.connection, ferry::ui::app::Connection::Disconnected)
    });
    open(&mut h, Side::Local, "docs");
    wait_until(&mut h, "the local pane in docs", |a| {
        shows(a, &AnyPath::Local(site.join("docs")))
    });
    assert!(!h.state().sync_browse.is_on());
    let notice = h.state().notice.clone().unwrap_or_default();
    assert!(notice.contains("not connected"), "{notice}");
    assert!(h.query_by_label("Create folder").is_none());
}
