//! A multi-selection goes to the queue in the order the pane shows it (as FileZilla
//! queues it), whatever order the files were made or listed in: the window against the
//! in-process server, one connection, the uploads' STORs read from the message log.

mod support;

use std::path::Path;

use eframe::egui;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use ferry::ui::app::State;
use ferry::ui::{AppConfig, FerryApp};
use support::server::{ServerOptions, TestServer};
use support::window::{quick_connect_listing, runtime, wait_until};

fn app(local: &Path) -> Harness<'static, FerryApp> {
    let local = local.to_path_buf();
    let mut state = State::default();
    state.queue.concurrency = 1;
    let mut h = Harness::builder()
        .with_size([1280.0, 1024.0])
        .with_step_dt(1.0 / 60.0)
        .build_eframe(move |cc| {
            FerryApp::with_state(
                cc.egui_ctx.clone(),
                state,
                AppConfig {
                    local_start: Some(local),
                    ..AppConfig::default()
                },
            )
            .expect("app starts")
        });
    wait_until(&mut h, "the local listing", |a| {
        a.local.path().is_some() && !a.local.is_loading()
    });
    h
}

/// The names of the files the server was sent (STOR), in order.
fn stored(h: &Harness<'_, FerryApp>) -> Vec<String> {
    h.state()
        .log
        .visible_texts()
        .filter_map(|t| t.strip_prefix("STOR "))
        .map(|p| p.rsplit('/').next().unwrap_or(p).to_string())
        .collect()
}

/// Local files made in neither name nor size order: `(name, size)`.
const FILES: [(&str, usize); 8] = [
    ("m-07.txt", 30),
    ("b-02.txt", 80),
    ("x-11.txt", 10),
    ("a-01.txt", 50),
    ("k-05.txt", 70),
    ("c-03.txt", 20),
    ("z-12.txt", 60),
    ("d-04.txt", 40),
];

/// The app over those files, connected (one transfer at a time, so the
/// STORs come in queue order).
fn connected(local: &Path, server: &TestServer) -> Harness<'static, FerryApp> {
    for (name, size) in FILES {
        std::fs::write(local.join(name), vec![b'x'; size]).unwrap();
    }
    let mut h = app(local);
    quick_connect_listing(&mut h, server, "Auto", &["docs"]);
    h
}

/// The local pane's rows, as shown, of the names in `among`.
fn shown_order(h: &Harness<'_, FerryApp>, among: &[&str]) -> Vec<String> {
    h.state()
        .local
        .visible()
        .iter()
        .map(|e| e.display_name.to_string())
        .filter(|n| among.contains(&n.as_str()))
        .collect()
}

fn wait_for_stors(h: &mut Harness<'_, FerryApp>, n: usize) {
    wait_until(h, "the uploads", |a| {
        stored_count(a) == n && !a.queue.is_running()
    });
}

fn stored_count(a: &FerryApp) -> usize {
    a.log
        .visible_texts()
        .filter(|t| t.starts_with("STOR "))
        .count()
}

#[test]
fn a_selection_uploaded_from_the_menu_is_queued_in_the_order_the_pane_shows() {
    let rt = runtime();
    let server = rt.block_on(TestServer::start(ServerOptions::default()));
    std::fs::create_dir_all(server.path("docs")).unwrap();
    let local = tempfile::tempdir().unwrap();
    let mut h = connected(local.path(), &server);
    // Sorted by size (the local pane's header, left of the remote one's).
    h.get_all_by_label("Size")
        .min_by(|a, b| a.rect().left().total_cmp(&b.rect().left()))
        .unwrap()
        .click();
    h.run_steps(2);
    let names: Vec<&str> = FILES.iter().map(|f| f.0).collect();
    let shown = shown_order(&h, &names);
    let mut by_size = FILES.to_vec();
    by_size.sort_by_key(|f| f.1);
    assert_eq!(
        shown,
        by_size.iter().map(|f| f.0).collect::<Vec<_>>(),
        "the pane shows them by size"
    );

    h.get_by_label("a-01.txt").click();
    h.step();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.step();
    h.get_by_label("a-01.txt").click_secondary();
    h.run_steps(4);
    h.get_by_label("Upload").click();
    wait_for_stors(&mut h, FILES.len());
    assert_eq!(stored(&h), shown, "queued as shown");
}

#[test]
fn a_selection_dragged_to_the_remote_pane_is_queued_in_the_order_the_pane_shows() {
    let rt = runtime();
    let server = rt.block_on(TestServer::start(ServerOptions::default()));
    std::fs::create_dir_all(server.path("docs")).unwrap();
    let local = tempfile::tempdir().unwrap();
    let mut h = connected(local.path(), &server);
    // Picked out of order, from the bottom up (the pane shows names in order).
    let picked = ["z-12.txt", "d-04.txt", "m-07.txt", "b-02.txt"];
    h.get_by_label(picked[0]).click();
    h.step();
    for name in &picked[1..] {
        h.get_by_label(name)
            .click_modifiers(egui::Modifiers::COMMAND);
        h.step();
    }
    let shown = shown_order(&h, &picked);
    assert_eq!(shown, ["b-02.txt", "d-04.txt", "m-07.txt", "z-12.txt"]);

    let from = h.get_by_label("m-07.txt").rect().center();
    let to = h
        .get_all_by_label("docs")
        .max_by(|a, b| a.rect().left().total_cmp(&b.rect().left()))
        .unwrap()
        .rect()
        .center();
    h.hover_at(from);
    h.step();
    h.drag_at(from);
    h.step();
    for i in 1..=5 {
        h.hover_at(from + (to - from) * (i as f32 / 5.0));
        h.step();
    }
    h.drop_at(to);
    wait_for_stors(&mut h, picked.len());
    assert_eq!(stored(&h), shown, "queued as shown");
    assert!(
        server.path("docs/b-02.txt").is_file(),
        "into the folder dropped on"
    );
}
