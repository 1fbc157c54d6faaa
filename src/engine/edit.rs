//! Edit in place: a remote file is downloaded into a private temporary
//! folder (0700, the file 0600, its name kept so the editor picks the right
//! syntax), opened with the desktop's application or the editor the user
//! chose, and sent back when it is saved, after checking that nobody changed
//! the remote file meanwhile. The window drives it through
//! [`EditCommand`]/[`EditEvent`] (the task is in `edit_actor.rs`); `ferry
//! edit` uses the same pieces without the watcher.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::queue::free_remote_name;
use super::transfer::{Existing, Known, download_file, safe_local_name, upload_file};
use crate::ftp::{FtpError, NameCharset, Session};
use crate::prefs::EditorCommand;

/// What the window asks of edit in place. Answered by [`EditEvent`]s.
#[derive(Debug, Clone)]
pub enum EditCommand {
    /// Download `remote` from the connected server into a private temporary
    /// folder and open it: with `editor`, or the desktop's default
    /// application when `None`. `watch` (Edit, Open with…) sends saves back;
    /// without it (View) the copy is only shown, and read-only.
    Open {
        remote: Vec<u8>,
        editor: Option<EditorCommand>,
        watch: bool,
    },
    /// Send the edited copy back. `always` uploads every later save of this
    /// file without asking. Unless `overwrite`, the upload first checks that
    /// the remote file is as it was downloaded, and stops at
    /// [`EditState::RemoteChanged`] if not.
    Upload {
        id: u64,
        always: bool,
        overwrite: bool,
    },
    /// Leave this save unsent; the next save asks again.
    Discard { id: u64 },
    /// The remote file changed: replace the local copy with the server's.
    DownloadTheirs { id: u64 },
    /// The remote file changed: upload the local copy beside it as
    /// `NAME (1).ext`, and edit that from now on.
    KeepBoth { id: u64 },
    /// Stop watching, and delete the temporary copy and its folder.
    Stop { id: u64 },
    /// Show the temporary folder in the desktop's file manager.
    ShowFolder { id: u64 },
    /// Open a local file as it is (no copy, nothing to send back): with
    /// `editor`, or the desktop's application when `None`.
    OpenLocal {
        path: PathBuf,
        editor: Option<EditorCommand>,
    },
}

/// What edit in place tells the window.
#[derive(Debug, Clone, PartialEq)]
pub enum EditEvent {
    /// A file being edited, as it is now (new or changed).
    Changed(Box<EditView>),
    /// Editing this file stopped; its copy is gone.
    Removed(u64),
}

/// One row of "Files being edited".
#[derive(Debug, Clone, PartialEq)]
pub struct EditView {
    pub id: u64,
    /// `user@host:port` of the server the file is on.
    pub server: String,
    pub remote: Vec<u8>,
    /// The temporary copy.
    pub local: PathBuf,
    pub state: EditState,
    /// Saves are sent without asking ("Always for this file").
    pub always: bool,
    /// Saves are watched (Edit, Open with…); false for View.
    pub watched: bool,
    /// The local copy holds saves that have not reached the server.
    pub unsent: bool,
}

impl EditView {
    /// `host:/path`, for questions and the list.
    pub fn title(&self) -> String {
        let host = self.server.rsplit('@').next().unwrap_or(&self.server);
        format!("{host}:{}", String::from_utf8_lossy(&self.remote))
    }
}

/// Where a file being edited stands.
#[derive(Debug, Clone, PartialEq)]
pub enum EditState {
    /// Being downloaded.
    Downloading,
    /// Open in the editor; saves are watched.
    Watching,
    /// Shown (View); not watched.
    Viewing,
    /// Saved in the editor: waiting for the user's answer to "Upload changes?".
    Changed,
    /// Checking the remote file and sending the copy.
    Uploading,
    /// Sent; `note` says anything unusual (a new name).
    Uploaded {
        at: chrono::DateTime<chrono::Local>,
        note: Option<String>,
    },
    /// The remote file is not as it was downloaded: waiting for Overwrite /
    /// Download theirs / Keep both.
    RemoteChanged { theirs: Stamp, ours: Stamp },
    /// The last step failed, for this reason; the copy is kept.
    Failed(String),
}

impl EditState {
    pub fn label(&self) -> String {
        match self {
            EditState::Downloading => "Downloading…".into(),
            EditState::Watching => "Watching for saves".into(),
            EditState::Viewing => "Viewing (not watched)".into(),
            EditState::Changed => "Saved; not uploaded yet".into(),
            EditState::Uploading => "Uploading…".into(),
            EditState::Uploaded { at, note } => match note {
                Some(n) => format!("Uploaded at {} ({n})", at.format("%H:%M:%S")),
                None => format!("Uploaded at {}", at.format("%H:%M:%S")),
            },
            EditState::RemoteChanged { .. } => "Changed on the server too".into(),
            EditState::Failed(why) => format!("Failed: {why}"),
        }
    }
}

/// What the server said of a file (SIZE, MDTM), to notice that someone
/// else changed it. A server without either command cannot be checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Stamp {
    pub size: Option<u64>,
    pub modified: Option<chrono::NaiveDateTime>,
}

impl Stamp {
    /// Whether `now` shows a change since `self` (only what both know counts).
    pub fn changed_to(&self, now: &Stamp) -> bool {
        let size = matches!((self.size, now.size), (Some(a), Some(b)) if a != b);
        let time = matches!((self.modified, now.modified), (Some(a), Some(b)) if a != b);
        size || time
    }

    /// "12 bytes, modified 2026-01-02 10:00 UTC", for questions.
    pub fn describe(&self) -> String {
        let size = self
            .size
            .map_or_else(|| "size unknown".to_string(), |n| format!("{n} bytes"));
        match self.modified {
            Some(t) => format!("{size}, modified {} UTC", t.format("%Y-%m-%d %H:%M:%S")),
            None => size,
        }
    }
}

/// SIZE and MDTM of `remote` now. A server that answers neither gives an
/// empty stamp; only a lost connection is an error.
pub async fn remote_stamp(session: &mut Session, remote: &[u8]) -> Result<Stamp, FtpError> {
    let size = match session.size(remote).await {
        Ok(n) => Some(n),
        Err(e) if e.is_fatal_to_session() => return Err(e),
        Err(_) => None,
    };
    let modified = match session.mdtm(remote).await {
        Ok(t) => Some(t),
        Err(e) if e.is_fatal_to_session() => return Err(e),
        Err(_) => None,
    };
    Ok(Stamp { size, modified })
}

/// A private temporary folder (0700) for one edited file; removed with it.
pub fn private_folder() -> std::io::Result<tempfile::TempDir> {
    let dir = tempfile::Builder::new().prefix("ferry-edit-").tempdir()?;
    restrict(dir.path(), 0o700)?;
    Ok(dir)
}

#[cfg(unix)]
fn restrict(path: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn restrict(_path: &Path, _mode: u32) -> std::io::Result<()> {
    // The user's own temporary folder is private on Windows and macOS.
    Ok(())
}

/// The local copy's path: `folder/NAME`, NAME being the remote file's name
/// read in the server's charset (refused when it could leave the folder).
pub fn copy_path(folder: &Path, remote: &[u8], charset: &NameCharset) -> Result<PathBuf, String> {
    let trimmed = remote.strip_suffix(b"/").unwrap_or(remote);
    let name = trimmed.rsplit(|&b| b == b'/').next().unwrap_or_default();
    Ok(folder.join(safe_local_name(name, charset)?))
}

/// Download `remote` to `local` (which only this user can read: 0600, or
/// 0400 when `read_only`), and return what the server says of it and the
/// copy's content hash.
pub async fn fetch(
    session: &mut Session,
    remote: &[u8],
    local: &Path,
    read_only: bool,
) -> Result<(Stamp, Hash), FtpError> {
    download_file(
        session,
        remote,
        local,
        Existing::Overwrite,
        Known::default(),
        None,
        &mut |_, _| {},
    )
    .await?;
    let mode = if read_only { 0o400 } else { 0o600 };
    let local_err = |what: &'static str| {
        move |source| FtpError::Local {
            what,
            source,
            path: local.display().to_string(),
        }
    };
    restrict(local, mode).map_err(local_err("making the copy private"))?;
    let stamp = remote_stamp(session, remote).await?;
    let hash = hash_file(local).map_err(local_err("reading the downloaded copy"))?;
    Ok((stamp, hash))
}

/// A copy's content, to tell a real save from a touch or our own download.
pub type Hash = [u8; 32];

/// SHA-256 of a file's content.
pub fn hash_file(path: &Path) -> std::io::Result<Hash> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher)?;
    Ok(hasher.finalize().into())
}

/// How an upload ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Sent {
    /// Sent to the original path; the server's new stamp.
    Done(Stamp),
    /// Not sent: the remote file changed since `ours` (it is now `theirs`).
    RemoteChanged { theirs: Stamp },
    /// Sent beside the original, as this path ("Keep both").
    As(Vec<u8>, Stamp),
}

/// Send `local` to `remote`. Unless `overwrite`, first check that the
/// remote file is still as `ours` says (someone may have changed it). With
/// `beside`, the copy goes to the first free `NAME (n).ext` instead.
pub async fn send_back(
    session: &mut Session,
    local: &Path,
    remote: &[u8],
    ours: &Stamp,
    overwrite: bool,
    beside: bool,
) -> Result<Sent, FtpError> {
    if beside {
        let target = free_remote_name(session, remote).await?;
        upload_file(
            session,
            local,
            &target,
            Existing::Overwrite,
            None,
            &mut |_, _| {},
        )
        .await?;
        let stamp = remote_stamp(session, &target).await?;
        return Ok(Sent::As(target, stamp));
    }
    if !overwrite {
        let theirs = remote_stamp(session, remote).await?;
        if ours.changed_to(&theirs) {
            return Ok(Sent::RemoteChanged { theirs });
        }
    }
    upload_file(
        session,
        local,
        remote,
        Existing::Overwrite,
        None,
        &mut |_, _| {},
    )
    .await?;
    Ok(Sent::Done(remote_stamp(session, remote).await?))
}

/// Start `editor` on `file` (or the desktop's default application), without
/// waiting for it. The child is reaped on a thread of its own.
pub fn launch(editor: Option<&EditorCommand>, file: &Path) -> Result<(), String> {
    match editor {
        Some(cmd) => {
            let mut child = std::process::Command::new(&cmd.program)
                .args(cmd.args_for(file))
                .stdin(std::process::Stdio::null())
                .spawn()
                .map_err(|e| {
                    format!(
                        "could not start the editor {:?} ({e}); check the editor in Preferences",
                        cmd.program
                    )
                })?;
            let reaped = std::thread::Builder::new()
                .name("ferry-editor".into())
                .spawn(move || child.wait());
            if let Err(e) = reaped {
                tracing::warn!("no thread to wait for the editor: {e}");
            }
            Ok(())
        }
        None => opener::open(file).map_err(|e| {
            format!(
                "could not open the file with the desktop's application ({e}); set an editor in Preferences"
            )
        }),
    }
}

/// The editor for `ferry edit`: `$VISUAL`, then `$EDITOR` (a command to
/// which the file is added, as shells run them), then the preference.
pub fn terminal_editor(
    visual: Option<String>,
    editor: Option<String>,
    preference: &str,
) -> Result<EditorCommand, String> {
    for var in [visual, editor].into_iter().flatten() {
        if var.trim().is_empty() {
            continue;
        }
        let words = shlex::split(&var)
            .ok_or_else(|| format!("the quotes in the editor variable do not match: {var}"))?;
        if let Some((program, args)) = words.split_first() {
            let mut args = args.to_vec();
            args.push("{}".to_string());
            return Ok(EditorCommand {
                program: program.clone(),
                args,
            });
        }
    }
    match EditorCommand::parse(preference) {
        Ok(Some(cmd)) => Ok(cmd),
        Ok(None) => Err(
            "no editor: set VISUAL or EDITOR (e.g. `EDITOR=nano`), or the editor in Preferences"
                .into(),
        ),
        Err(e) => Err(format!("the editor in Preferences cannot be used: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_is_what_both_stamps_know_to_differ() {
        let t = |s: &str| chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap();
        let base = Stamp {
            size: Some(10),
            modified: Some(t("2026-01-01 10:00:00")),
        };
        let rows = [
            (base, false),
            (
                Stamp {
                    size: Some(11),
                    ..base
                },
                true,
            ),
            (
                Stamp {
                    modified: Some(t("2026-01-01 10:00:01")),
                    ..base
                },
                true,
            ),
            (Stamp::default(), false),
            (Stamp { size: None, ..base }, false),
        ];
        for (now, changed) in rows {
            assert_eq!(base.changed_to(&now), changed, "{now:?}");
        }
    }

    #[test]
    fn the_copy_keeps_its_name_and_cannot_leave_its_folder() {
        let dir = Path::new("/tmp/f");
        let utf8 = NameCharset::Utf8;
        assert_eq!(
            copy_path(dir, b"/www/index.html", &utf8).unwrap(),
            dir.join("index.html")
        );
        assert!(copy_path(dir, b"/www/..", &utf8).is_err());
        assert!(copy_path(dir, b"/", &utf8).is_err());
    }

    #[cfg(unix)]
    #[test]
    fn the_private_folder_is_the_users_alone() {
        use std::os::unix::fs::PermissionsExt;
        let dir = private_folder().unwrap();
        let mode = std::fs::metadata(dir.path()).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
    }

    #[test]
    fn the_terminal_editor_comes_from_visual_editor_then_the_preference() {
        let cmd = |v: Option<&str>, e: Option<&str>, p: &str| {
            terminal_editor(v.map(Into::into), e.map(Into::into), p)
        };
        let got = cmd(Some("code --wait"), Some("vi"), "").unwrap();
        assert_eq!((got.program.as_str(), got.args.len()), ("code", 2));
        assert_eq!(cmd(None, Some("vi"), "").unwrap().program, "vi");
        assert_eq!(cmd(Some(" "), None, "gedit {}").unwrap().program, "gedit");
        let none = cmd(None, None, "").unwrap_err();
        assert!(none.contains("set VISUAL or EDITOR"), "{none}");
        assert!(
            cmd(None, None, "gedit")
                .unwrap_err()
                .contains("Preferences")
        );
    }
}
