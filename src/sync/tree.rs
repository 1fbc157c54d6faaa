//! Walking a folder tree on either side into one flat map of relative paths,
//! with progress and cancel. Names that could leave the folder (`..`, `/`,
//! NUL, CR/LF) are refused and reported, never followed; links are not
//! followed; excluded names are left out (and so are never deleted).

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::TimeDelta;

use super::SyncError;
use super::compare::{FileInfo, TimePrecision};
use super::timezone;
use crate::engine::transfer::{safe_local_name, safe_remote_name};
use crate::ftp::{EntryKind, ListingFormat, NameCharset, Session};

/// One entry of a walked tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Node {
    Dir,
    File(FileInfo),
}

/// A folder tree: relative paths (the server's bytes, `/`-separated) to
/// what is there, in path order, so a folder comes before what is in it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tree {
    pub nodes: BTreeMap<Vec<u8>, Node>,
    /// Entries left out, each with the reason ("refusing the server's file
    /// name …", "link not followed: …").
    pub refused: Vec<String>,
    /// The offset subtracted from this server's `LIST` times (None: MLSD,
    /// a local tree, or no offset found).
    pub time_offset: Option<TimeDelta>,
    /// Listing commands sent (one per remote folder).
    pub listings: u64,
    /// The top folder does not exist (yet): the tree is empty, and copying
    /// into it creates it.
    pub root_missing: bool,
}

/// What to leave out and how to read names.
#[derive(Debug, Clone, Default)]
pub struct WalkOptions {
    /// Shell-style patterns (`*`, `?`) matched against each name, or against
    /// the relative path when the pattern has a `/`.
    pub exclude: Vec<String>,
    /// Name filters (View → Filters…): a name any of them hides is left out
    /// too.
    pub hide: Vec<std::sync::Arc<crate::filters::NameFilter>>,
    /// The server's name encoding.
    pub charset: NameCharset,
    /// The server's `LIST` time offset when known (a site's setting); None
    /// detects it.
    pub time_offset: Option<TimeDelta>,
}

/// How far a walk has got.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WalkProgress {
    pub folders: u64,
    pub files: u64,
}

/// `dir/name` for relative remote paths ("" is the top).
pub fn join_rel(dir: &[u8], name: &[u8]) -> Vec<u8> {
    if dir.is_empty() {
        return name.to_vec();
    }
    [dir, b"/", name].concat()
}

/// Whether a shell-style pattern matches `text` (`*` any run, `?` one character).
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

fn excluded(options: &WalkOptions, rel: &[u8], name: &[u8], is_dir: bool) -> bool {
    let name = options.charset.decode(name);
    let rel = options.charset.decode(rel);
    options.hide.iter().any(|f| f.hides(&name, is_dir))
        || options.exclude.iter().any(|g| {
            if g.contains('/') {
                glob_match(g.trim_start_matches('/'), &rel)
            } else {
                glob_match(g, &name)
            }
        })
}

pub(crate) fn check_cancel(cancel: &AtomicBool) -> Result<(), SyncError> {
    if cancel.load(Ordering::Relaxed) {
        Err(SyncError::Cancelled)
    } else {
        Ok(())
    }
}

/// Walk the remote folder `root` (a path as the server takes it; empty for
/// the login folder). One listing per folder; one MDTM when the server has
/// no MLSD and no offset is given, to learn its time zone.
pub async fn walk_remote(
    session: &mut Session,
    root: &[u8],
    options: &WalkOptions,
    progress: &mut (dyn FnMut(WalkProgress) + Send),
    cancel: &AtomicBool,
) -> Result<Tree, SyncError> {
    session.set_list_hidden(true);
    let mut tree = Tree {
        time_offset: options.time_offset,
        ..Tree::default()
    };
    let mut offset_known = options.time_offset.is_some();
    let mut count = WalkProgress::default();
    let mut pending: Vec<Vec<u8>> = vec![Vec::new()];
    while let Some(rel) = pending.pop() {
        check_cancel(cancel)?;
        let dir = remote_path(root, &rel);
        let listed = session
            .list_raw((!dir.is_empty()).then_some(dir.as_slice()))
            .await;
        let (format, bytes) = match listed {
            Ok(listed) => listed,
            Err(e) if rel.is_empty() && !e.is_fatal_to_session() && !dir.is_empty() => {
                if remote_dir_exists(session, &dir).await? {
                    return Err(e.into());
                }
                tree.root_missing = true;
                return Ok(tree);
            }
            Err(e) => return Err(e.into()),
        };
        tree.listings += 1;
        let entries =
            crate::ftp::listing::parse_listing(&bytes, format, chrono::Local::now().naive_local());
        if format == ListingFormat::List && !offset_known {
            tree.time_offset = timezone::detect(session, &dir, &entries).await?;
            offset_known = tree.time_offset.is_some();
        }
        count.folders += 1;
        for entry in entries {
            if entry.name == b"." || entry.name == b".." {
                continue;
            }
            let child = join_rel(&rel, &entry.name);
            if let Err(why) = safe_local_name(&entry.name, &options.charset) {
                tree.refused.push(why);
                continue;
            }
            if entry.name.iter().any(|&b| b == b'\r' || b == b'\n') {
                tree.refused.push(format!(
                    "refusing the server's file name {:?}: it has a line break",
                    entry.display_name()
                ));
                continue;
            }
            if excluded(options, &child, &entry.name, entry.kind == EntryKind::Dir) {
                continue;
            }
            match entry.kind {
                EntryKind::Dir => {
                    tree.nodes.insert(child.clone(), Node::Dir);
                    pending.push(child);
                }
                EntryKind::File => {
                    count.files += 1;
                    let info = match format {
                        ListingFormat::Mlsd => FileInfo {
                            size: entry.size,
                            modified: entry.modified,
                            precision: TimePrecision::Second,
                        },
                        _ => FileInfo {
                            size: entry.size,
                            modified: entry
                                .modified
                                .map(|t| t - tree.time_offset.unwrap_or_default()),
                            precision: entry
                                .modified
                                .map_or(TimePrecision::Day, TimePrecision::of_list_time),
                        },
                    };
                    tree.nodes.insert(child, Node::File(info));
                }
                _ => tree.refused.push(format!(
                    "link or special file not followed: {}",
                    String::from_utf8_lossy(&child)
                )),
            }
        }
        progress(count);
    }
    Ok(tree)
}

/// Whether CWD into `dir` works (then back to where the session was, so
/// relative paths keep their meaning).
async fn remote_dir_exists(session: &mut Session, dir: &[u8]) -> crate::ftp::Result<bool> {
    let here = session.pwd().await?;
    match session.cwd(dir).await {
        Ok(()) => session.cwd(&here).await.map(|()| true),
        Err(e) if e.is_fatal_to_session() => Err(e),
        Err(_) => Ok(false),
    }
}

/// The server path of `rel` under `root`.
pub fn remote_path(root: &[u8], rel: &[u8]) -> Vec<u8> {
    match (root.is_empty(), rel.is_empty()) {
        (_, true) => root.to_vec(),
        (true, false) => rel.to_vec(),
        (false, false) => {
            let root = root.strip_suffix(b"/").unwrap_or(root);
            [root, b"/", rel].concat()
        }
    }
}

/// The local path of `rel` (server bytes) under `root`: each name decoded
/// from the server's encoding and checked again.
pub fn local_path(
    root: &Path,
    rel: &[u8],
    charset: &NameCharset,
) -> Result<std::path::PathBuf, String> {
    let mut path = root.to_path_buf();
    if rel.is_empty() {
        return Ok(path);
    }
    for name in rel.split(|&b| b == b'/') {
        path.push(safe_local_name(name, charset)?);
    }
    Ok(path)
}

/// Walk the local folder `root` (blocking: run it on a blocking thread).
/// Names are keyed as they would be named on the server (`charset`).
pub fn walk_local(
    root: &Path,
    options: &WalkOptions,
    progress: &mut dyn FnMut(WalkProgress),
    cancel: &AtomicBool,
) -> Result<Tree, SyncError> {
    let mut tree = Tree::default();
    let mut count = WalkProgress::default();
    let mut pending: Vec<Vec<u8>> = vec![Vec::new()];
    while let Some(rel) = pending.pop() {
        check_cancel(cancel)?;
        let dir = local_path(root, &rel, &options.charset).map_err(SyncError::Refused)?;
        let read = std::fs::read_dir(&dir).map_err(|source| SyncError::Local {
            what: "read the folder",
            path: dir.display().to_string(),
            source,
        })?;
        count.folders += 1;
        for item in read {
            let item = item.map_err(|source| SyncError::Local {
                what: "read the folder",
                path: dir.display().to_string(),
                source,
            })?;
            let os_name = item.file_name();
            let Ok(name) = safe_remote_name(os_name.as_encoded_bytes(), &options.charset) else {
                tree.refused.push(format!(
                    "cannot name {:?} on the server: {}",
                    os_name,
                    dir.display()
                ));
                continue;
            };
            let child = join_rel(&rel, &name);
            let is_dir = item.file_type().is_ok_and(|t| t.is_dir());
            if excluded(options, &child, &name, is_dir) {
                continue;
            }
            let meta =
                std::fs::symlink_metadata(item.path()).map_err(|source| SyncError::Local {
                    what: "read the file's details",
                    path: item.path().display().to_string(),
                    source,
                })?;
            if meta.is_dir() {
                tree.nodes.insert(child.clone(), Node::Dir);
                pending.push(child);
            } else if meta.is_file() {
                count.files += 1;
                let modified = meta
                    .modified()
                    .ok()
                    .map(|t| chrono::DateTime::<chrono::Utc>::from(t).naive_utc());
                tree.nodes.insert(
                    child,
                    Node::File(FileInfo {
                        size: Some(meta.len()),
                        modified,
                        precision: TimePrecision::Second,
                    }),
                );
            } else {
                tree.refused.push(format!(
                    "link or special file not followed: {}",
                    item.path().display()
                ));
            }
        }
        progress(count);
    }
    Ok(tree)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_names_like_a_shell() {
        for (p, t, want) in [
            ("*.tmp", "a.tmp", true),
            ("*.tmp", "a.tmp.txt", false),
            (".git", ".git", true),
            ("?.txt", "ab.txt", false),
            ("a*b*c", "axxbyyc", true),
            ("*", "", true),
            ("a", "", false),
        ] {
            assert_eq!(glob_match(p, t), want, "{p} vs {t}");
        }
    }

    #[test]
    fn relative_paths_join_under_any_root() {
        assert_eq!(remote_path(b"", b"a/b"), b"a/b");
        assert_eq!(remote_path(b"/www/", b"a"), b"/www/a");
        assert_eq!(remote_path(b"/www", b""), b"/www");
        assert_eq!(join_rel(b"", b"x"), b"x");
        assert_eq!(join_rel(b"d", b"x"), b"d/x");
    }

    #[test]
    fn a_local_walk_lists_files_and_folders_and_leaves_out_exclusions() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir_all(dir.path().join("sub/.git")).expect("mkdir");
        std::fs::write(dir.path().join("a.txt"), b"aa").expect("write");
        std::fs::write(dir.path().join("sub/b.tmp"), b"b").expect("write");
        std::fs::write(dir.path().join("sub/.git/HEAD"), b"h").expect("write");
        let options = WalkOptions {
            exclude: vec![".git".into(), "*.tmp".into()],
            ..WalkOptions::default()
        };
        let mut seen = WalkProgress::default();
        let tree = walk_local(
            dir.path(),
            &options,
            &mut |p| seen = p,
            &AtomicBool::new(false),
        )
        .expect("walk");
        let keys: Vec<&[u8]> = tree.nodes.keys().map(Vec::as_slice).collect();
        assert_eq!(keys, vec![b"a.txt".as_slice(), b"sub"]);
        assert!(matches!(
            tree.nodes.get(b"a.txt".as_slice()),
            Some(Node::File(FileInfo { size: Some(2), .. }))
        ));
        assert_eq!(seen.folders, 2);
    }

    #[test]
    fn a_walk_leaves_out_what_the_name_filters_hide_by_kind() {
        use crate::engine::Side;
        use crate::filters::{FilterRule, FilterSettings, Hides};
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir_all(dir.path().join("node_modules")).expect("mkdir");
        std::fs::write(dir.path().join("node_modules/x.js"), b"x").expect("write");
        // A file with a folder rule's name stays; only folders match it.
        std::fs::create_dir_all(dir.path().join("src")).expect("mkdir");
        std::fs::write(dir.path().join("src/node_modules"), b"f").expect("write");
        std::fs::write(dir.path().join("keep.txt"), b"k").expect("write");
        let settings = FilterSettings {
            rules: vec![FilterRule {
                pattern: "node_modules".into(),
                hides: Hides::Folders,
                ..FilterRule::default()
            }],
            ..FilterSettings::default()
        };
        let options = WalkOptions {
            hide: vec![std::sync::Arc::new(settings.for_side(Side::Local))],
            ..WalkOptions::default()
        };
        let tree =
            walk_local(dir.path(), &options, &mut |_| {}, &AtomicBool::new(false)).expect("walk");
        let keys: Vec<&[u8]> = tree.nodes.keys().map(Vec::as_slice).collect();
        assert_eq!(
            keys,
            vec![b"keep.txt".as_slice(), b"src", b"src/node_modules"]
        );
    }

    #[test]
    fn a_cancelled_walk_stops_with_cancelled() {
        let dir = tempfile::tempdir().expect("temp dir");
        let r = walk_local(
            dir.path(),
            &WalkOptions::default(),
            &mut |_| {},
            &AtomicBool::new(true),
        );
        assert!(matches!(r, Err(SyncError::Cancelled)));
    }
}
