//! The saved transfer queue: pending and failed jobs as JSON (paths
//! percent-encoded so any name survives), written atomically, never with a
//! password.

use std::path::{Path, PathBuf};

use super::SiteKey;
use crate::engine::protocol::{AnyPath, Direction, JobView, Priority};

/// The saved queue's format version.
pub(super) const SAVE_VERSION: u32 = 1;

#[derive(serde::Serialize, serde::Deserialize)]
pub(crate) struct SavedQueue {
    pub(super) version: u32,
    pub(super) jobs: Vec<SavedJob>,
}

#[derive(serde::Serialize, serde::Deserialize)]
pub(super) struct SavedJob {
    pub(super) direction: Direction,
    pub(super) source: SavedPath,
    pub(super) target: SavedPath,
    pub(super) is_dir: bool,
    pub(super) size: Option<u64>,
    pub(super) failed: bool,
    pub(super) error: Option<String>,
    #[serde(default)]
    pub(super) priority: Priority,
    pub(super) site: SiteKey,
}

impl SavedJob {
    pub(super) fn of(view: &JobView, site: &SiteKey) -> SavedJob {
        SavedJob {
            direction: view.direction,
            source: SavedPath::of(&view.source),
            target: SavedPath::of(&view.target),
            is_dir: view.is_dir,
            size: view.size,
            failed: view.state.is_failed(),
            error: view.error.clone(),
            priority: view.priority,
            site: site.clone(),
        }
    }
}

/// A path as bytes, percent-encoded so any name survives JSON.
#[derive(serde::Serialize, serde::Deserialize)]
pub(super) enum SavedPath {
    Local(String),
    Remote(String),
}

const ENCODE: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS.add(b'%');

impl SavedPath {
    pub(super) fn of(path: &AnyPath) -> SavedPath {
        let enc = |b: &[u8]| percent_encoding::percent_encode(b, ENCODE).to_string();
        match path {
            AnyPath::Local(p) => SavedPath::Local(enc(p.as_os_str().as_encoded_bytes())),
            AnyPath::Remote(p) => SavedPath::Remote(enc(p)),
        }
    }

    pub(super) fn path(&self) -> Option<AnyPath> {
        let dec = |s: &str| percent_encoding::percent_decode_str(s).collect::<Vec<u8>>();
        match self {
            SavedPath::Local(s) => local_path_from_bytes(dec(s)).map(AnyPath::Local),
            SavedPath::Remote(s) => Some(AnyPath::Remote(dec(s))),
        }
    }
}

#[cfg(unix)]
fn local_path_from_bytes(bytes: Vec<u8>) -> Option<PathBuf> {
    use std::os::unix::ffi::OsStringExt;
    Some(PathBuf::from(std::ffi::OsString::from_vec(bytes)))
}

#[cfg(not(unix))]
fn local_path_from_bytes(bytes: Vec<u8>) -> Option<PathBuf> {
    String::from_utf8(bytes).ok().map(PathBuf::from)
}

pub(super) fn broken_name(path: &Path) -> PathBuf {
    let stamp = chrono::Local::now().format("%Y%m%d-%H%M%S");
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".broken-{stamp}"));
    path.with_file_name(name)
}

/// Write the queue file through the one atomic-write helper (unique temp
/// name, fsync, rename, fsync of the folder).
pub(super) fn write_atomically(path: &Path, value: &impl serde::Serialize) -> std::io::Result<()> {
    let bytes = serde_json::to_vec_pretty(value).map_err(std::io::Error::other)?;
    crate::safe_file::write_atomic(path, &bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saved_paths_survive_any_bytes() {
        let odd = AnyPath::Remote(b"/a/%41 b\xff\r\n.txt".to_vec());
        assert_eq!(SavedPath::of(&odd).path(), Some(odd));
        let local = AnyPath::Local(PathBuf::from("/tmp/ü 100%/x"));
        assert_eq!(SavedPath::of(&local).path(), Some(local));
    }
}
