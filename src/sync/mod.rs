//! Comparing and synchronizing a local and a remote folder, without egui:
//! the window's compare colours and sync preview and `ferry sync` all use
//! it, so they never disagree.
//!
//! - `compare.rs`: one file against its counterpart (size, time, both; times
//!   at the listing's precision);
//! - `timezone.rs`: the offset of a server's `LIST` times from UTC;
//! - `checksum.rs`: `HASH` / `XSHA256` / `XSHA1` / `XMD5` / `XCRC`;
//! - `tree.rs`: walking both folders recursively, with progress and cancel;
//! - `plan.rs`: the per-file actions, their reasons and the totals;
//! - `state.rs`: what the last sync of a pair left the same on both sides.

pub mod background;
pub mod checksum;
pub mod compare;
pub mod marks;
pub mod plan;
pub mod state;
#[cfg(test)]
mod test_trees;
pub mod timezone;
pub mod tree;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

pub use compare::{CompareOptions, FileInfo, Rule, TimePrecision, Verdict, compare};
pub use plan::{Action, Plan, PlanRow, Reason, SyncDirection, SyncOptions, Totals};
pub use tree::{Node, Tree, WalkOptions, WalkProgress};

use crate::engine::Side;
use crate::ftp::{FtpError, Session};

/// Why comparing or planning failed.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Ftp(#[from] FtpError),
    #[error("could not {what}: {source}: {path}")]
    Local {
        what: &'static str,
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Refused(String),
    #[error("cancelled")]
    Cancelled,
}

/// A pair of folders to compare, and how.
#[derive(Debug, Clone)]
pub struct SyncJob {
    pub local_root: PathBuf,
    /// The remote folder as the server takes it (empty: the login folder).
    pub remote_root: Vec<u8>,
    pub walk: WalkOptions,
    pub options: SyncOptions,
    /// Compare files of the same size by checksum where the server offers one.
    pub checksum: bool,
    /// The pair's saved sync state ([`state::state_file`]), read before
    /// planning; `None` plans without one.
    pub state_file: Option<PathBuf>,
}

/// A computed plan, with what was learnt on the way.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub plan: Plan,
    pub local: Tree,
    pub remote: Tree,
    /// Things the user should know: refused names, the time-zone offset
    /// found, that no checksum command exists.
    pub notes: Vec<String>,
    /// Files compared by checksum.
    pub checksummed: u64,
    /// The saved state the plan used (empty without one).
    pub state: state::SyncState,
}

/// How far preparing has got: which side is being walked, and its counts.
pub type ProgressFn = Arc<dyn Fn(Side, WalkProgress) + Send + Sync>;

/// Walk both folders (the local one on a blocking thread, at the same time
/// as the remote one), compare checksums if asked, and plan.
pub async fn prepare(
    session: &mut Session,
    job: &SyncJob,
    progress: ProgressFn,
    cancel: Arc<AtomicBool>,
) -> Result<Prepared, SyncError> {
    let local_walk = {
        let (root, walk, cancel, progress) = (
            job.local_root.clone(),
            job.walk.clone(),
            cancel.clone(),
            progress.clone(),
        );
        tokio::task::spawn_blocking(move || {
            if !root.exists() {
                // A missing local folder is an empty one: a download creates it.
                return Ok(Tree {
                    root_missing: true,
                    ..Tree::default()
                });
            }
            tree::walk_local(&root, &walk, &mut |p| progress(Side::Local, p), &cancel)
        })
    };
    let remote = tree::walk_remote(
        session,
        &job.remote_root,
        &job.walk,
        &mut |p| progress(Side::Remote, p),
        &cancel,
    )
    .await;
    let local = local_walk
        .await
        .map_err(|e| SyncError::Refused(format!("the local folder walk stopped: {e}")))??;
    let remote = remote?;
    let mut notes: Vec<String> = local
        .refused
        .iter()
        .chain(&remote.refused)
        .cloned()
        .collect();
    if let Some(offset) = remote.time_offset.filter(|o| !o.is_zero()) {
        notes.push(format!(
            "the server lists local times {}; corrected (found with MDTM)",
            describe_offset(offset)
        ));
    }
    let mut sums = plan::Checksums::new();
    if job.checksum {
        match checksum::choose(session.features()) {
            Some(command) => {
                checksum::prepare(session, command).await?;
                for rel in plan::checksum_candidates(&local, &remote) {
                    tree::check_cancel(&cancel)?;
                    let path = tree::remote_path(&job.remote_root, &rel);
                    let Some(theirs) = checksum::remote(session, command, &path).await? else {
                        continue;
                    };
                    let file = tree::local_path(&job.local_root, &rel, &job.walk.charset)
                        .map_err(SyncError::Refused)?;
                    let algo = command.algo();
                    let ours = tokio::task::spawn_blocking(move || {
                        checksum::local(&file, algo).map_err(|source| SyncError::Local {
                            what: "read the file for its checksum",
                            path: file.display().to_string(),
                            source,
                        })
                    })
                    .await
                    .map_err(|e| SyncError::Refused(format!("checksum stopped: {e}")))??;
                    sums.insert(rel, ours == theirs);
                }
            }
            None => notes.push(
                "the server offers no checksum command (HASH, XSHA256, XSHA1, XMD5, XCRC); compared by size and time"
                    .into(),
            ),
        }
    }
    let saved = match job.state_file.clone() {
        Some(file) => {
            let (saved, note) = tokio::task::spawn_blocking(move || state::SyncState::load(&file))
                .await
                .map_err(|e| SyncError::Refused(format!("reading the sync state stopped: {e}")))?;
            notes.extend(note);
            Some(saved)
        }
        None => None,
    };
    let plan = plan::plan_with_state(&local, &remote, &job.options, &sums, saved.as_ref());
    Ok(Prepared {
        plan,
        local,
        remote,
        notes,
        checksummed: sums.len() as u64,
        state: saved.unwrap_or_default(),
    })
}

/// "UTC+2", "UTC-4", "UTC+5:45".
pub fn describe_offset(offset: chrono::TimeDelta) -> String {
    let minutes = offset.num_minutes();
    let sign = if minutes < 0 { '-' } else { '+' };
    let (h, m) = (minutes.abs() / 60, minutes.abs() % 60);
    if m == 0 {
        format!("UTC{sign}{h}")
    } else {
        format!("UTC{sign}{h}:{m:02}")
    }
}
