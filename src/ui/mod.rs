//! The desktop window (eframe/egui). It renders state and turns clicks into
//! engine commands; it never touches a socket or blocks on the disk.

pub mod actions;
pub mod app;
pub mod bookmarks_dialog;
pub mod cert_dialog;
pub mod connect_dialog;
pub mod connect_form;
pub mod edit_list;
pub mod filters_dialog;
pub mod find_window;
pub mod folder_tree;
pub mod fonts;
pub mod format;
pub mod job;
pub mod keyring_worker;
pub mod log_view;
pub mod pane;
pub mod per_side;
pub mod permissions_dialog;
pub mod preferences;
pub mod queue_view;
pub mod quick_connect;
pub mod repaint;
pub mod site_manager;
pub mod sites_writer;
pub mod sync_browse;
pub mod sync_dialog;
pub mod test_view;
pub mod toolbar;

use std::process::ExitCode;

pub use app::{AppConfig, DemoLogin, FerryApp, SitesConfig};

/// Open the window (with the embedded demo server when `demo`), and run
/// until it is closed.
pub fn run(demo: bool) -> ExitCode {
    let demo_server = if demo {
        match crate::demo::DemoServer::start_background() {
            Ok(d) => Some(d),
            Err(e) => {
                eprintln!("ferry: could not start the demo server: {e}");
                return ExitCode::FAILURE;
            }
        }
    } else {
        None
    };
    let config = AppConfig {
        demo: demo_server.as_ref().map(|d| DemoLogin {
            host: d.addr.ip().to_string(),
            port: d.addr.port(),
            user: d.user.clone(),
            password: d.password.clone(),
        }),
        local_start: None,
        // The demo server lives only as long as this run: its queue is not kept.
        queue_file: (!demo)
            .then(|| eframe::storage_dir("ferry").map(|d| d.join("queue.json")))
            .flatten(),
        // The demo server's folders are gone after the run: no sync state for them.
        sync_state_dir: (!demo).then(crate::sync::state::default_data_dir).flatten(),
        prefs_file: crate::sites::default_config_dir()
            .ok()
            .map(|d| d.join(crate::prefs::PREFS_FILE)),
        sites: match crate::sites::default_config_dir() {
            Ok(dir) => Some(SitesConfig {
                // The OS keyring; without one, the encrypted password file.
                secrets: std::sync::Arc::new(crate::sites::KeyringOrFile::new(
                    crate::sites::PasswordFile::new(dir.join(crate::sites::PASSWORD_FILE)),
                )),
                dir,
            }),
            Err(e) => {
                eprintln!("ferry: saved sites are unavailable: {e}");
                None
            }
        },
    };
    let options = eframe::NativeOptions {
        viewport: eframe::egui::ViewportBuilder::default()
            .with_title("Ferry")
            .with_app_id("ferry")
            .with_inner_size([1200.0, 760.0])
            .with_min_inner_size([640.0, 400.0])
            .with_icon(app_icon()),
        persist_window: true,
        // Ferry adds the system fonts itself (ui/fonts.rs), without waiting.
        system_font_fallback: false,
        ..Default::default()
    };
    let result = eframe::run_native(
        "Ferry",
        options,
        Box::new(move |cc| Ok(Box::new(FerryApp::new(cc, config)?))),
    );
    drop(demo_server);
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ferry: could not open the window: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Ferry's icon for the window (assets/ferry.svg, rendered to PNG).
fn app_icon() -> eframe::egui::IconData {
    eframe::icon_data::from_png_bytes(include_bytes!("../../assets/icons/ferry-256.png"))
        // The PNG is built in; its test decodes it, so this default is never used.
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_built_in_icon_decodes() {
        let icon = super::app_icon();
        assert_eq!((icon.width, icon.height), (256, 256));
        assert_eq!(icon.rgba.len(), 256 * 256 * 4);
    }
}
