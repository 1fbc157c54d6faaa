//! Site passwords, kept in the OS keyring under the site's id, never in a
//! plain file. Where no keyring service runs, the window offers an encrypted
//! password file unlocked by a master password ([`KeyringOrFile`],
//! [`super::PasswordFile`]); otherwise Ferry asks for the password when
//! connecting.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Mutex, OnceLock};

use super::error::{Result, SitesError};
use super::password_file::PasswordFile;

/// The keyring service name Ferry's entries are filed under.
pub const KEYRING_SERVICE: &str = "ferry";

/// Whether passwords can be remembered on this machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyringStatus {
    /// A keyring service answers; passwords can be remembered.
    Available,
    /// No keyring service (e.g. a headless Linux box without a Secret
    /// Service): passwords are asked for on connect and never stored.
    Unavailable {
        /// What the keyring library reported, for the log.
        reason: String,
    },
    /// No keyring service, so passwords are kept in the encrypted password
    /// file, opened with the master password once per run.
    PasswordFile {
        /// What the keyring library reported, for the log.
        reason: String,
    },
}

impl KeyringStatus {
    /// Whether passwords can be remembered.
    pub fn is_available(&self) -> bool {
        matches!(
            self,
            KeyringStatus::Available | KeyringStatus::PasswordFile { .. }
        )
    }
}

impl fmt::Display for KeyringStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyringStatus::Available => f.write_str("passwords are kept in the OS keyring"),
            KeyringStatus::Unavailable { reason } => write!(
                f,
                "no keyring service ({reason}): Ferry will ask for the password when connecting"
            ),
            KeyringStatus::PasswordFile { reason } => write!(
                f,
                "no keyring service ({reason}): passwords are kept in an encrypted file, opened with your master password once per run"
            ),
        }
    }
}

/// Where site passwords live, keyed by [`Site::id`](super::Site::id). The OS
/// keyring in the app, [`MemorySecrets`] in tests. Calls may block on the
/// keyring service (a D-Bus round trip on Linux): run them off the UI thread.
pub trait SecretStore: Send + Sync {
    /// Whether this store can keep passwords at all.
    fn status(&self) -> KeyringStatus;
    /// The site's password, or `None` when none is stored.
    fn get(&self, site_id: &str) -> Result<Option<String>>;
    /// Store (or replace) the site's password.
    fn set(&self, site_id: &str, password: &str) -> Result<()>;
    /// Forget the site's password; forgetting a missing one is not an error.
    fn delete(&self, site_id: &str) -> Result<()>;
    /// The encrypted password file, when that is where passwords go (it
    /// needs its master password before use).
    fn password_file(&self) -> Option<&PasswordFile> {
        None
    }
}

/// The OS keyring: Secret Service on Linux and the BSDs, Keychain on macOS,
/// Credential Manager on Windows.
#[derive(Debug, Default)]
pub struct OsKeyring {
    status: OnceLock<KeyringStatus>,
}

impl OsKeyring {
    /// A handle; the keyring is first contacted by the first call.
    pub fn new() -> OsKeyring {
        OsKeyring::default()
    }

    fn entry(&self, site_id: &str) -> Result<keyring::Entry> {
        if let KeyringStatus::Unavailable { reason } = self.status() {
            return Err(SitesError::NoKeyring { reason });
        }
        keyring::Entry::new(KEYRING_SERVICE, site_id).map_err(|e| SitesError::Keyring {
            op: "find",
            reason: e.to_string(),
            site_id: site_id.to_string(),
        })
    }
}

/// Ask the keyring once whether it answers: read an entry that does not exist.
fn probe() -> KeyringStatus {
    if let Err(e) = keyring::Entry::store_status() {
        return KeyringStatus::Unavailable {
            reason: e.to_string(),
        };
    }
    let answer = keyring::Entry::new(KEYRING_SERVICE, "ferry-keyring-probe")
        .and_then(|entry| entry.get_password());
    let status = match answer {
        // A locked keyring is there: using it will ask the user to unlock it.
        Ok(_) | Err(keyring::Error::NoEntry) | Err(keyring::Error::NoStorageAccess(_)) => {
            KeyringStatus::Available
        }
        Err(e) => KeyringStatus::Unavailable {
            reason: e.to_string(),
        },
    };
    match &status {
        KeyringStatus::Available => tracing::debug!("OS keyring available"),
        _ => tracing::warn!("{status}"),
    }
    status
}

fn keyring_error(op: &'static str, site_id: &str, e: keyring::Error) -> SitesError {
    SitesError::Keyring {
        op,
        reason: e.to_string(),
        site_id: site_id.to_string(),
    }
}

impl SecretStore for OsKeyring {
    fn status(&self) -> KeyringStatus {
        self.status.get_or_init(probe).clone()
    }

    fn get(&self, site_id: &str) -> Result<Option<String>> {
        match self.entry(site_id)?.get_password() {
            Ok(p) => Ok(Some(p)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(keyring_error("read", site_id, e)),
        }
    }

    fn set(&self, site_id: &str, password: &str) -> Result<()> {
        self.entry(site_id)?
            .set_password(password)
            .map_err(|e| keyring_error("store", site_id, e))
    }

    fn delete(&self, site_id: &str) -> Result<()> {
        match self.entry(site_id)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(keyring_error("delete", site_id, e)),
        }
    }
}

/// The OS keyring where a keyring service answers, else the encrypted
/// password file (which must be unlocked before use; until then its calls
/// fail with [`SitesError::PasswordFileLocked`]).
pub struct KeyringOrFile {
    keyring: Box<dyn SecretStore>,
    file: PasswordFile,
}

impl KeyringOrFile {
    /// The OS keyring, with the password file at `file` as the fallback.
    pub fn new(file: PasswordFile) -> KeyringOrFile {
        KeyringOrFile::with_keyring(Box::new(OsKeyring::new()), file)
    }

    /// As [`Self::new`] over another keyring (tests).
    pub fn with_keyring(keyring: Box<dyn SecretStore>, file: PasswordFile) -> KeyringOrFile {
        KeyringOrFile { keyring, file }
    }

    /// The password file, when it is the store in use (no keyring).
    pub fn file(&self) -> Option<&PasswordFile> {
        (!self.keyring.status().is_available()).then_some(&self.file)
    }

    fn store(&self) -> &dyn SecretStore {
        match self.file() {
            Some(file) => file,
            None => &*self.keyring,
        }
    }
}

impl SecretStore for KeyringOrFile {
    fn status(&self) -> KeyringStatus {
        match self.keyring.status() {
            KeyringStatus::Unavailable { reason } => KeyringStatus::PasswordFile { reason },
            status => status,
        }
    }

    fn get(&self, site_id: &str) -> Result<Option<String>> {
        self.store().get(site_id)
    }

    fn set(&self, site_id: &str, password: &str) -> Result<()> {
        self.store().set(site_id, password)
    }

    fn delete(&self, site_id: &str) -> Result<()> {
        self.store().delete(site_id)
    }

    fn password_file(&self) -> Option<&PasswordFile> {
        self.file()
    }
}

impl SecretStore for PasswordFile {
    fn status(&self) -> KeyringStatus {
        KeyringStatus::PasswordFile {
            reason: "the encrypted password file".into(),
        }
    }

    fn get(&self, site_id: &str) -> Result<Option<String>> {
        PasswordFile::get(self, site_id)
    }

    fn set(&self, site_id: &str, password: &str) -> Result<()> {
        PasswordFile::set(self, site_id, password)
    }

    fn delete(&self, site_id: &str) -> Result<()> {
        PasswordFile::delete(self, site_id)
    }

    fn password_file(&self) -> Option<&PasswordFile> {
        Some(self)
    }
}

/// Passwords in memory only, for tests and for a session that must not
/// touch the OS keyring. Can pretend to be a machine with no keyring.
#[derive(Debug, Default)]
pub struct MemorySecrets {
    passwords: Mutex<HashMap<String, String>>,
    unavailable: bool,
}

impl MemorySecrets {
    /// An empty store that accepts passwords.
    pub fn new() -> MemorySecrets {
        MemorySecrets::default()
    }

    /// A store that behaves like a machine without a keyring service.
    pub fn unavailable() -> MemorySecrets {
        MemorySecrets {
            unavailable: true,
            ..MemorySecrets::default()
        }
    }

    fn map(&self) -> Result<std::sync::MutexGuard<'_, HashMap<String, String>>> {
        if self.unavailable {
            return Err(SitesError::NoKeyring {
                reason: "in-memory store set up as unavailable".into(),
            });
        }
        // A poisoned lock only means another thread panicked mid-insert; the
        // map itself is still a valid map.
        Ok(self.passwords.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

impl SecretStore for MemorySecrets {
    fn status(&self) -> KeyringStatus {
        if self.unavailable {
            KeyringStatus::Unavailable {
                reason: "in-memory store set up as unavailable".into(),
            }
        } else {
            KeyringStatus::Available
        }
    }

    fn get(&self, site_id: &str) -> Result<Option<String>> {
        Ok(self.map()?.get(site_id).cloned())
    }

    fn set(&self, site_id: &str, password: &str) -> Result<()> {
        self.map()?.insert(site_id.into(), password.into());
        Ok(())
    }

    fn delete(&self, site_id: &str) -> Result<()> {
        self.map()?.remove(site_id);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_store_keeps_replaces_and_forgets() {
        let s = MemorySecrets::new();
        assert_eq!(s.get("a").unwrap(), None);
        s.set("a", "one").unwrap();
        s.set("a", "two").unwrap();
        assert_eq!(s.get("a").unwrap().as_deref(), Some("two"));
        s.delete("a").unwrap();
        s.delete("a").unwrap();
        assert_eq!(s.get("a").unwrap(), None);
    }

    #[test]
    fn an_unavailable_store_says_ferry_will_ask() {
        let s = MemorySecrets::unavailable();
        let msg = s.status().to_string();
        assert!(msg.starts_with("no keyring service"), "{msg}");
        assert!(msg.contains("ask for the password"), "{msg}");
        let err = s.set("a", "pw").unwrap_err().to_string();
        assert!(err.contains("ask for the password"), "{err}");
    }
}
