//! View → Compare and synchronize, in the real app (egui_kittest) against
//! the in-process libunftp server: compare colours on a prepared pair of
//! folders, the preview's rows and totals, an unticked row is skipped, and
//! Run leaves the remote folder matching.

mod support;

use std::path::Path;
use std::time::{Duration, SystemTime};

use eframe::egui;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use ferry::engine::OnExisting;
use ferry::sync::marks::RowMark;
use ferry::sync::{Action, Reason};
use ferry::ui::app::State;
use ferry::ui::{AppConfig, FerryApp};
use support::server::{PASSWORD, ServerOptions, TestServer, USER};
use support::window::{remote_names, runtime, wait_until};

const HOUR: Duration = Duration::from_secs(3600);

fn set_time(path: &Path, t: SystemTime) {
    std::fs::File::options()
        .write(true)
        .open(path)
        .and_then(|f| f.set_modified(t))
        .expect("set the time");
}

/// A local folder and the server's root, prepared to differ in every way.
fn prepare(local: &Path, server: &TestServer) {
    let old = SystemTime::now() - 2 * HOUR;
    for (name, here, there) in [
        ("same.txt", &b"same"[..], &b"same"[..]),
        ("newer.txt", b"new!", b"old!"),
        ("size.txt", b"longer here", b"short"),
    ] {
        std::fs::write(local.join(name), here).expect("write");
        std::fs::write(server.path(name), there).expect("write");
        set_time(&local.join(name), old);
        set_time(&server.path(name), old);
    }
    set_time(&local.join("newer.txt"), old + HOUR);
    std::fs::write(local.join("only-local.txt"), b"mine").expect("write");
    std::fs::write(server.path("only-remote.txt"), b"theirs").expect("write");
}

fn app(local: &Path) -> Harness<'static, FerryApp> {
    let local = local.to_path_buf();
    // The queue's own "If it exists" stays at its default, Ask: the
    // preview already decided, so Run's jobs overwrite without asking.
    let state = State::default();
    assert_eq!(state.queue.on_existing, OnExisting::Ask);
    let mut h = Harness::builder()
        .with_size([1280.0, 800.0])
        .with_step_dt(1.0 / 60.0)
        .build_eframe(move |cc| {
            FerryApp::with_state(
                cc.egui_ctx.clone(),
                state,
                AppConfig {
                    demo: None,
                    local_start: Some(local),
                    queue_file: None,
                    sites: None,
                    ..AppConfig::default()
                },
            )
            .expect("app starts")
        });
    h.step();
    h
}

fn connect(h: &mut Harness<'_, FerryApp>, server: &TestServer) {
    connect_expecting(h, server, 4);
}

/// Connect, and wait until both panes list `entries` entries.
fn connect_expecting(h: &mut Harness<'_, FerryApp>, server: &TestServer, entries: usize) {
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
    wait_until(h, "the local listing", |a| {
        a.local.entries().len() == entries
    });
}

#[test]
fn compare_colours_rows_in_both_panes_with_a_legend() {
    let rt = runtime();
    let server = rt.block_on(TestServer::start(ServerOptions::default()));
    let local = tempfile::tempdir().expect("temp dir");
    prepare(local.path(), &server);
    let mut h = app(local.path());
    connect(&mut h, &server);

    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::O);
    h.run_steps(3);
    assert!(h.state().sync.open && h.state().sync.compare);
    for (_, legend) in RowMark::LEGEND {
        h.get_by_label(legend);
    }
    let marks = &h.state().sync.marks;
    let get = |side: &std::collections::HashMap<Vec<u8>, RowMark>, n: &str| {
        side.get(n.as_bytes()).copied()
    };
    assert_eq!(get(&marks.local, "same.txt"), Some(RowMark::Identical));
    assert_eq!(get(&marks.remote, "same.txt"), Some(RowMark::Identical));
    assert_eq!(get(&marks.local, "newer.txt"), Some(RowMark::NewerHere));
    assert_eq!(get(&marks.local, "size.txt"), Some(RowMark::SizeDiffers));
    assert_eq!(get(&marks.remote, "size.txt"), Some(RowMark::SizeDiffers));
    assert_eq!(get(&marks.local, "only-local.txt"), Some(RowMark::OnlyHere));
    assert_eq!(
        get(&marks.remote, "only-remote.txt"),
        Some(RowMark::OnlyHere)
    );
    let tints = ferry::ui::sync_dialog::row_tints(&h.ctx, ferry::engine::Side::Remote)
        .expect("the remote pane has compare colours");
    // The older side of a newer pair gets no colour.
    assert_eq!(tints.len(), 3);
    assert!(!tints.contains_key(b"newer.txt".as_slice()));

    // Ctrl+O again: the window closes and the colours go.
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::O);
    h.run_steps(3);
    assert!(ferry::ui::sync_dialog::row_tints(&h.ctx, ferry::engine::Side::Local).is_none());
}

#[test]
fn the_preview_shows_rows_and_totals_and_run_queues_only_ticked_rows() {
    let rt = runtime();
    let server = rt.block_on(TestServer::start(ServerOptions::default()));
    let local = tempfile::tempdir().expect("temp dir");
    prepare(local.path(), &server);
    let mut h = app(local.path());
    connect(&mut h, &server);
    h.state_mut().sync.toggle();
    h.run_steps(2);

    h.get_by_label("Compare folders").click();
    wait_until(&mut h, "the preview", |a| a.sync.preview().is_some());
    let rows: Vec<(String, Action, Reason)> = h
        .state()
        .sync
        .preview()
        .expect("preview")
        .iter()
        .map(|r| (r.display(), r.action, r.reason))
        .collect();
    assert_eq!(
        rows,
        vec![
            ("newer.txt".into(), Action::Upload, Reason::Newer),
            ("only-local.txt".into(), Action::Upload, Reason::New),
            ("only-remote.txt".into(), Action::Skip, Reason::NotOnSource),
            ("same.txt".into(), Action::Skip, Reason::Identical),
            ("size.txt".into(), Action::Upload, Reason::SizeDiffers),
        ]
    );
    h.get_by_label_contains("Upload 3 files");
    // The rows' action choosers line up in a column, whatever the names' lengths.
    let actions = [
        "upload",
        "download",
        "skip",
        "conflict",
        "delete local",
        "delete remote",
    ];
    let lefts: Vec<f32> = h
        .get_all_by_role(egui::accesskit::Role::ComboBox)
        .filter(|n| n.value().is_some_and(|v| actions.contains(&v.as_str())))
        .map(|n| n.rect().left())
        .collect();
    assert_eq!(lefts.len(), 4, "one chooser per shown row: {lefts:?}");
    assert!(
        lefts.iter().all(|x| (x - lefts[0]).abs() < 0.5),
        "{lefts:?}"
    );
    let check = egui::accesskit::Role::CheckBox;
    assert!(
        h.query_by_role_and_label(check, "same.txt").is_none(),
        "identical rows are hidden"
    );

    h.get_by_role_and_label(check, "size.txt").click();
    h.run_steps(2);
    h.get_by_label_contains("Upload 2 files");
    h.get_by_label("Run").click();
    h.run_steps(2);
    wait_until(&mut h, "the uploads", |_| {
        server.path("only-local.txt").exists()
            && std::fs::read(server.path("newer.txt")).ok().as_deref() == Some(&b"new!"[..])
    });
    assert_eq!(
        std::fs::read(server.path("size.txt")).expect("read"),
        b"short",
        "the unticked row was left alone"
    );
    assert!(
        server.path("only-remote.txt").exists(),
        "nothing is deleted without asking"
    );
    assert!(
        h.state()
            .sync
            .result
            .as_deref()
            .is_some_and(|r| r.contains("Queued 2 uploads, 0 downloads and 0 deletes")),
        "{:?}",
        h.state().sync.result
    );
}

#[test]
fn hide_identical_leaves_identical_files_out_of_both_panes() {
    let rt = runtime();
    let server = rt.block_on(TestServer::start(ServerOptions::default()));
    let local = tempfile::tempdir().expect("temp dir");
    prepare(local.path(), &server);
    // A folder on both sides compares identical, but stays: it can be opened.
    std::fs::create_dir(local.path().join("shared")).expect("mkdir");
    std::fs::create_dir(server.path("shared")).expect("mkdir");
    let mut h = app(local.path());
    connect_expecting(&mut h, &server, 5);
    let shown = |a: &FerryApp, side: ferry::engine::Side| -> Vec<String> {
        let pane = match side {
            ferry::engine::Side::Local => &a.local,
            ferry::engine::Side::Remote => &a.remote,
        };
        pane.visible()
            .iter()
            .map(|e| e.display_name.to_string())
            .collect()
    };
    use ferry::engine::Side::{Local, Remote};

    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::O);
    h.run_steps(3);
    assert!(shown(h.state(), Local).contains(&"same.txt".to_string()));
    h.get_by_label("Hide identical files").click();
    h.run_steps(3);
    assert_eq!(
        shown(h.state(), Local),
        ["shared", "newer.txt", "only-local.txt", "size.txt"]
    );
    assert_eq!(
        shown(h.state(), Remote),
        ["shared", "newer.txt", "only-remote.txt", "size.txt"]
    );
    assert_eq!(h.get_all_by_label_contains("1 identical hidden").count(), 2);

    // Unticked, or the colours switched off: every file is back.
    h.get_by_label("Hide identical files").click();
    h.run_steps(3);
    assert!(shown(h.state(), Remote).contains(&"same.txt".to_string()));
    h.get_by_label("Hide identical files").click();
    h.run_steps(3);
    assert!(!shown(h.state(), Remote).contains(&"same.txt".to_string()));
    h.get_by_label("Colour both panes").click();
    h.run_steps(3);
    assert_eq!(shown(h.state(), Local).len(), 5);
    assert_eq!(shown(h.state(), Remote).len(), 5);
}

#[test]
fn after_a_run_the_sync_state_tells_the_next_both_ways_sync_what_changed() {
    let rt = runtime();
    let server = rt.block_on(TestServer::start(ServerOptions::default()));
    let local = tempfile::tempdir().expect("temp dir");
    let data = tempfile::tempdir().expect("temp dir");
    prepare(local.path(), &server);
    let mut h = app(local.path());
    h.state_mut().sync.state_dir = Some(data.path().to_path_buf());
    connect(&mut h, &server);
    h.state_mut().sync.toggle();
    h.state_mut().sync.direction = ferry::sync::SyncDirection::Both;
    h.run_steps(2);

    h.get_by_label("Compare folders").click();
    wait_until(&mut h, "the preview", |a| a.sync.preview().is_some());
    h.get_by_label("Run").click();
    h.run_steps(2);
    wait_until(&mut h, "the sync state saved", |a| {
        a.sync
            .result
            .as_deref()
            .is_some_and(|r| r.contains("sync state was saved"))
    });
    assert!(!h.state().sync.is_recording());

    // Since: newer.txt changed on the server only (with an older time than
    // the local copy), same.txt on both sides.
    let old = SystemTime::now() - 5 * HOUR;
    std::fs::write(server.path("newer.txt"), b"edited on the server").expect("write");
    set_time(&server.path("newer.txt"), old);
    std::fs::write(local.path().join("same.txt"), b"edited here").expect("write");
    std::fs::write(server.path("same.txt"), b"and edited there").expect("write");

    h.get_by_label("Compare folders").click();
    wait_until(&mut h, "the second preview", |a| a.sync.preview().is_some());
    let row = |a: &FerryApp, name: &str| {
        a.sync
            .preview()
            .and_then(|rows| rows.iter().find(|r| r.display() == name))
            .map(|r| (r.action, r.reason))
    };
    assert_eq!(
        row(h.state(), "newer.txt"),
        Some((Action::Download, Reason::Changed))
    );
    assert_eq!(
        row(h.state(), "same.txt"),
        Some((Action::Conflict, Reason::BothChanged))
    );
    // What the first Run copied is settled, whatever time the server gave it.
    let settled = row(h.state(), "only-local.txt").expect("a row");
    assert_eq!(settled.0, Action::Skip, "{settled:?}");
    assert_eq!(
        row(h.state(), "only-remote.txt").map(|r| r.0),
        Some(Action::Skip)
    );
}
