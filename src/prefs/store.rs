//! The preferences file: TOML (the format confy uses), written atomically
//! through [`crate::safe_file`]. confy itself is not used: its store
//! truncates the file in place (a crash mid-write leaves half of it), and its
//! load writes a default file when there is none.
//!
//! Loading never fails: a file that cannot be parsed is copied aside
//! (`preferences.toml.broken-<time>`), replaced by the defaults, and the user
//! is told once; a file that cannot be read at all is left alone, and saving
//! is refused so it is never overwritten unseen.

use std::io;
use std::path::{Path, PathBuf};

use super::Preferences;
use crate::safe_file;

/// The preferences file's name inside the config folder.
pub const PREFS_FILE: &str = "preferences.toml";

/// What loading found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Loaded {
    /// The preferences to use (the defaults where the file had nothing usable).
    pub prefs: Preferences,
    /// Whether a preferences file existed (on a first run the caller may seed
    /// them from older settings).
    pub found: bool,
    /// Something to tell the user once: what was wrong and what Ferry did.
    pub problem: Option<String>,
}

/// The preferences of one config folder.
#[derive(Debug)]
pub struct PrefsStore {
    path: PathBuf,
    /// Why saving would destroy something the user has not seen.
    refuse_save: Option<String>,
}

impl PrefsStore {
    /// The preferences file in `dir` (the config folder of the sites).
    pub fn in_dir(dir: &Path) -> PrefsStore {
        PrefsStore::at(dir.join(PREFS_FILE))
    }

    /// The preferences file at `path`.
    pub fn at(path: impl Into<PathBuf>) -> PrefsStore {
        PrefsStore {
            path: path.into(),
            refuse_save: None,
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Load the preferences, leniently (see the module's documentation).
    pub fn load(&mut self) -> Loaded {
        self.refuse_save = None;
        let path = &self.path;
        // A first run writes nothing.
        match path.try_exists() {
            Ok(true) => {}
            Ok(false) => return Loaded::default(),
            Err(e) => return self.unreadable(&e.to_string()),
        }
        let text = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(e) => return self.unreadable(&e.to_string()),
        };
        let parsed = std::str::from_utf8(&text)
            .map_err(|e| format!("not UTF-8 text: {e}"))
            .and_then(|t| toml::from_str::<Preferences>(t).map_err(|e| e.to_string()));
        let mut prefs = match parsed {
            Ok(prefs) => prefs,
            Err(e) => return self.corrupt(&e),
        };
        let clamped = prefs.clamp();
        let problem = (!clamped.is_empty()).then(|| {
            format!(
                "Some preferences were out of range and were corrected ({}): {}",
                clamped.join("; "),
                path.display()
            )
        });
        Loaded {
            prefs,
            found: true,
            problem,
        }
    }

    /// Write `prefs` atomically. Refused after a load that could not read
    /// the file, so a file the user cannot see is never replaced.
    pub fn save(&self, prefs: &Preferences) -> io::Result<()> {
        if let Some(why) = &self.refuse_save {
            return Err(io::Error::other(why.clone()));
        }
        let text = prefs.to_toml().map_err(io::Error::other)?;
        safe_file::write_atomic(&self.path, text.as_bytes())
    }

    fn unreadable(&mut self, cause: &str) -> Loaded {
        let why = format!(
            "the preferences file could not be read ({cause}); check its permissions, then restart Ferry: {}",
            self.path.display()
        );
        self.refuse_save = Some(format!("Preferences not saved: {why}"));
        Loaded {
            prefs: Preferences::default(),
            found: true,
            problem: Some(format!(
                "Defaults are used and changes are not saved: {why}"
            )),
        }
    }

    fn corrupt(&mut self, cause: &str) -> Loaded {
        let cause = cause.trim().replace('\n', " ");
        let problem = match safe_file::keep_aside(&self.path, "broken") {
            Ok(copy) => {
                // The copy is safe: put the defaults in place, so the user
                // is told once, not at every start.
                let reset = self.save(&Preferences::default());
                let mut text = format!(
                    "The preferences file could not be read ({cause}); defaults are used. Your file was kept as {}",
                    copy.display()
                );
                if let Err(e) = reset {
                    text.push_str(&format!(" (writing the defaults failed: {e})"));
                }
                text
            }
            Err(e) => {
                let why = format!(
                    "the preferences file could not be read ({cause}) nor copied aside ({e}); fix or move it: {}",
                    self.path.display()
                );
                self.refuse_save = Some(format!("Preferences not saved: {why}"));
                format!("Defaults are used and changes are not saved: {why}")
            }
        };
        Loaded {
            prefs: Preferences::default(),
            found: true,
            problem: Some(problem),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::super::Theme;
    use super::*;

    fn kept_copies(dir: &Path) -> Vec<PathBuf> {
        let mut v: Vec<_> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.to_string_lossy().contains(".broken-"))
            .collect();
        v.sort();
        v
    }

    #[test]
    fn a_first_run_uses_defaults_and_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let loaded = PrefsStore::in_dir(dir.path()).load();
        assert_eq!(loaded, Loaded::default());
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn saved_preferences_load_back() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = PrefsStore::in_dir(&dir.path().join("new-folder"));
        let mut p = Preferences::default();
        p.interface.theme = Theme::Dark;
        p.transfers.parallel = 9;
        store.save(&p).unwrap();
        let loaded = store.load();
        assert_eq!(
            (loaded.prefs, loaded.found, loaded.problem),
            (p, true, None)
        );
    }

    #[test]
    fn a_corrupt_file_is_kept_aside_reported_once_and_replaced_by_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(PREFS_FILE);
        let junk = b"[interface\ntheme = dark\x00";
        fs::write(&path, junk).unwrap();
        let mut store = PrefsStore::at(&path);

        let first = store.load();
        assert_eq!(first.prefs, Preferences::default());
        let problem = first.problem.expect("the user is told");
        let copies = kept_copies(dir.path());
        assert_eq!(copies.len(), 1);
        assert_eq!(fs::read(&copies[0]).unwrap(), junk);
        assert!(
            problem.contains(&copies[0].display().to_string()),
            "{problem}"
        );

        let second = store.load();
        assert_eq!(second.problem, None, "told once");
        assert_eq!(kept_copies(dir.path()).len(), 1);
    }

    #[test]
    fn a_value_of_the_wrong_type_counts_as_corrupt() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(PREFS_FILE);
        fs::write(&path, "[transfers]\nparallel = \"many\"\n").unwrap();
        let loaded = PrefsStore::at(&path).load();
        assert_eq!(loaded.prefs, Preferences::default());
        assert!(loaded.problem.is_some());
        assert_eq!(kept_copies(dir.path()).len(), 1);
    }

    #[test]
    fn unknown_keys_are_not_fatal_and_survive_a_save() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(PREFS_FILE);
        fs::write(
            &path,
            "future_switch = true\n[interface]\ntheme = \"light\"\nsparkles = 3\n",
        )
        .unwrap();
        let mut store = PrefsStore::at(&path);
        let loaded = store.load();
        assert_eq!(loaded.problem, None);
        assert_eq!(loaded.prefs.interface.theme, Theme::Light);
        store.save(&loaded.prefs).unwrap();
        let text = fs::read_to_string(&path).unwrap();
        assert!(text.contains("future_switch = true"), "{text}");
    }

    #[test]
    fn out_of_range_values_are_corrected_and_reported() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(PREFS_FILE);
        fs::write(&path, "[transfers]\nparallel = 500\n").unwrap();
        let loaded = PrefsStore::at(&path).load();
        assert_eq!(loaded.prefs.transfers.parallel, 32);
        assert!(loaded.problem.unwrap().contains("parallel"));
    }

    #[cfg(unix)]
    #[test]
    fn an_unreadable_file_is_never_overwritten() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        // A folder where the file should be: unreadable as a file, whoever runs the test.
        let path = dir.path().join(PREFS_FILE);
        fs::create_dir(&path).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
        let mut store = PrefsStore::at(&path);
        let loaded = store.load();
        assert_eq!(loaded.prefs, Preferences::default());
        assert!(loaded.problem.unwrap().contains("not saved"));
        let err = store.save(&Preferences::default()).unwrap_err();
        assert!(err.to_string().contains("Preferences not saved"), "{err}");
        assert!(path.is_dir());
    }
}
