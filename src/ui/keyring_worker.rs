//! The window's way to the password store: one thread that runs keyring
//! calls in order (they can block on a D-Bus round trip, or on the user
//! unlocking the keyring) and reports back over a channel, so the UI never
//! waits on them.
//!
//! Without a keyring service the store is the encrypted password file: the
//! first job that needs it while it is locked comes back as a request for the
//! master password, which [`KeyringWorker::master_prompt_ui`] asks for (once
//! per run), and the job then runs after the file is unlocked — on this
//! thread, since deriving the key takes a moment on purpose.

use std::fmt;
use std::sync::{Arc, Mutex};

use eframe::egui;

use super::job::Worker;
use crate::sites::{KeyringStatus, SecretStore, Site};

/// What the window asks of the password store.
pub enum KeyringJob {
    /// Probe whether passwords can be remembered at all.
    Status,
    /// Store (or replace) a site's password.
    Set { site_id: String, password: String },
    /// Copy a remembered password to another site (a duplicated site).
    Copy { from: String, to: String },
    /// Forget a site's password (Remember password unticked, site deleted).
    Delete { site_id: String },
    /// Read the site's password to connect to it (or, with `test`, to run
    /// the connection test against it).
    GetForConnect { site: Box<Site>, test: bool },
    /// Read the secret kept under `key` (a proxy's password, see
    /// `sites::proxy_secret_id`), to have it when connecting.
    GetSecret { key: String },
    /// Open the password file with its master password (choosing it, when
    /// there is no file yet), then run `then`.
    Unlock {
        master: String,
        then: Box<KeyringJob>,
    },
}

/// Passwords masked: the log and Debug output never show one.
impl fmt::Debug for KeyringJob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyringJob::Status => f.write_str("Status"),
            KeyringJob::Set { site_id, .. } => write!(f, "Set {{ site_id: {site_id:?}, .. }}"),
            KeyringJob::Copy { from, to } => write!(f, "Copy {{ from: {from:?}, to: {to:?} }}"),
            KeyringJob::Delete { site_id } => write!(f, "Delete {{ site_id: {site_id:?} }}"),
            KeyringJob::GetForConnect { site, test } => {
                write!(f, "GetForConnect {{ site: {:?}, test: {test} }}", site.id)
            }
            KeyringJob::Unlock { then, .. } => write!(f, "Unlock {{ then: {then:?}, .. }}"),
            KeyringJob::GetSecret { key } => write!(f, "GetSecret {{ key: {key:?} }}"),
        }
    }
}

/// What the password store answered.
pub enum KeyringReply {
    /// The answer to [`KeyringJob::Status`].
    Status(KeyringStatus),
    /// A store, copy or delete failed; the message says which site and why.
    Failed(String),
    /// The answer to [`KeyringJob::GetForConnect`]: the password, or `None`
    /// when none is stored or the keyring could not be read (then ask).
    Password {
        site: Box<Site>,
        password: Option<String>,
        problem: Option<String>,
        /// For the connection test, not to connect.
        test: bool,
    },
    /// The answer to [`KeyringJob::GetSecret`]: `None` when none is stored
    /// or it could not be read.
    Secret { key: String, secret: Option<String> },
}

/// What the keyring thread sends back: a reply for the window, or a request
/// for the master password that [`KeyringWorker`] handles itself.
enum Answer {
    Reply(KeyringReply),
    /// The password file is locked: ask for its master password, then run `then`.
    NeedMaster {
        then: Box<KeyringJob>,
        /// Why the last master password did not open it.
        error: Option<String>,
        /// No file yet: the master password is being chosen.
        new_file: bool,
    },
}

impl fmt::Debug for KeyringReply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyringReply::Status(s) => write!(f, "Status({s:?})"),
            KeyringReply::Failed(m) => write!(f, "Failed({m:?})"),
            KeyringReply::Password {
                site,
                password,
                problem,
                test,
            } => write!(
                f,
                "Password {{ site: {:?}, password: {}, problem: {problem:?}, test: {test} }}",
                site.id,
                if password.is_some() {
                    "Some(***)"
                } else {
                    "None"
                }
            ),
            KeyringReply::Secret { key, secret } => write!(
                f,
                "Secret {{ key: {key:?}, secret: {} }}",
                if secret.is_some() {
                    "Some(***)"
                } else {
                    "None"
                }
            ),
        }
    }
}

/// The master password dialog, while one is wanted.
struct MasterPrompt {
    then: Box<KeyringJob>,
    error: Option<String>,
    new_file: bool,
    master: String,
    again: String,
    focus: bool,
}

/// What the master password dialog came to this frame.
enum PromptEnd {
    Unlock(String),
    Cancel,
}

/// The keyring thread: jobs in, replies out (see [`Worker`]), and the
/// master password dialog the password file needs.
pub struct KeyringWorker {
    worker: Worker<KeyringJob, Answer>,
    prompt: Mutex<Option<MasterPrompt>>,
    /// Replies made here (a cancelled dialog), given with the next ones.
    local: Mutex<Vec<KeyringReply>>,
}

impl KeyringWorker {
    /// Start the thread; the window is repainted after each reply.
    pub fn start(
        secrets: Arc<dyn SecretStore>,
        ctx: &egui::Context,
    ) -> std::io::Result<KeyringWorker> {
        let worker = Worker::start("ferry-keyring", ctx, move |job| answer(&*secrets, job))?;
        Ok(KeyringWorker {
            worker,
            prompt: Mutex::new(None),
            local: Mutex::new(Vec::new()),
        })
    }

    /// Queue a job; jobs run in the order they were sent. False when the
    /// thread has ended (then the job never runs).
    pub fn send(&self, job: KeyringJob) -> bool {
        self.worker.send(job)
    }

    /// The replies that arrived since the last call. A request for the
    /// master password opens its dialog instead of being returned.
    pub fn replies(&self) -> Vec<KeyringReply> {
        let mut out = std::mem::take(&mut *lock(&self.local));
        for reply in self.worker.answers() {
            match reply {
                Answer::NeedMaster {
                    then,
                    error,
                    new_file,
                } => {
                    *lock(&self.prompt) = Some(MasterPrompt {
                        then,
                        error,
                        new_file,
                        master: String::new(),
                        again: String::new(),
                        focus: true,
                    });
                }
                Answer::Reply(reply) => out.push(reply),
            }
        }
        out
    }

    /// Whether the master password dialog is open.
    pub fn asking_master(&self) -> bool {
        lock(&self.prompt).is_some()
    }

    /// Show the master password dialog while one is wanted: OK opens the
    /// file (on the keyring thread) and runs the job that needed it; Cancel
    /// gives that job up as if no password were remembered.
    pub fn master_prompt_ui(&self, ctx: &egui::Context) {
        let mut slot = lock(&self.prompt);
        let Some(prompt) = slot.as_mut() else {
            return;
        };
        let Some(end) = prompt.ui(ctx) else {
            return;
        };
        let Some(prompt) = slot.take() else {
            return;
        };
        drop(slot);
        match end {
            PromptEnd::Unlock(master) => {
                if !self.send(KeyringJob::Unlock {
                    master,
                    then: prompt.then,
                }) {
                    lock(&self.local).push(KeyringReply::Failed(
                        "The password file could not be opened: the keyring thread has stopped; restart Ferry".into(),
                    ));
                }
            }
            PromptEnd::Cancel => {
                let why = "the password file stays locked (no master password given)";
                if let Some(reply) = given_up(*prompt.then, why) {
                    lock(&self.local).push(reply);
                }
                ctx.request_repaint();
            }
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A poisoned lock only means a panic elsewhere; the value is whole.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// What the window hears of a job that could not run: a site to connect to
/// gets its password asked for; a change says it was not made.
fn given_up(job: KeyringJob, why: &str) -> Option<KeyringReply> {
    match job {
        KeyringJob::GetForConnect { site, test } => Some(KeyringReply::Password {
            site,
            password: None,
            problem: Some(why.to_string()),
            test,
        }),
        KeyringJob::Set { .. } | KeyringJob::Copy { .. } => Some(KeyringReply::Failed(format!(
            "The password was not remembered: {why}"
        ))),
        KeyringJob::Delete { .. } => Some(KeyringReply::Failed(format!(
            "The password was not forgotten: {why}"
        ))),
        KeyringJob::Unlock { then, .. } => given_up(*then, why),
        KeyringJob::GetSecret { key } => Some(KeyringReply::Secret { key, secret: None }),
        KeyringJob::Status => None,
    }
}

impl MasterPrompt {
    fn ui(&mut self, ctx: &egui::Context) -> Option<PromptEnd> {
        let mut end = None;
        egui::Modal::new(egui::Id::unique("ferry-master-password")).show(ctx, |ui| {
            ui.set_max_width(420.0);
            if self.new_file {
                ui.heading("Choose a master password");
                ui.label(
                    "There is no keyring service on this computer. Ferry can keep \
                     remembered passwords in a file encrypted with a master password, \
                     asked for once each time Ferry starts. It cannot be recovered if \
                     you forget it.",
                );
            } else {
                ui.heading("Master password");
                ui.label("Enter the master password of Ferry's password file.");
            }
            ui.add_space(6.0);
            let mut enter = false;
            egui::Grid::new("ferry-master-grid")
                .num_columns(2)
                .show(ui, |ui| {
                    let label = ui.label("Master password:");
                    let r = ui
                        .add(egui::TextEdit::singleline(&mut self.master).password(true))
                        .labelled_by(label.id);
                    if self.focus {
                        r.request_focus();
                        self.focus = false;
                    }
                    enter |= r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                    ui.end_row();
                    if self.new_file {
                        let label = ui.label("Again:");
                        let r = ui
                            .add(egui::TextEdit::singleline(&mut self.again).password(true))
                            .labelled_by(label.id);
                        enter |= r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                        ui.end_row();
                    }
                });
            let problem = if self.master.is_empty() {
                None
            } else if self.new_file && self.again != self.master {
                Some("The two entries differ.")
            } else {
                None
            };
            if let Some(error) = &self.error {
                ui.colored_label(ui.visuals().error_fg_color, error);
            }
            if let Some(p) = problem {
                ui.colored_label(ui.visuals().warn_fg_color, p);
            }
            let ready = !self.master.is_empty() && problem.is_none();
            ui.horizontal(|ui| {
                let ok = ui.add_enabled(ready, egui::Button::new("Unlock"));
                if ok.clicked() || (enter && ready) {
                    end = Some(PromptEnd::Unlock(std::mem::take(&mut self.master)));
                }
                if ui.button("Cancel").clicked() || ui.input(|i| i.key_pressed(egui::Key::Escape)) {
                    end = Some(PromptEnd::Cancel);
                }
            });
        });
        end
    }
}

/// Run `job`, first asking for the master password when the password file
/// is the store and is locked.
fn answer(secrets: &dyn SecretStore, job: KeyringJob) -> Option<Answer> {
    if let Some(file) = secrets.password_file() {
        if let KeyringJob::Unlock { master, then } = job {
            return match file.unlock(&master) {
                Ok(()) => answer(secrets, *then),
                Err(e) => Some(Answer::NeedMaster {
                    then,
                    error: Some(e.to_string()),
                    new_file: !file.exists(),
                }),
            };
        }
        let needs_file = match &job {
            KeyringJob::Status | KeyringJob::Unlock { .. } => false,
            // Nothing to read or forget before there is a file.
            KeyringJob::GetForConnect { .. }
            | KeyringJob::GetSecret { .. }
            | KeyringJob::Delete { .. } => file.exists(),
            KeyringJob::Set { .. } | KeyringJob::Copy { .. } => true,
        };
        if needs_file && !file.is_unlocked() {
            return Some(Answer::NeedMaster {
                then: Box::new(job),
                error: None,
                new_file: !file.exists(),
            });
        }
        if !file.is_unlocked() {
            // No file yet: nothing remembered, nothing to forget.
            match job {
                KeyringJob::GetForConnect { site, test } => {
                    return Some(Answer::Reply(KeyringReply::Password {
                        site,
                        password: None,
                        problem: None,
                        test,
                    }));
                }
                KeyringJob::GetSecret { key } => {
                    return Some(Answer::Reply(KeyringReply::Secret { key, secret: None }));
                }
                KeyringJob::Delete { .. } => return None,
                _ => {}
            }
        }
    }
    run(secrets, job).map(Answer::Reply)
}

fn run(secrets: &dyn SecretStore, job: KeyringJob) -> Option<KeyringReply> {
    match job {
        // Only reached without a password file: nothing to open.
        KeyringJob::Unlock { then, .. } => run(secrets, *then),
        KeyringJob::Status => {
            let status = secrets.status();
            tracing::debug!(?status, "keyring status read");
            Some(KeyringReply::Status(status))
        }
        KeyringJob::Set { site_id, password } => secrets
            .set(&site_id, &password)
            .err()
            .map(|e| KeyringReply::Failed(format!("The password was not remembered: {e}"))),
        KeyringJob::Copy { from, to } => {
            let copied = secrets
                .get(&from)
                .and_then(|p| p.map_or(Ok(()), |p| secrets.set(&to, &p)));
            copied.err().map(|e| {
                KeyringReply::Failed(format!(
                    "The duplicated site's password was not copied: {e}"
                ))
            })
        }
        KeyringJob::Delete { site_id } => secrets
            .delete(&site_id)
            .err()
            .map(|e| KeyringReply::Failed(format!("The password was not forgotten: {e}"))),
        KeyringJob::GetSecret { key } => {
            let secret = secrets.get(&key).unwrap_or_else(|e| {
                tracing::warn!("reading {key:?} from the password store failed: {e}");
                None
            });
            Some(KeyringReply::Secret { key, secret })
        }
        KeyringJob::GetForConnect { site, test } => {
            let (password, problem) = match secrets.get(&site.id) {
                Ok(p) => (p, None),
                Err(e) => (None, Some(e.to_string())),
            };
            Some(KeyringReply::Password {
                site,
                password,
                problem,
                test,
            })
        }
    }
}
