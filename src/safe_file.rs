//! How Ferry writes its own files (sites, trusted certificates, the queue,
//! preferences): atomically (a crash leaves the old file or the new one, never
//! half of either) and never over a file it could not read without keeping a
//! copy first.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// A new version of a file, written and synced beside it but not yet in place.
pub(crate) struct PendingWrite {
    temp: tempfile::NamedTempFile,
    target: PathBuf,
}

impl PendingWrite {
    /// Put the new version in place (rename over the old) and sync the folder
    /// so the rename itself survives a power cut.
    pub(crate) fn commit(self) -> io::Result<()> {
        self.temp.persist(&self.target).map_err(|e| e.error)?;
        sync_dir(&self.target);
        Ok(())
    }

    /// Stop here, as a crash between writing and renaming would, leaving the
    /// temporary file on disk. Returns its path. For tests of crash safety.
    #[cfg(test)]
    pub(crate) fn abandon(self) -> io::Result<PathBuf> {
        let (_, path) = self.temp.keep().map_err(|e| e.error)?;
        Ok(path)
    }
}

/// Write `bytes` to a temporary file in `target`'s folder (created if
/// missing), flushed and fsynced, ready to be renamed over `target`.
pub(crate) fn prepare(target: &Path, bytes: &[u8]) -> io::Result<PendingWrite> {
    let dir = parent(target);
    fs::create_dir_all(dir)?;
    let prefix = format!(
        ".{}.",
        target.file_name().unwrap_or_default().to_string_lossy()
    );
    let mut temp = tempfile::Builder::new()
        .prefix(&prefix)
        .suffix(".tmp")
        .tempfile_in(dir)?;
    temp.write_all(bytes)?;
    temp.flush()?;
    temp.as_file().sync_all()?;
    Ok(PendingWrite {
        temp,
        target: target.to_path_buf(),
    })
}

/// Replace `target` with `bytes` atomically.
pub(crate) fn write_atomic(target: &Path, bytes: &[u8]) -> io::Result<()> {
    prepare(target, bytes)?.commit()
}

/// Copy `original` to `<name>.<label>-<YYYYmmdd-HHMMSS>` beside it, adding
/// `-2`, `-3`, … rather than overwriting an earlier copy. Returns the copy's path.
pub(crate) fn keep_aside(original: &Path, label: &str) -> io::Result<PathBuf> {
    let bytes = fs::read(original)?;
    let stamp = chrono::Local::now().format("%Y%m%d-%H%M%S");
    let name = original.file_name().unwrap_or_default().to_string_lossy();
    let base = format!("{name}.{label}-{stamp}");
    for n in 1u32.. {
        let candidate = if n == 1 {
            base.clone()
        } else {
            format!("{base}-{n}")
        };
        let path = parent(original).join(candidate);
        match OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(mut file) => {
                file.write_all(&bytes)?;
                file.sync_all()?;
                sync_dir(&path);
                return Ok(path);
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::other("no free name for the copy"))
}

fn parent(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Best effort: make a rename or a new file in the folder durable. Not every
/// platform can open a folder (Windows cannot), and the data itself is
/// already synced, so a failure here is not an error.
fn sync_dir(path: &Path) {
    if let Ok(dir) = File::open(parent(path)) {
        let _ = dir.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_crash_before_the_rename_leaves_the_old_file_intact() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("sites.toml");
        write_atomic(&target, b"old").unwrap();

        let temp = prepare(&target, b"new").unwrap().abandon().unwrap();

        assert_eq!(fs::read(&target).unwrap(), b"old");
        assert_eq!(fs::read(&temp).unwrap(), b"new");
        assert_eq!(temp.parent(), target.parent());
        write_atomic(&target, b"newer").unwrap();
        assert_eq!(fs::read(&target).unwrap(), b"newer");
    }

    #[test]
    fn copies_kept_aside_never_overwrite_each_other() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("sites.toml");
        fs::write(&target, b"first").unwrap();
        let a = keep_aside(&target, "broken").unwrap();
        fs::write(&target, b"second").unwrap();
        let b = keep_aside(&target, "broken").unwrap();
        assert_ne!(a, b);
        assert_eq!(fs::read(&a).unwrap(), b"first");
        assert_eq!(fs::read(&b).unwrap(), b"second");
        let name = a.file_name().unwrap().to_string_lossy().into_owned();
        assert!(name.starts_with("sites.toml.broken-"), "{name}");
    }
}
