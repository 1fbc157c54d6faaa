//! The engine contract: the UI (or any front end) sends [`Command`]s and
//! receives [`Event`]s. Nothing else crosses between them; the UI never
//! touches a socket or blocks on the disk.

use std::path::PathBuf;
use std::time::SystemTime;

use crate::ftp::log::LogLine;
use crate::ftp::{CertificateInfo, ConnectOptions, DataMode};

/// Which pane an operation is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Side {
    Local,
    Remote,
}

/// A path on either side. Remote paths are bytes (servers may use any
/// encoding); local paths are the OS's.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AnyPath {
    Local(PathBuf),
    Remote(Vec<u8>),
}

impl AnyPath {
    pub fn side(&self) -> Side {
        match self {
            AnyPath::Local(_) => Side::Local,
            AnyPath::Remote(_) => Side::Remote,
        }
    }

    /// The folder containing this path; None at the top.
    pub fn parent(&self) -> Option<AnyPath> {
        match self {
            AnyPath::Local(p) => p.parent().map(|p| AnyPath::Local(p.to_path_buf())),
            AnyPath::Remote(p) => {
                let trimmed = p.strip_suffix(b"/").unwrap_or(p);
                if trimmed.is_empty() {
                    return None;
                }
                Some(AnyPath::Remote(super::remote::parent(p)))
            }
        }
    }

    /// A child of this folder.
    pub fn join(&self, name: &[u8]) -> AnyPath {
        match self {
            AnyPath::Local(p) => AnyPath::Local(p.join(os_name(name))),
            AnyPath::Remote(p) => AnyPath::Remote(super::remote::join(p, name)),
        }
    }

    /// The path for display (remote bytes decoded lossily).
    pub fn display(&self) -> String {
        match self {
            AnyPath::Local(p) => p.display().to_string(),
            AnyPath::Remote(p) => String::from_utf8_lossy(p).into_owned(),
        }
    }
}

/// A local file name from the bytes a listing carried (exact on Unix,
/// where names are bytes; lossy elsewhere).
#[cfg(unix)]
fn os_name(name: &[u8]) -> std::ffi::OsString {
    use std::os::unix::ffi::OsStrExt;
    std::ffi::OsStr::from_bytes(name).to_os_string()
}

#[cfg(not(unix))]
fn os_name(name: &[u8]) -> std::ffi::OsString {
    String::from_utf8_lossy(name).into_owned().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parent_and_join_on_both_sides() {
        let r = AnyPath::Remote(b"/a/b".to_vec());
        assert_eq!(r.parent(), Some(AnyPath::Remote(b"/a".to_vec())));
        assert_eq!(AnyPath::Remote(b"/".to_vec()).parent(), None);
        assert_eq!(
            AnyPath::Remote(b"/a".to_vec()).parent(),
            Some(AnyPath::Remote(b"/".to_vec()))
        );
        assert_eq!(r.join(b"c"), AnyPath::Remote(b"/a/b/c".to_vec()));
        let l = AnyPath::Local(PathBuf::from("/tmp/x"));
        assert_eq!(l.parent(), Some(AnyPath::Local(PathBuf::from("/tmp"))));
        assert_eq!(l.join(b"y"), AnyPath::Local(PathBuf::from("/tmp/x/y")));
        assert_eq!(AnyPath::Local(PathBuf::from("/")).parent(), None);
    }
}

/// What kind of thing an entry is, on either side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    File,
    Dir,
    /// A symbolic link; `target_is_dir` says whether opening it shows a folder.
    Symlink {
        target_is_dir: bool,
    },
    /// A listing line no parser understood.
    Unknown,
}

/// One row of a pane: the same shape for local and remote listings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The name as the file system or server has it (bytes, possibly not UTF-8).
    pub name: Vec<u8>,
    /// The name for display.
    pub display_name: String,
    pub kind: Kind,
    pub size: Option<u64>,
    pub modified: Option<chrono::NaiveDateTime>,
    pub permissions: Option<String>,
    pub owner: Option<String>,
    /// For symlinks, where they point (for display).
    pub link_target: Option<String>,
}

impl Entry {
    /// True for folders and links to folders: double-click opens them.
    pub fn opens_as_dir(&self) -> bool {
        matches!(
            self.kind,
            Kind::Dir
                | Kind::Symlink {
                    target_is_dir: true
                }
        )
    }

    /// Dotfiles, hidden by default.
    pub fn is_hidden(&self) -> bool {
        self.name.first() == Some(&b'.')
    }
}

/// Which way a transfer goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Download,
    Upload,
}

/// Commands the UI sends to the engine. Each is answered by one or more events.
#[derive(Debug, Clone)]
pub enum Command {
    /// Open the remote side: connect and log in with `options`, then list
    /// `initial_path` (or the login folder). Replaces any current connection.
    /// Answered by `Connecting`, then `Connected` and a `Listing`, or
    /// `ConnectFailed` / `CertificateUntrusted`.
    Connect {
        options: ConnectOptions,
        initial_path: Option<Vec<u8>>,
    },
    /// Close the remote connection (QUIT). Answered by `Disconnected`.
    Disconnect,
    /// List a folder on either side. Answered by `Listing` or `ListingFailed`.
    /// `show_hidden` applies to local folders (and `LIST -a` remotely).
    List { path: AnyPath, show_hidden: bool },
    /// Create a folder. Answered by `OperationDone` or `OperationFailed`.
    MakeDir { path: AnyPath },
    /// Rename or move within one side. Answered by `OperationDone` or `OperationFailed`.
    Rename { from: AnyPath, to: AnyPath },
    /// Delete files and folders (folders recursively), reporting
    /// `DeleteProgress` on the way, then `OperationDone` or `OperationFailed`.
    Delete { paths: Vec<(AnyPath, bool)> },
    /// Copy entries between the sides: download remote entries into a local
    /// folder, or upload local entries into a remote folder. Folders are
    /// copied recursively. Runs on its own connection so browsing stays
    /// responsive. Answered by `TransferStarted`, `TransferProgress` and
    /// `TransferDone`/`TransferFailed` per file.
    Transfer {
        direction: Direction,
        sources: Vec<(AnyPath, bool)>,
        target_dir: AnyPath,
    },
    /// Stop the running transfers (ABOR; partial downloads are kept as `.part`).
    CancelTransfers,
    /// Switch the data connection mode of the current connection.
    SetDataMode(DataMode),
}

/// Events the engine sends back. The engine wakes the UI after each send.
#[derive(Debug, Clone)]
pub enum Event {
    /// A protocol log line (password already masked).
    Log(LogLine),
    /// What the engine is waiting for right now on `side`, for the status
    /// line ("Opening data connection (passive) to …"); `None` when idle.
    Busy {
        side: Side,
        what: Option<String>,
        since: SystemTime,
    },
    /// Connecting to `host` has started.
    Connecting { host: String },
    /// Logged in. `home` is the login folder; `certificate` is set for TLS.
    Connected {
        host: String,
        home: Vec<u8>,
        certificate: Option<Box<CertificateInfo>>,
    },
    /// Could not connect or log in. `message` says what failed and what to try.
    ConnectFailed { message: String, login: bool },
    /// The server's certificate is not trusted; the UI asks the user, then
    /// sends `Connect` again with the fingerprint pinned (or gives up).
    CertificateUntrusted {
        certificate: Box<CertificateInfo>,
        reason: String,
        options: Box<ConnectOptions>,
        initial_path: Option<Vec<u8>>,
    },
    /// The connection was closed: by `Disconnect` (`reason` None) or lost.
    Disconnected { reason: Option<String> },
    /// A folder's contents.
    Listing { path: AnyPath, entries: Vec<Entry> },
    /// A folder could not be listed. `data_mode` is set when the data
    /// connection failed in that mode (the UI offers the other one).
    ListingFailed {
        path: AnyPath,
        message: String,
        data_mode: Option<DataMode>,
    },
    /// A MakeDir/Rename/Delete finished; `refresh` is the folder to re-list.
    OperationDone {
        side: Side,
        what: String,
        refresh: AnyPath,
    },
    /// A MakeDir/Rename/Delete failed.
    OperationFailed { side: Side, message: String },
    /// Progress of a recursive delete.
    DeleteProgress { side: Side, done: u64, total: u64 },
    /// A file transfer began.
    TransferStarted {
        id: u64,
        direction: Direction,
        name: String,
        size: Option<u64>,
    },
    /// Bytes moved so far (throttled to about ten a second per transfer).
    TransferProgress { id: u64, bytes: u64 },
    /// A file arrived whole; `refresh` is the target folder.
    TransferDone { id: u64, refresh: AnyPath },
    /// A file transfer failed; `message` says why.
    TransferFailed { id: u64, message: String },
}
