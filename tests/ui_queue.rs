//! The transfer list in egui_kittest: rows clicked anywhere, the menu's
//! Remove / Select all / Clear all, done rows' speed, duration and finish
//! time, the one rate estimator (no figure while nothing moves), the graph's
//! empty state, and no repaint asked for every frame.

mod support;

use std::time::{Duration, SystemTime};

use eframe::egui;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable};
use ferry::engine::{AnyPath, Command, Conflict, Direction, Finished, JobState, JobView, Priority};
use ferry::ui::format::human_size;
use ferry::ui::queue_view::QueueView;
use support::window::{Panel, queue_panel};

fn harness(view: QueueView) -> Harness<'static, Panel> {
    queue_panel(view, [1200.0, 400.0])
}

fn job(id: u64, state: JobState, size: u64, bytes: u64) -> JobView {
    JobView {
        id,
        direction: Direction::Download,
        source: AnyPath::Remote(format!("/remote/file{id}.bin").into_bytes()),
        target: AnyPath::Local(format!("/local/file{id}.bin").into()),
        is_dir: false,
        size: Some(size),
        bytes,
        state,
        error: None,
        priority: Priority::Normal,
        site: "u@h:21".into(),
        finished: None,
    }
}

fn three_queued() -> QueueView {
    let mut view = QueueView::default();
    let _ = view.update(
        0.0,
        (1..=3)
            .map(|id| job(id, JobState::Queued, 100, 0))
            .collect(),
    );
    view
}

/// The first node with this exact label (a tooltip may repeat it).
fn click_text(h: &mut Harness<'_, Panel>, text: &str, modifiers: egui::Modifiers) {
    let node = h
        .get_all_by_label(text)
        .next()
        .unwrap_or_else(|| panic!("no {text:?} on screen"));
    node.click_modifiers(modifiers);
    h.run();
}

#[test]
fn a_click_on_a_rows_text_selects_the_row_and_modifiers_add_or_extend() {
    let mut h = harness(three_queued());
    click_text(&mut h, "/local/file2.bin", egui::Modifiers::NONE);
    assert_eq!(
        h.state().view.selected.iter().copied().collect::<Vec<_>>(),
        [2],
        "a click on the path text selects its row"
    );
    click_text(&mut h, "/remote/file3.bin", egui::Modifiers::COMMAND);
    assert_eq!(
        h.state().view.selected.iter().copied().collect::<Vec<_>>(),
        [2, 3]
    );
    click_text(&mut h, "Queued", egui::Modifiers::NONE);
    click_text(&mut h, "/local/file1.bin", egui::Modifiers::NONE);
    click_text(&mut h, "/local/file3.bin", egui::Modifiers::SHIFT);
    assert_eq!(
        h.state().view.selected.iter().copied().collect::<Vec<_>>(),
        [1, 2, 3],
        "Shift+click selects the range"
    );
}

#[test]
fn a_right_click_on_a_rows_text_opens_its_menu_and_remove_asks_the_engine() {
    let mut h = harness(three_queued());
    let node = h.get_all_by_label("/remote/file2.bin").next().unwrap();
    node.click_secondary();
    h.run();
    assert_eq!(
        h.state().view.selected.iter().copied().collect::<Vec<_>>(),
        [2],
        "the row under the pointer is the menu's"
    );
    h.get_by_label("Remove").click();
    h.run();
    assert!(
        h.state()
            .commands
            .iter()
            .any(|c| matches!(c, Command::RemoveJobs { ids } if ids == &[2])),
        "{:?}",
        h.state().commands
    );

    // Select all, then Clear all stops and removes every job.
    h.get_all_by_label("/local/file1.bin")
        .next()
        .unwrap()
        .click_secondary();
    h.run();
    h.get_by_label("Select all").click();
    h.run();
    assert_eq!(h.state().view.selected.len(), 3);
    h.get_all_by_label("/local/file1.bin")
        .next()
        .unwrap()
        .click_secondary();
    h.run();
    h.get_by_label("Remove 3 jobs").click();
    h.run();
    h.get_all_by_label("/local/file1.bin")
        .next()
        .unwrap()
        .click_secondary();
    h.run();
    h.get_by_label_contains("Clear all").click();
    h.run();
    let commands = &h.state().commands;
    assert!(
        commands
            .iter()
            .any(|c| matches!(c, Command::RemoveJobs { ids } if ids == &[1, 2, 3])),
        "{commands:?}"
    );
    assert!(
        commands
            .iter()
            .any(|c| matches!(c, Command::RemoveJobs { ids } if ids.is_empty())),
        "{commands:?}"
    );
}

#[test]
fn a_done_row_shows_its_speed_duration_and_finish_time() {
    let mut view = QueueView::default();
    let mut done = job(1, JobState::Done, 4_000_000, 4_000_000);
    let at = SystemTime::now();
    done.finished = Some(Finished {
        at,
        took: Duration::from_millis(2500),
        moved: 4_000_000,
    });
    let _ = view.update(0.0, vec![done]);
    view.tab = ferry::ui::queue_view::QueueTab::Done;
    let h = harness(view);
    let speed = format!("{}/s", human_size(1_600_000));
    assert!(h.query_by_label(&speed).is_some(), "speed {speed}");
    assert!(h.query_by_label("2.5 s").is_some(), "duration");
    let hhmmss = chrono::DateTime::<chrono::Local>::from(at)
        .format("%H:%M:%S")
        .to_string();
    assert!(
        h.query_by_label(&format!("Done at {hhmmss}")).is_some(),
        "finish time"
    );
}

#[test]
fn the_idle_graph_says_no_transfers_and_a_paused_one_says_paused() {
    let h = harness(QueueView::default());
    assert!(h.query_by_label("no transfers").is_some());

    let mut view = three_queued();
    view.paused = true;
    let h = harness(view);
    assert!(h.query_by_label("paused").is_some());
}

/// A view with one job moving 1 MB/s for two seconds.
fn moving() -> QueueView {
    let mut view = QueueView::default();
    let _ = view.update(0.0, vec![job(1, JobState::Running, 100_000_000, 0)]);
    for i in 1..=20u64 {
        view.progress(i as f64 * 0.1, &[(1, i * 100_000)]);
    }
    view
}

fn labels_with(h: &Harness<'_, Panel>, text: &str) -> Vec<String> {
    h.query_all_by_label_contains(text)
        .map(|n| n.accesskit_node().label().unwrap_or_default())
        .collect()
}

#[test]
fn a_moving_job_shows_one_rate_and_a_paused_queue_shows_none() {
    let h = harness(moving());
    let rate = format!("{}/s", human_size(1_000_000));
    // The row and the summary, from one estimator.
    assert_eq!(
        labels_with(&h, &rate).len(),
        2,
        "{:?}",
        labels_with(&h, "/s")
    );
    assert!(!labels_with(&h, " left").is_empty());

    let mut view = moving();
    view.paused = true;
    let h = harness(view);
    assert!(
        labels_with(&h, "/s").is_empty(),
        "{:?}",
        labels_with(&h, "/s")
    );
    assert!(labels_with(&h, " left").is_empty());
}

#[test]
fn no_rate_or_time_left_while_the_only_job_waits_for_an_answer() {
    let mut view = moving();
    let _ = view.update(2.1, vec![job(1, JobState::Asking, 100_000_000, 2_000_000)]);
    view.conflicts.push_back(Conflict {
        id: 1,
        direction: Direction::Download,
        source: AnyPath::Remote(b"/remote/file1.bin".to_vec()),
        target: AnyPath::Local("/local/file1.bin".into()),
        source_size: Some(100_000_000),
        source_time: None,
        target_size: Some(5),
        target_time: None,
    });
    let h = harness(view);
    assert!(
        labels_with(&h, "/s").is_empty(),
        "{:?}",
        labels_with(&h, "/s")
    );
    assert!(labels_with(&h, " left").is_empty());
    assert!(h.query_by_label("waiting for your answer").is_some());
    let status = h.state().view.status().unwrap_or_default();
    assert!(
        !status.contains("/s") && status.contains("waiting for your answer"),
        "{status}"
    );
}

#[test]
fn the_panel_asks_for_no_repaint_of_its_own_while_jobs_run() {
    let mut h = harness(moving());
    // Hovering the rows and the graph must not keep the frames coming either.
    for text in ["/local/file1.bin", "Transferring"] {
        h.get_all_by_label(text).next().unwrap().hover();
        assert!(
            h.try_run().is_ok(),
            "the panel repaints every frame while hovering {text}"
        );
    }
    // More progress arrives: one frame draws it, then all is quiet.
    h.state_mut().view.progress(2.1, &[(1, 2_100_000)]);
    assert!(h.try_run().is_ok());
    assert_eq!(
        h.output()
            .viewport_output
            .values()
            .next()
            .map(|v| v.repaint_delay),
        Some(Duration::MAX),
        "no repaint is scheduled"
    );
}
