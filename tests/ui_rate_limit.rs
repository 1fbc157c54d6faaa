//! Speed limits in the window, in egui_kittest: the Preferences' "Speed limits" fields (a bad
//! rate is refused inline and nothing is saved), the queue panel's "Speed limit" switch (applied,
//! saved, shown in the status line), and a transfer's own limit from the queue's menu.

mod support;

use std::path::Path;

use eframe::egui;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable};
use ferry::engine::rate_limit::{BurstTolerance, SpeedLimitCommand};
use ferry::engine::{AnyPath, Command, Direction, JobState, JobView, Priority};
use ferry::prefs::{PREFS_FILE, Preferences, SpeedLimits};
use ferry::ui::FerryApp;
use ferry::ui::preferences::label;
use ferry::ui::queue_view::{QueueView, limit_label};
use support::window::{Panel, app_with_prefs, queue_panel, stored_prefs, wait_until};

fn app(local: &Path, config: &Path) -> Harness<'static, FerryApp> {
    app_with_prefs(local, config)
}

fn stored(config: &Path) -> Preferences {
    stored_prefs(config)
}

/// Focus the input labelled `label`, select what it holds and type `text`.
fn type_into<S>(h: &mut Harness<'_, S>, label: &str, text: &str) {
    h.get_by_label(label).focus();
    h.step();
    h.key_combination_modifiers(egui::Modifiers::COMMAND, &[egui::Key::A]);
    h.get_by_label(label).type_text(text);
    h.step();
}

fn shows<S>(h: &Harness<'_, S>, text: &str) -> bool {
    h.query_by_label_contains(text).is_some()
}

#[test]
fn a_bad_rate_in_preferences_is_refused_inline_and_a_good_one_is_saved_and_shown() {
    let local = tempfile::tempdir().unwrap();
    let config = tempfile::tempdir().unwrap();
    let mut h = app(local.path(), config.path());
    h.key_combination_modifiers(egui::Modifiers::COMMAND, &[egui::Key::Comma]);
    h.run_steps(2);
    assert!(h.state().preferences_window.open);

    h.get_by_label(label::SPEED_LIMITS).click();
    h.step();
    type_into(&mut h, label::DOWNLOAD_LIMIT, "2X");
    h.run_steps(2);
    assert!(
        shows(&h, "Download limit: '2X' is not a speed"),
        "the error is shown under the fields"
    );
    h.get_by_label(label::OK).click();
    h.run_steps(2);
    assert!(
        h.state().preferences_window.open,
        "OK waits for a usable rate"
    );
    h.key_press(egui::Key::Enter);
    h.run_steps(2);
    assert!(h.state().preferences_window.open, "so does Enter");
    assert!(
        !config.path().join(PREFS_FILE).exists(),
        "nothing is saved while a rate is bad"
    );
    assert_eq!(h.state().preferences.speed_limits, SpeedLimits::default());

    type_into(&mut h, label::DOWNLOAD_LIMIT, "2M");
    type_into(&mut h, label::UPLOAD_LIMIT, "500");
    h.run_steps(2);
    assert!(!shows(&h, "is not a speed"));
    h.get_by_label(label::OK).click();
    h.run_steps(2);
    assert!(!h.state().preferences_window.open, "OK closes the window");
    wait_until(&mut h, "the preferences written", |a| {
        !a.is_saving_preferences()
    });
    let want = SpeedLimits {
        enabled: true,
        download: 2 << 20,
        upload: 500 << 10,
        burst: BurstTolerance::Normal,
    };
    assert_eq!(
        stored(config.path()).speed_limits,
        want,
        "a plain 500 is KiB/s"
    );
    assert_eq!(h.state().preferences.speed_limits, want);
    assert_eq!(h.state().queue.limits.global, want);
    assert!(
        shows(&h, "Limit: 2 MiB/s down, 500 KiB/s up"),
        "the status line says a limit holds"
    );

    // Reopened, the window shows them as they were typed.
    h.key_combination_modifiers(egui::Modifiers::COMMAND, &[egui::Key::Comma]);
    h.run_steps(2);
    assert_eq!(
        h.get_by_label(label::DOWNLOAD_LIMIT).value().as_deref(),
        Some("2M")
    );
    assert_eq!(
        h.get_by_label(label::UPLOAD_LIMIT).value().as_deref(),
        Some("500K")
    );
}

#[test]
fn the_queue_panels_switch_turns_the_saved_limits_off_and_on() {
    let local = tempfile::tempdir().unwrap();
    let config = tempfile::tempdir().unwrap();
    let prefs = Preferences {
        speed_limits: SpeedLimits {
            enabled: true,
            download: 2 << 20,
            upload: 0,
            burst: BurstTolerance::High,
        },
        ..Preferences::default()
    };
    std::fs::write(
        config.path().join(PREFS_FILE),
        prefs.to_toml().expect("toml"),
    )
    .unwrap();
    let mut h = app(local.path(), config.path());
    h.run_steps(2);
    assert!(shows(&h, "Limit: 2 MiB/s down"), "on at start");

    h.get_by_label(limit_label::TOGGLE).click();
    h.run_steps(3);
    assert!(!h.state().preferences.speed_limits.enabled);
    assert!(
        !shows(&h, "Limit: 2 MiB/s"),
        "the status line no longer says so"
    );
    wait_until(&mut h, "the switch saved", |a| !a.is_saving_preferences());
    let on_disk = stored(config.path()).speed_limits;
    assert!(!on_disk.enabled, "the switch is saved like the preference");
    assert_eq!(on_disk.download, 2 << 20, "the limit itself is kept");

    h.get_by_label(limit_label::TOGGLE).click();
    h.run_steps(3);
    assert!(h.state().preferences.speed_limits.enabled);
    assert!(shows(&h, "Limit: 2 MiB/s down"));
    wait_until(&mut h, "the switch saved", |a| !a.is_saving_preferences());
    assert!(stored(config.path()).speed_limits.enabled);
}

#[test]
fn with_no_limit_set_the_switch_is_greyed_out_and_says_where_to_set_one() {
    let mut h = panel(three_queued());
    let toggle = h.get_by_label(limit_label::TOGGLE);
    assert!(
        toggle.accesskit_node().is_disabled(),
        "nothing to switch on"
    );
    toggle.click();
    h.run();
    assert_eq!(h.state_mut().view.take_speed_toggle(), None);

    let mut view = three_queued();
    view.limits.global = SpeedLimits {
        enabled: false,
        download: 0,
        upload: 1 << 20,
        burst: BurstTolerance::Normal,
    };
    let mut h = panel(view);
    h.get_by_label(limit_label::TOGGLE).click();
    h.run();
    assert_eq!(h.state_mut().view.take_speed_toggle(), Some(true));
    assert_eq!(
        h.state().view.limit_status().as_deref(),
        Some("Limit: 1 MiB/s up")
    );
}

fn panel(view: QueueView) -> Harness<'static, Panel> {
    queue_panel(view, [1200.0, 400.0])
}

fn three_queued() -> QueueView {
    let mut view = QueueView::default();
    let jobs = (1..=3)
        .map(|id| JobView {
            id,
            direction: Direction::Download,
            source: AnyPath::Remote(format!("/remote/file{id}.bin").into_bytes()),
            target: AnyPath::Local(format!("/local/file{id}.bin").into()),
            is_dir: false,
            size: Some(100),
            bytes: 0,
            state: JobState::Queued,
            error: None,
            priority: Priority::Normal,
            site: "u@h:21".into(),
            finished: None,
        })
        .collect();
    let _ = view.update(0.0, jobs);
    view
}

fn open_limit_menu(h: &mut Harness<'_, Panel>, row: &str) {
    h.get_all_by_label(row).next().unwrap().click_secondary();
    h.run();
    h.get_by_label(limit_label::MENU).click();
    h.run();
    assert!(h.state().view.limit_dialog_open());
}

fn job_limits(h: &Harness<'_, Panel>) -> Vec<(Vec<u64>, Option<u64>)> {
    h.state()
        .commands
        .iter()
        .filter_map(|c| match c {
            Command::SpeedLimit(SpeedLimitCommand::Jobs { ids, limit }) => {
                Some((ids.clone(), *limit))
            }
            _ => None,
        })
        .collect()
}

#[test]
fn the_queue_menu_gives_the_selected_transfers_a_limit_of_their_own_and_takes_it_away() {
    let mut h = panel(three_queued());
    h.get_all_by_label("/local/file1.bin")
        .next()
        .unwrap()
        .click();
    h.run();
    h.get_all_by_label("/local/file2.bin")
        .next()
        .unwrap()
        .click_modifiers(egui::Modifiers::COMMAND);
    h.run();
    open_limit_menu(&mut h, "/local/file2.bin");

    type_into(&mut h, limit_label::FIELD, "2X");
    h.run();
    assert!(shows(&h, "'2X' is not a speed"), "a clear inline error");
    assert!(
        h.get_by_label(limit_label::SET)
            .accesskit_node()
            .is_disabled()
    );
    h.get_by_label(limit_label::SET).click();
    h.run();
    assert!(
        job_limits(&h).is_empty(),
        "nothing is asked with a bad rate"
    );

    type_into(&mut h, limit_label::FIELD, "500");
    h.run();
    h.get_by_label(limit_label::SET).click();
    h.run();
    assert!(!h.state().view.limit_dialog_open());
    assert_eq!(job_limits(&h), [(vec![1, 2], Some(500 << 10))]);

    // The engine confirms; the rows say so, and the window opens on it next time.
    h.state_mut().view.set_job_limits(&[1, 2], Some(500 << 10));
    h.run();
    assert_eq!(h.get_all_by_label("max 500 KiB/s").count(), 2);
    open_limit_menu(&mut h, "/local/file1.bin");
    assert_eq!(
        h.get_by_label(limit_label::FIELD).value().as_deref(),
        Some("500K")
    );
    h.get_by_label(limit_label::NONE).click();
    h.run();
    assert_eq!(job_limits(&h)[1], (vec![1, 2], None));
    h.state_mut().view.set_job_limits(&[1, 2], None);
    h.run();
    assert!(!shows(&h, "max 500 KiB/s"));

    // Escape closes the window without asking anything.
    open_limit_menu(&mut h, "/local/file3.bin");
    h.key_press(egui::Key::Escape);
    h.run();
    assert!(!h.state().view.limit_dialog_open());
    assert_eq!(job_limits(&h).len(), 2);
}
