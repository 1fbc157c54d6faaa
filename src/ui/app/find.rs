//! Find files: opening the window on a pane, starting its search on a
//! connection (or thread) of its own, and carrying out what is asked from
//! its results.

use super::*;
use crate::engine::find::{self, FindRoot};
use crate::ui::find_window::FindIntent;

impl FerryApp {
    /// Ctrl+F: open Find files on `side`'s folder.
    pub(super) fn open_find(&mut self, side: Side) {
        let Some(folder) = self.pane(side).listing_path().cloned() else {
            self.notice = Some(match side {
                Side::Remote => "Connect to a server first, then search its folders".into(),
                Side::Local => "The local pane has no folder to search yet".into(),
            });
            return;
        };
        let charset = self
            .last_request
            .as_ref()
            .map(|r| r.options.charset)
            .unwrap_or_default();
        self.find.open_for(side, folder, charset);
    }

    pub(super) fn apply_find(&mut self, intent: FindIntent, ctx: &egui::Context) {
        match intent {
            FindIntent::Start(options) => {
                let root = match self.find.folder.clone() {
                    Some(AnyPath::Local(dir)) => FindRoot::Local(dir),
                    Some(AnyPath::Remote(folder)) => {
                        let live = matches!(self.connection, Connection::Connected { .. });
                        let Some(request) = self.last_request.as_ref().filter(|_| live) else {
                            self.find.failed_to_start(
                                "Not connected: connect to the server again, then Start".into(),
                            );
                            return;
                        };
                        FindRoot::Remote {
                            login: Box::new(request.options.clone()),
                            folder,
                        }
                    }
                    None => {
                        self.find
                            .failed_to_start("No folder to search: open one in a pane".into());
                        return;
                    }
                };
                let waker = ctx.clone();
                let searching =
                    find::spawn(root, *options, Arc::new(move || waker.request_repaint()));
                self.find.begin(searching);
            }
            FindIntent::Transfer(items) => {
                let other = match self.find.side {
                    Side::Local => Side::Remote,
                    Side::Remote => Side::Local,
                };
                match self.pane(other).path().cloned() {
                    Some(target) => self.enqueue(items, target),
                    None => {
                        self.notice = Some("The other pane has no folder to transfer to".into())
                    }
                }
            }
            FindIntent::Delete(items) => {
                self.find.remove_results(&items);
                self.send(Command::Delete { paths: items });
            }
            FindIntent::OpenFolder { folder, name } => {
                let side = folder.side();
                self.active = side;
                self.navigate(folder);
                self.pane_mut(side).reveal(&name);
            }
            FindIntent::CopyPaths(paths) => {
                let text: Vec<String> = paths.iter().map(|p| self.path_for_clipboard(p)).collect();
                ctx.copy_text(text.join("\n"));
                self.notice = Some(format!(
                    "Copied {}",
                    crate::ui::format::count(text.len() as u64, "path", "paths")
                ));
            }
        }
    }
}
