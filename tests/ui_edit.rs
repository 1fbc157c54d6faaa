//! Edit in place through the window: the real app in egui_kittest against
//! the in-process server, with the editor preference set to a script that
//! appends a line (as a user saving would).

mod support;

use std::path::Path;

use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable};
use ferry::engine::edit::EditState;
use ferry::ui::app::State;
use ferry::ui::{AppConfig, FerryApp};
use support::server::{PASSWORD, ServerOptions, TestServer, USER};
use support::window::{remote_names, runtime, wait_until};

fn app(local: &Path, editor: &str) -> Harness<'static, FerryApp> {
    let local = local.to_path_buf();
    let mut h = Harness::builder()
        .with_size([1280.0, 800.0])
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
    h.state_mut().preferences.editing.editor = editor.to_string();
    h
}

fn connect(h: &mut Harness<'_, FerryApp>, server: &TestServer) {
    let form = &mut h.state_mut().quick.form;
    form.host = "127.0.0.1".into();
    form.port = server.addr.port().to_string();
    form.user = USER.into();
    form.password = PASSWORD.into();
    h.step();
    h.get_by_label("Password").click();
    h.step();
    h.key_press(eframe::egui::Key::Enter);
    wait_until(h, "the remote listing", |a| {
        remote_names(a).contains(&"page.html".to_string())
    });
}

/// Right-click the remote row `label` and pick `item` from its menu.
fn remote_menu(h: &mut Harness<'_, FerryApp>, label: &str, item: &str) {
    let local_right = h.state().local_pane_right_edge();
    let row = |h: &Harness<'_, FerryApp>| {
        h.get_all_by_label(label)
            .find(|n| n.rect().center().x > local_right)
            .expect("the row in the remote pane")
            .rect()
            .center()
    };
    let at = row(h);
    h.get_all_by_label(label)
        .find(|n| n.rect().center() == at)
        .unwrap()
        .click();
    h.step();
    h.get_all_by_label(label)
        .find(|n| n.rect().center() == at)
        .unwrap()
        .click_secondary();
    h.run_steps(4);
    // An entry's accessible name ends with its shortcut ("Edit F4").
    h.get_by_label(item).click();
    h.step();
}

const APPEND: &str = r#"sh -c 'printf "<p>saved</p>\n" >> "$1"' sh {}"#;

#[test]
fn edit_from_the_context_menu_asks_and_uploads_the_save() {
    let rt = runtime();
    let server = rt.block_on(TestServer::start(ServerOptions::default()));
    std::fs::write(server.path("page.html"), "<p>old</p>\n").unwrap();
    let local = tempfile::tempdir().unwrap();
    let mut h = app(local.path(), APPEND);
    connect(&mut h, &server);

    remote_menu(&mut h, "page.html", "Edit F4");
    wait_until(&mut h, "the question", |a| {
        a.edits.rows.iter().any(|r| r.state == EditState::Changed)
    });
    let question = format!(
        "Upload changes to 127.0.0.1:{}:/page.html?",
        server.addr.port()
    );
    h.get_by_label(&question);
    h.get_by_label("Upload").click();
    wait_until(&mut h, "the upload", |a| {
        a.edits
            .rows
            .iter()
            .any(|r| matches!(r.state, EditState::Uploaded { .. }))
    });
    assert_eq!(
        std::fs::read_to_string(server.path("page.html")).unwrap(),
        "<p>old</p>\n<p>saved</p>\n"
    );

    // The list shows it; Stop editing removes the copy.
    let copy = h.state().edits.rows[0].local.clone();
    h.get_by_label("View").click();
    h.run_steps(2);
    h.get_by_label("Files being edited").click();
    h.run_steps(2);
    h.get_by_label("Stop editing").click();
    wait_until(&mut h, "the row to go", |a| a.edits.rows.is_empty());
    assert!(!copy.exists());
}

#[test]
fn a_remote_change_while_editing_warns_and_keep_both_keeps_both() {
    let rt = runtime();
    let server = rt.block_on(TestServer::start(ServerOptions::default()));
    std::fs::write(server.path("page.html"), "<p>old</p>\n").unwrap();
    let local = tempfile::tempdir().unwrap();
    let mut h = app(local.path(), APPEND);
    connect(&mut h, &server);

    remote_menu(&mut h, "page.html", "Edit F4");
    wait_until(&mut h, "the question", |a| {
        a.edits.rows.iter().any(|r| r.state == EditState::Changed)
    });
    std::fs::write(server.path("page.html"), "<p>someone else's</p>\n").unwrap();
    h.get_by_label("Upload").click();
    wait_until(&mut h, "the warning", |a| {
        a.edits
            .rows
            .iter()
            .any(|r| matches!(r.state, EditState::RemoteChanged { .. }))
    });
    h.get_by_label("Changed on the server too");
    h.get_by_label("Keep both").click();
    wait_until(&mut h, "the copy beside", |a| {
        a.edits
            .rows
            .iter()
            .any(|r| matches!(r.state, EditState::Uploaded { .. }))
    });
    assert_eq!(
        std::fs::read_to_string(server.path("page.html")).unwrap(),
        "<p>someone else's</p>\n"
    );
    assert_eq!(
        std::fs::read_to_string(server.path("page (1).html")).unwrap(),
        "<p>old</p>\n<p>saved</p>\n"
    );
}

#[test]
fn edit_on_a_folder_says_why_not() {
    let rt = runtime();
    let server = rt.block_on(TestServer::start(ServerOptions::default()));
    std::fs::write(server.path("page.html"), "x").unwrap();
    std::fs::create_dir(server.path("dir")).unwrap();
    let local = tempfile::tempdir().unwrap();
    let mut h = app(local.path(), APPEND);
    connect(&mut h, &server);
    // The menu greys Edit out for a folder (as FileZilla does)…
    remote_menu(&mut h, "dir", "Edit F4");
    assert!(h.get_by_label("Edit F4").accesskit_node().is_disabled());
    assert!(h.state().notice.is_none());
    h.key_press(eframe::egui::Key::Escape);
    h.run_steps(2);
    // …and F4 on it says why not.
    h.key_press(eframe::egui::Key::F4);
    h.run_steps(2);
    let notice = h.state().notice.clone().unwrap_or_default();
    assert!(notice.contains("is a folder"), "{notice}");
    assert!(h.state().edits.rows.is_empty());
}

/// Right-click the local row `label` and pick `item`.
fn local_menu(h: &mut Harness<'_, FerryApp>, label: &str, item: &str) {
    let local_right = h.state().local_pane_right_edge();
    let node = |h: &Harness<'_, FerryApp>| {
        h.get_all_by_label(label)
            .find(|n| n.rect().center().x < local_right)
            .expect("the row in the local pane")
            .rect()
            .center()
    };
    let at = node(h);
    h.get_all_by_label(label)
        .find(|n| n.rect().center() == at)
        .unwrap()
        .click();
    h.step();
    h.get_all_by_label(label)
        .find(|n| n.rect().center() == at)
        .unwrap()
        .click_secondary();
    h.run_steps(4);
    h.get_by_label(item).click();
    h.run_steps(2);
}

#[cfg(unix)]
#[test]
fn the_permissions_dialog_keeps_boxes_and_number_in_step_and_changes_a_local_folder() {
    use std::os::unix::fs::PermissionsExt;
    let local = tempfile::tempdir().unwrap();
    let site = local.path().join("site");
    std::fs::create_dir_all(site.join("img")).unwrap();
    std::fs::write(site.join("index.html"), "x").unwrap();
    std::fs::set_permissions(&site, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(
        site.join("index.html"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    let mut h = app(local.path(), "");
    wait_until(&mut h, "the local listing", |a| {
        a.local.entries().iter().any(|e| &*e.display_name == "site")
    });
    local_menu(&mut h, "site", "Permissions…");
    assert!(h.state().permissions.open);
    assert_eq!(h.state().permissions.octal, "755");
    // A box changes the number…
    h.get_by_label("Group write").click();
    h.run_steps(2);
    assert_eq!(h.state().permissions.octal, "775");
    // …and the number the boxes.
    h.get_by_label("Numeric value:").click();
    h.step();
    h.key_press(eframe::egui::Key::End);
    for _ in 0..3 {
        h.key_press(eframe::egui::Key::Backspace);
    }
    h.get_by_label("Numeric value:").type_text("700");
    h.run_steps(2);
    assert_eq!(
        h.state().permissions.change,
        ferry::engine::chmod::ModeChange::exact(0o700)
    );
    h.get_by_label("Apply to what is inside the folders")
        .click();
    h.run_steps(2);
    h.get_by_label("Files only").click();
    h.run_steps(2);
    h.get_by_label("OK").click();
    wait_until(&mut h, "the change", |a| {
        a.permissions.running.is_none() && !a.permissions.open
    });
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&site), 0o700);
    assert_eq!(mode(&site.join("index.html")), 0o700);
    assert_eq!(mode(&site.join("img")), 0o755, "files only");
}
