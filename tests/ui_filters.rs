//! Name filters in the window, end to end: the real app in egui_kittest
//! against the in-process libunftp server, driven by accessible labels.
//! View → Filters… switches presets on; the remote pane hides what they
//! match and says how many; the status line's marker shows them again; a
//! folder download leaves them out when the filters apply to transfers.

mod support;

use std::collections::BTreeSet;

use eframe::egui;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use ferry::ui::FerryApp;
use ferry::ui::filters_dialog::label;
use ferry::ui::queue_view::QueueTab;
use support::server::{PASSWORD, ServerOptions, TestServer, USER};
use support::window::{app_with_prefs, remote_names, runtime, stored_prefs, wait_until};

fn connect(h: &mut Harness<'_, FerryApp>, server: &TestServer) {
    h.state_mut().quick.form.port.clear();
    let port = server.addr.port().to_string();
    for (field, text) in [
        ("Host", "127.0.0.1"),
        ("Port", port.as_str()),
        ("User", USER),
        ("Password", PASSWORD),
    ] {
        h.get_by_label(field).click();
        h.step();
        h.get_by_label(field).type_text(text);
        h.step();
    }
    h.key_press(egui::Key::Enter);
    wait_until(h, "the remote listing", |a| {
        remote_names(a).contains(&"site".to_string())
    });
}

/// The names the remote pane shows (filters applied).
fn shown(h: &Harness<'_, FerryApp>) -> BTreeSet<String> {
    h.state()
        .remote
        .visible()
        .iter()
        .map(|e| e.display_name.to_string())
        .collect()
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|n| n.to_string()).collect()
}

#[test]
fn switched_on_filters_hide_entries_say_how_many_and_leave_them_out_of_a_folder_download() {
    let rt = runtime();
    let server = rt.block_on(TestServer::start(ServerOptions::default()));
    for dir in ["node_modules", "site/node_modules", "site/deep"] {
        std::fs::create_dir_all(server.path(dir)).unwrap();
    }
    for file in [
        "hello.txt",
        "scratch.tmp",
        "NOTES.TMP",
        "site/index.html",
        "site/old.tmp",
        "site/node_modules/pkg.js",
        "site/deep/keep.txt",
        "site/deep/more.tmp",
    ] {
        std::fs::write(server.path(file), file.as_bytes()).unwrap();
    }
    let local = tempfile::tempdir().unwrap();
    let config = tempfile::tempdir().unwrap();
    let mut h = app_with_prefs(local.path(), config.path());
    connect(&mut h, &server);
    let everything = set(&[
        "hello.txt",
        "scratch.tmp",
        "NOTES.TMP",
        "node_modules",
        "site",
    ]);
    assert_eq!(shown(&h), everything, "the presets start switched off");
    assert_eq!(h.state_mut().remote.hidden_by_filters(), 0);

    // Ctrl+I opens the window; Escape closes it and changes nothing.
    h.key_combination_modifiers(egui::Modifiers::COMMAND, &[egui::Key::I]);
    h.run_steps(2);
    assert!(h.state().filters.open, "Ctrl+I opens it");
    h.get_by_label("Temporary files").click();
    h.step();
    h.key_press(egui::Key::Escape);
    h.run_steps(2);
    assert!(!h.state().filters.open, "Escape closes it");
    assert_eq!(h.state().preferences.filters.enabled_count(), 0);
    assert_eq!(shown(&h), everything);

    // View → Filters…: switch two presets on.
    h.get_by_label("View").click();
    h.run_steps(4);
    h.get_by_label_contains("Filters…").click();
    h.run_steps(2);
    assert!(h.state().filters.open, "View → Filters… opens it");
    h.get_by_label("Temporary files").click();
    h.get_by_label("Node.js packages").click();
    h.step();
    h.check_accessibility();
    h.get_by_label(label::OK).click();
    h.run_steps(2);
    assert!(!h.state().filters.open, "OK closes it");

    // *.tmp ignores case unless asked; node_modules hides the folder.
    assert_eq!(shown(&h), set(&["hello.txt", "site"]));
    assert_eq!(h.state_mut().remote.hidden_by_filters(), 3);
    // The marker is a link in the status line: click to show them here.
    h.get_by_label("3 hidden by filters").click();
    h.run_steps(2);
    assert_eq!(shown(&h), everything);
    assert!(!h.state().remote.filters_on());
    h.get_by_label("Filters off").click();
    h.run_steps(2);
    assert_eq!(shown(&h), set(&["hello.txt", "site"]));

    // The same filters, also for folder transfers, from Preferences.
    h.key_combination_modifiers(egui::Modifiers::COMMAND, &[egui::Key::Comma]);
    h.run_steps(2);
    h.get_by_label(ferry::ui::preferences::label::FILTERS)
        .click();
    h.run_steps(2);
    assert!(
        h.state().filters.open,
        "Preferences opens the Filters window"
    );
    h.get_by_label(label::EXCLUDE).click();
    h.step();
    // Both windows have an OK: the Filters window's is drawn last, on top.
    h.get_all_by_label(label::OK)
        .last()
        .expect("the Filters window's OK")
        .click();
    h.run_steps(2);
    assert!(!h.state().filters.open && h.state().preferences_window.open);
    h.get_by_label(ferry::ui::preferences::label::OK).click();
    h.run_steps(2);
    assert!(!h.state().preferences_window.open);
    assert!(h.state().preferences.filters.exclude_from_transfers);
    wait_until(&mut h, "the preferences written", |a| {
        !a.is_saving_preferences()
    });
    let stored = stored_prefs(config.path()).filters;
    assert_eq!(stored, h.state().preferences.filters);
    assert!(stored.exclude_from_transfers && stored.enabled_count() == 2);

    // Download the folder: what the filters hide stays on the server.
    h.get_by_label("site").click();
    h.step();
    h.get_by_label("site").click_secondary();
    h.run_steps(4);
    h.get_by_label("Download").click();
    let target = local.path().join("site");
    wait_until(&mut h, "the folder download", |a| {
        target.join("deep/keep.txt").is_file()
            && target.join("index.html").is_file()
            && a.queue.count(QueueTab::Queued) == 0
            && !a.queue.is_running()
    });
    assert_eq!(
        support::files_under(&target)
            .into_keys()
            .collect::<BTreeSet<_>>(),
        set(&["deep/keep.txt", "index.html"])
    );
    assert!(!target.join("node_modules").exists());
    assert_eq!(h.state().queue.count(QueueTab::Done), 2);
    assert_eq!(h.state().queue.count(QueueTab::Failed), 0);
}

#[test]
fn a_filter_added_in_the_window_hides_local_files_and_a_bad_regex_cannot_be_saved() {
    let local = tempfile::tempdir().unwrap();
    let config = tempfile::tempdir().unwrap();
    for name in ["draft-1.txt", "Draft-2.txt", "final.txt"] {
        std::fs::write(local.path().join(name), name).unwrap();
    }
    std::fs::create_dir(local.path().join("drafts")).unwrap();
    let mut h = app_with_prefs(local.path(), config.path());
    wait_until(&mut h, "the local listing", |a| {
        a.local.entries().len() == 4
    });

    h.key_combination_modifiers(egui::Modifiers::COMMAND, &[egui::Key::I]);
    h.run_steps(2);
    h.get_by_label(label::ADD).click();
    h.run_steps(2);
    h.get_by_label(label::PATTERN).click();
    h.step();
    h.get_by_label(label::PATTERN).type_text("^draft(");
    h.step();
    h.get_by_label(label::REGEX).click();
    h.step();
    // The reason is shown under the pattern (the query fails without it).
    h.get_by_label_contains("not a valid regular expression");
    h.get_by_label(label::SAVE).click();
    h.run_steps(2);
    assert!(
        h.query_by_label(label::SAVE).is_some(),
        "a pattern that does not compile is not saved"
    );
    // Fix it: files only, case ignored (the default), named.
    h.get_by_label(label::PATTERN).focus();
    h.step();
    h.key_combination_modifiers(egui::Modifiers::COMMAND, &[egui::Key::A]);
    h.get_by_label(label::PATTERN).type_text("^draft");
    h.step();
    h.get_by_label("Files").click();
    h.get_by_label(label::NAME).click();
    h.step();
    h.get_by_label(label::NAME).type_text("Drafts");
    h.step();
    h.get_by_label(label::SAVE).click();
    // The window shrinks without the editor: let it settle before clicking on.
    h.run_steps(6);
    assert!(h.query_by_label(label::SAVE).is_none(), "saved");
    h.get_by_label(label::OK).click();
    h.run_steps(2);
    assert!(!h.state().filters.open, "OK closes it");

    let shown: BTreeSet<String> = h
        .state()
        .local
        .visible()
        .iter()
        .map(|e| e.display_name.to_string())
        .collect();
    // The folder `drafts` stays: the rule hides files only.
    assert_eq!(shown, set(&["drafts", "final.txt"]));
    h.get_by_label("2 hidden by filters");
    let rule = h
        .state()
        .preferences
        .filters
        .rules
        .last()
        .cloned()
        .expect("the new rule");
    assert_eq!(
        (rule.name.as_str(), rule.pattern.as_str(), rule.enabled),
        ("Drafts", "^draft", true)
    );
}
