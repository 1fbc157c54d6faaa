//! Local file-system work for the left pane, off the UI thread.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::Outbox;
use super::listing_order::{SortColumn, sort_listing};
use super::protocol::{AnyPath, Entry, Event, Interner, Kind, PathItem, Side};

/// The local listings asked for, and up to which one they are cancelled
/// (numbers, not a flag: a cancel never stops a listing asked for after it).
#[derive(Default)]
pub(super) struct Listings {
    asked: AtomicU64,
    cancelled: Arc<AtomicU64>,
}

/// One local listing's place among [`Listings`].
pub(super) struct Ticket {
    number: u64,
    cancelled: Arc<AtomicU64>,
}

impl Listings {
    /// A ticket for the next listing.
    pub(super) fn ticket(&self) -> Ticket {
        Ticket {
            number: self.asked.fetch_add(1, Ordering::Relaxed) + 1,
            cancelled: self.cancelled.clone(),
        }
    }

    /// Stop every local listing asked for so far, running or not started.
    pub(super) fn cancel_all(&self) {
        self.cancelled
            .fetch_max(self.asked.load(Ordering::Relaxed), Ordering::Relaxed);
    }
}

impl Ticket {
    fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Relaxed) >= self.number
    }
}

/// Why reading a folder stopped early.
#[derive(Debug)]
pub(crate) enum ReadDirError {
    Io(std::io::Error),
    Cancelled,
}

impl From<std::io::Error> for ReadDirError {
    fn from(e: std::io::Error) -> Self {
        ReadDirError::Io(e)
    }
}

pub(super) async fn list(path: PathBuf, ticket: Ticket, out: Outbox) {
    let p = path.clone();
    // Sent in name order (the pane's usual column): the window only checks it.
    let result = tokio::task::spawn_blocking(move || {
        let mut entries = read_dir_until(&p, &|| ticket.is_cancelled())?;
        sort_listing(&mut entries, SortColumn::Name, true);
        Ok::<_, ReadDirError>(entries)
    })
    .await;
    match result {
        Ok(Ok(entries)) => out.send(Event::Listing {
            path: AnyPath::Local(path),
            entries,
        }),
        Ok(Err(ReadDirError::Cancelled)) => out.send(Event::ListingCancelled {
            path: AnyPath::Local(path),
        }),
        Ok(Err(ReadDirError::Io(e))) => out.send(Event::ListingFailed {
            message: format!("could not read the folder: {e}: {}", path.display()),
            path: AnyPath::Local(path),
            data_mode: None,
        }),
        Err(e) => out.send(Event::ListingFailed {
            message: format!("listing stopped unexpectedly: {e}"),
            path: AnyPath::Local(path),
            data_mode: None,
        }),
    }
}

/// Read a folder into pane rows, asking `stop` before each entry (each
/// costs a few system calls: a folder of a million entries stops within
/// one). Entries whose metadata cannot be read are still listed (as
/// Unknown), so nothing silently disappears.
pub(crate) fn read_dir_until(
    path: &Path,
    stop: &dyn Fn() -> bool,
) -> Result<Vec<Entry>, ReadDirError> {
    let mut entries = Vec::new();
    let mut shared = Interner::default();
    if stop() {
        return Err(ReadDirError::Cancelled);
    }
    for item in std::fs::read_dir(path)? {
        if stop() {
            return Err(ReadDirError::Cancelled);
        }
        let item = item?;
        // Not followed: a symlink's own metadata.
        let link_meta = item.metadata().ok();
        entries.push(entry_from(
            &item.path(),
            &item.file_name(),
            link_meta,
            &mut shared,
        ));
    }
    Ok(entries)
}

/// A pane row for `path` (named `name`), from its own (not followed) metadata.
fn entry_from(
    path: &Path,
    name: &std::ffi::OsStr,
    link_meta: Option<std::fs::Metadata>,
    shared: &mut Interner,
) -> Entry {
    let is_link = link_meta
        .as_ref()
        .is_some_and(|m| m.file_type().is_symlink());
    let meta = if is_link {
        std::fs::metadata(path).ok()
    } else {
        link_meta.clone()
    };
    let kind = match (&meta, is_link) {
        (Some(m), true) => Kind::Symlink {
            target_is_dir: m.is_dir(),
        },
        (None, true) => Kind::Symlink {
            target_is_dir: false,
        },
        (Some(m), false) if m.is_dir() => Kind::Dir,
        (Some(_), false) => Kind::File,
        (None, false) => Kind::Unknown,
    };
    let shown = meta.as_ref().or(link_meta.as_ref());
    Entry {
        name: name.as_encoded_bytes().into(),
        display_name: name.to_string_lossy().into(),
        kind,
        size: shown.filter(|m| !m.is_dir()).map(|m| m.len()),
        modified: shown
            .and_then(|m| m.modified().ok())
            .map(|t| chrono::DateTime::<chrono::Local>::from(t).naive_local()),
        permissions: shown.map(|m| shared.intern(&permissions(m))),
        owner: shown.and_then(owner).map(|o| shared.intern(&o)),
        link_target: if is_link {
            std::fs::read_link(path)
                .ok()
                .map(|t| t.display().to_string().into())
        } else {
            None
        },
    }
}

#[cfg(unix)]
fn permissions(m: &std::fs::Metadata) -> String {
    use std::os::unix::fs::PermissionsExt;
    let mode = m.permissions().mode();
    let mut s = String::with_capacity(9);
    for shift in [6, 3, 0] {
        let bits = (mode >> shift) & 7;
        s.push(if bits & 4 != 0 { 'r' } else { '-' });
        s.push(if bits & 2 != 0 { 'w' } else { '-' });
        s.push(if bits & 1 != 0 { 'x' } else { '-' });
    }
    s
}

#[cfg(not(unix))]
fn permissions(m: &std::fs::Metadata) -> String {
    if m.permissions().readonly() {
        "read-only".into()
    } else {
        "read-write".into()
    }
}

/// "owner group" by name, as the Owner/Group column shows it (numbers for
/// ids the system has no name for).
#[cfg(unix)]
fn owner(m: &std::fs::Metadata) -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    Some(owner_group(m.uid(), m.gid()))
}

/// Names for user and group ids, looked up once per id for the whole run: a
/// folder of many files by one owner costs one lookup, not one per file (the
/// lookup may ask NSS, even LDAP).
#[cfg(unix)]
pub(crate) fn owner_group(uid: u32, gid: u32) -> String {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    type Names = (HashMap<u32, String>, HashMap<u32, String>);
    static NAMES: OnceLock<Mutex<Names>> = OnceLock::new();
    let names = NAMES.get_or_init(Mutex::default);
    // A poisoned lock only means another thread panicked mid-insert; the
    // maps are still usable.
    let mut names = names.lock().unwrap_or_else(|e| e.into_inner());
    let (users, groups) = &mut *names;
    let user = users
        .entry(uid)
        .or_insert_with(|| {
            nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(uid))
                .ok()
                .flatten()
                .map_or_else(|| uid.to_string(), |u| u.name)
        })
        .clone();
    let group = groups.entry(gid).or_insert_with(|| {
        nix::unistd::Group::from_gid(nix::unistd::Gid::from_raw(gid))
            .ok()
            .flatten()
            .map_or_else(|| gid.to_string(), |g| g.name)
    });
    format!("{user} {group}")
}

#[cfg(not(unix))]
fn owner(_m: &std::fs::Metadata) -> Option<String> {
    None
}

pub(super) async fn make_dir(path: PathBuf, out: Outbox) {
    let p = path.clone();
    let r = tokio::task::spawn_blocking(move || std::fs::create_dir(&p)).await;
    report(
        r,
        &out,
        format!("Created {}", path.display()),
        &path,
        "creating the folder",
    );
}

pub(super) async fn rename(from: PathBuf, to: PathBuf, out: Outbox) {
    let (a, b) = (from.clone(), to.clone());
    let r = tokio::task::spawn_blocking(move || {
        if b.exists() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                "the new name is taken",
            ));
        }
        std::fs::rename(&a, &b)
    })
    .await;
    report(
        r,
        &out,
        format!("Renamed {} to {}", from.display(), to.display()),
        &to,
        "renaming",
    );
}

pub(super) async fn delete(paths: Vec<PathItem>, out: Outbox) {
    let refresh = paths
        .first()
        .map(|item| match &item.path {
            AnyPath::Local(p) => p.clone(),
            AnyPath::Remote(_) => PathBuf::from("/"),
        })
        .unwrap_or_default();
    let progress_out = out.clone();
    let r = tokio::task::spawn_blocking(move || {
        let mut all = Vec::new();
        for PathItem { path: p, .. } in &paths {
            if let AnyPath::Local(p) = p {
                collect(p, &mut all)?;
            }
        }
        let total = all.len() as u64;
        let mut last = std::time::Instant::now();
        for (i, (p, is_dir)) in all.iter().enumerate() {
            if *is_dir {
                std::fs::remove_dir(p)?;
            } else {
                std::fs::remove_file(p)?;
            }
            if last.elapsed().as_millis() >= 100 || i + 1 == all.len() {
                last = std::time::Instant::now();
                progress_out.send(Event::DeleteProgress {
                    side: Side::Local,
                    done: i as u64 + 1,
                    total,
                });
            }
        }
        Ok(())
    })
    .await;
    report(r, &out, "Deleted".into(), &refresh, "deleting");
}

/// Everything under `root`, children before their folder. Symlinks are
/// removed as links, never followed.
fn collect(root: &Path, out: &mut Vec<(PathBuf, bool)>) -> std::io::Result<()> {
    let meta = std::fs::symlink_metadata(root)?;
    if meta.is_dir() {
        for item in std::fs::read_dir(root)? {
            collect(&item?.path(), out)?;
        }
        out.push((root.to_path_buf(), true));
    } else {
        out.push((root.to_path_buf(), false));
    }
    Ok(())
}

fn report(
    r: Result<std::io::Result<()>, tokio::task::JoinError>,
    out: &Outbox,
    what: String,
    path: &Path,
    doing: &str,
) {
    let refresh = AnyPath::Local(
        path.parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| path.to_path_buf()),
    );
    match r {
        Ok(Ok(())) => out.send(Event::OperationDone {
            side: Side::Local,
            what,
            refresh,
        }),
        Ok(Err(e)) => out.send(Event::OperationFailed {
            side: Side::Local,
            message: format!("{doing} failed: {e}: {}", path.display()),
        }),
        Err(e) => out.send(Event::OperationFailed {
            side: Side::Local,
            message: format!("{doing} stopped unexpectedly: {e}"),
        }),
    }
}

/// What changed in a watched folder since the last report: the entries
/// created or modified (read afresh), and the names that are gone.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FolderChange {
    pub folder: PathBuf,
    pub changed: Vec<Entry>,
    pub removed: Vec<Vec<u8>>,
    /// Too much changed, or the system lost track: list the folder again.
    pub relist: bool,
}

/// Changes are reported once the folder has been quiet this long…
const WATCH_QUIET: Duration = Duration::from_millis(200);
/// …or at the latest this long after the first one, so a folder that
/// changes all the time (a download of many files into it) is reported once
/// a second, with only the names that changed.
const WATCH_MOST_OFTEN: Duration = Duration::from_secs(1);
/// More changed names than this in one report: cheaper to list again.
const WATCH_MAX_NAMES: usize = 20_000;

/// Watches the local pane's folder (not its subfolders) for files that
/// appear, change or disappear, on a thread of its own: the OS's watcher
/// (inotify, FSEvents, ReadDirectoryChangesW) reports names, this thread
/// collects them, reads only those entries, and hands the window one
/// [`FolderChange`] per quiet moment. No listing of the whole folder.
pub struct LocalWatcher {
    watcher: Option<notify::RecommendedWatcher>,
    folder: Option<PathBuf>,
    /// The folder the collecting thread keeps changes for.
    target: std::sync::Arc<std::sync::Mutex<Option<PathBuf>>>,
    changes: std::sync::mpsc::Receiver<FolderChange>,
    /// Why watching does not work, if it does not (the caller falls back to re-listing).
    pub error: Option<String>,
}

impl LocalWatcher {
    /// Start the collecting thread; `wake` runs after each change is sent
    /// (the window's request_repaint).
    pub fn new(wake: impl Fn() + Send + 'static) -> LocalWatcher {
        use std::sync::{Arc, Mutex, mpsc};
        let (raw_tx, raw_rx) = mpsc::channel::<notify::Result<notify::Event>>();
        let (tx, changes) = mpsc::channel();
        let target: Arc<Mutex<Option<PathBuf>>> = Arc::default();
        let mut error = None;
        let watcher = match notify::recommended_watcher(raw_tx) {
            Ok(w) => Some(w),
            Err(e) => {
                error = Some(format!("could not watch folders for changes: {e}"));
                None
            }
        };
        if watcher.is_some() {
            let target = target.clone();
            let spawned = std::thread::Builder::new()
                .name("ferry-local-watch".into())
                .spawn(move || collect_changes(raw_rx, target, tx, wake));
            if let Err(e) = spawned {
                error = Some(format!("could not start the folder watcher: {e}"));
            }
        }
        LocalWatcher {
            watcher: if error.is_none() { watcher } else { None },
            folder: None,
            target,
            changes,
            error,
        }
    }

    /// Watch `folder` instead of the one watched so far.
    pub fn watch(&mut self, folder: &Path) {
        use notify::Watcher;
        if self.folder.as_deref() == Some(folder) {
            return;
        }
        let Some(watcher) = self.watcher.as_mut() else {
            return;
        };
        if let Some(old) = self.folder.take() {
            // The old folder may be gone already; nothing to undo then.
            let _ = watcher.unwatch(&old);
        }
        *self.target.lock().unwrap_or_else(|e| e.into_inner()) = Some(folder.to_path_buf());
        match watcher.watch(folder, notify::RecursiveMode::NonRecursive) {
            Ok(()) => {
                self.folder = Some(folder.to_path_buf());
                self.error = None;
            }
            Err(e) => {
                // The window then lists the folder again after transfers, as before.
                let error = format!(
                    "could not watch the folder for changes ({e}); it is listed again after transfers instead: {}",
                    folder.display()
                );
                tracing::warn!("{error}");
                self.error = Some(error);
            }
        }
    }

    /// The folder being watched, if watching works.
    pub fn watching(&self) -> Option<&Path> {
        self.folder.as_deref()
    }

    /// The changes reported since the last call (never blocks).
    pub fn take_changes(&self) -> Vec<FolderChange> {
        self.changes.try_iter().collect()
    }
}

/// The collecting thread: gathers changed names of the target folder and
/// sends them, read afresh, once quiet (see [`WATCH_QUIET`]). Ends when the
/// watcher is dropped (its sender closes).
fn collect_changes(
    raw: std::sync::mpsc::Receiver<notify::Result<notify::Event>>,
    target: std::sync::Arc<std::sync::Mutex<Option<PathBuf>>>,
    out: std::sync::mpsc::Sender<FolderChange>,
    wake: impl Fn(),
) {
    use std::collections::BTreeSet;
    use std::sync::mpsc::RecvTimeoutError;
    let mut names: BTreeSet<std::ffi::OsString> = BTreeSet::new();
    let mut relist = false;
    let mut first: Option<Instant> = None;
    let mut last = Instant::now();
    loop {
        let wait = match first {
            None => Duration::from_secs(3600),
            Some(first) => {
                let quiet = (last + WATCH_QUIET).saturating_duration_since(Instant::now());
                let latest = (first + WATCH_MOST_OFTEN).saturating_duration_since(Instant::now());
                quiet.min(latest)
            }
        };
        let event = raw.recv_timeout(wait);
        // Read after the wait: the window may have moved to another folder
        // meanwhile, and the first change there must not be lost.
        let folder = target.lock().unwrap_or_else(|e| e.into_inner()).clone();
        match event {
            Ok(event) => {
                let Some(folder) = folder else { continue };
                match event {
                    Ok(event) => {
                        if event.need_rescan() {
                            relist = true;
                        }
                        for path in &event.paths {
                            if path.parent() == Some(folder.as_path())
                                && let Some(name) = path.file_name()
                            {
                                names.insert(name.to_os_string());
                            }
                        }
                    }
                    Err(_) => relist = true,
                }
                if names.is_empty() && !relist {
                    continue;
                }
                last = Instant::now();
                first.get_or_insert(last);
                continue;
            }
            Err(RecvTimeoutError::Disconnected) => return,
            Err(RecvTimeoutError::Timeout) => {}
        }
        let Some(folder) = folder else {
            names.clear();
            first = None;
            continue;
        };
        if first.is_none() {
            continue;
        }
        first = None;
        let mut change = FolderChange {
            folder: folder.clone(),
            relist: relist || names.len() > WATCH_MAX_NAMES,
            ..FolderChange::default()
        };
        relist = false;
        if !change.relist {
            let mut shared = Interner::default();
            for name in std::mem::take(&mut names) {
                match read_entry(&folder, &name, &mut shared) {
                    Some(entry) => change.changed.push(entry),
                    None => change.removed.push(name.as_encoded_bytes().to_vec()),
                }
            }
        }
        names.clear();
        if out.send(change).is_err() {
            return;
        }
        wake();
    }
}

/// One entry of `folder` as [`read_dir`] would list it; None when it is gone.
fn read_entry(folder: &Path, name: &std::ffi::OsStr, shared: &mut Interner) -> Option<Entry> {
    let path = folder.join(name);
    let link_meta = std::fs::symlink_metadata(&path).ok()?;
    Some(entry_from(&path, name, Some(link_meta), shared))
}

#[cfg(test)]
mod watcher_tests {
    use super::*;

    /// The first change in a folder the watcher was just pointed at is
    /// reported: a folder made there by a download (one event, nothing
    /// after it) used to be lost, as the collecting thread still compared
    /// it with the folder it had before it started waiting.
    #[test]
    fn the_first_change_after_watching_a_new_folder_is_reported() {
        let first = tempfile::tempdir().unwrap();
        let second = tempfile::tempdir().unwrap();
        let mut watcher = LocalWatcher::new(|| {});
        watcher.watch(first.path());
        watcher.watch(second.path());
        std::fs::create_dir(second.path().join("Reports")).unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut seen = Vec::new();
        while seen.is_empty() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
            seen.extend(
                watcher
                    .take_changes()
                    .into_iter()
                    .filter(|c| c.folder == second.path())
                    .flat_map(|c| c.changed)
                    .map(|e| e.display_name),
            );
        }
        assert_eq!(seen, [Box::from("Reports")]);
    }
}

#[cfg(test)]
mod cancel_tests {
    use super::*;
    use std::cell::Cell;

    #[test]
    fn a_cancelled_local_listing_stops_reading_the_folder() {
        let dir = tempfile::tempdir().unwrap();
        for i in 0..500 {
            std::fs::write(dir.path().join(format!("f{i}")), b"x").unwrap();
        }
        // Stop is asked before each entry: cancelled after the third, the
        // other 497 are never read.
        let asked = Cell::new(0);
        let stop = || {
            asked.set(asked.get() + 1);
            asked.get() > 3
        };
        assert!(matches!(
            read_dir_until(dir.path(), &stop),
            Err(ReadDirError::Cancelled)
        ));
        assert_eq!(asked.get(), 4, "reading went on after the cancel");
        assert_eq!(read_dir_until(dir.path(), &|| false).unwrap().len(), 500);
    }

    #[test]
    fn a_cancel_stops_the_listings_asked_before_it_and_not_after() {
        let listings = Listings::default();
        let (first, second) = (listings.ticket(), listings.ticket());
        assert!(!first.is_cancelled());
        listings.cancel_all();
        assert!(first.is_cancelled() && second.is_cancelled());
        let third = listings.ticket();
        assert!(!third.is_cancelled(), "a later listing is not cancelled");
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            read_dir_until(dir.path(), &|| second.is_cancelled()),
            Err(ReadDirError::Cancelled)
        ));
        assert!(read_dir_until(dir.path(), &|| third.is_cancelled()).is_ok());
    }
}
