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
