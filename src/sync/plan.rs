//! The sync plan: one row per file or folder with the action and why, from
//! the two walked trees. Pure: the window's preview and `ferry sync
//! --dry-run` both print what this computes, so they cannot disagree.

use std::collections::{BTreeSet, HashMap};

use super::compare::{CompareOptions, FileInfo, Verdict, compare};
use super::tree::{Node, Tree};
use crate::engine::Side;

/// Which way files go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum SyncDirection {
    /// Local → remote: the remote folder is made like the local one.
    #[default]
    Upload,
    /// Remote → local.
    Download,
    /// Each side gets the other's new and newer files.
    Both,
}

impl SyncDirection {
    pub const ALL: [(SyncDirection, &'static str); 3] = [
        (SyncDirection::Upload, "Upload (local to remote)"),
        (SyncDirection::Download, "Download (remote to local)"),
        (SyncDirection::Both, "Both ways"),
    ];

    /// The side files come from, for one-way syncs.
    pub fn source(self) -> Option<Side> {
        match self {
            SyncDirection::Upload => Some(Side::Local),
            SyncDirection::Download => Some(Side::Remote),
            SyncDirection::Both => None,
        }
    }
}

/// What to do with one path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Copy local → remote (a folder: create it).
    Upload,
    /// Copy remote → local (a folder: create it).
    Download,
    /// Remove the local copy (a folder with everything in it).
    DeleteLocal,
    /// Remove the remote copy (a folder with everything in it).
    DeleteRemote,
    /// Leave both alone.
    Skip,
    /// Both sides changed, or they cannot be told apart: nothing happens
    /// until the user picks an action.
    Conflict,
}

impl Action {
    pub fn label(self) -> &'static str {
        match self {
            Action::Upload => "upload",
            Action::Download => "download",
            Action::DeleteLocal => "delete local",
            Action::DeleteRemote => "delete remote",
            Action::Skip => "skip",
            Action::Conflict => "conflict",
        }
    }

    pub fn is_delete(self) -> bool {
        matches!(self, Action::DeleteLocal | Action::DeleteRemote)
    }

    /// Whether running it changes anything.
    pub fn changes(self) -> bool {
        !matches!(self, Action::Skip | Action::Conflict)
    }
}

/// Why a row has its action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reason {
    /// Only on one side.
    New,
    /// Same size, newer time on the side it comes from.
    Newer,
    SizeDiffers,
    ChecksumDiffers,
    /// Nothing the rule looks at differs (or the checksums match).
    Identical,
    /// On the target side only, and deleting is off or on.
    NotOnSource,
    /// The target's copy is newer than the source's.
    TargetNewer,
    /// A file on one side, a folder on the other.
    KindDiffers,
    /// The sizes differ and the times do not say which is newer.
    Undecidable,
    /// The two differ, but neither changed since the last sync left them
    /// the same (a server that kept its own upload time shows this).
    Unchanged,
    /// Changed on this side only since the last sync.
    Changed,
    /// Changed on both sides since the last sync.
    BothChanged,
    /// Unchanged here, and deleted on the other side since the last sync.
    DeletedOnOther,
    /// Changed here, and deleted on the other side since the last sync.
    ChangedDeletedOnOther,
}

impl Reason {
    pub fn label(self) -> &'static str {
        match self {
            Reason::New => "new",
            Reason::Newer => "newer",
            Reason::SizeDiffers => "size differs",
            Reason::ChecksumDiffers => "checksum differs",
            Reason::Identical => "identical",
            Reason::NotOnSource => "not on source side",
            Reason::TargetNewer => "target is newer",
            Reason::KindDiffers => "file on one side, folder on the other",
            Reason::Undecidable => "size differs, same time",
            Reason::Unchanged => "unchanged since the last sync",
            Reason::Changed => "changed since the last sync",
            Reason::BothChanged => "changed on both sides since the last sync",
            Reason::DeletedOnOther => "deleted on the other side since the last sync",
            Reason::ChangedDeletedOnOther => "changed here, deleted on the other side",
        }
    }
}

/// One path of the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanRow {
    /// Relative path, the server's bytes, `/`-separated.
    pub path: Vec<u8>,
    pub is_dir: bool,
    pub action: Action,
    pub reason: Reason,
    pub local: Option<FileInfo>,
    pub remote: Option<FileInfo>,
    /// Unticked rows are skipped when the plan runs.
    pub ticked: bool,
}

impl PlanRow {
    /// The path for display.
    pub fn display(&self) -> String {
        String::from_utf8_lossy(&self.path).into_owned()
    }

    /// The bytes the action moves (0 for folders, deletes and skips).
    pub fn bytes(&self) -> u64 {
        let from = match self.action {
            Action::Upload => self.local,
            Action::Download => self.remote,
            _ => None,
        };
        from.and_then(|f| f.size).unwrap_or(0)
    }

    /// The actions that make sense for this row, for the preview's chooser.
    pub fn choices(&self) -> Vec<Action> {
        let mut out = Vec::new();
        if self.local.is_some() || (self.is_dir && self.remote.is_none()) {
            out.push(Action::Upload);
        }
        if self.remote.is_some() || (self.is_dir && self.local.is_none()) {
            out.push(Action::Download);
        }
        if self.reason == Reason::KindDiffers {
            out.clear();
        }
        if self.local.is_some() || self.is_dir {
            out.push(Action::DeleteLocal);
        }
        if self.remote.is_some() || self.is_dir {
            out.push(Action::DeleteRemote);
        }
        out.push(Action::Skip);
        out
    }

    /// Whether this row will do something when the plan runs.
    pub fn will_run(&self) -> bool {
        self.ticked && self.action.changes()
    }
}

/// What a plan does, counted over its ticked rows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    pub upload_files: u64,
    pub upload_bytes: u64,
    pub download_files: u64,
    pub download_bytes: u64,
    pub delete_local: u64,
    pub delete_remote: u64,
    pub conflicts: u64,
    pub identical: u64,
}

impl Totals {
    /// Whether running the plan changes nothing.
    pub fn is_nothing(&self) -> bool {
        self.upload_files + self.download_files + self.delete_local + self.delete_remote == 0
    }

    pub fn deletes(&self) -> u64 {
        self.delete_local + self.delete_remote
    }
}

/// The plan: rows in path order (a folder before what is in it).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    pub rows: Vec<PlanRow>,
}

impl Plan {
    pub fn totals(&self) -> Totals {
        let mut t = Totals::default();
        for row in &self.rows {
            if matches!(row.reason, Reason::Identical | Reason::Unchanged) {
                t.identical += 1;
            }
            if !row.ticked {
                continue;
            }
            match row.action {
                Action::Upload if !row.is_dir => {
                    t.upload_files += 1;
                    t.upload_bytes += row.bytes();
                }
                Action::Download if !row.is_dir => {
                    t.download_files += 1;
                    t.download_bytes += row.bytes();
                }
                Action::DeleteLocal => t.delete_local += 1,
                Action::DeleteRemote => t.delete_remote += 1,
                Action::Conflict => t.conflicts += 1,
                _ => {}
            }
        }
        t
    }

    /// The rows that change something, in order.
    pub fn to_run(&self) -> impl Iterator<Item = &PlanRow> {
        self.rows.iter().filter(|r| r.will_run())
    }
}

/// How to plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SyncOptions {
    pub direction: SyncDirection,
    pub compare: CompareOptions,
    /// Delete what the source side does not have (one-way syncs only).
    pub delete: bool,
}

/// Checksum comparisons made before planning: relative path → whether the
/// two copies' checksums are equal.
pub type Checksums = HashMap<Vec<u8>, bool>;

/// Files on both sides with the same size: the only ones a checksum can
/// tell apart (different sizes differ anyway).
pub fn checksum_candidates(local: &Tree, remote: &Tree) -> Vec<Vec<u8>> {
    local
        .nodes
        .iter()
        .filter_map(|(path, node)| match (node, remote.nodes.get(path)) {
            (Node::File(l), Some(Node::File(r))) if l.size.is_some() && l.size == r.size => {
                Some(path.clone())
            }
            _ => None,
        })
        .collect()
}

/// Plan a sync of `local` and `remote` (the two walked trees).
pub fn plan(local: &Tree, remote: &Tree, options: &SyncOptions, checksums: &Checksums) -> Plan {
    plan_with_state(local, remote, options, checksums, None)
}

/// Plan a sync, with the state the last sync of this pair saved: a file
/// changed on one side only since then goes to the other, one changed on
/// both is a conflict, and one unchanged on both is left alone.
pub fn plan_with_state(
    local: &Tree,
    remote: &Tree,
    options: &SyncOptions,
    checksums: &Checksums,
    state: Option<&super::state::SyncState>,
) -> Plan {
    let paths: BTreeSet<&Vec<u8>> = local.nodes.keys().chain(remote.nodes.keys()).collect();
    let mut rows = Vec::new();
    // Folders deleted or copied whole: what is inside needs no row of its own when deleted.
    let mut deleted_dirs: Vec<&[u8]> = Vec::new();
    for path in paths {
        if deleted_dirs
            .iter()
            .any(|d| path.len() > d.len() && path.starts_with(d) && path[d.len()] == b'/')
        {
            continue;
        }
        let (l, r) = (local.nodes.get(path), remote.nodes.get(path));
        let saved = state.and_then(|s| s.files.get(path.as_slice()));
        let is_dir = matches!(l, Some(Node::Dir)) || matches!(r, Some(Node::Dir));
        let (action, reason) = match (state, l, r) {
            (Some(state), Some(Node::Dir), None) | (Some(state), None, Some(Node::Dir))
                if options.direction.source().is_none() =>
            {
                let present = if l.is_some() { local } else { remote };
                let side = if l.is_some() {
                    Side::Local
                } else {
                    Side::Remote
                };
                gone_folder(path, present, side, state, options)
            }
            _ => decide(l, r, options, checksums.get(path).copied(), saved),
        };
        if is_dir && action.is_delete() {
            deleted_dirs.push(path);
        }
        let info = |n: Option<&Node>| match n {
            Some(Node::File(f)) => Some(*f),
            _ => None,
        };
        rows.push(PlanRow {
            path: path.clone(),
            is_dir,
            action,
            reason,
            local: info(l),
            remote: info(r),
            ticked: action != Action::Conflict,
        });
    }
    Plan { rows }
}

/// Both ways, with a saved state: a folder on one side only that held
/// files the last sync left on both sides was deleted on the other side.
/// When nothing in it changed or is new since, the deletion is carried over
/// (with delete on) or the folder is left alone; otherwise it is copied
/// back and its files decide one by one.
fn gone_folder(
    path: &[u8],
    present: &Tree,
    side: Side,
    state: &super::state::SyncState,
    options: &SyncOptions,
) -> (Action, Reason) {
    let inside = |p: &[u8]| p.len() > path.len() && p.starts_with(path) && p[path.len()] == b'/';
    let was_synced = state.files.keys().any(|p| inside(p));
    if !was_synced {
        return (copy_to_other(side), Reason::New);
    }
    let untouched = present
        .nodes
        .iter()
        .filter(|(p, _)| inside(p))
        .all(|(p, node)| match node {
            Node::Dir => true,
            Node::File(f) => state.files.get(p.as_slice()).is_some_and(|saved| {
                let seen = super::state::Seen::of(f);
                match side {
                    Side::Local => seen == saved.local,
                    Side::Remote => seen == saved.remote,
                }
            }),
        });
    match (untouched, options.delete) {
        (true, true) => (delete_on(side), Reason::DeletedOnOther),
        (true, false) => (Action::Skip, Reason::DeletedOnOther),
        (false, _) => (copy_to_other(side), Reason::New),
    }
}

fn copy_to_other(from: Side) -> Action {
    match from {
        Side::Local => Action::Upload,
        Side::Remote => Action::Download,
    }
}

fn delete_on(side: Side) -> Action {
    match side {
        Side::Local => Action::DeleteLocal,
        Side::Remote => Action::DeleteRemote,
    }
}

fn other(side: Side) -> Side {
    match side {
        Side::Local => Side::Remote,
        Side::Remote => Side::Local,
    }
}

fn decide(
    local: Option<&Node>,
    remote: Option<&Node>,
    options: &SyncOptions,
    checksum_equal: Option<bool>,
    saved: Option<&super::state::Pair>,
) -> (Action, Reason) {
    let source = options.direction.source();
    match (local, remote) {
        (None, None) => (Action::Skip, Reason::Identical),
        (Some(_), None) | (None, Some(_)) => {
            let present = if local.is_some() {
                Side::Local
            } else {
                Side::Remote
            };
            let present_file = match local.or(remote) {
                Some(Node::File(f)) => Some(f),
                _ => None,
            };
            match source {
                // Both ways, and the last sync left it on both sides: it
                // was deleted on the other side since.
                None if let (Some(saved), Some(f)) = (saved, present_file) => {
                    let before = match present {
                        Side::Local => saved.local,
                        Side::Remote => saved.remote,
                    };
                    if super::state::Seen::of(f) != before {
                        (Action::Conflict, Reason::ChangedDeletedOnOther)
                    } else if options.delete {
                        (delete_on(present), Reason::DeletedOnOther)
                    } else {
                        (Action::Skip, Reason::DeletedOnOther)
                    }
                }
                None => (copy_to_other(present), Reason::New),
                Some(s) if s == present => (copy_to_other(present), Reason::New),
                Some(_) if options.delete => (delete_on(present), Reason::NotOnSource),
                Some(_) => (Action::Skip, Reason::NotOnSource),
            }
        }
        (Some(Node::Dir), Some(Node::Dir)) => (Action::Skip, Reason::Identical),
        (Some(Node::File(l)), Some(Node::File(r))) => {
            let verdict = compare(l, r, &options.compare);
            let newer = match verdict {
                Verdict::Identical => None,
                Verdict::Newer(s) => Some(s),
                Verdict::SizeDiffers { newer } => newer,
            };
            let (differs, reason) = match (checksum_equal, verdict) {
                (Some(true), _) => (false, Reason::Identical),
                (Some(false), _) => (true, Reason::ChecksumDiffers),
                (None, Verdict::Identical) => (false, Reason::Identical),
                (None, Verdict::Newer(_)) => (true, Reason::Newer),
                (None, Verdict::SizeDiffers { .. }) => (true, Reason::SizeDiffers),
            };
            let size_differs =
                matches!(verdict, Verdict::SizeDiffers { .. }) || checksum_equal == Some(false);
            if !differs {
                return (Action::Skip, Reason::Identical);
            }
            if let Some(saved) = saved {
                use super::state::Seen;
                let here = Seen::of(l) != saved.local;
                let there = Seen::of(r) != saved.remote;
                match (here, there, source) {
                    // A checksum that differs outweighs what the times say.
                    (false, false, _) if checksum_equal != Some(false) => {
                        return (Action::Skip, Reason::Unchanged);
                    }
                    (true, true, None) => return (Action::Conflict, Reason::BothChanged),
                    (true, false, None) => return (Action::Upload, Reason::Changed),
                    (false, true, None) => return (Action::Download, Reason::Changed),
                    // One way: the source side decides, as without the state.
                    _ => {}
                }
            }
            match (source, newer) {
                // Both ways: the newer copy wins; when the times cannot say, the user decides.
                (None, Some(s)) => (copy_to_other(s), reason),
                (None, None) => (Action::Conflict, Reason::Undecidable),
                (Some(s), Some(n)) if n == other(s) && size_differs => {
                    (Action::Conflict, Reason::TargetNewer)
                }
                // Same content size, only the target's time is later: a server that
                // could not keep the upload's time shows exactly this.
                (Some(s), Some(n)) if n == other(s) => (Action::Skip, Reason::TargetNewer),
                (Some(s), _) => (copy_to_other(s), reason),
            }
        }
        _ => (Action::Conflict, Reason::KindDiffers),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::test_trees::{actions, f, opts, tree};
    use proptest::prelude::*;

    #[test]
    fn an_upload_plans_new_newer_and_changed_files_and_skips_the_rest() {
        let local = tree(&[
            ("new.txt", f(1, 0)),
            ("same.txt", f(5, 0)),
            ("newer.txt", f(5, 9)),
            ("bigger.txt", f(6, 0)),
            ("dir", Node::Dir),
            ("dir/inside", f(3, 0)),
        ]);
        let remote = tree(&[
            ("same.txt", f(5, 0)),
            ("newer.txt", f(5, 1)),
            ("bigger.txt", f(5, 0)),
            ("orphan.txt", f(2, 0)),
        ]);
        let plan = plan(
            &local,
            &remote,
            &opts(SyncDirection::Upload, false),
            &Checksums::new(),
        );
        use Action::*;
        assert_eq!(
            actions(&plan),
            vec![
                ("bigger.txt".into(), Upload, Reason::SizeDiffers),
                ("dir".into(), Upload, Reason::New),
                ("dir/inside".into(), Upload, Reason::New),
                ("new.txt".into(), Upload, Reason::New),
                ("newer.txt".into(), Upload, Reason::Newer),
                ("orphan.txt".into(), Skip, Reason::NotOnSource),
                ("same.txt".into(), Skip, Reason::Identical),
            ]
        );
        let totals = plan.totals();
        assert_eq!(
            (totals.upload_files, totals.upload_bytes),
            (4, 1 + 5 + 6 + 3)
        );
        assert_eq!(totals.deletes(), 0);
    }

    #[test]
    fn delete_removes_only_orphans_and_a_folder_in_one_row() {
        let local = tree(&[("keep.txt", f(1, 0))]);
        let remote = tree(&[
            ("keep.txt", f(1, 0)),
            ("gone", Node::Dir),
            ("gone/a", f(1, 0)),
            ("gone/b", f(1, 0)),
            ("gone.txt", f(1, 0)),
        ]);
        let plan = plan(
            &local,
            &remote,
            &opts(SyncDirection::Upload, true),
            &Checksums::new(),
        );
        assert_eq!(
            actions(&plan),
            vec![
                ("gone".into(), Action::DeleteRemote, Reason::NotOnSource),
                ("gone.txt".into(), Action::DeleteRemote, Reason::NotOnSource),
                ("keep.txt".into(), Action::Skip, Reason::Identical),
            ]
        );
        assert_eq!(plan.totals().delete_remote, 2);
    }

    #[test]
    fn a_target_that_changed_is_a_conflict_not_an_overwrite() {
        let local = tree(&[("a", f(5, 0))]);
        let remote = tree(&[("a", f(7, 9))]);
        let plan = plan(
            &local,
            &remote,
            &opts(SyncDirection::Upload, false),
            &Checksums::new(),
        );
        assert_eq!(plan.rows[0].action, Action::Conflict);
        assert!(!plan.rows[0].ticked);
        assert_eq!(
            plan.totals().conflicts,
            0,
            "unticked conflicts are not counted"
        );
    }

    #[test]
    fn both_ways_copies_the_newer_side_and_marks_undecidable_rows() {
        let local = tree(&[
            ("a", f(5, 9)),
            ("b", f(5, 1)),
            ("c", f(5, 0)),
            ("l", f(1, 0)),
        ]);
        let remote = tree(&[
            ("a", f(5, 1)),
            ("b", f(6, 9)),
            ("c", f(6, 0)),
            ("r", f(1, 0)),
        ]);
        let plan = plan(
            &local,
            &remote,
            &opts(SyncDirection::Both, true),
            &Checksums::new(),
        );
        use Action::*;
        assert_eq!(
            actions(&plan),
            vec![
                ("a".into(), Upload, Reason::Newer),
                ("b".into(), Download, Reason::SizeDiffers),
                ("c".into(), Conflict, Reason::Undecidable),
                ("l".into(), Upload, Reason::New),
                ("r".into(), Download, Reason::New),
            ]
        );
    }

    #[test]
    fn checksums_override_times_for_files_of_the_same_size() {
        let local = tree(&[("same", f(5, 9)), ("changed", f(5, 0))]);
        let remote = tree(&[("same", f(5, 0)), ("changed", f(5, 0))]);
        assert_eq!(checksum_candidates(&local, &remote).len(), 2);
        let sums: Checksums = [(b"same".to_vec(), true), (b"changed".to_vec(), false)].into();
        let plan = plan(&local, &remote, &opts(SyncDirection::Upload, false), &sums);
        assert_eq!(
            actions(&plan),
            vec![
                ("changed".into(), Action::Upload, Reason::ChecksumDiffers),
                ("same".into(), Action::Skip, Reason::Identical),
            ]
        );
    }

    #[test]
    fn a_file_against_a_folder_is_a_conflict() {
        let local = tree(&[("x", f(1, 0))]);
        let remote = tree(&[("x", Node::Dir), ("x/y", f(1, 0))]);
        let plan = plan(
            &local,
            &remote,
            &opts(SyncDirection::Upload, true),
            &Checksums::new(),
        );
        assert_eq!(plan.rows[0].action, Action::Conflict);
        assert_eq!(plan.rows[0].reason, Reason::KindDiffers);
    }

    fn any_node() -> impl Strategy<Value = Option<Node>> {
        prop_oneof![
            Just(None),
            (0u64..3, 0u32..3).prop_map(|(s, m)| Some(f(s, m))),
        ]
    }

    proptest! {
        /// After copying what an upload plan says (and deleting with --delete),
        /// planning again finds nothing to do.
        #[test]
        fn running_a_one_way_plan_leaves_nothing_to_do(
            files in proptest::collection::vec((any_node(), any_node()), 0..12),
            delete in any::<bool>(),
        ) {
            let mut local = Tree::default();
            let mut remote = Tree::default();
            for (i, (l, r)) in files.iter().enumerate() {
                let name = format!("f{i}").into_bytes();
                if let Some(l) = l { local.nodes.insert(name.clone(), *l); }
                if let Some(r) = r { remote.nodes.insert(name, *r); }
            }
            let options = opts(SyncDirection::Upload, delete);
            let first = plan(&local, &remote, &options, &Checksums::new());
            for row in first.to_run() {
                match row.action {
                    Action::Upload => { remote.nodes.insert(row.path.clone(), local.nodes[&row.path]); }
                    Action::DeleteRemote => { remote.nodes.remove(&row.path); }
                    other => prop_assert!(false, "unexpected {other:?}"),
                }
            }
            let again = plan(&local, &remote, &options, &Checksums::new());
            prop_assert_eq!(again.totals().upload_files + again.totals().delete_remote, 0);
            // Nothing on the remote side is deleted unless --delete.
            if !delete {
                prop_assert!(first.rows.iter().all(|r| !r.action.is_delete()));
            }
        }
    }
}
