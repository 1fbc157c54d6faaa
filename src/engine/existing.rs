//! One rule for "the target exists": what a copy does with what is already
//! at its target. The command line's single-file `get` and `put` and the
//! queue's workers (the window, `get -r`, `mirror`) all ask [`decide`], so
//! they cannot disagree.

use std::path::Path;

use chrono::NaiveDateTime;

use super::protocol::OnExisting;
use super::transfer::Existing;

/// What is at a copy's target before it starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Found {
    /// Nothing (or a link to nothing: the download says why it will not
    /// write through it).
    Nothing,
    /// A file, or the file a symbolic link points to.
    File {
        size: Option<u64>,
        /// Only when known to the second (UTC).
        modified: Option<NaiveDateTime>,
    },
    /// A folder: a file cannot take its place.
    Folder,
    /// A device, FIFO or socket (`/dev/null`, a named pipe): the download
    /// writes into it as it is, the way curl does. It is never replaced,
    /// resumed, renamed around or compared: it is a destination, not an
    /// earlier copy.
    Special,
}

/// What is known of the source, for the answers that compare.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Source {
    pub size: Option<u64>,
    pub modified: Option<NaiveDateTime>,
}

/// What to do about the target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Copy, starting over or continuing.
    Go(Existing),
    /// Keep the target; copy to the first free `NAME (n).ext` beside it.
    Rename,
    /// Keep the target and leave the source alone, for this reason.
    Skip(String),
    /// Ask the user (only the window can).
    Ask,
    /// It cannot be done, for this reason (a folder is in the way).
    Refuse(String),
}

/// Whether `policy` compares the two copies, so the caller knows whether
/// to ask the server for sizes and times first.
pub fn compares(policy: OnExisting) -> bool {
    matches!(
        policy,
        OnExisting::Ask | OnExisting::OverwriteIfNewer | OnExisting::IfChanged
    )
}

/// The rule: what `policy` does with what was `found` at the target.
pub fn decide(policy: OnExisting, found: Found, source: Source) -> Verdict {
    let (target_size, target_time) = match found {
        // "Resume" with nothing at the target still continues a `.part`.
        Found::Nothing if policy == OnExisting::Resume => return Verdict::Go(Existing::Resume),
        Found::Nothing | Found::Special => return Verdict::Go(Existing::Overwrite),
        Found::Folder => {
            return Verdict::Refuse("a folder with this name is in the way".into());
        }
        Found::File { size, modified } => (size, modified),
    };
    let newer = match (source.modified, target_time) {
        (Some(s), Some(t)) => s.and_utc().timestamp() > t.and_utc().timestamp(),
        // Without both times, "newer" cannot be shown: copy.
        _ => true,
    };
    match policy {
        OnExisting::Overwrite => Verdict::Go(Existing::Overwrite),
        OnExisting::Resume => Verdict::Go(Existing::Resume),
        OnExisting::Rename => Verdict::Rename,
        OnExisting::Skip => Verdict::Skip("the target exists".into()),
        OnExisting::OverwriteIfNewer if newer => Verdict::Go(Existing::Overwrite),
        OnExisting::OverwriteIfNewer => {
            Verdict::Skip("the target is as new as the source, or newer".into())
        }
        OnExisting::IfChanged if newer || source.size != target_size => {
            Verdict::Go(Existing::Overwrite)
        }
        OnExisting::IfChanged => Verdict::Skip("unchanged (same size, not newer)".into()),
        OnExisting::Ask => Verdict::Ask,
    }
}

/// What is at a local target, following symbolic links as the download
/// will (a link counts as the file it points to).
pub async fn look_local(path: &Path) -> Found {
    let Ok(meta) = tokio::fs::metadata(path).await else {
        return Found::Nothing;
    };
    if meta.is_dir() {
        Found::Folder
    } else if meta.is_file() {
        Found::File {
            size: Some(meta.len()),
            modified: meta
                .modified()
                .ok()
                .map(|t| chrono::DateTime::<chrono::Utc>::from(t).naive_utc()),
        }
    } else {
        Found::Special
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> Option<NaiveDateTime> {
        chrono::DateTime::from_timestamp(secs, 0).map(|t| t.naive_utc())
    }

    fn file(size: u64, secs: i64) -> Found {
        Found::File {
            size: Some(size),
            modified: at(secs),
        }
    }

    fn source(size: u64, secs: i64) -> Source {
        Source {
            size: Some(size),
            modified: at(secs),
        }
    }

    #[test]
    fn every_answer_to_an_existing_file() {
        let old = file(10, 1_000);
        let go = Verdict::Go(Existing::Overwrite);
        assert_eq!(decide(OnExisting::Overwrite, old, source(5, 0)), go);
        assert_eq!(
            decide(OnExisting::Resume, old, source(20, 0)),
            Verdict::Go(Existing::Resume)
        );
        assert_eq!(
            decide(OnExisting::Rename, old, source(5, 0)),
            Verdict::Rename
        );
        assert!(matches!(
            decide(OnExisting::Skip, old, source(5, 0)),
            Verdict::Skip(_)
        ));
        assert_eq!(decide(OnExisting::Ask, old, source(5, 0)), Verdict::Ask);
        assert_eq!(
            decide(OnExisting::OverwriteIfNewer, old, source(10, 2_000)),
            go
        );
        assert!(matches!(
            decide(OnExisting::OverwriteIfNewer, old, source(10, 1_000)),
            Verdict::Skip(_)
        ));
        // Unknown times cannot show "not newer": copy.
        assert_eq!(
            decide(OnExisting::OverwriteIfNewer, old, Source::default()),
            go
        );
        assert_eq!(decide(OnExisting::IfChanged, old, source(11, 500)), go);
        assert!(matches!(
            decide(OnExisting::IfChanged, old, source(10, 500)),
            Verdict::Skip(_)
        ));
    }

    #[test]
    fn nothing_a_folder_or_a_device_at_the_target() {
        for policy in [OnExisting::Skip, OnExisting::Rename, OnExisting::Ask] {
            assert_eq!(
                decide(policy, Found::Nothing, Source::default()),
                Verdict::Go(Existing::Overwrite)
            );
            // A device is written into, whatever the answer for files.
            assert_eq!(
                decide(policy, Found::Special, Source::default()),
                Verdict::Go(Existing::Overwrite)
            );
            assert!(matches!(
                decide(policy, Found::Folder, Source::default()),
                Verdict::Refuse(_)
            ));
        }
        assert_eq!(
            decide(OnExisting::Resume, Found::Nothing, Source::default()),
            Verdict::Go(Existing::Resume),
            "a .part left behind is continued"
        );
        assert_eq!(
            decide(OnExisting::Resume, Found::Special, Source::default()),
            Verdict::Go(Existing::Overwrite),
            "a pipe cannot be resumed"
        );
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn looking_follows_links_and_tells_devices_apart() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real");
        std::fs::write(&real, b"12345").unwrap();
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        assert!(matches!(
            look_local(&link).await,
            Found::File { size: Some(5), .. }
        ));
        assert_eq!(look_local(dir.path()).await, Found::Folder);
        assert_eq!(look_local(Path::new("/dev/null")).await, Found::Special);
        assert_eq!(look_local(&dir.path().join("none")).await, Found::Nothing);
    }
}
