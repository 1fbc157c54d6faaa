//! The Preferences window's transfer settings (issue 13): segments, the transfer type and
//! Auto's text endings, chosen in the real app (egui_kittest), stored, and handed to the queue.

mod support;

use egui_kittest::kittest::{NodeT as _, Queryable};
use ferry::ftp::ascii::TypeChoice;
use ferry::ui::preferences::label;
use support::window::{app_with_prefs, stored_prefs, type_into, wait_until};

#[test]
fn segments_transfer_type_and_text_endings_are_chosen_stored_and_survive_a_restart() {
    let local = tempfile::tempdir().unwrap();
    let config = tempfile::tempdir().unwrap();
    let mut h = app_with_prefs(local.path(), config.path());
    h.get_by_label("Edit").click();
    h.run_steps(4);
    h.get_by_label_contains("Preferences…").click();
    h.run_steps(2);
    assert!(h.state().preferences_window.open);

    // The endings are typed only for Auto.
    assert!(
        h.get_by_label(label::TEXT_ENDINGS)
            .accesskit_node()
            .is_disabled()
    );
    h.get_by_label(label::TRANSFER_TYPE).click();
    h.run_steps(2);
    h.get_by_label("Auto").click();
    h.run_steps(2);
    assert_eq!(
        h.state().preferences_window.draft.text.transfer_type,
        TypeChoice::Auto
    );
    type_into(&mut h, label::TEXT_ENDINGS, ".txt .CONF, php");
    // The number field is egui's own widget; its value goes into the copy like any other.
    h.state_mut().preferences_window.draft.transfers.segments = 4;
    h.check_accessibility();
    h.get_by_label(label::OK).click();
    h.run_steps(2);
    wait_until(&mut h, "the preferences written", |a| {
        !a.is_saving_preferences()
    });
    let on_disk = stored_prefs(config.path());
    assert_eq!(on_disk.text.transfer_type, TypeChoice::Auto);
    assert_eq!(on_disk.text.endings, ["txt", "conf", "php"]);
    assert_eq!(on_disk.transfers.segments, 4);
    let settings = on_disk.queue_transfer_settings();
    assert_eq!(
        (settings.segments, settings.transfer_type),
        (4, TypeChoice::Auto)
    );
    drop(h);

    let h = app_with_prefs(local.path(), config.path());
    assert_eq!(h.state().preferences, on_disk);
}

/// Open the Site Manager (Ctrl+S) on a new site's form.
fn new_site_form(h: &mut egui_kittest::Harness<'_, ferry::ui::FerryApp>) {
    use eframe::egui;
    h.key_combination_modifiers(egui::Modifiers::COMMAND, &[egui::Key::S]);
    h.run_steps(2);
    h.get_by_label("New site").click();
    h.run_steps(2);
}

/// The connection form's "As in Preferences" choices say what Preferences hold, in the Site
/// Manager and the connection dialog, and follow a change made in Preferences; a new site
/// still starts from the Preferences' connection defaults after the Site Manager reopens.
#[test]
fn as_in_preferences_names_what_preferences_hold_and_follows_a_change() {
    use eframe::egui;
    let local = tempfile::tempdir().unwrap();
    let config = tempfile::tempdir().unwrap();
    let mut h = app_with_prefs(local.path(), config.path());
    // What the (last) list labelled `field` shows.
    let shown = |h: &egui_kittest::Harness<'_, ferry::ui::FerryApp>, field: &str| {
        h.query_all_by_label(field)
            .rfind(|n| n.accesskit_node().role() == egui::accesskit::Role::ComboBox)
            .and_then(|n| n.accesskit_node().value())
            .unwrap_or_else(|| panic!("no list labelled {field}"))
    };

    new_site_form(&mut h);
    assert_eq!(
        shown(&h, "Transfer type"),
        "As in Preferences (Binary)",
        "the built-in type"
    );
    assert_eq!(shown(&h, "Segments"), "As in Preferences (one stream)");
    h.key_press(egui::Key::Escape);
    h.run_steps(2);
    assert!(!h.state().site_manager.open);

    // Preferences change: Auto, four segments, active mode for new connections.
    h.key_combination_modifiers(egui::Modifiers::COMMAND, &[egui::Key::Comma]);
    h.run_steps(2);
    {
        let draft = &mut h.state_mut().preferences_window.draft;
        draft.text.transfer_type = TypeChoice::Auto;
        draft.transfers.segments = 4;
        draft.connection.mode = ferry::sites::ConnectionMode::Active;
    }
    h.get_by_label(label::OK).click();
    h.run_steps(2);
    assert!(!h.state().preferences_window.open);

    new_site_form(&mut h);
    assert_eq!(
        shown(&h, "Transfer type"),
        "As in Preferences (Auto)",
        "follows Preferences"
    );
    assert_eq!(shown(&h, "Segments"), "As in Preferences (4 segments)");
    assert_eq!(
        shown(&h, "Connection mode"),
        "Active",
        "a new site starts in the Preferences' mode"
    );
    h.key_press(egui::Key::Escape);
    h.run_steps(2);

    // The connection dialog's advanced rows say the same.
    h.get_by_label("File").click();
    h.run_steps(4);
    h.get_by_label_contains("Connect…").click();
    h.run_steps(4);
    h.get_by_label("Advanced").click();
    h.run_steps(4);
    assert_eq!(shown(&h, "Transfer type"), "As in Preferences (Auto)");
    assert_eq!(shown(&h, "Segments"), "As in Preferences (4 segments)");
}
