//! The Preferences window, end to end: the real app in egui_kittest over a
//! temporary config folder, driven by accessible labels; what it stores is
//! read back from the file, what it applies from the app.

mod support;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use eframe::egui;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use ferry::prefs::{PREFS_FILE, Preferences, Theme};
use ferry::sites::{ConnectionMode, MemorySecrets, SecretStore};
use ferry::ui::FerryApp;
use ferry::ui::preferences::label;
use support::window::{app_with_prefs, app_with_secrets, stored_prefs, type_into, wait_until};

fn theme_in_use(h: &Harness<'_, FerryApp>) -> egui::ThemePreference {
    h.ctx.options(|o| o.theme_preference)
}

fn kept_aside(config: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(config)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains("preferences.toml.broken-"))
        .collect()
}

#[test]
fn preferences_chosen_in_the_window_are_stored_and_applied_and_survive_a_restart() {
    let local = tempfile::tempdir().unwrap();
    let config = tempfile::tempdir().unwrap();
    let mut h = app_with_prefs(local.path(), config.path());
    assert!(
        !config.path().join(PREFS_FILE).exists(),
        "a first run writes nothing"
    );

    h.get_by_label("Edit").click();
    h.run_steps(4);
    // Menu entries with a shortcut are named with it ("Preferences… Ctrl+,").
    h.get_by_label_contains("Preferences…").click();
    h.run_steps(2);
    assert!(
        h.state().preferences_window.open,
        "Edit → Preferences… opens it"
    );

    h.get_by_label("Dark").click();
    h.get_by_label(label::SHOW_HIDDEN).click();
    h.step();
    type_into(&mut h, label::EDITOR, "gedit {}");
    // The drop-down lists and number fields are egui's own widgets; their
    // values go into the window's copy like any other.
    {
        let draft = &mut h.state_mut().preferences_window.draft;
        draft.connection.mode = ConnectionMode::Active;
        draft.connection.timeout_secs = 45;
        draft.transfers.parallel = 7;
    }
    h.check_accessibility();
    h.get_by_label(label::OK).click();
    h.run_steps(2);
    assert!(!h.state().preferences_window.open, "OK closes the window");
    wait_until(&mut h, "the preferences written", |a| {
        !a.is_saving_preferences()
    });

    let on_disk = stored_prefs(config.path());
    assert_eq!(on_disk.interface.theme, Theme::Dark);
    assert!(on_disk.interface.show_hidden);
    assert_eq!(on_disk.editing.editor, "gedit {}");
    assert_eq!(on_disk.connection.mode, ConnectionMode::Active);
    assert_eq!(on_disk.connection.timeout_secs, 45);
    assert_eq!(on_disk.transfers.parallel, 7);

    let a = h.state();
    assert_eq!(theme_in_use(&h), egui::ThemePreference::Dark);
    assert!(a.state.show_hidden && a.local.show_hidden && a.remote.show_hidden);
    assert_eq!(a.state.queue.concurrency, 7);
    assert_eq!(a.quick.form.mode, ConnectionMode::Active);
    assert_eq!(a.quick.form.timeout_secs, "45");
    assert_eq!(a.site_manager.new_site_defaults, on_disk.connection);
    assert!(h.state().banner.is_none(), "{:?}", h.state().banner);
    drop(h);

    let h = app_with_prefs(local.path(), config.path());
    assert_eq!(h.state().preferences, on_disk);
    assert_eq!(theme_in_use(&h), egui::ThemePreference::Dark);
    assert!(h.state().local.show_hidden);
    assert_eq!(h.state().state.queue.concurrency, 7);
}

#[test]
fn escape_cancels_enter_confirms_and_a_bad_editor_command_is_refused() {
    let local = tempfile::tempdir().unwrap();
    let config = tempfile::tempdir().unwrap();
    let mut h = app_with_prefs(local.path(), config.path());

    h.key_combination_modifiers(egui::Modifiers::COMMAND, &[egui::Key::Comma]);
    h.run_steps(2);
    assert!(h.state().preferences_window.open, "Ctrl+, opens it");
    h.get_by_label("Dark").click();
    h.step();
    h.key_press(egui::Key::Escape);
    h.run_steps(2);
    assert!(!h.state().preferences_window.open, "Escape closes it");
    assert_eq!(h.state().preferences.interface.theme, Theme::System);
    assert!(
        !config.path().join(PREFS_FILE).exists(),
        "Cancel saves nothing"
    );

    h.key_combination_modifiers(egui::Modifiers::COMMAND, &[egui::Key::Comma]);
    h.run_steps(2);
    type_into(&mut h, label::EDITOR, "gedit");
    h.get_by_label_contains("put {} where the file goes");
    h.key_press(egui::Key::Enter);
    h.run_steps(2);
    assert!(
        h.state().preferences_window.open,
        "Enter does not confirm an editor command without {{}}"
    );
    type_into(&mut h, label::EDITOR, "gedit {}");
    h.get_by_label("Light").click();
    h.step();
    h.key_press(egui::Key::Enter);
    h.run_steps(2);
    assert!(!h.state().preferences_window.open, "Enter confirms");
    wait_until(&mut h, "the preferences written", |a| {
        !a.is_saving_preferences()
    });
    assert_eq!(stored_prefs(config.path()).interface.theme, Theme::Light);
    assert_eq!(theme_in_use(&h), egui::ThemePreference::Light);
}

#[test]
fn a_corrupt_preferences_file_is_kept_aside_reported_once_and_defaults_are_used() {
    let local = tempfile::tempdir().unwrap();
    let config = tempfile::tempdir().unwrap();
    let junk = "[interface\ntheme = \"dark\"\n";
    std::fs::write(config.path().join(PREFS_FILE), junk).unwrap();

    let h = app_with_prefs(local.path(), config.path());
    assert_eq!(h.state().preferences, Preferences::default());
    let copies = kept_aside(config.path());
    assert_eq!(copies.len(), 1);
    assert_eq!(std::fs::read_to_string(&copies[0]).unwrap(), junk);
    let banner = h.state().banner.clone().expect("the user is told");
    assert!(
        banner.message.starts_with("Preferences:"),
        "{}",
        banner.message
    );
    assert!(
        banner.message.contains(&copies[0].display().to_string()),
        "the banner names the copy: {}",
        banner.message
    );
    drop(h);

    let h = app_with_prefs(local.path(), config.path());
    assert!(
        h.state().banner.is_none(),
        "told once: {:?}",
        h.state().banner
    );
    assert_eq!(kept_aside(config.path()).len(), 1);
}

#[test]
fn the_proxy_in_preferences_is_stored_without_its_password_which_goes_to_the_keyring() {
    let local = tempfile::tempdir().unwrap();
    let config = tempfile::tempdir().unwrap();
    let secrets = Arc::new(MemorySecrets::new());
    let mut h = app_with_secrets(local.path(), config.path(), Arc::clone(&secrets));
    let current = h.state().preferences.clone();
    h.state_mut().preferences_window.open_with(&current);
    h.run_steps(2);
    type_into(&mut h, label::PROXY, "socks4://proxy.example.org");
    h.get_by_label_contains("Ferry speaks SOCKS5 and HTTP CONNECT proxies");
    type_into(&mut h, label::PROXY, "socks5h://bob@proxy.example.org:1081");
    type_into(&mut h, label::PROXY_PASSWORD, "pr0xy-Sekr1t");
    h.check_accessibility();
    h.get_by_label(label::OK).click();
    h.run_steps(2);
    wait_until(&mut h, "the preferences written", |a| {
        !a.is_saving_preferences()
    });
    let on_disk = stored_prefs(config.path());
    assert_eq!(
        on_disk.network.proxy,
        "socks5h://bob@proxy.example.org:1081"
    );
    let text = std::fs::read_to_string(config.path().join(PREFS_FILE)).unwrap();
    assert!(!text.contains("pr0xy-Sekr1t"), "{text}");
    let key = ferry::sites::proxy_secret_id("socks5h://bob@proxy.example.org:1081");
    wait_until(&mut h, "the proxy password stored", |_| {
        secrets.get(&key).ok().flatten().is_some()
    });
    assert_eq!(secrets.get(&key).unwrap().as_deref(), Some("pr0xy-Sekr1t"));
}

#[test]
fn on_a_short_screen_the_sections_scroll_and_the_buttons_stay_in_view() {
    let local = tempfile::tempdir().unwrap();
    let config = tempfile::tempdir().unwrap();
    let height = 600.0;
    let mut h = support::window::app_sized(
        local.path(),
        config.path(),
        Arc::new(MemorySecrets::new()),
        [1280.0, height],
    );
    h.key_combination_modifiers(egui::Modifiers::COMMAND, &[egui::Key::Comma]);
    h.run_steps(3);
    assert!(h.state().preferences_window.open);
    for button in ["OK", "Apply", "Cancel"] {
        let rect = h.get_by_label(button).rect();
        assert!(
            rect.bottom() <= height,
            "{button} is on the screen: {rect:?}"
        );
    }
    // Drop-down lists work inside the scrolled part.
    h.get_by_label(label::MODE).click();
    h.run_steps(3);
    h.get_by_label("Active").click();
    h.run_steps(2);
    assert_eq!(
        h.state().preferences_window.draft.connection.mode,
        ConnectionMode::Active
    );
    // The last section is below the fold (under the buttons, clipped) until
    // scrolled to.
    let ok = h.get_by_label("OK").rect();
    let rect = h.get_by_label(label::FILTERS).rect();
    assert!(
        rect.top() > ok.top(),
        "Filters… starts out of view: {rect:?}"
    );
    h.get_by_label(label::FILTERS).scroll_to_me();
    h.run_steps(12);
    let rect = h.get_by_label(label::FILTERS).rect();
    assert!(rect.bottom() <= height, "scrolled into view: {rect:?}");
    h.get_by_label(label::FILTERS).click();
    h.run_steps(2);
    assert!(h.state().filters.open, "and it works from there");
}
