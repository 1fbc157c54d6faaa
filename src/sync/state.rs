//! The saved sync state: for a pair of folders, each file's size and time on
//! both sides as they were the last time a sync left the two the same. With
//! it, the next both-ways sync tells "changed on one side" (copy it) from
//! "changed on both" (a conflict) instead of letting the newer time win,
//! and a server that could not keep an uploaded file's time (no MFMT, no
//! SITE UTIME) does not make the file look changed next time.
//!
//! One small JSON file per pair in Ferry's data folder, written atomically.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::compare::{CompareOptions, FileInfo, Verdict, compare};
use super::plan::{Action, Plan, Reason};
use super::tree::{Node, Tree};

/// One side of a file as a sync left it: size, and time (seconds since
/// 1970, UTC, at the precision the listing gave).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Seen {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<i64>,
}

impl Seen {
    pub fn of(info: &FileInfo) -> Seen {
        Seen {
            size: info.size,
            time: info.modified.map(|t| t.and_utc().timestamp()),
        }
    }
}

/// Both sides of a file as a sync left them the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Pair {
    pub local: Seen,
    pub remote: Seen,
}

/// The saved state of one pair of folders.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncState {
    /// Relative path (the server's bytes, `/`-separated) → both sides.
    pub files: HashMap<Vec<u8>, Pair>,
}

/// The file's form: what the pair is (for a person reading it) and the files.
#[derive(serde::Serialize, serde::Deserialize)]
struct StateFile {
    version: u32,
    local: String,
    remote: String,
    /// Escaped path (see [`escape`]) → both sides, in path order.
    files: BTreeMap<String, Pair>,
}

const VERSION: u32 = 1;

/// A relative path as text: UTF-8 as it is, other bytes and `%` as `%XX`.
fn escape(path: &[u8]) -> String {
    let mut out = String::with_capacity(path.len());
    for chunk in path.utf8_chunks() {
        for c in chunk.valid().chars() {
            if c == '%' {
                out.push_str("%25");
            } else {
                out.push(c);
            }
        }
        for b in chunk.invalid() {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The bytes [`escape`] wrote; `None` for text it cannot have written.
fn unescape(text: &str) -> Option<Vec<u8>> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    Some(out)
}

/// Ferry's data folder: `FERRY_DATA_DIR` when set (tests, portable
/// installs), else `~/.local/share/ferry` on Linux and the platform's
/// equivalent elsewhere.
pub fn default_data_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("FERRY_DATA_DIR").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    directories::ProjectDirs::from("", "", "ferry").map(|d| d.data_dir().to_path_buf())
}

/// Where the state of a pair lives: `sync-state/<hash>.json` in `data_dir`,
/// the hash of the server (`user@host:port`), the remote folder and the
/// local folder.
pub fn state_file(data_dir: &Path, server: &str, remote_root: &[u8], local_root: &Path) -> PathBuf {
    let mut hash = Sha256::new();
    hash.update(server.as_bytes());
    hash.update([0]);
    hash.update(remote_root);
    hash.update([0]);
    hash.update(local_root.as_os_str().as_encoded_bytes());
    let digest = hash.finalize();
    let name: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    data_dir.join("sync-state").join(format!("{name}.json"))
}

impl SyncState {
    /// Read a pair's state. A missing file is an empty state; a file that
    /// cannot be read is moved aside (kept as `NAME.broken-<time>`) and the
    /// state starts empty, with the reason for the user.
    pub fn load(path: &Path) -> (SyncState, Option<String>) {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return (SyncState::default(), None);
            }
            Err(e) => {
                return (
                    SyncState::default(),
                    Some(format!(
                        "could not read the saved sync state ({e}); newer times decide this time: {}",
                        path.display()
                    )),
                );
            }
        };
        match serde_json::from_str::<StateFile>(&text) {
            Ok(file) if file.version <= VERSION => {
                let files = file
                    .files
                    .into_iter()
                    .filter_map(|(k, v)| Some((unescape(&k)?, v)))
                    .collect();
                (SyncState { files }, None)
            }
            Ok(_) | Err(_) => {
                let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S");
                let aside = path.with_extension(format!("json.broken-{stamp}"));
                let kept = std::fs::rename(path, &aside).is_ok();
                let note = if kept {
                    format!(
                        "the saved sync state could not be read and was kept aside as {}; newer times decide this time",
                        aside.display()
                    )
                } else {
                    format!(
                        "the saved sync state could not be read; newer times decide this time: {}",
                        path.display()
                    )
                };
                (SyncState::default(), Some(note))
            }
        }
    }

    /// Write the state atomically (a crash leaves the old file or the new one).
    pub fn save(&self, path: &Path, local: &Path, remote: &str) -> std::io::Result<()> {
        let file = StateFile {
            version: VERSION,
            local: local.display().to_string(),
            remote: remote.to_string(),
            files: self.files.iter().map(|(k, v)| (escape(k), *v)).collect(),
        };
        let json = serde_json::to_vec_pretty(&file).map_err(std::io::Error::other)?;
        crate::safe_file::write_atomic(path, &json)
    }

    /// After a sync: remember each file that is the same on both sides now.
    /// `ran` is the plan that was carried out (its rows as they were before
    /// it ran); `local` and `remote` are the trees walked afterwards (the
    /// same trees when nothing ran). A file copied by the plan counts when
    /// both sizes agree and the target was rewritten; one the plan found
    /// identical counts when it still compares identical. Conflicts, unticked
    /// and failed rows keep what was saved before, so the next sync still
    /// sees what changed. Files gone from either side are forgotten.
    pub fn record(&mut self, ran: &Plan, local: &Tree, remote: &Tree, options: &CompareOptions) {
        let rows: HashMap<&[u8], &super::plan::PlanRow> =
            ran.rows.iter().map(|r| (r.path.as_slice(), r)).collect();
        let mut files = HashMap::new();
        for (path, node) in &local.nodes {
            let (Node::File(l), Some(Node::File(r))) = (node, remote.nodes.get(path)) else {
                continue;
            };
            let identical = matches!(compare(l, r, options), Verdict::Identical);
            let in_sync = match rows.get(path.as_slice()) {
                Some(row)
                    if row.will_run()
                        && matches!(row.action, Action::Upload | Action::Download) =>
                {
                    let (before, after) = match row.action {
                        Action::Upload => (row.remote, r),
                        _ => (row.local, l),
                    };
                    let rewritten = before.map(|b| Seen::of(&b)) != Some(Seen::of(after));
                    l.size.is_some() && l.size == r.size && rewritten
                }
                Some(row) => row.reason == Reason::Identical && identical,
                None => identical,
            };
            let pair = Pair {
                local: Seen::of(l),
                remote: Seen::of(r),
            };
            if in_sync {
                files.insert(path.clone(), pair);
            } else if let Some(old) = self.files.get(path) {
                files.insert(path.clone(), *old);
            }
        }
        self.files = files;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::plan::{Checksums, SyncDirection, SyncOptions, plan_with_state};
    use crate::sync::test_trees::{actions, f, opts, tree};

    /// A both-ways plan, no deletions, no checksums, with `state` if given.
    fn both_ways(local: &Tree, remote: &Tree, state: Option<&SyncState>) -> Plan {
        plan_with_state(
            local,
            remote,
            &opts(SyncDirection::Both, false),
            &Checksums::new(),
            state,
        )
    }

    #[test]
    fn paths_survive_escaping_whatever_their_bytes() {
        for path in [
            &b"plain/name.txt"[..],
            b"100%/sure",
            b"caf\xe9/latin1",
            "日本/語".as_bytes(),
            b"%41",
        ] {
            assert_eq!(unescape(&escape(path)).as_deref(), Some(path), "{path:?}");
        }
        assert_eq!(escape(b"caf\xe9"), "caf%E9");
        assert_eq!(unescape("bad%4"), None);
    }

    #[test]
    fn saving_and_loading_keep_every_file_and_a_broken_file_is_kept_aside() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = state_file(
            dir.path(),
            "alice@host:21",
            b"/www",
            Path::new("/home/a/www"),
        );
        assert_ne!(
            path,
            state_file(
                dir.path(),
                "alice@host:21",
                b"/www2",
                Path::new("/home/a/www")
            )
        );
        let (empty, note) = SyncState::load(&path);
        assert!(empty.files.is_empty() && note.is_none());
        let mut state = SyncState::default();
        let seen = Seen {
            size: Some(5),
            time: Some(1_700_000_000),
        };
        state.files.insert(
            b"a/caf\xe9".to_vec(),
            Pair {
                local: seen,
                remote: Seen {
                    size: Some(5),
                    time: None,
                },
            },
        );
        state
            .save(&path, Path::new("/home/a/www"), "alice@host:21/www")
            .expect("save");
        assert_eq!(SyncState::load(&path), (state, None));

        std::fs::write(&path, b"{ not json").expect("write");
        let (loaded, note) = SyncState::load(&path);
        assert!(loaded.files.is_empty());
        assert!(note.expect("a note").contains("kept aside"));
        let kept: Vec<_> = std::fs::read_dir(path.parent().expect("folder"))
            .expect("list")
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        assert!(kept.iter().any(|n| n.contains(".broken-")), "{kept:?}");
    }

    #[test]
    fn with_a_saved_state_both_ways_tells_one_side_changed_from_both_changed() {
        // Last sync left a, b, c and d the same on both sides.
        let synced = tree(&[
            ("a", f(5, 0)),
            ("b", f(5, 0)),
            ("c", f(5, 0)),
            ("d", f(5, 0)),
        ]);
        let mut state = SyncState::default();
        let plan0 = both_ways(&synced, &synced, None);
        state.record(
            &plan0,
            &synced,
            &synced,
            &opts(SyncDirection::Both, false).compare,
        );
        assert_eq!(state.files.len(), 4);

        // Since: a changed here, b changed there (but with an older time
        // than a: newer-wins would upload a stale copy over it), c changed
        // on both sides, d is untouched.
        let local = tree(&[
            ("a", f(6, 5)),
            ("b", f(5, 0)),
            ("c", f(7, 9)),
            ("d", f(5, 0)),
        ]);
        let remote = tree(&[
            ("a", f(5, 0)),
            ("b", f(8, 3)),
            ("c", f(9, 2)),
            ("d", f(5, 0)),
        ]);
        let plan = both_ways(&local, &remote, Some(&state));
        assert_eq!(
            actions(&plan),
            vec![
                ("a".into(), Action::Upload, Reason::Changed),
                ("b".into(), Action::Download, Reason::Changed),
                ("c".into(), Action::Conflict, Reason::BothChanged),
                ("d".into(), Action::Skip, Reason::Identical),
            ]
        );
        // Without the state, the newer time wins c and nothing is a conflict.
        let blind = both_ways(&local, &remote, None);
        assert_eq!(blind.rows[2].action, Action::Upload);
    }

    #[test]
    fn with_a_saved_state_a_deletion_on_one_side_is_not_undone() {
        // Last sync left gone.txt, kept.txt and old/x on both sides.
        let synced = tree(&[
            ("gone.txt", f(5, 0)),
            ("kept.txt", f(5, 0)),
            ("edited.txt", f(5, 0)),
            ("old", Node::Dir),
            ("old/x", f(5, 0)),
            ("busy", Node::Dir),
            ("busy/y", f(5, 0)),
        ]);
        let mut state = SyncState::default();
        let plan0 = both_ways(&synced, &synced, None);
        state.record(
            &plan0,
            &synced,
            &synced,
            &opts(SyncDirection::Both, false).compare,
        );

        // Since: the server lost gone.txt, edited.txt and both folders; here
        // edited.txt changed and busy/ got a new file.
        let local = tree(&[
            ("gone.txt", f(5, 0)),
            ("kept.txt", f(5, 0)),
            ("edited.txt", f(6, 9)),
            ("old", Node::Dir),
            ("old/x", f(5, 0)),
            ("busy", Node::Dir),
            ("busy/y", f(5, 0)),
            ("busy/new", f(1, 9)),
            ("fresh.txt", f(1, 9)),
        ]);
        let remote = tree(&[("kept.txt", f(5, 0))]);
        let plan = both_ways(&local, &remote, Some(&state));
        assert_eq!(
            actions(&plan),
            vec![
                ("busy".into(), Action::Upload, Reason::New),
                ("busy/new".into(), Action::Upload, Reason::New),
                ("busy/y".into(), Action::Skip, Reason::DeletedOnOther),
                (
                    "edited.txt".into(),
                    Action::Conflict,
                    Reason::ChangedDeletedOnOther
                ),
                ("fresh.txt".into(), Action::Upload, Reason::New),
                ("gone.txt".into(), Action::Skip, Reason::DeletedOnOther),
                ("kept.txt".into(), Action::Skip, Reason::Identical),
                ("old".into(), Action::Skip, Reason::DeletedOnOther),
                ("old/x".into(), Action::Skip, Reason::DeletedOnOther),
            ]
        );
        // With delete on, the deletions are carried over: old/ goes whole.
        let delete = SyncOptions {
            delete: true,
            ..opts(SyncDirection::Both, false)
        };
        let plan = plan_with_state(&local, &remote, &delete, &Checksums::new(), Some(&state));
        let acts: Vec<_> = actions(&plan)
            .into_iter()
            .filter(|(_, a, _)| a.is_delete())
            .map(|(p, _, _)| p)
            .collect();
        assert_eq!(acts, ["busy/y", "gone.txt", "old"]);
        // Without the state, everything missing there is new again.
        let blind = both_ways(&local, &remote, None);
        assert!(
            blind
                .rows
                .iter()
                .all(|r| r.reason != Reason::DeletedOnOther)
        );
    }

    #[test]
    fn a_server_that_kept_its_own_upload_time_is_not_a_change_next_time() {
        // Uploaded: the server shows its own later time, same size.
        let local = tree(&[("up.txt", f(5, 0))]);
        let before = tree(&[]);
        let after = tree(&[("up.txt", f(5, 30))]);
        let ran = both_ways(&local, &before, None);
        assert_eq!(ran.rows[0].action, Action::Upload);
        let mut state = SyncState::default();
        state.record(
            &ran,
            &local,
            &after,
            &opts(SyncDirection::Both, false).compare,
        );
        assert_eq!(state.files.len(), 1);
        let next = both_ways(&local, &after, Some(&state));
        assert_eq!(
            actions(&next),
            vec![("up.txt".into(), Action::Skip, Reason::Unchanged)]
        );
        // Without the state both ways would download it back as newer.
        let blind = both_ways(&local, &after, None);
        assert_eq!(blind.rows[0].action, Action::Download);
    }

    #[test]
    fn conflicts_and_failed_copies_keep_what_was_saved_before() {
        let synced = tree(&[("c", f(5, 0)), ("x", f(5, 0))]);
        let mut state = SyncState::default();
        let plan0 = both_ways(&synced, &synced, None);
        state.record(
            &plan0,
            &synced,
            &synced,
            &opts(SyncDirection::Both, false).compare,
        );
        let saved = state.clone();

        // c changed on both sides (a conflict, not run); x changed here,
        // but its upload failed: the server still has the old copy.
        let local = tree(&[("c", f(6, 4)), ("x", f(5, 7))]);
        let remote = tree(&[("c", f(7, 3)), ("x", f(5, 0))]);
        let ran = both_ways(&local, &remote, Some(&state));
        assert_eq!(ran.rows[0].action, Action::Conflict);
        assert_eq!(ran.rows[1].action, Action::Upload);
        state.record(
            &ran,
            &local,
            &remote,
            &opts(SyncDirection::Both, false).compare,
        );
        assert_eq!(state, saved);
        // So the next sync still sees both: the conflict and the change to upload.
        let again = both_ways(&local, &remote, Some(&state));
        assert_eq!(actions(&again), actions(&ran));

        // A file gone from one side is forgotten.
        let gone = tree(&[("x", f(5, 0))]);
        state.record(
            &again,
            &gone,
            &gone,
            &opts(SyncDirection::Both, false).compare,
        );
        assert_eq!(state.files.len(), 1);
    }
}
