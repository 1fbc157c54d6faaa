//! Local file-system work for the left pane, off the UI thread.

use std::path::{Path, PathBuf};

use super::Outbox;
use super::protocol::{AnyPath, Entry, Event, Kind, PathItem, Side};

pub(super) async fn list(path: PathBuf, out: Outbox) {
    let p = path.clone();
    let result = tokio::task::spawn_blocking(move || read_dir(&p)).await;
    match result {
        Ok(Ok(entries)) => out.send(Event::Listing {
            path: AnyPath::Local(path),
            entries,
        }),
        Ok(Err(e)) => out.send(Event::ListingFailed {
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

/// Read a folder into pane rows. Entries whose metadata cannot be read are
/// still listed (as Unknown), so nothing silently disappears.
pub(crate) fn read_dir(path: &Path) -> std::io::Result<Vec<Entry>> {
    let mut entries = Vec::new();
    for item in std::fs::read_dir(path)? {
        let item = item?;
        let name = item.file_name();
        let name_bytes = name.as_encoded_bytes().to_vec();
        let display_name = name.to_string_lossy().into_owned();
        let link_meta = item.metadata().ok();
        let is_link = item.file_type().map(|t| t.is_symlink()).unwrap_or(false);
        let meta = if is_link {
            std::fs::metadata(item.path()).ok()
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
        entries.push(Entry {
            name: name_bytes,
            display_name,
            kind,
            size: shown.filter(|m| !m.is_dir()).map(|m| m.len()),
            modified: shown
                .and_then(|m| m.modified().ok())
                .map(|t| chrono::DateTime::<chrono::Local>::from(t).naive_local()),
            permissions: shown.map(permissions),
            owner: shown.and_then(owner),
            link_target: if is_link {
                std::fs::read_link(item.path())
                    .ok()
                    .map(|t| t.display().to_string())
            } else {
                None
            },
        });
    }
    Ok(entries)
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

#[cfg(unix)]
fn owner(m: &std::fs::Metadata) -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    Some(m.uid().to_string())
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
