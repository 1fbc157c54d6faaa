//! Find files in the real app (egui_kittest) against the in-process libunftp
//! server: results arrive from a walk on a connection of its own, Cancel
//! stops it, and the results' buttons open the containing folder in the
//! pane, queue a download and delete after a confirmation.

mod support;

use std::path::Path;

use eframe::egui;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use ferry::engine::{AnyPath, Side};
use ferry::ui::app::State;
use ferry::ui::{AppConfig, FerryApp};
use support::server::{PASSWORD, ServerOptions, TestServer, USER};
use support::window::{remote_names, runtime, wait_until};

fn app(local: &Path) -> Harness<'static, FerryApp> {
    let local = local.to_path_buf();
    let mut h = Harness::builder()
        .with_size([1280.0, 860.0])
        .with_step_dt(1.0 / 60.0)
        .build_eframe(move |cc| {
            FerryApp::with_state(
                cc.egui_ctx.clone(),
                State::default(),
                AppConfig {
                    local_start: Some(local),
                    ..AppConfig::default()
                },
            )
            .expect("app starts")
        });
    h.step();
    h
}

fn connect(h: &mut Harness<'_, FerryApp>, server: &TestServer, entries: usize) {
    let form = &mut h.state_mut().quick.form;
    form.host = "127.0.0.1".into();
    form.port = server.addr.port().to_string();
    form.user = USER.into();
    form.password = PASSWORD.into();
    h.get_by_label("Password").click();
    h.step();
    h.key_press(egui::Key::Enter);
    wait_until(h, "the remote listing", |a| {
        remote_names(a).len() == entries
    });
}

/// site/index.html, site/logs/{app.log, old.log, 2023/a.log}, site/docs.log/ (a folder).
fn seed(server: &TestServer) {
    for (rel, body) in [
        ("site/index.html", &b"<html>"[..]),
        ("site/logs/app.log", b"app log"),
        ("site/logs/old.log", b"old"),
        ("site/logs/2023/a.log", b"a"),
    ] {
        let path = server.path(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, body).unwrap();
    }
    std::fs::create_dir_all(server.path("site/docs.log")).unwrap();
}

/// Focus the input labelled `label`, select what it holds and type `text`.
fn type_into(h: &mut Harness<'_, FerryApp>, label: &str, text: &str) {
    h.get_by_label(label).focus();
    h.step();
    h.key_combination_modifiers(egui::Modifiers::COMMAND, &[egui::Key::A]);
    h.get_by_label(label).type_text(text);
    h.step();
}

/// Ctrl+F on the remote pane, in `/site`.
fn open_find_in_site(h: &mut Harness<'_, FerryApp>) {
    h.state_mut().navigate(AnyPath::Remote(b"/site".to_vec()));
    wait_until(h, "/site listed", |a| {
        !a.remote.is_loading() && remote_names(a).len() == 3
    });
    h.state_mut().active = Side::Remote;
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::F);
    h.run_steps(3);
    assert!(h.state().find.open, "Ctrl+F opens Find files");
    assert_eq!(
        h.state().find.folder,
        Some(AnyPath::Remote(b"/site".to_vec()))
    );
}

fn result_paths(app: &FerryApp) -> Vec<String> {
    let mut v: Vec<String> = app
        .find
        .results
        .iter()
        .map(|hit| hit.path.display())
        .collect();
    v.sort();
    v
}

#[test]
fn results_arrive_and_open_containing_folder_navigates_the_pane() {
    let rt = runtime();
    let server = rt.block_on(TestServer::start(ServerOptions::default()));
    seed(&server);
    let local = tempfile::tempdir().unwrap();
    let mut h = app(local.path());
    connect(&mut h, &server, 1);
    open_find_in_site(&mut h);

    type_into(&mut h, "Name matches", "*.LOG");
    h.get_by_label("Files").click();
    h.step();
    h.get_by_label("Start").click();
    wait_until(&mut h, "the search to end", |a| {
        !a.find.is_running() && a.find.status.is_some()
    });
    assert_eq!(
        result_paths(h.state()),
        vec![
            "/site/logs/2023/a.log",
            "/site/logs/app.log",
            "/site/logs/old.log"
        ],
        "case-insensitive by default, files only (docs.log is a folder)"
    );
    let p = h.state().find.progress;
    assert_eq!((p.folders, p.entries), (4, 7), "every folder walked");
    assert!(
        h.state()
            .find
            .status
            .as_deref()
            .unwrap()
            .starts_with("Done"),
        "{:?}",
        h.state().find.status
    );
    // Browsing used its own connection: the pane is where it was.
    assert_eq!(
        h.state().remote.path(),
        Some(&AnyPath::Remote(b"/site".to_vec()))
    );

    // Shown as they are: path, and the row is a button to select.
    h.get_by_label("/site/logs/2023/a.log").click();
    h.step();
    h.get_by_label("Open containing folder").click();
    wait_until(&mut h, "the pane in /site/logs/2023", |a| {
        a.remote.path() == Some(&AnyPath::Remote(b"/site/logs/2023".to_vec()))
            && !a.remote.is_loading()
    });
    h.run_steps(2);
    let selected: Vec<String> = h
        .state()
        .remote
        .selected()
        .iter()
        .map(|e| e.display_name.to_string())
        .collect();
    assert_eq!(selected, vec!["a.log"], "the file is selected in the pane");
}

#[test]
fn a_depth_limit_and_a_regular_expression_narrow_the_search() {
    let rt = runtime();
    let server = rt.block_on(TestServer::start(ServerOptions::default()));
    seed(&server);
    let local = tempfile::tempdir().unwrap();
    let mut h = app(local.path());
    connect(&mut h, &server, 1);
    open_find_in_site(&mut h);

    h.get_by_label("Regular expression").click();
    h.get_by_label("Match case").click();
    type_into(&mut h, "Name matches", r"^(app|a)\.log$");
    type_into(&mut h, "Depth", "2");
    h.get_by_label("Start").click();
    wait_until(&mut h, "the search to end", |a| {
        !a.find.is_running() && a.find.status.is_some()
    });
    assert_eq!(result_paths(h.state()), vec!["/site/logs/app.log"]);
    assert_eq!(h.state().find.progress.folders, 3, "logs/2023 not listed");

    // A bad expression is refused before anything starts, naming the field.
    type_into(&mut h, "Name matches", "(unclosed");
    h.get_by_label("Start").click();
    h.run_steps(2);
    let status = h.state().find.status.clone().unwrap_or_default();
    assert!(
        status.starts_with("not a valid regular expression"),
        "{status}"
    );
    assert!(!h.state().find.is_running());
}

#[test]
fn cancel_stops_the_search_and_keeps_what_was_found() {
    let rt = runtime();
    let server = rt.block_on(TestServer::start(ServerOptions::default()));
    // Enough folders that listing them all takes far longer than a frame.
    for i in 0..1000 {
        std::fs::create_dir_all(server.path(&format!("site/d{i:04}"))).unwrap();
    }
    let local = tempfile::tempdir().unwrap();
    let mut h = app(local.path());
    connect(&mut h, &server, 1);
    h.state_mut().navigate(AnyPath::Remote(b"/site".to_vec()));
    wait_until(&mut h, "/site listed", |a| {
        !a.remote.is_loading() && remote_names(a).len() == 1000
    });
    h.state_mut().active = Side::Remote;
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::F);
    h.run_steps(2);
    h.get_by_label("Start").click();
    wait_until(&mut h, "the first folders walked", |a| {
        a.find.progress.folders >= 2
    });
    h.get_by_label("Cancel").click();
    wait_until(&mut h, "the search to stop", |a| !a.find.is_running());
    let status = h.state().find.status.clone().unwrap_or_default();
    assert!(status.starts_with("Cancelled"), "{status}");
    let walked = h.state().find.progress.folders;
    assert!(walked < 1001, "stopped early, after {walked} folders");
    assert!(!h.state().find.results.is_empty(), "what was found stays");
    // Nothing more arrives after Cancel.
    let found = h.state().find.results.len();
    h.run_steps(10);
    assert_eq!(h.state().find.results.len(), found);
}

#[test]
fn download_queues_the_selection_and_delete_asks_first() {
    let rt = runtime();
    let server = rt.block_on(TestServer::start(ServerOptions::default()));
    seed(&server);
    let local = tempfile::tempdir().unwrap();
    let mut h = app(local.path());
    connect(&mut h, &server, 1);
    open_find_in_site(&mut h);
    type_into(&mut h, "Name matches", "*.log");
    h.get_by_label("Files").click();
    h.get_by_label("Start").click();
    wait_until(&mut h, "the search to end", |a| {
        !a.find.is_running() && a.find.results.len() == 3
    });

    // Click one, Ctrl+click another: both are downloaded into the local pane's folder.
    h.get_by_label("/site/logs/app.log").click();
    h.step();
    h.get_by_label("/site/logs/2023/a.log")
        .click_modifiers(egui::Modifiers::COMMAND);
    h.step();
    assert_eq!(h.state().find.selected.len(), 2);
    h.get_by_label("Download").click();
    let dir = local.path().to_path_buf();
    wait_until(&mut h, "both files downloaded", move |_| {
        std::fs::read(dir.join("app.log")).is_ok_and(|b| b == b"app log")
            && std::fs::read(dir.join("a.log")).is_ok_and(|b| b == b"a")
    });

    // Delete asks; Cancel keeps the file, Delete removes it.
    h.get_by_label("/site/logs/old.log").click();
    h.step();
    h.get_by_label("Delete…").click();
    h.run_steps(2);
    assert!(h.state().find.confirm_delete.is_some(), "Delete asks first");
    // The window's own Cancel (stopping a search) is greyed out; the question's is not.
    h.get_all_by_label("Cancel")
        .find(|n| !n.accesskit_node().is_disabled())
        .expect("the question's Cancel")
        .click();
    h.run_steps(2);
    assert!(server.path("site/logs/old.log").exists());
    h.get_by_label("Delete…").click();
    h.run_steps(2);
    h.get_by_label("Delete").click();
    let gone = server.path("site/logs/old.log");
    wait_until(&mut h, "old.log deleted on the server", move |_| {
        !gone.exists()
    });
    assert!(
        !result_paths(h.state()).contains(&"/site/logs/old.log".to_string()),
        "the deleted row left the results"
    );
}

#[test]
fn the_local_pane_is_searched_on_a_thread() {
    let local = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(local.path().join("a/b")).unwrap();
    std::fs::write(local.path().join("a/b/deep.txt"), vec![0u8; 2048]).unwrap();
    std::fs::write(local.path().join("a/small.txt"), b"1").unwrap();
    let mut h = app(local.path());
    wait_until(&mut h, "the local listing", |a| {
        !a.local.entries().is_empty()
    });
    h.state_mut().active = Side::Local;
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::F);
    h.run_steps(2);
    assert!(h.state().find.open);
    type_into(&mut h, "At least", "1K");
    h.get_by_label("Start").click();
    wait_until(&mut h, "the search to end", |a| {
        !a.find.is_running() && a.find.status.is_some()
    });
    let found: Vec<_> = h
        .state()
        .find
        .results
        .iter()
        .map(|hit| hit.path.clone())
        .collect();
    assert_eq!(
        found,
        vec![AnyPath::Local(local.path().join("a/b/deep.txt"))],
        "only the file of at least 1 KiB"
    );
}
