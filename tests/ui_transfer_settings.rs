//! The Preferences window's transfer settings (issue 13): segments, the transfer type and
//! Auto's text endings, chosen in the real app (egui_kittest), stored, and handed to the queue.

mod support;

use std::path::Path;
use std::sync::Arc;

use eframe::egui;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable};
use ferry::ftp::ascii::TypeChoice;
use ferry::prefs::{PREFS_FILE, Preferences, PrefsStore};
use ferry::sites::{MemorySecrets, SecretStore};
use ferry::ui::app::State;
use ferry::ui::preferences::label;
use ferry::ui::{AppConfig, FerryApp, SitesConfig};
use support::window::wait_until;

/// The app with its preferences (and sites) in `config`, once the
/// preferences file has been read.
fn app(local: &Path, config: &Path) -> Harness<'static, FerryApp> {
    let local = local.to_path_buf();
    let dir = config.to_path_buf();
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
                        secrets: Arc::new(MemorySecrets::new()) as Arc<dyn SecretStore>,
                    }),
                    ..AppConfig::default()
                },
            )
            .expect("app starts")
        });
    wait_until(&mut h, "the preferences read", FerryApp::preferences_loaded);
    h
}

fn stored(config: &Path) -> Preferences {
    let loaded = PrefsStore::in_dir(config).load();
    assert!(loaded.found, "a preferences file was written");
    assert_eq!(loaded.problem, None);
    loaded.prefs
}

/// Focus the input labelled `label`, select what it holds and type `text`.
fn type_into(h: &mut Harness<'_, FerryApp>, label: &str, text: &str) {
    h.get_by_label(label).focus();
    h.step();
    h.key_combination_modifiers(egui::Modifiers::COMMAND, &[egui::Key::A]);
    h.get_by_label(label).type_text(text);
    h.step();
}

#[test]
fn segments_transfer_type_and_text_endings_are_chosen_stored_and_survive_a_restart() {
    let local = tempfile::tempdir().unwrap();
    let config = tempfile::tempdir().unwrap();
    let mut h = app(local.path(), config.path());
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
    let on_disk = stored(config.path());
    assert_eq!(on_disk.text.transfer_type, TypeChoice::Auto);
    assert_eq!(on_disk.text.endings, ["txt", "conf", "php"]);
    assert_eq!(on_disk.transfers.segments, 4);
    let settings = on_disk.queue_transfer_settings();
    assert_eq!(
        (settings.segments, settings.transfer_type),
        (4, TypeChoice::Auto)
    );
    drop(h);

    let h = app(local.path(), config.path());
    assert_eq!(h.state().preferences, on_disk);
}
