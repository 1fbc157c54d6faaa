//! The real app in egui_kittest, driven by accessible role and label,
//! against the in-process libunftp server (and the scripted fake server
//! for a data connection that never opens).

mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use eframe::egui;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use ferry::engine::{AnyPath, Side};
use ferry::ui::app::{Connection, State};
use ferry::ui::{AppConfig, FerryApp};
use support::server::{PASSWORD, ServerOptions, TestServer, USER};
use support::window::{quick_connect, quick_connect_listing, remote_names, runtime, wait_until};

fn app(local: &Path) -> Harness<'static, FerryApp> {
    let local = local.to_path_buf();
    let mut h = Harness::builder()
        .with_size([1280.0, 800.0])
        // Short steps, so two clicks land within egui's double-click time.
        .with_step_dt(1.0 / 60.0)
        .build_eframe(move |cc| {
            FerryApp::with_state(
                cc.egui_ctx.clone(),
                State::default(),
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

/// Quick-connect in passive mode and wait for the seeded root listing.
fn connect_and_list(h: &mut Harness<'_, FerryApp>, server: &TestServer) {
    quick_connect_listing(h, server, "Passive", &["hello.txt", "docs"]);
}

fn seeded_server(rt: &tokio::runtime::Runtime) -> TestServer {
    let server = rt.block_on(TestServer::start(ServerOptions {
        tls: false,
        active: true,
    }));
    std::fs::create_dir_all(server.path("docs/inner")).unwrap();
    std::fs::write(server.path("docs/readme.txt"), b"read me").unwrap();
    std::fs::write(server.path("hello.txt"), b"hello from the server").unwrap();
    server
}

#[test]
fn quick_connect_in_passive_and_active_mode_lists_the_server() {
    let rt = runtime();
    let server = seeded_server(&rt);
    let local = tempfile::tempdir().unwrap();
    for mode in ["Passive", "Active"] {
        let mut h = app(local.path());
        quick_connect(&mut h, server.addr.port(), USER, PASSWORD, mode);
        wait_until(&mut h, "the remote listing", |a| {
            remote_names(a).contains(&"docs".to_string())
        });
        assert!(
            matches!(h.state().connection, Connection::Connected { .. }),
            "{mode}"
        );
        assert_eq!(
            h.state().remote.path(),
            Some(&AnyPath::Remote(b"/".to_vec()))
        );
        let want = if mode == "Active" {
            ferry::ftp::DataMode::Active
        } else {
            ferry::ftp::DataMode::Passive
        };
        assert_eq!(h.state().quick.form.validate().unwrap().options.mode, want);
        h.check_accessibility();
    }
}

#[test]
fn a_wrong_password_shows_the_error_banner() {
    let rt = runtime();
    let server = seeded_server(&rt);
    let local = tempfile::tempdir().unwrap();
    let mut h = app(local.path());
    quick_connect(
        &mut h,
        server.addr.port(),
        USER,
        "wrong-password",
        "Passive",
    );
    wait_until(&mut h, "the banner", |a| a.banner.is_some());
    let message = h.state().banner.clone().unwrap().message;
    assert!(message.contains("login failed: 530"), "{message}");
    assert!(
        h.query_by_label_contains("login failed").is_some(),
        "the banner is on screen"
    );
    h.get_by_label("Dismiss").click();
    h.step();
    assert!(h.state().banner.is_none());
}

#[test]
fn open_a_folder_and_go_back_up() {
    let rt = runtime();
    let server = seeded_server(&rt);
    let local = tempfile::tempdir().unwrap();
    let mut h = app(local.path());
    connect_and_list(&mut h, &server);
    h.get_by_label("docs").click();
    h.step();
    h.key_press(egui::Key::Enter);
    wait_until(&mut h, "the docs listing", |a| {
        remote_names(a).contains(&"readme.txt".to_string())
    });
    assert_eq!(
        h.state().remote.path(),
        Some(&AnyPath::Remote(b"/docs".to_vec()))
    );
    // Enter on the remote pane's ".." row goes up (the local pane has one too).
    let local_right = h.state().local_pane_right_edge();
    h.get_all_by_label("..")
        .find(|n| n.rect().center().x > local_right)
        .expect("a .. row in the remote pane")
        .click();
    h.step();
    h.key_press(egui::Key::Enter);
    wait_until(&mut h, "the root listing", |a| {
        a.remote.path() == Some(&AnyPath::Remote(b"/".to_vec()))
            && remote_names(a).contains(&"hello.txt".to_string())
    });
}

#[test]
fn create_rename_and_delete_a_remote_folder() {
    let rt = runtime();
    let server = seeded_server(&rt);
    let local = tempfile::tempdir().unwrap();
    let mut h = app(local.path());
    connect_and_list(&mut h, &server);

    // New folder (F7) in the remote pane.
    h.get_by_label("hello.txt").click();
    h.step();
    assert_eq!(h.state().active, Side::Remote);
    h.key_press(egui::Key::F7);
    h.step();
    h.get_by_label("Name:").type_text("made-by-ui");
    h.step();
    h.get_by_label("Create").click();
    wait_until(&mut h, "the new folder", |a| {
        remote_names(a).contains(&"made-by-ui".to_string())
    });
    assert!(server.path("made-by-ui").is_dir());

    // Rename (F2), inline.
    h.get_by_label("made-by-ui").click();
    h.step();
    h.key_press(egui::Key::F2);
    h.step();
    h.step();
    h.key_combination_modifiers(egui::Modifiers::COMMAND, &[egui::Key::A]);
    h.step();
    h.get_by_label("New name").type_text("renamed-by-ui");
    h.step();
    h.key_press(egui::Key::Enter);
    wait_until(&mut h, "the renamed folder", |a| {
        remote_names(a).contains(&"renamed-by-ui".to_string())
    });
    assert!(server.path("renamed-by-ui").is_dir() && !server.path("made-by-ui").exists());

    // Delete, with confirmation.
    h.get_by_label("renamed-by-ui").click();
    h.step();
    h.key_press(egui::Key::Delete);
    h.step();
    h.get_by_label("Delete").click();
    wait_until(&mut h, "the folder gone", |a| {
        !remote_names(a).contains(&"renamed-by-ui".to_string())
    });
    assert!(!server.path("renamed-by-ui").exists());
}

/// The delete confirmation counts in words ("1 item", not "item(s)") and,
/// like every desktop dialog, Enter confirms it.
#[test]
fn delete_confirmation_counts_in_words_and_enter_confirms_it() {
    let rt = runtime();
    let server = seeded_server(&rt);
    let local = tempfile::tempdir().unwrap();
    let mut h = app(local.path());
    connect_and_list(&mut h, &server);

    h.get_by_label("hello.txt").click();
    h.step();
    h.key_press(egui::Key::Delete);
    h.run_steps(2);
    h.get_by_label("Delete 1 item from the server? This cannot be undone.");
    h.key_press(egui::Key::Enter);
    wait_until(&mut h, "the file gone", |a| {
        !remote_names(a).contains(&"hello.txt".to_string())
    });
    assert!(!server.path("hello.txt").exists());
    assert!(server.path("docs").is_dir(), "only the selected item");
}

/// Connecting to another server that refuses the password: the first
/// server's files are gone from the remote pane (not left browsable), and
/// the banner asks for the password instead of offering to resend the
/// refused one.
#[test]
fn a_refused_login_to_another_server_clears_the_old_listing_and_asks_for_the_password() {
    let rt = runtime();
    let server = seeded_server(&rt);
    let other = seeded_server(&rt);
    let local = tempfile::tempdir().unwrap();
    let mut h = app(local.path());
    connect_and_list(&mut h, &server);
    {
        let form = &mut h.state_mut().quick.form;
        form.port = other.addr.port().to_string();
        form.password = "wrong".into();
    }
    h.get_by_label("Password").click();
    h.step();
    h.key_press(egui::Key::Enter);
    wait_until(&mut h, "the refused login", |a| {
        a.banner
            .as_ref()
            .is_some_and(|b| b.message.contains("Could not connect"))
    });
    assert_eq!(remote_names(h.state()), Vec::<String>::new());
    assert!(
        h.query_by_label("Retry").is_none(),
        "no resend of a refused password"
    );
    h.get_by_label("Enter password…").click();
    h.run_steps(3);
    let dialog = &h.state().dialog;
    assert!(dialog.open);
    assert!(dialog.form.password.is_empty());
    assert_eq!(dialog.form.port, other.addr.port().to_string());
}

#[test]
fn download_and_upload_a_file_through_the_window() {
    let rt = runtime();
    let server = seeded_server(&rt);
    let local = tempfile::tempdir().unwrap();
    std::fs::write(
        local.path().join("from-local.txt"),
        b"uploaded through the window",
    )
    .unwrap();
    let mut h = app(local.path());
    connect_and_list(&mut h, &server);

    h.get_by_label("hello.txt").click();
    h.step();
    h.get_by_label("hello.txt").click_secondary();
    h.run_steps(4);
    h.get_by_label("Download").click();
    wait_until(&mut h, "the download", |_| {
        local.path().join("hello.txt").is_file()
    });
    assert_eq!(
        std::fs::read(local.path().join("hello.txt")).unwrap(),
        b"hello from the server"
    );

    wait_until(&mut h, "the local listing", |a| {
        a.local
            .entries()
            .iter()
            .any(|e| &*e.display_name == "from-local.txt")
    });
    h.get_by_label("from-local.txt").click();
    h.step();
    h.get_by_label("from-local.txt").click_secondary();
    h.run_steps(4);
    h.get_by_label("Upload").click();
    wait_until(&mut h, "the upload", |a| {
        remote_names(a).contains(&"from-local.txt".to_string())
    });
    assert_eq!(
        std::fs::read(server.path("from-local.txt")).unwrap(),
        b"uploaded through the window"
    );
}

#[test]
fn dragging_a_file_from_the_remote_pane_to_the_local_pane_downloads_it() {
    let rt = runtime();
    let server = seeded_server(&rt);
    let local = tempfile::tempdir().unwrap();
    let mut h = app(local.path());
    connect_and_list(&mut h, &server);

    drag_hello_to_the_local_pane(&mut h);
    assert_eq!(
        std::fs::read(local.path().join("hello.txt")).unwrap(),
        b"hello from the server"
    );
}

/// Drag the server's hello.txt onto the local pane's folder, and wait
/// until the Done tab and (without a manual refresh) the local pane list it.
fn drag_hello_to_the_local_pane(h: &mut Harness<'_, FerryApp>) {
    let from = h.get_by_label("hello.txt").rect().center();
    let local_right = h.state().local_pane_right_edge();
    assert!(from.x > local_right, "the row is in the remote pane");
    // Below the local pane's few rows: its folder, not a folder row.
    let to = egui::pos2(local_right / 2.0, 420.0);
    drag(h, from, to);
    wait_until(h, "the Done tab to list it", |a| {
        a.queue.count(ferry::ui::queue_view::QueueTab::Done) == 1
    });
    wait_until(h, "the local pane to list it", |a| {
        a.local
            .entries()
            .iter()
            .any(|e| &*e.display_name == "hello.txt")
    });
}

/// Draw the frames the window's event loop would (one for each repaint
/// asked for, at once or after a delay: egui's clock moves a step a frame)
/// until none is asked for. Fails after 1,000 frames (more than 16 s of
/// the app's time): something asks for frames forever.
fn draw_until_idle(h: &mut Harness<'_, FerryApp>, what: &str) {
    let mut frames = 0;
    while h.ctx.has_requested_repaint() {
        h.step();
        frames += 1;
        assert!(
            frames < 1_000,
            "{what}: the window never stops repainting; causes: {:?}",
            h.ctx.repaint_causes()
        );
    }
}

/// Whether the window, once idle, stays so: no frame asked for by a frame
/// or by another thread (the engine's waker, a watcher) over a second.
/// Absence can only be seen over some time; nothing in it is expected to
/// happen, so the second only bounds how long a periodic wake-up can hide.
fn stays_idle(h: &mut Harness<'_, FerryApp>, what: &str) {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    draw_until_idle(h, what);
    let asked = Arc::new(AtomicUsize::new(0));
    let counter = asked.clone();
    h.ctx.set_repaint_observer(move |_| {
        counter.fetch_add(1, Ordering::Relaxed);
    });
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(
        asked.load(Ordering::Relaxed),
        0,
        "{what}: something asked for frames while nothing happened"
    );
    assert!(!h.ctx.has_requested_repaint(), "{what}: a frame is due");
    // The next frame (one an input would cause) asks for none either.
    h.step();
    assert!(
        !h.ctx.has_requested_repaint(),
        "{what}: a frame asks for another; causes: {:?}",
        h.ctx.repaint_causes()
    );
    assert_eq!(asked.load(Ordering::Relaxed), 0, "{what}");
}

#[test]
fn an_idle_window_stops_repainting_when_connected_and_after_a_transfer() {
    let rt = runtime();
    let server = seeded_server(&rt);
    let local = tempfile::tempdir().unwrap();
    let mut h = app(local.path());
    connect_and_list(&mut h, &server);
    stays_idle(&mut h, "connected and idle");

    drag_hello_to_the_local_pane(&mut h);
    // Off the panes, as a pointer resting elsewhere.
    h.hover_at(egui::pos2(1279.0, 799.0));
    stays_idle(&mut h, "idle with a finished transfer in the queue");
    assert_eq!(
        h.state().queue.count(ferry::ui::queue_view::QueueTab::Done),
        1
    );
}

/// Click (or right-click) the row called `label` in the remote pane (the
/// local pane may have one of the same name).
fn click_remote_row(h: &Harness<'_, FerryApp>, label: &str, secondary: bool) {
    let local_right = h.state().local_pane_right_edge();
    let node = h
        .get_all_by_label(label)
        .find(|n| n.rect().center().x > local_right)
        .expect("the row in the remote pane");
    if secondary {
        node.click_secondary();
    } else {
        node.click();
    }
}

/// Download the remote `hello.txt` through its context menu.
fn download_hello(h: &mut Harness<'_, FerryApp>) {
    click_remote_row(h, "hello.txt", false);
    h.step();
    click_remote_row(h, "hello.txt", true);
    h.run_steps(4);
    h.get_by_label("Download").click();
}

#[test]
fn an_existing_target_asks_and_each_answer_is_followed() {
    let rt = runtime();
    let server = seeded_server(&rt);
    let local = tempfile::tempdir().unwrap();
    std::fs::write(local.path().join("hello.txt"), b"mine").unwrap();
    let mut h = app(local.path());
    connect_and_list(&mut h, &server);

    download_hello(&mut h);
    wait_until(&mut h, "the question", |a| !a.queue.conflicts.is_empty());
    h.get_by_label("The target exists");
    h.get_by_label("Skip").click();
    wait_until(&mut h, "the skipped job", |a| {
        a.queue.count(ferry::ui::queue_view::QueueTab::Done) == 1
    });
    assert_eq!(
        std::fs::read(local.path().join("hello.txt")).unwrap(),
        b"mine"
    );

    download_hello(&mut h);
    wait_until(&mut h, "the second question", |a| {
        !a.queue.conflicts.is_empty()
    });
    h.get_by_label("Overwrite").click();
    wait_until(&mut h, "the overwritten file", |_| {
        std::fs::read(local.path().join("hello.txt")).unwrap() == b"hello from the server"
    });
    assert!(h.state().queue.conflicts.is_empty(), "the question is gone");
}

#[test]
fn dragging_a_file_onto_a_folder_of_the_same_pane_moves_it_after_asking() {
    let local = tempfile::tempdir().unwrap();
    std::fs::write(local.path().join("a.txt"), b"move me").unwrap();
    std::fs::create_dir(local.path().join("sub")).unwrap();
    let mut h = app(local.path());
    wait_until(&mut h, "the local listing", |a| {
        a.local
            .entries()
            .iter()
            .any(|e| &*e.display_name == "a.txt")
    });
    let from = h.get_by_label("a.txt").rect().center();
    let to = h.get_by_label("sub").rect().center();
    drag(&mut h, from, to);
    h.run_steps(3);
    h.get_by_label("Move?");
    assert!(
        local.path().join("a.txt").exists(),
        "nothing moves before the answer"
    );
    h.get_by_label("Move").click();
    wait_until(&mut h, "the moved file", |_| {
        local.path().join("sub/a.txt").is_file()
    });
    assert!(!local.path().join("a.txt").exists());
}

#[test]
fn dragging_a_remote_file_onto_a_remote_folder_moves_it_on_the_server_after_asking() {
    let rt = runtime();
    let server = seeded_server(&rt);
    let local = tempfile::tempdir().unwrap();
    let mut h = app(local.path());
    connect_and_list(&mut h, &server);
    let local_right = h.state().local_pane_right_edge();
    let remote_row = |h: &Harness<'_, FerryApp>, label: &str| {
        h.get_all_by_label(label)
            .find(|n| n.rect().center().x > local_right)
            .expect("the row in the remote pane")
            .rect()
            .center()
    };
    let (from, to) = (remote_row(&h, "hello.txt"), remote_row(&h, "docs"));
    drag(&mut h, from, to);
    h.run_steps(3);
    h.get_by_label("Move?");
    assert!(
        server.path("hello.txt").exists(),
        "nothing moves before the answer"
    );
    h.get_by_label("Move").click();
    wait_until(&mut h, "the file moved on the server", |_| {
        server.path("docs/hello.txt").is_file()
    });
    assert!(!server.path("hello.txt").exists());
    assert!(h.state().banner.is_none(), "{:?}", h.state().banner);
}

#[test]
fn a_data_connection_that_never_opens_shows_the_banner_naming_the_data_channel() {
    use support::fake::{FakeServer, Step, engine_open_script};
    let rt = runtime();
    let mut steps = engine_open_script();
    steps.extend([
        Step::Expect("EPSV".into()),
        Step::EpsvReplyBlackhole,
        Step::Hold,
    ]);
    let fake = rt.block_on(FakeServer::start(steps));
    let local = tempfile::tempdir().unwrap();
    let mut h = app(local.path());
    h.state_mut().quick.form.timeout_secs = "2".into();
    let started = Instant::now();
    quick_connect(&mut h, fake.addr.port(), USER, "pw", "Passive");
    wait_until(&mut h, "the data-channel banner", |a| a.banner.is_some());
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "{:?}",
        started.elapsed()
    );
    let message = h.state().banner.clone().unwrap().message;
    assert!(
        message.contains("data connection timed out after 2 s"),
        "{message}"
    );
    assert!(
        message.contains("(passive)") && message.contains("try Active mode"),
        "{message}"
    );
    assert!(
        h.query_by_label("Switch to active mode").is_some(),
        "the banner offers the other mode"
    );
}

/// Open File → Connect… and fill it for `server` in connection mode `mode`.
fn dialog_for(h: &mut Harness<'_, FerryApp>, server: &TestServer, mode: &str) {
    h.get_by_label("File").click();
    h.run_steps(4);
    h.get_by_label_contains("Connect…").click();
    h.run_steps(4);
    // The dialog's fields are the last ones with these labels (the quick bar's come first).
    let port = server.addr.port().to_string();
    for (label, text) in [
        ("Host", "127.0.0.1"),
        ("User", USER),
        ("Password", PASSWORD),
    ] {
        h.get_all_by_label(label).last().unwrap().click();
        h.step();
        h.get_all_by_label(label).last().unwrap().type_text(text);
        h.step();
    }
    h.get_all_by_label("Port").last().unwrap().click();
    h.step();
    h.key_combination_modifiers(egui::Modifiers::COMMAND, &[egui::Key::A]);
    h.get_all_by_label("Port").last().unwrap().type_text(&port);
    h.step();
    h.get_all_by_label("Connection mode")
        .last()
        .unwrap()
        .click();
    h.run_steps(4);
    h.get_all_by_label(mode).last().unwrap().click();
    h.run_steps(4);
}

#[test]
fn the_connection_dialog_from_the_file_menu_connects_in_active_mode() {
    let rt = runtime();
    let server = seeded_server(&rt);
    let local = tempfile::tempdir().unwrap();
    let mut h = app(local.path());
    dialog_for(&mut h, &server, "Active");
    assert!(h.state().dialog.open);
    h.check_accessibility();
    h.get_all_by_label("Connect").last().unwrap().click();
    wait_until(&mut h, "the remote listing", |a| {
        remote_names(a).contains(&"docs".to_string())
    });
    assert!(!h.state().dialog.open);
    assert_eq!(
        h.state().quick.form.validate().unwrap().options.mode,
        ferry::ftp::DataMode::Active
    );
}

#[test]
fn the_connection_test_from_the_dialog_shows_each_step_and_offers_the_mode_that_works() {
    let rt = runtime();
    let server = seeded_server(&rt);
    let local = tempfile::tempdir().unwrap();
    let mut h = app(local.path());
    dialog_for(&mut h, &server, "Active");
    h.get_by_label("Test connection").click();
    h.run_steps(2);
    assert!(h.state().test.is_some(), "the test window opens");
    wait_until(&mut h, "the test's verdict", |a| {
        a.test.as_ref().is_some_and(|(t, _)| t.report.is_some())
    });
    let (test, _) = h.state().test.as_ref().unwrap();
    assert_eq!(test.steps.len(), 9, "{:#?}", test.steps);
    assert!(h.query_by_label("List through PASV (passive)").is_some());
    assert!(h.query_by_label_contains("Everything works").is_some());
    h.check_accessibility();
    // The form asks for Active; the test found both work and recommends Passive.
    h.get_by_label("Use Passive for this site").click();
    h.run_steps(2);
    assert!(h.state().test.is_none());
    assert!(
        h.state().dialog.open,
        "back in the dialog, nothing connected"
    );
    assert_eq!(
        h.state().dialog.form.mode,
        ferry::sites::ConnectionMode::Passive
    );
    assert!(matches!(
        h.state().connection,
        ferry::ui::app::Connection::Disconnected
    ));
}

/// eframe storage in memory, to restart the app over the same saved state.
#[derive(Default)]
struct MemoryStorage(std::collections::HashMap<String, String>);

impl eframe::Storage for MemoryStorage {
    fn get_string(&self, key: &str) -> Option<String> {
        self.0.get(key).cloned()
    }
    fn set_string(&mut self, key: &str, value: String) {
        self.0.insert(key.to_string(), value);
    }
    fn remove_string(&mut self, key: &str) {
        self.0.remove(key);
    }
    fn flush(&mut self) {}
}

#[test]
fn pane_split_column_widths_sort_and_settings_survive_a_restart() {
    use ferry::ui::pane::SortColumn;
    let local = tempfile::tempdir().unwrap();
    let mut h = app(local.path());
    h.get_by_label("View").click();
    h.run_steps(4);
    h.get_by_label("Show hidden files Ctrl+H").click();
    h.run_steps(2);
    {
        let s = &mut h.state_mut().state;
        s.split = 0.37;
        s.remote_pane.sort = SortColumn::Size;
        s.remote_pane.ascending = false;
        s.local_pane.column_widths[1] = 155.0;
    }
    let mut storage = MemoryStorage::default();
    eframe::App::save(h.state_mut(), &mut storage);
    drop(h);

    let restored: State = eframe::get_value(&storage, eframe::APP_KEY).expect("state was saved");
    assert!(restored.show_hidden, "the View menu toggle was saved");
    assert_eq!(restored.remote_pane.sort, SortColumn::Size);
    assert!(!restored.remote_pane.ascending);
    assert_eq!(restored.local_pane.column_widths[1], 155.0);
    assert!((restored.split - 0.37).abs() < 1e-6);
    assert!(
        restored.last_form.password.is_empty(),
        "no password in saved state"
    );
    let ctx = egui::Context::default();
    let app2 = FerryApp::with_state(
        ctx,
        restored,
        AppConfig {
            demo: None,
            local_start: Some(local.path().to_path_buf()),
            queue_file: None,
            sites: None,
            ..AppConfig::default()
        },
    )
    .unwrap();
    assert!(app2.state.show_hidden && app2.local.show_hidden);
}

#[test]
fn explicit_tls_if_available_falls_back_to_plain_ftp_and_says_so() {
    // The in-process server has no TLS: it refuses AUTH TLS.
    let rt = runtime();
    let server = seeded_server(&rt);
    let local = tempfile::tempdir().unwrap();
    let mut h = app(local.path());
    h.get_by_label("Protocol").click();
    h.run_steps(4);
    h.get_by_label("FTP, explicit TLS if available").click();
    h.run_steps(4);
    connect_and_list(&mut h, &server);
    let log: Vec<String> = h.state().log.visible_texts().map(str::to_string).collect();
    assert!(
        log.iter().any(|l| l.contains("AUTH TLS")),
        "AUTH TLS was tried: {log:#?}"
    );
    assert!(
        log.iter()
            .any(|l| l.contains("does not offer TLS") && l.contains("plain FTP")),
        "{log:#?}"
    );
    assert!(!h.state().encrypted);
    h.get_by_label_contains("not encrypted: the server does not offer TLS");
    // The open padlock says it too.
    h.get_by_label("Not encrypted");
    assert!(h.query_by_label("Encrypted").is_none());
}

#[test]
fn a_cancelled_connection_dialog_keeps_what_was_typed_but_not_the_password() {
    let rt = runtime();
    let server = seeded_server(&rt);
    let local = tempfile::tempdir().unwrap();
    let mut h = app(local.path());
    dialog_for(&mut h, &server, "Active");
    h.get_all_by_label("Cancel").last().unwrap().click();
    h.run_steps(4);
    assert!(!h.state().dialog.open);

    h.get_by_label("File").click();
    h.run_steps(4);
    h.get_by_label_contains("Connect…").click();
    h.run_steps(4);
    let port = server.addr.port().to_string();
    for (label, want) in [
        ("Host", "127.0.0.1"),
        ("Port", port.as_str()),
        ("User", USER),
    ] {
        assert_eq!(
            h.get_all_by_label(label).last().unwrap().value().as_deref(),
            Some(want),
            "{label}"
        );
    }
    let form = &h.state().dialog.form;
    assert_eq!(form.mode, ferry::sites::ConnectionMode::Active);
    assert_eq!(form.password, "", "a password is never kept on cancel");
}
