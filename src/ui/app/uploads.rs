//! Uploads into the folder the remote pane shows. Each finished file is
//! merged into the listing as it lands (name, size, time), and the folder
//! is listed again once, when nothing more is queued for it, instead of
//! every half second while the queue runs.

use std::collections::HashMap;

use super::*;
use crate::engine::{Entry, JobState, JobView, Kind};

/// The remote folders that uploads still in the queue go into.
#[derive(Debug, Default)]
pub(super) struct PendingUploads {
    /// Each pending upload job (files and folders) and its target's folder.
    folders: HashMap<u64, AnyPath>,
}

impl PendingUploads {
    /// Whether an upload into `folder` is still queued or running.
    pub(super) fn go_into(&self, folder: &AnyPath) -> bool {
        self.folders.values().any(|f| f == folder)
    }
}

impl FerryApp {
    /// Follow the upload jobs in `views`: a finished file shows in the
    /// remote pane at once when it went into the folder shown; pending ones
    /// hold back the re-listing of their folder.
    pub(super) fn track_uploads(&mut self, views: &[JobView]) {
        for v in views.iter().filter(|v| v.direction == Direction::Upload) {
            let Some(folder) = v.target.parent() else {
                continue;
            };
            if v.state.is_pending() {
                self.pending_uploads.folders.insert(v.id, folder);
                continue;
            }
            self.pending_uploads.folders.remove(&v.id);
            if v.state != JobState::Done || v.is_dir {
                continue;
            }
            let entry = Entry {
                name: v.target.file_name().into(),
                display_name: String::from_utf8_lossy(&v.source.file_name()).into(),
                kind: Kind::File,
                size: Some(v.size.unwrap_or(v.bytes)),
                // The finish time in UTC, as MLSD listings give times; the
                // listing once the queue is done has the server's own.
                modified: v
                    .finished
                    .map(|f| chrono::DateTime::<chrono::Utc>::from(f.at).naive_utc()),
                permissions: None,
                owner: None,
                link_target: None,
            };
            self.remote.merge_entries(&folder, vec![entry]);
        }
    }

    /// Jobs left the queue: they no longer hold back a re-listing.
    pub(super) fn forget_uploads(&mut self, ids: &[u64]) {
        for id in ids {
            self.pending_uploads.folders.remove(id);
        }
    }
}
