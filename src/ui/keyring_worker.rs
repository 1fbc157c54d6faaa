//! The window's way to the password store: one thread that runs keyring
//! calls in order (they can block on a D-Bus round trip, or on the user
//! unlocking the keyring) and reports back over a channel, so the UI never
//! waits on them.

use std::sync::Arc;

use eframe::egui;

use super::job::Worker;
use crate::sites::{KeyringStatus, SecretStore, Site};

/// What the window asks of the password store. No `Debug`: it carries
/// passwords.
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
}

/// What the password store answered. No `Debug`: it carries passwords.
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
}

/// The keyring thread: jobs in, replies out (see [`Worker`]).
pub struct KeyringWorker(Worker<KeyringJob, KeyringReply>);

impl KeyringWorker {
    /// Start the thread; the window is repainted after each reply.
    pub fn start(
        secrets: Arc<dyn SecretStore>,
        ctx: &egui::Context,
    ) -> std::io::Result<KeyringWorker> {
        Worker::start("ferry-keyring", ctx, move |job| run(&*secrets, job)).map(KeyringWorker)
    }

    /// Queue a job; jobs run in the order they were sent. False when the
    /// thread has ended (then the job never runs).
    pub fn send(&self, job: KeyringJob) -> bool {
        self.0.send(job)
    }

    /// The replies that arrived since the last call.
    pub fn replies(&self) -> Vec<KeyringReply> {
        self.0.answers()
    }
}

fn run(secrets: &dyn SecretStore, job: KeyringJob) -> Option<KeyringReply> {
    match job {
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
