//! Bookmarks: a remote folder, optionally paired with a local one. A
//! site's bookmarks are kept with the site; global ones (for whichever
//! server is connected) in the preferences.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// One bookmark.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bookmark {
    /// What the Bookmarks menu shows.
    pub name: String,
    /// The remote folder, absolute, as text (encoded in the server's
    /// charset when opened).
    pub remote: String,
    /// The local folder opened beside it, when paired.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local: Option<PathBuf>,
}

impl Bookmark {
    /// A bookmark for `remote`, named after its last part ("/" for the top).
    pub fn for_folder(remote: &str, local: Option<PathBuf>) -> Bookmark {
        let trimmed = remote.trim_end_matches('/');
        let name = trimmed.rsplit('/').next().unwrap_or_default();
        Bookmark {
            name: if name.is_empty() { "/" } else { name }.to_string(),
            remote: if remote.is_empty() { "/" } else { remote }.to_string(),
            local,
        }
    }
}

/// Which list a bookmark is in.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum BookmarkScope {
    /// The preferences' list, for any server.
    Global,
    /// The saved site with this id.
    Site(String),
}

/// An edit to a list of bookmarks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BookmarkEdit {
    Rename {
        index: usize,
        name: String,
    },
    Delete {
        index: usize,
    },
    /// Move one place up (towards the top of the menu).
    MoveUp {
        index: usize,
    },
    MoveDown {
        index: usize,
    },
}

impl BookmarkEdit {
    /// Apply to `list`; an index out of range, a move past an end or an
    /// empty name changes nothing (and says so with `false`).
    pub fn apply(&self, list: &mut Vec<Bookmark>) -> bool {
        match *self {
            BookmarkEdit::Rename { index, ref name } => {
                let name = name.trim();
                match list.get_mut(index) {
                    Some(b) if !name.is_empty() => {
                        b.name = name.to_string();
                        true
                    }
                    _ => false,
                }
            }
            BookmarkEdit::Delete { index } if index < list.len() => {
                list.remove(index);
                true
            }
            BookmarkEdit::MoveUp { index } if index > 0 && index < list.len() => {
                list.swap(index - 1, index);
                true
            }
            BookmarkEdit::MoveDown { index } if index + 1 < list.len() => {
                list.swap(index, index + 1);
                true
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(names: &[&str]) -> Vec<Bookmark> {
        names
            .iter()
            .map(|n| Bookmark::for_folder(&format!("/{n}"), None))
            .collect()
    }

    fn names(list: &[Bookmark]) -> Vec<&str> {
        list.iter().map(|b| b.name.as_str()).collect()
    }

    #[test]
    fn a_new_bookmark_is_named_after_its_folder() {
        assert_eq!(Bookmark::for_folder("/www/site/", None).name, "site");
        assert_eq!(Bookmark::for_folder("/", None).name, "/");
        assert_eq!(Bookmark::for_folder("", None).remote, "/");
    }

    #[test]
    fn edits_change_the_list_as_a_table_says() {
        use BookmarkEdit::*;
        for (edit, want, changed) in [
            (MoveUp { index: 1 }, vec!["b", "a", "c"], true),
            (MoveUp { index: 0 }, vec!["a", "b", "c"], false),
            (MoveDown { index: 1 }, vec!["a", "c", "b"], true),
            (MoveDown { index: 2 }, vec!["a", "b", "c"], false),
            (Delete { index: 0 }, vec!["b", "c"], true),
            (Delete { index: 3 }, vec!["a", "b", "c"], false),
            (
                Rename {
                    index: 2,
                    name: " z ".into(),
                },
                vec!["a", "b", "z"],
                true,
            ),
            (
                Rename {
                    index: 2,
                    name: "  ".into(),
                },
                vec!["a", "b", "c"],
                false,
            ),
        ] {
            let mut l = list(&["a", "b", "c"]);
            assert_eq!(edit.apply(&mut l), changed, "{edit:?}");
            assert_eq!(names(&l), want, "{edit:?}");
        }
    }

    #[test]
    fn bookmarks_survive_toml_with_and_without_a_local_folder() {
        #[derive(Serialize, Deserialize, PartialEq, Debug)]
        struct Holder {
            bookmarks: Vec<Bookmark>,
        }
        let h = Holder {
            bookmarks: vec![
                Bookmark::for_folder("/a", Some(PathBuf::from("/home/me/a"))),
                Bookmark::for_folder("/b", None),
            ],
        };
        let text = toml::to_string(&h).expect("toml");
        assert_eq!(toml::from_str::<Holder>(&text).expect("back"), h);
    }
}
