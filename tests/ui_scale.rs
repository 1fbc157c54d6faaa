//! The window at scale, in egui_kittest: the transfer list with 100,000
//! rows sorted by a header click, filtered by path and selected whole with
//! Ctrl+A (actions then act on the rows shown), and a remote folder that
//! streams in slowly: the pane counts its entries, and Cancel (or Esc) stops
//! it, keeps the folder shown before and leaves the session usable.
//! Frame times at this scale are in `benches/`, not here.

mod support;

use std::path::Path;

use eframe::egui;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable};
use ferry::engine::{AnyPath, Command, Direction, JobState, JobView, Priority};
use ferry::ui::app::State;
use ferry::ui::queue_view::{QueueSort, QueueTab, QueueView};
use ferry::ui::{AppConfig, FerryApp};
use support::fake::{FakeServer, NEXT_CONNECTION, Step, engine_open_script};
use support::window::{Panel, queue_panel, quick_connect, remote_names, runtime, wait_until};

const JOBS: u64 = 100_000;

fn panel(view: QueueView) -> Harness<'static, Panel> {
    queue_panel(view, [1400.0, 500.0])
}

/// Sizes in a scrambled order, all different.
fn size_of(id: u64) -> u64 {
    (id * 7919) % JOBS + 1
}

fn job(id: u64, state: JobState) -> JobView {
    JobView {
        id,
        direction: Direction::Download,
        source: AnyPath::Remote(format!("/remote/file{id}.bin").into_bytes()),
        target: AnyPath::Local(format!("/local/file{id}.bin").into()),
        is_dir: false,
        size: Some(size_of(id)),
        bytes: 0,
        state,
        error: None,
        priority: Priority::Normal,
        site: format!("user@server{}:21", id % 3),
        finished: None,
    }
}

fn hundred_thousand(state: JobState) -> QueueView {
    let mut view = QueueView::default();
    let _ = view.update(0.0, (1..=JOBS).map(|id| job(id, state.clone())).collect());
    view
}

/// The job ids of the rows on screen, top to bottom.
fn ids_on_screen(h: &Harness<'_, Panel>) -> Vec<u64> {
    let mut rows: Vec<(f32, u64)> = h
        .query_all_by_label_contains("/local/file")
        .filter_map(|n| {
            // A Label keeps its text in the value.
            let node = n.accesskit_node();
            let label = node.value().or_else(|| node.label())?;
            let id = label.strip_prefix("/local/file")?.strip_suffix(".bin")?;
            Some((n.rect().min.y, id.parse().ok()?))
        })
        .collect();
    rows.sort_by(|a, b| a.0.total_cmp(&b.0));
    rows.into_iter().map(|(_, id)| id).collect()
}

fn type_filter(h: &mut Harness<'_, Panel>, text: &str) {
    h.get_by_label("Filter:").click();
    h.run();
    h.get_by_label("Filter:").type_text(text);
    h.run();
}

#[test]
fn a_header_click_sorts_100k_rows_and_the_next_click_reverses_them() {
    let mut h = panel(hundred_thousand(JobState::Queued));
    assert_eq!(ids_on_screen(&h)[..3], [1, 2, 3], "queue order first");

    h.get_by_label("Size").click();
    h.run();
    assert_eq!(h.state().view.sort, Some((QueueSort::Size, true)));
    let shown = ids_on_screen(&h);
    assert!(shown.len() >= 5, "{shown:?}");
    let sizes: Vec<u64> = shown.iter().map(|&id| size_of(id)).collect();
    assert_eq!(sizes[..5], [1, 2, 3, 4, 5], "smallest first: {shown:?}");

    h.get_by_label("Size").click();
    h.run();
    let sizes: Vec<u64> = ids_on_screen(&h).iter().map(|&id| size_of(id)).collect();
    assert_eq!(sizes[..3], [JOBS, JOBS - 1, JOBS - 2], "largest first");

    // A job that arrives takes its place in the sorted rows.
    let mut huge = job(JOBS + 1, JobState::Queued);
    huge.size = Some(u64::MAX);
    let _ = h.state_mut().view.update(1.0, vec![huge]);
    h.run();
    assert_eq!(ids_on_screen(&h)[0], JOBS + 1);

    // Natural order by path: file2 before file10.
    h.get_by_label("Local").click();
    h.run();
    assert_eq!(ids_on_screen(&h)[..3], [1, 2, 3]);
    h.get_by_label("Local").click();
    h.run();
    assert_eq!(ids_on_screen(&h)[0], JOBS + 1);
    // The third click goes back to the queue's order.
    h.get_by_label("Local").click();
    h.run();
    assert_eq!(h.state().view.sort, None);
    assert_eq!(ids_on_screen(&h)[..3], [1, 2, 3]);
}

#[test]
fn sorting_by_state_puts_running_jobs_first_and_follows_state_changes() {
    let mut h = panel(hundred_thousand(JobState::Queued));
    h.get_by_label("State").click();
    h.run();
    assert_eq!(ids_on_screen(&h)[..2], [1, 2]);
    let _ = h
        .state_mut()
        .view
        .update(1.0, vec![job(77_777, JobState::Running)]);
    h.run();
    assert_eq!(ids_on_screen(&h)[..2], [77_777, 1], "the running job leads");
}

#[test]
fn the_filter_narrows_100k_rows_by_path_and_clearing_it_brings_them_back() {
    let mut h = panel(hundred_thousand(JobState::Queued));
    type_filter(&mut h, "FILE4242");
    // file4242 and file42420 … file42429, matched in any case.
    assert!(
        h.query_by_label("showing 11 of 100,000").is_some(),
        "{:?}",
        ids_on_screen(&h)
    );
    let mut shown = ids_on_screen(&h);
    shown.sort_unstable();
    let mut want: Vec<u64> = (42420..=42429).collect();
    want.insert(0, 4242);
    assert_eq!(shown, want);

    // One more character: only the rows shown can still match.
    h.get_by_label("Filter:").type_text(".");
    h.run();
    assert_eq!(ids_on_screen(&h), [4242]);
    assert!(h.query_by_label("showing 1 of 100,000").is_some());

    // The remote path matches too.
    h.state_mut().view.filter = "remote/file99999.".into();
    h.run();
    assert_eq!(ids_on_screen(&h), [99_999]);

    h.state_mut().view.filter = "no such file".into();
    h.run();
    assert!(
        h.query_by_label("No transfers in this tab match the filter")
            .is_some()
    );

    h.get_by_label("Clear").click();
    h.run();
    assert_eq!(h.state().view.filter, "");
    assert_eq!(ids_on_screen(&h)[..3], [1, 2, 3]);
}

#[test]
fn ctrl_a_selects_every_row_shown_and_the_menu_acts_on_those_only() {
    let mut view = hundred_thousand(JobState::Failed);
    view.tab = QueueTab::Failed;
    let mut h = panel(view);
    // A click on a row gives the panel the keyboard.
    h.get_by_label("/local/file1.bin").click();
    h.run();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.run();
    assert_eq!(h.state().view.selected.len(), JOBS as usize);

    // Filtered down to 11 rows: Retry and Remove act on those 11, not on
    // the selected rows the filter hides.
    type_filter(&mut h, "file4242");
    h.get_by_label("/local/file4242.bin").click_secondary();
    h.run();
    h.get_by_label("Remove 11 jobs").click();
    h.run();
    let removed = h.state().commands.iter().find_map(|c| match c {
        Command::RemoveJobs { ids } => Some(ids.clone()),
        _ => None,
    });
    let mut removed = removed.expect("a RemoveJobs command");
    removed.sort_unstable();
    let mut want: Vec<u64> = (42420..=42429).collect();
    want.insert(0, 4242);
    assert_eq!(removed, want);

    // Ctrl+A with the filter on selects the rows it shows.
    h.state_mut().view.selected.clear();
    h.get_by_label("/local/file42425.bin").click();
    h.run();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.run();
    assert_eq!(h.state().view.selected.len(), 11);
}

// ------------------------------------------------------------------------------------------------
// A big folder streaming in, in the whole window
// ------------------------------------------------------------------------------------------------

fn app(local: &Path) -> Harness<'static, FerryApp> {
    let local = local.to_path_buf();
    let mut h = Harness::builder()
        .with_size([1280.0, 800.0])
        .with_step_dt(1.0 / 60.0)
        .build_eframe(move |cc| {
            FerryApp::with_state(
                cc.egui_ctx.clone(),
                State::default(),
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

fn listing_lines(n: usize, prefix: &str) -> Vec<u8> {
    (0..n)
        .flat_map(|i| format!("-rw-r--r-- 1 u g 5 Jan  1  2024 {prefix}{i}.txt\r\n").into_bytes())
        .collect()
}

/// Home lists one file; `/big` sends 50,000 entries and stalls until the
/// client closes the data connection, then ABOR is answered; then the
/// home folder is listed again (Refresh) on the same connection.
fn slow_big_folder_script() -> Vec<Step> {
    let send = |s: &str| Step::Send(s.as_bytes().to_vec());
    let expect = |s: &str| Step::Expect(s.to_string());
    let mut steps = engine_open_script();
    steps.extend([
        expect("EPSV"),
        Step::EpsvReply,
        expect("LIST /"),
        send("150 here\r\n"),
        Step::DataSend(b"-rw-r--r-- 1 u g 5 Jan  1  2024 home.txt\r\n".to_vec()),
        send("226 done\r\n"),
        expect("EPSV"),
        Step::EpsvReply,
        expect("LIST /big"),
        send("150 here comes a lot\r\n"),
        Step::DataSendAndHold(listing_lines(50_000, "big")),
        Step::WaitDataClosed,
        expect("ABOR"),
        expect("PWD"),
        send("426 Connection closed; transfer aborted.\r\n226 ABOR successful\r\n257 \"/\"\r\n"),
        expect("EPSV"),
        Step::EpsvReply,
        expect("LIST /"),
        send("150 here\r\n"),
        Step::DataSend(listing_lines(2, "again")),
        send("226 done\r\n"),
        Step::Hold,
    ]);
    steps
}

#[test]
fn a_folder_streaming_in_shows_its_count_and_cancel_keeps_the_folder_shown_before() {
    let rt = runtime();
    let fake = rt.block_on(FakeServer::start(slow_big_folder_script()));
    let local = tempfile::tempdir().unwrap();
    let mut h = app(local.path());
    quick_connect(&mut h, fake.addr.port(), "user", "pw", "Auto");
    wait_until(&mut h, "the home listing", |a| {
        remote_names(a) == ["home.txt"]
    });

    h.state_mut().navigate(AnyPath::Remote(b"/big".to_vec()));
    wait_until(&mut h, "the count of the streaming listing", |a| {
        a.remote.streamed().is_some_and(|n| n > 0)
    });
    let count = h.state().remote.streamed().unwrap_or_default();
    let label = format!("Listing… {} entries", ferry::ui::format::thousands(count));
    assert!(
        h.query_by_label(&label).is_some(),
        "the pane says {label:?}"
    );
    // Still the home folder's rows while the other one loads.
    assert_eq!(remote_names(h.state()), ["home.txt"]);

    h.get_by_label("Cancel").click();
    h.step();
    assert!(!h.state().remote.is_loading(), "no longer waiting");
    assert_eq!(
        h.state().remote.path(),
        Some(&AnyPath::Remote(b"/".to_vec())),
        "back in the folder shown before"
    );
    assert_eq!(remote_names(h.state()), ["home.txt"]);
    assert!(h.state().banner.is_none(), "{:?}", h.state().banner);

    // The session still works: the folder lists again.
    h.state_mut().navigate(AnyPath::Remote(b"/".to_vec()));
    wait_until(&mut h, "the listing after the cancel", |a| {
        remote_names(a) == ["again0.txt", "again1.txt"]
    });
    assert!(matches!(
        h.state().connection,
        ferry::ui::app::Connection::Connected { .. }
    ));
    drop(h);
    let report = rt.block_on(fake.finish());
    assert!(
        !report.commands.iter().any(|c| c == NEXT_CONNECTION),
        "cancelled without reconnecting: {:?}",
        report.commands
    );
}

#[test]
fn esc_cancels_a_folder_that_is_loading() {
    let rt = runtime();
    let fake = rt.block_on(FakeServer::start(slow_big_folder_script()));
    let local = tempfile::tempdir().unwrap();
    let mut h = app(local.path());
    quick_connect(&mut h, fake.addr.port(), "user", "pw", "Auto");
    wait_until(&mut h, "the home listing", |a| {
        remote_names(a) == ["home.txt"]
    });
    h.state_mut().active = ferry::engine::Side::Remote;
    h.state_mut().navigate(AnyPath::Remote(b"/big".to_vec()));
    wait_until(&mut h, "the streaming listing", |a| {
        a.remote.streamed().is_some()
    });
    h.key_press(egui::Key::Escape);
    h.step();
    assert!(!h.state().remote.is_loading());
    assert_eq!(
        h.state().remote.path(),
        Some(&AnyPath::Remote(b"/".to_vec()))
    );
    h.state_mut().navigate(AnyPath::Remote(b"/".to_vec()));
    wait_until(&mut h, "the listing after Esc", |a| {
        remote_names(a) == ["again0.txt", "again1.txt"]
    });
}
