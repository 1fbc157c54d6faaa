//! Certificates the user chose to "Always trust": `host:port` → SHA-256
//! fingerprint in `trusted_certs.toml` beside the sites file. A different
//! certificate for a trusted server is reported as changed, never accepted.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::error::{Result, SitesError};
use super::store::{LoadWarning, toml_syntax_error};
use crate::ftp::TrustPolicy;
use crate::ftp::tls::parse_fingerprint;
use crate::safe_file;

/// The trust file's name inside the config folder.
pub const TRUST_FILE: &str = "trusted_certs.toml";

const WHAT: &str = "the trusted certificates file";
const VERSION: i64 = 1;

/// What the trust file says about a server's certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrustCheck {
    /// The user trusts exactly this certificate for this server.
    Trusted,
    /// Nothing is stored for this server: ask the user.
    Unknown,
    /// The user trusted another certificate for this server: warn loudly,
    /// showing both (lowercase hex SHA-256).
    Changed { old: String, new: String },
}

/// The trusted certificates of one config folder, loaded in memory.
#[derive(Debug, Clone)]
pub struct TrustStore {
    path: PathBuf,
    certs: BTreeMap<String, [u8; 32]>,
    /// The file had entries that could not be read and no copy could be kept.
    refuse_save: bool,
}

impl TrustStore {
    /// Load the trust file in `dir` leniently: unreadable entries become
    /// warnings (and the original is copied to `trusted_certs.toml.broken-<time>`);
    /// a missing file trusts nothing. Only an I/O error is an error.
    pub fn load(dir: &Path) -> Result<(TrustStore, Vec<LoadWarning>)> {
        let path = dir.join(TRUST_FILE);
        let mut store = TrustStore {
            path,
            certs: BTreeMap::new(),
            refuse_save: false,
        };
        let bytes = match fs::read(&store.path) {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok((store, Vec::new())),
            Err(source) => {
                return Err(SitesError::Read {
                    what: WHAT,
                    path: store.path,
                    source,
                });
            }
        };
        let mut warnings = Vec::new();
        let mut warn = |what: String, problem: String| warnings.push(LoadWarning { what, problem });
        let doc = match std::str::from_utf8(&bytes) {
            Err(e) => Err(format!("not UTF-8 text ({e})")),
            Ok(text) => {
                toml::from_str::<toml::Table>(text).map_err(|e| toml_syntax_error(text, &e))
            }
        };
        match doc {
            Err(e) => warn(
                "the whole file".into(),
                format!("{e}; no certificate is trusted from it"),
            ),
            Ok(doc) => match doc.get("trusted") {
                None => {}
                Some(toml::Value::Table(entries)) => {
                    for (host_port, value) in entries {
                        match value.as_str().and_then(parse_fingerprint) {
                            Some(fp) => {
                                store.certs.insert(host_port.clone(), fp);
                            }
                            None => warn(
                                format!("the entry for {host_port}"),
                                format!(
                                    "skipped: expected a SHA-256 fingerprint in hex, found {value}"
                                ),
                            ),
                        }
                    }
                }
                Some(other) => warn(
                    "trusted".into(),
                    format!("skipped: expected a table, found a {}", other.type_str()),
                ),
            },
        }
        if !warnings.is_empty() {
            match safe_file::keep_aside(&store.path, "broken") {
                Ok(copy) => warnings.push(LoadWarning {
                    what: "the original file".into(),
                    problem: format!("kept unchanged as {}", copy.display()),
                }),
                Err(e) => {
                    store.refuse_save = true;
                    warnings.push(LoadWarning {
                        what: "the original file".into(),
                        problem: format!("could not be copied aside ({e}); trusting new certificates is disabled until it is fixed or moved"),
                    });
                }
            }
        }
        for w in &warnings {
            tracing::warn!("trust file: {w}");
        }
        Ok((store, warnings))
    }

    /// Where the trust file is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether `fingerprint` (SHA-256 of the DER certificate) is the one
    /// trusted for `host_port` (see [`host_port`](super::host_port)).
    pub fn check(&self, host_port: &str, fingerprint: &[u8; 32]) -> TrustCheck {
        match self.certs.get(host_port) {
            None => TrustCheck::Unknown,
            Some(old) if old == fingerprint => TrustCheck::Trusted,
            Some(old) => TrustCheck::Changed {
                old: hex(old),
                new: hex(fingerprint),
            },
        }
    }

    /// The policy a session to `host_port` should use: exactly the trusted
    /// certificate when there is one, the system roots otherwise.
    pub fn policy_for(&self, host_port: &str) -> TrustPolicy {
        match self.certs.get(host_port) {
            Some(fp) => TrustPolicy::Pinned(vec![*fp]),
            None => TrustPolicy::SystemRoots,
        }
    }

    /// Always trust `fingerprint` for `host_port`, replacing any earlier one,
    /// and save at once (atomically). On failure nothing changes.
    pub fn trust(&mut self, host_port: &str, fingerprint: &[u8; 32]) -> Result<()> {
        let before = self.certs.insert(host_port.to_string(), *fingerprint);
        self.save().inspect_err(|_| {
            match before {
                Some(fp) => self.certs.insert(host_port.to_string(), fp),
                None => self.certs.remove(host_port),
            };
        })
    }

    /// Stop trusting any certificate for `host_port`, and save at once.
    pub fn forget(&mut self, host_port: &str) -> Result<()> {
        let Some(before) = self.certs.remove(host_port) else {
            return Ok(());
        };
        self.save().inspect_err(|_| {
            self.certs.insert(host_port.to_string(), before);
        })
    }

    fn save(&self) -> Result<()> {
        if self.refuse_save {
            return Err(SitesError::OriginalNotKept {
                what: WHAT,
                reason: "copying it failed when it was loaded".into(),
                path: self.path.clone(),
            });
        }
        let mut doc = toml::Table::new();
        doc.insert("schema_version".into(), toml::Value::Integer(VERSION));
        let trusted: toml::Table = self
            .certs
            .iter()
            .map(|(k, fp)| (k.clone(), toml::Value::String(hex(fp))))
            .collect();
        doc.insert("trusted".into(), toml::Value::Table(trusted));
        let text = format!(
            "# Certificates Ferry was told to always trust: host:port = SHA-256 of the certificate.\n\n{doc}"
        );
        safe_file::write_atomic(&self.path, text.as_bytes()).map_err(|source| SitesError::Write {
            what: WHAT,
            path: self.path.clone(),
            source,
        })
    }
}

fn hex(fp: &[u8; 32]) -> String {
    fp.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_save_leaves_the_trust_unchanged() {
        let dir = tempfile::tempdir().unwrap();
        // A folder where the file should be: the rename over it fails.
        fs::create_dir(dir.path().join(TRUST_FILE)).unwrap();
        let mut store = TrustStore {
            path: dir.path().join(TRUST_FILE),
            certs: BTreeMap::new(),
            refuse_save: false,
        };
        assert!(store.trust("h:21", &[1; 32]).is_err());
        assert_eq!(store.check("h:21", &[1; 32]), TrustCheck::Unknown);
    }

    #[test]
    fn bad_fingerprints_are_skipped_and_the_original_kept() {
        let dir = tempfile::tempdir().unwrap();
        let good = "ab".repeat(32);
        let text = format!("[trusted]\n\"a:21\" = \"{good}\"\n\"b:21\" = \"nope\"\n");
        fs::write(dir.path().join(TRUST_FILE), &text).unwrap();
        let (store, warnings) = TrustStore::load(dir.path()).unwrap();
        assert_eq!(store.check("a:21", &[0xab; 32]), TrustCheck::Trusted);
        assert_eq!(warnings[0].what, "the entry for b:21");
        let copies: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with("trusted_certs.toml.broken-"))
            .collect();
        assert_eq!(copies.len(), 1);
        assert_eq!(
            fs::read_to_string(dir.path().join(&copies[0])).unwrap(),
            text
        );
    }
}
