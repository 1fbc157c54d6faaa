//! The window's chrome, driven in egui_kittest as a user would: the
//! toolbar, the quick-connect history, the window title and padlock,
//! transient status messages, the menus' shortcuts, Enter and Esc in
//! dialogs, and a layout that stays put.

mod support;

use std::path::Path;

use eframe::egui;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use ferry::ui::app::{Connection, State};
use ferry::ui::{AppConfig, FerryApp};
use support::server::{PASSWORD, ServerOptions, TestServer, USER};
use support::window::{quick_connect_listing, remote_names, runtime, wait_until};

fn app_with(local: &Path, state: State) -> Harness<'static, FerryApp> {
    let local = local.to_path_buf();
    let mut h = Harness::builder()
        .with_size([1280.0, 800.0])
        .with_step_dt(1.0 / 60.0)
        .build_eframe(move |cc| {
            FerryApp::with_state(
                cc.egui_ctx.clone(),
                state,
                AppConfig {
                    local_start: Some(local),
                    ..AppConfig::default()
                },
            )
            .expect("app starts")
        });
    // The local folder is read on a thread; until it is, the pane and the
    // status line show spinners and the window keeps repainting.
    wait_until(&mut h, "the local listing", |a| {
        a.local.path().is_some() && !a.local.is_loading()
    });
    h
}

fn app(local: &Path) -> Harness<'static, FerryApp> {
    app_with(local, State::default())
}

fn server(rt: &tokio::runtime::Runtime) -> TestServer {
    let server = rt.block_on(TestServer::start(ServerOptions {
        tls: false,
        active: false,
    }));
    std::fs::create_dir_all(server.path("docs/inner")).unwrap();
    std::fs::write(server.path("hello.txt"), b"hello").unwrap();
    server
}

/// Whether some text shown now (a label, a tooltip) contains `text`.
fn shows(h: &Harness<'_, FerryApp>, text: &str) -> bool {
    h.query_by_label_contains(text).is_some()
}

// ---------------------------------------------------------------- toolbar

#[test]
fn the_toolbar_replaces_the_connection_dialog_text_button() {
    let local = tempfile::tempdir().unwrap();
    let h = app(local.path());
    assert!(
        h.query_by_label("Open connection dialog").is_none(),
        "the plain text button is gone"
    );
    for label in [
        "Site Manager…",
        "Transfers and message log",
        "Refresh",
        "Process queue",
        "Cancel all transfers",
        "Disconnect",
        "Reconnect",
    ] {
        // The panes have a Refresh button each, the toolbar a third.
        let expected = if label == "Refresh" { 3 } else { 1 };
        assert_eq!(
            h.query_all_by_label(label).count(),
            expected,
            "{label} is on the toolbar"
        );
    }
    // Nothing to disconnect from or reconnect to yet.
    assert!(h.get_by_label("Disconnect").accesskit_node().is_disabled());
    assert!(h.get_by_label("Reconnect").accesskit_node().is_disabled());
}

#[test]
fn toolbar_tooltips_say_what_a_button_does_and_its_shortcut() {
    let local = tempfile::tempdir().unwrap();
    let mut h = app(local.path());
    h.get_by_label("Process queue").hover();
    h.run_steps(40);
    assert!(shows(&h, "Process queue (Ctrl+P)"));
    assert!(shows(&h, "Run the transfer queue"));
    assert!(shows(&h, "Now: running"));
}

#[test]
fn toolbar_toggles_the_log_panel_and_pauses_the_queue() {
    let local = tempfile::tempdir().unwrap();
    let mut h = app(local.path());
    assert!(h.state().state.show_log);
    h.get_by_label("Transfers and message log").click();
    h.run();
    assert!(!h.state().state.show_log, "the panel is hidden");
    h.get_by_label("Transfers and message log").click();
    h.run();
    assert!(h.state().state.show_log, "and shown again");

    h.get_by_label("Process queue").click();
    wait_until(&mut h, "the queue to pause", |a| a.queue.paused);
    assert_eq!(
        h.get_by_label("Process queue").accesskit_node().toggled(),
        Some(egui::accesskit::Toggled::False),
        "shows as off"
    );
    h.get_by_label("Process queue").click();
    wait_until(&mut h, "the queue to run again", |a| !a.queue.paused);
}

#[test]
fn toolbar_disconnects_and_reconnects_into_the_same_folder() {
    let rt = runtime();
    let server = server(&rt);
    let local = tempfile::tempdir().unwrap();
    let mut h = app(local.path());
    quick_connect_listing(&mut h, &server, "Auto", &["docs"]);
    h.state_mut()
        .navigate(ferry::engine::AnyPath::Remote(b"/docs".to_vec()));
    wait_until(&mut h, "the docs listing", |a| {
        remote_names(a).contains(&"inner".to_string())
    });
    assert!(
        h.get_by_label("Reconnect").accesskit_node().is_disabled(),
        "connected already"
    );

    h.get_by_label("Disconnect").click();
    wait_until(&mut h, "disconnected", |a| {
        a.connection == Connection::Disconnected
    });
    assert!(h.get_by_label("Disconnect").accesskit_node().is_disabled());

    h.get_by_label("Reconnect").click();
    wait_until(&mut h, "connected again", |a| {
        matches!(a.connection, Connection::Connected { .. })
            && remote_names(a).contains(&"inner".to_string())
    });
    assert_eq!(
        h.state().remote.path(),
        Some(&ferry::engine::AnyPath::Remote(b"/docs".to_vec()))
    );
}

// ---------------------------------------------------------------- menus

#[test]
fn the_menus_show_every_shortcut() {
    use ferry::ui::actions::ACTIONS;
    let local = tempfile::tempdir().unwrap();
    let mut h = app(local.path());
    let mut seen = Vec::new();
    for menu in ["File", "Edit", "View", "Bookmarks", "Transfer"] {
        h.get_by_label(menu).click();
        h.run_steps(4);
        for info in ACTIONS {
            let Some(shortcut) = info.shortcut else {
                continue;
            };
            let keys = h.ctx.format_shortcut(&shortcut);
            let shown = h.query_all_by_label_contains(info.label).any(|n| {
                n.accesskit_node()
                    .label()
                    .is_some_and(|l| l.contains(keys.as_str()))
            });
            if shown {
                seen.push(info.label);
            }
        }
        h.key_press(egui::Key::Escape);
        h.run_steps(4);
    }
    for info in ACTIONS.iter().filter(|a| a.shortcut.is_some()) {
        assert!(
            seen.contains(&info.label),
            "{} shows its shortcut in a menu",
            info.label
        );
    }
}

// ---------------------------------------------------------------- history

#[test]
fn quick_connect_history_fills_the_bar_again_without_the_password() {
    let rt = runtime();
    let server = server(&rt);
    let local = tempfile::tempdir().unwrap();
    let mut h = app(local.path());
    assert!(
        h.get_by_label("Recent connections")
            .accesskit_node()
            .is_disabled(),
        "nothing to recall yet"
    );
    quick_connect_listing(&mut h, &server, "Auto", &["docs"]);
    h.get_by_label("Disconnect").click();
    wait_until(&mut h, "disconnected", |a| {
        a.connection == Connection::Disconnected
    });
    // The bar is cleared, as after a restart with another server typed.
    {
        let form = &mut h.state_mut().quick.form;
        form.host = "other.example.org".into();
        form.port = "2121".into();
        form.user = "bob".into();
        form.password.clear();
    }
    h.run();

    h.get_by_label("Recent connections").click();
    h.run_steps(4);
    let entry = format!("FTP {USER}@127.0.0.1:{}", server.addr.port());
    h.get_by_label(&entry).click();
    h.run_steps(4);
    let form = &h.state().quick.form;
    assert_eq!(form.host, "127.0.0.1");
    assert_eq!(form.port, server.addr.port().to_string());
    assert_eq!(form.user, USER);
    assert_eq!(form.password, "", "passwords are never remembered");

    // The password field has the focus: type it and press Enter.
    h.get_by_label("Password").type_text(PASSWORD);
    h.step();
    h.key_press(egui::Key::Enter);
    wait_until(&mut h, "connected again", |a| {
        matches!(a.connection, Connection::Connected { .. })
    });

    // What survives a restart holds the history and no password.
    let mut state = h.state().state.clone();
    state.quick_history = h.state().quick.history.clone();
    let saved = serde_json::to_string(&state).unwrap();
    assert!(saved.contains("127.0.0.1"), "{saved}");
    assert!(!saved.contains(PASSWORD), "no password in {saved}");
    let local2 = tempfile::tempdir().unwrap();
    let restored: State = serde_json::from_str(&saved).unwrap();
    let h2 = app_with(local2.path(), restored);
    assert!(
        !h2.get_by_label("Recent connections")
            .accesskit_node()
            .is_disabled()
    );
    assert_eq!(h2.state().quick.history.len(), 1, "one server, once");
}

// ---------------------------------------------------------------- title and padlock

/// Step until the window is asked to take `title` (or give up after 10 s).
fn wait_for_title(h: &mut Harness<'_, FerryApp>, title: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        h.step();
        let asked = h
            .output()
            .viewport_output
            .get(&egui::ViewportId::ROOT)
            .is_some_and(|v| {
                v.commands
                    .iter()
                    .any(|c| *c == egui::ViewportCommand::Title(title.to_string()))
            });
        if asked {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the window never got the title {title:?}"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

#[test]
fn the_window_title_names_the_connection_and_the_padlock_the_fallback() {
    let rt = runtime();
    let server = server(&rt);
    let local = tempfile::tempdir().unwrap();
    let mut h = app(local.path());
    h.get_by_label("Protocol").click();
    h.run_steps(4);
    h.get_by_label("FTP, explicit TLS if available").click();
    h.run_steps(4);
    quick_connect_listing(&mut h, &server, "Auto", &["docs"]);
    let title = format!("{USER}@127.0.0.1 — Ferry");
    assert_eq!(h.state().window_title(), title);
    // The server has no TLS: the open padlock says the request fell back.
    h.get_by_label("Not encrypted").hover();
    h.run_steps(40);
    assert!(shows(&h, "fell back to plain FTP"));

    h.get_by_label("Disconnect").click();
    wait_for_title(&mut h, "Ferry");
    h.get_by_label("Reconnect").click();
    wait_for_title(&mut h, &title);
}

/// Explicit FTPS against the in-process server with its self-signed test
/// certificate: after "Trust once", the user sees a closed padlock whose
/// tooltip says how the session is encrypted, the title "user@host — Ferry"
/// and a status line that says it is encrypted.
#[test]
fn an_explicit_tls_connection_shows_the_padlock_title_and_status() {
    let rt = runtime();
    let server = rt.block_on(TestServer::start(ServerOptions {
        tls: true,
        active: false,
    }));
    std::fs::create_dir_all(server.path("docs")).unwrap();
    let local = tempfile::tempdir().unwrap();
    let mut h = app(local.path());
    h.get_by_label("Protocol").click();
    h.run_steps(4);
    h.get_by_label("FTP over explicit TLS").click();
    h.run_steps(4);
    h.state_mut().quick.form.port.clear();
    let port = server.addr.port().to_string();
    for (label, text) in [
        ("Host", "127.0.0.1"),
        ("Port", port.as_str()),
        ("User", USER),
        ("Password", PASSWORD),
    ] {
        h.get_by_label(label).click();
        h.step();
        h.get_by_label(label).type_text(text);
        h.step();
    }
    // libunftp can race its own switch to TLS (see support): a connection
    // that fails that way is retried. The self-signed certificate is
    // trusted once when asked.
    h.key_press(egui::Key::Enter);
    let listed = |a: &FerryApp| remote_names(a).contains(&"docs".to_string());
    let mut trusted = false;
    for _ in 0..5 {
        // The "not trusted" banner stays up while the trusted retry runs.
        wait_until(
            &mut h,
            "the certificate question, a failure or the listing",
            |a| {
                let failed = a
                    .banner
                    .as_ref()
                    .is_some_and(|b| !(trusted && b.message.contains("was not trusted")));
                a.cert_prompt.is_some() || failed || listed(a)
            },
        );
        if listed(h.state()) {
            break;
        }
        if h.state().cert_prompt.is_some() {
            // Let the dialog settle first: a click on its first frame's
            // layout can land outside it, which dismisses it.
            h.run_steps(6);
            h.get_by_label("Trust once").click();
            h.run_steps(2);
            trusted = true;
            continue;
        }
        let banner = h.state().banner.as_ref().map(|b| b.message.clone());
        let raced = banner
            .as_deref()
            .is_some_and(support::is_libunftp_auth_tls_race);
        assert!(raced, "{banner:?}");
        h.get_by_label("Retry").click();
        h.run_steps(2);
    }
    assert!(trusted, "the self-signed certificate was never asked about");
    wait_until(&mut h, "the remote listing", listed);

    assert!(h.state().encrypted);
    assert_eq!(
        h.state().window_title(),
        format!("{USER}@127.0.0.1 — Ferry")
    );
    assert!(h.query_by_label("Not encrypted").is_none());
    h.get_by_label("Encrypted").hover();
    h.run_steps(40);
    assert!(shows(&h, "Encrypted: explicit TLS (AUTH TLS)"));
    assert!(
        status_shows(&h, "Connected to 127.0.0.1"),
        "status line: no connection state"
    );
    assert!(status_shows(&h, "encrypted (explicit TLS)"));
}

// ---------------------------------------------------------------- Enter and Esc

fn status_shows(h: &Harness<'_, FerryApp>, text: &str) -> bool {
    h.query_all_by_label_contains(text).next().is_some()
}

/// Every dialog has a default button: Enter confirms, Esc cancels. New
/// folder, rename, delete and the connection dialog, each both ways, from
/// the keyboard alone. The delete's "Deleted …" notice then times out and
/// the status line shows the connection again.
#[test]
fn enter_confirms_and_escape_cancels_every_dialog() {
    let rt = runtime();
    let server = server(&rt);
    let local = tempfile::tempdir().unwrap();
    let mut h = app(local.path());
    quick_connect_listing(&mut h, &server, "Auto", &["docs"]);
    h.get_by_label("hello.txt").click();
    h.step();

    // New folder: Esc leaves nothing behind, Enter creates it.
    h.key_press(egui::Key::F7);
    h.step();
    h.get_by_label("Name:").type_text("not-made");
    h.step();
    h.key_press(egui::Key::Escape);
    h.run_steps(4);
    assert!(h.query_by_label("Name:").is_none(), "Esc closed it");
    h.key_press(egui::Key::F7);
    h.step();
    h.get_by_label("Name:").type_text("made");
    h.step();
    h.key_press(egui::Key::Enter);
    wait_until(&mut h, "the new folder", |a| {
        remote_names(a).contains(&"made".to_string())
    });
    assert!(server.path("made").is_dir());
    assert!(!server.path("not-made").exists(), "Esc made nothing");

    // Rename: Esc keeps the name, Enter renames.
    h.get_by_label("hello.txt").click();
    h.step();
    h.key_press(egui::Key::F2);
    h.run_steps(2);
    h.get_by_label("New name").type_text("ignored");
    h.step();
    h.key_press(egui::Key::Escape);
    h.run_steps(4);
    assert!(h.query_by_label("New name").is_none());
    h.get_by_label("hello.txt").click();
    h.step();
    h.key_press(egui::Key::F2);
    h.run_steps(2);
    h.get_by_label("New name").type_text("greeting");
    h.step();
    h.key_press(egui::Key::Enter);
    wait_until(&mut h, "the renamed file", |a| {
        remote_names(a).contains(&"greeting.txt".to_string())
    });
    assert!(server.path("greeting.txt").is_file());
    assert!(!server.path("ignored.txt").exists(), "Esc renamed nothing");

    // Delete: Esc keeps the file, Enter deletes it.
    h.get_by_label("greeting.txt").click();
    h.step();
    h.key_press(egui::Key::Delete);
    h.run_steps(2);
    h.get_by_label_contains("Delete 1 item from the server?");
    h.key_press(egui::Key::Escape);
    h.run_steps(4);
    assert!(h.query_by_label_contains("Delete 1 item").is_none());
    assert!(server.path("greeting.txt").is_file(), "Esc deleted nothing");
    h.key_press(egui::Key::Delete);
    h.run_steps(2);
    h.key_press(egui::Key::Enter);
    wait_until(&mut h, "the file gone", |a| {
        !remote_names(a).contains(&"greeting.txt".to_string())
    });
    assert!(!server.path("greeting.txt").exists());

    // The status line said what was deleted, for a while, then the
    // connection state again.
    let notice = h.state().notice.clone().expect("a notice for the delete");
    assert!(status_shows(&h, &notice));
    let frames = (ferry::ui::app::NOTICE_SECS * 60.0) as usize + 30;
    h.run_steps(frames);
    assert!(h.state().notice.is_none(), "the notice timed out");
    assert!(status_shows(&h, "Connected to 127.0.0.1"));

    // The connection dialog: Esc closes it, Enter connects.
    h.key_combination_modifiers(egui::Modifiers::COMMAND, &[egui::Key::N]);
    h.run_steps(4);
    assert!(h.state().dialog.open);
    h.key_press(egui::Key::Escape);
    h.run_steps(4);
    assert!(!h.state().dialog.open, "Esc closed the dialog");
    h.get_by_label("Disconnect").click();
    wait_until(&mut h, "disconnected", |a| {
        a.connection == Connection::Disconnected
    });
    h.key_combination_modifiers(egui::Modifiers::COMMAND, &[egui::Key::N]);
    h.run_steps(4);
    // Cancelling dropped the password (it is never kept): type it again.
    h.get_all_by_label("Password").last().unwrap().click();
    h.step();
    h.get_all_by_label("Password")
        .last()
        .unwrap()
        .type_text(PASSWORD);
    h.step();
    h.key_press(egui::Key::Enter);
    h.run_steps(2);
    assert!(!h.state().dialog.open, "Enter connected");
    wait_until(&mut h, "connected from the dialog", |a| {
        matches!(a.connection, Connection::Connected { .. })
    });
}

// ---------------------------------------------------------------- layout

/// The bottom panel keeps its height whichever tab shows and whether the
/// queue has rows or not; the banner does not move the file list.
#[test]
fn the_layout_stays_put() {
    let rt = runtime();
    let server = server(&rt);
    std::fs::write(server.path("big.bin"), vec![7u8; 64 * 1024]).unwrap();
    let local = tempfile::tempdir().unwrap();
    let mut h = app(local.path());
    quick_connect_listing(&mut h, &server, "Auto", &["docs"]);
    h.run_steps(4);
    let height = h.state().bottom_panel_rect().height();
    assert!(height > 50.0, "{height}");

    h.get_by_label("Message log").click();
    h.run_steps(4);
    assert_eq!(
        h.state().bottom_panel_rect().height(),
        height,
        "the log tab"
    );
    h.get_by_label("Transfers").click();
    h.run_steps(4);
    assert_eq!(
        h.state().bottom_panel_rect().height(),
        height,
        "back to transfers"
    );

    // A download fills the queue, then it empties.
    h.get_by_label("big.bin").click();
    h.step();
    h.key_press(egui::Key::Enter);
    wait_until(&mut h, "the download", |_| {
        std::fs::metadata(local.path().join("big.bin")).is_ok_and(|m| m.len() == 64 * 1024)
    });
    h.run_steps(10);
    assert_eq!(
        h.state().bottom_panel_rect().height(),
        height,
        "after the queue ran"
    );

    // An error banner lays over the remote list: its rows stay where they were.
    let before = h.get_by_label("docs").rect();
    h.state_mut().banner = Some(ferry::ui::app::Banner {
        message: "Something failed".into(),
        actions: vec![ferry::ui::app::BannerAction::Dismiss],
    });
    h.run_steps(4);
    h.get_by_label_contains("Something failed");
    assert_eq!(
        h.get_by_label("docs").rect(),
        before,
        "the list did not move"
    );
}

/// The pane split stays where it was put, whatever the panes list.
#[test]
fn the_pane_split_does_not_drift() {
    let rt = runtime();
    let server = server(&rt);
    std::fs::write(server.path(&"very-long-name-".repeat(12)), b"x").unwrap();
    let local = tempfile::tempdir().unwrap();
    std::fs::write(local.path().join("long-".repeat(40)), b"x").unwrap();
    std::fs::create_dir(local.path().join("sub")).unwrap();
    let mut h = app(local.path());
    h.run_steps(10);
    let split = h.state().state.split;
    assert!((split - 0.5).abs() < 0.01, "starts at half: {split}");
    quick_connect_listing(&mut h, &server, "Auto", &["docs"]);
    h.state_mut()
        .navigate(ferry::engine::AnyPath::Local(local.path().join("sub")));
    h.run_steps(10);
    h.state_mut()
        .navigate(ferry::engine::AnyPath::Local(local.path().to_path_buf()));
    h.run_steps(30);
    assert_eq!(h.state().state.split, split, "no drift");

    // A wider window keeps the share, not the old width.
    h.set_size(egui::vec2(1600.0, 800.0));
    h.run_steps(10);
    let after = h.state().state.split;
    assert!((after - split).abs() < 0.002, "{split} became {after}");
    let right_edge = h.state().local_pane_right_edge();
    assert!((right_edge - 1600.0 * split).abs() < 3.0, "{right_edge}");
}

/// Hints (here the connection dialog's "why Connect is disabled") are set
/// in a size that can be read, not egui's 9-point small text.
#[test]
fn hints_are_readable() {
    let local = tempfile::tempdir().unwrap();
    let mut h = app(local.path());
    h.state_mut().quick.form.host.clear();
    h.key_combination_modifiers(egui::Modifiers::COMMAND, &[egui::Key::N]);
    h.run_steps(4);
    let hint = h.get_by_label_contains("Enter the server's host name");
    let height = hint.rect().height();
    assert!(height >= 13.0, "the hint is {height} points high");
}

/// A field's error line has its space kept: an error appearing under Host
/// does not move the rows below it.
#[test]
fn validation_hints_do_not_move_the_form_rows() {
    let local = tempfile::tempdir().unwrap();
    let mut h = app(local.path());
    {
        let form = &mut h.state_mut().quick.form;
        form.host = "ftp.example.org".into();
        form.user = "alice".into();
    }
    h.key_combination_modifiers(egui::Modifiers::COMMAND, &[egui::Key::N]);
    h.run_steps(4);
    let before = h.get_all_by_label("User").last().unwrap().rect();
    // Empty the host, then leave the field: its error shows.
    h.get_all_by_label("Host").last().unwrap().click();
    h.step();
    h.key_combination_modifiers(egui::Modifiers::COMMAND, &[egui::Key::A]);
    h.step();
    h.key_press(egui::Key::Backspace);
    h.step();
    h.get_all_by_label("User").last().unwrap().click();
    h.run_steps(4);
    assert!(shows(&h, "Enter the server's host name"), "the error shows");
    let after = h.get_all_by_label("User").last().unwrap().rect();
    assert_eq!(after, before, "the User row stayed where it was");
}

/// Cancel all, from the toolbar, stops what waits in the queue.
#[test]
fn toolbar_cancel_all_empties_the_queue() {
    use ferry::ui::queue_view::QueueTab;
    let rt = runtime();
    let server = server(&rt);
    std::fs::write(server.path("big.bin"), vec![7u8; 256 * 1024]).unwrap();
    let local = tempfile::tempdir().unwrap();
    let mut h = app(local.path());
    quick_connect_listing(&mut h, &server, "Auto", &["docs"]);
    assert!(
        h.get_by_label("Cancel all transfers")
            .accesskit_node()
            .is_disabled()
    );
    // Paused, so the download waits in the queue.
    h.get_by_label("Process queue").click();
    wait_until(&mut h, "the queue to pause", |a| a.queue.paused);
    h.get_by_label("big.bin").click();
    h.step();
    h.key_press(egui::Key::Enter);
    wait_until(&mut h, "the download queued", |a| {
        a.queue.count(QueueTab::Queued) == 1
    });
    h.run_steps(2);
    h.get_by_label("Cancel all transfers").click();
    wait_until(&mut h, "the queue emptied", |a| {
        a.queue.count(QueueTab::Queued) == 0
    });
    h.get_by_label("Process queue").click();
    wait_until(&mut h, "the queue to run again", |a| !a.queue.paused);
    h.run_steps(30);
    assert!(
        !local.path().join("big.bin").exists(),
        "the cancelled download never ran"
    );
}

// ---------------------------------------------------------------- uploads into the shown folder

/// Listing commands sent so far, by every session (the message log).
fn listings_sent(h: &Harness<'_, FerryApp>) -> usize {
    h.state()
        .log
        .visible_texts()
        .filter(|t| t.starts_with("MLSD") || t.starts_with("LIST") || t.starts_with("NLST"))
        .count()
}

/// Uploads into the folder the remote pane shows appear there as each one
/// lands, without listing the folder; it is listed once, when the queue has
/// nothing more for it. (It used to be listed every half second while the
/// queue ran, and also while it was paused.)
#[test]
fn uploads_show_as_they_land_and_the_folder_is_listed_once_when_done() {
    const FILES: usize = 60;
    let rt = runtime();
    let server = server(&rt);
    let local = tempfile::tempdir().unwrap();
    for i in 0..FILES {
        std::fs::write(
            local.path().join(format!("up-{i:02}.bin")),
            vec![7u8; 200_000],
        )
        .unwrap();
    }
    // One connection, and an upload limit (12 MB at 1 MB/s: about 12 s) so
    // that the queue is paused with uploads pending however fast the machine
    // is. The preferences file decides the connections once it is read.
    let config = tempfile::tempdir().unwrap();
    let mut prefs = ferry::prefs::Preferences::default();
    prefs.transfers.parallel = 1;
    prefs.speed_limits.enabled = true;
    prefs.speed_limits.upload = 1_000_000;
    ferry::prefs::PrefsStore::in_dir(config.path())
        .save(&prefs)
        .unwrap();
    let mut h = Harness::builder()
        .with_size([1280.0, 800.0])
        .with_step_dt(1.0 / 60.0)
        .build_eframe({
            let local = local.path().to_path_buf();
            let prefs_file = config.path().join(ferry::prefs::PREFS_FILE);
            move |cc| {
                FerryApp::with_state(
                    cc.egui_ctx.clone(),
                    State::default(),
                    AppConfig {
                        local_start: Some(local),
                        prefs_file: Some(prefs_file),
                        ..AppConfig::default()
                    },
                )
                .expect("app starts")
            }
        });
    wait_until(&mut h, "the preferences read", FerryApp::preferences_loaded);
    assert_eq!(h.state().state.queue.concurrency, 1);
    quick_connect_listing(&mut h, &server, "Auto", &["docs"]);
    wait_until(&mut h, "the local listing", |a| {
        a.local
            .entries()
            .iter()
            .any(|e| &*e.display_name == "up-59.bin")
    });
    let before = listings_sent(&h);

    h.get_by_label("up-00.bin").click();
    h.step();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.step();
    h.get_by_label("up-00.bin").click_secondary();
    h.run_steps(4);
    h.get_by_label("Upload").click();
    let landed = |a: &FerryApp| {
        remote_names(a)
            .iter()
            .filter(|n| n.starts_with("up-"))
            .count()
    };
    wait_until(&mut h, "the first uploads to show", |a| landed(a) >= 3);
    h.get_by_label("Process queue").click();
    wait_until(&mut h, "the queue to pause", |a| a.queue.paused);
    let shown = landed(h.state());
    assert!(
        shown < FILES,
        "all {FILES} uploads finished before the pause; the test needs some pending"
    );
    assert_eq!(
        listings_sent(&h),
        before,
        "finished uploads show without listing the folder"
    );
    // Paused with uploads pending: the folder is not listed meanwhile.
    let until = std::time::Instant::now() + std::time::Duration::from_millis(1500);
    while std::time::Instant::now() < until {
        h.step();
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert_eq!(
        listings_sent(&h),
        before,
        "no listing while uploads are pending"
    );
    // The rows show the size uploaded.
    let row = h
        .state()
        .remote
        .entries()
        .iter()
        .find(|e| e.display_name.starts_with("up-"))
        .cloned()
        .expect("an upload shown");
    assert_eq!(row.size, Some(200_000));
    assert!(row.modified.is_some());

    // The rest at full speed: the queue panel's switch lifts the limit.
    h.get_by_label(ferry::ui::queue_view::limit_label::TOGGLE)
        .click();
    h.run_steps(2);
    assert!(!h.state().preferences.speed_limits.enabled);
    h.get_by_label("Process queue").click();
    wait_until(&mut h, "every upload to land", |a| {
        landed(a) == FILES && !a.queue.is_running()
    });
    let until = std::time::Instant::now() + std::time::Duration::from_millis(1500);
    while std::time::Instant::now() < until && listings_sent(&h) == before {
        h.step();
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    // Let any further listing show up, then count.
    let until = std::time::Instant::now() + std::time::Duration::from_millis(800);
    while std::time::Instant::now() < until {
        h.step();
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert_eq!(
        listings_sent(&h) - before,
        1,
        "one listing once the queue is done"
    );
    assert_eq!(landed(h.state()), FILES);
}

// ---------------------------------------------------------------- folder trees

/// The app with folder trees shown, connected to `server`.
fn app_with_trees(local: &Path, server: &TestServer) -> Harness<'static, FerryApp> {
    let mut state = State::default();
    state.local_pane.folder_tree = true;
    state.remote_pane.folder_tree = true;
    state.remote_pane.tree_height = 300.0;
    let mut h = app_with(local, state);
    quick_connect_listing(&mut h, server, "Auto", &["docs"]);
    wait_until(&mut h, "the remote tree", |a| !a.remote.tree_is_waiting());
    h.run_steps(4);
    h
}

/// The remote tree's node called `name` (its label, beside the toggle
/// "Expand NAME"/"Collapse NAME"; the pane below may have a row of the same name).
fn tree_node(h: &Harness<'_, FerryApp>, name: &str) -> egui::Rect {
    let (expand, collapse) = (format!("Expand {name}"), format!("Collapse {name}"));
    let toggle = h
        .query_by_label(&expand)
        .or_else(|| h.query_by_label(&collapse))
        .unwrap_or_else(|| panic!("no tree node {name}"))
        .rect();
    h.get_all_by_label(name)
        .map(|n| n.rect())
        .find(|r| (r.center().y - toggle.center().y).abs() < 2.0 && r.left() > toggle.left())
        .unwrap_or_else(|| panic!("no label beside the toggle of {name}"))
}

/// Open the right-click menu of the tree folder `name` and click `item`;
/// the frame that acts on the click is the last one stepped.
fn right_click_tree_node(h: &mut Harness<'_, FerryApp>, name: &str, item: &str) {
    let at = tree_node(h, name).center();
    h.hover_at(at);
    h.step();
    h.event(egui::Event::PointerButton {
        pos: at,
        button: egui::PointerButton::Secondary,
        pressed: true,
        modifiers: egui::Modifiers::NONE,
    });
    h.step();
    h.event(egui::Event::PointerButton {
        pos: at,
        button: egui::PointerButton::Secondary,
        pressed: false,
        modifiers: egui::Modifiers::NONE,
    });
    h.run_steps(4);
    // The menu's item (the menu opens at the pointer), not the toolbar's
    // or the path bar's button of the same name.
    h.get_all_by_label(item)
        .find(|n| n.rect().top() >= at.y - 1.0)
        .unwrap_or_else(|| panic!("no menu item {item}"))
        .click();
    h.step();
}

#[test]
fn a_tree_folder_has_a_menu_to_open_refresh_copy_its_path_and_make_a_folder() {
    let rt = runtime();
    let server = server(&rt);
    let local = tempfile::tempdir().unwrap();
    let mut h = app_with_trees(local.path(), &server);

    // Copy path: the folder's full path on the clipboard.
    right_click_tree_node(&mut h, "docs", "Copy path");
    let copied = h
        .output()
        .platform_output
        .commands
        .iter()
        .any(|c| matches!(c, egui::OutputCommand::CopyText(t) if t == "/docs"));
    assert!(copied, "{:?}", h.output().platform_output.commands);

    // Refresh lists the folder again: a folder made behind Ferry's back shows.
    h.get_by_label("Expand docs").click();
    wait_until(&mut h, "docs listed", |a| !a.remote.tree_is_waiting());
    h.run_steps(2);
    assert!(h.query_by_label("Expand later").is_none());
    std::fs::create_dir_all(server.path("docs/later/deeper")).unwrap();
    right_click_tree_node(&mut h, "docs", "Refresh");
    wait_until(&mut h, "docs listed again", |a| !a.remote.tree_is_waiting());
    h.run_steps(2);
    assert!(
        h.query_by_label("Expand later").is_some(),
        "the new folder shows"
    );

    // New folder… opens the folder and makes the new one inside it.
    right_click_tree_node(&mut h, "later", "New folder…");
    h.run_steps(4);
    h.get_by_label("Name:").type_text("made-here");
    h.step();
    h.key_press(egui::Key::Enter);
    wait_until(&mut h, "the folder made", |_| {
        server.path("docs/later/made-here").is_dir()
    });
    assert_eq!(
        h.state().remote.path(),
        Some(&ferry::engine::AnyPath::Remote(b"/docs/later".to_vec()))
    );

    // Open shows the folder in the pane.
    right_click_tree_node(&mut h, "inner", "Open");
    wait_until(&mut h, "inner listed in the pane", |a| {
        a.remote.listing_path() == Some(&ferry::engine::AnyPath::Remote(b"/docs/inner".to_vec()))
    });
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

#[test]
fn files_dropped_on_a_tree_folder_are_uploaded_into_it() {
    let rt = runtime();
    let server = server(&rt);
    let local = tempfile::tempdir().unwrap();
    std::fs::write(local.path().join("drop-me.txt"), b"dropped on the tree").unwrap();
    let mut h = app_with_trees(local.path(), &server);
    wait_until(&mut h, "the local listing", |a| {
        a.local
            .entries()
            .iter()
            .any(|e| &*e.display_name == "drop-me.txt")
    });
    h.get_by_label("Expand docs").click();
    wait_until(&mut h, "docs listed", |a| !a.remote.tree_is_waiting());
    h.run_steps(2);

    let from = h.get_by_label("drop-me.txt").rect().center();
    let to = tree_node(&h, "inner").center();
    drag(&mut h, from, to);
    wait_until(&mut h, "the upload into docs/inner", |_| {
        server.path("docs/inner/drop-me.txt").is_file()
    });
    assert_eq!(
        std::fs::read(server.path("docs/inner/drop-me.txt")).unwrap(),
        b"dropped on the tree"
    );
    // Into that folder only, not the one the pane shows.
    assert!(!server.path("drop-me.txt").exists());
}

/// View, Edit and Open with… open files in an editor: for a folder they
/// are greyed out in the right-click menu, as FileZilla greys View/Edit.
#[test]
fn view_and_edit_are_offered_for_files_only() {
    let rt = runtime();
    let server = server(&rt);
    let local = tempfile::tempdir().unwrap();
    let mut h = app(local.path());
    quick_connect_listing(&mut h, &server, "Auto", &["docs"]);
    let menu_item = |h: &Harness<'_, FerryApp>, label: &str| {
        h.query_all_by_label_contains(label)
            .find(|n| {
                let name = n.accesskit_node().label().unwrap_or_default();
                // The menu's own button ("View" and its shortcut), opened
                // on a row, below the menu bar, toolbar and path bars.
                n.rect().top() > 140.0 && (name == label || name.starts_with(&format!("{label} ")))
            })
            .unwrap_or_else(|| panic!("no menu item {label}"))
            .accesskit_node()
            .is_disabled()
    };
    h.get_by_label("docs").click_secondary();
    h.run_steps(4);
    for item in ["View", "Edit", "Open with…"] {
        assert!(menu_item(&h, item), "{item} is greyed out for a folder");
    }
    assert!(!menu_item(&h, "Download"));
    h.key_press(egui::Key::Escape);
    h.run_steps(4);
    h.get_by_label("hello.txt").click_secondary();
    h.run_steps(4);
    for item in ["View", "Edit", "Open with…"] {
        assert!(!menu_item(&h, item), "{item} is offered for a file");
    }
}
