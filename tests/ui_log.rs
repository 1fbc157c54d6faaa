//! The message log panel, driven through egui_kittest: lines are found by
//! their accessible labels, the filter box and buttons by theirs.

use std::time::SystemTime;

use eframe::egui::{self, Modifiers, OutputCommand, Role};
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use ferry::ftp::log::{LogKind, LogLine};
use ferry::ui::log_view::LogView;

fn line(session: u64, kind: LogKind, text: &str) -> LogLine {
    LogLine {
        session,
        kind,
        time: SystemTime::now(),
        text: text.to_string(),
    }
}

fn harness_with(lines: Vec<LogLine>) -> Harness<'static, LogView> {
    let mut log = LogView::default();
    for l in lines {
        log.push(l);
    }
    let mut harness = Harness::builder()
        .with_size(egui::vec2(900.0, 300.0))
        .build_ui_state(|ui, log: &mut LogView| log.ui(ui), log);
    harness.run();
    harness
}

fn login_lines() -> Vec<LogLine> {
    vec![
        line(1, LogKind::Status, "Connecting to 127.0.0.1:2121"),
        line(1, LogKind::Received, "220 Ferry test server ready"),
        line(1, LogKind::Sent, "USER alice"),
        line(1, LogKind::Received, "331 Password required"),
        line(1, LogKind::Sent, "PASS ****"),
        line(1, LogKind::Received, "230 User logged in"),
        line(1, LogKind::Error, "data connection timed out"),
    ]
}

/// Rows currently in the accessibility tree (only the ones in view are built).
fn row_count(harness: &Harness<'_, LogView>) -> usize {
    harness.query_all_by_role(Role::ListItem).count()
}

/// The text the last frame put on the clipboard, if any.
fn copied(harness: &Harness<'_, LogView>) -> Option<String> {
    harness
        .output()
        .platform_output
        .commands
        .iter()
        .find_map(|c| match c {
            OutputCommand::CopyText(text) => Some(text.clone()),
            _ => None,
        })
}

#[test]
fn each_line_shows_its_time_kind_marker_and_text() {
    let harness = harness_with(login_lines());
    let user = harness.get_by_label_contains("USER alice");
    let label = user.accesskit_node().label().unwrap_or_default();
    let (clock, rest) = label.split_at(8);
    assert!(
        clock.chars().enumerate().all(|(i, c)| if i == 2 || i == 5 {
            c == ':'
        } else {
            c.is_ascii_digit()
        }),
        "{label}"
    );
    assert_eq!(rest, " → USER alice");
    assert!(
        harness
            .get_by_label_contains("331 Password required")
            .accesskit_node()
            .label()
            .unwrap_or_default()
            .contains(" ← 331")
    );
    assert!(harness.query_by_label_contains("• Connecting").is_some());
    assert!(
        harness
            .query_by_label_contains("! data connection")
            .is_some()
    );
    assert_eq!(row_count(&harness), 7);
    assert!(harness.query_by_label_contains("7 lines").is_some());
}

#[test]
fn the_kind_markers_exist_in_the_monospace_font() {
    let harness = harness_with(Vec::new());
    let font = egui::TextStyle::Monospace.resolve(&harness.ctx.global_style());
    assert!(harness.ctx.fonts_mut(|f| f.has_glyphs(&font, "→←•!")));
}

#[test]
fn session_numbers_show_once_a_second_session_logs() {
    let mut harness = harness_with(vec![line(3, LogKind::Sent, "NOOP")]);
    assert!(harness.query_by_label_contains("#3").is_none());
    harness
        .state_mut()
        .push(line(4, LogKind::Sent, "RETR big.iso"));
    harness.run();
    assert!(harness.query_by_label_contains("→ #3 NOOP").is_some());
    assert!(
        harness
            .query_by_label_contains("→ #4 RETR big.iso")
            .is_some()
    );
}

#[test]
fn the_filter_hides_lines_that_do_not_contain_its_text_ignoring_case() {
    let mut harness = harness_with(login_lines());
    let filter = harness.get_by_label("Filter log");
    filter.click();
    filter.type_text("user");
    harness.run();

    assert_eq!(harness.state().filter(), "user");
    assert!(harness.query_by_label_contains("USER alice").is_some());
    assert!(
        harness
            .query_by_label_contains("230 User logged in")
            .is_some()
    );
    assert!(harness.query_by_label_contains("331 Password").is_none());
    assert!(harness.query_by_label_contains("220 Ferry").is_none());
    assert_eq!(row_count(&harness), 2);
    assert!(harness.query_by_label_contains("2 of 7 lines").is_some());

    // New lines are filtered as they arrive.
    harness.state_mut().push(line(1, LogKind::Sent, "QUIT"));
    harness.state_mut().push(line(1, LogKind::Sent, "USER bob"));
    harness.run();
    assert!(harness.query_by_label_contains("QUIT").is_none());
    assert!(harness.query_by_label_contains("USER bob").is_some());

    harness.get_by_label("Clear filter").click();
    harness.run();
    assert_eq!(row_count(&harness), 9);
}

#[test]
fn a_filter_matching_nothing_says_so() {
    let mut harness = harness_with(login_lines());
    harness.state_mut().set_filter("no such text");
    harness.run();
    assert_eq!(row_count(&harness), 0);
    assert!(
        harness
            .query_by_label_contains("No lines contain “no such text”")
            .is_some()
    );
}

#[test]
fn clear_log_empties_the_log() {
    let mut harness = harness_with(login_lines());
    harness.get_by_label("Clear log").click();
    harness.run();
    assert!(harness.state().is_empty());
    assert_eq!(row_count(&harness), 0);
    assert!(harness.query_by_label_contains("No messages yet").is_some());
}

#[test]
fn a_password_is_never_shown_even_if_a_sender_forgot_to_mask_it() {
    let mut harness = harness_with(vec![
        line(1, LogKind::Sent, "USER alice"),
        line(1, LogKind::Sent, "PASS hunter2"),
        line(1, LogKind::Sent, "acct secret-account"),
    ]);
    assert!(harness.query_by_label_contains("→ PASS ****").is_some());
    assert!(harness.query_by_label_contains("→ acct ****").is_some());
    let leaks = harness
        .query_all_by(|node| {
            [node.label(), node.value()]
                .into_iter()
                .flatten()
                .any(|t| t.contains("hunter2") || t.contains("secret-account"))
        })
        .count();
    assert_eq!(leaks, 0);

    harness.get_by_label("Copy").click();
    harness.step();
    let text = copied(&harness).expect("Copy puts the log on the clipboard");
    assert!(
        text.contains("PASS ****") && !text.contains("hunter2"),
        "{text}"
    );
}

#[test]
fn click_and_shift_click_select_a_range_that_copy_puts_on_the_clipboard() {
    let mut harness = harness_with(login_lines());
    harness.get_by_label_contains("USER alice").click();
    harness.run();
    harness
        .get_by_label_contains("PASS ****")
        .click_modifiers(Modifiers::SHIFT);
    harness.run();
    assert_eq!(harness.state().selected_len(), 3);
    assert!(harness.query_by_label_contains("3 selected").is_some());

    harness.get_by_label("Copy").click();
    harness.step();
    let text = copied(&harness).expect("Copy puts the selection on the clipboard");
    let lines: Vec<&str> = text.lines().map(|l| &l[9..]).collect();
    assert_eq!(
        lines,
        ["→ USER alice", "← 331 Password required", "→ PASS ****"]
    );
    assert!(text.ends_with('\n'));
}

#[test]
fn ctrl_click_toggles_single_lines() {
    let mut harness = harness_with(login_lines());
    harness
        .get_by_label_contains("USER alice")
        .click_modifiers(Modifiers::COMMAND);
    harness.run();
    harness
        .get_by_label_contains("230 User")
        .click_modifiers(Modifiers::COMMAND);
    harness.run();
    assert_eq!(harness.state().selected_len(), 2);
    let text = harness.state().copy_text();
    assert!(text.contains("USER alice") && text.contains("230 User") && !text.contains("331"));

    harness
        .get_by_label_contains("USER alice")
        .click_modifiers(Modifiers::COMMAND);
    harness.run();
    assert_eq!(harness.state().selected_len(), 1);
}

#[test]
fn ctrl_c_over_the_log_copies_every_shown_line_when_none_is_selected() {
    let mut harness = harness_with(login_lines());
    harness.get_by_label_contains("USER alice").hover();
    harness.event(egui::Event::Copy);
    harness.step();
    let text = copied(&harness).expect("Ctrl+C over the log copies");
    assert_eq!(text.lines().count(), 7);
    assert!(
        text.lines()
            .next()
            .unwrap()
            .ends_with("• Connecting to 127.0.0.1:2121")
    );
}

#[test]
fn ctrl_c_in_the_filter_box_is_left_to_the_filter_box() {
    let mut harness = harness_with(login_lines());
    let filter = harness.get_by_label("Filter log");
    filter.click();
    filter.type_text("230");
    harness.run();
    harness.event(egui::Event::Copy);
    harness.step();
    assert!(
        copied(&harness).is_none_or(|t| !t.contains("230 User logged in")),
        "the log must not take over Ctrl+C while the filter box has focus"
    );
}

#[test]
fn twenty_thousand_lines_are_kept_and_only_the_visible_rows_are_built() {
    let mut log = LogView::default();
    for i in 0..25_000 {
        log.push(line(1, LogKind::Received, &format!("200 line {i}")));
    }
    assert_eq!(log.len(), 20_000);
    let mut harness = Harness::builder()
        .with_size(egui::vec2(900.0, 300.0))
        .build_ui_state(|ui, log: &mut LogView| log.ui(ui), log);
    harness.run();
    let rows = row_count(&harness);
    assert!(rows > 5 && rows < 60, "{rows} rows built");
    // The log follows the newest line.
    assert!(harness.query_by_label_contains("200 line 24999").is_some());
    assert!(harness.query_by_label_contains("200 line 5000").is_none());
    assert!(harness.query_by_label_contains("20,000 lines").is_some());
}

#[test]
fn scrolling_up_stops_following_and_newest_resumes() {
    let lines = (0..500)
        .map(|i| line(1, LogKind::Received, &format!("200 line {i}")))
        .collect();
    let mut harness = harness_with(lines);
    assert!(harness.query_by_label_contains("200 line 499").is_some());

    let over_rows = harness
        .get_by_label_contains("200 line 499")
        .rect()
        .center();
    harness.event(egui::Event::PointerMoved(over_rows));
    harness.event(egui::Event::MouseWheel {
        unit: egui::MouseWheelUnit::Point,
        delta: egui::vec2(0.0, 600.0),
        phase: egui::TouchPhase::Move,
        source: egui::MouseWheelSource::Wheel,
        modifiers: Modifiers::NONE,
    });
    harness.run();
    assert!(harness.query_by_label_contains("200 line 499").is_none());

    for i in 500..520 {
        harness
            .state_mut()
            .push(line(1, LogKind::Received, &format!("200 line {i}")));
    }
    harness.run();
    assert!(
        harness.query_by_label_contains("200 line 519").is_none(),
        "new lines must not pull the view down while the user reads older ones"
    );

    harness.get_by_label("Jump to newest").click();
    harness.run();
    assert!(harness.query_by_label_contains("200 line 519").is_some());
    assert!(harness.query_by_label("Jump to newest").is_none());

    // Following again: new lines come into view.
    harness
        .state_mut()
        .push(line(1, LogKind::Received, "200 line 520"));
    harness.run();
    assert!(harness.query_by_label_contains("200 line 520").is_some());
}

#[test]
fn an_idle_log_requests_no_repaints() {
    let mut harness = harness_with(login_lines());
    let steps = harness.run();
    assert!(steps <= 2, "{steps} frames for an idle log");
}
