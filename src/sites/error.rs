//! The one error type of the saved-sites layer.

use std::io;
use std::path::PathBuf;

/// What went wrong with the saved sites, the keyring or the trust file.
/// Messages say what failed, then what to do, with the path or host last.
#[derive(Debug, thiserror::Error)]
pub enum SitesError {
    /// The OS reports no home folder, so there is no config folder to use.
    #[error(
        "could not find a config folder: the system reports no home folder; set HOME (or the platform's equivalent) and start Ferry again"
    )]
    NoConfigDir,

    /// A file of the sites layer could not be read.
    #[error("could not read {what}: {source}; check that the file is readable: {}", path.display())]
    Read {
        what: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    /// A file of the sites layer could not be written; the old one is intact.
    #[error(
        "could not save {what}: {source}; the previous file is unchanged; check free space and permissions: {}",
        path.display()
    )]
    Write {
        what: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    /// A file needed keeping aside before it is overwritten, and that failed:
    /// saving is refused so the user's original is not lost.
    #[error(
        "not saving {what}: the file had entries Ferry could not read and a copy of it could not be kept ({reason}); move the file aside by hand, then save again: {}",
        path.display()
    )]
    OriginalNotKept {
        what: &'static str,
        reason: String,
        path: PathBuf,
    },

    /// The in-memory data could not be turned into TOML (a value TOML cannot hold).
    #[error("could not encode {what} as TOML: {reason}; this is a bug in Ferry, please report it")]
    Encode { what: &'static str, reason: String },

    /// No OS keyring service answers (a headless Linux box, a locked-down session).
    #[error("no keyring service ({reason}): Ferry will ask for the password when connecting")]
    NoKeyring { reason: String },

    /// The keyring answered but refused or failed the operation.
    #[error(
        "the keyring could not {op} the password: {reason}; unlock the keyring and try again: site {site_id}"
    )]
    Keyring {
        op: &'static str,
        reason: String,
        site_id: String,
    },

    /// The master password given does not open the password file.
    #[error(
        "the master password does not open the password file; nothing was changed — check it (Caps Lock?) and try again: {}",
        path.display()
    )]
    WrongMasterPassword { path: PathBuf },

    /// The password file is used before its master password was given.
    #[error("the password file is locked: give the master password first")]
    PasswordFileLocked,

    /// An empty master password was given for a new password file.
    #[error("the master password is empty: choose one to protect the password file")]
    EmptyMasterPassword,

    /// The password file is not one Ferry can read; it is left as it is.
    #[error(
        "could not read the password file: {reason}; it was left untouched — move it aside to start a new one: {}",
        path.display()
    )]
    PasswordFileUnreadable { reason: String, path: PathBuf },

    /// A FileZilla site manager file is not XML Ferry can read.
    #[error(
        "could not read the FileZilla site list: {reason}; export it again from FileZilla (File → Export): {}",
        path.display()
    )]
    Import { reason: String, path: PathBuf },
}

/// Result of the saved-sites layer.
pub type Result<T, E = SitesError> = std::result::Result<T, E>;
