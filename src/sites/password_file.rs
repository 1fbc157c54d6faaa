//! Site passwords in an encrypted file, for machines without an OS keyring
//! service (a headless box, a minimal desktop): unlocked by a master password
//! once per run, never plain text on disk.
//!
//! The key is derived from the master password with Argon2id (a random salt
//! per file; the cost is stored in the file so it can be raised later), and
//! the passwords are sealed with ChaCha20-Poly1305 under a fresh random nonce
//! on every write. The header (format, cost, salt) is authenticated too, so a
//! file whose header was changed does not open. A wrong master password
//! fails authentication: Ferry says so and changes nothing. Every write is
//! atomic ([`crate::safe_file`]): the old file or the new one, never half.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use serde::{Deserialize, Serialize};

use super::error::{Result, SitesError};

/// The password file's name, beside `sites.toml`.
pub const PASSWORD_FILE: &str = "passwords.toml";

const FORMAT: &str = "ferry-passwords-1";
const WHAT: &str = "the password file";

/// How hard the key is to guess: Argon2id's memory (KiB), passes and lanes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct KdfCost {
    pub memory_kib: u32,
    pub passes: u32,
    pub lanes: u32,
}

impl Default for KdfCost {
    /// 64 MiB and 3 passes: a fraction of a second once per run, and costly
    /// for anyone trying master passwords against a stolen file.
    fn default() -> KdfCost {
        KdfCost {
            memory_kib: 64 * 1024,
            passes: 3,
            lanes: 1,
        }
    }
}

/// The file as stored: a readable header and the sealed passwords.
#[derive(Serialize, Deserialize)]
struct Stored {
    format: String,
    kdf: String,
    cost: KdfCost,
    salt: String,
    nonce: String,
    sealed: String,
}

/// The unlocked contents: the key and the passwords by site id.
struct Open {
    key: [u8; 32],
    salt: [u8; 16],
    cost: KdfCost,
    passwords: BTreeMap<String, String>,
}

impl Drop for Open {
    fn drop(&mut self) {
        self.key = [0; 32];
    }
}

/// The encrypted password file at a path; locked until [`Self::unlock`].
pub struct PasswordFile {
    path: PathBuf,
    cost: KdfCost,
    open: Mutex<Option<Open>>,
}

impl fmt::Debug for PasswordFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasswordFile")
            .field("path", &self.path)
            .field("unlocked", &self.is_unlocked())
            .finish_non_exhaustive()
    }
}

impl PasswordFile {
    /// The file at `path` (which need not exist yet), locked.
    pub fn new(path: impl Into<PathBuf>) -> PasswordFile {
        PasswordFile::with_cost(path, KdfCost::default())
    }

    /// As [`Self::new`], with the key cost a new file gets (tests use a
    /// cheap one; an existing file keeps the cost it was written with).
    pub fn with_cost(path: impl Into<PathBuf>, cost: KdfCost) -> PasswordFile {
        PasswordFile {
            path: path.into(),
            cost,
            open: Mutex::new(None),
        }
    }

    /// Where the file is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether the file exists yet (if not, the first master password given
    /// chooses it).
    pub fn exists(&self) -> bool {
        self.path.exists()
    }

    /// Whether the master password has been given this run.
    pub fn is_unlocked(&self) -> bool {
        self.lock_open().is_some()
    }

    fn lock_open(&self) -> std::sync::MutexGuard<'_, Option<Open>> {
        // A poisoned lock only means a panic elsewhere; the data is whole.
        self.open.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Open the file with `master`, or, when there is no file yet, make
    /// `master` its master password (the file is written with the first
    /// password). A wrong master password is [`SitesError::WrongMasterPassword`]
    /// and changes nothing. Slow on purpose (Argon2id): not on the UI thread.
    pub fn unlock(&self, master: &str) -> Result<()> {
        let open = match std::fs::read_to_string(&self.path) {
            Ok(text) => self.open_existing(&text, master)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if master.is_empty() {
                    return Err(SitesError::EmptyMasterPassword);
                }
                let mut salt = [0u8; 16];
                random(&mut salt)?;
                Open {
                    key: derive(master, &salt, self.cost, &self.path)?,
                    salt,
                    cost: self.cost,
                    passwords: BTreeMap::new(),
                }
            }
            Err(source) => {
                return Err(SitesError::Read {
                    what: WHAT,
                    path: self.path.clone(),
                    source,
                });
            }
        };
        *self.lock_open() = Some(open);
        Ok(())
    }

    fn open_existing(&self, text: &str, master: &str) -> Result<Open> {
        let unreadable = |reason: String| SitesError::PasswordFileUnreadable {
            reason,
            path: self.path.clone(),
        };
        let stored: Stored = toml::from_str(text).map_err(|e| unreadable(e.to_string()))?;
        if stored.format != FORMAT || stored.kdf != "argon2id" {
            return Err(unreadable(format!(
                "format {:?} with {:?} is not one this Ferry reads",
                stored.format, stored.kdf
            )));
        }
        let decode = |field: &str, value: &str| {
            BASE64
                .decode(value)
                .map_err(|e| unreadable(format!("{field}: {e}")))
        };
        let salt: [u8; 16] = decode("salt", &stored.salt)?
            .try_into()
            .map_err(|_| unreadable("salt: not 16 bytes".into()))?;
        let nonce: [u8; 12] = decode("nonce", &stored.nonce)?
            .try_into()
            .map_err(|_| unreadable("nonce: not 12 bytes".into()))?;
        let sealed = decode("sealed", &stored.sealed)?;
        let key = derive(master, &salt, stored.cost, &self.path)?;
        let cipher = ChaCha20Poly1305::new(&Key::from(key));
        let aad = header(&salt, stored.cost);
        let plain = cipher
            .decrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: &sealed,
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| SitesError::WrongMasterPassword {
                path: self.path.clone(),
            })?;
        let passwords: BTreeMap<String, String> =
            serde_json::from_slice(&plain).map_err(|e| unreadable(e.to_string()))?;
        Ok(Open {
            key,
            salt,
            cost: stored.cost,
            passwords,
        })
    }

    /// Forget the key (the next use asks for the master password again).
    pub fn lock(&self) {
        *self.lock_open() = None;
    }

    /// The site's password, or `None` when none is stored.
    pub fn get(&self, site_id: &str) -> Result<Option<String>> {
        let guard = self.lock_open();
        let open = guard.as_ref().ok_or(SitesError::PasswordFileLocked)?;
        Ok(open.passwords.get(site_id).cloned())
    }

    /// Store (or replace) the site's password, and write the file.
    pub fn set(&self, site_id: &str, password: &str) -> Result<()> {
        self.change(|p| {
            p.insert(site_id.to_string(), password.to_string())
                .is_none()
        })
        .map(|_| ())
    }

    /// Forget the site's password, and write the file if it had one.
    pub fn delete(&self, site_id: &str) -> Result<()> {
        self.change(|p| p.remove(site_id).is_some()).map(|_| ())
    }

    /// Apply `edit` to the passwords and write the file; when writing fails,
    /// the passwords in memory are put back as they were, and so is the file.
    fn change(&self, edit: impl FnOnce(&mut BTreeMap<String, String>) -> bool) -> Result<bool> {
        let mut guard = self.lock_open();
        let open = guard.as_mut().ok_or(SitesError::PasswordFileLocked)?;
        let before = open.passwords.clone();
        let changed = edit(&mut open.passwords);
        if !changed && self.path.exists() {
            return Ok(false);
        }
        if let Err(e) = self.write(open) {
            open.passwords = before;
            return Err(e);
        }
        Ok(true)
    }

    fn write(&self, open: &Open) -> Result<()> {
        let plain = serde_json::to_vec(&open.passwords).map_err(|e| SitesError::Encode {
            what: WHAT,
            reason: e.to_string(),
        })?;
        let mut nonce = [0u8; 12];
        random(&mut nonce)?;
        let cipher = ChaCha20Poly1305::new(&Key::from(open.key));
        let aad = header(&open.salt, open.cost);
        let sealed = cipher
            .encrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: &plain,
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| SitesError::Encode {
                what: WHAT,
                reason: "the cipher refused the data".into(),
            })?;
        let stored = Stored {
            format: FORMAT.into(),
            kdf: "argon2id".into(),
            cost: open.cost,
            salt: BASE64.encode(open.salt),
            nonce: BASE64.encode(nonce),
            sealed: BASE64.encode(sealed),
        };
        let body = toml::to_string(&stored).map_err(|e| SitesError::Encode {
            what: WHAT,
            reason: e.to_string(),
        })?;
        let text = format!(
            "# Ferry's remembered passwords, encrypted (Argon2id, ChaCha20-Poly1305).\n\
             # Opened with your master password; edited by Ferry only.\n{body}"
        );
        crate::safe_file::write_atomic(&self.path, text.as_bytes()).map_err(|source| {
            SitesError::Write {
                what: WHAT,
                path: self.path.clone(),
                source,
            }
        })?;
        restrict_to_owner(&self.path);
        Ok(())
    }
}

/// What the seal authenticates besides the passwords: the header's values.
fn header(salt: &[u8; 16], cost: KdfCost) -> String {
    format!(
        "{FORMAT};argon2id;m={};t={};p={};salt={}",
        cost.memory_kib,
        cost.passes,
        cost.lanes,
        BASE64.encode(salt)
    )
}

fn derive(master: &str, salt: &[u8; 16], cost: KdfCost, path: &Path) -> Result<[u8; 32]> {
    let bad_cost = |e: argon2::Error| SitesError::PasswordFileUnreadable {
        reason: format!("key cost {cost:?}: {e}"),
        path: path.to_path_buf(),
    };
    let params = argon2::Params::new(cost.memory_kib, cost.passes, cost.lanes, Some(32))
        .map_err(bad_cost)?;
    let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let mut key = [0u8; 32];
    argon
        .hash_password_into(master.as_bytes(), salt, &mut key)
        .map_err(bad_cost)?;
    Ok(key)
}

fn random(buf: &mut [u8]) -> Result<()> {
    getrandom::fill(buf).map_err(|e| SitesError::Encode {
        what: WHAT,
        reason: format!("the system gave no random bytes: {e}"),
    })
}

/// Only the owner may read the file (it is encrypted, but guesses against
/// it should need the file first).
fn restrict_to_owner(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        if let Err(e) = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)) {
            tracing::warn!("could not make the password file private: {e}");
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}
