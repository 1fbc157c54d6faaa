//! Helpers for the window tests: the app in egui_kittest, waiting for the
//! engine (which answers on other threads), and reading the remote pane.

use std::time::{Duration, Instant};

use egui_kittest::Harness;
use ferry::ui::FerryApp;

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

/// The names the remote pane lists.
pub fn remote_names(app: &FerryApp) -> Vec<String> {
    app.remote
        .entries()
        .iter()
        .map(|e| e.display_name.clone())
        .collect()
}
