//! Name filters (View → Filters…): saved rules that hide files and folders
//! by name in the panes, each a glob or a regular expression, for files,
//! folders or both, in one pane or both, switched on and off one by one.
//! When the user asks, the same rules leave names out of folders the
//! transfer queue copies ([`TransferExclusions`]), which also carries the
//! command line's `--exclude` globs (matched as `ferry sync --exclude`
//! matches them). Nothing here knows egui.

use std::path::Path;
use std::sync::{Arc, RwLock};

use serde::{Deserialize, Serialize};

use crate::engine::{AnyPath, Side};
use crate::ftp::NameCharset;
use crate::sync::tree::glob_match;

/// How a rule's pattern is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PatternKind {
    /// A shell pattern matched against the whole name: `*`, `?`, `[a-z]`.
    #[default]
    Glob,
    /// A regular expression matched anywhere in the name (`^…$` anchors it).
    Regex,
}

/// What a rule hides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Hides {
    Files,
    Folders,
    #[default]
    Both,
}

impl Hides {
    pub const ALL: [Hides; 3] = [Hides::Files, Hides::Folders, Hides::Both];

    pub fn label(self) -> &'static str {
        match self {
            Hides::Files => "Files",
            Hides::Folders => "Folders",
            Hides::Both => "Files and folders",
        }
    }

    fn covers(self, is_dir: bool) -> bool {
        match self {
            Hides::Files => !is_dir,
            Hides::Folders => is_dir,
            Hides::Both => true,
        }
    }
}

/// Which pane a rule applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Panes {
    #[default]
    Both,
    Local,
    Remote,
}

impl Panes {
    pub const ALL: [Panes; 3] = [Panes::Both, Panes::Local, Panes::Remote];

    pub fn label(self) -> &'static str {
        match self {
            Panes::Both => "Both panes",
            Panes::Local => "Local pane",
            Panes::Remote => "Remote pane",
        }
    }

    pub fn includes(self, side: Side) -> bool {
        match self {
            Panes::Both => true,
            Panes::Local => side == Side::Local,
            Panes::Remote => side == Side::Remote,
        }
    }
}

/// One saved filter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct FilterRule {
    /// What the user calls it (the pattern when empty).
    pub name: String,
    pub pattern: String,
    pub kind: PatternKind,
    pub hides: Hides,
    pub panes: Panes,
    /// `Thumbs.db` does not hide `thumbs.db` when set.
    pub case_sensitive: bool,
    /// Switched on.
    pub enabled: bool,
}

impl Default for FilterRule {
    fn default() -> Self {
        FilterRule {
            name: String::new(),
            pattern: String::new(),
            kind: PatternKind::Glob,
            hides: Hides::Both,
            panes: Panes::Both,
            case_sensitive: false,
            enabled: true,
        }
    }
}

/// Why a rule cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FilterError {
    #[error("the filter has no pattern; type one, e.g. *.bak")]
    Empty,
    #[error("not a valid glob ({reason}); use *, ? and [a-z]: {pattern}")]
    Glob { reason: String, pattern: String },
    #[error("not a valid regular expression ({reason}): {pattern}")]
    Regex { reason: String, pattern: String },
}

impl FilterRule {
    /// A switched-off rule (the presets).
    fn preset(name: &str, pattern: &str, hides: Hides) -> FilterRule {
        FilterRule {
            name: name.into(),
            pattern: pattern.into(),
            hides,
            enabled: false,
            ..FilterRule::default()
        }
    }

    /// The name to show: the user's, else the pattern.
    pub fn title(&self) -> &str {
        if self.name.trim().is_empty() {
            &self.pattern
        } else {
            &self.name
        }
    }

    /// Whether the pattern can be used, and why not.
    pub fn check(&self) -> Result<(), FilterError> {
        self.compile().map(|_| ())
    }

    fn compile(&self) -> Result<Matcher, FilterError> {
        if self.pattern.is_empty() {
            return Err(FilterError::Empty);
        }
        match self.kind {
            PatternKind::Glob => glob::Pattern::new(&self.pattern)
                .map(|p| Matcher::Glob(p, self.case_sensitive))
                .map_err(|e| FilterError::Glob {
                    reason: e.msg.to_string(),
                    pattern: self.pattern.clone(),
                }),
            PatternKind::Regex => regex::RegexBuilder::new(&self.pattern)
                .case_insensitive(!self.case_sensitive)
                // Names are short: a pattern that compiles to megabytes is a mistake.
                .size_limit(1 << 20)
                .build()
                .map(Matcher::Regex)
                .map_err(|e| FilterError::Regex {
                    reason: one_line(&e.to_string()),
                    pattern: self.pattern.clone(),
                }),
        }
    }
}

/// The last line of a multi-line error (the regex crate draws the pattern
/// with a caret above its message).
fn one_line(text: &str) -> String {
    text.lines()
        .rev()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or(text)
        .trim_start_matches("error: ")
        .to_string()
}

/// The presets, all switched off: version control and package folders,
/// temporary files, and what Windows and macOS leave in every folder.
pub fn presets() -> Vec<FilterRule> {
    vec![
        FilterRule::preset("Git repository data", ".git", Hides::Both),
        FilterRule::preset("Node.js packages", "node_modules", Hides::Folders),
        FilterRule::preset("Temporary files", "*.tmp", Hides::Files),
        FilterRule::preset("Windows thumbnails", "Thumbs.db", Hides::Files),
        FilterRule::preset("macOS folder settings", ".DS_Store", Hides::Files),
    ]
}

/// Every filter, as saved in the preferences (`[filters]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "SavedFilters")]
pub struct FilterSettings {
    pub rules: Vec<FilterRule>,
    /// Saved rules this version could not read (say, written by a newer
    /// Ferry): left out, and counted here for the Filters window, instead of
    /// making the whole preferences file unreadable.
    #[serde(skip)]
    pub unreadable: usize,
    /// Folders the transfer queue copies leave out what the enabled filters
    /// hide (uploads the local pane's, downloads the remote pane's).
    pub exclude_from_transfers: bool,
}

impl Default for FilterSettings {
    fn default() -> Self {
        FilterSettings {
            rules: presets(),
            unreadable: 0,
            exclude_from_transfers: false,
        }
    }
}

/// `[filters]` as read from disk: each rule on its own, so one bad rule
/// costs only itself.
#[derive(Deserialize)]
#[serde(default)]
struct SavedFilters {
    rules: Vec<SavedRule>,
    exclude_from_transfers: bool,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum SavedRule {
    Rule(FilterRule),
    Unreadable(serde::de::IgnoredAny),
}

impl Default for SavedFilters {
    fn default() -> Self {
        SavedFilters {
            rules: presets().into_iter().map(SavedRule::Rule).collect(),
            exclude_from_transfers: false,
        }
    }
}

impl From<SavedFilters> for FilterSettings {
    fn from(saved: SavedFilters) -> Self {
        let total = saved.rules.len();
        let rules: Vec<FilterRule> = saved
            .rules
            .into_iter()
            .filter_map(|r| match r {
                SavedRule::Rule(rule) => Some(rule),
                SavedRule::Unreadable(_) => None,
            })
            .collect();
        let unreadable = total - rules.len();
        if unreadable > 0 {
            tracing::warn!(
                unreadable,
                "saved filters that could not be read are left out"
            );
        }
        FilterSettings {
            rules,
            unreadable,
            exclude_from_transfers: saved.exclude_from_transfers,
        }
    }
}

impl FilterSettings {
    /// The enabled, usable rules for the pane on `side`. A rule that does
    /// not compile is left out (the Filters window says why).
    pub fn for_side(&self, side: Side) -> NameFilter {
        let rules = self
            .rules
            .iter()
            .filter(|r| r.enabled && r.panes.includes(side))
            .filter_map(|r| Some((r.compile().ok()?, r.hides)))
            .collect();
        NameFilter { rules }
    }

    /// How many rules are switched on.
    pub fn enabled_count(&self) -> usize {
        self.rules.iter().filter(|r| r.enabled).count()
    }

    /// The presets not in the list yet (by pattern).
    pub fn missing_presets(&self) -> Vec<FilterRule> {
        presets()
            .into_iter()
            .filter(|p| !self.rules.iter().any(|r| r.pattern == p.pattern))
            .collect()
    }
}

/// A compiled pattern.
#[derive(Debug, Clone)]
enum Matcher {
    /// The pattern, and whether case matters.
    Glob(glob::Pattern, bool),
    Regex(regex::Regex),
}

impl Matcher {
    fn matches(&self, name: &str) -> bool {
        match self {
            Matcher::Glob(p, case_sensitive) => p.matches_with(
                name,
                glob::MatchOptions {
                    case_sensitive: *case_sensitive,
                    require_literal_separator: false,
                    require_literal_leading_dot: false,
                },
            ),
            Matcher::Regex(r) => r.is_match(name),
        }
    }
}

/// The enabled rules of one pane, compiled: what a pane asks of each entry.
#[derive(Debug, Clone, Default)]
pub struct NameFilter {
    rules: Vec<(Matcher, Hides)>,
}

impl NameFilter {
    /// No rule: nothing is hidden.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Whether an entry called `name` (a folder when `is_dir`) is hidden.
    pub fn hides(&self, name: &str, is_dir: bool) -> bool {
        self.rules
            .iter()
            .any(|(m, hides)| hides.covers(is_dir) && m.matches(name))
    }
}

/// What the transfer queue leaves out when it lists a folder into jobs:
/// the window's filters (when "also exclude from recursive transfers" is
/// on) or the command line's `--exclude` globs. Cloning shares it, so the
/// window changes what a running queue leaves out. A file or folder queued
/// by itself is never left out: only what is found inside folders.
#[derive(Debug, Clone, Default)]
pub struct TransferExclusions {
    inner: Arc<RwLock<Exclusions>>,
}

#[derive(Debug, Default)]
struct Exclusions {
    /// The local pane's rules (uploads) and the remote pane's (downloads).
    local: NameFilter,
    remote: NameFilter,
    /// `--exclude` globs, with the folder they are relative to.
    globs: Vec<String>,
    top: Option<AnyPath>,
}

impl TransferExclusions {
    /// `--exclude` globs for copying the folder `top`: as `ferry sync
    /// --exclude`, a glob with a `/` is matched against the path from `top`,
    /// any other against the name (`*` and `?`).
    pub fn globs(globs: Vec<String>, top: AnyPath) -> TransferExclusions {
        let e = Exclusions {
            globs,
            top: Some(top),
            ..Exclusions::default()
        };
        TransferExclusions {
            inner: Arc::new(RwLock::new(e)),
        }
    }

    /// Follow the window's filters: their enabled rules when they apply to
    /// transfers, else nothing.
    pub fn set_filters(&self, settings: &FilterSettings) {
        let (local, remote) = if settings.exclude_from_transfers {
            (
                settings.for_side(Side::Local),
                settings.for_side(Side::Remote),
            )
        } else {
            Default::default()
        };
        // A panic while the lock was held left plain data behind: use it.
        let mut e = self.inner.write().unwrap_or_else(|p| p.into_inner());
        e.local = local;
        e.remote = remote;
    }

    /// Whether `source`, found while listing a folder to copy, is left out.
    /// Remote names are in the server's `charset`.
    pub fn excludes(&self, source: &AnyPath, is_dir: bool, charset: &NameCharset) -> bool {
        let e = self.inner.read().unwrap_or_else(|p| p.into_inner());
        let name_bytes = source.file_name();
        let name = match source {
            AnyPath::Local(_) => String::from_utf8_lossy(&name_bytes),
            AnyPath::Remote(_) => charset.decode(&name_bytes),
        };
        let pane = match source {
            AnyPath::Local(_) => &e.local,
            AnyPath::Remote(_) => &e.remote,
        };
        if pane.hides(&name, is_dir) {
            return true;
        }
        if e.globs.is_empty() {
            return false;
        }
        let rel = e
            .top
            .as_ref()
            .and_then(|top| relative(top, source, charset));
        e.globs.iter().any(|g| {
            if g.contains('/') {
                rel.as_deref()
                    .is_some_and(|rel| glob_match(g.trim_start_matches('/'), rel))
            } else {
                glob_match(g, &name)
            }
        })
    }
}

/// `path` relative to `top`, `/`-separated, when it is inside it.
fn relative(top: &AnyPath, path: &AnyPath, charset: &NameCharset) -> Option<String> {
    match (top, path) {
        (AnyPath::Local(top), AnyPath::Local(path)) => {
            let rest = path.strip_prefix(top).ok()?;
            Some(local_rel(rest))
        }
        (AnyPath::Remote(top), AnyPath::Remote(path)) => {
            let rest = path.strip_prefix(top.as_slice())?;
            let rest = match rest.strip_prefix(b"/") {
                Some(r) => r,
                // `/a/bc` is not inside `/a/b`.
                None if top.is_empty() || top.ends_with(b"/") => rest,
                None => return None,
            };
            Some(charset.decode(rest).into_owned())
        }
        _ => None,
    }
}

fn local_rel(rest: &Path) -> String {
    rest.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::prefs::Preferences;

    fn rule(pattern: &str, kind: PatternKind, hides: Hides) -> FilterRule {
        FilterRule {
            pattern: pattern.into(),
            kind,
            hides,
            ..FilterRule::default()
        }
    }

    fn only(r: FilterRule) -> NameFilter {
        FilterSettings {
            rules: vec![r],
            exclude_from_transfers: false,
            unreadable: 0,
        }
        .for_side(Side::Local)
    }

    #[test]
    fn globs_match_whole_names_and_ignore_case_unless_asked() {
        // (pattern, case sensitive, name, is hidden)
        let table = [
            ("*.tmp", false, "a.tmp", true),
            ("*.tmp", false, "A.TMP", true),
            ("*.tmp", true, "A.TMP", false),
            ("*.tmp", false, "a.tmp.txt", false),
            ("Thumbs.db", false, "thumbs.db", true),
            ("Thumbs.db", true, "thumbs.db", false),
            ("?.log", false, "a.log", true),
            ("?.log", false, "ab.log", false),
            ("[ab]*", false, "beta", true),
            ("[ab]*", false, "gamma", false),
            (".git", false, ".gitignore", false),
            ("*", false, ".hidden", true),
        ];
        for (pattern, case_sensitive, name, hidden) in table {
            let f = only(FilterRule {
                case_sensitive,
                ..rule(pattern, PatternKind::Glob, Hides::Both)
            });
            assert_eq!(f.hides(name, false), hidden, "{pattern} on {name}");
        }
    }

    #[test]
    fn regexes_match_anywhere_unless_anchored() {
        let table = [
            (r"\.bak$", "notes.bak", true),
            (r"\.bak$", "notes.bak.txt", false),
            ("cache", "my-cache-dir", true),
            ("^cache$", "my-cache-dir", false),
            ("^CACHE$", "cache", true),
        ];
        for (pattern, name, hidden) in table {
            let f = only(rule(pattern, PatternKind::Regex, Hides::Both));
            assert_eq!(f.hides(name, true), hidden, "{pattern} on {name}");
        }
        let strict = only(FilterRule {
            case_sensitive: true,
            ..rule("^CACHE$", PatternKind::Regex, Hides::Both)
        });
        assert!(!strict.hides("cache", true));
    }

    #[test]
    fn file_rules_and_folder_rules_are_separate() {
        let files = only(rule("build", PatternKind::Glob, Hides::Files));
        assert!(files.hides("build", false));
        assert!(!files.hides("build", true));
        let folders = only(rule("build", PatternKind::Glob, Hides::Folders));
        assert!(!folders.hides("build", false));
        assert!(folders.hides("build", true));
    }

    #[test]
    fn switched_off_rules_and_other_panes_rules_hide_nothing() {
        let settings = FilterSettings {
            rules: vec![
                FilterRule {
                    enabled: false,
                    ..rule("*.a", PatternKind::Glob, Hides::Both)
                },
                FilterRule {
                    panes: Panes::Remote,
                    ..rule("*.r", PatternKind::Glob, Hides::Both)
                },
            ],
            exclude_from_transfers: false,
            unreadable: 0,
        };
        let local = settings.for_side(Side::Local);
        assert!(local.is_empty());
        assert!(!local.hides("x.a", false) && !local.hides("x.r", false));
        assert!(settings.for_side(Side::Remote).hides("x.r", false));
        assert_eq!(settings.enabled_count(), 1);
    }

    #[test]
    fn a_bad_pattern_is_explained_and_left_out_while_the_others_work() {
        let bad_glob = rule("[a-", PatternKind::Glob, Hides::Both);
        let bad_regex = rule("(unclosed", PatternKind::Regex, Hides::Both);
        let empty = rule("", PatternKind::Glob, Hides::Both);
        let e = bad_glob.check().unwrap_err().to_string();
        assert!(
            e.starts_with("not a valid glob") && e.ends_with(": [a-"),
            "{e}"
        );
        let e = bad_regex.check().unwrap_err().to_string();
        assert!(
            e.starts_with("not a valid regular expression (") && e.ends_with("): (unclosed"),
            "{e}"
        );
        assert!(!e.contains('\n'), "one line: {e}");
        assert_eq!(empty.check(), Err(FilterError::Empty));
        let settings = FilterSettings {
            rules: vec![
                bad_glob,
                bad_regex,
                empty,
                rule("*.o", PatternKind::Glob, Hides::Both),
            ],
            exclude_from_transfers: false,
            unreadable: 0,
        };
        let f = settings.for_side(Side::Local);
        assert!(f.hides("main.o", false));
        assert!(!f.hides("main.c", false));
    }

    #[test]
    fn the_presets_are_there_switched_off_and_can_be_added_back() {
        let settings = FilterSettings::default();
        let patterns: Vec<&str> = settings.rules.iter().map(|r| r.pattern.as_str()).collect();
        assert_eq!(
            patterns,
            [".git", "node_modules", "*.tmp", "Thumbs.db", ".DS_Store"]
        );
        assert_eq!(settings.enabled_count(), 0);
        assert!(settings.for_side(Side::Remote).is_empty());
        assert!(settings.missing_presets().is_empty());
        let mut trimmed = settings.clone();
        trimmed.rules.retain(|r| r.pattern != "*.tmp");
        let missing = trimmed.missing_presets();
        assert_eq!(missing.len(), 1);
        assert_eq!(missing[0].pattern, "*.tmp");
        for p in presets() {
            p.check().unwrap();
        }
    }

    #[test]
    fn filters_survive_the_preferences_file() {
        let mut prefs = Preferences {
            filters: FilterSettings {
                rules: vec![
                    FilterRule {
                        name: "Backups".into(),
                        case_sensitive: true,
                        panes: Panes::Remote,
                        ..rule(r"\.bak$", PatternKind::Regex, Hides::Files)
                    },
                    FilterRule {
                        enabled: false,
                        ..rule("dist", PatternKind::Glob, Hides::Folders)
                    },
                ],
                exclude_from_transfers: true,
                unreadable: 0,
            },
            ..Preferences::default()
        };
        let text = prefs.to_toml().unwrap();
        let back: Preferences = toml::from_str(&text).unwrap();
        assert_eq!(back, prefs, "{text}");
        // An emptied list stays empty (the presets do not come back).
        prefs.filters.rules.clear();
        let back: Preferences = toml::from_str(&prefs.to_toml().unwrap()).unwrap();
        assert!(back.filters.rules.is_empty());
    }

    #[test]
    fn a_preferences_file_from_before_filters_loads_with_the_presets() {
        let old = "[transfers]\nparallel = 3\n\n[interface]\ntheme = \"dark\"\n";
        let prefs: Preferences = toml::from_str(old).unwrap();
        assert_eq!(prefs.transfers.parallel, 3);
        assert_eq!(prefs.filters, FilterSettings::default());
        assert!(prefs.extra.is_empty(), "{:?}", prefs.extra);
        // A rule missing keys takes their defaults (switched on, both panes).
        let partial = "[[filters.rules]]\npattern = \"*.log\"\n";
        let prefs: Preferences = toml::from_str(partial).unwrap();
        assert_eq!(prefs.filters.rules.len(), 1);
        let r = &prefs.filters.rules[0];
        assert!(r.enabled && r.panes == Panes::Both && r.kind == PatternKind::Glob);
        assert!(!prefs.filters.exclude_from_transfers);
    }

    #[test]
    fn a_rule_this_version_cannot_read_costs_only_itself() {
        let text = "[filters]\nexclude_from_transfers = true\n\n\
            [[filters.rules]]\npattern = \"*.log\"\n\n\
            [[filters.rules]]\npattern = \"x\"\nkind = \"wildcard\"\n\n\
            [[filters.rules]]\npattern = \"dist\"\nhides = \"folders\"\n";
        let prefs: Preferences = toml::from_str(text).unwrap();
        let patterns: Vec<_> = prefs
            .filters
            .rules
            .iter()
            .map(|r| r.pattern.as_str())
            .collect();
        assert_eq!(patterns, ["*.log", "dist"]);
        assert_eq!(prefs.filters.unreadable, 1);
        assert!(prefs.filters.exclude_from_transfers);
    }

    #[test]
    fn transfers_leave_out_what_the_source_panes_filters_hide_only_when_asked() {
        let settings = FilterSettings {
            rules: vec![
                FilterRule {
                    panes: Panes::Local,
                    ..rule("*.tmp", PatternKind::Glob, Hides::Files)
                },
                FilterRule {
                    panes: Panes::Remote,
                    ..rule(".git", PatternKind::Glob, Hides::Folders)
                },
            ],
            exclude_from_transfers: false,
            unreadable: 0,
        };
        let ex = TransferExclusions::default();
        let shared = ex.clone();
        let utf8 = NameCharset::Auto;
        let local_tmp = AnyPath::Local(PathBuf::from("/up/a.tmp"));
        let remote_git = AnyPath::Remote(b"/down/.git".to_vec());
        shared.set_filters(&settings);
        assert!(!ex.excludes(&local_tmp, false, &utf8), "not asked for");
        shared.set_filters(&FilterSettings {
            exclude_from_transfers: true,
            unreadable: 0,
            ..settings
        });
        assert!(ex.excludes(&local_tmp, false, &utf8));
        assert!(ex.excludes(&remote_git, true, &utf8));
        // Each side's own rules: an upload of .git, a download of *.tmp go.
        assert!(!ex.excludes(&AnyPath::Local(PathBuf::from("/up/.git")), true, &utf8));
        assert!(!ex.excludes(&AnyPath::Remote(b"/down/a.tmp".to_vec()), false, &utf8));
        assert!(!ex.excludes(&AnyPath::Remote(b"/down/.git".to_vec()), false, &utf8));
    }

    #[test]
    fn exclude_globs_match_names_or_with_a_slash_the_path_from_the_top() {
        let utf8 = NameCharset::Auto;
        let globs = vec!["*.log".to_string(), "/docs/draft*".to_string()];
        let remote = TransferExclusions::globs(globs.clone(), AnyPath::Remote(b"/site".to_vec()));
        let r = |p: &str| AnyPath::Remote(p.as_bytes().to_vec());
        assert!(remote.excludes(&r("/site/a/x.log"), false, &utf8));
        assert!(remote.excludes(&r("/site/docs/draft-1.txt"), false, &utf8));
        assert!(!remote.excludes(&r("/site/other/docs/draft-1.txt"), false, &utf8));
        assert!(!remote.excludes(&r("/site/docs/final.txt"), false, &utf8));
        // `/sitex` is not inside `/site`: its path from the top is unknown.
        assert!(!remote.excludes(&r("/sitex/docs/draft"), false, &utf8));
        // The login folder as the top.
        let home = TransferExclusions::globs(globs.clone(), AnyPath::Remote(Vec::new()));
        assert!(home.excludes(&r("docs/draft"), false, &utf8));

        let top = PathBuf::from("build");
        let local = TransferExclusions::globs(globs, AnyPath::Local(top.clone()));
        let l = |p: &str| AnyPath::Local(top.join(p));
        assert!(local.excludes(&l("docs/draft.md"), false, &utf8));
        assert!(local.excludes(&l("deep/er/z.log"), false, &utf8));
        assert!(!local.excludes(&l("deep/docs/draft.md"), false, &utf8));
        // Folders are matched too: excluding one leaves out all inside it.
        let dirs = TransferExclusions::globs(vec![".git".into()], AnyPath::Local(top.clone()));
        assert!(dirs.excludes(&l(".git"), true, &utf8));
    }

    #[test]
    fn remote_names_are_read_in_the_servers_charset() {
        let latin1 = NameCharset::Legacy(encoding_rs::WINDOWS_1252);
        let ex = TransferExclusions::globs(vec!["caf?.txt".into()], AnyPath::Remote(b"/".to_vec()));
        assert!(ex.excludes(&AnyPath::Remote(b"/caf\xe9.txt".to_vec()), false, &latin1));
    }
}
