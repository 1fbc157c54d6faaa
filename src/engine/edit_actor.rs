//! The edit-in-place task: one per engine. It owns every file being edited
//! (its private folder, its watcher, what the server had), runs downloads
//! and uploads on connections of their own (so browsing and the queue are
//! never held up), and reports each change of a file as an
//! [`EditEvent::Changed`].

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use notify_debouncer_mini::notify::{RecommendedWatcher, RecursiveMode};
use notify_debouncer_mini::{DebounceEventResult, Debouncer, new_debouncer};
use tokio::sync::mpsc;

use super::Outbox;
use super::edit::{
    EditCommand, EditEvent, EditState, EditView, Hash, Sent, Stamp, copy_path, fetch, hash_file,
    launch, private_folder, send_back,
};
use super::protocol::{Event, Side};
use crate::ftp::log::{LogKind, LogLine};
use crate::ftp::{ConnectOptions, Session};
use crate::prefs::EditorCommand;

/// How long the watcher waits for a save to settle (editors write in steps).
const SETTLE: Duration = Duration::from_millis(300);

/// The private folders of the files being edited. The engine holds a clone
/// and empties it when it is dropped, so the copies are removed when Ferry
/// quits even though the task itself may never run again.
#[derive(Clone, Default)]
pub struct TempCopies(Arc<Mutex<HashMap<u64, tempfile::TempDir>>>);

impl TempCopies {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, tempfile::TempDir>> {
        // A poisoned lock still holds whole entries.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Delete every copy and its folder.
    pub fn remove_all(&self) {
        self.lock().clear();
    }
}

/// Sends commands to the edit task.
pub(super) struct EditHandle {
    tx: mpsc::UnboundedSender<Msg>,
}

impl EditHandle {
    /// `options` are the browsing connection's: a file opened now stays
    /// with that server whatever is connected later.
    pub(super) fn send(&self, command: EditCommand, options: Option<ConnectOptions>) {
        // A closed channel means the engine is shutting down.
        let _ = self.tx.send(Msg::Command(Box::new((command, options))));
    }
}

/// Start the task; its copies live in `copies`.
pub(super) fn spawn(out: Outbox, copies: TempCopies) -> EditHandle {
    let (tx, rx) = mpsc::unbounded_channel();
    let actor = Actor {
        edits: HashMap::new(),
        next_id: 1,
        tx: tx.clone(),
        out,
        copies,
    };
    tokio::spawn(actor.run(rx));
    EditHandle { tx }
}

enum Msg {
    Command(Box<(EditCommand, Option<ConnectOptions>)>),
    /// The watcher saw the copy of this edit change.
    Saved(u64),
    /// A download ended: what the server had and the copy's hash.
    Fetched(u64, Result<(Stamp, Hash), String>),
    /// An upload of the copy with this hash ended.
    Sent(u64, Hash, Result<Sent, String>),
    /// Starting the editor failed.
    NotLaunched(u64, String),
}

struct Edit {
    view: EditView,
    options: ConnectOptions,
    editor: Option<EditorCommand>,
    /// The server's file as last downloaded or uploaded.
    stamp: Stamp,
    /// The copy's content as last downloaded, uploaded or discarded: a save
    /// with the same content is no change.
    hash: Option<Hash>,
    watcher: Option<Debouncer<RecommendedWatcher>>,
    /// A download or upload is running.
    busy: bool,
    /// A save came while busy: look again when it ends.
    saved_while_busy: bool,
    /// The first download: open the editor when it ends.
    first: bool,
}

struct Actor {
    edits: HashMap<u64, Edit>,
    next_id: u64,
    tx: mpsc::UnboundedSender<Msg>,
    out: Outbox,
    copies: TempCopies,
}

impl Actor {
    async fn run(mut self, mut rx: mpsc::UnboundedReceiver<Msg>) {
        while let Some(msg) = rx.recv().await {
            match msg {
                Msg::Command(c) => {
                    let (command, options) = *c;
                    self.command(command, options)
                }
                Msg::Saved(id) => self.saved(id).await,
                Msg::Fetched(id, result) => self.fetched(id, result),
                Msg::Sent(id, hash, result) => self.sent(id, hash, result).await,
                Msg::NotLaunched(id, why) => {
                    if let Some(edit) = self.edits.get_mut(&id) {
                        edit.view.state = EditState::Failed(why);
                        let view = edit.view.clone();
                        self.report(view);
                    }
                }
            }
        }
    }

    fn report(&self, view: EditView) {
        self.out
            .send(Event::Edit(EditEvent::Changed(Box::new(view))));
    }

    fn report_id(&self, id: u64) {
        if let Some(edit) = self.edits.get(&id) {
            self.report(edit.view.clone());
        }
    }

    fn command(&mut self, command: EditCommand, options: Option<ConnectOptions>) {
        match command {
            EditCommand::Open {
                remote,
                editor,
                watch,
            } => self.open(remote, editor, watch, options),
            EditCommand::Upload {
                id,
                always,
                overwrite,
            } => {
                if let Some(edit) = self.edits.get_mut(&id) {
                    edit.view.always |= always;
                }
                self.upload(id, overwrite, false);
            }
            EditCommand::KeepBoth { id } => self.upload(id, true, true),
            EditCommand::Discard { id } => {
                let Some(edit) = self.edits.get_mut(&id) else {
                    return;
                };
                if edit.busy {
                    return;
                }
                // This content is now "seen": only a later save asks again.
                edit.hash = hash_file(&edit.view.local).ok().or(edit.hash);
                edit.view.unsent = false;
                edit.view.state = EditState::Watching;
                self.report_id(id);
            }
            EditCommand::DownloadTheirs { id } => self.download(id),
            EditCommand::Stop { id } => {
                if let Some(edit) = self.edits.remove(&id) {
                    drop(edit.watcher);
                    // Dropping the folder deletes it with the copy.
                    self.copies.lock().remove(&id);
                    self.out.send(Event::Edit(EditEvent::Removed(id)));
                }
            }
            EditCommand::OpenLocal { path, editor } => {
                let out = self.out.clone();
                tokio::task::spawn_blocking(move || {
                    if let Err(why) = launch(editor.as_ref(), &path) {
                        out.send(Event::OperationFailed {
                            side: Side::Local,
                            message: format!("{why}: {}", path.display()),
                        });
                    }
                });
            }
            EditCommand::ShowFolder { id } => {
                let Some(folder) = self
                    .edits
                    .get(&id)
                    .and_then(|e| e.view.local.parent().map(PathBuf::from))
                else {
                    return;
                };
                let out = self.out.clone();
                tokio::task::spawn_blocking(move || {
                    if let Err(e) = opener::open(&folder) {
                        out.send(Event::Log(LogLine {
                            session: 0,
                            kind: LogKind::Error,
                            time: std::time::SystemTime::now(),
                            text: format!(
                                "Could not show the folder in the file manager ({e}): {}",
                                folder.display()
                            ),
                        }));
                    }
                });
            }
        }
    }

    fn open(
        &mut self,
        remote: Vec<u8>,
        editor: Option<EditorCommand>,
        watch: bool,
        options: Option<ConnectOptions>,
    ) {
        let Some(options) = options else {
            self.out.send(Event::OperationFailed {
                side: Side::Remote,
                message: "not connected; connect to a server first".into(),
            });
            return;
        };
        // An edit already open for the same file on the same server is not
        // opened twice: its editor is shown again.
        let server = options.user_at();
        if let Some(edit) = self
            .edits
            .values()
            .find(|e| e.view.server == server && e.view.remote == remote && e.view.watched == watch)
        {
            let _ = launch(edit.editor.as_ref(), &edit.view.local);
            return;
        }
        let local = private_folder()
            .map_err(|e| format!("could not make a private temporary folder: {e}"))
            .and_then(|dir| {
                let path = copy_path(dir.path(), &remote, &options.charset)?;
                Ok((dir, path))
            });
        let (dir, local) = match local {
            Ok(pair) => pair,
            Err(message) => {
                self.out.send(Event::OperationFailed {
                    side: Side::Remote,
                    message,
                });
                return;
            }
        };
        let id = self.next_id;
        self.next_id += 1;
        self.copies.lock().insert(id, dir);
        let edit = Edit {
            view: EditView {
                id,
                server,
                remote,
                local,
                state: EditState::Downloading,
                always: false,
                watched: watch,
                unsent: false,
            },
            options,
            editor,
            stamp: Stamp::default(),
            hash: None,
            watcher: None,
            busy: false,
            saved_while_busy: false,
            first: true,
        };
        self.edits.insert(id, edit);
        self.download(id);
    }

    /// Download (again) the server's file over the copy.
    fn download(&mut self, id: u64) {
        let Some(edit) = self.edits.get_mut(&id) else {
            return;
        };
        if edit.busy {
            return;
        }
        edit.busy = true;
        edit.view.state = EditState::Downloading;
        let options = edit.options.clone();
        let remote = edit.view.remote.clone();
        let local = edit.view.local.clone();
        let read_only = !edit.view.watched;
        let log = self.out.plain_log_sink();
        let tx = self.tx.clone();
        self.report_id(id);
        tokio::spawn(async move {
            let result = async {
                let mut session = Session::connect(options, log).await?;
                let got = fetch(&mut session, &remote, &local, read_only).await;
                let _ = session.quit().await;
                got
            }
            .await
            .map_err(|e| e.to_string());
            let _ = tx.send(Msg::Fetched(id, result));
        });
    }

    fn fetched(&mut self, id: u64, result: Result<(Stamp, Hash), String>) {
        let Some(edit) = self.edits.get_mut(&id) else {
            return;
        };
        edit.busy = false;
        match result {
            Ok((stamp, hash)) => {
                edit.stamp = stamp;
                edit.hash = Some(hash);
                edit.view.unsent = false;
                edit.view.state = if edit.view.watched {
                    EditState::Watching
                } else {
                    EditState::Viewing
                };
                if edit.view.watched && edit.watcher.is_none() {
                    match watch(id, &edit.view.local, self.tx.clone()) {
                        Ok(w) => edit.watcher = Some(w),
                        Err(why) => edit.view.state = EditState::Failed(why),
                    }
                }
                if std::mem::take(&mut edit.first) {
                    let editor = edit.editor.clone();
                    let file = edit.view.local.clone();
                    let tx = self.tx.clone();
                    // `xdg-open` and friends may take a moment: not on the task.
                    tokio::task::spawn_blocking(move || {
                        if let Err(why) = launch(editor.as_ref(), &file) {
                            let _ = tx.send(Msg::NotLaunched(id, why));
                        }
                    });
                }
            }
            Err(why) => edit.view.state = EditState::Failed(why),
        }
        self.report_id(id);
    }

    /// The watcher saw a change: a save with new content asks (or uploads,
    /// for "Always").
    async fn saved(&mut self, id: u64) {
        let Some(edit) = self.edits.get_mut(&id) else {
            return;
        };
        if edit.busy {
            edit.saved_while_busy = true;
            return;
        }
        let local = edit.view.local.clone();
        let now = tokio::task::spawn_blocking(move || hash_file(&local))
            .await
            .ok()
            .and_then(Result::ok);
        let Some(edit) = self.edits.get_mut(&id) else {
            return;
        };
        // Gone (an editor replacing the file in steps) or unchanged: wait for the next event.
        let Some(now) = now else { return };
        if Some(now) == edit.hash {
            return;
        }
        edit.view.unsent = true;
        if edit.view.always {
            self.upload(id, false, false);
        } else if !matches!(edit.view.state, EditState::RemoteChanged { .. }) {
            edit.view.state = EditState::Changed;
            self.report_id(id);
        }
    }

    fn upload(&mut self, id: u64, overwrite: bool, beside: bool) {
        let Some(edit) = self.edits.get_mut(&id) else {
            return;
        };
        if edit.busy || !edit.view.watched {
            return;
        }
        let hash = match hash_file(&edit.view.local) {
            Ok(h) => h,
            Err(e) => {
                edit.view.state = EditState::Failed(format!(
                    "could not read the edited copy ({e}): {}",
                    edit.view.local.display()
                ));
                self.report_id(id);
                return;
            }
        };
        edit.busy = true;
        edit.view.state = EditState::Uploading;
        let options = edit.options.clone();
        let remote = edit.view.remote.clone();
        let local = edit.view.local.clone();
        let stamp = edit.stamp;
        let log = self.out.plain_log_sink();
        let tx = self.tx.clone();
        self.report_id(id);
        tokio::spawn(async move {
            let result = async {
                let mut session = Session::connect(options, log).await?;
                let sent =
                    send_back(&mut session, &local, &remote, &stamp, overwrite, beside).await;
                let _ = session.quit().await;
                sent
            }
            .await
            .map_err(|e| e.to_string());
            let _ = tx.send(Msg::Sent(id, hash, result));
        });
    }

    async fn sent(&mut self, id: u64, hash: Hash, result: Result<Sent, String>) {
        let Some(edit) = self.edits.get_mut(&id) else {
            return;
        };
        edit.busy = false;
        let at = chrono::Local::now();
        match result {
            Ok(Sent::Done(stamp)) => {
                edit.stamp = stamp;
                edit.hash = Some(hash);
                edit.view.unsent = false;
                edit.view.state = EditState::Uploaded { at, note: None };
            }
            Ok(Sent::As(path, stamp)) => {
                let name = String::from_utf8_lossy(&path).into_owned();
                edit.view.remote = path;
                edit.stamp = stamp;
                edit.hash = Some(hash);
                edit.view.unsent = false;
                edit.view.state = EditState::Uploaded {
                    at,
                    note: Some(format!("as {name}; editing that from now on")),
                };
            }
            Ok(Sent::RemoteChanged { theirs }) => {
                edit.view.state = EditState::RemoteChanged {
                    theirs,
                    ours: edit.stamp,
                };
            }
            Err(why) => edit.view.state = EditState::Failed(why),
        }
        self.report_id(id);
        if let Some(edit) = self.edits.get_mut(&id)
            && std::mem::take(&mut edit.saved_while_busy)
        {
            self.saved(id).await;
        }
    }
}

/// Watch the copy's folder (editors often save by writing a new file and
/// renaming it over the old one) and report changes to the copy.
fn watch(
    id: u64,
    file: &std::path::Path,
    tx: mpsc::UnboundedSender<Msg>,
) -> Result<Debouncer<RecommendedWatcher>, String> {
    let name = file.file_name().map(|n| n.to_os_string());
    let folder = file.parent().unwrap_or(file).to_path_buf();
    let mut debouncer = new_debouncer(SETTLE, move |result: DebounceEventResult| {
        let Ok(events) = result else { return };
        if events
            .iter()
            .any(|e| e.path.file_name().map(|n| n.to_os_string()) == name)
        {
            let _ = tx.send(Msg::Saved(id));
        }
    })
    .map_err(|e| format!("could not watch the copy for saves ({e})"))?;
    debouncer
        .watcher()
        .watch(&folder, RecursiveMode::NonRecursive)
        .map_err(|e| {
            format!(
                "could not watch the copy for saves ({e}): {}",
                folder.display()
            )
        })?;
    Ok(debouncer)
}
