//! App-wide preferences: what the user chose on purpose in the Preferences
//! window (defaults for transfers and new connections, hidden files, the
//! theme, the editor). Kept in `preferences.toml` in Ferry's config folder,
//! beside the sites; the window's layout stays in eframe's own storage.
//! Nothing here knows egui: the window maps these values onto it.

mod editor;
mod store;
mod worker;

use serde::{Deserialize, Serialize};

use crate::engine::OnExisting;
use crate::engine::queue::{DEFAULT_CONCURRENCY, MAX_CONCURRENCY};
use crate::engine::rate_limit::{BurstTolerance, GlobalLimits};
use crate::engine::segments::MAX_SEGMENTS;
use crate::ftp::ascii::{TypeChoice, default_text_endings};
use crate::sites::{ConnectionMode, Site};

pub use editor::{EditorCommand, EditorError};
pub use store::{Loaded, PREFS_FILE, PrefsStore};
pub use worker::{PrefsReply, PrefsWorker};

/// The connection form's timeout when nothing else is chosen, in seconds.
pub const BUILTIN_TIMEOUT_SECS: u64 = 20;

/// The timeouts a user can choose, in seconds (the connection form's range).
pub const TIMEOUT_RANGE: std::ops::RangeInclusive<u64> = 1..=600;

/// Every preference. Missing keys take their defaults; unknown top-level
/// keys (from a newer Ferry) are kept and written back unchanged.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Preferences {
    pub transfers: Transfers,
    pub connection: ConnectionDefaults,
    pub interface: Interface,
    pub editing: Editing,
    /// Name filters (View → Filters…); files from before them get the presets.
    pub filters: crate::filters::FilterSettings,
    pub network: Network,
    /// Global bookmarks (for any server), in menu order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bookmarks: Vec<crate::sites::Bookmark>,
    /// Text (ASCII) transfers.
    pub text: TextTransfers,
    /// Download and upload speed limits for the whole queue.
    pub speed_limits: SpeedLimits,
    /// Top-level keys this Ferry does not know.
    #[serde(flatten)]
    pub extra: toml::Table,
}

/// How the transfer queue starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Transfers {
    /// How many transfers run at once (1–32).
    pub parallel: usize,
    /// What a transfer does when its target exists.
    pub if_exists: OnExisting,
    /// Split a large download into this many ranges, each on a connection
    /// of its own (1: one stream; 1–16). A site can choose its own.
    pub segments: u16,
}

impl Default for Transfers {
    fn default() -> Self {
        Transfers {
            parallel: DEFAULT_CONCURRENCY,
            if_exists: OnExisting::Ask,
            segments: 1,
        }
    }
}

/// Which files go as text (`TYPE A`, line ends converted).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TextTransfers {
    /// Binary, ASCII, or Auto (ASCII for the endings below, and only when
    /// the server's line ends differ from this machine's). A site can
    /// choose its own.
    pub transfer_type: TypeChoice,
    /// The endings Auto treats as text, without dots.
    pub endings: Vec<String>,
}

impl Default for TextTransfers {
    fn default() -> Self {
        TextTransfers {
            transfer_type: TypeChoice::Binary,
            endings: default_text_endings(),
        }
    }
}

impl Preferences {
    /// What the transfer queue uses where a site does not choose.
    pub fn queue_transfer_settings(&self) -> crate::engine::queue::TransferSettings {
        crate::engine::queue::TransferSettings {
            segments: self.transfers.segments.clamp(1, MAX_SEGMENTS as u16),
            transfer_type: self.text.transfer_type,
            text_endings: self.text.endings.clone(),
        }
    }
}

/// Speed limits for all transfers together, as FileZilla has them: a
/// switch, a download and an upload limit, and how much burst to allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct SpeedLimits {
    /// Whether the limits apply (the queue panel's "Speed limit" switches it).
    pub enabled: bool,
    /// Bytes per second for all downloads together; 0: no limit.
    pub download: u64,
    /// Bytes per second for all uploads together; 0: no limit.
    pub upload: u64,
    pub burst: BurstTolerance,
}

impl SpeedLimits {
    /// Whether either limit is set (whether it is on or not).
    pub fn any_set(&self) -> bool {
        self.download > 0 || self.upload > 0
    }

    /// What the queue keeps to: nothing while switched off.
    pub fn active(&self) -> GlobalLimits {
        let on = |rate: u64| (self.enabled && rate > 0).then_some(rate);
        GlobalLimits {
            download: on(self.download),
            upload: on(self.upload),
            burst: self.burst,
        }
    }
}

/// What a new connection (the connection form, a new site) starts with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ConnectionDefaults {
    pub mode: ConnectionMode,
    /// Seconds to wait for the server (1–600).
    pub timeout_secs: u64,
}

impl Default for ConnectionDefaults {
    fn default() -> Self {
        ConnectionDefaults {
            mode: ConnectionMode::Auto,
            timeout_secs: BUILTIN_TIMEOUT_SECS,
        }
    }
}

impl ConnectionDefaults {
    /// Give a newly created site these defaults. A timeout equal to the
    /// built-in one stays unset, as the Site Manager writes it.
    pub fn apply_to_site(&self, site: &mut Site) {
        site.mode = self.mode;
        site.timeout_secs =
            (self.timeout_secs != BUILTIN_TIMEOUT_SECS).then_some(self.timeout_secs);
    }
}

/// How the window looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Interface {
    /// Whether the panes start showing files whose name starts with a dot.
    pub show_hidden: bool,
    pub theme: Theme,
    /// Whether the tabs open at the last exit connect again at start
    /// (otherwise they wait for Reconnect).
    pub reconnect_tabs: bool,
}

/// Light or dark colours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Theme {
    /// Whatever the desktop uses.
    #[default]
    System,
    Light,
    Dark,
}

impl Theme {
    pub const ALL: [Theme; 3] = [Theme::System, Theme::Light, Theme::Dark];

    pub fn label(self) -> &'static str {
        match self {
            Theme::System => "Follow the system",
            Theme::Light => "Light",
            Theme::Dark => "Dark",
        }
    }
}

/// Editing remote files in place.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Editing {
    /// The editor's command line, `{}` where the file goes; empty for the
    /// desktop's default application. See [`EditorCommand::parse`].
    pub editor: String,
}

/// How connections reach servers.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Network {
    /// The proxy every site uses unless it says otherwise, as a URL
    /// (`socks5://user@host:1080`, `socks5h://…`, `http://…`) without the
    /// password, which is in the keyring; empty: connect directly.
    pub proxy: String,
}

impl Preferences {
    /// Bring out-of-range values (from a hand-edited file) back into range.
    /// Returns one sentence per value changed, to tell the user.
    pub fn clamp(&mut self) -> Vec<String> {
        let mut changed = Vec::new();
        let parallel = self.transfers.parallel.clamp(1, MAX_CONCURRENCY);
        if parallel != self.transfers.parallel {
            changed.push(format!(
                "parallel transfers must be 1 to {MAX_CONCURRENCY}: {} is used instead of {}",
                parallel, self.transfers.parallel
            ));
            self.transfers.parallel = parallel;
        }
        let segments = self.transfers.segments.clamp(1, MAX_SEGMENTS as u16);
        if segments != self.transfers.segments {
            changed.push(format!(
                "segments must be 1 to {MAX_SEGMENTS}: {} is used instead of {}",
                segments, self.transfers.segments
            ));
            self.transfers.segments = segments;
        }
        let t = self.connection.timeout_secs;
        let timeout = t.clamp(*TIMEOUT_RANGE.start(), *TIMEOUT_RANGE.end());
        if timeout != t {
            changed.push(format!(
                "the timeout must be 1 to 600 seconds: {timeout} is used instead of {t}"
            ));
            self.connection.timeout_secs = timeout;
        }
        changed
    }

    /// The file's text (TOML).
    pub fn to_toml(&self) -> Result<String, toml::ser::Error> {
        let mut text = String::from(HEADER);
        text.push_str(&toml::to_string_pretty(self)?);
        Ok(text)
    }
}

const HEADER: &str =
    "# Ferry's preferences (Edit → Preferences…). Saved sites are in sites.toml.\n\n";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_survives_the_file() {
        let p = Preferences {
            transfers: Transfers {
                parallel: 7,
                if_exists: OnExisting::Skip,
                segments: 4,
            },
            connection: ConnectionDefaults {
                mode: ConnectionMode::Active,
                timeout_secs: 45,
            },
            interface: Interface {
                show_hidden: true,
                theme: Theme::Dark,
                reconnect_tabs: true,
            },
            network: Network {
                proxy: "socks5h://bob@proxy.example.org:1080".into(),
            },
            editing: Editing {
                editor: "code --wait {}".into(),
            },
            filters: crate::filters::FilterSettings::default(),
            bookmarks: vec![crate::sites::Bookmark::for_folder(
                "/www",
                Some("/home/me/www".into()),
            )],
            text: TextTransfers {
                transfer_type: TypeChoice::Auto,
                endings: vec!["txt".into(), "conf".into()],
            },
            speed_limits: SpeedLimits {
                enabled: true,
                download: 2 << 20,
                upload: 500 << 10,
                burst: BurstTolerance::VeryHigh,
            },
            extra: toml::Table::new(),
        };
        let text = p.to_toml().unwrap();
        let back: Preferences = toml::from_str(&text).unwrap();
        assert_eq!(back, p);
    }

    #[test]
    fn missing_keys_take_defaults_and_unknown_ones_are_kept() {
        let text = "[interface]\ntheme = \"light\"\n\n[proxy]\nkind = \"socks5\"\n";
        let p: Preferences = toml::from_str(text).unwrap();
        assert_eq!(p.interface.theme, Theme::Light);
        assert!(!p.interface.show_hidden);
        assert_eq!(p.transfers, Transfers::default());
        let again = p.to_toml().unwrap();
        assert!(again.contains("[proxy]"), "{again}");
        assert!(again.contains("kind = \"socks5\""), "{again}");
    }

    #[test]
    fn out_of_range_numbers_are_brought_back_and_reported() {
        let mut p = Preferences::default();
        p.transfers.parallel = 0;
        p.connection.timeout_secs = 100_000;
        let said = p.clamp();
        assert_eq!(p.transfers.parallel, 1);
        assert_eq!(p.connection.timeout_secs, 600);
        assert_eq!(said.len(), 2, "{said:?}");
        assert!(Preferences::default().clamp().is_empty());
    }

    #[test]
    fn speed_limits_apply_only_when_switched_on_and_set() {
        let mut s = SpeedLimits {
            enabled: false,
            download: 2 << 20,
            upload: 0,
            burst: BurstTolerance::High,
        };
        assert!(s.any_set());
        assert_eq!((s.active().download, s.active().upload), (None, None));
        s.enabled = true;
        let a = s.active();
        assert_eq!(
            (a.download, a.upload, a.burst),
            (Some(2 << 20), None, BurstTolerance::High)
        );
        // A file from before speed limits has none, and switched off.
        let p: Preferences = toml::from_str("[interface]\ntheme = \"dark\"\n").unwrap();
        assert_eq!(p.speed_limits, SpeedLimits::default());
        assert!(!p.speed_limits.enabled && !p.speed_limits.any_set());
    }

    #[test]
    fn a_new_site_takes_the_connection_defaults() {
        let mut site = Site::new("n", "h");
        ConnectionDefaults {
            mode: ConnectionMode::Passive,
            timeout_secs: 45,
        }
        .apply_to_site(&mut site);
        assert_eq!(site.mode, ConnectionMode::Passive);
        assert_eq!(site.timeout_secs, Some(45));
        ConnectionDefaults::default().apply_to_site(&mut site);
        assert_eq!(site.mode, ConnectionMode::Auto);
        assert_eq!(site.timeout_secs, None, "the built-in timeout stays unset");
    }
}
