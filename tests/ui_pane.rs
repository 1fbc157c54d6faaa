//! The file pane in a test harness: rows found by name, clicked, opened,
//! filtered, sorted, renamed; every input has an accessible name (the
//! harness checks it after each `run`).

mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use eframe::egui::{self, Key, Modifiers};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use ferry::engine::{AnyPath, Entry, Kind, Side};
use ferry::ui::actions::Action;
use ferry::ui::app::State;
use ferry::ui::pane::{PaneAction, PaneSettings, PaneState, SortColumn};
use ferry::ui::{AppConfig, FerryApp};
use support::window::wait_until;

struct Screen {
    pane: PaneState,
    settings: PaneSettings,
    actions: Vec<PaneAction>,
}

fn remote(path: &str) -> AnyPath {
    AnyPath::Remote(path.as_bytes().to_vec())
}

fn entry(name: &str, kind: Kind, size: u64) -> Entry {
    Entry {
        name: name.as_bytes().into(),
        display_name: name.into(),
        kind,
        size: Some(size),
        modified: None,
        permissions: Some("rw-r--r--".into()),
        owner: Some("ann".into()),
        link_target: None,
    }
}

fn listing() -> Vec<Entry> {
    let mut link = entry(
        "latest",
        Kind::Symlink {
            target_is_dir: true,
        },
        9,
    );
    link.link_target = Some("releases/2024".into());
    vec![
        entry("notes.txt", Kind::File, 1_200),
        entry("photos", Kind::Dir, 4096),
        entry("archive.tar.gz", Kind::File, 5_000_000),
        entry("script.sh", Kind::File, 300),
        entry(".profile", Kind::File, 10),
        link,
    ]
}

fn harness() -> Harness<'static, Screen> {
    let mut pane = PaneState::new(Side::Remote);
    pane.set_listing(remote("/srv/data"), listing());
    let screen = Screen {
        pane,
        settings: PaneSettings::default(),
        actions: Vec::new(),
    };
    let mut harness = Harness::builder()
        .with_size([900.0, 500.0])
        .with_step_dt(1.0 / 60.0)
        .build_ui_state(
            |ui, s: &mut Screen| {
                let actions = s.pane.ui(ui, &mut s.settings, true);
                s.actions.extend(actions);
            },
            screen,
        );
    harness.run();
    harness
}

fn selected(harness: &Harness<'_, Screen>) -> Vec<String> {
    let pane = &harness.state().pane;
    pane.selected()
        .iter()
        .map(|e| e.display_name.to_string())
        .collect()
}

fn visible(harness: &Harness<'_, Screen>) -> Vec<String> {
    let pane = &harness.state().pane;
    pane.visible()
        .iter()
        .map(|e| e.display_name.to_string())
        .collect()
}

fn actions(harness: &mut Harness<'_, Screen>) -> Vec<PaneAction> {
    std::mem::take(&mut harness.state_mut().actions)
        .into_iter()
        .filter(|a| *a != PaneAction::Focus)
        .collect()
}

#[test]
fn rows_show_folders_first_without_hidden_files() {
    let harness = harness();
    assert_eq!(
        visible(&harness),
        [
            "latest",
            "photos",
            "archive.tar.gz",
            "notes.txt",
            "script.sh"
        ]
    );
    assert!(harness.query_by_label(".profile").is_none());
    harness.get_by_label("..");
    harness.get_by_label("1.2 kB");
    harness.get_by_label("5.0 MB");
    harness.get_by_label("3 files, 2 folders, 5.0 MB total");
}

#[test]
fn clicking_a_row_selects_it_and_focuses_the_pane() {
    let mut harness = harness();
    harness.get_by_label("notes.txt").click();
    harness.run();
    assert_eq!(selected(&harness), ["notes.txt"]);
    assert!(harness.state().actions.contains(&PaneAction::Focus));
    harness.get_by_label("3 files, 2 folders, 5.0 MB total  ·  1 selected (1.2 kB)");
}

#[test]
fn ctrl_click_adds_and_shift_click_selects_a_range() {
    let mut harness = harness();
    harness.get_by_label("photos").click();
    harness.run();
    harness
        .get_by_label("script.sh")
        .click_modifiers(Modifiers::COMMAND);
    harness.run();
    assert_eq!(selected(&harness), ["photos", "script.sh"]);
    harness
        .get_by_label("notes.txt")
        .click_modifiers(Modifiers::SHIFT);
    harness.run();
    assert_eq!(selected(&harness), ["notes.txt", "script.sh"]);
}

#[test]
fn double_clicking_a_folder_navigates_into_it() {
    let mut harness = harness();
    let row = harness.get_by_label("photos");
    row.click();
    row.click();
    harness.run();
    assert_eq!(
        actions(&mut harness),
        [PaneAction::Navigate(remote("/srv/data/photos"))]
    );
}

#[test]
fn double_clicking_a_link_to_a_folder_opens_it_and_a_file_transfers_it() {
    let mut harness = harness();
    let row = harness.get_by_label("latest");
    row.click();
    row.click();
    harness.run();
    // Half a second later, or the next two clicks would make a triple click.
    harness.run_steps(30);
    let row = harness.get_by_label("script.sh");
    row.click();
    row.click();
    harness.run();
    assert_eq!(
        actions(&mut harness),
        [
            PaneAction::Navigate(remote("/srv/data/latest")),
            PaneAction::Run(Action::Transfer),
        ]
    );
}

#[test]
fn double_clicking_the_parent_row_goes_up() {
    let mut harness = harness();
    let row = harness.get_by_label("..");
    row.click();
    row.click();
    harness.run();
    assert_eq!(
        actions(&mut harness),
        [PaneAction::Navigate(remote("/srv"))]
    );
    assert!(selected(&harness).is_empty());
    assert!(harness.state().pane.cursor_on_parent());
}

#[test]
fn typing_in_the_filter_box_narrows_the_rows() {
    let mut harness = harness();
    harness.get_by_label("Filter").click();
    harness.run();
    harness.get_by_label("Filter").type_text("AR");
    harness.run();
    assert_eq!(visible(&harness), ["archive.tar.gz"]);
    assert!(harness.query_by_label("notes.txt").is_none());
    harness.get_by_label("archive.tar.gz");
    harness.get_by_label_contains("showing 1 of 5");
    harness.get_by_label("Clear filter").click();
    harness.run();
    assert_eq!(visible(&harness).len(), 5);
}

#[test]
fn typing_with_no_field_focused_starts_the_filter() {
    let mut harness = harness();
    harness.event(egui::Event::Text("s".into()));
    harness.run();
    harness.event(egui::Event::Text("c".into()));
    harness.run();
    let filter = harness.get_by_label("Filter");
    assert!(filter.is_focused());
    assert_eq!(filter.value().as_deref(), Some("sc"));
    assert_eq!(visible(&harness), ["script.sh"]);
}

#[test]
fn arrow_keys_move_the_cursor_and_shift_extends_the_selection() {
    let mut harness = harness();
    harness.get_by_label("photos").click();
    harness.run();
    harness.key_press(Key::ArrowDown);
    harness.run();
    assert_eq!(selected(&harness), ["archive.tar.gz"]);
    harness.key_press_modifiers(Modifiers::SHIFT, Key::ArrowDown);
    harness.run();
    assert_eq!(selected(&harness), ["archive.tar.gz", "notes.txt"]);
    harness.key_press(Key::End);
    harness.run();
    assert_eq!(selected(&harness), ["script.sh"]);
    harness.key_press(Key::Home);
    harness.run();
    assert!(harness.state().pane.cursor_on_parent());
}

#[test]
fn clicking_a_header_sorts_by_it_and_again_reverses() {
    let mut harness = harness();
    harness.get_by_label("Size").click();
    harness.run();
    assert_eq!(harness.state().settings.sort, SortColumn::Size);
    assert!(harness.state().settings.ascending);
    assert_eq!(
        visible(&harness),
        [
            "latest",
            "photos",
            "script.sh",
            "notes.txt",
            "archive.tar.gz"
        ]
    );
    harness.get_by_label("Size").click();
    harness.run();
    assert!(!harness.state().settings.ascending);
    assert_eq!(
        visible(&harness)[2..],
        ["archive.tar.gz", "notes.txt", "script.sh"]
    );
}

#[test]
fn selection_survives_a_resort() {
    let mut harness = harness();
    harness.get_by_label("notes.txt").click();
    harness.run();
    harness.get_by_label("Size").click();
    harness.run();
    assert_eq!(selected(&harness), ["notes.txt"]);
}

#[test]
fn the_context_menu_offers_pane_actions_on_the_right_clicked_row() {
    let mut harness = harness();
    harness.get_by_label("notes.txt").click();
    harness.run();
    harness.get_by_label("script.sh").click_secondary();
    harness.run();
    assert_eq!(
        selected(&harness),
        ["script.sh"],
        "right click selects first"
    );
    harness.get_by_label("Delete… Delete");
    harness.get_by_label("Rename F2");
    harness.get_by_label("Download").click();
    harness.run();
    assert_eq!(actions(&mut harness), [PaneAction::Run(Action::Transfer)]);
    assert!(
        harness.query_by_label("Download").is_none(),
        "the menu closed"
    );
}

#[test]
fn inline_rename_commits_on_enter() {
    let mut harness = harness();
    harness.get_by_label("notes.txt").click();
    harness.run();
    harness.state_mut().pane.start_rename();
    harness.run();
    let field = harness.get_by_label("New name");
    assert!(field.is_focused());
    // "notes" is selected, the extension is not: typing replaces the stem.
    field.type_text("minutes");
    harness.run();
    harness.key_press(Key::Enter);
    harness.run();
    assert_eq!(
        actions(&mut harness),
        [PaneAction::Rename {
            from: b"notes.txt".to_vec(),
            to: "minutes.txt".into()
        }]
    );
    assert!(harness.query_by_label("New name").is_none());
}

#[test]
fn inline_rename_cancels_on_escape() {
    let mut harness = harness();
    harness.get_by_label("notes.txt").click();
    harness.run();
    harness.state_mut().pane.start_rename();
    harness.run();
    harness.get_by_label("New name").type_text("x");
    harness.run();
    harness.key_press(Key::Escape);
    harness.run();
    assert!(actions(&mut harness).is_empty());
    harness.get_by_label("notes.txt");
}

#[test]
fn breadcrumbs_up_and_refresh_navigate() {
    let mut harness = harness();
    harness.get_by_label("srv").click();
    harness.run();
    harness.get_by_label("Up").click();
    harness.run();
    harness.get_by_label("Refresh").click();
    harness.run();
    assert_eq!(
        actions(&mut harness),
        [
            PaneAction::Navigate(remote("/srv")),
            PaneAction::Run(Action::GoUp),
            PaneAction::Run(Action::Refresh),
        ]
    );
}

#[test]
fn a_typed_path_navigates_on_enter() {
    let mut harness = harness();
    harness.get_by_label("Edit path").click();
    harness.run();
    let field = harness.get_by_label("Path");
    assert!(field.is_focused());
    assert_eq!(field.value().as_deref(), Some("/srv/data"));
    field.type_text("/pub/releases");
    harness.run();
    harness.key_press(Key::Enter);
    harness.run();
    assert_eq!(
        actions(&mut harness),
        [PaneAction::Navigate(remote("/pub/releases"))]
    );
    assert!(harness.query_by_label("Path").is_none());
}

#[test]
fn an_error_replaces_the_rows_and_a_new_listing_brings_them_back() {
    let mut harness = harness();
    harness.state_mut().pane.set_loading(remote("/srv/secret"));
    harness
        .state_mut()
        .pane
        .set_error(Some("550 Permission denied".into()));
    harness.run();
    harness.get_by_label_contains("550 Permission denied");
    assert!(harness.query_by_label("notes.txt").is_none());
    harness.state_mut().pane.set_loading(remote("/srv/data"));
    harness
        .state_mut()
        .pane
        .set_listing(remote("/srv/data"), listing());
    harness.run();
    harness.get_by_label("notes.txt");
}

/// How opaque the row label `name` was drawn in the last frame (255: fully).
fn row_alpha(harness: &Harness<'_, Screen>, name: &str) -> u8 {
    fn find(shape: &egui::Shape, name: &str, out: &mut Vec<u8>) {
        match shape {
            egui::Shape::Vec(shapes) => shapes.iter().for_each(|s| find(s, name, out)),
            egui::Shape::Text(t) if t.galley.text() == name => {
                out.push((f32::from(t.fallback_color.a()) * t.opacity_factor).round() as u8);
            }
            _ => {}
        }
    }
    let mut found = Vec::new();
    for clipped in &harness.output().shapes {
        find(&clipped.shape, name, &mut found);
    }
    assert_eq!(found.len(), 1, "one label {name:?} drawn");
    found[0]
}

#[test]
fn rows_dim_only_while_a_slow_answer_or_a_lost_connection_keeps_them_out_of_date() {
    let mut harness = harness();
    assert_eq!(row_alpha(&harness, "notes.txt"), 255);

    // Another folder asked for: the rows take no clicks, but a quick answer
    // does not flash them grey.
    harness
        .state_mut()
        .pane
        .set_loading(remote("/srv/data/photos"));
    harness.step();
    assert_eq!(row_alpha(&harness, "notes.txt"), 255);
    harness.get_by_label("notes.txt").click();
    harness.step();
    assert!(selected(&harness).is_empty());

    // Still waiting after 0.2 s: dimmed.
    harness.run_steps(15);
    assert!(row_alpha(&harness, "notes.txt") < 200);

    // The answer: its rows are drawn normally at once, however many there are.
    let many: Vec<Entry> = (1..=5_000)
        .map(|i| entry(&format!("file {i:04}.txt"), Kind::File, 24))
        .collect();
    harness
        .state_mut()
        .pane
        .set_listing(remote("/srv/data/photos"), many);
    harness.step();
    assert_eq!(row_alpha(&harness, "file 0001.txt"), 255);
    harness.run_steps(30);
    assert_eq!(row_alpha(&harness, "file 0001.txt"), 255);

    // A slow refresh of the same folder dims them until it answers.
    harness
        .state_mut()
        .pane
        .set_loading(remote("/srv/data/photos"));
    harness.step();
    assert_eq!(row_alpha(&harness, "file 0001.txt"), 255);
    harness.run_steps(15);
    assert!(row_alpha(&harness, "file 0001.txt") < 200);
    let again: Vec<Entry> = (1..=5_000)
        .map(|i| entry(&format!("file {i:04}.txt"), Kind::File, 24))
        .collect();
    harness
        .state_mut()
        .pane
        .set_listing(remote("/srv/data/photos"), again);
    harness.step();
    assert_eq!(row_alpha(&harness, "file 0001.txt"), 255);

    // Connection lost: greyed at once, and back when it returns.
    harness.state_mut().pane.set_stale(true);
    harness.step();
    assert!(row_alpha(&harness, "file 0001.txt") < 200);
    harness.state_mut().pane.set_stale(false);
    harness.step();
    assert_eq!(row_alpha(&harness, "file 0001.txt"), 255);
}

// ------------------------------------------------------------------------------------------------
// Selection after New folder and Up; the local pane following its folder; owner names; trees.
// ------------------------------------------------------------------------------------------------

#[test]
fn going_up_selects_the_folder_you_came_from() {
    let mut harness = harness();
    harness.state_mut().pane.set_listing(
        remote("/srv/data/photos"),
        vec![entry("beach.jpg", Kind::File, 10)],
    );
    harness.run();
    harness.get_by_label("Up").click();
    harness.run();
    let up = actions(&mut harness);
    assert_eq!(up, vec![PaneAction::Run(Action::GoUp)]);
    // What the app does with it: the pane loads the parent, then its listing arrives.
    harness.state_mut().pane.set_loading(remote("/srv/data"));
    harness.run_steps(2);
    harness
        .state_mut()
        .pane
        .set_listing(remote("/srv/data"), listing());
    harness.run();
    assert_eq!(selected(&harness), ["photos"]);
    // Two levels up through the path bar: the folder on the way down is selected.
    harness.state_mut().pane.set_loading(remote("/"));
    harness.state_mut().pane.set_listing(
        remote("/"),
        vec![entry("srv", Kind::Dir, 0), entry("etc", Kind::Dir, 0)],
    );
    harness.run();
    assert_eq!(selected(&harness), ["srv"]);
}

fn app(local: &Path, state: State) -> Harness<'static, FerryApp> {
    let local = local.to_path_buf();
    let mut h = Harness::builder()
        .with_size([1280.0, 800.0])
        .with_step_dt(1.0 / 60.0)
        .build_eframe(move |cc| {
            FerryApp::with_state(
                cc.egui_ctx.clone(),
                state,
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

fn local_names(app: &FerryApp) -> Vec<String> {
    app.local
        .entries()
        .iter()
        .map(|e| e.display_name.to_string())
        .collect()
}

fn local_selected(app: &FerryApp) -> Vec<String> {
    app.local
        .selected()
        .iter()
        .map(|e| e.display_name.to_string())
        .collect()
}

#[test]
fn a_new_folder_is_selected_once_created() {
    let local = tempfile::tempdir().unwrap();
    std::fs::write(local.path().join("zz-notes.txt"), b"x").unwrap();
    let mut h = app(local.path(), State::default());
    wait_until(&mut h, "the local listing", |a| {
        local_names(a).contains(&"zz-notes.txt".to_string())
    });
    h.get_by_label("zz-notes.txt").click();
    h.step();
    assert_eq!(h.state().active, Side::Local);
    h.key_press(Key::F7);
    h.step();
    h.get_by_label("Name:").type_text("fresh folder");
    h.step();
    h.get_by_label("Create").click();
    wait_until(&mut h, "the new folder, selected", |a| {
        local_selected(a) == ["fresh folder"]
    });
    assert!(local.path().join("fresh folder").is_dir());
}

/// Step the harness until `cond` holds (the watcher answers on its own thread).
fn step_until<S>(h: &mut Harness<'_, S>, what: &str, cond: impl Fn(&S) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while !cond(h.state()) {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        h.step();
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn the_local_pane_notices_files_that_appear_and_go_without_listing_again() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("kept.txt"), b"kept").unwrap();
    let mut pane = PaneState::new(Side::Local);
    let kept = {
        let mut e = entry("kept.txt", Kind::File, 4);
        e.owner = None;
        e
    };
    pane.set_listing(AnyPath::Local(dir.path().to_path_buf()), vec![kept]);
    let mut harness = Harness::builder().with_size([900.0, 500.0]).build_ui_state(
        |ui, s: &mut Screen| {
            let actions = s.pane.ui(ui, &mut s.settings, true);
            s.actions.extend(actions);
        },
        Screen {
            pane,
            settings: PaneSettings::default(),
            actions: Vec::new(),
        },
    );
    harness.run();
    harness.get_by_label("kept.txt").click();
    harness.run();
    // Give the watcher a moment to start before the folder changes.
    harness.step();
    std::fs::write(dir.path().join("arrived.bin"), vec![7u8; 1234]).unwrap();
    step_until(&mut harness, "the new file", |s| {
        s.pane
            .entries()
            .iter()
            .any(|e| &*e.display_name == "arrived.bin")
    });
    let arrived = harness
        .state()
        .pane
        .entries()
        .iter()
        .find(|e| &*e.display_name == "arrived.bin")
        .cloned()
        .unwrap();
    assert_eq!((arrived.kind, arrived.size), (Kind::File, Some(1234)));
    // The selection stays where it was.
    assert_eq!(selected(&harness), ["kept.txt"]);
    std::fs::remove_file(dir.path().join("arrived.bin")).unwrap();
    step_until(&mut harness, "the file gone", |s| {
        !s.pane
            .entries()
            .iter()
            .any(|e| &*e.display_name == "arrived.bin")
    });
    // Names came from the watcher: the pane never asked for the folder again.
    let asked: Vec<_> = actions(&mut harness)
        .into_iter()
        .filter(|a| matches!(a, PaneAction::Navigate(_)))
        .collect();
    assert!(asked.is_empty(), "re-listed: {asked:?}");
}

#[cfg(unix)]
fn id(flag: &str) -> String {
    let out = std::process::Command::new("id").arg(flag).output().unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

#[cfg(unix)]
#[test]
fn local_rows_show_owner_and_group_names() {
    let local = tempfile::tempdir().unwrap();
    std::fs::write(local.path().join("mine.txt"), b"x").unwrap();
    let mut h = app(local.path(), State::default());
    wait_until(&mut h, "the local listing", |a| {
        local_names(a).contains(&"mine.txt".to_string())
    });
    let expected = format!("{} {}", id("-un"), id("-gn"));
    let owner = h.state().local.entries()[0].owner.clone();
    assert_eq!(owner.as_deref(), Some(expected.as_str()));
    assert!(
        h.query_by_label(&expected).is_some(),
        "{expected} shown in the row"
    );
}

#[test]
fn folder_trees_open_lazily_and_a_click_opens_the_folder_in_the_pane() {
    let local = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(local.path().join("alpha/inner-one")).unwrap();
    std::fs::create_dir_all(local.path().join("beta")).unwrap();
    std::fs::write(local.path().join("alpha/file.txt"), b"x").unwrap();
    // Tall enough that /tmp's other folders do not push ours out of sight.
    let mut state = State::default();
    state.local_pane.tree_height = 420.0;
    let mut h = app(local.path(), state);
    wait_until(&mut h, "the local listing", |a| {
        local_names(a).contains(&"alpha".to_string())
    });
    assert!(
        h.query_by_label("Expand alpha").is_none(),
        "no tree until asked for"
    );
    h.get_by_label("View").click();
    h.run_steps(4);
    h.get_by_label("Folder trees").click();
    h.run_steps(2);
    assert!(h.state().state.local_pane.folder_tree && h.state().state.remote_pane.folder_tree);
    // The current folder is open in the tree, with its subfolders from the
    // pane's listing (asked for again now that the tree shows).
    wait_for_label(&mut h, "Expand alpha");
    // The folders above fill in (listed for the tree); then nothing moves.
    wait_until(&mut h, "the folders above listed", |a| {
        !a.local.tree_is_waiting()
    });
    h.run_steps(2);
    assert!(
        h.query_by_label("inner-one").is_none(),
        "alpha not opened yet"
    );
    h.get_by_label("Expand alpha").click();
    // Its subfolders come from a listing asked for now.
    wait_for_label(&mut h, "inner-one");
    // The pane still shows its own folder.
    assert_eq!(
        h.state().local.path(),
        Some(&AnyPath::Local(local.path().to_path_buf()))
    );
    h.get_by_label("inner-one").click();
    wait_until(&mut h, "inner-one listed in the pane", |a| {
        a.local.listing_path() == Some(&AnyPath::Local(local.path().join("alpha/inner-one")))
    });
    // The tree keeps the rest: beta (no longer a row of the pane) is still there.
    assert!(h.query_by_label("beta").is_some());
}

/// Step until a widget with this label exists.
fn wait_for_label<S>(h: &mut Harness<'_, S>, label: &str) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while h.query_by_label(label).is_none() {
        assert!(Instant::now() < deadline, "{label} never showed");
        h.step();
        std::thread::sleep(Duration::from_millis(20));
    }
}
