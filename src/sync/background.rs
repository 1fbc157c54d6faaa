//! Preparing a sync plan off the window's thread: its own connection (the
//! browsing one stays free), its own small runtime, progress and the result
//! sent back over a channel, with a waker so the window repaints.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;

use super::{Prepared, SyncJob, WalkProgress};
use crate::engine::Side;
use crate::ftp::{ConnectOptions, Session};

/// What a preparation reports.
#[derive(Debug)]
pub enum PrepareUpdate {
    Progress(Side, WalkProgress),
    /// The plan, or what failed and what to try.
    Done(Box<Result<Prepared, String>>),
}

/// A preparation under way: poll [`Preparing::updates`] each frame.
pub struct Preparing {
    pub updates: mpsc::Receiver<PrepareUpdate>,
    cancel: Arc<AtomicBool>,
}

impl Preparing {
    /// Stop walking at the next folder; `Done` then says "cancelled".
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }
}

impl Drop for Preparing {
    fn drop(&mut self) {
        self.cancel();
    }
}

/// Start preparing `job` on a connection of its own with `options`.
pub fn spawn(
    options: ConnectOptions,
    job: SyncJob,
    wake: Arc<dyn Fn() + Send + Sync>,
) -> Preparing {
    let (tx, rx) = mpsc::channel();
    let cancel = Arc::new(AtomicBool::new(false));
    let stop = cancel.clone();
    let send = {
        let (tx, wake) = (tx.clone(), wake.clone());
        move |u: PrepareUpdate| {
            let _ = tx.send(u);
            wake();
        }
    };
    let progress_send = send.clone();
    let spawned = std::thread::Builder::new()
        .name("ferry-sync-compare".into())
        .spawn(move || {
            let result = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt.block_on(async move {
                    let mut session = Session::connect(options, crate::ftp::log::null_log())
                        .await
                        .map_err(|e| e.to_string())?;
                    let progress: super::ProgressFn =
                        Arc::new(move |side, p| progress_send(PrepareUpdate::Progress(side, p)));
                    let prepared = super::prepare(&mut session, &job, progress, stop)
                        .await
                        .map_err(|e| e.to_string());
                    let _ = session.quit().await;
                    prepared
                }),
                Err(e) => Err(format!("could not start the comparison: {e}")),
            };
            send(PrepareUpdate::Done(Box::new(result)));
        });
    if let Err(e) = spawned {
        let _ = tx.send(PrepareUpdate::Done(Box::new(Err(format!(
            "could not start the comparison: {e}"
        )))));
        wake();
    }
    Preparing {
        updates: rx,
        cancel,
    }
}

/// After a sync ran: walk both folders again on a connection of its own,
/// keep in the pair's state what is now the same on both sides (see
/// [`super::state::SyncState::record`]) and write it to `state_file`.
/// Answers once, with how many files the state holds, or what failed.
pub fn spawn_record(
    options: ConnectOptions,
    job: SyncJob,
    ran: Box<Prepared>,
    state_file: std::path::PathBuf,
    wake: Arc<dyn Fn() + Send + Sync>,
) -> mpsc::Receiver<Result<usize, String>> {
    let (tx, rx) = mpsc::channel();
    let answer = tx.clone();
    let spawned = std::thread::Builder::new()
        .name("ferry-sync-state".into())
        .spawn(move || {
            let result = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt.block_on(async move {
                    let mut session = Session::connect(options, crate::ftp::log::null_log())
                        .await
                        .map_err(|e| e.to_string())?;
                    let again = SyncJob {
                        checksum: false,
                        state_file: None,
                        ..job.clone()
                    };
                    let after = super::prepare(
                        &mut session,
                        &again,
                        Arc::new(|_, _| {}),
                        Arc::new(AtomicBool::new(false)),
                    )
                    .await
                    .map_err(|e| e.to_string());
                    let _ = session.quit().await;
                    let after = after?;
                    let mut state = ran.state.clone();
                    state.record(&ran.plan, &after.local, &after.remote, &job.options.compare);
                    let remote = String::from_utf8_lossy(&job.remote_root).into_owned();
                    state
                        .save(&state_file, &job.local_root, &remote)
                        .map_err(|e| format!("{e}: {}", state_file.display()))?;
                    Ok(state.files.len())
                }),
                Err(e) => Err(format!("could not start: {e}")),
            };
            let _ = answer.send(result);
            wake();
        });
    if let Err(e) = spawned {
        let _ = tx.send(Err(format!("could not start: {e}")));
    }
    rx
}
