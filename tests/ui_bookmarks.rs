//! Bookmarks in the real app (egui_kittest), against the in-process libunftp
//! server over a temporary config folder: Ctrl+D saves the folder with the
//! site, opening a paired bookmark (connecting first) moves both panes, and
//! the manage dialog's rename, delete and reorder reach the files.

mod support;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use eframe::egui;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use ferry::engine::AnyPath;
use ferry::prefs::{PREFS_FILE, Preferences, PrefsStore};
use ferry::sites::{
    Bookmark, ConnectionMode, MemorySecrets, SecretStore, Site, SiteList, SiteStore,
};
use ferry::ui::app::{Connection, State};
use ferry::ui::{AppConfig, FerryApp, SitesConfig};
use support::server::{PASSWORD, ServerOptions, TestServer, USER};
use support::window::{runtime, wait_until};

fn app(local: &Path, config: &Path) -> Harness<'static, FerryApp> {
    let local = local.to_path_buf();
    let dir = config.to_path_buf();
    // The sites remember their password: opening a bookmark of one connects unasked.
    let secrets = Arc::new(MemorySecrets::new());
    for site in SiteStore::at(config)
        .load()
        .map(|l| l.sites.sites)
        .unwrap_or_default()
    {
        secrets.set(&site.id, PASSWORD).unwrap();
    }
    let mut h = Harness::builder()
        .with_size([1280.0, 860.0])
        .with_step_dt(1.0 / 60.0)
        .build_eframe(move |cc| {
            FerryApp::with_state(
                cc.egui_ctx.clone(),
                State::default(),
                AppConfig {
                    local_start: Some(local),
                    prefs_file: Some(dir.join(PREFS_FILE)),
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
    wait_until(&mut h, "the preferences read", FerryApp::preferences_loaded);
    h
}

fn server(rt: &tokio::runtime::Runtime) -> TestServer {
    let server = rt.block_on(TestServer::start(ServerOptions::default()));
    std::fs::create_dir_all(server.path("docs/inner")).unwrap();
    std::fs::write(server.path("docs/readme.txt"), b"read me").unwrap();
    std::fs::write(server.path("docs/inner/deep.txt"), b"deep").unwrap();
    server
}

/// A site for the test server, saved straight into `config` (the password
/// is typed, never remembered).
fn save_site(config: &Path, server: &TestServer, bookmarks: Vec<Bookmark>) -> Site {
    let mut site = Site::new("Test server", "127.0.0.1");
    site.port = Some(server.addr.port());
    site.user = USER.into();
    site.mode = ConnectionMode::Passive;
    site.remember_password = true;
    site.bookmarks = bookmarks;
    SiteStore::at(config)
        .save(&SiteList {
            sites: vec![site.clone()],
            ..SiteList::default()
        })
        .unwrap();
    site
}

fn stored_site(config: &Path) -> Site {
    SiteStore::at(config).load().unwrap().sites.sites.remove(0)
}

fn stored_prefs(config: &Path) -> Preferences {
    PrefsStore::in_dir(config).load().prefs
}

fn remote_path(app: &FerryApp) -> Option<Vec<u8>> {
    match app.remote.path() {
        Some(AnyPath::Remote(p)) if !app.remote.is_loading() => Some(p.clone()),
        _ => None,
    }
}

fn local_path(app: &FerryApp) -> Option<PathBuf> {
    match app.local.path() {
        Some(AnyPath::Local(p)) => Some(p.clone()),
        _ => None,
    }
}

fn type_into(h: &mut Harness<'_, FerryApp>, label: &str, text: &str) {
    h.get_by_label(label).focus();
    h.step();
    h.key_combination_modifiers(egui::Modifiers::COMMAND, &[egui::Key::A]);
    h.get_by_label(label).type_text(text);
    h.step();
}

fn open_menu(h: &mut Harness<'_, FerryApp>, menu: &str) {
    h.get_by_label(menu).click();
    h.run_steps(4);
}

fn bookmark(name: &str, remote: &str, local: Option<&Path>) -> Bookmark {
    Bookmark {
        name: name.into(),
        remote: remote.into(),
        local: local.map(Path::to_path_buf),
    }
}

#[test]
fn ctrl_d_saves_the_folder_with_the_site_paired_with_the_local_folder() {
    let rt = runtime();
    let server = server(&rt);
    let local = tempfile::tempdir().unwrap();
    let config = tempfile::tempdir().unwrap();
    let site = save_site(config.path(), &server, Vec::new());
    let mut h = app(local.path(), config.path());
    h.state_mut().connect_site(site, Some(PASSWORD.into()));
    wait_until(&mut h, "connected", |a| remote_path(a).is_some());
    h.state_mut().navigate(AnyPath::Remote(b"/docs".to_vec()));
    wait_until(&mut h, "/docs listed", |a| {
        remote_path(a).as_deref() == Some(b"/docs".as_slice())
    });

    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::D);
    h.run_steps(3);
    assert!(
        h.state().add_bookmark.open,
        "Ctrl+D asks about the bookmark"
    );
    assert_eq!(
        h.state().add_bookmark.name,
        "docs",
        "named after the folder"
    );
    type_into(&mut h, "Bookmark name", "Docs here");
    h.get_by_label(&format!(
        "Also open the local folder {}",
        local.path().display()
    ))
    .click();
    h.step();
    h.get_by_label("Add bookmark").click();
    h.run_steps(2);
    wait_until(&mut h, "the sites file written", |a| !a.is_saving());
    assert_eq!(
        stored_site(config.path()).bookmarks,
        vec![bookmark("Docs here", "/docs", Some(local.path()))]
    );
    assert!(
        stored_prefs(config.path()).bookmarks.is_empty(),
        "a site's bookmark is not global"
    );

    // "For every site" puts it in the preferences instead.
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::D);
    h.run_steps(3);
    h.get_by_label("For every site (global)").click();
    h.step();
    h.get_by_label("Add bookmark").click();
    h.run_steps(2);
    wait_until(&mut h, "the preferences written", |a| {
        !a.is_saving_preferences()
    });
    assert_eq!(
        stored_prefs(config.path()).bookmarks,
        vec![bookmark("docs", "/docs", None)]
    );
    assert_eq!(stored_site(config.path()).bookmarks.len(), 1);
}

#[test]
fn opening_a_paired_bookmark_connects_and_moves_both_panes() {
    let rt = runtime();
    let server = server(&rt);
    let local = tempfile::tempdir().unwrap();
    let paired = tempfile::tempdir().unwrap();
    let other = tempfile::tempdir().unwrap();
    let config = tempfile::tempdir().unwrap();
    let site = save_site(
        config.path(),
        &server,
        vec![bookmark("Inner", "/docs/inner", Some(paired.path()))],
    );
    PrefsStore::in_dir(config.path())
        .save(&Preferences {
            bookmarks: vec![bookmark("Top", "/docs", Some(other.path()))],
            ..Preferences::default()
        })
        .unwrap();
    let mut h = app(local.path(), config.path());
    assert_eq!(h.state().connection, Connection::Disconnected);

    // Not connected: the site's bookmark connects to it, straight into both folders.
    open_menu(&mut h, "Bookmarks");
    h.get_by_label("Test server").click();
    h.run_steps(4);
    h.get_by_label("Inner").click();
    wait_until(&mut h, "both panes in the bookmark's folders", |a| {
        remote_path(a).as_deref() == Some(b"/docs/inner".as_slice())
            && local_path(a).as_deref() == Some(paired.path())
    });
    assert_eq!(h.state().connected_site.as_deref(), Some(site.id.as_str()));

    // A global one, while connected: both panes move, without reconnecting.
    open_menu(&mut h, "Bookmarks");
    h.get_by_label("Top").click();
    wait_until(&mut h, "both panes in the global bookmark's folders", |a| {
        remote_path(a).as_deref() == Some(b"/docs".as_slice())
            && local_path(a).as_deref() == Some(other.path())
    });
    // The site's saved folders were not changed by opening its bookmark.
    assert_eq!(stored_site(config.path()).remote_folder, None);
}

#[test]
fn the_manage_dialog_renames_deletes_and_reorders_and_save_keeps_it() {
    let rt = runtime();
    let server = server(&rt);
    let local = tempfile::tempdir().unwrap();
    let config = tempfile::tempdir().unwrap();
    save_site(
        config.path(),
        &server,
        vec![bookmark("x", "/x", None), bookmark("y", "/y", None)],
    );
    PrefsStore::in_dir(config.path())
        .save(&Preferences {
            bookmarks: vec![
                bookmark("a", "/a", None),
                bookmark("b", "/b", None),
                bookmark("c", "/c", Some(local.path())),
            ],
            ..Preferences::default()
        })
        .unwrap();
    let mut h = app(local.path(), config.path());
    open_menu(&mut h, "Bookmarks");
    h.get_by_label("Manage bookmarks…").click();
    h.run_steps(3);
    assert!(h.state().manage_bookmarks.open);

    // Global, shown first: rename a, delete b, move c up.
    type_into(&mut h, "1.", "alpha");
    h.get_by_label("Delete b").click();
    h.run_steps(2);
    h.get_by_label("Move up c").click();
    h.run_steps(2);
    // The site's list: move y up.
    h.get_by_label("Bookmarks of").click();
    h.run_steps(2);
    h.get_by_label("Test server").click();
    h.run_steps(2);
    h.get_by_label("Move up y").click();
    h.run_steps(2);
    h.get_by_label("Save").click();
    h.run_steps(2);
    wait_until(&mut h, "both files written", |a| {
        !a.is_saving() && !a.is_saving_preferences()
    });
    let names = |list: &[Bookmark]| list.iter().map(|b| b.name.clone()).collect::<Vec<_>>();
    let global = stored_prefs(config.path()).bookmarks;
    assert_eq!(names(&global), ["c", "alpha"]);
    assert_eq!(
        global[0].local.as_deref(),
        Some(local.path()),
        "c kept its pair"
    );
    assert_eq!(names(&stored_site(config.path()).bookmarks), ["y", "x"]);

    // And the menu follows.
    h.get_by_label("Close").click();
    h.run_steps(2);
    open_menu(&mut h, "Bookmarks");
    h.get_by_label("alpha");
    assert!(h.query_by_label("b").is_none(), "the deleted one is gone");
}
