//! The sites file (`sites.toml` in Ferry's config folder): lenient loading,
//! schema migration and atomic saving.
//!
//! Loading never fails on bad content: the document is parsed as a TOML
//! table, then each site on its own; an entry that cannot be read becomes a
//! [`LoadWarning`] and the rest loads. Whenever something was skipped, the
//! original file is first copied to `sites.toml.broken-<time>` beside it,
//! so a later save cannot lose what the user wrote.

use std::collections::HashSet;
use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use serde::Serialize;

use super::error::{Result, SitesError};
use super::profile::{ConnectionMode, Site, new_site_id};
use super::secrets::SecretStore;
use crate::safe_file;

/// The schema version this Ferry writes. Version 0 (no `schema_version`,
/// `[[site]]` tables with `passive = true/false`, no folders) is migrated on load.
pub const SCHEMA_VERSION: i64 = 1;

/// The sites file's name inside the config folder.
pub const SITES_FILE: &str = "sites.toml";

const WHAT: &str = "the sites file";

/// All saved sites, in the order the site tree shows them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SiteList {
    /// The sites; each names its folder in [`Site::folder`].
    pub sites: Vec<Site>,
    /// Folders of the site tree that must exist even when empty, in order.
    pub folders: Vec<Vec<String>>,
    /// Top-level keys from a newer Ferry, written back unchanged.
    pub extra: toml::Table,
}

impl SiteList {
    /// The site with this id.
    pub fn get(&self, id: &str) -> Option<&Site> {
        self.sites.iter().find(|s| s.id == id)
    }

    /// The site with this id, to change it.
    pub fn get_mut(&mut self, id: &str) -> Option<&mut Site> {
        self.sites.iter_mut().find(|s| s.id == id)
    }

    /// Sites matching `query` as an id, a `Folder/Sub/Name` path or a bare
    /// name (for `site:NAME` addressing); the caller decides what several mean.
    pub fn find(&self, query: &str) -> Vec<&Site> {
        self.sites
            .iter()
            .filter(|s| {
                s.id == query || s.name == query || {
                    let mut path = s.folder.join("/");
                    if !path.is_empty() {
                        path.push('/');
                    }
                    path.push_str(&s.name);
                    path == query
                }
            })
            .collect()
    }
}

/// Something in the sites file that could not be loaded as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadWarning {
    /// Which part: `site 3 ("Work")`, `the whole file`, ….
    pub what: String,
    /// Why, and what Ferry did about it.
    pub problem: String,
}

impl fmt::Display for LoadWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.what, self.problem)
    }
}

/// The result of loading: what could be read, and what could not.
#[derive(Debug, Default)]
pub struct Loaded {
    /// Every site that could be read.
    pub sites: SiteList,
    /// One per skipped entry or other problem, to show the user.
    pub warnings: Vec<LoadWarning>,
    /// Where the original file was copied before anything could overwrite it.
    pub kept_aside: Option<PathBuf>,
    /// Plain-text passwords found in the file (a hand-edited `password = …`),
    /// by site id. They are already out of [`Loaded::sites`]; hand them to
    /// [`Loaded::move_plaintext_passwords`], then save, and the file is clean.
    pub plaintext_passwords: Vec<(String, String)>,
}

impl Loaded {
    /// Move plain-text passwords found in the file into `secrets` and mark
    /// their sites as remembering it. Returns one warning per password that
    /// could not be moved (it is then dropped: Ferry asks on connect). Save
    /// afterwards so the password leaves the file.
    pub fn move_plaintext_passwords(&mut self, secrets: &dyn SecretStore) -> Vec<LoadWarning> {
        let mut failed = Vec::new();
        for (id, password) in std::mem::take(&mut self.plaintext_passwords) {
            let Some(site) = self.sites.get_mut(&id) else {
                continue;
            };
            match secrets.set(&id, &password) {
                Ok(()) => site.remember_password = true,
                Err(e) => failed.push(LoadWarning {
                    what: format!("site {:?}", site.name),
                    problem: format!("its plain-text password was dropped: {e}"),
                }),
            }
        }
        failed
    }
}

/// The saved sites of one config folder.
#[derive(Debug)]
pub struct SiteStore {
    dir: PathBuf,
    /// Set when the last load skipped something and the original could not
    /// be kept aside: saving would then destroy the user's only copy.
    refuse_save: AtomicBool,
}

impl SiteStore {
    /// The store in the OS config folder (`~/.config/ferry/` on Linux).
    pub fn open_default() -> Result<SiteStore> {
        Ok(SiteStore::at(default_config_dir()?))
    }

    /// The store in `dir` (tests, portable installs).
    pub fn at(dir: impl Into<PathBuf>) -> SiteStore {
        SiteStore {
            dir: dir.into(),
            refuse_save: AtomicBool::new(false),
        }
    }

    /// The config folder: the sites file, the trust file and nothing secret.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Full path of the sites file.
    pub fn path(&self) -> PathBuf {
        self.dir.join(SITES_FILE)
    }

    /// Load the sites, leniently: only an unreadable file (permissions, I/O)
    /// is an error; bad content becomes warnings. A missing file is no sites.
    pub fn load(&self) -> Result<Loaded> {
        let path = self.path();
        let bytes = match fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Loaded::default()),
            Err(source) => {
                return Err(SitesError::Read {
                    what: WHAT,
                    path,
                    source,
                });
            }
        };
        let parsed = parse(&bytes);
        let mut loaded = Loaded {
            sites: parsed.sites,
            warnings: parsed.warnings,
            kept_aside: None,
            plaintext_passwords: parsed.plaintext_passwords,
        };
        self.refuse_save.store(false, Ordering::SeqCst);
        if let Some(label) = parsed.keep_aside_as {
            match safe_file::keep_aside(&path, &label) {
                Ok(copy) => {
                    loaded.warnings.push(LoadWarning {
                        what: "the original file".into(),
                        problem: format!("kept unchanged as {}", copy.display()),
                    });
                    loaded.kept_aside = Some(copy);
                }
                Err(e) => {
                    self.refuse_save.store(true, Ordering::SeqCst);
                    loaded.warnings.push(LoadWarning {
                        what: "the original file".into(),
                        problem: format!(
                            "could not be copied aside ({e}); saving is disabled until it is fixed or moved: {}",
                            path.display()
                        ),
                    });
                }
            }
        }
        for w in &loaded.warnings {
            tracing::warn!("sites file: {w}");
        }
        Ok(loaded)
    }

    /// Record the data mode that worked for site `id` (auto mode found it
    /// after the other failed). Saves only when the file loaded cleanly, so
    /// a partly unreadable file is never rewritten without what it skipped.
    /// Returns whether the file changed.
    pub fn remember_working_mode(&self, id: &str, mode: ConnectionMode) -> Result<bool> {
        let mut loaded = self.load()?;
        if !loaded.warnings.is_empty() || !loaded.plaintext_passwords.is_empty() {
            return Ok(false);
        }
        let Some(site) = loaded.sites.get_mut(id) else {
            return Ok(false);
        };
        if site.last_working_mode == Some(mode) {
            return Ok(false);
        }
        site.last_working_mode = Some(mode);
        self.save(&loaded.sites)?;
        Ok(true)
    }

    /// Save all sites atomically: the file on disk is the old one or the new
    /// one, whatever happens. Refused when the last load skipped entries and
    /// could not keep a copy of the original.
    pub fn save(&self, sites: &SiteList) -> Result<()> {
        self.prepare_save(sites)?
            .commit()
            .map_err(|source| SitesError::Write {
                what: WHAT,
                path: self.path(),
                source,
            })
    }

    /// Everything of a save but the final rename; a test stops here to show
    /// that a crash at this point leaves the old file intact.
    pub(crate) fn prepare_save(&self, sites: &SiteList) -> Result<safe_file::PendingWrite> {
        let path = self.path();
        if self.refuse_save.load(Ordering::SeqCst) {
            return Err(SitesError::OriginalNotKept {
                what: WHAT,
                reason: "copying it failed when it was loaded".into(),
                path,
            });
        }
        let text = encode(&sites.sites, &sites.folders, &sites.extra)?;
        safe_file::prepare(&path, text.as_bytes()).map_err(|source| SitesError::Write {
            what: WHAT,
            path,
            source,
        })
    }
}

/// Write `sites` to `path` as a sites file (same format, no passwords, since
/// sites have none), for sharing or backup. Atomic like a save.
pub fn export(sites: &[Site], path: &Path) -> Result<()> {
    let text = encode(sites, &[], &toml::Table::new())?;
    safe_file::write_atomic(path, text.as_bytes()).map_err(|source| SitesError::Write {
        what: "the exported sites",
        path: path.to_path_buf(),
        source,
    })
}

/// Ferry's config folder: `FERRY_CONFIG_DIR` when set (tests, portable
/// installs), else `~/.config/ferry/` on Linux and the platform's
/// equivalent elsewhere. Holds the sites and trust files.
pub fn default_config_dir() -> Result<PathBuf> {
    if let Some(dir) = std::env::var_os("FERRY_CONFIG_DIR").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    directories::ProjectDirs::from("", "", "ferry")
        .map(|d| d.config_dir().to_path_buf())
        .ok_or(SitesError::NoConfigDir)
}

#[derive(Serialize)]
struct FileOut<'a> {
    schema_version: i64,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    folders: &'a [Vec<String>],
    sites: &'a [Site],
    #[serde(flatten)]
    extra: &'a toml::Table,
}

const HEADER: &str =
    "# Ferry's saved sites. Passwords are not in this file: they are in the OS keyring.\n\n";

fn encode(sites: &[Site], folders: &[Vec<String>], extra: &toml::Table) -> Result<String> {
    let mut extra = extra.clone();
    for known in ["schema_version", "folders", "sites"] {
        extra.remove(known);
    }
    let out = FileOut {
        schema_version: SCHEMA_VERSION,
        folders,
        sites,
        extra: &extra,
    };
    let body = toml::to_string(&out).map_err(|e| SitesError::Encode {
        what: WHAT,
        reason: e.to_string(),
    })?;
    Ok(format!("{HEADER}{body}"))
}

/// What parsing found, before any file is touched.
struct Parsed {
    sites: SiteList,
    warnings: Vec<LoadWarning>,
    /// `Some(label)`: copy the original to `sites.toml.<label>-<time>`.
    keep_aside_as: Option<String>,
    plaintext_passwords: Vec<(String, String)>,
}

fn parse(bytes: &[u8]) -> Parsed {
    let mut out = Parsed {
        sites: SiteList::default(),
        warnings: Vec::new(),
        keep_aside_as: None,
        plaintext_passwords: Vec::new(),
    };
    let whole_file_lost = |problem: String| Parsed {
        sites: SiteList::default(),
        warnings: vec![LoadWarning {
            what: "the whole file".into(),
            problem: format!("{problem}; no sites were loaded from it"),
        }],
        keep_aside_as: Some("broken".into()),
        plaintext_passwords: Vec::new(),
    };
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => return whole_file_lost(format!("not UTF-8 text ({e})")),
    };
    let mut doc: toml::Table = match toml::from_str(text) {
        Ok(d) => d,
        Err(e) => return whole_file_lost(toml_syntax_error(text, &e)),
    };

    let version = match doc.remove("schema_version") {
        None => 0,
        Some(toml::Value::Integer(v)) => v,
        Some(other) => {
            out.warnings.push(LoadWarning {
                what: "schema_version".into(),
                problem: format!(
                    "expected a number, found {other}; read as version {SCHEMA_VERSION}"
                ),
            });
            out.keep_aside_as = Some("broken".into());
            SCHEMA_VERSION
        }
    };
    if version > SCHEMA_VERSION {
        out.warnings.push(LoadWarning {
            what: format!("schema version {version}"),
            problem: format!(
                "written by a newer Ferry (this one writes version {SCHEMA_VERSION}); fields it does not know are kept, and the original is kept aside"
            ),
        });
        out.keep_aside_as = Some(format!("v{version}"));
    }
    let mut skipped = false;
    if version < SCHEMA_VERSION {
        skipped = migrate_v0(&mut doc, &mut out.warnings);
        out.keep_aside_as = Some(format!("v{version}"));
    }
    match doc.remove("sites") {
        None => {}
        Some(toml::Value::Array(entries)) => {
            for (i, entry) in entries.into_iter().enumerate() {
                let what = entry_label(i, &entry);
                match entry.try_into::<Site>() {
                    Ok(site) => out.sites.sites.push(site),
                    Err(e) => {
                        skipped = true;
                        out.warnings.push(LoadWarning {
                            what,
                            problem: format!("skipped: {}", one_line(&e)),
                        });
                    }
                }
            }
        }
        Some(other) => {
            skipped = true;
            out.warnings.push(LoadWarning {
                what: "sites".into(),
                problem: format!(
                    "skipped: expected a list of [[sites]] tables, found a {}",
                    other.type_str()
                ),
            });
        }
    }
    if let Some(folders) = doc.remove("folders") {
        match folders.try_into::<Vec<Vec<String>>>() {
            Ok(f) => out.sites.folders = f,
            Err(e) => {
                skipped = true;
                out.warnings.push(LoadWarning {
                    what: "folders".into(),
                    problem: format!("skipped: {}", one_line(&e)),
                });
            }
        }
    }
    if skipped {
        out.keep_aside_as = Some("broken".into());
    }
    give_duplicate_ids_new_ones(&mut out.sites.sites, &mut out.warnings);
    take_out_plaintext_passwords(&mut out);
    out.sites.extra = doc;
    out
}

/// `site 3 ("Work")`, 1-based, for warnings.
fn entry_label(index: usize, entry: &toml::Value) -> String {
    match entry.get("name").and_then(toml::Value::as_str) {
        Some(name) => format!("site {} ({name:?})", index + 1),
        None => format!("site {}", index + 1),
    }
}

fn one_line(e: &impl fmt::Display) -> String {
    e.to_string()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A password must never stay in the file, even one typed in by hand: take
/// it out of the site (so no save writes it back) and hand it to the caller.
fn take_out_plaintext_passwords(out: &mut Parsed) {
    for site in &mut out.sites.sites {
        for key in ["password", "pass"] {
            let Some(value) = site.extra.remove(key) else {
                continue;
            };
            out.warnings.push(LoadWarning {
                what: format!("site {:?}", site.name),
                problem: format!(
                    "a plain-text `{key}` is in the file; Ferry keeps passwords only in the OS keyring, so it is moved there and removed from the file on the next save"
                ),
            });
            if let toml::Value::String(password) = value {
                out.plaintext_passwords.push((site.id.clone(), password));
            }
        }
    }
}

/// Two sites with one id would share a keyring entry: the later one gets a new id.
fn give_duplicate_ids_new_ones(sites: &mut [Site], warnings: &mut Vec<LoadWarning>) {
    let mut seen = HashSet::new();
    for site in sites {
        if !seen.insert(site.id.clone()) {
            let old = std::mem::replace(&mut site.id, new_site_id());
            warnings.push(LoadWarning {
                what: format!("site {:?}", site.name),
                problem: format!(
                    "its id {old} is used by an earlier site; it was given a new one, so a remembered password must be entered again"
                ),
            });
            seen.insert(site.id.clone());
        }
    }
}

/// `not valid TOML at line 3, column 7 (expected `]`)`, without the
/// multi-line source excerpt the parser's own message carries.
pub(super) fn toml_syntax_error(text: &str, e: &toml::de::Error) -> String {
    let message = one_line(&e.message());
    let Some(span) = e.span() else {
        return format!("not valid TOML ({message})");
    };
    let mut start = span.start.min(text.len());
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    let before = &text[..start];
    let line = before.matches('\n').count() + 1;
    let column = before
        .rsplit('\n')
        .next()
        .unwrap_or_default()
        .chars()
        .count()
        + 1;
    format!("not valid TOML at line {line}, column {column} ({message})")
}

/// Version 0 kept a flat `[[site]]` list with `passive = true/false`,
/// `tls = true/false` (explicit TLS), `local_dir` and `remote_dir`, no ids
/// and no folders. Rewrites it in place as version 1's `sites`. Returns
/// whether an entry had to be skipped.
fn migrate_v0(doc: &mut toml::Table, warnings: &mut Vec<LoadWarning>) -> bool {
    let Some(old) = doc.remove("site") else {
        return false;
    };
    let toml::Value::Array(entries) = old else {
        warnings.push(LoadWarning {
            what: "site (schema version 0)".into(),
            problem: format!(
                "skipped: expected a list of [[site]] tables, found a {}",
                old.type_str()
            ),
        });
        return true;
    };
    let mut skipped = false;
    let mut migrated = Vec::new();
    for (i, entry) in entries.into_iter().enumerate() {
        let what = entry_label(i, &entry);
        let result = match entry {
            toml::Value::Table(t) => migrate_v0_site(t),
            other => Err(format!("expected a table, found a {}", other.type_str())),
        };
        match result {
            Ok(t) => migrated.push(toml::Value::Table(t)),
            Err(problem) => {
                skipped = true;
                warnings.push(LoadWarning {
                    what,
                    problem: format!("skipped: {problem}"),
                });
            }
        }
    }
    doc.insert("sites".into(), toml::Value::Array(migrated));
    skipped
}

fn migrate_v0_site(mut t: toml::Table) -> Result<toml::Table, String> {
    use toml::Value;
    let flag = |t: &mut toml::Table, key: &str, default: bool| match t.remove(key) {
        None => Ok(default),
        Some(Value::Boolean(b)) => Ok(b),
        Some(other) => Err(format!("`{key}` must be true or false, found {other}")),
    };
    let mode = if flag(&mut t, "passive", true)? {
        "passive"
    } else {
        "active"
    };
    let protocol = if flag(&mut t, "tls", false)? {
        "explicit-tls"
    } else {
        "ftp"
    };
    t.insert("mode".into(), Value::String(mode.into()));
    t.insert("protocol".into(), Value::String(protocol.into()));
    if !t.contains_key("id") {
        t.insert("id".into(), Value::String(new_site_id()));
    }
    for (old, new) in [
        ("local_dir", "local_folder"),
        ("remote_dir", "remote_folder"),
    ] {
        if let Some(v) = t.remove(old) {
            t.insert(new.into(), v);
        }
    }
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sites::profile::ConnectionMode;

    #[test]
    fn a_site_with_a_bad_field_is_reported_by_number_and_name() {
        let p = parse(
            br#"schema_version = 1
[[sites]]
name = "good"
host = "a"
[[sites]]
name = "bad port"
host = "b"
port = "twenty-one"
"#,
        );
        assert_eq!(p.sites.sites.len(), 1);
        assert_eq!(p.warnings.len(), 1);
        assert_eq!(p.warnings[0].what, "site 2 (\"bad port\")");
        assert!(p.warnings[0].problem.contains("port"), "{}", p.warnings[0]);
        assert_eq!(p.keep_aside_as.as_deref(), Some("broken"));
    }

    #[test]
    fn a_syntax_error_names_line_and_column() {
        let p = parse(b"schema_version = 1\n[[sites]\n");
        assert_eq!(p.warnings[0].what, "the whole file");
        assert!(
            p.warnings[0]
                .problem
                .starts_with("not valid TOML at line 2, column "),
            "{}",
            p.warnings[0]
        );
    }

    #[test]
    fn a_clean_current_file_needs_no_copy() {
        let p = parse(b"schema_version = 1\n[[sites]]\nname = \"a\"\nhost = \"h\"\n");
        assert!(p.warnings.is_empty());
        assert_eq!(p.keep_aside_as, None);
    }

    #[test]
    fn v0_passive_false_becomes_active_mode_and_tls_becomes_explicit() {
        let p = parse(
            b"[[site]]\nname = \"old\"\nhost = \"h\"\npassive = false\ntls = true\nremote_dir = \"/pub\"\n",
        );
        let s = &p.sites.sites[0];
        assert_eq!(s.mode, ConnectionMode::Active);
        assert_eq!(s.protocol, crate::sites::profile::Protocol::ExplicitTls);
        assert_eq!(s.remote_folder.as_deref(), Some("/pub"));
        assert!(s.extra.is_empty(), "{:?}", s.extra);
        assert_eq!(p.keep_aside_as.as_deref(), Some("v0"));
    }

    #[test]
    fn v0_non_boolean_passive_skips_that_entry_with_a_reason() {
        let p = parse(b"[[site]]\nname = \"odd\"\nhost = \"h\"\npassive = \"yes\"\n");
        assert!(p.sites.sites.is_empty());
        assert_eq!(
            p.warnings[0].to_string(),
            "site 1 (\"odd\"): skipped: `passive` must be true or false, found \"yes\""
        );
        assert_eq!(p.keep_aside_as.as_deref(), Some("broken"));
    }

    #[test]
    fn duplicate_ids_are_renewed_with_a_warning() {
        let p = parse(
            b"schema_version = 1\n[[sites]]\nid = \"x\"\nname = \"a\"\nhost = \"h\"\n[[sites]]\nid = \"x\"\nname = \"b\"\nhost = \"h\"\n",
        );
        assert_eq!(p.sites.sites[0].id, "x");
        assert_ne!(p.sites.sites[1].id, "x");
        assert_eq!(p.warnings.len(), 1);
    }

    #[test]
    fn a_crash_between_write_and_rename_leaves_the_saved_sites_intact() {
        let dir = tempfile::tempdir().unwrap();
        let store = SiteStore::at(dir.path());
        let old = SiteList {
            sites: vec![Site::new("old", "old.example")],
            ..SiteList::default()
        };
        store.save(&old).unwrap();
        let old_bytes = fs::read(store.path()).unwrap();
        let new = SiteList {
            sites: vec![Site::new("new", "new.example")],
            ..SiteList::default()
        };

        let temp = store.prepare_save(&new).unwrap().abandon().unwrap();

        assert_eq!(fs::read(store.path()).unwrap(), old_bytes);
        assert_eq!(store.load().unwrap().sites, old);
        let written = fs::read_to_string(&temp).unwrap();
        assert!(written.contains("new.example"), "{written}");
    }

    #[test]
    fn find_matches_id_name_and_folder_path() {
        let mut a = Site::new("alpha", "h");
        a.folder = vec!["Work".into(), "Clients".into()];
        let b = Site::new("beta", "h");
        let list = SiteList {
            sites: vec![a.clone(), b.clone()],
            ..SiteList::default()
        };
        assert_eq!(list.find("Work/Clients/alpha")[0].id, a.id);
        assert_eq!(list.find("alpha")[0].id, a.id);
        assert_eq!(list.find(&b.id)[0].name, "beta");
        assert!(list.find("Work/alpha").is_empty());
    }
}
