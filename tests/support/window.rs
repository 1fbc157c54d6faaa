//! Helpers for the window tests: the app in egui_kittest, waiting for the
//! engine (which answers on other threads), and reading the remote pane.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use egui_kittest::Harness;
use ferry::prefs::{PREFS_FILE, Preferences, PrefsStore};
use ferry::sites::{MemorySecrets, SecretStore};
use ferry::ui::app::State;
use ferry::ui::{AppConfig, FerryApp, SitesConfig};

use super::server::{PASSWORD, TestServer, USER};

/// A runtime for the in-process servers the window connects to.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// Step frames until `cond` holds, failing after 15 s with the banner and
/// status-line notice in the message.
pub fn wait_until(h: &mut Harness<'_, FerryApp>, what: &str, cond: impl Fn(&FerryApp) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        h.step();
        if cond(h.state()) {
            h.step();
            return;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}; banner: {:?}; notice: {:?}",
            h.state().banner,
            h.state().notice
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Type a login into the quick-connect bar as a user would, pick `mode`
/// ("Auto", the bar's default, leaves the list alone) and press Enter. The
/// bar's host, port, user and password are emptied and its mode set back to
/// Auto first, so the same bar connects again (another tab, another server).
/// Doesn't wait for the connection.
pub fn quick_connect(
    h: &mut Harness<'_, FerryApp>,
    port: u16,
    user: &str,
    password: &str,
    mode: &str,
) {
    use egui_kittest::kittest::Queryable as _;
    let form = &mut h.state_mut().quick.form;
    form.host.clear();
    form.port.clear();
    form.user.clear();
    form.password.clear();
    form.mode = ferry::sites::ConnectionMode::Auto;
    let port = port.to_string();
    for (label, text) in [
        ("Host", "127.0.0.1"),
        ("Port", port.as_str()),
        ("User", user),
        ("Password", password),
    ] {
        h.get_by_label(label).click();
        h.step();
        h.get_by_label(label).type_text(text);
        h.step();
    }
    if mode != "Auto" {
        h.get_by_label("Connection mode").click();
        h.run_steps(4);
        h.get_by_label(mode).click();
        h.run_steps(4);
    }
    // Enter connects from a field of the bar (the mode list took the focus).
    h.get_by_label("Password").click();
    h.step();
    h.key_press(eframe::egui::Key::Enter);
    h.step();
}

/// [`quick_connect`] to the in-process `server` as its user in `mode`, and
/// wait until the remote pane lists every name in `expect`.
pub fn quick_connect_listing(
    h: &mut Harness<'_, FerryApp>,
    server: &TestServer,
    mode: &str,
    expect: &[&str],
) {
    quick_connect(h, server.addr.port(), USER, PASSWORD, mode);
    wait_until(h, &format!("the remote listing with {expect:?}"), |a| {
        let names = remote_names(a);
        expect.iter().all(|e| names.iter().any(|n| n == e))
    });
}

/// The names the remote pane lists.
pub fn remote_names(app: &FerryApp) -> Vec<String> {
    app.remote
        .entries()
        .iter()
        .map(|e| e.display_name.to_string())
        .collect()
}

/// The app with its preferences (and sites, with an in-memory keyring) in
/// `config`, the local pane in `local`, once the preferences file has been read.
pub fn app_with_prefs(local: &Path, config: &Path) -> Harness<'static, FerryApp> {
    app_with_secrets(local, config, Arc::new(MemorySecrets::new()))
}

/// [`app_with_prefs`] with `secrets` as its keyring.
pub fn app_with_secrets(
    local: &Path,
    config: &Path,
    secrets: Arc<MemorySecrets>,
) -> Harness<'static, FerryApp> {
    app_sized(local, config, secrets, [1280.0, 1024.0])
}

/// [`app_with_secrets`] on a screen of `size` (the Preferences' sections
/// scroll when they don't fit).
pub fn app_sized(
    local: &Path,
    config: &Path,
    secrets: Arc<MemorySecrets>,
    size: [f32; 2],
) -> Harness<'static, FerryApp> {
    let local = local.to_path_buf();
    let dir = config.to_path_buf();
    let mut h = Harness::builder()
        .with_size(size)
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
                        secrets: secrets as Arc<dyn SecretStore>,
                    }),
                    ..AppConfig::default()
                },
            )
            .expect("app starts")
        });
    wait_until(&mut h, "the preferences read", FerryApp::preferences_loaded);
    h
}

/// The preferences file in `config`, which must exist and read without a problem.
pub fn stored_prefs(config: &Path) -> Preferences {
    let loaded = PrefsStore::in_dir(config).load();
    assert!(loaded.found, "a preferences file was written");
    assert_eq!(loaded.problem, None);
    loaded.prefs
}

/// Focus the input labelled `label`, select what it holds and type `text`.
pub fn type_into(h: &mut Harness<'_, FerryApp>, label: &str, text: &str) {
    use egui_kittest::kittest::Queryable as _;
    h.get_by_label(label).focus();
    h.step();
    h.key_combination_modifiers(eframe::egui::Modifiers::COMMAND, &[eframe::egui::Key::A]);
    h.get_by_label(label).type_text(text);
    h.step();
}

/// The transfer list alone in egui_kittest: its view and settings, and
/// every command it asked for.
pub struct Panel {
    pub view: ferry::ui::queue_view::QueueView,
    pub settings: ferry::ui::queue_view::QueueSettings,
    /// Every command the panel asked for, in order.
    pub commands: Vec<ferry::engine::Command>,
}

/// The transfer list over `view` on a screen of `size`, after its first
/// frames (default settings).
pub fn queue_panel(
    view: ferry::ui::queue_view::QueueView,
    size: [f32; 2],
) -> Harness<'static, Panel> {
    let panel = Panel {
        view,
        settings: Default::default(),
        commands: Vec::new(),
    };
    let mut h = Harness::builder()
        .with_size(size)
        .with_step_dt(1.0 / 60.0)
        .build_ui_state(
            |ui, p: &mut Panel| {
                let commands = p.view.ui(ui, &mut p.settings);
                p.commands.extend(commands);
            },
            panel,
        );
    h.run();
    h
}
