//! Synchronized browsing (View menu): opening a folder in one pane opens
//! the same relative folder in the other, relative to the pair of folders
//! shown when it was switched on. This is the model (no egui): the pair,
//! the follow waiting for its pane's listing, the other side's missing
//! folder with the offer to create it, and the creation under way. The app
//! (`app/sync_browse.rs`) drives it from navigation and engine events.

use crate::engine::{AnyPath, Side};
use crate::ftp::NameCharset;

/// The pair of folders synchronized browsing is relative to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Roots {
    pub local: AnyPath,
    pub remote: AnyPath,
}

impl Roots {
    fn of(&self, side: Side) -> &AnyPath {
        match side {
            Side::Local => &self.local,
            Side::Remote => &self.remote,
        }
    }
}

/// The other side has no folder where synchronized browsing went: said in
/// that pane's status line, with an offer to create it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Missing {
    /// The folder that is missing (on `path.side()`).
    pub path: AnyPath,
    /// Why it could not be opened, when a listing was tried.
    pub reason: Option<String>,
}

/// Why the other side's folder could not be worked out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unmapped {
    /// The folder is not inside the pair's folder on its side.
    Outside { root: AnyPath },
    /// A name has no place in the server's character set.
    Charset(String),
}

/// The state of synchronized browsing.
#[derive(Debug, Clone, Default)]
pub struct SyncBrowse {
    /// Set while it is on.
    pub roots: Option<Roots>,
    /// The user opened `.0`; once it is listed, `.1` is opened on the other side.
    pub pending: Option<(AnyPath, AnyPath)>,
    /// The other side's folder being opened to follow.
    pub following: Option<AnyPath>,
    /// The other side lacks the folder (that pane's status line offers to create it).
    pub missing: Option<Missing>,
    /// Folders still to create, outermost first, then the last one is opened.
    pub creating: Vec<AnyPath>,
    /// The folder `creating` ends with, opened once it exists.
    pub create_target: Option<AnyPath>,
    /// Turned on by the connected site: switch on once both panes show the
    /// site's folders.
    pub armed: Option<Armed>,
}

/// Waiting to switch on for the site just connected to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Armed {
    /// The site's local folder, when it has one (and it exists).
    pub local: Option<AnyPath>,
    /// The remote pane listed a folder since the connection was made.
    pub remote_listed: bool,
}

impl SyncBrowse {
    pub fn is_on(&self) -> bool {
        self.roots.is_some()
    }

    /// Switch on for this pair of folders.
    pub fn start(&mut self, local: AnyPath, remote: AnyPath) {
        *self = SyncBrowse {
            roots: Some(Roots { local, remote }),
            ..SyncBrowse::default()
        };
    }

    /// Switch off and forget everything under way.
    pub fn stop(&mut self) {
        *self = SyncBrowse::default();
    }

    /// The folder on the other side that matches `path`, relative to the pair.
    pub fn counterpart(
        &self,
        path: &AnyPath,
        charset: NameCharset,
    ) -> Option<Result<AnyPath, Unmapped>> {
        let roots = self.roots.as_ref()?;
        let side = path.side();
        let root = roots.of(side);
        let Some(names) = relative(root, path) else {
            return Some(Err(Unmapped::Outside { root: root.clone() }));
        };
        let mut other = roots.of(other(side)).clone();
        for name in names {
            let mapped = match side {
                // A local name (UTF-8 on every desktop) in the server's encoding.
                Side::Local => charset
                    .encode(&String::from_utf8_lossy(&name))
                    .map_err(Unmapped::Charset),
                Side::Remote => Ok(charset.decode(&name).into_owned().into_bytes()),
            };
            match mapped {
                Ok(n) => other = other.join(&n),
                Err(e) => return Some(Err(e)),
            }
        }
        Some(Ok(other))
    }

    /// The message for the missing folder's pane: what is missing and why.
    pub fn missing_text(&self) -> Option<String> {
        let m = self.missing.as_ref()?;
        let here = match m.path.side() {
            Side::Local => "on this computer",
            Side::Remote => "on the server",
        };
        let mut text = format!(
            "Synchronized browsing: no folder {} {here}",
            m.path.display()
        );
        if let Some(reason) = &m.reason {
            text.push_str(&format!(" ({reason})"));
        }
        Some(text)
    }
}

/// The side that is not `side`.
pub fn other(side: Side) -> Side {
    match side {
        Side::Local => Side::Remote,
        Side::Remote => Side::Local,
    }
}

/// The names leading from `root` down to `path` (empty when they are the
/// same folder), or `None` when `path` is not inside `root`.
pub fn relative(root: &AnyPath, path: &AnyPath) -> Option<Vec<Vec<u8>>> {
    if root.side() != path.side() {
        return None;
    }
    let mut names = Vec::new();
    let mut at = path.clone();
    // A path has as many parents as components; the bound only guards
    // against a parent() that would not shrink.
    for _ in 0..4096 {
        if same_folder(&at, root) {
            names.reverse();
            return Some(names);
        }
        let name = at.file_name();
        let parent = at.parent()?;
        if name.is_empty() || parent == at {
            return None;
        }
        names.push(name);
        at = parent;
    }
    None
}

/// Whether two paths name the same folder (a remote trailing slash aside).
fn same_folder(a: &AnyPath, b: &AnyPath) -> bool {
    match (a, b) {
        (AnyPath::Remote(x), AnyPath::Remote(y)) => {
            let trim = |p: &[u8]| -> Vec<u8> {
                let t = p.strip_suffix(b"/").unwrap_or(p);
                if t.is_empty() {
                    b"/".to_vec()
                } else {
                    t.to_vec()
                }
            };
            trim(x) == trim(y)
        }
        _ => a == b,
    }
}

/// The folders from just below `existing` down to `target`, outermost
/// first (only `target` when `existing` is not above it): what to create
/// so that `target` exists.
pub fn levels_to_create(existing: Option<&AnyPath>, target: &AnyPath) -> Vec<AnyPath> {
    let Some(names) = existing.and_then(|e| relative(e, target)) else {
        return vec![target.clone()];
    };
    let Some(base) = existing else {
        return vec![target.clone()];
    };
    let mut at = base.clone();
    names
        .into_iter()
        .map(|n| {
            at = at.join(&n);
            at.clone()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn local(p: &str) -> AnyPath {
        AnyPath::Local(PathBuf::from(p))
    }
    fn remote(p: &str) -> AnyPath {
        AnyPath::Remote(p.as_bytes().to_vec())
    }

    fn on() -> SyncBrowse {
        let mut s = SyncBrowse::default();
        s.start(local("/home/a/site"), remote("/www"));
        s
    }

    #[test]
    fn relative_paths_inside_and_outside_the_root() {
        let r = |root, path| relative(&remote(root), &remote(path));
        assert_eq!(r("/www", "/www"), Some(vec![]));
        assert_eq!(r("/www", "/www/"), Some(vec![]));
        assert_eq!(
            r("/www", "/www/a/b"),
            Some(vec![b"a".to_vec(), b"b".to_vec()])
        );
        assert_eq!(r("/", "/a"), Some(vec![b"a".to_vec()]));
        assert_eq!(r("/www", "/"), None);
        assert_eq!(r("/www", "/wwwx/a"), None);
        assert_eq!(r("/www/a", "/www"), None);
        assert_eq!(
            relative(&local("/home/a"), &local("/home/a/x")),
            Some(vec![b"x".to_vec()])
        );
        assert_eq!(relative(&local("/home/a"), &local("/home")), None);
        assert_eq!(relative(&local("/home/a"), &remote("/home/a")), None);
    }

    #[test]
    fn each_side_maps_to_the_same_relative_folder_on_the_other() {
        let s = on();
        let map = |p: &AnyPath| s.counterpart(p, NameCharset::Auto).expect("on");
        assert_eq!(
            map(&local("/home/a/site/docs/img")),
            Ok(remote("/www/docs/img"))
        );
        assert_eq!(map(&remote("/www/docs")), Ok(local("/home/a/site/docs")));
        assert_eq!(map(&remote("/www")), Ok(local("/home/a/site")));
        assert_eq!(
            map(&local("/home/a")),
            Err(Unmapped::Outside {
                root: local("/home/a/site")
            })
        );
        assert_eq!(
            map(&remote("/")),
            Err(Unmapped::Outside {
                root: remote("/www")
            })
        );
        assert!(
            SyncBrowse::default()
                .counterpart(&remote("/www"), NameCharset::Auto)
                .is_none()
        );
    }

    #[test]
    fn names_cross_in_the_servers_character_set() {
        let s = on();
        let latin1 = NameCharset::from_label("iso-8859-1").expect("charset");
        assert_eq!(
            s.counterpart(&local("/home/a/site/café"), latin1),
            Some(Ok(AnyPath::Remote(b"/www/caf\xe9".to_vec())))
        );
        assert_eq!(
            s.counterpart(&AnyPath::Remote(b"/www/caf\xe9".to_vec()), latin1),
            Some(Ok(local("/home/a/site/café")))
        );
        assert!(matches!(
            s.counterpart(&local("/home/a/site/日本"), latin1),
            Some(Err(Unmapped::Charset(_)))
        ));
    }

    #[test]
    fn creating_a_missing_folder_makes_each_level_below_the_one_shown() {
        assert_eq!(
            levels_to_create(Some(&remote("/www")), &remote("/www/a/b")),
            vec![remote("/www/a"), remote("/www/a/b")]
        );
        assert_eq!(
            levels_to_create(Some(&remote("/other")), &remote("/www/a")),
            vec![remote("/www/a")]
        );
        assert_eq!(levels_to_create(None, &local("/x/y")), vec![local("/x/y")]);
    }

    #[test]
    fn the_missing_folders_message_names_it_and_why() {
        let mut s = on();
        assert_eq!(s.missing_text(), None);
        s.missing = Some(Missing {
            path: remote("/www/docs"),
            reason: Some("550 No such directory".into()),
        });
        assert_eq!(
            s.missing_text().as_deref(),
            Some(
                "Synchronized browsing: no folder /www/docs on the server (550 No such directory)"
            )
        );
    }
}
