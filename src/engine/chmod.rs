//! Changing permissions: `SITE CHMOD` on the server (on a connection of
//! its own, so browsing stays responsive), `set_permissions` locally, for
//! the selection and, for folders, what is inside them (files only,
//! folders only, or both), with progress and a cancel.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::Outbox;
use super::protocol::{AnyPath, Event, Side};
use super::remote_path::{is_plain_name, join};
use crate::ftp::{ConnectOptions, EntryKind, FtpError, Session};

/// One permission bit of the nine (owner, group, others × read, write,
/// execute): set, cleared, or left as each item has it (several items
/// selected that differ).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bit {
    Set,
    Clear,
    Keep,
}

/// What to do to the nine bits, owner's read first (`0o400`) and others'
/// execute last (`0o001`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModeChange(pub [Bit; 9]);

/// The mask of bit `i` of a [`ModeChange`].
pub const fn bit_mask(i: usize) -> u32 {
    0o400 >> i
}

impl Default for ModeChange {
    /// Every bit kept: changes nothing.
    fn default() -> Self {
        ModeChange([Bit::Keep; 9])
    }
}

impl ModeChange {
    /// Exactly this mode.
    pub fn exact(mode: u32) -> ModeChange {
        ModeChange(std::array::from_fn(|i| {
            if mode & bit_mask(i) != 0 {
                Bit::Set
            } else {
                Bit::Clear
            }
        }))
    }

    /// The bits the items have in common; `Keep` where they differ or one is unknown.
    pub fn common(modes: &[Option<u32>]) -> ModeChange {
        ModeChange(std::array::from_fn(|i| {
            let mut seen = modes.iter().map(|m| m.map(|m| m & bit_mask(i) != 0));
            match seen.next().flatten() {
                Some(first) if seen.all(|s| s == Some(first)) => {
                    if first {
                        Bit::Set
                    } else {
                        Bit::Clear
                    }
                }
                _ => Bit::Keep,
            }
        }))
    }

    /// The mode an item with `current` ends with; `None` when a kept bit
    /// is needed and `current` is unknown.
    pub fn apply(&self, current: Option<u32>) -> Option<u32> {
        let mut mode = 0;
        for (i, bit) in self.0.iter().enumerate() {
            let on = match bit {
                Bit::Set => true,
                Bit::Clear => false,
                Bit::Keep => current? & bit_mask(i) != 0,
            };
            if on {
                mode |= bit_mask(i);
            }
        }
        Some(mode)
    }

    /// The octal text ("755") when no bit is kept.
    pub fn octal(&self) -> Option<String> {
        self.0
            .iter()
            .all(|b| *b != Bit::Keep)
            .then(|| self.apply(Some(0)).map(|m| format!("{m:03o}")))
            .flatten()
    }
}

/// Octal text typed by the user ("644", "0755"): the nine bits, or `None`.
pub fn parse_octal(text: &str) -> Option<u32> {
    let t = text.trim();
    if t.is_empty() || t.len() > 4 || !t.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
        return None;
    }
    let mode = u32::from_str_radix(t, 8).ok()?;
    // A leading fourth digit (setuid, setgid, sticky) is not offered here.
    (mode <= 0o777).then_some(mode)
}

/// The nine bits of a listing's permissions: `rwxr-xr-x` (with s/t for
/// execute plus a special bit), or an octal `UNIX.mode` (`0644`). Other
/// forms (MLSD `perm` facts, Windows) give `None`.
pub fn parse_listed(text: &str) -> Option<u32> {
    let t = text.trim();
    if t.bytes().all(|b| b.is_ascii_digit()) {
        return u32::from_str_radix(t, 8).ok().map(|m| m & 0o777);
    }
    let b = t.as_bytes();
    if b.len() != 9 {
        return None;
    }
    let mut mode = 0;
    for (i, &c) in b.iter().enumerate() {
        let on = match (i % 3, c) {
            (_, b'-') => false,
            (0, b'r') | (1, b'w') => true,
            (2, b'x' | b's' | b't') => true,
            (2, b'S' | b'T') => false,
            _ => return None,
        };
        if on {
            mode |= bit_mask(i);
        }
    }
    Some(mode)
}

/// What inside a folder the change reaches too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Recurse {
    /// Only the selected items.
    #[default]
    No,
    FilesOnly,
    FoldersOnly,
    All,
}

impl Recurse {
    fn files(self) -> bool {
        matches!(self, Recurse::FilesOnly | Recurse::All)
    }

    fn folders(self) -> bool {
        matches!(self, Recurse::FoldersOnly | Recurse::All)
    }
}

/// A selected item and its permissions as listed (`None` when unknown).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChmodItem {
    pub path: AnyPath,
    pub is_dir: bool,
    pub current: Option<u32>,
}

/// What the permissions dialog asks of the engine.
#[derive(Debug, Clone)]
pub enum ChmodCommand {
    /// Change `items` (all on one side) by `change`, and what is inside
    /// folders as `recurse` says. Answered by `Progress` events, then
    /// `Done` or `Failed`.
    Apply {
        items: Vec<ChmodItem>,
        change: ModeChange,
        recurse: Recurse,
    },
    /// Stop the running change after the current item.
    Cancel,
}

/// How a permissions change goes.
#[derive(Debug, Clone, PartialEq)]
pub enum ChmodEvent {
    /// Items changed so far, of those found so far (folders still being read add more).
    Progress { done: u64, total: u64 },
    /// Finished (or cancelled): how many changed; what could not be, and why.
    Done {
        side: Side,
        changed: u64,
        problems: Vec<String>,
        cancelled: bool,
        /// The folder to list again.
        refresh: AnyPath,
    },
    /// Nothing could be done. `refused` means the server does not do SITE
    /// CHMOD at all (the dialog says so up front from then on).
    Failed {
        side: Side,
        message: String,
        refused: bool,
    },
}

/// Runs one change at a time and cancels it.
#[derive(Default)]
pub(super) struct Chmods {
    cancel: Arc<AtomicBool>,
}

impl Chmods {
    pub(super) fn command(
        &mut self,
        command: ChmodCommand,
        options: Option<ConnectOptions>,
        out: &Outbox,
    ) {
        let (items, change, recurse) = match command {
            ChmodCommand::Cancel => {
                self.cancel.store(true, Ordering::SeqCst);
                return;
            }
            ChmodCommand::Apply {
                items,
                change,
                recurse,
            } => (items, change, recurse),
        };
        let Some(first) = items.first() else { return };
        let side = first.path.side();
        let refresh = first.path.parent().unwrap_or_else(|| first.path.clone());
        self.cancel = Arc::new(AtomicBool::new(false));
        let cancel = self.cancel.clone();
        match side {
            Side::Local => {
                let (job, out) = (Job::new(change, recurse, cancel, out), out.clone());
                tokio::task::spawn_blocking(move || {
                    let event = job.run_local(items, refresh);
                    out.send(Event::Chmod(event));
                });
            }
            Side::Remote => {
                let Some(options) = options else {
                    out.send(Event::Chmod(ChmodEvent::Failed {
                        side,
                        message: "not connected; connect to a server first".into(),
                        refused: false,
                    }));
                    return;
                };
                let (job, out) = (Job::new(change, recurse, cancel, out), out.clone());
                tokio::spawn(async move {
                    let event = job.run_remote(options, items, refresh).await;
                    out.send(Event::Chmod(event));
                });
            }
        }
    }
}

/// Change permissions on an open `session` (the command line's way in:
/// no engine, no progress events).
pub async fn apply_remote(
    session: &mut Session,
    items: Vec<ChmodItem>,
    change: ModeChange,
    recurse: Recurse,
) -> ChmodEvent {
    // Nobody listens: progress goes nowhere.
    let (tx, _) = std::sync::mpsc::channel();
    let out = Outbox::new(tx, Arc::new(|| {}));
    let refresh = items
        .first()
        .and_then(|i| i.path.parent())
        .unwrap_or(AnyPath::Remote(b"/".to_vec()));
    Job::new(change, recurse, Arc::default(), &out)
        .run_on(session, items, refresh)
        .await
}

/// One change being carried out.
struct Job<P> {
    change: ModeChange,
    recurse: Recurse,
    cancel: Arc<AtomicBool>,
    out: Outbox,
    /// What to change, and to what, found so far.
    plan: Vec<(P, u32)>,
    problems: Vec<String>,
    last_progress: Option<Instant>,
}

impl<P> Job<P> {
    fn new(change: ModeChange, recurse: Recurse, cancel: Arc<AtomicBool>, out: &Outbox) -> Job<P> {
        Job {
            change,
            recurse,
            cancel,
            out: out.clone(),
            plan: Vec::new(),
            problems: Vec::new(),
            last_progress: None,
        }
    }

    fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::SeqCst)
    }

    fn plan(&mut self, path: P, current: Option<u32>, shown: impl FnOnce() -> String) {
        match self.change.apply(current) {
            Some(mode) => self.plan.push((path, mode)),
            None => self.problems.push(format!(
                "{}: its permissions are unknown, so the boxes left mixed cannot be kept; set every box",
                shown()
            )),
        }
    }

    /// At most ten progress events a second.
    fn progress(&mut self, done: u64, force: bool) {
        let due = self
            .last_progress
            .is_none_or(|t| t.elapsed() >= Duration::from_millis(100));
        if due || force {
            self.last_progress = Some(Instant::now());
            self.out.send(Event::Chmod(ChmodEvent::Progress {
                done,
                total: self.plan.len() as u64,
            }));
        }
    }
}

impl Job<Vec<u8>> {
    async fn run_remote(
        self,
        options: ConnectOptions,
        items: Vec<ChmodItem>,
        refresh: AnyPath,
    ) -> ChmodEvent {
        let mut session = match Session::connect(options, self.out.plain_log_sink()).await {
            Ok(s) => s,
            Err(e) => {
                return ChmodEvent::Failed {
                    side: Side::Remote,
                    message: format!("could not connect to change permissions: {e}"),
                    refused: false,
                };
            }
        };
        let end = self.run_on(&mut session, items, refresh).await;
        let _ = session.quit().await;
        end
    }

    /// Carry the change out on `session` (left open for the caller).
    async fn run_on(
        mut self,
        session: &mut Session,
        items: Vec<ChmodItem>,
        refresh: AnyPath,
    ) -> ChmodEvent {
        let host = session.options().addr_text();
        let failed = |message: String, refused: bool| ChmodEvent::Failed {
            side: Side::Remote,
            message,
            refused,
        };
        for item in items {
            let AnyPath::Remote(path) = item.path else {
                continue;
            };
            self.plan(path.clone(), item.current, || lossy(&path));
            if item.is_dir
                && self.recurse != Recurse::No
                && let Err(e) = self.walk_remote(session, path).await
            {
                return failed(e.to_string(), false);
            }
        }
        // Deepest first: a folder losing its execute bit must not lock
        // out the changes inside it.
        let plan = std::mem::take(&mut self.plan);
        let total = plan.len() as u64;
        let mut changed = 0u64;
        let mut cancelled = false;
        for (i, (path, mode)) in plan.iter().rev().enumerate() {
            if self.cancelled() {
                cancelled = true;
                break;
            }
            match session.chmod(&format!("{mode:03o}"), path).await {
                Ok(()) => changed += 1,
                // The server has no SITE CHMOD at all: say so once, plainly.
                Err(FtpError::Reply { code, text, .. })
                    if changed == 0 && matches!(code, 500 | 502 | 504) =>
                {
                    return failed(
                        format!(
                            "the server does not allow changing permissions (SITE CHMOD refused: {code} {}); Windows servers and some others never do. Nothing was changed: {host}",
                            text.trim()
                        ),
                        true,
                    );
                }
                Err(e) if e.is_fatal_to_session() => {
                    return failed(
                        format!("the connection was lost after {changed} of {total} changes: {e}"),
                        false,
                    );
                }
                Err(e) => self.problems.push(format!("{}: {e}", lossy(path))),
            }
            self.out.send(Event::Chmod(ChmodEvent::Progress {
                done: i as u64 + 1,
                total,
            }));
        }
        ChmodEvent::Done {
            side: Side::Remote,
            changed,
            problems: self.problems,
            cancelled,
            refresh,
        }
    }

    /// Add what is inside `root` to the plan, as `recurse` says.
    async fn walk_remote(&mut self, session: &mut Session, root: Vec<u8>) -> Result<(), FtpError> {
        let mut stack = vec![root];
        while let Some(dir) = stack.pop() {
            if self.cancelled() {
                return Ok(());
            }
            let entries = match session.list(Some(&dir)).await {
                Ok(e) => e,
                Err(e) if e.is_fatal_to_session() => return Err(e),
                Err(e) => {
                    self.problems
                        .push(format!("{}: not read: {e}", lossy(&dir)));
                    continue;
                }
            };
            for e in entries {
                // A name with a slash or "..": never follow it anywhere.
                if !is_plain_name(&e.name) {
                    continue;
                }
                let child = join(&dir, &e.name);
                let current = e.permissions.as_deref().and_then(parse_listed);
                match e.kind {
                    EntryKind::Dir => {
                        if self.recurse.folders() {
                            self.plan(child.clone(), current, || lossy(&child));
                        }
                        stack.push(child);
                    }
                    // Links are not followed, and a chmod through one
                    // would change what it points to.
                    EntryKind::Symlink | EntryKind::Unknown => {}
                    EntryKind::File => {
                        if self.recurse.files() {
                            self.plan(child.clone(), current, || lossy(&child));
                        }
                    }
                }
            }
            self.progress(0, false);
        }
        Ok(())
    }
}

impl Job<PathBuf> {
    fn run_local(mut self, items: Vec<ChmodItem>, refresh: AnyPath) -> ChmodEvent {
        for item in items {
            let AnyPath::Local(path) = item.path else {
                continue;
            };
            // The disk's own mode, fresher than the listing's.
            let current = local_mode(&path);
            let shown = path.display().to_string();
            self.plan(path.clone(), current, || shown);
            if item.is_dir && self.recurse != Recurse::No {
                self.walk_local(&path);
            }
        }
        // Deepest first, as remotely.
        let plan = std::mem::take(&mut self.plan);
        let total = plan.len() as u64;
        let mut changed = 0;
        let mut cancelled = false;
        for (i, (path, mode)) in plan.iter().rev().enumerate() {
            if self.cancelled() {
                cancelled = true;
                break;
            }
            match set_mode(path, *mode) {
                Ok(()) => changed += 1,
                Err(e) => self.problems.push(format!("{}: {e}", path.display())),
            }
            let done = i as u64 + 1;
            if done == total || i % 64 == 0 {
                self.out
                    .send(Event::Chmod(ChmodEvent::Progress { done, total }));
            }
        }
        ChmodEvent::Done {
            side: Side::Local,
            changed,
            problems: self.problems,
            cancelled,
            refresh,
        }
    }

    fn walk_local(&mut self, root: &Path) {
        let mut stack = vec![root.to_path_buf()];
        while let Some(dir) = stack.pop() {
            if self.cancelled() {
                return;
            }
            let entries = match std::fs::read_dir(&dir) {
                Ok(e) => e,
                Err(e) => {
                    self.problems
                        .push(format!("{}: not read: {e}", dir.display()));
                    continue;
                }
            };
            for entry in entries.flatten() {
                let path = entry.path();
                // `file_type` does not follow links: links are left alone.
                let Ok(kind) = entry.file_type() else {
                    continue;
                };
                let shown = path.display().to_string();
                if kind.is_dir() {
                    if self.recurse.folders() {
                        self.plan(path.clone(), local_mode(&path), || shown);
                    }
                    stack.push(path);
                } else if kind.is_file() && self.recurse.files() {
                    self.plan(path.clone(), local_mode(&path), || shown);
                }
            }
            self.progress(0, false);
        }
    }
}

#[cfg(unix)]
fn local_mode(path: &Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::symlink_metadata(path)
        .ok()
        .map(|m| m.permissions().mode() & 0o777)
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    // Keep setuid, setgid and sticky as they are: the dialog does not show them.
    let meta = std::fs::symlink_metadata(path)?;
    if meta.file_type().is_symlink() {
        return Err(std::io::Error::other("a symbolic link; not changed"));
    }
    let special = meta.permissions().mode() & 0o7000;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(special | mode))
}

#[cfg(not(unix))]
fn local_mode(path: &Path) -> Option<u32> {
    let m = std::fs::symlink_metadata(path).ok()?;
    Some(if m.permissions().readonly() {
        0o444
    } else {
        0o666
    })
}

#[cfg(not(unix))]
fn set_mode(path: &Path, mode: u32) -> std::io::Result<()> {
    // Only "read-only" exists here: no write bit for anyone means read-only.
    let mut p = std::fs::symlink_metadata(path)?.permissions();
    p.set_readonly(mode & 0o222 == 0);
    std::fs::set_permissions(path, p)
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listed_permissions_read_as_bits() {
        let rows: &[(&str, Option<u32>)] = &[
            ("rwxr-xr-x", Some(0o755)),
            ("rw-r--r--", Some(0o644)),
            ("rwsr-sr-t", Some(0o755)),
            ("rwSr-Sr-T", Some(0o644)),
            ("0640", Some(0o640)),
            ("755", Some(0o755)),
            ("adfrw", None),
            ("?????????", None),
            ("read-only", None),
        ];
        for (text, want) in rows {
            assert_eq!(parse_listed(text), *want, "{text}");
        }
    }

    #[test]
    fn typed_octal_is_three_or_four_octal_digits() {
        assert_eq!(parse_octal("644"), Some(0o644));
        assert_eq!(parse_octal("0755"), Some(0o755));
        for bad in ["", "8", "6444", "rw", "-1", "01000"] {
            assert_eq!(parse_octal(bad), None, "{bad}");
        }
    }

    #[test]
    fn mixed_bits_are_kept_per_item() {
        let common = ModeChange::common(&[Some(0o644), Some(0o755)]);
        // Owner rw set in both, owner x differs, group/others r set, x differs, w clear.
        assert_eq!(common.octal(), None);
        assert_eq!(common.apply(Some(0o644)), Some(0o644));
        assert_eq!(common.apply(Some(0o755)), Some(0o755));
        assert_eq!(common.apply(None), None);
        let mut change = common;
        change.0[2] = Bit::Set; // owner execute for all
        assert_eq!(change.apply(Some(0o644)), Some(0o744));
        assert_eq!(ModeChange::exact(0o640).octal().as_deref(), Some("640"));
        assert_eq!(ModeChange::common(&[None]).0, [Bit::Keep; 9]);
    }

    #[cfg(unix)]
    #[test]
    fn a_local_folder_changes_files_only_and_leaves_links() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("site");
        std::fs::create_dir_all(root.join("sub")).unwrap();
        std::fs::write(root.join("a.txt"), "a").unwrap();
        std::fs::write(root.join("sub/b.txt"), "b").unwrap();
        let outside = dir.path().join("outside.txt");
        std::fs::write(&outside, "o").unwrap();
        std::fs::set_permissions(&outside, std::fs::Permissions::from_mode(0o600)).unwrap();
        std::os::unix::fs::symlink(&outside, root.join("link")).unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let job = Job {
            change: ModeChange::exact(0o700),
            recurse: Recurse::FilesOnly,
            cancel: Arc::default(),
            out: Outbox::new(tx, Arc::new(|| {})),
            plan: Vec::new(),
            problems: Vec::new(),
            last_progress: None,
        };
        let event = job.run_local(
            vec![ChmodItem {
                path: AnyPath::Local(root.clone()),
                is_dir: true,
                current: None,
            }],
            AnyPath::Local(dir.path().to_path_buf()),
        );
        let ChmodEvent::Done {
            changed, problems, ..
        } = event
        else {
            panic!("{event:?}")
        };
        // The folder itself, and the two files; not the subfolder, not the link's target.
        assert_eq!((changed, problems.len()), (3, 0), "{problems:?}");
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&root.join("a.txt")), 0o700);
        assert_eq!(mode(&root.join("sub/b.txt")), 0o700);
        assert_eq!(mode(&root), 0o700);
        assert_ne!(mode(&root.join("sub")), 0o700);
        assert_eq!(mode(&outside), 0o600);
        drop(rx);
    }
}
