//! One saved site: where the server is, how to log in and how to talk to it.
//! A site never holds a password; that lives in the keyring (see `secrets.rs`).

use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::spec::ConnectSpec;
pub use crate::ftp::modes::TransferMode;
use crate::ftp::{ConnectOptions, DataMode, NameCharset, Security};

// The `alias`es below are the names the window's saved connection form
// (eframe state) used before it shared these types: old state still loads.

/// How the control connection is encrypted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Protocol {
    /// Plain FTP.
    #[default]
    #[serde(alias = "Ftp")]
    Ftp,
    /// FTP upgraded with `AUTH TLS` before login.
    #[serde(alias = "ExplicitTls")]
    ExplicitTls,
    /// TLS from the first byte (usually port 990).
    #[serde(alias = "ImplicitTls")]
    ImplicitTls,
    /// `AUTH TLS` when the server offers it, plain FTP when it does not
    /// (FileZilla's default).
    ExplicitTlsIfAvailable,
}

impl Protocol {
    /// The protocol engine's name for this.
    pub fn security(self) -> Security {
        match self {
            Protocol::Ftp => Security::None,
            Protocol::ExplicitTls => Security::Explicit,
            Protocol::ImplicitTls => Security::Implicit,
            Protocol::ExplicitTlsIfAvailable => Security::ExplicitIfAvailable,
        }
    }
}

/// How Ferry logs in to the site.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LogonType {
    /// User `anonymous`, no secret.
    #[serde(alias = "Anonymous")]
    Anonymous,
    /// User and password; the password is in the keyring when remembered.
    #[default]
    #[serde(alias = "Normal")]
    Normal,
    /// Ask for the password on every connect; it is never stored.
    #[serde(alias = "Ask")]
    Ask,
}

/// Which data connection mode to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ConnectionMode {
    /// EPSV, then PASV: Ferry connects to the server.
    #[serde(alias = "Passive")]
    Passive,
    /// EPRT/PORT: the server connects to Ferry.
    #[serde(alias = "Active")]
    Active,
    /// Start with the mode that last worked (passive at first) and fall back
    /// to the other when a data connection cannot be opened.
    #[default]
    #[serde(alias = "Auto")]
    Auto,
}

impl ConnectionMode {
    /// The one data mode this choice insists on; `None` for Auto.
    pub fn fixed(self) -> Option<DataMode> {
        match self {
            ConnectionMode::Passive => Some(DataMode::Passive),
            ConnectionMode::Active => Some(DataMode::Active),
            ConnectionMode::Auto => None,
        }
    }
}

impl From<DataMode> for ConnectionMode {
    fn from(mode: DataMode) -> ConnectionMode {
        match mode {
            DataMode::Passive => ConnectionMode::Passive,
            DataMode::Active => ConnectionMode::Active,
        }
    }
}

/// Which character set file names are in. Written in the file as `"auto"`,
/// `"utf-8"` or the name of another encoding.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum Charset {
    /// UTF-8 when the server announces it (`FEAT`), raw bytes otherwise.
    #[default]
    Auto,
    /// Always UTF-8.
    Utf8,
    /// Another encoding, by name (e.g. `ISO-8859-1`).
    Other(String),
}

impl From<String> for Charset {
    fn from(text: String) -> Charset {
        match text.trim().to_ascii_lowercase().as_str() {
            "" | "auto" => Charset::Auto,
            "utf-8" | "utf8" => Charset::Utf8,
            _ => Charset::Other(text),
        }
    }
}

impl From<Charset> for String {
    fn from(charset: Charset) -> String {
        match charset {
            Charset::Auto => "auto".into(),
            Charset::Utf8 => "utf-8".into(),
            Charset::Other(name) => name,
        }
    }
}

/// The local ports active mode listens on, written `"50000-50100"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PortRange {
    /// The first port, included.
    pub first: u16,
    /// The last port, included.
    pub last: u16,
}

impl TryFrom<String> for PortRange {
    type Error = String;

    fn try_from(text: String) -> Result<PortRange, String> {
        let bad = || format!("expected a port range like \"50000-50100\", got {text:?}");
        let (a, b) = text.split_once('-').ok_or_else(bad)?;
        let first: u16 = a.trim().parse().map_err(|_| bad())?;
        let last: u16 = b.trim().parse().map_err(|_| bad())?;
        if first == 0 || first > last {
            return Err(bad());
        }
        Ok(PortRange { first, last })
    }
}

impl From<PortRange> for String {
    fn from(range: PortRange) -> String {
        range.to_string()
    }
}

impl fmt::Display for PortRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.first, self.last)
    }
}

/// Which proxy a site connects through. Written in the file as
/// `"preferences"` (the default, left out), `"none"`, or the proxy's URL
/// (`socks5://user@host:port`), which never holds the password: that is in
/// the keyring under [`proxy_secret_id`].
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum SiteProxy {
    /// The proxy set in Preferences, if any.
    #[default]
    Preferences,
    /// Connect directly, whatever Preferences say.
    Direct,
    /// This proxy, as a URL without password.
    Url(String),
}

impl SiteProxy {
    pub fn is_preferences(&self) -> bool {
        *self == SiteProxy::Preferences
    }

    /// The proxy URL this setting means (without password): the site's
    /// own, none, or `preferences` (the one in Preferences; empty for none).
    pub fn url<'a>(&'a self, preferences: &'a str) -> Option<&'a str> {
        let url = match self {
            SiteProxy::Preferences => preferences,
            SiteProxy::Direct => return None,
            SiteProxy::Url(url) => url,
        };
        let url = url.trim();
        (!url.is_empty()).then_some(url)
    }
}

impl From<String> for SiteProxy {
    fn from(text: String) -> SiteProxy {
        match text.trim().to_ascii_lowercase().as_str() {
            "" | "preferences" => SiteProxy::Preferences,
            "none" | "direct" => SiteProxy::Direct,
            _ => SiteProxy::Url(text.trim().to_string()),
        }
    }
}

impl From<SiteProxy> for String {
    fn from(proxy: SiteProxy) -> String {
        match proxy {
            SiteProxy::Preferences => "preferences".into(),
            SiteProxy::Direct => "none".into(),
            SiteProxy::Url(url) => url,
        }
    }
}

/// The password store's key for a proxy's password: one per proxy URL
/// (kind, user, host and port), shared by every site and Preferences.
pub fn proxy_secret_id(proxy_url: &str) -> String {
    format!("proxy {}", proxy_url.trim())
}

/// Whether a password store key is a proxy's (not a site id).
pub fn is_proxy_secret_id(key: &str) -> bool {
    key.starts_with("proxy ")
}

/// A saved site. Fields this version of Ferry does not know (written by a
/// newer one) are kept in `extra` and written back unchanged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Site {
    /// Stable identity, also the keyring key for the site's password.
    #[serde(default = "new_site_id")]
    pub id: String,
    /// What the user calls it; shown in the site tree.
    pub name: String,
    /// The folder path in the site tree, outermost first; empty at the top.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub folder: Vec<String>,
    /// Plain FTP, explicit or implicit TLS.
    #[serde(default)]
    pub protocol: Protocol,
    /// Host name or IP address of the server.
    pub host: String,
    /// `None` means the protocol's usual port (21, or 990 for implicit TLS).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// Anonymous, user and password, or ask for the password every time.
    #[serde(default)]
    pub logon: LogonType,
    /// The login name (unused for anonymous logon).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub user: String,
    /// Sent with `ACCT` if the server asks for an account after the password.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// Whether the password is kept in the keyring. Unticking it is the
    /// caller's cue to delete the keyring entry.
    #[serde(default)]
    pub remember_password: bool,
    /// Passive, active, or auto (passive first, falling back to active).
    #[serde(default)]
    pub mode: ConnectionMode,
    /// The mode that last opened a data connection in [`ConnectionMode::Auto`];
    /// written by the engine when auto mode fell back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_working_mode: Option<ConnectionMode>,
    /// `MODE S/B/C/Z`; see [`TransferMode`].
    #[serde(default)]
    pub transfer_mode: TransferMode,
    /// Binary, ASCII or Auto for this site's files; `None` follows the
    /// Preferences.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transfer_type: Option<crate::ftp::ascii::TypeChoice>,
    /// Split large downloads into this many ranges, each on a connection
    /// of its own; `None` follows the Preferences.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segments: Option<u16>,
    /// Opened in the local pane on connect.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_folder: Option<PathBuf>,
    /// Opened in the remote pane on connect.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_folder: Option<String>,
    /// One deadline for every network wait; `None` keeps Ferry's defaults.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_secs: Option<u64>,
    /// Send NOOP after this many idle seconds; `None` sends none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keepalive_secs: Option<u64>,
    /// The server's `LIST` times are this many minutes ahead of UTC, for
    /// servers that list in local time (`None`: found when comparing).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_offset_minutes: Option<i32>,
    /// Active mode: the address to tell the server (behind NAT).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_ip: Option<IpAddr>,
    /// Active mode: the local ports to listen on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_port_range: Option<PortRange>,
    /// Passive mode: connect to the address the PASV reply names.
    #[serde(default)]
    pub trust_pasv_host: bool,
    /// Character set of file names on the server.
    #[serde(default)]
    pub charset: Charset,
    /// List hidden files (`LIST -a`) when the server has no MLSD.
    #[serde(default)]
    pub show_hidden: bool,
    /// Synchronized browsing was on when last used: it comes on again once
    /// both panes show their first folders after connecting.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub sync_browsing: bool,
    /// The user's notes about the site.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub comment: String,
    /// Connect through the proxy in Preferences, none, or this one.
    #[serde(default, skip_serializing_if = "SiteProxy::is_preferences")]
    pub proxy: SiteProxy,
    /// The site's bookmarks, in menu order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bookmarks: Vec<super::Bookmark>,
    /// Fields from a newer Ferry, kept so saving does not drop them.
    #[serde(flatten)]
    pub extra: toml::Table,
}

/// A fresh, practically unique site id (a random UUID).
pub fn new_site_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

impl Site {
    /// A new site with a fresh id and the defaults the connection dialog
    /// starts from (plain FTP, normal logon, auto mode).
    pub fn new(name: impl Into<String>, host: impl Into<String>) -> Site {
        Site {
            id: new_site_id(),
            name: name.into(),
            folder: Vec::new(),
            protocol: Protocol::default(),
            host: host.into(),
            port: None,
            logon: LogonType::default(),
            user: String::new(),
            account: None,
            remember_password: false,
            mode: ConnectionMode::Auto,
            last_working_mode: None,
            transfer_mode: TransferMode::default(),
            transfer_type: None,
            segments: None,
            local_folder: None,
            remote_folder: None,
            timeout_secs: None,
            keepalive_secs: None,
            time_offset_minutes: None,
            external_ip: None,
            active_port_range: None,
            trust_pasv_host: false,
            charset: Charset::default(),
            show_hidden: false,
            sync_browsing: false,
            comment: String::new(),
            proxy: SiteProxy::Preferences,
            bookmarks: Vec::new(),
            extra: toml::Table::new(),
        }
    }

    /// The port to connect to: the saved one, or the protocol's usual port.
    pub fn effective_port(&self) -> u16 {
        self.port
            .unwrap_or_else(|| self.protocol.security().default_port())
    }

    /// Whether connecting needs a password from the keyring or the user.
    pub fn needs_password(&self) -> bool {
        self.logon != LogonType::Anonymous
    }

    /// `host:port`, the key of the trusted-certificates file.
    pub fn host_port(&self) -> String {
        host_port(&self.host, self.effective_port())
    }

    /// What connecting to this site means. `password` is ignored for
    /// anonymous logon; for the others the caller got it from the keyring or
    /// asked. The trust policy is left at the system roots; see
    /// `TrustStore::policy_for`.
    pub fn connect_spec(&self, password: &str) -> ConnectSpec {
        ConnectSpec {
            protocol: self.protocol,
            host: self.host.clone(),
            port: self.port,
            logon: self.logon,
            user: self.user.clone(),
            password: password.to_string(),
            account: self.account.clone(),
            mode: self.mode,
            last_working_mode: self.last_working_mode,
            transfer_mode: self.transfer_mode,
            timeout: self.timeout_secs.map(Duration::from_secs),
            keepalive: self.keepalive_secs.map(Duration::from_secs),
            list_time_offset_minutes: self.time_offset_minutes,
            external_ip: self.external_ip,
            port_range: self.active_port_range.map(|r| r.first..=r.last),
            trust_pasv_host: self.trust_pasv_host,
            list_hidden: self.show_hidden,
            charset: match &self.charset {
                Charset::Auto => NameCharset::Auto,
                Charset::Utf8 => NameCharset::Utf8,
                // An unknown name is shown in the Site Manager; meanwhile UTF-8.
                Charset::Other(name) => NameCharset::from_label(name).unwrap_or_default(),
            },
            trust: Default::default(),
            // The caller resolves it (Preferences, the keyring): see
            // `SiteProxy::resolve`.
            proxy: None,
            transfer_type: self.transfer_type,
            text_endings: Vec::new(),
            segments: self.segments.unwrap_or(0),
        }
    }

    /// Connection options for this site (see [`Site::connect_spec`]).
    pub fn connect_options(&self, password: &str) -> ConnectOptions {
        self.connect_spec(password).options()
    }
}

/// `host:port`, bracketing IPv6 literals, as the trust file keys servers.
pub fn host_port(host: &str, port: u16) -> String {
    if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ftp::Timeouts;
    use crate::ftp::ascii::TypeChoice;

    #[test]
    fn new_sites_default_to_auto_mode_and_get_distinct_ids() {
        let a = Site::new("a", "h");
        let b = Site::new("b", "h");
        assert_eq!(a.mode, ConnectionMode::Auto);
        assert_ne!(a.id, b.id);
        assert_eq!(a.id.len(), 36);
    }

    #[test]
    fn port_ranges_parse_and_print() {
        let r = PortRange::try_from("50000-50100".to_string()).unwrap();
        assert_eq!((r.first, r.last), (50000, 50100));
        assert_eq!(r.to_string(), "50000-50100");
        for bad in ["", "5", "6-5", "0-10", "a-b", "1-70000"] {
            assert!(PortRange::try_from(bad.to_string()).is_err(), "{bad}");
        }
    }

    #[test]
    fn charsets_read_any_spelling_of_utf8() {
        assert_eq!(Charset::from("UTF8".to_string()), Charset::Utf8);
        assert_eq!(Charset::from("".to_string()), Charset::Auto);
        assert_eq!(
            Charset::from("ISO-8859-1".to_string()),
            Charset::Other("ISO-8859-1".into())
        );
    }

    #[test]
    fn connect_options_carry_the_site_settings() {
        let mut site = Site::new("work", "ftp.example.org");
        site.protocol = Protocol::ImplicitTls;
        site.user = "alice".into();
        site.mode = ConnectionMode::Auto;
        site.last_working_mode = Some(ConnectionMode::Active);
        site.timeout_secs = Some(7);
        site.keepalive_secs = Some(45);
        site.active_port_range = Some(PortRange {
            first: 50000,
            last: 50010,
        });
        site.external_ip = Some("203.0.113.5".parse().unwrap());
        site.trust_pasv_host = true;
        site.show_hidden = true;
        site.transfer_mode = TransferMode::Deflate;
        let o = site.connect_options("s3cret");
        assert_eq!((o.host.as_str(), o.port), ("ftp.example.org", 990));
        assert_eq!((o.user.as_str(), o.password.as_str()), ("alice", "s3cret"));
        assert_eq!(o.security, Security::Implicit);
        assert_eq!(o.mode, DataMode::Active);
        assert!(o.auto_fallback && o.trust_pasv_host && o.list_hidden);
        assert_eq!(o.timeouts, Timeouts::uniform(Duration::from_secs(7)));
        assert_eq!(o.keepalive, Some(Duration::from_secs(45)));
        site.charset = Charset::Other("windows-1251".into());
        assert_eq!(
            site.connect_options("").charset,
            NameCharset::from_label("cp1251").unwrap()
        );
        assert_eq!(o.port_range, Some(50000..=50010));
        assert_eq!(o.external_ip, site.external_ip);
        assert_eq!(o.transfer_mode, TransferMode::Deflate);
        // Left to the Preferences (filled in by the queue) unless chosen.
        assert_eq!((o.transfer_type, o.segments), (None, 0));
        site.transfer_type = Some(TypeChoice::Ascii);
        site.segments = Some(4);
        let o = site.connect_options("s3cret");
        assert_eq!((o.transfer_type, o.segments), (Some(TypeChoice::Ascii), 4));
    }

    #[test]
    fn transfer_type_segments_and_sync_browsing_round_trip_and_default_when_absent() {
        let mut site = Site::new("s", "h");
        let text = toml::to_string(&site).unwrap();
        for key in ["transfer_type", "segments", "sync_browsing"] {
            assert!(!text.contains(key), "{key} left out by default: {text}");
        }
        site.transfer_type = Some(TypeChoice::Auto);
        site.segments = Some(8);
        site.sync_browsing = true;
        let text = toml::to_string(&site).unwrap();
        assert!(text.contains("transfer_type = \"auto\""), "{text}");
        let back: Site = toml::from_str(&text).unwrap();
        assert_eq!(back, site);
        // A site written before these settings existed loads with the defaults.
        let old: Site = toml::from_str("name = \"old\"\nhost = \"h\"\n").unwrap();
        assert_eq!(
            (old.transfer_type, old.segments, old.sync_browsing),
            (None, None, false)
        );
        assert!(old.extra.is_empty());
    }

    #[test]
    fn anonymous_sites_ignore_the_password_and_fixed_modes_do_not_fall_back() {
        let mut site = Site::new("pub", "ftp.example.org");
        site.logon = LogonType::Anonymous;
        site.mode = ConnectionMode::Passive;
        site.port = Some(2121);
        let o = site.connect_options("ignored");
        assert_eq!(
            (o.user.as_str(), o.password.as_str()),
            ("anonymous", "ferry@")
        );
        assert_eq!(
            (o.port, o.mode, o.auto_fallback),
            (2121, DataMode::Passive, false)
        );
        assert_eq!(o.timeouts, Timeouts::default());
    }

    #[test]
    fn ipv6_hosts_are_bracketed_in_host_port() {
        assert_eq!(host_port("::1", 21), "[::1]:21");
        assert_eq!(host_port("example.org", 990), "example.org:990");
    }

    #[test]
    fn the_proxy_setting_is_left_out_by_default_and_read_in_any_form() {
        let site = Site::new("s", "h");
        let text = toml::to_string(&site).unwrap();
        assert!(!text.contains("proxy"), "{text}");
        // A site written before the setting existed loads with the default.
        let old: Site = toml::from_str("name = \"old\"\nhost = \"h\"\n").unwrap();
        assert_eq!(old.proxy, SiteProxy::Preferences);
        let mut own = Site::new("s", "h");
        own.proxy = SiteProxy::Url("socks5h://bob@p:1080".into());
        let back: Site = toml::from_str(&toml::to_string(&own).unwrap()).unwrap();
        assert_eq!(back.proxy, own.proxy);
        own.proxy = SiteProxy::Direct;
        let back: Site = toml::from_str(&toml::to_string(&own).unwrap()).unwrap();
        assert_eq!(back.proxy, SiteProxy::Direct);
        assert_eq!(SiteProxy::Direct.url("socks5://p:1"), None);
        assert_eq!(SiteProxy::Preferences.url(" "), None);
        assert_eq!(
            SiteProxy::Preferences.url("socks5://p:1"),
            Some("socks5://p:1")
        );
        assert!(is_proxy_secret_id(&proxy_secret_id("socks5://bob@p:1080")));
        assert!(!is_proxy_secret_id(&own.id));
    }
}
